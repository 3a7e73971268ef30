"""Plain, slow, obviously correct ZRLE, Tight and TightPNG encoders that the decoder tests trust.

They work from a ``(height, width, 4)`` uint8 BGRX image and are written straight from the RFB
specification (``rfbproto.rst``) without looking at the decoders: clarity over speed. Every
choice is explicit (which subencoding, filter, stream...), so a test can reach each path; the
``*_like_qemu`` helpers pick the way QEMU picks, for benchmarks on realistic data.

For our pixel format (32 bpp, depth 24, little-endian, red shift 16, green 8, blue 0):

* a ZRLE CPIXEL is the three least significant bytes of the pixel, in wire order: B, G, R;
* a Tight TPIXEL is R, G, B.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence

import numpy as np
from PIL import Image

# ZRLE --------------------------------------------------------------------------------------------

ZRLE_TILE = 64


def cpixel(pixel: np.ndarray) -> bytes:
    """A BGRX pixel as a ZRLE CPIXEL: blue, green, red."""
    return bytes([int(pixel[0]), int(pixel[1]), int(pixel[2])])


def zrle_tiles(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """The ``(x, y, w, h)`` tiles of a rectangle, left to right then top to bottom."""
    return [
        (x, y, min(ZRLE_TILE, width - x), min(ZRLE_TILE, height - y))
        for y in range(0, height, ZRLE_TILE)
        for x in range(0, width, ZRLE_TILE)
    ]


def pixel_list(tile: np.ndarray) -> list[bytes]:
    """The tile's pixels in raster order, each as its CPIXEL."""
    return [cpixel(tile[y, x]) for y in range(tile.shape[0]) for x in range(tile.shape[1])]


def first_seen(pixels: Sequence[bytes]) -> list[bytes]:
    """The distinct values in order of first appearance."""
    return list(dict.fromkeys(pixels))  # dicts keep insertion order


