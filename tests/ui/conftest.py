"""Qt tests of the console window: offscreen Qt, a real RFB server on loopback (rfb_server.py)."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything creates the QApplication

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ovhkvm_desktop.config import Settings
from ovhkvm_desktop.keyboard import KeyboardMode
from ovhkvm_desktop.session import Backoff, Phase, SessionOptions
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.ui.console_window import ConsoleConfig, ConsoleWindow
from ovhkvm_desktop.ui.framebuffer_view import ScaleMode
from tests.ui.rfb_server import RfbServer


@pytest.fixture(autouse=True)
def _config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVHKVM_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def server() -> Iterator[RfbServer]:
    with RfbServer(320, 200) as srv:
        yield srv


def target_of(server: RfbServer) -> ConsoleTarget:
    return ConsoleTarget("tcp", "127.0.0.1", server.port)


WindowFactory = Callable[..., ConsoleWindow]


@pytest.fixture
def make_window(qtbot, tmp_path: Path) -> Iterator[WindowFactory]:
    """Open a console window on a server and wait until it is connected and ready for keys."""
    windows: list[ConsoleWindow] = []

    def make(
        target,
        *,
        layout: str = "us",
        mode: KeyboardMode = KeyboardMode.TRANSLATE,
        scale: ScaleMode = ScaleMode.ACTUAL,
        backoff: Backoff | None = None,
        wait: bool = True,
        **config,
    ) -> ConsoleWindow:
        cfg = ConsoleConfig(
            title="test", server_key="test", layout=layout, mode=mode, scale=scale, **config
        )
        window = ConsoleWindow(
            target,
            cfg,
            SessionOptions(timeout=5),
            Settings(tmp_path / "settings"),
            backoff or Backoff(0.2, 2.0, 1.0),
        )
        qtbot.addWidget(window)
        windows.append(window)
        shown: list[bool] = []
        window.first_frame.connect(lambda: shown.append(True))
        window.show()
        if wait:
            qtbot.waitUntil(lambda: window.bridge.state.phase is Phase.CONNECTED, timeout=5000)
            qtbot.waitUntil(lambda: window.view.image is not None, timeout=5000)
            # Like a user, type once the screen shows: by then the server's acknowledgements
            # (extended key events, LED state), sent before its first update, are known.
            qtbot.waitUntil(lambda: bool(shown), timeout=5000)
        return window

    yield make
    for window in windows:
        window.close()
