"""Real servers on loopback for the session's tests, each on an event loop of its own thread:
doors that must not be contacted (and count whether they were), a TLS WebSocket console the
client does not trust, a VNC server that refuses every password, a port that opens late, and an
RFB server that notes when each key event arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from tests.testbed import _make_tls_files, free_port
from tests.ui.rfb_server import Key, RfbServer

T = TypeVar("T")
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    return free_port()


class LoopThread:
    """An asyncio loop on a daemon thread, for servers that must not share the client's loop."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._servers: list[asyncio.AbstractServer] = []
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 5.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def listen(self, handler: Handler, port: int = 0) -> int:
        async def start() -> int:
            server = await asyncio.start_server(handler, "127.0.0.1", port)
            self._servers.append(server)
            return int(server.sockets[0].getsockname()[1])

        return self.run(start())

    def close(self) -> None:
        if self.loop.is_closed():
            return

        async def shutdown() -> None:
            for server in self._servers:
                server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            self.run(shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


class CountingPort:
    """A TCP port that accepts connections, counts them, and closes them at once: nothing
    speaks on it. A door that must not be tried shows here whether it was."""

    def __init__(self) -> None:
        self.accepted = 0
        self._loop = LoopThread("counting-port")
        self.port = self._loop.listen(self._client)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        writer.close()

    def __enter__(self) -> CountingPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.close()


class RefusingVncServer:
    """An RFB 3.8 server that asks for a VNC password and refuses every one, as QEMU does with
    ``password=on`` and a wrong password."""

    REASON = "Authentication failed"

    def __init__(self) -> None:
        self.connections = 0
        self._loop = LoopThread("refusing-vnc")
        self.port = self._loop.listen(self._client)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            writer.write(b"RFB 003.008\n")
            await reader.readexactly(12)
            writer.write(b"\x01\x02")  # one security type: VNC authentication
            await reader.readexactly(1)
            writer.write(bytes(range(16)))  # the challenge
            await reader.readexactly(16)
            reason = self.REASON.encode()
            writer.write(struct.pack(">II", 1, len(reason)) + reason)
            await writer.drain()
            await reader.read()  # until the client hangs up
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> RefusingVncServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.close()


class TlsWebSocketConsole:
    """A console behind TLS and WebSocket (as nova's noVNC proxy serves one), relaying to an RFB
    server on loopback. Its certificate is signed by a fresh test CA (``ca_file``) that no
    client trusts unless given it: without it, connecting is a certificate failure.

    ``upgrades`` counts the WebSocket connections that got through TLS and the upgrade."""

    def __init__(self, backend_port: int) -> None:
        self.backend_port = backend_port
        self.upgrades = 0
        self._dir = Path(tempfile.mkdtemp(prefix="ovhkvm-tls-console-"))
        ca_file, cert, key = _make_tls_files(self._dir)
        self.ca_file = str(ca_file)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        self._loop = LoopThread("tls-websocket-console")

        async def start() -> int:
            self._server = await serve(
                self._client,
                "127.0.0.1",
                0,
                ssl=context,
                subprotocols=[Subprotocol("binary")],
                compression=None,
            )
            return int(next(iter(self._server.sockets)).getsockname()[1])

        self.port = self._loop.run(start())

    def novnc_url(self, token: str) -> str:
        """The noVNC page address OVHcloud's getConsoleUrl would hand out for this console."""
        return f"https://127.0.0.1:{self.port}/vnc_auto.html?token={token}"

    async def _client(self, ws: ServerConnection) -> None:
        self.upgrades += 1
        reader, writer = await asyncio.open_connection("127.0.0.1", self.backend_port)

        async def upstream() -> None:
            with contextlib.suppress(Exception):
                async for message in ws:
                    writer.write(message if isinstance(message, bytes) else message.encode())
            writer.close()

        async def downstream() -> None:
            with contextlib.suppress(Exception):
                while data := await reader.read(65536):
                    await ws.send(data)
            await ws.close()

        await asyncio.gather(upstream(), downstream())

    def __enter__(self) -> TlsWebSocketConsole:
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self._server.close()

        with contextlib.suppress(Exception):
            self._loop.run(stop())
        self._loop.close()


class LatePort:
    """A port that starts listening only after ``delay`` seconds (as the VNC door of an
    OVHcloud VPS does, a minute or two after the API call), then relays to ``backend_port``."""

    def __init__(self, delay: float, backend_port: int) -> None:
        self.port = free_port()
        self.opened_at: float | None = None
        self._loop = LoopThread("late-port")

        async def open_later() -> None:
            await asyncio.sleep(delay)
            await asyncio.start_server(self._client, "127.0.0.1", self.port)
            self.opened_at = time.monotonic()

        self._task = asyncio.run_coroutine_threadsafe(open_later(), self._loop.loop)
        self._backend = backend_port

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        b_reader, b_writer = await asyncio.open_connection("127.0.0.1", self._backend)
        await asyncio.gather(_relay(reader, b_writer), _relay(b_reader, writer))

    def __enter__(self) -> LatePort:
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.close()


class HookedRfbServer(RfbServer):
    """``RfbServer`` that can act after the n-th key event it received: ``after_keys[n]`` runs
    on the server's loop right after it (to hold the client up, drop the connection... in the
    middle of a text); it must not block."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after_keys: dict[int, Callable[[], object]] = {}
        self._key_count = 0

    def __enter__(self) -> HookedRfbServer:
        super().__enter__()
        return self

    def _record(self, item: object) -> None:
        super()._record(item)
        if isinstance(item, Key):
            self._key_count += 1
            action = self.after_keys.pop(self._key_count, None)
            if action is not None:
                action()

    def write_now(self, data: bytes) -> None:
        """Send ``data`` to every client (from the server's own loop, e.g. in ``after_keys``)."""
        for writer in self._writers:
            writer.write(data)

    def drop_now(self) -> None:
        """Cut every client's connection (from the server's own loop)."""
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()
