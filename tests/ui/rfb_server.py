"""A small real RFB 3.8 server (security None) for the window's tests: it records what clients send.

It runs its own asyncio loop on a thread, answers the way QEMU does where the tests care
(extended key events and LED state acknowledged in reply to SetEncodings, ExtendedDesktopSize and
SetDesktopSize, one update per request), and can drop or refuse connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

EXT_KEY = -258
LED_STATE = -261
EXT_DESKTOP_SIZE = -308
DESKTOP_SIZE = -223
CURSOR = -239

_PIXEL_FORMAT = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)


@dataclass(frozen=True)
class Key:
    """A key event as received: ``extended`` for QEMU's (with the XT ``keycode``)."""

    down: bool
    keysym: int
    keycode: int = 0
    extended: bool = False


@dataclass(frozen=True)
class Pointer:
    buttons: int
    x: int
    y: int


@dataclass(frozen=True)
class CutText:
    text: str


@dataclass(frozen=True)
class DesktopSize:
    width: int
    height: int


@dataclass(frozen=True)
class UpdateRequest:
    incremental: bool


def fbu(*rects: bytes) -> bytes:
    return struct.pack(">BxH", 0, len(rects)) + b"".join(rects)


def rect(x: int, y: int, w: int, h: int, encoding: int, payload: bytes = b"") -> bytes:
    return struct.pack(">HHHHi", x, y, w, h, encoding) + payload


