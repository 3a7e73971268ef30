"""The translator's state: fix-ups, repeats, focus loss, lock sync, combos, server keymaps."""

from __future__ import annotations

import pytest

from ovhkvm_desktop.keyboard import keysyms
from ovhkvm_desktop.keyboard.keysyms import by_name
from ovhkvm_desktop.keyboard.layouts import ServerKeymap, load_server_keymap
from ovhkvm_desktop.keyboard.translator import (
    KeyStroke,
    KeyTranslator,
    LockState,
    WireKeyEvent,
    text_to_events,
)
from tests.keyboard.xkb_guest import Qemu, XkbGuest

SHIFT_L = KeyStroke(True, 0x2A, by_name("Shift_L"))
SHIFT_L_UP = KeyStroke(False, 0x2A, by_name("Shift_L"))
CTRL_L = KeyStroke(True, 0x1D, by_name("Control_L"))
CTRL_L_UP = KeyStroke(False, 0x1D, by_name("Control_L"))


def char_key(down: bool, scancode: int, char: str, repeat: bool = False) -> KeyStroke:
    return KeyStroke(down, scancode, keysyms.keysym_for_char(char), char if down else "", repeat)


def play(guest: XkbGuest, events: list[WireKeyEvent]) -> str:
    Qemu(guest, None, None).send(events)
    return guest.take_text()


def test_french_user_shift_ampersand_types_1_on_a_us_guest() -> None:
    """On a French keyboard Shift+& types 1; a US guest needs the 1 key without Shift."""
    translator = KeyTranslator("us")
    guest = XkbGuest("us")
    events = translator.key(SHIFT_L)
    assert events == [WireKeyEvent(True, by_name("Shift_L"), 0x2A, True)]
    press = translator.key(char_key(True, 0x02, "1"))
    assert press == [
        WireKeyEvent(False, by_name("Shift_L"), 0x2A, True),  # Shift released around it
        WireKeyEvent(True, ord("1"), 0x02, True),
    ]
    release = translator.key(char_key(False, 0x02, "1"))
    assert release == [
        WireKeyEvent(False, ord("1"), 0x02, True),
        WireKeyEvent(True, by_name("Shift_L"), 0x2A, True),  # the user still holds Shift
    ]
    release += translator.key(SHIFT_L_UP)
    assert play(guest, events + press + release) == "1"
    assert guest.pressed == set()


def test_physical_mode_sends_the_position_and_the_guest_layout_decides() -> None:
    translator = KeyTranslator("us", mode="physical")
    guest = XkbGuest("us")
    events = translator.key(SHIFT_L) + translator.key(char_key(True, 0x02, "1"))
    events += translator.key(char_key(False, 0x02, "1")) + translator.key(SHIFT_L_UP)
    assert [e.scancode for e in events] == [0x2A, 0x02, 0x02, 0x2A]
    assert events[1].keysym == ord("!")  # what the guest layout gives there, with Shift
    assert play(guest, events) == "!"


def test_azerty_text_on_a_qwerty_guest_and_back() -> None:
    assert play(XkbGuest("fr"), text_to_events("azerty AZERTY 1&é@", "fr").events) == (
        "azerty AZERTY 1&é@"
    )
    us = text_to_events("azerty", "us").events
    assert [e.scancode for e in us if e.down] == [0x1E, 0x2C, 0x12, 0x13, 0x14, 0x15]


def test_auto_repeat_is_repeated_downs_only() -> None:
    translator = KeyTranslator("fr")
    guest = XkbGuest("fr")
    events = translator.key(char_key(True, 0x10, "a"))
    for _ in range(3):
        events += translator.key(char_key(True, 0x10, "a", repeat=True))
    events += translator.key(char_key(False, 0x10, "a"))
    assert [e.down for e in events] == [True, True, True, True, False]
    assert len({(e.keysym, e.scancode) for e in events}) == 1
    assert play(guest, events) == "aaaa"


def test_a_held_dead_key_character_repeats_whole() -> None:
    """ê on a French guest is dead ^ then e: every repeat types the dead key again."""
    translator = KeyTranslator("fr")
    guest = XkbGuest("fr")
    events = translator.key(char_key(True, 0x12, "ê"))
    events += translator.key(char_key(True, 0x12, "ê", repeat=True))
    events += translator.key(char_key(False, 0x12, "ê"))
    assert play(guest, events) == "êê"
    assert guest.pressed == set()


def test_release_repeats_the_values_of_the_press() -> None:
    translator = KeyTranslator("us")
    translator.key(SHIFT_L)
    press = translator.key(char_key(True, 0x1E, "A"))[-1]
    translator.key(SHIFT_L_UP)  # Shift released before the letter
    release = translator.key(char_key(False, 0x1E, "A"))
    assert release == [WireKeyEvent(False, press.keysym, press.scancode, press.extended)]
    assert press.keysym == ord("A")


