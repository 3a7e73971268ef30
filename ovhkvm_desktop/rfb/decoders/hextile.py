"""Hextile: the rectangle cut into 16x16 tiles, each raw or a background with small rectangles on it."""

from __future__ import annotations

import struct
from functools import lru_cache
from itertools import accumulate

import numpy as np

from ovhkvm_desktop.rfb.decoders.base import Decoder
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect

# Subencoding mask bits.
_RAW = 1
_BACKGROUND = 2
_FOREGROUND = 4
_ANY_SUBRECTS = 8
_COLOURED = 16

#: Bytes from a non-raw tile's mask byte to its first sub-rectangle, by mask.
_HEADER_LENGTH = [
    1 + 4 * bool(mask & _BACKGROUND) + 4 * bool(mask & _FOREGROUND) + bool(mask & _ANY_SUBRECTS)
    for mask in range(32)
]

_PIXEL = struct.Struct("=I")  # native order, so the 4 wire bytes land in memory as they came

#: Black, for a background or foreground the server never specified (the specification leaves
#: them undefined at the start of a rectangle). Its X byte is 255, like the rest of the screen.
BLACK = int(np.frombuffer(b"\x00\x00\x00\xff", np.uint32)[0])

#: A sub-rectangle's two bytes, x|y and (w-1)|(h-1) nibbles, read as one big-endian "code".
_CODE = np.dtype(">u2")
_COLOURED_SUBRECT = np.dtype([("pixel", np.uint32), ("code", ">u2")])

#: Bit 31 of a mask's row 0 marks a sub-rectangle that runs past the tile's 16th row.
_PAST_ROW_16 = 1 << 31

#: Below this many tiles plus sub-rectangles, a batch is painted with one numpy fill per run of
#: solid tiles and per sub-rectangle; from it on, as one image with a dozen numpy calls in all.
#: The same trade-off decides how coloured tiles are painted.
_FEW = 20


def _build_row_masks() -> np.ndarray:
    """For each of the 65,536 sub-rectangle codes, the pixels it covers in a 16x16 tile.

    Row ``r`` of a code's entry has bit ``c`` set when the sub-rectangle covers column ``c`` of
    tile row ``r``; bits 16 and up mark columns past the tile's 16th and ``_PAST_ROW_16`` rows past
    its 16th, so that one mask test per tile catches every sub-rectangle that does not fit.
    """
    code = np.arange(1 << 16, dtype=np.uint32)
    x = code >> 12
    y = (code >> 8) & 15
    width = ((code >> 4) & 15) + 1
    height = (code & 15) + 1
    columns = ((np.uint32(1) << width) - 1) << x
    row = np.arange(16, dtype=np.uint32)
    covered = (row >= y[:, None]) & (row < (y + height)[:, None])
    masks = np.where(covered, columns[:, None], np.uint32(0)).astype("<u4")
    masks[:, 0] |= np.where(y + height > 16, np.uint32(_PAST_ROW_16), np.uint32(0)).astype("<u4")
    return masks


def _forbidden_rows(width: int, height: int) -> list[int]:
    """The mask bits a sub-rectangle of a ``width`` x ``height`` tile may not set, row by row."""
    outside = ~((1 << width) - 1) & 0xFFFFFFFF
    return [outside if row < height else 0xFFFFFFFF for row in range(16)]


#: ``_forbidden_rows`` of every tile size, at index ``(width - 1) * 16 + height - 1``.
_FORBIDDEN = np.array(
    [_forbidden_rows(w, h) for w in range(1, 17) for h in range(1, 17)], "<u4"
).reshape(256, 16)

#: The 8 bits of each byte value, least significant first, as indices (0 or 1).
_BITS = np.array([[(byte >> bit) & 1 for bit in range(8)] for byte in range(256)], np.intp)


@lru_cache(maxsize=1)
def _row_masks() -> np.ndarray:
    return _build_row_masks()  # 4 MiB, built on first use


@lru_cache(maxsize=256)
def _palette_offsets(bands: int, columns: int) -> np.ndarray:
    """Per pixel of an image of ``bands`` x ``columns`` tiles, twice the index of its tile."""
    offsets = np.empty((bands, 16, columns, 16), np.intp)
    offsets[...] = (2 * np.arange(bands * columns)).reshape(bands, 1, columns, 1)
    offsets.flags.writeable = False
    return offsets


@lru_cache(maxsize=256)
def _forbidden_for(bands: int, columns: int, last_width: int, last_height: int) -> np.ndarray:
    """``_forbidden_rows`` of each tile of a whole rectangle of ``bands`` x ``columns`` tiles."""
    rows = [
        _forbidden_rows(
            16 if column < columns - 1 else last_width, 16 if band < bands - 1 else last_height
        )
        for band in range(bands)
        for column in range(columns)
    ]
    forbidden = np.array(rows, "<u4")
    forbidden.flags.writeable = False
    return forbidden


