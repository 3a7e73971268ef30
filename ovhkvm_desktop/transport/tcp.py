"""Plain TCP to a VNC server (QEMU's own, or OVH's `openConsoleAccess` VNC door)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Iterator

from ovhkvm_desktop.errors import ConnectFailed
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.transport.stream import ByteStream

#: Big reads keep the per-call overhead low when a full screen arrives.
READ_LIMIT = 1 << 20


async def open_tcp(target: ConsoleTarget, *, timeout: float) -> ByteStream:
    with network_errors(target, timeout, listener="console"):
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(target.host, target.port, limit=READ_LIMIT), timeout
        )
    sock = writer.get_extra_info("socket")
    if sock is not None:
        # Key and pointer events are tiny: send them at once.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return ByteStream(reader, writer, f"TCP {target.display}")


@contextlib.contextmanager
def network_errors(target: ConsoleTarget, timeout: float, listener: str) -> Iterator[None]:
    """Turn the failures of reaching ``target`` into one ``ConnectFailed`` sentence each."""
    where = target.display
    try:
        yield
    except TimeoutError:
        raise ConnectFailed(f"no answer from {where} within {timeout:g} s") from None
    except socket.gaierror:
        raise ConnectFailed(f"cannot find the host {target.host!r} (check the name)") from None
    except ConnectionRefusedError:
        raise ConnectFailed(
            f"{where} refused the connection: no {listener} is listening on that port"
        ) from None
    except OSError as exc:
        raise ConnectFailed(f"cannot connect to {where}: {describe_os_error(exc)}") from None


def describe_os_error(exc: OSError) -> str:
    """An OSError as words, without Python's bracketed errno prefix."""
    if exc.errno == errno.ENETUNREACH:
        return "the network is unreachable (are you online?)"
    if exc.errno == errno.EHOSTUNREACH:
        return "no route to the host"
    if exc.errno == errno.ECONNRESET:
        return "the connection was reset"
    return exc.strerror or str(exc) or type(exc).__name__
