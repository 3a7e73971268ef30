"""Notifications: a console that took long to show its screen is announced when it does, a
console that drops while its window is hidden (minimised) is announced; a console the user is
looking at says it itself. Real consoles on a real local RFB server; the rescue notice is in
test_main_window's rescue test."""

from __future__ import annotations

import pytest

from ovhkvm_desktop.session import Phase
from ovhkvm_desktop.ui.main_window import MainWindow
from ovhkvm_desktop.ui.notifications import Notice, Notifier
from tests.ui.rfb_server import RfbServer
from tests.ui.test_main_window import FAST, connected_console, visible_consoles


@pytest.fixture
def window(qtbot):
    window = MainWindow(timings=FAST)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.quitting = True
    window.close_consoles()
    window.close()


def open_address(qtbot, window: MainWindow, server: RfbServer):
    before = visible_consoles()
    window._connect_address(f"vnc://127.0.0.1:{server.port}")
    return connected_console(qtbot, before)


def test_a_console_that_took_long_is_announced_when_ready(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ovhkvm_desktop.ui.main_window.READY_AFTER_S", 0.0)  # every one is slow
    with RfbServer(320, 200) as server:
        open_address(qtbot, window, server)
        qtbot.waitUntil(lambda: bool(window.notifier.given), timeout=5000)
    assert window.notifier.given == [
        Notice("Console ready", f"The console of 127.0.0.1:{server.port} is ready.")
    ]


def test_a_quick_console_is_not_announced(qtbot, window: MainWindow) -> None:
    with RfbServer(320, 200) as server:
        console = open_address(qtbot, window, server)
        qtbot.waitUntil(lambda: console.view.frames_painted > 0, timeout=5000)
    assert window.notifier.given == []


def test_a_console_dropped_while_minimised_is_announced(qtbot, window: MainWindow) -> None:
    with RfbServer(320, 200) as server:
        console = open_address(qtbot, window, server)
        console.showMinimized()
        qtbot.waitUntil(console.isMinimized, timeout=5000)
        server.drop()
        qtbot.waitUntil(lambda: bool(window.notifier.given), timeout=10000)
    (notice,) = window.notifier.given
    assert notice.title == "Console dropped" and notice.warning
    assert notice.text.startswith(f"The console of 127.0.0.1:{server.port} was disconnected")


def test_a_console_dropped_in_front_of_the_user_is_not_announced(qtbot, window: MainWindow) -> None:
    with RfbServer(320, 200) as server:
        console = open_address(qtbot, window, server)
        server.drop()
        qtbot.waitUntil(lambda: console.bridge.state.phase is not Phase.CONNECTED, timeout=10000)
        qtbot.wait(200)
    assert window.notifier.given == []  # the window's own overlay says it


def test_without_a_tray_a_notice_is_kept_not_shown(qtbot) -> None:
    notifier = Notifier()
    assert notifier.notify(Notice("Title", "Text")) is False
    assert notifier.given == [Notice("Title", "Text")]