class HextileDecoder(Decoder):
    """Decodes Hextile a batch of whole tiles at a time, with as few numpy calls as it can.

    Parsing walks the tiles in Python (their lengths depend on their headers). A small batch is
    then painted with one numpy fill per run of solid tiles and per sub-rectangle. A larger one
    becomes a single image: each sub-rectangle's code looks up the bit mask of the pixels it
    covers in its tile, the masks are ORed per tile, and each bit picks its pixel's background or
    foreground from a palette of the tiles' colours. A text tile made of fifty runs then costs
    about what a solid one does.
    """

    encoding = Encoding.HEXTILE

    def __init__(self) -> None:
        self._rect: Rect | None = None  # the rectangle the last call left unfinished
        self._next_tile = 0
        self._background = BLACK
        self._foreground = BLACK

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        if rect != self._rect:
            self._rect = None
            self._next_tile = 0
            self._background = self._foreground = BLACK
        columns = (rect.width + 15) >> 4
        rows = (rect.height + 15) >> 4
        if self._next_tile >= columns * rows:
            return pos
        first = self._next_tile
        band, column = divmod(first, columns)
        background = self._background
        foreground = self._foreground
        end = len(buf)
        last_width = rect.width - (columns - 1) * 16
        last_height = rect.height - (rows - 1) * 16

        # Per tile of the batch: its kind, background and foreground, sub-rectangles or raw pixels.
        kinds = bytearray()
        palette: list[int] = []
        payloads: list[memoryview | int | None] = []
        counts: list[int] = []
        mono = 0  # sub-rectangles in one-colour tiles
        coloured = 0  # and in coloured ones
        while band < rows:
            tile_height = 16 if band < rows - 1 else last_height
            while column < columns and pos < end:
                mask = buf[pos]
                if mask & _RAW:
                    tile_width = 16 if column < columns - 1 else last_width
                    stop = pos + 1 + tile_width * tile_height * 4
                    if stop > end:
                        break
                    kinds.append(_RAW)
                    payloads.append(pos + 1)
                    counts.append(0)
                else:
                    if mask > 31:
                        raise ProtocolError(
                            f"the server sent a Hextile tile with an unknown subencoding ({mask})"
                        )
                    start = pos + _HEADER_LENGTH[mask]
                    if start > end:
                        break
                    if mask & _ANY_SUBRECTS:
                        count = buf[start - 1]
                        stop = start + count * (6 if mask & _COLOURED else 2)
                        if stop > end:
                            break
                    else:
                        count = 0
                        stop = start
                    if mask & _BACKGROUND:
                        background = _PIXEL.unpack_from(buf, pos + 1)[0]
                        if mask & _FOREGROUND:
                            foreground = _PIXEL.unpack_from(buf, pos + 5)[0]
                    elif mask & _FOREGROUND:
                        foreground = _PIXEL.unpack_from(buf, pos + 1)[0]
                    if not count:
                        kinds.append(0)
                        payloads.append(None)
                    elif mask & _COLOURED:
                        kinds.append(_COLOURED)
                        payloads.append(buf[start:stop])
                        coloured += count
                    else:
                        kinds.append(_ANY_SUBRECTS)
                        payloads.append(buf[start:stop])
                        mono += count
                    counts.append(count)
                palette.append(background)
                palette.append(foreground)
                pos = stop
                column += 1
            if column < columns:
                break
            band += 1
            column = 0

        if kinds:
            batch = _Batch(rect, first, kinds, palette, payloads, counts)
            if len(kinds) + mono + coloured < _FEW:
                batch.paint_tile_by_tile(buf, fb.pixels32)
            else:
                batch.paint_as_image(buf, fb.pixels32, mono, coloured)
        if band < rows:
            self._rect = rect
            self._next_tile = band * columns + column
            self._background = background
            self._foreground = foreground
            raise Incomplete(pos)
        self._rect = None
        return pos


