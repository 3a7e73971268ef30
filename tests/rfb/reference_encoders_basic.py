"""Plain, slow, obviously correct RRE, Hextile and zlib encoders that the decoder tests trust.

They work from a ``(height, width, 4)`` uint8 BGRX image, are written straight from the RFB
specification without looking at the decoders, and favour clarity over speed or compression.
A pixel value is the uint32 ``0xXXRRGGBB`` that the 4 wire bytes B, G, R, X spell in little-endian.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from ovhkvm_desktop.rfb.decoders.base import Decoder
from ovhkvm_desktop.rfb.errors import Incomplete
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect

RAW = 1
BACKGROUND_SPECIFIED = 2
FOREGROUND_SPECIFIED = 4
ANY_SUBRECTS = 8
SUBRECTS_COLOURED = 16


def pixel_bytes(value: int) -> bytes:
    """A pixel value as its 4 bytes on the wire (B, G, R, X)."""
    return struct.pack("<I", value)


def pixel_values(image: np.ndarray) -> np.ndarray:
    """A BGRX image as a ``(height, width)`` array of Python-friendly pixel values."""
    b, g, r, x = (image[:, :, i].astype(np.int64) for i in range(4))
    return b | (g << 8) | (r << 16) | (x << 24)


def most_common(values: np.ndarray) -> int:
    """The most frequent pixel value; the smallest one among equally frequent values."""
    counts = Counter(int(v) for v in values.ravel())
    best = max(counts.values())
    return min(v for v, c in counts.items() if c == best)


def cover(wanted: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Split the True cells of a 2-D mask into disjoint rectangles ``(x, y, w, h)``.

    Greedy and simple: scan rows top to bottom; at each uncovered True cell take the longest run
    to the right, then grow it downwards while the rows below have the same run uncovered.
    """
    todo = wanted.copy()
    height, width = todo.shape
    rects = []
    for y in range(height):
        x = 0
        while x < width:
            if not todo[y, x]:
                x += 1
                continue
            run = 1
            while x + run < width and todo[y, x + run]:
                run += 1
            rows = 1
            while y + rows < height and todo[y + rows, x : x + run].all():
                rows += 1
            todo[y : y + rows, x : x + run] = False
            rects.append((x, y, run, rows))
            x += run
    return rects


