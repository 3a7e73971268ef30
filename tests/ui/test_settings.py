"""The Settings dialog: what it shows, what it stores in the one settings store, and its choices
applied where they matter: new consoles (keyboard mode, guest system, scaling, menu key, key
delay, clipboard defaults, a server's own choices winning), the main window's close, the app's
start hidden in the tray, and a new process of the app (a console's scaling seen on the wire)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QSystemTrayIcon, QToolButton

from ovhkvm_desktop.config import Preferences, Settings
from ovhkvm_desktop.keyboard import KeyboardMode
from ovhkvm_desktop.keyboard.layouts import GuestSystem
from ovhkvm_desktop.ui.app import DesktopApp
from ovhkvm_desktop.ui.console_window import ConsoleWindow
from ovhkvm_desktop.ui.framebuffer_view import ScaleMode
from ovhkvm_desktop.ui.instance import AppRequest
from ovhkvm_desktop.ui.main_window import MainWindow
from ovhkvm_desktop.ui.settings_dialog import SettingsDialog
from ovhkvm_desktop.ui.tray import ServerTray
from tests.ui.conftest import target_of
from tests.ui.rfb_server import DesktopSize, RfbServer
from tests.ui.test_main_window import FAST, connected_console, visible_consoles
from tests.window_process import WindowProcess

CHOSEN = Preferences(
    language="fr",
    scale="actual",
    menu_key="F12",
    keyboard="physical",
    guest="console",
    key_delay_ms=40.0,
    start_hidden=True,
    close_to_tray=False,
    clipboard_send=True,
    clipboard_take=False,
    remember_geometry=False,
)


@pytest.fixture
def window(qtbot):
    window = MainWindow(timings=FAST)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.quitting = True
    window.close_consoles()
    window.close()


def choose(combo, value: str) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def test_the_dialog_stores_every_choice_in_the_settings_file(qtbot, window: MainWindow) -> None:
    dialog = window.open_settings()
    assert isinstance(dialog, SettingsDialog) and dialog.isVisible()
    assert dialog.preferences() == Preferences()  # nothing chosen yet: the defaults
    assert dialog.language.currentText() == "The system's language"
    assert not dialog.start_hidden.isEnabled()  # no tray offscreen: says so instead
    choose(dialog.language, "fr")
    choose(dialog.scale, "actual")
    choose(dialog.menu_key, "F12")
    choose(dialog.keyboard, "physical")
    choose(dialog.guest, "console")
    dialog.key_delay.setValue(40)
    dialog.start_hidden.setChecked(True)
    dialog.close_to_tray.setChecked(False)
    dialog.clipboard_send.setChecked(True)
    dialog.remember_geometry.setChecked(False)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.LeftButton)
    assert not dialog.isVisible()
    assert Settings().preferences() == CHOSEN
    assert window.preferences == CHOSEN
    # Shown again as stored; Restore Defaults puts the defaults back in the widgets.
    again = window.open_settings()
    assert again.preferences() == CHOSEN
    assert again.language.currentText() == "Français"
    assert again.key_delay.text() == "40 ms"
    again.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).click()
    assert again.preferences() == Preferences()
    assert again.key_delay.text() == "Default (15 ms)"
    again.reject()
    assert Settings().preferences() == CHOSEN  # cancelled: nothing stored


def test_new_consoles_follow_the_settings_and_a_servers_own_choices_win(
    qtbot, window: MainWindow
) -> None:
    window.apply_preferences(CHOSEN)
    with RfbServer(320, 200) as server:
        address = f"vnc://127.0.0.1:{server.port}"
        before = visible_consoles()
        window._connect_address(address)
        console: ConsoleWindow = connected_console(qtbot, before)
        config = console.config
        assert config.mode is KeyboardMode.PHYSICAL
        assert console.mode_combo.currentText() == "Physical (key positions)"
        assert config.guest is GuestSystem.CONSOLE
        assert config.scale is ScaleMode.ACTUAL and console.view.scale_mode is ScaleMode.ACTUAL
        assert config.menu_key == "F12"
        menu_buttons = [b.text() for b in console.toolbar.findChildren(QToolButton)]
        assert "Menu (F12)" in menu_buttons
        assert config.key_delay_ms == 40.0
        assert console.clipboard_out_action.isChecked()  # the default for a new server
        assert not console.clipboard_in_action.isChecked()
        # The user turns sending off for this server, and picks keysym: remembered for it.
        console.clipboard_out_action.setChecked(False)
        console.set_keyboard_mode(KeyboardMode.KEYSYM)
        console.close()
        qtbot.waitUntil(lambda: console not in visible_consoles())
        before = visible_consoles()
        window._connect_address(address)
        again: ConsoleWindow = connected_console(qtbot, before)
        assert not again.clipboard_out_action.isChecked()
        assert again.config.mode is KeyboardMode.KEYSYM


def test_closing_the_window_follows_close_to_tray(qtbot, window: MainWindow) -> None:
    tray = QSystemTrayIcon()
    tray.show()  # offscreen has no tray: the icon only says it is shown
    window.tray = tray
    quits: list[bool] = []
    window.quit_requested.connect(lambda: quits.append(True))
    window.close()
    assert not window.isVisible() and quits == []  # kept in the tray (the default)
    window.show()
    window.apply_preferences(Preferences(close_to_tray=False))
    window.close()
    assert quits == [True]
    tray.hide()


def test_the_app_starts_hidden_in_the_tray_and_a_second_start_shows_it(qtbot) -> None:
    Settings().save_preferences(Preferences(start_hidden=True))
    app = QApplication.instance()
    desktop = DesktopApp(app)
    try:
        if desktop.tray is None:  # offscreen has no tray; the app's own, shown anyway
            desktop.tray = ServerTray(desktop.window, on_quit=desktop.quit)
            desktop.window.tray = desktop.tray
        desktop.start()
        qtbot.wait(50)
        assert not desktop.window.isVisible()
        desktop.handle(AppRequest())  # what a second start asks
        qtbot.waitUntil(desktop.window.isVisible)
    finally:
        desktop.window.quitting = True
        desktop.window.close()
        desktop.restore()


def test_without_a_tray_start_hidden_still_shows_the_window(qtbot) -> None:
    Settings().save_preferences(Preferences(start_hidden=True))
    desktop = DesktopApp(QApplication.instance())
    try:
        assert desktop.tray is None  # offscreen
        desktop.start()
        qtbot.waitUntil(desktop.window.isVisible)  # else the app could not be reached at all
    finally:
        desktop.window.quitting = True
        desktop.window.close()
        desktop.restore()


def test_a_console_window_comes_back_where_it_was_left(make_window, server, qtbot) -> None:
    first = make_window(target_of(server), scale=ScaleMode.FIT)
    first.resize(500, 400)
    qtbot.waitUntil(lambda: first.size().width() == 500)
    first.close()
    again = make_window(target_of(server), scale=ScaleMode.FIT)
    qtbot.wait(100)  # its first frames: they do not resize it
    assert (again.width(), again.height()) == (500, 400)
    again.close()
    other = make_window(target_of(server), scale=ScaleMode.FIT, remember_geometry=False)
    assert (other.width(), other.height()) != (500, 400)


def open_in_a_new_process(qtbot, tmp_path: Path, server: RfbServer) -> list[DesktopSize]:
    """`ovhkvm-desktop open` in a process of its own, until its window shows the screen and a
    moment more; the screen sizes it asked the server for."""
    ready = tmp_path / f"ready-{server.port}"
    with WindowProcess(ready, "open", f"vnc://127.0.0.1:{server.port}"):
        qtbot.wait(1000)  # a resize asked for would have reached the server by now
        return server.messages(DesktopSize)


def test_a_new_process_reads_the_settings(qtbot, tmp_path: Path) -> None:
    with RfbServer(320, 200) as server:
        assert (
            open_in_a_new_process(qtbot, tmp_path, server) == []
        )  # fit: the screen stays its size
        first = server.port
    Settings().save_preferences(Preferences(scale="remote"))
    # A screen larger than the (offscreen) monitor: a window that follows it asks for its own size.
    with RfbServer(1600, 1000) as server:
        asked = open_in_a_new_process(qtbot, tmp_path, server)
        second = server.port
    assert asked, "the window never asked the server to follow its size"
    assert all(size.width < 1600 and size.height < 1000 for size in asked)
    # The consoles it opened are the app's recent ones too, the latest first.
    assert [r.address for r in Settings().recents()] == [
        f"vnc://127.0.0.1:{port}" for port in (second, first)
    ]


def test_the_chosen_language_reaches_qts_own_words(qtbot) -> None:
    from ovhkvm_desktop.ui.language import install_language

    try:
        assert install_language("fr").name() == "fr_FR"
        dialog = SettingsDialog(Preferences(language="fr"), has_tray=False)
        qtbot.addWidget(dialog)
        cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        assert cancel.text().replace("&", "") == "Annuler"
        install_language("en")
        english = SettingsDialog(Preferences(language="en"), has_tray=False)
        qtbot.addWidget(english)
        cancel = english.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        assert cancel.text().replace("&", "") == "Cancel"
    finally:
        install_language("")  # the system's, as the other tests expect
