"""The RFB handshake (version, security, VNC authentication, ClientInit/ServerInit), done by
asyncvnc: the one seam with that library.

asyncvnc is handed our transport through its ``opener`` hook. We watch the bytes it reads and
writes to learn what the server offered (version, security type, pixel format), then take the
stream back: everything after ServerInit is ours (``rfb.connection``), because asyncvnc decodes
only Raw and zlib and stops on any other server message.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncvnc

from ovhkvm_desktop.errors import AuthenticationFailed, ConnectFailed
from ovhkvm_desktop.rfb.messages import PixelFormat
from ovhkvm_desktop.transport.stream import ByteStream

SECURITY_NAMES = {1: "none", 2: "vnc", 30: "apple"}


def _single_des(key: bytes) -> object:
    """DES as VNC authentication needs it, where current cryptography keeps it.

    asyncvnc builds ``algorithms.TripleDES(8-byte key)``; cryptography deprecates TripleDES in
    ``primitives`` (moved to ``decrepit``) and 8-byte keys. Three equal keys are single DES.
    """
    try:
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:  # cryptography < 43
        from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES
    return TripleDES(key * 3 if len(key) == 8 else key)


class _Algorithms:
    """What asyncvnc reads from ``cryptography...algorithms``: AES as it is, DES from above."""

    TripleDES = staticmethod(_single_des)

    def __getattr__(self, name: str) -> object:
        from cryptography.hazmat.primitives.ciphers import algorithms

        return getattr(algorithms, name)


asyncvnc.algorithms = _Algorithms()


@dataclass(frozen=True)
class ServerInfo:
    """What the server said about itself during the handshake."""

    protocol: str  # "3.8"
    security: str  # "none", "vnc"
    name: str
    width: int
    height: int
    pixel_format: PixelFormat


class _RecordingReader:
    """Hands asyncvnc the bytes it asks for, keeping a copy; refuses servers older than 3.8."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self.data = bytearray()

    async def readline(self) -> bytes:
        line = await self._reader.readline()
        self.data += line
        if not self.data.startswith(b"RFB "):
            raise ConnectFailed("the other end is not a VNC server (no RFB greeting)")
        version = _version(bytes(self.data))
        if version is None or version < (3, 8):
            raise ConnectFailed(
                f"the server speaks RFB {line[4:11].decode('ascii', 'replace')}, older than the"
                " 3.8 this client speaks"
            )
        return line

    async def readexactly(self, n: int) -> bytes:
        data = await self._reader.readexactly(n)
        self.data += data
        return data


class _RecordingWriter:
    def __init__(self, stream: ByteStream) -> None:
        self._writer = stream.writer
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data
        self._writer.write(data)

    async def drain(self) -> None:
        await self._writer.drain()

    def close(self) -> None:
        """asyncvnc closes its writer on leaving; the session closes the stream itself."""

    async def wait_closed(self) -> None:
        return None


def _version(data: bytes) -> tuple[int, int] | None:
    try:
        return int(data[4:7]), int(data[8:11])
    except ValueError:
        return None


@contextlib.asynccontextmanager
async def handshake(stream: ByteStream, password: str | None) -> AsyncIterator[ServerInfo]:
    """Authenticate on ``stream`` and read ServerInit; the stream is ours again inside the block."""
    reader = _RecordingReader(stream.reader)
    writer = _RecordingWriter(stream)

    async def opener(host: str, port: int) -> tuple[_RecordingReader, _RecordingWriter]:
        return reader, writer

    try:
        async with asyncvnc.connect("console", 0, password=password, opener=opener):
            yield _server_info(bytes(reader.data), bytes(writer.data))
    except PermissionError as exc:
        reason = await _failure_reason(stream.reader)
        text = reason or str(exc) or "authentication failed"
        if "too many" in text.lower():
            raise AuthenticationFailed(
                f"the server refused the VNC password: {text}; wait a moment before trying again"
            ) from None
        raise AuthenticationFailed(f"the server refused the VNC password ({text})") from None
    except ValueError as exc:
        message = str(exc)
        if "requires password" in message:
            raise AuthenticationFailed(
                "the server asks for a VNC password: give it with --password-stdin or"
                " OVHKVM_VNC_PASSWORD"
            ) from None
        if "unsupported auth types" in message:
            raise ConnectFailed(
                "the server offers no security type this client supports (None or VNC password)"
            ) from None
        if "not a VNC server" in message:
            raise ConnectFailed("the other end is not a VNC server (no RFB greeting)") from None
        # asyncvnc raises ValueError(reason) when the server refuses us at once (no types).
        raise ConnectFailed(f"the server refused the connection: {message}") from None
    except asyncio.IncompleteReadError:
        if not reader.data:
            hint = stream.closed_early_hint or "it may accept one client at a time"
            raise ConnectFailed(
                f"the console closed the connection before the VNC greeting ({hint})"
            ) from None
        raise ConnectFailed(
            "the server closed the connection during the handshake"
            + _closed_hint(bytes(reader.data), bytes(writer.data))
        ) from None


def _closed_hint(read: bytes, written: bytes) -> str:
    if len(written) > 12 and written[12] == 2 and len(read) > 13:
        return " (after the password: it may be wrong, or the server allows one client only)"
    return ""


async def _failure_reason(reader: asyncio.StreamReader) -> str:
    """RFB 3.8 follows a failed SecurityResult with a reason string: read it if it comes."""
    try:
        (length,) = struct.unpack(">I", await asyncio.wait_for(reader.readexactly(4), 1))
        if length > 4096:
            return ""
        raw = await asyncio.wait_for(reader.readexactly(length), 1)
    except (TimeoutError, asyncio.IncompleteReadError, OSError):
        return ""
    return raw.decode("utf-8", "replace").strip()


def _server_info(read: bytes, written: bytes) -> ServerInfo:
    """Rebuild what the server said from the bytes asyncvnc exchanged."""
    version = _version(read) or (3, 8)
    pos = 12
    count = read[pos]
    pos += 1 + count
    chosen = written[12] if len(written) > 12 else 1
    if chosen == 2:
        pos += 16  # the challenge
    pos += 4  # SecurityResult
    width, height = struct.unpack_from(">HH", read, pos)
    pixel_format = PixelFormat.unpack(read[pos + 4 : pos + 20])
    (name_length,) = struct.unpack_from(">I", read, pos + 20)
    name = read[pos + 24 : pos + 24 + name_length].decode("utf-8", "replace")
    return ServerInfo(
        protocol=f"{version[0]}.{version[1]}",
        security=SECURITY_NAMES.get(chosen, str(chosen)),
        name=name,
        width=width,
        height=height,
        pixel_format=pixel_format,
    )