def runs(wanted: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Split the True cells of a 2-D mask into one-row runs ``(x, y, w, 1)`` (QEMU's style)."""
    rects = []
    for y, row in enumerate(wanted):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            rects.append((start, y, x - start, 1))
    return rects


# RRE ---------------------------------------------------------------------------------------------


def rre_payload(background: int, subrects: Sequence[tuple[int, int, int, int, int]]) -> bytes:
    """An RRE payload from a background and ``(pixel, x, y, w, h)`` sub-rectangles, as given."""
    out = [struct.pack(">I", len(subrects)), pixel_bytes(background)]
    for pixel, x, y, w, h in subrects:
        out.append(pixel_bytes(pixel) + struct.pack(">HHHH", x, y, w, h))
    return b"".join(out)


def encode_rre(image: np.ndarray, split: Callable[[np.ndarray], list] = cover) -> bytes:
    """RRE for a whole image: the most common pixel as background, one colour at a time."""
    values = pixel_values(image)
    if values.size == 0:
        return rre_payload(0, [])
    background = most_common(values)
    subrects = []
    for colour in sorted({int(v) for v in values.ravel()} - {background}):
        for x, y, w, h in split(values == colour):
            subrects.append((colour, x, y, w, h))
    return rre_payload(background, subrects)


# Hextile -----------------------------------------------------------------------------------------


def hextile_raw_tile(tile: np.ndarray) -> bytes:
    """A Raw tile: the mask byte then the tile's pixels as they are."""
    return bytes([RAW]) + np.ascontiguousarray(tile).tobytes()


def hextile_tile(
    background: int | None = None,
    foreground: int | None = None,
    subrects: Sequence[tuple[int, ...]] | None = None,
    coloured: bool = False,
) -> bytes:
    """A non-raw tile, exactly as asked: omitted colours are left for the decoder to inherit.

    ``subrects`` holds ``(x, y, w, h)`` tuples, or ``(pixel, x, y, w, h)`` when ``coloured``.
    """
    mask = 0
    body = b""
    if background is not None:
        mask |= BACKGROUND_SPECIFIED
        body += pixel_bytes(background)
    if foreground is not None:
        mask |= FOREGROUND_SPECIFIED
        body += pixel_bytes(foreground)
    if subrects is not None:
        mask |= ANY_SUBRECTS
        body += bytes([len(subrects)])
        for subrect in subrects:
            if coloured:
                pixel, x, y, w, h = subrect
                body += pixel_bytes(pixel)
            else:
                x, y, w, h = subrect
            body += bytes([(x << 4) | y, ((w - 1) << 4) | (h - 1)])
    if coloured:
        mask |= SUBRECTS_COLOURED
    return bytes([mask]) + body


def tiles_of(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """The ``(x, y, w, h)`` tiles of a rectangle, left to right then top to bottom."""
    return [
        (x, y, min(16, width - x), min(16, height - y))
        for y in range(0, height, 16)
        for x in range(0, width, 16)
    ]


def encode_hextile(
    image: np.ndarray,
    *,
    inherit: bool = True,
    raw: Callable[[int], bool] = lambda index: False,
    coloured: Callable[[int], bool] = lambda index: False,
    split: Callable[[np.ndarray], list] = cover,
) -> bytes:
    """Hextile for a whole image: the tiles of ``hextile_tiles``, one after the other."""
    return b"".join(hextile_tiles(image, inherit=inherit, raw=raw, coloured=coloured, split=split))


def hextile_tiles(
    image: np.ndarray,
    *,
    inherit: bool = True,
    raw: Callable[[int], bool] = lambda index: False,
    coloured: Callable[[int], bool] = lambda index: False,
    split: Callable[[np.ndarray], list] = cover,
) -> list[bytes]:
    """Hextile for a whole image, tile by tile, following the specification to the letter.

    Per tile: Raw when ``raw(index)`` says so or when nothing else fits; solid when the tile has
    one colour; one-colour sub-rectangles on a background when it has two (unless
    ``coloured(index)``); coloured sub-rectangles otherwise. With ``inherit``, a background or
    foreground equal to the one in force is left out, as the specification allows (never after a
    Raw tile, and never a foreground after a coloured tile).
    """
    values = pixel_values(image)
    height, width = values.shape
    out = []
    background: int | None = None  # the colours in force for the next tile, if any
    foreground: int | None = None
    for index, (x, y, w, h) in enumerate(tiles_of(width, height)):
        tile = values[y : y + h, x : x + w]
        colours = sorted({int(v) for v in tile.ravel()})
        encoded = None
        if not raw(index):
            bg = most_common(tile)
            send_bg = None if inherit and bg == background else bg
            if len(colours) == 1:
                encoded = hextile_tile(background=send_bg)
                new_fg = foreground
            elif len(colours) == 2 and not coloured(index):
                fg = colours[0] if colours[1] == bg else colours[1]
                send_fg = None if inherit and fg == foreground else fg
                rects = split(tile == fg)
                if len(rects) <= 255:
                    encoded = hextile_tile(background=send_bg, foreground=send_fg, subrects=rects)
                new_fg = fg
            else:
                rects = [
                    (colour, *rect)
                    for colour in colours
                    if colour != bg
                    for rect in split(tile == colour)
                ]
                if len(rects) <= 255:
                    encoded = hextile_tile(background=send_bg, subrects=rects, coloured=True)
                new_fg = None
        if encoded is None or len(encoded) > 1 + w * h * 4:
            out.append(hextile_raw_tile(image[y : y + h, x : x + w]))
            background = foreground = None
        else:
            out.append(encoded)
            background = bg
            foreground = new_fg
    return out


# zlib --------------------------------------------------------------------------------------------


def zlib_payload(compressor: zlib._Compress, data: bytes) -> bytes:
    """One zlib rectangle: the length, then ``data`` through the connection's one stream."""
    compressed = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return struct.pack(">I", len(compressed)) + compressed


def encode_zlib(compressor: zlib._Compress, image: np.ndarray) -> bytes:
    """A zlib rectangle for a whole image (its Raw pixels, compressed)."""
    return zlib_payload(compressor, np.ascontiguousarray(image).tobytes())


# Feeding a decoder --------------------------------------------------------------------------------


def feed(
    decoder: Decoder, payload: bytes, rect: Rect, fb: Framebuffer, cuts: Sequence[int]
) -> list[int]:
    """Give ``decoder`` the payload in pieces ending at ``cuts``, the way the connection does.

    The first piece comes after a few unrelated bytes, so that the payload does not start at 0.
    After each ``Incomplete`` the bytes before its position are dropped from the buffer (while
    the exception is being handled: a decoder that kept views of the buffer would make that
    fail), and the decoder is called again, with the same rectangle, once the next piece has
    arrived. Returns the positions the decoder reported, as offsets into the payload; the last
    is where it finished.
    """
    pending = bytearray(b"\xee" * 3)
    start = len(pending)  # where the payload's unconsumed part begins in ``pending``
    consumed = 0  # payload bytes consumed so far
    reported = []
    previous = 0
    for cut in [*cuts, len(payload)]:
        if cut <= previous:
            continue
        pending += payload[previous:cut]
        previous = cut
        try:
            with memoryview(pending) as buf:
                end = decoder.decode(buf, start, rect, fb)
        except Incomplete as short:
            assert start <= short.position <= len(pending)
            consumed += short.position - start
            reported.append(consumed)
            del pending[: short.position]
            start = 0
            continue
        consumed += end - start
        reported.append(consumed)
        assert end == len(pending), "the decoder stopped before the end of its payload"
        return reported
    raise AssertionError("the decoder still wanted more after the whole payload")
