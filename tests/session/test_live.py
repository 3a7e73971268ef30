"""A console kept live (session/live.py) on a plain asyncio loop, without Qt, against real
servers on loopback: it reconnects after a drop through fresh doors, waits longer after each
failed attempt, stops retrying when asked and starts again when asked; a certificate or a
password that failed is not tried again on its own; stopping it always stops it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from itertools import pairwise
from typing import Any

import pytest

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.keyboard import KeyTranslator
from ovhkvm_desktop.session import (
    Backoff,
    ConnectionState,
    ConsoleSession,
    Door,
    LiveConsole,
    LiveListener,
    Phase,
    SessionOptions,
)
from ovhkvm_desktop.targets import ConsoleTarget, parse_target
from tests.session.servers import RefusingVncServer, TlsWebSocketConsole, closed_port
from tests.ui.rfb_server import Key, RfbServer

BACKOFF = Backoff(0.1, 2.0, 0.4)


class CountedDoors:
    """A console source with one door, that counts how often it is asked for doors (each
    connection attempt must ask anew: OVHcloud's tokens expire)."""

    title = "counted"

    def __init__(self, target: ConsoleTarget) -> None:
        self.target = target
        self.asked = 0
        self._error: ConsoleError | None = None

    async def doors(self) -> AsyncIterator[Door]:
        self.asked += 1
        yield Door(self.target)

    def door_failed(self, door: Door, error: ConsoleError) -> None:
        self._error = error

    def connected(self, door: Door) -> None:
        pass

    def exhausted(self) -> ConsoleError:
        return self._error or ConsoleError("no door")


class Heard(LiveListener):
    def __init__(self) -> None:
        self.states: list[tuple[float, ConnectionState]] = []
        self.typing: list[tuple[int, int]] = []
        self.typing_cut_short: list[bool] = []
        self.on_connecting: Callable[[], None] | None = None

    def on_state(self, state: ConnectionState) -> None:
        self.states.append((time.monotonic(), state))
        if state.phase is Phase.CONNECTING and self.on_connecting is not None:
            self.on_connecting()

    def on_typing_progress(self, sent: int, total: int) -> None:
        self.typing.append((sent, total))

    def on_typing_finished(self, cancelled: bool) -> None:
        self.typing_cut_short.append(cancelled)

    @property
    def waits(self) -> list[ConnectionState]:
        return [state for _, state in self.states if state.phase is Phase.WAITING]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.005)


Scenario = Callable[[LiveConsole, Heard], Coroutine[Any, Any, None]]


def live_on(source: CountedDoors, scenario: Scenario, password: str | None = None) -> None:
    """Run a live console on ``source`` while ``scenario`` drives it, then stop it (which
    must end it at once)."""

    async def run() -> None:
        heard = Heard()
        options = SessionOptions(password=password, timeout=3)
        live = LiveConsole(source, heard, options, BACKOFF)
        task = asyncio.create_task(live.run())
        try:
            await scenario(live, heard)
        finally:
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=2)
            if not done:
                # The stop was lost as a refused connection attempt ended at the same moment
                # (transport/tcp.py's asyncio.wait_for on Python 3.11, about 1 stop in 200).
                task.cancel()
                done, _ = await asyncio.wait({task}, timeout=2)
            assert done, "the live console did not stop"
        assert heard.states[-1][1] == ConnectionState(Phase.STOPPED)

    asyncio.run(run())


def tcp(port: int) -> ConsoleTarget:
    return ConsoleTarget("tcp", "127.0.0.1", port)


def connected(live: LiveConsole) -> bool:
    return live.state.phase is Phase.CONNECTED


