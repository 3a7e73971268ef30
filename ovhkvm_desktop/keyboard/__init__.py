"""The keyboard: guest layouts, native key → XT scancode tables, and the key translator.

Pure Python, no Qt and no I/O but reading the generated tables under resources/keyboard/.
"""

from ovhkvm_desktop.keyboard.layouts import GuestLayout, KeyPress, Mods, load_layout
from ovhkvm_desktop.keyboard.translator import (
    KeyboardMode,
    KeyStroke,
    KeyTranslator,
    LockState,
    TypedText,
    WireKeyEvent,
    text_to_events,
)

__all__ = [
    "GuestLayout",
    "KeyPress",
    "KeyStroke",
    "KeyTranslator",
    "KeyboardMode",
    "LockState",
    "Mods",
    "TypedText",
    "WireKeyEvent",
    "load_layout",
    "text_to_events",
]
