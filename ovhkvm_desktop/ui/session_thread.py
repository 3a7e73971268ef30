"""The live console on its own asyncio thread, and a bridge that turns its news into signals.

The session (``session.LiveConsole``) keeps the console connected, speaks the protocol and paces
typing; this module only carries intents from the GUI thread to the session's loop
(``call_soon_threadsafe``) and the session's news back as Qt signals (queued onto the GUI
thread by Qt, in order). News that a server may send faster than anyone can look at it (screen
updates, bells, resizes, clipboard texts) is coalesced: at most one queued signal of each kind
waits for the GUI thread at a time, carrying the latest value.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Signal, SignalInstance

from ovhkvm_desktop.keyboard import WireKeyEvent
from ovhkvm_desktop.rfb import events as ev
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.session import (
    Backoff,
    Capabilities,
    ConnectionState,
    ConsoleSession,
    ConsoleSource,
    LiveConsole,
    LiveListener,
    Phase,
    ServerInfo,
    SessionOptions,
    Traffic,
)
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.ui.dirty import coalesce

__all__ = ["Backoff", "ConnectionState", "Phase", "SessionThread", "tune_interpreter"]

#: The interpreter's thread switch interval while a console runs, in seconds (see `start`).
GUI_SWITCH_INTERVAL = 0.001
#: The shortest time between two bells shown (a server may ring thousands a second).
BELL_INTERVAL = 0.2
#: How often typing progress is reported, at most, in seconds.
PROGRESS_INTERVAL = 0.05


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


class _Latest:
    """A value a thread posts and the GUI thread takes: a signal is queued only when none
    waits already, so a flood costs one queued signal, not one per message."""

    def __init__(self, emit: Callable[[], None]) -> None:
        self._emit = emit
        self._lock = threading.Lock()
        self._posted = False
        self.value: object = None

    def post(self, value: object) -> None:
        with self._lock:
            self.value = value
            if self._posted:
                return
            self._posted = True
        with contextlib.suppress(RuntimeError):  # the window is gone
            self._emit()

    def take(self) -> object:
        with self._lock:
            value, self.value = self.value, None
            self._posted = False
        return value


class SessionThread(QObject):
    """Runs one live console (and its reconnections) on a thread of its own."""

    connected = Signal(object, object, bool)  # ServerInfo, Framebuffer, encrypted
    frame = Signal()  # dirty rectangles are waiting: take_dirty()
    resized = Signal(int, int)  # the latest size (several resizes in a row: the last)
    cursor_changed = Signal(object)  # rfb.events.CursorChanged
    bell = Signal()
    clipboard = Signal(str)  # the server's latest clipboard text
    leds = Signal(object)  # rfb.events.LedState
    pointer_mode = Signal(bool)  # absolute?
    capabilities = Signal(object)  # session.Capabilities
    resize_refused = Signal(str)  # why the server kept its size, in words
    progress = Signal(str)  # what connecting is doing (a door failed, a port opens late)
    state_changed = Signal(object)  # ConnectionState
    typing_progress = Signal(int, int)  # events sent, events in all
    typing_finished = Signal(bool)  # True when cancelled or cut short
    _resized = Signal()
    _clipboard = Signal()

    def __init__(
        self,
        source: ConsoleSource | ConsoleTarget,
        options: SessionOptions | None = None,
        backoff: Backoff | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.live = LiveConsole(source, _Listener(self), options, backoff)
        self.state = ConnectionState(Phase.CONNECTING)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._dirty: list[Rect] = []
        self._dirty_lock = threading.Lock()
        self._frame_posted = False
        self._last_bell = 0.0
        self._size = _Latest(self._resized.emit)
        self._text = _Latest(self._clipboard.emit)
        self._resized.connect(self._emit_resized)
        self._clipboard.connect(self._emit_clipboard)

    @property
    def session(self) -> ConsoleSession | None:
        """The connection, while there is one (its methods belong to the session's thread)."""
        return self.live.session

    @property
    def traffic(self) -> Traffic:
        return self.live.traffic

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
            self._main = loop.create_task(self.live.run())
            self._ready.set()
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(self._main)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    # -- intents, from the GUI thread -------------------------------------------------------

    def _call(self, func: Callable[..., object], *args: object) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(func, *args)

    def reconnect_now(self) -> None:
        self._call(self.live.reconnect_now)

    def cancel_reconnect(self) -> None:
        self._call(self.live.cancel_reconnect)

    def send_keys(self, events: Sequence[WireKeyEvent]) -> None:
        """Send key events now, in order (the user's own keys: no pacing, no delay)."""
        if events:
            self._call(self.live.send_keys, list(events))

    def pointer(self, buttons: int, x: int, y: int) -> None:
        self._call(self.live.pointer, buttons, x, y)

    def send_clipboard(self, text: str) -> None:
        self._call(self.live.send_clipboard, text)

    def set_desktop_size(self, width: int, height: int) -> None:
        self._call(self.live.set_desktop_size, width, height)

    def type_events(
        self, events: Sequence[WireKeyEvent], delay: float, report: bool = True
    ) -> None:
        """Send key events paced ``delay`` seconds apart (the session's one pacing rule).

        With ``report``, this is the typing of a text: progress and the end are signalled and
        ``cancel_typing`` stops it. Without, a short combination, sent on its own.
        """
        if report:
            self._call(self.live.type_text, list(events), delay)
        else:
            self._call(self.live.send_combo, list(events), delay)

    def cancel_typing(self) -> None:
        self._call(self.live.cancel_typing)

    # -- news, from the loop thread ---------------------------------------------------------

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

    def _emit_resized(self) -> None:
        size = self._size.take()
        if isinstance(size, tuple):
            self.resized.emit(*size)

    def _emit_clipboard(self) -> None:
        text = self._text.take()
        if isinstance(text, str):
            self.clipboard.emit(text)


class _Listener(LiveListener):
    """Forwards the live console's news to the bridge's signals (runs on the loop thread)."""

    def __init__(self, bridge: SessionThread) -> None:
        self._bridge = bridge
        self._last_progress = 0.0

    def _emit(self, signal: SignalInstance, *args: object) -> None:
        # The window (and this bridge's Qt half) may be gone while the thread winds down.
        with contextlib.suppress(RuntimeError):
            signal.emit(*args)

    def on_state(self, state: ConnectionState) -> None:
        self._bridge.state = state
        self._emit(self._bridge.state_changed, state)

    def on_progress(self, message: str) -> None:
        self._emit(self._bridge.progress, message)

    def on_connected(self, info: ServerInfo, framebuffer: Framebuffer, encrypted: bool) -> None:
        self._emit(self._bridge.connected, info, framebuffer, encrypted)

    def on_update(self, rects: list[Rect]) -> None:
        session = self._bridge.session
        if rects and session is not None:
            # Merged here, on the loop thread, so that the GUI thread (which must answer the
            # user's keys at once) gets a few areas, not a busy screen's thousand rectangles.
            fb = session.framebuffer
            self._bridge._post_dirty(coalesce(rects, fb.width, fb.height))

    def on_resize(self, width: int, height: int) -> None:
        self._bridge._size.post((width, height))

    def on_cursor(self, cursor: ev.CursorChanged) -> None:
        self._emit(self._bridge.cursor_changed, cursor)

    def on_bell(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now - self._bridge._last_bell >= BELL_INTERVAL:
            self._bridge._last_bell = now
            self._emit(self._bridge.bell)

    def on_clipboard(self, text: str) -> None:
        self._bridge._text.post(text)

    def on_leds(self, leds: ev.LedState) -> None:
        self._emit(self._bridge.leds, leds)

    def on_pointer_mode(self, absolute: bool) -> None:
        self._emit(self._bridge.pointer_mode, absolute)

    def on_capabilities(self, capabilities: Capabilities) -> None:
        self._emit(self._bridge.capabilities, capabilities)

    def on_resize_refused(self, reason: str) -> None:
        self._emit(self._bridge.resize_refused, reason)

    def on_typing_progress(self, sent: int, total: int) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._last_progress > PROGRESS_INTERVAL or sent == total:
            self._last_progress = now
            self._emit(self._bridge.typing_progress, sent, total)

    def on_typing_finished(self, cancelled: bool) -> None:
        self._emit(self._bridge.typing_finished, cancelled)
