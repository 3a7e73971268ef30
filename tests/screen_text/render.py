"""A console renderer for the tests, independent from the reader: it reads the fonts' own files
(PSF, the VGA BIOS ROM) with its own small parser and draws cells the way the kernel's fbcon and
QEMU's VGA text mode do."""

from __future__ import annotations

import gzip
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ovhkvm_desktop.rfb.framebuffer import Framebuffer

CONSOLEFONTS = Path("/usr/share/consolefonts")
SEABIOS_VGA = Path("/usr/share/seabios/vgabios-stdvga.bin")
GRUB_FONT = Path("/usr/share/grub/unicode.pf2")
SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "screen_text"


@dataclass
class TestFont:
    __test__ = False

    name: str
    width: int
    height: int
    glyphs: list[np.ndarray]  # (height, width) bool
    glyph_of: dict[str, int]  # character → glyph index


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the screen reader's tests draw with the fonts' own files"
            " (Debian packages console-setup-linux and seabios; tools/testbed/install-deps.sh)"
        )
    return path.read_bytes()


def psf(name: str) -> TestFont:
    data = gzip.decompress(_read(CONSOLEFONTS / f"{name}.psf.gz"))
    glyph_of: dict[str, int] = {}
    if data[:2] == b"\x36\x04":  # PSF1: 8 pixels wide, 256 or 512 glyphs, UCS-2 table
        count, height, width, start = (512 if data[2] & 1 else 256), data[3], 8, 4
        size = height
        table = data[start + count * size :]
        glyph = 0
        seq = False
        for (value,) in struct.iter_unpack("<H", table[: len(table) // 2 * 2]):
            if value == 0xFFFF:
                glyph, seq = glyph + 1, False
            elif value == 0xFFFE:
                seq = True
            elif not seq:
                glyph_of.setdefault(chr(value), glyph)
    else:  # PSF2
        header = struct.unpack("<8I", data[:32])
        start, count, size, height, width = header[2], header[4], header[5], header[6], header[7]
        table = data[start + count * size :]
        for glyph, entry in enumerate(table.split(b"\xff")[:count]):
            for char in entry.split(b"\xfe")[0].decode():
                glyph_of.setdefault(char, glyph)
    row_bytes = (width + 7) // 8
    glyphs = []
    for i in range(count):
        raw = np.frombuffer(data[start + i * size : start + (i + 1) * size], np.uint8)
        glyphs.append(np.unpackbits(raw.reshape(height, row_bytes), axis=1)[:, :width] > 0)
    return TestFont(name, width, height, glyphs, glyph_of)


def vga_bios(height: int = 16, kernel_map: bool = False) -> TestFont:
    """The font QEMU's VGA text mode shows at boot: SeaBIOS's, code page 437 (Python's codec),
    or with kernel_map the characters Linux draws with each glyph (its default Unicode map,
    which only the kernel image holds: taken from the shipped data)."""
    rom = _read(SEABIOS_VGA)
    smiley = {16: "00007e81a58181bd9981817e00000000", 8: "7e81a581bd99817e"}[height]
    start = rom.index(bytes(height) + bytes.fromhex(smiley))
    glyphs = [
        np.unpackbits(np.frombuffer(rom[start + i * height : start + (i + 1) * height], np.uint8))
        .reshape(height, 8)
        .astype(bool)
        for i in range(256)
    ]
    glyph_of = {bytes([i]).decode("cp437"): i for i in range(0x20, 0x100) if i != 0x7F}
    name = f"VGA-BIOS-8x{height}"
    if kernel_map:
        document = json.loads((SHIPPED / f"{name}.json").read_text("utf-8"))
        glyph_of = {char: index for index, _, chars in document["glyphs"] for char in chars}
    return TestFont(name, 8, height, glyphs, glyph_of)


def grub_unifont() -> TestFont:
    """GRUB's graphical terminal font as gfxterm draws it: each glyph of unicode.pf2 (a PF2
    file: named sections, then glyphs of width, height, x and y offsets, advance and a bitmap
    packed without row padding) in an 8x16 cell, its bottom row at the baseline (ascent rows
    down) less its y offset. Only the glyphs one cell wide, of the characters below U+2600."""
    data = _read(GRUB_FONT)
    sections = {}
    at = 0
    while at < len(data):
        name, size = data[at : at + 4], struct.unpack(">I", data[at + 4 : at + 8])[0]
        if name == b"DATA":
            break
        sections[name] = data[at + 8 : at + 8 + size]
        at += 8 + size
    ascent = struct.unpack(">H", sections[b"ASCE"])[0]
    height = struct.unpack(">H", sections[b"MAXH"])[0]
    glyphs: list[np.ndarray] = []
    glyph_of: dict[str, int] = {}
    index = sections[b"CHIX"]
    for k in range(0, len(index), 9):
        code, _, offset = struct.unpack(">IBI", index[k : k + 9])
        if code >= 0x2600:
            break
        w, h, dx, dy, advance = struct.unpack(">HHhhh", data[offset : offset + 10])
        if advance != 8:
            continue
        bits = np.unpackbits(np.frombuffer(data[offset + 10 :], np.uint8, (w * h + 7) // 8))
        cell = np.zeros((height, 8), bool)
        cell[ascent - h - dy : ascent - dy, dx : dx + w] = bits[: w * h].reshape(h, w) > 0
        glyph_of[chr(code)] = len(glyphs)
        glyphs.append(cell)
    return TestFont("GRUB-Unifont-8x16", 8, height, glyphs, glyph_of)


def cell_bitmap(font: TestFont, char: str, cell_width: int | None = None) -> np.ndarray:
    glyph = font.glyph_of[char]
    bitmap = font.glyphs[glyph]
    if cell_width == 9:  # QEMU: the 9th column repeats the 8th for codes 0xB0..0xDF
        ninth = bitmap[:, 7:8] if 0xB0 <= (glyph & 0xFF) <= 0xDF else np.zeros_like(bitmap[:, :1])
        bitmap = np.concatenate([bitmap, ninth], axis=1)
    return bitmap


def rgb(colour: int) -> int:
    return 0xFF000000 | colour


def draw(
    fb: Framebuffer,
    font: TestFont,
    column: int,
    row: int,
    text: str,
    fg: int = 0xAAAAAA,
    bg: int = 0x000000,
    origin: tuple[int, int] = (0, 0),
    cell_width: int | None = None,
) -> None:
    """Draw text from a cell on, in colours 0xRRGGBB."""
    width = cell_width or font.width
    for i, char in enumerate(text):
        bitmap = cell_bitmap(font, char, cell_width)
        x = origin[0] + (column + i) * width
        y = origin[1] + row * font.height
        fb.pixels32[y : y + font.height, x : x + width] = np.where(bitmap, rgb(fg), rgb(bg))


def underline_cursor(
    fb: Framebuffer,
    font: TestFont,
    column: int,
    row: int,
    fg: int,
    rows: tuple[int, int],
    xor_with: int | None = None,
    cell_width: int | None = None,
) -> None:
    """A cursor over rows[0]..rows[1] of a cell: painted in fg (VGA text mode) or, with
    xor_with=bg, inverted between fg and bg (fbcon's soft cursor)."""
    width = cell_width or font.width
    x, y = column * width, row * font.height
    block = fb.pixels32[y + rows[0] : y + rows[1] + 1, x : x + width]
    if xor_with is None:
        block[:] = rgb(fg)
    else:
        block[:] = np.where(block == rgb(fg), rgb(xor_with), rgb(fg))
