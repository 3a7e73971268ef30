#!/usr/bin/env python3
"""Put ovhkvm-desktop in the desktop's application menu (and make it open vnc:// links), for the
current user: the entries of packaging/linux/ and their icons, under $XDG_DATA_HOME
(~/.local/share). Usually run through tools/install-desktop-entry, which installs the app first.

    desktop_entry.py --exec PATH      install, the entries starting PATH (the app's executable)
    desktop_entry.py --uninstall      remove what an install put there
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging" / "linux"
ENTRIES = ("ovhkvm-desktop.desktop", "ovhkvm-desktop-open.desktop")
ICON = "ovhkvm-desktop.png"


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _quoted(path: str) -> str:
    """A path as the Exec key wants it: quoted when it holds a space or a reserved character."""
    if not any(c in path for c in " \t\"'\\><~|&;$*?#()`"):
        return path
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'


def install(executable: str) -> list[Path]:
    written = []
    applications = data_home() / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    for name in ENTRIES:
        lines = (PACKAGING / name).read_text(encoding="utf-8").splitlines()
        lines = [
            "Exec=" + _quoted(executable) + line[len("Exec=ovhkvm-desktop") :]
            if line.startswith("Exec=ovhkvm-desktop")
            else line
            for line in lines
        ]
        target = applications / name
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(target)
    for source in (PACKAGING / "icons").glob(f"hicolor/*/apps/{ICON}"):
        target = data_home() / "icons" / source.relative_to(PACKAGING / "icons")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    _refresh(applications)
    return written


def uninstall() -> list[Path]:
    removed = []
    candidates = [data_home() / "applications" / name for name in ENTRIES]
    candidates += list((data_home() / "icons").glob(f"hicolor/*/apps/{ICON}"))
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
    for path in install(executable):
        print(f"installed {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
