"""The Linux bundle as a user gets it: tools/build-bundle makes the tarball (cached in
.cache/bundle: quick when nothing changed), it is unpacked into a temporary home, install.sh puts
it in ~/.local without root, the installed desktop entries and AppStream file are valid, the
installed launcher starts (`--version`), opens a console window offscreen on the test bed's QEMU
guest, types into that guest with `type`, takes a `screenshot`, and quits; uninstall.sh leaves
nothing behind. The bundled app also serves its demo console and opens, types into, reads and
photographs it, and keeps secrets in a real Secret Service. Any traceback from it fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.testbed import BedError, QemuGuest, build_guest
from tests.ui.test_desktop_entry import entry, exec_arguments, expand, validate

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "io.github.ovhkvm_desktop.OvhkvmDesktop"
#: The issue's target for the download.
MAX_TARBALL_BYTES = 80 * 1000 * 1000


@pytest.fixture(scope="module")
def tarball() -> Path:
    run = subprocess.run(
        [str(ROOT / "tools" / "build-bundle")], capture_output=True, text=True, timeout=1200
    )
    assert run.returncode == 0, run.stderr[-4000:]
    path = Path(run.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.name.endswith("-linux-x86_64.tar.gz"), run.stdout
    return path


@pytest.fixture(scope="module")
def guest() -> Iterator[QemuGuest]:
    try:
        build_guest()
        console = QemuGuest(mode="console", keymap="us", boot_timeout=120)
    except BedError as e:
        pytest.fail(f"the test guest could not start: {e}", pytrace=False)
    with console:
        yield console


@pytest.fixture(scope="module")
def home(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh home with the bundle unpacked in its Downloads."""
    home = tmp_path_factory.mktemp("home")
    downloads = home / "Downloads"
    downloads.mkdir()
    with tarfile.open(tarball) as archive:
        archive.extractall(downloads, filter="tar")
    return home


