"""The client side of an RFB session after ServerInit, as a state machine with no I/O.

Feed it what the server sent with ``receive_bytes`` and get events back; ask it for messages
(``start``, ``key_event``...) and send what ``data_to_send`` returns. It keeps exactly one
incremental update request in flight: a new one is queued each time an update answers the last.
A request is in flight once ``data_to_send`` has handed it out, and only an update that arrives
while one is in flight answers it: a server that cannot have read our request cannot be answering
it, so a burst of updates it sends unasked (empty ones, resizes) gets one request, not one each.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from time import perf_counter
from types import ModuleType
from typing import Any

from ovhkvm_desktop.rfb import messages
from ovhkvm_desktop.rfb.decoders import Decoder, compiled, make_decoders
from ovhkvm_desktop.rfb.decoders.base import COMPRESSED_SLACK
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.events import (
    Bell,
    ClipboardCapabilities,
    ClipboardNotify,
    ClipboardRequest,
    ColourMapEntries,
    CursorChanged,
    DesktopResized,
    Event,
    ExtendedDesktopSizeReply,
    ExtensionAcknowledged,
    FramebufferUpdated,
    LedState,
    PointerModeChanged,
    Screen,
    ServerCutText,
)
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.words import _

#: The data encodings in the order the client prefers them by default. QEMU picks the first one
#: it supports. CopyRect is free to decode; then the encodings that decode fastest per byte on
#: the wire (see bench/decode.py).
DEFAULT_ENCODINGS: tuple[Encoding, ...] = (
    Encoding.COPYRECT,
    Encoding.TIGHT,
    Encoding.ZRLE,
    Encoding.HEXTILE,
    Encoding.ZLIB,
    Encoding.RRE,
    Encoding.RAW,
)

#: The pseudo-encodings the client always offers.
PSEUDO_ENCODINGS: tuple[Encoding, ...] = (
    Encoding.DESKTOP_SIZE,
    Encoding.EXTENDED_DESKTOP_SIZE,
    Encoding.LAST_RECT,
    Encoding.CURSOR,
    Encoding.QEMU_EXTENDED_KEY_EVENT,
    Encoding.QEMU_LED_STATE,
    Encoding.QEMU_POINTER_MOTION_CHANGE,
    Encoding.EXTENDED_CLIPBOARD,
)

#: Pseudo-rectangles a server sends on its own, outside the update cycle (QEMU answers
#: SetEncodings with them): an update made only of these does not answer our request.
_NOTICES = frozenset(
    {
        Encoding.QEMU_EXTENDED_KEY_EVENT,
        Encoding.QEMU_LED_STATE,
        Encoding.QEMU_POINTER_MOTION_CHANGE,
    }
)

_RECT_HEADER = struct.Struct(">HHHHi")
_MAX_CURSOR = 1024
_MAX_CUT_TEXT = 16 << 20
_MAX_SCREENS = 64

_SERVER_MESSAGE_NAMES = {150: "EndOfContinuousUpdates", 248: "Fence", 255: "QEMU"}


class Connection:
    """One RFB connection's protocol state, from ServerInit on."""

    def __init__(self, width: int, height: int, name: str = "") -> None:
        self.name = name
        self.fb = Framebuffer(width, height)
        self.acknowledged: set[int] = set()
        self.clipboard_caps: ClipboardCapabilities | None = None
        self.offered: tuple[int, ...] = ()
        self.last_encoding: int | None = None
        self.request_in_flight = False  # sent (handed out by data_to_send) and not yet answered
        self._request_queued = False  # queued in what data_to_send will hand out next
        self.updates_enabled = True
        self.paused = False  # receive_bytes stopped at its deadline with bytes left to parse
        self._decoders = make_decoders()
        # With the compiled decoders, runs of data rectangles are decoded by one compiled call
        # (``_accel.rects``), headers and all; Python takes the rest. (A benchmark that watches
        # each decoder call turns this off.)
        self._accel = compiled.accelerator()
        self.batched = self._accel is not None
        self._accept_mask = 0
        self._rects_arguments = _rects_arguments(self._decoders)
        self._buf = bytearray()
        self._out = bytearray()
        self._rects_left = 0  # rectangles still due in the current update (0: between messages)
        # The rectangle under way, with its encoding and decoder (None for pseudo-encodings).
        self._rect: tuple[Rect, int, Decoder | None] | None = None
        self._accepted: frozenset[int] = frozenset()
        self._dirty: list[Rect] = []
        self._answers = False
        self._skip = 0  # bytes of an oversized clipboard text still to throw away
        self._wanted = 0  # bytes to buffer before parsing is worth trying again
        self._short = False  # the rectangle under way stopped short of data: parse no further
        # Our clipboard text, announced to the server and kept until its request takes it once.
        self._clipboard_offer: str | None = None

    # -- what we send -----------------------------------------------------------------------

    def start(
        self,
        encodings: Iterable[int] = DEFAULT_ENCODINGS,
        compression: int | None = 6,
        quality: int | None = None,
    ) -> None:
        """Queue the pixel format, the encodings and the first full update request."""
        data = list(encodings)
        if Encoding.RAW not in data:
            data.append(Encoding.RAW)  # every server may send Raw; say we know it
        self.offered = (*data, *PSEUDO_ENCODINGS, *messages.level_encodings(compression, quality))
        self._accepted = frozenset(code for code in data if code in self._decoders)
        self._accept_mask = _accept_mask(self._accel, self._accepted)
        self._out += messages.set_pixel_format()
        self._out += messages.set_encodings(self.offered)
        self._request(incremental=False)

    def _request(self, incremental: bool) -> None:
        self._out += messages.framebuffer_update_request(
            incremental, 0, 0, self.fb.width, self.fb.height
        )
        self._request_queued = True

    def request_update(self) -> None:
        """Ask for an update now unless one is already asked for (e.g. after a silence)."""
        if not (self.request_in_flight or self._request_queued):
            self._request(incremental=True)

    def send(self, data: bytes) -> None:
        """Queue a client message built with ``rfb.messages``."""
        self._out += data

    def send_clipboard(self, text: str) -> None:
        """Offer our clipboard text the best way the server understands."""
        caps = self.clipboard_caps
        if caps is None:
            self._out += messages.client_cut_text(text)
            return
        if caps.flags & messages.CLIPBOARD_NOTIFY:
            # The text goes out when the server asks for it, once; a newer offer replaces it.
            self._clipboard_offer = text
            self._out += messages.extended_clipboard_flags(messages.CLIPBOARD_NOTIFY)
        else:
            self._clipboard_offer = None
            self._out += messages.extended_clipboard_provide(text)

    def data_to_send(self) -> bytes:
        """What to send the server now; a request among it is in flight from here on."""
        out = bytes(self._out)
        self._out.clear()
        if self._request_queued:
            self._request_queued = False
            self.request_in_flight = True
        return out

    # -- what we receive --------------------------------------------------------------------

    def receive_bytes(self, data: bytes, deadline: float | None = None) -> list[Event]:
        """Take bytes from the server; return the events they complete, in order.

        With a `deadline` (a `time.perf_counter()` value), parsing stops at the first message
        or rectangle that ends after it: what is left stays buffered, `paused` is True, and
        `receive_bytes(b"")` goes on from there. (A session that decodes a busy screen in
        slices lets the user's key presses out between them.)
        """
        self.paused = False
        events: list[Event] = []
        if self._skip:
            dropped = min(self._skip, len(data))
            self._skip -= dropped
            data = data[dropped:]
        with memoryview(data) as received:
            rest = received
            missing = self._wanted - len(self._buf)
            if self._wanted and missing > 0:
                if len(data) < missing:
                    self._buf += data  # the rectangle under way is still short: no parsing yet
                    return events
                # Buffer only what completes it, parse that, then go on with the rest in place.
                self._buf += received[:missing]
                with memoryview(self._buf) as view:
                    pos = self._parse(view, events, deadline)
                del self._buf[:pos]
                rest = received[missing:]
                if self._buf or self.paused:
                    self._buf += rest
                    return events
            if not self._buf:
                # Nothing buffered: parse the bytes where they are and keep only what is left
                # over (QEMU's Raw updates are hundreds of MB a minute: each byte copied once).
                with rest:
                    pos = self._parse(rest, events, deadline)
                    self._buf += rest[pos:]
                return events
        self._buf += data
        with memoryview(self._buf) as view:
            pos = self._parse(view, events, deadline)
        del self._buf[:pos]
        return events

    def _parse(self, buf: memoryview, events: list[Event], deadline: float | None) -> int:
        self._wanted = 0  # set again by a rectangle that stops short, for the bytes after it
        pos = 0
        end = len(buf)
        while pos < end:
            new: int | None
            if self._rects_left or self._rect is not None:
                new = self._parse_rects(buf, pos, events, deadline)
            else:
                new = self._parse_message(buf, pos, events)
            if new is None or new == pos:
                break  # the rest of the message has not arrived yet
            pos = new
            if self._short:
                self._short = False
                break  # a rectangle's header is taken, the rest of it has not arrived yet
            if deadline is not None and (self.paused or perf_counter() > deadline):
                self.paused = pos < end
                break
        return pos

    def _parse_message(self, buf: memoryview, pos: int, events: list[Event]) -> int | None:
        kind = buf[pos]
        avail = len(buf) - pos
        if kind == 0:  # FramebufferUpdate
            if avail < 4:
                return None
            (count,) = struct.unpack_from(">H", buf, pos + 2)
            self._rects_left = count
            self._dirty = []
            self._answers = count == 0
            if count == 0:
                self._finish_update(events)
            return pos + 4
        if kind == 1:  # SetColourMapEntries
            if avail < 6:
                return None
            first, count = struct.unpack_from(">HH", buf, pos + 2)
            if avail < 6 + 6 * count:
                return None
            events.append(ColourMapEntries(first, count))
            return pos + 6 + 6 * count
        if kind == 2:
            events.append(Bell())
            return pos + 1
        if kind == 3:  # ServerCutText
            if avail < 8:
                return None
            (length,) = struct.unpack_from(">i", buf, pos + 4)
            if length < 0:
                return self._parse_extended_clipboard(buf, pos, -length, events)
            if length > _MAX_CUT_TEXT:
                # Too large to be a clipboard anyone wants: drop it without buffering it.
                skip_now = min(length, avail - 8)
                self._skip = length - skip_now
                return pos + 8 + skip_now
            if avail < 8 + length:
                return None
            text = bytes(buf[pos + 8 : pos + 8 + length]).decode("latin-1")
            events.append(ServerCutText(text.replace("\r\n", "\n")))
            return pos + 8 + length
        name = _SERVER_MESSAGE_NAMES.get(kind)
        if name is None:
            raise ProtocolError(
                _(
                    "the server sent a message of type {type} (unknown)"
                    " that this client never asked for"
                ).format(type=kind)
            )
        raise ProtocolError(
            _(
                "the server sent a message of type {type} ({name}) that this client never asked for"
            ).format(type=kind, name=name)
        )

    def _parse_extended_clipboard(
        self, buf: memoryview, pos: int, length: int, events: list[Event]
    ) -> int | None:
        if Encoding.EXTENDED_CLIPBOARD not in self.offered:
            raise ProtocolError(_("the server sent an extended clipboard message unasked"))
        if length < 4 or length > _MAX_CUT_TEXT:
            raise ProtocolError(
                _("the server sent an extended clipboard message of {length} bytes").format(
                    length=length
                )
            )
        if len(buf) - pos < 8 + length:
            return None
        payload = bytes(buf[pos + 8 : pos + 8 + length])
        (flags,) = struct.unpack_from(">I", payload)
        if flags & messages.CLIPBOARD_CAPS:  # the other action bits then list what it supports
            formats = [bit for bit in range(16) if flags & (1 << bit)]
            if len(payload) < 4 + 4 * len(formats):
                raise ProtocolError(_("the server's clipboard capabilities are truncated"))
            sizes = struct.unpack_from(f">{len(formats)}I", payload, 4)
            self.clipboard_caps = ClipboardCapabilities(flags, tuple(sizes))
            self.acknowledged.add(Encoding.EXTENDED_CLIPBOARD)
            events.append(self.clipboard_caps)
            self._out += messages.extended_clipboard_caps()
        elif flags & messages.CLIPBOARD_REQUEST:
            events.append(ClipboardRequest(flags))
            if flags & messages.CLIPBOARD_TEXT and self._clipboard_offer is not None:
                # Given once, to the request that follows our notify, then forgotten: the
                # server cannot read our clipboard again later, unless we offer it again.
                self._out += messages.extended_clipboard_provide(self._clipboard_offer)
                self._clipboard_offer = None
        elif flags & messages.CLIPBOARD_PEEK:
            if self._clipboard_offer is not None:
                self._out += messages.extended_clipboard_flags(messages.CLIPBOARD_NOTIFY)
        elif flags & messages.CLIPBOARD_NOTIFY:
            events.append(ClipboardNotify(flags))
            if flags & messages.CLIPBOARD_TEXT:
                self._out += messages.extended_clipboard_flags(messages.CLIPBOARD_REQUEST)
        elif flags & messages.CLIPBOARD_PROVIDE:
            text = _provided_text(flags, payload[4:])
            if text is not None:
                events.append(ServerCutText(text))
        else:
            raise ProtocolError(
                _("the server sent an extended clipboard message with flags {flags}").format(
                    flags=f"{flags:#x}"
                )
            )
        return pos + 8 + length

    def _parse_rects(
        self, buf: memoryview, pos: int, events: list[Event], deadline: float | None
    ) -> int:
        # The hot loop: QEMU sends over a thousand small rectangles per update, so the work per
        # rectangle outside the decoders is kept to a few local operations.
        fb = self.fb
        decoders = self._decoders
        accepted = self._accepted
        dirty = self._dirty
        unpack = _RECT_HEADER.unpack_from
        end = len(buf)
        python_next = False  # the compiled loop has left the next rectangle to Python
        while True:
            current = self._rect
            if current is None:
                if self._rects_left == 0:
                    self._finish_update(events)
                    return pos
                if self.batched and not python_next and end - pos >= 12:
                    pos, why = self._compiled_rects(buf, pos, deadline)
                    if why == _RECTS_PAUSED:
                        return pos
                    python_next = why == _RECTS_PYTHON
                    dirty = self._dirty
                    continue
                python_next = False
                if end - pos < 12:
                    return pos  # what came before is done; the next header is still to come
                x, y, w, h, encoding = unpack(buf, pos)
                pos += 12
                self._rects_left -= 1
                rect = Rect(x, y, w, h)
                decoder = decoders.get(encoding) if encoding in accepted else None
                if decoder is not None:
                    if x + w > fb.width or y + h > fb.height:
                        fb.check(rect)  # raises, with the sizes in words
                    self._answers = True
                elif encoding >= 0 or encoding == Encoding.TIGHT_PNG:
                    raise ProtocolError(
                        _(
                            "the server sent a rectangle in encoding {encoding},"
                            " which this client did not ask for"
                        ).format(encoding=encoding)
                    )
                elif encoding not in _NOTICES and encoding != Encoding.EXTENDED_DESKTOP_SIZE:
                    self._answers = True  # (ExtendedDesktopSize answers only if it resizes)
                self._rect = current = (rect, encoding, decoder)
            rect, encoding, decoder = current
            try:
                if decoder is not None:
                    pos = decoder.decode(buf, pos, rect, fb)
                    self.last_encoding = encoding
                    if rect.width and rect.height:
                        dirty.append(rect)
                else:
                    new = self._pseudo_rect(buf, pos, rect, encoding, events)
                    if new is None:
                        return pos  # the header is consumed; the payload is still to come
                    pos = new
                    dirty = self._dirty  # a resize starts a new list
                    fb = self.fb
            except Incomplete as short:
                self._short = True
                # Nothing to parse until that many bytes came (a Raw row, a known payload).
                self._wanted = short.needed
                return short.position
            self._rect = None
            if encoding == Encoding.LAST_RECT:
                self._rects_left = 0
            if deadline is not None and self._rects_left and perf_counter() > deadline:
                self.paused = True
                return pos

    def _compiled_rects(self, buf: memoryview, pos: int, deadline: float | None) -> tuple[int, int]:
        """Decode the data rectangles from ``pos`` in one compiled call, up to the first one
        Python must take (see ``_accel.rects``); return where they end and why it stopped."""
        accel = self._accel
        assert accel is not None
        pos, done, why, last, fault = accel.rects(
            buf,
            pos,
            self.fb.pixels32,
            self._rects_left,
            self._accept_mask,
            *self._rects_arguments,
            self._dirty,
            Rect,
            -1.0 if deadline is None else deadline,
        )
        if done:
            self._rects_left -= done
            self._answers = True
            self.last_encoding = last
        if why == _RECTS_FAULT:
            encoding, x, y, w, h, outcome = fault
            raise self._decoders[encoding].compiled_fault(outcome, Rect(x, y, w, h))
        if why == _RECTS_PAUSED:
            self.paused = True
        return pos, why

    def _pseudo_rect(
        self, buf: memoryview, pos: int, rect: Rect, encoding: int, events: list[Event]
    ) -> int | None:
        avail = len(buf) - pos
        if encoding == Encoding.LAST_RECT:
            return pos
        if encoding == Encoding.DESKTOP_SIZE:
            self._resize(rect.width, rect.height, events)
            self.acknowledged.add(encoding)
            return pos
        if encoding == Encoding.EXTENDED_DESKTOP_SIZE:
            if avail < 4:
                return None
            count = buf[pos]
            if count > _MAX_SCREENS:
                raise ProtocolError(_("the server described {count} screens").format(count=count))
            if avail < 4 + 16 * count:
                return None
            screens = tuple(
                Screen(*struct.unpack_from(">IHHHHI", buf, pos + 4 + 16 * i)) for i in range(count)
            )
            self.acknowledged.add(encoding)
            events.append(
                ExtendedDesktopSizeReply(rect.x, rect.y, rect.width, rect.height, screens)
            )
            if rect.y == 0 and (rect.width, rect.height) != (self.fb.width, self.fb.height):
                self._answers = True
                self._resize(rect.width, rect.height, events)
            # Otherwise a notice: QEMU sends the size as a message of its own before the pixels
            # that answer a full update request (and in reply to SetDesktopSize); counted as the
            # answer, it would leave those pixels unanswered for.
            return pos + 4 + 16 * count
        if encoding == Encoding.CURSOR:
            w, h = rect.width, rect.height
            if w > _MAX_CURSOR or h > _MAX_CURSOR:
                raise ProtocolError(
                    _("the server sent a {width}x{height} pointer shape").format(width=w, height=h)
                )
            size = w * h * 4 + (w + 7) // 8 * h
            if avail < size:
                return None
            events.append(_cursor(rect, bytes(buf[pos : pos + size])))
            self.acknowledged.add(encoding)
            return pos + size
        if encoding == Encoding.QEMU_EXTENDED_KEY_EVENT:
            self.acknowledged.add(encoding)
            events.append(ExtensionAcknowledged(encoding))
            return pos
        if encoding == Encoding.QEMU_LED_STATE:
            if avail < 1:
                return None
            first = encoding not in self.acknowledged
            self.acknowledged.add(encoding)
            if first:
                events.append(ExtensionAcknowledged(encoding))
            leds = buf[pos]
            events.append(LedState(bool(leds & 1), bool(leds & 2), bool(leds & 4)))
            return pos + 1
        if encoding == Encoding.QEMU_POINTER_MOTION_CHANGE:
            self.acknowledged.add(encoding)
            events.append(PointerModeChanged(absolute=bool(rect.x)))
            return pos
        raise ProtocolError(
            _(
                "the server sent a rectangle in pseudo-encoding {encoding},"
                " which this client did not ask for"
            ).format(encoding=encoding)
        )

    def _resize(self, width: int, height: int, events: list[Event]) -> None:
        self.fb.resize(width, height)
        self._dirty = []  # the old screen is gone; listeners repaint all on DesktopResized
        events.append(DesktopResized(width, height))

    def _finish_update(self, events: list[Event]) -> None:
        self._rects_left = 0
        answered = self._answers and self.request_in_flight
        events.append(FramebufferUpdated(self._dirty, answered_request=answered))
        self._dirty = []
        if answered:
            self.request_in_flight = False
            if self.updates_enabled:
                self._request(incremental=True)


