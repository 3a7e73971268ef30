"""The test card shown by the testcard guest, and the photo that the scroll guest paints.

`make_testcard()` returns a deterministic 1920x1080 image, as bytes B, G, R, X (X = 0): the layout
of the guest's frame buffer. Its regions exercise every path of the VNC encodings (Raw, Hextile,
zlib, Tight with its fill/mono/palette/gradient/JPEG paths, ZRLE's solid/packed-palette/RLE
tiles): large solid areas, two-colour text, small palettes (per pixel and in runs), smooth
gradients, a photo, pure noise, fine checkerboards, single-pixel lines, colours next to 0 and 255,
and distinct corner marks that betray any offset or flip.

Only integer hashing and float64 arithmetic are used (no random generator whose stream could
change between numpy versions). build-guest.sh writes the card raw into the guest's initramfs
with `python tests/e2e/testcard.py testcard FILE`; tests compare what a client shows with
`make_testcard()`.
"""

from __future__ import annotations

import sys

import numpy as np

WIDTH = 1920
HEIGHT = 1080
BACKGROUND = (36, 40, 48)  # R, G, B


def _hash(*parts: np.ndarray | int, seed: int = 0) -> np.ndarray:
    """A deterministic 32-bit hash of integer arrays (broadcast together)."""
    arrays = np.broadcast_arrays(*[np.asarray(p) for p in parts])
    h = np.full(arrays[0].shape, (seed * 0x9E3779B9 + 0x7F4A7C15) & 0xFFFFFFFF, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for part in arrays:
            h ^= part.astype(np.uint32) * np.uint32(0x85EBCA6B)
            h ^= h >> np.uint32(15)
            h *= np.uint32(0xC2B2AE35)
            h ^= h >> np.uint32(13)
            h *= np.uint32(0x27D4EB2F)
            h ^= h >> np.uint32(16)
    return h


def _grid(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w]
    return xx.astype(np.int64), yy.astype(np.int64)


def _to_u8(a: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def make_photo(width: int, height: int, seed: int = 1) -> np.ndarray:
    """A photo-like image: smooth low-frequency structure (sky, hills, blobs) plus slight noise.

    Returns (height, width, 4) uint8 in B, G, R, X order.
    """
    rgb = _photo_rgb(width, height, seed)
    return _rgb_to_bgrx(rgb)


def _photo_rgb(width: int, height: int, seed: int) -> np.ndarray:
    x, y = _grid(width, height)
    u = x / max(width - 1, 1)
    v = y / max(height - 1, 1)
    # Sky: a vertical gradient from deep blue to pale orange near the horizon.
    sky = np.stack(
        [60 + 170 * v**1.5, 90 + 110 * v, 170 - 60 * v],
        axis=-1,
    )
    # Hills: a low-frequency horizon line; below it, green-brown ground with soft stripes.
    horizon = (
        0.55
        + 0.08 * np.sin(2 * np.pi * (u * 1.3 + 0.1 * seed))
        + 0.04 * np.sin(2 * np.pi * u * 3.7)
    )
    ground_t = np.clip((v - horizon) * 3.0, 0, 1)
    ground = np.stack(
        [
            70 + 50 * np.sin(6 * u + 4 * v) + 30 * ground_t,
            110 + 40 * np.cos(5 * u - 3 * v) - 30 * ground_t,
            50 + 25 * np.sin(9 * v),
        ],
        axis=-1,
    )
    mix = np.clip((v - horizon) * 40.0, 0, 1)[..., None]
    img = sky * (1 - mix) + ground * mix
    # A few soft blobs (a sun, trees, a lake).
    rng_vals = _hash(np.arange(40), seed=seed) / 2**32
    for i in range(8):
        cx = rng_vals[5 * i] * width
        cy = rng_vals[5 * i + 1] * height
        r = (0.05 + 0.15 * rng_vals[5 * i + 2]) * min(width, height)
        colour = np.array([rng_vals[5 * i + 3] * 255, rng_vals[5 * i + 4] * 255, 128.0])
        weight = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
        img = img * (1 - 0.6 * weight) + colour * 0.6 * weight
    # Slight sensor noise, -3..+3.
    noise = (_hash(x, y, seed=seed + 100) % 7).astype(np.float64) - 3
    img = img + noise[..., None]
    return _to_u8(img)


def _rgb_to_bgrx(rgb: np.ndarray) -> np.ndarray:
    h, w, _ = rgb.shape
    out = np.zeros((h, w, 4), dtype=np.uint8)
    out[..., 0] = rgb[..., 2]
    out[..., 1] = rgb[..., 1]
    out[..., 2] = rgb[..., 0]
    return out


def _glyphs(seed: int) -> np.ndarray:
    """96 glyph bitmaps of 8x16 pixels with text-like structure (strokes in a 6x10 core)."""
    g = np.zeros((96, 16, 8), dtype=bool)
    ids = np.arange(96)
    for row in range(10):
        for col in range(6):
            bit = _hash(ids, row // 2, col, seed=seed) % 100 < 38
            # Vertical strokes: a pixel often repeats the one above.
            if row % 2:
                bit = bit | (
                    g[:, 3 + row - 1, 1 + col] & (_hash(ids, row, col, seed=seed + 1) % 3 > 0)
                )
            g[:, 3 + row, 1 + col] = bit
    g[0] = False  # glyph 0 is a space
    return g


def _text(w: int, h: int, seed: int) -> np.ndarray:
    """A boolean (h, w) page of 8x16 glyph cells: words separated by spaces, ragged lines."""
    glyphs = _glyphs(seed)
    cols, rows = (w + 7) // 8, (h + 15) // 16
    cy, cx = np.mgrid[0:rows, 0:cols]
    ids = 1 + _hash(cx, cy, seed=seed + 2) % 95
    space = _hash(cx, cy, seed=seed + 3) % 6 == 0
    line_len = (_hash(np.arange(rows), seed=seed + 4) % cols)[:, None]
    ids = np.where(space | (cx > line_len), 0, ids)
    page = glyphs[ids]  # rows, cols, 16, 8
    page = page.transpose(0, 2, 1, 3).reshape(rows * 16, cols * 8)
    return page[:h, :w]


def make_testcard(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """The test card: (height, width, 4) uint8, bytes B, G, R, X (X = 0). Deterministic.

    The layout is drawn for 1920x1080; another size crops it (or pads it with background).
    """
    cw, ch = max(width, WIDTH), max(height, HEIGHT)
    img = np.empty((ch, cw, 3), dtype=np.uint8)
    img[...] = BACKGROUND

    def put(x: int, y: int, block: np.ndarray) -> None:
        img[y : y + block.shape[0], x : x + block.shape[1]] = block

    def solid(w: int, h: int, rgb: tuple[int, int, int]) -> np.ndarray:
        b = np.empty((h, w, 3), dtype=np.uint8)
        b[...] = rgb
        return b

    def two_colour(mask: np.ndarray, fg: tuple, bg: tuple) -> np.ndarray:
        return np.where(mask[..., None], np.array(fg, np.uint8), np.array(bg, np.uint8))

    # --- row 1 -----------------------------------------------------------------------------
    # A large solid block (Tight fill, ZRLE solid tiles, Hextile background only).
    put(16, 16, solid(600, 300, (16, 112, 208)))
    # Monochrome text: white on black.
    put(632, 16, two_colour(_text(400, 300, 1), (235, 235, 235), (0, 0, 0)))
    # Two-colour text, a different colour pair on each line (each 16-row tile stays 2-colour).
    text = _text(400, 300, 2)
    lines = np.arange(300) // 16
    pairs = np.array(
        [
            [(80, 250, 80), (0, 0, 40)],
            [(255, 255, 0), (64, 0, 64)],
            [(0, 0, 0), (250, 250, 250)],
            [(255, 80, 80), (30, 30, 30)],
            [(120, 200, 255), (10, 40, 90)],
        ],
        dtype=np.uint8,
    )
    pair = pairs[lines % len(pairs)]  # 300, 2, 3
    block = np.where(text[..., None], pair[:, None, 0, :], pair[:, None, 1, :])
    put(1048, 16, block)
    # Smooth RGB gradient: R along x, G along y, B along the diagonal.
    x, y = _grid(440, 300)
    put(
        1464,
        16,
        _to_u8(np.stack([x * 255 / 439, y * 255 / 299, (x + y) * 255 / 738], axis=-1)),
    )

    # --- row 2 -----------------------------------------------------------------------------
    # A photo (Tight JPEG/gradient, ZRLE raw tiles).
    put(16, 332, _photo_rgb(600, 300, 7))
    # 3 colours in random blocks of 1..8 pixels.
    x, y = _grid(300, 300)
    pal3 = np.array([(200, 30, 30), (30, 200, 30), (240, 240, 240)], dtype=np.uint8)
    bs = 1 + _hash(x // 8, y // 8, seed=11) % 8
    put(632, 332, pal3[_hash(x // bs, y // bs, seed=12) % 3])
    # 16 colours: per-pixel in the top half (packed palette, no runs), runs in the bottom half.
    pal16 = np.array(
        [
            (_hash(i, seed=13) % 256, _hash(i, seed=14) % 256, _hash(i, seed=15) % 256)
            for i in range(16)
        ],
        dtype=np.uint8,
    )
    top = pal16[_hash(x[:150], y[:150], seed=16) % 16]
    run_id = (x[150:] + 300 * y[150:]) // (1 + _hash(y[150:], seed=17) % 23)
    bottom = pal16[_hash(run_id, seed=18) % 16]
    put(948, 332, np.concatenate([top, bottom], axis=0))
    # 5..8 colours in horizontal runs, palette changing every 64 rows (ZRLE palette RLE).
    idx = _hash((x + 7 * y) // (2 + _hash(y, seed=19) % 9), seed=20) % (5 + (y // 64) % 4)
    pal8 = np.array(
        [(0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0),
         (0, 255, 255), (255, 0, 255)],
        dtype=np.uint8,
    )  # fmt: skip
    put(1264, 332, pal8[idx])
    # Fine patterns: 1-pixel checkerboard, 2-pixel checkerboard, vertical and horizontal stripes.
    x, y = _grid(162, 150)
    put(1580, 332, two_colour((x + y) % 2 == 0, (255, 255, 255), (0, 0, 0)))
    put(1742, 332, two_colour((x // 2 + y // 2) % 2 == 0, (255, 0, 0), (0, 0, 255)))
    put(1580, 482, two_colour(x % 2 == 0, (0, 255, 0), (255, 0, 255)))
    put(1742, 482, two_colour(y % 2 == 0, (250, 250, 250), (5, 5, 5)))

    # --- row 3 -----------------------------------------------------------------------------
    # Single-pixel lines and dots on a solid background.
    x, y = _grid(480, 300)
    lines_mask = (y % 7 == 3) & (x < 240)
    lines_mask |= (x % 11 == 5) & (x >= 240)
    lines_mask |= (x == y) | (x == 479 - y) | (2 * x == y + 100)
    lines_mask |= _hash(x, y, seed=21) % 997 == 0
    put(16, 648, two_colour(lines_mask, (255, 255, 255), (0, 32, 0)))
    # Colours next to 0 and 255: eight blocks, then their noisy version (off by 0..2).
    extremes = np.array(
        [(0, 0, 1), (1, 0, 0), (0, 1, 0), (255, 255, 254), (254, 255, 255), (255, 254, 255),
         (0, 255, 0), (255, 0, 255)],
        dtype=np.int64,
    )  # fmt: skip
    x, y = _grid(480, 300)
    which = (x // 60) % 8
    base = extremes[which]
    jitter = np.where(
        y[..., None] >= 150, (_hash(x[..., None], y[..., None], np.arange(3), seed=22) % 3), 0
    )
    near = np.where(base >= 128, base - jitter, base + jitter)
    put(512, 648, near.astype(np.uint8))
    # Grey ramp with steps of 1 over 256 columns, and a hue wheel-ish ramp below.
    x, y = _grid(440, 300)
    grey = np.clip(x - 92, 0, 255)
    hue = x / 440 * 6
    ramp = np.stack(
        [
            255 * np.clip(np.abs(hue - 3) - 1, 0, 1),
            255 * np.clip(2 - np.abs(hue - 2), 0, 1),
            255 * np.clip(2 - np.abs(hue - 4), 0, 1),
        ],
        axis=-1,
    ) * (1 - (y[..., None] - 150) / 300)
    block = np.where(y[..., None] < 150, grey[..., None].repeat(3, axis=-1), ramp)
    put(1008, 648, _to_u8(block))
    # Pure noise over the full range (incompressible; raw fallbacks).
    x, y = _grid(440, 300)
    noise = _hash(x[..., None], y[..., None], np.arange(3), seed=23) % 256
    put(1464, 648, noise.astype(np.uint8))

    # --- row 4 -----------------------------------------------------------------------------
    bars = [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192),
            (192, 0, 0), (0, 0, 192), (16, 16, 16)]  # fmt: skip
    for i, c in enumerate(bars):
        put(16 + i * 118, 964, solid(118, 100, c))
    put(976, 964, two_colour(_text(928, 100, 3), (255, 176, 0), (0, 0, 0)))

    # --- frame and corner marks ------------------------------------------------------------
    img[0, :WIDTH] = (255, 255, 255)
    img[HEIGHT - 1, :WIDTH] = (255, 255, 255)
    img[:HEIGHT, 0] = (255, 255, 255)
    img[:HEIGHT, WIDTH - 1] = (255, 255, 255)
    img[1:9, 1:9] = (255, 0, 0)
    img[1:9, WIDTH - 9 : WIDTH - 1] = (0, 255, 0)
    img[HEIGHT - 9 : HEIGHT - 1, 1:9] = (0, 0, 255)
    img[HEIGHT - 9 : HEIGHT - 1, WIDTH - 9 : WIDTH - 1] = (255, 255, 0)

    return _rgb_to_bgrx(img[:height, :width])


def bgrx_to_rgb(bgrx: np.ndarray) -> np.ndarray:
    """(h, w, 4) B, G, R, X → (h, w, 3) R, G, B (e.g. to compare with a PPM screendump)."""
    return np.ascontiguousarray(bgrx[..., 2::-1])


def main(argv: list[str]) -> int:
    usage = "usage: testcard.py testcard FILE [W H] | photo FILE W H"
    if len(argv) < 2:
        print(usage, file=sys.stderr)
        return 2
    what, path = argv[0], argv[1]
    if what == "testcard":
        w, h = (int(argv[2]), int(argv[3])) if len(argv) >= 4 else (WIDTH, HEIGHT)
        data = make_testcard(w, h)
    elif what == "photo" and len(argv) >= 4:
        data = make_photo(int(argv[2]), int(argv[3]))
    else:
        print(usage, file=sys.stderr)
        return 2
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(data).tobytes())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
