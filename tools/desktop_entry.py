#!/usr/bin/env python3
"""Put ovhkvm-desktop in the desktop's application menu (and make it open vnc:// links), for the
current user: the entries of packaging/linux/, their icons and the AppStream file, under
$XDG_DATA_HOME (~/.local/share). Usually run through tools/install-desktop-entry, which installs
the app first.

    desktop_entry.py --exec PATH      install, the entries starting PATH (the app's executable)
    desktop_entry.py --uninstall      remove what an install put there

The Exec lines are written by the Desktop Entry Specification's rules, whatever the path holds
(spaces, quotes, `$`, backticks, backslashes, `%`): launchers undo the string escapes, then the
quoting, then expand the field codes, and the app gets the path and its arguments unchanged.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging" / "linux"
#: The app's id (reverse DNS): the names of its desktop entries, icons and AppStream file, and
#: the desktop file name Qt gives the windows (ovhkvm_desktop/ui/icon.py's APP_ID).
APP_ID = "io.github.ovhkvm_desktop.OvhkvmDesktop"
ENTRIES = (f"{APP_ID}.desktop", f"{APP_ID}.Open.desktop")
ICON = f"{APP_ID}.png"
METAINFO = f"{APP_ID}.metainfo.xml"
#: What installs before the app had a reverse-DNS id put there: uninstalling removes it too.
OLD_ENTRIES = ("ovhkvm-desktop.desktop", "ovhkvm-desktop-open.desktop")
OLD_ICON = "ovhkvm-desktop.png"
#: Each entry's Exec arguments after the program (the packaged entries start `ovhkvm-desktop`,
#: an install the executable given). The link handler's `--` ends the options: the URL it is
#: given is never read as one, whatever it starts with.
EXEC_ARGUMENTS: dict[str, list[str]] = {
    ENTRIES[0]: [],
    ENTRIES[1]: ["open", "--", "%u"],
}
PACKAGED_PROGRAM = "ovhkvm-desktop"
#: Characters that make an Exec argument need quotes (the specification's reserved characters).
EXEC_RESERVED = frozenset(" \t\n\r\"'\\><~|&;$*?#()`")
FIELD_CODE = re.compile(r"%[fFuUdDnNickvm]")


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def escape_string(value: str) -> str:
    r"""A value as a desktop entry's string keys (Name, Comment, Exec...) hold it: backslash,
    newline, tab and carriage return written \\ \n \t \r, and a leading space \s (readers strip
    the spaces around '=')."""
    escaped = (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    )
    return "\\s" + escaped[1:] if escaped.startswith(" ") else escaped


def exec_argument(argument: str) -> str:
    """One Exec argument, before the string escapes: in double quotes when it holds a reserved
    character (or is empty), with `"`, backtick, `$` and backslash escaped inside; every `%`
    doubled, so that no part of a path is read as a field code."""
    argument = argument.replace("%", "%%")
    if argument and not any(c in EXEC_RESERVED for c in argument):
        return argument
    for c in '\\"`$':
        argument = argument.replace(c, "\\" + c)
    return f'"{argument}"'


def exec_value(program: str, arguments: list[str]) -> str:
    """The Exec key's value as the file holds it: the program and its arguments quoted one by
    one, field codes (`%u`) left bare, then the string escapes over the whole (launchers undo
    them first: one backslash in a quoted argument takes four in the file)."""
    if "=" in program:
        raise ValueError(f"an Exec key's program may not contain '=': {program!r}")
    words = [exec_argument(program)]
    words += [a if FIELD_CODE.fullmatch(a) else exec_argument(a) for a in arguments]
    return escape_string(" ".join(words))


def install(executable: str) -> list[Path]:
    written = []
    applications = data_home() / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    for name in ENTRIES:
        lines = (PACKAGING / name).read_text(encoding="utf-8").splitlines()
        packaged = "Exec=" + exec_value(PACKAGED_PROGRAM, EXEC_ARGUMENTS[name])
        if lines.count(packaged) != 1:
            raise SystemExit(f"{PACKAGING / name}: expected one line {packaged!r}")
        installed = "Exec=" + exec_value(executable, EXEC_ARGUMENTS[name])
        lines = [installed if line == packaged else line for line in lines]
        target = applications / name
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(target)
    for source in (PACKAGING / "icons").glob(f"hicolor/*/apps/{ICON}"):
        target = data_home() / "icons" / source.relative_to(PACKAGING / "icons")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    metainfo = data_home() / "metainfo" / METAINFO
    metainfo.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PACKAGING / METAINFO, metainfo)
    written.append(metainfo)
    _refresh(applications)
    return written


def uninstall() -> list[Path]:
    removed = []
    candidates = [data_home() / "applications" / name for name in (*ENTRIES, *OLD_ENTRIES)]
    for icon in (ICON, OLD_ICON):
        candidates += list((data_home() / "icons").glob(f"hicolor/*/apps/{icon}"))
    candidates.append(data_home() / "metainfo" / METAINFO)
    for path in candidates:
        if path.exists():
            path.unlink()
            removed.append(path)
    _refresh(data_home() / "applications")
    return removed


def _refresh(applications: Path) -> None:
    """Tell the desktop (menus, the vnc:// handler) when its tools are there; never required."""
    if shutil.which("update-desktop-database") and applications.is_dir():
        command = ["update-desktop-database", "-q", str(applications)]
        subprocess.run(command, check=False, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--exec", metavar="PATH", help="the app's executable, absolute")
    how.add_argument("--uninstall", action="store_true")
    args = parser.parse_args(argv)
    if args.uninstall:
        for path in uninstall():
            print(f"removed {path}")
        return 0
    executable = os.path.abspath(args.exec)
    if not os.access(executable, os.X_OK):
        print(f"desktop_entry.py: {executable} is not an executable", file=sys.stderr)
        return 2
    if "=" in executable:
        print(
            f"desktop_entry.py: {executable} holds '=', which the Desktop Entry Specification"
            " forbids in an Exec key's program: install the app in another directory",
            file=sys.stderr,
        )
        return 2
    for path in install(executable):
        print(f"installed {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
