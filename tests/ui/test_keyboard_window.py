"""Keys typed into the console window → the key events the server receives, per keyboard mode.

Key presses are built as Qt delivers them on X11: the native scan code is the XKB keycode
(evdev + 8), the native virtual key the keysym of the host's layout.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QApplication

from ovhkvm_desktop.keyboard import KeyboardMode
from ovhkvm_desktop.keyboard.layouts import GuestSystem
from ovhkvm_desktop.ui.console_window import ConsoleWindow
from tests.ui.conftest import target_of
from tests.ui.rfb_server import Key, RfbServer

# (Qt key, XKB keycode, keysym, text) of keys on a US host keyboard...
US_A = (Qt.Key.Key_A, 38, 0x61, "a")
US_Q = (Qt.Key.Key_Q, 24, 0x71, "q")
US_2 = (Qt.Key.Key_2, 11, 0x32, "2")
SHIFT_L = (Qt.Key.Key_Shift, 50, 0xFFE1, "")
F8 = (Qt.Key.Key_F8, 74, 0xFFC5, "")
ESCAPE = (Qt.Key.Key_Escape, 9, 0xFF1B, "\x1b")
TAB = (Qt.Key.Key_Tab, 23, 0xFF09, "\t")
# ... and on a French one: the key left of Z types "a" there (the Q position).
FR_A = (Qt.Key.Key_A, 24, 0x61, "a")
FR_EACUTE = (Qt.Key.Key_Eacute, 11, 0xE9, "é")

XT_Q, XT_A, XT_2, XT_LSHIFT = 0x10, 0x1E, 0x03, 0x2A


def tapped(keysym: int, keycode: int = 0) -> list[Key]:
    """A press and release as the server receives them (extended when there is a keycode)."""
    return [Key(True, keysym, keycode, bool(keycode)), Key(False, keysym, keycode, bool(keycode))]


def key_event(key: tuple, down: bool, repeat: bool = False, shift: bool = False) -> QKeyEvent:
    qt_key, keycode, keysym, text = key
    mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    kind = QEvent.Type.KeyPress if down else QEvent.Type.KeyRelease
    return QKeyEvent(kind, qt_key, mods, keycode, keysym, 0, text, repeat)


def press(window: ConsoleWindow, key: tuple, **kw) -> None:
    QApplication.sendEvent(window.view, key_event(key, True, **kw))


def release(window: ConsoleWindow, key: tuple, **kw) -> None:
    QApplication.sendEvent(window.view, key_event(key, False, **kw))


def tap(window: ConsoleWindow, key: tuple) -> None:
    press(window, key)
    release(window, key)


def keys_after(server: RfbServer, count: int) -> list[Key]:
    server.wait_for(lambda items: len([m for m in items if isinstance(m, Key)]) >= count)
    return server.keys()


@pytest.mark.parametrize(
    ("layout", "mode", "key", "expected"),
    [
        # Translate: the character typed arrives, at the key the guest layout types it with.
        ("fr", KeyboardMode.TRANSLATE, US_A, tapped(0x61, XT_Q)),
        ("fr", KeyboardMode.TRANSLATE, FR_A, tapped(0x61, XT_Q)),
        ("us", KeyboardMode.TRANSLATE, FR_A, tapped(0x61, XT_A)),
        # "é" is on the 2 key of a French guest.
        ("fr", KeyboardMode.TRANSLATE, FR_EACUTE, tapped(0xE9, XT_2)),
        # Physical: the position is sent; the keysym is what the guest layout has there.
        ("fr", KeyboardMode.PHYSICAL, US_A, tapped(0x71, XT_A)),
        ("us", KeyboardMode.PHYSICAL, FR_A, tapped(0x71, XT_Q)),
        # Keysym: plain RFB key events with the host's keysym.
        ("fr", KeyboardMode.KEYSYM, US_A, tapped(0x61)),
    ],
)
def test_a_key_reaches_the_server_as_each_mode_says(
    make_window, server: RfbServer, layout: str, mode: KeyboardMode, key: tuple, expected: list
) -> None:
    window = make_window(target_of(server), layout=layout, mode=mode)
    tap(window, key)
    assert keys_after(server, 2) == expected


def test_shifted_character_in_translate_mode_adds_the_guest_shift(
    make_window, server: RfbServer
) -> None:
    # "2" on a French guest is Shift + the é key.
    window = make_window(target_of(server), layout="fr")
    press(window, US_2)
    release(window, US_2)
    assert keys_after(server, 4) == [
        Key(True, 0xFFE1, XT_LSHIFT, True),
        Key(True, 0x32, XT_2, True),
        Key(False, 0x32, XT_2, True),
        Key(False, 0xFFE1, XT_LSHIFT, True),
    ]


def test_auto_repeat_sends_repeated_presses_and_one_release(make_window, server: RfbServer) -> None:
    window = make_window(target_of(server), layout="us")
    press(window, US_Q)
    for _ in range(3):  # X11 auto-repeat: a release and a press, both marked auto-repeat
        release(window, US_Q, repeat=True)
        press(window, US_Q, repeat=True)
    release(window, US_Q)
    down = Key(True, 0x71, XT_Q, True)
    assert keys_after(server, 5) == [down, down, down, down, Key(False, 0x71, XT_Q, True)]


def test_focus_loss_releases_every_held_key(make_window, server: RfbServer) -> None:
    window = make_window(target_of(server), layout="us", mode=KeyboardMode.PHYSICAL)
    press(window, SHIFT_L)
    press(window, US_A, shift=True)
    keys_after(server, 2)
    QApplication.sendEvent(
        window.view, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.ActiveWindowFocusReason)
    )
    keys = keys_after(server, 4)
    released = {k.keycode for k in keys[2:] if not k.down}
    assert released == {XT_A, XT_LSHIFT}
    # The releases carry what the presses carried.
    assert Key(False, keys[0].keysym, XT_LSHIFT, True) in keys[2:]


def test_menu_key_opens_the_menu_and_reaches_no_guest(
    make_window, server: RfbServer, qtbot
) -> None:
    window = make_window(target_of(server), layout="us")
    tap(window, F8)
    qtbot.waitUntil(window.console_menu.isVisible, timeout=2000)
    window.console_menu.hide()
    tap(window, ESCAPE)  # a key after it still goes to the guest
    keys = keys_after(server, 2)
    assert [k.keysym for k in keys] == [0xFF1B, 0xFF1B]
    assert all(k.keysym != 0xFFC5 for k in keys)


def test_tab_goes_to_the_guest_not_to_the_next_widget(make_window, server: RfbServer) -> None:
    window = make_window(target_of(server), layout="us")
    tap(window, TAB)
    assert [k.keycode for k in keys_after(server, 2)] == [0x0F, 0x0F]


def test_view_only_sends_no_keys(make_window, server: RfbServer) -> None:
    window = make_window(target_of(server), layout="us", view_only=True)
    tap(window, US_Q)
    window.set_view_only(False)
    tap(window, US_A)
    assert [k.keycode for k in keys_after(server, 2)] == [XT_A, XT_A]


def test_send_keys_ctrl_alt_del_and_sysrq_by_position(make_window, server: RfbServer) -> None:
    from ovhkvm_desktop.ui import send_keys

    window = make_window(target_of(server), layout="fr", mode=KeyboardMode.TRANSLATE)
    window.send_combo(send_keys.CTRL_ALT_DEL)
    keys = keys_after(server, 6)
    assert [(k.down, k.keycode) for k in keys] == [
        (True, 0x1D),
        (True, 0x38),
        (True, 0xD3),
        (False, 0xD3),
        (False, 0x38),
        (False, 0x1D),
    ]
    server.clear()
    window.send_combo(send_keys.SYSRQ[-1])  # Alt+SysRq+B: B's position, even on AZERTY
    keys = keys_after(server, 6)
    assert [(k.down, k.keycode) for k in keys][:3] == [(True, 0x38), (True, 0x54), (True, 0x30)]


def test_sticky_ctrl_makes_a_combination(make_window, server: RfbServer) -> None:
    window = make_window(target_of(server), layout="fr")
    window.sticky_actions["Ctrl"].setChecked(True)
    tap(window, US_Q)  # Ctrl+Q on the guest: the key that types "q" there (the A position)
    window.sticky_actions["Ctrl"].setChecked(False)
    keys = keys_after(server, 4)
    assert [(k.down, k.keycode) for k in keys] == [
        (True, 0x1D),
        (True, XT_A),
        (False, XT_A),
        (False, 0x1D),
    ]


def test_layout_choice_is_remembered_per_server(make_window, server: RfbServer) -> None:
    window = make_window(target_of(server), layout="us")
    window.set_layout("de")
    assert window.settings is not None
    assert window.settings.server_choices("test").get("layout") == "de"
    window.close()
    again = make_window(target_of(server))
    assert again.config.layout == "de"
    assert again.layout_combo.currentData() == "de"
    # ... unless the command line names one.
    explicit = make_window(target_of(server), layout="fr", layout_from_user=True)
    assert explicit.config.layout == "fr"


# ǎ as a host with a dead caron key delivers it: the text of the A key's press (its keysym is
# the Unicode keysym of ǎ, there being no named one).
HOST_A_CARON = (Qt.Key.Key_A, 38, 0x10001CE, "ǎ")


def test_guest_system_decides_how_an_accent_is_typed(make_window, server: RfbServer) -> None:
    """ǎ into a French guest: refused, in words, while the guest system is unknown; on a Linux
    text console its code on the keypad with left Alt held; the choice is remembered."""
    window = make_window(target_of(server), layout="fr")
    tap(window, HOST_A_CARON)
    tap(window, US_Q)  # a key after it goes through: nothing was sent for ǎ
    assert keys_after(server, 2) == tapped(0x71, XT_A)  # "q" is the A key of a French guest
    assert "Cannot type 'ǎ'" in window.statusBar().currentMessage()
    assert "Guest system" in window.statusBar().currentMessage()

    window.guest_actions[GuestSystem.CONSOLE].trigger()
    assert window.keyboard_label.text() == "fr · translate · console"
    server.clear()
    tap(window, HOST_A_CARON)
    alt, kp4, kp6, kp2 = 0x38, 0x4B, 0x4D, 0x50
    got = [(k.down, k.keycode) for k in keys_after(server, 8)]
    assert got == [
        (True, alt), (True, kp4), (False, kp4), (True, kp6), (False, kp6),
        (True, kp2), (False, kp2), (False, alt),
    ]  # fmt: skip
    assert window.settings is not None
    assert window.settings.server_choices("test").get("guest") == "console"
    window.close()
    assert make_window(target_of(server)).config.guest is GuestSystem.CONSOLE