def test_after_the_server_drops_it_reconnects_through_fresh_doors() -> None:
    with RfbServer() as server:
        source = CountedDoors(tcp(server.port))

        async def scenario(live: LiveConsole, heard: Heard) -> None:
            await until(lambda: connected(live))
            assert source.asked == 1
            await asyncio.to_thread(server.drop)
            await until(lambda: server.connections == 2 and connected(live))
            assert source.asked == 2
            (wait,) = heard.waits
            assert (wait.attempt, wait.delay) == (1, BACKOFF.first)
            assert wait.reason and "connection" in wait.reason
            phases = [state.phase for _, state in heard.states]
            assert phases == [
                Phase.CONNECTING,
                Phase.CONNECTED,
                Phase.WAITING,
                Phase.CONNECTING,
                Phase.CONNECTED,
            ]

        live_on(source, scenario)


def test_the_wait_between_attempts_grows_to_its_maximum() -> None:
    with RfbServer() as server:
        source = CountedDoors(tcp(server.port))

        async def scenario(live: LiveConsole, heard: Heard) -> None:
            await until(lambda: connected(live))
            server.accepting = False  # from now on every connection is closed at once
            start = len(server.attempt_times)
            await asyncio.to_thread(server.drop)
            await until(lambda: len(server.attempt_times) >= start + 4)
            delays = [state.delay for state in heard.waits[:4]]
            assert delays == [0.1, 0.2, 0.4, 0.4]
            assert [state.attempt for state in heard.waits[:4]] == [1, 2, 3, 4]
            assert "closed the connection" in str(heard.waits[1].reason)
            attempts = server.attempt_times[start:]
            gaps = [b - a for a, b in pairwise(attempts)]
            for gap, delay in zip(gaps, delays[1:], strict=False):
                assert delay <= gap < delay + 0.3
            assert source.asked >= 1 + 4  # fresh doors for every attempt

        live_on(source, scenario)


def test_cancel_stops_the_attempts_and_reconnect_starts_them_again() -> None:
    with RfbServer() as server:
        source = CountedDoors(tcp(server.port))

        async def scenario(live: LiveConsole, heard: Heard) -> None:
            await until(lambda: connected(live))
            server.accepting = False
            await asyncio.to_thread(server.drop)
            await until(lambda: live.state.phase is Phase.WAITING)
            live.cancel_reconnect()
            await until(lambda: live.state.delay is None)
            assert live.state.phase is Phase.WAITING
            asked = source.asked
            await asyncio.sleep(0.6)  # three backoffs' worth: no attempt
            assert source.asked == asked
            server.accepting = True
            live.reconnect_now()
            await until(lambda: connected(live))
            assert source.asked == asked + 1

        live_on(source, scenario)


def test_a_cancel_during_an_attempt_also_stops_the_attempts_after_it() -> None:
    with RfbServer() as server:
        source = CountedDoors(tcp(server.port))

        async def scenario(live: LiveConsole, heard: Heard) -> None:
            await until(lambda: connected(live))
            server.accepting = False
            heard.on_connecting = live.cancel_reconnect  # the user cancels as it reconnects
            await asyncio.to_thread(server.drop)
            await until(lambda: live.state.phase is Phase.WAITING and live.state.delay is None)
            asked = source.asked
            await asyncio.sleep(0.5)
            assert source.asked == asked

        live_on(source, scenario)


def test_an_untrusted_certificate_is_not_tried_again_on_its_own() -> None:
    with RfbServer() as screen, TlsWebSocketConsole(screen.port) as tls:
        source = CountedDoors(parse_target(tls.novnc_url("t0k3n")))

        async def scenario(live: LiveConsole, heard: Heard) -> None:
            await until(lambda: live.state.phase is Phase.WAITING)
            assert live.state.delay is None
            assert "certificate of 127.0.0.1 could not be verified" in str(live.state.reason)
            await asyncio.sleep(0.5)  # five first backoffs' worth
            assert source.asked == 1
            live.reconnect_now()  # asked: it tries again, and stops again
            await until(lambda: source.asked == 2 and live.state.phase is Phase.WAITING)
            await asyncio.sleep(0.3)
            assert (source.asked, live.state.delay, tls.upgrades) == (2, None, 0)

        live_on(source, scenario)


