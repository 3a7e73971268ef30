"""The desktop integration: packaging/linux's entries are valid (desktop-file-validate, from
desktop-file-utils), tools/desktop_entry.py installs them for the user with an Exec that starts
this very installation (even from a path with spaces, quotes, `$`, backticks, backslashes or `%`)
and the icons, and uninstalls them; the vnc:// handler ends the options before the URL; the icons
are the app's drawing.

Exec lines are read here by the Desktop Entry Specification, written out below independently of
the tool, and by GLib itself (`gio launch`, from libglib2.0-bin), as desktops start them."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGING = ROOT / "packaging" / "linux"
TOOL = ROOT / "tools" / "desktop_entry.py"
APP_ID = "io.github.ovhkvm_desktop.OvhkvmDesktop"
MAIN, HANDLER = f"{APP_ID}.desktop", f"{APP_ID}.Open.desktop"
ENTRIES = (MAIN, HANDLER)
#: Every character the specification reserves in an Exec argument, and `%`.
HOSTILE_DIR = 'my "apps" $HOME `id` $(id) \\ 100% it\'s; a&b|c <d> ~e *?#(f)'


# -- the specification, read independently of tools/desktop_entry.py ---------------------------


def unescape_string(raw: str) -> str:
    """A string value's escapes undone: \\s \\n \\t \\r \\\\ (the general rule)."""
    out, i = [], 0
    while i < len(raw):
        if raw[i] == "\\":
            nxt = raw[i + 1 : i + 2]
            assert nxt in ("s", "n", "t", "r", "\\"), f"invalid escape \\{nxt} in {raw!r}"
            out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}[nxt])
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def exec_arguments(raw: str) -> list[str]:
    """The Exec key's words: string escapes undone, then the quoting (field codes left)."""
    value = unescape_string(raw)
    words: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == " ":
            i += 1
            continue
        word = []
        if value[i] == '"':
            i += 1
            while value[i] != '"':
                if value[i] == "\\":
                    assert value[i + 1] in '"`$\\', f"bad escape in a quoted argument: {value!r}"
                    i += 1
                word.append(value[i])
                i += 1
            i += 1
            assert i == len(value) or value[i] == " ", f"text right after a quote: {value!r}"
        else:
            while i < len(value) and value[i] != " ":
                assert value[i] not in "\t\n\"'\\><~|&;$*?#()`", f"unquoted reserved: {value!r}"
                word.append(value[i])
                i += 1
        words.append("".join(word))
    return words


def expand(words: list[str], url: str) -> list[str]:
    """Field codes expanded for one URL (%u), and %% into %."""
    out = []
    for word in words:
        if word == "%u":
            out.append(url)
            continue
        assert "%" not in word.replace("%%", ""), f"a field code inside {word!r}"
        out.append(word.replace("%%", "%"))
    return out


def entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def validate(path: Path) -> None:
    run = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert run.returncode == 0 and not run.stdout.strip(), run.stdout + run.stderr


