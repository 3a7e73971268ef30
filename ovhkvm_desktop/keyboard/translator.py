"""The translator: key strokes and texts → the key events to send, so the guest types exactly.

Three modes (DESIGN.md, "The keyboard model"):

- **translate** (default): what the user types appears on the guest. A printable character is
  looked up in the guest layout (a key and its level modifiers, or a dead key then a key); the
  modifiers the user holds are released or added around it as the guest needs, and restored
  after. Keys without text (Enter, arrows, F-keys, Esc) go by their identity, Ctrl/Alt/Super
  combinations by the letter. The host's AltGr, Compose, dead keys and lock keys shape the
  host's text and are not sent; the guest's Caps Lock and Num Lock are brought, from the LED
  state the server reports, to what the next key needs (the layout tables say what keys type
  with Caps Lock off, the one state guest systems agree on).
- **physical**: the key's position is sent; the guest's layout decides.
- **keysym**: plain RFB keysyms, for servers that apply a layout themselves (Xvnc, x11vnc).

Every event carries an XT scancode and a keysym that is never 0. With QEMU extended key
events and no server keymap, the keysym is what the guest layout gives at that key and level;
with a server keymap (QEMU `-k`, which maps keysyms back to keys and ignores scancodes), it is
a keysym that keymap maps to that very key with the modifiers held; with plain KeyEvents, the
same for QEMU's default en-us map. A keypad key goes with the keysym the user typed (KP_1 or
KP_End), when the server maps it to that key too: a QEMU that is not sending LED state brings
the guest's Num Lock to what that keysym needs. One down and one up per physical key; a held
key repeats downs only; the release repeats the values of the press.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from ovhkvm_desktop.keyboard import keysyms, scancodes
from ovhkvm_desktop.keyboard.layouts import (
    GuestLayout,
    GuestSystem,
    KeyPress,
    Mods,
    ServerKeymap,
    default_server_keymap,
    load_layout,
    load_server_keymap,
)


class KeyboardMode(enum.StrEnum):
    TRANSLATE = "translate"
    PHYSICAL = "physical"
    KEYSYM = "keysym"


@dataclass(frozen=True, slots=True)
class KeyStroke:
    """A key the user pressed or released, as the host reports it."""

    down: bool
    scancode: int = 0  # XT code of the physical key (see scancodes.py), 0 if unknown
    keysym: int = 0  # what the host layout calls the key (Qt key → keysym), 0 if unknown
    text: str = ""  # the text the host typed with this press, "" for keys without text
    repeat: bool = False  # an auto-repeat press while the key is held


@dataclass(frozen=True, slots=True)
class WireKeyEvent:
    """One key event for the session to send."""

    down: bool
    keysym: int  # never 0
    scancode: int  # XT set 1, 0x80 | code for E0 keys; 0 in keysym mode
    extended: bool  # True: a QEMU extended key event; False: a plain RFB KeyEvent


@dataclass(frozen=True, slots=True)
class LockState:
    """The guest's keyboard LEDs."""

    caps: bool = False
    num: bool = False
    scroll: bool = False

    @classmethod
    def from_qemu_led_state(cls, bits: int) -> LockState:
        """From the QEMU LED state pseudo-encoding (-261): bit 0 Scroll, 1 Num, 2 Caps Lock."""
        return cls(caps=bool(bits & 4), num=bool(bits & 2), scroll=bool(bits & 1))


@dataclass(slots=True)
class TypedText:
    """The events that type a text, and the characters the guest layout cannot type."""

    events: list[WireKeyEvent]
    unsupported: list[str]


@dataclass(slots=True)
class _Held:
    """A physical key held down, and what was sent for it."""

    event: WireKeyEvent  # its press on the guest (the release repeats it)
    prefix: tuple[KeyPress, ...] = ()  # dead key(s) typed before it on every repeat
    mods: Mods | None = None  # the exact level modifiers it needs; None: the user's own
    strict: bool = False  # text: Ctrl/Alt/Super released around it
    code_entry: str = ""  # a character typed by its code (Linux console), again on each repeat