# Why ``_accel.rects`` stopped (its RECTS_* values).
_RECTS_PYTHON = 1
_RECTS_PAUSED = 2
_RECTS_FAULT = 3


def _accept_mask(accel: ModuleType | None, accepted: frozenset[int]) -> int:
    """The data encodings the compiled loop may decode, as its ``accepted`` bits."""
    if accel is None:
        return 0
    bits = {
        Encoding.RAW: accel.ACCEPT_RAW,
        Encoding.COPYRECT: accel.ACCEPT_COPYRECT,
        Encoding.HEXTILE: accel.ACCEPT_HEXTILE,
        Encoding.ZLIB: accel.ACCEPT_ZLIB,
        Encoding.TIGHT: accel.ACCEPT_TIGHT,
        Encoding.ZRLE: accel.ACCEPT_ZRLE,
        Encoding.TIGHT_PNG: accel.ACCEPT_TIGHT_PNG,
    }
    mask = 0
    for code in accepted:
        mask |= bits.get(Encoding(code), 0)
    return mask


def _rects_arguments(decoders: dict[int, Decoder]) -> tuple[Any, ...]:
    """What ``_accel.rects`` needs of the decoders, from its ``hextile_batch`` to ``jpeg``."""
    from ovhkvm_desktop.rfb.decoders import hextile, tight, zrle  # make_decoders imported them

    return (
        hextile.batch_tiles(),
        _stream(decoders, Encoding.ZLIB, "_stream"),
        _stream(decoders, Encoding.ZRLE, "_zlib"),
        _streams(decoders, Encoding.TIGHT),
        _streams(decoders, Encoding.TIGHT_PNG),
        COMPRESSED_SLACK,
        zrle.TILE_SLACK,
        tight.decode_jpeg_rgbx,
    )


