"""First run: with no account yet the main window says what the app does and offers three ways
in; the demo one opens a console window on the demo console (served by the app itself), and
what the user types in that window — key events on the view, the layout selector on fr and on
us, with and without QEMU's extended key events — is exactly what the demo's screen shows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPushButton

from ovhkvm_desktop.demo import BackgroundDemo, running_demo
from ovhkvm_desktop.rfb.framebuffer import Framebuffer
from ovhkvm_desktop.screen_text import UNREADABLE, read_screen
from ovhkvm_desktop.ui.console_window import ConsoleWindow
from ovhkvm_desktop.ui.main_window import MainWindow
from tests.cloud.conftest import app_on_fake_api
from tests.demo.test_demo_server import XT_CAPS, Client
from tests.ui.conftest import demo_console_window

# Keys as Qt delivers them on X11: (Qt key, XKB keycode = evdev + 8, keysym, text).
Key = tuple[Qt.Key, int, int, str]
US_HOST: dict[str, Key] = {
    "a": (Qt.Key.Key_A, 38, 0x61, "a"),
    "z": (Qt.Key.Key_Z, 52, 0x7A, "z"),
    "q": (Qt.Key.Key_Q, 24, 0x71, "q"),
    "m": (Qt.Key.Key_M, 58, 0x6D, "m"),
    "1": (Qt.Key.Key_1, 10, 0x31, "1"),
    "/": (Qt.Key.Key_Slash, 61, 0x2F, "/"),
    "\r": (Qt.Key.Key_Return, 36, 0xFF0D, "\r"),
}
SHIFT_L: Key = (Qt.Key.Key_Shift, 50, 0xFFE1, "")
US_AT: Key = (Qt.Key.Key_At, 11, 0x40, "@")  # Shift+2 on a US keyboard
# A French host keyboard: "a" is left of Z (the Q position), "é" on the 2 key.
FR_A: Key = (Qt.Key.Key_A, 24, 0x61, "a")
FR_EACUTE: Key = (Qt.Key.Key_Eacute, 11, 0xE9, "é")


def send(window: ConsoleWindow, key: Key, down: bool, shift: bool = False) -> None:
    qt_key, keycode, keysym, text = key
    mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    kind = QEvent.Type.KeyPress if down else QEvent.Type.KeyRelease
    QApplication.sendEvent(window.view, QKeyEvent(kind, qt_key, mods, keycode, keysym, 0, text))


def tap(window: ConsoleWindow, key: Key) -> None:
    send(window, key, True)
    send(window, key, False)


def type_on_us_host(window: ConsoleWindow, text: str) -> None:
    """Type `text` as a user of a US keyboard would (@ is Shift+2)."""
    for char in text:
        if char == "@":
            send(window, SHIFT_L, True)
            send(window, US_AT, True, shift=True)
            send(window, US_AT, False, shift=True)
            send(window, SHIFT_L, False)
        else:
            tap(window, US_HOST[char])


def screen_rows(window: ConsoleWindow) -> list[str]:
    """The console's text as the window shows it: the view's image read by the screen reader."""
    image = window.view.image
    assert image is not None
    fb = Framebuffer(image.width(), image.height())
    pixels = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    fb.pixels[:] = pixels.reshape(image.height(), image.width(), 4)
    screen = read_screen(fb)
    rows = list(screen.rows)
    if screen.cursor is not None:  # the underline cursor over a blank reads as '_' or ' '
        column, row = screen.cursor
        if rows[row][column] == UNREADABLE:
            rows[row] = rows[row][:column] + " " + rows[row][column + 1 :]
    return [row.rstrip() for row in rows]


def wait_typed(qtbot, demo: BackgroundDemo, expected: str) -> None:
    console = demo.server.console

    def arrived() -> None:
        assert console.typed == expected

    qtbot.waitUntil(arrived, timeout=5000)


def wait_shown(qtbot, window: ConsoleWindow, row_text: str) -> None:
    qtbot.waitUntil(lambda: row_text in screen_rows(window), timeout=5000)


@pytest.fixture
def no_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A first start: no profile in the settings (the fake API would say if one were asked)."""
    with app_on_fake_api(monkeypatch) as (api, _):
        yield
        assert api.calls == []


@pytest.fixture
def main_window(qtbot, no_account: None) -> Iterator[MainWindow]:
    window = MainWindow()
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    window.refresh(force=False)
    yield window
    window.quitting = True
    window.close_consoles()
    window.close()


DemoAndWindow = tuple[BackgroundDemo, ConsoleWindow]


@pytest.fixture
def demo_window(qtbot, tmp_path: Path) -> Iterator[Callable[..., DemoAndWindow]]:
    """A demo server of its own (its own console) and a console window opened on it the way the
    main window opens one (the demo's request → open_console → the window)."""
    made: list[DemoAndWindow] = []

    def make(layout: str = "fr", qemu_keys: bool = True) -> DemoAndWindow:
        demo = BackgroundDemo(layout, qemu_keys=qemu_keys)
        window = demo_console_window(qtbot, demo.address, layout, tmp_path)
        made.append((demo, window))
        return demo, window

    yield make
    for demo, window in made:
        window.close()
        demo.stop()


def test_first_run_says_what_the_app_does_and_offers_three_ways_in(
    main_window: MainWindow, qtbot
) -> None:
    window = main_window
    assert window.stack.currentWidget() is window.empty
    assert window.empty.title.text() == "No account yet"
    text = window.empty.text.text()
    assert "KVM consoles" in text and "demo console" in text
    label = window.empty.text  # all its lines show, none cut
    assert label.height() >= label.heightForWidth(label.width()) > label.fontMetrics().height()
    labels = [b.text() for b in window.empty.buttons()]
    assert labels == ["Add an OVHcloud account…", "Connect to address…", "Try the demo console"]
    assert all(b.isVisible() for b in window.empty.buttons())


