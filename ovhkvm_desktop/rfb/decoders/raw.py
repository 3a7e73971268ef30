"""Raw: the pixels as they are, row after row, in the negotiated pixel format."""

from __future__ import annotations

from ovhkvm_desktop.rfb.decoders import compiled
from ovhkvm_desktop.rfb.decoders.base import Decoder
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect


class RawDecoder(Decoder):
    encoding = Encoding.RAW

    def __init__(self) -> None:
        accel = compiled.accelerator()
        self._put = accel.put if accel is not None else None

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        # QEMU sends a thousand small Raw rectangles an update: this is kept to a few steps.
        x, y, width, height = rect
        end = pos + width * height * 4
        if end > len(buf):
            raise Incomplete(pos)
        if end == pos:
            return end
        if self._put is not None:
            self._put(fb.pixels32, x, y, width, height, buf, pos)
        else:
            fb.put(x, y, width, height, buf[pos:end])
        return end
