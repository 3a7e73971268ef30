"""A virtual X screen (Xvfb) for the screenshot tools: tools/window-screenshot.py and
tools/demo-screenshot.py take the README's pictures on it."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


def free_display() -> int:
    """An X display number no server holds (no socket, no lock file)."""
    for number in range(90, 200):
        taken = Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists()
        if not taken:
            return number
    raise SystemExit("no free X display number")


@contextlib.contextmanager
def virtual_screen(size: str) -> Iterator[str]:
    """Xvfb on a free display, a screen of ``size`` ("WIDTHxHEIGHT") at 24 bits, until the block
    ends: yields the display (":N")."""
    number = free_display()
    display = f":{number}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if xvfb.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("Xvfb did not start")
            time.sleep(0.05)
        yield display
    finally:
        xvfb.terminate()
        xvfb.wait(10)
