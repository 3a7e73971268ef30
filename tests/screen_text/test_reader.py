"""The screen reader gives back, exactly, the text a console draws: every character of each font,
in colours, at offsets, in VGA text mode's 9-pixel cells; unreadable cells are reported, never
guessed; screens that are not text consoles give no text."""

from __future__ import annotations

import numpy as np
import pytest

from ovhkvm_desktop.rfb.framebuffer import Framebuffer
from ovhkvm_desktop.screen_text import UNREADABLE, glyph_tables, read_screen
from ovhkvm_desktop.screen_text.fonts import size_indexes
from tests.screen_text.render import (
    TestFont,
    cell_bitmap,
    draw,
    psf,
    rgb,
    underline_cursor,
    vga_bios,
)

#: (foreground, background) pairs the rows cycle through: the Linux console's palette and more.
COLOURS = [(0xAAAAAA, 0x000000), (0xFFFFFF, 0x0000AA), (0x55FF55, 0x000000),
           (0x000000, 0xAAAAAA), (0xFF5555, 0x202020)]  # fmt: skip

PSF_FONTS = [
    "Uni2-VGA16", "Lat15-Fixed16", "Uni2-Fixed16", "Lat15-Terminus16", "Uni2-Terminus16",
    "Lat15-TerminusBold16", "Uni2-TerminusBold16", "Uni2-VGA8", "Uni2-TerminusBold32x16",
    "Lat15-Terminus32x16",
]  # fmt: skip


def expected_reading(
    font: TestFont, cell_width: int | None = None, full_block: bool = False
) -> dict[str, str]:
    """What each character reads as: the lowest character with the same bitmap (a screen cannot
    tell them apart), a space for a blank glyph; a full block is a space too unless full_block
    (its colour is text and no background on the screen), then the lowest full block."""
    classes: dict[bytes, list[str]] = {}
    for char in font.glyph_of:
        bitmap = cell_bitmap(font, char, cell_width)
        key = b"blank" if not bitmap.any() else np.packbits(bitmap).tobytes()
        if bitmap.all():
            key = b"full" if full_block else b"blank"
        classes.setdefault(key, []).append(char)
    reading = {}
    for key, chars in classes.items():
        for char in chars:
            reading[char] = " " if key == b"blank" else min(chars)
    return reading


def printable(font: TestFont) -> list[str]:
    return sorted(c for c in font.glyph_of if c.isprintable() and c not in " \ufffd")


def screen_of_every_character(
    font: TestFont, width: int, height: int, cell_width: int | None = None
) -> tuple[Framebuffer, list[str]]:
    fb = Framebuffer(width, height)
    columns = width // (cell_width or font.width)
    chars = printable(font)
    lines = [chars[i : i + columns] for i in range(0, len(chars), columns)]
    backgrounds = {bg for _, bg in COLOURS[: len(lines)]} | {0x000000}
    expected = []
    for row, line in enumerate(lines):
        fg, bg = COLOURS[row % len(COLOURS)]
        reading = expected_reading(font, cell_width, full_block=fg not in backgrounds)
        fb.pixels32[row * font.height : (row + 1) * font.height] = rgb(bg)
        draw(fb, font, 0, row, "".join(line), fg, bg, cell_width=cell_width)
        expected.append("".join(reading[c] for c in line))
    return fb, expected


@pytest.mark.parametrize("name", PSF_FONTS)
def test_a_1920x1080_fbcon_reads_every_character_of_a_console_setup_font(name: str) -> None:
    font = psf(name)
    fb, expected = screen_of_every_character(font, 1920, 1080)
    screen = read_screen(fb)
    assert screen.font is not None
    assert screen.cell == (font.width, font.height) and screen.origin == (0, 0)
    assert [row.rstrip() for row in screen.rows[: len(expected)]] == [e.rstrip() for e in expected]
    assert screen.unreadable == []
    assert screen.cursor is None


def test_the_font_that_matched_is_named_when_its_glyphs_are_its_own() -> None:
    """ASCII alone may look alike in two fonts; Terminus's accented letters are Terminus's."""
    font = psf("Uni2-Terminus16")
    fb, _ = screen_of_every_character(font, 1024, 768)
    assert read_screen(fb).font in ("Uni2-Terminus16", "Lat15-Terminus16")
    font = psf("Lat15-Fixed16")
    fb, _ = screen_of_every_character(font, 1024, 768)
    assert read_screen(fb).font in ("Uni2-Fixed16", "Lat15-Fixed16")


