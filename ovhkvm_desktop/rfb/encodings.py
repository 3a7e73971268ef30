"""RFB encoding numbers: data encodings and the pseudo-encodings this client speaks."""

from enum import IntEnum


class Encoding(IntEnum):
    RAW = 0
    COPYRECT = 1
    RRE = 2
    HEXTILE = 5
    ZLIB = 6
    TIGHT = 7
    ZRLE = 16
    TIGHT_PNG = -260

    # Pseudo-encodings.
    DESKTOP_SIZE = -223
    LAST_RECT = -224
    CURSOR = -239
    QEMU_POINTER_MOTION_CHANGE = -257
    QEMU_EXTENDED_KEY_EVENT = -258
    QEMU_LED_STATE = -261
    EXTENDED_DESKTOP_SIZE = -308
    EXTENDED_CLIPBOARD = -1063131698  # 0xC0A1E5CE as a signed 32-bit number

    # Level pseudo-encodings: COMPRESS_LEVEL_0 + n for n in 0..9, QUALITY_LEVEL_0 + n likewise.
    COMPRESS_LEVEL_0 = -256
    QUALITY_LEVEL_0 = -32


#: The data encodings by the names the command line uses (``--encodings tight,zrle``).
DATA_ENCODINGS: dict[str, Encoding] = {
    "copyrect": Encoding.COPYRECT,
    "tight": Encoding.TIGHT,
    "tightpng": Encoding.TIGHT_PNG,
    "zrle": Encoding.ZRLE,
    "hextile": Encoding.HEXTILE,
    "zlib": Encoding.ZLIB,
    "rre": Encoding.RRE,
    "raw": Encoding.RAW,
}

#: Names of the acknowledged extensions, as ``info`` reports them.
EXTENSION_NAMES: dict[Encoding, str] = {
    Encoding.QEMU_EXTENDED_KEY_EVENT: "qemu-extended-key-event",
    Encoding.QEMU_LED_STATE: "qemu-led-state",
    Encoding.DESKTOP_SIZE: "desktop-size",
    Encoding.EXTENDED_DESKTOP_SIZE: "extended-desktop-size",
    Encoding.CURSOR: "cursor",
    Encoding.QEMU_POINTER_MOTION_CHANGE: "qemu-pointer-motion-change",
    Encoding.EXTENDED_CLIPBOARD: "extended-clipboard",
}
