#!/usr/bin/env python3
"""A real screenshot of the demo console's window, typed into, for the README.

    .venv/bin/python tools/demo-screenshot.py [--out resources/screenshots/demo.png]
        [--language en|fr] [--first-run]

Starts Xvfb, runs `ovhkvm-desktop demo` there (the French AZERTY demo guest), waits for its
first picture, types a French line through the X server's keyboard with xdotool (a US keyboard:
what the user types is what the French guest shows), and grabs the window as the X server shows
it, toolbar and status bar included (tools/window-screenshot.py --capture). No test bed needed.

`--language fr` runs the app under a French locale (its windows and Qt's dialogs in French);
`--first-run` shows the app's main window on its first run instead (no account yet: the three
ways in, the demo console among them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xvfb_screen import virtual_screen  # tools/, beside this script

REPO = Path(__file__).resolve().parent.parent
LINE = "echo 'Bonjour, ça va ? Où êtes-vous ?' # AZERTY, tapé sur QWERTY"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "resources/screenshots/demo.png")
    parser.add_argument("--size", default="1280x900", help="the X screen (1280x900)")
    parser.add_argument("--language", choices=("en", "fr"), default="en")
    parser.add_argument("--first-run", action="store_true", help="the main window, no account")
    args = parser.parse_args()
    locale = {"en": "C.UTF-8", "fr": "fr_FR.UTF-8"}[args.language]
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"demo-screenshot: {tool} is missing (tools/testbed/install-deps.sh)")
    with (
        tempfile.TemporaryDirectory(prefix="ovhkvm-demo-shot-") as tmp,
        virtual_screen(args.size) as display,
    ):
        app = None
        try:
            ready = Path(tmp) / "ready"
            env = dict(
                os.environ,
                DISPLAY=display,
                QT_QPA_PLATFORM="xcb",
                OVHKVM_CONFIG_DIR=str(Path(tmp) / "config"),
                OVHKVM_WINDOW_READY_FILE=str(ready),
                LANG=locale,
                LC_ALL=locale,
                LANGUAGE=args.language,
                XDG_RUNTIME_DIR=tmp,  # the app's one-instance socket: its own
            )
            if args.first_run:
                return first_run(env, args.out)
            app = subprocess.Popen(
                [sys.executable, "-m", "ovhkvm_desktop", "demo"], env=env, cwd=REPO
            )
            deadline = time.monotonic() + 30
            while not ready.exists() or not ready.read_text().strip():
                if app.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("demo-screenshot: the window did not show the demo console")
                time.sleep(0.1)
            window = ready.read_text().strip()
            # xdotool reads its text in a locale the machine has (the app's may not be built).
            keys = dict(env, LANG="C.UTF-8", LC_ALL="C.UTF-8")
            subprocess.run(["xdotool", "windowfocus", "--sync", window], env=keys, check=True)
            time.sleep(0.5)
            subprocess.run(["xdotool", "type", "--delay", "40", LINE], env=keys, check=True)
            subprocess.run(["xdotool", "key", "Return"], env=keys, check=True)
            subprocess.run(["xdotool", "type", "--delay", "40", "ls"], env=keys, check=True)
            time.sleep(2.0)  # the last keys on screen, the status bar's first figures
            args.out.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [sys.executable, str(REPO / "tools/window-screenshot.py"), "--capture", window,
                 str(args.out)],
                env=env,
                check=True,
            )  # fmt: skip
            print(f"demo-screenshot: wrote {args.out}")
        finally:
            if app is not None:
                app.terminate()
                app.wait(10)
    return 0


def first_run(env: dict[str, str], out: Path) -> int:
    """The app's main window on its first run, grabbed once it shows."""
    app = subprocess.Popen([sys.executable, "-m", "ovhkvm_desktop"], env=env, cwd=REPO)
    try:
        found = subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--class", "ovhkvm"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        windows = found.stdout.split()
        if found.returncode != 0 or not windows:
            raise SystemExit("demo-screenshot: the main window did not show")
        time.sleep(2.0)  # painted
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(REPO / "tools/window-screenshot.py"), "--capture", windows[-1],
             str(out)],
            env=env,
            check=True,
        )  # fmt: skip
        print(f"demo-screenshot: wrote {out}")
    finally:
        app.terminate()
        app.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
