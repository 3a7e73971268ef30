"""The client's copy of the remote screen: one 32-bit BGRX buffer that decoders write into."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ovhkvm_desktop.rfb.errors import ProtocolError
from ovhkvm_desktop.words import _

#: No screen is larger than this in either direction (RFB sizes are 16-bit; this keeps a hostile
#: server from making us allocate 16 GiB). 8K is 7680x4320; allow some headroom.
MAX_DIMENSION = 8192
#: ... and no screen holds more pixels than 8K UHD (7680x4320: 133 MB of BGRX).
MAX_PIXELS = 7680 * 4320


class Rect(NamedTuple):
    """A rectangle of the screen, in pixels (a tuple: cheap to make for every rectangle)."""

    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height


class Framebuffer:
    """The remote screen as ``height`` rows of ``width`` pixels, each 4 bytes B, G, R, X.

    That is the byte order of the pixel format the client asks for (32 bits per pixel, depth 24,
    little-endian, red shift 16, green 8, blue 0), so Raw pixels are copied as they come, and it
    is the layout ``QImage.Format_RGB32`` reads without a copy. The X byte is meaningless: readers
    ignore it (decoders that build pixels from 3-byte colours set it to 255).

    ``pixels`` is a C-contiguous ``(height, width, 4)`` uint8 array; ``pixels32`` views the same
    memory as ``(height, width)`` uint32 values ``0xXXRRGGBB``, handy for fills.
    """

    def __init__(self, width: int, height: int) -> None:
        self.pixels: np.ndarray = np.zeros((0, 0, 4), np.uint8)
        self.pixels32: np.ndarray = self.pixels.view(np.uint32)[:, :, 0]
        self.width = 0
        self.height = 0
        self.resize(width, height)

    def resize(self, width: int, height: int) -> None:
        """Start over at a new size (the screen is black until the server repaints it)."""
        if not (
            0 < width <= MAX_DIMENSION
            and 0 < height <= MAX_DIMENSION
            and width * height <= MAX_PIXELS
        ):
            raise ProtocolError(
                _("the server announced an impossible screen size {width}x{height}").format(
                    width=width, height=height
                )
            )
        self.width = width
        self.height = height
        self.pixels = np.zeros((height, width, 4), np.uint8)
        self.pixels[:, :, 3] = 255
        self.pixels32 = self.pixels.view(np.uint32)[:, :, 0]

    @property
    def stride(self) -> int:
        return self.width * 4

    def check(self, rect: Rect) -> None:
        """Refuse a rectangle that does not lie inside the screen."""
        if (
            rect.x + rect.width > self.width
            or rect.y + rect.height > self.height
            or rect.width < 0
            or rect.height < 0
        ):
            raise ProtocolError(
                _(
                    "the server sent a rectangle {width}x{height} at ({x},{y}), outside the"
                    " {screen_width}x{screen_height} screen"
                ).format(
                    width=rect.width,
                    height=rect.height,
                    x=rect.x,
                    y=rect.y,
                    screen_width=self.width,
                    screen_height=self.height,
                )
            )

    def fill(self, x: int, y: int, width: int, height: int, colour: int) -> None:
        """Paint a rectangle with one colour, given as a uint32 ``0xXXRRGGBB``."""
        self.pixels32[y : y + height, x : x + width] = colour

    def put(self, x: int, y: int, width: int, height: int, bgrx: bytes | memoryview) -> None:
        """Copy ``width * height`` BGRX pixels (rows top to bottom) into a rectangle."""
        self.pixels[y : y + height, x : x + width] = np.frombuffer(bgrx, np.uint8).reshape(
            height, width, 4
        )

    def copy(self, src_x: int, src_y: int, x: int, y: int, width: int, height: int) -> None:
        """Copy a rectangle of the screen to another place (overlap is handled)."""
        self.pixels[y : y + height, x : x + width] = self.pixels[
            src_y : src_y + height, src_x : src_x + width
        ].copy()

    def to_rgb_bytes(self) -> bytes:
        """The screen as packed RGB, 3 bytes a pixel, for image files."""
        return self.pixels[:, :, 2::-1].tobytes()
