"""Reading a text console's screen: its text, cursor and font, from the framebuffer's pixels.

Qt-free and without I/O, like rfb/: ``read_screen(framebuffer)`` returns a `ScreenText`.
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
