"""ZRLE: one zlib stream per connection carrying 64x64 tiles, each raw, solid, palette or RLE."""

from __future__ import annotations

import zlib
from types import ModuleType
from typing import Any

import numpy as np

from ovhkvm_desktop.rfb.decoders import compiled
from ovhkvm_desktop.rfb.decoders.base import (
    COMPRESSED_SLACK,
    Decoder,
    check_payload_length,
    corrupt,
)
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.words import _

TILE_SIZE = 64

#: Our pixel format keeps red, green and blue in the three least significant bytes, so a CPIXEL
#: is those three bytes of the little-endian pixel: blue, green, red. Read as a little-endian
#: 32-bit word together with the byte after it and OR-ed with this, it is the pixel with X = 255.
_OPAQUE = np.uint32(0xFF000000)

#: A tile of ``n`` pixels takes at most ``1 + max(4n, 3 * 127 + 2n)`` inflated bytes (plain RLE
#: of single pixels, or palette RLE with the largest palette), so a rectangle's data never
#: exceeds ``4 * area + _TILE_SLACK * tiles``; zlib is never allowed to make more.
_TILE_SLACK = 1 + 3 * 127
TILE_SLACK = _TILE_SLACK  # for the compiled update loop

#: For packed palettes: each byte value unpacked to the palette indices it holds (1, 2 or 4
#: bits each, the leftmost pixel in the most significant bits).
_UNPACK = {
    bits: np.array(
        [[(b >> s) & ((1 << bits) - 1) for s in range(8 - bits, -1, -bits)] for b in range(256)],
        np.intp,
    )
    for bits in (1, 2, 4)
}

#: Palette RLE and plain RLE tiles are read in Python for up to this many runs (a stretch of
#: single pixels counting as one); numpy, whose fixed cost is that of a hundred or so runs,
#: finishes tiles with more (anti-aliased text, photos), at a small cost per run.
_PYTHON_RUNS = 192

#: The same for plain RLE, whose numpy part (a run every 4 bytes, mostly) costs less.
_PYTHON_PLAIN_RUNS = 16

#: One byte per palette index, for building index strings with ``bytes * run_length``.
_INDEX_BYTES = [bytes((i,)) for i in range(128)]

#: For ``bytes.translate``: 1 for the bytes that start a run in palette RLE, 0 for the others.
_HIGH_MARKS = bytes(b >> 7 for b in range(256))

#: Palettes seen recently, so that the tiles of a screen, which keep reusing the same few
#: colours, do not rebuild their lookup tables. Cleared when it grows past this many entries.
_CACHE_SIZE = 256


