"""`read` prints the text a console's screen shows and `wait --for` returns when a text appears,
against a real RFB server whose screen is drawn with a console font's own file (QEMU's VGA text
mode: the VGA BIOS font in 9x16 cells, 720x400)."""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ovhkvm_desktop import cli
from ovhkvm_desktop.cli.consoles import print_screen
from ovhkvm_desktop.rfb.framebuffer import Framebuffer
from ovhkvm_desktop.screen_text import UNREADABLE, ScreenText, read_screen
from tests.screen_text.render import TestFont, draw, psf, underline_cursor, vga_bios
from tests.ui.rfb_server import RfbServer

WIDTH, HEIGHT, CELL = 720, 400, 9
FONT = vga_bios()
BANNER = "Debian GNU/Linux 12 rescue tty1"
PROMPT = "rescue login:"


@pytest.fixture(autouse=True)
def _quiet_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVHKVM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("OVHKVM_VNC_PASSWORD", raising=False)


@pytest.fixture
def server() -> Iterator[RfbServer]:
    with RfbServer(WIDTH, HEIGHT) as srv:
        yield srv


def text_screen(*lines: tuple[int, str], font: TestFont = FONT) -> Framebuffer:
    """A VGA text screen, black, with ``(row, text)`` lines drawn in light grey."""
    fb = Framebuffer(WIDTH, HEIGHT)
    fb.pixels32[:] = 0xFF000000
    for row, text in lines:
        draw(fb, font, 0, row, text, cell_width=CELL)
    return fb


def show(server: RfbServer, fb: Framebuffer) -> None:
    server.paint(0, 0, fb.pixels.copy())


def target(server: RfbServer) -> str:
    return f"vnc://127.0.0.1:{server.port}"


def run(*args: str) -> int:
    return cli.main(list(args))


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line]


# -- read ---------------------------------------------------------------------------------------


def test_read_prints_each_screen_row_without_its_trailing_spaces(server, capsys) -> None:
    fb = text_screen((0, BANNER), (2, PROMPT + "   "), (4, "  indented  "))
    underline_cursor(fb, FONT, 14, 2, 0xAAAAAA, (14, 15), cell_width=CELL)
    show(server, fb)

    assert run("read", target(server)) == 0

    out = capsys.readouterr().out
    lines = out.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == 25  # one line per row of the 80x25 screen
    assert lines[0] == BANNER
    assert lines[1] == ""
    assert lines[2] == PROMPT + " " + UNREADABLE  # the cursor hides its cell: never guessed
    assert lines[4] == "  indented"
    assert lines[5:25] == [""] * 20


def test_read_prints_a_1024x768_framebuffer_console_in_a_console_setup_font(capsys) -> None:
    font = psf("Lat15-Terminus16")
    fb = Framebuffer(1024, 768)
    fb.pixels32[:] = 0xFF000000
    draw(fb, font, 0, 0, "Ubuntu 24.04 LTS rescue tty1", 0xFFFFFF)
    draw(fb, font, 0, 1, "Überprüfung: café, naïve, 100 %", 0x55FF55)
    with RfbServer(1024, 768) as server:
        show(server, fb)
        assert run("read", target(server)) == 0
    lines = capsys.readouterr().out.split("\n")
    assert len(lines) - 1 == 768 // 16 and lines[-1] == ""
    assert lines[:3] == ["Ubuntu 24.04 LTS rescue tty1", "Überprüfung: café, naïve, 100 %", ""]


def test_read_json_is_one_object_with_rows_cursor_font_and_unreadable_cells(server, capsys) -> None:
    fb = text_screen((0, BANNER), (2, PROMPT))
    underline_cursor(fb, FONT, 14, 2, 0xAAAAAA, (14, 15), cell_width=CELL)
    show(server, fb)

    assert run("read", target(server), "--json") == 0

    out = capsys.readouterr().out
    assert out.count("\n") == 1
    data = json.loads(out)
    assert list(data) == ["rows", "cursor", "font", "unreadable"]
    assert data["rows"][:3] == [BANNER, "", PROMPT + " " + UNREADABLE]
    assert len(data["rows"]) == 25 and data["rows"][3:] == [""] * 22
    assert data["font"] == read_screen(fb).font == "VGA-BIOS-8x16"
    assert data["unreadable"] == [[14, 2]]
    assert data["cursor"] == [14, 2]


def test_read_says_in_one_line_that_a_noisy_screen_is_no_text_console(server, capsys) -> None:
    noise = np.random.default_rng(14).integers(0, 256, (HEIGHT, WIDTH, 4), dtype=np.uint8)
    server.paint(0, 0, noise)

    assert run("read", target(server)) == 1
    assert run("read", target(server), "--json") == 1

    out, err = capsys.readouterr()
    assert out == ""
    errors = error_lines(err)
    assert len(errors) == 2 and errors[0] == errors[1]
    assert errors[0].startswith("ovhkvm-desktop: the screen shows no text")
    assert "not a text console" in errors[0]


