"""A hostile server's rectangles against the real command line, on each decode path: every bomb
and broken payload ends `screenshot` with one sentence on stderr and status 1, no traceback, in
bounded memory and time; an honest rectangle from the same server is saved exactly."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.hostile_rfb import HostileServer, Peer, Script, rect, update
from tests.rfb import reference_encoders_basic as basic
from tests.rfb import reference_encoders_zt as zt

ROOT = Path(__file__).resolve().parent.parent.parent
WIDTH, HEIGHT = 64, 48
AREA = WIDTH * HEIGHT
#: Peak resident memory of the command, whatever the server sends (a plain run takes ~60 MB).
RSS_LIMIT_KIB = 150 << 10

#: Runs a command and writes its peak RSS (KiB) to the file named first: a small parent of its
#: own, since Linux counts the peak RSS of the process that forks a command in the command's.
MEASURE = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def answering(payload: bytes) -> Script:
    """A plain handshake (64x48), then ``payload`` as the answer to the first update request,
    and the connection held open until the client leaves."""

    async def script(peer: Peer) -> None:
        await peer.greet()
        await peer.accept(WIDTH, HEIGHT)
        reading = asyncio.ensure_future(peer.read_client_messages())
        try:
            await peer.server.first_request.wait()
            await peer.send(payload)
            await reading
        finally:
            reading.cancel()

    return script


def screenshot(script: Script, path: str, encoding: str) -> tuple[int, str, int, bytes]:
    """``ovhkvm-desktop screenshot`` against ``script`` on decode ``path``, offering one data
    encoding: its status, stderr, peak RSS (KiB) and the PNG it saved (or nothing)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVHKVM_")}
    if path == "python":
        env["OVHKVM_DECODERS"] = "python"
    with HostileServer(script) as server, tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "screen.png"
        rss_file = Path(tmp) / "rss"
        command = [
            *(sys.executable, "-m", "ovhkvm_desktop", "screenshot"),
            *(f"vnc://127.0.0.1:{server.port}", str(image)),
            *("--timeout", "10", "--encodings", encoding),
        ]
        process = subprocess.Popen(
            [sys.executable, "-c", MEASURE, str(rss_file), *command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        try:
            _, err = process.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail("the command did not end within 40 s")
        peak = int(rss_file.read_text())
        saved = image.read_bytes() if image.exists() else b""
    assert not server.errors, server.errors
    return process.returncode, err.decode(errors="replace"), peak, saved


def tight_basic(data: bytes, control: int = 0x00) -> bytes:
    """Tight basic compression with the copy filter (implicit) on stream 0."""
    compressed = zlib.compress(data)
    return bytes([control]) + zt.compact_length(len(compressed)) + compressed


def zrle(data: bytes) -> bytes:
    compressed = zlib.compress(data)
    return struct.pack(">I", len(compressed)) + compressed


#: 3 MiB of zeros: 3 kB deflated, far more than a 64x48 rectangle's pixels.
BOMB = bytes(3 << 20)
#: A 1x1 PNG whose header claims 30000x30000 pixels (900 million).
HUGE_PNG = zt.png_bytes(np.zeros((1, 1, 4), np.uint8)).replace(
    struct.pack(">II", 1, 1), struct.pack(">II", 30000, 30000), 1
)

CASES = {
    # name: (the encoding offered, the update sent, words of the sentence)
    "zlib length of 4 GiB": (
        "zlib",
        update(rect(0, 0, WIDTH, HEIGHT, 6, struct.pack(">I", 0xFFFFFFF0))),
        ["announced 4294967280 bytes of zlib data"],
    ),
    "zlib bomb": (
        "zlib",
        update(rect(0, 0, WIDTH, HEIGHT, 6, zrle(BOMB))),
        ["zlib data inflated to more pixels than its rectangle holds"],
    ),
    "zrle bomb": (
        "zrle",
        update(rect(0, 0, WIDTH, HEIGHT, 16, zrle(BOMB))),
        ["ZRLE data inflates to more than a 64x48 rectangle can hold"],
    ),
    "tight bomb": (
        "tight",
        update(rect(0, 0, WIDTH, HEIGHT, 7, tight_basic(BOMB))),
        ["Tight data inflated to more than"],
    ),
    "tight palette index past the palette": (
        "tight",
        update(rect(0, 0, 3, 3, 7, b"\x40\x01\x02" + bytes(9) + bytes([9] * 9))),
        ["palette entry 9 of a 3-colour palette"],
    ),
    "hextile sub-rectangle outside its tile": (
        "hextile",
        update(rect(0, 0, 8, 8, 5, b"\x0a" + bytes(4) + b"\x01\xf0\x00")),
        ["Hextile sub-rectangle 1x1 at (15,0), outside its 8x8 tile"],
    ),
    "hextile rectangle outside the screen": (
        "hextile",
        update(rect(60, 40, 0xFFFF, 0xFFFF, 5, b"\x00")),
        ["outside the 64x48 screen"],
    ),
    "zrle run past its tile": (
        "zrle",
        update(rect(0, 0, 4, 2, 16, zrle(b"\x80" + bytes(3) + b"\xff\x00"))),
        ["past the end of its 4x2 tile"],
    ),
    "tightpng image claiming 30000x30000 pixels": (
        "tightpng",
        update(
            rect(0, 0, WIDTH, HEIGHT, -260, b"\xa0" + zt.compact_length(len(HUGE_PNG)) + HUGE_PNG)
        ),
        ["PNG"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_rectangle_ends_the_command_with_one_sentence(case: str, decode_path: str):
    encoding, payload, words = CASES[case]
    started = time.monotonic()
    status, err, peak, saved = screenshot(answering(payload), decode_path, encoding)
    assert status == 1, (status, err[-2000:])
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err[-2000:]
    for word in words:
        assert word in lines[0], lines[0]
    assert peak < RSS_LIMIT_KIB, f"peak RSS {peak >> 10} MB"
    assert time.monotonic() - started < 30
    assert saved == b""


def test_an_honest_rectangle_from_the_same_server_is_saved_exactly(decode_path: str):
    """The control: the same server and command, a Hextile picture that is right."""
    rng = np.random.default_rng(5)
    values = np.full((HEIGHT, WIDTH), 0xFF204060, "<u4")
    values[10:30, 5:50] = 0xFFFFFFFF
    values[rng.random((HEIGHT, WIDTH)) < 0.1] = 0xFFFF0000
    picture = values.view(np.uint8).reshape(HEIGHT, WIDTH, 4)
    payload = update(rect(0, 0, WIDTH, HEIGHT, 5, basic.encode_hextile(picture)))
    status, err, _, saved = screenshot(answering(payload), decode_path, "hextile")
    assert status == 0, err
    shown = np.asarray(Image.open(io.BytesIO(saved)).convert("RGB"))
    assert (shown == picture[:, :, 2::-1]).all()