@dataclass(slots=True)
class _State:
    guest_down: dict[int, WireKeyEvent] = field(default_factory=dict)  # by scancode
    user_mods: dict[int, tuple[str, int]] = field(default_factory=dict)  # key id → role, guest key
    held: dict[int, _Held] = field(default_factory=dict)
    leds: LockState | None = None

    def snapshot(self) -> _State:
        """A copy to go back to if an attempt fails (the values are immutable or replaced,
        never changed in place, so copying the dicts suffices)."""
        return _State(dict(self.guest_down), dict(self.user_mods), dict(self.held), self.leds)


class _CannotSend(Exception):
    """No keysym makes the server press that key with those modifiers."""


_ROLE_KEYSYMS = {  # a host modifier's role → the guest keysyms that play it, in preference
    "shift": ("Shift_L", "Shift_R"),
    "control": ("Control_L", "Control_R"),
    "alt": ("Alt_L", "Alt_R", "Meta_L"),
    "super": ("Super_L", "Super_R"),
}
_MODIFIER_SCANCODES = {
    scancodes.LEFT_SHIFT: "shift",
    scancodes.RIGHT_SHIFT: "shift",
    scancodes.LEFT_CTRL: "control",
    scancodes.RIGHT_CTRL: "control",
    scancodes.LEFT_ALT: "alt",
    scancodes.RIGHT_ALT: "alt",
    scancodes.LEFT_META: "super",
    scancodes.RIGHT_META: "super",
}
_KEYSYM_IDS = 0x10000000  # key ids of strokes without a scancode: this + keysym


def _is_text(text: str) -> bool:
    """One character that is not a control character (U+00A0 is text, unlike isprintable)."""
    return len(text) == 1 and unicodedata.category(text) != "Cc"


