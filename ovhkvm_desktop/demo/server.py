"""The demo console's RFB server: RFB 3.8 on loopback only, answering the way QEMU's VNC server
does, with the demo console (``DemoConsole``) as its screen and keyboard.

What a client meets, as with QEMU: versions 3.3, 3.7 and 3.8, security None, a 32-bit BGRX
ServerInit; SetPixelFormat (any true-colour format of 8, 16 or 32 bits) and SetEncodings (Raw,
or zlib when the client lists it before Raw: the first of the client's list the server knows);
one update per FramebufferUpdateRequest, holding only the rectangles that changed, an incremental
request waiting until something does; QEMU's extended key event (-258) and LED state (-261)
pseudo-encodings acknowledged at once in reply to SetEncodings, and the LEDs sent when they
change. Plain KeyEvents go through QEMU's default (en-us) keymap, keysym → scancode, as QEMU
started without ``-k`` does; extended ones carry the scancode itself. Without LED state, QEMU's
lock-key sync is modelled: a letter's case turns Caps Lock on or off before it is typed, and a
keypad key's keysym turns Num Lock on (a digit or the decimal point: KP_0..KP_9, KP_Decimal,
KP_Separator) or off (anything else, KP_End or KP_Subtract alike) before it is pressed.
``qemu_keys=False`` acknowledges neither (a server like any other: keys go as keysyms).

ExtendedDesktopSize (-308), as QEMU's ui/vnc.c answers it: a client that lists it gets, before
the pixels of every non-incremental update request, one rectangle of that pseudo-encoding
(reason 0, status 0) holding the screen's size and its one screen (id 0, flags 0); nothing at
SetEncodings, the size having not changed since ServerInit. SetDesktopSize is refused the way
QEMU refuses it for a display that cannot follow (a text console's cannot): reason 1 (this
client's request), status 3 (invalid screen layout), the screen as it is.

A client is untrusted: every length it sends is bounded before anything is read, a malformed
message ends its connection with one line in the log (never a traceback), the handshake has a
time limit and the server holds a bounded number of clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import struct
import threading
import zlib
from collections.abc import Callable

import numpy as np

from ovhkvm_desktop.demo.console import DemoConsole
from ovhkvm_desktop.demo.screen import covers
from ovhkvm_desktop.keyboard import scancodes
from ovhkvm_desktop.keyboard.layouts import ServerKeymap, default_server_keymap
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.framebuffer import Rect
from ovhkvm_desktop.rfb.messages import BGRX, PixelFormat
from ovhkvm_desktop.words import _

log = logging.getLogger(__name__)

NAME = "ovhkvm-desktop demo"
#: Bounds on what a client may send or hold.
MAX_CLIENTS = 16
MAX_ENCODINGS = 1024
MAX_CUT_TEXT = 1 << 20
MAX_SCREENS = 16
HANDSHAKE_TIMEOUT = 10.0
#: A client that lets this much of its updates pile up unread is dropped.
MAX_UNSENT = 16 << 20
#: Past this many rectangles waiting for one client, they become their bounding box.
MAX_DIRTY_RECTS = 64

_VERSIONS = {b"RFB 003.003\n": 3, b"RFB 003.007\n": 7, b"RFB 003.008\n": 8}
_SECURITY_NONE = 1
_ALT_GR = 0xB8
#: QEMU's keypad (ui/keymaps.c, keycode_is_keypad): the keys whose keysym syncs Num Lock.
_KEYPAD = range(0x47, 0x54)
#: The keysyms that need Num Lock on (ui/keymaps.c, keysym_is_numlock): KP_0..KP_9,
#: KP_Separator, KP_Decimal.
_NUM_LOCK_KEYSYMS = frozenset([*range(0xFFB0, 0xFFBA), 0xFFAC, 0xFFAE])
#: SetDesktopSize's answer, as QEMU gives it when its display cannot be resized: reason 1 (the
#: client's own request), status 3 (invalid screen layout).
_RESIZE_BY_CLIENT, _RESIZE_INVALID_LAYOUT = 1, 3


class ClientError(Exception):
    """What a client sent cannot be served; the message says what, in one line."""


class DemoServer:
    """``await server.start()``, then clients connect to ``server.address``; ``close()`` ends
    it. ``log`` hears one line per client that had to be dropped."""

    def __init__(
        self,
        layout: str = "fr",
        *,
        qemu_keys: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(
                _("the demo console serves on loopback only, not on {host}").format(host=host)
            )
        self.host, self.port = host, port
        self.qemu_keys = qemu_keys
        self.console = DemoConsole(layout)
        self.console.on_leds = self._leds_changed
        self.console.screen.take_dirty()  # each client starts with the whole screen
        self.keymap: ServerKeymap = default_server_keymap()
        self._log = log or log_line
        self._clients: set[_Client] = set()  # past the handshake: they get updates
        self._writers: set[asyncio.StreamWriter] = set()  # every connection
        self._server: asyncio.Server | None = None

    @property
    def layout(self) -> str:
        return self.console.layout_name

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"vnc://{host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        assert self._server is not None, "start() first"
        await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    # -- the screen and LEDs, to every client ---------------------------------------------------

    def screen_changed(self) -> None:
        dirty = self.console.screen.take_dirty()
        if not dirty:
            return
        for client in list(self._clients):
            client.add_dirty(dirty)
            client.flush()

    def _leds_changed(self, leds: int) -> None:
        for client in list(self._clients):
            client.send_leds(leds)

    # -- one client -----------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        who = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "a client"
        if len(self._writers) >= MAX_CLIENTS:  # handshakes under way count too
            self._log(
                _("demo console: refused {client}: {count} clients are connected already").format(
                    client=who, count=MAX_CLIENTS
                )
            )
            writer.close()
            return
        client = _Client(self, reader, writer)
        self._writers.add(writer)
        try:
            await asyncio.wait_for(client.handshake(), HANDSHAKE_TIMEOUT)
            self._clients.add(client)
            client.add_dirty([Rect(0, 0, self.console.screen.width, self.console.screen.height)])
            await client.run()
        except ClientError as exc:
            self._log(_("demo console: dropped {client}: {reason}").format(client=who, reason=exc))
        except TimeoutError:
            self._log(
                _("demo console: dropped {client}: no handshake within {seconds:g} s").format(
                    client=who, seconds=HANDSHAKE_TIMEOUT
                )
            )
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass  # the client went away: nothing to say
        except Exception as exc:  # a bug the client's bytes found: still one line, still up
            self._log(
                _("demo console: dropped {client}: {reason}").format(
                    client=who, reason=f"{type(exc).__name__}: {exc}"
                )
            )
        except asyncio.CancelledError:
            # The server is shutting down. Ending quietly (not as cancelled) keeps asyncio's
            # streams from logging a traceback for a connection that simply ended with it.
            writer.close()
            return
        finally:
            self._clients.discard(client)
            self._writers.discard(writer)
            client.release_keys()  # as QEMU does: a client gone holds no key down
        writer.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):  # as above
            await writer.wait_closed()


def log_line(message: str) -> None:
    log.warning("%s", message)


class _Client:
    """One connection: its pixel format and encoding, what it asked for, what changed for it."""

    def __init__(
        self, server: DemoServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader, self.writer = reader, writer
        self.format = BGRX
        self.encoding = Encoding.RAW
        self.zlib: zlib._Compress | None = None
        self.led_state = False  # the client negotiated QEMU's LED state
        self.desktop_size = False  # the client listed ExtendedDesktopSize
        self.requested: Rect | None = None  # the area of the request waiting for an answer
        self.incremental = True
        self.dirty: list[Rect] = []
        self.held: set[int] = set()  # the keys this client holds down, by scancode

    # -- the handshake ------------------------------------------------------------------------

    async def handshake(self) -> None:
        self.writer.write(b"RFB 003.008\n")
        version = _VERSIONS.get(await self.reader.readexactly(12))
        if version is None:
            raise ClientError(_("not an RFB 3.3, 3.7 or 3.8 client"))
        if version == 3:
            self.writer.write(struct.pack(">I", _SECURITY_NONE))
        else:
            self.writer.write(bytes([1, _SECURITY_NONE]))
            chosen = (await self.reader.readexactly(1))[0]
            if chosen != _SECURITY_NONE:
                if version == 8:
                    reason = b"only security type None (1) is offered"
                    self.writer.write(struct.pack(">II", 1, len(reason)) + reason)
                raise ClientError(
                    _("it chose security type {number}, not None").format(number=chosen)
                )
            if version == 8:
                self.writer.write(struct.pack(">I", 0))
        await self.reader.readexactly(1)  # ClientInit: shared or not, the screen is shared
        screen = self.server.console.screen
        name = NAME.encode()
        self.writer.write(
            struct.pack(">HH", screen.width, screen.height)
            + BGRX.pack()
            + struct.pack(">I", len(name))
            + name
        )
        await self.writer.drain()

    # -- messages -----------------------------------------------------------------------------

    async def run(self) -> None:
        read = self.reader.readexactly
        while True:
            kind = (await read(1))[0]
            if kind == 0:  # SetPixelFormat
                self.set_pixel_format(PixelFormat.unpack((await read(19))[3:]))
            elif kind == 2:  # SetEncodings
                (count,) = struct.unpack(">xH", await read(3))
                if count > MAX_ENCODINGS:
                    raise ClientError(_("SetEncodings lists {count} encodings").format(count=count))
                data = await read(4 * count)
                self.set_encodings(struct.unpack(f">{count}i", data))
            elif kind == 3:  # FramebufferUpdateRequest
                incremental, x, y, w, h = struct.unpack(">BHHHH", await read(9))
                self.request(bool(incremental), Rect(x, y, w, h))
            elif kind == 4:  # KeyEvent
                down, keysym = struct.unpack(">Bxxi", await read(7))
                self.plain_key(bool(down), keysym & 0xFFFFFFFF)
            elif kind == 5:  # PointerEvent: the console has no mouse
                await read(5)
            elif kind == 6:  # ClientCutText (a negative length: Extended Clipboard)
                (length,) = struct.unpack(">xxxi", await read(7))
                if abs(length) > MAX_CUT_TEXT:
                    raise ClientError(
                        _("a clipboard text of {count} bytes").format(count=abs(length))
                    )
                await read(abs(length))  # the console has no clipboard
            elif kind == 251:  # SetDesktopSize: the console keeps its size, and says so
                (screens,) = struct.unpack(">xHHBx", await read(7))[2:]
                if screens > MAX_SCREENS:
                    raise ClientError(
                        _("SetDesktopSize with {count} screens").format(count=screens)
                    )
                await read(16 * screens)
                self.send_desktop_size(_RESIZE_BY_CLIENT, _RESIZE_INVALID_LAYOUT)
            elif kind == 255:  # QEMU client message
                sub = (await read(1))[0]
                if sub != 0 or not self.server.qemu_keys:
                    raise ClientError(
                        _("QEMU client message {number} is not supported").format(number=sub)
                    )
                down, keysym, keycode = struct.unpack(">HII", await read(10))
                self.extended_key(bool(down), keysym, keycode)
            else:
                raise ClientError(_("unknown message type {number}").format(number=kind))
            if self.writer.transport.get_write_buffer_size() > MAX_UNSENT:
                raise ClientError(_("it does not read its updates"))
            await self.writer.drain()

    def set_pixel_format(self, fmt: PixelFormat) -> None:
        maxes = (fmt.red_max, fmt.green_max, fmt.blue_max)
        shifts = (fmt.red_shift, fmt.green_shift, fmt.blue_shift)
        if (
            fmt.bits_per_pixel not in (8, 16, 32)
            or not fmt.true_colour
            or not all(maxes)
            or any(
                m.bit_length() + s > fmt.bits_per_pixel for m, s in zip(maxes, shifts, strict=True)
            )
        ):
            raise ClientError(
                _("unsupported pixel format ({format})").format(format=fmt.describe())
            )
        self.format = fmt

    def set_encodings(self, encodings: tuple[int, ...]) -> None:
        data = [e for e in encodings if e in (Encoding.RAW, Encoding.ZLIB)]
        self.encoding = Encoding(data[0]) if data else Encoding.RAW
        qemu = self.server.qemu_keys
        self.led_state = qemu and Encoding.QEMU_LED_STATE in encodings
        self.desktop_size = Encoding.EXTENDED_DESKTOP_SIZE in encodings
        if qemu and Encoding.QEMU_EXTENDED_KEY_EVENT in encodings:
            screen = self.server.console.screen
            rect = Rect(0, 0, screen.width, screen.height)
            self.writer.write(
                _update_header(1) + _rect_header(rect, Encoding.QEMU_EXTENDED_KEY_EVENT)
            )
        if self.led_state:
            self.send_leds(self.server.console.leds)

    def send_leds(self, leds: int) -> None:
        if self.led_state:
            rect = _rect_header(Rect(0, 0, 1, 1), Encoding.QEMU_LED_STATE)
            self.writer.write(_update_header(1) + rect + bytes([leds]))

    def send_desktop_size(self, reason: int = 0, status: int = 0) -> None:
        """An ExtendedDesktopSize rectangle: the screen's size and its one screen (QEMU sends it
        to a SetDesktopSize whether or not the client listed the pseudo-encoding)."""
        screen = self.server.console.screen
        width, height = screen.width, screen.height
        rect = _rect_header(Rect(reason, status, width, height), Encoding.EXTENDED_DESKTOP_SIZE)
        one_screen = struct.pack(">B3xIHHHHI", 1, 0, 0, 0, width, height, 0)
        self.writer.write(_update_header(1) + rect + one_screen)

    # -- keys ---------------------------------------------------------------------------------

    def plain_key(self, down: bool, keysym: int) -> None:
        """QEMU without ``-k``: the keysym becomes a key of its en-us keymap."""
        held = self.held
        flags = 0
        if held & {scancodes.LEFT_SHIFT, scancodes.RIGHT_SHIFT}:
            flags |= ServerKeymap.SHIFT
        if _ALT_GR in held:
            flags |= ServerKeymap.ALTGR
        if held & {scancodes.LEFT_CTRL, scancodes.RIGHT_CTRL}:
            flags |= ServerKeymap.CTRL
        scancode = self.server.keymap.scancode_for(keysym, flags, down, held)
        if scancode:  # QEMU drops a keysym its keymap lacks
            self.key(down, scancode, keysym)

    def extended_key(self, down: bool, keysym: int, keycode: int) -> None:
        if 0 < keycode < 0x100:
            self.key(down, keycode, keysym)

    def key(self, down: bool, scancode: int, keysym: int) -> None:
        console = self.server.console
        if down:
            if not self.led_state:
                self._sync_num_lock(scancode, keysym)
                self._sync_caps_lock(keysym)
            self.held.add(scancode)
            console.press(scancode)
        else:
            self.held.discard(scancode)
            console.release(scancode)
        self.server.screen_changed()

    def release_keys(self) -> None:
        if self.held:
            for scancode in sorted(self.held):
                self.server.console.release(scancode)
            self.held.clear()
            self.server.screen_changed()

    def _sync_num_lock(self, scancode: int, keysym: int) -> None:
        """QEMU's lock-key sync for the keypad, for clients that do not follow the LEDs: a keypad
        key whose keysym is a digit (or the decimal point) needs Num Lock on, any other keysym on
        it needs Num Lock off; QEMU presses Num Lock first when the guest's state differs."""
        if scancode not in _KEYPAD:
            return
        console = self.server.console
        wanted = keysym & 0xFFFF in _NUM_LOCK_KEYSYMS
        if console.keyboard.num_lock != wanted:
            num = console.keyboard.layout.num_lock_key or scancodes.NUM_LOCK
            console.press(num)
            console.release(num)

    def _sync_caps_lock(self, keysym: int) -> None:
        """QEMU's lock-key sync, for clients that do not follow the LEDs: before a letter, Caps
        Lock is pressed if the letter's case disagrees with Shift and Caps Lock."""
        upper, lower = ord("A") <= keysym <= ord("Z"), ord("a") <= keysym <= ord("z")
        if not (upper or lower):
            return
        console = self.server.console
        shift = bool(self.held & {scancodes.LEFT_SHIFT, scancodes.RIGHT_SHIFT})
        if console.keyboard.caps_lock != (upper != shift):
            caps = console.keyboard.layout.caps_lock_key or scancodes.CAPS_LOCK
            console.press(caps)
            console.release(caps)

    # -- updates ------------------------------------------------------------------------------

    def request(self, incremental: bool, area: Rect) -> None:
        if not incremental and self.desktop_size:
            self.send_desktop_size()  # as QEMU: the screen's size first, then its pixels
        screen = self.server.console.screen
        clipped = _clip(area, screen.width, screen.height)
        if clipped is None:
            return
        if not incremental:
            self.add_dirty([clipped])
        self.requested = clipped
        self.flush()

    def add_dirty(self, rects: list[Rect]) -> None:
        """Remember changed rectangles: one inside another is sent once."""
        for rect in rects:
            if any(covers(known, rect) for known in self.dirty):
                continue
            self.dirty = [known for known in self.dirty if not covers(rect, known)]
            self.dirty.append(rect)
        if len(self.dirty) > MAX_DIRTY_RECTS:
            self.dirty = [_bounding(self.dirty)]

    def flush(self) -> None:
        """Answer the waiting request with what changed inside its area, if anything did."""
        if self.requested is None or not self.dirty:
            return
        area = self.requested
        rects = [r for r in (_intersect(d, area) for d in self.dirty) if r is not None]
        self.dirty = [d for d in self.dirty if not covers(area, d)]  # the rest waits its turn
        if not rects:
            return
        self.requested = None
        pixels = self.server.console.screen.pixels
        out = [_update_header(len(rects))]
        for r in rects:
            region = pixels[r.y : r.y + r.height, r.x : r.x + r.width]
            data = convert(region, self.format)
            if self.encoding == Encoding.ZLIB:
                if self.zlib is None:
                    self.zlib = zlib.compressobj()
                data = self.zlib.compress(data) + self.zlib.flush(zlib.Z_SYNC_FLUSH)
                out.append(_rect_header(r, Encoding.ZLIB) + struct.pack(">I", len(data)) + data)
            else:
                out.append(_rect_header(r, Encoding.RAW) + data)
        self.writer.write(b"".join(out))