def _stream(decoders: dict[int, Decoder], encoding: Encoding, name: str) -> Any:
    """The zlib stream of the zlib or ZRLE decoder (None without one)."""
    return getattr(decoders.get(encoding), name, None)


def _streams(decoders: dict[int, Decoder], encoding: Encoding) -> list[Any]:
    """The four zlib streams of the Tight or TightPNG decoder (reset in place)."""
    streams = getattr(decoders.get(encoding), "_streams", None)
    return streams if isinstance(streams, list) else []


def _cursor(rect: Rect, data: bytes) -> CursorChanged:
    """Combine a Cursor pseudo-rectangle's pixels and bitmask into BGRA."""
    import numpy as np

    w, h = rect.width, rect.height
    pixels = np.frombuffer(data, np.uint8, w * h * 4).reshape(h, w, 4).copy()
    row_bytes = (w + 7) // 8
    mask_bytes = np.frombuffer(data, np.uint8, row_bytes * h, w * h * 4).reshape(h, row_bytes)
    mask = np.unpackbits(mask_bytes, axis=1)[:, :w]
    pixels[:, :, 3] = mask * 255
    return CursorChanged(rect.x, rect.y, w, h, pixels.tobytes())


def _provided_text(flags: int, compressed: bytes) -> str | None:
    """The text in an Extended Clipboard provide message (None when it holds no text)."""
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(compressed, _MAX_CUT_TEXT + 64)
    except zlib.error:
        raise ProtocolError(_("the server's clipboard data is corrupt")) from None
    pos = 0
    for bit in range(16):
        if not flags & (1 << bit):
            continue
        if pos + 4 > len(data):
            raise ProtocolError(_("the server's clipboard data is truncated"))
        (size,) = struct.unpack_from(">I", data, pos)
        pos += 4
        if pos + size > len(data):
            raise ProtocolError(_("the server's clipboard data is truncated"))
        if bit == 0:
            raw = data[pos : pos + size]
            return raw.rstrip(b"\x00").decode("utf-8", "replace").replace("\r\n", "\n")
        pos += size
    return None
