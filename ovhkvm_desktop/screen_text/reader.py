"""Read the text of a Linux text console off its screen: find the character grid and the font,
then each cell's glyph by its exact bitmap, never guessing.

A text console draws every cell with two colours and one glyph of a known bitmap font (QEMU's
VGA text mode with the VGA BIOS font or a loaded one, the kernel's framebuffer console with its
built-in font or console-setup's). So a cell is read by splitting its pixels into its two colours
and looking the resulting bitmap up, exactly, among the font's glyphs:

- A cell of one colour is blank: a space; or the font's full block when that colour is text on its
  row and no background anywhere on the screen (a progress bar: '█' is a cell of one colour).
- A cell of more than two colours, or whose bitmap is no glyph of the font, is unreadable.
- The two colours are not labelled: the bitmap is looked up with either one as the foreground.
  When both readings are glyphs of different characters (inverse video: upper half block in
  white on black is lower half block in black on white), the (foreground, background) pairs
  that the other cells of its row use decide, else those of the whole screen; if neither does,
  the cell is unreadable.
- Characters a font draws identically are one reading (see `GlyphTable`).

The grid (cell size and where it starts) and the font are those that read the most of a sample
of the screen's non-blank cells; a screen on which no font reads most of the sampled cells of two
colours (a photo, noise, a graphical desktop), or where what reads holds no letter or digit, has
no text.

The cursor is found where it can be seen: an underline or block cursor is a band of full rows
painted in the foreground (QEMU's VGA text mode) or inverted (fbcon's soft cursor) over a glyph,
so a cell that reads as a glyph once those rows are set aside or inverted back, and the only such
cell on screen, is the cursor. Under a painted cursor the rows it covers are hidden: the cell is
read only if one character fits what remains, else it is unreadable (a space and '_' look alike
there). A blinking cursor caught in its hidden phase, or a block cursor on a blank cell (one
colour), is not seen.

Lossy screens (Tight's JPEG), on which hardly a cell is exactly two colours, are read through
the console's palette (the 16 colours of the Linux console's default palette, which vgacon and
fbcon paint with), never guessing either:

- A pixel within `LOSSY_TOLERANCE` (28) of a palette colour on every channel is that colour (the
  palette's colours are 85 apart at least, so it is never near two). The grid and font are
  chosen as on an exact screen, on cells cleaned as below.
- A cell with other pixels is redrawn in its two colours by brightness alone (JPEG keeps it
  sharp and halves colour both ways): its first colour is the one most of its sure pixels have,
  the second the palette colour whose brightness leaves none of its pixels in between; a pixel
  must lie within 30% of one colour's brightness, or the cell stays unreadable.
- A letter then stands only if every pixel lies within 20% of its colour's brightness (as the
  cell shows them), and the pixels that tell it from the font's glyphs a few pixels away
  ('l'/'I', '!'/'|', '-'/'─', '║'/'╟') within 10%: JPEG blurs away exactly those pixels first. A
  blank stands only if its pixels are flat and their mean true to its colour (a small glyph
  blurred away leaves a trace of either). A screen is read when a quarter of its non-blank cells
  read (more blurred, it may be cut into a wrong grid) and half its pixels are palette colours
  (a photo's are not).

That no wrong letter comes out is shown by enumeration (tests/screen_text/test_lossy.py): every
pair of glyphs of every font that differ by one or two pixels, and every small glyph against a
blank, in every foreground of the palette over each background, through libjpeg (as QEMU's
Tight) at the qualities VNC servers use, read whole: no cell reads as another character; with the
checks turned off, wrong letters appear. bench/screen_text.py --lossy prints how much reads.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ovhkvm_desktop.rfb.framebuffer import Framebuffer
from ovhkvm_desktop.screen_text.fonts import (
    GlyphTable,
    SizeIndex,
    fold,
    glyph_tables,
    pack_cells,
    size_indexes,
)

#: What stands in a row for a cell that could not be read.
UNREADABLE = "\ufffd"
#: A grid and font are accepted when they read at least this share of the sampled cells of two
#: colours, and at least MIN_READ_CELLS of them. Cells of more colours do not count against a
#: font: a console showing a boot logo or a photo beside its text still reads (those cells are
#: unreadable); a photo alone, noise or flat bands of colour have few two-colour cells, and few
#: of those are glyphs.
MIN_READ_SHARE = 0.6
MIN_READ_CELLS = 2
#: Non-blank cells sampled to choose the grid and the font.
SAMPLE_CELLS = 256
#: What a sampled cell of two colours that a font leaves unread costs it, in cells read.
UNREAD_WEIGHT = 4
#: Cells tried as the cursor at most (a screen with more unreadable cells has no cursor found).
MAX_CURSOR_CANDIDATES = 64
#: The Linux console's default palette (drivers/tty/vt/vt.c's default_red/grn/blu; QEMU's VGA
#: shows vgacon's 6-bit DAC values as the same 8-bit ones), the colours a lossy screen is read in.
CONSOLE_PALETTE = (
    0x000000, 0xAA0000, 0x00AA00, 0xAA5500, 0x0000AA, 0xAA00AA, 0x00AAAA, 0xAAAAAA,
    0x555555, 0xFF5555, 0x55FF55, 0xFFFF55, 0x5555FF, 0xFF55FF, 0x55FFFF, 0xFFFFFF,
)  # fmt: skip
#: How far (on any channel) a lossy pixel may lie from the palette colour it is read as: under a
#: third of the 85 that separate the palette's colours, so that misreading a pixel takes an
#: error twice as large as any the cell is allowed.
LOSSY_TOLERANCE = 28
#: Pixels that are no palette colour become unique values above 24 bits: their cells are never
#: two colours (see `_cells`), so they stay unreadable.
_UNSURE = np.uint32(1 << 24)


@dataclass(frozen=True)
class ScreenText:
    """The text a screen shows, one string per row of cells.

    ``rows`` hold one character per cell (``UNREADABLE`` where a cell could not be read, listed
    in ``unreadable`` as (column, row)); ``cursor`` is (column, row) or None; ``font`` the name
    of the font that matched, None when the screen is not a text console (then ``rows`` is
    empty). ``cell`` is a cell's (width, height) in pixels and ``origin`` the pixel where the
    grid starts.
    """

    rows: list[str] = field(default_factory=list)
    cursor: tuple[int, int] | None = None
    font: str | None = None
    unreadable: list[tuple[int, int]] = field(default_factory=list)
    cell: tuple[int, int] = (0, 0)
    origin: tuple[int, int] = (0, 0)

    @property
    def columns(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    def text(self) -> str:
        """The whole screen, one line per row, trailing spaces removed."""
        return "\n".join(row.rstrip(" ") for row in self.rows)

    def cell_at(self, x: int, y: int) -> tuple[int, int] | None:
        """The (column, row) of the cell under a screen pixel, or None outside the grid."""
        if not self.rows or x < self.origin[0] or y < self.origin[1]:
            return None
        column = (x - self.origin[0]) // self.cell[0]
        row = (y - self.origin[1]) // self.cell[1]
        if column >= self.columns or row >= len(self.rows):
            return None
        return column, row

    def cells_in(self, x: int, y: int, width: int, height: int) -> tuple[int, int, int, int]:
        """The cells a rectangle of pixels touches: (first column, first row, end column, end
        row), ends excluded; empty when it misses the grid."""
        if not self.rows or width <= 0 or height <= 0:
            return 0, 0, 0, 0
        (cw, ch), (ox, oy) = self.cell, self.origin
        first_column = max((x - ox) // cw, 0)
        first_row = max((y - oy) // ch, 0)
        end_column = min(-(-(x + width - ox) // cw), self.columns)
        end_row = min(-(-(y + height - oy) // ch), len(self.rows))
        if end_column <= first_column or end_row <= first_row:
            return 0, 0, 0, 0
        return first_column, first_row, end_column, end_row

    def text_in(self, x: int, y: int, width: int, height: int) -> str:
        """The text under a rectangle of pixels (a selection): the cells it touches, one line
        per row, trailing spaces removed."""
        c0, r0, c1, r1 = self.cells_in(x, y, width, height)
        return "\n".join(row[c0:c1].rstrip(" ") for row in self.rows[r0:r1])

    def unreadable_in(self, x: int, y: int, width: int, height: int) -> list[tuple[int, int]]:
        """The unreadable cells under a rectangle of pixels."""
        c0, r0, c1, r1 = self.cells_in(x, y, width, height)
        return [(c, r) for c, r in self.unreadable if c0 <= c < c1 and r0 <= r < r1]

    def find(self, text: str) -> list[tuple[int, int]]:
        """Where ``text`` (one line) stands on the screen: the (column, row) of each place it
        starts, top to bottom. An unreadable cell matches nothing, so a text found is exactly
        on screen (what ``wait --for`` needs)."""
        found = []
        for row, line in enumerate(self.rows):
            at = line.find(text)
            while text and at >= 0:
                found.append((at, row))
                at = line.find(text, at + 1)
        return found

    def as_json(self) -> dict[str, object]:
        """What ``read --json`` prints: rows (trailing spaces removed), cursor, font,
        unreadable cells."""
        return {
            "rows": [row.rstrip(" ") for row in self.rows],
            "cursor": list(self.cursor) if self.cursor else None,
            "font": self.font,
            "unreadable": [list(cell) for cell in self.unreadable],
        }


@dataclass
class _Cells:
    """Some cells of one grid: their positions, pixels and two extreme colours."""

    index: np.ndarray  # (n,) cell numbers, row * columns + column
    low: np.ndarray  # (n,) uint32 0x00RRGGBB
    high: np.ndarray  # (n,) uint32
    bits: np.ndarray  # (n, height * width) bool: the pixels of the high colour
    two_colours: np.ndarray  # (n,) bool: exactly two colours (not one, not more)
    high_words: np.ndarray  # the bitmap with the high colour as the foreground, packed
    high_keys: np.ndarray
    low_words: np.ndarray  # ... with the low colour as the foreground
    low_keys: np.ndarray


def _cells(index: np.ndarray, pixels: np.ndarray) -> _Cells:
    """Cells given by their pixels ((n, height * width) uint32), split into their two colours."""
    low, high = pixels.min(axis=1), pixels.max(axis=1)
    bits = pixels == high[:, None]
    two_colours = (bits | (pixels == low[:, None])).all(axis=1) & (low != high)
    two_colours &= high < _UNSURE  # a pixel of no palette colour (a lossy screen)
    high_words, low_words = pack_cells(bits), pack_cells(~bits)
    return _Cells(
        index, low, high, bits, two_colours, high_words, fold(high_words), low_words,
        fold(low_words),
    )  # fmt: skip


@dataclass
class _Reading:
    """What a font makes of some cells: per cell a glyph entry or -1, and its colours."""

    entry: np.ndarray  # (n,) int: the glyph table entry, -1 when unreadable
    foreground: np.ndarray  # (n,) uint32
    background: np.ndarray  # (n,) uint32
    candidates: np.ndarray  # (n,) bool: two colours but no glyph (cursor candidates)


def read_screen(framebuffer: Framebuffer, tables: Sequence[GlyphTable] | None = None) -> ScreenText:
    """The text on the screen (see the module's docstring for the rules)."""
    tables = glyph_tables() if tables is None else tables
    pixels = framebuffer.pixels32 & np.uint32(0xFFFFFF)
    screen = _read_pixels(pixels, tables)
    if screen.font is None:
        # Maybe a lossy screen (on one, hardly a cell is exactly two colours): read it in the
        # console's palette.
        if (_in_palette(pixels[::4, ::4]) < _UNSURE).mean() < LOSSY_MIN_PALETTE:
            return screen  # a photo, a desktop: not a console's colours
        in_palette = _in_palette(pixels)
        choice = _choose_grid(in_palette, tables, pixels)
        if choice is not None:
            candidates, origin = choice
            size = (candidates[0].width, candidates[0].height)
            cleaned = _cleaned(pixels, in_palette, size, origin)
            lossy = _read_grid(cleaned, candidates, origin)
            table = next(t for t in candidates if t.name == lossy.font)
            screen = _text_only(_seen_clearly(lossy, table, pixels, cleaned))
            # Too blurred to read most of it, it may also be blurred into a wrong grid (halves
            # of 16-pixel glyphs read as 8-pixel ones): no text rather than a doubtful one.
            shown = sum(len(row) - row.count(" ") for row in screen.rows)
            if _read_cells(screen) < LOSSY_MIN_SHARE * shown:
                screen = ScreenText()
    return screen


def _read_cells(screen: ScreenText) -> int:
    """How many cells a reading read (neither blank nor unreadable)."""
    return sum(len(row) - row.count(" ") - row.count(UNREADABLE) for row in screen.rows)


def _seen_clearly(
    screen: ScreenText, table: GlyphTable, original: np.ndarray, cleaned: np.ndarray
) -> ScreenText:
    """A lossy screen's reading, less what JPEG may have changed: a letter whose telling
    pixels (those that tell it from the font's glyphs a few pixels away: 'l' and 'I', '!' and
    '|') are not all clearly of their colour, and a blank whose pixels stray from its colour
    (JPEG can blur a thin glyph away, or make one of a colour as bright as its background
    vanish)."""
    rows, columns = len(screen.rows), screen.columns
    text = np.array([list(row) for row in screen.rows], dtype="<U1").ravel()
    before = np.ascontiguousarray(_grid(original, screen.cell, screen.origin))
    after = np.ascontiguousarray(_grid(cleaned, screen.cell, screen.origin))
    before = before.reshape(rows * columns, -1)
    after = after.reshape(rows * columns, -1)

    # A blank cell is blank when its pixels keep close to one another and their mean to its
    # colour: a small glyph blurred away leaves a trace of either.
    blank = np.flatnonzero(text == " ")
    stray = np.zeros(len(blank), dtype=bool)
    for shift in (16, 8, 0):
        a = ((before[blank] >> np.uint32(shift)) & np.uint32(0xFF)).astype(np.float32)
        b = ((after[blank, 0] >> np.uint32(shift)) & np.uint32(0xFF)).astype(np.float32)
        stray |= np.abs(a - np.median(a, axis=1)[:, None]).max(axis=1) > LOSSY_BLANK_NOISE
        stray |= np.abs(a.mean(axis=1) - b) > LOSSY_BLANK_SHIFT
    text[blank[stray]] = UNREADABLE

    entry_of = {char: i for i, char in enumerate(table.chars)}
    read = np.flatnonzero((text != " ") & (text != UNREADABLE))
    if len(read):
        entries = np.array([entry_of.get(char, -1) for char in text[read].tolist()])
        known = entries >= 0
        text[read[~known]] = UNREADABLE
        read, entries = read[known], entries[known]
        bits = table.bitmaps[entries].reshape(len(read), -1)
        telling = table.telling_pixels[entries].reshape(len(read), -1)
        # The brightness of the glyph and of its background as the cell itself shows them
        # (JPEG may have kept a colour's brightness better than which palette colour it was).
        y = _luma(before[read])
        both = bits.any(axis=1) & (~bits).any(axis=1)
        with warnings.catch_warnings():  # a cell of one colour has no median of the other
            warnings.simplefilter("ignore", RuntimeWarning)
            fg = np.nanmedian(np.where(bits, y, np.nan), axis=1)
            bg = np.nanmedian(np.where(bits, np.nan, y), axis=1)
        both &= np.abs(np.nan_to_num(fg - bg)) >= LOSSY_MIN_CONTRAST / 2
        t = (y - np.nan_to_num(bg)[:, None]) / np.where(both, fg - bg, 1)[:, None]
        clear = np.where(bits, t >= 1 - LOSSY_CLEAR, t <= LOSSY_CLEAR)
        clean = np.where(bits, t >= 1 - LOSSY_CLEAN, t <= LOSSY_CLEAN)
        ok = both & (clear | ~telling).all(axis=1) & clean.all(axis=1)
        text[read[~ok]] = UNREADABLE

    grid = text.reshape(rows, columns)
    unreadable = [(int(c), int(r)) for r, c in zip(*np.nonzero(grid == UNREADABLE), strict=True)]
    return ScreenText(
        ["".join(row) for row in grid.tolist()],
        screen.cursor,
        screen.font,
        unreadable,
        screen.cell,
        screen.origin,
    )


def _read_pixels(pixels: np.ndarray, tables: Sequence[GlyphTable]) -> ScreenText:
    choice = _choose_grid(pixels, tables)
    return ScreenText() if choice is None else _text_only(_read_grid(pixels, *choice))


def _text_only(screen: ScreenText) -> ScreenText:
    if not any(char.isalnum() for row in screen.rows for char in row):
        return ScreenText()  # lines and blocks that happen to be glyphs, but no text
    return screen


def _palette_lookup() -> np.ndarray:
    """For each (red, green, blue) level triple (levels 0, 85, 170, 255 as 0..3), the palette
    colour, or _UNSURE where the palette has none."""
    table = np.full(64, _UNSURE, dtype=np.uint32)
    for colour in CONSOLE_PALETTE:
        levels = [(colour >> shift & 0xFF) // 85 for shift in (16, 8, 0)]
        table[levels[0] * 16 + levels[1] * 4 + levels[2]] = colour
    return table


_PALETTE_LOOKUP = _palette_lookup()


def _in_palette(pixels: np.ndarray) -> np.ndarray:
    """The screen in the console's palette: each pixel within LOSSY_TOLERANCE of a palette
    colour on every channel becomes that colour, any other a value of its own above 24 bits."""
    index = np.zeros(pixels.shape, dtype=np.intp)
    near = np.ones(pixels.shape, dtype=bool)
    for shift in (16, 8, 0):
        channel = ((pixels >> np.uint32(shift)) & np.uint32(0xFF)).astype(np.int16)
        level = (channel + 42) // 85
        near &= np.abs(channel - level * 85) <= LOSSY_TOLERANCE
        index = index * 4 + level
    out = _PALETTE_LOOKUP[index]
    unsure = ~near | (out == _UNSURE)
    out[unsure] = _UNSURE + np.flatnonzero(unsure).astype(np.uint32)
    return out


#: A lossy cell's pixel is taken for one of the cell's two colours when its brightness lies
#: within this share of the way from that colour's towards the other's; the two colours must
#: differ in brightness by LOSSY_MIN_CONTRAST at least (on 0..255), or the cell stays unreadable.
LOSSY_SIDE = 0.3
LOSSY_MIN_CONTRAST = 64.0
#: How clearly the pixels that tell a letter from its close neighbours must side with their
#: colour on a lossy screen (share of the way towards the other colour, in brightness).
LOSSY_CLEAR = 0.1
#: How clearly every pixel of a letter read on a lossy screen must side with its colour: JPEG
#: at a low quality smears glyphs, and a smear may happen to look like another glyph.
LOSSY_CLEAN = 0.2
#: How far (on any channel) a lossy blank cell's pixels may stray from their median, and
#: their mean from its colour.
LOSSY_BLANK_NOISE = 12
LOSSY_BLANK_SHIFT = 4
#: A lossy screen is read when this share of its cells that are not blank read at least.
LOSSY_MIN_SHARE = 0.25
#: ... and looked at only when this share of its pixels are the palette's colours (a console's
#: background and most of its text are; a photo's or a desktop's pixels are not).
LOSSY_MIN_PALETTE = 0.5


def _cleaned(
    pixels: np.ndarray, in_palette: np.ndarray, size: tuple[int, int], origin: tuple[int, int]
) -> np.ndarray:
    """The screen in the console's palette, its cells cleaned (`_clean_cells`)."""
    out = in_palette.copy()
    rows, columns = _grid_shape(out, size, origin)
    (x0, y0), (width, height) = origin, size
    cells = np.ascontiguousarray(_grid(out, size, origin)).reshape(rows * columns, -1)
    original = np.ascontiguousarray(_grid(pixels, size, origin)).reshape(rows * columns, -1)
    cells = _clean_cells(original, cells)
    out[y0 : y0 + rows * height, x0 : x0 + columns * width] = (
        cells.reshape(rows, columns, height, width).transpose(0, 2, 1, 3)
    ).reshape(rows * height, columns * width)
    return out


def _luma(values: np.ndarray) -> np.ndarray:
    """Brightness as JPEG codes it (its Y), of 0xRRGGBB values."""
    red, green, blue = (((values >> np.uint32(k)) & np.uint32(0xFF)) for k in (16, 8, 0))
    return 0.299 * red + 0.587 * green + 0.114 * blue


def _clean_cells(original: np.ndarray, in_palette: np.ndarray) -> np.ndarray:
    """Cells ((n, pixels) 0xRRGGBB) in the console's palette, each cell that holds pixels of no
    palette colour drawn again in its two colours when every pixel clearly sides with one.

    JPEG keeps brightness sharp and blurs colour (4:2:0 halves it both ways), so coloured text
    seldom stays within LOSSY_TOLERANCE of the palette, but its brightness still tells glyph
    from background. A cell's first colour is the palette colour most of its sure pixels have;
    its second, the palette colour whose brightness leaves the fewest of its pixels in between
    (the nearest in colour to those pixels among equals). Siding with the wrong colour would take
    a brightness error of 1 - LOSSY_SIDE of theirs apart (45 of 255 at least).
    """
    out = in_palette.copy()
    todo = np.flatnonzero((in_palette >= _UNSURE).any(axis=1))
    if len(todo) == 0:
        return out
    palette = np.array(CONSOLE_PALETTE, dtype=np.uint32)
    order = np.argsort(palette)
    cells = in_palette[todo]
    sure = cells < _UNSURE
    position = np.minimum(np.searchsorted(palette[order], cells), len(palette) - 1)
    counts = np.zeros((len(todo), len(palette)), dtype=np.int64)
    cell_of = np.broadcast_to(np.arange(len(todo))[:, None], cells.shape)
    np.add.at(counts, (cell_of[sure], order[position[sure]]), 1)
    first = counts.argmax(axis=1)
    has_first = counts[np.arange(len(todo)), first] > 0
    todo, first = todo[has_first], first[has_first]
    if len(todo) == 0:
        return out

    luma = _luma(palette).astype(np.float32)
    pixels = original[todo]
    y = _luma(pixels).astype(np.float32)  # (n, pixels)
    rgb = np.stack([(pixels >> np.uint32(k)) & np.uint32(0xFF) for k in (16, 8, 0)], -1)
    rgb = rgb.astype(np.float32)
    palette_rgb = np.stack([(palette >> np.uint32(k)) & np.uint32(0xFF) for k in (16, 8, 0)], -1)
    best_unclear = np.full(len(todo), np.iinfo(np.int64).max)
    best_distance = np.full(len(todo), np.inf, dtype=np.float32)
    second = np.full(len(todo), -1)
    for candidate in range(len(palette)):
        apart = luma[candidate] - luma[first]
        usable = (candidate != first) & (np.abs(apart) >= LOSSY_MIN_CONTRAST)
        t = (y - luma[first][:, None]) / np.where(usable, apart, 1)[:, None]
        on_b = (t >= 1 - LOSSY_SIDE) & (t <= 1 + LOSSY_SIDE)
        clear = (np.abs(t) <= LOSSY_SIDE) | on_b
        unclear = np.where(usable, (~clear).sum(axis=1), np.iinfo(np.int64).max)
        mean_b = (rgb * on_b[:, :, None]).sum(axis=1) / np.maximum(on_b.sum(axis=1), 1)[:, None]
        distance = np.linalg.norm(mean_b - palette_rgb[candidate], axis=1)
        better = (unclear < best_unclear) | ((unclear == best_unclear) & (distance < best_distance))
        better &= usable & on_b.any(axis=1)
        best_unclear = np.where(better, unclear, best_unclear)
        best_distance = np.where(better, distance, best_distance)
        second = np.where(better, candidate, second)
    clean = (best_unclear == 0) & (second >= 0)
    todo, first, second, y = todo[clean], first[clean], second[clean], y[clean]
    t = (y - luma[first][:, None]) / (luma[second] - luma[first])[:, None]
    out[todo] = np.where(t >= 1 - LOSSY_SIDE, palette[second][:, None], palette[first][:, None])
    return out


# -- choosing the grid and the font --


def _grid_shape(pixels: np.ndarray, size: tuple[int, int], origin: tuple[int, int]):
    (width, height), (x, y) = size, origin
    return (pixels.shape[0] - y) // height, (pixels.shape[1] - x) // width


def _sample_points(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels (y, x) on either side of a change of colour along a row, spread over the screen
    (every third row: a cell is 8 rows high or more)."""
    rows = pixels[1::3]
    ys, xs = np.nonzero(rows[:, 1:] != rows[:, :-1])
    if len(ys) > SAMPLE_CELLS * 2:
        pick = np.linspace(0, len(ys) - 1, SAMPLE_CELLS * 2).astype(np.intp)
        ys, xs = ys[pick], xs[pick]
    return np.concatenate([ys, ys]) * 3 + 1, np.concatenate([xs, xs + 1])


def _grid(pixels: np.ndarray, size: tuple[int, int], origin: tuple[int, int]) -> np.ndarray:
    """The screen as (rows, columns, height, width) cells: a view, no copy."""
    (width, height), (x0, y0) = size, origin
    rows, columns = _grid_shape(pixels, size, origin)
    block = pixels[y0 : y0 + rows * height, x0 : x0 + columns * width]
    return block.reshape(rows, height, columns, width).transpose(0, 2, 1, 3)


def _gather(
    pixels: np.ndarray,
    size: tuple[int, int],
    origin: tuple[int, int],
    index: np.ndarray,
    original: np.ndarray | None = None,
) -> _Cells:
    rows, columns = np.divmod(index, _grid_shape(pixels, size, origin)[1])
    cells = _grid(pixels, size, origin)[rows, columns].reshape(len(index), size[0] * size[1])
    if original is not None:  # a lossy screen in the palette: clean the cells
        before = _grid(original, size, origin)[rows, columns].reshape(cells.shape)
        cells = _clean_cells(before, cells)
    return _cells(index, cells)


def _sample(
    pixels: np.ndarray,
    points: tuple[np.ndarray, np.ndarray],
    size: tuple[int, int],
    origin: tuple[int, int],
    original: np.ndarray | None = None,
) -> _Cells | None:
    rows, columns = _grid_shape(pixels, size, origin)
    if rows <= 0 or columns <= 0:
        return None
    ys, xs = points
    row = (ys - origin[1]) // size[1]
    column = (xs - origin[0]) // size[0]
    inside = (ys >= origin[1]) & (xs >= origin[0]) & (row < rows) & (column < columns)
    index = np.unique(row[inside] * columns + column[inside])
    if len(index) > SAMPLE_CELLS:
        index = index[np.linspace(0, len(index) - 1, SAMPLE_CELLS).astype(np.intp)]
    return _gather(pixels, size, origin, index, original)


def _scores(index: SizeIndex, cells: _Cells) -> list[int]:
    """How many of the cells each font of the index reads (either colour the foreground)."""
    fonts = index.fonts_reading(cells.high_words, cells.high_keys) | index.fonts_reading(
        cells.low_words, cells.low_keys
    )
    fonts = fonts[cells.two_colours]
    return [
        int(((fonts >> np.uint64(bit)) & np.uint64(1)).sum()) for bit in range(len(index.tables))
    ]


def _choose_grid(
    pixels: np.ndarray, tables: Sequence[GlyphTable], original: np.ndarray | None = None
) -> tuple[list[GlyphTable], tuple[int, int]] | None:
    """The grid's origin, and the fonts that read the most of a sample of cells there (often
    several: plain ASCII looks alike in Uni2 and Lat15 fonts), in `FONT_ORDER`. With
    ``original``, ``pixels`` are a lossy screen's in the palette, whose cells are cleaned."""
    points = _sample_points(pixels)
    if len(points[0]) == 0:
        return None  # one colour: nothing to read, and no way to tell the grid
    indexes = size_indexes(tuple(tables))
    height, width = pixels.shape

    two_colour_share = 0.0

    def best_of(origins_of) -> tuple[list[GlyphTable], tuple[int, int]] | None:
        nonlocal two_colour_share
        best: tuple[int, list[GlyphTable], tuple[tuple[int, int], tuple[int, int]]] | None = None
        for index in indexes:
            size = index.size
            for origin in origins_of(size):
                cells = _sample(pixels, points, size, origin, original)
                if cells is None:
                    continue
                non_blank = int((cells.low != cells.high).sum())
                if non_blank == 0:
                    continue
                two_colours = int(cells.two_colours.sum())
                two_colour_share = max(two_colour_share, two_colours / non_blank)
                for table, read in zip(index.tables, _scores(index, cells), strict=True):
                    if read < max(MIN_READ_SHARE * two_colours, MIN_READ_CELLS):
                        continue
                    # The pixels the font explains, not its cells (half a 16-pixel glyph is
                    # often an 8-pixel one: line drawing), less those of the cells it leaves
                    # unread though they are two colours: a wrong grid cuts glyphs into pieces
                    # that seldom all read (on a lossy screen, where few cells are clean, the
                    # half cells of a wrong grid may outnumber the right grid's whole ones).
                    score = (read - UNREAD_WEIGHT * (two_colours - read)) * size[0] * size[1]
                    if best and score < best[0]:
                        continue
                    if best and score == best[0] and (size, origin) == best[2]:
                        best[1].append(table)
                    elif best is None or score > best[0]:
                        best = (score, [table], (size, origin))
        return None if best is None else (best[1], best[2][1])

    # The kernel starts its console at the top left corner; some screens centre the grid.
    found = best_of(lambda s: dict.fromkeys([(0, 0), ((width % s[0]) // 2, (height % s[1]) // 2)]))
    # Else look elsewhere, unless hardly any cell has two colours (a photo, noise): text on a
    # flat background keeps cells two-coloured whichever way the grid is cut. First the origins
    # that cells around a few changes of colour vote for, then every offset.
    if found is None and two_colour_share >= MIN_READ_SHARE / 2:
        voted = {index.size: _voted_origins(pixels, points, index) for index in indexes}
        found = best_of(lambda size: voted[size])
        if found is None and original is None:  # too slow with the cleaning of lossy cells
            found = best_of(lambda s: [(x, y) for y in range(s[1]) for x in range(s[0])])
    return found


#: Changes of colour whose cells vote for the grid's origin, and how many origins are tried.
VOTERS, VOTED = 12, 3


def _voted_origins(
    pixels: np.ndarray, points: tuple[np.ndarray, np.ndarray], index: SizeIndex
) -> list[tuple[int, int]]:
    """The origins at which the most cells around a few changes of colour read as glyphs: a
    pixel lies in one cell per origin (width x height of them), read all at once."""
    width, height = index.size
    screen_height, screen_width = pixels.shape
    dy, dx = np.divmod(np.arange(width * height), width)
    rows, columns = np.arange(height)[None, :, None], np.arange(width)[None, None, :]
    votes: dict[tuple[int, int], int] = {}
    ys, xs = points
    voters = 0
    for k in np.linspace(0, len(ys) - 1, min(len(ys), VOTERS * 3)).astype(np.intp).tolist():
        top, left = ys[k] - dy, xs[k] - dx
        inside = (top >= 0) & (left >= 0)
        inside &= (top + height <= screen_height) & (left + width <= screen_width)
        top, left = top[inside], left[inside]
        block = pixels[top[:, None, None] + rows, left[:, None, None] + columns]
        cells = _cells(top, block.reshape(len(top), width * height))
        fonts = index.fonts_reading(cells.high_words, cells.high_keys) | index.fonts_reading(
            cells.low_words, cells.low_keys
        )
        read = (fonts != 0) & cells.two_colours
        if not read.any():
            continue
        for origin in zip(
            (left[read] % width).tolist(), (top[read] % height).tolist(), strict=True
        ):
            votes[origin] = votes.get(origin, 0) + 1
        voters += 1
        if voters == VOTERS:
            break
    return sorted(votes, key=lambda origin: -votes[origin])[:VOTED]


# -- reading cells --


def _read(table: GlyphTable, cells: _Cells, columns: int) -> _Reading:
    """Each cell's glyph, exactly, with either of its two colours as the foreground."""
    low, high = cells.low, cells.high
    as_high = table.find(cells.high_words, cells.high_keys)
    as_low = table.find(cells.low_words, cells.low_keys)
    as_high[~cells.two_colours] = -1
    as_low[~cells.two_colours] = -1
    chars = table.char_array
    entry = np.where(as_high >= 0, as_high, as_low)
    foreground = np.where(as_high >= 0, high, low)
    background = np.where(as_high >= 0, low, high)

    both = (as_high >= 0) & (as_low >= 0)
    if both.any():
        differ = np.flatnonzero(both)
        differ = differ[chars[as_high[differ]] != chars[as_low[differ]]]
        if len(differ):
            # Inverse video: which colour is the foreground is told by the (foreground,
            # background) pairs the other cells of its row use, else those of the screen.
            sure = np.flatnonzero((entry >= 0) & ~both)
            row_of = cells.index // columns
            in_row: dict[int, set[tuple[int, int]]] = {}
            for r, f, b in zip(
                row_of[sure].tolist(),
                foreground[sure].tolist(),
                background[sure].tolist(),
                strict=True,
            ):
                in_row.setdefault(r, set()).add((f, b))
            screen_pairs = set().union(*in_row.values())
            for i in differ.tolist():
                h, lo = int(high[i]), int(low[i])
                for pairs in (in_row.get(int(row_of[i]), set()), screen_pairs):
                    high_fg, low_fg = (h, lo) in pairs, (lo, h) in pairs
                    if high_fg != low_fg:
                        break
                if high_fg == low_fg:
                    entry[i] = -1
                elif low_fg:
                    entry[i], foreground[i], background[i] = as_low[i], lo, h
    candidates = cells.two_colours & (as_high < 0) & (as_low < 0)
    return _Reading(entry, foreground, background, candidates)


def _read_grid(
    pixels: np.ndarray, candidates: list[GlyphTable], origin: tuple[int, int]
) -> ScreenText:
    """Read every cell with the candidate font that reads the most of them (the first of those
    that read as many)."""
    table = candidates[0]
    size = (table.width, table.height)
    rows, columns = _grid_shape(pixels, size, origin)
    every = np.ascontiguousarray(_grid(pixels, size, origin)).reshape(rows * columns, -1)
    index = np.flatnonzero((every != every[:, :1]).any(axis=1))
    cells = _cells(index, every[index])
    reading = _read(table, cells, columns)
    for other in candidates[1:]:
        other_reading = _read(other, cells, columns)
        if (other_reading.entry >= 0).sum() > (reading.entry >= 0).sum():
            table, reading = other, other_reading

    text = np.full(rows * columns, " ", dtype="<U1")
    chars = table.char_array.astype("<U1")
    known = reading.entry >= 0
    text[index[known]] = chars[reading.entry[known]]
    text[index[~known]] = UNREADABLE
    _full_blocks(text, table, every, index, reading, columns)

    cursor = None
    tried = np.flatnonzero(reading.candidates)
    if 0 < len(tried) <= MAX_CURSOR_CANDIDATES:
        found = {}
        for i in tried.tolist():
            under = _under_cursor(table, cells.bits[i].reshape(table.height, table.width))
            if under is not None:
                found[int(index[i])] = under
        if len(found) == 1:
            ((number, under),) = found.items()
            cursor = (number % columns, number // columns)
            if len(under) == 1:
                text[number] = next(iter(under))

    lines = ["".join(line) for line in text.reshape(rows, columns).tolist()]
    unreadable = [
        (int(c), int(r))
        for r, c in zip(*np.nonzero(text.reshape(rows, columns) == UNREADABLE), strict=True)
    ]
    return ScreenText(lines, cursor, table.name, unreadable, size, origin)


def _full_blocks(
    text: np.ndarray,
    table: GlyphTable,
    every: np.ndarray,
    index: np.ndarray,
    reading: _Reading,
    columns: int,
) -> None:
    """Cells of one colour are blank, unless their colour is a foreground of their row and a
    background nowhere on the screen: then they are the font's full block ('█' in a progress
    bar). A full block in a colour that is some text's background looks like a blank (an
    inverse-video menu bar ends in cells of the screen's background): it reads as one."""
    full = table.by_bitmap.get(pack_cells(np.ones((1, table.width * table.height), bool)).tobytes())
    known = reading.entry >= 0
    if full is None or not known.any():
        return
    row_of = index[known] // columns
    fg_keys = np.unique(row_of.astype(np.int64) << 32 | reading.foreground[known])
    uniform = np.flatnonzero(text == " ")
    if len(uniform) == 0:
        return
    colour = every[uniform, 0]
    keys = (uniform // columns).astype(np.int64) << 32 | colour.astype(np.int64)
    block = np.isin(keys, fg_keys) & ~np.isin(colour, reading.background[known])
    # The screen's own background (its cells of one colour) counts as a background too.
    values, counts = np.unique(colour, return_counts=True)
    block &= colour != values[counts.argmax()]
    text[uniform[block]] = table.chars[full]


def _under_cursor(table: GlyphTable, bits: np.ndarray) -> set[str] | None:
    """The characters a cell may show under a cursor, or None when no cursor explains it.

    ``bits`` is the cell's bitmap with its high colour set; either colour may be the glyph's.
    A cursor covers whole rows: painted in the foreground (QEMU's VGA text mode paints the rows
    of the CRTC's cursor start..end), or inverted (fbcon's soft cursor, the bottom rows: 1 or 2
    for an underline, a third, half, two thirds or all of the cell).
    """
    height = table.height
    found: set[str] = set()
    bitmaps = table.bitmaps
    for glyph_bits in (bits, ~bits):
        # Inverted rows at the bottom.
        for rows in sorted({1, 2, height // 3, height // 2, 2 * height // 3, height}):
            flipped = glyph_bits.copy()
            flipped[height - rows :] ^= True
            entry = table.by_bitmap.get(pack_cells(flipped.reshape(1, -1)).tobytes())
            if entry is not None:
                found.add(table.chars[entry])
        # Rows painted in the foreground: each run of full rows may be the cursor.
        full = np.asarray(glyph_bits.all(axis=1))
        start = None
        for row in range(height + 1):
            if row < height and full[row]:
                start = row if start is None else start
                continue
            if start is not None:
                outside = np.ones(height, bool)
                outside[start:row] = False
                same = (bitmaps[:, outside] == glyph_bits[outside]).all(axis=(1, 2))
                found.update(table.chars[i] for i in np.flatnonzero(same).tolist())
                start = None
    return found or None
