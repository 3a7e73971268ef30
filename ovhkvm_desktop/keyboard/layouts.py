"""Keyboard layouts: what each key of a guest layout types, and how to type a character on it.

The tables are generated from xkeyboard-config by tools/gen_layouts.py and committed under
resources/keyboard/. A `GuestLayout` answers the translator's questions: which key and which
level modifiers type `@`, which dead key and letter compose `ê`, which characters it cannot type
at all. A `ServerKeymap` models QEMU's `-k` keymap, which turns a keysym back into a scancode.
"""

from __future__ import annotations

import enum
import functools
import json
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ovhkvm_desktop.keyboard.keysym_tables import NAMES


def _resources() -> Path:
    """The keyboard data: inside the installed package, or in the checkout's resources/."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "resources" / "keyboard"
    return installed if installed.is_dir() else package.parent / "resources" / "keyboard"


RESOURCES = _resources()
LAYOUTS_DIR = RESOURCES / "layouts"

# Keys of the numeric keypad (XT codes), never chosen to type a character another key types.
KEYPAD_SCANCODES = frozenset([0x37, 0x4A, 0x4E, 0x59, 0x7E, 0x9C, 0xB5, *range(0x47, 0x54)])
# The extra key of ISO keyboards (between left Shift and Z): absent from ANSI keyboards, and
# mapped differently by some guest systems (a US Windows guest types `\` with it), so a
# character another key types is typed with that other key.
ISO_EXTRA_KEY = 0x56


class GuestSystem(enum.StrEnum):
    """What reads the guest's keyboard: it decides what a dead key and the next key type.

    The keys themselves type the same everywhere (a Debian console's keymap is ckbcomp's
    translation of the very xkb layout), but dead keys do not: a graphical Linux desktop
    composes them by xkb's Compose rules (`ą` = dead ogonek, `a`), the Linux text console only
    with its accent table, the Latin-1 set (`ê`, `ñ`, `ç`), and types anything else as the
    accent followed by the letter. The console, though, types any character as its decimal
    code on the keypad with Alt held (Unicode mode, which Debian and Ubuntu consoles use).
    """

    AUTO = "auto"  # unknown: only what types the same on a console and on a desktop
    CONSOLE = "console"  # the Linux text console: login prompt, rescue shell, initramfs
    DESKTOP = "desktop"  # a graphical Linux desktop (X11, Wayland): xkb and its Compose rules

    @property
    def description(self) -> str:
        return _SYSTEM_DESCRIPTIONS[self]


_SYSTEM_DESCRIPTIONS = {
    GuestSystem.AUTO: "Unknown: type only what any guest types the same",
    GuestSystem.CONSOLE: "Linux text console (login prompt, rescue shell)",
    GuestSystem.DESKTOP: "Linux desktop (X11, Wayland)",
}

# The Linux console's dead keys (drivers/tty/vt/keyboard.c): each keeps an ASCII diacritic,
# composed with the next character through the accent table, the kernel's built-in Latin-1 one
# or console-setup's compose.UTF-8.inc, which agree on these: dead keysym name → (diacritic,
# the letters it composes with, the combining mark of the results). Followed by a space, a dead
# key types its diacritic.
CONSOLE_ACCENTS: dict[str, tuple[str, str, str]] = {
    "dead_grave": ("`", "AEIOUaeiou", "\u0300"),
    "dead_acute": ("'", "AEIOUYaeiouy", "\u0301"),
    "dead_circumflex": ("^", "AEIOUaeiou", "\u0302"),
    "dead_tilde": ("~", "ANOano", "\u0303"),
    "dead_diaeresis": ('"', "AEIOUaeiouy", "\u0308"),
    "dead_cedilla": (",", "Cc", "\u0327"),
}


def console_composes(dead_key: str, base: str) -> str | None:
    """What the Linux console types for this dead key then `base`, if it composes them."""
    if dead_key not in CONSOLE_ACCENTS:
        return None
    diacritic, letters, mark = CONSOLE_ACCENTS[dead_key]
    if base == " ":
        return diacritic
    if base in letters:
        return unicodedata.normalize("NFC", base + mark)
    return None


def console_can_enter(char: str) -> bool:
    """Whether the Linux console types `char` from its code entered with Alt + keypad digits:
    any character but control characters, surrogates and U+FFFE/U+FFFF (which it drops)."""
    return (
        len(char) == 1
        and unicodedata.category(char) not in ("Cc", "Cs")
        and ord(char) not in (0xFFFE, 0xFFFF)
    )


class UnknownLayoutError(LookupError):
    """The name is not one of the generated layouts or server keymaps."""


class Mods(enum.IntFlag):
    """The level modifiers of a guest layout; the value is the index of the level."""

    NONE = 0
    SHIFT = 1
    ALTGR = 2
    LEVEL5 = 4


@dataclass(frozen=True, slots=True)
class Symbol:
    """What a key gives at one level: a keysym, and its character ("" for none)."""

    keysym: int
    char: str
    dead: bool = False  # a dead key: `char` is then the combining character it stands for


@dataclass(frozen=True, slots=True)
class Key:
    """One physical key of a layout."""

    scancode: int  # XT set 1 (0x80 | code for E0 keys)
    name: str  # its xkb name, such as AD01
    levels: tuple[Symbol | None, ...]  # indexed by Mods
    caps: int = 0  # bit i set: Caps Lock changes what level i gives
    num: Symbol | None = None  # what the key gives with Num Lock on (keypad keys)

    def symbol(self, mods: Mods) -> Symbol | None:
        return self.levels[mods] if mods < len(self.levels) else None


@dataclass(frozen=True, slots=True)
class KeyPress:
    """A key pressed with exactly these level modifiers."""

    scancode: int
    mods: Mods = Mods.NONE


def _symbol(entry: list[Any] | None) -> Symbol | None:
    if entry is None:
        return None
    return Symbol(int(entry[0]), str(entry[1]), len(entry) > 2 and entry[2] == "dead")


@functools.cache
def _index() -> dict[str, Any]:
    return dict(json.loads((LAYOUTS_DIR / "index.json").read_text(encoding="utf-8")))


@functools.cache
def _compose() -> dict[str, Any]:
    data = json.loads((RESOURCES / "compose.json").read_text(encoding="utf-8"))
    return dict(data["dead_keys"])


class Layout:
    """One generated xkb layout: every key, at every level."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.name: str = data["name"]
        self.description: str = data["description"]
        self.level_count: int = len(data["levels"])
        modifiers = data["modifiers"]
        self.shift_keys: tuple[int, ...] = tuple(modifiers["shift"])
        self.altgr_keys: tuple[int, ...] = tuple(modifiers["altgr"])
        self.level5_keys: tuple[int, ...] = tuple(modifiers["level5"])
        self.caps_lock_key: int | None = (modifiers["caps_lock"] or [None])[0]
        self.num_lock_key: int | None = (modifiers["num_lock"] or [None])[0]
        self.keys: dict[int, Key] = {}
        for raw in data["keys"]:
            key = Key(
                scancode=raw["xt"],
                name=raw["xkb"],
                levels=tuple(_symbol(entry) for entry in raw["levels"]),
                caps=raw.get("caps", 0),
                num=_symbol(raw.get("num")),
            )
            self.keys[key.scancode] = key

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def symbol_at(self, scancode: int, mods: Mods) -> Symbol | None:
        key = self.keys.get(scancode)
        return key.symbol(mods) if key else None

    def keysym_at(self, scancode: int, mods: Mods) -> int:
        """The keysym the key gives with these level modifiers, or 0."""
        symbol = self.symbol_at(scancode, mods)
        return symbol.keysym if symbol else 0

    def caps_affects(self, scancode: int, mods: Mods) -> bool:
        key = self.keys.get(scancode)
        return bool(key and key.caps >> mods & 1)


