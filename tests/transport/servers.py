"""Real servers for the transport tests: websockets servers, plain asyncio TCP servers, TLS
files from the test bed, and a minimal HTTP CONNECT proxy."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from ovhkvm_desktop.targets import ConsoleTarget, parse_target
from tests.testbed import _make_tls_files

Handler = Callable[[ServerConnection], Awaitable[None]]


def tls_files(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """A CA that no system trusts, and a server context with a certificate for 127.0.0.1 signed
    by it: ``(ca_file, server_context)``."""
    ca_file, cert, key = _make_tls_files(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return ca_file, context


@contextlib.asynccontextmanager
async def websocket_server(
    handler: Handler, *, tls: ssl.SSLContext | None = None, **kwargs: Any
) -> AsyncIterator[int]:
    """A websockets server on 127.0.0.1 that carries the ``binary`` subprotocol; yields its port."""
    kwargs.setdefault("subprotocols", [Subprotocol("binary")])
    kwargs.setdefault("compression", None)
    async with serve(handler, "127.0.0.1", 0, ssl=tls, **kwargs) as server:
        yield next(iter(server.sockets)).getsockname()[1]


def ws_target(port: int, *, secure: bool = False, host: str = "127.0.0.1") -> ConsoleTarget:
    return parse_target(f"{'wss' if secure else 'ws'}://{host}:{port}/websockify")


@contextlib.asynccontextmanager
async def tcp_server(
    handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[int]:
    """A plain asyncio TCP server on 127.0.0.1; yields its port."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


@contextlib.asynccontextmanager
async def connect_proxy() -> AsyncIterator[tuple[int, list[str]]]:
    """An HTTP proxy that answers CONNECT and then relays bytes both ways; yields its port and
    the list of the ``host:port`` it was asked to reach."""
    tunnels: list[str] = []

    async def relay(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        dst.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        where = request.split()[1].decode()
        tunnels.append(where)
        host, _, port = where.rpartition(":")
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await asyncio.gather(relay(reader, up_writer), relay(up_reader, writer))

    async with tcp_server(handle) as port:
        yield port, tunnels