def install(executable: Path, home: Path) -> dict[str, Path]:
    env = {"XDG_DATA_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(home.parent)}
    run = subprocess.run(
        [sys.executable, str(TOOL), "--exec", str(executable)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return {name: home / "applications" / name for name in ENTRIES}


def recorder(directory: Path) -> Path:
    """An executable that writes the arguments it was started with to $RECORD."""
    directory.mkdir(parents=True)
    script = directory / "ovhkvm-desktop"
    script.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "open(os.environ['RECORD'], 'w').write(json.dumps(sys.argv))\n"
    )
    script.chmod(0o755)
    return script


def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("desktop_entry", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENTRIES)
def test_the_entries_are_valid(name: str) -> None:
    validate(PACKAGING / name)


@pytest.mark.parametrize("name", ENTRIES)
def test_every_packaged_value_is_escaped_as_a_desktop_string(name: str) -> None:
    escape = tool().escape_string
    for key, raw in entry(PACKAGING / name).items():
        assert escape(unescape_string(raw)) == raw, f"{name}: {key}={raw}"


def test_the_link_handler_ends_the_options_before_the_url() -> None:
    words = exec_arguments(entry(PACKAGING / HANDLER)["Exec"])
    assert words == ["ovhkvm-desktop", "open", "--", "%u"]
    # A URL that looks like an option reaches the app as the target.
    assert expand(words, "--version")[1:] == ["open", "--", "--version"]


@pytest.mark.parametrize(
    "argument",
    [
        "plain",
        "",
        "with space",
        'a "quoted" word',
        "$HOME and $(id) and `id`",
        "back\\slash \\\\ two",
        "100%",
        "%u.d",  # a field code in a path stays text
        "%u",  # as the program: a path, never a field code
        "tab\tnew\nline\rreturn",
        " leading space",
        "it's; a&b|c <d> ~e *?#(f)",
        "é ü 漢字",
    ],
)
def test_an_exec_argument_reads_back_as_written(argument: str) -> None:
    value = tool().exec_value(argument, ["open", "--", "%u"])
    assert expand(exec_arguments(value), "vnc://h") == [argument, "open", "--", "vnc://h"]
    if argument != "%u":  # a lone %u among the arguments is the field code
        value = tool().exec_value("/opt/" + argument, [argument, "--", "%u"])
        words = exec_arguments(value)
        assert expand(words, "vnc://h") == ["/opt/" + argument, argument, "--", "vnc://h"]


def test_install_then_uninstall_for_the_user(tmp_path: Path) -> None:
    # This installation's executable, reached through a directory with a space in its name.
    app = Path(sys.executable).parent / "ovhkvm-desktop"
    assert app.is_file()
    spaced = tmp_path / "my apps" / "ovhkvm-desktop"
    spaced.parent.mkdir()
    spaced.symlink_to(app)
    home = tmp_path / "share"
    installed = install(spaced, home)
    main, handler = installed[MAIN], installed[HANDLER]
    for path in (main, handler):
        validate(path)
    assert entry(handler)["MimeType"] == "x-scheme-handler/vnc;"
    assert exec_arguments(entry(handler)["Exec"]) == [str(spaced), "open", "--", "%u"]
    # The menu entry starts this installation.
    command = exec_arguments(entry(main)["Exec"])
    assert command == [str(spaced)]
    version = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("ovhkvm-desktop "), version
    icons = sorted(p.relative_to(home) for p in home.glob("icons/hicolor/*/apps/*.png"))
    assert len(icons) == 8 and Path(f"icons/hicolor/48x48/apps/{APP_ID}.png") in icons
    assert (home / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()

    env = {"XDG_DATA_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, str(TOOL), "--uninstall"], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert not main.exists() and not handler.exists()
    assert not list(home.glob("icons/hicolor/*/apps/*.png"))
    assert not list(home.glob("metainfo/*"))


def test_the_tool_qt_and_the_packaged_files_use_one_app_id() -> None:
    from ovhkvm_desktop.ui.icon import APP_ID as QT_APP_ID

    assert tool().APP_ID == QT_APP_ID == APP_ID
    assert f"Icon={APP_ID}" in (PACKAGING / MAIN).read_text(encoding="utf-8").splitlines()


def test_a_hostile_path_is_started_as_it_is_with_the_url_after_the_options(
    tmp_path: Path,
) -> None:
    program = recorder(tmp_path / HOSTILE_DIR)
    installed = install(program, tmp_path / "share")
    handler = installed[HANDLER]
    for path in installed.values():
        validate(path)
    record = tmp_path / "argv.json"
    for url in ("vnc://:pw@host:5901", "--version", "-x vnc://h;$(id)"):
        words = expand(exec_arguments(entry(handler)["Exec"]), url)
        run = subprocess.run(words, env={**os.environ, "RECORD": str(record)}, timeout=60)
        assert run.returncode == 0
        assert json.loads(record.read_text()) == [str(program), "open", "--", url]


def test_glib_starts_the_installed_handler_from_a_path_with_quotes_dollars_and_backticks(
    tmp_path: Path,
) -> None:
    """As desktops do (GLib's GDesktopAppInfo, through `gio launch`). Not with a `%` in the path:
    GLib looks for the program before it expands `%%`, and finds none (a GLib limitation; the
    specification's reading is checked above)."""
    if not shutil.which("gio"):
        pytest.fail("gio is not installed: apt-get install libglib2.0-bin", pytrace=False)
    program = recorder(tmp_path / HOSTILE_DIR.replace("%", ""))
    handler = install(program, tmp_path / "share")[HANDLER]
    record = tmp_path / "argv.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS_")}
    env["RECORD"] = str(record)
    url = "vnc://h:5901/"
    run = subprocess.run(
        ["gio", "launch", str(handler), url], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    deadline = time.monotonic() + 20
    while not record.exists() or not record.read_text():
        assert time.monotonic() < deadline, "the handler was not started"
        time.sleep(0.05)
    assert json.loads(record.read_text()) == [str(program), "open", "--", url]


def test_a_missing_executable_is_refused(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(TOOL), "--exec", str(tmp_path / "nothing")],
        env={"XDG_DATA_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr.strip().endswith("is not an executable")
    assert not (tmp_path / "applications").exists()


def test_a_program_path_with_an_equal_sign_is_refused(tmp_path: Path) -> None:
    # The specification forbids '=' in the Exec key's program, quoted or not.
    program = recorder(tmp_path / "a=b")
    run = subprocess.run(
        [sys.executable, str(TOOL), "--exec", str(program)],
        env={"XDG_DATA_HOME": str(tmp_path / "share")},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "holds '='" in run.stderr
    assert not (tmp_path / "share" / "applications").exists()


def test_the_icons_are_the_apps_drawing(qapp) -> None:
    from PySide6.QtGui import QImage

    from ovhkvm_desktop.ui.icon import ICON_SIZES, icon_pixmap

    for size in ICON_SIZES:
        path = PACKAGING / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        stored = QImage(str(path)).convertToFormat(QImage.Format.Format_ARGB32)
        drawn = icon_pixmap(size).toImage().convertToFormat(QImage.Format.Format_ARGB32)
        assert (stored.width(), stored.height()) == (size, size)
        a = np.frombuffer(stored.constBits(), np.uint8, stored.sizeInBytes()).astype(int)
        b = np.frombuffer(drawn.constBits(), np.uint8, drawn.sizeInBytes()).astype(int)
        assert np.abs(a - b).mean() < 2, f"{path}: run tools/gen_icons.py"
