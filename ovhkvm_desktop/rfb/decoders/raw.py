"""Raw: the pixels as they are, row after row, in the negotiated pixel format."""

from __future__ import annotations

from ovhkvm_desktop.rfb.decoders import compiled
from ovhkvm_desktop.rfb.decoders.base import Decoder
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect


class RawDecoder(Decoder):
    """Paints whole rows as they arrive: a rectangle cut between two reads (QEMU's first update
    is one 8 MB rectangle; a third of a busy Raw stream straddles reads) is never buffered whole,
    only the row under way."""

    encoding = Encoding.RAW

    def __init__(self) -> None:
        accel = compiled.accelerator()
        self._put = accel.put if accel is not None else None
        self._rect: Rect | None = None  # the rectangle the last call left unfinished
        self._rows_done = 0

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        # QEMU sends a thousand small Raw rectangles an update: this is kept to a few steps.
        x, y, width, height = rect
        row_bytes = width * 4
        if not row_bytes or not height:
            return pos
        done = self._rows_done if rect == self._rect else 0
        rows = min(height - done, (len(buf) - pos) // row_bytes)
        if rows:
            end = pos + rows * row_bytes
            if self._put is not None:
                self._put(fb.pixels32, x, y + done, width, rows, buf, pos)
            else:
                fb.put(x, y + done, width, rows, buf[pos:end])
            pos = end
            done += rows
        if done < height:
            self._rect = rect
            self._rows_done = done
            raise Incomplete(pos, row_bytes)
        self._rect = None
        return pos
