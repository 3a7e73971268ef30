"""How fast the screen reader reads a console's text, against a plain per-cell reader.

Run ``.venv/bin/python bench/screen_text.py [--repeat N]``.

Screens are drawn by the tests' own renderer (tests/screen_text/render.py, from the fonts' own
files): a 1920x1080 framebuffer console (fbcon, 240x67 cells of 8x16) full of coloured log lines
or with a login prompt only, a 1024x768 one, QEMU's VGA text mode (720x400, 80x25 cells of 9x16)
full or with a prompt, a console whose grid starts at neither the corner nor the centre (found
by trying every offset: the slow path), and two screens that are not text (a photo-like image,
noise), which the reader must turn down. Each is read by ``read_screen`` (grid, font and cursor
found from scratch, every shipped font a candidate): best and median of N runs, and the targets
of issue 14 (1920x1080 under 50 ms, 720x400 under 5 ms). The peer is what one writes first: a
Python loop over the cells that already knows the grid and the font, takes each cell's colours
with ``np.unique`` and looks its bitmap up in a dict.

``--lossy`` adds a second table: lossy (JPEG) screens, read with the reader's tolerance. For
each font, the font's closest glyph pairs drawn in every colour pair of the console's palette
(tests/screen_text/lossy_pages.py, the enumeration tests/screen_text/test_lossy.py proves
letter-safe) and a grey-on-black console log, through libjpeg at each quality VNC servers use:
how many cells read right, how many wrong (must be none), and the time to read a page.

The report (markdown) goes to stdout.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ovhkvm_desktop.rfb.framebuffer import Framebuffer  # noqa: E402
from ovhkvm_desktop.screen_text import GlyphTable, glyph_tables, read_screen  # noqa: E402
from tests.screen_text.render import TestFont, draw, psf, rgb, vga_bios  # noqa: E402

LOG_LINE = (
    "systemd[1]: Started Journal Service. kernel: EXT4-fs (vda1): mounted filesystem with ordered"
    " data mode. sshd[812]: Accepted publickey for root from 203.0.113.7 port 52144 ssh2: ED25519"
    " SHA256:q8Xv0r/4kLm+Zt3 Failed to start Load Kernel Modules. réseau: lien établi (1000 Mb/s)"
)
LOG_WORDS = LOG_LINE.split(" ")
COLOURS = [(0xAAAAAA, 0x000000), (0x55FF55, 0x000000), (0xFFFFFF, 0x0000AA), (0xFF5555, 0x000000)]


def log_screen(font: TestFont, width: int, height: int, cell_width: int | None = None):
    fb = Framebuffer(width, height)
    columns, rows = width // (cell_width or font.width), height // font.height
    rng = np.random.default_rng(7)
    for row in range(rows):
        words, line = list(rng.choice(LOG_WORDS, 40)), ""
        while words and len(line) + len(words[0]) + 1 <= columns:
            line += words.pop(0) + " "
        fg, bg = COLOURS[row % len(COLOURS)]
        fb.pixels32[row * font.height : (row + 1) * font.height] = rgb(bg)
        draw(fb, font, 0, row, line.ljust(columns), fg, bg, cell_width=cell_width)
    return fb


def prompt_screen(font: TestFont, width: int, height: int, cell_width: int | None = None):
    fb = Framebuffer(width, height)
    lines = ["Debian GNU/Linux 12 rescue tty1", "", "rescue login: root", "Password:"]
    for row, line in enumerate(lines):
        draw(fb, font, 0, row, line, cell_width=cell_width)
    return fb


def off_corner(screen: Framebuffer, width: int, height: int, x: int, y: int) -> Framebuffer:
    """A screen whose grid starts neither at the corner nor centred: the every-offset search."""
    fb = Framebuffer(width, height)
    fb.pixels32[y : y + screen.height, x : x + screen.width] = screen.pixels32
    return fb


def photo_screen(width: int, height: int) -> Framebuffer:
    fb = Framebuffer(width, height)
    yy, xx = np.mgrid[0:height, 0:width]
    fb.pixels[:, :, 0] = (128 + 100 * np.sin(xx / 40.0) * np.cos(yy / 55.0)).astype(np.uint8)
    fb.pixels[:, :, 1] = ((xx + yy) // 6 % 256).astype(np.uint8)
    fb.pixels[:, :, 2] = np.random.default_rng(1).integers(90, 110, (height, width))
    return fb


def noise_screen(width: int, height: int) -> Framebuffer:
    fb = Framebuffer(width, height)
    rng = np.random.default_rng(2)
    fb.pixels[:, :, :3] = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    return fb


def per_cell_reader(table: GlyphTable) -> Callable[[Framebuffer], list[str]]:
    """The peer: one cell at a time, the grid and font known in advance."""
    by_bitmap = {
        np.packbits(bitmap).tobytes(): char
        for bitmap, char in zip(table.bitmaps, table.chars, strict=True)
    }
    w, h = table.width, table.height

    def read(fb: Framebuffer) -> list[str]:
        pixels = fb.pixels32 & 0xFFFFFF
        rows = []
        for y in range(0, fb.height - h + 1, h):
            line = []
            for x in range(0, fb.width - w + 1, w):
                cell = pixels[y : y + h, x : x + w]
                colours = np.unique(cell)
                if len(colours) == 1:
                    line.append(" ")
                    continue
                if len(colours) > 2:
                    line.append("\ufffd")
                    continue
                char = by_bitmap.get(np.packbits(cell == colours[1]).tobytes())
                if char is None:
                    char = by_bitmap.get(np.packbits(cell == colours[0]).tobytes(), "\ufffd")
                line.append(char)
            rows.append("".join(line))
        return rows

    return read


def timed(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times) * 1000, statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--lossy", action="store_true", help="also read JPEG screens")
    args = parser.parse_args()

    start = time.perf_counter()
    tables = glyph_tables()
    load_ms = (time.perf_counter() - start) * 1000
    table_of = {(t.name, t.width): t for t in tables}

    terminus, bios, vga8 = psf("Uni2-Terminus16"), vga_bios(16), psf("Lat15-Fixed16")
    screens = [
        ("fbcon 1920x1080, 240x67, full log", log_screen(terminus, 1920, 1080),
         ("Uni2-Terminus16", 8), 50.0),
        ("fbcon 1920x1080, login prompt", prompt_screen(terminus, 1920, 1080),
         ("Uni2-Terminus16", 8), 50.0),
        ("fbcon 1024x768, 128x48, full log", log_screen(vga8, 1024, 768),
         ("Lat15-Fixed16", 8), None),
        ("VGA text 720x400, 80x25, full", log_screen(bios, 720, 400, 9),
         ("VGA-BIOS-8x16", 9), 5.0),
        ("VGA text 720x400, login prompt", prompt_screen(bios, 720, 400, 9),
         ("VGA-BIOS-8x16", 9), 5.0),
        ("fbcon 1920x1080, grid at (3, 5)",
         off_corner(log_screen(terminus, 1904, 1064), 1920, 1080, 3, 5), None, None),
        ("photo-like 1920x1080 (no text)", photo_screen(1920, 1080), None, None),
        ("noise 1024x768 (no text)", noise_screen(1024, 768), None, None),
    ]  # fmt: skip

    print(f"Screen reader, best / median of {args.repeat} runs (ms); font tables built once in"
          f" {load_ms:.0f} ms.\n")  # fmt: skip
    print("| screen | font found | read_screen best | median | target | per-cell peer best |")
    print("|---|---|---:|---:|---:|---:|")
    for title, fb, peer_font, target in screens:
        screen = read_screen(fb)
        best, median = timed(lambda fb=fb: read_screen(fb), args.repeat)
        peer = "-"
        if peer_font is not None:
            reader = per_cell_reader(table_of[peer_font])
            peer = f"{timed(lambda fb=fb, r=reader: r(fb), 3)[0]:.1f}"
        verdict = "-" if target is None else f"{target:g} {'ok' if best < target else 'MISSED'}"
        print(f"| {title} | {screen.font} | {best:.1f} | {median:.1f} | {verdict} | {peer} |")
    if args.lossy:
        lossy_table(terminus)


def lossy_table(terminus: TestFont) -> None:
    from tests.screen_text.lossy_pages import QUALITIES, close_pairs, pair_page, through_jpeg
    from tests.screen_text.test_lossy import FONTS, same_glyph

    print("\nLossy screens: cells read right / wrong (of those drawn), and ms to read a page.\n")
    print("| screen | " + " | ".join(f"JPEG {q}" for q in QUALITIES) + " |")
    print("|---|" + "---:|" * len(QUALITIES))
    log = log_screen(terminus, 1920, 1080)
    rows: list[tuple[str, list[str]]] = []
    cells_of_log = [
        [c if c != " " else None for c in line] for line in read_screen(log).rows
    ]  # the exact reading is the truth here
    cases = [("grey-on-black log, fbcon 1920x1080", None, 8, log, cells_of_log)]
    for name, (make, cell_width) in FONTS.items():
        font = make()
        page = pair_page(font, cell_width, close_pairs(font, cell_width), 0)
        cases.append((f"close pairs, {name}", font, cell_width, page.framebuffer, page.text))
    for title, font, cell_width, fb, text in cases:
        cells = []
        for quality in QUALITIES:
            blurred = through_jpeg(fb, quality)
            start = time.perf_counter()
            screen = read_screen(blurred)
            ms = (time.perf_counter() - start) * 1000
            right = wrong = drawn = 0
            for r, line in enumerate(text):
                for c, want in enumerate(line):
                    if want is None:
                        continue
                    drawn += 1
                    got = screen.rows[r][c] if r < len(screen.rows) else "\ufffd"
                    if got == "\ufffd":
                        continue
                    ok = got == want if font is None else same_glyph(font, cell_width, got, want)
                    right, wrong = right + ok, wrong + (not ok)
            cells.append(f"{100 * right / drawn:.0f}% / {wrong} ({ms:.0f})")
        rows.append((title, cells))
        print(f"| {title} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
