"""Hextile: the rectangle in 16x16 tiles, each raw or a background with small rectangles on it."""

from __future__ import annotations

import struct
from functools import lru_cache
from itertools import accumulate

import numpy as np

from ovhkvm_desktop.rfb.decoders import compiled
from ovhkvm_desktop.rfb.decoders.base import Decoder
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.words import _

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

# What a parsed tile needs painted besides its background.
_SOLID = 0
_MONO = 1  # sub-rectangles of the foreground colour
_MULTI = 2  # sub-rectangles of their own colours
_RAW_TILE = 3

_PIXEL = struct.Struct("=I")  # native order, so the 4 wire bytes land in memory as they came

#: Black, for a background or foreground the server never specified (the specification leaves
#: them undefined at the start of a rectangle). Its X byte is 255, like the rest of the screen.
BLACK = int(np.frombuffer(b"\x00\x00\x00\xff", np.uint32)[0])

# What things cost, in numpy calls of a few microseconds each: painting a sub-rectangle (or a run
# of solid tiles) takes one; painting a batch of tiles as one image takes about ten, plus a
# tenth of one per sub-rectangle.

#: A batch with fewer tiles plus sub-rectangles than this is painted one fill at a time.
_FEW = 26
#: Whole rows of tiles are painted this many tiles at a time (or a row at a time if longer), so
#: that a batch's image and its lists stay small however large the rectangle.
_BATCH_TILES = 1024
#: Up to this many sub-rectangles, one-colour tiles' masks are built with Python integers (a
#: lookup, a shift and an OR each); beyond, with numpy (a dozen calls, whatever their number).
_PYTHON_MASKS = 120

# A tile's mask says which of its pixels its sub-rectangles cover: 16 rows of 32 bits, bit
# ``32 * row + column``. A sub-rectangle that runs past the tile's 16th column sets bits 16 to
# 30 of its rows, and one that runs past the 16th row sets rows 16 to 30, so one AND with the
# bits a tile forbids catches every sub-rectangle that does not fit it.

_REPEAT = [0] + [sum(1 << (32 * row) for row in range(h)) for h in range(1, 17)]
#: By width-and-height byte: the sub-rectangle's mask at (0, 0).
_SPAN = [((1 << ((wh >> 4) + 1)) - 1) * _REPEAT[(wh & 15) + 1] for wh in range(256)]
#: By x-and-y-position byte: how far to shift a mask to put it there.
_SHIFT = [(xy >> 4) + 32 * (xy & 15) for xy in range(256)]
_NO_BITS = bytes(64)


def _shape(width: int, height: int) -> int:
    """A tile size as one number: the index of its forbidden bits."""
    return (width - 1) * 16 + height - 1


def _forbidden_rows(width: int, height: int) -> list[int]:
    outside = ~((1 << width) - 1) & 0xFFFFFFFF
    return [outside if row < height else 0xFFFFFFFF for row in range(16)]


#: By ``_shape``: the bits a tile forbids, as 16 rows...
_FORBIDDEN = np.array(
    [_forbidden_rows(width, height) for width in range(1, 17) for height in range(1, 17)], "<u4"
)
#: ...and as one integer, rows 16 and up included.
_FORBIDDEN_INT = [
    sum(int(bits) << (32 * row) for row, bits in enumerate(rows)) | ~((1 << 512) - 1)
    for rows in _FORBIDDEN
]
_FULL_TILE = _shape(16, 16)

#: A sub-rectangle's two bytes, x|y and (w-1)|(h-1), read as one big-endian "code".
_CODE = np.dtype(">u2")
_COLOURED_SUBRECT = np.dtype([("pixel", np.uint32), ("code", ">u2")])

#: The 8 bits of each byte value, least significant first, as indices (0 or 1).
_BITS = np.array([[(byte >> bit) & 1 for bit in range(8)] for byte in range(256)], np.intp)


@lru_cache(maxsize=1)
def _code_masks() -> np.ndarray:
    """The mask of each of the 65,536 sub-rectangle codes, as 16 rows (4 MiB, built once)."""
    code = np.arange(1 << 16, dtype=np.uint32)
    x = code >> 12
    y = (code >> 8) & 15
    width = ((code >> 4) & 15) + 1
    height = (code & 15) + 1
    columns = ((np.uint32(1) << width) - 1) << x
    row = np.arange(16, dtype=np.uint32)
    covered = (row >= y[:, None]) & (row < (y + height)[:, None])
    masks = np.where(covered, columns[:, None], np.uint32(0)).astype("<u4")
    # Rows past the 16th have no place here: mark them with a bit that every tile forbids.
    masks[:, 0] |= np.where(y + height > 16, np.uint32(1 << 31), np.uint32(0)).astype("<u4")
    return masks