class KeyTranslator:
    """Turns the user's key strokes, or a text, into wire key events for one console."""

    def __init__(
        self,
        layout: GuestLayout | str = "us",
        mode: KeyboardMode | str = KeyboardMode.TRANSLATE,
        server_keymap: str = "none",
        extended_keys: bool = True,
        alt_types_text: bool = False,
        system: GuestSystem | str = GuestSystem.AUTO,
    ) -> None:
        """`system` applies to a layout given by name (a `GuestLayout` has its own)."""
        self.layout = load_layout(layout, system) if isinstance(layout, str) else layout
        self.mode = KeyboardMode(mode)
        self.server_keymap: ServerKeymap | None = load_server_keymap(server_keymap)
        self._default_keymap = default_server_keymap()
        self.extended_keys = extended_keys
        # macOS: Option types characters (Option+e...), so Alt with text is text, not a combo.
        self.alt_types_text = alt_types_text
        self.unsupported: list[str] = []  # characters typed by the user the guest cannot type
        self._s = _State()
        layout_ = self.layout
        self._level_keys = frozenset(
            (*layout_.shift_keys, *layout_.altgr_keys, *layout_.level5_keys)
        )
        self._role_keys: dict[str, list[int]] = {}
        for role, names in _ROLE_KEYSYMS.items():
            found = []
            for name in names:
                press = layout_.press_for_keysym(keysyms.by_name(name))
                if press is not None and press.mods == Mods.NONE:
                    found.append(press.scancode)
            self._role_keys[role] = found
        self._modifier_keys = self._level_keys | {
            code for codes in self._role_keys.values() for code in codes
        }

    # -- the guest's state ------------------------------------------------------------------

    @property
    def leds(self) -> LockState | None:
        return self._s.leds

    def set_leds(self, leds: LockState | None) -> None:
        """The LED state the server reported (None: unknown, no lock syncing)."""
        self._s.leds = leds

    def _guest_level(self) -> Mods:
        down = self._s.guest_down
        mods = Mods.NONE
        if any(code in down for code in self.layout.shift_keys):
            mods |= Mods.SHIFT
        if any(code in down for code in self.layout.altgr_keys):
            mods |= Mods.ALTGR
        if any(code in down for code in self.layout.level5_keys):
            mods |= Mods.LEVEL5
        return mods

    def _qemu_flags(self) -> int:
        down = self._s.guest_down
        flags = 0
        if scancodes.LEFT_SHIFT in down or scancodes.RIGHT_SHIFT in down:
            flags |= ServerKeymap.SHIFT
        if scancodes.RIGHT_ALT in down:
            flags |= ServerKeymap.ALTGR
        if scancodes.LEFT_CTRL in down or scancodes.RIGHT_CTRL in down:
            flags |= ServerKeymap.CTRL
        return flags

    def _keysym_for(self, scancode: int, hint: int = 0, meant: int = 0) -> int:
        """The keysym to send with this key now (see the module docstring); `meant`, a keysym
        the user's key gives on this very key of the guest (a keypad key's, which tells Num Lock
        from no Num Lock), is sent when the server would press this key for it too."""
        if self.server_keymap is not None or not self.extended_keys:
            keymap = self.server_keymap or self._default_keymap
            flags = self._qemu_flags()
            if meant and keymap.scancode_for(meant, flags) == scancode:
                return meant
            keysym = keymap.keysym_for(scancode, flags)
            if keysym is None:
                raise _CannotSend(scancode)
            return keysym
        if meant:
            return meant
        return (
            self.layout.keysym_at(scancode, self._guest_level())
            or self.layout.keysym_at(scancode, Mods.NONE)
            or self._default_keymap.layout.keysym_at(scancode, Mods.NONE)
            or hint
            or keysyms.VOID_SYMBOL
        )

    def _send(
        self, out: list[WireKeyEvent], down: bool, scancode: int, hint: int = 0, meant: int = 0
    ) -> WireKeyEvent:
        """Press a key on the guest, or release it with the values it was pressed with."""
        if down:
            keysym = self._keysym_for(scancode, hint, meant)
            event = WireKeyEvent(True, keysym, scancode, self.extended_keys)
            self._s.guest_down[scancode] = event
        else:
            pressed = self._s.guest_down.pop(scancode)
            event = WireKeyEvent(False, pressed.keysym, scancode, pressed.extended)
        out.append(event)
        return event

    def _tap(self, out: list[WireKeyEvent], scancode: int) -> None:
        if scancode in self._s.guest_down:
            self._send(out, False, scancode)
        self._send(out, True, scancode)
        self._send(out, False, scancode)

    def _set_level(self, out: list[WireKeyEvent], mods: Mods, strict: bool) -> None:
        """Exactly these level modifiers down; with `strict`, Ctrl/Alt/Super up as well."""
        down = self._s.guest_down
        layout = self.layout
        wanted: set[int] = set()
        for flag, keys in (
            (Mods.SHIFT, layout.shift_keys),
            (Mods.ALTGR, layout.altgr_keys),
            (Mods.LEVEL5, layout.level5_keys),
        ):
            if mods & flag and keys:
                wanted.add(next((code for code in keys if code in down), keys[0]))
        scope = self._modifier_keys if strict else self._level_keys
        for code in [code for code in down if code in scope and code not in wanted]:
            self._send(out, False, code)
        for code in sorted(wanted):
            if code not in down:
                self._send(out, True, code)

    def _restore_user_mods(self, out: list[WireKeyEvent]) -> None:
        """Back to the modifiers the user holds, once no held key needs others."""
        if any(held.mods is not None for held in self._s.held.values()):
            return
        wanted = {code for _, code in self._s.user_mods.values()}
        for code in [c for c in self._s.guest_down if c in self._modifier_keys]:
            if code not in wanted:
                self._send(out, False, code)
        for code in sorted(wanted):
            if code not in self._s.guest_down:
                self._send(out, True, code)

    def _sync_caps(self, out: list[WireKeyEvent], press: KeyPress) -> None:
        leds = self._s.leds
        caps_key = self.layout.caps_lock_key
        if leds and leds.caps and caps_key and self.layout.caps_affects(press.scancode, press.mods):
            self._tap(out, caps_key)
            self._s.leds = LockState(caps=False, num=leds.num, scroll=leds.scroll)

    def _sync_num(self, out: list[WireKeyEvent], wanted: bool) -> None:
        leds = self._s.leds
        num_key = self.layout.num_lock_key
        if leds is not None and num_key and leds.num != wanted:
            self._tap(out, num_key)
            self._s.leds = LockState(caps=leds.caps, num=wanted, scroll=leds.scroll)

    def _type_presses(
        self, out: list[WireKeyEvent], presses: Iterable[KeyPress], strict: bool
    ) -> None:
        for press in presses:
            self._sync_caps(out, press)
            self._set_level(out, press.mods, strict)
            self._tap(out, press.scancode)

    def _attempt(self, steps: Callable[[list[WireKeyEvent]], object]) -> list[WireKeyEvent] | None:
        """Run ``steps`` (which append the events they send); if the server cannot press one of
        their keys, the state goes back to what it was and the answer is None."""
        out: list[WireKeyEvent] = []
        saved = self._s.snapshot()
        try:
            steps(out)
        except _CannotSend:
            self._s = saved
            return None
        return out

    def _enter_code(self, out: list[WireKeyEvent], char: str) -> None:
        """Type `char` on a Linux console by its code: its decimal digits on the keypad with
        left Alt held, nothing else; the console types it when Alt goes up. (The keymaps
        ckbcomp and kbd make give Alt + keypad digits this meaning whatever the layout, with
        Num Lock on or off; Shift or AltGr held would change it.)"""
        self._set_level(out, Mods.NONE, strict=True)
        alt = scancodes.LEFT_ALT
        if alt in self._s.guest_down:
            self._send(out, False, alt)
        self._send(out, True, alt)
        for digit in str(ord(char)):
            self._tap(out, scancodes.KEYPAD_DIGITS[digit])
        self._send(out, False, alt)

    # -- key strokes ------------------------------------------------------------------------

    def key(self, stroke: KeyStroke) -> list[WireKeyEvent]:
        """The events for one key stroke from the user."""
        key_id = stroke.scancode or _KEYSYM_IDS + stroke.keysym
        if not stroke.down:
            return self._release(key_id)
        held = self._s.held.get(key_id)
        if held is not None:
            return self._repeat(held)
        if stroke.repeat:
            return []  # a repeat of a press that was not sent (a host-only key)
        if self.mode is KeyboardMode.KEYSYM:
            return self._press_keysym(key_id, stroke)
        if self.mode is KeyboardMode.PHYSICAL:
            return self._press_physical(key_id, stroke)
        return self._press_translated(key_id, stroke)

    def release_all(self) -> list[WireKeyEvent]:
        """Release every key the guest holds from us (the window lost focus)."""
        out: list[WireKeyEvent] = []
        for held in reversed(list(self._s.held.values())):
            event = held.event
            if event.scancode:
                if self._s.guest_down.get(event.scancode) is event:
                    self._send(out, False, event.scancode)
            else:
                out.append(WireKeyEvent(False, event.keysym, 0, False))
        self._s.held.clear()
        self._s.user_mods.clear()
        for code in list(self._s.guest_down):
            self._send(out, False, code)
        return out

    def _release(self, key_id: int) -> list[WireKeyEvent]:
        held = self._s.held.pop(key_id, None)
        out: list[WireKeyEvent] = []
        if key_id in self._s.user_mods:
            _, guest_code = self._s.user_mods.pop(key_id)
            still_held = any(code == guest_code for _, code in self._s.user_mods.values())
            if guest_code in self._s.guest_down and not still_held:
                self._send(out, False, guest_code)
        if held is None:
            return out
        event = held.event
        if event.scancode:
            if self._s.guest_down.get(event.scancode) is event:
                self._send(out, False, event.scancode)
        else:
            out.append(WireKeyEvent(False, event.keysym, 0, False))
        if self.mode is KeyboardMode.TRANSLATE:
            self._restore_user_mods(out)
        return out

    def _repeat(self, held: _Held) -> list[WireKeyEvent]:
        out: list[WireKeyEvent] = []
        event = held.event
        if held.code_entry:
            return self._attempt(lambda out: self._enter_code(out, held.code_entry)) or []
        if event.scancode:
            try:
                if held.prefix:
                    self._type_presses(out, held.prefix, held.strict)
                if held.mods is not None:
                    self._set_level(out, held.mods, held.strict)
            except _CannotSend:
                return out
            self._s.guest_down[event.scancode] = event
        out.append(event)
        return out

    def _press_keysym(self, key_id: int, stroke: KeyStroke) -> list[WireKeyEvent]:
        keysym = stroke.keysym
        if not keysym and stroke.text:
            keysym = keysyms.keysym_for_char(stroke.text[0])
        if not keysym:
            return []
        event = WireKeyEvent(True, keysym, 0, False)
        self._s.held[key_id] = _Held(event)
        return [event]

    def _press_physical(self, key_id: int, stroke: KeyStroke) -> list[WireKeyEvent]:
        scancode = stroke.scancode
        if not scancode and stroke.keysym:
            press = self.layout.press_for_keysym(stroke.keysym)
            scancode = press.scancode if press else 0
        if not scancode:
            return []
        out: list[WireKeyEvent] = []
        try:
            event = self._send(out, True, scancode, stroke.keysym)
        except _CannotSend:
            return []
        self._s.held[key_id] = _Held(event)
        return out

    def _press_translated(self, key_id: int, stroke: KeyStroke) -> list[WireKeyEvent]:
        keysym = stroke.keysym
        if keysyms.is_dead(keysym) or keysyms.is_host_level_key(keysym) or keysyms.is_lock(keysym):
            return []
        if not keysym and stroke.scancode in (scancodes.CAPS_LOCK, scancodes.NUM_LOCK):
            return []
        role = self._modifier_role(stroke)
        if role is not None:
            return self._press_modifier(key_id, stroke, role)
        if keysyms.is_keypad(keysym):
            return self._press_keypad(key_id, stroke)
        text = stroke.text if _is_text(stroke.text) else ""
        roles = {role for role, _ in self._s.user_mods.values()}
        # Ctrl+Alt with text is AltGr on Windows; Option with text types on macOS.
        altgr_like = {"control", "alt"} <= roles and "super" not in roles
        option_text = self.alt_types_text and not roles & {"control", "super"}
        combo = bool(roles & {"control", "alt", "super"}) and not (
            text and (altgr_like or option_text)
        )
        if combo:
            return self._press_combo(key_id, stroke, roles)
        if text:
            return self._press_text(key_id, text)
        return self._press_identity(key_id, stroke)

    @staticmethod
    def _modifier_role(stroke: KeyStroke) -> str | None:
        keysym = stroke.keysym
        if keysyms.is_shift(keysym):
            return "shift"
        if keysyms.is_control(keysym):
            return "control"
        if keysyms.is_alt(keysym):
            return "alt"
        if keysyms.is_super(keysym):
            return "super"
        if not keysym:
            return _MODIFIER_SCANCODES.get(stroke.scancode)
        return None

    def _press_modifier(self, key_id: int, stroke: KeyStroke, role: str) -> list[WireKeyEvent]:
        guest_code = 0
        press = self.layout.press_for_keysym(stroke.keysym) if stroke.keysym else None
        if press is not None and press.mods == Mods.NONE and press.scancode in self._modifier_keys:
            guest_code = press.scancode
        elif self._role_keys[role]:
            same_side = [c for c in self._role_keys[role] if c == stroke.scancode]
            guest_code = (same_side or self._role_keys[role])[0]
        if not guest_code:
            return []
        self._s.user_mods[key_id] = (role, guest_code)
        out: list[WireKeyEvent] = []
        if guest_code not in self._s.guest_down:
            try:
                self._send(out, True, guest_code, stroke.keysym)
            except _CannotSend:
                del self._s.user_mods[key_id]
                return []
        return out

    def _press_keypad(self, key_id: int, stroke: KeyStroke) -> list[WireKeyEvent]:
        found = self.layout.keypad_key(stroke.keysym)
        if found is None:
            return self._press_identity(key_id, stroke)
        scancode, num_on = found

        def steps(out: list[WireKeyEvent]) -> None:
            self._sync_num(out, num_on)
            self._restore_user_mods(out)
            # The keypad keysym the user meant, not the key's first level (KP_End for KP_1):
            # without the LED state, QEMU brings Num Lock to what that keysym needs.
            event = self._send(out, True, scancode, stroke.keysym, meant=stroke.keysym)
            self._s.held[key_id] = _Held(event)

        return self._attempt(steps) or []

    def _press_identity(self, key_id: int, stroke: KeyStroke) -> list[WireKeyEvent]:
        press = self.layout.press_for_keysym(stroke.keysym) if stroke.keysym else None
        scancode = press.scancode if press is not None else stroke.scancode
        if not scancode:
            return []

        def steps(out: list[WireKeyEvent]) -> None:
            self._restore_user_mods(out)
            self._s.held[key_id] = _Held(self._send(out, True, scancode, stroke.keysym))

        return self._attempt(steps) or []

    def _press_combo(self, key_id: int, stroke: KeyStroke, roles: set[str]) -> list[WireKeyEvent]:
        char = keysyms.char_for_keysym(stroke.keysym) if stroke.keysym else ""
        if not char and _is_text(stroke.text):
            char = stroke.text
        letter = char.lower() if char.isalpha() else char
        sequence = self.layout.sequence_for(letter) if letter else None
        if sequence is None or len(sequence) != 1:
            return self._press_identity(key_id, stroke)
        press = sequence[0]
        mods = press.mods
        if letter.isalpha() and "shift" in roles:
            mods |= Mods.SHIFT

        def steps(out: list[WireKeyEvent]) -> None:
            self._set_level(out, mods, strict=False)
            event = self._send(out, True, press.scancode, stroke.keysym)
            self._s.held[key_id] = _Held(event, mods=mods)

        return self._attempt(steps) or []

    def _press_text(self, key_id: int, char: str) -> list[WireKeyEvent]:
        def hold(sequence: tuple[KeyPress, ...], out: list[WireKeyEvent]) -> None:
            """Type the sequence's keys and keep its last key down (until the user's is up)."""
            prefix, last = sequence[:-1], sequence[-1]
            self._type_presses(out, prefix, strict=True)
            self._sync_caps(out, last)
            self._set_level(out, last.mods, strict=True)
            if last.scancode in self._s.guest_down:
                self._send(out, False, last.scancode)
            event = self._send(out, True, last.scancode)
            self._s.held[key_id] = _Held(event, prefix=prefix, mods=last.mods, strict=True)

        def enter_code(out: list[WireKeyEvent]) -> None:
            self._enter_code(out, char)
            # Nothing stays down; the release only gives the user's modifiers back.
            self._s.held[key_id] = _Held(out[-1], mods=Mods.NONE, strict=True, code_entry=char)

        ways: list[Callable[[list[WireKeyEvent]], None]] = [
            partial(hold, sequence) for sequence in self.layout.sequences_for(char)
        ]
        if self.layout.enters_codes and self.layout.can_type(char):
            ways.append(enter_code)
        for way in ways:
            out = self._attempt(way)
            if out is not None:
                return out
        self.unsupported.append(char)
        return []

    # -- texts ------------------------------------------------------------------------------

    def type_text(self, text: str) -> TypedText:
        """The events that type `text` (newline: Enter, tab: Tab), starting from this state.

        Modifiers are set per character and restored to what the user holds at the end.
        """
        out: list[WireKeyEvent] = []
        unsupported: dict[str, None] = {}
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if self.mode is KeyboardMode.KEYSYM:
            for char in text:
                if char not in "\n\t" and not _is_text(char):
                    unsupported.setdefault(char, None)
                    continue
                keysym = keysyms.keysym_for_char(char)
                out += [WireKeyEvent(True, keysym, 0, False), WireKeyEvent(False, keysym, 0, False)]
            return TypedText(out, list(unsupported))
        for char in text:
            if char in "\n\t":
                press = self.layout.press_for_keysym(
                    keysyms.RETURN if char == "\n" else keysyms.TAB
                )
                sequences: list[tuple[KeyPress, ...]] = (
                    [(KeyPress(press.scancode, Mods.NONE),)] if press else []
                )
            else:
                sequences = self.layout.sequences_for(char)
            if self.layout.enters_codes and self.layout.can_type(char):
                # Typed by its code when no key types it, or the server cannot press those keys
                # (QEMU's -k keymap lacks a keysym for them).
                sequences = [*sequences, ()]
            for sequence in sequences:
                typed = self._attempt(
                    partial(self._type_presses, presses=sequence, strict=True)
                    if sequence
                    else partial(self._enter_code, char=char)
                )
                if typed is not None:
                    out += typed
                    break
            else:
                unsupported.setdefault(char, None)
        self._restore_user_mods(out)
        return TypedText(out, list(unsupported))


def text_to_events(
    text: str,
    layout: GuestLayout | str = "us",
    *,
    mode: KeyboardMode | str = KeyboardMode.TRANSLATE,
    server_keymap: str = "none",
    extended_keys: bool = True,
    leds: LockState | None = None,
    system: GuestSystem | str = GuestSystem.AUTO,
) -> TypedText:
    """The events that type `text` on a guest using `layout`, and what it cannot type.

    Physical mode has no meaning for a text: it is typed as in translate mode.
    """
    if KeyboardMode(mode) is KeyboardMode.PHYSICAL:
        mode = KeyboardMode.TRANSLATE
    translator = KeyTranslator(layout, mode, server_keymap, extended_keys, system=system)
    translator.set_leds(leds)
    return translator.type_text(text)
