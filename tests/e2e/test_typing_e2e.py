"""Typing, end to end: `ovhkvm-desktop type` into QEMU guests whose Linux console uses a layout.

For each of us, fr, de, be, ch(fr), gb, es and it, the command line (a subprocess, exactly as a
user runs it) types a text holding every printable character the guest's console keymap offers,
and the bytes tty1 received (UTF-8; Enter arrives as \\r) must be that text, byte for byte:

- **extended**: QEMU extended key events (the default);
- **plain**: `--no-extended-keys`, plain KeyEvents that QEMU (no `-k`) maps back to keys with its
  en-us keymap. A character no keysym can bring to its key must be reported by the command (exit
  status 3, its stderr line naming it), and exactly those: the expected list comes from QEMU's
  own keymap file (`/usr/share/qemu/keymaps/en-us`, read by `tests.keyboard.xkb_guest`) and the
  layout's key tables, independently of the translator. Everything else must arrive exactly.
  (With the xkeyboard-config and QEMU of this test bed, no character of these layouts is left
  out: a key QEMU would not pick for a keysym is reached through another keysym of that key.)
- **server keymap**: a guest whose QEMU runs with `-k fr`, typed into with `--server-keymap fr`
  and guest layout fr (QEMU then ignores scancodes and maps every keysym with its fr keymap).
- **console**: `--guest console`, the text holding instead every character the xkb layout
  types (dead-key compositions included: those the console cannot compose go as their code,
  Alt + keypad digits) and characters no layout of these has (Ł, ẞ, Ω, Д, 中, ✓, €, 😀...).
  Every one must arrive.

The first three run with the default guest system, `auto` (typing only what a console and a
desktop type alike): their texts end with a few characters a desktop composes but the console
would not (ǎ, ŷ...), which the command must report as untypable, and not type.

Which characters "the console offers". The guest's keymap is ckbcomp's translation of the xkb
layout, compiled by `loadkeys -u -b`; the test reads that very binary keymap (the `.bmap` that
tools/testbed/build-guest.sh leaves next to the guest) and replays what the kernel does with it
(drivers/tty/vt/keyboard.c, Linux 6.1 of the test guest), rather than trusting the xkb tables:

- every key at the four levels a user reaches (none, Shift, AltGr, Shift+AltGr; only the first
  two when the keymap has no AltGr key, as `us`), Caps Lock off, whose entry is a printable
  character: these keymaps have no others than what xkb has at the same key and level;
- the dead keys, and only the compositions the kernel makes of them. The console keeps one
  ASCII diacritic per dead key (`^` for dead_circumflex, `!` for dead_belowdot...) and looks
  the next character up in its accent table; busybox `loadkmap` loads no table and ckbcomp
  writes none, so the kernel's built-in one applies, the Latin-1 set: grave, acute,
  circumflex and diaeresis on the five vowels (acute on Y and y, diaeresis on y only), tilde
  on A, N and O, cedilla on C, in both cases. A dead key followed by space gives the ASCII
  diacritic itself (`^`, `` ` ``, `~`, `'`, `"`), and every other pair types the diacritic
  then the character. So `ê`, `Ñ`, `ÿ` are in the text, and `Ÿ`, `ŷ`, `ǎ`, `ą`, `ṅ`, `¨` or
  `´` (which xkb composes) are not: on a Linux console they cannot be typed, whatever the
  client. This model was checked, independently of the client, with QMP send-key on all eight
  guests: every key at every level, and every dead key followed by each letter and by space.
- intersected with what the project's xkb tables can type (they always cover it here).

Each text has each of those characters once (sorted), plus a tab and a final Enter, so ~100
(us) to ~215 characters. A long pasted shell script (~3,000 characters, all of ASCII, tabs and
newlines, numbered lines) must also arrive complete, in order, nothing doubled (us guest).

Time: the nine guests boot in the background as soon as this module starts, and the typing jobs
run as soon as their guest is up: one after another on each guest, a few guests at a time (a
starved TCG guest drops keys: its emulated PS/2 keyboard queues only 16 bytes). About 3 minutes
on 2 cores: the boots (~45 s together), then the long script (~110 s at the default 15 ms per
key event) while the 17 other jobs (~5-13 s each) share the other slots. `pytest -s` prints a
table: per layout, characters tested and characters that arrived exactly, per mode.
"""

