"""Qt tests of the console window: offscreen Qt, a real RFB server on loopback (rfb_server.py)."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything creates the QApplication

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ovhkvm_desktop.config import Settings
from ovhkvm_desktop.demo.opening import demo_request
from ovhkvm_desktop.keyboard import KeyboardMode
from ovhkvm_desktop.opening import open_console
from ovhkvm_desktop.session import Backoff, Phase, SessionOptions
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.ui import language
from ovhkvm_desktop.ui.console_window import ConsoleConfig, ConsoleWindow, console_config
from ovhkvm_desktop.ui.framebuffer_view import ScaleMode
from tests.ui.rfb_server import RfbServer

#: The French catalogue's source (Qt Linguist's .ts).
FRENCH_TS = (
    Path(__file__).resolve().parents[2] / "resources" / "translations" / "ovhkvm-desktop_fr.ts"
)


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


@pytest.fixture(scope="module")
def compiled_french(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The French catalogue compiled from its .ts by Qt's lrelease, as setup.py does."""
    out = tmp_path_factory.mktemp("translations")
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from PySide6.scripts.pyside_tool import qt_tool_wrapper;"
            " qt_tool_wrapper('lrelease', sys.argv[1:])",
            "-silent",
            str(FRENCH_TS),
            "-qm",
            str(out / "ovhkvm-desktop_fr.qm"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return out


@pytest.fixture
def speak(compiled_french: Path, monkeypatch: pytest.MonkeyPatch, qapp) -> Iterator[Callable]:
    """``speak("fr")``: the app speaks French from now on (its catalogue compiled from the .ts
    of the checkout, whatever an older .qm beside it says); the system's language afterwards."""
    monkeypatch.setattr(language, "TRANSLATIONS_DIR", compiled_french)

    def switch(lang: str) -> None:
        language.install_language(lang)

    yield switch
    language.install_language("")  # the system's, as the other tests expect


def demo_console_window(qtbot, address: str, layout: str, settings_dir: Path) -> ConsoleWindow:
    """A console window on a demo server at ``address``, opened the way the main window opens
    one (the demo's request → open_console → the window), connected and showing its screen."""
    opening = open_console(demo_request(address, layout))
    window = ConsoleWindow(
        opening.source,
        console_config(opening),
        opening.request.options,
        Settings(settings_dir / "settings"),
    )
    qtbot.addWidget(window)
    shown: list[bool] = []
    window.first_frame.connect(lambda: shown.append(True))
    window.show()
    qtbot.waitUntil(lambda: window.bridge.state.phase is Phase.CONNECTED, timeout=5000)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    return window
