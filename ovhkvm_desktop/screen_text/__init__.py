"""Reading a text console's screen: its text, cursor and font, from the framebuffer's pixels.

Qt-free and without I/O, like rfb/: ``read_screen(framebuffer)`` returns a `ScreenText`. It
costs milliseconds (a 1920x1080 console about 20 ms, a 720x400 VGA text screen about 4 ms on
2 cores; bench/screen_text.py), and reads the pixels as they are: a front end reads a screen the
server has finished painting (e.g. after the update that answered its request), not one caught
half-way through an update.

- ``read``: ``screen.text()`` (rows, trailing spaces removed) or ``screen.as_json()`` (rows,
  cursor, font, unreadable cells); ``screen.font is None`` means the screen is not a text
  console (or shows no text), which a front end says in its own words.
- ``wait --for TEXT``: read each complete screen until ``screen.find(TEXT)`` is not empty.
- A selection in the window: ``screen.text_in(x, y, width, height)`` (framebuffer pixels) and
  ``screen.unreadable_in(...)`` for the notice; ``screen.cell_at(x, y)``, ``screen.cell`` and
  ``screen.origin`` snap a rectangle to the grid.

Cells that cannot be read stand as ``UNREADABLE`` (U+FFFD) in the rows and are listed in
``screen.unreadable``: a front end copies them as it likes, but never as a guessed letter.
"""

from ovhkvm_desktop.screen_text.fonts import Font, GlyphTable, fonts, glyph_tables
from ovhkvm_desktop.screen_text.reader import UNREADABLE, ScreenText, read_screen

__all__ = [
    "UNREADABLE",
    "Font",
    "GlyphTable",
    "ScreenText",
    "fonts",
    "glyph_tables",
    "read_screen",
]