class RfbServer:
    """``with RfbServer(320, 200) as server: ...`` then connect to ``server.port``."""

    def __init__(
        self,
        width: int = 320,
        height: int = 200,
        name: str = "test server",
        leds: int | None = 0,
        resizable: bool = True,
    ) -> None:
        self.name = name
        self.pixels = np.zeros((height, width, 4), np.uint8)
        self.pixels[:, :, 3] = 255
        self.leds = leds
        self.resizable = resizable
        self.received: list[object] = []
        self.connections = 0
        self.attempt_times: list[float] = []
        self.accepting = True
        #: When set, every incremental update request is answered at once with these rectangles
        #: (a screen that never stops changing, for benchmarks).
        self.stream: Callable[[], list[bytes]] | None = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._writers: list[asyncio.StreamWriter] = []
        self._pending: dict[asyncio.StreamWriter, bool] = {}
        self._dirty: list[tuple[int, int, int, int]] = []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    # -- lifetime ---------------------------------------------------------------------------

    def __enter__(self) -> RfbServer:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("the test RFB server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            for writer in self._writers:
                writer.close()
            self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    # -- what tests call --------------------------------------------------------------------

    def _call(self, func: Callable[[], object]) -> None:
        done = threading.Event()

        def run() -> None:
            try:
                func()
            finally:
                done.set()

        self._loop.call_soon_threadsafe(run)
        done.wait(5)

    def messages(self, kind: type | None = None) -> list:
        with self._lock:
            items = list(self.received)
        return [m for m in items if kind is None or isinstance(m, kind)]

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    def wait_for(self, predicate: Callable[[list], bool], timeout: float = 5.0) -> list:
        """Wait until what was received satisfies ``predicate`` (Qt's events go on meanwhile)."""
        from PySide6.QtCore import QCoreApplication

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = self.messages()
            if predicate(items):
                return items
            if QCoreApplication.instance() is not None:
                QCoreApplication.processEvents()
            time.sleep(0.005)
        raise AssertionError(f"the server did not receive what was expected: {self.messages()}")

    def keys(self) -> list[Key]:
        return self.messages(Key)

    def paint(self, x: int, y: int, pixels: np.ndarray) -> None:
        """Change a part of the screen (BGRX pixels); clients get it on their next request."""
        h, w = pixels.shape[:2]

        def paint() -> None:
            self.pixels[y : y + h, x : x + w] = pixels
            self._dirty.append((x, y, w, h))
            self._flush()

        self._call(paint)

    def send(self, data: bytes) -> None:
        """Send raw server messages to every client."""

        def send() -> None:
            for writer in self._writers:
                writer.write(data)

        self._call(send)

    def bell(self) -> None:
        self.send(b"\x02")

    def cut_text(self, text: str) -> None:
        data = text.encode("latin-1")
        self.send(struct.pack(">BxxxI", 3, len(data)) + data)

    def set_leds(self, leds: int) -> None:
        self.leds = leds
        self.send(fbu(rect(0, 0, 1, 1, LED_STATE, bytes([leds]))))

    def drop(self) -> None:
        """Close every client connection (as a server restart would)."""

        def drop() -> None:
            for writer in self._writers:
                with contextlib.suppress(Exception):
                    writer.transport.abort()
            self._writers.clear()

        self._call(drop)

    # -- the protocol -----------------------------------------------------------------------

    def _flush(self) -> None:
        if not self._dirty:
            return
        rects = []
        for x, y, w, h in self._dirty:
            rects.append(rect(x, y, w, h, 0, self.pixels[y : y + h, x : x + w].tobytes()))
        sent = False
        for writer, pending in list(self._pending.items()):
            if pending:
                writer.write(fbu(*rects))
                self._pending[writer] = False
                sent = True
        if sent:
            self._dirty.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.attempt_times.append(time.monotonic())
        if not self.accepting:
            writer.close()
            return
        self.connections += 1
        try:
            writer.write(b"RFB 003.008\n")
            await reader.readexactly(12)
            writer.write(b"\x01\x01")
            await reader.readexactly(1)
            writer.write(struct.pack(">I", 0))
            await reader.readexactly(1)  # ClientInit
            h, w = self.pixels.shape[:2]
            name = self.name.encode()
            writer.write(struct.pack(">HH", w, h) + _PIXEL_FORMAT + struct.pack(">I", len(name)))
            writer.write(name)
            self._writers.append(writer)
            self._pending[writer] = False
            while True:
                await self._message(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            self._pending.pop(writer, None)
            if writer in self._writers:
                self._writers.remove(writer)
            writer.close()

    def _record(self, item: object) -> None:
        with self._lock:
            self.received.append(item)

    async def _message(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        kind = (await reader.readexactly(1))[0]
        if kind == 0:  # SetPixelFormat
            await reader.readexactly(19)
        elif kind == 2:  # SetEncodings
            _, count = struct.unpack(">BH", await reader.readexactly(3))
            codes = struct.unpack(f">{count}i", await reader.readexactly(4 * count))
            notices = []
            if EXT_KEY in codes:
                notices.append(rect(0, 0, 0, 0, EXT_KEY))
            if LED_STATE in codes and self.leds is not None:
                notices.append(rect(0, 0, 1, 1, LED_STATE, bytes([self.leds])))
            if notices:
                writer.write(fbu(*notices))
            self._ext_desktop = EXT_DESKTOP_SIZE in codes and self.resizable
        elif kind == 3:  # FramebufferUpdateRequest
            incremental, x, y, w, h = struct.unpack(">BHHHH", await reader.readexactly(9))
            self._record(UpdateRequest(bool(incremental)))
            if not incremental:
                self._full_update(writer)
            elif self.stream is not None:
                writer.write(fbu(*self.stream()))
            else:
                self._pending[writer] = True
                self._flush()
        elif kind == 4:  # KeyEvent
            down, keysym = struct.unpack(">BxxI", await reader.readexactly(7))
            self._record(Key(bool(down), keysym))
        elif kind == 5:  # PointerEvent
            buttons, x, y = struct.unpack(">BHH", await reader.readexactly(5))
            self._record(Pointer(buttons, x, y))
        elif kind == 6:  # ClientCutText
            (length,) = struct.unpack(">xxxi", await reader.readexactly(7))
            data = await reader.readexactly(abs(length))
            if length >= 0:
                self._record(CutText(data.decode("latin-1")))
        elif kind == 251:  # SetDesktopSize
            _, w, h, count = struct.unpack(">BHHB", await reader.readexactly(6))
            await reader.readexactly(1 + 16 * count)
            self._record(DesktopSize(w, h))
            self._resize(w, h)
        elif kind == 255:  # QEMU
            sub = (await reader.readexactly(1))[0]
            if sub != 0:
                raise ConnectionError(f"unknown QEMU message {sub}")
            down, keysym, keycode = struct.unpack(">HII", await reader.readexactly(10))
            self._record(Key(bool(down), keysym, keycode, True))
        else:
            raise ConnectionError(f"unknown client message {kind}")

    def _full_update(self, writer: asyncio.StreamWriter) -> None:
        h, w = self.pixels.shape[:2]
        rects = []
        if getattr(self, "_ext_desktop", False):
            rects.append(self._screen_rect(0, 0))
        rects.append(rect(0, 0, w, h, 0, self.pixels.tobytes()))
        writer.write(fbu(*rects))

    def _screen_rect(self, reason: int, status: int) -> bytes:
        h, w = self.pixels.shape[:2]
        screen = struct.pack(">IHHHHI", 7, 0, 0, w, h, 0)
        return rect(reason, status, w, h, EXT_DESKTOP_SIZE, struct.pack(">Bxxx", 1) + screen)

    def _resize(self, width: int, height: int) -> None:
        old = self.pixels
        self.pixels = np.zeros((height, width, 4), np.uint8)
        self.pixels[:, :, 3] = 255
        h, w = min(height, old.shape[0]), min(width, old.shape[1])
        self.pixels[:h, :w] = old[:h, :w]
        h, w = self.pixels.shape[:2]
        reply = self._screen_rect(1, 0)
        for writer in self._writers:
            writer.write(fbu(reply, rect(0, 0, w, h, 0, self.pixels.tobytes())))
