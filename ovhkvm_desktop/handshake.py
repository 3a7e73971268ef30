"""The RFB handshake (version, security, VNC authentication, ClientInit/ServerInit), done by
asyncvnc: the one seam with that library.

asyncvnc is handed our transport through its ``opener`` hook. We watch the bytes it reads and
writes to learn what the server offered (version, security type, pixel format), then take the
stream back: everything after ServerInit is ours (``rfb.connection``), because asyncvnc decodes
only Raw and zlib and stops on any other server message.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum

import asyncvnc

from ovhkvm_desktop.errors import AuthenticationFailed, ConnectFailed
from ovhkvm_desktop.rfb.messages import PixelFormat
from ovhkvm_desktop.transport.stream import ByteStream
from ovhkvm_desktop.words import N_, _

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


#: The security types this client speaks (asyncvnc would also pick Apple's type 33, for which
#: we never have the user name it needs).
_SUPPORTED_SECURITY = (1, 2)
#: The longest string a server may announce during the handshake that we read whole.
_SHOWN = 4096
#: Longer than this, an announced string (a desktop name, a reason) is not read at all: no
#: console has a reason to send one, and reading it would let a server hold us as long as it likes.
_ABSURD = 1 << 20
#: How long a reason may take to arrive after a refusal before we say the refusal without it.
_REASON_WAIT = 2.0
#: The bytes of an over-long desktop name are thrown away this many at a time.
_DISCARD_CHUNK = 64 << 10

_VERSION_LENGTH = 12  # "RFB 003.008\n"
_SECURITY_COUNT_AT = 12
_SECURITY_TYPES_AT = 13
_NAME_LENGTH_OFFSET = 20  # in ServerInit: width, height, pixel format (16), then the name length


class _RecordingReader:
    """Hands asyncvnc the bytes it asks for, keeping a copy, and stands between it and the server.

    asyncvnc reads every length the server announces and then ``readexactly`` that many bytes, up
    to 4 GiB. Knowing from the bytes so far where the handshake stands, this reader reads itself
    each server-announced string (a refusal's reason, a failed SecurityResult's reason, the
    desktop name) and bounds it; it refuses servers older than 3.8 and shows asyncvnc only the
    security types we support.
    """

    def __init__(self, reader: asyncio.StreamReader, written: bytearray) -> None:
        self._reader = reader
        self._written = written  # what asyncvnc wrote: its choice of security type
        self.data = bytearray()

    async def _read(self, n: int) -> bytes:
        data = await self._reader.readexactly(n)
        self.data += data
        return data

    async def readline(self) -> bytes:
        """The ProtocolVersion: exactly 12 bytes, however long a line the server sends."""
        greeting = await self._read(4)
        if greeting != b"RFB ":
            raise ConnectFailed(_("the other end is not a VNC server (no RFB greeting)"))
        line = greeting + await self._read(_VERSION_LENGTH - 4)
        version = _version(line)
        if version is None or version < (3, 8):
            raise ConnectFailed(
                _("the server speaks RFB {version}, older than the 3.8 this client speaks").format(
                    version=_shown(line[4:11])
                )
            )
        return line

    async def readexactly(self, n: int) -> bytes:
        at = len(self.data)
        if at == _SECURITY_COUNT_AT:
            return await self._security_count()
        if at == _SECURITY_TYPES_AT:
            return await self._security_types(n)
        result_at = _security_result_at(self.data, self._written)
        if at == result_at:
            return await self._security_result()
        if at == result_at + 4 + _NAME_LENGTH_OFFSET + 4:
            return await self._desktop_name(n)
        if n > _SHOWN:  # every other field of the handshake is a few bytes long
            raise ConnectFailed(
                _("the server announced {count} bytes during the VNC handshake").format(count=n)
            )
        data = await self._read(n)
        if at == result_at + 4 + _NAME_LENGTH_OFFSET:
            (length,) = struct.unpack(">I", data)
            if length > _ABSURD:
                raise ConnectFailed(
                    _(
                        "the server announced a {length}-byte desktop name, more than the"
                        " {limit} MiB this client accepts"
                    ).format(length=length, limit=_ABSURD >> 20)
                )
        return data

    async def _security_count(self) -> bytes:
        count = await self._read(1)
        if count == b"\0":  # no types: the server refuses us, and says why
            text, length = await _failure_reason(self._reader)
            raise ConnectFailed(_refusal(_Refused.CONNECTION, text, length))
        return count

    async def _security_types(self, n: int) -> bytes:
        offered = await self._read(n)
        supported = bytes(kind for kind in offered if kind in _SUPPORTED_SECURITY)
        if not supported:
            raise ConnectFailed(
                _("the server offers no security type this client supports (None or VNC password)")
            )
        return supported

    async def _security_result(self) -> bytes:
        result = await self._read(4)
        (value,) = struct.unpack(">I", result)
        if value == 0:
            return result
        vnc = self._written[_SECURITY_COUNT_AT : _SECURITY_COUNT_AT + 1] == b"\x02"
        if value > 2:  # not in any RFB version (asyncvnc would read that many bytes as a reason)
            raise ConnectFailed(
                _(
                    "the server answered the security handshake with an unknown result ({value})"
                ).format(value=value)
            )
        # 1: failed, followed by a reason in 3.8; 2: "too many attempts" in some servers.
        text, length = await _failure_reason(self._reader)
        if not vnc:
            raise ConnectFailed(_refusal(_Refused.CONNECTION, text, length, value == 2))
        refusal = _refusal(_Refused.PASSWORD, text, length, value == 2)
        if value == 2 or "too many" in text.lower():
            raise AuthenticationFailed(
                _("{refusal}; wait a moment before trying again").format(refusal=refusal)
            )
        raise AuthenticationFailed(refusal)

    async def _desktop_name(self, n: int) -> bytes:
        """Keep the name's first bytes, throw the rest away a chunk at a time (at most 1 MiB,
        within the session's handshake timeout); give asyncvnc an empty name: ours is rebuilt
        from what was kept (``_server_info``), and asyncvnc would fail on a name cut in the middle
        of a character, or one not in UTF-8."""
        await self._read(min(n, _SHOWN))
        left = n - min(n, _SHOWN)
        while left:
            chunk = min(left, _DISCARD_CHUNK)
            await self._reader.readexactly(chunk)
            left -= chunk
        return b""


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


def _shown(data: bytes) -> str:
    """Bytes a server sent, as one line of printable ASCII (anything else as a dot)."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data)


