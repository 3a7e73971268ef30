"""RFB over WebSocket, the way nova's noVNC proxy and websockify carry it.

Subprotocol exactly ``binary`` (newer websockify refuses ``base64``), no ``Origin`` header (a
wrong one is refused; none is allowed for non-browser clients), binary frames, certificates
checked against the system trust store or ``--ca-file``, and the console token also sent as the
``token`` cookie, as noVNC's pages do.

Memory stays bounded both ways, as with plain TCP: frames are taken from the WebSocket only while
the reader holds less than twice ``READ_LIMIT`` (then websockets keeps at most ``MAX_QUEUE``
frames of at most ``MAX_MESSAGE`` bytes, and stops reading the socket); ``write()`` buffers and
``drain()`` waits while more than ``WRITE_HIGH_WATER`` bytes wait to go out. A connection that
died quietly is noticed by WebSocket pings (and TCP keepalive underneath).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ssl
from enum import Enum
from http import HTTPStatus
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    InvalidHandshake,
    InvalidMessage,
    InvalidStatus,
    InvalidURI,
)
from websockets.frames import CloseCode
from websockets.typing import Subprotocol

from ovhkvm_desktop.errors import ConnectFailed, TlsFailed
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.transport.stream import WRITE_HIGH_WATER, WRITE_LOW_WATER, ByteStream
from ovhkvm_desktop.transport.tcp import READ_LIMIT, connect_error, describe_os_error, keep_alive
from ovhkvm_desktop.words import N_, _

_STATUS_HINTS = {
    400: N_("the proxy did not accept the request (subprotocol or path)"),
    401: N_("the console token was refused"),
    403: N_("the console token is wrong or has expired: ask for a new console"),
    404: N_("the console token is unknown or has expired: ask for a new console"),
    500: N_("the console proxy failed"),
    502: N_("the console proxy could not reach the VPS"),
    503: N_("the console proxy is unavailable"),
}

#: A ping every PING_INTERVAL seconds; no pong within PING_TIMEOUT seconds ends the connection
#: (the reader then fails with "the console stopped answering"), and the session reconnects.
#: Module constants so that tests can shorten them. While the reader is full (its consumer
#: stalled for that long) websockets stops reading the socket and the pong cannot arrive either:
#: a consumer stuck for PING_TIMEOUT seconds loses the connection, which it would be unable to
#: use anyway.
PING_INTERVAL = 20.0
PING_TIMEOUT = 20.0
#: How long a closing handshake may take (ours, or the one after a ping timed out) before the
#: socket is simply dropped.
CLOSE_TIMEOUT = 2.0
#: The largest WebSocket message accepted. websockify and nova send one frame per read from the
#: VNC socket, at most 64 KiB; a bigger message ends the connection (close code 1009).
MAX_MESSAGE = 1 << 20
#: Frames websockets keeps for us once we stop taking them; above that it stops reading the socket.
MAX_QUEUE = 4
#: Outgoing bytes per WebSocket frame: input is tiny, but a long clipboard must not become one
#: frame bigger than a proxy accepts.
SEND_CHUNK = 64 << 10


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Verify certificates against the system trust store, plus ``ca_file`` when given."""
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectFailed(
                _("cannot read the CA file {path}: {reason}").format(path=repr(ca_file), reason=exc)
            ) from None
    return context


class _Stage(Enum):
    """How far opening a WebSocket went: which failures mean which thing."""

    CONNECTING = "connecting"  # TCP (or a proxy's tunnel) not up yet: failures are Unreachable
    TLS = "tls"  # TCP up, TLS handshake under way: every failure is a TLS failure
    UPGRADE = "upgrade"  # TLS done (or none): the HTTP upgrade; failures are the proxy's


