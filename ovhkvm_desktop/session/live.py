"""A console kept live: connected, and connected again after a drop (backoff, a fresh console
from the source each time), with its state in words, the user's input, and paced typing.

No Qt and no thread of its own: ``await live.run()`` on any asyncio loop. The window runs it on
a thread and turns its listener's news into signals (``ui/session_thread.py``); every input
method must be called on the loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from ovhkvm_desktop.errors import AuthenticationFailed, ConsoleError, TlsFailed
from ovhkvm_desktop.keyboard import WireKeyEvent
from ovhkvm_desktop.session import pacing
from ovhkvm_desktop.session.console import ConsoleSession, SessionListener, SessionOptions
from ovhkvm_desktop.session.source import ConsoleSource
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.words import _


class Phase(enum.Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    WAITING = "waiting"  # the connection ended; reconnecting after `delay`, or on request
    STOPPED = "stopped"  # the console was closed


@dataclass(frozen=True)
class ConnectionState:
    phase: Phase
    reason: str | None = None  # why the last connection ended, in words
    attempt: int = 0  # failed attempts in a row
    delay: float | None = None  # seconds until the next attempt; None: waits to be asked


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait before reconnection attempt n (1, 2, 4... up to ``maximum``)."""

    first: float = 1.0
    factor: float = 2.0
    maximum: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.maximum, self.first * self.factor ** max(0, attempt - 1))


@dataclass
class Traffic:
    """Counters a status display turns into rates (plain values: readable from any thread)."""

    bytes_received: int = 0
    updates: int = 0
    rtt_ms: float | None = None
    encoding: str | None = None


class LiveListener(SessionListener):
    """A session listener that also hears the live console's own news."""

    def on_state(self, state: ConnectionState) -> None: ...
    def on_typing_progress(self, sent: int, total: int) -> None: ...
    def on_typing_finished(self, cancelled: bool) -> None:
        """A text's typing ended: ``cancelled`` when cut short (cancel, connection lost)."""