def _cost(press: KeyPress) -> tuple[int, int, int, int]:
    rank = 2 if press.scancode in KEYPAD_SCANCODES else 1 if press.scancode == ISO_EXTRA_KEY else 0
    return (rank, bin(press.mods).count("1"), int(press.mods), press.scancode)


class GuestLayout(Layout):
    """The layout the guest system uses: how to type each character on it.

    Only the levels a real key reaches count: a layout without an AltGr key (`us`) has no third
    level, whatever xkb's invisible level-3 key would give. Which dead-key compositions count
    depends on the guest `system` (see `GuestSystem`); on a Linux console, a character no key
    types is typed by its code (`enters_codes`).
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        compose: Mapping[str, Any],
        system: GuestSystem = GuestSystem.AUTO,
    ) -> None:
        super().__init__(data)
        self.system = system
        self.enters_codes = system is GuestSystem.CONSOLE
        reachable = Mods.SHIFT if self.shift_keys else Mods.NONE
        if self.altgr_keys:
            reachable |= Mods.ALTGR
        if self.level5_keys:
            reachable |= Mods.LEVEL5
        self.reachable = reachable
        self._levels = [Mods(m) for m in range(self.level_count) if Mods(m) & ~reachable == 0]

        direct: dict[str, list[KeyPress]] = {}
        dead: dict[int, list[KeyPress]] = {}
        by_keysym: dict[int, list[KeyPress]] = {}
        for key in self.keys.values():
            for mods in self._levels:
                symbol = key.symbol(mods)
                if symbol is None:
                    continue
                press = KeyPress(key.scancode, mods)
                by_keysym.setdefault(symbol.keysym, []).append(press)
                if symbol.dead:
                    dead.setdefault(symbol.keysym, []).append(press)
                elif symbol.char:
                    direct.setdefault(symbol.char, []).append(press)
        for presses in (*direct.values(), *dead.values(), *by_keysym.values()):
            presses.sort(key=_cost)
        self._by_keysym = {keysym: presses[0] for keysym, presses in by_keysym.items()}
        self.dead_keys: dict[int, KeyPress] = {keysym: p[0] for keysym, p in dead.items()}

        # Every way to type each character, best first: its own keys, then dead key + key.
        sequences: dict[str, list[tuple[KeyPress, ...]]] = {
            char: [(press,) for press in presses] for char, presses in direct.items()
        }
        composed: dict[str, list[tuple[KeyPress, ...]]] = {}
        for dead_name, entry in compose.items():
            dead_presses = dead.get(int(entry["keysym"]), [])
            if not dead_presses:
                continue
            for base, result in entry["compose"].items():
                if result in direct or base not in direct:
                    continue
                if base != " " and not base.isalpha():
                    # A dead key on a letter (ê = ^ e, ø = dead stroke o), or on space for the
                    # accent itself; compositions with digits and signs (superscripts, ≠) are
                    # left out: guest systems differ on them.
                    continue
                if (
                    system is not GuestSystem.DESKTOP
                    and console_composes(dead_name, base) != result
                ):
                    continue  # the Linux console would type something else
                composed.setdefault(result, []).extend(
                    (dead_press, base_press)
                    for dead_press in dead_presses
                    for base_press in direct[base]
                )
        for result, candidates in composed.items():
            candidates.sort(key=lambda seq: [_cost(p) for p in seq])
            sequences[result] = candidates
        self._sequences = sequences

        num_on: dict[int, int] = {}
        num_off: dict[int, int] = {}
        for key in self.keys.values():
            base = key.symbol(Mods.NONE)
            if key.num is not None:
                num_on.setdefault(key.num.keysym, key.scancode)
                if base is not None:
                    num_off.setdefault(base.keysym, key.scancode)
        self._num_on = num_on
        self._num_off = num_off

    def sequence_for(self, char: str) -> tuple[KeyPress, ...] | None:
        """The presses that type `char`: one key, or a dead key then a key; None if impossible."""
        candidates = self._sequences.get(char)
        return candidates[0] if candidates else None

    def sequences_for(self, char: str) -> list[tuple[KeyPress, ...]]:
        """Every way to type `char`, best first (another may do where a server cannot send
        the keys of the first)."""
        return list(self._sequences.get(char, ()))

    def can_type(self, char: str) -> bool:
        return char in self._sequences or (self.enters_codes and console_can_enter(char))

    def typeable_chars(self) -> frozenset[str]:
        """The characters its keys type (a console also types any other by its code)."""
        return frozenset(self._sequences)

    def press_for_keysym(self, keysym: int) -> KeyPress | None:
        """The key (and level) that gives this keysym on the guest, for keys without text."""
        return self._by_keysym.get(keysym)

    def keypad_key(self, keysym: int) -> tuple[int, bool] | None:
        """(scancode, Num Lock needed on) of the keypad key giving `keysym`, if it is one."""
        if keysym in self._num_on:
            return self._num_on[keysym], True
        if keysym in self._num_off:
            return self._num_off[keysym], False
        return None


class ServerKeymap:
    """QEMU's keysym → scancode map for `-k NAME`, rebuilt from the same xkb layout.

    qemu-keymap writes, for every key, the keysym at no modifier, Num Lock, Shift, AltGr and
    Shift+AltGr (skipping repeats), then a few quirk lines; QEMU keeps up to four scancodes per
    keysym and, on a key press, picks the first whose Shift/AltGr/Ctrl flags equal the modifier
    keys it has seen pressed, else the first. It looks up `keysym & 0xFFFF` after lowering A–Z.
    """

    SHIFT, ALTGR, CTRL = 1, 2, 4
    # The lines qemu-keymap appends to every keymap: keysym name → scancode.
    _QUIRKS = (
        ("Print", 0x54),
        ("Sys_Req", 0x54),
        ("Execute", 0x54),
        ("KP_Decimal", 0x53),
        ("KP_Separator", 0x53),
        ("Alt_R", 0xB8),
        ("ISO_Level3_Shift", 0xB8),
        ("Mode_switch", 0xB8),
    )

    def __init__(self, name: str, layout: Layout) -> None:
        self.name = name
        self.layout = layout
        entries: dict[int, list[tuple[int, int]]] = {}
        by_scancode: dict[int, list[tuple[int, int]]] = {}

        def add(keysym: int, scancode: int, flags: int) -> None:
            if not keysym:
                return
            if keysym >= 0x1000000:
                if keysym - 0x1000000 > 0xFFFF:
                    return  # its name has more than four hex digits: QEMU cannot parse it
                keysym &= 0xFFFF
            codes = entries.setdefault(keysym, [])
            if len(codes) < 4:
                codes.append((scancode, flags))
            by_scancode.setdefault(scancode, []).append((keysym, flags))

        for key in layout.keys.values():

            def sym(mods: Mods, key: Key = key) -> int:
                symbol = key.symbol(mods)
                return symbol.keysym if symbol else 0

            base, shift = sym(Mods.NONE), sym(Mods.SHIFT)
            altgr, both = sym(Mods.ALTGR), sym(Mods.SHIFT | Mods.ALTGR)
            num = key.num.keysym if key.num else base
            add(base, key.scancode, 0)
            if num != base:
                add(num, key.scancode, 0)
            if shift not in (base, num):
                add(shift, key.scancode, self.SHIFT)
            if altgr != base:
                add(altgr, key.scancode, self.ALTGR)
            if both not in (shift, altgr):
                add(both, key.scancode, self.SHIFT | self.ALTGR)
        for keysym_name, scancode in self._QUIRKS:
            add(NAMES[keysym_name], scancode, 0)
        self._entries = entries
        self._by_scancode = by_scancode

    def __repr__(self) -> str:
        return f"<ServerKeymap {self.name} ({self.layout.name})>"

    def scancode_for(
        self, keysym: int, flags: int, down: bool = True, held: Collection[int] = ()
    ) -> int:
        """What QEMU does with a keysym while the `flags` modifiers are held; 0 if unmapped.

        On a release QEMU picks the first of the keysym's keys that is down (`held`).
        """
        if ord("A") <= keysym <= ord("Z"):
            keysym += 0x20
        keysym &= 0xFFFF
        if keysym == NAMES["ISO_Left_Tab"]:
            keysym = NAMES["Tab"]
        codes = self._entries.get(keysym)
        if not codes:
            return 0
        if len(codes) == 1:
            return codes[0][0]
        for scancode, code_flags in codes:
            if (code_flags == flags) if down else (scancode in held):
                return scancode
        return codes[0][0]

    def keysym_for(self, scancode: int, flags: int) -> int | None:
        """A keysym that makes QEMU press `scancode` while `flags` are held, or None.

        The key's first-level keysym is preferred whatever the modifiers: it is where it has
        always been in every QEMU's keymap files (generated from the xkeyboard-config of their
        day), whereas the keysyms of the other levels came and went (ẞ, ſ, dead keys). A letter
        is sent in the case Shift gives it, which QEMU's Caps Lock syncing compares with Shift.
        """
        candidates = self._by_scancode.get(scancode, [])
        ordered = sorted(
            candidates,
            key=lambda item: (item[1] != 0, item[1] != flags & self.SHIFT, item[1] != flags),
        )
        for keysym, _ in ordered:
            if self.scancode_for(keysym, flags) == scancode:
                if flags & self.SHIFT and ord("a") <= keysym <= ord("z"):
                    keysym -= 0x20  # QEMU looks the lower case up
                return keysym
        return None


@functools.cache
def _layout_data(name: str) -> dict[str, Any]:
    layouts = _index()["layouts"]
    if name not in layouts:
        raise UnknownLayoutError(f"unknown keyboard layout {name!r}")
    path = LAYOUTS_DIR / layouts[name]["file"]
    return dict(json.loads(path.read_text(encoding="utf-8")))


def guest_layout_names() -> list[str]:
    """The layouts a guest can be given, in the order of the generator's list."""
    return [name for name, info in _index()["layouts"].items() if info["guest"]]