def test_qemu_vga_text_mode_720x400_reads_the_bios_font_in_9_pixel_cells() -> None:
    """Every character Linux draws with the BIOS font (its default Unicode map sends ø to the
    glyph of φ, and À to that of A: each reads as the lowest of its glyph's characters)."""
    font = vga_bios(16, kernel_map=True)
    fb, expected = screen_of_every_character(font, 720, 400, cell_width=9)
    screen = read_screen(fb)
    assert screen.font == "VGA-BIOS-8x16"
    assert screen.cell == (9, 16)
    assert [r.rstrip() for r in screen.rows[: len(expected)]] == [e.rstrip() for e in expected]
    assert screen.unreadable == []


def test_box_drawing_lines_join_across_vga_cells() -> None:
    font = vga_bios(16)
    fb = Framebuffer(720, 400)
    fb.pixels32[:] = rgb(0x0000AA)
    lines = ["┌──────┐", "│ menu │", "└──────┘", "░▒▓ ═║╔╗ ▀▄▌▐"]
    for row, line in enumerate(lines):
        draw(fb, font, 10, 5 + row, line, 0xFFFFFF, 0x0000AA, cell_width=9)
    screen = read_screen(fb)
    assert [screen.rows[5 + r][10 : 10 + len(line)] for r, line in enumerate(lines)] == lines


def test_a_grid_that_does_not_start_at_the_corner_is_found() -> None:
    font = psf("Uni2-Fixed16")
    fb = Framebuffer(1027, 781)
    fb.pixels32[:] = rgb(0x101010)
    origin = (3, 5)
    draw(fb, font, 0, 0, "Debian GNU/Linux 12 rescue tty1", 0xAAAAAA, 0x101010, origin)
    draw(fb, font, 0, 2, "rescue login: root", 0xAAAAAA, 0x101010, origin)
    screen = read_screen(fb)
    assert screen.origin == origin
    assert screen.rows[0].rstrip() == "Debian GNU/Linux 12 rescue tty1"
    assert screen.rows[2].rstrip() == "rescue login: root"


def test_colours_change_from_cell_to_cell() -> None:
    font = psf("Uni2-VGA16")
    fb = Framebuffer(640, 480)
    text = "Failed to start Load Kernel Modules. ÉÀçüß€"
    for i, char in enumerate(text):
        fg, bg = COLOURS[i % len(COLOURS)]
        draw(fb, font, i, 3, char, fg, bg)
    assert read_screen(fb).rows[3].rstrip() == text


def test_inverse_video_is_told_by_the_colours_the_screen_uses() -> None:
    """▀ in white on black is ▄ in black on white: the text's own colours decide."""
    font = vga_bios(16)
    fb = Framebuffer(720, 400)
    draw(fb, font, 0, 0, "menu ▀▄ end", 0xFFFFFF, 0x000000, cell_width=9)
    draw(fb, font, 0, 1, "menu ▀▄ end", 0x000000, 0xFFFFFF, cell_width=9)
    screen = read_screen(fb)
    assert screen.rows[0].rstrip() == "menu ▀▄ end"
    assert screen.rows[1].rstrip() == "menu ▀▄ end"

    alone = Framebuffer(720, 400)
    draw(alone, font, 0, 0, "▀", 0xFFFFFF, 0x000000, cell_width=9)
    draw(alone, font, 0, 1, "x", 0x00FF00, 0x000000, cell_width=9)
    screen = read_screen(alone)
    assert screen.rows[0][0] == UNREADABLE  # no other cell says which colour is the text's
    assert screen.unreadable == [(0, 0)]


def test_a_progress_bar_reads_its_full_blocks_and_a_menu_bar_its_blanks() -> None:
    """A cell of one colour is a full block when that colour is text, never background, on the
    screen ('█' in a progress bar); a highlighted menu line (black on grey) leaves the rest of
    its row blank, though black is that row's only text colour."""
    font = vga_bios(16, kernel_map=True)
    fb = Framebuffer(720, 400)
    fb.pixels32[:] = rgb(0x000000)
    draw(fb, font, 0, 0, "apt upgrade", 0xAAAAAA, 0x000000, cell_width=9)
    draw(fb, font, 0, 1, "[████████      ] 57%", 0x55FF55, 0x000000, cell_width=9)
    draw(fb, font, 2, 3, " Advanced options ", 0x000000, 0xAAAAAA, cell_width=9)
    screen = read_screen(fb)
    assert screen.rows[1].rstrip() == "[████████      ] 57%"
    assert screen.rows[3].rstrip() == "   Advanced options"
    assert screen.rows[0].rstrip() == "apt upgrade"
    assert screen.unreadable == []


def test_a_screen_with_no_blank_cell_reads() -> None:
    """Every cell a letter (no cell of one colour anywhere): read whole."""
    font = vga_bios(16, kernel_map=True)
    fb = Framebuffer(720, 400)
    line = ("0123456789abcdef" * 5)[:80]
    for row in range(25):
        draw(fb, font, 0, row, line, 0xAAAAAA, 0x000000, cell_width=9)
    screen = read_screen(fb)
    assert screen.rows == [line] * 25


