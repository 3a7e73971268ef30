"""The console window, end to end: a real X server, `ovhkvm-desktop open`, xdotool, a QEMU guest.

The X server is Xtigervnc (a real X server that honours `setxkbmap`, unlike Xvfb on these
machines: DESIGN.md, "Test bed"). The user's keyboard is set with setxkbmap, xdotool types into
the window (XTEST: the X server turns the characters into key codes of its keymap, as a keyboard
would), and the guest's tty1 reports every byte it received on its serial port.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.testbed import QemuGuest, free_port

REPO = Path(__file__).resolve().parents[2]
# Letters that sit elsewhere on AZERTY (a q z w m), digits (shifted there), punctuation.
TEXT = "azerty qwerty mw 1234 ,;:!"


def _free_display() -> int:
    for number in range(70, 200):
        if not (
            Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists()
        ):
            return number
    raise RuntimeError("no free X display number")


class XServer:
    """Xtigervnc on a display of its own (its VNC side stays on loopback, unused)."""

    def __init__(self) -> None:
        if shutil.which("Xtigervnc") is None or shutil.which("xdotool") is None:
            pytest.fail(
                "Xtigervnc or xdotool is missing: run tools/testbed/install-deps.sh", pytrace=False
            )
        self.number = _free_display()
        self.display = f":{self.number}"
        self.proc = subprocess.Popen(
            [
                "Xtigervnc",
                self.display,
                "-SecurityTypes",
                "None",
                "-localhost",
                "-rfbport",
                str(free_port()),
                "-geometry",
                "1280x900",
                "-depth",
                "24",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while not Path(f"/tmp/.X11-unix/X{self.number}").exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Xtigervnc did not start", pytrace=False)
            time.sleep(0.05)

    def run(self, *args: str) -> str:
        env = dict(os.environ, DISPLAY=self.display)
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def set_keyboard(self, layout: str) -> None:
        self.run("setxkbmap", layout)
        # The check DESIGN.md asks for: the key left of W types q on us, a on fr.
        line = next(
            line
            for line in self.run("xmodmap", "-pke").splitlines()
            if line.startswith("keycode  24 ")
        )
        assert line.split("=")[1].split()[0] == {"us": "q", "fr": "a"}[layout], line

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def x_server() -> Iterator[XServer]:
    server = XServer()
    yield server
    server.close()


class Window:
    """`ovhkvm-desktop open` running on the X server."""

    def __init__(self, x: XServer, guest: QemuGuest, *args: str) -> None:
        self.x = x
        self.tmp = tempfile.TemporaryDirectory(prefix="ovhkvm-window-")
        ready = Path(self.tmp.name) / "ready"
        env = dict(
            os.environ,
            DISPLAY=x.display,
            QT_QPA_PLATFORM="xcb",
            OVHKVM_CONFIG_DIR=str(Path(self.tmp.name) / "config"),
            OVHKVM_WINDOW_READY_FILE=str(ready),
        )
        self.log = Path(self.tmp.name) / "log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ovhkvm_desktop", "open", guest.vnc_url, *args],
            env=env,
            cwd=REPO,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while not (ready.exists() and ready.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"the window did not show the console:\n{self.log.read_text()}"
                )
            time.sleep(0.05)
        self.id = int(ready.read_text())
        x.run("xdotool", "windowfocus", "--sync", str(self.id))

    def type(self, text: str) -> None:
        self.x.run("xdotool", "type", "--delay", "40", "--window", str(self.id), text)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.tmp.cleanup()


def _typed(x: XServer, guest: QemuGuest, host: str, *args: str, text: str = TEXT) -> bytes:
    x.set_keyboard(host)
    window = Window(x, guest, *args)
    try:
        mark = guest.serial_mark()
        window.type(text)
        return guest.wait_for_received(text.encode(), since=mark, timeout=20)
    finally:
        window.close()


def test_french_keyboard_into_a_french_guest(x_server: XServer, console_guest) -> None:
    guest = console_guest("fr")
    assert _typed(x_server, guest, "fr", "--layout", "fr") == TEXT.encode()


def test_us_keyboard_into_a_french_guest_translates(x_server: XServer, console_guest) -> None:
    guest = console_guest("fr")
    text = TEXT + " é"  # not on a US keyboard: xdotool lends it a spare key code
    got = _typed(x_server, guest, "us", "--layout", "fr", "--keyboard", "translate", text=text)
    assert got == text.encode()


def test_physical_mode_with_matching_layouts(x_server: XServer, console_guest) -> None:
    guest = console_guest("fr")
    got = _typed(x_server, guest, "fr", "--layout", "fr", "--keyboard", "physical")
    assert got == TEXT.encode()


def test_a_capture_of_the_window_shows_the_guest_screen(x_server: XServer, console_guest) -> None:
    guest = console_guest("fr")
    x_server.set_keyboard("us")
    window = Window(x_server, guest, "--layout", "us", "--scale", "actual")
    try:
        time.sleep(1.0)
        shot = Path(window.tmp.name) / "window.png"
        x_server.run(
            sys.executable,
            str(REPO / "tools/window-screenshot.py"),
            "--capture",
            str(window.id),
            str(shot),
        )
        from PIL import Image

        captured = np.asarray(Image.open(shot).convert("RGB"))
        screen = guest.screendump_rgb()
    finally:
        window.close()
    assert _find(captured, screen), "the guest's screen is not in the window's capture"


def _find(haystack: np.ndarray, needle: np.ndarray) -> bool:
    """Whether ``needle`` appears inside ``haystack`` (both H x W x 3), pixel for pixel but for
    the console's blinking cursor (at most 0.5 % of the pixels may differ)."""
    h, w = needle.shape[:2]
    if haystack.shape[0] < h or haystack.shape[1] < w:
        return False
    row = int(np.argmax((needle.sum(axis=2) > 0).sum(axis=1)))  # the busiest row of text
    line = needle[row]
    for y in range(haystack.shape[0] - h + 1):
        windows = np.lib.stride_tricks.sliding_window_view(haystack[y + row], (w, 3))[:, 0]
        for x in np.flatnonzero((windows == line).all(axis=(1, 2))):
            same = (haystack[y : y + h, x : x + w] == needle).all(axis=2)
            if same.mean() >= 0.995:
                return True
    return False