def convert(region: np.ndarray, fmt: PixelFormat) -> bytes:
    """0x00RRGGBB pixels in the client's true-colour pixel format, as bytes."""
    if fmt == BGRX:
        return region.astype("<u4").tobytes()
    r = (region >> 16 & 0xFF) * fmt.red_max // 255
    g = (region >> 8 & 0xFF) * fmt.green_max // 255
    b = (region & 0xFF) * fmt.blue_max // 255
    values = r << fmt.red_shift | g << fmt.green_shift | b << fmt.blue_shift
    order = ">" if fmt.big_endian else "<"
    kind = {8: "u1", 16: "u2", 32: "u4"}[fmt.bits_per_pixel]
    return values.astype(order + kind).tobytes()


def _update_header(count: int) -> bytes:
    return struct.pack(">BxH", 0, count)


def _rect_header(rect: Rect, encoding: int) -> bytes:
    return struct.pack(">HHHHi", rect.x, rect.y, rect.width, rect.height, encoding)


def _clip(rect: Rect, width: int, height: int) -> Rect | None:
    return _intersect(rect, Rect(0, 0, width, height))


def _intersect(a: Rect, b: Rect) -> Rect | None:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.x + a.width, b.x + b.width), min(a.y + a.height, b.y + b.height)
    return Rect(x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None


def _bounding(rects: list[Rect]) -> Rect:
    x0, y0 = min(r.x for r in rects), min(r.y for r in rects)
    x1 = max(r.x + r.width for r in rects)
    y1 = max(r.y + r.height for r in rects)
    return Rect(x0, y0, x1 - x0, y1 - y0)


# -- the demo in the background of an app -------------------------------------------------------


class BackgroundDemo:
    """A demo server on its own thread and event loop, for an app whose own loop is Qt's: it
    serves until the process ends or ``stop()``."""

    def __init__(self, layout: str = "fr", *, qemu_keys: bool = True) -> None:
        self.server = DemoServer(layout, qemu_keys=qemu_keys)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-console", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        if not self._ready.is_set():
            raise OSError("the demo console did not start")

    @property
    def address(self) -> str:
        return self.server.address

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.server.start())
        except OSError as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._shut_down())
        self._loop.close()

    async def _shut_down(self) -> None:
        """Close the server and end every client's task (none is left pending)."""
        await self.server.close()  # clients' connections closed: their tasks end by themselves
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=2)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)


_running: dict[tuple[str, bool], BackgroundDemo] = {}
_running_lock = threading.Lock()


def running_demo(layout: str = "fr", *, qemu_keys: bool = True) -> BackgroundDemo:
    """The process's demo server of this layout, started on first use (one per process: every
    window on the demo sees the same console)."""
    with _running_lock:
        demo = _running.get((layout, qemu_keys))
        if demo is None or not demo._thread.is_alive():
            demo = _running[layout, qemu_keys] = BackgroundDemo(layout, qemu_keys=qemu_keys)
        return demo
