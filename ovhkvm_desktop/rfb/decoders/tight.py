"""Tight and TightPNG: fill, JPEG, PNG or filtered pixels inflated from one of four zlib streams."""

from __future__ import annotations

import io
import zlib
from typing import Any

import numpy as np
from PIL import Image

from ovhkvm_desktop.rfb.decoders.base import Decoder, check_payload_length
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect

# Compression methods: the high four bits of the control byte. Below 8 it is basic compression,
# whose bits say which stream (bits 4-5) and whether a filter byte follows (bit 6).
FILL = 0x8
JPEG = 0x9
PNG = 0xA
EXPLICIT_FILTER = 0x4

COPY_FILTER = 0
PALETTE_FILTER = 1
GRADIENT_FILTER = 2

#: Filtered data shorter than this is sent as it is, without zlib and without a length.
MIN_TO_COMPRESS = 12

#: Rows of an image in which the gradient filter's clamping is repaired with numpy, one column at a
#: time, before the rest of the row is done in plain Python (rows with many clamps are rare).
_NUMPY_REPAIRS_PER_ROW = 8


class TightDecoder(Decoder):
    """Keeps Tight's four zlib streams, which the server resets through the control byte."""

    encoding = Encoding.TIGHT
    name = "Tight"

    def __init__(self) -> None:
        self._streams: list[Any] = [zlib.decompressobj() for _ in range(4)]

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        size = len(buf)
        if pos >= size:
            raise Incomplete(pos)
        control = buf[pos]
        method = control >> 4
        width, height = rect.width, rect.height
        if method == FILL:
            if pos + 4 > size:
                raise Incomplete(pos)
            self._reset(control)
            fb.pixels32[rect.y : rect.y + height, rect.x : rect.x + width] = (
                buf[pos + 1] << 16 | buf[pos + 2] << 8 | buf[pos + 3] | 0xFF000000
            )
            return pos + 4
        if method == JPEG or (method == PNG and self.encoding == Encoding.TIGHT_PNG):
            kind = "JPEG" if method == JPEG else "PNG"
            length, p = _compact_length(buf, pos + 1, pos)
            check_payload_length(length, rect, f"{self.name} {kind}")
            end = p + length
            if end > size:
                raise Incomplete(pos)
            self._reset(control)
            _paint_image(buf[p:end], kind, rect, fb)
            return end
        if method >= 8:
            raise ProtocolError(self._unknown_method(method))

        p = pos + 1
        filter_id = COPY_FILTER
        if method & EXPLICIT_FILTER:
            if p >= size:
                raise Incomplete(pos)
            filter_id = buf[p]
            p += 1
        colours = 0
        if filter_id == PALETTE_FILTER:
            if p >= size:
                raise Incomplete(pos)
            colours = buf[p] + 1
            p += 1
            if colours < 2:
                raise ProtocolError(f"the server sent a {self.name} palette of a single colour")
            if p + 3 * colours > size:
                raise Incomplete(pos)
            palette = bytes(buf[p : p + 3 * colours])
            p += 3 * colours
            expected = (width + 7) // 8 * height if colours == 2 else width * height
        elif filter_id in (COPY_FILTER, GRADIENT_FILTER):
            expected = width * height * 3
        else:
            raise ProtocolError(f"the server sent {self.name} data with unknown filter {filter_id}")

        if expected < MIN_TO_COMPRESS:
            end = p + expected
            if end > size:
                raise Incomplete(pos)
            self._reset(control)
            data = bytes(buf[p:end])
        else:
            length, p = _compact_length(buf, p, pos)
            check_payload_length(length, rect, self.name)
            end = p + length
            if end > size:
                raise Incomplete(pos)
            self._reset(control)
            data = self._inflate(method & 3, buf[p:end], expected)

        if not expected:
            return end
        out = fb.pixels[rect.y : rect.y + height, rect.x : rect.x + width]
        if filter_id == COPY_FILTER:
            _paint_rgb(out, np.frombuffer(data, np.uint8).reshape(height, width, 3))
        elif filter_id == PALETTE_FILTER:
            _paint_palette(out.view(np.uint32)[:, :, 0], data, palette, colours, self.name)
        else:
            pixels = np.frombuffer(data, np.uint8).reshape(height, width, 3)
            _paint_rgb(out, undo_gradient(pixels))
        return end

    def _reset(self, control: int) -> None:
        for stream_id in range(4):
            if control & (1 << stream_id):
                self._streams[stream_id] = zlib.decompressobj()

    def _inflate(self, stream_id: int, data: memoryview, expected: int) -> bytes:
        stream = self._streams[stream_id]
        try:
            # One byte of room more than expected: zlib then consumes all the input (the flush
            # marker too), and too much data shows as a longer output.
            out: bytes = stream.decompress(data, expected + 1)
        except zlib.error as exc:
            raise ProtocolError(f"the server's {self.name} data is corrupt ({exc})") from None
        if len(out) != expected or stream.unconsumed_tail:
            raise ProtocolError(
                f"the server's {self.name} data inflated to"
                f" {'more than ' if len(out) > expected else ''}{len(out)} bytes"
                f" where {expected} were expected"
            )
        return out

    def _unknown_method(self, method: int) -> str:
        if method == PNG:
            return "the server sent a Tight rectangle without zlib, which this client did not ask for"
        return f"the server sent a {self.name} rectangle with unknown compression {method:#x}"


