"""The one shape every transport takes: an asyncio reader and a writer, as asyncvnc expects them."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import sys
from collections.abc import Callable
from typing import Any, Protocol

_TCP_INFO_RTT = struct.Struct("=I")
_TCP_INFO_RTT_OFFSET = 68  # struct tcp_info: 8 bytes of u8 fields, then tcpi_rtt is u32 no. 15

#: Every transport's writer buffers at most about this much before ``drain()`` makes its caller
#: wait (asyncio's own default for a StreamWriter, set explicitly so that both transports and
#: the session agree): ``drain()`` waits while ``write_backlog()`` is above it, until the backlog
#: falls to a quarter of it.
WRITE_HIGH_WATER = 64 << 10
WRITE_LOW_WATER = WRITE_HIGH_WATER // 4


class Writer(Protocol):
    def write(self, data: bytes) -> None: ...
    def get_extra_info(self, name: str, default: Any = None) -> Any: ...
    async def drain(self) -> None: ...
    def close(self) -> None: ...
    async def wait_closed(self) -> None: ...


class ByteStream:
    """A connected stream: ``reader`` is an ``asyncio.StreamReader``; ``writer`` has ``write``,
    ``drain``, ``close`` and ``wait_closed`` like ``asyncio.StreamWriter``.

    Both ends are bounded. The reader holds at most about twice its limit ahead of its consumer:
    above that the transport stops taking data from the network (the socket, or the WebSocket's
    frames) until the consumer reads. The writer's ``write()`` only buffers; ``drain()`` waits
    while more than ``WRITE_HIGH_WATER`` bytes wait to go out, and raises ``ConnectionError``
    once the connection is closed. Whoever writes without draining (key events, update requests)
    should look at ``write_backlog()`` first: a server that stops reading would otherwise make
    the buffer grow without end.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: Writer,
        description: str,
        closed_early_hint: str = "",
        *,
        backlog: Callable[[], int] | None = None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.description = description  # e.g. "TCP 127.0.0.1:5901" (no secrets)
        #: Said when the other end hangs up before the RFB greeting (e.g. a refused token).
        self.closed_early_hint = closed_early_hint
        self._backlog = backlog

    def write_backlog(self) -> int:
        """Bytes written to ``writer`` that have not yet been handed to the operating system.

        Above ``WRITE_HIGH_WATER`` the server (or the network) is not keeping up: ``drain()``
        would wait, and nothing optional (an update request) should be queued. 0 for a writer
        that did not say how to measure it."""
        return self._backlog() if self._backlog is not None else 0

    def round_trip_ms(self) -> float | None:
        """The TCP round-trip time the kernel estimates for this connection (Linux; None when
        unknown, e.g. where the writer does not expose its socket)."""
        get_extra_info = getattr(self.writer, "get_extra_info", None)
        sock = get_extra_info("socket") if get_extra_info is not None else None
        if sock is None or not sys.platform.startswith("linux"):
            return None
        try:
            info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        except (OSError, AttributeError):
            return None
        if len(info) < _TCP_INFO_RTT_OFFSET + 4:
            return None
        (micros,) = _TCP_INFO_RTT.unpack_from(info, _TCP_INFO_RTT_OFFSET)
        return float(micros) / 1000

    async def close(self) -> None:
        """Close the connection and wait up to 2 s for it to go. A cancellation of the caller
        goes through (the closing is under way and ends on its own): swallowing it would let a
        stopped console go on reconnecting."""
        self.writer.close()
        # asyncio.timeout, not wait_for: Python 3.11's wait_for drops a cancellation that comes
        # as the connection finishes closing.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await self.writer.wait_closed()
