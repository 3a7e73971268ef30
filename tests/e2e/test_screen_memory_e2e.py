"""`read` equals the guest's own screen memory, cell for cell.

The screen-mode guest (tests/testbed.py) shows every printable character its console font has,
in several colours and in inverse video, on QEMU's VGA text mode and on the kernel's framebuffer
console at 1920x1080 and 1024x768, with the font it boots with and with console-setup fonts
loaded as Debian's setupcon loads them. The reference is tty1's screen memory (/dev/vcsu1,
read in the guest and sent over its second serial port); `read --json` (the real client path:
session, decoders, screen reader) must give the same character in every cell, or one the font
draws with the same glyph (the screen cannot tell them apart: 'A' and Greek 'Α').
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator

import pytest

from ovhkvm_desktop.rfb.framebuffer import Framebuffer
from ovhkvm_desktop.screen_text import UNREADABLE, glyph_tables, read_screen
from ovhkvm_desktop.screen_text.fonts import fonts
from tests.e2e.conftest import _launch, _ready
from tests.e2e.test_console_e2e import run_cli
from tests.screen_text.lossy_pages import through_jpeg
from tests.screen_text.render import psf
from tests.testbed import QemuGuest

#: The guests: VGA text mode (lossy=on, for Tight's JPEG), and fbcon at two resolutions.
SCREENS = {
    "vga-text": {"extra_append": "", "lossy": True},
    "fbcon-1920x1080": {"extra_append": "vga=0x392"},
    "fbcon-1024x768": {"extra_append": "vga=0x344"},
}
#: The fonts each screen is read with: None is the one it boots with (the VGA BIOS font in text
#: mode, the kernel's own 8x16 on fbcon), then console-setup's, loaded in this order.
FONTS = {
    "vga-text": [None, "Uni2-VGA16", "Lat15-Terminus16", "Uni2-VGA8"],
    "fbcon-1920x1080": [None, "Uni2-Terminus32x16", "Uni2-Fixed16"],
    "fbcon-1024x768": [None, "Uni2-TerminusBold16", "Lat15-VGA16"],
}
#: Colours: SGR sequences cycled every few characters (foregrounds on backgrounds, bold,
#: inverse video).
COLOURS = [
    "0", "1;37;44", "32", "1;33", "31;47", "36;40", "7;35", "1;35", "34;47", "1;32;41", "33;44",
    "1;31", "37;42", "1;36;45",
]  # fmt: skip
#: (No colour pair here is another's inverse: where a screen shows both, the halves of inverse
#: glyph pairs, '▀' and '▄', cannot be told apart and read as unreadable, by design.)
#: The encodings `read` is checked through, on the VGA text screen ("tight-jpeg": Tight with a
#: JPEG quality level, QEMU's lossy=on).
ENCODINGS = {
    "raw": ("--encodings", "raw"),
    "hextile": ("--encodings", "hextile"),
    "zlib": ("--encodings", "zlib"),
    "zrle": ("--encodings", "zrle"),
    "tight": ("--encodings", "tight"),
    "tightpng": ("--encodings", "tightpng"),
    "tight-jpeg": ("--encodings", "tight", "--quality", "9"),
}

_guests: dict[str, QemuGuest] = {}


@pytest.fixture(scope="module")
def screens(testbed_guest_dir) -> Iterator[dict[str, QemuGuest]]:
    """The three screen-mode guests, booting together."""
    for name, options in SCREENS.items():
        _guests[name] = _launch(mode="screen", **options)
    yield {name: _ready(guest) for name, guest in _guests.items()}
    for guest in _guests.values():
        guest.close()
    _guests.clear()


def printable(chars: set[str]) -> list[str]:
    """The characters a console shows one to a cell (no controls, no combining marks; not
    U+FFFD, which the reader keeps for what it cannot read)."""
    return sorted(
        c
        for c in chars
        if c.isprintable()
        and c != UNREADABLE
        and not unicodedata.combining(c)
        and unicodedata.category(c) not in ("Mn", "Me", "Cf", "Zl", "Zp")
        and unicodedata.east_asian_width(c) not in ("W", "F")
    )


def charset(screen: str, font: str | None) -> list[str]:
    """Every printable character of the font the screen shows: a loaded font's own Unicode
    table (read from its file), or the kernel's default map for the font it boots with."""
    if font is not None:
        return printable(set(psf(font).glyph_of))
    name = "VGA-BIOS-8x16" if screen == "vga-text" else "Linux-VGA8x16"
    (shipped,) = [f for f in fonts() if f.name == name]
    return printable({char for _, _, chars in shipped.glyphs for char in chars})


