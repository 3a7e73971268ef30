"""RFB over WebSocket, the way nova's noVNC proxy and websockify carry it.

Subprotocol exactly ``binary`` (newer websockify refuses ``base64``), no ``Origin`` header (a
wrong one is refused; none is allowed for non-browser clients), binary frames, certificates
checked against the system trust store or ``--ca-file``, and the console token also sent as the
``token`` cookie, as noVNC's pages do.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from http import HTTPStatus

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidMessage,
    InvalidStatus,
    InvalidURI,
)
from websockets.typing import Subprotocol

from ovhkvm_desktop.errors import ConnectFailed
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.transport.stream import ByteStream
from ovhkvm_desktop.transport.tcp import READ_LIMIT, describe_os_error, network_errors

_STATUS_HINTS = {
    400: "the proxy did not accept the request (subprotocol or path)",
    401: "the console token was refused",
    403: "the console token is wrong or has expired: ask for a new console",
    404: "the console token is unknown or has expired: ask for a new console",
    500: "the console proxy failed",
    502: "the console proxy could not reach the VPS",
    503: "the console proxy is unavailable",
}


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Verify certificates against the system trust store, plus ``ca_file`` when given."""
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectFailed(f"cannot read the CA file {ca_file!r}: {exc}") from None
    return context


async def open_websocket(
    target: ConsoleTarget, *, timeout: float, ca_file: str | None = None
) -> ByteStream:
    secure = target.url.startswith("wss:")
    headers = {"Cookie": f"token={target.token}"} if target.token else None
    where = target.display
    # Socket-level failures (timeout, DNS, refused...) are worded by network_errors.
    with network_errors(target, timeout, listener="console proxy"):
        try:
            ws = await asyncio.wait_for(
                connect(
                    target.url,
                    subprotocols=[Subprotocol("binary")],
                    origin=None,
                    additional_headers=headers,
                    ssl=tls_context(ca_file) if secure else None,
                    compression=None,
                    open_timeout=None,
                    max_size=16 << 20,
                    ping_interval=None,
                    user_agent_header="ovhkvm-desktop",
                ),
                timeout,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            try:
                phrase = HTTPStatus(status).phrase
            except ValueError:
                phrase = exc.response.reason_phrase or ""
            hint = _STATUS_HINTS.get(status, "the console proxy refused the connection")
            raise ConnectFailed(
                f"{where} refused the WebSocket connection with HTTP {status} {phrase}: {hint}"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or exc.reason or "verification failed"
            raise ConnectFailed(
                f"the TLS certificate of {target.host} could not be verified ({reason});"
                " if you trust it, give its CA with --ca-file"
            ) from None
        except ssl.SSLError as exc:
            raise ConnectFailed(f"TLS failed with {where}: {exc.reason or exc}") from None
        except InvalidURI:
            raise ConnectFailed(f"{where} is not a valid WebSocket URL") from None
        except InvalidMessage:
            # websockify hangs up on an unknown token before answering the upgrade.
            hint = "the console token may be wrong or expired" if target.token else "no HTTP answer"
            raise ConnectFailed(
                f"{where} closed the connection without answering ({hint})"
            ) from None
        except InvalidHandshake as exc:
            raise ConnectFailed(
                f"{where} did not complete the WebSocket handshake: {exc}"
            ) from None
    if ws.subprotocol != "binary":
        await ws.close()
        raise ConnectFailed(f"{where} did not agree to carry binary RFB data")
    reader = asyncio.StreamReader(limit=READ_LIMIT)
    writer = WebSocketWriter(ws)
    pump = asyncio.get_running_loop().create_task(_pump(ws, reader))
    writer.pump = pump
    hint = "the console token may be wrong or expired: ask for a new console"
    return ByteStream(reader, writer, f"WebSocket {where}", hint)


async def _pump(ws: ClientConnection, reader: asyncio.StreamReader) -> None:
    """Feed every binary frame into ``reader``; end it when the WebSocket closes."""
    try:
        async for message in ws:
            if isinstance(message, str):
                message = message.encode("latin-1", "replace")
            reader.feed_data(message)
    except ConnectionClosed:
        pass
    except OSError as exc:
        reader.set_exception(ConnectionResetError(describe_os_error(exc)))
        return
    reader.feed_eof()


class WebSocketWriter:
    """A StreamWriter look-alike: ``write`` queues bytes, sent in order as binary frames."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._pending: list[bytes] = []
        self._sender: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        self.pump: asyncio.Task[None] | None = None

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._error is not None:
            raise ConnectionResetError("the WebSocket connection is closed")
        self._pending.append(bytes(data))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send_all())

    async def _send_all(self) -> None:
        while self._pending:
            chunk = b"".join(self._pending)
            self._pending.clear()
            try:
                await self._ws.send(chunk)
            except (ConnectionClosed, OSError) as exc:
                self._error = exc
                self._pending.clear()
                return

    async def drain(self) -> None:
        if self._sender is not None:
            await asyncio.shield(self._sender)
        if self._error is not None:
            raise ConnectionResetError("the WebSocket connection is closed")

    def close(self) -> None:
        self._closing = asyncio.get_running_loop().create_task(self._close())

    async def _close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ws.close(), 2)
        if self.pump is not None:
            self.pump.cancel()

    async def wait_closed(self) -> None:
        await self._closing
