"""Guest systems: what a dead key types depends on what reads the keyboard.

A graphical Linux desktop composes dead keys by xkb's rules; the Linux text console, with the
same layout (ckbcomp's translation of it), composes only the Latin-1 accents and types any other
pair as two characters, but takes any character as its code on the keypad with Alt held. For
every layout, through both independent guests (libxkbcommon + Compose; the kernel's keyboard
code, tests/keyboard/console_guest.py):

- `auto` (the default) types only what arrives the same on both, and refuses nothing that a
  desktop's way of typing would bring to a console intact;
- `console` types everything a layout produces, and characters no layout has, exactly;
- `desktop` is what test_roundtrip.py checks, character by character.
"""

from __future__ import annotations

import pytest

from ovhkvm_desktop.keyboard import keysyms, scancodes
from ovhkvm_desktop.keyboard.layouts import (
    CONSOLE_ACCENTS,
    GuestSystem,
    console_composes,
    guest_layout_names,
    load_layout,
    untypeable,
)
from ovhkvm_desktop.keyboard.translator import KeyStroke, KeyTranslator, LockState, WireKeyEvent
from tests.keyboard.console_guest import ACCENT_TABLE, DEAD_DIACRITICS, ConsoleGuest
from tests.keyboard.test_roundtrip import SERVER_CASES, producible
from tests.keyboard.xkb_guest import Qemu, QemuKeymapFile, XkbGuest

LAYOUTS = guest_layout_names()
# Characters no layout of ours types, from several scripts and planes.
ELSEWHERE = "ŁłŐőŠšŽžĞğİıŸŷǍǎṀṁẞΩπДж中文✓€→…“”‘’😀"


def type_into(guest: ConsoleGuest | XkbGuest, events: list[WireKeyEvent]) -> str:
    Qemu(guest, None, None).send(events)  # type: ignore[arg-type]
    assert guest.pressed == set(), "a key was left down"
    return guest.take_text()


def each_alone(name: str, system: GuestSystem, chars: str, guest: ConsoleGuest | XkbGuest):
    """Type each character on its own; return the wrong ones as (expected, got)."""
    translator = KeyTranslator(name, system=system)
    wrong = []
    for char in chars:
        typed = translator.type_text(char)
        got = type_into(guest, typed.events)
        if typed.unsupported or got != char:
            wrong.append((char, "<unsupported>" if typed.unsupported else got))
    return wrong


def test_console_accents_match_the_kernel_table() -> None:
    """The product's console model agrees with the kernel's own table, entry by entry."""
    for dead_key, (diacritic, letters, _) in CONSOLE_ACCENTS.items():
        assert DEAD_DIACRITICS[dead_key] == diacritic
        assert {base for (d, base) in ACCENT_TABLE if d == diacritic} == set(letters)
        for letter in letters:
            assert console_composes(dead_key, letter) == ACCENT_TABLE[diacritic, letter]
        assert console_composes(dead_key, " ") == diacritic


@pytest.mark.parametrize("name", LAYOUTS)
def test_auto_types_the_same_on_a_console_and_on_a_desktop(name: str) -> None:
    chars = "".join(sorted(load_layout(name, GuestSystem.AUTO).typeable_chars()))
    assert len(chars) > 90
    assert each_alone(name, GuestSystem.AUTO, chars, XkbGuest(name)) == []
    assert each_alone(name, GuestSystem.AUTO, chars, ConsoleGuest(name)) == []


@pytest.mark.parametrize("name", LAYOUTS)
def test_auto_refuses_only_what_a_console_would_change(name: str) -> None:
    """Every character a desktop types but `auto` refuses arrives changed on a console when
    typed the desktop's way, and is reported as untypable, not dropped silently."""
    auto = load_layout(name, GuestSystem.AUTO)
    refused = sorted(set(producible(name)) - auto.typeable_chars())
    assert untypeable(auto, refused) == refused
    translator = KeyTranslator(name, system=GuestSystem.DESKTOP)
    console = ConsoleGuest(name)
    for char in refused:
        typed = translator.type_text(char)
        assert type_into(console, typed.events) != char, f"{name}: {char!r} was refused"


@pytest.mark.parametrize("name", LAYOUTS)
def test_console_types_every_character_exactly(name: str) -> None:
    """Everything the layout produces, and characters it has not, as one text with newlines
    and tabs, the guest's Caps Lock on: all arrive on the console, in order."""
    text = "".join(producible(name)) + "\n\t" + ELSEWHERE + "\n"
    translator = KeyTranslator(name, system=GuestSystem.CONSOLE)
    translator.set_leds(LockState(caps=False))
    typed = translator.type_text(text)
    assert typed.unsupported == []
    assert type_into(ConsoleGuest(name), typed.events) == text
    assert (
        each_alone(name, GuestSystem.CONSOLE, "".join(producible(name)), ConsoleGuest(name)) == []
    )


