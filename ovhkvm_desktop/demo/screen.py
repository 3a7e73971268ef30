"""The demo console's screen: a grid of character cells drawn with a shipped console font into a
BGRX pixel buffer, which remembers the rectangles that changed since it was last asked.

It draws the way a Linux text console does, so that the screen reader reads it back exactly:
every cell is one glyph of the font in two colours, and the cursor is an underline (the last two
pixel rows of its cell painted in the cell's foreground colour, as QEMU's VGA text mode draws it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ovhkvm_desktop.rfb.framebuffer import Rect
from ovhkvm_desktop.screen_text.fonts import Font, fonts

#: The font the demo draws with: Terminus, Latin-1 and the line-drawing characters (console-setup's
#: Lat15 set, which a French Debian console loads), 8x16 pixels.
FONT_NAME = "Lat15-Terminus16"
#: Colours as 0xRRGGBB: the VGA palette's light grey, bright green, bright white, black.
GREY, GREEN, WHITE, BLACK = 0xAAAAAA, 0x55FF55, 0xFFFFFF, 0x000000
#: Pixel rows of a cell the underline cursor covers (counted from the bottom).
CURSOR_ROWS = 2


def find_font(name: str = FONT_NAME) -> Font:
    """A shipped console font by name (``LookupError`` if none has it)."""
    for font in fonts():
        if font.name == name:
            return font
    raise LookupError(f"no console font named {name!r}")


class Glyphs:
    """A font's bitmaps by character; a character the font lacks is drawn as '?'."""

    def __init__(self, font: Font) -> None:
        self.width, self.height = font.width, font.height
        self._bitmaps: dict[str, np.ndarray] = {}
        for _, bitmap, chars in font.glyphs:
            for char in chars:
                self._bitmaps.setdefault(char, bitmap)
        self._missing = self._bitmaps["?"]

    def __contains__(self, char: str) -> bool:
        return char in self._bitmaps

    def bitmap(self, char: str) -> np.ndarray:
        return self._bitmaps.get(char, self._missing)


@dataclass(frozen=True, slots=True)
class Cell:
    char: str = " "
    colour: int = GREY


class TextScreen:
    """``columns`` x ``rows`` cells, their pixels, and what changed since ``take_dirty()``.

    Writing is done cell by cell (``put``), or as text from the cursor (``write``: ``\\n``
    starts a line, the screen scrolls up at the bottom); the cursor is drawn where it stands.
    """

    def __init__(self, columns: int = 80, rows: int = 25, font: Font | None = None) -> None:
        self.glyphs = Glyphs(font or find_font())
        self.columns, self.rows = columns, rows
        self.cell_width, self.cell_height = self.glyphs.width, self.glyphs.height
        self.width, self.height = columns * self.cell_width, rows * self.cell_height
        #: The screen as (height, width) uint32 pixels 0x00RRGGBB (bytes B, G, R, X).
        self.pixels = np.zeros((self.height, self.width), np.uint32)
        self.cells = [[Cell() for _ in range(columns)] for _ in range(rows)]
        self.cursor = (0, 0)  # (column, row)
        self._dirty: list[Rect] = [Rect(0, 0, self.width, self.height)]

    # -- what it shows ------------------------------------------------------------------------

    def text(self) -> list[str]:
        """The rows as text, trailing spaces removed."""
        return ["".join(cell.char for cell in row).rstrip(" ") for row in self.cells]

    def take_dirty(self) -> list[Rect]:
        """The rectangles that changed since the last call (and forget them)."""
        dirty, self._dirty = self._dirty, []
        return dirty

    # -- changing it --------------------------------------------------------------------------

    def put(self, column: int, row: int, char: str, colour: int = GREY) -> None:
        self.cells[row][column] = Cell(char, colour)
        self._draw(column, row)

    def write(self, text: str, colour: int = GREY) -> None:
        """Text from the cursor on; the cursor ends after it."""
        column, row = self.cursor
        for char in text:
            if char == "\n":
                column, row = 0, row + 1
            else:
                if column >= self.columns:
                    column, row = 0, row + 1
                if row >= self.rows:
                    self.scroll()
                    row = self.rows - 1
                self.cells[row][column] = Cell(char, colour)
                self._draw(column, row)
                column += 1
            if row >= self.rows:
                self.scroll()
                row = self.rows - 1
        self.move_cursor(column, row)

    def move_cursor(self, column: int, row: int) -> None:
        old = self.cursor
        self.cursor = (column, row)
        if old != self.cursor and old[0] < self.columns and old[1] < self.rows:
            self._draw(*old)
        if column < self.columns:
            self._draw(column, row)

    def back(self) -> None:
        """The cursor one cell back (to the end of the previous row from a row's start), and
        that cell blank: what the console shows when a character is rubbed out."""
        column, row = self.cursor
        if column == 0:
            if row == 0:
                return
            column, row = self.columns, row - 1
        self.cells[row][column - 1] = Cell()
        self.move_cursor(column - 1, row)

    def scroll(self) -> None:
        """Every row one up; a blank row at the bottom."""
        self.cells = [*self.cells[1:], [Cell() for _ in range(self.columns)]]
        h = self.cell_height
        self.pixels[:-h] = self.pixels[h:]
        self.pixels[-h:] = BLACK
        self._dirty = [Rect(0, 0, self.width, self.height)]
        column, row = self.cursor
        self.cursor = (column, max(row - 1, 0))
        if column < self.columns:
            self._draw(*self.cursor)

    def clear(self) -> None:
        self.cells = [[Cell() for _ in range(self.columns)] for _ in range(self.rows)]
        self.pixels[:] = BLACK
        self._dirty = [Rect(0, 0, self.width, self.height)]
        self.move_cursor(0, 0)
        self._draw(0, 0)

    # -- pixels -------------------------------------------------------------------------------

    def _draw(self, column: int, row: int) -> None:
        cell = self.cells[row][column]
        w, h = self.cell_width, self.cell_height
        x, y = column * w, row * h
        bitmap = self.glyphs.bitmap(cell.char)
        if (column, row) == self.cursor:
            bitmap = bitmap.copy()
            bitmap[-CURSOR_ROWS:] = True
        self.pixels[y : y + h, x : x + w] = np.where(bitmap, np.uint32(cell.colour), BLACK)
        self._mark(Rect(x, y, w, h))

    def _mark(self, rect: Rect) -> None:
        """Remember a changed cell, merged with the last one when they touch on a row (typing
        makes one rectangle per line, not one per key)."""
        if self._dirty:
            last = self._dirty[-1]
            if last.y == rect.y and last.height == rect.height and last.x + last.width == rect.x:
                self._dirty[-1] = Rect(last.x, last.y, last.width + rect.width, last.height)
                return
            if covers(last, rect):
                return
        self._dirty.append(rect)


def covers(outer: Rect, inner: Rect) -> bool:
    """Whether ``inner`` lies inside ``outer``."""
    return (
        outer.x <= inner.x
        and outer.y <= inner.y
        and inner.x + inner.width <= outer.x + outer.width
        and inner.y + inner.height <= outer.y + outer.height
    )
