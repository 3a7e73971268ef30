"""RRE: a background colour, then any number of one-colour rectangles painted on it in order."""

from __future__ import annotations

import struct
from itertools import pairwise

import numpy as np

from ovhkvm_desktop.rfb.decoders.base import Decoder
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.words import _

_COUNT = struct.Struct(">I")
_PIXEL = struct.Struct("=I")  # native order, so the 4 wire bytes land in memory as they came
_PLACE = struct.Struct(">HHHH")  # x, y, width, height
_SUBRECT_SIZE = 12  # a pixel, then its place

#: From this many sub-rectangles on, a batch is looked at for runs of one colour...
_MANY = 48
#: ...and if one is this long, the batch is checked with numpy (about as costly as 25 fills) and
#: each such run painted with about ten numpy calls, whatever its length, rather than with one
#: fill per sub-rectangle.
_LONG_RUN = 48
#: Sub-rectangles of more pixels than this get a fill of their own even then.
_LARGE = 64


class RREDecoder(Decoder):
    """Paints RRE sub-rectangles as they arrive, so a huge count never needs a huge buffer.

    Later sub-rectangles win where they overlap. Encoders list a colour's sub-rectangles one
    after the other, and within such a run the order does not matter: a long run is painted at
    once, every pixel of its small sub-rectangles set by one numpy assignment.
    """

    encoding = Encoding.RRE

    def __init__(self) -> None:
        self._rect: Rect | None = None  # the rectangle the last call left unfinished
        self._remaining = 0

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        if self._rect is not None and rect == self._rect:
            remaining = self._remaining
        else:
            self._rect = None
            if pos + 8 > len(buf):
                raise Incomplete(pos)
            (remaining,) = _COUNT.unpack_from(buf, pos)
            if remaining > rect.area:
                raise ProtocolError(
                    _(
                        "the server announced {count} RRE sub-rectangles"
                        " for a {width}x{height} rectangle"
                    ).format(count=remaining, width=rect.width, height=rect.height)
                )
            (background,) = _PIXEL.unpack_from(buf, pos + 4)
            fb.fill(rect.x, rect.y, rect.width, rect.height, background)
            pos += 8
        count = min(remaining, (len(buf) - pos) // _SUBRECT_SIZE)
        if count:
            _paint(buf, pos, count, rect, fb.pixels32)
            pos += count * _SUBRECT_SIZE
            remaining -= count
        if remaining:
            self._rect = rect
            self._remaining = remaining
            raise Incomplete(pos)
        self._rect = None
        return pos


def _paint(buf: memoryview, pos: int, count: int, rect: Rect, screen: np.ndarray) -> None:
    """Paint sub-rectangles in order, after checking that each fits the rectangle."""
    if count >= _MANY:
        pixels = np.ndarray((count,), np.uint32, buf, pos, (_SUBRECT_SIZE,))
        # Runs of one colour: where the colour changes, and the ends.
        bounds = [0, *(np.flatnonzero(pixels[1:] != pixels[:-1]) + 1).tolist(), count]
        if any(stop - start >= _LONG_RUN for start, stop in pairwise(bounds)):
            _paint_runs(buf, pos, count, rect, screen, pixels, bounds)
            return
    _paint_one_by_one(buf, pos, count, rect, screen)


def _paint_one_by_one(
    buf: memoryview, pos: int, count: int, rect: Rect, screen: np.ndarray
) -> None:
    """Paint sub-rectangles with one fill each."""
    for at in range(pos, pos + count * _SUBRECT_SIZE, _SUBRECT_SIZE):
        x, y, width, height = _PLACE.unpack_from(buf, at + 4)
        if x + width > rect.width or y + height > rect.height:
            raise _outside(x, y, width, height, rect)
        x += rect.x
        y += rect.y
        screen[y : y + height, x : x + width].fill(_PIXEL.unpack_from(buf, at)[0])


def _paint_runs(
    buf: memoryview,
    pos: int,
    count: int,
    rect: Rect,
    screen: np.ndarray,
    pixels: np.ndarray,
    bounds: list[int],
) -> None:
    """Paint sub-rectangles a run of one colour at a time, each long run with numpy."""
    places = np.ndarray((count, 4), ">u2", buf, pos + 4, (_SUBRECT_SIZE, 2)).astype(np.intp)
    outside = (places[:, 0] + places[:, 2] > rect.width) | (
        places[:, 1] + places[:, 3] > rect.height
    )
    if outside.any():
        left, top, misfit_width, misfit_height = places[outside.argmax()].tolist()
        raise _outside(left, top, misfit_width, misfit_height, rect)
    places[:, 0] += rect.x
    places[:, 1] += rect.y
    colours = pixels.tolist()
    boxes = places.tolist()
    for start, stop in pairwise(bounds):
        if stop - start < _LONG_RUN:
            for i in range(start, stop):
                x, y, width, height = boxes[i]
                screen[y : y + height, x : x + width].fill(colours[i])
        else:
            _fill_run(screen, colours[start], places[start:stop], boxes[start:stop])


def _fill_run(screen: np.ndarray, colour: int, places: np.ndarray, boxes: list[list[int]]) -> None:
    """Paint sub-rectangles of one colour, in any order: the large ones with a fill each, the
    small ones all at once, setting every pixel they cover with one fancy-indexed assignment."""
    x, y, width, height = places.T
    area = width * height
    large = area > _LARGE
    if large.any():
        for i in np.flatnonzero(large).tolist():
            x0, y0, w, h = boxes[i]
            screen[y0 : y0 + h, x0 : x0 + w].fill(colour)
        small = ~large
        x, y, width, height = x[small], y[small], width[small], height[small]
    if not len(x):
        return
    assert screen.flags.c_contiguous  # so that reshape(-1) is a view
    stride = screen.shape[1]
    starts = y * stride + x  # of each sub-rectangle's rows, below: of each row
    if (height != 1).any():
        which = np.repeat(np.arange(len(height)), height)
        row = np.arange(len(which)) - (np.cumsum(height) - height)[which]
        starts = starts[which] + row * stride
        width = width[which]
    ends = np.cumsum(width)
    if len(ends) and ends[-1]:
        pixels = np.repeat(starts - (ends - width), width) + np.arange(ends[-1])
        screen.reshape(-1)[pixels] = colour


def _outside(x: int, y: int, width: int, height: int, rect: Rect) -> ProtocolError:
    return ProtocolError(
        _(
            "the server sent an RRE sub-rectangle {width}x{height} at ({x},{y}),"
            " outside its {rect_width}x{rect_height} rectangle"
        ).format(
            width=width, height=height, x=x, y=y, rect_width=rect.width, rect_height=rect.height
        )
    )
