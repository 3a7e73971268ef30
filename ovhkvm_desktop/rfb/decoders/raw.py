"""Raw: the pixels as they are, row after row, in the negotiated pixel format."""

from __future__ import annotations

from ovhkvm_desktop.rfb.decoders import compiled
from ovhkvm_desktop.rfb.decoders.base import Decoder, need
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect


class RawDecoder(Decoder):
    encoding = Encoding.RAW

    def __init__(self) -> None:
        self._accel = compiled.accelerator()

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        length = rect.area * 4
        need(buf, pos, length, pos)
        if length and self._accel is not None:
            self._accel.put(fb.pixels32, rect.x, rect.y, rect.width, rect.height, buf, pos)
        elif length:
            fb.put(rect.x, rect.y, rect.width, rect.height, buf[pos : pos + length])
        return pos + length
