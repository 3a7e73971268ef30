"""An independent guest for the round trips: libxkbcommon's state machine and Compose, and QEMU.

`XkbGuest` compiles the guest's keymap with libxkbcommon (not from the project's tables), is fed
the key events a QEMU would pass to the guest, and writes down the text the guest would see.
`QemuKeymapFile` reads one of QEMU's own keymap files (/usr/share/qemu/keymaps, package
qemu-system-data) and maps keysyms back to scancodes the way QEMU's ui/keymaps.c does, for the
round trips through plain KeyEvents and through `-k`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from xkbcommon import xkb  # the test extra; needs libxkbcommon-dev to build

from ovhkvm_desktop.keyboard import scancodes
from ovhkvm_desktop.keyboard.translator import WireKeyEvent

COMPOSE_FILE = Path("/usr/share/X11/locale/en_US.UTF-8/Compose")
QEMU_KEYMAPS = Path("/usr/share/qemu/keymaps")

_context = xkb.Context(no_environment_names=True)
_compose_table = None


def compose_table():  # type: ignore[no-untyped-def]
    global _compose_table
    if _compose_table is None:
        if not COMPOSE_FILE.exists():
            pytest.fail(f"{COMPOSE_FILE} missing (apt-get install libx11-data)")
        _compose_table = _context.compose_table_new_from_buffer(
            COMPOSE_FILE.read_bytes(), "en_US.UTF-8"
        )
    return _compose_table


def compile_keymap(name: str):  # type: ignore[no-untyped-def]
    match = re.fullmatch(r"([a-z]+)(?:\((\w+)\))?", name)
    assert match, name
    return _context.keymap_new_from_names(
        rules="evdev", model="pc105", layout=match.group(1), variant=match.group(2) or "",
        options="",
    )  # fmt: skip


_MODIFIER_RANGES = [
    (xkb.keysym_from_name("Shift_L"), xkb.keysym_from_name("Hyper_R")),
    (xkb.keysym_from_name("ISO_Lock"), xkb.keysym_from_name("ISO_Level5_Lock")),
    (xkb.keysym_from_name("Mode_switch"), xkb.keysym_from_name("Mode_switch")),
    (xkb.keysym_from_name("Num_Lock"), xkb.keysym_from_name("Num_Lock")),
]


def _is_modifier(keysym: int) -> bool:
    return any(low <= keysym <= high for low, high in _MODIFIER_RANGES)


class XkbGuest:
    """A guest running xkb layout `name`: key events in, text out."""

    def __init__(self, name: str, caps_lock: bool = False, num_lock: bool = False) -> None:
        self.keymap = compile_keymap(name)
        self.state = self.keymap.state_new()
        self.compose = compose_table().compose_state_new()
        self.text: list[str] = []
        self.cancelled = 0  # dead-key sequences that composed nothing
        self.pressed: set[int] = set()
        for on, evdev in ((caps_lock, 58), (num_lock, 69)):
            if on:
                self.state.update_key(evdev + 8, xkb.XKB_KEY_DOWN)
                self.state.update_key(evdev + 8, xkb.XKB_KEY_UP)

    def key(self, scancode: int, down: bool) -> None:
        evdev = scancodes.to_evdev(scancode)
        assert evdev is not None, f"no key for XT {scancode:#x}"
        keycode = evdev + 8
        if not down:
            self.pressed.discard(scancode)
            self.state.update_key(keycode, xkb.XKB_KEY_UP)
            self._released(scancode)
            return
        self.pressed.add(scancode)
        self._pressed(scancode, keycode)
        self.state.update_key(keycode, xkb.XKB_KEY_DOWN)

    def _released(self, scancode: int) -> None:
        """After a key went up (guests that act on releases override this)."""

    def _pressed(self, scancode: int, keycode: int) -> None:
        """A key went down, the state not updated yet: what it types."""
        keysym = self.state.key_get_one_sym(keycode)
        # Modifier keys never interrupt a dead key (libX11's IsModifierKey); libxkbcommon 1.5's
        # Compose forgets ISO_Level5_Shift, so they are not fed to it at all.
        if not _is_modifier(keysym) and self.compose.feed(keysym) == xkb.XKB_COMPOSE_FEED_ACCEPTED:
            status = self.compose.get_status()
            if status == xkb.XKB_COMPOSE_COMPOSED:
                self.text.append(self.compose.get_utf8())
                self.compose.reset()
            elif status == xkb.XKB_COMPOSE_CANCELLED:
                self.cancelled += 1
                self.compose.reset()
            elif status == xkb.XKB_COMPOSE_NOTHING:
                self.text.append(self.state.key_get_string(keycode).replace("\r", "\n"))

    @property
    def caps_lock(self) -> bool:
        return bool(self.state.led_name_is_active("Caps Lock"))

    @property
    def num_lock(self) -> bool:
        return bool(self.state.led_name_is_active("Num Lock"))

    def take_text(self) -> str:
        text = "".join(self.text)
        self.text.clear()
        return text


@dataclass
class QemuKeymapFile:
    """QEMU's keysym → scancodes map of `-k NAME` (or en-us, used for plain KeyEvents)."""

    entries: dict[int, list[tuple[int, int]]]

    SHIFT, ALTGR, CTRL = 1, 2, 4

    @classmethod
    def load(cls, name: str) -> QemuKeymapFile:
        path = QEMU_KEYMAPS / name
        if not path.exists():
            pytest.fail(f"{path} missing (apt-get install qemu-system-data)")
        entries: dict[int, list[tuple[int, int]]] = {}
        for line in path.read_text().splitlines():
            if not line or line.startswith(("#", "map ", "include ")):
                continue
            name_, _, rest = line.partition(" ")
            keysym = cls._keysym(name_)
            if not keysym:
                continue
            flags = (
                (cls.SHIFT if "shift" in rest else 0)
                | (cls.ALTGR if "altgr" in rest else 0)
                | (cls.CTRL if "ctrl" in rest else 0)
            )
            codes = entries.setdefault(keysym, [])
            if len(codes) < 4:
                codes.append((int(rest.split()[0], 0), flags))
        return cls(entries)

    def has(self, keysym: int, scancode: int, flags: int) -> bool:
        """Whether the file maps this keysym to this key at these modifiers."""
        if keysym >= 0x1000000:
            keysym &= 0xFFFF
        return (scancode, flags) in self.entries.get(keysym, [])

    @staticmethod
    def _keysym(name: str) -> int:
        # QEMU reads "Uxxxx" as the bare code point; other names are X keysym names.
        if re.fullmatch(r"U[0-9A-Fa-f]{4}", name):
            return int(name[1:], 16)
        return int(xkb.keysym_from_name(name))

    def scancode(self, keysym: int, flags: int, down: bool, pressed: Iterable[int]) -> int:
        if ord("A") <= keysym <= ord("Z"):
            keysym += 0x20
        codes = self.entries.get(keysym & 0xFFFF)
        if not codes:
            return 0
        if len(codes) == 1:
            return codes[0][0]
        if down:
            for code, code_flags in codes:
                if code_flags == flags:
                    return code
        else:
            held = set(pressed)
            for code, _ in codes:
                if code in held:
                    return code
        return codes[0][0]


class Qemu:
    """What QEMU's VNC server passes to the guest for each event it receives."""

    def __init__(
        self, guest: XkbGuest, keymap: QemuKeymapFile | None, default: QemuKeymapFile | None
    ):
        self.guest = guest
        self.keymap = keymap  # `-k`: every event is mapped by keysym
        self.default = default  # en-us: plain KeyEvents without `-k`
        self.unmapped = 0

    def _flags(self) -> int:
        pressed = self.guest.pressed
        flags = 0
        if pressed & {0x2A, 0x36}:
            flags |= QemuKeymapFile.SHIFT
        if 0xB8 in pressed:
            flags |= QemuKeymapFile.ALTGR
        if pressed & {0x1D, 0x9D}:
            flags |= QemuKeymapFile.CTRL
        return flags

    def send(self, events: Iterable[WireKeyEvent]) -> None:
        for event in events:
            assert event.keysym != 0, event
            if event.extended and self.keymap is None:
                scancode = event.scancode
            else:
                keymap = self.keymap or self.default
                assert keymap is not None
                scancode = keymap.scancode(
                    event.keysym, self._flags(), event.down, self.guest.pressed
                )
            if not scancode:
                self.unmapped += 1
                continue
            self.guest.key(scancode, event.down)