def test_a_character_by_its_code_is_alt_and_the_keypad_digits_only() -> None:
    """ǎ (U+01CE, 462) on a French console: left Alt down, keypad 4 6 2, Alt up; ê by its
    dead key as any console composes it; on a desktop ǎ takes the dead caron."""
    typed = KeyTranslator("fr", system=GuestSystem.CONSOLE).type_text("ǎê")
    alt, kp = scancodes.LEFT_ALT, scancodes.KEYPAD_DIGITS
    code_entry = [(e.down, e.scancode) for e in typed.events[:8]]
    assert code_entry == [
        (True, alt), (True, kp["4"]), (False, kp["4"]), (True, kp["6"]), (False, kp["6"]),
        (True, kp["2"]), (False, kp["2"]), (False, alt),
    ]  # fmt: skip
    assert typed.events[0].keysym == keysyms.by_name("Alt_L")
    assert alt not in {e.scancode for e in typed.events[8:]}
    desktop = KeyTranslator("fr", system=GuestSystem.DESKTOP).type_text("ǎ")
    assert alt not in {e.scancode for e in desktop.events}
    assert type_into(XkbGuest("fr"), desktop.events) == "ǎ"
    assert KeyTranslator("fr").type_text("ǎ").unsupported == ["ǎ"]


def test_control_characters_are_never_typed_by_code() -> None:
    typed = KeyTranslator("us", system=GuestSystem.CONSOLE).type_text("a\x07\x1bb\ufffe")
    assert typed.unsupported == ["\x07", "\x1b", "\ufffe"]
    assert type_into(ConsoleGuest("us"), typed.events) == "ab"


def test_a_key_typing_by_code_while_the_user_holds_shift() -> None:
    """Ä typed (Shift + a key of the user's own layout) into a US console, held, released:
    Shift goes up for the code (Shift+Alt+keypad would mean another thing), each repeat types
    it again, and the user's Shift comes back with the release."""
    translator = KeyTranslator("us", system=GuestSystem.CONSOLE)
    console = ConsoleGuest("us")
    shift = KeyStroke(True, scancodes.LEFT_SHIFT, keysyms.by_name("Shift_L"))
    events = translator.key(shift)
    press = KeyStroke(True, 0x1E, keysyms.keysym_for_char("Ä"), "Ä")
    events += translator.key(press)
    events += translator.key(KeyStroke(True, 0x1E, keysyms.keysym_for_char("Ä"), "Ä", True))
    assert console.pressed == set()
    Qemu(console, None, None).send(events)  # type: ignore[arg-type]
    assert console.take_text() == "ÄÄ"
    assert scancodes.LEFT_SHIFT not in console.pressed  # up while typing by code
    events = translator.key(KeyStroke(False, 0x1E, keysyms.keysym_for_char("Ä")))
    Qemu(console, None, None).send(events)  # type: ignore[arg-type]
    assert console.pressed == {scancodes.LEFT_SHIFT}  # the user's Shift, given back
    Qemu(console, None, None).send(translator.release_all())  # type: ignore[arg-type]
    assert console.pressed == set()
    assert console.take_text() == ""


def test_focus_loss_while_a_code_key_is_held() -> None:
    translator = KeyTranslator("fr", system=GuestSystem.CONSOLE)
    translator.key(KeyStroke(True, 0x10, keysyms.keysym_for_char("ǎ"), "ǎ"))
    assert translator.release_all() == []  # nothing stayed down on the guest
    assert translator.unsupported == []


@pytest.mark.parametrize(("name", "qemu_name"), SERVER_CASES)
def test_console_through_qemu_keymaps_loses_nothing(name: str, qemu_name: str) -> None:
    """Through QEMU's `-k` keymap files, and through plain KeyEvents (QEMU's en-us), some keys
    cannot be reached at some levels (test_roundtrip.py's drift); on a console, those
    characters go by their code instead: everything arrives."""
    text = "".join(producible(name)) + "\n\t" + ELSEWHERE + "\n"
    for server_keymap, qemu, extended in (
        (qemu_name, Qemu(ConsoleGuest(name), QemuKeymapFile.load(qemu_name), None), True),
        ("none", Qemu(ConsoleGuest(name), None, QemuKeymapFile.load("en-us")), False),
    ):
        translator = KeyTranslator(
            name, server_keymap=server_keymap, extended_keys=extended, system=GuestSystem.CONSOLE
        )
        typed = translator.type_text(text)
        assert typed.unsupported == []
        qemu.send(typed.events)
        assert qemu.unmapped == 0
        got = qemu.guest.take_text()
        assert got == text, [(a, b) for a, b in zip(text, got, strict=False) if a != b][:5]
