"""The demo guest's keyboard: what a Linux text console types for each key press and release,
read through a guest layout's table (the keymap ckbcomp makes from the same xkb layout).

It follows the kernel's keyboard code (drivers/tty/vt/keyboard.c) where a user would notice:
Shift and AltGr choose the level; Caps Lock (with its LED) turns a key it affects to its shifted
level; Num Lock (with its LED) turns the keypad into digits; a dead key keeps its accent for the
next key and composes the Latin-1 letters (``console_composes``), typing the accent alone before
anything else; Ctrl with a letter types its control character; Alt with keypad digits types the
character of that decimal code when Alt is let go; Enter, Backspace, Tab, Escape and the arrows
type what the console sends for them. A held key's repeated presses type again; a lock key's do not.
"""

from __future__ import annotations

from ovhkvm_desktop.keyboard import scancodes
from ovhkvm_desktop.keyboard.keysym_tables import NAMES
from ovhkvm_desktop.keyboard.layouts import (
    CONSOLE_ACCENTS,
    GuestLayout,
    Mods,
    Symbol,
    console_composes,
)

#: What the console types for keys without text, by keysym name.
_SPECIAL = {
    "Return": "\r", "KP_Enter": "\r", "BackSpace": "\x7f", "Tab": "\t", "ISO_Left_Tab": "\t",
    "Escape": "\x1b", "Up": "\x1b[A", "Down": "\x1b[B", "Right": "\x1b[C", "Left": "\x1b[D",
    "Home": "\x1b[1~", "End": "\x1b[4~", "Delete": "\x1b[3~", "Insert": "\x1b[2~",
    "Prior": "\x1b[5~", "Next": "\x1b[6~", "KP_Up": "\x1b[A", "KP_Down": "\x1b[B",
    "KP_Right": "\x1b[C", "KP_Left": "\x1b[D", "KP_Home": "\x1b[1~", "KP_End": "\x1b[4~",
    "KP_Insert": "\x1b[2~", "KP_Delete": "\x1b[3~", "KP_Prior": "\x1b[5~", "KP_Next": "\x1b[6~",
}  # fmt: skip
SPECIAL_KEYS = {NAMES[name]: text for name, text in _SPECIAL.items()}
_KEYPAD_DIGIT = {code: int(digit) for digit, code in scancodes.KEYPAD_DIGITS.items()}
_CTRL_KEYS = frozenset({scancodes.LEFT_CTRL, scancodes.RIGHT_CTRL})
_SHIFT_KEYS = frozenset({scancodes.LEFT_SHIFT, scancodes.RIGHT_SHIFT})

#: LED bits as QEMU's LED state pseudo-encoding carries them.
SCROLL_LED, NUM_LED, CAPS_LED = 1, 2, 4