def show(guest: QemuGuest, chars: list[str], columns: int) -> None:
    """Clear tty1, hide the cursor, and write the characters in rows, changing colour every
    seven characters."""
    out = ["\033[0m\033[2J\033[H\033[?25l"]
    per_row = columns - 1
    for start in range(0, len(chars), per_row):
        row = chars[start : start + per_row]
        for k in range(0, len(row), 7):
            colour = COLOURS[(start // per_row + k // 7) % len(COLOURS)]
            out.append(f"\033[0;{colour}m" + "".join(row[k : k + 7]))
        out.append("\033[0m\r\n")
    guest.show("".join(out))


def same_glyph(font_name: str, cell_width: int, read: str, kept: str) -> bool:
    """Whether the font draws both characters with one glyph (or the cell is a full block read
    as a blank: a cell of one colour that is some text's background reads as a blank)."""
    if read == kept:
        return True
    for table in glyph_tables():
        if table.name == font_name and table.width == cell_width:
            if read == " ":
                full = [a for a, b in zip(table.alike, table.bitmaps, strict=True) if b.all()]
                if any(kept in alike for alike in full):
                    return True
            return any(read in alike and kept in alike for alike in table.alike)
    raise AssertionError(f"no glyph table {font_name} {cell_width}")


def differences(screen: dict, cell: tuple[int, int], memory: list[str]) -> list[str]:
    rows = [row.ljust(len(memory[0])) for row in screen["rows"]]
    assert len(rows) == len(memory), (len(rows), len(memory))
    wrong = []
    for r, (read_row, kept_row) in enumerate(zip(rows, memory, strict=True)):
        for c, (read, kept) in enumerate(zip(read_row, kept_row, strict=True)):
            if read == UNREADABLE or not same_glyph(screen["font"], cell[0], read, kept):
                wrong.append(f"({c}, {r}) read {read!r}, screen memory {kept!r}")
    return wrong


def read_json(guest: QemuGuest, *options: str) -> dict:
    done = run_cli("read", f"vnc://{guest.host}:{guest.port}", "--json", *options)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cell_of(screen: dict, memory: list[str], guest: QemuGuest) -> tuple[int, int]:
    """The cell size the screen's pixels and its rows imply."""
    width, height = guest.screendump_rgb().shape[1::-1]
    return width // len(memory[0]), height // len(memory)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_reads_the_screen_memory(screens, encoding: str) -> None:
    """The VGA text screen in the BIOS font (before any font is loaded: these tests come first),
    through each data encoding."""
    guest = screens["vga-text"]
    memory = _vga_charset_screen(guest)
    read = read_json(guest, *ENCODINGS[encoding])
    wrong = differences(read, (9, 16), memory)
    assert read["font"] == "VGA-BIOS-8x16"
    assert not wrong, f"{len(wrong)} cells differ: {wrong[:8]}"


def _vga_charset_screen(guest: QemuGuest) -> list[str]:
    memory, _ = guest.screen_memory()
    if not any("☺" in row for row in memory):  # the BIOS font's charset is not on screen
        show(guest, charset("vga-text", None), 80)
        memory, _ = guest.screen_memory()
    return memory


def test_the_guests_screen_through_jpeg_reads_no_wrong_cell(screens) -> None:
    """QEMU sends text as lossless Tight (palette) unless an area changes often; the same
    screen through libjpeg at QEMU's top quality (80) still reads right where it reads."""
    guest = screens["vga-text"]
    memory = _vga_charset_screen(guest)
    dumped = guest.screendump_rgb()
    fb = Framebuffer(dumped.shape[1], dumped.shape[0])
    fb.pixels[:, :, :3] = dumped[:, :, ::-1]
    screen = read_screen(through_jpeg(fb, 80))
    assert screen.font == "VGA-BIOS-8x16"
    rows = [row.ljust(80) for row in screen.rows]
    read = wrong = 0
    for r, (read_row, kept_row) in enumerate(zip(rows, memory, strict=True)):
        for c, (got, kept) in enumerate(zip(read_row, kept_row, strict=True)):
            if got == UNREADABLE or kept == " ":
                continue
            read += 1
            if not same_glyph("VGA-BIOS-8x16", 9, got, kept):
                wrong += 1
                print(f"({c}, {r}) read {got!r}, screen memory {kept!r}")
    shown = sum(1 for row in memory for c in row if c != " ")
    print(f"JPEG 80: {read} of {shown} characters read")
    assert wrong == 0
    assert read >= shown * 0.25


@pytest.mark.parametrize(
    ("screen", "font"), [(s, f) for s, fs in FONTS.items() for f in fs], ids=str
)
def test_read_equals_the_guests_screen_memory(screens, screen: str, font: str | None) -> None:
    guest = screens[screen]
    if font is not None:
        guest.load_font(font)
    memory, _ = guest.screen_memory()
    chars = charset(screen, font)
    show(guest, chars, len(memory[0]))
    memory, _ = guest.screen_memory()
    shown = sum(len(row.strip()) for row in memory)
    assert shown >= len(chars) * 0.95, "the guest did not show the characters"

    read = read_json(guest)
    cell = cell_of(read, memory, guest)
    assert read["font"] is not None
    assert read["cursor"] is None  # hidden
    wrong = differences(read, cell, memory)
    assert not wrong, f"{len(wrong)} cells differ ({read['font']}): {wrong[:8]}"


def test_wait_and_type_drive_a_login_on_the_console(testbed_guest_dir) -> None:
    """A script logs into the guest's console: wait for the login prompt, type root, wait for
    the password prompt, type it, wait for the shell, run a command and wait for its output;
    the screen then reads as the guest's screen memory."""
    from tests.testbed import SCREEN_ROOT_PASSWORD

    guest = _ready(_launch(mode="screen"))
    try:
        target = f"vnc://{guest.host}:{guest.port}"
        guest.start_login()
        steps = [
            ("ovhkvm login:", "root\n"),
            ("Password:", SCREEN_ROOT_PASSWORD + "\n"),
            ("root@ovhkvm:~#", "echo ovh$((6 * 7))kvm\n"),
        ]
        for prompt, answer in steps:
            waited = run_cli("wait", target, "--for", prompt, "--timeout", "30")
            assert (waited.returncode, waited.stderr) == (0, ""), f"waiting for {prompt!r}"
            typed = run_cli("type", target, "--layout", "us", "--text", answer)
            assert typed.returncode == 0, typed.stderr
        waited = run_cli("wait", target, "--for", "ovh42kvm", "--timeout", "30")
        assert (waited.returncode, waited.stderr) == (0, "")

        memory, cursor = guest.screen_memory()
        assert any(row.startswith("ovh42kvm") for row in memory), memory
        assert SCREEN_ROOT_PASSWORD not in "".join(memory)  # login does not echo it
        read = read_json(guest)
        # The cursor blinks after the new prompt: its cell may be unreadable.
        if read["cursor"] is not None:
            assert tuple(read["cursor"]) == cursor
        rows = [row.ljust(80) for row in read["rows"]]
        for r, (got, kept) in enumerate(zip(rows, memory, strict=True)):
            if r == cursor[1]:
                got, kept = got.replace(UNREADABLE, " "), kept
            assert got.rstrip() == kept.rstrip(), (r, got, kept)
    finally:
        guest.close()