def user_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "OVHKVM_CONFIG_DIR": str(home / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    env.update(extra)
    return env


def unpacked(home: Path) -> Path:
    (folder,) = (home / "Downloads").iterdir()
    return folder


def no_traceback(*outputs: str) -> None:
    for text in outputs:
        assert "Traceback" not in text, text


def test_the_tarball_is_smaller_than_80_mb(tarball: Path) -> None:
    assert tarball.stat().st_size < MAX_TARBALL_BYTES, f"{tarball.stat().st_size:,} bytes"


def test_the_bundle_holds_what_the_app_uses_and_not_what_it_does_not(home: Path) -> None:
    internal = unpacked(home) / "ovhkvm-desktop" / "_internal"
    files = [p.relative_to(internal).as_posix() for p in internal.rglob("*")]
    # Qt's own translations for the app's languages only, no QML or Quick.
    translations = sorted(Path(f).name for f in files if f.endswith(".qm"))
    assert {"qtbase_fr.qm", "qtbase_en.qm"} <= set(translations), translations
    assert all(name.split("_")[-1] in ("fr.qm", "en.qm") for name in translations), translations
    assert not [f for f in files if "Qml" in f or "Quick" in f or "/qml/" in f]
    assert "PySide6/Qt/plugins/platforms/libqxcb.so" in files
    assert "PySide6/Qt/plugins/platforms/libqwayland.so" in files
    # The keyboard data and the screen reader's fonts, where the package looks for them.
    assert "ovhkvm_desktop/resources/keyboard/layouts/fr.json" in files
    # The app's own French, compiled: the windows' (Qt) and the command line's (gettext).
    assert "ovhkvm_desktop/resources/translations/ovhkvm-desktop_fr.qm" in files
    assert "ovhkvm_desktop/resources/translations/fr/LC_MESSAGES/ovhkvm-desktop.mo" in files
    assert not [f for f in files if f.endswith((".ts", ".po"))]
    assert any(f.startswith("ovhkvm_desktop/resources/screen_text/") for f in files)
    # keyring finds its backends by its metadata's entry points.
    assert any(f.startswith("keyring-") and f.endswith(".dist-info") for f in files)
    # The compiled decoders, when the install built them.
    built = list((ROOT / "ovhkvm_desktop" / "rfb" / "decoders").glob("_accel.*.so"))
    for library in built:
        assert f"ovhkvm_desktop/rfb/decoders/{library.name}" in files


def test_install_start_type_screenshot_quit_and_uninstall(home: Path, guest: QemuGuest) -> None:
    folder = unpacked(home)
    run = subprocess.run(
        ["sh", str(folder / "install.sh")], env=user_env(home), capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    data = home / ".local" / "share"
    main = data / "applications" / f"{APP_ID}.desktop"
    handler = data / "applications" / f"{APP_ID}.Open.desktop"
    metainfo = data / "metainfo" / f"{APP_ID}.metainfo.xml"
    for path in (main, handler):
        validate(path)
    check = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(metainfo)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert len(list(data.glob(f"icons/hicolor/*/apps/{APP_ID}.png"))) == 8
    launcher = exec_arguments(entry(main)["Exec"])
    installed = home / ".local" / "lib" / "ovhkvm-desktop" / "ovhkvm-desktop" / "ovhkvm-desktop"
    assert launcher == [str(installed)]
    link = expand(exec_arguments(entry(handler)["Exec"]), "vnc://h")
    assert link == [str(installed), "open", "--", "vnc://h"]

    # The menu's command and the one on ~/.local/bin both start the installed app.
    for program in (launcher[0], str(home / ".local" / "bin" / "ovhkvm-desktop")):
        version = subprocess.run(
            [program, "--version"], env=user_env(home), capture_output=True, text=True, timeout=60
        )
        assert version.returncode == 0, version.stderr
        assert version.stdout.startswith("ovhkvm-desktop "), version.stdout
        no_traceback(version.stderr)
    # In French when the user's locale says so (the bundled gettext catalogue).
    french = subprocess.run(
        [launcher[0], "--help"],
        env={**user_env(home), "LANG": "fr_FR.UTF-8", "LANGUAGE": "fr"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert french.returncode == 0, french.stderr
    assert french.stdout.startswith("utilisation : "), french.stdout[:200]

    app = launcher[0]
    env = user_env(home, QT_QPA_PLATFORM="offscreen")
    ready = home / "window-ready"
    window = subprocess.Popen(
        [app, "open", guest.vnc_url, "--layout", "us"],
        env={**env, "OVHKVM_WINDOW_READY_FILE": str(ready)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() or not ready.read_text().strip():
            assert window.poll() is None, window.communicate()[1]
            if time.monotonic() > deadline:
                window.terminate()
                pytest.fail(f"the window showed no picture of the console:\n{window.communicate()}")
            time.sleep(0.1)
        mark = guest.serial_mark()
        typed = subprocess.run(
            [app, "type", guest.vnc_url, "--layout", "us", "--text", "bundled ok"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert typed.returncode == 0, typed.stderr
        assert guest.wait_for_received(b"bundled ok", since=mark) == b"bundled ok"
        shot = home / "screen.png"
        taken = subprocess.run(
            [app, "screenshot", guest.vnc_url, str(shot)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert taken.returncode == 0, taken.stderr
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert window.poll() is None, "the window closed by itself"
    finally:
        window.terminate()
        _, window_errors = window.communicate(timeout=30)
    no_traceback(window_errors, typed.stderr, taken.stderr)

    run = subprocess.run(
        ["sh", str(home / ".local" / "lib" / "ovhkvm-desktop" / "uninstall.sh")],
        env=user_env(home),
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    left = sorted(
        p.relative_to(home).as_posix() for p in (home / ".local").rglob("*") if not p.is_dir()
    )
    # What remains is the desktop's own cache of link handlers, rebuilt without the app's.
    assert left in ([], [".local/share/applications/mimeinfo.cache"]), left
    for path in left:
        assert APP_ID not in (home / path).read_text(), path
    shutil.rmtree(home / ".local")


def test_install_sh_writes_a_launcher_for_a_home_with_quotes_dollars_and_percents(
    tmp_path: Path,
) -> None:
    """install.sh quotes the program by the Desktop Entry Specification, whatever the home."""
    folder = tmp_path / "bundle"
    (folder / "ovhkvm-desktop").mkdir(parents=True)
    program = folder / "ovhkvm-desktop" / "ovhkvm-desktop"
    program.write_text("#!/bin/sh\necho ovhkvm-desktop 0\n")
    program.chmod(0o755)
    (folder / "share" / "applications").mkdir(parents=True)
    (folder / "share" / "metainfo").mkdir(parents=True)
    linux = ROOT / "packaging" / "linux"
    for name in (f"{APP_ID}.desktop", f"{APP_ID}.Open.desktop"):
        shutil.copy(linux / name, folder / "share" / "applications")
    shutil.copy(linux / f"{APP_ID}.metainfo.xml", folder / "share" / "metainfo")
    shutil.copytree(linux / "icons", folder / "share" / "icons")
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy(linux / script, folder)
    home = tmp_path / 'my "home" $HOME `id` \\ 100% it\'s; (x)'
    home.mkdir()
    run = subprocess.run(
        ["sh", str(folder / "install.sh")], env=user_env(home), capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    installed = home / ".local" / "lib" / "ovhkvm-desktop" / "ovhkvm-desktop" / "ovhkvm-desktop"
    applications = home / ".local" / "share" / "applications"
    for name in (f"{APP_ID}.desktop", f"{APP_ID}.Open.desktop"):
        validate(applications / name)
    main = exec_arguments(entry(applications / f"{APP_ID}.desktop")["Exec"])
    assert expand(main, "") == [str(installed)]
    handler = exec_arguments(entry(applications / f"{APP_ID}.Open.desktop")["Exec"])
    assert expand(handler, "vnc://h") == [str(installed), "open", "--", "vnc://h"]
    # Installing again (an update) replaces, then uninstalling removes everything.
    for script in (
        folder / "install.sh",
        home / ".local" / "lib" / "ovhkvm-desktop" / "uninstall.sh",
    ):
        run = subprocess.run(
            ["sh", str(script)], env=user_env(home), capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
    assert not (home / ".local" / "lib" / "ovhkvm-desktop").exists()
    assert not (home / ".local" / "bin" / "ovhkvm-desktop").exists()
    assert not list((home / ".local" / "share").rglob("*.png"))
    assert not list((home / ".local" / "share").rglob(f"{APP_ID}*"))


def keyring_child() -> None:
    """Runs inside dbus-run-session: a real Secret Service (gnome-keyring-daemon), then the
    bundled app logs in (one process) and lists the servers (another, which needs the secrets
    from the keyring: a bundle without keyring's Secret Service backend keeps them in memory)."""
    import json
    import sys

    import secretstorage

    app = os.environ["BUNDLED_APP"]
    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert daemon.stdin is not None
    daemon.stdin.write(b"test-keyring-password")
    daemon.stdin.close()
    runs = []
    try:
        deadline = time.monotonic() + 20
        while True:
            with secretstorage.dbus_init() as bus:
                if secretstorage.check_service_availability(bus):
                    break
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise SystemExit("gnome-keyring-daemon did not come up on the session bus")
            time.sleep(0.1)
        for args in (
            ["login", "--profile", "imported", "--from-env"],
            ["servers", "--profile", "imported", "--json"],
        ):
            env = {k: v for k, v in os.environ.items() if not k.startswith("OVH_")}
            if args[0] == "login":
                env = dict(os.environ)
            run = subprocess.run([app, *args], env=env, capture_output=True, text=True)
            runs.append([run.returncode, run.stdout, run.stderr])
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
    sys.stdout.write("REPORT " + json.dumps(runs) + "\n")


def test_the_bundled_app_keeps_secrets_in_the_desktops_secret_service(
    home: Path, tmp_path: Path
) -> None:
    import json
    import sys

    from tests.cloud.fake_api import FakeOvhApi

    app = unpacked(home) / "ovhkvm-desktop" / "ovhkvm-desktop"
    user = tmp_path / "user"
    runtime = tmp_path / "run"
    user.mkdir()
    runtime.mkdir(mode=0o700)
    with FakeOvhApi() as api:
        key, secret = api.add_application()
        consumer = api.add_credential(key)
        api.add_vps("vps-bundle.vps.ovh.net")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DBUS_", "PYTHON_KEYRING", "GNOME_KEYRING", "XDG_", "OVHKVM_"))
        }
        env.update(
            HOME=str(user),
            XDG_RUNTIME_DIR=str(runtime),
            PYTHONPATH=str(ROOT),
            BUNDLED_APP=str(app),
            OVHKVM_API_URL=api.base_url,
            OVHKVM_CONFIG_DIR=str(user / "config"),
            OVH_ENDPOINT="ovh-eu",
            OVH_APPLICATION_KEY=key,
            OVH_APPLICATION_SECRET=secret,
            OVH_CONSUMER_KEY=consumer,
        )
        code = "from tests.test_bundle import keyring_child; keyring_child()"
        proc = subprocess.run(
            ["dbus-run-session", "--", sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=ROOT,
        )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("REPORT ")]
    assert proc.returncode == 0 and lines, f"status {proc.returncode}\n{proc.stdout}{proc.stderr}"
    (login, servers) = json.loads(lines[-1][len("REPORT ") :])
    assert login[0] == 0, login[2]
    assert "kept in memory" not in login[2], login[2]
    assert servers[0] == 0, servers[2]
    assert [s["name"] for s in json.loads(servers[1])] == ["vps-bundle.vps.ovh.net"]
    no_traceback(login[2], servers[2])


def test_the_bundled_app_serves_opens_types_into_and_reads_its_demo_console(home: Path) -> None:
    import signal

    app = str(unpacked(home) / "ovhkvm-desktop" / "ovhkvm-desktop")
    env = user_env(home, QT_QPA_PLATFORM="offscreen")
    demo = subprocess.Popen(
        [app, "demo", "--serve", "--layout", "us"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    window = None
    try:
        assert demo.stdout is not None
        address = demo.stdout.readline().strip()
        assert address.startswith("vnc://127.0.0.1:"), address
        ready = home / "demo-window-ready"
        window = subprocess.Popen(
            [app, "open", address, "--layout", "us"],
            env={**env, "OVHKVM_WINDOW_READY_FILE": str(ready)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not ready.exists() or not ready.read_text().strip():
            assert window.poll() is None, window.communicate()[1]
            assert time.monotonic() < deadline, "the window showed no picture of the demo"
            time.sleep(0.1)
        runs = [
            subprocess.run([app, *args], env=env, capture_output=True, text=True, timeout=120)
            for args in (
                ["type", address, "--layout", "us", "--text", "echo bundled demo"],
                ["read", address],
                ["screenshot", address, str(home / "demo.png")],
            )
        ]
        for run in runs:
            assert run.returncode == 0, run.stderr
            no_traceback(run.stderr)
        # The line typed, then the cursor's cell (read as U+FFFD, never a guessed letter).
        assert "root@demo:~# echo bundled demo\ufffd\n" in runs[1].stdout, runs[1].stdout
        assert (home / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert window.poll() is None, "the window closed by itself"
    finally:
        if window is not None:
            window.terminate()
            no_traceback(window.communicate(timeout=30)[1])
        demo.send_signal(signal.SIGINT)  # Ctrl+C is how serving ends
        _, errors = demo.communicate(timeout=30)
    assert demo.returncode == 0, errors
    no_traceback(errors)
