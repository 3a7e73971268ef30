"""The console session on its own asyncio thread, and a bridge that turns its news into signals.

The GUI thread never touches the session: it calls this object's methods, which hand the work
to the session's loop with ``call_soon_threadsafe``, and it hears back through signals (queued
onto the GUI thread by Qt, in order). The connection is kept up: when it drops, the thread waits
(backoff) and connects again, asking the target source for a fresh target on each attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import gc
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from ovhkvm_desktop.errors import AuthenticationFailed, ConnectFailed, ConsoleError
from ovhkvm_desktop.handshake import ServerInfo
from ovhkvm_desktop.keyboard import WireKeyEvent
from ovhkvm_desktop.rfb import events as ev
from ovhkvm_desktop.rfb import messages
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.session import ConsoleSession, SessionListener, SessionOptions, TargetSource
from ovhkvm_desktop.ui.dirty import coalesce

#: The interpreter's thread switch interval while a console runs, in seconds (see `start`).
GUI_SWITCH_INTERVAL = 0.001


_frozen = False


def tune_interpreter() -> None:
    """Make Python answer the user within milliseconds while a console decodes a busy screen.

    - The session thread holds the GIL most of the time it decodes; each time the GUI thread
      wants it back (a key press, a paint) it waits up to the switch interval, 5 ms by default,
      and a key press needs it several times: 1 ms, for a few % of switching overhead.
    - A busy screen allocates thousands of objects per update, so the collector runs often, and
      each of its full collections walked every object of the program (~65,000: modules, Qt
      wrappers, keyboard tables), up to 50 ms with both threads stopped. Those that exist when
      the first console starts live as long as the program: frozen out of the collector, once
      per process, full collections look only at what came after (what a console creates stays
      collectable when it closes). Not preceded by a collection: collecting at that moment, on
      the GUI thread, made later windows of PySide6 6.11 sometimes miss their session's signals.
    """
    global _frozen
    sys.setswitchinterval(min(sys.getswitchinterval(), GUI_SWITCH_INTERVAL))
    if not _frozen:
        _frozen = True
        gc.freeze()


class Phase(enum.Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    WAITING = "waiting"  # the connection ended; reconnecting after `delay`, or on request
    STOPPED = "stopped"  # the window closed the session


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
    """Counters the status bar turns into rates (read from the GUI thread; plain ints)."""

    bytes_received: int = 0
    updates: int = 0
    rtt_ms: float | None = None
    encoding: int | None = None


class SessionThread(QObject):
    """Runs one console (and its reconnections) on a thread of its own."""

    connected = Signal(object, object)  # ServerInfo, Framebuffer
    frame = Signal()  # dirty rectangles are waiting: take_dirty()
    resized = Signal(int, int)
    cursor_changed = Signal(object)  # rfb.events.CursorChanged
    bell = Signal()
    clipboard = Signal(str)
    leds = Signal(object)  # rfb.events.LedState
    pointer_mode = Signal(bool)  # absolute?
    acknowledged = Signal(int)  # an extension the server confirmed (Encoding value)
    desktop_size = Signal(object)  # rfb.events.ExtendedDesktopSizeReply
    state_changed = Signal(object)  # ConnectionState
    typing_progress = Signal(int, int)  # events sent, events in all
    typing_finished = Signal(bool)  # True when cancelled or cut short

    def __init__(
        self,
        target: TargetSource,
        options: SessionOptions | None = None,
        backoff: Backoff | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._target = target
        self._options = options or SessionOptions()
        self.backoff = backoff or Backoff()
        self.traffic = Traffic()
        self.state = ConnectionState(Phase.CONNECTING)
        self.session: ConsoleSession | None = None  # on the loop thread only
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._dirty: list[Rect] = []
        self._dirty_lock = threading.Lock()
        self._frame_posted = False
        self._wake: asyncio.Event | None = None
        self._auto_retry = True
        self._cancelled = False
        self._retry_now = False
        self._typing: asyncio.Task[None] | None = None
        self._combos: set[asyncio.Task[None]] = set()

    # -- the thread -------------------------------------------------------------------------

    def start(self) -> None:
        tune_interpreter()
        self._thread = threading.Thread(
            target=self._run_thread, name="console-session", daemon=True
        )
        self._thread.start()
        self._ready.wait(5)

    def stop(self, timeout: float = 5.0) -> None:
        """End the session and the thread (from the GUI thread; blocks up to ``timeout``)."""
        loop, main = self._loop, self._main
        if loop is not None and main is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(main.cancel)
        if self._thread is not None:
            self._thread.join(timeout)

    def _run_thread(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._main = loop.create_task(self._keep_connected())
            self._ready.set()
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(self._main)
        finally:
            self._set_state(ConnectionState(Phase.STOPPED))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _keep_connected(self) -> None:
        self._wake = asyncio.Event()
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
            session, self.session = self.session, None
            if session is not None:
                await session.close()

    async def _one_session(self) -> tuple[str, bool]:
        """Connect and read until the end; returns why it ended and whether to retry alone."""
        session = ConsoleSession(self._target, _Listener(self), self._options)
        try:
            await self._connect(session)
            self.session = session
            self._set_state(ConnectionState(Phase.CONNECTED))
            await session.run()
            return "the console closed", True
        except AuthenticationFailed as exc:
            return str(exc), False  # the same password will fail again
        except ConsoleError as exc:
            return str(exc), True
        except OSError as exc:
            return f"the connection failed ({exc.strerror or exc})", True
        finally:
            self.session = None
            self._cancel_typing_now()
            with contextlib.suppress(Exception):
                await session.close()

    async def _connect(self, session: ConsoleSession) -> None:
        """Connect; for an OVH VPS, fall back to its next console door when one fails (as the
        command line's ``cli._connect``), starting again from the preferred door each attempt."""
        from ovhkvm_desktop.cloud.consoles import VpsConsole

        console = self._target if isinstance(self._target, VpsConsole) else None
        if console is not None:
            console.restart()
        while True:
            try:
                await session.connect()
            except (ConnectFailed, AuthenticationFailed) as exc:
                if console is None or console.door is None:
                    raise
                failed = console.door
                if not console.next_door(exc):
                    raise console.exhausted() from None
                console.progress(
                    f"the {failed} console did not connect ({exc}); trying the next way in"
                )
                continue
            if console is not None:
                console.connected()
            return

    async def _wait_before_retry(self, reason: str, attempt: int, retry: bool) -> None:
        assert self._wake is not None
        self._auto_retry = retry and not self._cancelled
        while True:
            delay = self.backoff.delay(attempt) if self._auto_retry else None
            self._set_state(ConnectionState(Phase.WAITING, reason, attempt, delay))
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                return  # the backoff elapsed
            if self._auto_retry or self._retry_now:
                self._retry_now = False
                return
            # cancelled: the state now says so, and we wait for "reconnect"

    def _set_state(self, state: ConnectionState) -> None:
        self.state = state
        # The window (and this bridge's Qt half) may be gone while the thread winds down.
        with contextlib.suppress(RuntimeError):
            self.state_changed.emit(state)

    # -- from the GUI thread ----------------------------------------------------------------

    def _call(self, func: Callable[..., object], *args: object) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(func, *args)

    def reconnect_now(self) -> None:
        def now() -> None:
            self._retry_now = True
            self._cancelled = False
            if self._wake is not None:
                self._wake.set()

        self._call(now)

    def cancel_reconnect(self) -> None:
        def cancel() -> None:
            self._auto_retry = False
            # Kept until "reconnect": a cancel during an attempt also stops the retries after it.
            self._cancelled = True
            if self._wake is not None:
                self._wake.set()

        self._call(cancel)

    def send_keys(self, events: Sequence[WireKeyEvent]) -> None:
        """Send key events now, in order (the user's own keys: no pacing, no delay)."""
        if events:
            self._call(self._send_keys, list(events))

    def _send_keys(self, events: list[WireKeyEvent]) -> None:
        session = self.session
        if session is None:
            return
        session.send_messages(_key_message(e) for e in events)

    def pointer(self, buttons: int, x: int, y: int) -> None:
        self._call(self._pointer, buttons, x, y)

    def _pointer(self, buttons: int, x: int, y: int) -> None:
        if self.session is not None:
            self.session.pointer_event(buttons, x, y)

    def send_clipboard(self, text: str) -> None:
        self._call(self._send_clipboard, text)

    def _send_clipboard(self, text: str) -> None:
        if self.session is not None:
            self.session.send_clipboard(text)

    def set_desktop_size(self, width: int, height: int, screen_id: int = 0, flags: int = 0) -> None:
        self._call(self._set_desktop_size, width, height, screen_id, flags)

    def _set_desktop_size(self, width: int, height: int, screen_id: int, flags: int) -> None:
        session = self.session
        if session is None or Encoding.EXTENDED_DESKTOP_SIZE not in session.acknowledged:
            return
        session.send_messages(
            [messages.set_desktop_size(width, height, [(screen_id, 0, 0, width, height, flags)])]
        )

    def type_events(
        self, events: Sequence[WireKeyEvent], delay: float, report: bool = True
    ) -> None:
        """Send key events ``delay`` seconds apart.

        With ``report``, this is the typing of a text: progress and the end are signalled and
        ``cancel_typing`` stops it. Without, a short combination, sent on its own.
        """
        if report:
            self._call(self._start_typing, list(events), delay)
        else:
            self._call(self._start_combo, list(events), delay)

    def cancel_typing(self) -> None:
        self._call(self._cancel_typing_now)

    def _start_typing(self, events: list[WireKeyEvent], delay: float) -> None:
        self._cancel_typing_now()
        self._typing = asyncio.get_running_loop().create_task(self._type(events, delay))

    def _start_combo(self, events: list[WireKeyEvent], delay: float) -> None:
        task = asyncio.get_running_loop().create_task(self._type(events, delay, report=False))
        self._combos.add(task)
        task.add_done_callback(self._combos.discard)

    def _cancel_typing_now(self) -> None:
        if self._typing is not None and not self._typing.done():
            self._typing.cancel()
        self._typing = None

    async def _type(self, events: list[WireKeyEvent], delay: float, report: bool = True) -> None:
        loop = asyncio.get_running_loop()
        held: dict[tuple[int, int], WireKeyEvent] = {}
        start = loop.time()
        last_report = 0.0
        total = len(events)
        finished = False
        try:
            for index, event in enumerate(events):
                session = self.session
                if session is None:
                    return
                session.send_messages([_key_message(event)])
                key = (event.scancode, 0 if event.scancode else event.keysym)
                if event.down:
                    held[key] = event
                else:
                    held.pop(key, None)
                now = loop.time()
                if report and (now - last_report > 0.05 or index + 1 == total):
                    last_report = now
                    self.typing_progress.emit(index + 1, total)
                wait = start + (index + 1) * delay - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            finished = True
        finally:
            session = self.session
            if held and session is not None:
                # Cut short: let go of what the text held down (Shift, AltGr...).
                session.send_messages(
                    _key_message(WireKeyEvent(False, e.keysym, e.scancode, e.extended))
                    for e in reversed(list(held.values()))
                )
            if report:
                self.typing_finished.emit(not finished)

    # -- from the loop thread ---------------------------------------------------------------

    def _post_dirty(self, rects: list[Rect]) -> None:
        with self._dirty_lock:
            self._dirty.extend(rects)
            if self._frame_posted:
                return
            self._frame_posted = True
        self.frame.emit()

    def take_dirty(self) -> list[Rect]:
        """The rectangles changed since the last call (GUI thread, on ``frame``)."""
        with self._dirty_lock:
            rects, self._dirty = self._dirty, []
            self._frame_posted = False
        return rects

    async def _measure_rtt(self) -> None:
        """The TCP round-trip time the kernel estimates (Linux), once a second."""
        while True:
            await asyncio.sleep(1.0)
            session = self.session
            self.traffic.rtt_ms = session.round_trip_ms() if session is not None else None


class _Listener(SessionListener):
    """Forwards the session's news to the bridge's signals (runs on the loop thread)."""

    def __init__(self, bridge: SessionThread) -> None:
        self._bridge = bridge

    def on_connected(self, info: ServerInfo, framebuffer: Framebuffer) -> None:
        self._bridge.connected.emit(info, framebuffer)

    def on_update(self, rects: list[Rect]) -> None:
        bridge = self._bridge
        bridge.traffic.updates += 1
        session = bridge.session
        if session is not None:
            bridge.traffic.bytes_received = session.bytes_received
            if session.connection is not None:
                bridge.traffic.encoding = session.connection.last_encoding
        if rects and session is not None and session.connection is not None:
            # Merged here, on the loop thread, so that the GUI thread (which must answer the
            # user's keys at once) gets a few areas, not a busy screen's thousand rectangles.
            fb = session.connection.fb
            bridge._post_dirty(coalesce(rects, fb.width, fb.height))

    def on_resize(self, width: int, height: int) -> None:
        self._bridge.resized.emit(width, height)

    def on_cursor(self, cursor: ev.CursorChanged) -> None:
        self._bridge.cursor_changed.emit(cursor)

    def on_bell(self) -> None:
        self._bridge.bell.emit()

    def on_clipboard(self, text: str) -> None:
        self._bridge.clipboard.emit(text)

    def on_leds(self, leds: ev.LedState) -> None:
        self._bridge.leds.emit(leds)

    def on_pointer_mode(self, absolute: bool) -> None:
        self._bridge.pointer_mode.emit(absolute)

    def on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.ExtensionAcknowledged):
            self._bridge.acknowledged.emit(int(event.encoding))
        elif isinstance(event, ev.ExtendedDesktopSizeReply):
            self._bridge.acknowledged.emit(int(Encoding.EXTENDED_DESKTOP_SIZE))
            self._bridge.desktop_size.emit(event)


def _key_message(event: WireKeyEvent) -> bytes:
    if event.extended:
        return messages.qemu_extended_key_event(event.down, event.keysym, event.scancode)
    return messages.key_event(event.down, event.keysym)
