"""The one shape every transport takes: an asyncio reader and a writer, as asyncvnc expects them."""

from __future__ import annotations

import asyncio
from typing import Protocol


class Writer(Protocol):
    def write(self, data: bytes) -> None: ...
    async def drain(self) -> None: ...
    def close(self) -> None: ...
    async def wait_closed(self) -> None: ...


class ByteStream:
    """A connected stream: ``reader`` is an ``asyncio.StreamReader``; ``writer`` has ``write``,
    ``drain``, ``close`` and ``wait_closed`` like ``asyncio.StreamWriter``."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: Writer,
        description: str,
        closed_early_hint: str = "",
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.description = description  # e.g. "TCP 127.0.0.1:5901" (no secrets)
        #: Said when the other end hangs up before the RFB greeting (e.g. a refused token).
        self.closed_early_hint = closed_early_hint

    async def close(self) -> None:
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except (OSError, TimeoutError, asyncio.CancelledError):
            pass
        except Exception:
            pass
