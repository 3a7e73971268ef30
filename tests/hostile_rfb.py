"""A small RFB 3.8 server on loopback that misbehaves on request, so that tests can drive the real
client against what a hostile console could send.

Each behaviour is a script, an ``async`` function given the connected ``Peer``; the server runs
it for every client on an event loop of its own thread::

    with HostileServer(huge_refusal(1 << 30, 300 << 20)) as server:
        run the client against 127.0.0.1:server.port
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading
from collections.abc import Awaitable, Callable

#: BGRX, 32 bits per pixel, true colour: what QEMU announces.
PIXEL_FORMAT = struct.pack(">BBBBHHHBBBxxx", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
JUNK = b"A" * (1 << 20)

BELL = b"\x02"
EMPTY_UPDATE = struct.pack(">BxH", 0, 0)


def update(*rects: bytes) -> bytes:
    return struct.pack(">BxH", 0, len(rects)) + b"".join(rects)


def rect(x: int, y: int, w: int, h: int, encoding: int, payload: bytes = b"") -> bytes:
    return struct.pack(">HHHHi", x, y, w, h, encoding) + payload


def desktop_size(width: int, height: int) -> bytes:
    """An update made of a DesktopSize pseudo-rectangle (a resize)."""
    return update(rect(0, 0, width, height, -223))


def cut_text(text: bytes) -> bytes:
    return struct.pack(">BxxxI", 3, len(text)) + text


#: A one-pixel Raw update: a plain answer to the client's request.
ONE_PIXEL = update(rect(0, 0, 1, 1, 0, b"\x10\x20\x30\x00"))


class Peer:
    """One client, as the server sees it; counts what the client sends after ServerInit."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: HostileServer
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.server = server

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def stream(self, count: int) -> None:
        """Send ``count`` bytes of junk, a MiB at a time, as fast as the client takes them."""
        while count > 0:
            piece = JUNK[: min(count, len(JUNK))]
            await self.send(piece)
            count -= len(piece)

    async def greet(self, security: bytes = b"\x01") -> int:
        """ProtocolVersion both ways, then the security types offered; the client's choice."""
        await self.send(b"RFB 003.008\n")
        await self.reader.readexactly(12)
        await self.send(bytes([len(security)]) + security)
        return (await self.reader.readexactly(1))[0]

    async def vnc_challenge(self) -> None:
        """Send a challenge and take the client's answer, whatever it is."""
        await self.send(bytes(range(16)))
        await self.reader.readexactly(16)

    async def accept(self, width: int = 64, height: int = 48, name: bytes = b"hostile") -> None:
        """SecurityResult OK, ClientInit, ServerInit."""
        await self.send(struct.pack(">I", 0))
        await self.reader.readexactly(1)
        await self.send(
            struct.pack(">HH", width, height) + PIXEL_FORMAT + struct.pack(">I", len(name)) + name
        )

    async def read_client_messages(self) -> None:
        """Read what the client sends until it leaves, counting its update requests."""
        server = self.server
        while True:
            kind = (await self.reader.readexactly(1))[0]
            if kind == 0:  # SetPixelFormat
                await self.reader.readexactly(19)
            elif kind == 2:  # SetEncodings
                (count,) = struct.unpack(">xH", await self.reader.readexactly(3))
                await self.reader.readexactly(4 * count)
            elif kind == 3:  # FramebufferUpdateRequest
                await self.reader.readexactly(9)
                server.requests += 1
                server.first_request.set()
            elif kind == 4:  # KeyEvent
                await self.reader.readexactly(7)
            elif kind == 5:  # PointerEvent
                await self.reader.readexactly(5)
            elif kind == 6:  # ClientCutText
                (length,) = struct.unpack(">xxxi", await self.reader.readexactly(7))
                await self.reader.readexactly(abs(length))
            elif kind == 255:  # QEMU: the extended key event
                await self.reader.readexactly(11)
            else:
                server.unknown_messages += 1
                await self.reader.read()  # cannot tell where it ends: take the rest
                return


Script = Callable[[Peer], Awaitable[None]]


