"""Builders for what an RFB server sends, so tests can speak as the server."""

import struct
import zlib


def fbu(*rects: bytes) -> bytes:
    return struct.pack(">BxH", 0, len(rects)) + b"".join(rects)


def rect(x: int, y: int, w: int, h: int, encoding: int, payload: bytes = b"") -> bytes:
    return struct.pack(">HHHHi", x, y, w, h, encoding) + payload


def raw_rect(x: int, y: int, w: int, h: int, bgrx: bytes) -> bytes:
    assert len(bgrx) == w * h * 4
    return rect(x, y, w, h, 0, bgrx)


def cut_text(text: bytes) -> bytes:
    return struct.pack(">BxxxI", 3, len(text)) + text


def extended_clipboard(flags: int, payload: bytes = b"") -> bytes:
    body = struct.pack(">I", flags) + payload
    return struct.pack(">Bxxxi", 3, -len(body)) + body


def clipboard_provide_text(text: str) -> bytes:
    data = text.replace("\n", "\r\n").encode() + b"\0"
    return extended_clipboard((1 << 28) | 1, zlib.compress(struct.pack(">I", len(data)) + data))
