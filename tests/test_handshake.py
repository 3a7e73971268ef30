"""A hostile server against the real command line: whatever length it announces or however it
floods, the user reads one sentence, and the command's memory stays that of a plain ``info``
(about 58 MB), never growing with what the server sends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import hostile_rfb as hostile
from tests.hostile_rfb import HostileServer, Script

ROOT = Path(__file__).resolve().parent.parent
GIB = 1 << 30
#: What a hostile server streams of the string it announced: far more than the client should
#: ever hold, little enough to go through loopback in well under a second.
STREAMED = 300 << 20
#: Peak resident memory of the command, whatever the server does (a plain `info` takes ~58 MB).
RSS_LIMIT_KIB = 150 << 10


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_kib: int
    seconds: float

    def one_line_error(self, *words: str) -> str:
        assert self.returncode == 1, (self.returncode, self.stderr)
        assert self.stdout == ""
        assert "Traceback" not in self.stderr
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr[:2000]
        for word in words:
            assert word in lines[0], lines[0][:2000]
        return lines[0]

    def bounded(self) -> None:
        assert self.peak_rss_kib < RSS_LIMIT_KIB, f"peak RSS {self.peak_rss_kib >> 10} MB"


#: Runs a command and writes its peak RSS (KiB) to the file named first. A parent of its own,
#: small and fresh: Linux counts the peak RSS of the process that forks a command in the
#: command's own peak (the test process may have grown to hundreds of MB by then).
MEASURE = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_info(script: Script, *args: str, stdin: str | None = None) -> tuple[Run, HostileServer]:
    """``ovhkvm-desktop info`` against ``script``; its peak RSS measured by the kernel."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVHKVM_")}
    with (
        HostileServer(script) as server,
        tempfile.TemporaryDirectory() as tmp,
        open(os.path.join(tmp, "out"), "w+b") as out,
        open(os.path.join(tmp, "err"), "w+b") as err,
    ):
        rss_file = os.path.join(tmp, "rss")
        command = [sys.executable, "-m", "ovhkvm_desktop", "info", f"vnc://127.0.0.1:{server.port}"]
        start = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-c", MEASURE, rss_file, *command, "--timeout", "5", *args],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        try:
            process.communicate((stdin or "").encode(), timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail("the command did not end within 30 s")
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        with open(rss_file) as rss:
            peak = int(rss.read())
        run = Run(
            process.returncode,
            out.read().decode(),
            err.read().decode(errors="replace"),
            peak,
            seconds,
        )
    assert not server.errors, server.errors
    return run, server


# -- lengths announced in the handshake ----------------------------------------------------------


def test_a_1_gib_desktop_name_is_refused_in_words_without_being_read():
    run, _ = run_info(hostile.huge_desktop_name(GIB, STREAMED))
    run.bounded()
    run.one_line_error("announced a 1073741824-byte desktop name")


def test_a_long_desktop_name_is_kept_to_its_first_4_kib():
    run, _ = run_info(hostile.huge_desktop_name(100_000, 100_000), "--json")
    assert run.returncode == 0, run.stderr
    name = json.loads(run.stdout)["name"]
    assert name == "A" * 4096 + "…"


def test_a_desktop_name_not_in_utf8_is_shown_with_replacement_characters():
    run, _ = run_info(hostile.named("Büro".encode("latin-1")), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["name"] == "B\ufffdro"


def test_a_refusal_with_a_1_gib_reason_is_said_without_reading_the_reason():
    run, _ = run_info(hostile.huge_refusal(GIB, STREAMED))
    run.bounded()
    run.one_line_error("the server refused the connection", "a 1073741824-byte reason")


def test_a_refusal_reason_is_shown_up_to_4_kib():
    run, _ = run_info(hostile.huge_refusal(100_000, 100_000))
    line = run.one_line_error("the server refused the connection: AAAA")
    assert len(line) < 4096 + 100
    assert line.endswith("…")


def test_a_refused_password_with_a_1_gib_reason_is_said_without_reading_the_reason():
    run, _ = run_info(hostile.huge_auth_failure(GIB, STREAMED), "--password-stdin", stdin="pw\n")
    run.bounded()
    run.one_line_error("the server refused the VNC password", "a 1073741824-byte reason")


def test_a_security_result_no_rfb_version_has_is_not_taken_for_a_reason_length():
    # asyncvnc reads a SecurityResult above 2 as the length of a reason that follows.
    run, _ = run_info(
        hostile.huge_auth_failure(GIB, STREAMED, result=GIB), "--password-stdin", stdin="pw\n"
    )
    run.bounded()
    run.one_line_error("unknown result (1073741824)")


def test_a_password_a_vnc_password_cannot_hold_is_reported_without_its_characters():
    run, _ = run_info(hostile.vnc_auth_then_hang(), "--password-stdin", stdin="kätzchen€\n")
    line = run.one_line_error("the VNC password has characters a VNC password cannot hold")
    for piece in ("ä", "€", "\\xe4", "\\u20ac", "tzch"):
        assert piece not in line


# -- floods after the handshake ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "count"),
    [
        (hostile.EMPTY_UPDATE, 20_000),
        (hostile.desktop_size(65, 48) + hostile.desktop_size(64, 48), 5_000),
    ],
    ids=["empty updates", "resizes"],
)
def test_a_flood_of_updates_nobody_asked_for_is_not_answered_with_a_request_each(message, count):
    run, server = run_info(hostile.flood(message, count))
    assert run.returncode == 0, run.stderr
    assert "name:         hostile" in run.stdout
    run.bounded()
    # One request per read of the socket (or per slice of decoding) at most, not one per update.
    assert server.requests < count // 10, f"{server.requests} requests for {count} updates"


@pytest.mark.parametrize(
    ("message", "count"),
    [(hostile.BELL, 200_000), (hostile.cut_text(b"x" * 4096), 10_000)],
    ids=["bells", "clipboard texts"],
)
def test_a_flood_of_other_messages_leaves_the_command_bounded(message, count):
    run, server = run_info(hostile.flood(message, count))
    assert run.returncode == 0, run.stderr
    run.bounded()
    assert server.requests <= 3


def test_a_server_that_stops_reading_and_floods_does_not_hold_the_command():
    run, _ = run_info(hostile.flood_without_reading(hostile.EMPTY_UPDATE))
    assert run.returncode == 0, run.stderr
    assert run.seconds < 5
    run.bounded()