class HostileServer:
    """Serves ``script`` to every client on 127.0.0.1:``port`` from a thread of its own."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.port = 0
        self.requests = 0  # FramebufferUpdateRequests read from clients
        self.unknown_messages = 0
        self.errors: list[BaseException] = []  # what went wrong in a script, for the test to see
        self.first_request = asyncio.Event()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="hostile-rfb", daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the hostile RFB server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop_soon)
        self._thread.join(10)

    def _stop_soon(self) -> None:
        assert self._stop is not None
        self._stop.set()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        self.first_request = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()

        async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await self.script(Peer(reader, writer, self))
            except (ConnectionError, asyncio.IncompleteReadError):
                pass  # the client left: what it is meant to do with a hostile server
            except asyncio.CancelledError:
                pass
            except BaseException as exc:
                self.errors.append(exc)
            finally:
                writer.close()
                tasks.discard(task)

        server = await asyncio.start_server(client, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
            for task in list(tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*tasks, return_exceptions=True)


# -- behaviours ----------------------------------------------------------------------------------


async def _reap(reading: asyncio.Future[None]) -> None:
    """Wait for the task that reads the client to end (the client leaves), its error taken: a
    task left with an error nobody took is logged when it is collected, at any moment of a later
    test (once in the middle of ast.parse, which Python 3.11.7 does not survive)."""
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, OSError):
        await reading


async def _until_closed(peer: Peer) -> None:
    """Keep the connection open, reading nothing more, until the client leaves."""
    with contextlib.suppress(ConnectionError):
        await peer.reader.read()


def huge_desktop_name(announced: int, sent: int) -> Script:
    """A ServerInit announcing an ``announced``-byte desktop name, then ``sent`` bytes of it;
    when the whole name came, a plain server from then on (the first request answered)."""

    async def script(peer: Peer) -> None:
        await peer.greet()
        await peer.send(struct.pack(">I", 0))
        await peer.reader.readexactly(1)
        await peer.send(struct.pack(">HH", 64, 48) + PIXEL_FORMAT + struct.pack(">I", announced))
        await peer.stream(sent)
        if sent < announced:
            await _until_closed(peer)
            return
        reading = asyncio.ensure_future(peer.read_client_messages())
        try:
            await peer.server.first_request.wait()
            await peer.send(ONE_PIXEL)
        finally:
            await _reap(reading)

    return script


def huge_refusal(announced: int, sent: int) -> Script:
    """No security types (a refusal) and an ``announced``-byte reason, ``sent`` bytes of it."""

    async def script(peer: Peer) -> None:
        await peer.send(b"RFB 003.008\n")
        await peer.reader.readexactly(12)
        await peer.send(b"\0" + struct.pack(">I", announced))
        await peer.stream(sent)
        await _until_closed(peer)

    return script


def huge_auth_failure(announced: int, sent: int, result: int = 1) -> Script:
    """VNC authentication, a failed SecurityResult (``result``), then an ``announced``-byte
    reason of which ``sent`` bytes come (with a result above 2, no reason length is sent: the
    result itself is what asyncvnc takes for one)."""

    async def script(peer: Peer) -> None:
        await peer.greet(b"\x02")
        await peer.vnc_challenge()
        await peer.send(struct.pack(">I", result))
        if result <= 2:
            await peer.send(struct.pack(">I", announced))
        await peer.stream(sent)
        await _until_closed(peer)

    return script


def named(name: bytes) -> Script:
    """A plain server whose desktop name is ``name`` (any bytes): the first request answered."""

    async def script(peer: Peer) -> None:
        await peer.greet()
        await peer.accept(name=name)
        reading = asyncio.ensure_future(peer.read_client_messages())
        try:
            await peer.server.first_request.wait()
            await peer.send(ONE_PIXEL)
        finally:
            await _reap(reading)

    return script


def vnc_auth_then_hang() -> Script:
    """Asks for a VNC password, then never answers the client's response."""

    async def script(peer: Peer) -> None:
        await peer.greet(b"\x02")
        await peer.vnc_challenge()
        await _until_closed(peer)

    return script


def flood(message: bytes, count: int) -> Script:
    """A plain handshake; the first update request answered; then ``message`` ``count`` times,
    all in one go, while the client's messages are read and counted."""

    async def script(peer: Peer) -> None:
        await peer.greet()
        await peer.accept()
        reading = asyncio.ensure_future(peer.read_client_messages())
        try:
            await peer.server.first_request.wait()
            await peer.send(ONE_PIXEL + message * count)
        finally:
            await _reap(reading)

    return script


def flood_without_reading(message: bytes) -> Script:
    """A plain handshake and the first request answered; then ``message`` again and again until
    the client leaves, never reading anything the client sends."""

    async def script(peer: Peer) -> None:
        await peer.greet()
        await peer.accept()
        await asyncio.sleep(0.2)  # the client's first request is surely sent (and left unread)
        await peer.send(ONE_PIXEL)
        burst = message * max(1, (64 << 10) // len(message))
        while True:
            await peer.send(burst)

    return script