class TightPNGDecoder(TightDecoder):
    """TightPNG: Tight with PNG in place of basic compression.

    The specification forbids basic compression here, but QEMU still sends it (its gradient
    filter, and its full-colour and palette rectangles when built without PNG support), so it is
    accepted as in Tight.
    """

    encoding = Encoding.TIGHT_PNG
    name = "TightPNG"


def _compact_length(buf: memoryview, p: int, start: int) -> tuple[int, int]:
    """Read a 1-3 byte compact length at ``p``; return it and the position after it."""
    size = len(buf)
    if p >= size:
        raise Incomplete(start)
    b = buf[p]
    length = b & 0x7F
    if not b & 0x80:
        return length, p + 1
    if p + 1 >= size:
        raise Incomplete(start)
    b = buf[p + 1]
    length |= (b & 0x7F) << 7
    if not b & 0x80:
        return length, p + 2
    if p + 2 >= size:
        raise Incomplete(start)
    return length | buf[p + 2] << 14, p + 3


def _paint_rgb(out: np.ndarray, rgb: np.ndarray) -> None:
    """Paint ``(h, w, 3)`` red, green, blue bytes into a ``(h, w, 4)`` BGRX view."""
    # One channel at a time: numpy copies these strided bytes faster than a reversed slice.
    out[:, :, 0] = rgb[:, :, 2]
    out[:, :, 1] = rgb[:, :, 1]
    out[:, :, 2] = rgb[:, :, 0]
    out[:, :, 3] = 255