def _version(data: bytes) -> tuple[int, int] | None:
    try:
        return int(data[4:7]), int(data[8:11])
    except ValueError:
        return None


def _security_result_at(read: bytes | bytearray, written: bytes | bytearray) -> int:
    """Where the SecurityResult starts in what the server sent (past the types offered and,
    when asyncvnc chose VNC authentication, the 16-byte challenge)."""
    if len(read) <= _SECURITY_COUNT_AT:
        return -1  # not known yet
    pos = _SECURITY_TYPES_AT + read[_SECURITY_COUNT_AT]
    if written[_SECURITY_COUNT_AT : _SECURITY_COUNT_AT + 1] == b"\x02":
        pos += 16
    return pos


def _check_password(password: str | None) -> None:
    """asyncvnc sends the password's first 8 characters as ASCII and would fail on any other
    character with a message that quotes it: say it is the password, never what it holds."""
    if password is not None and not password.isascii():
        raise AuthenticationFailed(
            _(
                "the VNC password has characters a VNC password cannot hold (VNC passwords are"
                " ASCII, 8 characters)"
            )
        )


@contextlib.asynccontextmanager
async def handshake(stream: ByteStream, password: str | None) -> AsyncIterator[ServerInfo]:
    """Authenticate on ``stream`` and read ServerInit; the stream is ours again inside the block.

    Every failure is a ``ConsoleError``: ``AuthenticationFailed`` for the password,
    ``ConnectFailed`` for the rest.
    """
    _check_password(password)
    writer = _RecordingWriter(stream)
    reader = _RecordingReader(stream.reader, writer.data)

    async def opener(host: str, port: int) -> tuple[_RecordingReader, _RecordingWriter]:
        return reader, writer

    try:
        async with asyncvnc.connect("console", 0, password=password, opener=opener):
            info = _server_info(bytes(reader.data), bytes(writer.data))
    except ValueError as exc:
        message = str(exc)
        if "requires password" in message:
            raise AuthenticationFailed(
                _(
                    "the server asks for a VNC password: give it with --password-stdin or"
                    " OVHKVM_VNC_PASSWORD"
                )
            ) from None
        # The reader answers everything else asyncvnc would raise ValueError for.
        raise ConnectFailed(
            _("the VNC handshake failed: {reason}").format(reason=message)
        ) from None
    except asyncio.IncompleteReadError:
        if not reader.data:
            hint = stream.closed_early_hint or _("it may accept one client at a time")
            raise ConnectFailed(
                _("the console closed the connection before the VNC greeting ({hint})").format(
                    hint=hint
                )
            ) from None
        raise ConnectFailed(_closed_during(bytes(reader.data), bytes(writer.data))) from None
    except OSError as exc:  # a reset, a broken pipe
        raise ConnectFailed(
            _("the connection was lost during the VNC handshake ({reason})").format(
                reason=exc.strerror or exc
            )
        ) from None
    yield info