def rle_length(length: int) -> bytes:
    """A run length as ZRLE writes it: 255 repeated, then (length - 1) % 255."""
    assert length >= 1
    return bytes([255] * ((length - 1) // 255) + [(length - 1) % 255])


def runs_of(pixels: Sequence[bytes]) -> list[tuple[bytes, int]]:
    """Maximal runs of equal values: ``(value, length)``."""
    runs: list[tuple[bytes, int]] = []
    for p in pixels:
        if runs and runs[-1][0] == p:
            runs[-1] = (p, runs[-1][1] + 1)
        else:
            runs.append((p, 1))
    return runs


def zrle_raw_tile(tile: np.ndarray) -> bytes:
    return bytes([0]) + b"".join(pixel_list(tile))


def zrle_solid_tile(tile: np.ndarray) -> bytes:
    colours = first_seen(pixel_list(tile))
    assert len(colours) == 1
    return bytes([1]) + colours[0]


def zrle_packed_tile(tile: np.ndarray, palette: Sequence[bytes] | None = None) -> bytes:
    """Packed palette: 1, 2 or 4 bits an index, leftmost pixel in the high bits, rows padded."""
    pixels = pixel_list(tile)
    palette = list(palette) if palette is not None else first_seen(pixels)
    assert 2 <= len(palette) <= 16
    bits = 1 if len(palette) == 2 else 2 if len(palette) <= 4 else 4
    height, width = tile.shape[:2]
    out = bytearray([len(palette)])
    for colour in palette:
        out += colour
    for y in range(height):
        row_bits = ""
        for x in range(width):
            row_bits += format(palette.index(pixels[y * width + x]), f"0{bits}b")
        row_bits += "0" * (-len(row_bits) % 8)
        out += bytes(int(row_bits[i : i + 8], 2) for i in range(0, len(row_bits), 8))
    return bytes(out)


def zrle_plain_rle_tile(tile: np.ndarray) -> bytes:
    out = bytearray([128])
    for colour, length in runs_of(pixel_list(tile)):
        out += colour + rle_length(length)
    return bytes(out)


def zrle_palette_rle_tile(
    tile: np.ndarray, palette: Sequence[bytes] | None = None, *, singles_as_runs: bool = False
) -> bytes:
    """Palette RLE; ``singles_as_runs`` writes a run of one the long way (index | 128, 0)."""
    pixels = pixel_list(tile)
    palette = list(palette) if palette is not None else first_seen(pixels)
    assert 2 <= len(palette) <= 127
    out = bytearray([128 + len(palette)])
    for colour in palette:
        out += colour
    for colour, length in runs_of(pixels):
        index = palette.index(colour)
        if length == 1 and not singles_as_runs:
            out.append(index)
        else:
            out.append(index | 128)
            out += rle_length(length)
    return bytes(out)


def zrle_tile_like_qemu(tile: np.ndarray) -> bytes:
    """The subencoding QEMU would pick: the smallest of its size estimates (see vnc-enc-zrle)."""
    pixels = pixel_list(tile)
    palette = first_seen(pixels)
    if len(palette) == 1:
        return zrle_solid_tile(tile)
    runs = runs_of(pixels)
    multi = sum(1 for _, n in runs if n > 1)
    single = len(runs) - multi
    n = len(pixels)
    best = 3 * n
    kind = "raw"
    if 4 * (multi + single) < best:
        best, kind = 4 * (multi + single), "plain"
    if len(palette) < 128:
        if 3 * len(palette) + 2 * multi + single < best:
            best, kind = 3 * len(palette) + 2 * multi + single, "palette_rle"
        if len(palette) < 17:
            bits = 1 if len(palette) == 2 else 2 if len(palette) <= 4 else 4
            if 3 * len(palette) + n * bits // 8 < best:
                kind = "packed"
    if kind == "raw":
        return zrle_raw_tile(tile)
    if kind == "plain":
        return zrle_plain_rle_tile(tile)
    if kind == "palette_rle":
        return zrle_palette_rle_tile(tile)
    return zrle_packed_tile(tile)


class ZRLEEncoder:
    """One connection's ZRLE: a single zlib stream, flushed at the end of every rectangle."""

    def __init__(self, level: int = 6) -> None:
        self._zlib = zlib.compressobj(level)

    def rect(self, image: np.ndarray, tiles: Sequence[bytes] | None = None) -> bytes:
        """The payload of one rectangle: ``tiles`` as given (default: QEMU's choices)."""
        if tiles is None:
            tiles = [
                zrle_tile_like_qemu(image[y : y + h, x : x + w])
                for x, y, w, h in zrle_tiles(image.shape[1], image.shape[0])
            ]
        return self.wrap(b"".join(tiles))

    def wrap(self, data: bytes) -> bytes:
        """Compress already-built tile data: the length, then the zlib bytes."""
        compressed = self._zlib.compress(data) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        return struct.pack(">I", len(compressed)) + compressed


# PNG ---------------------------------------------------------------------------------------------

PNG_NONE, PNG_SUB, PNG_UP, PNG_AVERAGE, PNG_PAETH = range(5)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_filter_row(kind: int, row: bytes, above: bytes, bpp: int) -> bytes:
    """One scanline filtered with ``kind`` (the previous scanline is ``above``).

    Straight from the PNG specification: each byte minus its predictor, modulo 256, where
    a is the byte a pixel to the left, b the byte above, c the byte above a.
    """
    x = np.frombuffer(row, np.uint8).astype(np.int64)
    b = np.frombuffer(above, np.uint8).astype(np.int64)
    a = np.concatenate((np.zeros(bpp, np.int64), x[:-bpp]))
    c = np.concatenate((np.zeros(bpp, np.int64), b[:-bpp]))
    if kind == PNG_PAETH:
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        predictor = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    else:
        predictor = [np.zeros_like(x), a, b, (a + b) // 2][kind]
    return ((x - predictor) % 256).astype(np.uint8).tobytes()


def png_bytes(
    image: np.ndarray, filters: Sequence[int] | None = None, palette: bool = False
) -> bytes:
    """An 8-bit PNG of a BGRX image, RGB or indexed, each row filtered as ``filters`` says.

    Without ``filters`` each row takes the filter whose output has the smallest sum of
    absolute values (bytes read as signed), libpng's choice when all filters are allowed
    (QEMU at its default compression level).
    """
    height, width = image.shape[:2]
    if palette:
        colours = first_seen([tpixel(px) for row in image for px in row])
        assert len(colours) <= 256
        rows = [bytes(r) for r in palette_indices(image, colours)]
        bpp, colour_type = 1, 3
    else:
        rows = [rgb_of(image)[y].tobytes() for y in range(height)]
        bpp, colour_type = 3, 2
    above = bytes(width * bpp)
    scanlines = b""
    for y, row in enumerate(rows):
        if filters is not None:
            kind = filters[y]
            line = png_filter_row(kind, row, above, bpp)
        else:
            options = [png_filter_row(k, row, above, bpp) for k in range(5)]
            costs = [
                int(np.minimum(v := np.frombuffer(o, np.uint8).astype(int), 256 - v).sum())
                for o in options
            ]
            kind = costs.index(min(costs))
            line = options[kind]
        scanlines += bytes([kind]) + line
        above = row
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
    if palette:
        out += png_chunk(b"PLTE", b"".join(colours))
    out += png_chunk(b"IDAT", zlib.compress(scanlines))
    return out + png_chunk(b"IEND", b"")


# Tight -------------------------------------------------------------------------------------------

TIGHT_FILL = 0x80
TIGHT_JPEG = 0x90
TIGHT_PNG = 0xA0
TIGHT_EXPLICIT_FILTER = 0x40
COPY, PALETTE, GRADIENT = 0, 1, 2


def tpixel(pixel: np.ndarray) -> bytes:
    """A BGRX pixel as a Tight TPIXEL: red, green, blue."""
    return bytes([int(pixel[2]), int(pixel[1]), int(pixel[0])])


def compact_length(length: int) -> bytes:
    """Tight's 1-3 byte length: 7 bits a byte, high bit meaning "more follows"."""
    assert 0 <= length <= 4194303
    out = [length & 0x7F]
    if length > 0x7F:
        out[0] |= 0x80
        out.append((length >> 7) & 0x7F)
        if length > 0x3FFF:
            out[1] |= 0x80
            out.append(length >> 14)
    return bytes(out)


def rgb_of(image: np.ndarray) -> np.ndarray:
    """The ``(h, w, 3)`` red, green, blue components of a BGRX image."""
    return np.ascontiguousarray(image[:, :, 2::-1])


def gradient_filter(image: np.ndarray) -> bytes:
    """Each component minus the prediction left + up - up-left (0 outside), clamped to 0..255."""
    v = np.zeros((image.shape[0] + 1, image.shape[1] + 1, 3), np.int64)
    v[1:, 1:] = rgb_of(image)
    prediction = np.clip(v[1:, :-1] + v[:-1, 1:] - v[:-1, :-1], 0, 255)
    return ((v[1:, 1:] - prediction) % 256).astype(np.uint8).tobytes()


def palette_indices(image: np.ndarray, palette: Sequence[bytes]) -> list[list[int]]:
    return [[palette.index(tpixel(px)) for px in row] for row in image]


class TightEncoder:
    """One connection's Tight (or TightPNG) encoder: four zlib streams, flushed per rectangle."""

    def __init__(self, level: int = 6) -> None:
        self.level = level
        self._streams = [zlib.compressobj(level) for _ in range(4)]

    def fill(self, image: np.ndarray, reset: int = 0) -> bytes:
        colours = {tpixel(px) for row in image for px in row}
        assert len(colours) == 1
        self._reset(reset)
        return bytes([TIGHT_FILL | reset]) + colours.pop()

    def jpeg(self, image: np.ndarray, quality: int = 90, reset: int = 0) -> bytes:
        out = io.BytesIO()
        Image.fromarray(rgb_of(image)).save(out, "JPEG", quality=quality)
        self._reset(reset)
        return bytes([TIGHT_JPEG | reset]) + compact_length(len(out.getvalue())) + out.getvalue()

    def png(self, image: np.ndarray, reset: int = 0, palette: bool = False) -> bytes:
        """A PNG rectangle made by Pillow: RGB, or with ``palette`` indexed (Pillow then packs
        2, 4 or 16 colours in 1, 2 or 4 bits a pixel)."""
        if palette:
            colours = first_seen([tpixel(px) for row in image for px in row])
            picture = Image.fromarray(np.array(palette_indices(image, colours), np.uint8), "P")
            picture.putpalette(b"".join(colours))
        else:
            picture = Image.fromarray(rgb_of(image))
        out = io.BytesIO()
        picture.save(out, "PNG")
        return self.png_payload(out.getvalue(), reset)

    def png_payload(self, png: bytes, reset: int = 0) -> bytes:
        """A PNG rectangle carrying the given PNG file."""
        self._reset(reset)
        return bytes([TIGHT_PNG | reset]) + compact_length(len(png)) + png

    def basic(
        self,
        image: np.ndarray,
        filter_id: int = COPY,
        *,
        stream: int = 0,
        explicit_filter: bool = True,
        reset: int = 0,
        palette: Sequence[bytes] | None = None,
    ) -> bytes:
        """Basic compression with the given filter and stream; the copy filter may be implicit."""
        assert explicit_filter or filter_id == COPY
        control = (stream << 4) | reset | (TIGHT_EXPLICIT_FILTER if explicit_filter else 0)
        head = bytes([control])
        if explicit_filter:
            head += bytes([filter_id])
        if filter_id == COPY:
            data = b"".join(tpixel(px) for row in image for px in row)
        elif filter_id == GRADIENT:
            data = gradient_filter(image)
        else:
            colours = (
                list(palette)
                if palette is not None
                else first_seen([tpixel(px) for row in image for px in row])
            )
            assert 2 <= len(colours) <= 256
            head += bytes([len(colours) - 1]) + b"".join(colours)
            indices = palette_indices(image, colours)
            if len(colours) == 2:
                data = b""
                for row in indices:
                    bits = "".join(str(i) for i in row)
                    bits += "0" * (-len(bits) % 8)
                    data += bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
            else:
                data = bytes(i for row in indices for i in row)
        self._reset(reset)
        if len(data) < 12:
            return head + data
        stream_obj = self._streams[stream]
        compressed = stream_obj.compress(data) + stream_obj.flush(zlib.Z_SYNC_FLUSH)
        return head + compact_length(len(compressed)) + compressed

    def _reset(self, reset: int) -> None:
        for i in range(4):
            if reset & (1 << i):
                self._streams[i] = zlib.compressobj(self.level)

    def rect_like_qemu(
        self, image: np.ndarray, png: bool = False, divisor: int = 48, mono_min: int = 16
    ) -> bytes:
        """What QEMU's Tight (or TightPNG) encoder sends for a rectangle, lossless mode.

        QEMU counts colours up to ``area / divisor`` (at most 256; 2 when that is below 2 and
        the area is at least ``mono_min``): its ``idx_max_colors_divisor`` and
        ``mono_min_rect_size``, 48 and 16 at compression level 6, this client's default. One
        colour: fill. Two: a 2-colour palette on stream 1. Up to the limit: a palette on
        stream 2. More: the copy filter, implicit, on stream 0. TightPNG sends an 8-bit PNG
        (indexed or RGB, libpng's filter choice) instead of palettes and copies.
        """
        height, width = image.shape[:2]
        values = image.view(np.uint32)[:, :, 0] & 0xFFFFFF
        colours = len(np.unique(values))
        most = min(256, height * width // divisor)
        if most < 2 and height * width >= mono_min:
            most = 2
        if colours == 1:
            return self.fill(image)
        if png:
            return self.png_payload(png_bytes(image, palette=colours <= most))
        if colours == 2 and most >= 2:
            return self.basic(image, PALETTE, stream=1)
        if colours <= most:
            return self.basic(image, PALETTE, stream=2)
        return self.basic(image, COPY, stream=0, explicit_filter=False)
