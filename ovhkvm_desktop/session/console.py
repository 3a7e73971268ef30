"""One console connection on an asyncio loop: connect through a console source (its doors, with
the fallback rule), handshake, negotiate, read, send input, close.

The session reports what happens through a ``SessionListener``; the command line and the Qt
window's bridge are listeners. Input methods take the user's intents (key events from the
keyboard translator, pointer, a remote size, clipboard text) and turn them into protocol
messages: nothing outside this package speaks the protocol. They may be called from the loop's
thread only; from other threads use ``call_soon_threadsafe`` (``LiveConsole``'s bridge does).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from ovhkvm_desktop.errors import (
    ConnectFailed,
    ConnectionLost,
    ConsoleError,
    Unreachable,
)
from ovhkvm_desktop.handshake import ServerInfo, handshake
from ovhkvm_desktop.keyboard import WireKeyEvent
from ovhkvm_desktop.rfb import events as ev
from ovhkvm_desktop.rfb import messages
from ovhkvm_desktop.rfb.connection import DEFAULT_ENCODINGS, Connection
from ovhkvm_desktop.rfb.encodings import EXTENSION_NAMES, Encoding
from ovhkvm_desktop.rfb.errors import ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.session.source import ConsoleSource, Door, as_source
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.transport import ByteStream, open_stream
from ovhkvm_desktop.words import N_, _

#: Bytes read at once: enough to take a busy screen's updates in few system calls.
READ_CHUNK = 64 << 10
#: Decoding time per turn of the loop, in seconds: input queued meanwhile (key presses from the
#: window's thread) waits this long, and one rectangle more, at most.
DECODE_SLICE = 0.001
#: How often a door whose port is not open yet is tried again, in seconds.
PORT_RETRY_INTERVAL = 2.0


@dataclass
class SessionOptions:
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    timeout: float = 15.0
    encodings: tuple[int, ...] = tuple(DEFAULT_ENCODINGS)
    compression: int | None = 6
    quality: int | None = None


@dataclass(frozen=True)
class Capabilities:
    """What the server acknowledged that changes what the user can do."""

    extended_keys: bool = False  # QEMU extended key events: scancodes reach the guest
    remote_resize: bool = False  # ExtendedDesktopSize: the window may set the screen's size
    leds: bool = False  # QEMU LED state: Caps and Num Lock are known


class SessionListener:
    """Override what you need; every method is called on the session's loop thread."""

    def on_progress(self, message: str) -> None:
        """Something to tell the user while connecting (a door failed, a port is not open)."""

    def on_connected(self, info: ServerInfo, framebuffer: Framebuffer, encrypted: bool) -> None:
        """Connected: ``encrypted`` says whether the console's bytes travel under TLS."""

    def on_update(self, rects: list[Rect]) -> None: ...
    def on_resize(self, width: int, height: int) -> None: ...
    def on_cursor(self, cursor: ev.CursorChanged) -> None: ...
    def on_bell(self) -> None: ...
    def on_clipboard(self, text: str) -> None: ...
    def on_leds(self, leds: ev.LedState) -> None: ...
    def on_pointer_mode(self, absolute: bool) -> None: ...
    def on_capabilities(self, capabilities: Capabilities) -> None: ...
    def on_resize_refused(self, reason: str) -> None:
        """The server kept its screen size after our request, for ``reason`` (words)."""

    def on_event(self, event: ev.Event) -> None:
        """Every protocol event, including those above (for status displays and tests)."""

    def on_disconnected(self, reason: str | None) -> None:
        """The session ended: ``reason`` is None when we closed it ourselves."""


_RESIZE_REFUSALS = {
    1: N_("resizing is not allowed"),
    2: N_("out of resources"),
    3: N_("invalid layout"),
}


