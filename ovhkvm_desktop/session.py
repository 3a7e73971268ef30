"""One live console on an asyncio loop: connect, handshake, negotiate, read, send input, close.

The session reports what happens through a ``SessionListener``; the command line and the Qt
window are both listeners. Input methods may be called from the loop's thread only; from other
threads use ``call_soon_threadsafe`` (the window does, through its bridge).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from ovhkvm_desktop.errors import ConnectFailed, ConnectionLost, ConsoleError
from ovhkvm_desktop.handshake import ServerInfo, handshake
from ovhkvm_desktop.rfb import events as ev
from ovhkvm_desktop.rfb import messages
from ovhkvm_desktop.rfb.connection import DEFAULT_ENCODINGS, Connection
from ovhkvm_desktop.rfb.errors import ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.transport import ByteStream, open_stream

#: Bytes read at once: enough to take a busy screen's updates in few system calls.
READ_CHUNK = 64 << 10
#: Decoding time per turn of the loop, in seconds: input queued meanwhile (key presses from the
#: window's thread) waits this long, and one rectangle more, at most.
DECODE_SLICE = 0.001

#: A target, or something that fetches a fresh one for each attempt (OVH console tokens expire).
TargetSource = ConsoleTarget | Callable[[], Awaitable[ConsoleTarget]]


@dataclass
class SessionOptions:
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    timeout: float = 15.0
    encodings: tuple[int, ...] = tuple(DEFAULT_ENCODINGS)
    compression: int | None = 6
    quality: int | None = None


class SessionListener:
    """Override what you need; every method is called on the session's loop thread."""

    def on_connected(self, info: ServerInfo, framebuffer: Framebuffer) -> None: ...
    def on_update(self, rects: list[Rect]) -> None: ...
    def on_resize(self, width: int, height: int) -> None: ...
    def on_cursor(self, cursor: ev.CursorChanged) -> None: ...
    def on_bell(self) -> None: ...
    def on_clipboard(self, text: str) -> None: ...
    def on_leds(self, leds: ev.LedState) -> None: ...
    def on_pointer_mode(self, absolute: bool) -> None: ...
    def on_event(self, event: ev.Event) -> None:
        """Every protocol event, including those above (for status displays and tests)."""

    def on_disconnected(self, reason: str | None) -> None:
        """The session ended: ``reason`` is None when we closed it ourselves."""


class ConsoleSession:
    """One console connection. ``await session.connect()`` then ``await session.run()``."""

    def __init__(
        self,
        target: TargetSource,
        listener: SessionListener | None = None,
        options: SessionOptions | None = None,
    ) -> None:
        self._target_source = target
        self.listener = listener or SessionListener()
        self.options = options or SessionOptions()
        self.target: ConsoleTarget | None = None
        self.info: ServerInfo | None = None
        self.connection: Connection | None = None
        self._stream: ByteStream | None = None
        self._stack = contextlib.AsyncExitStack()
        self._closing = False
        self.bytes_received = 0
        self.connected_at = 0.0

    @property
    def framebuffer(self) -> Framebuffer:
        assert self.connection is not None, "not connected"
        return self.connection.fb

    @property
    def acknowledged(self) -> set[int]:
        return set(self.connection.acknowledged) if self.connection else set()

    async def connect(self) -> ServerInfo:
        """Open the transport, authenticate and negotiate; raises ``ConsoleError``."""
        source = self._target_source
        target = source if isinstance(source, ConsoleTarget) else await source()
        if target.password is None and self.options.password is not None:
            target = target.with_password(self.options.password)
        self.target = target
        timeout = self.options.timeout
        self._stream = await open_stream(target, timeout=timeout, ca_file=self.options.ca_file)
        try:
            info = await asyncio.wait_for(
                self._stack.enter_async_context(handshake(self._stream, target.password)),
                timeout,
            )
        except TimeoutError:
            await self._stream.close()
            raise ConnectFailed(
                f"{target.display} did not complete the VNC handshake within {timeout:g} s"
            ) from None
        except BaseException:
            await self._stream.close()
            raise
        self.info = info
        try:
            self.connection = Connection(info.width, info.height, info.name)
        except ProtocolError as exc:
            await self.close()
            raise ConsoleError(f"{target.display}: {exc}") from None
        self.connection.start(
            self.options.encodings, self.options.compression, self.options.quality
        )
        self._flush()
        self.connected_at = time.monotonic()
        self.listener.on_connected(info, self.connection.fb)
        return info

    async def run(self) -> None:
        """Read until the connection ends; raises ``ConnectionLost`` unless closed by us."""
        assert self._stream is not None and self.connection is not None
        reader = self._stream.reader
        conn = self.connection
        reason: str | None = None
        try:
            while True:
                data = await reader.read(READ_CHUNK)
                if not data:
                    raise ConnectionLost("the server closed the connection")
                self.bytes_received += len(data)
                while True:
                    events = conn.receive_bytes(data, time.perf_counter() + DECODE_SLICE)
                    self._flush()
                    for event in events:
                        self._dispatch(event)
                    # A read from a full buffer does not yield: let queued input go out first.
                    await asyncio.sleep(0)
                    if not conn.paused:
                        break
                    data = b""
        except ProtocolError as exc:
            reason = f"the server sent something this client cannot read: {exc}"
        except ConnectionLost as exc:
            reason = str(exc)
        except (ConnectionError, OSError) as exc:
            reason = f"the connection was lost ({exc.strerror or exc or type(exc).__name__})"
        except asyncio.CancelledError:
            reason = None
            raise
        finally:
            if self._closing:
                reason = None
            await self._shutdown()
            self.listener.on_disconnected(reason)
        if reason is not None:
            raise ConnectionLost(reason)

    def _dispatch(self, event: ev.Event) -> None:
        listener = self.listener
        match event:
            case ev.FramebufferUpdated(rects=rects):
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
        listener.on_event(event)

    def _flush(self) -> None:
        if self.connection is None or self._stream is None or self._closing:
            return
        out = self.connection.data_to_send()
        if out:
            # A failed write is reported by the read loop, which sees the connection end.
            with contextlib.suppress(ConnectionError, OSError, RuntimeError):
                self._stream.writer.write(out)

    # -- input (call on the loop's thread) ---------------------------------------------------

    def send_messages(self, data: Iterable[bytes]) -> None:
        """Send client messages (from ``rfb.messages``) at once, in order."""
        if self.connection is None:
            return
        for message in data:
            self.connection.send(message)
        self._flush()

    def key_event(self, down: bool, keysym: int) -> None:
        self.send_messages([messages.key_event(down, keysym)])

    def qemu_key_event(self, down: bool, keysym: int, keycode: int) -> None:
        self.send_messages([messages.qemu_extended_key_event(down, keysym, keycode)])

    def pointer_event(self, buttons: int, x: int, y: int) -> None:
        self.send_messages([messages.pointer_event(buttons, x, y)])

    def send_clipboard(self, text: str) -> None:
        if self.connection is not None:
            self.connection.send_clipboard(text)
            self._flush()

    def round_trip_ms(self) -> float | None:
        """The network round-trip time to the server, when the transport knows it."""
        return self._stream.round_trip_ms() if self._stream is not None else None

    async def drain(self) -> None:
        """Wait until what was sent has left our buffers."""
        if self._stream is not None:
            with contextlib.suppress(ConnectionError, OSError):
                await self._stream.writer.drain()

    # -- closing -----------------------------------------------------------------------------

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
