"""Qt key events → the translator's key strokes: native scan code, host keysym, text, repeat.

Qt tells the key's position only through ``nativeScanCode()`` (X11/Wayland: the XKB keycode,
evdev + 8; Windows: the set-1 code with 0x100 for E0 keys) or, on macOS, ``nativeVirtualKey()``.
On X11 and Wayland ``nativeVirtualKey()`` is the X keysym the host layout gives the key, exactly
what the translator wants; elsewhere the keysym is rebuilt from Qt's key code and text.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent

from ovhkvm_desktop.keyboard import KeyStroke, keysyms, scancodes

Key = Qt.Key

#: Qt keys without a character → X keysym names (the hosts where Qt gives no keysym).
_QT_KEY_NAMES: dict[int, str] = {
    Key.Key_Escape.value: "Escape",
    Key.Key_Tab.value: "Tab",
    Key.Key_Backtab.value: "ISO_Left_Tab",
    Key.Key_Backspace.value: "BackSpace",
    Key.Key_Return.value: "Return",
    Key.Key_Enter.value: "KP_Enter",
    Key.Key_Insert.value: "Insert",
    Key.Key_Delete.value: "Delete",
    Key.Key_Pause.value: "Pause",
    Key.Key_Print.value: "Print",
    Key.Key_SysReq.value: "Sys_Req",
    Key.Key_Clear.value: "Clear",
    Key.Key_Home.value: "Home",
    Key.Key_End.value: "End",
    Key.Key_Left.value: "Left",
    Key.Key_Up.value: "Up",
    Key.Key_Right.value: "Right",
    Key.Key_Down.value: "Down",
    Key.Key_PageUp.value: "Prior",
    Key.Key_PageDown.value: "Next",
    Key.Key_Shift.value: "Shift_L",
    Key.Key_Control.value: "Control_L",
    Key.Key_Meta.value: "Super_L",
    Key.Key_Alt.value: "Alt_L",
    Key.Key_AltGr.value: "ISO_Level3_Shift",
    Key.Key_CapsLock.value: "Caps_Lock",
    Key.Key_NumLock.value: "Num_Lock",
    Key.Key_ScrollLock.value: "Scroll_Lock",
    Key.Key_Super_L.value: "Super_L",
    Key.Key_Super_R.value: "Super_R",
    Key.Key_Menu.value: "Menu",
    Key.Key_Multi_key.value: "Multi_key",
    Key.Key_Mode_switch.value: "Mode_switch",
    **{getattr(Key, f"Key_F{n}").value: f"F{n}" for n in range(1, 25)},
}

#: Keys whose right-hand twin the scan code tells apart (Qt has one key code for both sides).
_RIGHT_HAND: dict[int, str] = {
    scancodes.RIGHT_SHIFT: "Shift_R",
    scancodes.RIGHT_CTRL: "Control_R",
    scancodes.RIGHT_ALT: "Alt_R",
    scancodes.RIGHT_META: "Super_R",
}


@dataclass(frozen=True, slots=True)
class HostKey:
    """A key event as the host reported it, before the translator: what tests build, too."""

    down: bool
    qt_key: int
    native_scancode: int
    native_virtual_key: int
    text: str
    auto_repeat: bool


def host_key(event: QKeyEvent) -> HostKey:
    return HostKey(
        event.type() == QEvent.Type.KeyPress,
        int(event.key()),
        event.nativeScanCode(),
        event.nativeVirtualKey(),
        event.text(),
        event.isAutoRepeat(),
    )


def scancode_of(key: HostKey, platform: str = sys.platform) -> int:
    """The XT code of the key's position, 0 when the host did not say."""
    return scancodes.from_native(platform, key.native_scancode, key.native_virtual_key) or 0


def keysym_of(key: HostKey, scancode: int, platform: str = sys.platform) -> int:
    """The keysym the host layout gives the key (0 when nothing is known)."""
    x11_like = not (platform.startswith("win") or platform == "darwin")
    if x11_like and key.native_virtual_key:
        return key.native_virtual_key
    name = _QT_KEY_NAMES.get(key.qt_key)
    if name is not None:
        if scancode in _RIGHT_HAND and name in ("Shift_L", "Control_L", "Alt_L", "Super_L"):
            name = _RIGHT_HAND[scancode]
        return keysyms.by_name(name)
    if len(key.text) == 1 and key.text.isprintable():
        return keysyms.keysym_for_char(key.text)
    if 0x20 <= key.qt_key <= 0x10FFFF and key.qt_key < 0x01000000:
        # Printable Qt keys are their upper-case code point; the unshifted keysym is lower case.
        return keysyms.keysym_for_char(chr(key.qt_key).lower())
    return 0


def key_stroke(key: HostKey, platform: str = sys.platform) -> KeyStroke:
    scancode = scancode_of(key, platform)
    return KeyStroke(
        down=key.down,
        scancode=scancode,
        keysym=keysym_of(key, scancode, platform),
        text=key.text if key.down else "",
        repeat=key.down and key.auto_repeat,
    )