def test_a_damaged_cell_is_unreadable_not_guessed() -> None:
    font = psf("Uni2-VGA16")
    fb = Framebuffer(640, 480)
    draw(fb, font, 0, 0, "password: Xk7pQ2", 0xAAAAAA, 0x000000)
    # A third colour in the 'X'; a pixel of the 'k' turned to the background.
    fb.pixels32[5, 10 * 8 + 3] = rgb(0x808080)
    k = cell_bitmap(font, "k")
    y, x = np.argwhere(k)[0]
    fb.pixels32[y, 11 * 8 + x] = rgb(0x000000)
    damaged = k.copy()
    damaged[y, x] = False
    assert not any(np.array_equal(damaged, g) for g in font.glyphs)  # truly no glyph
    screen = read_screen(fb)
    assert screen.rows[0].rstrip() == f"password: {UNREADABLE}{UNREADABLE}7pQ2"
    assert screen.unreadable == [(10, 0), (11, 0)]


def test_noise_a_gradient_and_a_photo_like_image_give_no_text() -> None:
    rng = np.random.default_rng(14)
    noise = Framebuffer(1024, 768)
    noise.pixels[:, :, :3] = rng.integers(0, 256, (768, 1024, 3), dtype=np.uint8)
    two_colour_noise = Framebuffer(1024, 768)
    two_colour_noise.pixels32[:] = np.where(
        rng.random((768, 1024)) < 0.3, rgb(0xFFFFFF), rgb(0x000000)
    )
    gradient = Framebuffer(1920, 1080)
    gradient.pixels[:, :, 2] = (np.arange(1920) * 256 // 1920)[None, :]
    gradient.pixels[:, :, 1] = (np.arange(1080) * 256 // 1080)[:, None]
    steps = Framebuffer(1920, 1080)  # a stepped gradient: bands of flat colour, 2-colour edges
    steps.pixels[:, :, 0] = (np.arange(1920) // 37 * 7 % 256)[None, :]
    photo = Framebuffer(800, 600)
    yy, xx = np.mgrid[0:600, 0:800]
    photo.pixels[:, :, 0] = (128 + 100 * np.sin(xx / 40.0) * np.cos(yy / 55.0)).astype(np.uint8)
    photo.pixels[:, :, 1] = ((xx + yy) // 6 % 256).astype(np.uint8)
    photo.pixels[:, :, 2] = rng.integers(100, 110, (600, 800), dtype=np.uint8)
    black = Framebuffer(720, 400)
    for fb in (noise, two_colour_noise, gradient, steps, photo, black):
        screen = read_screen(fb)
        assert (screen.font, screen.rows, screen.text()) == (None, [], "")


def test_a_vga_underline_cursor_after_a_prompt_is_found() -> None:
    """QEMU paints the cursor's rows over the glyph: what was there ('_' or a space) is hidden,
    so the cell is unreadable; fbcon's inverted cursor (below) hides nothing."""
    font = vga_bios(16)
    fb = Framebuffer(720, 400)
    draw(fb, font, 0, 3, "root@rescue:~# ", 0xAAAAAA, 0x000000, cell_width=9)
    underline_cursor(fb, font, 15, 3, 0xAAAAAA, (14, 15), cell_width=9)
    screen = read_screen(fb)
    assert screen.cursor == (15, 3)
    assert screen.rows[3].rstrip() == "root@rescue:~# " + UNREADABLE
    assert screen.unreadable == [(15, 3)]


def test_an_fbcon_cursor_over_a_letter_is_found_and_the_letter_read() -> None:
    font = psf("Uni2-Terminus16")
    fb = Framebuffer(1024, 768)
    draw(fb, font, 0, 7, "ls -l /etc/fstab", 0xAAAAAA, 0x000000)
    underline_cursor(fb, font, 4, 7, 0xAAAAAA, (14, 15), xor_with=0x000000)
    screen = read_screen(fb)
    assert screen.cursor == (4, 7)
    assert screen.rows[7].rstrip() == "ls -l /etc/fstab"


def test_a_selection_copies_the_text_under_it() -> None:
    font = psf("Uni2-VGA16")
    fb = Framebuffer(800, 600)
    draw(fb, font, 0, 0, "UUID=0b5c1f7e-93a2-4b8e  /  ext4", 0xAAAAAA, 0x000000)
    draw(fb, font, 0, 1, "tmpfs  /tmp  tmpfs", 0xAAAAAA, 0x000000)
    screen = read_screen(fb)
    # From the middle of the 'U' of the UUID value to the middle of its last cell, one row down.
    assert screen.text_in(5 * 8 + 3, 4, 18 * 8, 20) == "0b5c1f7e-93a2-4b8e\n  /tmp  tmpfs"
    assert screen.cell_at(5 * 8 + 3, 4) == (5, 0)
    assert screen.as_json()["rows"][:2] == [
        "UUID=0b5c1f7e-93a2-4b8e  /  ext4",
        "tmpfs  /tmp  tmpfs",
    ]


def test_every_glyph_table_is_built() -> None:
    tables = glyph_tables()
    assert {(t.width, t.height) for t in tables} == {(8, 16), (9, 16), (8, 8), (9, 8), (16, 32)}
    assert size_indexes(tables)  # no two bitmaps of one size share a key
    for table in tables:
        assert " " in table.chars


def test_fonts_alike_on_a_sample_are_told_apart_by_the_whole_screen() -> None:
    """Lat15-Fixed16 and Uni2-Fixed16 draw ASCII alike; a Cyrillic letter far down the screen
    (perhaps outside the sample that chooses the font) is read with the font that has it."""
    tables = [t for name in ("Lat15-Fixed16", "Uni2-Fixed16") for t in glyph_tables()
              if t.name == name and t.width == 8]  # fmt: skip
    font = psf("Uni2-Fixed16")
    fb = Framebuffer(1024, 768)
    for row in range(40):
        draw(fb, font, 0, row, f"{row:02} Started Session {row} of user root." + " x" * 20)
    draw(fb, font, 100, 45, "ж")
    screen = read_screen(fb, tables)
    assert screen.font == "Uni2-Fixed16"
    assert screen.rows[45].rstrip().endswith("ж") and screen.unreadable == []


def test_wait_finds_a_prompt_and_never_across_an_unreadable_cell() -> None:
    font = psf("Uni2-VGA16")
    fb = Framebuffer(640, 480)
    draw(fb, font, 0, 0, "Debian GNU/Linux 12 rescue tty1")
    draw(fb, font, 0, 2, "rescue login: root")
    draw(fb, font, 0, 3, "Password:")
    screen = read_screen(fb)
    assert screen.find("login:") == [(7, 2)]
    assert screen.find("Password:") == [(0, 3)]
    fb.pixels32[3 * 16 + 5, 3 * 8 + 2] = rgb(0x808080)  # the 's' of Password damaged
    assert read_screen(fb).find("Password:") == []


def test_vga_80x50_text_mode_reads_the_8_pixel_bios_font() -> None:
    font = vga_bios(8)
    fb = Framebuffer(720, 400)
    draw(fb, font, 0, 0, "GNU GRUB  version 2.06", 0xAAAAAA, 0x000000, cell_width=9)
    draw(fb, font, 2, 2, "┌──────────────┐", 0xFFFFFF, 0x0000AA, cell_width=9)
    draw(fb, font, 2, 3, "│*Debian GNU/Li│", 0xFFFFFF, 0x0000AA, cell_width=9)
    screen = read_screen(fb)
    assert (screen.font, screen.cell, len(screen.rows)) == ("VGA-BIOS-8x8", (9, 8), 50)
    assert screen.rows[0].rstrip() == "GNU GRUB  version 2.06"
    assert screen.rows[3].strip() == "│*Debian GNU/Li│"


def test_a_font_loaded_in_vga_text_mode_reads_in_9_pixel_cells() -> None:
    """console-setup's setfont in VGA text mode: a 512-glyph font in QEMU's 9-pixel cells."""
    font = psf("Uni2-Terminus16")
    fb, expected = screen_of_every_character(font, 720, 400, cell_width=9)
    screen = read_screen(fb)
    assert screen.font in ("Uni2-Terminus16", "Lat15-Terminus16") and screen.cell == (9, 16)
    assert [r.rstrip() for r in screen.rows[: len(expected)]] == [e.rstrip() for e in expected]


@pytest.mark.parametrize("origin", [(1, 1), (5, 4), (8, 15), (0, 7)])
def test_a_vga_grid_anywhere_in_the_screen_is_found(origin: tuple[int, int]) -> None:
    font = vga_bios(16)
    fb = Framebuffer(720, 400)
    fb.pixels32[:] = rgb(0x0000AA)
    for row, line in enumerate(["Debian GNU/Linux 12 rescue tty1", "", "rescue login: root"]):
        draw(fb, font, 0, row, line, 0xFFFFFF, 0x0000AA, origin, cell_width=9)
    screen = read_screen(fb)
    assert (screen.font, screen.cell, screen.origin) == ("VGA-BIOS-8x16", (9, 16), origin)
    assert screen.text().splitlines()[:3] == [
        "Debian GNU/Linux 12 rescue tty1",
        "",
        "rescue login: root",
    ]