def _palette_offsets(bands: int, columns: int) -> np.ndarray:
    """Per pixel of an image of ``bands`` x ``columns`` tiles, twice the index of its tile."""
    if bands * columns <= 64:  # the usual sizes: keep them (128 KiB at most each)
        return _kept_palette_offsets(bands, columns)
    return _make_palette_offsets(bands, columns)


def _make_palette_offsets(bands: int, columns: int) -> np.ndarray:
    offsets = np.empty((bands, 16, columns, 16), np.intp)
    offsets[...] = (2 * np.arange(bands * columns)).reshape(bands, 1, columns, 1)
    offsets.flags.writeable = False
    return offsets


_kept_palette_offsets = lru_cache(maxsize=128)(_make_palette_offsets)


@lru_cache(maxsize=128)
def _forbidden_slots(bands: int, columns: int, last_width: int, last_height: int) -> np.ndarray:
    """The forbidden bits of each tile of ``bands`` rows of ``columns`` tiles, as 16 rows each;
    the last column is ``last_width`` wide, the last row ``last_height`` high."""
    shapes = [
        _shape(16 if column < columns - 1 else last_width, 16 if band < bands - 1 else last_height)
        for band in range(bands)
        for column in range(columns)
    ]
    forbidden = _FORBIDDEN.take(shapes, axis=0)
    forbidden.flags.writeable = False
    return forbidden


