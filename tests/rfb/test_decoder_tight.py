"""Tight and TightPNG: the reference encoder's rectangles are painted exactly (JPEG closely);
broken data is refused with a sentence."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ovhkvm_desktop.rfb.decoders import tight
from ovhkvm_desktop.rfb.decoders.tight import TightDecoder, TightPNGDecoder, undo_gradient
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from tests.rfb import reference_encoders_zt as ref

SCREEN = (200, 160)
COPY, PALETTE, GRADIENT = ref.COPY, ref.PALETTE, ref.GRADIENT


def image_of(colours: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """A BGRX image (X = 255) from ``(n, 3)`` BGR colours and a 2-D array of indices."""
    palette = np.full((len(colours), 4), 255, np.uint8)
    palette[:, :3] = colours
    return palette[indices]


def random_image(rng: np.random.Generator, width: int, height: int, colours: int) -> np.ndarray:
    """``colours`` distinct colours, all of them used when the image is large enough."""
    palette = np.unique(rng.integers(0, 1 << 24, colours * 2))[:colours]
    rng.shuffle(palette)
    bgr = palette.astype("<u4").view(np.uint8).reshape(-1, 4)[:, :3]
    indices = rng.integers(0, len(bgr), (height, width))
    indices.ravel()[: min(len(bgr), width * height)] = np.arange(min(len(bgr), width * height))
    return image_of(bgr, indices)


def smooth_image(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A photo-like picture: gentle gradients, the kind the gradient filter is chosen for."""
    y, x = np.mgrid[0:height, 0:width]
    noise = np.random.default_rng(seed).integers(-3, 4, (height, width, 3))
    bgr = np.stack(
        [128 + 60 * np.sin(x / 9 + seed), 100 + x * 50 // width, 90 + y * 80 // height], -1
    )
    image = np.full((height, width, 4), 255, np.uint8)
    image[:, :, :3] = np.clip(bgr + noise, 0, 255)
    return image


def decode(
    payloads: list[bytes], rects: list[Rect], decoder: TightDecoder | None = None
) -> Framebuffer:
    fb = Framebuffer(*SCREEN)
    decoder = decoder or TightDecoder()
    for payload, rect in zip(payloads, rects, strict=True):
        assert decoder.decode(memoryview(payload), 0, rect, fb) == len(payload)
    return fb


def painted(fb: Framebuffer, rect: Rect) -> np.ndarray:
    return fb.pixels[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]


def assert_painted(fb: Framebuffer, rect: Rect, image: np.ndarray) -> None:
    assert np.array_equal(painted(fb, rect), image)


def refused(payload: bytes, rect: Rect, decoder: TightDecoder | None = None) -> str:
    with pytest.raises(ProtocolError) as caught:
        (decoder or TightDecoder()).decode(memoryview(payload), 0, rect, Framebuffer(*SCREEN))
    return str(caught.value)


# Each compression method and filter --------------------------------------------------------------


@pytest.mark.parametrize("size", [(1, 1), (2, 1), (5, 3), (13, 7), (64, 64), (150, 40)])
@pytest.mark.parametrize(
    ("filter_id", "explicit", "colours"),
    [
        (COPY, False, 1000),
        (COPY, True, 1000),
        (PALETTE, True, 2),
        (PALETTE, True, 3),
        (PALETTE, True, 16),
        (PALETTE, True, 17),
        (PALETTE, True, 256),
        (GRADIENT, True, 1000),
    ],
)
def test_basic_compression_paints_the_image(
    size: tuple[int, int], filter_id: int, explicit: bool, colours: int
) -> None:
    width, height = size
    rng = np.random.default_rng(width * height + colours)
    image = random_image(rng, width, height, colours)
    rect = Rect(7, 9, width, height)
    if filter_id == PALETTE:
        used = ref.first_seen([ref.tpixel(px) for row in image for px in row])
        if len(used) < 2:
            used.append(b"\x01\x02\x03")
        payload = ref.TightEncoder().basic(image, PALETTE, stream=2, palette=used)
    else:
        payload = ref.TightEncoder().basic(image, filter_id, stream=1, explicit_filter=explicit)
    assert_painted(decode([payload], [rect]), rect, image)


@pytest.mark.parametrize("width", [1, 7, 8, 9, 15, 16, 17, 100])
def test_two_colour_rows_are_padded_to_whole_bytes(width: int) -> None:
    rng = np.random.default_rng(width)
    image = random_image(rng, width, 11, 2)
    palette = ref.first_seen([ref.tpixel(px) for row in image for px in row])
    if len(palette) == 1:
        palette.append(b"\x00\x00\x00")
    rect = Rect(0, 0, width, 11)
    payload = ref.TightEncoder().basic(image, PALETTE, stream=1, palette=palette)
    assert_painted(decode([payload], [rect]), rect, image)


@pytest.mark.parametrize(
    ("width", "height", "filter_id"),
    [
        (1, 1, COPY),
        (3, 1, COPY),
        (1, 3, GRADIENT),
        (4, 1, COPY),
        (7, 1, PALETTE),
        (3, 3, PALETTE),
        (12, 1, PALETTE),
        (95, 1, PALETTE),
    ],
)
def test_data_shorter_than_12_bytes_is_sent_without_zlib(
    width: int, height: int, filter_id: int
) -> None:
    image = random_image(np.random.default_rng(0), width, height, 3 if filter_id == PALETTE else 99)
    palette = ref.first_seen([ref.tpixel(px) for row in image for px in row])
    if filter_id == PALETTE and len(palette) == 2:
        palette.append(b"\x09\x09\x09")  # keep 3 colours: 8 bits a pixel
    encoder = ref.TightEncoder()
    payload = encoder.basic(image, filter_id, stream=3, palette=palette)
    rect = Rect(0, 0, width, height)
    decoder = TightDecoder()
    assert_painted(decode([payload], [rect], decoder), rect, image)
    # Encoder and decoder agree on whether stream 3 was used: the next rectangle reads.
    big = random_image(np.random.default_rng(1), 10, 10, 99)
    follow = encoder.basic(big, COPY, stream=3)
    assert_painted(decode([follow], [Rect(0, 0, 10, 10)], decoder), Rect(0, 0, 10, 10), big)


@pytest.mark.parametrize(
    ("tpixel", "value"),
    [(b"\xff\x00\x00", 0xFFFF0000), (b"\x00\xff\x00", 0xFF00FF00), (b"\x00\x00\xff", 0xFF0000FF)],
    ids=["red", "green", "blue"],
)
def test_a_tpixel_is_red_green_blue(tpixel: bytes, value: int) -> None:
    """Unlike ZRLE's CPIXEL, Tight's 3-byte pixel is red, green, blue."""
    rect = Rect(2, 3, 4, 1)
    black = b"\x00\x00\x00"
    row = np.array([[[tpixel[2], tpixel[1], tpixel[0], 255]] * 4], np.uint8)
    for payload in (
        b"\x80" + tpixel,  # fill
        b"\x40\x00" + tpixel * 3 + black,  # copy filter, 12 bytes: compressed below
        ref.TightEncoder().basic(row, COPY),  # the same, compressed
        b"\x40\x01\x02" + tpixel + black + black + b"\x00\x01\x00\x00",  # palette, 3 colours
        b"\x40\x01\x01" + tpixel + black + b"\x70",  # 2 colours: 0 1 1 1
    ):
        if len(payload) == 14:
            continue  # 12 bytes of pixels are never sent uncompressed
        fb = decode([payload], [rect])
        assert fb.pixels32[3, 2] == value
        assert tuple(fb.pixels[3, 2]) == tuple(value.to_bytes(4, "little"))


def test_fill_paints_one_colour() -> None:
    image = image_of(np.array([[1, 2, 3]], np.uint8), np.zeros((5, 9), int))
    rect = Rect(190, 150, 9, 5)
    assert_painted(decode([ref.TightEncoder().fill(image)], [rect]), rect, image)


@pytest.mark.parametrize("size", [(1, 1), (1, 40), (40, 1), (33, 17), (300, 100)])
def test_gradient_filter_on_smooth_and_noisy_images(size: tuple[int, int]) -> None:
    width, height = size
    for image in (
        smooth_image(width, height),
        random_image(np.random.default_rng(9), width, height, 999),
    ):
        diffs = np.frombuffer(ref.gradient_filter(image), np.uint8).reshape(height, width, 3)
        assert np.array_equal(undo_gradient(diffs), image[:, :, 2::-1])


@pytest.mark.parametrize("repairs", [0, 1, 8])
def test_gradient_rows_with_many_clamps(repairs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows where predictions clamp at 0 or 255 everywhere (the slow, pixel-by-pixel end)."""
    monkeypatch.setattr(tight, "_NUMPY_REPAIRS_PER_ROW", repairs)
    rng = np.random.default_rng(repairs)
    bgr = rng.choice(np.array([0, 1, 254, 255], np.uint8), (20, 37, 3))
    image = image_of(bgr.reshape(-1, 3), np.arange(20 * 37).reshape(20, 37))
    diffs = np.frombuffer(ref.gradient_filter(image), np.uint8).reshape(20, 37, 3)
    assert np.array_equal(undo_gradient(diffs), image[:, :, 2::-1])


def test_only_the_rectangle_is_painted() -> None:
    rect = Rect(100, 70, 65, 66)
    image = random_image(np.random.default_rng(3), 65, 66, 4)
    fb = decode([ref.TightEncoder().basic(image, PALETTE, stream=2)], [rect])
    assert_painted(fb, rect, image)
    outside = np.ones(fb.pixels.shape[:2], bool)
    outside[70:136, 100:165] = False
    assert (fb.pixels32[outside] == 0xFF000000).all()


# Zlib streams ------------------------------------------------------------------------------------


def test_four_streams_each_carried_from_rectangle_to_rectangle() -> None:
    rng = np.random.default_rng(4)
    encoder = ref.TightEncoder()
    images = [random_image(rng, 30, 20, 99) for _ in range(4)]
    payloads = []
    rects = []
    for round_ in range(3):
        for stream, image in enumerate(images):
            # The same pictures again: zlib finds them in each stream's history.
            payloads.append(encoder.basic(image, COPY, stream=stream))
            rects.append(Rect(40 * stream, 25 * round_, 30, 20))
    fb = decode(payloads, rects)
    for i, rect in enumerate(rects):
        assert_painted(fb, rect, images[i % 4])
    # A decoder that has not seen the first round cannot read the second.
    assert "corrupt" in refused(payloads[5], rects[5])


@pytest.mark.parametrize("method", ["fill", "jpeg", "basic"])
@pytest.mark.parametrize("stream", [0, 1, 2, 3])
def test_control_bits_reset_streams(stream: int, method: str) -> None:
    """The reset bits count whatever the method (even fill and JPEG, which use no stream)."""
    image = random_image(np.random.default_rng(stream), 30, 20, 99)
    rect = Rect(0, 0, 30, 20)
    encoder = ref.TightEncoder()
    decoder = TightDecoder()
    decode([encoder.basic(image, COPY, stream=stream)], [rect], decoder)
    reset = 1 << stream
    if method == "fill":
        decode([encoder.fill(image[:1, :1], reset=reset)], [Rect(0, 0, 1, 1)], decoder)
    elif method == "jpeg":
        decode([encoder.jpeg(image, reset=reset)], [rect], decoder)
    else:  # the reset stream is the one this rectangle uses: reset first, then inflate
        decode([encoder.basic(image, COPY, stream=stream, reset=reset)], [rect], decoder)
    after = encoder.basic(image, COPY, stream=stream)
    assert_painted(decode([after], [rect], decoder), rect, image)


def test_a_stream_that_was_not_reset_cannot_read_a_fresh_one() -> None:
    image = random_image(np.random.default_rng(8), 30, 20, 99)
    rect = Rect(0, 0, 30, 20)
    decoder = TightDecoder()
    decode([ref.TightEncoder().basic(image, COPY, stream=2)], [rect], decoder)
    fresh = ref.TightEncoder().basic(image, COPY, stream=2)  # a new zlib stream, header and all
    assert "corrupt" in refused(fresh, rect, decoder)


# JPEG and PNG ------------------------------------------------------------------------------------


@pytest.mark.parametrize("decoder_class", [TightDecoder, TightPNGDecoder])
def test_jpeg_paints_the_picture(decoder_class: type[TightDecoder]) -> None:
    image = smooth_image(96, 48, seed=2)
    image[8:24, 8:24, :3] = (0, 0, 255)  # a red square, B G R
    rect = Rect(50, 60, 96, 48)
    fb = decode([ref.TightEncoder().jpeg(image, quality=95)], [rect], decoder_class())
    got = painted(fb, rect).astype(int)
    assert (got[:, :, 3] == 255).all()
    assert np.abs(got[:, :, :3] - image[:, :, :3]).mean() < 3
    red = got[12:20, 12:20]
    assert (red[:, :, 2] > 230).all() and (red[:, :, :2] < 25).all()


def test_a_jpeg_of_the_wrong_size_is_refused() -> None:
    payload = ref.TightEncoder().jpeg(smooth_image(20, 10))
    assert "20x10 JPEG image for a 21x10 rectangle" in refused(payload, Rect(0, 0, 21, 10))


@pytest.mark.parametrize("kind", ["not a JPEG", "truncated"])
def test_a_broken_jpeg_is_refused(kind: str) -> None:
    jpeg = ref.TightEncoder().jpeg(smooth_image(20, 10))[3:]
    data = b"this is no picture" if kind == "not a JPEG" else jpeg[: len(jpeg) // 2]
    payload = b"\x90" + ref.compact_length(len(data)) + data
    assert "JPEG image that cannot be decoded" in refused(payload, Rect(0, 0, 20, 10))


def test_a_grey_jpeg_is_painted_in_grey() -> None:
    out = io.BytesIO()
    Image.new("L", (8, 8), 77).save(out, "JPEG", quality=100)
    payload = b"\x90" + ref.compact_length(len(out.getvalue())) + out.getvalue()
    fb = decode([payload], [Rect(0, 0, 8, 8)])
    assert (np.abs(painted(fb, Rect(0, 0, 8, 8))[:, :, :3].astype(int) - 77) <= 1).all()


PNG_IMAGES = {
    "rgb": lambda: random_image(np.random.default_rng(1), 37, 21, 999),
    "2 colours": lambda: random_image(np.random.default_rng(2), 37, 21, 2),
    "16 colours": lambda: random_image(np.random.default_rng(3), 37, 21, 16),
    "200 colours": lambda: random_image(np.random.default_rng(4), 37, 21, 200),
}


@pytest.mark.parametrize("name", PNG_IMAGES)
@pytest.mark.parametrize(
    "filters",
    [
        [0] * 21,
        [1] * 21,
        [2] * 21,
        [0, 1, 2] * 7,
        [3] * 21,
        [4] * 21,
        [0, 1, 2, 3, 4, 4, 2] * 3,
        None,
    ],
    ids=["none", "sub", "up", "mixed", "average", "paeth", "all", "libpng"],
)
def test_png_paints_the_image(name: str, filters: list[int] | None) -> None:
    """QEMU's 8-bit PNGs, with every row filter (the fast path and Pillow's)."""
    image = PNG_IMAGES[name]()
    png = ref.png_bytes(image, filters, palette=name != "rgb")
    rect = Rect(5, 6, 37, 21)
    fb = decode([ref.TightEncoder().png_payload(png)], [rect], TightPNGDecoder())
    assert_painted(fb, rect, image)


@pytest.mark.parametrize("name", PNG_IMAGES)
def test_pillow_made_png_paints_the_image(name: str) -> None:
    """Other PNGs (Pillow packs small palettes in 1, 2 or 4 bits) go through Pillow whole."""
    image = PNG_IMAGES[name]()
    payload = ref.TightEncoder().png(image, palette=name != "rgb")
    rect = Rect(0, 0, 37, 21)
    assert_painted(decode([payload], [rect], TightPNGDecoder()), rect, image)


def test_many_up_rows_in_a_tall_png() -> None:
    image = random_image(np.random.default_rng(5), 9, 70, 999)
    filters = [2, 2, 1, 2, 2, 2, 0] * 10
    png = ref.png_bytes(image, filters)
    rect = Rect(0, 0, 9, 70)
    fb = decode([ref.TightEncoder().png_payload(png)], [rect], TightPNGDecoder())
    assert_painted(fb, rect, image)


def test_a_png_of_the_wrong_size_is_refused() -> None:
    payload = ref.TightEncoder().png_payload(
        ref.png_bytes(random_image(np.random.default_rng(0), 8, 8, 9))
    )
    assert "8x8 PNG image for a 8x9 rectangle" in refused(
        payload, Rect(0, 0, 8, 9), TightPNGDecoder()
    )


def test_a_broken_png_is_refused() -> None:
    png = ref.png_bytes(random_image(np.random.default_rng(0), 8, 8, 999))
    broken = ref.TightEncoder().png_payload(png[:50] + b"\x00" * 30 + png[80:])
    message = refused(broken, Rect(0, 0, 8, 8), TightPNGDecoder())
    assert "PNG image that cannot be decoded" in message


def test_a_png_of_no_pixels_is_refused() -> None:
    png = ref.png_bytes(np.zeros((0, 5, 4), np.uint8))
    payload = ref.TightEncoder().png_payload(png)
    assert "PNG image that cannot be decoded" in refused(
        payload, Rect(0, 0, 5, 0), TightPNGDecoder()
    )


def test_tightpng_also_takes_fill_and_basic_compression() -> None:
    """The specification allows only fill, JPEG and PNG in TightPNG, but QEMU sends basic
    compression there too (its gradient filter, or everything when built without libpng)."""
    image = random_image(np.random.default_rng(6), 20, 10, 99)
    rect = Rect(0, 0, 20, 10)
    encoder = ref.TightEncoder()
    payloads = [encoder.basic(image, COPY), encoder.basic(image, GRADIENT, stream=3)]
    for payload in payloads:
        assert_painted(decode([payload], [rect], TightPNGDecoder()), rect, image)
    single = image_of(np.array([[5, 6, 7]], np.uint8), np.zeros((10, 20), int))
    assert_painted(decode([encoder.fill(single)], [rect], TightPNGDecoder()), rect, single)


def test_png_in_plain_tight_is_refused() -> None:
    payload = ref.TightEncoder().png(random_image(np.random.default_rng(0), 8, 8, 9))
    assert "without zlib, which this client did not ask for" in refused(payload, Rect(0, 0, 8, 8))


@pytest.mark.parametrize("method", [0xB, 0xC, 0xD, 0xE, 0xF])
@pytest.mark.parametrize("decoder_class", [TightDecoder, TightPNGDecoder])
def test_an_unknown_compression_method_is_refused(
    method: int, decoder_class: type[TightDecoder]
) -> None:
    payload = bytes([method << 4]) + bytes(30)
    message = refused(payload, Rect(0, 0, 4, 4), decoder_class())
    if method == 0xE and decoder_class is TightDecoder:
        assert "without zlib" in message
    else:
        assert f"unknown compression {method:#x}" in message


# Data arriving in pieces -------------------------------------------------------------------------


def sample_payloads(shared: bool) -> list[tuple[str, bytes, Rect]]:
    """One rectangle of each kind, from one encoder (``shared``: to be decoded in this order) or
    each from its own (to be decoded alone)."""
    rng = np.random.default_rng(7)
    image = random_image(rng, 13, 5, 99)
    rect = Rect(1, 2, 13, 5)
    one = ref.TightEncoder()

    def encoder() -> ref.TightEncoder:
        return one if shared else ref.TightEncoder()

    return [
        ("fill", encoder().fill(image[:1, :1]), Rect(0, 0, 1, 1)),
        ("copy", encoder().basic(image, COPY, explicit_filter=False), rect),
        ("palette", encoder().basic(random_image(rng, 13, 5, 5), PALETTE, stream=2), rect),
        ("mono", encoder().basic(random_image(rng, 13, 5, 2), PALETTE, stream=1), rect),
        ("gradient", encoder().basic(image, GRADIENT, stream=3), rect),
        ("short", encoder().basic(image[:1, :2], COPY), Rect(0, 0, 2, 1)),
        ("jpeg", encoder().jpeg(image), rect),
        ("png", encoder().png_payload(ref.png_bytes(image)), rect),
        ("big", encoder().basic(random_image(rng, 150, 60, 999), COPY), Rect(0, 0, 150, 60)),
    ]


@pytest.mark.parametrize("index", range(9))
def test_every_split_point_gives_the_same_picture(index: int) -> None:
    name, payload, rect = sample_payloads(shared=False)[index]
    decoder_class = TightPNGDecoder if name == "png" else TightDecoder
    whole = decode([payload], [rect], decoder_class())
    splits = range(len(payload)) if len(payload) < 400 else [*range(8), *range(8, len(payload), 97)]
    for split in splits:
        decoder = decoder_class()
        fb = Framebuffer(*SCREEN)
        with pytest.raises(Incomplete) as short:
            decoder.decode(memoryview(payload[:split]), 0, rect, fb)
        assert short.value.position == 0
        # The stream is untouched by the attempt: the whole payload still decodes.
        assert decoder.decode(memoryview(payload + b"next"), 0, rect, fb) == len(payload)
        assert np.array_equal(fb.pixels, whole.pixels)


def test_byte_by_byte_is_the_same_as_all_at_once() -> None:
    samples = sample_payloads(shared=True)
    rects = [rect for _, _, rect in samples]
    stream = b"".join(payload for _, payload, _ in samples)
    expected = decode([payload for _, payload, _ in samples], rects, TightPNGDecoder())
    decoder = TightPNGDecoder()
    fb = Framebuffer(*SCREEN)
    pos = have = 0
    for rect in rects:
        while True:
            try:
                pos = decoder.decode(memoryview(stream[:have]), pos, rect, fb)
                break
            except Incomplete as short:
                assert short.position == pos
                have += 1
    assert pos == len(stream)
    assert np.array_equal(fb.pixels, expected.pixels)


# Broken data -------------------------------------------------------------------------------------


def test_an_unknown_filter_is_refused() -> None:
    assert "unknown filter 3" in refused(b"\x40\x03" + bytes(20), Rect(0, 0, 4, 4))


def test_a_palette_of_one_colour_is_refused() -> None:
    assert "palette of a single colour" in refused(b"\x40\x01\x00" + bytes(20), Rect(0, 0, 4, 4))


def test_a_palette_index_beyond_the_palette_is_refused() -> None:
    payload = b"\x40\x01\x02" + bytes(9) + b"\x00\x01\x02\x03"  # index 3 of 3 colours
    assert "palette entry 3 of a 3-colour palette" in refused(payload, Rect(0, 0, 4, 1))
    data = zlib.compressobj()
    body = data.compress(bytes([0, 1, 2, 7] * 4)) + data.flush(zlib.Z_SYNC_FLUSH)
    payload = b"\x40\x01\x02" + bytes(9) + ref.compact_length(len(body)) + body
    assert "palette entry 7 of a 3-colour palette" in refused(payload, Rect(0, 0, 4, 4))


def test_corrupt_zlib_data_is_refused() -> None:
    payload = b"\x00" + ref.compact_length(6) + b"\x78\x9cgarb"
    assert "Tight data is corrupt" in refused(payload, Rect(0, 0, 4, 4))


@pytest.mark.parametrize(("size", "word"), [(40, "40 bytes where 48"), (60, "more than")])
def test_data_inflating_to_the_wrong_size_is_refused(size: int, word: str) -> None:
    data = zlib.compressobj()
    body = data.compress(bytes(size)) + data.flush(zlib.Z_SYNC_FLUSH)
    payload = b"\x00" + ref.compact_length(len(body)) + body
    assert word in refused(payload, Rect(0, 0, 4, 4))


@pytest.mark.parametrize("control", [b"\x00", b"\x90", b"\x40\x01\x01\x00\x00\x00\x00\x00\x00"])
def test_an_absurd_length_is_refused_before_waiting_for_it(control: bytes) -> None:
    payload = control + b"\xff\xff\xff"  # 4194303 bytes announced, none sent
    assert "announced 4194303 bytes" in refused(payload, Rect(0, 0, 16, 16))


def test_compact_lengths_of_one_two_and_three_bytes() -> None:
    for length, wire in [
        (10, b"\x0a"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (10000, b"\x90\x4e"),
        (16384, b"\x80\x80\x01"),
        (4194303, b"\xff\xff\xff"),
    ]:
        assert ref.compact_length(length) == wire
        assert tight._compact_length(memoryview(wire + b"z"), 0, 0) == (length, len(wire))


# Random images -----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 90),
    height=st.integers(1, 90),
    colours=st.sampled_from([2, 3, 17, 256, 5000]),
    method=st.sampled_from(["copy", "implicit", "palette", "gradient", "qemu", "png"]),
    stream=st.integers(0, 3),
    reset=st.integers(0, 15),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_images_round_trip(
    width: int, height: int, colours: int, method: str, stream: int, reset: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    image = random_image(rng, width, height, colours)
    used = len(ref.first_seen([ref.tpixel(px) for row in image for px in row]))
    encoder = ref.TightEncoder()
    decoder = TightPNGDecoder()
    rect = Rect(SCREEN[0] - width, SCREEN[1] - height, width, height)
    warm = random_image(rng, 8, 8, 99)
    decode([encoder.basic(warm, COPY, stream=stream)], [Rect(0, 0, 8, 8)], decoder)
    if method == "palette" and 2 <= used <= 256:
        payload = encoder.basic(image, PALETTE, stream=stream, reset=reset)
    elif method == "gradient":
        payload = encoder.basic(image, GRADIENT, stream=stream, reset=reset)
    elif method == "implicit":
        payload = encoder.basic(image, COPY, stream=stream, explicit_filter=False, reset=reset)
    elif method == "qemu":
        payload = encoder.rect_like_qemu(image)
    elif method == "png":
        payload = encoder.png_payload(ref.png_bytes(image, palette=used <= 256), reset=reset)
    else:
        payload = encoder.basic(image, COPY, stream=stream, reset=reset)
    assert_painted(decode([payload], [rect], decoder), rect, image)