class ZRLEDecoder(Decoder):
    encoding = Encoding.ZRLE

    def __init__(self) -> None:
        self._accel = compiled.accelerator()
        self._zlib = compiled.zlib_stream(self._accel)
        # Keyed by the subencoding byte and the palette's CPIXELs as they came.
        self._packed_tables: dict[bytes, np.ndarray] = {}
        self._rle_palettes: dict[bytes, np.ndarray] = {}

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        width = rect.width
        height = rect.height
        accel = self._accel
        if accel is not None:
            result = accel.zrle_rect(
                buf,
                pos,
                fb.pixels32,
                rect.x,
                rect.y,
                width,
                height,
                self._zlib,
                COMPRESSED_SLACK,
                _TILE_SLACK,
            )
            if isinstance(result, int):
                return result
            raise _compiled_fault(accel, result, rect)
        if pos + 4 > len(buf):
            raise Incomplete(pos)
        length = int.from_bytes(buf[pos : pos + 4], "big")
        if length > 4 * width * height + COMPRESSED_SLACK:
            check_payload_length(length, rect, "ZRLE")
        end = pos + 4 + length
        if end > len(buf):
            raise Incomplete(pos)
        tiles = -(-width // TILE_SIZE) * -(-height // TILE_SIZE)
        limit = 4 * width * height + _TILE_SLACK * tiles
        try:
            # One byte more than the limit: more output means the data is too long, and zlib,
            # never short of room, consumes all the input (the flush marker included).
            data = self._zlib.decompress(buf[pos + 4 : end], limit + 1)
        except zlib.error as exc:
            raise _corrupt(str(exc)) from None
        if len(data) > limit or self._zlib.unconsumed_tail:
            raise _too_much(rect)
        if tiles == 1:
            used = self._paint_tile(
                data, data + b"\0", 0, fb.pixels32, rect.x, rect.y, width, height
            )
        else:
            used = self._paint_tiles(data, rect, fb)
        if used != len(data):
            raise _left_over(len(data) - used, rect)
        return end

    def compiled_fault(self, outcome: tuple[Any, ...], rect: Rect) -> Exception:
        assert self._accel is not None
        return _compiled_fault(self._accel, outcome, rect)

    def _paint_tiles(self, data: bytes, rect: Rect, fb: Framebuffer) -> int:
        """Paint every tile of ``rect`` from inflated ``data``; return how many bytes they took."""
        # One spare byte lets every 3-byte colour be read as a 4-byte word (see _OPAQUE).
        padded = data + b"\0"
        fb32 = fb.pixels32
        p = 0
        x_end = rect.x + rect.width
        y_end = rect.y + rect.height
        for ty in range(rect.y, y_end, TILE_SIZE):
            th = min(TILE_SIZE, y_end - ty)
            for tx in range(rect.x, x_end, TILE_SIZE):
                p = self._paint_tile(data, padded, p, fb32, tx, ty, min(TILE_SIZE, x_end - tx), th)
        return p

    def _paint_tile(
        self, data: bytes, padded: bytes, p: int, fb32: np.ndarray, x: int, y: int, tw: int, th: int
    ) -> int:
        """Paint one tile whose data starts at ``data[p]``; return where its data ends."""
        size = len(data)
        if p >= size:
            raise _past_end()
        sub = data[p]
        p += 1
        out = fb32[y : y + th, x : x + tw]
        if sub == 1:
            if p + 3 > size:
                raise _past_end()
            out[...] = data[p] | data[p + 1] << 8 | data[p + 2] << 16 | 0xFF000000
            return p + 3
        if sub == 0:
            end = p + 3 * tw * th
            if end > size:
                raise _past_end()
            np.bitwise_or(np.ndarray((th, tw), "<u4", padded, p, (3 * tw, 3)), _OPAQUE, out=out)
            return end
        if sub <= 16:
            return self._packed_palette(data, padded, p, sub, out, tw, th)
        if sub == 128:
            return _plain_rle(data, padded, p, out, tw, th)
        if sub >= 130:
            return self._palette_rle(data, padded, p, sub - 128, out, tw, th)
        raise _unknown_subencoding(sub)

    def _packed_palette(
        self, data: bytes, padded: bytes, p: int, colours: int, out: np.ndarray, tw: int, th: int
    ) -> int:
        end = p + 3 * colours
        if end > len(data):
            raise _past_end()
        bits = 1 if colours == 2 else 2 if colours <= 4 else 4
        key = data[p - 1 : end]
        table = self._packed_tables.get(key)
        if table is None:
            # Each packed byte's pixels; indices without a colour give 0, which no colour is.
            palette = np.zeros(1 << bits, np.uint32)
            palette[:colours] = np.ndarray((colours,), "<u4", padded, p, (3,)) | _OPAQUE
            table = palette[_UNPACK[bits]]
            if len(self._packed_tables) >= _CACHE_SIZE:
                self._packed_tables.clear()
            self._packed_tables[key] = table
        p = end
        row_bytes = (tw * bits + 7) // 8
        end = p + row_bytes * th
        if end > len(data):
            raise _past_end()
        packed = np.frombuffer(data, np.uint8, row_bytes * th, p).reshape(th, row_bytes)
        pixels = table.take(packed, axis=0).reshape(th, -1)[:, :tw]
        if colours != 1 << bits and not pixels.all():  # some indices have no colour
            raise _no_such_colour(colours)
        out[...] = pixels
        return end

    def _palette_rle(
        self, data: bytes, padded: bytes, p: int, colours: int, out: np.ndarray, tw: int, th: int
    ) -> int:
        size = len(data)
        end = p + 3 * colours
        if end > size:
            raise _past_end()
        key = data[p - 1 : end]
        palette = self._rle_palettes.get(key)
        if palette is None:
            # All 128 indices; those without a colour give 0, which no colour is.
            palette = np.zeros(128, np.uint32)
            palette[:colours] = np.ndarray((colours,), "<u4", padded, p, (3,)) | _OPAQUE
            if len(self._rle_palettes) >= _CACHE_SIZE:
                self._rle_palettes.clear()
            self._rle_palettes[key] = palette
        p = end
        pixels = tw * th
        count = 0
        indices = bytearray()
        index_bytes = _INDEX_BYTES
        # Runs are read one by one; a stretch of single pixels (bytes below 128) is copied at
        # once, found with ``marks``: the tile's bytes with 1 for each byte of 128 or more.
        stop = min(size, p + 2 * pixels)  # a run never takes more than 2 bytes a pixel
        marks = b""
        base = p
        unchecked = False  # stretches of single pixels are checked against the palette at the end
        for _run in range(_PYTHON_RUNS):
            if p >= size:
                raise _past_end()
            b = data[p]
            if b < 128:
                if p + 1 < stop and data[p + 1] < 128:
                    if not marks:
                        marks = data[base:stop].translate(_HIGH_MARKS)
                    q = marks.find(1, p - base)
                    q = stop if q < 0 else base + q
                    if q - p > pixels - count:
                        q = p + pixels - count
                    indices += data[p:q]
                    count += q - p
                    p = q
                    unchecked = True
                else:
                    if b >= colours:
                        raise _no_such_colour(colours)
                    indices.append(b)
                    count += 1
                    p += 1
            else:
                b -= 128
                if b >= colours:
                    raise _no_such_colour(colours)
                if p + 1 < size and data[p + 1] != 255:
                    length = data[p + 1] + 1
                    p += 2
                    if length > pixels - count:
                        raise _run_past_tile(tw, th)
                else:
                    length, p = _run_length(data, p + 1, size, pixels - count, tw, th)
                count += length
                indices += index_bytes[b] * length
            if count == pixels:
                colour_rows = palette.take(np.frombuffer(indices, np.uint8))
                break
        else:
            rest, p = _palette_rle_numpy(data, p, pixels - count, tw, th)
            colour_rows = palette.take(np.concatenate((np.frombuffer(indices, np.uint8), rest)))
            unchecked = True
        if unchecked and not colour_rows.all():
            raise _no_such_colour(colours)
        out[...] = colour_rows.reshape(th, tw)
        return p


def _compiled_fault(accel: ModuleType, outcome: tuple[Any, ...], rect: Rect) -> Exception:
    """What the compiled path's outcome means: more data to wait for, or a fault."""
    code = outcome[0]
    if code == accel.ZRLE_INCOMPLETE:
        return Incomplete(outcome[1])
    if code == accel.ZRLE_TOO_LONG:
        check_payload_length(outcome[1], rect, "ZRLE")  # raises
    if code == accel.ZRLE_CORRUPT:
        return _corrupt(outcome[1])
    if code == accel.ZRLE_TOO_MUCH:
        return _too_much(rect)
    if code == accel.ZRLE_LEFT_OVER:
        return _left_over(outcome[1], rect)
    if code == accel.ZRLE_PAST_END:
        return _past_end()
    if code == accel.ZRLE_RUN_PAST_TILE:
        return _run_past_tile(outcome[1], outcome[2])
    if code == accel.ZRLE_NO_SUCH_COLOUR:
        return _no_such_colour(outcome[1])
    return _unknown_subencoding(outcome[1])


def _corrupt(reason: str) -> ProtocolError:
    return corrupt("ZRLE", reason)


def _too_much(rect: Rect) -> ProtocolError:
    return ProtocolError(
        _(
            "the server's ZRLE data inflates to more than a {width}x{height} rectangle can hold"
        ).format(width=rect.width, height=rect.height)
    )


def _left_over(extra: int, rect: Rect) -> ProtocolError:
    return ProtocolError(
        _(
            "the server's ZRLE data for a {width}x{height} rectangle has"
            " {extra} bytes left over after the last tile"
        ).format(width=rect.width, height=rect.height, extra=extra)
    )


def _unknown_subencoding(sub: int) -> ProtocolError:
    return ProtocolError(
        _("the server sent a ZRLE tile of unknown subencoding {subencoding}").format(
            subencoding=sub
        )
    )


def _past_end() -> ProtocolError:
    return ProtocolError(_("a ZRLE tile runs past the end of the rectangle's data"))


def _run_past_tile(tw: int, th: int) -> ProtocolError:
    return ProtocolError(
        _("a ZRLE run goes past the end of its {width}x{height} tile").format(width=tw, height=th)
    )


def _no_such_colour(colours: int) -> ProtocolError:
    return ProtocolError(
        _("a ZRLE tile uses a palette index beyond its {colours} colours").format(colours=colours)
    )


def _run_length(data: bytes, p: int, size: int, limit: int, tw: int, th: int) -> tuple[int, int]:
    """Read a run length (255 255 ... n, meaning 1 + the sum) at ``p``; return it and the end.

    A length above ``limit`` (the pixels left in the tile) is refused as soon as it is one.
    """
    length = 1
    while True:
        if p >= size:
            raise _past_end()
        b = data[p]
        p += 1
        length += b
        if length > limit:
            raise _run_past_tile(tw, th)
        if b != 255:
            return length, p


def _palette_rle_numpy(
    data: bytes, p: int, pixels: int, tw: int, th: int
) -> tuple[np.ndarray, int]:
    """Decode palette RLE runs at ``p`` covering ``pixels`` pixels, without a Python step per run.

    Bytes 255 only occur inside run lengths (no palette has an index 127), so with them set
    aside each remaining byte is a single pixel, a run's first byte, or a run length's last
    byte. A byte is a run's first byte when it is 128 or more and the byte before it is not a
    run's first byte; in a row of bytes of 128 or more that makes every other one a first
    byte, starting with the row's first. Returns the palette indices, one a pixel.
    """
    size = len(data)
    most = min(size - p, 2 * pixels)  # a run never takes more than 2 bytes a pixel
    window = min(most, 1024)
    while True:
        chunk = np.frombuffer(data, np.uint8, window, p)
        where = None
        kept = chunk
        if data.find(b"\xff", p, p + window) >= 0:
            where = (chunk != 255).nonzero()[0]
            kept = chunk[where]
        n = kept.shape[0]
        high = kept >= 128
        # Bytes of 128 or more since the last byte below 128, this one included: odd for a
        # run's first byte (and 0 below 128).
        highs = np.add.accumulate(high, dtype=np.int32)
        highs -= np.maximum.accumulate(highs * ~high)
        first = highs & 1
        # Pixels each byte adds: 1 for a single pixel; for a run's first byte the next byte's
        # value + 1 (+ 255 for each 255 skipped before it); 0 for a length's last byte.
        single = ~high
        single[1:] &= first[:-1] == 0
        adds = np.empty(n, np.int32)
        adds[-1:] = pixels + 1  # a run cut short by the window's end: never where the tile ends
        adds[:-1] = kept[1:] + np.int32(1)
        if where is not None:
            adds[:-1] += 255 * (where[1:] - where[:-1] - 1)
        adds *= first
        adds += single
        totals = np.add.accumulate(adds)
        t = int(totals.searchsorted(pixels))
        if t < n and not (first[t] and t == n - 1):
            break
        if window == most:
            _check_255s(where, first, n - 1)
            raise _past_end()
        window = min(most, window * 4)
    if totals[t] != pixels:
        raise _run_past_tile(tw, th)
    last = t + int(first[t])  # a run ends with its length's last byte
    _check_255s(where, first, last)
    used = (int(where[last]) if where is not None else last) + 1
    return (kept[: t + 1] & 127).repeat(adds[: t + 1]), p + used


def _check_255s(where: np.ndarray | None, first: np.ndarray, last: int) -> None:
    """Every 255 up to kept byte ``last`` must sit in a run's length; elsewhere it is index 127."""
    if where is None or last < 0:
        return
    gaps = np.diff(where[: last + 1], prepend=-1) - 1  # 255s right before each kept byte
    after_first = np.concatenate(([0], first[:last]))
    if (gaps[after_first == 0] > 0).any():
        raise ProtocolError(_("a ZRLE tile uses palette index 127, which no palette has"))


def _plain_rle(data: bytes, padded: bytes, p: int, out: np.ndarray, tw: int, th: int) -> int:
    size = len(data)
    pixels = tw * th
    count = 0
    starts: list[int] = []
    lengths: list[int] = []
    for _run in range(_PYTHON_PLAIN_RUNS):
        if p + 4 > size:
            raise _past_end()
        starts.append(p)
        if data[p + 3] != 255:
            length = data[p + 3] + 1
            p += 4
        else:
            length, p = _run_length(data, p + 3, size, pixels - count, tw, th)
        count += length
        if count > pixels:
            raise _run_past_tile(tw, th)
        lengths.append(length)
        if count == pixels:
            break
    # Every byte offset read as a little-endian word: a run's colour is the word at its start.
    words = np.ndarray((max(size - 2, 0),), "<u4", padded, 0, (1,))
    colours = [words[starts] | _OPAQUE]
    run_lengths = [np.array(lengths, np.intp)]
    while count < pixels:
        p, count = _plain_rle_numpy(data, padded, p, pixels, count, colours, run_lengths, tw, th)
    if len(colours) > 1:
        out[...] = np.concatenate(colours).repeat(np.concatenate(run_lengths)).reshape(th, tw)
    else:
        out[...] = colours[0].repeat(run_lengths[0]).reshape(th, tw)
    return p


def _plain_rle_numpy(
    data: bytes,
    padded: bytes,
    p: int,
    pixels: int,
    count: int,
    colours: list[np.ndarray],
    run_lengths: list[np.ndarray],
    tw: int,
    th: int,
) -> tuple[int, int]:
    """Read plain RLE runs at ``p`` as 4-byte records (colour + one length byte) with numpy.

    Runs longer than 255 pixels have longer lengths and break the 4-byte rhythm; each such run
    (at most one every 256 pixels) is read in Python, and numpy resumes after it.
    """
    size = len(data)
    remaining = pixels - count
    records = min(remaining, (size - p) // 4)
    if records == 0:
        raise _past_end()
    table = np.frombuffer(data, np.uint8, 4 * records, p).reshape(records, 4)
    long = np.flatnonzero(table[:, 3] == 255)
    usable = int(long[0]) if len(long) else records
    lengths = table[:usable, 3] + np.intp(1)
    totals = np.add.accumulate(lengths)
    t = int(totals.searchsorted(remaining))
    if t < usable:
        if totals[t] != remaining:
            raise _run_past_tile(tw, th)
        usable = t + 1
        done = remaining
    else:
        done = int(totals[-1]) if usable else 0
    colours.append(np.ndarray((usable,), "<u4", padded, p, (4,)) | _OPAQUE)
    run_lengths.append(lengths[:usable])
    p += 4 * usable
    count += done
    if count < pixels and usable < records:
        # The run whose length needs more than one byte.
        length, end = _run_length(data, p + 3, size, pixels - count, tw, th)
        count += length
        colours.append(np.ndarray((1,), "<u4", padded, p, (4,)) | _OPAQUE)
        run_lengths.append(np.array([length], np.intp))
        p = end
    return p, count
