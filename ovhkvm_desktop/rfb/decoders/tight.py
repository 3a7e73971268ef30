"""Tight and TightPNG: fill, JPEG, PNG or filtered pixels inflated from one of four zlib streams."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from ovhkvm_desktop.rfb.decoders import compiled
from ovhkvm_desktop.rfb.decoders.base import (
    COMPRESSED_SLACK,
    Decoder,
    check_payload_length,
    corrupt,
    inflated_wrong,
)
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.words import _

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

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHUNK_HEAD = struct.Struct(">I4s")
_IHDR = struct.Struct(">IIBBBBB")

#: Palettes seen recently (their lookup tables are reused: a screen's rectangles keep the same
#: few colours). Cleared when it grows past this many entries.
_CACHE_SIZE = 256

#: Each byte of a 2-colour rectangle unpacked to its 8 palette indices, leftmost pixel first.
_UNPACK_BITS = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).astype(np.intp)

#: The gradient filter's clamps are repaired one at a time with numpy, up to this many in a row
#: and in up to ``_DIAGONALS_AFTER`` rows; past that, the rest is done diagonal by diagonal.
_NUMPY_REPAIRS_PER_ROW = 8
_DIAGONALS_AFTER = 16


class TightDecoder(Decoder):
    """Keeps Tight's four zlib streams, which the server resets through the control byte."""

    encoding = Encoding.TIGHT
    name = "Tight"

    def __init__(self) -> None:
        self._accel = compiled.accelerator()
        self._streams: list[Any] = [compiled.zlib_stream(self._accel) for _ in range(4)]
        # Palette lookup tables keyed by the palette's TPIXELs as they came: for 2 colours
        # each packed byte's 8 pixels, for more each index's pixel.
        self._palettes: dict[bytes, np.ndarray] = {}

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        width, height = rect.width, rect.height
        accel = self._accel
        if accel is not None:
            # Fill, basic compression and QEMU's PNGs compiled; JPEG and the rest come back here.
            result = accel.tight(
                buf,
                pos,
                fb.pixels32,
                rect.x,
                rect.y,
                width,
                height,
                self._streams,
                COMPRESSED_SLACK,
                self.encoding == Encoding.TIGHT_PNG,
            )
            if isinstance(result, int):
                return result
            outcome, value = result
            if outcome == accel.TIGHT_INCOMPLETE:
                raise Incomplete(int(value))
            if outcome != accel.TIGHT_NOT_BASIC:
                raise self._compiled_error(outcome, value, rect)
        size = len(buf)
        if pos >= size:
            raise Incomplete(pos)
        control = buf[pos]
        method = control >> 4
        if method == FILL:
            if pos + 4 > size:
                raise Incomplete(pos)
            if control & 15:
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
            if control & 15:
                self._reset(control)
            if kind == "JPEG":
                if accel is not None and accel.jpeg(
                    buf[p:end], fb.pixels32, rect.x, rect.y, width, height
                ):
                    return end
                rgb = decode_jpeg(bytes(buf[p:end]), width, height)
                if rgb is not None:
                    if accel is not None:
                        accel.tight_rgb(rgb, fb.pixels32, rect.x, rect.y, width, height, False)
                    else:
                        out = fb.pixels[rect.y : rect.y + height, rect.x : rect.x + width]
                        _paint_rgb(out, np.frombuffer(rgb, np.uint8).reshape(height, width, 3))
                    return end
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
                raise self._single_colour()
            if p + 3 * colours > size:
                raise Incomplete(pos)
            palette = bytes(buf[p : p + 3 * colours])
            p += 3 * colours
            expected = (width + 7) // 8 * height if colours == 2 else width * height
        elif filter_id in (COPY_FILTER, GRADIENT_FILTER):
            expected = width * height * 3
        else:
            raise self._unknown_filter(filter_id)

        if expected < MIN_TO_COMPRESS:
            end = p + expected
            if end > size:
                raise Incomplete(pos)
            if control & 15:
                self._reset(control)
            data = bytes(buf[p:end])
        else:
            if p < size and buf[p] < 0x80:  # the usual 1-byte length, read here for speed
                length = buf[p]
                p += 1
            else:
                length, p = _compact_length(buf, p, pos)
                if length > 4 * width * height + COMPRESSED_SLACK:
                    check_payload_length(length, rect, self.name)
            end = p + length
            if end > size:
                raise Incomplete(pos)
            if control & 15:
                self._reset(control)
            data = self._inflate(method & 3, buf[p:end], expected)

        if not expected:
            return end
        if filter_id == PALETTE_FILTER:
            self._paint_palette(data, palette, colours, rect, fb)
            return end
        out = fb.pixels[rect.y : rect.y + height, rect.x : rect.x + width]
        pixels = np.frombuffer(data, np.uint8).reshape(height, width, 3)
        _paint_rgb(out, pixels if filter_id == COPY_FILTER else undo_gradient(pixels))
        return end

    def _paint_palette(
        self, data: bytes, palette: bytes, colours: int, rect: Rect, fb: Framebuffer
    ) -> None:
        width, height = rect.width, rect.height
        table = self._palettes.get(palette)
        if table is None:
            # A TPIXEL is red, green, blue: read with the byte after it as a big-endian word,
            # then shifted, it is 0x00RRGGBB.
            words = np.ndarray((colours,), ">u4", palette + b"\0", 0, (3,))
            table = (words >> 8) | np.uint32(0xFF000000)
            if colours == 2:
                table = table[_UNPACK_BITS]
            if len(self._palettes) >= _CACHE_SIZE:
                self._palettes.clear()
            self._palettes[palette] = table
        out = fb.pixels32[rect.y : rect.y + height, rect.x : rect.x + width]
        if colours == 2:
            packed = np.frombuffer(data, np.uint8).reshape(height, (width + 7) // 8)
            out[...] = table.take(packed, axis=0).reshape(height, -1)[:, :width]
            return
        indices = np.frombuffer(data, np.uint8).reshape(height, width)
        try:
            out[...] = table.take(indices)
        except IndexError:
            raise self._no_such_colour(int(indices.max()), colours) from None

    def _no_such_colour(self, index: int, colours: int) -> ProtocolError:
        return ProtocolError(
            _(
                "the server's {encoding} data uses palette entry {index}"
                " of a {colours}-colour palette"
            ).format(encoding=self.name, index=index, colours=colours)
        )

    def _reset(self, control: int) -> None:
        for stream_id in range(4):
            if control & (1 << stream_id):
                self._streams[stream_id] = compiled.zlib_stream(self._accel)

    def _inflate(self, stream_id: int, data: memoryview, expected: int) -> bytes:
        stream = self._streams[stream_id]
        try:
            # One byte of room more than expected: zlib then consumes all the input (the flush
            # marker too), and too much data shows as a longer output.
            out: bytes = stream.decompress(data, expected + 1)
        except zlib.error as exc:
            raise corrupt(self.name, str(exc)) from None
        if len(out) != expected or stream.unconsumed_tail:
            raise self._inflated_wrong(len(out), expected)
        return out

    def compiled_fault(self, outcome: tuple[Any, ...], rect: Rect) -> Exception:
        return self._compiled_error(outcome[0], outcome[1], rect)

    def _compiled_error(self, outcome: int, value: Any, rect: Rect) -> ProtocolError:
        """The sentence for a fault the compiled path found (the same as this path's)."""
        accel = self._accel
        assert accel is not None
        if outcome == accel.TIGHT_SINGLE_COLOUR:
            return self._single_colour()
        if outcome == accel.TIGHT_UNKNOWN_FILTER:
            return self._unknown_filter(value)
        if outcome == accel.TIGHT_TOO_LONG:
            check_payload_length(value, rect, self.name)  # raises
        if outcome == accel.TIGHT_IMAGE_TOO_LONG:
            check_payload_length(value, rect, f"{self.name} PNG")  # raises
        if outcome == accel.TIGHT_CORRUPT:
            return corrupt(self.name, value)
        if outcome == accel.TIGHT_WRONG_SIZE:
            return self._inflated_wrong(*value)
        return self._no_such_colour(*value)

    def _single_colour(self) -> ProtocolError:
        return ProtocolError(
            _("the server sent a {encoding} palette of a single colour").format(encoding=self.name)
        )

    def _unknown_filter(self, filter_id: int) -> ProtocolError:
        return ProtocolError(
            _("the server sent {encoding} data with unknown filter {filter}").format(
                encoding=self.name, filter=filter_id
            )
        )

    def _inflated_wrong(self, inflated: int, expected: int) -> ProtocolError:
        # Inflated with a byte of room more than expected: a longer output is data too long.
        return inflated_wrong(self.name, inflated, expected, beyond=inflated > expected)

    def _unknown_method(self, method: int) -> str:
        if method in (PNG, PNG | EXPLICIT_FILTER) and self.encoding == Encoding.TIGHT:
            # 0xA and 0xE are Tight's basic compression without zlib (not asked for here).
            return _(
                "the server sent a Tight rectangle without zlib, which this client did not ask for"
            )
        return _("the server sent a {encoding} rectangle with unknown compression {method}").format(
            encoding=self.name, method=f"{method:#x}"
        )


class TightPNGDecoder(TightDecoder):
    """TightPNG: Tight with PNG in place of basic compression.

    The specification forbids basic compression here, but QEMU still sends its gradient filter
    that way (in lossy mode without a JPEG quality), so basic compression is accepted as in
    Tight. PNG comes through ``_paint_simple_png`` or Pillow.
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


def _paint_image(data: memoryview, kind: str, rect: Rect, fb: Framebuffer) -> None:
    out = fb.pixels[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
    if kind == "PNG" and _paint_simple_png(bytes(data), out):
        return
    try:
        image: Image.Image = Image.open(io.BytesIO(data), formats=[kind])
        if image.size != (rect.width, rect.height):
            raise ProtocolError(
                _(
                    "the server sent a {image_width}x{image_height} {format} image"
                    " for a {width}x{height} rectangle"
                ).format(
                    image_width=image.size[0],
                    image_height=image.size[1],
                    format=kind,
                    width=rect.width,
                    height=rect.height,
                )
            )
        if image.mode != "RGB":
            image = image.convert("RGB")
        rgb = np.asarray(image)
    except UnidentifiedImageError:
        # Its own message names the in-memory file object (an address), not the image.
        raise ProtocolError(
            _(
                "the server sent a {format} image that cannot be decoded (not a {format} image)"
            ).format(format=kind)
        ) from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        # Pillow's own words for the fault are data, as zlib's are.
        raise ProtocolError(
            _("the server sent a {format} image that cannot be decoded ({reason})").format(
                format=kind, reason=exc
            )
        ) from None
    _paint_rgb(out, rgb)


#: JPEG's start-of-frame markers (baseline, progressive, lossless... : the ones with a size).
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """A JPEG's width and height, from its start-of-frame segment; None if it has none."""
    if not data.startswith(b"\xff\xd8"):
        return None
    pos = 2
    size = len(data)
    while pos + 9 <= size:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _SOF_MARKERS:
            return data[pos + 7] << 8 | data[pos + 8], data[pos + 5] << 8 | data[pos + 6]
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # no length
            pos += 2
            continue
        pos += 2 + (data[pos + 2] << 8 | data[pos + 3])
    return None


def decode_jpeg(data: bytes, width: int, height: int, layout: str = "RGB") -> bytes | None:
    """A JPEG of the rectangle's size as red, green, blue bytes (``layout`` "RGBX": and a fourth,
    unused, which Pillow copies out faster), decoded by Pillow's JPEG decoder directly: its file
    parser (``Image.open``) costs more than decoding a small image does. None when the size is
    not the rectangle's or the decoder fails: ``Image.open`` then judges, and says why."""
    if _jpeg_size(data) != (width, height):
        return None
    try:
        # Colour or grey, libjpeg gives red, green, blue.
        image = Image.frombytes("RGB", (width, height), data, "jpeg", "RGB", "")
        return image.tobytes("raw", layout)
    except (OSError, ValueError, SyntaxError):
        return None


def decode_jpeg_rgbx(data: bytes, width: int, height: int) -> bytes | None:
    """``decode_jpeg`` with 4 bytes a pixel, for the compiled update loop."""
    return decode_jpeg(data, width, height, "RGBX")


def _paint_simple_png(data: bytes, out: np.ndarray) -> bool:
    """Paint the kind of PNG QEMU makes (8-bit RGB or palette, not interlaced) without going
    through ``Image.open``, whose fixed cost is several times a small rectangle's decoding;
    return False for any other PNG, which ``Image.open`` then decodes (or refuses).

    Rows using the None, Sub or Up filters are undone with numpy: Sub adds each byte to the one
    a pixel to its left (a running sum along the row), Up adds the byte above (a running sum
    down the rows since the last row that is not Up), all modulo 256, which uint8 arithmetic
    does by itself. Average and Paeth make each byte depend on the one decoded before it;
    images with such rows go to Pillow's PNG scanline decoder directly.
    """
    if not data.startswith(_PNG_SIGNATURE):
        return False
    header = palette = None
    idat = []
    pos = 8
    size = len(data)
    while pos + 8 <= size:
        length, kind = _CHUNK_HEAD.unpack_from(data, pos)
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IDAT":
            idat.append(body)
        elif kind == b"IHDR":
            header = body
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or len(header) != 13:
        return False
    width, height, depth, colour_type, compression, filtering, interlace = _IHDR.unpack(header)
    if (width, height) != out.shape[1::-1] or depth != 8 or compression or filtering or interlace:
        return False
    if not width or not height:
        return False  # no such PNG: Pillow says why
    table = None
    if colour_type == 3 and palette and len(palette) % 3 == 0:
        bytes_per_pixel = 1
        table = (
            np.ndarray((len(palette) // 3,), ">u4", palette + b"\0", 0, (3,)) >> 8
        ) | np.uint32(0xFF000000)
    elif colour_type == 2:
        bytes_per_pixel = 3
    else:
        return False
    stride = width * bytes_per_pixel + 1
    compressed = b"".join(idat)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, height * stride + 1)
    except zlib.error:
        return False
    if len(raw) != height * stride or not inflater.eof:  # eof: the checksum was right
        return False
    filters = raw[::stride]
    if max(filters) > 2:
        return _paint_png_with_pillow(compressed, width, height, table, out)
    pixels = np.frombuffer(raw, np.uint8).reshape(height, stride)[:, 1:]
    if filters.count(0) != height:
        pixels = pixels.copy()
        if 1 in filters:
            sub = [y for y in range(height) if filters[y] == 1]
            rows = pixels[sub].reshape(len(sub), width, bytes_per_pixel)
            pixels[sub] = np.add.accumulate(rows, axis=1, dtype=np.uint8).reshape(len(sub), -1)
        up_rows = filters.count(2)
        if up_rows > 8:
            sums = np.zeros((height + 1, stride - 1), np.uint8)
            sums[1:] = _running_sum(pixels, 0)
            # The row before each row's running sum began: the last one that is not Up.
            up = np.frombuffer(filters, np.uint8) == 2
            starts = np.maximum.accumulate(np.where(up, 0, np.arange(height)))
            pixels = sums[1:] - sums[starts]
        elif up_rows:
            for y in range(1, height):  # the row above row 0 is zeros: nothing to add
                if filters[y] == 2:
                    np.add(pixels[y], pixels[y - 1], out=pixels[y])
    if table is not None:
        try:
            out.view(np.uint32)[:, :, 0] = table.take(pixels)
        except IndexError:
            return False  # an index past the palette: let Pillow judge
    else:
        _paint_rgb(out, pixels.reshape(height, width, 3))
    return True


def _paint_png_with_pillow(
    compressed: bytes, width: int, height: int, table: np.ndarray | None, out: np.ndarray
) -> bool:
    """Undo the filters with Pillow's PNG scanline decoder ("zip"), skipping its file parsing."""
    try:
        if table is None:
            # Read as blue, green, red, Pillow's RGBX is our BGRX (with X = 255).
            image = Image.frombytes("RGB", (width, height), compressed, "zip", "BGR")
            out.view(np.uint32)[:, :, 0] = np.frombuffer(
                image.tobytes("raw", "RGBX"), np.uint32
            ).reshape(height, width)
        else:
            image = Image.frombytes("P", (width, height), compressed, "zip", "P")
            out.view(np.uint32)[:, :, 0] = table.take(np.asarray(image))
    except (OSError, ValueError, IndexError):
        return False
    return True


def undo_gradient(diffs: np.ndarray) -> np.ndarray:
    """Rebuild ``(h, w, 3)`` pixels from the gradient filter's differences.

    Each component is its difference plus the prediction left + up - up-left (zero outside the
    rectangle) clamped to 0..255, modulo 256: a recurrence along both rows and columns. Where
    no prediction needs clamping the recurrence is linear and the pixels are a 2-D running sum
    of the differences, which numpy computes at once. So: take that running sum, find the first
    row where a prediction from it falls outside 0..255, keep the rows above (they are right),
    repair that row, and start again below it. Smooth images, the ones the filter is chosen
    for, clamp rarely, so this is a handful of whole-array passes instead of a step per pixel.
    Where clamps are dense (noise, sharp edges near black or white) the rest of the image is
    done one anti-diagonal at a time (the pixels of a diagonal do not depend on each other).
    """
    diffs = np.ascontiguousarray(diffs)
    height, width = diffs.shape[:2]
    pixels = _running_sum(_running_sum(diffs, 1), 0)
    if height < 2 or width < 2:
        return pixels  # no pixel has both a left and an upper neighbour: nothing can clamp
    prediction = pixels[1:, :-1].astype(np.int16)
    prediction += pixels[:-1, 1:]
    prediction -= pixels[:-1, :-1]
    if prediction.view(np.uint16).max() <= 255:  # negatives read as unsigned are above 255
        return pixels
    # Row 0 and column 0 of ``v`` are the zero pixels outside the rectangle.
    v = np.zeros((height + 1, width + 1, 3), np.int16)
    row = int(np.flatnonzero((prediction.view(np.uint16) > 255).reshape(height - 1, -1).any(1))[0])
    v[1 : row + 2, 1:] = pixels[: row + 1]  # right up to the first row that clamps (row + 1)
    row += 1
    rows = 2
    repaired = 0
    while row < height:
        end = min(height, row + rows)
        sums = _running_sum(_running_sum(diffs[row:end], 1), 0)
        below = v[row + 1 : end + 1, 1:]
        np.add(sums, v[row, 1:], out=below)
        below &= 255
        prediction = v[row + 1 : end + 1, :-1] + v[row:end, 1:] - v[row:end, :-1]
        clamped = np.flatnonzero((prediction.view(np.uint16) > 255).reshape(end - row, -1).any(1))
        if not len(clamped):
            row = end
            rows *= 2
            continue
        row += int(clamped[0])
        repaired += 1
        if repaired > _DIAGONALS_AFTER or not _repair_row(v, diffs, row):
            _by_diagonals(v, diffs, row)
            break
        row += 1
        # Clamps come in clusters: take a few rows at a time near them, so that an image
        # clamping in every row costs a pass per row, not a pass over all the rows below.
        rows = 2 * int(clamped[0]) + 2
    return v[1:, 1:].astype(np.uint8)


def _running_sum(a: np.ndarray, axis: int) -> np.ndarray:
    """Running sums of uint8 ``a`` along ``axis`` (0 or 1), modulo 256 (uint8 wraps).

    numpy's ``accumulate`` steps one element at a time, very slowly down columns; on large
    arrays, adding the array shifted by 1, 2, 4... places (log2(n) whole-array additions,
    each reading the values from before it) is several times faster.
    """
    if a.size < 16384:
        return np.add.accumulate(a, axis=axis, dtype=np.uint8)
    out = a.copy()
    step = 1
    while step < out.shape[axis]:
        if axis == 0:
            out[step:] += out[:-step]  # numpy reads the overlapping input before writing
        else:
            out[:, step:] += out[:, :-step]
        step *= 2
    return out


def _repair_row(v: np.ndarray, diffs: np.ndarray, row: int) -> bool:
    """Recompute row ``row`` of ``v`` (padded as in ``undo_gradient``) with clamped predictions.

    Gives up (returns False, the row half done) after ``_NUMPY_REPAIRS_PER_ROW`` clamps.
    """
    width = diffs.shape[1]
    up = v[row]  # the row above, column 0 being outside
    here = v[row + 1]
    d = diffs[row]
    col = 0  # here[:col + 1] is right
    for _repair in range(_NUMPY_REPAIRS_PER_ROW):
        # Without clamping, here - up grows by the difference at each step.
        sums = np.add.accumulate(d[col:], axis=0, dtype=np.uint8) + (here[col] - up[col])
        here[col + 1 :] = (sums + up[col + 1 :]) & 255
        prediction = here[col:-1] + up[col + 1 :] - up[col:-1]
        bad = np.flatnonzero((prediction.view(np.uint16) > 255).any(axis=1))
        if not len(bad):
            return True
        col += int(bad[0])  # here[col + 1] is the first wrong pixel
        p = np.minimum(np.maximum(here[col] + up[col + 1] - up[col], 0), 255)
        here[col + 1] = (p + d[col]) & 255
        col += 1
        if col == width:
            return True
    return False


def _by_diagonals(v: np.ndarray, diffs: np.ndarray, row: int) -> None:
    """Compute rows ``row`` and below of ``v`` one anti-diagonal at a time.

    A diagonal (down and to the left) of a C-ordered array is a strided view of it, and so are
    its pixels' left, upper and upper-left neighbours: five views and seven operations a diagonal.
    """
    height, width = diffs.shape[:2]
    rows = height - row
    item = v.itemsize
    cell = 3 * item
    v_row = (width + 1) * cell
    step = v_row - cell  # one row down, one column left
    d_step = (width - 1) * 3
    for k in range(rows + width - 1):
        first = max(0, k - width + 1)
        n = min(rows - 1, k) - first + 1
        i = row + first  # the diagonal's top right pixel is (i, j)
        j = k - first
        at = (i + 1) * v_row + (j + 1) * cell
        p = np.ndarray((n, 3), np.int16, v, at - cell, (step, item)) + np.ndarray(
            (n, 3), np.int16, v, at - v_row, (step, item)
        )
        p -= np.ndarray((n, 3), np.int16, v, at - v_row - cell, (step, item))
        np.maximum(p, 0, out=p)  # np.clip costs three times as much
        np.minimum(p, 255, out=p)
        p += np.ndarray((n, 3), np.uint8, diffs, (i * width + j) * 3, (d_step, 1))
        p &= 255
        np.ndarray((n, 3), np.int16, v, at, (step, item))[...] = p
