"""zlib: Raw pixels compressed with one zlib stream that lasts as long as the connection."""

from __future__ import annotations

import struct
import zlib as _zlib
from typing import Any

from ovhkvm_desktop.rfb.decoders import compiled
from ovhkvm_desktop.rfb.decoders.base import (
    COMPRESSED_SLACK,
    Decoder,
    check_payload_length,
    corrupt,
    inflate,
    inflated_wrong,
    need,
)
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.words import _

_LENGTH = struct.Struct(">I")


class ZlibDecoder(Decoder):
    """Inflates each rectangle with the connection's one stream, then paints it like Raw.

    The stream's dictionary carries over from rectangle to rectangle, so rectangles must be
    inflated in order and none skipped, which is why the stream lives in the decoder.
    """

    encoding = Encoding.ZLIB

    def __init__(self) -> None:
        self._accel = compiled.accelerator()
        self._stream = compiled.zlib_stream(self._accel)

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        accel = self._accel
        if accel is not None:
            result = accel.zlib_rect(
                buf,
                pos,
                fb.pixels32,
                rect.x,
                rect.y,
                rect.width,
                rect.height,
                self._stream,
                COMPRESSED_SLACK,
            )
            if isinstance(result, int):
                return result
            outcome, value = result
            raise self._compiled_fault(outcome, value, rect)
        need(buf, pos, 4, pos)
        (length,) = _LENGTH.unpack_from(buf, pos)
        check_payload_length(length, rect, "zlib")
        need(buf, pos + 4, length, pos)
        end = pos + 4 + length
        expected = rect.area * 4
        data = buf[pos + 4 : end]
        if not expected:
            # Nothing to paint, but any bytes still belong to the stream.
            if length:
                self._inflate_nothing(data)
            return end
        pixels = inflate(self._stream, data, expected, "zlib")
        if self._stream.unconsumed_tail:
            # Output stopped at ``expected`` bytes; what is left may only be a flush marker.
            self._inflate_nothing(self._stream.unconsumed_tail)
        fb.put(rect.x, rect.y, rect.width, rect.height, pixels)
        return end

    def compiled_fault(self, outcome: tuple[Any, ...], rect: Rect) -> Exception:
        return self._compiled_fault(outcome[0], outcome[1], rect)

    def _compiled_fault(self, outcome: int, value: Any, rect: Rect) -> Exception:
        """What the compiled path's outcome means: more data to wait for, or a fault."""
        accel = self._accel
        assert accel is not None
        if outcome == accel.ZLIB_INCOMPLETE:
            return Incomplete(value)
        if outcome == accel.ZLIB_TOO_LONG:
            check_payload_length(value, rect, "zlib")  # raises
        if outcome == accel.ZLIB_CORRUPT:
            return corrupt("zlib", value)
        if outcome == accel.ZLIB_WRONG_SIZE:
            return inflated_wrong("zlib", *value)
        return _too_much()

    def _inflate_nothing(self, data: bytes | memoryview) -> None:
        """Feed bytes that must not produce pixels (an empty block, a flush marker)."""
        try:
            extra = self._stream.decompress(data, 1)
        except _zlib.error as exc:
            raise corrupt("zlib", str(exc)) from None
        if extra:
            raise _too_much()


def _too_much() -> ProtocolError:
    return ProtocolError(
        _("the server's zlib data inflated to more pixels than its rectangle holds")
    )
