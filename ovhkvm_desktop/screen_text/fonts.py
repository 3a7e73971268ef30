"""The console fonts a screen may be drawn with, as tables that find a cell's glyph by its bitmap.

The fonts are generated from their own files by tools/gen_fonts.py into resources/screen_text/.
A `GlyphTable` is one font drawn in one cell width: the font's own width, and for 8-pixel fonts
also the 9-pixel cells of VGA text mode, where QEMU repeats a glyph's 8th column in the 9th for
codes 0xB0-0xDF (its line-graphics rule, hw/display/vga.c: wider than real VGA's 0xC0-0xDF) and
leaves the 9th column blank for every other code.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def _resources() -> Path:
    """The font data: inside the installed package, or in the checkout's resources/."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "resources" / "screen_text"
    return installed if installed.is_dir() else package.parent / "resources" / "screen_text"


RESOURCES = _resources()

#: The order fonts are tried in, and which wins a tie (a screen of plain ASCII is drawn alike by
#: many fonts): the fonts a console shows before any is loaded, then console-setup's.
FONT_ORDER = [
    "VGA-BIOS-8x16", "Linux-VGA8x16", "Uni2-VGA16", "Lat15-VGA16", "Uni2-Fixed16",
    "Lat15-Fixed16", "Uni2-Terminus16", "Lat15-Terminus16", "Uni2-TerminusBold16",
    "Lat15-TerminusBold16", "VGA-BIOS-8x8", "Linux-VGA8x8", "Uni2-VGA8", "Lat15-VGA8",
    "Uni2-TerminusBold32x16", "Lat15-TerminusBold32x16", "Uni2-Terminus32x16",
    "Lat15-Terminus32x16", "GRUB-Unifont-8x16",
]  # fmt: skip

#: Glyphs that differ in this many pixels or fewer are told apart on a lossy screen only when
#: those pixels are seen clearly (GlyphTable.telling_pixels).
CLOSE_GLYPHS = 3

#: QEMU's VGA text mode repeats the 8th column into the 9th for these codes (line graphics).
LINE_GRAPHICS = range(0xB0, 0xE0)

#: FNV-1a's 64-bit offset basis and prime, to fold a packed bitmap's words into one key.
_BASIS, _PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)


@dataclass(frozen=True)
class Font:
    """A console font: glyph bitmaps and the characters each draws (from the font's table)."""

    name: str
    width: int
    height: int
    source: str
    licence: str
    #: (index in the font, bitmap as a (height, width) bool array, the characters it draws).
    glyphs: tuple[tuple[int, np.ndarray, str], ...]
    #: Whether VGA text mode may show it (in 9-pixel cells too): not GRUB's graphical font.
    vga_text: bool = True