def test_focus_loss_releases_every_held_key_once() -> None:
    translator = KeyTranslator("de")
    guest = XkbGuest("de")
    events = translator.key(CTRL_L) + translator.key(SHIFT_L)
    events += translator.key(KeyStroke(True, 0xCB, by_name("Left")))
    events += translator.key(char_key(True, 0x1E, "a"))
    released = translator.release_all()
    assert {e.scancode for e in released} == {0x1D, 0x2A, 0xCB, 0x1E}
    assert all(not e.down for e in released)
    play(guest, events + released)
    assert guest.pressed == set()
    # The releases that come later (focus back) send nothing more.
    assert translator.key(CTRL_L_UP) == []
    assert translator.key(char_key(False, 0x1E, "a")) == []
    assert translator.release_all() == []


def test_caps_lock_is_turned_off_before_letters_when_the_leds_say_it_is_on() -> None:
    translator = KeyTranslator("fr")
    translator.set_leds(LockState.from_qemu_led_state(0b100))
    guest = XkbGuest("fr", caps_lock=True)
    typed = translator.type_text("aB1")
    assert typed.events[:2] == [
        WireKeyEvent(True, by_name("Caps_Lock"), 0x3A, True),
        WireKeyEvent(False, by_name("Caps_Lock"), 0x3A, True),
    ]
    assert play(guest, typed.events) == "aB1"
    assert not guest.caps_lock
    assert translator.leds == LockState(caps=False)


def test_num_lock_follows_the_keypad_key_the_user_meant() -> None:
    translator = KeyTranslator("us")
    translator.set_leds(LockState(num=False))
    guest = XkbGuest("us")
    kp_1 = KeyStroke(True, 0x4F, by_name("KP_1"), "1")
    events = translator.key(kp_1) + translator.key(KeyStroke(False, 0x4F, by_name("KP_1")))
    assert [e.scancode for e in events] == [0x45, 0x45, 0x4F, 0x4F]
    kp_end = KeyStroke(True, 0x4F, by_name("KP_End"))
    events2 = translator.key(kp_end) + translator.key(KeyStroke(False, 0x4F, by_name("KP_End")))
    assert [e.scancode for e in events2] == [0x45, 0x45, 0x4F, 0x4F]
    assert play(guest, events) == "1"
    assert guest.num_lock
    assert play(guest, events2) == ""
    assert not guest.num_lock


@pytest.mark.parametrize("extended_keys", [True, False], ids=["extended", "plain"])
def test_a_keypad_key_goes_with_the_keysym_the_user_meant_when_the_leds_are_unknown(
    extended_keys: bool,
) -> None:
    """Without the guest's LED state nothing syncs Num Lock on our side: the keysym sent is
    the one typed (KP_1, KP_End), which a QEMU without LED state uses to bring Num Lock where
    it should be, on the same key either way (not the key's first level, KP_End, for both)."""
    translator = KeyTranslator("fr", extended_keys=extended_keys)
    assert translator.leds is None
    keys = {"KP_1": 0x4F, "KP_End": 0x4F, "KP_5": 0x4C, "KP_Begin": 0x4C}
    for name, scancode in keys.items():
        keysym = by_name(name)
        down = translator.key(KeyStroke(True, scancode, keysym))
        up = translator.key(KeyStroke(False, scancode, keysym))
        assert [(e.down, e.scancode, e.keysym) for e in down + up] == [
            (True, scancode, keysym),
            (False, scancode, keysym),
        ], name


def test_unsupported_characters_are_reported_never_replaced() -> None:
    typed = text_to_events("a€b€ç\x07", "us")
    assert typed.unsupported == ["€", "ç", "\x07"]
    assert play(XkbGuest("us"), typed.events) == "ab"
    translator = KeyTranslator("us")
    assert translator.key(KeyStroke(True, 0x12, 0x20AC, "€")) == []
    assert translator.key(KeyStroke(False, 0x12, 0x20AC)) == []
    assert translator.unsupported == ["€"]


def test_ctrl_combos_go_by_the_letter() -> None:
    """Ctrl+A from a French keyboard (A is where US has Q) is Ctrl + the US guest's A key."""
    translator = KeyTranslator("us")
    events = translator.key(CTRL_L)
    events += translator.key(KeyStroke(True, 0x10, ord("a"), "\x01"))
    events += translator.key(KeyStroke(False, 0x10, ord("a")))
    events += translator.key(CTRL_L_UP)
    assert [(e.down, e.scancode) for e in events] == [
        (True, 0x1D), (True, 0x1E), (False, 0x1E), (False, 0x1D),
    ]  # fmt: skip


