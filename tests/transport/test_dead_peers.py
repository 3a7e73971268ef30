"""A console whose host vanished is noticed: TCP keepalive (and a user timeout) on the sockets
of both transports, read back from the kernel; and TCP's own write backlog is bounded."""

from __future__ import annotations

import asyncio
import socket
import sys

import pytest
from websockets.asyncio.server import ServerConnection

from ovhkvm_desktop.targets import parse_target
from ovhkvm_desktop.transport import WRITE_HIGH_WATER, ByteStream, open_stream
from tests.transport.servers import tcp_server, tls_files, websocket_server, ws_target

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the kernel options read back are Linux's"
)


def keepalive_options(stream: ByteStream) -> dict[str, int]:
    sock = stream.writer.get_extra_info("socket")
    return {
        "SO_KEEPALIVE": sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
        "TCP_KEEPIDLE": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
        "TCP_KEEPINTVL": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
        "TCP_KEEPCNT": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
        "TCP_USER_TIMEOUT": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
    }


EXPECTED = {
    "SO_KEEPALIVE": 1,
    "TCP_KEEPIDLE": 30,
    "TCP_KEEPINTVL": 10,
    "TCP_KEEPCNT": 3,
    "TCP_USER_TIMEOUT": 60_000,
}


@linux_only
def test_plain_tcp_has_keepalive():
    async def wait(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async def main() -> dict[str, int]:
        async with tcp_server(wait) as port:
            stream = await open_stream(parse_target(f"127.0.0.1:{port}"), timeout=5)
            options = keepalive_options(stream)
            await stream.close()
            return options

    assert asyncio.run(main()) == EXPECTED


@linux_only
@pytest.mark.parametrize("secure", [False, True])
def test_the_websockets_socket_has_keepalive(secure, tmp_path):
    ca_file, context = tls_files(tmp_path)

    async def wait(conn: ServerConnection) -> None:
        await conn.wait_closed()

    async def main() -> dict[str, int]:
        async with websocket_server(wait, tls=context if secure else None) as port:
            stream = await open_stream(
                ws_target(port, secure=secure), timeout=5, ca_file=str(ca_file)
            )
            options = keepalive_options(stream)
            await stream.close()
            return options

    assert asyncio.run(main()) == EXPECTED


def test_a_tcp_server_that_stops_reading_makes_drain_wait_with_a_bounded_backlog():
    async def main() -> tuple[bool, int, int]:
        release = asyncio.Event()

        async def stop_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await release.wait()
            writer.close()

        async with tcp_server(stop_reading) as port:
            stream = await open_stream(parse_target(f"127.0.0.1:{port}"), timeout=5)
            piece = bytes(1024)
            written = peak_backlog = 0
            blocked = False
            try:
                async with asyncio.timeout(1.5):
                    while written < 64 << 20:
                        stream.writer.write(piece)
                        written += len(piece)
                        peak_backlog = max(peak_backlog, stream.write_backlog())
                        await stream.writer.drain()
            except TimeoutError:
                blocked = True
            finally:
                release.set()
                await stream.close()
            return blocked, written, peak_backlog

    blocked, written, peak_backlog = asyncio.run(main())
    assert blocked and written < 64 << 20
    assert WRITE_HIGH_WATER < peak_backlog <= WRITE_HIGH_WATER + 1024