def layout_descriptions(language: str = "") -> dict[str, str]:
    """Guest layout name → its xkeyboard-config description, such as "French (BEPO)"; in
    ``language`` (a language code or a locale name: "fr", "fr_CA") where xkeyboard-config's own
    catalogue translates it ("Français (BÉPO)"), else in English."""
    translated = _translated_names().get(language.replace("-", "_").split("_")[0].lower(), {})
    return {
        name: translated.get(name, info["description"])
        for name, info in _index()["layouts"].items()
        if info["guest"]
    }


@functools.cache
def _translated_names() -> dict[str, dict[str, str]]:
    """Language → layout name → description, generated by tools/gen_layout_names.py."""
    path = RESOURCES / "layout_names.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))["names"])


@functools.cache
def load_layout(name: str, system: GuestSystem | str = GuestSystem.AUTO) -> GuestLayout:
    """The guest layout of this xkb name (`fr`, `ch(fr)`, `us(intl)`...) on this guest system."""
    return GuestLayout(_layout_data(name), _compose(), GuestSystem(system))


def server_keymap_names() -> list[str]:
    """QEMU's `-k` names the tables cover (en-us, fr, de-ch...)."""
    return list(_index()["server_keymaps"])


@functools.cache
def load_server_keymap(name: str) -> ServerKeymap | None:
    """QEMU's keymap for `-k NAME`; None for `none` (QEMU then maps plain keysyms with en-us).

    NAME is one of QEMU's names (`fr` is xkb's fr(nodeadkeys), `en-us` is `us`), or an xkb
    layout name that one of them was made from (`us`, `ch(fr)`).
    """
    if name == "none":
        return None
    servers: dict[str, str] = _index()["server_keymaps"]
    if name in servers:
        return ServerKeymap(name, Layout(_layout_data(servers[name])))
    for qemu_name, xkb_name in servers.items():
        if xkb_name == name:
            return ServerKeymap(qemu_name, Layout(_layout_data(xkb_name)))
    raise UnknownLayoutError(f"unknown server keymap {name!r}")


def default_server_keymap() -> ServerKeymap:
    """The keymap QEMU uses for plain KeyEvents when started without `-k`: en-us."""
    keymap = load_server_keymap("en-us")
    assert keymap is not None
    return keymap


def untypeable(layout: GuestLayout, text: Iterable[str]) -> list[str]:
    """The distinct characters of `text` the layout cannot type, in order of appearance."""
    seen: dict[str, None] = {}
    for char in text:
        if char not in "\n\r\t" and not layout.can_type(char):
            seen.setdefault(char, None)
    return list(seen)
