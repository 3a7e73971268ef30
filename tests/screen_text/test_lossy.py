"""Lossy (JPEG) screens: the reader may leave cells unread, never read a wrong letter.

The proof is by enumeration, on the cases where a wrong letter is likeliest: every pair of a
font's glyphs that differ by one to two pixels ('l'/'I', '!'/'|', '-'/'─', '║'/'╟'...), both
ways round, drawn in every foreground of the console's palette over each of its eight
backgrounds, beside a blank cell and a letter, put through libjpeg (Pillow's, as QEMU's Tight
JPEG) at the qualities VNC servers use, and read whole (grid, font and cells). Every cell must
read as what was drawn or as unreadable. bench/screen_text.py --lossy prints how much reads.
"""

from __future__ import annotations

import pytest

from ovhkvm_desktop.screen_text import UNREADABLE, read_screen
from tests.screen_text.lossy_pages import (
    COLOUR_PAIRS,
    Page,
    close_pairs,
    pair_page,
    through_jpeg,
)
from tests.screen_text.render import TestFont, cell_bitmap, draw, psf, vga_bios

#: console-setup's fonts that the reader knows.
PSF_FONTS = (
    "Uni2-VGA16", "Lat15-VGA16", "Uni2-Fixed16", "Lat15-Fixed16", "Uni2-Terminus16",
    "Lat15-Terminus16", "Uni2-TerminusBold16", "Lat15-TerminusBold16", "Uni2-VGA8", "Lat15-VGA8",
    "Uni2-TerminusBold32x16", "Lat15-TerminusBold32x16", "Uni2-Terminus32x16",
    "Lat15-Terminus32x16",
)  # fmt: skip
#: The fonts as a console draws them: (font, cell width).
FONTS = {
    "VGA-BIOS-8x16 in VGA text mode": (lambda: vga_bios(16, kernel_map=True), 9),
    "VGA-BIOS-8x8 in VGA text mode": (lambda: vga_bios(8, kernel_map=True), 9),
    **{name: (lambda name=name: psf(name), 16 if "32x16" in name else 8) for name in PSF_FONTS},
    "Uni2-VGA16 in VGA text mode": (lambda: psf("Uni2-VGA16"), 9),
    "Lat15-Terminus16 in VGA text mode": (lambda: psf("Lat15-Terminus16"), 9),
}
#: Within the qualities of QEMU's Tight levels (5 at level 0 to 80 at level 9): below 25 nothing
#: reads (bench/screen_text.py --lossy runs them all, and 90 and 95).
QUALITIES = (25, 50, 80)


def same_glyph(font: TestFont, cell_width: int, read: str, drawn: str) -> bool:
    if read not in font.glyph_of:
        return False
    return bool((cell_bitmap(font, read, cell_width) == cell_bitmap(font, drawn, cell_width)).all())


def wrong_cells(page: Page, font: TestFont, quality: int) -> tuple[list[str], int]:
    """The cells read as something else than drawn, and how many read right."""
    screen = read_screen(through_jpeg(page.framebuffer, quality))
    wrong, right = [], 0
    for r, row in enumerate(page.text):
        for c, drawn in enumerate(row):
            read = screen.rows[r][c] if r < len(screen.rows) and c < screen.columns else UNREADABLE
            if drawn is None or read == UNREADABLE:
                continue
            if same_glyph(font, page.cell[0], read, drawn):
                right += 1
            else:
                wrong.append(f"({c}, {r}) {drawn!r} read as {read!r}")
    return wrong, right


@pytest.mark.parametrize("name", FONTS)
def test_no_close_glyph_pair_reads_as_the_other_through_jpeg(name: str) -> None:
    make, cell_width = FONTS[name]
    font = make()
    pairs = close_pairs(font, cell_width)
    assert pairs, f"{name} has no glyphs within two pixels of each other"
    cases = len(pairs) * 2 * len(COLOUR_PAIRS)
    for quality in QUALITIES:
        start = 0
        while start < cases:
            page = pair_page(font, cell_width, pairs, start)
            start += sum(1 for row in page.text for c in row[::3] if c is not None)
            wrong, _ = wrong_cells(page, font, quality)
            assert not wrong, f"{name} at JPEG quality {quality}: {wrong[:10]}"


def test_without_its_checks_the_lossy_reading_would_read_wrong_letters(monkeypatch) -> None:
    """The enumeration can fail: when every pixel sides with the nearer colour, without the
    checks on the pixels that tell close glyphs apart, on every pixel's clarity and on how much
    of the screen reads, JPEG at quality 50 makes wrong letters."""
    from ovhkvm_desktop.screen_text import reader

    monkeypatch.setattr(reader, "LOSSY_SIDE", 0.5)
    monkeypatch.setattr(reader, "LOSSY_CLEAR", 0.5)
    monkeypatch.setattr(reader, "LOSSY_CLEAN", 0.5)
    monkeypatch.setattr(reader, "LOSSY_MIN_SHARE", 0.0)
    font = psf("Lat15-Terminus16")
    pairs = close_pairs(font, 8)
    cases = len(pairs) * 2 * len(COLOUR_PAIRS)
    wrong: list[str] = []
    start = 0
    while start < cases:
        page = pair_page(font, 8, pairs, start)
        start += sum(1 for row in page.text for c in row[::3] if c is not None)
        wrong += wrong_cells(page, font, 50)[0]
    assert wrong


LOG = [
    ("root@rescue:~# journalctl -b -1 | tail", 0xAAAAAA),
    ("Dec 05 08:12:44 vps-3f2a sshd[812]: error: Bind to port 22 failed", 0xFF5555),
    ("Dec 05 08:12:44 vps-3f2a systemd[1]: ssh.service: Failed with result 'exit-code'.", 0xAAAAAA),
    ("UUID=0b5c1f7e-93a2-4c1d-9e7f-2a6d1c3b8e40 / ext4 defaults 0 1", 0xFFFFFF),
    ("[  OK  ] Reached target Login Prompts.", 0x55FF55),
    ("password: Il1|!0Oo -- ── ║╟ {}[]()<>", 0xFFFF55),
]


@pytest.mark.parametrize("quality", [80, 95])
def test_a_console_log_through_jpeg_at_qemus_top_levels_reads(quality: int) -> None:
    """What a user copies from a JPEG console at QEMU's quality level 9 (JPEG 80): the grey and
    white lines whole, the coloured ones mostly (JPEG blurs colour: cells it leaves in doubt
    are unreadable), none wrong."""
    from ovhkvm_desktop.rfb.framebuffer import Framebuffer

    font = psf("Uni2-VGA16")
    fb = Framebuffer(1024, 768)
    fb.pixels32[:] = 0xFF000000
    for row, (line, colour) in enumerate(LOG):
        draw(fb, font, 0, row * 2, line, colour, 0x000000)
    screen = read_screen(through_jpeg(fb, quality))
    assert screen.font is not None
    cells = unread = 0
    for row, (line, colour) in enumerate(LOG):
        read = screen.rows[row * 2][: len(line)]
        for drawn, got in zip(line, read, strict=True):
            cells += 1
            if got == UNREADABLE:
                unread += 1
            else:
                assert same_glyph(font, 8, got, drawn), f"{drawn!r} read as {got!r} in {read!r}"
        if colour in (0xAAAAAA, 0xFFFFFF):
            assert read == line
    assert unread <= cells * 0.15, f"{unread} of {cells} cells unread"