def test_read_never_prints_a_raw_control_character_whatever_glyph_is_on_screen(
    server, capsys
) -> None:
    # Every one of the font's 256 glyphs, the C0 and DEL positions included, in rows of 64.
    by_index = TestFont(
        FONT.name, FONT.width, FONT.height, FONT.glyphs, {chr(0xE000 + i): i for i in range(256)}
    )
    glyphs = "".join(chr(0xE000 + i) for i in range(256))
    fb = text_screen(*((row, glyphs[row * 64 : (row + 1) * 64]) for row in range(4)), font=by_index)
    show(server, fb)

    assert run("read", target(server)) == 0
    assert run("read", target(server), "--json") == 0

    out, err = capsys.readouterr()
    text, as_json = out.rsplit("\n", 2)[0], out.rsplit("\n", 2)[1]
    assert all(char.isprintable() or char == "\n" for char in out), err
    assert len(text.split("\n")) == 25
    rows = json.loads(as_json)["rows"]
    assert len("".join(rows[:4]).replace(" ", "")) > 200  # the glyphs were read as text


def test_read_escapes_whatever_a_reading_holds_and_what_the_terminal_cannot_show(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No font maps a glyph to a control character today; the output does not count on it.
    screen = ScreenText(rows=["a\x1b]52;c;eA==\x07b  ", "café ─┤ \u202e"], font="some font")
    terminal = io.TextIOWrapper(io.BytesIO(), encoding="ascii", newline="\n")
    monkeypatch.setattr(sys, "stdout", terminal)
    print_screen(screen, as_json=False)
    print_screen(screen, as_json=True)
    terminal.flush()
    out = terminal.buffer.getvalue().decode("ascii")  # type: ignore[attr-defined]
    lines = out.split("\n")
    assert lines[:2] == ["a\\x1b]52;c;eA==\\x07b", "caf\\xe9 \\u2500\\u2524 \\u202e"]
    assert json.loads(lines[2])["rows"] == ["a\x1b]52;c;eA==\x07b", "café ─┤ \u202e"]


# -- wait ---------------------------------------------------------------------------------------


def paint_later(server: RfbServer, delay: float, fb: Framebuffer) -> threading.Timer:
    timer = threading.Timer(delay, show, (server, fb))
    timer.start()
    return timer


def test_wait_returns_0_when_the_text_is_drawn_while_it_waits(server, capsys) -> None:
    show(server, text_screen((0, BANNER)))
    timer = paint_later(server, 1.0, text_screen((0, BANNER), (2, PROMPT)))
    started = time.monotonic()
    try:
        assert run("wait", target(server), "--for", "login:", "--timeout", "10") == 0
    finally:
        timer.cancel()
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 5, elapsed
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_wait_returns_at_once_when_the_text_is_already_there(server, capsys) -> None:
    show(server, text_screen((0, BANNER), (2, PROMPT)))
    started = time.monotonic()
    assert run("wait", target(server), "--for", "rescue tty1") == 0
    assert time.monotonic() - started < 3
    assert capsys.readouterr() == ("", "")


def test_wait_returns_1_with_one_line_when_the_text_never_comes(server, capsys) -> None:
    show(server, text_screen((0, BANNER)))
    started = time.monotonic()
    assert run("wait", target(server), "--for", "Password:", "--timeout", "1.5") == 1
    assert 1.4 <= time.monotonic() - started < 4
    out, err = capsys.readouterr()
    assert out == ""
    assert error_lines(err) == [
        "ovhkvm-desktop: timed out after 1.5 s waiting for 'Password:' on the screen"
    ]


def test_wait_finds_text_on_one_row_only(server, capsys) -> None:
    # "login:" split over the end of a row and the start of the next is not on the screen.
    show(server, text_screen((2, " " * 77 + "log"), (3, "in:")))
    assert run("wait", target(server), "--for", "login:", "--timeout", "1") == 1
    assert "timed out after 1 s waiting for 'login:'" in capsys.readouterr().err


def test_wait_escapes_a_hostile_text_in_its_message(server, capsys) -> None:
    show(server, text_screen((0, BANNER)))
    hostile = "\x1b]52;c;cm0gLXJmIH4=\x07\x9b31m\u202e"
    assert run("wait", target(server), "--for", hostile, "--timeout", "0.5") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert all(char.isprintable() or char == "\n" for char in err)
    assert error_lines(err) == [
        "ovhkvm-desktop: timed out after 0.5 s waiting for"
        " '\\x1b]52;c;cm0gLXJmIH4=\\x07\\x9b31m\\u202e' on the screen"
    ]


@pytest.mark.parametrize("text", ["", "two\nlines"])
def test_wait_refuses_a_text_that_no_row_can_hold(text: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        run("wait", "vnc://127.0.0.1:1", "--for", text)
    assert exit.value.code == 2
    assert "one line, not empty" in capsys.readouterr().err


def test_wait_says_when_the_console_cannot_be_reached(capsys) -> None:
    with RfbServer(WIDTH, HEIGHT) as gone:
        port = gone.port
    assert run("wait", f"vnc://127.0.0.1:{port}", "--for", "x", "--timeout", "2") == 1
    errors = error_lines(capsys.readouterr().err)
    assert len(errors) >= 1 and "timed out" not in errors[-1]