class _Opening:
    """Watches one opening through the connection class websockets creates (its documented
    ``create_connection`` hook): asyncio creates the protocol once the TCP connection (or the
    proxy's tunnel) is up, and calls ``connection_made`` once the TLS handshake is done."""

    def __init__(self, secure: bool) -> None:
        self.secure = secure
        self.stage = _Stage.CONNECTING
        self.lost_with: BaseException | None = None

    def connection_class(self) -> type[ClientConnection]:
        opening = self

        class WatchedConnection(ClientConnection):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                opening.stage = _Stage.TLS if opening.secure else _Stage.UPGRADE
                self.made = False
                super().__init__(*args, **kwargs)

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                opening.stage = _Stage.UPGRADE
                self.made = True
                super().connection_made(transport)

            def connection_lost(self, exc: Exception | None) -> None:
                if opening.lost_with is None:
                    opening.lost_with = exc
                # When TLS through an HTTP proxy fails, asyncio reports the loss of a connection
                # that was never made, and websockets (17) fails on it with a traceback on
                # stderr; there is nothing of it to clean up, the opening raises the TLS error.
                if self.made:
                    super().connection_lost(exc)

        return WatchedConnection


async def open_websocket(
    target: ConsoleTarget, *, timeout: float, ca_file: str | None = None
) -> ByteStream:
    secure = target.url.startswith("wss:")
    headers = {"Cookie": f"token={target.token}"} if target.token else None
    context = tls_context(ca_file) if secure else None
    opening = _Opening(secure)
    try:
        async with asyncio.timeout(timeout):  # (asyncio.wait_for may lose a cancellation)
            ws = await connect(
                target.url,
                subprotocols=[Subprotocol("binary")],
                origin=None,
                additional_headers=headers,
                ssl=context,
                compression=None,
                open_timeout=None,
                max_size=MAX_MESSAGE,
                max_queue=MAX_QUEUE,
                write_limit=WRITE_HIGH_WATER // 2,
                ping_interval=PING_INTERVAL,
                ping_timeout=PING_TIMEOUT,
                close_timeout=CLOSE_TIMEOUT,
                user_agent_header="ovhkvm-desktop",
                create_connection=opening.connection_class(),
            )
    except Exception as exc:
        raise _opening_failed(exc, target, timeout, opening) from None
    if ws.subprotocol != "binary":
        await ws.close()
        raise ConnectFailed(
            _("{where} did not agree to carry binary RFB data").format(where=target.display)
        )
    sock = ws.transport.get_extra_info("socket")
    if sock is not None:
        keep_alive(sock)
    flow = FrameFlow()
    reader = asyncio.StreamReader(limit=READ_LIMIT)
    reader.set_transport(flow)
    writer = WebSocketWriter(ws)
    writer.pump = asyncio.get_running_loop().create_task(_pump(ws, reader, flow))
    hint = _("the console token may be wrong or expired: ask for a new console")
    return ByteStream(reader, writer, f"WebSocket {target.display}", hint, backlog=writer.backlog)


