"""Round trip for every guest layout: every character it can produce → translator → key events →
an independent XKB guest (libxkbcommon + Compose) → the same text, character by character.
The translator is told the guest is a desktop (`GuestSystem.DESKTOP`), whose dead keys compose
as xkb's do; the other guest systems are tested in test_guest_systems.py.

The characters are enumerated from libxkbcommon directly (not from the project's tables): every
key at every level its real modifier keys reach (plain, Shift, AltGr, Shift+AltGr, and the fifth
level where a key gives it), every dead key composed with every Latin letter the layout types,
and every dead key followed by space. Run with `-s` for the per-layout table.
"""

from __future__ import annotations

import string
import unicodedata
from functools import cache

import pytest

from ovhkvm_desktop.keyboard import scancodes
from ovhkvm_desktop.keyboard.layouts import (
    GuestSystem,
    Mods,
    guest_layout_names,
    load_server_keymap,
)
from ovhkvm_desktop.keyboard.layouts import load_layout as load_any_layout
from ovhkvm_desktop.keyboard.translator import KeyTranslator, LockState
from tests.keyboard.xkb_guest import (
    Qemu,
    QemuKeymapFile,
    XkbGuest,
    compile_keymap,
    compose_table,
    xkb,
)

LAYOUTS = guest_layout_names()


def load_layout(name: str):  # type: ignore[no-untyped-def]
    return load_any_layout(name, GuestSystem.DESKTOP)


REQUIRED = [
    "us", "us(intl)", "gb", "ie", "fr", "fr(oss)", "fr(bepo)", "be", "ch", "ch(fr)", "de",
    "es", "latam", "it", "pt", "br", "ca", "ca(multix)", "nl", "pl", "cz", "fi", "se", "no",
    "dk", "lt",
]  # fmt: skip


def _printable(text: str) -> bool:
    return len(text) == 1 and unicodedata.category(text) != "Cc"


@cache
def producible(name: str) -> tuple[str, ...]:
    """Every character layout `name` produces, straight from libxkbcommon."""
    keymap = compile_keymap(name)
    keycodes = [kc for kc in keymap if scancodes.from_xkb_keycode(kc) is not None]

    def keys_giving(keysym_name: str) -> list[int]:
        wanted = xkb.keysym_from_name(keysym_name)
        return [
            kc for kc in keycodes
            if keymap.key_get_syms_by_level(kc, 0, 0)[:1] == [wanted]
        ]  # fmt: skip

    shift = [50]  # <LFSH>
    altgr = keys_giving("ISO_Level3_Shift")[:1]
    level5 = keys_giving("ISO_Level5_Shift")[:1]
    combos = [[], shift]
    if altgr:
        combos += [altgr, shift + altgr]
    if level5:
        combos += [level5, shift + level5]
        if altgr:
            combos += [altgr + level5, shift + altgr + level5]
    chars: set[str] = set()
    dead: set[int] = set()
    letters: dict[str, int] = {}
    for combo in combos:
        state = keymap.state_new()
        for kc in combo:
            state.update_key(kc, xkb.XKB_KEY_DOWN)
        for kc in keycodes:
            keysym = state.key_get_one_sym(kc)
            if xkb.keysym_get_name(keysym).startswith("dead_"):
                dead.add(keysym)
                continue
            text = state.key_get_string(kc)
            if _printable(text):
                chars.add(text)
                if text in string.ascii_letters:
                    letters[text] = keysym
    compose = compose_table().compose_state_new()
    for dead_keysym in sorted(dead):
        for base_keysym in [*letters.values(), xkb.keysym_from_name("space")]:
            compose.reset()
            compose.feed(dead_keysym)
            compose.feed(base_keysym)
            if compose.get_status() == xkb.XKB_COMPOSE_COMPOSED:
                text = compose.get_utf8()
                if _printable(text):
                    chars.add(text)
    return tuple(sorted(chars))


def round_trip(
    name: str,
    chars: tuple[str, ...],
    *,
    server_keymap: str = "none",
    extended: bool = True,
    qemu_keymap: str | None = None,
    caps_lock: bool = False,
) -> tuple[list[str], list[tuple[str, str]]]:
    """Type each character alone; return (exact ones, [(expected, got)] for the others)."""
    guest = XkbGuest(name, caps_lock=caps_lock)
    default = QemuKeymapFile.load("en-us") if not extended else None
    keymap = QemuKeymapFile.load(qemu_keymap) if qemu_keymap else None
    qemu = Qemu(guest, keymap, default)
    translator = KeyTranslator(
        name, server_keymap=server_keymap, extended_keys=extended, system=GuestSystem.DESKTOP
    )
    translator.set_leds(LockState(caps=caps_lock))
    exact: list[str] = []
    wrong: list[tuple[str, str]] = []
    for char in chars:
        typed = translator.type_text(char)
        qemu.send(typed.events)
        got = guest.take_text()
        if got == char and not typed.unsupported:
            exact.append(char)
        else:
            wrong.append((char, got if not typed.unsupported else "<unsupported>"))
        assert not guest.pressed - {0x2A, 0x36, 0xB8, 0x9D}, "a key was left down"
    return exact, wrong


def test_every_required_layout_is_generated() -> None:
    assert set(REQUIRED) <= set(LAYOUTS)


@pytest.mark.parametrize("name", LAYOUTS)
def test_round_trip_every_character(name: str) -> None:
    chars = producible(name)
    assert len(chars) > 90
    assert set(chars) <= load_layout(name).typeable_chars(), "the layout tables miss characters"
    _, wrong = round_trip(name, chars)
    assert not wrong, f"{name}: {len(wrong)} of {len(chars)} characters changed: {wrong[:20]}"


