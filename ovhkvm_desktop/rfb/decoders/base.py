"""What every decoder offers the connection, and the helpers they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.words import _

#: Slack allowed on top of a rectangle's raw size for a compressed payload's length
#: (deflate can grow incompressible data a little; a flush adds a few bytes).
COMPRESSED_SLACK = 64 * 1024


class Decoder(ABC):
    """Decodes the rectangles of one encoding for one connection.

    ``decode(buf, pos, rect, fb)`` reads the payload that starts at ``buf[pos]``, paints it into
    ``fb`` (the rectangle has already been checked to lie inside it) and returns the position just
    past the payload. When ``buf`` ends before the payload does, it raises ``Incomplete`` with the
    position it consumed up to; the connection calls it again with the same rectangle and more
    data, starting there. Decoders whose payload has no length prefix (RRE, Hextile) consume
    whole tiles or sub-rectangles as they come, keeping their progress in ``self`` between calls,
    so a large rectangle never needs a buffer much larger than a tile; the others wait for the
    whole payload, whose length they check against the rectangle's size first. Anything malformed
    raises ``ProtocolError``. Decoders must not keep references to ``buf`` after returning.
    """

    encoding: Encoding

    @abstractmethod
    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int: ...

    def compiled_fault(self, outcome: tuple[Any, ...], rect: Rect) -> Exception:
        """The error for a fault the compiled update loop (``_accel.rects``) found in one of
        this decoder's rectangles, worded as ``decode`` words it (decoders with zlib streams)."""
        return ProtocolError(
            _("the server sent a broken {encoding} rectangle").format(encoding=self.encoding.name)
        )


def need(buf: memoryview, pos: int, length: int, resume_at: int) -> None:
    """Raise ``Incomplete(resume_at)`` unless ``buf`` holds ``length`` bytes from ``pos``."""
    if pos + length > len(buf):
        raise Incomplete(resume_at)


def check_payload_length(length: int, rect: Rect, what: str, bytes_per_pixel: int = 4) -> None:
    """Refuse a compressed length that no honest server would send for this rectangle.

    ``what`` names the data by its encoding ("zlib", "Tight JPEG"): a name, the same in every
    language, so it fills a placeholder of the sentence (as in ``corrupt`` and ``inflated_wrong``).
    """
    if length > rect.area * bytes_per_pixel + COMPRESSED_SLACK:
        raise ProtocolError(
            _(
                "the server announced {length} bytes of {encoding} data"
                " for a {width}x{height} rectangle"
            ).format(length=length, encoding=what, width=rect.width, height=rect.height)
        )


def inflate(stream: Any, data: memoryview | bytes, expected: int, what: str) -> bytes:
    """Inflate ``data`` with a persistent zlib ``stream``, insisting on ``expected`` bytes out.

    Never produces more than ``expected`` bytes, so a decompression bomb costs nothing.
    """
    import zlib as _zlib

    try:
        out = stream.decompress(data, expected)
    except _zlib.error as exc:
        raise corrupt(what, str(exc)) from None
    if len(out) != expected:
        raise inflated_wrong(what, len(out), expected)
    return out


def corrupt(what: str, reason: str) -> ProtocolError:
    """The ``what`` stream's data does not inflate; ``reason`` is zlib's own words (data)."""
    return ProtocolError(
        _("the server's {encoding} data is corrupt ({reason})").format(encoding=what, reason=reason)
    )


def inflated_wrong(what: str, inflated: int, expected: int, beyond: bool = False) -> ProtocolError:
    """The ``what`` stream inflated to the wrong size; ``beyond``: it would have given more than
    ``inflated`` bytes, had it been let (a decoder that stopped it there)."""
    if beyond:
        sentence = _(
            "the server's {encoding} data inflated to more than {inflated} bytes"
            " where {expected} were expected"
        )
    else:
        sentence = _(
            "the server's {encoding} data inflated to {inflated} bytes"
            " where {expected} were expected"
        )
    return ProtocolError(sentence.format(encoding=what, inflated=inflated, expected=expected))