def _paint_palette(out32: np.ndarray, data: bytes, palette: bytes, colours: int, name: str) -> None:
    height, width = out32.shape
    if colours == 2:
        table = np.array(
            [
                int.from_bytes(palette[0:3], "big") | 0xFF000000,
                int.from_bytes(palette[3:6], "big") | 0xFF000000,
            ],
            np.uint32,
        )
        packed = np.frombuffer(data, np.uint8).reshape(height, (width + 7) // 8)
        out32[...] = table[np.unpackbits(packed, axis=1, count=width)]
        return
    # A TPIXEL is red, green, blue: read with the byte after it as a big-endian word, then
    # shifted, it is 0x00RRGGBB.
    table = (np.ndarray((colours,), ">u4", palette + b"\0", 0, (3,)) >> 8) | np.uint32(0xFF000000)
    indices = np.frombuffer(data, np.uint8).reshape(height, width)
    try:
        out32[...] = table[indices]
    except IndexError:
        raise ProtocolError(
            f"the server's {name} data uses palette entry {int(indices.max())}"
            f" of a {colours}-colour palette"
        ) from None


def _paint_image(data: memoryview, kind: str, rect: Rect, fb: Framebuffer) -> None:
    try:
        image = Image.open(io.BytesIO(data), formats=[kind])
        if image.size != (rect.width, rect.height):
            raise ProtocolError(
                f"the server sent a {image.size[0]}x{image.size[1]} {kind} image"
                f" for a {rect.width}x{rect.height} rectangle"
            )
        if image.mode != "RGB":
            image = image.convert("RGB")
        rgb = np.asarray(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ProtocolError(f"the server sent a {kind} image that cannot be decoded ({exc})") from None
    out = fb.pixels[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
    _paint_rgb(out, rgb)


def undo_gradient(diffs: np.ndarray) -> np.ndarray:
    """Rebuild ``(h, w, 3)`` pixels from the gradient filter's differences.

    Each component is its difference plus the prediction left + up - up-left (zero outside the
    rectangle) clamped to 0..255, modulo 256: a recurrence along both rows and columns. Where
    no prediction needs clamping the recurrence is linear and the pixels are a 2-D running sum
    of the differences, which numpy computes at once. So: take that running sum, find the first
    row where a prediction from it falls outside 0..255, keep the rows above (they are right),
    repair that row, and start again below it. Smooth images, the ones the filter is chosen
    for, clamp rarely, so this is a handful of whole-array passes instead of a step per pixel.
    """
    height, width = diffs.shape[:2]
    # Row 0 and column 0 of ``v`` are the zero pixels outside the rectangle.
    v = np.zeros((height + 1, width + 1, 3), np.int16)
    row = 0
    while row < height:
        sums = np.cumsum(np.cumsum(diffs[row:], axis=1, dtype=np.uint8), axis=0, dtype=np.uint8)
        below = v[row + 1 :, 1:]
        np.add(sums, v[row, 1:], out=below)
        below &= 255
        prediction = v[row + 1 :, :-1] + v[row:-1, 1:] - v[row:-1, :-1]
        clamped = (prediction.view(np.uint16) > 255).reshape(height - row, -1).any(axis=1)
        first = int(clamped.argmax())
        if not clamped[first]:
            break
        row += first
        _repair_row(v, diffs, row)
        row += 1
    return v[1:, 1:].astype(np.uint8)


def _repair_row(v: np.ndarray, diffs: np.ndarray, row: int) -> None:
    """Recompute row ``row`` of ``v`` (padded as in ``undo_gradient``) with clamped predictions."""
    width = diffs.shape[1]
    up = v[row]  # the row above, column 0 being outside
    here = v[row + 1]
    d = diffs[row]
    col = 0  # here[:col + 1] is right
    for _ in range(_NUMPY_REPAIRS_PER_ROW):
        # Without clamping, here - up grows by the difference at each step.
        start = here[col] - up[col]
        sums = np.cumsum(d[col:], axis=0, dtype=np.int16) + start
        here[col + 1 :] = (sums + up[col + 1 :]) & 255
        prediction = here[col:-1] + up[col + 1 :] - up[col:-1]
        bad = np.flatnonzero((prediction.view(np.uint16) > 255).any(axis=1))
        if not len(bad):
            return
        col += int(bad[0])  # here[col + 1] is the first wrong pixel
        p = np.clip(here[col] + up[col + 1] - up[col], 0, 255)
        here[col + 1] = (p + d[col]) & 255
        col += 1
        if col == width:
            return
    # Many clamps in this row: finish it one pixel at a time.
    hv = here.tolist()
    uv = up.tolist()
    dv = d.tolist()
    for x in range(col + 1, width + 1):
        left, above, corner, diff = hv[x - 1], uv[x], uv[x - 1], dv[x - 1]
        hv[x] = [
            (diff[c] + min(255, max(0, left[c] + above[c] - corner[c]))) & 255 for c in range(3)
        ]
    here[:] = hv
