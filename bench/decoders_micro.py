"""Time the RRE, Hextile and zlib decoders per rectangle on a text console's screen updates.

Run ``.venv/bin/python bench/decoders_micro.py``. The screen is a 1280x1024 text console (DejaVu
Sans Mono, 8x16 cells, no anti-aliasing, a few coloured lines), delivered three ways:

- ``1400 x 64x8``: 1,400 rectangles of 64x8 taken from it, the size of QEMU's updates;
- ``qemu cut``: the whole screen in rectangles 16-80 wide and 2-10 tall (a worst case);
- ``strips``: the whole screen in 1280x16 strips (QEMU's shape when everything changed).

Hextile and RRE come from the tests' reference encoders, as whole rectangles (``cover``) or as
one-row runs, the way QEMU's Hextile encoder cuts a tile (``runs``). The peer is the plain way to
write these decoders in Python, one numpy slice per tile and per sub-rectangle; for zlib, C
zlib's inflate alone, without painting. Times are CPU time, best of ``REPEATS`` runs, because the
machines this runs on are shared. ``updates/s`` is how many such updates a second the decoder
keeps up with; ``vs peer`` is the peer's time over ours (above 1, ours is faster).
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

from ovhkvm_desktop.rfb.decoders.hextile import HextileDecoder
from ovhkvm_desktop.rfb.decoders.rre import RREDecoder
from ovhkvm_desktop.rfb.decoders.zlib import ZlibDecoder
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for the tests' encoders
from tests.rfb import reference_encoders_basic as ref

WIDTH, HEIGHT = 1280, 1024
REPEATS = 7
WORDS = (
    "kernel:", "usb", "1-1:", "new", "high-speed", "USB", "device", "number", "2", "using",
    "xhci_hcd", "eth0:", "link", "up", "systemd[1]:", "Started", "Journal", "Service.",
    "-rw-r--r--", "1", "root", "root", "4096", "Jan", "12", "03:14", "/var/log/syslog",
)  # fmt: skip

Decode = Callable[[memoryview, int, Rect, Framebuffer], int]


def console_image() -> np.ndarray:
    """A full text console: a line of log text every 16 rows, most lines long."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # a text console has no anti-aliasing: two colours per cell
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font = ImageFont.truetype("DejaVuSansMono.ttf", 13)
    except OSError:
        font = ImageFont.load_default(size=13)
    rng = random.Random(1)
    for row in range(HEIGHT // 16):
        line = ""
        target = rng.choice([40, 80, 120, 160, 160])
        while len(line) < target:
            line += rng.choice(WORDS) + " "
        colour = rng.choice([(170, 170, 170)] * 6 + [(85, 255, 85), (255, 85, 85)])
        draw.text((0, row * 16), line[:160], fill=colour, font=font)
    bgrx = np.full((HEIGHT, WIDTH, 4), 255, np.uint8)
    bgrx[:, :, :3] = np.asarray(image)[:, :, ::-1]
    return bgrx


def updates(rng: random.Random) -> dict[str, list[Rect]]:
    small = [
        Rect(rng.randrange(0, WIDTH - 64, 16), rng.randrange(0, HEIGHT - 8), 64, 8)
        for _ in range(1400)
    ]
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
    strips = [Rect(0, y, WIDTH, 16) for y in range(0, HEIGHT, 16)]
    return {"1400 x 64x8": small, "qemu cut": cut, "strips": strips}


def naive_hextile(buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
    """The peer: one numpy slice per tile and per sub-rectangle."""
    screen = fb.pixels32
    bg = fg = 0
    for ty in range(rect.y, rect.y + rect.height, 16):
        th = min(16, rect.y + rect.height - ty)
        for tx in range(rect.x, rect.x + rect.width, 16):
            tw = min(16, rect.x + rect.width - tx)
            mask = buf[pos]
            pos += 1
            if mask & 1:
                screen[ty : ty + th, tx : tx + tw] = np.frombuffer(
                    buf, np.uint32, tw * th, pos
                ).reshape(th, tw)
                pos += tw * th * 4
                continue
            if mask & 2:
                (bg,) = struct.unpack_from("<I", buf, pos)
                pos += 4
            if mask & 4:
                (fg,) = struct.unpack_from("<I", buf, pos)
                pos += 4
            screen[ty : ty + th, tx : tx + tw] = bg
            if mask & 8:
                count = buf[pos]
                pos += 1
                for _ in range(count):
                    colour = fg
                    if mask & 16:
                        (colour,) = struct.unpack_from("<I", buf, pos)
                        pos += 4
                    xy, wh = buf[pos], buf[pos + 1]
                    pos += 2
                    sx, sy = tx + (xy >> 4), ty + (xy & 15)
                    screen[sy : sy + (wh & 15) + 1, sx : sx + (wh >> 4) + 1] = colour
    return pos


def naive_rre(buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
    """The peer: one numpy slice per sub-rectangle."""
    (count,) = struct.unpack_from(">I", buf, pos)
    (bg,) = struct.unpack_from("<I", buf, pos + 4)
    screen = fb.pixels32
    screen[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width] = bg
    pos += 8
    for _ in range(count):
        (colour,) = struct.unpack_from("<I", buf, pos)
        x, y, w, h = struct.unpack_from(">HHHH", buf, pos + 4)
        screen[rect.y + y : rect.y + y + h, rect.x + x : rect.x + x + w] = colour
        pos += 12
    return pos


def inflate_only() -> Decode:
    """The peer for zlib: the connection's stream inflating each payload, nothing painted."""
    stream = zlib.decompressobj()

    def decode(buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        (length,) = struct.unpack_from(">I", buf, pos)
        stream.decompress(buf[pos + 4 : pos + 4 + length])
        return pos + 4 + length

    return decode


def best_times(
    makers: dict[str, Callable[[], Decode]], rects: list[Rect], payloads: list[memoryview]
) -> dict[str, float]:
    """Each decoder's best time over the rectangles; the decoders take turns, so that a busy
    spell on the machine hits them alike."""
    best = dict.fromkeys(makers, float("inf"))
    for _ in range(REPEATS):
        for who, make in makers.items():
            fb = Framebuffer(WIDTH, HEIGHT)
            decode = make()
            start = time.process_time()
            for rect, payload in zip(rects, payloads, strict=True):
                decode(payload, 0, rect, fb)
            best[who] = min(best[who], time.process_time() - start)
    return best


def check(make: Callable[[], Decode], rects: list[Rect], payloads: list[memoryview], image) -> None:
    """The decoder paints exactly what was encoded."""
    fb = Framebuffer(WIDTH, HEIGHT)
    decode = make()
    for rect, payload in zip(rects, payloads, strict=True):
        assert decode(payload, 0, rect, fb) == len(payload)
    for r in rects:
        got = fb.pixels[r.y : r.y + r.height, r.x : r.x + r.width]
        assert np.array_equal(got, image[r.y : r.y + r.height, r.x : r.x + r.width])


def main() -> None:
    image = console_image()
    encoders: dict[str, Callable[[np.ndarray], bytes]] = {
        "hextile (cover)": lambda crop: ref.encode_hextile(crop),
        "hextile (runs)": lambda crop: ref.encode_hextile(crop, split=ref.runs),
        "rre (cover)": lambda crop: ref.encode_rre(crop),
        "rre (runs)": lambda crop: ref.encode_rre(crop, split=ref.runs),
        "zlib": lambda crop: b"",  # replaced per update: it needs the update's own stream
    }
    decoders: dict[str, list[tuple[str, Callable[[], Decode]]]] = {
        "hextile": [
            ("ours", lambda: HextileDecoder().decode),
            ("naive slices", lambda: naive_hextile),
        ],
        "rre": [("ours", lambda: RREDecoder().decode), ("naive slices", lambda: naive_rre)],
        "zlib": [("ours", lambda: ZlibDecoder().decode), ("inflate alone", inflate_only)],
    }
    print(f"Text console {WIDTH}x{HEIGHT}; CPU time, best of {REPEATS} runs.\n")
    print("| encoding | update | rects | decoder | µs/rect | ms/update | updates/s | vs peer |")
    print("|---|---|--:|---|--:|--:|--:|--:|")
    for update, rects in updates(random.Random(2)).items():
        crops = [image[r.y : r.y + r.height, r.x : r.x + r.width] for r in rects]
        compressor = zlib.compressobj(6)
        encoders["zlib"] = lambda crop, c=compressor: ref.encode_zlib(c, crop)
        for encoding, encode in encoders.items():
            payloads = [memoryview(encode(crop)) for crop in crops]
            ours, peer = decoders[encoding.split()[0]]
            check(ours[1], rects, payloads, image)
            seconds = best_times(dict([ours, peer]), rects, payloads)
            for who, took in seconds.items():
                ratio = f"{seconds[peer[0]] / took:.2f}x" if who == "ours" else ""
                per_rect = took / len(rects) * 1e6
                print(
                    f"| {encoding} | {update} | {len(rects)} | {who} | {per_rect:.1f} |"
                    f" {took * 1e3:.1f} | {1 / took:.1f} | {ratio} |"
                )


if __name__ == "__main__":
    main()
