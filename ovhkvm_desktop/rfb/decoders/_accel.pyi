"""Types of the compiled decoders' entry points (_accel.pyx); see that file for what they do."""

import numpy as np

Buffer = bytes | bytearray | memoryview

HEXTILE_SUBENCODING: int
HEXTILE_MISFIT: int
ZRLE_PAST_END: int
ZRLE_RUN_PAST_TILE: int
ZRLE_NO_SUCH_COLOUR: int
ZRLE_SUBENCODING: int
TIGHT_PALETTE_INDEX: int

def fill(screen: np.ndarray, x: int, y: int, w: int, h: int, colour: int) -> None: ...
def put(screen: np.ndarray, x: int, y: int, w: int, h: int, data: Buffer, p: int) -> None: ...
def hextile(
    buf: Buffer,
    pos: int,
    screen: np.ndarray,
    rx: int,
    ry: int,
    rw: int,
    rh: int,
    next_tile: int,
    background: int,
    foreground: int,
    batch_tiles: int,
) -> tuple[int, int, int, int, tuple[int, ...] | None]: ...
def zrle(
    data: Buffer, screen: np.ndarray, rx: int, ry: int, rw: int, rh: int
) -> tuple[int, tuple[int, ...] | None]: ...
def tight_fill(screen: np.ndarray, x: int, y: int, w: int, h: int, buf: Buffer, p: int) -> None: ...
def tight_rgb(
    data: Buffer, screen: np.ndarray, x: int, y: int, w: int, h: int, gradient: bool
) -> None: ...
def tight_palette(
    data: Buffer, palette: Buffer, colours: int, screen: np.ndarray, x: int, y: int, w: int, h: int
) -> tuple[int, int] | None: ...
def png(data: bytes, screen: np.ndarray, x: int, y: int, w: int, h: int) -> bool: ...