class HextileDecoder(Decoder):
    """Decodes Hextile a batch of whole tiles at a time, with as few numpy calls as it can.

    Parsing walks the tiles in Python (their lengths depend on their headers). A small batch is
    then painted with a numpy fill per run of solid tiles and per sub-rectangle. A larger one is
    painted as one image: each one-colour tile's sub-rectangles are ORed into a bit mask of the
    pixels they cover, and each bit picks its pixel's colour from a palette of the tiles'
    backgrounds and foregrounds. A text tile made of fifty runs then costs little more than a
    solid one.
    """

    encoding = Encoding.HEXTILE

    def __init__(self) -> None:
        self._rect: Rect | None = None  # the rectangle the last call left unfinished
        self._next_tile = 0
        self._background = BLACK
        self._foreground = BLACK
        self._accel = compiled.accelerator()

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        if self._rect is not None and rect != self._rect:
            self._rect = None
        if self._rect is None:
            self._next_tile = 0
            self._background = self._foreground = BLACK
        columns = (rect.width + 15) >> 4
        rows = (rect.height + 15) >> 4
        if self._next_tile >= columns * rows:
            return pos
        if self._accel is not None:
            return self._decode_compiled(buf, pos, rect, fb, columns * rows)
        band, column = divmod(self._next_tile, columns)
        background = self._background
        foreground = self._foreground
        end = len(buf)
        last_width = rect.width - (columns - 1) * 16
        last_height = rect.height - (rows - 1) * 16
        bands_per_batch = max(1, _BATCH_TILES // columns)

        short = False  # of data
        while not short and band < rows:
            # Per tile of the batch: what it needs, its colours, its sub-rectangles or pixels.
            first = band * columns + column
            kinds = bytearray()
            palette: list[int] = []  # background, foreground, background, ...
            payloads: list[memoryview] = []
            mono = 0  # sub-rectangles in one-colour tiles
            coloured = 0  # and in coloured ones
            last_band = min(rows, band + bands_per_batch)
            while band < last_band:
                tile_height = 16 if band < rows - 1 else last_height
                while column < columns and pos < end:
                    mask = buf[pos]
                    if mask & _RAW:
                        tile_width = 16 if column < columns - 1 else last_width
                        stop = pos + 1 + tile_width * tile_height * 4
                        if stop > end:
                            break
                        kinds.append(_RAW_TILE)
                        payloads.append(buf[pos + 1 : stop])
                    else:
                        if mask > 31:
                            raise unknown_subencoding(mask)
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
                            kinds.append(_SOLID)
                        elif mask & _COLOURED:
                            kinds.append(_MULTI)
                            coloured += count
                        else:
                            kinds.append(_MONO)
                            mono += count
                        payloads.append(buf[start:stop])
                    palette.append(background)
                    palette.append(foreground)
                    pos = stop
                    column += 1
                if column < columns:
                    short = True
                    break
                band += 1
                column = 0

            if kinds:
                if len(kinds) + mono + coloured < _FEW:
                    _paint_tile_by_tile(rect, first, kinds, palette, payloads, fb.pixels32)
                else:
                    batch = _Batch(rect, first, kinds, palette, payloads)
                    batch.paint(fb.pixels32, mono, coloured)
                    del batch
            # The exception's traceback would keep this frame alive: it must not hold slices
            # of ``buf``, or the caller could not trim its buffer while handling it.
            del payloads

        if short:
            self._rect = rect
            self._next_tile = band * columns + column
            self._background = background
            self._foreground = foreground
            raise Incomplete(pos)
        self._rect = None
        return pos

    def _decode_compiled(
        self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer, tiles: int
    ) -> int:
        """The same, tile by tile in compiled code (which parses and paints in the same batches,
        so that a broken rectangle is refused for the same fault)."""
        assert self._accel is not None
        pos, self._next_tile, self._background, self._foreground, error = self._accel.hextile(
            buf,
            pos,
            fb.pixels32,
            rect.x,
            rect.y,
            rect.width,
            rect.height,
            self._next_tile,
            self._background,
            self._foreground,
            _BATCH_TILES,
        )
        if error is not None:
            self._rect = None
            if error[0] == self._accel.HEXTILE_SUBENCODING:
                raise unknown_subencoding(error[1])
            raise misfit(*error[1:])
        if self._next_tile < tiles:
            self._rect = rect
            raise Incomplete(pos)
        self._rect = None
        return pos


def batch_tiles() -> int:
    """How many tiles are parsed before they are painted (the compiled update loop's too)."""
    return _BATCH_TILES


def unknown_subencoding(mask: int) -> ProtocolError:
    return ProtocolError(
        _("the server sent a Hextile tile with an unknown subencoding ({mask})").format(mask=mask)
    )


def misfit(
    x: int, y: int, width: int, height: int, tile_width: int, tile_height: int
) -> ProtocolError:
    return ProtocolError(
        _(
            "the server sent a Hextile sub-rectangle {width}x{height} at ({x},{y}),"
            " outside its {tile_width}x{tile_height} tile"
        ).format(
            width=width, height=height, x=x, y=y, tile_width=tile_width, tile_height=tile_height
        )
    )


def _paint_tile_by_tile(
    rect: Rect,
    first: int,
    kinds: bytearray,
    palette: list[int],
    payloads: list[memoryview],
    screen: np.ndarray,
) -> None:
    """Paint tiles with one numpy fill per run of solid tiles of a colour, per sub-rectangle."""
    right = rect.x + rect.width
    bottom = rect.y + rect.height
    row, column = divmod(first, (rect.width + 15) >> 4)
    x = rect.x + column * 16
    y = rect.y + row * 16
    y1 = min(y + 16, bottom)
    run_start = -1  # solid tiles of this row not painted yet: from run_start to x
    run_colour = 0
    for i, kind in enumerate(kinds):
        x1 = min(x + 16, right)
        if kind == _SOLID:
            if run_start < 0:
                run_start = x
                run_colour = palette[2 * i]
            elif palette[2 * i] != run_colour:
                screen[y:y1, run_start:x].fill(run_colour)
                run_start = x
                run_colour = palette[2 * i]
        else:
            if run_start >= 0:
                screen[y:y1, run_start:x].fill(run_colour)
                run_start = -1
            if kind == _RAW_TILE:
                screen[y:y1, x:x1] = np.frombuffer(payloads[i], np.uint32).reshape(y1 - y, x1 - x)
            else:
                _paint_tile(
                    screen[y:y1, x:x1],
                    palette[2 * i],
                    palette[2 * i + 1],
                    kind == _MULTI,
                    payloads[i],
                )
        x = x1
        if x == right:
            if run_start >= 0:
                screen[y:y1, run_start:x].fill(run_colour)
                run_start = -1
            x = rect.x
            y = y1
            y1 = min(y + 16, bottom)
    if run_start >= 0:
        screen[y:y1, run_start:x].fill(run_colour)


def _paint_tile(
    view: np.ndarray, background: int, foreground: int, coloured: bool, subrects: memoryview
) -> None:
    """Paint one tile with a numpy fill for its background and one per sub-rectangle."""
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
            raise misfit(x, y, x1 - x, y1 - y, width, height)
        view[y:y1, x:x1].fill(_PIXEL.unpack_from(subrects, i - 4)[0] if coloured else foreground)


class _Batch:
    """Whole tiles that one call parsed, painted as one image of whole rows of tiles.

    The image's slots are the tiles of the rows of tiles the batch touches: ``skipped`` slots
    before its first tile (decoded by an earlier call) and ``padding`` after its last.
    """

    def __init__(
        self,
        rect: Rect,
        first: int,
        kinds: bytearray,
        palette: list[int],
        payloads: list[memoryview],
    ) -> None:
        self.rect = rect
        self.first = first  # index in the rectangle of the batch's first tile
        self.kinds = kinds
        self.palette = palette
        self.payloads = payloads
        self.columns = columns = (rect.width + 15) >> 4
        self.skipped = first % columns
        self.bands = (self.skipped + len(kinds) + columns - 1) // columns
        self.slots = self.bands * columns
        self.padding = self.slots - self.skipped - len(kinds)

    def paint(self, screen: np.ndarray, mono: int, coloured: int) -> None:
        """Paint the batch; ``mono`` and ``coloured`` count its two kinds of sub-rectangles."""
        bands = self.bands
        columns = self.columns
        skipped = self.skipped
        palette = self.palette
        if skipped or self.padding:
            palette = [0, 0] * skipped + palette + [0, 0] * self.padding
        if mono:
            masks = self.masks_in_python() if mono <= _PYTHON_MASKS else self.masks_in_numpy()
            rows = masks.reshape(bands, columns, 16).transpose(0, 2, 1).astype("<u2", order="C")
            # Each pixel's bit plus twice its tile's index: where its colour is in the palette.
            index = _BITS.take(rows.view(np.uint8), axis=0).reshape(bands, 16, columns, 16)
            index += _palette_offsets(bands, columns)
        else:
            index = _palette_offsets(bands, columns)
        # Indexed by band, row of pixels, tile, pixel: the screen's layout.
        image = np.array(palette, np.uint32).take(index)
        if coloured:
            self.paint_coloured(image)
        if _RAW_TILE in self.kinds:
            for i, kind in enumerate(self.kinds):
                if kind == _RAW_TILE:
                    band, column = divmod(skipped + i, columns)
                    width, height = self.size(band, column)
                    image[band, :height, column, :width] = np.frombuffer(
                        self.payloads[i], np.uint32
                    ).reshape(height, width)
        self.blit(image.reshape(bands * 16, columns * 16), screen)

    def size(self, band: int, column: int) -> tuple[int, int]:
        """The width and height of the tile in a slot."""
        rect = self.rect
        top = (self.first // self.columns + band) * 16
        return min(16, rect.width - column * 16), min(16, rect.height - top)

    def blit(self, image: np.ndarray, screen: np.ndarray) -> None:
        """Copy the batch's tiles (not the skipped or padding slots) from the image."""
        rect = self.rect
        columns = self.columns
        bands = self.bands
        skipped = self.skipped
        last = columns - self.padding  # tiles in the batch's last band
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
        top = (self.first // columns) * 16
        for band_start, band_stop, column_start, column_stop in parts:
            y0 = band_start * 16
            y1 = min(band_stop * 16, rect.height - top)
            x0 = column_start * 16
            x1 = min(column_stop * 16, rect.width)
            screen[rect.y + top + y0 : rect.y + top + y1, rect.x + x0 : rect.x + x1] = image[
                y0:y1, x0:x1
            ]

    def forbidden(self) -> np.ndarray:
        """The forbidden bits of every slot's tile."""
        rect = self.rect
        rows = (rect.height + 15) >> 4
        at_bottom = self.first // self.columns + self.bands == rows
        return _forbidden_slots(
            self.bands,
            self.columns,
            rect.width - (self.columns - 1) * 16,
            rect.height - (rows - 1) * 16 if at_bottom else 16,
        )

    def masks_in_python(self) -> np.ndarray:
        """Every slot's mask (one-colour tiles only), ORed with Python integers."""
        rect = self.rect
        columns = self.columns
        rows = (rect.height + 15) >> 4
        last_column = _shape(rect.width - (columns - 1) * 16, 16)
        last_row = rows - 1 - self.first // columns  # the rectangle's last row, as a band
        shorter = 16 - (rect.height - (rows - 1) * 16)  # in _shape, a tile of the last row is
        masks = [_NO_BITS] * self.skipped
        for i, kind in enumerate(self.kinds):
            if kind == _MONO:
                subrects = bytes(self.payloads[i])
                covered = 0
                for xy, wh in zip(subrects[::2], subrects[1::2], strict=False):
                    covered |= _SPAN[wh] << _SHIFT[xy]
                band, column = divmod(self.skipped + i, columns)
                shape = _FULL_TILE if column < columns - 1 else last_column
                if band == last_row:
                    shape -= shorter
                if covered & _FORBIDDEN_INT[shape]:
                    self.raise_misfit()
                masks.append(covered.to_bytes(64, "little"))
            else:
                masks.append(_NO_BITS)
        masks += [_NO_BITS] * self.padding
        return np.frombuffer(b"".join(masks), "<u4")

    def masks_in_numpy(self) -> np.ndarray:
        """Every slot's mask (one-colour tiles only), through a table of every code's mask."""
        tiles = [i for i, kind in enumerate(self.kinds) if kind == _MONO]
        codes = np.frombuffer(b"".join([self.payloads[i] for i in tiles]), _CODE)
        counts = [len(self.payloads[i]) // 2 for i in tiles]
        # ORing the rows two at a time, as 64-bit numbers, takes half the steps.
        masks = _code_masks().take(codes, axis=0).view(np.uint64)
        covered = np.zeros((self.slots, 16), "<u4")
        covered[np.add(tiles, self.skipped)] = np.bitwise_or.reduceat(
            masks, [0, *accumulate(counts)][:-1]
        ).view("<u4")
        if np.count_nonzero(covered & self.forbidden()):
            self.raise_misfit()
        return covered

    def paint_coloured(self, image: np.ndarray) -> None:
        """Coloured tiles into the image: each pixel takes the last sub-rectangle over it."""
        tiles = [i for i, kind in enumerate(self.kinds) if kind == _MULTI]
        slots = np.add(tiles, self.skipped)
        counts = [len(self.payloads[i]) // 6 for i in tiles]
        starts = [0, *accumulate(counts)][:-1]
        subrects = np.frombuffer(b"".join([self.payloads[i] for i in tiles]), _COLOURED_SUBRECT)
        masks = _code_masks().take(subrects["code"], axis=0)
        covered = np.bitwise_or.reduceat(masks.view(np.uint64), starts).view("<u4")
        if np.count_nonzero(covered & self.forbidden()[slots]):
            self.raise_misfit()
        bits = np.unpackbits(
            masks.view(np.uint8).reshape(len(masks), 16, 4), axis=2, count=16, bitorder="little"
        )
        # Per pixel, 1 + the index in its tile of the last sub-rectangle over it, or 0.
        ordinal = (np.arange(1, len(masks) + 1) - np.repeat(starts, counts)).astype(np.uint8)
        owner = np.maximum.reduceat(bits * ordinal[:, None, None], starts)
        backgrounds = np.array([self.palette[2 * i] for i in tiles], np.uint32)
        colours = np.concatenate((subrects["pixel"], backgrounds))  # backgrounds go last
        index = np.where(
            owner > 0,
            owner + np.array(starts)[:, None, None] - 1,
            (len(masks) + np.arange(len(tiles)))[:, None, None],
        )
        for slot, pixels in zip(slots.tolist(), colours.take(index), strict=True):
            band, column = divmod(slot, self.columns)
            image[band, :, column, :] = pixels

    def raise_misfit(self) -> None:
        """Raise the error for the first sub-rectangle that does not fit its tile."""
        scratch = np.empty((16, 16), np.uint32)
        for i, kind in enumerate(self.kinds):
            if kind in (_MONO, _MULTI):
                width, height = self.size(*divmod(self.skipped + i, self.columns))
                _paint_tile(scratch[:height, :width], 0, 0, kind == _MULTI, self.payloads[i])
        raise AssertionError("a sub-rectangle failed the mask test but not the tile test")
