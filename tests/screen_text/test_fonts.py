"""The font data is the fonts' own: every shipped glyph equals the one in the font's file (read
here by the tests' own parser), with the characters the font's table gives it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ovhkvm_desktop.rfb.framebuffer import Framebuffer
from ovhkvm_desktop.screen_text import fonts, glyph_tables, read_screen
from ovhkvm_desktop.screen_text.fonts import RESOURCES
from tests.screen_text.render import TestFont, draw, grub_unifont, psf, vga_bios

PSF_NAMES = [f.name for f in fonts() if not f.name.startswith(("VGA-BIOS", "Linux-", "GRUB-"))]


def shipped(name: str) -> dict[int, tuple[np.ndarray, str]]:
    return {index: (bitmap, chars) for font in fonts() if font.name == name
            for index, bitmap, chars in font.glyphs}  # fmt: skip


@pytest.mark.parametrize("name", PSF_NAMES)
def test_each_console_setup_font_is_its_psf_file(name: str) -> None:
    source = psf(name)
    data = shipped(name)
    chars_of: dict[int, str] = {}
    for char, glyph in source.glyph_of.items():
        if char != "\ufffd":
            chars_of[glyph] = chars_of.get(glyph, "") + char
    assert sorted(data) == sorted(chars_of)
    for glyph, (bitmap, chars) in data.items():
        assert np.array_equal(bitmap, source.glyphs[glyph]), glyph
        assert set(chars) >= set(chars_of[glyph])


def test_grubs_font_is_its_pf2_file_drawn_in_gfxterms_cells() -> None:
    """Every shipped GRUB glyph is the cell the tests' own PF2 reader draws for each of its
    characters; the menu's frame, arrows and accented letters are there."""
    source = grub_unifont()
    (font,) = [f for f in fonts() if f.name == "GRUB-Unifont-8x16"]
    assert (font.width, font.height, font.vga_text) == (8, 16, False)
    seen = set()
    for _, bitmap, chars in font.glyphs:
        for char in chars:
            assert np.array_equal(bitmap, source.glyphs[source.glyph_of[char]]), repr(char)
            seen.add(char)
    assert set("┏━┓┃┗┛↑↓éèàçÉ«»—≥→ΩЖŁß*`'") <= seen


@pytest.mark.parametrize("height", [16, 8])
def test_the_vga_bios_font_is_seabios_rom_in_code_page_437(height: int) -> None:
    """The bitmaps are the ROM's; each glyph draws its code page 437 character (and more: the
    kernel's map also sends ø to φ's glyph, À to A's)."""
    source = vga_bios(height)
    data = shipped(f"VGA-BIOS-8x{height}")
    for code in range(0x20, 0x100):
        if code == 0x7F:
            continue
        bitmap, chars = data[code]
        assert np.array_equal(bitmap, source.glyphs[code])
        assert bytes([code]).decode("cp437") in chars


def test_the_kernels_font_is_not_the_bios_font_and_is_told_apart() -> None:
    """fbcon draws with the kernel's VGA8x16, which differs from SeaBIOS's in dozens of glyphs
    ('0', 'M', ...): a screen drawn with it is read as it."""
    kernel, bios = shipped("Linux-VGA8x16"), shipped("VGA-BIOS-8x16")
    differ = [c for c in bios if not np.array_equal(kernel[c][0], bios[c][0])]
    assert len(differ) >= 40 and ord("0") in differ and ord("M") in differ
    document = json.loads((RESOURCES / "Linux-VGA8x16.json").read_text("utf-8"))
    glyphs, glyph_of = [np.zeros((16, 8), bool)] * 256, {}
    for index, hex_bitmap, chars in document["glyphs"]:
        rows = np.frombuffer(bytes.fromhex(hex_bitmap), np.uint8).reshape(16, 1)
        glyphs[index] = np.unpackbits(rows, axis=1).astype(bool)
        glyph_of[chars[0]] = index
    font = TestFont("Linux-VGA8x16", 8, 16, glyphs, glyph_of)
    fb = Framebuffer(1024, 768)
    draw(fb, font, 0, 0, "Debian GNU/Linux 12 MV0 tty1")
    screen = read_screen(fb)
    assert screen.font == "Linux-VGA8x16"
    assert screen.rows[0].rstrip() == "Debian GNU/Linux 12 MV0 tty1"


def test_every_font_is_shipped_with_its_licence() -> None:
    licences = (RESOURCES / "LICENCES.md").read_text("utf-8")
    for font in fonts():
        assert font.licence and font.source
        assert "LICENCES.md" in font.licence
    families = ("Terminus", "Bolkhovityanov", "SeaBIOS", "GNU General Public License", "Unifont")
    for family in families:
        assert family in licences


def test_glyphs_drawn_alike_are_one_reading() -> None:
    """A font that draws two characters with one bitmap is read as the lower one, the other
    kept in `alike`: Uni2-VGA16 draws Latin A and Cyrillic A the same."""
    (table,) = [t for t in glyph_tables() if t.name == "Uni2-VGA16" and t.width == 8]
    entry = table.chars.index("A")
    assert "А" in table.alike[entry]  # Cyrillic
    assert len(set(map(bytes, table.words))) == len(table.words)