from __future__ import annotations

import ast
import difflib
import functools
import os
import re
import struct
import subprocess
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ovhkvm_desktop.keyboard.layouts import GuestLayout, GuestSystem, Mods, load_layout
from tests.e2e.test_console_e2e import run_cli as run_console_cli
from tests.keyboard.xkb_guest import QemuKeymapFile
from tests.testbed import QemuGuest, keymap_name

LAYOUTS = ("us", "fr", "de", "be", "ch(fr)", "gb", "es", "it")
LONG_SCRIPT_LAYOUT = "us"
# Typing jobs running at once (each on its own guest). On 2 cores, 8 guests receiving keys
# together (QMP send-key, QEMU's own 10 ms pace) lost a few; 3 `type` commands at once lose none.
PARALLEL_JOBS = int(os.environ.get("OVHKVM_TYPING_PARALLEL", "2"))
CLI_TIMEOUT = 300.0  # seconds for one `type` command (the long script takes ~100 s)
ARRIVAL_TIMEOUT = 20.0  # seconds for the last bytes to reach tty1 once the command returned

# --- what the Linux console does with a binary keymap (drivers/tty/vt/keyboard.c) -------------

_KT_LATIN, _KT_DEAD, _KT_SHIFT, _KT_LETTER, _KT_DEAD2 = 0, 4, 7, 11, 13
_KG_ALTGR = 1  # the modifier bit (and keymap column) AltGr sets; Shift is bit 0
# The diacritic the console remembers for each dead key (KT_DEAD value 0, 1, 2...): grave,
# acute, circumflex, tilde, diaeresis, cedilla, macron, breve, abovedot, abovering,
# doubleacute, caron, ogonek, iota, voiced, semivoiced, belowdot, hook, horn, stroke,
# abovecomma, abovereversedcomma, doublegrave, invertedbreve, belowcomma, currency, greek.
_DEAD_DIACRITICS = "`'^~\",_U.*=cki#o!?+-)(:n;$@"
# The kernel's built-in accent table, for the diacritics dead keys give: diacritic → (the
# letters it composes with, the combining mark of the result).
_ACCENT_TABLE = {
    "`": ("AEIOUaeiou", "\u0300"),
    "'": ("AEIOUYaeiouy", "\u0301"),
    "^": ("AEIOUaeiou", "\u0302"),
    "~": ("ANOano", "\u0303"),
    '"': ("AEIOUaeiouy", "\u0308"),
    ",": ("Cc", "\u0327"),
}


def console_compose(diacritic: str, char: str) -> str:
    """What the console types for a dead key's diacritic followed by `char`."""
    letters, mark = _ACCENT_TABLE.get(diacritic, ("", ""))
    if char in letters:
        return unicodedata.normalize("NFC", char + mark)
    if char in (" ", diacritic):
        return diacritic
    return diacritic + char


@dataclass(frozen=True)
class ConsoleKeymap:
    """A console keymap as loadkmap gives it to the kernel: per (keycode, level), Caps Lock off.

    The level is the kernel's modifier mask, which for Shift (1) and AltGr (2) is also the
    project's `Mods` value; keycodes are Linux (evdev) codes, equal to XT codes for these keys.
    """

    chars: dict[tuple[int, int], str]  # printable characters
    dead: dict[tuple[int, int], str]  # dead keys: the diacritic the console keeps
    has_altgr: bool

    @classmethod
    def load(cls, path: Path) -> ConsoleKeymap:
        data = path.read_bytes()
        if data[:7] != b"bkeymap":
            raise ValueError(f"{path} is not a loadkeys -b binary keymap")
        present = [index for index, flag in enumerate(data[7:263]) if flag]
        tables: dict[int, tuple[int, ...]] = {}
        for position, index in enumerate(present):
            start = 263 + position * 256
            tables[index] = struct.unpack("<128H", data[start : start + 256])
        decoded = {
            (code, level): _decode(tables[level][code])
            for level in (0, 1, 2, 3)
            if level in tables
            for code in range(128)
        }
        has_altgr = any(entry == ("shift", _KG_ALTGR) for entry in decoded.values())
        levels = (0, 1, 2, 3) if has_altgr else (0, 1)
        chars: dict[tuple[int, int], str] = {}
        dead: dict[tuple[int, int], str] = {}
        for (code, level), (kind, value) in decoded.items():
            if level not in levels:
                continue
            if kind == "char" and unicodedata.category(str(value))[0] != "C":
                chars[code, level] = str(value)
            elif kind == "dead":
                dead[code, level] = str(value)
        return cls(chars, dead, has_altgr)

    def offers(self) -> set[str]:
        """Every printable character a key or a dead key and a key types."""
        direct = set(self.chars.values())
        composed = {
            console_compose(diacritic, char)
            for diacritic in self.dead.values()
            for char in (*direct, " ")
        }
        return direct | {text for text in composed if len(text) == 1}


