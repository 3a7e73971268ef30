"""The demo guest's keyboard types what a Linux text console types: checked against the
independent console model of the keyboard tests (libxkbcommon for the keys' symbols, the
kernel's dead-key and Alt+code rules: tests/keyboard/console_guest.py), for every guest layout,
with every character the translator types into a console, and with random key sequences."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovhkvm_desktop.demo.console import PROMPT, DemoConsole
from ovhkvm_desktop.demo.keyboard import CAPS_LED, NUM_LED, ConsoleKeyboard
from ovhkvm_desktop.keyboard import scancodes
from ovhkvm_desktop.keyboard.layouts import GuestSystem, guest_layout_names, load_layout
from ovhkvm_desktop.keyboard.translator import KeyTranslator, WireKeyEvent
from tests.keyboard.console_guest import ConsoleGuest
from tests.keyboard.test_roundtrip import producible

LAYOUTS = guest_layout_names()
SHIFT, ALTGR, CAPS = scancodes.LEFT_SHIFT, 0xB8, scancodes.CAPS_LOCK
# Keys of a French guest, by what they type there: a (the US Q position), q (the US A position),
# e, é (Shift: 2), the dead circumflex, x.
FR_A_KEY, FR_Q_KEY, FR_E_KEY, FR_2_KEY, FR_DEAD_CIRCUMFLEX, FR_X_KEY = (
    0x10, 0x1E, 0x12, 0x03, 0x1A, 0x2D,
)  # fmt: skip


def demo_typed(layout: str, events: list[WireKeyEvent]) -> str:
    keyboard = ConsoleKeyboard(load_layout(layout, GuestSystem.CONSOLE))
    text = []
    for event in events:
        text.append(
            keyboard.press(event.scancode) if event.down else keyboard.release(event.scancode)
        )
    assert keyboard.held == set(), "a key was left down"
    return "".join(text).replace("\r", "\n")


def console_typed(layout: str, events: list[WireKeyEvent]) -> str:
    guest = ConsoleGuest(layout)
    for event in events:
        guest.key(event.scancode, event.down)
    return guest.take_text()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_character_a_console_types_arrives_as_the_kernel_would_type_it(layout: str) -> None:
    """Everything the layout produces (from libxkbcommon), and characters it lacks (typed by
    code), through the translator for a Linux console, into both consoles: the same text."""
    text = "".join(producible(layout)) + "ŁŸǎ€→中😀\n"
    typed = KeyTranslator(layout, system=GuestSystem.CONSOLE).type_text(text)
    expected = "".join(c for c in text if c not in typed.unsupported)
    assert console_typed(layout, typed.events) == expected  # the independent model agrees...
    assert demo_typed(layout, typed.events) == expected  # ... and so does the demo


KEY_POOL = [*range(0x02, 0x0E), *range(0x10, 0x1C), *range(0x1E, 0x29), 0x2B,
            *range(0x2C, 0x36), 0x39, 0x56]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    layout=st.sampled_from(["fr", "de", "us(intl)", "ch(fr)", "be", "es", "pt", "fr(bepo)"]),
    keys=st.lists(st.tuples(st.sampled_from(KEY_POOL), st.booleans(), st.booleans()), max_size=40),
)
def test_random_keys_type_what_the_kernel_would(
    layout: str, keys: list[tuple[int, bool, bool]]
) -> None:
    """Any sequence of keys, with Shift and AltGr held or not, dead keys included."""
    events: list[WireKeyEvent] = []
    for scancode, shift, altgr in keys:
        held = [code for code, on in ((SHIFT, shift), (ALTGR, altgr)) if on]
        for code in held:
            events.append(WireKeyEvent(True, 1, code, True))
        events += [WireKeyEvent(True, 1, scancode, True), WireKeyEvent(False, 1, scancode, True)]
        for code in reversed(held):
            events.append(WireKeyEvent(False, 1, code, True))
    assert demo_typed(layout, events) == console_typed(layout, events)


def tap(keyboard: ConsoleKeyboard, *codes: int) -> str:
    """Press the keys in order, release them in reverse: what was typed."""
    typed = "".join(keyboard.press(code) for code in codes)
    return typed + "".join(keyboard.release(code) for code in reversed(codes))


def test_caps_lock_turns_its_led_on_and_off_but_not_while_held() -> None:
    keyboard = ConsoleKeyboard(load_layout("fr", GuestSystem.CONSOLE))
    keyboard.press(CAPS)
    keyboard.press(CAPS)  # auto-repeat
    keyboard.release(CAPS)
    assert keyboard.caps_lock and keyboard.leds == CAPS_LED
    assert tap(keyboard, FR_A_KEY) == "A"
    assert tap(keyboard, SHIFT, FR_A_KEY) == "a"
    tap(keyboard, CAPS)
    assert keyboard.leds == 0 and tap(keyboard, FR_A_KEY) == "a"


def test_num_lock_turns_the_keypad_into_digits() -> None:
    keyboard = ConsoleKeyboard(load_layout("fr", GuestSystem.CONSOLE))
    keypad_1 = scancodes.KEYPAD_DIGITS["1"]
    assert tap(keyboard, keypad_1) == "\x1b[4~"  # End, without Num Lock
    tap(keyboard, scancodes.NUM_LOCK)
    assert keyboard.leds == NUM_LED
    assert tap(keyboard, keypad_1) == "1"


def test_dead_keys_compose_latin_1_letters_and_type_their_accent_otherwise() -> None:
    keyboard = ConsoleKeyboard(load_layout("fr", GuestSystem.CONSOLE))
    assert tap(keyboard, FR_DEAD_CIRCUMFLEX) == ""
    assert tap(keyboard, FR_E_KEY) == "ê"
    tap(keyboard, FR_DEAD_CIRCUMFLEX)
    assert tap(keyboard, 0x39) == "^"  # space
    tap(keyboard, FR_DEAD_CIRCUMFLEX)
    assert tap(keyboard, FR_X_KEY) == "^x"


def test_ctrl_and_alt_codes() -> None:
    keyboard = ConsoleKeyboard(load_layout("fr", GuestSystem.CONSOLE))
    assert tap(keyboard, scancodes.LEFT_CTRL, FR_A_KEY) == "\x01"  # Ctrl+A on AZERTY
    alt = scancodes.LEFT_ALT
    digits = [scancodes.KEYPAD_DIGITS[d] for d in "8364"]
    keyboard.press(alt)
    assert "".join(tap(keyboard, d) for d in digits) == ""
    assert keyboard.release(alt) == "€"


def test_the_console_edits_its_line_like_a_shell() -> None:
    console = DemoConsole("fr")
    row = console.screen.cursor[1]
    for code in (FR_A_KEY, FR_Q_KEY, 0x0E, FR_2_KEY):  # a, q, Backspace, é
        console.press(code)
        console.release(code)
    assert console.screen.text()[row] == PROMPT + "aé"
    assert console.typed == "aq\x7fé"
    console.press(0x1C)  # Enter
    assert console.screen.text()[row + 1] == PROMPT.rstrip()
    assert console.line == ""


def test_a_long_session_scrolls_and_keeps_the_screen_size() -> None:
    console = DemoConsole("us")
    for _ in range(40):
        console.receive("echo hello\r")
    rows = console.screen.text()
    assert len(rows) == 25
    assert rows[-2] == PROMPT + "echo hello"
    assert rows[-1] == PROMPT.rstrip()
    assert console.screen.pixels.shape == (400, 640)
