"""Typing a text at a pace the guest keeps up with (session/pacing.py), checked on the wire: the
client types into a real RFB server on loopback through a tap (keytap.py) that notes, by the
kernel's clock, when each key event left the client. Whatever holds the client up mid-text (a
slow listener, a busy loop, a stopped process), the keys after it never leave closer together
than MIN_KEY_GAP: a busy guest's 16-byte PS/2 queue drops bursts. The text still completes; cut
short, it lets go of every key it held; a connection that ends says why. The same for the
command line; the window's is in tests/ui/test_typing_pace.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ovhkvm_desktop.errors import ConnectionLost
from ovhkvm_desktop.keyboard import KeyTranslator, LockState, WireKeyEvent
from ovhkvm_desktop.rfb.framebuffer import Rect
from ovhkvm_desktop.session import (
    ConsoleSession,
    SessionListener,
    SessionOptions,
    type_events,
)
from ovhkvm_desktop.targets import ConsoleTarget
from tests.cloud.cli import CliEnv
from tests.session.keytap import KeyTap, received
from tests.session.servers import HookedRfbServer
from tests.ui.rfb_server import Key, fbu, rect

TEXT = "Hello, World! The 42 (pace) test."
DELAY = 0.015
#: How long the client is held up, after the STALL_AFTER-th key event arrived.
STALL = 0.3
STALL_AFTER = 10


def released(event: WireKeyEvent) -> WireKeyEvent:
    return WireKeyEvent(False, event.keysym, event.scancode, event.extended)


def assert_paced_through_the_stall(tap: KeyTap, expected: list[Key]) -> None:
    tap.assert_paced(expected, held_up_after=STALL_AFTER, held_up_for=STALL)


class Screen(SessionListener):
    """A listener like the command line's, that the test can make slow for one update."""

    def __init__(self) -> None:
        self.first_update = asyncio.Event()
        self.slow_next_update = threading.Event()  # set from the server's thread
        self.ended: list[str | None] = []

    def on_update(self, rects: list[Rect]) -> None:
        if self.slow_next_update.is_set():
            self.slow_next_update.clear()
            time.sleep(STALL)  # the session's loop is held up as long
        self.first_update.set()

    def on_disconnected(self, reason: str | None) -> None:
        self.ended.append(reason)


@contextlib.asynccontextmanager
async def connected(port: int) -> AsyncIterator[tuple[ConsoleSession, Screen, asyncio.Task[None]]]:
    """A session on the server at ``port``, its read loop running, past the first update (by
    then the server's acknowledgement of extended key events is known)."""
    screen = Screen()
    target = ConsoleTarget("tcp", "127.0.0.1", port)
    session = ConsoleSession(target, screen, SessionOptions(timeout=5))
    await session.connect()
    reader = asyncio.create_task(session.run())
    try:
        await asyncio.wait_for(screen.first_update.wait(), 5)
        yield session, screen, reader
    finally:
        await session.close()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionLost):
            await reader


def typed(text: str, session: ConsoleSession) -> list[WireKeyEvent]:
    assert session.capabilities.extended_keys
    return KeyTranslator("us", extended_keys=True).type_text(text).events


async def all_arrived(server: HookedRfbServer | KeyTap, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(server.keys()) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("held_up_by", ["a slow listener", "a busy loop"])
def test_after_a_stall_keys_never_arrive_closer_than_the_minimum_gap(held_up_by: str) -> None:
    async def run(server: HookedRfbServer, tap: KeyTap) -> None:
        progress: list[tuple[int, int]] = []
        async with connected(tap.port) as (session, screen, _):
            events = typed(TEXT, session)
            loop = asyncio.get_running_loop()

            def hold_up() -> None:  # on the server's thread, right after the 10th key event
                if held_up_by == "a slow listener":
                    screen.slow_next_update.set()
                    server.write_now(fbu(rect(0, 0, 2, 2, 0, bytes(16))))
                else:
                    loop.call_soon_threadsafe(time.sleep, STALL)

            server.after_keys[STALL_AFTER] = hold_up
            await type_events(session, events, DELAY, progress=lambda *p: progress.append(p))
            await all_arrived(tap, len(events))
            assert_paced_through_the_stall(tap, received(events))
            assert progress == [(n, len(events)) for n in range(1, len(events) + 1)]

    with HookedRfbServer() as server, KeyTap(server.port) as tap:
        asyncio.run(run(server, tap))


def test_cancelled_mid_text_every_key_held_is_released() -> None:
    async def run(server: HookedRfbServer) -> None:
        async with connected(server.port) as (session, _, _):
            events = typed("ABC DEF GHI", session)
            # Cut short just after a capital's key went down: Shift and that key are held.
            at = next(i for i, e in enumerate(events) if i > 4 and e.down and events[i - 1].down)
            shift, letter = events[at - 1], events[at]
            typing: list[asyncio.Task[None]] = []

            def progress(sent: int, total: int) -> None:
                if sent == at + 1:
                    typing[0].cancel()

            typing.append(
                asyncio.create_task(type_events(session, events, DELAY, progress=progress))
            )
            with pytest.raises(asyncio.CancelledError):
                await typing[0]
            expected = [*events[: at + 1], released(letter), released(shift)]
            await all_arrived(server, len(expected))
            await asyncio.sleep(0.1)  # and nothing more comes
            assert server.keys() == received(expected)

    with HookedRfbServer() as server:
        asyncio.run(run(server))


def test_the_connection_ending_mid_text_stops_typing_with_its_reason() -> None:
    async def run(server: HookedRfbServer) -> None:
        async with connected(server.port) as (session, screen, reader):
            events = typed(TEXT, session)
            server.after_keys[STALL_AFTER] = server.drop_now
            with pytest.raises(ConnectionLost) as lost:
                await type_events(session, events, DELAY)
            assert screen.ended and screen.ended[0]
            assert str(lost.value) == screen.ended[0]  # the reason the session ended with
            with pytest.raises(ConnectionLost, match=str(lost.value)):
                await reader
            assert STALL_AFTER <= len(server.keys()) < len(events)

    with HookedRfbServer() as server:
        asyncio.run(run(server))


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="the client is held up by SIGSTOP")
def test_the_command_line_types_at_the_same_pace_after_a_stall(tmp_path: Path) -> None:
    """`ovhkvm-desktop type` in a process of its own, stopped (SIGSTOP) for 0.3 s mid-text:
    as a busy host would hold it up, with nothing in the client changed for the test."""
    cli = CliEnv(tmp_path, "http://127.0.0.1:9/1.0")  # a vnc:// target: no API
    with HookedRfbServer() as server, KeyTap(server.port) as tap:
        argv = ["type", f"vnc://127.0.0.1:{tap.port}", "--text", TEXT, "--delay-ms", "15"]
        process = cli.start(*argv)

        def hold_up() -> None:
            os.kill(process.pid, signal.SIGSTOP)
            threading.Timer(STALL, os.kill, (process.pid, signal.SIGCONT)).start()

        server.after_keys[STALL_AFTER] = hold_up
        try:
            _, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
                process.kill()
        assert (process.returncode, err) == (0, "")
        translator = KeyTranslator("us", extended_keys=True)
        translator.set_leds(LockState(caps=False, num=False, scroll=False))  # the server's LEDs
        assert_paced_through_the_stall(tap, received(translator.type_text(TEXT).events))