def _opening_failed(
    exc: Exception, target: ConsoleTarget, timeout: float, opening: _Opening
) -> Exception:
    """The error the user reads for a failed opening, of the kind the session's rules need:
    ``Unreachable`` only while nothing but TCP was attempted, ``TlsFailed`` for every failure of
    TLS, plain ``ConnectFailed`` for what the proxy answered."""
    where = target.display
    if isinstance(exc, ConnectFailed):
        return exc
    # ssl.SSLError is an OSError: it goes first, whatever the stage.
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or _("verification failed")
        return TlsFailed(
            _(
                "the TLS certificate of {host} could not be verified ({reason});"
                " if you trust it, give its CA with --ca-file"
            ).format(host=target.host, reason=reason)
        )
    if isinstance(exc, ssl.SSLError):
        return _tls_failed(target, exc)
    if opening.stage is _Stage.CONNECTING and isinstance(exc, OSError):
        # Refused, no route, unknown host, or no TCP connection within the timeout.
        return connect_error(exc, target, timeout, proxy=True)
    if opening.stage is _Stage.TLS:
        # TCP was accepted and TLS did not complete: reset, closed, or stalled. A stalled
        # handshake is a TLS failure too, not "nothing answered": something took the connection
        # and then would not speak TLS, which is what a middlebox interfering with TLS looks
        # like; treating it as unreachable would let exactly that send us to a plain door.
        if isinstance(exc, TimeoutError):
            return TlsFailed(
                _(
                    "the TLS handshake with {host} ({where}) did not complete within {seconds} s"
                ).format(host=target.host, where=where, seconds=f"{timeout:g}")
            )
        if isinstance(exc, OSError):
            return TlsFailed(
                _("the TLS handshake with {host} ({where}) failed: {reason}").format(
                    host=target.host, where=where, reason=describe_os_error(exc)
                )
            )
    if isinstance(opening.lost_with, ssl.SSLError):
        # TLS broke after its handshake (an alert, e.g. the proxy wants a client certificate):
        # websockets reports only that no HTTP answer came.
        return _tls_failed(target, opening.lost_with)
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = exc.response.reason_phrase or ""
        hint = _(_STATUS_HINTS.get(status, N_("the console proxy refused the connection")))
        return ConnectFailed(
            _(
                "{where} refused the WebSocket connection with HTTP {status} {phrase}: {hint}"
            ).format(where=where, status=status, phrase=phrase, hint=hint)
        )
    if isinstance(exc, InvalidURI):
        return ConnectFailed(_("{where} is not a valid WebSocket URL").format(where=where))
    if isinstance(exc, InvalidMessage):
        # websockify hangs up on an unknown token before answering the upgrade.
        if target.token:
            message = _(
                "{where} closed the connection without answering (the console token may be"
                " wrong or expired)"
            )
        else:
            message = _("{where} closed the connection without answering (no HTTP answer)")
        return ConnectFailed(message.format(where=where))
    if isinstance(exc, InvalidHandshake):
        return _no_handshake(where, exc)
    if isinstance(exc, TimeoutError):
        return ConnectFailed(
            _(
                "{where} took the connection but did not answer the WebSocket upgrade within"
                " {seconds} s"
            ).format(where=where, seconds=f"{timeout:g}")
        )
    if isinstance(exc, OSError):
        return ConnectFailed(
            _("{where} failed during the WebSocket handshake: {reason}").format(
                where=where, reason=describe_os_error(exc)
            )
        )
    if isinstance(exc, ValueError):
        # websockets' refusals of a redirect (e.g. to another origin when a proxy is used).
        return _no_handshake(where, exc)
    return exc


def _tls_failed(target: ConsoleTarget, exc: ssl.SSLError) -> TlsFailed:
    return TlsFailed(
        _("TLS failed with {host} ({where}): {reason}").format(
            host=target.host, where=target.display, reason=_tls_reason(exc)
        )
    )


def _no_handshake(where: str, exc: Exception) -> ConnectFailed:
    return ConnectFailed(
        _("{where} did not complete the WebSocket handshake: {reason}").format(
            where=where, reason=exc
        )
    )


def _tls_reason(exc: ssl.SSLError) -> str:
    """OpenSSL's reason as words: "tlsv13 alert certificate required"."""
    return exc.reason.replace("_", " ").lower() if exc.reason else str(exc)


class FrameFlow(asyncio.ReadTransport):
    """What the WebSocket's StreamReader pauses and resumes: the taking of frames.

    asyncio's StreamReader pauses its transport when it holds more than twice its limit and
    resumes it once its consumer brought it back under the limit, which bounds the TCP stream;
    given this as its transport, it bounds the WebSocket stream the same way.
    """

    def __init__(self) -> None:
        super().__init__()
        self._reading = asyncio.Event()
        self._reading.set()

    def is_reading(self) -> bool:
        return self._reading.is_set()

    def pause_reading(self) -> None:
        self._reading.clear()

    def resume_reading(self) -> None:
        self._reading.set()

    async def wait_reading(self) -> None:
        await self._reading.wait()


async def _pump(ws: ClientConnection, reader: asyncio.StreamReader, flow: FrameFlow) -> None:
    """Feed the frames into ``reader`` while it wants more; end it when the WebSocket closes."""
    try:
        async for message in ws:
            if isinstance(message, str):
                message = message.encode("latin-1", "replace")
            reader.feed_data(message)
            # Paused: leave the next frames in websockets' bounded queue.
            await flow.wait_reading()
    except ConnectionClosedError as exc:
        reason = _closed_reason(ws, exc)
        if reason is not None:
            reader.set_exception(ConnectionResetError(reason))
            return
    except ConnectionClosed:
        pass
    except OSError as exc:
        reader.set_exception(ConnectionResetError(describe_os_error(exc)))
        return
    reader.feed_eof()