@pytest.mark.parametrize("name", LAYOUTS)
def test_round_trip_whole_text_with_caps_lock_on(name: str) -> None:
    """All the characters as one text, the guest's Caps Lock on: modifiers carried across."""
    chars = "".join(producible(name))
    guest = XkbGuest(name, caps_lock=True)
    translator = KeyTranslator(name, system=GuestSystem.DESKTOP)
    translator.set_leds(LockState(caps=True))
    typed = translator.type_text(chars + "\n\tend")
    assert typed.unsupported == []
    Qemu(guest, None, None).send(typed.events)
    assert guest.take_text() == chars + "\n\tend"
    assert guest.pressed == set()
    assert not guest.caps_lock


@pytest.mark.parametrize("name", LAYOUTS)
def test_everything_the_translator_claims_it_can_type(name: str) -> None:
    """The translator's own list of characters (spacing accents included) all arrive exact."""
    chars = tuple(sorted(load_layout(name).typeable_chars()))
    _, wrong = round_trip(name, chars)
    assert not wrong, f"{name}: {wrong[:20]}"


def _drift(guest: str, server: str, char: str, qemu: QemuKeymapFile) -> bool:
    """Whether a character needs a key whose keysym QEMU's file lacks at that level.

    QEMU's keymap files come from the xkeyboard-config of the day QEMU was built; levels 3
    and 4 have changed since (ẞ, ſ, dead keys moved): where QEMU maps no keysym to the key and
    level the guest needs, no client can make it press that key, whatever keysym it sends.
    """
    keymap = load_server_keymap(server)
    assert keymap is not None
    for press in load_layout(guest).sequence_for(char) or ():
        flags = (1 if press.mods & Mods.SHIFT else 0) | (2 if press.mods & Mods.ALTGR else 0)
        keysym = keymap.layout.keysym_at(press.scancode, press.mods)
        if keysym and not qemu.has(keysym, press.scancode, flags):
            return True
    return False


SERVER_CASES = [
    ("us", "en-us"), ("fr", "fr"), ("de", "de"), ("be", "fr-be"), ("ch(fr)", "fr-ch"),
    ("gb", "en-gb"), ("es", "es"), ("it", "it"), ("ch", "de-ch"), ("pt", "pt"), ("br", "pt-br"),
    ("pl", "pl"), ("cz", "cz"), ("nl", "nl"), ("dk", "da"), ("no", "no"), ("fi", "fi"),
    ("lt", "lt"),
]  # fmt: skip


@pytest.mark.parametrize(("guest", "qemu_name"), SERVER_CASES)
def test_round_trip_through_qemu_server_keymap(guest: str, qemu_name: str) -> None:
    """QEMU started with `-k`: it maps our keysyms back to keys with its own keymap file.

    Every character arrives, but those needing a key and level QEMU's older keymap file
    does not know (see _drift); all of ASCII arrives.
    """
    chars = producible(guest)
    qemu = QemuKeymapFile.load(qemu_name)
    _, wrong = round_trip(guest, chars, server_keymap=qemu_name, qemu_keymap=qemu_name)
    changed = [pair for pair in wrong if pair[1] != "<unsupported>"]
    unexplained = [pair for pair in changed if not _drift(guest, qemu_name, pair[0], qemu)]
    assert not unexplained, f"{guest} -k {qemu_name}: {unexplained}"
    assert not [pair for pair in wrong if pair[0].isascii()], wrong
    # Reported, not lost: keys QEMU's reverse map cannot reach at that level.
    assert len(wrong) - len(changed) <= 0.01 * len(chars), wrong


@pytest.mark.parametrize("name", LAYOUTS)
def test_round_trip_with_plain_key_events(name: str) -> None:
    """No extended key events: plain KeyEvents carrying en-us keysyms, QEMU's default map."""
    chars = producible(name)
    qemu = QemuKeymapFile.load("en-us")
    _, wrong = round_trip(name, chars, extended=False)
    changed = [pair for pair in wrong if pair[1] != "<unsupported>"]
    unexplained = [pair for pair in changed if not _drift(name, "en-us", pair[0], qemu)]
    assert not unexplained, f"{name}: {unexplained}"
    assert not [pair for pair in wrong if pair[0].isascii()], wrong
    assert len(wrong) - len(changed) <= 0.01 * len(chars), wrong


def test_summary_table(capsys: pytest.CaptureFixture[str]) -> None:
    """Per layout: characters tested / exact, with extended key events (no server keymap) and
    with plain KeyEvents through QEMU's en-us map (`-s` prints the table)."""
    rows = []
    for name in LAYOUTS:
        chars = producible(name)
        exact, _ = round_trip(name, chars)
        plain, _ = round_trip(name, chars, extended=False)
        dead = sum(1 for c in chars if len(load_layout(name).sequence_for(c) or ()) == 2)
        rows.append((name, len(chars), len(exact), len(plain), dead))
    with capsys.disabled():
        print("\nlayout       tested  exact  exact(plain KeyEvent)  via dead key")
        for name, tested, exact_count, plain_count, dead in rows:
            print(f"{name:<12} {tested:>6} {exact_count:>6} {plain_count:>22} {dead:>13}")
        total = [sum(row[i] for row in rows) for i in (1, 2, 3)]
        print(f"{'total':<12} {total[0]:>6} {total[1]:>6} {total[2]:>22}")
    assert all(row[1] == row[2] for row in rows)
