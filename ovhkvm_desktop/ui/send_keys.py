"""The "Send keys" menu's combinations, sent by key position whatever the keyboard mode.

The host would act on these itself (Ctrl+Alt+Del, Ctrl+Alt+F1, Alt+SysRq) or they are hard to
type through a window. They are sent as key positions: Linux reads the magic SysRq letters by
key code (its own US table), and the others sit at the same place on every layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from ovhkvm_desktop.keyboard import KeyboardMode, KeyStroke, KeyTranslator, WireKeyEvent
from ovhkvm_desktop.keyboard.scancodes import XT
from ovhkvm_desktop.ui.text import QT_TRANSLATE_NOOP


@dataclass(frozen=True)
class KeyCombo:
    """Keys pressed in order, then released in reverse order."""

    label: str  # the keys, in English (``title()`` is what the menu shows)
    keys: tuple[str, ...]  # Linux key names (KEY_LEFTCTRL...)
    what: str = ""  # what it does, in English, if the keys do not say it

    def title(self) -> str:
        """The combination as the menu shows it, in the user's language."""
        keys = QCoreApplication.translate("SendKeys", self.label)
        if not self.what:
            return keys
        what = QCoreApplication.translate("SendKeys", self.what)
        return QCoreApplication.translate("SendKeys", "{keys}  ({what})").format(
            keys=keys, what=what
        )


def _combo(label: str, *keys: str, what: str = "") -> KeyCombo:
    return KeyCombo(label, keys, what)


CTRL_ALT_DEL = _combo(
    QT_TRANSLATE_NOOP("SendKeys", "Ctrl+Alt+Del"), "KEY_LEFTCTRL", "KEY_LEFTALT", "KEY_DELETE"
)
CTRL_ALT_BACKSPACE = _combo(
    QT_TRANSLATE_NOOP("SendKeys", "Ctrl+Alt+Backspace"),
    "KEY_LEFTCTRL",
    "KEY_LEFTALT",
    "KEY_BACKSPACE",
)
CTRL_ALT_F = tuple(
    _combo(f"Ctrl+Alt+F{n}", "KEY_LEFTCTRL", "KEY_LEFTALT", f"KEY_F{n}") for n in range(1, 13)
)
#: Magic SysRq: the letters in the order that brings a stuck Linux down safely ("REISUB").
SYSRQ = tuple(
    _combo(f"Alt+SysRq+{letter}", "KEY_LEFTALT", "KEY_SYSRQ", f"KEY_{letter}", what=what)
    for letter, what in (
        ("R", QT_TRANSLATE_NOOP("SendKeys", "keyboard to raw")),
        ("E", QT_TRANSLATE_NOOP("SendKeys", "terminate all")),
        ("I", QT_TRANSLATE_NOOP("SendKeys", "kill all")),
        ("S", QT_TRANSLATE_NOOP("SendKeys", "sync")),
        ("U", QT_TRANSLATE_NOOP("SendKeys", "remount read-only")),
        ("B", QT_TRANSLATE_NOOP("SendKeys", "reboot")),
    )
)
SINGLE = (
    _combo(QT_TRANSLATE_NOOP("SendKeys", "Print"), "KEY_SYSRQ"),
    _combo(QT_TRANSLATE_NOOP("SendKeys", "Esc"), "KEY_ESC"),
    _combo("Tab", "KEY_TAB"),
    _combo("F8", "KEY_F8"),
    _combo("F11", "KEY_F11"),
)

#: Sticky modifiers: held down until the menu item is unchecked (or the window loses focus).
STICKY = {
    "Ctrl": ("KEY_LEFTCTRL", "Control_L"),
    "Alt": ("KEY_LEFTALT", "Alt_L"),
    "Super": ("KEY_LEFTMETA", "Super_L"),
}


def physical_translator(layout: str, server_keymap: str, extended: bool) -> KeyTranslator:
    """A translator that sends positions, for combos (keysyms from the guest layout)."""
    return KeyTranslator(layout, KeyboardMode.PHYSICAL, server_keymap, extended)


def combo_events(translator: KeyTranslator, combo: KeyCombo) -> list[WireKeyEvent]:
    """The press and release events of a combination."""
    out: list[WireKeyEvent] = []
    codes = [XT[name] for name in combo.keys]
    for code in codes:
        out += translator.key(KeyStroke(True, code))
    for code in reversed(codes):
        out += translator.key(KeyStroke(False, code))
    return out
