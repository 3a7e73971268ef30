"""The screen reader reads what the test guest's Linux console really shows: QEMU's VGA text mode
(720x400, 9x16 cells, the VGA BIOS font), as the project's own session receives it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ovhkvm_desktop.rfb.framebuffer import Framebuffer
from ovhkvm_desktop.screen_text import UNREADABLE, read_screen
from tests.e2e.test_console_e2e import run_cli
from tests.testbed import QemuGuest

TYPED = "ovhkvm reads 14: UUID=0b5c1f7e-93a2 {x} [ok] ~$ 42%"


def framebuffer_of(png: Path) -> Framebuffer:
    rgb = np.asarray(Image.open(png).convert("RGB"))
    fb = Framebuffer(rgb.shape[1], rgb.shape[0])
    fb.pixels[:, :, :3] = rgb[:, :, ::-1]
    return fb


def test_read_finds_a_typed_line_on_the_vga_text_console(console_guest, tmp_path: Path) -> None:
    guest = console_guest("us")
    target = f"vnc://{guest.host}:{guest.port}"
    mark = guest.serial_mark()
    typed = run_cli("type", target, "--layout", "us", "--text", "\n" + TYPED)
    assert typed.returncode == 0, typed.stderr
    received = guest.wait_for_received(("\n" + TYPED).encode(), since=mark)
    assert received.endswith(TYPED.encode()), received

    deadline = time.monotonic() + 10
    while True:  # QEMU redraws the text screen on its own clock: wait for the line to show
        shot = run_cli("screenshot", target, str(tmp_path / "screen.png"))
        assert shot.returncode == 0, shot.stderr
        screen = read_screen(framebuffer_of(tmp_path / "screen.png"))
        if any(row.startswith(TYPED) for row in screen.rows) or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    assert (screen.font, screen.cell, screen.origin) == ("VGA-BIOS-8x16", (9, 16), (0, 0))
    assert len(screen.rows) == 25 and screen.columns == 80
    assert screen.rows[0].startswith(" ovhkvm test guest ")  # bold white on blue
    assert screen.rows[1].rstrip() == "keymap us"  # bold green
    (row,) = [r for r, text in enumerate(screen.rows) if text.startswith(TYPED)]
    after = screen.rows[row][len(TYPED) :]
    # The cursor blinks: when seen, it is just after the line, and hides what is under it.
    if screen.cursor is not None:
        assert screen.cursor == (len(TYPED), row)
        assert after.rstrip() == UNREADABLE and screen.unreadable == [screen.cursor]
    else:
        assert after.strip() == "" and screen.unreadable == []

    # QEMU's own screendump of the same screen reads the same.
    dumped = guest.screendump_rgb()
    fb = Framebuffer(dumped.shape[1], dumped.shape[0])
    fb.pixels[:, :, :3] = dumped[:, :, ::-1]
    again = read_screen(fb)
    assert again.font == "VGA-BIOS-8x16"
    assert [r.rstrip(" " + UNREADABLE) for r in again.rows] == [
        r.rstrip(" " + UNREADABLE) for r in screen.rows
    ]


@pytest.mark.parametrize("encoding", ["raw", "hextile", "zlib", "zrle", "tight", "tightpng"])
def test_every_lossless_encoding_reads_as_qemus_own_screen(
    console_guest, tmp_path: Path, encoding: str
) -> None:
    guest = console_guest("us")
    shot = run_cli(
        "screenshot", f"vnc://{guest.host}:{guest.port}", str(tmp_path / "screen.png"),
        "--encodings", encoding,
    )  # fmt: skip
    assert shot.returncode == 0, shot.stderr
    screen = read_screen(framebuffer_of(tmp_path / "screen.png"))
    dumped = guest.screendump_rgb()
    fb = Framebuffer(dumped.shape[1], dumped.shape[0])
    fb.pixels[:, :, :3] = dumped[:, :, ::-1]
    reference = read_screen(fb)
    assert screen.font == reference.font == "VGA-BIOS-8x16"
    # The cursor blinks between the two pictures: compare without what it may cover.
    assert [r.rstrip(" " + UNREADABLE) for r in screen.rows] == [
        r.rstrip(" " + UNREADABLE) for r in reference.rows
    ]
    assert screen.rows[0].startswith(" ovhkvm test guest ")


LOG_LINE = re.compile(r"\[ *\d+\.\d+\] \S.* [0-9a-f]{8}")
LINE_START = re.compile(r"\[ *\d+\.\d+\] ")


def test_read_finds_the_log_on_a_1920x1080_framebuffer_console_beside_a_photo() -> None:
    """The scroll guest: fbcon at 1920x1080 with the kernel's own font, a coloured log scrolling
    as fast as the guest prints, a photo below it. The log rows read whole (bar a row caught
    mid-scroll), and the photo's cells are unreadable, not letters."""
    with QemuGuest(mode="scroll", boot_timeout=120) as guest:
        time.sleep(2)  # the log fills the upper part of the screen
        # Paused, the guest cannot scroll while QEMU copies the screen (the copy would tear
        # rows); a scroll it was in the middle of may still leave a row or two half moved.
        guest.qmp("stop")
        dumped = guest.screendump_rgb()
        guest.qmp("cont")
    fb = Framebuffer(dumped.shape[1], dumped.shape[0])
    fb.pixels[:, :, :3] = dumped[:, :, ::-1]
    screen = read_screen(fb)
    assert (screen.font, screen.cell, screen.origin) == ("Linux-VGA8x16", (8, 16), (0, 0))
    assert (len(screen.rows), screen.columns) == (67, 240)
    unreadable_rows = sorted({row for _, row in screen.unreadable})
    assert unreadable_rows and unreadable_rows[-1] == 66  # the photo, at the bottom
    photo_top = unreadable_rows[-1]
    while photo_top - 1 in unreadable_rows:
        photo_top -= 1
    torn = [row for row in unreadable_rows if row < photo_top]
    assert len(torn) <= 2, torn  # rows caught mid-scroll
    # Lines longer than the screen wrap onto the next row: join them back.
    lines: list[str] = []
    for r, row in enumerate(screen.rows[: photo_top - 1]):
        if r in torn:
            lines.append("")  # neither it nor the line it belongs to counts
        elif LINE_START.match(row) or not lines:
            lines.append(row)
        else:
            lines[-1] += row
    lines = [line for line in lines[1:] if line]  # the first may have begun above the screen
    whole = [line for line in lines if LOG_LINE.fullmatch(line.rstrip())]
    assert len(whole) >= 0.9 * len(lines) >= 25, "\n".join(lines)
