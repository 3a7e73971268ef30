"""`wait --for` and `read` on the test guest's real console (QEMU's VGA text mode): a script types
a line, waits until the console shows it, and reads it back; a text that never comes times out."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time

from tests.e2e.test_console_e2e import run_cli


def test_wait_sees_a_typed_line_appear_and_read_shows_it(console_guest) -> None:
    guest = console_guest("us")
    target = f"vnc://{guest.host}:{guest.port}"
    line = f"ovhkvm waits for {secrets.token_hex(4)} [ok] ~$"
    # `wait` first, connected before the line is typed: it must see the line drawn later.
    waiting = subprocess.Popen(
        [sys.executable, "-m", "ovhkvm_desktop", "wait", target, "--for", line],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)
        assert waiting.poll() is None, waiting.communicate()
        mark = guest.serial_mark()
        typed = run_cli("type", target, "--layout", "us", "--text", "\n" + line)
        assert typed.returncode == 0, typed.stderr
        guest.wait_for_received(("\n" + line).encode(), since=mark)
        out, err = waiting.communicate(timeout=20)
    finally:
        waiting.kill()
    assert (waiting.returncode, out, err) == (0, "", "")

    read = run_cli("read", target)
    assert read.returncode == 0, read.stderr
    rows = read.stdout.split("\n")[:-1]
    assert len(rows) == 25
    assert any(row.startswith(line) for row in rows), read.stdout

    as_json = run_cli("read", target, "--json")
    assert as_json.returncode == 0, as_json.stderr
    screen = json.loads(as_json.stdout)
    assert screen["font"] == "VGA-BIOS-8x16"
    (row,) = [r for r, text in enumerate(screen["rows"]) if text.startswith(line)]
    # The cursor blinks: when seen it stands just after the line, its cell unreadable.
    assert screen["cursor"] in (None, [len(line), row])
    on_its_row = [cell for cell in screen["unreadable"] if cell[1] == row]
    assert on_its_row == ([screen["cursor"]] if screen["cursor"] else [])


def test_wait_for_a_text_that_never_comes_times_out_with_one_line(console_guest) -> None:
    guest = console_guest("us")
    target = f"vnc://{guest.host}:{guest.port}"
    absent = f"never typed {secrets.token_hex(4)}"
    started = time.monotonic()
    waited = run_cli("wait", target, "--for", absent, "--timeout", "2")
    assert time.monotonic() - started < 10
    assert waited.returncode == 1
    assert waited.stdout == ""
    assert waited.stderr.splitlines() == [
        f"ovhkvm-desktop: timed out after 2 s waiting for '{absent}' on the screen"
    ]
