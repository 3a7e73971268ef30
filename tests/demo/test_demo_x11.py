"""The demo console typed into through a real X server: `ovhkvm-desktop demo`'s window (the
demo's own request through `open`'s path), a user's keyboard set with setxkbmap, xdotool typing
(XTEST: the X server turns characters into key codes of its keymap, as a keyboard would). What
the demo guest received must be what was typed, whatever the host's and the guest's layouts."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ovhkvm_desktop.demo import BackgroundDemo
from tests.e2e.test_window_e2e import XServer

REPO = Path(__file__).resolve().parents[2]
# Letters that sit elsewhere on AZERTY (a q z w m), digits (shifted there), punctuation, accents.
TEXT = "azerty qwerty mw 1234 ,;:! @#"


@pytest.fixture(scope="module")
def x_server() -> Iterator[XServer]:
    server = XServer()
    yield server
    server.close()


def typed_through_x(x: XServer, host: str, guest: str, text: str, *options: str) -> str:
    """`text` typed with xdotool on a `host` keyboard into a window on a `guest` demo."""
    x.set_keyboard(host)
    demo = BackgroundDemo(guest, qemu_keys="--plain-keys" not in options)
    with tempfile.TemporaryDirectory(prefix="ovhkvm-demo-x11-") as tmp:
        ready = Path(tmp) / "ready"
        env = dict(
            os.environ,
            DISPLAY=x.display,
            QT_QPA_PLATFORM="xcb",
            OVHKVM_CONFIG_DIR=str(Path(tmp) / "config"),
            OVHKVM_WINDOW_READY_FILE=str(ready),
        )
        window_options = [o for o in options if o != "--plain-keys"]
        process = subprocess.Popen(
            [sys.executable, "-m", "ovhkvm_desktop", "open", demo.address, "--layout", guest,
             "--guest", "console", *window_options],
            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not (ready.exists() and ready.read_text().strip()):
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "the window did not show the demo"
                time.sleep(0.05)
            window = ready.read_text().strip()
            x.run("xdotool", "windowfocus", "--sync", window)
            x.run("xdotool", "type", "--delay", "40", "--window", window, text)
            deadline = time.monotonic() + 20
            console = demo.server.console
            while len(console.typed) < len(text) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # nothing more arrives
            return console.typed
        finally:
            process.terminate()
            process.wait(10)
            demo.stop()


@pytest.mark.parametrize(
    ("host", "guest"), [("fr", "fr"), ("us", "fr"), ("fr", "us"), ("us", "us")]
)
def test_what_a_keyboard_types_is_what_the_demo_receives(
    x_server: XServer, host: str, guest: str
) -> None:
    text = TEXT + " é"  # on a US keyboard xdotool lends it a spare key code
    assert typed_through_x(x_server, host, guest, text) == text


def test_without_extended_key_events_too(x_server: XServer) -> None:
    text = TEXT + " é"
    assert typed_through_x(x_server, "us", "fr", text, "--plain-keys") == text