def _decode(value: int) -> tuple[str, object]:
    # KDSKBENT stores value ^ 0xF000: below 0xF000 a Unicode character, else type << 8 | value.
    stored = value ^ 0xF000
    if stored >> 8 < 0xF0:
        return "char", chr(stored)
    kind, low = (stored >> 8) - 0xF0, stored & 0xFF
    if kind in (_KT_LATIN, _KT_LETTER):
        return "char", chr(low)
    if kind == _KT_DEAD and low < len(_DEAD_DIACRITICS):
        return "dead", _DEAD_DIACRITICS[low]
    if kind == _KT_DEAD2:
        return "dead", chr(low)
    if kind == _KT_SHIFT:
        return "shift", low
    return "other", (kind, low)


def console_keymap(guest_dir: Path, layout: str) -> ConsoleKeymap:
    path = guest_dir / "keymaps" / f"{keymap_name(layout)}.bmap"
    if not path.is_file():
        pytest.fail(f"{path} missing: run tools/testbed/build-guest.sh", pytrace=False)
    return ConsoleKeymap.load(path)


def layout_text(guest_dir: Path, layout: str) -> str:
    """A tab, every character the console offers that the layout can type, once, then Enter."""
    chars = console_keymap(guest_dir, layout).offers() & load_layout(layout).typeable_chars()
    return "\t" + "".join(sorted(chars)) + "\n"


