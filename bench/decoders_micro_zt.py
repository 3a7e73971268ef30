"""How long the ZRLE, Tight and TightPNG decoders take per rectangle, against zlib inflate alone.

Run: ``.venv/bin/python bench/decoders_micro_zt.py [--quick]``. Two 1280x1024 screens: a text
console (no anti-aliasing) and a desktop (anti-aliased text, a photo, gradients, flat panels).
They are cut the way QEMU cuts a changing screen (rectangles 16 to 80 pixels wide and 2 to 10
rows tall, covering the screen), as random 64x8 rectangles, and as full-width 16-row strips, then
encoded as QEMU would at this client's compression level 6, lossless
(``tests/rfb/reference_encoders_zt.py``, ``*_like_qemu``). The peer is zlib alone: the same
payloads' zlib data inflated with no parsing or painting, the floor for any decoder of these
encodings (for TightPNG, the PNGs' own zlib data, which any PNG decoder must inflate).

Times are CPU time of this process (``time.process_time``), best of a few runs: wall time on
a shared machine swings by 2x. "fps" is whole updates a second; the screen takes 4,776
rectangles in "qemu cut", which is more than QEMU really sends (about 1,400 for a changing
1920x1080 screen, so some 900 for 1280x1024): µs/rect x 900 is the realistic frame time.
"""

from __future__ import annotations

import random
import struct
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ovhkvm_desktop.rfb.decoders.tight import TightDecoder, TightPNGDecoder
from ovhkvm_desktop.rfb.decoders.zrle import ZRLEDecoder
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from tests.rfb import reference_encoders_zt as ref

WIDTH, HEIGHT = 1280, 1024
REPEATS = 5
TIMER = time.process_time  # CPU time: the test machine is shared; wall time swings 2x
LOG_TEXT = (
    "kernel: usb 1-1: new high-speed USB device number 2 using xhci_hcd eth0: link up 1000Mbps"
    " systemd[1]: Started Journal Service. -rw-r--r-- 1 root root 4096 Jan 12 03:14 /var/log"
)
WORDS = LOG_TEXT.split(" ")

Decode = Callable[[memoryview, int, Rect, Framebuffer], int]


def font(size: int, mono: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSansMono.ttf" if mono else "DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def to_bgrx(image: Image.Image) -> np.ndarray:
    bgrx = np.full((HEIGHT, WIDTH, 4), 255, np.uint8)
    bgrx[:, :, :3] = np.asarray(image.convert("RGB"))[:, :, ::-1]
    return bgrx


def text_lines(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colours, rng) -> None:
    x0, y0, x1, y1 = box
    mono = font(13, mono=True)
    for y in range(y0, y1 - 16, 16):
        line = ""
        target = rng.choice([40, 80, 120, 160, 160])
        while len(line) < target:
            line += rng.choice(WORDS) + " "
        draw.text((x0, y), line[: (x1 - x0) // 8], fill=rng.choice(colours), font=mono)


def console_image() -> np.ndarray:
    """A full text console: one line of log text every 16 rows, two colours per cell."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"
    colours = [(170, 170, 170)] * 6 + [(85, 255, 85), (255, 85, 85)]
    text_lines(draw, (0, 0, WIDTH, HEIGHT), colours, random.Random(1))
    return to_bgrx(image)


def desktop_image() -> np.ndarray:
    """A desktop: gradient wallpaper, a photo, a window of anti-aliased text, flat panels."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    wallpaper = np.stack([40 + x * 80 // WIDTH, 60 + y * 90 // HEIGHT, 120 + (x + y) % 64], -1)
    image = Image.fromarray(wallpaper.astype(np.uint8))
    # A "photo": smooth blobs plus sensor noise.
    py, px = np.mgrid[0:360, 0:480]
    photo = np.stack(
        [
            128 + 100 * np.sin(px / 37.0) * np.cos(py / 23.0),
            128 + 90 * np.sin((px + py) / 51.0),
            128 + 80 * np.cos(px / 17.0 - py / 29.0),
        ],
        -1,
    ) + rng.normal(0, 6, (360, 480, 3))
    image.paste(Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)), (760, 80))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, HEIGHT - 40, WIDTH, HEIGHT), fill=(32, 32, 36))  # a panel
    draw.rectangle((60, 60, 700, 900), fill=(250, 250, 250), outline=(120, 120, 120))
    draw.rectangle((60, 60, 700, 90), fill=(220, 224, 230))
    sans = font(14, mono=False)
    words = random.Random(4)
    for row, ty in enumerate(range(100, 880, 20)):
        line = " ".join(words.choice(WORDS) for _ in range(words.randint(4, 12)))
        colour = (20, 20, 20) if row % 7 else (30, 90, 200)
        draw.text((72, ty), line[:80], fill=colour, font=sans)  # anti-aliased
    for bx in range(80, WIDTH - 80, 120):
        draw.rounded_rectangle((bx, HEIGHT - 34, bx + 100, HEIGHT - 6), 6, fill=(70, 70, 80))
        draw.text((bx + 12, HEIGHT - 28), "Button", fill=(230, 230, 230), font=sans)
    return to_bgrx(image)


def updates(rng: random.Random) -> dict[str, list[Rect]]:
    cut = []
    y = 0
    while y < HEIGHT:
        h = min(rng.randint(2, 10), HEIGHT - y)
        x = 0
        while x < WIDTH:
            w = min(16 * rng.randint(1, 5), WIDTH - x)
            cut.append(Rect(x, y, w, h))
            x += w
        y += h
    small = [
        Rect(rng.randrange(0, WIDTH - 64, 16), rng.randrange(0, HEIGHT - 8), 64, 8)
        for _ in range(1400)
    ]
    strips = [Rect(0, y, WIDTH, 16) for y in range(0, HEIGHT, 16)]
    return {"qemu cut": cut, "1400 x 64x8": small, "strips": strips}


