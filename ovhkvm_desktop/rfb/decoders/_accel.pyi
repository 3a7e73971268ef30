"""Types of the compiled decoders' entry points (_accel.pyx); see that file for what they do."""

from typing import Any

import numpy as np

Buffer = bytes | bytearray | memoryview

HEXTILE_SUBENCODING: int
HEXTILE_MISFIT: int
ZRLE_PAST_END: int
ZRLE_RUN_PAST_TILE: int
ZRLE_NO_SUCH_COLOUR: int
ZRLE_SUBENCODING: int
TIGHT_INCOMPLETE: int
TIGHT_NOT_BASIC: int
TIGHT_SINGLE_COLOUR: int
TIGHT_UNKNOWN_FILTER: int
TIGHT_TOO_LONG: int
TIGHT_CORRUPT: int
TIGHT_WRONG_SIZE: int
TIGHT_NO_SUCH_COLOUR: int
TIGHT_IMAGE_TOO_LONG: int

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
def tight_rgb(
    data: Buffer, screen: np.ndarray, x: int, y: int, w: int, h: int, gradient: bool
) -> None: ...
def tight(
    view: Buffer,
    pos: int,
    screen: np.ndarray,
    x: int,
    y: int,
    w: int,
    h: int,
    streams: list[Any],
    slack: int,
    png_allowed: bool,
) -> int | tuple[int, Any]: ...
def png(data: Buffer, screen: np.ndarray, x: int, y: int, w: int, h: int) -> bool: ...
def jpeg(data: Buffer, screen: np.ndarray, x: int, y: int, w: int, h: int) -> bool: ...

class Inflater:
    """A zlib stream driven through zlib's C API by the compiled decoders only."""

    tail: bool
    error: str | None

ZLIB_INCOMPLETE: int
ZLIB_TOO_LONG: int
ZLIB_CORRUPT: int
ZLIB_WRONG_SIZE: int
ZLIB_TOO_MUCH: int

def zlib_rect(
    view: Buffer,
    pos: int,
    screen: np.ndarray,
    x: int,
    y: int,
    w: int,
    h: int,
    stream: Any,
    slack: int,
) -> int | tuple[int, Any]: ...

ZRLE_INCOMPLETE: int
ZRLE_TOO_LONG: int
ZRLE_CORRUPT: int
ZRLE_TOO_MUCH: int
ZRLE_LEFT_OVER: int

def zrle_rect(
    view: Buffer,
    pos: int,
    screen: np.ndarray,
    x: int,
    y: int,
    w: int,
    h: int,
    stream: Any,
    slack: int,
    tile_slack: int,
) -> int | tuple[Any, ...]: ...

ACCEPT_RAW: int
ACCEPT_COPYRECT: int
ACCEPT_HEXTILE: int
ACCEPT_ZLIB: int
ACCEPT_TIGHT: int
ACCEPT_ZRLE: int
ACCEPT_TIGHT_PNG: int
RECTS_DONE: int
RECTS_PYTHON: int
RECTS_PAUSED: int
RECTS_FAULT: int

def rects(
    view: Buffer,
    pos: int,
    screen: np.ndarray,
    count: int,
    accepted: int,
    hextile_batch: int,
    zlib_stream: Any,
    zrle_stream: Any,
    tight_streams: list[Any],
    tight_png_streams: list[Any],
    slack: int,
    tile_slack: int,
    jpeg: Any,
    dirty: list[Any],
    rect_type: Any,
    deadline: float,
) -> tuple[int, int, int, int, tuple[Any, ...] | None]: ...