def pack_cells(bits: np.ndarray) -> np.ndarray:
    """(n, pixels) bools → (n, words) uint64: each cell's bitmap packed, zero-padded to 8 bytes."""
    size = -(-bits.shape[1] // 8)
    packed = np.zeros((bits.shape[0], -(-size // 8) * 8), np.uint8)
    packed[:, :size] = np.packbits(bits, axis=1)
    return packed.view(np.uint64)


def fold(words: np.ndarray) -> np.ndarray:
    """One uint64 key per packed bitmap (equal bitmaps give equal keys; the table checks all
    words of a candidate, so a rare collision between different bitmaps costs nothing)."""
    key = np.full(words.shape[0], _BASIS, np.uint64)
    for i in range(words.shape[1]):
        key = (key ^ words[:, i]) * _PRIME
        key ^= key >> np.uint64(29)
    return key


class GlyphTable:
    """One font in one cell size: finds, for many cells at once, the character whose bitmap is
    exactly the cell's.

    Glyphs with identical bitmaps (a font that draws Latin A, Greek Alpha and Cyrillic A alike,
    or space and no-break space) cannot be told apart on screen: they are one entry, read as the
    lowest code point among their characters (A, space), and `alike` keeps the others.
    """

    def __init__(self, font: Font, cell_width: int) -> None:
        self.font = font
        self.name = font.name
        self.width = cell_width
        self.height = font.height
        merged: dict[bytes, tuple[np.ndarray, set[str]]] = {}
        for index, bitmap, chars in font.glyphs:
            if cell_width > font.width:
                extra = np.zeros((font.height, cell_width - font.width), bool)
                if (index & 0xFF) in LINE_GRAPHICS:
                    extra[:, 0] = bitmap[:, -1]
                bitmap = np.concatenate([bitmap, extra], axis=1)
            key = np.packbits(bitmap).tobytes()
            entry = merged.setdefault(key, (bitmap, set()))
            entry[1].update(chars)
        bitmaps = np.array([bitmap for bitmap, _ in merged.values()])
        words = pack_cells(bitmaps.reshape(len(bitmaps), -1))
        keys = fold(words)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        if len(np.unique(self.keys)) != len(self.keys):  # never seen; the tests check it
            raise ValueError(f"{font.name}: two glyph bitmaps fold to one key")
        self.words = words[order]
        self.bitmaps = bitmaps[order]
        charsets = [sorted(chars) for _, chars in merged.values()]
        self.chars: list[str] = [charsets[i][0] for i in order]
        self.char_array = np.array(self.chars, dtype=object)
        self.alike: list[str] = ["".join(charsets[i]) for i in order]
        #: The entry of the blank glyph (every font has a space).
        blank = np.flatnonzero(~self.bitmaps.reshape(len(self.bitmaps), -1).any(axis=1))
        self.blank = int(blank[0]) if len(blank) else -1

    def __repr__(self) -> str:
        return f"GlyphTable({self.name!r}, {self.width}x{self.height})"

    @functools.cached_property
    def telling_pixels(self) -> np.ndarray:
        """For each entry, the pixels that tell it from the glyphs within CLOSE_GLYPHS pixels
        of it ('l' and 'I', '!' and '|'): (entries, height, width) bool. A lossy screen may
        blur exactly those away, so a lossy reading must see them clearly."""
        flat = self.bitmaps.reshape(len(self.bitmaps), -1)
        telling = np.zeros_like(flat)
        counts = flat.sum(axis=1)
        for i in range(len(flat)):
            # Glyphs whose pixel counts are too far apart cannot be within CLOSE_GLYPHS.
            near = np.flatnonzero(np.abs(counts - counts[i]) <= CLOSE_GLYPHS)
            differ = flat[near] != flat[i]
            close = differ.sum(axis=1) <= CLOSE_GLYPHS
            telling[i] = differ[close].any(axis=0)
        return telling.reshape(self.bitmaps.shape)

    def find(self, words: np.ndarray, keys: np.ndarray | None = None) -> np.ndarray:
        """The entry whose bitmap is exactly each packed cell's (`pack_cells`), or -1; `keys`:
        the words' `fold`, when already known."""
        keys = fold(words) if keys is None else keys
        at = np.searchsorted(self.keys, keys)
        at[at == len(self.keys)] = 0
        found = (self.keys[at] == keys) & (self.words[at] == words).all(axis=1)
        return np.where(found, at, -1)

    @functools.cached_property
    def by_bitmap(self) -> dict[bytes, int]:
        """Entries by packed bitmap, for the few cells read one by one (the cursor's)."""
        return {self.words[i].tobytes(): i for i in range(len(self.words))}


class SizeIndex:
    """Every glyph bitmap of the fonts of one cell size, each with the set of fonts that have it:
    one lookup tells, for many cells, which fonts can read each (choosing the grid and font)."""

    def __init__(self, tables: Sequence[GlyphTable]) -> None:
        self.tables = tuple(tables)
        #: The cell size, (width, height), every table of the index has.
        self.size = (self.tables[0].width, self.tables[0].height)
        if len(self.tables) > 63:
            raise ValueError("a SizeIndex holds at most 63 fonts")
        owners: dict[bytes, tuple[np.ndarray, int]] = {}
        for bit, table in enumerate(self.tables):
            for words in table.words:
                key = words.tobytes()
                known = owners.get(key)
                owners[key] = (words, (known[1] if known else 0) | 1 << bit)
        words = np.array([w for w, _ in owners.values()])
        masks = np.array([m for _, m in owners.values()], np.uint64)
        keys = fold(words)
        order = np.argsort(keys, kind="stable")
        self.keys, self.words, self.masks = keys[order], words[order], masks[order]
        if len(np.unique(self.keys)) != len(self.keys):  # never seen; the tests check it
            raise ValueError(f"two glyph bitmaps of {self.size} fold to one key")

    def fonts_reading(self, words: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Per packed cell, the bit set of the tables that have its bitmap (0: none)."""
        at = np.searchsorted(self.keys, keys)
        at[at == len(self.keys)] = 0
        found = (self.keys[at] == keys) & (self.words[at] == words).all(axis=1)
        return np.where(found, self.masks[at], np.uint64(0))


@functools.cache
def size_indexes(tables: tuple[GlyphTable, ...]) -> tuple[SizeIndex, ...]:
    """The tables grouped by cell size, in their order."""
    sizes = dict.fromkeys((t.width, t.height) for t in tables)
    return tuple(SizeIndex([t for t in tables if (t.width, t.height) == size]) for size in sizes)


def _load(path: Path) -> Font:
    document = json.loads(path.read_text("utf-8"))
    width, height = document["width"], document["height"]
    row_bytes = (width + 7) // 8
    glyphs = []
    for index, hex_bitmap, chars in document["glyphs"]:
        rows = np.frombuffer(bytes.fromhex(hex_bitmap), np.uint8).reshape(height, row_bytes)
        bitmap = np.unpackbits(rows, axis=1)[:, :width].astype(bool)
        glyphs.append((index, bitmap, chars))
    return Font(
        document["name"],
        width,
        height,
        document["source"],
        document["licence"],
        tuple(glyphs),
        document.get("vga_text", True),
    )


@functools.cache
def fonts() -> tuple[Font, ...]:
    """Every shipped font, in `FONT_ORDER`."""
    return tuple(_load(RESOURCES / f"{name}.json") for name in FONT_ORDER)


@functools.cache
def glyph_tables() -> tuple[GlyphTable, ...]:
    """Every font in every cell size it can be seen in (8-pixel-wide fonts also in VGA's 9)."""
    tables = [GlyphTable(font, font.width) for font in fonts()]
    tables += [GlyphTable(font, 9) for font in fonts() if font.width == 8 and font.vga_text]
    return tuple(tables)
