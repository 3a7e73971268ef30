"""Which kind of failure a connection attempt reports, against real servers.

The session's door rule rests on these kinds: only ``Unreachable`` (nothing answered before TLS
or RFB) lets another door be tried; a TLS failure (``TlsFailed``) is a stop, whatever broke it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import threading
from http import HTTPStatus

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from ovhkvm_desktop.errors import ConnectFailed, TlsFailed, Unreachable
from ovhkvm_desktop.targets import parse_target
from ovhkvm_desktop.transport import open_stream
from ovhkvm_desktop.transport.websocket import open_websocket
from tests.testbed import Websockify, free_port
from tests.transport.servers import (
    connect_proxy,
    tcp_server,
    tls_files,
    websocket_server,
    ws_target,
)

GREETING = b"RFB 003.008\n"


async def greet(conn: ServerConnection) -> None:
    await conn.send(GREETING)
    await conn.wait_closed()


async def read_greeting(target, **kwargs) -> bytes:
    stream = await open_stream(target, timeout=5, **kwargs)
    try:
        return await asyncio.wait_for(stream.reader.readexactly(len(GREETING)), 5)
    finally:
        await stream.close()


def failure(coro) -> ConnectFailed:
    """Run ``coro``, which must fail with ConnectFailed, and return the error."""

    async def main() -> ConnectFailed:
        with pytest.raises(ConnectFailed) as error:
            await coro
        return error.value

    return asyncio.run(main())


# -- TLS: a stop -------------------------------------------------------------------------------


def test_an_untrusted_certificate_is_a_tls_failure_naming_the_host_and_ca_file(tmp_path):
    _ca_file, context = tls_files(tmp_path)

    async def main() -> ConnectFailed:
        async with websocket_server(greet, tls=context) as port:
            with pytest.raises(ConnectFailed) as error:
                await open_websocket(ws_target(port, secure=True), timeout=5)
        return error.value

    error = asyncio.run(main())
    assert isinstance(error, TlsFailed) and not isinstance(error, Unreachable)
    assert "TLS certificate of 127.0.0.1 could not be verified" in str(error)
    assert "--ca-file" in str(error)


def test_the_same_server_with_its_ca_given_connects(tmp_path):
    ca_file, context = tls_files(tmp_path)

    async def main() -> bytes:
        async with websocket_server(greet, tls=context) as port:
            return await read_greeting(ws_target(port, secure=True), ca_file=str(ca_file))

    assert asyncio.run(main()) == GREETING


def test_a_tls_handshake_that_stalls_is_a_tls_failure_not_an_unreachable_door():
    # Something takes the TCP connection and never speaks TLS: what a middlebox that interferes
    # with TLS looks like. Calling it "unreachable" would send the session to a plain door.
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async def main() -> ConnectFailed:
        async with tcp_server(silent) as port:
            with pytest.raises(ConnectFailed) as error:
                await open_websocket(ws_target(port, secure=True), timeout=1)
        return error.value

    error = asyncio.run(main())
    assert isinstance(error, TlsFailed), repr(error)
    assert "TLS handshake with 127.0.0.1" in str(error) and "within 1 s" in str(error)


def test_a_connection_reset_during_the_tls_handshake_is_a_tls_failure():
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)  # the ClientHello has come
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # an RST

    async def main() -> ConnectFailed:
        async with tcp_server(reset) as port:
            with pytest.raises(ConnectFailed) as error:
                await open_websocket(ws_target(port, secure=True), timeout=5)
        return error.value

    error = asyncio.run(main())
    assert isinstance(error, TlsFailed), repr(error)
    assert "TLS handshake with 127.0.0.1" in str(error)


def test_tls_refused_after_its_handshake_is_a_tls_failure(tmp_path):
    # With TLS 1.3 a server that wants a client certificate says so after the handshake, with an
    # alert that comes while we wait for the HTTP answer: websockets reports only that none came.
    ca_file, context = tls_files(tmp_path)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=ca_file)
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve_one() -> None:
            conn, _ = listener.accept()
            with context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False) as tls:
                # Blocking ssl writes its alert before raising (asyncio's server would not).
                with contextlib.suppress(ssl.SSLError):
                    tls.do_handshake()
                # Closing with the client's HTTP request unread would send a reset, which may
                # overtake the alert: end our side only, and wait for the client to go.
                tls.shutdown(socket.SHUT_WR)
                tls.settimeout(5)
                with contextlib.suppress(OSError):
                    while tls.recv(65536):
                        pass

        threading.Thread(target=serve_one, daemon=True).start()
        target = ws_target(listener.getsockname()[1], secure=True)
        error = failure(open_websocket(target, timeout=5, ca_file=str(ca_file)))
    assert isinstance(error, TlsFailed), repr(error)
    assert "TLS failed with 127.0.0.1" in str(error)
    assert "certificate required" in str(error)


def test_an_untrusted_certificate_through_an_http_proxy_is_a_tls_failure(tmp_path, monkeypatch):
    ca_file, context = tls_files(tmp_path)
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)

    async def main() -> tuple[ConnectFailed, bytes, list[str], int]:
        async with (
            connect_proxy() as (proxy_port, tunnels),
            websocket_server(greet, tls=context) as port,
        ):
            monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy_port}")
            target = ws_target(port, secure=True)
            with pytest.raises(ConnectFailed) as error:
                await open_websocket(target, timeout=5)
            # and with the CA, the proxy carries the console (websockets' proxy support is kept)
            greeting = await read_greeting(target, ca_file=str(ca_file))
            return error.value, greeting, tunnels, port

    error, greeting, tunnels, port = asyncio.run(main())
    assert isinstance(error, TlsFailed), repr(error)
    assert "--ca-file" in str(error)
    assert greeting == GREETING
    assert tunnels == [f"127.0.0.1:{port}"] * 2


def test_the_test_beds_websockify_with_tls(tmp_path):
    """The real proxy: its certificate is refused without its CA; with it, RFB comes through."""

    async def rfb_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(GREETING)
        await writer.drain()
        await reader.read()

    async def main(proxy_port_holder: list[Websockify]) -> tuple[ConnectFailed, bytes]:
        async with tcp_server(rfb_server) as rfb_port:
            ws = Websockify({"t": ("127.0.0.1", rfb_port)}, tls=True)
            proxy_port_holder.append(ws)
            target = parse_target(ws.url("t"))
            with pytest.raises(ConnectFailed) as error:
                await open_websocket(target, timeout=10)
            return error.value, await read_greeting(target, ca_file=str(ws.ca_file))

    started: list[Websockify] = []
    try:
        error, greeting = asyncio.run(main(started))
    finally:
        for ws in started:
            ws.close()
    assert isinstance(error, TlsFailed), repr(error)
    assert "could not be verified" in str(error) and "--ca-file" in str(error)
    assert greeting == GREETING


# -- nothing answered: another door may be tried ------------------------------------------------


@pytest.mark.parametrize("scheme", ["tcp", "ws", "wss"])
def test_a_refused_port_is_unreachable(scheme):
    port = free_port()
    target = (
        parse_target(f"127.0.0.1:{port}")
        if scheme == "tcp"
        else ws_target(port, secure=scheme == "wss")
    )
    error = failure(open_stream(target, timeout=5))
    assert isinstance(error, Unreachable) and not isinstance(error, TlsFailed), repr(error)
    assert "refused the connection" in str(error)


@pytest.mark.parametrize("scheme", ["tcp", "wss"])
def test_no_tcp_connection_within_the_timeout_is_unreachable(scheme):
    # A listening socket whose accept queue is full drops further SYNs: the connect hangs.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(4):
                filler = socket.socket()
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
                fillers.append(filler)
            target = parse_target(f"127.0.0.1:{port}") if scheme == "tcp" else None
            target = target or ws_target(port, secure=True)
            error = failure(open_stream(target, timeout=1))
        finally:
            for filler in fillers:
                filler.close()
    assert isinstance(error, Unreachable), repr(error)
    assert "no answer from" in str(error) and "within 1 s" in str(error)


def test_an_unknown_host_is_unreachable():
    error = failure(open_stream(parse_target("vnc://no-such-host.invalid:5900"), timeout=10))
    assert isinstance(error, Unreachable), repr(error)
    assert "cannot find the host" in str(error)


# -- the proxy answered: a stop, in its words ----------------------------------------------------


def test_an_http_403_is_a_connect_failure_with_the_token_hint():
    def refuse(conn: ServerConnection, request: Request) -> Response:
        return conn.respond(HTTPStatus.FORBIDDEN, "no\n")

    async def main() -> ConnectFailed:
        async with websocket_server(greet, process_request=refuse) as port:
            with pytest.raises(ConnectFailed) as error:
                await open_websocket(ws_target(port), timeout=5)
        return error.value

    error = asyncio.run(main())
    assert not isinstance(error, Unreachable | TlsFailed), repr(error)
    assert "HTTP 403 Forbidden" in str(error) and "token" in str(error)


def test_a_proxy_that_takes_the_connection_and_never_answers_is_not_unreachable():
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async def main() -> ConnectFailed:
        async with tcp_server(silent) as port:
            with pytest.raises(ConnectFailed) as error:
                await open_websocket(ws_target(port), timeout=1)
        return error.value

    error = asyncio.run(main())
    assert not isinstance(error, Unreachable | TlsFailed), repr(error)
    assert "did not answer the WebSocket upgrade within 1 s" in str(error)


def test_a_server_without_the_binary_subprotocol_is_a_connect_failure():
    async def main() -> ConnectFailed:
        async with websocket_server(greet, subprotocols=None) as port:
            with pytest.raises(ConnectFailed) as error:
                await open_websocket(ws_target(port), timeout=5)
        return error.value

    error = asyncio.run(main())
    assert not isinstance(error, Unreachable | TlsFailed), repr(error)
    assert "binary" in str(error)
