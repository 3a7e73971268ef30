"""Before Qt starts, a missing system library of its platform plugin is named in one line with
the Debian package to install (tests/test_qt_runtime.py hides one, as a fresh desktop lacks it,
by putting an unloadable file of its name first on LD_LIBRARY_PATH)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ovhkvm_desktop import qt_runtime

ROOT = Path(__file__).resolve().parent.parent


def hidden(tmp_path: Path, *names: str) -> dict[str, str]:
    """An environment in which the dynamic loader finds ``names`` first in a folder where they
    are not libraries (it stops there with "invalid ELF header", as with a broken install)."""
    folder = tmp_path / "hidden"
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"not a library\n")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(
        LD_LIBRARY_PATH=str(folder),
        DISPLAY=":99",  # a desktop session as far as the app can tell; no X server is reached
        OVHKVM_CONFIG_DIR=str(tmp_path / "config"),
        XDG_SESSION_TYPE="x11",
    )
    return env


def run_app(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "ovhkvm-desktop"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_the_plugin_and_qt_modules_need_libraries_that_readelf_also_lists() -> None:
    readelf = shutil.which("readelf")
    assert readelf, "readelf (binutils, with gcc in tools/testbed/install-deps.sh) is missing"
    files = qt_runtime.qt_files()
    assert files is not None
    plugin = files.plugins / "platforms" / "libqxcb.so"
    listed = subprocess.run([readelf, "-d", str(plugin)], capture_output=True, text=True).stdout
    assert qt_runtime.needed_libraries(plugin) == re.findall(r"\(NEEDED\).*\[(.+)\]", listed)
    assert qt_runtime.needed_libraries(ROOT / "README.md") == []


def test_a_broken_or_cut_short_library_has_no_needed_libraries(tmp_path: Path) -> None:
    files = qt_runtime.qt_files()
    assert files is not None
    whole = (files.plugins / "platforms" / "libqxcb.so").read_bytes()
    for size in (0, 4, 64, 100, len(whole) // 2):
        cut = tmp_path / f"cut-{size}.so"
        cut.write_bytes(whole[:size])
        # The section headers sit at the file's end: any cut loses them.
        assert qt_runtime.needed_libraries(cut) == [], size
    broken = tmp_path / "broken.so"
    broken.write_bytes(whole[:64] + b"\xff" * 4096)
    assert qt_runtime.needed_libraries(broken) == []


def test_on_this_test_machine_no_library_is_missing() -> None:
    # The test bed installs the libraries of Qt's xcb plugin (tools/testbed/install-deps.sh).
    assert qt_runtime.missing_libraries({"DISPLAY": ":0"}) is None
    assert qt_runtime.missing_libraries({"WAYLAND_DISPLAY": "wayland-0"}) is None


@pytest.mark.parametrize(
    "environ,platforms",
    [
        ({"DISPLAY": ":0"}, ["xcb"]),
        ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, ["wayland", "xcb"]),
        ({"QT_QPA_PLATFORM": "offscreen"}, []),
        ({"QT_QPA_PLATFORM": "xcb:nograb", "WAYLAND_DISPLAY": "w"}, ["xcb"]),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, ["wayland", "xcb"]),
    ],
)
def test_the_platforms_checked_are_those_qt_tries(
    environ: dict[str, str], platforms: list[str]
) -> None:
    assert qt_runtime.platform_candidates(environ) == platforms


def test_checking_loads_no_qt() -> None:
    code = (
        "import sys; from ovhkvm_desktop import qt_runtime; qt_runtime.check({'DISPLAY': ':0'});"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6.', 'shiboken6'))))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


@pytest.mark.parametrize("command", [[], ["open", "vnc://127.0.0.1:1"]], ids=["app", "open"])
def test_a_missing_xcb_library_is_one_line_naming_its_debian_package(
    tmp_path: Path, command: list[str]
) -> None:
    run = run_app(hidden(tmp_path, "libxcb-cursor.so.0"), *command)
    assert run.returncode == 1
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0] == (
        "ovhkvm-desktop: Qt cannot open a window: its xcb platform needs libxcb-cursor.so.0,"
        " not installed; install with: sudo apt install libxcb-cursor0"
    )
    assert "Reinstalling the application" not in run.stderr  # Qt's own message never shows


def test_several_missing_libraries_are_named_with_their_packages_once(tmp_path: Path) -> None:
    env = hidden(tmp_path, "libxcb-icccm.so.4", "libxkbcommon-x11.so.0", "libxcb-util.so.1")
    run = run_app(env)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1
    packages = run.stderr.split("sudo apt install ", 1)[1].split()
    assert sorted(packages) == ["libxcb-icccm4", "libxcb-util1", "libxkbcommon-x11-0"]


def test_the_module_says_which_packages_for_the_set_up_script(tmp_path: Path) -> None:
    # tools/run-app installs these (as root) or prints the command.
    env = hidden(tmp_path, "libxcb-cursor.so.0")
    command = [sys.executable, "-m", "ovhkvm_desktop.qt_runtime", "--packages"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    assert (run.returncode, run.stdout) == (1, "libxcb-cursor0\n")
    env.pop("LD_LIBRARY_PATH")
    run = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def unserved_display() -> int:
    number = 4700
    while Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
        number += 1
    return number


def test_a_display_that_nothing_serves_is_one_line_not_qts_xcb_cursor_hint(
    tmp_path: Path,
) -> None:
    env = hidden(tmp_path)
    env.update(DISPLAY=f":{unserved_display()}", LD_LIBRARY_PATH="")
    run = run_app(env, "open", "vnc://127.0.0.1:1")
    assert run.returncode == 1
    assert run.stderr == (
        f"ovhkvm-desktop: the app needs a graphical session: nothing answers at"
        f" DISPLAY={env['DISPLAY']} (is the desktop session running, or the SSH connection"
        " forwarding X?)\n"
    )


def test_open_without_a_graphical_session_says_so_in_one_line(tmp_path: Path) -> None:
    env = hidden(tmp_path)
    for name in ("DISPLAY", "LD_LIBRARY_PATH", "XDG_SESSION_TYPE"):
        env.pop(name)
    run = run_app(env, "open", "vnc://127.0.0.1:1")
    assert run.returncode == 1
    assert run.stderr == (
        "ovhkvm-desktop: the app needs a graphical session (neither DISPLAY nor WAYLAND_DISPLAY"
        " is set); the headless commands work without one: see 'ovhkvm-desktop --help'\n"
    )


def test_a_running_x_server_is_found(tmp_path: Path) -> None:
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is missing: run tools/testbed/install-deps.sh"
    number = unserved_display()
    server = subprocess.Popen(
        [xvfb, f":{number}", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            assert server.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
            time.sleep(0.05)
        for display in (f":{number}", f"unix:{number}.0"):
            assert qt_runtime.check({"DISPLAY": display}) is None
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert qt_runtime.check({"DISPLAY": f":{number}"}) is not None


def test_headless_commands_need_no_desktop_libraries(tmp_path: Path) -> None:
    run = run_app(hidden(tmp_path, "libxcb-cursor.so.0"), "--version")
    assert run.returncode == 0 and run.stdout.startswith("ovhkvm-desktop ")
