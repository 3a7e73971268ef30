"""CopyRect: the rectangle's pixels come from elsewhere on the screen."""

from __future__ import annotations

import struct

from ovhkvm_desktop.rfb.decoders.base import Decoder, need
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.words import _


class CopyRectDecoder(Decoder):
    encoding = Encoding.COPYRECT

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        need(buf, pos, 4, pos)
        src_x, src_y = struct.unpack_from(">HH", buf, pos)
        if src_x + rect.width > fb.width or src_y + rect.height > fb.height:
            raise ProtocolError(
                _(
                    "the server asked to copy a {width}x{height} rectangle from ({x},{y}),"
                    " outside the {screen_width}x{screen_height} screen"
                ).format(
                    width=rect.width,
                    height=rect.height,
                    x=src_x,
                    y=src_y,
                    screen_width=fb.width,
                    screen_height=fb.height,
                )
            )
        fb.copy(src_x, src_y, rect.x, rect.y, rect.width, rect.height)
        return pos + 4
