"""Keysyms, the X11 key and character names RFB speaks: to and from characters."""

from __future__ import annotations

from ovhkvm_desktop.keyboard.keysym_tables import CHAR_TO_KEYSYM, KEYSYM_TO_CHAR, NAMES

UNICODE_OFFSET = 0x1000000  # keysym of code point U+XXXX above Latin-1: 0x1000000 + XXXX

VOID_SYMBOL = NAMES["VoidSymbol"]
RETURN = NAMES["Return"]
TAB = NAMES["Tab"]
CAPS_LOCK = NAMES["Caps_Lock"]
NUM_LOCK = NAMES["Num_Lock"]

_KEYPAD = frozenset(value for name, value in NAMES.items() if name.startswith("KP_"))
_DEAD = frozenset(value for name, value in NAMES.items() if name.startswith("dead_"))
_SHIFT = frozenset(NAMES[n] for n in ("Shift_L", "Shift_R"))
_CONTROL = frozenset(NAMES[n] for n in ("Control_L", "Control_R"))
_ALT = frozenset(NAMES[n] for n in ("Alt_L", "Alt_R", "Meta_L", "Meta_R"))
_SUPER = frozenset(NAMES[n] for n in ("Super_L", "Super_R", "Hyper_L", "Hyper_R"))
# Keys a host layout uses to reach its own levels and locks: they shape the host's text and
# mean nothing to the guest in translate mode.
_HOST_LEVEL = frozenset(
    NAMES[n]
    for n in (
        "ISO_Level3_Shift",
        "ISO_Level3_Latch",
        "ISO_Level3_Lock",
        "ISO_Level5_Shift",
        "ISO_Level5_Latch",
        "ISO_Level5_Lock",
        "Mode_switch",
        "ISO_Group_Shift",
        "ISO_Next_Group",
        "ISO_Prev_Group",
        "Multi_key",
    )
)
_LOCKS = frozenset(NAMES[n] for n in ("Caps_Lock", "Shift_Lock", "Num_Lock"))


def by_name(name: str) -> int:
    """The keysym of a key without a character of its own (Return, Shift_L, dead_acute...)."""
    return NAMES[name]


def keysym_for_char(char: str) -> int:
    """The keysym of a character: Latin-1 as is, a legacy keysym if one exists, else Unicode."""
    if char == "\n" or char == "\r":
        return RETURN
    if char == "\t":
        return TAB
    code = ord(char)
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF:
        return code
    return CHAR_TO_KEYSYM.get(char, UNICODE_OFFSET + code)


def char_for_keysym(keysym: int) -> str:
    """The character a keysym stands for, or "" (function keys, modifiers, dead keys)."""
    if UNICODE_OFFSET + 0x100 <= keysym <= UNICODE_OFFSET + 0x10FFFF:
        return chr(keysym - UNICODE_OFFSET)
    return KEYSYM_TO_CHAR.get(keysym, "")


def is_keypad(keysym: int) -> bool:
    return keysym in _KEYPAD


def is_dead(keysym: int) -> bool:
    return keysym in _DEAD


def is_shift(keysym: int) -> bool:
    return keysym in _SHIFT


def is_control(keysym: int) -> bool:
    return keysym in _CONTROL


def is_alt(keysym: int) -> bool:
    return keysym in _ALT


def is_super(keysym: int) -> bool:
    return keysym in _SUPER


def is_host_level_key(keysym: int) -> bool:
    """AltGr, level-5, group and Compose keys: what the host layout uses to make text."""
    return keysym in _HOST_LEVEL


def is_lock(keysym: int) -> bool:
    return keysym in _LOCKS
