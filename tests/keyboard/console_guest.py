"""An independent Linux text console for the round trips: what drivers/tty/vt/keyboard.c types.

A Debian console's keymap is ckbcomp's translation of the xkb layout, so what each key gives at
each level comes from libxkbcommon (as in `XkbGuest`); what differs is the kernel's handling of
dead keys and its Alt + keypad code entry, modelled here from the kernel's source (Linux 6.1):

- a dead key remembers one diacritic character (loadkeys' names: dead_grave is `` ` ``...);
  the next character is looked up with it in the accent table (`handle_diacr`). No keymap
  ckbcomp writes carries a table (busybox's loadkmap loads none either), so the kernel's
  built-in one applies: `ACCENT_TABLE`, transcribed from defkeymap.c_shipped. Not found: a
  space or the diacritic itself gives the diacritic, anything else the diacritic then it;
- with Alt held, the keypad digits (Ascii_0..9 in those keymaps) build a decimal number; when a
  modifier key goes up the console types that code point, as UTF-8 (`k_ascii`, `k_shift`).

The end-to-end test (tests/e2e/test_typing_e2e.py) checks the real kernel; this model lets the
round trips cover all 26 layouts in a second.
"""

from __future__ import annotations

from ovhkvm_desktop.keyboard import scancodes
from tests.keyboard.xkb_guest import XkbGuest, _is_modifier, xkb

# drivers/tty/vt/defkeymap.c_shipped: accent_table[], (diacritic, base, result).
ACCENT_TABLE = {
    (d, b): chr(r)
    for d, b, r in [
        ("`", "A", 0o300), ("`", "a", 0o340), ("'", "A", 0o301), ("'", "a", 0o341),
        ("^", "A", 0o302), ("^", "a", 0o342), ("~", "A", 0o303), ("~", "a", 0o343),
        ('"', "A", 0o304), ('"', "a", 0o344), ("O", "A", 0o305), ("o", "a", 0o345),
        ("0", "A", 0o305), ("0", "a", 0o345), ("A", "A", 0o305), ("a", "a", 0o345),
        ("A", "E", 0o306), ("a", "e", 0o346), (",", "C", 0o307), (",", "c", 0o347),
        ("`", "E", 0o310), ("`", "e", 0o350), ("'", "E", 0o311), ("'", "e", 0o351),
        ("^", "E", 0o312), ("^", "e", 0o352), ('"', "E", 0o313), ('"', "e", 0o353),
        ("`", "I", 0o314), ("`", "i", 0o354), ("'", "I", 0o315), ("'", "i", 0o355),
        ("^", "I", 0o316), ("^", "i", 0o356), ('"', "I", 0o317), ('"', "i", 0o357),
        ("-", "D", 0o320), ("-", "d", 0o360), ("~", "N", 0o321), ("~", "n", 0o361),
        ("`", "O", 0o322), ("`", "o", 0o362), ("'", "O", 0o323), ("'", "o", 0o363),
        ("^", "O", 0o324), ("^", "o", 0o364), ("~", "O", 0o325), ("~", "o", 0o365),
        ('"', "O", 0o326), ('"', "o", 0o366), ("/", "O", 0o330), ("/", "o", 0o370),
        ("`", "U", 0o331), ("`", "u", 0o371), ("'", "U", 0o332), ("'", "u", 0o372),
        ("^", "U", 0o333), ("^", "u", 0o373), ('"', "U", 0o334), ('"', "u", 0o374),
        ("'", "Y", 0o335), ("'", "y", 0o375), ("T", "H", 0o336), ("t", "h", 0o376),
        ("s", "s", 0o337), ('"', "y", 0o377), ("s", "z", 0o337), ("i", "j", 0o377),
    ]
}  # fmt: skip

# loadkeys' dead keys (kbd, src/libkeymap/ksyms.c, the KT_DEAD and KT_DEAD2 names): the
# diacritic each one keeps, by xkb keysym name. Those outside the accent table only matter in
# that they compose nothing.
DEAD_DIACRITICS = {
    "dead_grave": "`", "dead_acute": "'", "dead_circumflex": "^", "dead_tilde": "~",
    "dead_diaeresis": '"', "dead_cedilla": ",", "dead_macron": "_", "dead_breve": "U",
    "dead_abovedot": ".", "dead_abovering": "*", "dead_doubleacute": "=", "dead_caron": "c",
    "dead_ogonek": "k", "dead_iota": "i", "dead_belowdot": "!", "dead_hook": "?",
    "dead_horn": "+", "dead_stroke": "-", "dead_belowcomma": ";", "dead_currency": "$",
    "dead_greek": "@",
}  # fmt: skip

_KEYPAD_DIGIT = {code: int(digit) for digit, code in scancodes.KEYPAD_DIGITS.items()}
_SHIFT_KEYS = {scancodes.LEFT_SHIFT, scancodes.RIGHT_SHIFT, scancodes.LEFT_CTRL,
               scancodes.RIGHT_CTRL, scancodes.LEFT_ALT, scancodes.RIGHT_ALT}  # fmt: skip


class ConsoleGuest(XkbGuest):
    """A Linux text console whose keymap ckbcomp made from xkb layout `name` (the keys'
    symbols come from libxkbcommon, as `XkbGuest`'s; what they type, from the kernel's rules)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._diacritic = ""
        self._code: int | None = None

    def _released(self, scancode: int) -> None:
        if scancode in _SHIFT_KEYS and self._code is not None:
            self._type_code(self._code)
            self._code = None

    def _pressed(self, scancode: int, keycode: int) -> None:
        alt_only = self.pressed & _SHIFT_KEYS == {scancodes.LEFT_ALT}
        if scancode in _KEYPAD_DIGIT and alt_only:
            self._code = (self._code or 0) * 10 + _KEYPAD_DIGIT[scancode]
        else:
            self._key(keycode)

    def _key(self, keycode: int) -> None:
        keysym = self.state.key_get_one_sym(keycode)
        if _is_modifier(keysym):
            return
        name = xkb.keysym_get_name(keysym)
        if name.startswith("dead_"):  # k_deadunicode
            value = DEAD_DIACRITICS.get(name, "?")
            self._diacritic = self._handle_diacr(value) if self._diacritic else value
            return
        char = self.state.key_get_string(keycode).replace("\r", "\n")
        if char:
            self.text.append(self._handle_diacr(char) if self._diacritic else char)

    def _handle_diacr(self, char: str) -> str:
        diacritic, self._diacritic = self._diacritic, ""
        if (diacritic, char) in ACCENT_TABLE:
            return ACCENT_TABLE[diacritic, char]
        if char in (" ", diacritic):
            return diacritic
        self.text.append(diacritic)
        return char

    def _type_code(self, code: int) -> None:
        if 0xD800 <= code < 0xE000 or code == 0xFFFF or code >= 0x110000:
            return  # to_utf8 drops them
        self.text.append(chr(code))
