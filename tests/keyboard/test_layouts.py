"""The generated layouts: what the tables say, and how characters are found in them."""

from __future__ import annotations

import pytest

from ovhkvm_desktop.keyboard.layouts import (
    KeyPress,
    Mods,
    UnknownLayoutError,
    guest_layout_names,
    layout_descriptions,
    load_layout,
    load_server_keymap,
    untypeable,
)

ASCII = [chr(code) for code in range(0x20, 0x7F)]


@pytest.mark.parametrize("name", guest_layout_names())
def test_every_layout_types_all_of_printable_ascii(name: str) -> None:
    assert untypeable(load_layout(name), ASCII) == []


def test_french_layout() -> None:
    fr = load_layout("fr")
    assert fr.sequence_for("a") == (KeyPress(0x10),)
    assert fr.sequence_for("1") == (KeyPress(0x02, Mods.SHIFT),)
    assert fr.sequence_for("@") == (KeyPress(0x0B, Mods.ALTGR),)
    assert fr.sequence_for("ê") == (KeyPress(0x1A), KeyPress(0x12))  # dead ^, then e
    assert fr.sequence_for("Ê") == (KeyPress(0x1A), KeyPress(0x12, Mods.SHIFT))
    assert fr.sequence_for("ë") == (KeyPress(0x1A, Mods.SHIFT), KeyPress(0x12))
    assert fr.altgr_keys == (0xB8,)
    assert fr.caps_affects(0x10, Mods.NONE) and not fr.caps_affects(0x02, Mods.NONE)
    assert fr.keypad_key(0xFFB1) == (0x4F, True)  # KP_1 needs Num Lock
    assert fr.keypad_key(0xFF9C) == (0x4F, False)  # KP_End needs it off


def test_spacing_accents_come_from_dead_key_then_space() -> None:
    de = load_layout("de")
    assert de.sequence_for("^") == (KeyPress(0x29), KeyPress(0x39))
    assert de.sequence_for("`") == (KeyPress(0x0D, Mods.SHIFT), KeyPress(0x39))


def test_a_layout_without_altgr_key_has_no_third_level() -> None:
    us = load_layout("us")
    assert us.reachable == Mods.SHIFT
    assert not us.can_type("€")
    assert untypeable(us, "naïve €5\n") == ["ï", "€"]


def test_fifth_level_of_canadian_multilingual() -> None:
    multix = load_layout("ca(multix)")
    assert multix.level5_keys == (0x9D,)  # right Ctrl
    assert any(
        press.mods & Mods.LEVEL5
        for char in multix.typeable_chars()
        for press in multix.sequence_for(char) or ()
    )


def test_names_and_descriptions() -> None:
    assert layout_descriptions()["fr(bepo)"].startswith("French")
    with pytest.raises(UnknownLayoutError):
        load_layout("xx")


def test_server_keymap_names() -> None:
    assert load_server_keymap("none") is None
    fr = load_server_keymap("fr")
    assert fr is not None and fr.layout.name == "fr(nodeadkeys)"
    us = load_server_keymap("us")
    assert us is not None and us.name == "en-us"
    swiss = load_server_keymap("ch(fr)")
    assert swiss is not None and swiss.name == "fr-ch"
    with pytest.raises(UnknownLayoutError):
        load_server_keymap("klingon")
