#!/usr/bin/env python3
"""A real screenshot of the console window, under an X server of its own (Xvfb), for the README.

    .venv/bin/python tools/window-screenshot.py [--out resources/screenshots/window.png]

Boots the QEMU test guest showing the test card (tests/testbed.py, mode "testcard"), starts Xvfb,
runs `ovhkvm-desktop open` on the guest there, waits for the first picture, and grabs the
window from the X server (what a user's screen shows, toolbar and status bar included).

`--capture WINDOW_ID OUT.png` only grabs an existing window of $DISPLAY (the end-to-end test
uses it).
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
sys.path.insert(0, str(REPO))

from xvfb_screen import virtual_screen  # noqa: E402  (tools/, beside this script)


def capture(window_id: int, out: Path) -> None:
    """Grab a window of $DISPLAY into a PNG, as the X server shows it."""
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    screen = app.primaryScreen()  # type: ignore[attr-defined]
    pixmap = screen.grabWindow(window_id)
    if pixmap.isNull() or not pixmap.save(str(out), "PNG"):
        raise SystemExit(f"window-screenshot: could not grab window {window_id:#x}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "resources/screenshots/window.png")
    parser.add_argument("--capture", nargs=2, metavar=("WINDOW_ID", "OUT"))
    parser.add_argument("--size", default="1600x1000", help="the X screen (1600x1000)")
    args = parser.parse_args()
    if args.capture:
        capture(int(args.capture[0], 0), Path(args.capture[1]))
        return 0

    from tests.testbed import QemuGuest, build_guest

    if shutil.which("Xvfb") is None:
        raise SystemExit("window-screenshot: Xvfb is missing (tools/testbed/install-deps.sh)")
    build_guest()
    with (
        tempfile.TemporaryDirectory(prefix="ovhkvm-shot-") as tmp,
        QemuGuest(mode="testcard") as guest,
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
            )
            app = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ovhkvm_desktop",
                    "open",
                    guest.vnc_url,
                    "--layout",
                    "fr",
                    "--scale",
                    "fit",
                ],
                env=env,
                cwd=REPO,
            )
            deadline = time.monotonic() + 30
            while not ready.exists() or not ready.read_text().strip():
                if app.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("window-screenshot: the window did not show the console")
                time.sleep(0.1)
            time.sleep(2.5)  # the whole test card, the status bar's first figures
            args.out.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [sys.executable, __file__, "--capture", ready.read_text().strip(), str(args.out)],
                env=env,
                check=True,
            )
            print(f"window-screenshot: wrote {args.out}")
        finally:
            if app is not None:
                app.terminate()
                app.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
