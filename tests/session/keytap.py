"""A tap between an RFB client and its server that notes when each key event left the client,
by the kernel's own clock, in a process of its own: the instrument of the pacing tests.

Why not note the time where the server parses the bytes: a note taken by a Python thread lags
the arrival by however long that thread waits for the interpreter lock (up to the 5 ms switch
interval while the client's thread runs Python, more during a garbage collection) or for a CPU
(a busy CI machine); two key events a correct 10 ms apart then look 2 ms apart. Here the kernel
stamps each segment as the client's ``send()`` hands it over on loopback (``SO_TIMESTAMPNS``;
measured a few microseconds after the client's own clock), and the tap reads one message at a
time, so that each key event keeps its own segment's stamp. The tap's own delays do not matter
unless it falls a whole gap behind (the kernel would then merge the waiting segments).

Run as ``python -m tests.session.keytap BACKEND_PORT``: it prints ``listening PORT``, then one
line per key event the client sends, ``key DOWN KEYSYM KEYCODE EXTENDED SECONDS``. Tests use
``KeyTap`` (below), which runs it and reads those lines. Linux only.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ovhkvm_desktop.keyboard import WireKeyEvent
    from tests.ui.rfb_server import Key

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # 35 on Linux
#: The client's ProtocolVersion, security type and ClientInit (the servers here offer None), each
#: forwarded before the server answers it.
HANDSHAKE = (12, 1, 1)
REPO = Path(__file__).resolve().parents[2]
#: How much shorter than it was a gap may look. The kernel stamps each key event as the client
#: hands it over, a few microseconds after the client's own clock says it sent it, and the pacing
#: rule measures its gaps on that clock. 1 ms is far above that jitter and far below what the
#: pacing tests exist to catch: a burst shows gaps of microseconds.
SLACK = 0.001


# -- the tap (its own process) -------------------------------------------------------------------


class _Upstream:
    """The client's bytes, one message at a time, each with the kernel's time of its last
    segment."""

    def __init__(self, client: socket.socket, backend: socket.socket) -> None:
        self.client = client
        self.backend = backend
        self.stamp = 0.0

    def read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk, ancillary, _, _ = self.client.recvmsg(
                n - len(data), socket.CMSG_SPACE(16), socket.MSG_WAITALL
            )
            if not chunk:
                raise EOFError
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = struct.unpack("qq", value[:16])
                    self.stamp = seconds + nanoseconds / 1e9
            data += chunk
        self.backend.sendall(data)
        return data

    def message(self) -> None:
        kind = self.read(1)[0]
        if kind == 0:  # SetPixelFormat
            self.read(19)
        elif kind == 2:  # SetEncodings
            (count,) = struct.unpack(">xH", self.read(3))
            self.read(4 * count)
        elif kind == 3:  # FramebufferUpdateRequest
            self.read(9)
        elif kind == 4:  # KeyEvent
            down, keysym = struct.unpack(">BxxI", self.read(7))
            _say(f"key {down} {keysym} 0 0 {self.stamp:.9f}")
        elif kind == 5:  # PointerEvent
            self.read(5)
        elif kind == 6:  # ClientCutText (negative length: extended clipboard)
            (length,) = struct.unpack(">xxxi", self.read(7))
            self.read(abs(length))
        elif kind == 251:  # SetDesktopSize
            (count,) = struct.unpack(">xxxxxB", self.read(6))
            self.read(1 + 16 * count)
        elif kind == 255 and self.read(1)[0] == 0:  # QEMU extended key event
            down, keysym, keycode = struct.unpack(">HII", self.read(10))
            _say(f"key {down} {keysym} {keycode} 1 {self.stamp:.9f}")
        else:
            raise ValueError(f"the tap cannot read client message {kind}")


_output = threading.Lock()


def _say(line: str) -> None:
    with _output:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _downstream(backend: socket.socket, client: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := backend.recv(65536):
            client.sendall(data)
    with contextlib.suppress(OSError):
        client.shutdown(socket.SHUT_RDWR)


def _serve(client: socket.socket, backend_port: int) -> None:
    client.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    backend = socket.create_connection(("127.0.0.1", backend_port))
    backend.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=_downstream, args=(backend, client), daemon=True).start()
    upstream = _Upstream(client, backend)
    with contextlib.suppress(EOFError, OSError, ValueError):
        for part in HANDSHAKE:
            upstream.read(part)
        while True:
            upstream.message()
    with contextlib.suppress(OSError):
        backend.shutdown(socket.SHUT_RDWR)


def main(backend_port: int) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    _say(f"listening {listener.getsockname()[1]}")
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_serve, args=(client, backend_port), daemon=True).start()


# -- the tests' side ---------------------------------------------------------------------------


def received(events: Sequence[WireKeyEvent]) -> list[Key]:
    """What goes through the tap (and reaches tests/ui/rfb_server.py) for ``events``."""
    from tests.ui.rfb_server import Key

    return [
        Key(e.down, e.keysym, e.scancode, True) if e.extended else Key(e.down, e.keysym)
        for e in events
    ]


class KeyTap:
    """``with KeyTap(server.port) as tap:`` connect the client to ``tap.port``; ``tap.keys()``
    and ``tap.gaps()`` say what key events went through, and how far apart they left."""

    def __init__(self, backend_port: int) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.session.keytap", str(backend_port)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env,
        )
        assert self._process.stdout is not None
        first = self._process.stdout.readline().split()
        if first[:1] != ["listening"]:
            self.close()
            raise RuntimeError(f"the key tap did not start: {first}")
        self.port = int(first[1])
        self._lock = threading.Lock()
        self._keys: list[tuple[Key, float]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        from tests.ui.rfb_server import Key

        assert self._process.stdout is not None
        for line in self._process.stdout:
            _, down, keysym, keycode, extended, stamp = line.split()
            key = Key(down != "0", int(keysym), int(keycode), extended == "1")
            with self._lock:
                self._keys.append((key, float(stamp)))

    def keys(self) -> list[Key]:
        with self._lock:
            return [key for key, _ in self._keys]

    def gaps(self) -> list[float]:
        """Seconds between each key event leaving the client and the one before."""
        with self._lock:
            stamps = [stamp for _, stamp in self._keys]
        return [b - a for a, b in pairwise(stamps)]

    def assert_paced(self, expected: list[Key], *, held_up_after: int, held_up_for: float) -> None:
        """The whole text went through, in order; no two key events left the client closer
        than the pacing rule's MIN_KEY_GAP; the one long gap is where the client was held up
        (after the ``held_up_after``-th key event, for ``held_up_for`` seconds)."""
        from ovhkvm_desktop.session import MIN_KEY_GAP

        assert self.keys() == expected
        gaps = self.gaps()
        shortest = min(gaps)
        at = gaps.index(shortest) + 1
        assert shortest >= MIN_KEY_GAP - SLACK, (
            f"key events {at} and {at + 1} left {shortest * 1000:.2f} ms apart: a burst"
        )
        longest = max(gaps)
        assert longest >= held_up_for - 0.05, "the client was not held up: nothing was tested"
        assert gaps.index(longest) == held_up_after - 1

    def close(self) -> None:
        self._process.kill()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> KeyTap:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    main(int(sys.argv[1]))