def _closed_during(read: bytes, written: bytes) -> str:
    if len(written) > 12 and written[12] == 2 and len(read) > 13:
        return _(
            "the server closed the connection during the handshake (after the password: it may"
            " be wrong, or the server allows one client only)"
        )
    return _("the server closed the connection during the handshake")


async def _failure_reason(reader: asyncio.StreamReader) -> tuple[str, int]:
    """The reason RFB 3.8 sends after a refusal, if it comes, and the length it announced.

    Only the first ``_SHOWN`` bytes are read, none when the length is absurd: the connection
    ends here, so the rest is never read, let alone kept.
    """
    try:
        header = await asyncio.wait_for(reader.readexactly(4), _REASON_WAIT)
    except (TimeoutError, asyncio.IncompleteReadError, OSError):
        return "", 0
    (length,) = struct.unpack(">I", header)
    if length > _ABSURD:
        return "", length
    try:
        raw = await asyncio.wait_for(reader.readexactly(min(length, _SHOWN)), _REASON_WAIT)
    except (TimeoutError, asyncio.IncompleteReadError, OSError):
        return "", length
    return _text(raw, complete=length <= _SHOWN).strip(), length


class _Refused(Enum):
    """What a server refused: each has its own sentences (whole, for the translations)."""

    CONNECTION = "connection"
    PASSWORD = "password"


#: (what was refused, how the reason came) -> the sentence.
_REFUSALS = {
    (_Refused.CONNECTION, "reason"): N_("the server refused the connection: {reason}"),
    (_Refused.CONNECTION, "absurd"): N_(
        "the server refused the connection and announced a {length}-byte reason (not shown)"
    ),
    (_Refused.CONNECTION, "too many"): N_("the server refused the connection (too many attempts)"),
    (_Refused.CONNECTION, "none"): N_("the server refused the connection"),
    (_Refused.PASSWORD, "reason"): N_("the server refused the VNC password: {reason}"),
    (_Refused.PASSWORD, "absurd"): N_(
        "the server refused the VNC password and announced a {length}-byte reason (not shown)"
    ),
    (_Refused.PASSWORD, "too many"): N_("the server refused the VNC password (too many attempts)"),
    (_Refused.PASSWORD, "none"): N_("the server refused the VNC password"),
}


def _refusal(what: _Refused, text: str, length: int, too_many: bool = False) -> str:
    """The sentence that reports a refusal, with its reason if the server gave one (``too_many``:
    the server's result said too many attempts)."""
    # One line whatever the server sent: its line breaks and tabs become spaces (what else it
    # holds is the front ends' to show as text: escaped on a terminal, plain in a window).
    text = " ".join(text.split())
    if length > _ABSURD:
        how = "absurd"
    elif text:
        how = "reason"
    else:
        how = "too many" if too_many else "none"
    return _(_REFUSALS[what, how]).format(reason=text, length=length)


def _text(raw: bytes, complete: bool) -> str:
    """UTF-8 text a server sent, cut short when ``complete`` is False (with an ellipsis, and
    without the pieces of a character the cut split)."""
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(raw, final=complete)
    return text if complete else text + "…"


def _server_info(read: bytes, written: bytes) -> ServerInfo:
    """Rebuild what the server said from the bytes asyncvnc exchanged (and the first
    ``_SHOWN`` bytes of the desktop name, all the reader kept of it)."""
    version = _version(read) or (3, 8)
    chosen = written[_SECURITY_COUNT_AT] if len(written) > _SECURITY_COUNT_AT else 1
    pos = _security_result_at(read, written) + 4
    width, height = struct.unpack_from(">HH", read, pos)
    pixel_format = PixelFormat.unpack(read[pos + 4 : pos + 20])
    (name_length,) = struct.unpack_from(">I", read, pos + _NAME_LENGTH_OFFSET)
    raw = read[pos + 24 : pos + 24 + name_length]
    return ServerInfo(
        protocol=f"{version[0]}.{version[1]}",
        security=SECURITY_NAMES.get(chosen, str(chosen)),
        name=_text(raw, complete=len(raw) == name_length),
        width=width,
        height=height,
        pixel_format=pixel_format,
    )