def _closed_reason(ws: ClientConnection, exc: ConnectionClosedError) -> str | None:
    """Words for a connection that we ended because the other side misbehaved; None for an
    ordinary hang-up (the reader then simply ends)."""
    sent = exc.sent
    if exc.rcvd is not None or sent is None:
        return None
    if sent.code == CloseCode.INTERNAL_ERROR and "ping" in sent.reason:
        return _(
            "the console stopped answering (no reply to a WebSocket ping within {seconds} s)"
        ).format(seconds=f"{ws.ping_timeout:g}")
    if sent.code == CloseCode.MESSAGE_TOO_BIG:
        return _("the console proxy sent a WebSocket message bigger than {size} KiB").format(
            size=MAX_MESSAGE >> 10
        )
    return None


class WebSocketWriter:
    """A StreamWriter look-alike: ``write`` buffers bytes, sent in order as binary frames;
    ``drain`` waits while more than ``WRITE_HIGH_WATER`` bytes wait, and raises
    ``ConnectionResetError`` once the connection is closed."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._pending: collections.deque[bytes] = collections.deque()
        self._pending_size = 0
        self._sender: asyncio.Task[None] | None = None
        self._error: str | None = None
        self._below_high = asyncio.Event()  # cleared above the high-water mark until low water
        self._below_high.set()
        self._closing: asyncio.Task[None] | None = None
        self.pump: asyncio.Task[None] | None = None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """As ``StreamWriter.get_extra_info``: the TCP connection's details (``"socket"``,
        ``"peername"``, ``"ssl_object"``...), for the round-trip time among others."""
        transport = self._ws.transport
        return transport.get_extra_info(name, default) if transport else default

    def backlog(self) -> int:
        """Bytes written and not yet handed to the operating system."""
        transport = self._ws.transport
        return self._pending_size + (transport.get_write_buffer_size() if transport else 0)

    def write(self, data: bytes) -> None:
        if not data:
            return
        self._raise_if_closed()
        self._pending.append(bytes(data))
        self._pending_size += len(data)
        if self._pending_size > WRITE_HIGH_WATER:
            self._below_high.clear()
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send_all())

    def _take_chunk(self) -> bytes:
        """Up to SEND_CHUNK bytes of what is pending, in order."""
        parts: list[bytes] = []
        size = 0
        while self._pending and size < SEND_CHUNK:
            part = self._pending.popleft()
            room = SEND_CHUNK - size
            if len(part) > room:
                self._pending.appendleft(part[room:])
                part = part[:room]
            parts.append(part)
            size += len(part)
        self._pending_size -= size
        return b"".join(parts)

    async def _send_all(self) -> None:
        try:
            while self._pending:
                # Taken and handed to websockets with no pause in between: backlog() counts
                # these bytes either here or in the transport's buffer.
                await self._ws.send(self._take_chunk())
                if self._pending_size <= WRITE_LOW_WATER:
                    self._below_high.set()
        except (ConnectionClosed, OSError):
            self._error = _("the WebSocket connection is closed")
            self._pending.clear()
            self._pending_size = 0
            self._below_high.set()

    def _raise_if_closed(self) -> None:
        if self._error is None and self._ws.transport.is_closing():
            self._error = _("the WebSocket connection is closed")
        if self._error is not None:
            raise ConnectionResetError(self._error)

    async def drain(self) -> None:
        self._raise_if_closed()
        await self._below_high.wait()
        self._raise_if_closed()

    def close(self) -> None:
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self._close())

    async def _close(self) -> None:
        try:
            # Like a StreamWriter's close, send what was written first (a typed line, then quit).
            if self._sender is not None and not self._sender.done():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(self._sender), CLOSE_TIMEOUT)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), CLOSE_TIMEOUT)
        finally:
            self._error = self._error or _("the WebSocket connection is closed")
            if self._sender is not None:
                self._sender.cancel()
            # Whatever the closing handshake did, the socket goes now.
            if self._ws.transport is not None:
                self._ws.transport.abort()
            if self.pump is not None:
                self.pump.cancel()

    async def wait_closed(self) -> None:
        if self._closing is not None:
            # Shielded: a caller that stops waiting does not leave the socket half closed.
            await asyncio.shield(self._closing)
