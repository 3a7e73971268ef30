"""The clipboard moves only by the user's consent: per server, while the window is active, and
never from one console to another."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from ovhkvm_desktop.ui.console_window import ConsoleWindow
from tests.ui.conftest import target_of
from tests.ui.rfb_server import CutText, RfbServer


def activate(qtbot, window: ConsoleWindow) -> None:
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)


def sent_texts(server: RfbServer) -> list[str]:
    return [m.text for m in server.messages() if isinstance(m, CutText)]


def test_by_default_nothing_crosses_either_way(make_window, server: RfbServer, qtbot) -> None:
    window = make_window(target_of(server))
    activate(qtbot, window)
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("my root password")
    server.cut_text("from the server")
    qtbot.waitUntil(window.clipboard_copy_action.isEnabled, timeout=3000)
    assert clipboard.text() == "my root password"  # the server did not overwrite it
    assert "my root password" not in sent_texts(server)  # nor did it reach the server
    assert "Copy the server's clipboard" in window.status_bar.currentMessage()
    # The user's explicit action copies it, once.
    window.clipboard_copy_action.trigger()
    assert clipboard.text() == "from the server"
    assert not window.clipboard_copy_action.isEnabled()


def test_sending_is_per_server_remembered_and_only_while_the_window_is_active(
    make_window, server: RfbServer, qtbot
) -> None:
    window = make_window(target_of(server))
    activate(qtbot, window)
    clipboard = QGuiApplication.clipboard()
    window.clipboard_out_action.setChecked(True)
    clipboard.setText("typed by the user")
    server.wait_for(lambda m: CutText("typed by the user") in m)
    assert window.settings is not None
    assert window.settings.server_choices("test").get("clipboard_send") == "on"
    # Another window takes the focus: what the user copies there stays local.
    elsewhere = QWidget()
    qtbot.addWidget(elsewhere)
    elsewhere.show()
    elsewhere.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow(), timeout=3000)
    clipboard.setText("copied in another program")
    qtbot.wait(300)
    assert "copied in another program" not in sent_texts(server)
    # Back in the console: the text goes now, since the user allowed this server.
    activate(qtbot, window)
    server.wait_for(lambda m: CutText("copied in another program") in m)


def test_a_servers_clipboard_never_reaches_another_console(
    make_window, server: RfbServer, qtbot
) -> None:
    with RfbServer(320, 200, name="second") as second:
        first = make_window(target_of(server))
        other = make_window(target_of(second))
        assert other.settings is not None
        # The second console may send the user's clipboard; the first takes its server's.
        other.clipboard_out_action.setChecked(True)
        first.clipboard_in_action.setChecked(True)
        activate(qtbot, first)
        server.cut_text("secret of the first server")
        clipboard = QGuiApplication.clipboard()
        qtbot.waitUntil(lambda: clipboard.text() == "secret of the first server", timeout=3000)
        activate(qtbot, other)  # the user goes to the second console
        clipboard.setText(clipboard.text())  # and the clipboard even changes again
        qtbot.wait(400)
        assert "secret of the first server" not in sent_texts(second)
        # What the user copies themself still goes.
        clipboard.setText("the user's own text")
        second.wait_for(lambda m: CutText("the user's own text") in m)


def test_a_console_in_the_background_does_not_take_its_servers_clipboard(
    make_window, server: RfbServer, qtbot
) -> None:
    window = make_window(target_of(server))
    window.clipboard_in_action.setChecked(True)
    elsewhere = QWidget()
    qtbot.addWidget(elsewhere)
    elsewhere.show()
    elsewhere.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow(), timeout=3000)
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("the user's")
    server.cut_text("pushed while in the background")
    qtbot.waitUntil(window.clipboard_copy_action.isEnabled, timeout=3000)
    assert clipboard.text() == "the user's"