def test_the_first_way_in_adds_an_account(main_window: MainWindow, qtbot) -> None:
    qtbot.mouseClick(main_window.empty.buttons()[0], Qt.MouseButton.LeftButton)
    dialog = main_window.login_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.reject()


def test_the_second_way_in_asks_for_an_address(main_window: MainWindow, qtbot) -> None:
    qtbot.mouseClick(main_window.empty.buttons()[1], Qt.MouseButton.LeftButton)
    dialog = main_window.address_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.reject()


def test_the_demo_way_in_opens_a_console_window_showing_the_demo(
    main_window: MainWindow, qtbot
) -> None:
    demo_button: QPushButton = main_window.empty.buttons()[2]
    qtbot.mouseClick(demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(main_window.consoles), timeout=5000)
    console = main_window.consoles[0][1]
    qtbot.waitUntil(lambda: console.view.image is not None, timeout=5000)
    wait_shown(qtbot, console, "ovhkvm-desktop demo console")
    rows = screen_rows(console)
    assert "Guest keyboard layout: French (fr)" in rows
    assert console.layout_combo.currentData() == "fr"  # the window starts on the demo's layout
    assert "demo" in console.windowTitle()
    # Plain RFB that never leaves this computer: no "Unencrypted" warning (a plain VNC console
    # elsewhere has one: test_server_text.py).
    assert console.encrypted is False
    assert not console.security_label.isVisible()
    assert "unencrypted" not in console.bar.title.text()
    # What the user types shows on the demo's screen (the process's one demo console).
    demo = running_demo("fr")
    try:
        before = demo.server.console.typed
        type_on_us_host(console, "azqm")
        wait_typed(qtbot, demo, before + "azqm")
    finally:
        console.close()
        demo.stop()  # the next test to ask for the process's demo gets a fresh one


@pytest.mark.parametrize("qemu_keys", [True, False], ids=["extended-keys", "plain-keys"])
def test_what_a_us_keyboard_types_is_what_the_french_demo_shows(
    demo_window, qtbot, qemu_keys: bool
) -> None:
    demo, window = demo_window("fr", qemu_keys)
    assert window.layout_combo.currentData() == "fr"
    type_on_us_host(window, "azqm1@/\r")
    wait_typed(qtbot, demo, "azqm1@/\n")
    wait_shown(qtbot, window, "root@demo:~# azqm1@/")


def test_a_french_keyboard_types_accents_into_the_french_demo(demo_window, qtbot) -> None:
    demo, window = demo_window("fr")
    tap(window, FR_A)
    tap(window, FR_EACUTE)
    wait_typed(qtbot, demo, "aé")
    wait_shown(qtbot, window, "root@demo:~# aé")


def test_the_layout_selector_on_us_types_right_into_a_us_demo(demo_window, qtbot) -> None:
    demo, window = demo_window("us")
    assert window.layout_combo.currentData() == "us"
    type_on_us_host(window, "azqm1@/")
    tap(window, FR_EACUTE)  # é: no key of a US console types it; its code does (Alt+233)
    wait_typed(qtbot, demo, "azqm1@/é")
    wait_shown(qtbot, window, "root@demo:~# azqm1@/é")


def test_the_wrong_layout_in_the_selector_shows_the_azerty_confusion(demo_window, qtbot) -> None:
    """The selector matters: told the French demo is US, the window sends US key positions,
    which the guest reads through AZERTY (what every keysym-blind console does)."""
    demo, window = demo_window("fr")
    combo = window.layout_combo
    combo.setCurrentIndex(combo.findData("us"))
    combo.activated.emit(combo.currentIndex())  # as the user's choice in the list
    assert window.config.layout == "us"
    type_on_us_host(window, "aq")
    wait_typed(qtbot, demo, "qa")
    combo.setCurrentIndex(combo.findData("fr"))
    combo.activated.emit(combo.currentIndex())
    type_on_us_host(window, "aq")
    wait_typed(qtbot, demo, "qaaq")


def test_type_text_types_a_french_line_even_with_caps_lock_on(demo_window, qtbot) -> None:
    """Type text… with the guest's Caps Lock on: the window knows it from the LED state the demo
    reports, and types the text as written (a newcomer's first paste)."""
    demo, window = demo_window("fr")
    # Caps Lock turned on at the guest (the window never sends the host's lock keys): by
    # another client, as a colleague on the same console would.
    other = Client(demo.server.port)
    other.handshake()
    other.tap(XT_CAPS, 0xFFE5)
    qtbot.waitUntil(lambda: demo.server.console.keyboard.caps_lock, timeout=5000)
    other.close()
    # The window's Caps indicator lights up: it knows, from the demo's LED state.
    qtbot.waitUntil(lambda: "#ffd54f" in window.caps_label.styleSheet(), timeout=5000)
    text = "Bonjour, ça va ? Où êtes-vous ? 42 € @home\n"
    dialog = window.type_text_dialog()
    window.open_type_text()
    dialog.set_text(text)
    qtbot.mouseClick(dialog.type_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text() == "Typed.", timeout=20000)
    wait_typed(qtbot, demo, text)
    wait_shown(qtbot, window, "root@demo:~# " + text.rstrip("\n"))
    dialog.close()