def test_a_refused_password_is_not_tried_again_on_its_own() -> None:
    with RefusingVncServer() as refusing:
        source = CountedDoors(tcp(refusing.port))

        async def scenario(live: LiveConsole, heard: Heard) -> None:
            await until(lambda: live.state.phase is Phase.WAITING)
            assert live.state.delay is None
            assert live.state.reason == "the server refused the VNC password: Authentication failed"
            await asyncio.sleep(0.5)
            assert (source.asked, refusing.connections) == (1, 1)

        live_on(source, scenario, password="wrong")


def test_a_server_that_refuses_connections_is_tried_again() -> None:
    """Unlike a certificate or a password, a port that refuses may open: retried on its own."""
    source = CountedDoors(tcp(closed_port()))

    async def scenario(live: LiveConsole, heard: Heard) -> None:
        await until(lambda: source.asked >= 3)
        assert [state.delay for state in heard.waits[:2]] == [0.1, 0.2]
        assert "refused the connection" in str(heard.waits[0].reason)

    live_on(source, scenario)


def test_typing_cut_short_by_a_drop_is_said_and_the_console_comes_back() -> None:
    with RfbServer() as server:
        source = CountedDoors(tcp(server.port))

        async def scenario(live: LiveConsole, heard: Heard) -> None:
            await until(lambda: connected(live))
            await asyncio.sleep(0.1)  # the server's acknowledgements (extended key events)
            events = KeyTranslator("us", extended_keys=True).type_text("typed " * 10).events
            live.type_text(events, 0.01)
            await until(lambda: len(heard.typing) >= 10)
            await asyncio.to_thread(server.drop)
            await until(lambda: bool(heard.typing_cut_short))
            assert heard.typing_cut_short == [True]
            assert heard.typing[-1][0] < len(events)
            await until(lambda: connected(live) and server.connections == 2)
            # Typing again on the new connection goes through, whole.
            server.clear()
            short = KeyTranslator("us", extended_keys=True).type_text("ok").events
            live.type_text(short, 0.01)
            await until(lambda: len(heard.typing_cut_short) == 2)
            assert heard.typing_cut_short == [True, False]
            keys = server.keys()
            assert [(k.down, k.keysym) for k in keys] == [(e.down, e.keysym) for e in short]
            assert all(isinstance(k, Key) and k.extended for k in keys)

        live_on(source, scenario)


def test_stopping_just_as_a_reconnect_is_asked_still_stops() -> None:
    """Closing a console window as its console is told to reconnect (or as a refused connect
    completes) must end the console: otherwise the window's close waits for the session thread,
    which goes on reconnecting in the background."""
    source = CountedDoors(tcp(closed_port()))

    async def run() -> None:
        live = LiveConsole(source, Heard(), SessionOptions(timeout=3), Backoff(5.0, 2.0, 5.0))
        task = asyncio.create_task(live.run())
        await until(lambda: live.state.phase is Phase.WAITING)
        live.reconnect_now()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=1)
        if not done:  # end it for good before saying so
            task.cancel()
            await asyncio.wait({task}, timeout=1)
        assert done, f"still running after stop: {live.state}, {source.asked} attempts"

    asyncio.run(run())


def test_a_session_stopped_while_it_closes_stays_stopped() -> None:
    """A live console is stopped by cancelling its task; when the stop comes as a connection
    is being closed (every failed attempt closes one), it must not be lost: the console would
    go on reconnecting behind a closed window."""

    async def run(server: RfbServer) -> None:
        session = ConsoleSession(tcp(server.port), None, SessionOptions(timeout=3))
        await session.connect()
        closing = asyncio.create_task(session.close())
        await asyncio.sleep(0)  # closing: waiting for the connection to be closed
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing

    with RfbServer() as server:
        asyncio.run(run(server))