class ConsoleSession:
    """One console connection. ``await session.connect()`` then ``await session.run()``."""

    def __init__(
        self,
        source: ConsoleSource | ConsoleTarget,
        listener: SessionListener | None = None,
        options: SessionOptions | None = None,
    ) -> None:
        self.source = as_source(source)
        self.listener = listener or SessionListener()
        self.options = options or SessionOptions()
        self.target: ConsoleTarget | None = None
        self.door: Door | None = None
        self.info: ServerInfo | None = None
        self.connection: Connection | None = None
        self.capabilities = Capabilities()
        self._stream: ByteStream | None = None
        self._stack = contextlib.AsyncExitStack()
        self._closing = False
        self._ended: ConsoleError | None = None
        self._screen = (0, 0)  # the id and flags of the server's first screen
        self.bytes_received = 0
        self.updates = 0
        self.connected_at = 0.0

    @property
    def framebuffer(self) -> Framebuffer:
        assert self.connection is not None, "not connected"
        return self.connection.fb

    @property
    def acknowledged(self) -> set[int]:
        return set(self.connection.acknowledged) if self.connection else set()

    @property
    def extensions(self) -> list[str]:
        """What the server acknowledged, by the names of `info --json`."""
        acked = self.acknowledged
        return [name for code, name in EXTENSION_NAMES.items() if code in acked]

    @property
    def encoding_name(self) -> str | None:
        """The data encoding of the last rectangle decoded (e.g. "tight")."""
        code = self.connection.last_encoding if self.connection else None
        if code is None:
            return None
        try:
            return Encoding(code).name.lower()
        except ValueError:
            return str(code)

    @property
    def encrypted(self) -> bool:
        """Whether the console's bytes travel under TLS (``wss://``)."""
        target = self.target
        return target is not None and target.url.lower().startswith("wss:")

    # -- connecting ----------------------------------------------------------------------------

    async def connect(self) -> ServerInfo:
        """Connect through the first door that opens; raises ``ConsoleError``.

        The fallback rule: only a door that nothing answered (``Unreachable``: refused, timed
        out, no route) lets the next one be tried. A TLS failure, a refused password, a proxy
        that answered with an error: each is a stop, said as it is, and nothing is remembered.
        """
        source = self.source
        async for door in source.doors():
            try:
                info = await self._connect_door(door)
            except Unreachable as exc:
                source.door_failed(door, exc)
                if door.name:
                    self.listener.on_progress(
                        _(
                            "the {door} console did not connect ({reason}); trying the next way in"
                        ).format(door=door.name, reason=exc)
                    )
                continue
            source.connected(door)
            return info
        raise source.exhausted()

    async def _connect_door(self, door: Door) -> ServerInfo:
        target = door.target
        if target.password is None and self.options.password is not None:
            target = target.with_password(self.options.password)
        self.target, self.door = target, door
        timeout = self.options.timeout
        self._stream = await self._open(door, target)
        try:
            async with asyncio.timeout(timeout):  # (asyncio.wait_for may swallow a cancel)
                info = await self._stack.enter_async_context(
                    handshake(self._stream, target.password)
                )
        except TimeoutError:
            await self._stream.close()
            raise ConnectFailed(
                _("{where} did not complete the VNC handshake within {seconds} s").format(
                    where=target.display, seconds=f"{timeout:g}"
                )
            ) from None
        except BaseException:
            await self._stream.close()
            raise
        self.info = info
        try:
            self.connection = Connection(info.width, info.height, info.name)
        except ProtocolError as exc:
            await self.close()
            raise ConsoleError(
                _("{where}: {reason}").format(where=target.display, reason=exc)
            ) from None
        self.connection.start(
            self.options.encodings, self.options.compression, self.options.quality
        )
        self._flush()
        self.connected_at = time.monotonic()
        self.listener.on_connected(info, self.connection.fb, self.encrypted)
        return info

    async def _open(self, door: Door, target: ConsoleTarget) -> ByteStream:
        """The door's byte stream; a port that opens late is tried again until it does."""
        start = time.monotonic()
        announced = False
        where, name = target.display, door.name
        while True:
            try:
                stream = await open_stream(
                    target, timeout=self.options.timeout, ca_file=self.options.ca_file
                )
            except Unreachable:
                waited = time.monotonic() - start
                if waited >= door.opens_within:
                    if door.opens_within:
                        raise Unreachable(
                            _port_words(
                                N_(
                                    "the {door} console port {where} did not open within"
                                    " {seconds} s: retry in a few minutes"
                                ),
                                N_(
                                    "the console port {where} did not open within {seconds} s:"
                                    " retry in a few minutes"
                                ),
                                door=name,
                                where=where,
                                seconds=f"{door.opens_within:g}",
                            )
                        ) from None
                    raise
                self.listener.on_progress(
                    _port_words(
                        N_(
                            "waiting for the {door} console port {where} to open ({waited} s of"
                            " {seconds} s)"
                        ),
                        N_(
                            "waiting for the console port {where} to open ({waited} s of"
                            " {seconds} s)"
                        ),
                        door=name,
                        where=where,
                        waited=int(waited),
                        seconds=f"{door.opens_within:g}",
                    )
                )
                announced = True
                await asyncio.sleep(min(PORT_RETRY_INTERVAL, max(0.0, door.opens_within - waited)))
                continue
            if announced:
                self.listener.on_progress(
                    _port_words(
                        N_("the {door} console port {where} is open"),
                        N_("the console port {where} is open"),
                        door=name,
                        where=where,
                    )
                )
            return stream

    # -- reading -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Read until the connection ends; raises ``ConnectionLost`` unless closed by us."""
        assert self._stream is not None and self.connection is not None
        stream = self._stream
        reader = stream.reader
        conn = self.connection
        reason: str | None = None
        try:
            while True:
                data = await reader.read(READ_CHUNK)
                if not data:
                    raise ConnectionLost(_("the server closed the connection"))
                self.bytes_received += len(data)
                while True:
                    events = conn.receive_bytes(data, time.perf_counter() + DECODE_SLICE)
                    if self._flush():
                        # A server that stops reading stops being read: our own output (update
                        # requests, clipboard answers) never piles up without end.
                        await stream.writer.drain()
                    for event in events:
                        self._dispatch(event)
                    # A read from a full buffer does not yield: let queued input go out first.
                    await asyncio.sleep(0)
                    if not conn.paused:
                        break
                    data = b""
        except ProtocolError as exc:
            reason = _("the server sent something this client cannot read: {reason}").format(
                reason=exc
            )
        except ConnectionLost as exc:
            reason = str(exc)
        except (ConnectionError, OSError) as exc:
            detail = exc.strerror or str(exc) or type(exc).__name__
            # A transport's own sentence (a WebSocket ping unanswered) reads after a colon.
            reason = _("the connection was lost: {reason}").format(reason=detail)
        except asyncio.CancelledError:
            reason = None
            raise
        finally:
            if self._closing:
                reason = None
            self._ended = ConnectionLost(reason or _("the console was closed"))
            await self._shutdown()
            self.listener.on_disconnected(reason)
        if reason is not None:
            raise ConnectionLost(reason)

    def _dispatch(self, event: ev.Event) -> None:
        listener = self.listener
        match event:
            case ev.FramebufferUpdated(rects=rects):
                self.updates += 1
                listener.on_update(rects)
            case ev.DesktopResized(width=w, height=h):
                listener.on_resize(w, h)
            case ev.CursorChanged():
                listener.on_cursor(event)
            case ev.Bell():
                listener.on_bell()
            case ev.ServerCutText(text=text):
                listener.on_clipboard(text)
            case ev.LedState():
                listener.on_leds(event)
            case ev.PointerModeChanged(absolute=absolute):
                listener.on_pointer_mode(absolute)
            case ev.ExtendedDesktopSizeReply():
                if event.screens:
                    self._screen = (event.screens[0].id, event.screens[0].flags)
                if event.reason == 1 and event.status != 0:
                    listener.on_resize_refused(_(_RESIZE_REFUSALS.get(event.status, N_("refused"))))
                self._update_capabilities()
            case ev.ExtensionAcknowledged():
                self._update_capabilities()
        listener.on_event(event)

    def _update_capabilities(self) -> None:
        acked = self.connection.acknowledged if self.connection else set()
        now = Capabilities(
            extended_keys=Encoding.QEMU_EXTENDED_KEY_EVENT in acked,
            remote_resize=Encoding.EXTENDED_DESKTOP_SIZE in acked,
            leds=Encoding.QEMU_LED_STATE in acked,
        )
        if now != self.capabilities:
            self.capabilities = now
            self.listener.on_capabilities(now)

    def _flush(self) -> bool:
        """Hand what the protocol core queued to the transport; whether there was any."""
        if self.connection is None or self._stream is None or self._closing:
            return False
        out = self.connection.data_to_send()
        if out:
            # A failed write is reported by the read loop, which sees the connection end.
            with contextlib.suppress(ConnectionError, OSError, RuntimeError):
                self._stream.writer.write(out)
        return bool(out)

    # -- input (call on the loop's thread) -----------------------------------------------------

    def check_alive(self) -> None:
        """Raise the reason the connection ended, if it did."""
        if self._ended is not None:
            raise self._ended
        if self.connection is None or self._stream is None:
            raise ConnectionLost(_("the console is not connected"))

    def _send(self, data: Iterable[bytes]) -> None:
        if self.connection is None:
            return
        for message in data:
            self.connection.send(message)
        self._flush()

    def send_key_events(self, events: Iterable[WireKeyEvent]) -> None:
        """Send key events now, in order (QEMU extended ones with their scancode)."""
        self._send(_key_message(event) for event in events)

    def pointer_event(self, buttons: int, x: int, y: int) -> None:
        self._send([messages.pointer_event(buttons, x, y)])

    def set_desktop_size(self, width: int, height: int) -> bool:
        """Ask the server to make its screen ``width`` x ``height``; False when it cannot."""
        if not self.capabilities.remote_resize:
            return False
        screen_id, flags = self._screen
        self._send(
            [messages.set_desktop_size(width, height, [(screen_id, 0, 0, width, height, flags)])]
        )
        return True

    def send_clipboard(self, text: str) -> None:
        if self.connection is not None:
            self.connection.send_clipboard(text)
            self._flush()

    def round_trip_ms(self) -> float | None:
        """The network round-trip time to the server, when the transport knows it."""
        return self._stream.round_trip_ms() if self._stream is not None else None

    async def drain(self) -> None:
        """Wait until what was sent has left our buffers (or mostly: the transport's mark)."""
        if self._stream is not None:
            with contextlib.suppress(ConnectionError, OSError):
                await self._stream.writer.drain()

    # -- closing -------------------------------------------------------------------------------

    async def close(self) -> None:
        """End the session from our side (the read loop then ends without a reason)."""
        self._closing = True
        await self._shutdown()

    async def _shutdown(self) -> None:
        stream, self._stream = self._stream, None
        with contextlib.suppress(Exception):
            await self._stack.aclose()
        if stream is not None:
            await stream.close()


def _key_message(event: WireKeyEvent) -> bytes:
    if event.extended:
        return messages.qemu_extended_key_event(event.down, event.keysym, event.scancode)
    return messages.key_event(event.down, event.keysym)


def _port_words(named: str, unnamed: str, *, door: str | None, **values: object) -> str:
    """A sentence about a door's console port, in the user's language: ``named`` (marked with
    ``N_``) when the door has a name ("vnc"), else ``unnamed``."""
    return _(named).format(door=door, **values) if door else _(unnamed).format(**values)
