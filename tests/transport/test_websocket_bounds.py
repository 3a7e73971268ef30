"""The WebSocket stream holds a bounded amount either way, and notices a console that went quiet:
real websockets servers that flood, stop reading, or stop answering pings."""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import pytest
from websockets.asyncio.server import ServerConnection

from ovhkvm_desktop.transport import WRITE_HIGH_WATER
from ovhkvm_desktop.transport import websocket as websocket_transport
from ovhkvm_desktop.transport.websocket import open_websocket
from tests.transport.servers import websocket_server, ws_target

TOTAL = 64 << 20
FRAME = 64 << 10  # what websockify sends per read from the VNC socket
#: What the client may hold ahead of its reader: the reader's pause point (2 MiB) and one frame,
#: websockets' queue (4 frames), the frame being parsed, and a read's worth of TLS/TCP data.
READ_BOUND = 8 << 20


def frame(index: int) -> bytes:
    return bytes([index % 251]) * FRAME


def test_a_server_that_sends_64_mib_fast_cannot_fill_the_clients_memory():
    async def main() -> tuple[int, int, int]:
        sent = 0

        async def flood(conn: ServerConnection) -> None:
            nonlocal sent
            for index in range(TOTAL // FRAME):
                await conn.send(frame(index))
                sent += FRAME

        async with websocket_server(flood, max_size=None) as port:
            tracemalloc.start()
            try:
                stream = await open_websocket(ws_target(port), timeout=5)
                # The client reads nothing until the server can send no more (or sent it all).
                last, still_since = -1, time.monotonic()
                while sent < TOTAL and time.monotonic() - still_since < 1.0:
                    await asyncio.sleep(0.05)
                    if sent != last:
                        last, still_since = sent, time.monotonic()
                held_peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            sent_while_idle = sent
            # Then every byte arrives, in order: pausing lost nothing.
            received = 0
            while data := await asyncio.wait_for(stream.reader.read(1 << 20), 10):
                for offset in (0, len(data) - 1):
                    index = (received + offset) // FRAME
                    assert data[offset] == index % 251, f"byte {received + offset} out of order"
                received += len(data)
            await stream.close()
            return held_peak, sent_while_idle, received

    held_peak, sent_while_idle, received = asyncio.run(main())
    print(
        f"\npeak Python memory while not reading: {held_peak / 2**20:.1f} MiB;"
        f" server sent {sent_while_idle / 2**20:.1f} MiB of {TOTAL >> 20} before it had to wait"
    )
    assert received == TOTAL
    assert held_peak < READ_BOUND
    # The kernel's socket buffers hold the rest: the server had to stop.
    assert sent_while_idle < TOTAL


def test_a_server_that_stops_reading_makes_drain_wait_with_a_bounded_backlog():
    async def main() -> tuple[bool, int, int, int, int]:
        reading = asyncio.Event()
        received = 0

        async def stop_reading(conn: ServerConnection) -> None:
            nonlocal received
            await reading.wait()
            async for message in conn:
                received += len(message)

        async with websocket_server(stop_reading, max_queue=1) as port:
            stream = await open_websocket(ws_target(port), timeout=5)
            piece = bytes(1024)
            written = peak_backlog = 0
            blocked = False
            try:
                try:
                    async with asyncio.timeout(1.5):
                        while written < TOTAL:
                            stream.writer.write(piece)
                            written += len(piece)
                            peak_backlog = max(peak_backlog, stream.write_backlog())
                            await stream.writer.drain()
                except TimeoutError:
                    blocked = True
            finally:
                # Once the server reads again, what was written goes out, and drain returns.
                reading.set()
            async with asyncio.timeout(10):
                await stream.writer.drain()
                while received < written:
                    await asyncio.sleep(0.01)
            backlog_after = stream.write_backlog()
            await stream.close()
            return blocked, written, peak_backlog, received, backlog_after

    blocked, written, peak_backlog, received, backlog_after = asyncio.run(main())
    print(
        f"\nwritten before drain blocked: {written / 2**20:.1f} MiB;"
        f" peak write_backlog(): {peak_backlog >> 10} KiB"
    )
    assert blocked and written < TOTAL
    assert peak_backlog <= 4 * WRITE_HIGH_WATER
    assert received == written
    assert backlog_after <= WRITE_HIGH_WATER


def test_drain_and_write_fail_once_the_connection_is_closed():
    async def main() -> None:
        async def hang_up_soon(conn: ServerConnection) -> None:
            await asyncio.sleep(0.2)
            conn.transport.abort()

        async with websocket_server(hang_up_soon, max_queue=1) as port:
            stream = await open_websocket(ws_target(port), timeout=5)
            with pytest.raises(ConnectionResetError):
                async with asyncio.timeout(5):
                    while True:  # until drain notices the closed connection
                        stream.writer.write(bytes(4096))
                        await stream.writer.drain()
            with pytest.raises(ConnectionResetError):
                stream.writer.write(b"more")
            await stream.close()

    asyncio.run(main())


def test_a_console_that_stops_answering_pings_ends_the_read(monkeypatch):
    interval, timeout, close = 0.3, 0.3, 0.3
    monkeypatch.setattr(websocket_transport, "PING_INTERVAL", interval, raising=False)
    monkeypatch.setattr(websocket_transport, "PING_TIMEOUT", timeout, raising=False)
    monkeypatch.setattr(websocket_transport, "CLOSE_TIMEOUT", close, raising=False)

    async def main() -> tuple[BaseException | bytes, float]:
        done = asyncio.Event()

        async def go_quiet(conn: ServerConnection) -> None:
            await conn.send(b"RFB 003.008\n")
            # The server's machine is gone: nothing it receives is read, no pong is sent.
            conn.transport.pause_reading()
            await done.wait()
            conn.transport.abort()

        async with websocket_server(go_quiet, ping_interval=None) as port:
            try:
                stream = await open_websocket(ws_target(port), timeout=5)
                assert await stream.reader.readexactly(12) == b"RFB 003.008\n"
                start = time.monotonic()
                try:
                    outcome: BaseException | bytes = await asyncio.wait_for(
                        stream.reader.read(1024), 5
                    )
                except (ConnectionError, TimeoutError) as exc:
                    outcome = exc
                elapsed = time.monotonic() - start
                await stream.close()
            finally:
                done.set()
            return outcome, elapsed

    outcome, elapsed = asyncio.run(main())
    print(f"\nthe read ended after {elapsed:.2f} s")
    assert isinstance(outcome, ConnectionResetError), repr(outcome)
    assert "the console stopped answering" in str(outcome)
    assert f"no reply to a WebSocket ping within {timeout:g} s" in str(outcome)
    assert elapsed < interval + timeout + close + 0.5