def zlib_chunks_zrle(payload: bytes, rect: Rect) -> list[tuple[int, bytes]]:
    return [(0, payload[4:])]


def png_idat(png: bytes) -> bytes:
    """The zlib stream inside a PNG file (its IDAT chunks)."""
    pos = 8
    out = b""
    while pos + 8 <= len(png):
        length, kind = struct.unpack_from(">I4s", png, pos)
        if kind == b"IDAT":
            out += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return out


def zlib_chunks_tight(payload: bytes, rect: Rect) -> list[tuple[int, bytes]]:
    """The zlib data in a Tight payload and its stream: 0-3, or -1 for a PNG's own zlib stream
    (none for fill, JPEG, short data)."""
    control = payload[0]
    if control >> 4 == 0xA:
        length = 0
        p = 1
        for shift in (0, 7, 14):
            b = payload[p]
            p += 1
            length |= (b & (0x7F if shift < 14 else 0xFF)) << shift
            if shift == 14 or not b & 0x80:
                break
        return [(-1, png_idat(payload[p:]))]
    if control >> 4 >= 8:
        return []
    p = 1
    filter_id = 0
    if control & 0x40:
        filter_id = payload[1]
        p = 2
    expected = rect.area * 3
    if filter_id == 1:
        colours = payload[p] + 1
        p += 1 + 3 * colours
        expected = (rect.width + 7) // 8 * rect.height if colours == 2 else rect.area
    if expected < 12:
        return []
    length = 0
    for shift in (0, 7, 14):
        b = payload[p]
        p += 1
        length |= (b & (0x7F if shift < 14 else 0xFF)) << shift
        if shift == 14 or not b & 0x80:
            break
    return [((control >> 4) & 3, payload[p:])]


def inflate_alone(chunks: list[list[tuple[int, bytes]]]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        streams = [zlib.decompressobj() for _ in range(4)]
        start = TIMER()
        for rect_chunks in chunks:
            for stream_id, data in rect_chunks:
                if stream_id < 0:
                    zlib.decompress(data)
                else:
                    streams[stream_id].decompress(data)
        best = min(best, TIMER() - start)
    return best


def decode_all(make: Callable[[], Decode], rects: list[Rect], payloads: list[memoryview]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        fb = Framebuffer(WIDTH, HEIGHT)
        decode = make()
        start = TIMER()
        for rect, payload in zip(rects, payloads, strict=True):
            decode(payload, 0, rect, fb)
        best = min(best, TIMER() - start)
    return best


def check(
    make: Callable[[], Decode],
    rects: list[Rect],
    payloads: list[memoryview],
    image: np.ndarray,
    tolerance: int,
) -> None:
    fb = Framebuffer(WIDTH, HEIGHT)
    decode = make()
    for rect, payload in zip(rects, payloads, strict=True):
        assert decode(payload, 0, rect, fb) == len(payload)
        got = fb.pixels[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width, :3]
        want = image[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width, :3]
        assert np.abs(got.astype(int) - want).max() <= tolerance, rect


def tightpng_encoder() -> Callable[[np.ndarray], bytes]:
    encoder = ref.TightEncoder(6)
    return lambda crop: encoder.rect_like_qemu(crop, png=True)


def main() -> None:
    quick = "--quick" in sys.argv
    screens = {"console": console_image(), "desktop": desktop_image()}
    print(f"{WIDTH}x{HEIGHT}; best of {REPEATS} runs; fps = whole update decoded per second\n")
    print(
        f"{'screen':<9}{'encoding':<10}{'update':<13}{'rects':>6}{'KiB':>6}"
        f"{'µs/rect':>9}{'inflate':>9}{'ratio':>7}{'ms':>8}{'fps':>7}"
    )
    encodings: list[tuple[str, Callable[[], Decode], Callable[[], Callable[[np.ndarray], bytes]]]]
    encodings = [
        ("zrle", lambda: ZRLEDecoder().decode, lambda: ref.ZRLEEncoder().rect),
        ("tight", lambda: TightDecoder().decode, lambda: ref.TightEncoder(6).rect_like_qemu),
        (
            "tightpng",
            lambda: TightPNGDecoder().decode,
            lambda: tightpng_encoder(),
        ),
    ]
    chunkers = {"zrle": zlib_chunks_zrle, "tight": zlib_chunks_tight, "tightpng": zlib_chunks_tight}
    for screen_name, image in screens.items():
        for update, rects in updates(random.Random(2)).items():
            if quick and update != "qemu cut":
                continue
            crops = [image[r.y : r.y + r.height, r.x : r.x + r.width] for r in rects]
            for name, make_decoder, make_encoder in encodings:
                encode = make_encoder()
                raw = [encode(crop) for crop in crops]
                payloads = [memoryview(p) for p in raw]
                check(make_decoder, rects, payloads, image, 0)
                seconds = decode_all(make_decoder, rects, payloads)
                floor = inflate_alone(
                    [chunkers[name](p, r) for p, r in zip(raw, rects, strict=True)]
                )
                n = len(rects)
                print(
                    f"{screen_name:<9}{name:<10}{update:<13}{n:>6}"
                    f"{sum(map(len, raw)) // 1024:>6}{seconds / n * 1e6:>9.1f}"
                    f"{floor / n * 1e6:>9.1f}{seconds / floor if floor else 0:>7.1f}"
                    f"{seconds * 1e3:>8.1f}{1 / seconds:>7.1f}"
                )
        print()


if __name__ == "__main__":
    Image.MAX_IMAGE_PIXELS = None
    main()