class _Batch:
    """The whole tiles that one call parsed, and how to paint them."""

    def __init__(
        self,
        rect: Rect,
        first: int,
        kinds: bytearray,
        palette: list[int],
        payloads: list[memoryview | int | None],
        counts: list[int],
    ) -> None:
        self.rect = rect
        self.first = first  # index in the rectangle of the batch's first tile
        self.kinds = kinds  # per tile: 0 (solid), _RAW, _ANY_SUBRECTS (one colour), _COLOURED
        self.palette = palette  # per tile: background, foreground
        self.payloads = payloads  # per tile: sub-rectangles, offset of raw pixels in the buffer
        self.counts = counts  # per tile: sub-rectangles
        self.columns = (rect.width + 15) >> 4

    def box(self, i: int) -> tuple[int, int, int, int]:
        """The ``(x, y, x1, y1)`` of the batch's ``i``-th tile on the screen."""
        rect = self.rect
        row, column = divmod(self.first + i, self.columns)
        x = rect.x + column * 16
        y = rect.y + row * 16
        return x, y, min(x + 16, rect.x + rect.width), min(y + 16, rect.y + rect.height)

    def paint_tile_by_tile(self, buf: memoryview, screen: np.ndarray) -> None:
        """One numpy fill per run of solid tiles of one colour and per sub-rectangle."""
        palette = self.palette
        run: list[int] = []  # solid tiles not painted yet: x, y, x1, y1, colour
        for i, kind in enumerate(self.kinds):
            x, y, x1, y1 = self.box(i)
            if kind == 0 and run and run[4] == palette[2 * i] and run[1] == y:
                run[2] = x1
                continue
            if run:
                screen[run[1] : run[3], run[0] : run[2]].fill(run[4])
                run = []
            if kind == 0:
                run = [x, y, x1, y1, palette[2 * i]]
            elif kind == _RAW:
                self.paint_raw(buf, i, screen)
            else:
                subrects = self.payloads[i]
                assert isinstance(subrects, memoryview)
                _paint_tile(
                    screen[y:y1, x:x1],
                    palette[2 * i],
                    palette[2 * i + 1],
                    kind == _COLOURED,
                    subrects,
                )
        if run:
            screen[run[1] : run[3], run[0] : run[2]].fill(run[4])

    def paint_raw(self, buf: memoryview, i: int, screen: np.ndarray) -> None:
        x, y, x1, y1 = self.box(i)
        offset = self.payloads[i]
        assert isinstance(offset, int)
        screen[y:y1, x:x1] = np.frombuffer(buf, np.uint32, (x1 - x) * (y1 - y), offset).reshape(
            y1 - y, x1 - x
        )

    def paint_as_image(self, buf: memoryview, screen: np.ndarray, mono: int, coloured: int) -> None:
        """Solid and one-colour tiles as one image, through a palette; then the others."""
        rect = self.rect
        columns = self.columns
        count = len(self.kinds)
        skipped = self.first % columns  # tiles of the first row that an earlier call decoded
        bands = (skipped + count + columns - 1) // columns
        slots = bands * columns
        padding = slots - skipped - count
        palette = self.palette
        if skipped or padding:
            palette = [0, 0] * skipped + palette + [0, 0] * padding
        if mono:
            index = self.mono_bits(skipped, bands, slots)
            index += _palette_offsets(bands, columns)
        else:
            index = _palette_offsets(bands, columns)
        image = np.array(palette, np.uint32).take(index).reshape(bands * 16, columns * 16)

        top = (self.first // columns) * 16
        last = (skipped + count - 1) % columns + 1  # tiles in the batch's last band
        if bands == 1:
            parts = [(0, 1, skipped, last)]
        else:
            parts = []
            band = 0
            if skipped:
                parts.append((0, 1, skipped, columns))
                band = 1
            final = bands if last == columns else bands - 1
            if band < final:
                parts.append((band, final, 0, columns))
            if final < bands:
                parts.append((final, bands, 0, last))
        for band_start, band_stop, column_start, column_stop in parts:
            y0 = band_start * 16
            y1 = min(band_stop * 16, rect.height - top)
            x0 = column_start * 16
            x1 = min(column_stop * 16, rect.width)
            screen[rect.y + top + y0 : rect.y + top + y1, rect.x + x0 : rect.x + x1] = image[
                y0:y1, x0:x1
            ]

        if coloured or _RAW in self.kinds:
            multi = []
            for i, kind in enumerate(self.kinds):
                if kind == _RAW:
                    self.paint_raw(buf, i, screen)
                elif kind == _COLOURED:
                    multi.append(i)
            if coloured < _FEW:
                for i in multi:
                    x, y, x1, y1 = self.box(i)
                    subrects = self.payloads[i]
                    assert isinstance(subrects, memoryview)
                    _paint_tile(screen[y:y1, x:x1], palette[2 * (i + skipped)], 0, True, subrects)
            elif multi:
                self.paint_coloured(multi, screen)

    def mono_bits(self, skipped: int, bands: int, slots: int) -> np.ndarray:
        """Per pixel of the batch's image, 1 where a one-colour tile has a sub-rectangle."""
        tiles = [i for i, kind in enumerate(self.kinds) if kind == _ANY_SUBRECTS]
        codes = np.frombuffer(b"".join([self.payloads[i] for i in tiles]), _CODE)  # type: ignore[misc]
        counts = [self.counts[i] for i in tiles]
        masks = _row_masks().take(codes, axis=0)
        # ORing the rows two by two, as 64-bit numbers, is the same in half the steps.
        covered = np.bitwise_or.reduceat(masks.view(np.uint64), [0, *accumulate(counts)][:-1])
        covered = covered.view("<u4")
        if len(tiles) != slots:
            every = np.zeros((slots, 16), "<u4")
            every[np.add(tiles, skipped)] = covered
            covered = every
        if np.count_nonzero(covered & self.forbidden(skipped, bands, slots)):
            self.raise_misfit()
        rows = covered.reshape(bands, -1, 16).transpose(0, 2, 1).astype("<u2", order="C")
        return _BITS.take(rows.view(np.uint8), axis=0).reshape(bands, 16, -1, 16)

    def forbidden(self, skipped: int, bands: int, slots: int) -> np.ndarray:
        """The mask bits each slot's tile forbids."""
        rect = self.rect
        columns = self.columns
        rows = (rect.height + 15) >> 4
        last_width = rect.width - (columns - 1) * 16
        last_height = rect.height - (rows - 1) * 16
        band = self.first // columns
        if band == 0 and bands == rows:
            return _forbidden_for(bands, columns, last_width, last_height)
        shapes = []
        for slot in range(slots):
            row, column = divmod(slot, columns)
            width = 16 if column < columns - 1 else last_width
            height = 16 if band + row < rows - 1 else last_height
            shapes.append((width - 1) * 16 + height - 1)
        return _FORBIDDEN.take(shapes, axis=0)

    def paint_coloured(self, tiles: list[int], screen: np.ndarray) -> None:
        """Coloured tiles: each pixel takes the colour of the last sub-rectangle over it, if any."""
        counts = [self.counts[i] for i in tiles]
        starts = [0, *accumulate(counts)][:-1]
        subrects = np.frombuffer(
            b"".join([self.payloads[i] for i in tiles]),  # type: ignore[misc]
            _COLOURED_SUBRECT,
        )
        masks = _row_masks().take(subrects["code"], axis=0)
        covered = np.bitwise_or.reduceat(masks.view(np.uint64), starts).view("<u4")
        shapes = []
        for i in tiles:
            x, y, x1, y1 = self.box(i)
            shapes.append((x1 - x - 1) * 16 + y1 - y - 1)
        if np.count_nonzero(covered & _FORBIDDEN.take(shapes, axis=0)):
            self.raise_misfit()
        bits = np.unpackbits(
            masks.view(np.uint8).reshape(len(masks), 16, 4), axis=2, count=16, bitorder="little"
        )
        # Per pixel, 1 + the index in its tile of the last sub-rectangle over it, or 0.
        ordinal = (np.arange(1, len(masks) + 1) - np.repeat(starts, counts)).astype(np.uint8)
        owner = np.maximum.reduceat(bits * ordinal[:, None, None], starts)
        # The tiles' backgrounds go after the sub-rectangles' colours.
        backgrounds = np.array([self.palette[2 * i] for i in tiles], np.uint32)
        colours = np.concatenate((subrects["pixel"], backgrounds))
        index = np.where(
            owner > 0,
            owner + np.array(starts)[:, None, None] - 1,
            (len(subrects) + np.arange(len(tiles)))[:, None, None],
        )
        for i, pixels in zip(tiles, colours.take(index), strict=True):
            x, y, x1, y1 = self.box(i)
            screen[y:y1, x:x1] = pixels[: y1 - y, : x1 - x]

    def raise_misfit(self) -> None:
        """Raise the error for the first sub-rectangle that does not fit its tile."""
        scratch = np.empty((16, 16), np.uint32)
        for i, kind in enumerate(self.kinds):
            if kind in (_ANY_SUBRECTS, _COLOURED):
                x, y, x1, y1 = self.box(i)
                subrects = self.payloads[i]
                assert isinstance(subrects, memoryview)
                _paint_tile(scratch[: y1 - y, : x1 - x], 0, 0, kind == _COLOURED, subrects)
        raise AssertionError("the mask test found a misfit that the tile test did not")


def _paint_tile(
    view: np.ndarray, background: int, foreground: int, coloured: bool, subrects: memoryview
) -> None:
    """Paint one tile with one numpy fill for its background and one per sub-rectangle."""
    height, width = view.shape
    view.fill(background)
    step = 6 if coloured else 2
    for i in range(step - 2, len(subrects), step):
        xy = subrects[i]
        wh = subrects[i + 1]
        x = xy >> 4
        y = xy & 15
        x1 = x + (wh >> 4) + 1
        y1 = y + (wh & 15) + 1
        if x1 > width or y1 > height:
            raise ProtocolError(
                f"the server sent a Hextile sub-rectangle {x1 - x}x{y1 - y} at ({x},{y}),"
                f" outside its {width}x{height} tile"
            )
        view[y:y1, x:x1].fill(_PIXEL.unpack_from(subrects, i - 4)[0] if coloured else foreground)