class LiveConsole:
    """One console kept connected until the task running ``run()`` is cancelled."""

    def __init__(
        self,
        source: ConsoleSource | ConsoleTarget,
        listener: LiveListener,
        options: SessionOptions | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.source = source
        self.listener = listener
        self.options = options or SessionOptions()
        self.backoff = backoff or Backoff()
        self._rtt_ms: float | None = None
        self.state = ConnectionState(Phase.CONNECTING)
        self.session: ConsoleSession | None = None  # while connected
        self._wake = asyncio.Event()
        self._auto_retry = True
        self._cancelled = False
        self._retry_now = False
        self._typing: asyncio.Task[None] | None = None
        self._combos: set[asyncio.Task[None]] = set()

    # -- keeping it connected ------------------------------------------------------------------

    async def run(self) -> None:
        failures = 0
        rtt = asyncio.create_task(self._measure_rtt())
        try:
            while True:
                self._set_state(ConnectionState(Phase.CONNECTING, attempt=failures))
                reason, retry = await self._one_session()
                failures += 1
                if self.state.phase is Phase.CONNECTED:
                    failures = 1  # it worked until now: start the backoff over
                await self._wait_before_retry(reason, failures, retry)
        finally:
            rtt.cancel()
            self._cancel_typing_now()
            for combo in self._combos:
                combo.cancel()
            session, self.session = self.session, None
            if session is not None:
                await session.close()
            self._set_state(ConnectionState(Phase.STOPPED))

    async def _one_session(self) -> tuple[str, bool]:
        """Connect and read until the end; why it ended, and whether to retry on our own."""
        session = ConsoleSession(self.source, self.listener, self.options)
        try:
            await session.connect()
            self.session = session
            self._set_state(ConnectionState(Phase.CONNECTED))
            await session.run()
            return _("the console closed"), True
        except (AuthenticationFailed, TlsFailed) as exc:
            return str(exc), False  # the same password, the same certificate, will fail again
        except ConsoleError as exc:
            return str(exc), True
        except OSError as exc:
            return _("the connection failed ({reason})").format(reason=exc.strerror or exc), True
        finally:
            self.session = None
            self._cancel_typing_now()
            with contextlib.suppress(Exception):
                await session.close()

    async def _wait_before_retry(self, reason: str, attempt: int, retry: bool) -> None:
        self._auto_retry = retry and not self._cancelled
        while True:
            delay = self.backoff.delay(attempt) if self._auto_retry else None
            self._set_state(ConnectionState(Phase.WAITING, reason, attempt, delay))
            self._wake.clear()
            try:
                # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation (the window
                # closing) that comes as the wait ends (a reconnect asked at that moment).
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            except TimeoutError:
                return  # the backoff elapsed
            if self._auto_retry or self._retry_now:
                self._retry_now = False
                return
            # cancelled: the state now says so, and we wait for "reconnect"

    def _set_state(self, state: ConnectionState) -> None:
        self.state = state
        self.listener.on_state(state)

    def reconnect_now(self) -> None:
        self._retry_now = True
        self._cancelled = False
        self._wake.set()

    def cancel_reconnect(self) -> None:
        self._auto_retry = False
        # Kept until "reconnect": a cancel during an attempt also stops the retries after it.
        self._cancelled = True
        self._wake.set()

    async def _measure_rtt(self) -> None:
        """The TCP round-trip time the kernel estimates (Linux), once a second."""
        while True:
            await asyncio.sleep(1.0)
            session = self.session
            self._rtt_ms = session.round_trip_ms() if session is not None else None

    @property
    def traffic(self) -> Traffic:
        """The current connection's counters (readable from any thread)."""
        session = self.session
        if session is None:
            return Traffic()
        return Traffic(session.bytes_received, session.updates, self._rtt_ms, session.encoding_name)

    # -- input -----------------------------------------------------------------------------

    def send_keys(self, events: Sequence[WireKeyEvent]) -> None:
        """The user's own keys: sent now, in order (no pacing: the user is the pace)."""
        if self.session is not None:
            self.session.send_key_events(events)

    def pointer(self, buttons: int, x: int, y: int) -> None:
        if self.session is not None:
            self.session.pointer_event(buttons, x, y)

    def send_clipboard(self, text: str) -> None:
        if self.session is not None:
            self.session.send_clipboard(text)

    def set_desktop_size(self, width: int, height: int) -> None:
        if self.session is not None:
            self.session.set_desktop_size(width, height)

    def type_text(self, events: Sequence[WireKeyEvent], delay: float) -> None:
        """Type a text's key events, paced; progress and the end go to the listener; a text
        already being typed is cut short first."""
        self._cancel_typing_now()
        self._typing = asyncio.get_running_loop().create_task(self._type(list(events), delay))

    def send_combo(self, events: Sequence[WireKeyEvent], delay: float) -> None:
        """A short combination (Ctrl+Alt+Del...), paced like a text, alongside it."""
        task = asyncio.get_running_loop().create_task(self._combo(list(events), delay))
        self._combos.add(task)
        task.add_done_callback(self._combos.discard)

    def cancel_typing(self) -> None:
        self._cancel_typing_now()

    def _cancel_typing_now(self) -> None:
        if self._typing is not None and not self._typing.done():
            self._typing.cancel()
        self._typing = None

    async def _type(self, events: list[WireKeyEvent], delay: float) -> None:
        finished = False
        try:
            session = self.session
            if session is not None:
                await pacing.type_events(
                    session, events, delay, progress=self.listener.on_typing_progress
                )
                finished = True
        except ConsoleError:
            pass  # the connection ended: the state says why
        finally:
            self.listener.on_typing_finished(not finished)

    async def _combo(self, events: list[WireKeyEvent], delay: float) -> None:
        session = self.session
        if session is not None:
            with contextlib.suppress(ConsoleError):
                await pacing.type_events(session, events, delay)