class ConsoleKeyboard:
    """Key presses and releases (XT scancodes) in, the characters the console types out."""

    def __init__(self, layout: GuestLayout) -> None:
        self.layout = layout
        self.held: set[int] = set()
        self.caps_lock = False
        self.num_lock = False
        self._accent: str | None = None  # a dead key's accent, waiting for the next character
        self._code: int | None = None  # a code being typed with Alt + keypad digits
        self._alt_keys = frozenset({scancodes.LEFT_ALT} - set(layout.altgr_keys))
        self._altgr_keys = frozenset(layout.altgr_keys)
        self._level5_keys = frozenset(layout.level5_keys)
        #: The keys that are modifiers on this layout (Shift, Ctrl, Alt, AltGr, level 5).
        self.modifier_keys = frozenset(
            {*_SHIFT_KEYS, *_CTRL_KEYS, *self._alt_keys, *self._altgr_keys, *self._level5_keys}
        )

    @property
    def leds(self) -> int:
        return (CAPS_LED if self.caps_lock else 0) | (NUM_LED if self.num_lock else 0)

    def press(self, scancode: int) -> str:
        """What the console types when the key goes down (a repeat when it is held already)."""
        repeat = scancode in self.held
        self.held.add(scancode)
        layout = self.layout
        if scancode == layout.caps_lock_key:
            if not repeat:
                self.caps_lock = not self.caps_lock
            return ""
        if scancode == layout.num_lock_key:
            if not repeat:
                self.num_lock = not self.num_lock
            return ""
        if scancode in self.modifier_keys:
            return ""
        modifiers = self.held & self.modifier_keys
        if scancode in _KEYPAD_DIGIT and modifiers and modifiers <= self._alt_keys:
            self._code = ((self._code or 0) * 10 + _KEYPAD_DIGIT[scancode]) % 0x110000
            return ""
        symbol = self._symbol(scancode)
        if symbol is None:
            return ""
        if symbol.dead:
            return self._dead_key(symbol.keysym)
        text = symbol.char or SPECIAL_KEYS.get(symbol.keysym, "")
        if not text:
            return ""
        if self.held & _CTRL_KEYS and len(text) == 1 and text.isascii() and text.isalpha():
            text = chr(ord(text.lower()) - 0x60)
        elif self.held & self._alt_keys and len(text) == 1:
            text = "\x1b" + text  # the console's Meta: Escape before the character
        return self._after_accent(text)

    def release(self, scancode: int) -> str:
        """What the console types when the key goes up: a code typed with Alt + keypad digits,
        when the modifier let go ends it."""
        self.held.discard(scancode)
        if scancode in self.modifier_keys and self._code is not None:
            code, self._code = self._code, None
            if 0xD800 <= code < 0xE000 or code in (0xFFFE, 0xFFFF):
                return ""  # the console drops them
            return chr(code)
        return ""

    def _symbol(self, scancode: int) -> Symbol | None:
        key = self.layout.keys.get(scancode)
        if key is None:
            return None
        if self.num_lock and key.num is not None:
            return key.num
        mods = Mods.NONE
        if self.held & _SHIFT_KEYS:
            mods |= Mods.SHIFT
        if self.held & self._altgr_keys:
            mods |= Mods.ALTGR
        if self.held & self._level5_keys:
            mods |= Mods.LEVEL5
        if self.caps_lock and key.caps >> mods & 1:
            mods ^= Mods.SHIFT  # the kernel's rule: Caps Lock inverts Shift on such keys
        return key.symbol(mods)

    def _dead_key(self, keysym: int) -> str:
        """The kernel keeps one accent waiting; a second dead key is composed with it, and what
        that gives waits in its turn (so ^ ^ e types ê, and ^ ¨ types ^ then waits with ¨)."""
        diacritic = _DIACRITICS.get(keysym, "?")
        if self._accent is None:
            self._accent = diacritic
            return ""
        typed, self._accent = self._compose(self._accent, diacritic)
        return typed

    def _after_accent(self, text: str) -> str:
        if self._accent is None or len(text) != 1:
            return text
        typed, waiting = self._compose(self._accent, text)
        self._accent = None
        return typed + waiting

    @staticmethod
    def _compose(diacritic: str, char: str) -> tuple[str, str]:
        """(what is typed, what is left): the composed letter; the diacritic for a space or
        itself; else the diacritic typed and the character left."""
        dead_name = _BY_DIACRITIC.get(diacritic, "")
        composed = console_composes(dead_name, char) if dead_name else None
        composed = composed or _KERNEL_ONLY.get((diacritic, char))
        if composed is not None:
            return "", composed
        if char in (" ", diacritic):
            return "", diacritic
        return diacritic, char


#: The accent each dead key keeps (loadkeys' names for the kernel's dead keys): the Latin-1
#: ones from the layouts' table, the others only so that they type something.
_OTHER_DIACRITICS = {
    "dead_macron": "_", "dead_breve": "U", "dead_abovedot": ".", "dead_abovering": "*",
    "dead_doubleacute": "=", "dead_caron": "c", "dead_ogonek": "k", "dead_stroke": "-",
    "dead_belowdot": "!", "dead_hook": "?", "dead_horn": "+", "dead_currency": "$",
    "dead_iota": "i", "dead_belowcomma": ";", "dead_greek": "@",
}  # fmt: skip
#: The kernel's built-in accent table (drivers/tty/vt/defkeymap.c_shipped) beyond the Latin-1
#: accents, for the accents dead keys keep: what a console without a loaded table composes.
_KERNEL_ONLY = {("-", "D"): "Ð", ("-", "d"): "ð", ("i", "j"): "ÿ"}
_BY_DIACRITIC = {diacritic: name for name, (diacritic, _, _) in CONSOLE_ACCENTS.items()}


#: Dead keysym → its accent (by keysym: several names share one, dead_tilde and
#: dead_perispomeni).
_DIACRITICS = {
    NAMES[name]: diacritic
    for name, diacritic in [
        *((name, accent[0]) for name, accent in CONSOLE_ACCENTS.items()),
        *_OTHER_DIACRITICS.items(),
    ]
}
