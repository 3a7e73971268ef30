"""Byte streams to a console: plain TCP, or RFB in WebSocket binary frames (nova, websockify)."""

from __future__ import annotations

from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.transport.stream import WRITE_HIGH_WATER, ByteStream


async def open_stream(
    target: ConsoleTarget, *, timeout: float, ca_file: str | None = None
) -> ByteStream:
    """Open a byte stream to ``target``; failures raise ``ConnectFailed`` with a sentence.

    Of their kinds: ``Unreachable`` when nothing answered (refused, no TCP connection within
    ``timeout``, unknown host, no route), the one failure after which another door may be tried;
    ``TlsFailed`` for every failure of TLS (a stop); plain ``ConnectFailed`` for a proxy's refusal.
    """
    if target.transport == "tcp":
        from ovhkvm_desktop.transport.tcp import open_tcp

        return await open_tcp(target, timeout=timeout)
    from ovhkvm_desktop.transport.websocket import open_websocket

    return await open_websocket(target, timeout=timeout, ca_file=ca_file)


__all__ = ["WRITE_HIGH_WATER", "ByteStream", "open_stream"]
