"""The demo console answers a window that resizes its remote screen as QEMU answers it for a
display that cannot follow: the window offers the choice (the server acknowledged
ExtendedDesktopSize), asks, and says in the user's language that the server kept its size; the
screen stays 640x400 and nothing loops."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ovhkvm_desktop.config import Settings
from ovhkvm_desktop.demo import BackgroundDemo
from ovhkvm_desktop.demo.opening import demo_request
from ovhkvm_desktop.opening import open_console
from ovhkvm_desktop.session import Phase
from ovhkvm_desktop.ui.console_window import ConsoleWindow, console_config
from ovhkvm_desktop.ui.framebuffer_view import ScaleMode


@pytest.fixture
def demo() -> Iterator[BackgroundDemo]:
    server = BackgroundDemo("fr")
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "The server kept its screen size (invalid layout)"),
        ("fr", "Le serveur a gardé sa taille d'écran (agencement d'écrans invalide)"),
    ],
)
def test_resizing_the_demos_screen_is_refused_in_words(
    qtbot, speak, demo: BackgroundDemo, tmp_path: Path, lang: str, said: str
) -> None:
    speak(lang)
    opening = open_console(demo_request(demo.address, "fr"))
    window = ConsoleWindow(
        opening.source, console_config(opening), opening.request.options, Settings(tmp_path)
    )
    qtbot.addWidget(window)
    refusals: list[str] = []
    window.bridge.resize_refused.connect(refusals.append)
    shown: list[bool] = []
    window.first_frame.connect(lambda: shown.append(True))
    window.show()
    qtbot.waitUntil(lambda: window.bridge.state.phase is Phase.CONNECTED, timeout=5000)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    window.set_scale_mode(ScaleMode.REMOTE)  # asks once the server's answer is known
    qtbot.waitUntil(lambda: bool(refusals), timeout=5000)
    assert window.statusBar().currentMessage() == said
    qtbot.wait(1500)
    # No loop and no second request: the window asked for its size once, was told, and stops
    # there until its size or the server's changes.
    assert refusals == [refusals[0]]
    window.resize(window.width() + 120, window.height() + 80)  # a new size is asked again
    qtbot.waitUntil(lambda: len(refusals) == 2, timeout=5000)
    qtbot.wait(1000)
    assert len(refusals) == 2
    assert window.view.framebuffer_size().toTuple() == (640, 400)
    window.close()
