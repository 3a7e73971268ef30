"""RRE: a background colour, then any number of one-colour rectangles painted on it in order."""

from __future__ import annotations

import struct

import numpy as np

from ovhkvm_desktop.rfb.decoders.base import Decoder
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect

_COUNT = struct.Struct(">I")
_PIXEL = struct.Struct("=I")  # native order, so the 4 wire bytes land in memory as they came
_PLACE = struct.Struct(">HHHH")
_SUBRECT_SIZE = 12
_SUBRECT = np.dtype(
    [("pixel", np.uint32), ("x", ">u2"), ("y", ">u2"), ("width", ">u2"), ("height", ">u2")]
)

#: Below this many sub-rectangles in a batch, one numpy slice each beats the vectorised path.
_FEW = 12
#: Sub-rectangles larger than this are painted as slices rather than pixel by pixel.
_LARGE = 256


class RREDecoder(Decoder):
    """Paints RRE sub-rectangles as they arrive, so a huge count never needs a huge buffer."""

    encoding = Encoding.RRE

    def __init__(self) -> None:
        self._rect: Rect | None = None  # the rectangle the last call left unfinished
        self._remaining = 0

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        if rect == self._rect:
            remaining = self._remaining
        else:
            self._rect = None
            if pos + 8 > len(buf):
                raise Incomplete(pos)
            (remaining,) = _COUNT.unpack_from(buf, pos)
            if remaining > rect.area:
                raise ProtocolError(
                    f"the server announced {remaining} RRE sub-rectangles"
                    f" for a {rect.width}x{rect.height} rectangle"
                )
            (background,) = _PIXEL.unpack_from(buf, pos + 4)
            fb.fill(rect.x, rect.y, rect.width, rect.height, background)
            pos += 8
        count = min(remaining, (len(buf) - pos) // _SUBRECT_SIZE)
        if count:
            if count < _FEW:
                self._paint_few(buf, pos, count, rect, fb)
            else:
                self._paint_many(buf, pos, count, rect, fb)
            pos += count * _SUBRECT_SIZE
            remaining -= count
        if remaining:
            self._rect = rect
            self._remaining = remaining
            raise Incomplete(pos)
        self._rect = None
        return pos

    @staticmethod
    def _paint_few(buf: memoryview, pos: int, count: int, rect: Rect, fb: Framebuffer) -> None:
        screen = fb.pixels32
        for pos in range(pos, pos + count * _SUBRECT_SIZE, _SUBRECT_SIZE):  # noqa: B020
            x, y, width, height = _PLACE.unpack_from(buf, pos + 4)
            if x + width > rect.width or y + height > rect.height:
                raise _outside(x, y, width, height, rect)
            x += rect.x
            y += rect.y
            screen[y : y + height, x : x + width] = _PIXEL.unpack_from(buf, pos)[0]

    @staticmethod
    def _paint_many(buf: memoryview, pos: int, count: int, rect: Rect, fb: Framebuffer) -> None:
        """Paint a batch with a few numpy calls, later sub-rectangles winning where they overlap.

        Each pixel gets the colour of the last sub-rectangle covering it: the "owner" map holds,
        per pixel of the batch's bounding box, the highest index of a sub-rectangle over it.
        """
        subrects = np.frombuffer(buf, _SUBRECT, count, pos)
        x = subrects["x"].astype(np.intp)
        y = subrects["y"].astype(np.intp)
        width = subrects["width"].astype(np.intp)
        height = subrects["height"].astype(np.intp)
        right = x + width
        bottom = y + height
        outside = (right > rect.width) | (bottom > rect.height)
        if outside.any():
            i = int(outside.argmax())
            raise _outside(int(x[i]), int(y[i]), int(width[i]), int(height[i]), rect)
        left = int(x.min())
        top = int(y.min())
        box_width = int(right.max()) - left
        box_height = int(bottom.max()) - top
        if box_width <= 0 or box_height <= 0:
            return
        owner = np.full((box_height, box_width), -1, np.intp)
        area = width * height
        large = area > _LARGE
        if large.any():
            for i in np.flatnonzero(large).tolist():
                view = owner[y[i] - top : bottom[i] - top, x[i] - left : right[i] - left]
                np.maximum(view, i, out=view)
            small = np.flatnonzero(~large)
            area = area[small]
        else:
            small = np.arange(count)
        total = int(area.sum())
        if total:
            # Every pixel of every small sub-rectangle, as (index of its subrect, k-th pixel in it).
            index = np.repeat(small, area)
            k = np.arange(total) - np.repeat(np.cumsum(area) - area, area)
            w = width[index]
            dy = k // w
            flat = (y[index] - top + dy) * box_width + (x[index] - left + k - dy * w)
            np.maximum.at(owner.reshape(-1), flat, index)
        painted = owner >= 0
        region = fb.pixels32[
            rect.y + top : rect.y + top + box_height, rect.x + left : rect.x + left + box_width
        ]
        region[painted] = subrects["pixel"][owner[painted]]


def _outside(x: int, y: int, width: int, height: int, rect: Rect) -> ProtocolError:
    return ProtocolError(
        f"the server sent an RRE sub-rectangle {width}x{height} at ({x},{y}),"
        f" outside its {rect.width}x{rect.height} rectangle"
    )
