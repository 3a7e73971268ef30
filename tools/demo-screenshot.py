#!/usr/bin/env python3
"""A real screenshot of the demo console's window, typed into, for the README.

    .venv/bin/python tools/demo-screenshot.py [--out resources/screenshots/demo.png]

Starts Xvfb, runs `ovhkvm-desktop demo` there (the French AZERTY demo guest), waits for its
first picture, types a French line through the X server's keyboard with xdotool (a US keyboard:
what the user types is what the French guest shows), and grabs the window as the X server shows
it, toolbar and status bar included (tools/window-screenshot.py --capture). No test bed needed.
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

REPO = Path(__file__).resolve().parent.parent
LINE = "echo 'Bonjour, ça va ? Où êtes-vous ?' # AZERTY, tapé sur QWERTY"


def free_display() -> int:
    for number in range(90, 200):
        taken = Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists()
        if not taken:
            return number
    raise SystemExit("demo-screenshot: no free X display number")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "resources/screenshots/demo.png")
    parser.add_argument("--size", default="1280x900", help="the X screen (1280x900)")
    args = parser.parse_args()
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"demo-screenshot: {tool} is missing (tools/testbed/install-deps.sh)")
    number = free_display()
    display = f":{number}"
    with tempfile.TemporaryDirectory(prefix="ovhkvm-demo-shot-") as tmp:
        xvfb = subprocess.Popen(
            ["Xvfb", display, "-screen", "0", f"{args.size}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        app = None
        try:
            deadline = time.monotonic() + 10
            while not Path(f"/tmp/.X11-unix/X{number}").exists():
                if time.monotonic() > deadline:
                    raise SystemExit("demo-screenshot: Xvfb did not start")
                time.sleep(0.05)
            ready = Path(tmp) / "ready"
            env = dict(
                os.environ,
                DISPLAY=display,
                QT_QPA_PLATFORM="xcb",
                OVHKVM_CONFIG_DIR=str(Path(tmp) / "config"),
                OVHKVM_WINDOW_READY_FILE=str(ready),
            )
            app = subprocess.Popen(
                [sys.executable, "-m", "ovhkvm_desktop", "demo"], env=env, cwd=REPO
            )
            deadline = time.monotonic() + 30
            while not ready.exists() or not ready.read_text().strip():
                if app.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("demo-screenshot: the window did not show the demo console")
                time.sleep(0.1)
            window = ready.read_text().strip()
            subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, check=True)
            time.sleep(0.5)
            subprocess.run(["xdotool", "type", "--delay", "40", LINE], env=env, check=True)
            subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
            subprocess.run(["xdotool", "type", "--delay", "40", "ls"], env=env, check=True)
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
            xvfb.terminate()
            xvfb.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
