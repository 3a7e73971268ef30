"""Pages of a font's closest glyph pairs, drawn in the console's colours and put through JPEG,
for tests/screen_text/test_lossy.py and bench/screen_text.py --lossy."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ovhkvm_desktop.rfb.framebuffer import Framebuffer
from ovhkvm_desktop.screen_text.reader import CONSOLE_PALETTE
from tests.screen_text.render import TestFont, cell_bitmap, rgb

#: The JPEG qualities a VNC server may use: QEMU's Tight quality levels 0-9 map into this range
#: (5 at level 0, 80 at level 9), libvncserver's and TigerVNC's likewise; 90 and 95 beyond them.
QUALITIES = (5, 10, 15, 25, 37, 50, 60, 70, 75, 80, 90, 95)
#: Colour pairs: every foreground of the palette over the eight background colours a console
#: paints (vgacon and fbcon take the background from the first eight), foreground != background.
#: Glyphs of this many pixels or fewer are drawn against a blank cell too.
SMALL_GLYPH = 6
COLOUR_PAIRS = [(fg, bg) for bg in CONSOLE_PALETTE[:8] for fg in CONSOLE_PALETTE if fg != bg]


def close_pairs(font: TestFont, cell_width: int, distance: int = 2) -> list[tuple[str, str]]:
    """The pairs of characters whose cells differ by 1..distance pixels (l/I, -/─, ║/╟...),
    one character standing for each glyph, and each glyph of SMALL_GLYPH pixels or fewer with
    a space."""
    chars: dict[bytes, str] = {}
    for char in sorted(font.glyph_of):
        if char.isprintable() and not char.isspace():
            bitmap = cell_bitmap(font, char, cell_width)
            if bitmap.any():
                chars.setdefault(np.packbits(bitmap).tobytes(), char)
    cells = {char: cell_bitmap(font, char, cell_width) for char in chars.values()}
    names = sorted(cells)
    flat = np.array([cells[c].ravel() for c in names])
    pairs = []
    for i, j in itertools.combinations(range(len(names)), 2):
        if int((flat[i] != flat[j]).sum()) <= distance:
            pairs.append((names[i], names[j]))
    # And the smallest glyphs against a blank cell ('.', ',', '`'): blurred away, they are gone.
    pairs += [(" ", names[i]) for i in np.flatnonzero(flat.sum(axis=1) <= SMALL_GLYPH)]
    return pairs


@dataclass
class Page:
    """One screen of cells: what each cell shows (None: blank), and its pixels."""

    framebuffer: Framebuffer
    text: list[list[str | None]]
    cell: tuple[int, int]


def pair_page(
    font: TestFont, cell_width: int, pairs: list[tuple[str, str]], start: int, size=(1920, 1080)
) -> Page:
    """A screen of the pairs, both ways round, each in a colour pair, beside a blank cell and
    a letter (so that each cell's JPEG blocks also hold its neighbours, as on a real console)."""
    width, height = size
    columns, rows = width // cell_width, height // font.height
    fb = Framebuffer(width, height)
    fb.pixels32[:] = rgb(0x000000)
    text: list[list[str | None]] = [[None] * columns for _ in range(rows)]
    k = start
    for row in range(rows):
        for column in range(0, columns - 2, 3):
            a, b = pairs[(k // 2) % len(pairs)]
            char = a if k % 2 == 0 else b
            fg, bg = COLOUR_PAIRS[k % len(COLOUR_PAIRS)]
            for offset, c in ((0, char), (2, "x")):
                bitmap = cell_bitmap(font, c, cell_width)
                x, y = (column + offset) * cell_width, row * font.height
                fb.pixels32[y : y + font.height, x : x + cell_width] = np.where(
                    bitmap, rgb(fg), rgb(bg)
                )
                text[row][column + offset] = c
            x = (column + 1) * cell_width
            fb.pixels32[row * font.height : (row + 1) * font.height, x : x + cell_width] = rgb(bg)
            k += 1
    return Page(fb, text, (cell_width, font.height))


def through_jpeg(fb: Framebuffer, quality: int) -> Framebuffer:
    """The screen as a Tight JPEG rectangle shows it: encoded by libjpeg (Pillow's, the same
    library QEMU links; its default 4:2:0 chroma) and decoded again."""
    rgb_pixels = fb.pixels[:, :, 2::-1]
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb_pixels)).save(out, "JPEG", quality=quality)
    decoded = np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))
    back = Framebuffer(fb.width, fb.height)
    back.pixels[:, :, :3] = decoded[:, :, ::-1]
    return back