def refused_text(layout: str, count: int = 6) -> str:
    """A few characters a desktop types with this layout but `--guest auto` must refuse."""
    desktop = load_layout(layout, GuestSystem.DESKTOP).typeable_chars()
    refused = sorted(desktop - load_layout(layout).typeable_chars())
    step = max(1, len(refused) // count)
    return "".join(refused[::step][:count])


#: Characters no layout tested here types, from several scripts and planes.
ELSEWHERE = "ŁłŐőŠšŽžĞğİıẞΩπДж中文✓€→…“”‘’😀"


def console_text(layout: str) -> str:
    """Every character the xkb layout types, and others, for a guest known to be a console."""
    chars = load_layout(layout, GuestSystem.DESKTOP).typeable_chars() | set(ELSEWHERE)
    return "\t" + "".join(sorted(chars)) + "\n"


def long_script() -> str:
    """A shell script of ~3,000 characters: all of printable ASCII, tabs, numbered lines."""
    ascii_chars = "".join(chr(c) for c in range(0x21, 0x7F))
    lines = ["#!/bin/sh", "# every character: " + ascii_chars, "set -eu"]
    for n in range(1, 16):
        lines += [
            f"step_{n:02d}() {{",
            f'\tprintf "%s %d\\n" "${{HOME:-/root}}" {n * 37} >>/tmp/log_{n % 7}.txt',
            f"\t[ $(( {n} % 3 )) -eq 0 ] && echo 'fizz #{n}' | tr a-z A-Z || true",
            f"\tgrep -E '^[A-Za-z_]+={n}?$' ~/.profile | sed 's/[@&]/_/g' ; }}",
        ]
    lines.append(f"# end: {ascii_chars[::-1]}")
    return "\n".join(lines) + "\n"


# --- which characters QEMU cannot bring to the guest's keys (plain KeyEvents, or -k) ----------


def untypable_through(layout: GuestLayout, keymap: QemuKeymapFile, text: str) -> list[str]:
    """The characters of `text` no keysym makes QEMU press with `keymap`, in text order.

    QEMU presses, for a keysym, its only key in the file, else the one listed with exactly the
    Shift/AltGr held, else the first; a character can be typed when every key of one of the
    layout's ways to type it (with its level modifiers held) is reached by some keysym.
    """
    reached: set[tuple[int, int]] = set()
    for keysym in keymap.entries:
        for held in (0, 1, 2, 3):
            reached.add((keymap.scancode(keysym, held, True, ()), held))

    def flags(mods: Mods) -> int:
        return (keymap.SHIFT if mods & Mods.SHIFT else 0) | (
            keymap.ALTGR if mods & Mods.ALTGR else 0
        )

    missing: dict[str, None] = {}
    for char in text:
        if char in "\t\n":
            continue
        if not any(
            all((press.scancode, flags(press.mods)) in reached for press in sequence)
            for sequence in layout.sequences_for(char)
        ):
            missing.setdefault(char, None)
    return list(missing)


# --- running the command line --------------------------------------------------------------


def run_cli(*args: str, stdin: str | None = None, timeout: float = CLI_TIMEOUT):
    return run_console_cli(*args, stdin=stdin, timeout=timeout)


_REPORTED = re.compile(r"cannot type (.*); typed everything else")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def reported_untypable(stderr: str) -> list[str]:
    """The characters the command's stderr line says it could not type."""
    match = _REPORTED.search(stderr)
    if match is None:
        return []
    return [ast.literal_eval(quoted) for quoted in _QUOTED.findall(match.group(1))]


@dataclass(frozen=True)
class Case:
    layout: str
    # "extended", "plain" (--no-extended-keys), "k-fr" (QEMU -k fr), "console" (--guest console)
    mode: str

    @property
    def id(self) -> str:
        return f"{self.layout}-{self.mode}"

    @property
    def guest_options(self) -> dict[str, str]:
        return {"qemu_keymap": "fr"} if self.mode.endswith("k-fr") else {}

    @property
    def cli_options(self) -> list[str]:
        options = ["--guest", "console"] if self.mode.startswith("console") else []
        if self.mode.endswith("plain"):
            options.append("--no-extended-keys")
        if self.mode.endswith("k-fr"):
            options += ["--server-keymap", "fr"]
        return options

    @property
    def qemu_keymap(self) -> str | None:
        """QEMU's keymap that maps the keysyms sent (None: scancodes go straight through)."""
        return {"plain": "en-us", "k-fr": "fr"}.get(self.mode.removeprefix("console-"))


CASES = [Case(layout, "extended") for layout in LAYOUTS]
CASES += [Case(layout, "plain") for layout in LAYOUTS]
CASES += [Case("fr", "k-fr")]
CASES += [Case(layout, "console") for layout in LAYOUTS]
# On a console, what QEMU's keymap cannot press goes by its code: nothing is left out.
CASES += [Case("fr", "console-k-fr"), Case("de", "console-plain")]


@dataclass
class Outcome:
    """One `type` command and what the guest received."""

    text: str
    untypable: list[str]  # what QEMU cannot type, from its keymap file
    proc: subprocess.CompletedProcess
    received: bytes
    seconds: float
    expected: bytes = b""
    reported: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        kept = "".join(c for c in self.text if c not in self.untypable)
        self.expected = kept.replace("\n", "\r").encode()
        self.reported = reported_untypable(self.proc.stderr)

    @property
    def printable(self) -> list[str]:
        return [c for c in self.text if c not in "\t\n"]

    def exact(self) -> int:
        """How many of the typable printable characters arrived in place (all, when equal)."""
        typable = [c for c in self.printable if c not in self.untypable]
        if self.received == self.expected:
            return len(typable)
        want = self.expected.decode()
        got = self.received.decode("utf-8", errors="replace")
        matcher = difflib.SequenceMatcher(None, want, got, autojunk=False)
        return sum(
            sum(1 for c in want[b.a : b.a + b.size] if c not in "\t\n")
            for b in matcher.get_matching_blocks()
        )

    def difference(self) -> str:
        want = self.expected.decode()
        got = self.received.decode("utf-8", errors="replace")
        matcher = difflib.SequenceMatcher(None, want, got, autojunk=False)
        parts = [
            f"{tag} want {want[i1:i2]!r} got {got[j1:j2]!r}"
            for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            if tag != "equal"
        ]
        return (
            f"{len(self.received)} bytes received, {len(self.expected)} expected; "
            + "; ".join(parts[:12])
            + (" ..." if len(parts) > 12 else "")
        )


def type_into(guest: QemuGuest, layout: str, text: str, *options: str, untypable=()) -> Outcome:
    mark = guest.serial_mark()
    start = time.monotonic()
    if len(text) > 1000:
        proc = run_cli("type", guest.vnc_url, "--stdin", "--layout", layout, *options, stdin=text)
    else:
        proc = run_cli("type", guest.vnc_url, "--text", text, "--layout", layout, *options)
    outcome = Outcome(text, list(untypable), proc, b"", 0.0)
    outcome.received = guest.wait_for_received(
        outcome.expected, since=mark, timeout=ARRIVAL_TIMEOUT
    )
    outcome.seconds = time.monotonic() - start
    return outcome


# --- the jobs: one guest after another per guest, a few guests at once -----------------------


class TypingJobs:
    """Typing jobs by name, run in the background: in order on each guest (its chain), at most
    `parallel` typing at once; a job waits for its guest to boot before taking a slot."""

    def __init__(self, parallel: int) -> None:
        self.slot = threading.BoundedSemaphore(parallel)
        self._chains: dict[tuple, ThreadPoolExecutor] = {}
        self._futures: dict[str, Future] = {}
        self.outcomes: dict[str, Outcome] = {}

    def submit(self, name: str, chain: tuple, job: Callable[[], Outcome]) -> None:
        if name in self._futures:
            return
        executor = self._chains.get(chain)
        if executor is None:
            executor = self._chains[chain] = ThreadPoolExecutor(1, thread_name_prefix="typing")

        def run() -> Outcome:
            outcome = job()
            self.outcomes[name] = outcome
            return outcome

        self._futures[name] = executor.submit(run)

    def result(self, name: str) -> Outcome:
        return self._futures[name].result()

    def close(self) -> None:
        for executor in self._chains.values():
            executor.shutdown(wait=True, cancel_futures=True)


LONG_SCRIPT = "long-script"


def _wanted(request: pytest.FixtureRequest) -> tuple[list[Case], bool]:
    """The cases (and whether the long script) this session's selected tests need."""
    items = [item for item in request.session.items if str(item.path) == __file__]
    params = [getattr(getattr(item, "callspec", None), "params", {}) for item in items]
    cases = [p["case"] for p in params if "case" in p]
    long_script_wanted = any(
        getattr(item, "originalname", "") == "test_a_long_pasted_script_arrives_once_in_order"
        for item in items
    )
    return cases, long_script_wanted


@pytest.fixture(scope="module")
def typing_jobs(request, console_guest, testbed_guest_dir: Path) -> Iterator[TypingJobs]:
    cases, long_script_wanted = _wanted(request)
    jobs = TypingJobs(PARALLEL_JOBS)

    def chain(layout: str, options: dict[str, str]) -> tuple:
        return (layout, tuple(sorted(options.items())))

    def typing_case(case: Case) -> Outcome:
        guest = console_guest(case.layout, **case.guest_options)
        if case.mode.startswith("console"):
            text, untypable = console_text(case.layout), []
        else:
            text = layout_text(testbed_guest_dir, case.layout)
            untypable = []
            if case.qemu_keymap is not None:
                keymap = QemuKeymapFile.load(case.qemu_keymap)
                untypable = untypable_through(load_layout(case.layout), keymap, text)
            refused = refused_text(case.layout)
            text = text[:-1] + refused + text[-1:]
            untypable += list(refused)
        with jobs.slot:
            return type_into(guest, case.layout, text, *case.cli_options, untypable=untypable)

    def typing_long_script() -> Outcome:
        guest = console_guest(LONG_SCRIPT_LAYOUT)
        with jobs.slot:
            return type_into(guest, LONG_SCRIPT_LAYOUT, long_script())

    # Boot every guest now, then queue the jobs, the longest first on its guest.
    if long_script_wanted:
        console_guest.prestart(LONG_SCRIPT_LAYOUT)
    for case in cases:
        console_guest.prestart(case.layout, **case.guest_options)
    if long_script_wanted:
        jobs.submit(LONG_SCRIPT, chain(LONG_SCRIPT_LAYOUT, {}), typing_long_script)
    for case in cases:
        job = functools.partial(typing_case, case)
        jobs.submit(case.id, chain(case.layout, case.guest_options), job)
    yield jobs
    jobs.close()
    print_table(jobs.outcomes)


def cell(outcome: Outcome | None) -> str:
    """Exact / typable printable characters of one outcome."""
    if outcome is None:
        return "-"
    typable = len(outcome.printable) - len(outcome.untypable)
    return f"{outcome.exact()}/{typable}"


def print_table(outcomes: dict[str, Outcome]) -> None:
    """Per layout: characters tested, and exact per mode (plain: also what was reported)."""
    if not outcomes:
        return
    print("\n\nTyping end to end: printable characters that arrived exactly, per mode")
    print(
        "| layout | chars | extended | plain (no ext.) | reported | -k fr | refused (auto)"
        " | console: chars | exact | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for layout in LAYOUTS:
        row = {case.mode: outcomes.get(case.id) for case in CASES if case.layout == layout}
        present = [o for o in row.values() if o is not None]
        if not present:
            continue

        plain = row.get("plain")
        refused = set(refused_text(layout))
        reported = (
            "-"
            if plain is None
            else (" ".join(c for c in plain.reported if c not in refused) or "none")
        )
        auto = row.get("extended") or plain
        refused_cell = (
            "-"
            if auto is None
            else (f"{len(refused)} reported" if refused <= set(auto.reported) else "NOT reported")
        )
        console = row.get("console")
        console_cells = (
            "- | -" if console is None else (f"{len(console.printable)} | {cell(console)}")
        )
        seconds = "+".join(f"{o.seconds:.0f}" for o in present)
        auto_modes = [row.get(mode) for mode in ("extended", "plain", "k-fr")]
        chars = next((len(o.printable) - len(refused) for o in auto_modes if o is not None), "-")
        print(
            f"| {layout} | {chars} | {cell(row.get('extended'))}"
            f" | {cell(plain)} | {reported} | {cell(row.get('k-fr'))} | {refused_cell}"
            f" | {console_cells} | {seconds} |"
        )
    for case in CASES:
        outcome = outcomes.get(case.id)
        if case.mode in ("console-k-fr", "console-plain") and outcome is not None:
            print(
                f"\n{case.layout}, {' '.join(case.cli_options)}: {cell(outcome)} exact,"
                f" {outcome.seconds:.0f} s"
            )
    long = outcomes.get(LONG_SCRIPT)
    if long is not None:
        print(
            f"\nlong script ({LONG_SCRIPT_LAYOUT}): {len(long.text)} characters,"
            f" {len(long.received)}/{len(long.expected)} bytes, exact: "
            f"{long.received == long.expected}, {long.seconds:.0f} s"
            f" ({len(long.text) / long.seconds:.0f} characters/s)"
        )


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_types_every_character_the_console_offers(case: Case, typing_jobs: TypingJobs):
    outcome = typing_jobs.result(case.id)
    proc = outcome.proc
    assert proc.returncode == (3 if outcome.untypable else 0), (
        f"status {proc.returncode}: {proc.stderr.strip()}"
    )
    assert outcome.reported == outcome.untypable, proc.stderr
    assert outcome.received == outcome.expected, outcome.difference()


def test_a_long_pasted_script_arrives_once_in_order(typing_jobs: TypingJobs):
    outcome = typing_jobs.result(LONG_SCRIPT)
    assert len(outcome.text) > 2500
    assert outcome.proc.returncode == 0, outcome.proc.stderr
    assert outcome.received == outcome.expected, outcome.difference()


def test_the_console_offers_what_the_layout_types(testbed_guest_dir: Path):
    # The model's side of the bargain: every character the console keymap has on a key is one
    # the xkb layout types too (so no character is left out of the texts unseen).
    for layout in LAYOUTS:
        keymap = console_keymap(testbed_guest_dir, layout)
        missing = set(keymap.chars.values()) - load_layout(layout).typeable_chars()
        assert not missing, f"{layout}: the console has {sorted(missing)} that xkb does not type"
        assert keymap.has_altgr == (layout != "us"), layout