def test_ctrl_alt_with_text_is_windows_altgr() -> None:
    translator = KeyTranslator("fr")
    guest = XkbGuest("fr")
    events = translator.key(CTRL_L) + translator.key(KeyStroke(True, 0x38, by_name("Alt_L")))
    events += translator.key(KeyStroke(True, 0x12, 0x20AC, "€"))
    events += translator.key(KeyStroke(False, 0x12, 0x20AC))
    events += translator.key(KeyStroke(False, 0x38, by_name("Alt_L"))) + translator.key(CTRL_L_UP)
    assert play(guest, events) == "€"
    assert guest.pressed == set()


def test_keys_without_text_go_by_identity() -> None:
    translator = KeyTranslator("fr")
    for name, scancode in (("Return", 0x1C), ("Left", 0xCB), ("F5", 0x3F), ("Escape", 0x01)):
        # The host's scancode is wrong on purpose: the keysym decides.
        events = translator.key(KeyStroke(True, 0x99, by_name(name)))
        events += translator.key(KeyStroke(False, 0x99, by_name(name)))
        assert [(e.down, e.scancode, e.keysym) for e in events] == [
            (True, scancode, by_name(name)),
            (False, scancode, by_name(name)),
        ]


def test_host_altgr_and_dead_keys_are_not_sent_in_translate_mode() -> None:
    translator = KeyTranslator("us")
    assert translator.key(KeyStroke(True, 0xB8, by_name("ISO_Level3_Shift"))) == []
    assert translator.key(KeyStroke(True, 0x1A, by_name("dead_circumflex"))) == []
    assert translator.key(KeyStroke(True, 0x3A, by_name("Caps_Lock"))) == []


def test_plain_key_events_carry_en_us_keysyms() -> None:
    """Without extended key events QEMU maps keysyms with en-us: é on a French guest is the
    key where en-us has 2."""
    typed = text_to_events("é", "fr", extended_keys=False)
    assert typed.events == [
        WireKeyEvent(True, ord("2"), 0x03, False),
        WireKeyEvent(False, ord("2"), 0x03, False),
    ]


def test_server_keymap_fr_keysyms() -> None:
    """QEMU -k fr ignores scancodes: each keysym must be one its fr map sends to that key."""
    keymap = load_server_keymap("fr")
    assert keymap is not None and keymap.layout.name == "fr(nodeadkeys)"
    # A US guest: its `a` key is where French has q.
    assert text_to_events("a", "us", server_keymap="fr").events[0] == WireKeyEvent(
        True, ord("q"), 0x1E, True
    )
    # Every event of a French text maps back to its own key.
    typed = text_to_events("Été à 20 °C, 5 € ; ^_^ ~ @ ê", "fr", server_keymap="fr")
    assert typed.unsupported == []
    held: set[int] = set()
    for event in typed.events:
        flags = (ServerKeymap.SHIFT if held & {0x2A, 0x36} else 0) | (
            ServerKeymap.ALTGR if 0xB8 in held else 0
        )
        assert keymap.scancode_for(event.keysym, flags, event.down, held) == event.scancode
        (held.add if event.down else held.discard)(event.scancode)


def test_keysym_mode_sends_plain_keysyms() -> None:
    typed = text_to_events("aé€ẞ\n", "fr", mode="keysym")
    downs = [e for e in typed.events if e.down]
    assert [e.keysym for e in downs] == [
        ord("a"), 0xE9, 0x20AC, 0x1001E9E, by_name("Return"),
    ]  # fmt: skip
    assert all(not e.extended and e.scancode == 0 for e in typed.events)
    translator = KeyTranslator("fr", mode="keysym")
    assert translator.key(KeyStroke(True, 0x10, ord("a"), "a")) == [
        WireKeyEvent(True, ord("a"), 0, False)
    ]
    assert translator.key(KeyStroke(False, 0x10, ord("a"))) == [
        WireKeyEvent(False, ord("a"), 0, False)
    ]


def test_newline_and_tab_type_enter_and_tab() -> None:
    typed = text_to_events("a\r\nb\tc\n", "de")
    assert play(XkbGuest("de"), typed.events) == "a\nb\tc\n"


@pytest.mark.parametrize("extended", [True, False])
@pytest.mark.parametrize("server_keymap", ["none", "fr"])
def test_no_event_carries_keysym_zero(extended: bool, server_keymap: str) -> None:
    text = "".join(sorted(KeyTranslator("fr").layout.typeable_chars()))
    typed = text_to_events(text, "fr", server_keymap=server_keymap, extended_keys=extended)
    assert all(event.keysym for event in typed.events)
    assert all(event.extended == extended for event in typed.events)
