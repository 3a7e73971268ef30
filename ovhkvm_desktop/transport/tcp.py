"""Plain TCP to a VNC server (QEMU's own, or OVH's `openConsoleAccess` VNC door)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import ssl
import sys
from collections.abc import Iterator

from ovhkvm_desktop.errors import TlsFailed, Unreachable
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.transport.stream import WRITE_HIGH_WATER, WRITE_LOW_WATER, ByteStream
from ovhkvm_desktop.words import _

#: Big reads keep the per-call overhead low when a full screen arrives. The reader stops taking
#: data from the socket above twice this much (asyncio's StreamReader pauses its transport).
READ_LIMIT = 1 << 20

#: TCP keepalive: after this many idle seconds the kernel probes the peer, every
#: KEEPALIVE_INTERVAL seconds, and gives up after KEEPALIVE_PROBES unanswered probes. A console
#: whose host vanished (a rebooted VPS, a NAT that forgot us, a laptop that changed networks)
#: then ends the read within about a minute instead of hanging for hours.
KEEPALIVE_IDLE = 30
KEEPALIVE_INTERVAL = 10
KEEPALIVE_PROBES = 3


async def open_tcp(target: ConsoleTarget, *, timeout: float) -> ByteStream:
    """Connect to ``target``; every failure here is ``Unreachable`` (no TLS, no RFB spoken yet)."""
    with network_errors(target, timeout):
        # Not asyncio.wait_for: on Python 3.11 it loses a cancellation (the console closed)
        # that comes as the connection is refused.
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                target.host, target.port, limit=READ_LIMIT
            )
    sock = writer.get_extra_info("socket")
    if sock is not None:
        # Key and pointer events are tiny: send them at once.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        keep_alive(sock)
    transport = writer.transport
    transport.set_write_buffer_limits(high=WRITE_HIGH_WATER, low=WRITE_LOW_WATER)
    return ByteStream(
        reader, writer, f"TCP {target.display}", backlog=transport.get_write_buffer_size
    )


def keep_alive(sock: socket.socket) -> None:
    """Turn on TCP keepalive with our timings, where the platform lets us set them.

    Also a user timeout (Linux): keepalive probes only an idle connection; while our own data
    waits for an acknowledgement (an update request to a host that vanished) the kernel would
    retransmit for about 15 minutes before giving up, and this bounds that to the same minute.
    """
    idle_total = KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_PROBES
    options: list[tuple[int, int, int]] = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    # macOS names the idle time TCP_KEEPALIVE; elsewhere TCP_KEEPIDLE.
    idle_option = "TCP_KEEPALIVE" if sys.platform == "darwin" else "TCP_KEEPIDLE"
    for name, value in (
        (idle_option, KEEPALIVE_IDLE),
        ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL),
        ("TCP_KEEPCNT", KEEPALIVE_PROBES),
        ("TCP_USER_TIMEOUT", idle_total * 1000),  # milliseconds
    ):
        option = getattr(socket, name, None)
        if option is not None:
            options.append((socket.IPPROTO_TCP, option, value))
    for level, option, value in options:
        # An option the system refuses costs us only the early notice of a dead peer.
        with contextlib.suppress(OSError):
            sock.setsockopt(level, option, value)


@contextlib.contextmanager
def network_errors(target: ConsoleTarget, timeout: float, proxy: bool = False) -> Iterator[None]:
    """Turn the failures of reaching ``target`` into one ``Unreachable`` sentence each.

    Only for the part before any TLS is spoken: nothing answered, so another way in may be tried.
    """
    try:
        yield
    except OSError as exc:
        raise connect_error(exc, target, timeout, proxy) from None


def connect_error(
    exc: OSError, target: ConsoleTarget, timeout: float, proxy: bool = False
) -> Unreachable | TlsFailed:
    """The error for a socket that could not be connected (``proxy``: a console proxy should
    have answered, not a VNC server)."""
    where = target.display
    if isinstance(exc, ssl.SSLError):
        # An SSLError is an OSError too: were TLS ever spoken before this, its failure must stay
        # a stop, never become a door that "did not answer".
        return TlsFailed(
            _("TLS failed with {where}: {reason}").format(where=where, reason=exc.reason or exc)
        )
    if isinstance(exc, TimeoutError):
        return Unreachable(
            _("no answer from {where} within {seconds} s").format(
                where=where, seconds=f"{timeout:g}"
            )
        )
    if isinstance(exc, socket.gaierror):
        return Unreachable(
            _("cannot find the host {host} (check the name)").format(host=repr(target.host))
        )
    if isinstance(exc, ConnectionRefusedError):
        if proxy:
            message = _(
                "{where} refused the connection: no console proxy is listening on that port"
            )
        else:
            message = _("{where} refused the connection: no console is listening on that port")
        return Unreachable(message.format(where=where))
    return Unreachable(
        _("cannot connect to {where}: {reason}").format(where=where, reason=describe_os_error(exc))
    )


def describe_os_error(exc: OSError) -> str:
    """An OSError as words, without Python's bracketed errno prefix."""
    if exc.errno == errno.ENETUNREACH:
        return _("the network is unreachable (are you online?)")
    if exc.errno == errno.EHOSTUNREACH:
        return _("no route to the host")
    if exc.errno == errno.ECONNRESET:
        return _("the connection was reset")
    return exc.strerror or str(exc) or type(exc).__name__
