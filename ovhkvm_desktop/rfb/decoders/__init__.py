"""One decoder per data encoding, each turning a rectangle's payload into framebuffer pixels."""

from __future__ import annotations

from ovhkvm_desktop.rfb.decoders.base import Decoder
from ovhkvm_desktop.rfb.encodings import Encoding


def make_decoders() -> dict[int, Decoder]:
    """Fresh decoders for one connection (zlib-based encodings keep their streams in them)."""
    from ovhkvm_desktop.rfb.decoders import copyrect, hextile, raw, rre, tight, zlib, zrle

    decoders: list[Decoder] = [
        raw.RawDecoder(),
        copyrect.CopyRectDecoder(),
        rre.RREDecoder(),
        hextile.HextileDecoder(),
        zlib.ZlibDecoder(),
        zrle.ZRLEDecoder(),
        tight.TightDecoder(),
        tight.TightPNGDecoder(),
    ]
    return {int(d.encoding): d for d in decoders}


__all__ = ["Decoder", "Encoding", "make_decoders"]
