"""Client-to-server RFB messages, each a function returning the bytes to send."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from ovhkvm_desktop.rfb.encodings import Encoding


@dataclass(frozen=True, slots=True)
class PixelFormat:
    bits_per_pixel: int
    depth: int
    big_endian: bool
    true_colour: bool
    red_max: int
    green_max: int
    blue_max: int
    red_shift: int
    green_shift: int
    blue_shift: int

    _STRUCT = struct.Struct(">BBBBHHHBBB3x")

    def pack(self) -> bytes:
        return self._STRUCT.pack(
            self.bits_per_pixel,
            self.depth,
            self.big_endian,
            self.true_colour,
            self.red_max,
            self.green_max,
            self.blue_max,
            self.red_shift,
            self.green_shift,
            self.blue_shift,
        )

    @classmethod
    def unpack(cls, data: bytes) -> PixelFormat:
        f = cls._STRUCT.unpack(data[:16])
        return cls(f[0], f[1], bool(f[2]), bool(f[3]), *f[4:])

    def describe(self) -> str:
        """A short human description, e.g. ``32bpp depth 24 little-endian rgb888``."""
        if not self.true_colour:
            return f"{self.bits_per_pixel}bpp depth {self.depth} colour map"
        order = sorted(
            (("r", self.red_shift, self.red_max), ("g", self.green_shift, self.green_max),
             ("b", self.blue_shift, self.blue_max)),
            key=lambda c: -c[1],
        )  # fmt: skip
        bits = "".join(str(m.bit_length()) for _, _, m in order)
        names = "".join(n for n, _, _ in order)
        endian = "big-endian" if self.big_endian else "little-endian"
        return f"{self.bits_per_pixel}bpp depth {self.depth} {endian} {names}{bits}"


#: The format the client always asks for: pixels as bytes B, G, R, X (see Framebuffer).
BGRX = PixelFormat(32, 24, False, True, 255, 255, 255, 16, 8, 0)


def set_pixel_format(fmt: PixelFormat = BGRX) -> bytes:
    return b"\x00\x00\x00\x00" + fmt.pack()


def set_encodings(encodings: Iterable[int]) -> bytes:
    codes = list(encodings)
    return struct.pack(f">BxH{len(codes)}i", 2, len(codes), *codes)


def framebuffer_update_request(incremental: bool, x: int, y: int, width: int, height: int) -> bytes:
    return struct.pack(">BBHHHH", 3, incremental, x, y, width, height)


def key_event(down: bool, keysym: int) -> bytes:
    return struct.pack(">BBxxI", 4, down, keysym)


def qemu_extended_key_event(down: bool, keysym: int, keycode: int) -> bytes:
    """QEMU's key event with an XT scancode (``E0 xx`` codes as ``0x80 | xx``)."""
    if keysym == 0:
        raise ValueError("QEMU extended key events never carry keysym 0")
    return struct.pack(">BBHII", 255, 0, down, keysym, keycode)


def pointer_event(buttons: int, x: int, y: int) -> bytes:
    return struct.pack(">BBHH", 5, buttons & 0xFF, max(0, x), max(0, y))


def client_cut_text(text: str) -> bytes:
    """Plain ClientCutText: Latin-1 only, newlines as LF; characters outside are replaced."""
    data = text.replace("\r\n", "\n").encode("latin-1", "replace")
    return struct.pack(">BxxxI", 6, len(data)) + data


def set_desktop_size(
    width: int, height: int, screens: Iterable[tuple[int, int, int, int, int, int]]
) -> bytes:
    """SetDesktopSize (ExtendedDesktopSize): ``screens`` as (id, x, y, w, h, flags)."""
    items = list(screens)
    out = struct.pack(">BxHHBx", 251, width, height, len(items))
    for sid, x, y, w, h, flags in items:
        out += struct.pack(">IHHHHI", sid, x, y, w, h, flags)
    return out


# Extended Clipboard (pseudo-encoding 0xC0A1E5CE): ClientCutText with a negative length.
CLIPBOARD_TEXT = 1 << 0
CLIPBOARD_CAPS = 1 << 24
CLIPBOARD_REQUEST = 1 << 25
CLIPBOARD_PEEK = 1 << 26
CLIPBOARD_NOTIFY = 1 << 27
CLIPBOARD_PROVIDE = 1 << 28
CLIPBOARD_ACTIONS = (
    CLIPBOARD_CAPS | CLIPBOARD_REQUEST | CLIPBOARD_PEEK | CLIPBOARD_NOTIFY | CLIPBOARD_PROVIDE
)

#: The largest clipboard text we accept or send unasked (1 MiB: a pasted script, not a film).
CLIPBOARD_MAX = 1 << 20


def _extended_clipboard(payload: bytes) -> bytes:
    return struct.pack(">Bxxxi", 6, -len(payload)) + payload


def extended_clipboard_caps() -> bytes:
    """Our capabilities: UTF-8 text, every action, up to CLIPBOARD_MAX bytes unasked."""
    return _extended_clipboard(
        struct.pack(">II", CLIPBOARD_ACTIONS | CLIPBOARD_TEXT, CLIPBOARD_MAX)
    )


def extended_clipboard_flags(action: int, formats: int = CLIPBOARD_TEXT) -> bytes:
    """A request, peek or notify message."""
    return _extended_clipboard(struct.pack(">I", action | formats))


def extended_clipboard_provide(text: str) -> bytes:
    """The text, UTF-8 with CRLF line ends and a NUL, in a zlib stream of its own."""
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8") + b"\x00"
    body = zlib.compress(struct.pack(">I", len(data)) + data)
    return _extended_clipboard(struct.pack(">I", CLIPBOARD_PROVIDE | CLIPBOARD_TEXT) + body)


def level_encodings(compression: int | None, quality: int | None) -> list[int]:
    """The compression and JPEG quality pseudo-encodings for levels 0..9 (None: leave out)."""
    out = []
    if compression is not None:
        out.append(Encoding.COMPRESS_LEVEL_0 + max(0, min(9, compression)))
    if quality is not None:
        out.append(Encoding.QUALITY_LEVEL_0 + max(0, min(9, quality)))
    return out
