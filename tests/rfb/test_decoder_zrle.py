"""ZRLE: what the reference encoder sends is painted pixel for pixel; broken data is refused."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovhkvm_desktop.rfb.decoders import zrle
from ovhkvm_desktop.rfb.decoders.zrle import ZRLEDecoder
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from tests.rfb import reference_encoders_zt as ref

SCREEN = (200, 160)


def image_of(colours: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """A BGRX image (X = 255) from ``(n, 3)`` BGR colours and a 2-D array of indices."""
    palette = np.full((len(colours), 4), 255, np.uint8)
    palette[:, :3] = colours
    return palette[indices]


def random_image(rng: np.random.Generator, width: int, height: int, colours: int) -> np.ndarray:
    palette = rng.integers(0, 256, (colours, 3), dtype=np.uint8)
    return image_of(palette, rng.integers(0, colours, (height, width)))


def runny_image(
    rng: np.random.Generator, width: int, height: int, colours: int, longest: int
) -> np.ndarray:
    """An image made of horizontal runs (that wrap from row to row) up to ``longest`` long."""
    palette = rng.integers(0, 256, (colours, 3), dtype=np.uint8)
    flat: list[int] = []
    while len(flat) < width * height:
        flat += [int(rng.integers(colours))] * int(rng.integers(1, longest + 1))
    return image_of(palette, np.array(flat[: width * height]).reshape(height, width))


def tiles_for(image: np.ndarray, make: Callable[[np.ndarray], bytes]) -> list[bytes]:
    return [make(image[y : y + h, x : x + w]) for x, y, w, h in ref.zrle_tiles(*image.shape[1::-1])]


def decode(
    payloads: list[bytes], rects: list[Rect], decoder: ZRLEDecoder | None = None
) -> Framebuffer:
    fb = Framebuffer(*SCREEN)
    decoder = decoder or ZRLEDecoder()
    for payload, rect in zip(payloads, rects, strict=True):
        assert decoder.decode(memoryview(payload), 0, rect, fb) == len(payload)
    return fb


def assert_painted(fb: Framebuffer, rect: Rect, image: np.ndarray) -> None:
    got = fb.pixels[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
    assert np.array_equal(got, image)


def decode_one(tiles: list[bytes], rect: Rect) -> Framebuffer:
    return decode([ref.ZRLEEncoder().wrap(b"".join(tiles))], [rect])


def refused(data: bytes, rect: Rect) -> str:
    """The message of the ProtocolError raised for tile ``data`` (compressed and wrapped)."""
    with pytest.raises(ProtocolError) as caught:
        decode_one([data], rect)
    return str(caught.value)


# Every subencoding ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1, 1), (7, 3), (64, 64), (65, 129), (130, 65)])
@pytest.mark.parametrize(
    "kind", ["raw", "solid", "packed", "plain_rle", "palette_rle", "palette_rle_long", "qemu"]
)
def test_each_subencoding_paints_the_image(kind: str, size: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    width, height = size
    image = {
        "raw": lambda: random_image(rng, width, height, 300),
        "solid": lambda: image_of(np.array([[10, 20, 30]], np.uint8), np.zeros(size[::-1], int)),
        "packed": lambda: random_image(rng, width, height, 5),
        "plain_rle": lambda: runny_image(rng, width, height, 400, 40),
        "palette_rle": lambda: runny_image(rng, width, height, 9, 6),
        "palette_rle_long": lambda: runny_image(rng, width, height, 3, 700),
        "qemu": lambda: runny_image(rng, width, height, 12, 30),
    }[kind]()
    make = {
        "raw": ref.zrle_raw_tile,
        "solid": ref.zrle_solid_tile,
        "plain_rle": ref.zrle_plain_rle_tile,
        "qemu": ref.zrle_tile_like_qemu,
    }.get(kind)

    def tile(t: np.ndarray) -> bytes:
        if make is not None:
            return make(t)
        if len(ref.first_seen(ref.pixel_list(t))) == 1:
            return ref.zrle_solid_tile(t)  # a palette needs 2 colours
        return ref.zrle_packed_tile(t) if kind == "packed" else ref.zrle_palette_rle_tile(t)

    rect = Rect(3, 5, width, height)
    fb = decode_one(tiles_for(image, tile), rect)
    assert_painted(fb, rect, image)


@pytest.mark.parametrize("colours", [2, 3, 4, 5, 8, 15, 16])
@pytest.mark.parametrize("width", [1, 7, 8, 9, 31, 64])
def test_packed_palette_of_every_width_and_bit_size(colours: int, width: int) -> None:
    rng = np.random.default_rng(colours * 100 + width)
    image = random_image(rng, width, 5, colours)
    # Name every colour in the palette even when the tile does not use them all.
    palette = ref.first_seen(ref.pixel_list(image))
    palette += [bytes([i, 1, 2]) for i in range(colours - len(palette))]
    rect = Rect(0, 0, width, 5)
    fb = decode_one([ref.zrle_packed_tile(image, palette)], rect)
    assert_painted(fb, rect, image)


@pytest.mark.parametrize("colours", [2, 3, 16, 17, 100, 127])
@pytest.mark.parametrize("singles_as_runs", [False, True])
def test_palette_rle_of_every_palette_size(colours: int, singles_as_runs: bool) -> None:
    rng = np.random.default_rng(colours)
    image = runny_image(rng, 64, 64, colours, 5)
    palette = ref.first_seen(ref.pixel_list(image))
    palette += [bytes([i, 9, 9]) for i in range(colours - len(palette))]
    rect = Rect(0, 0, 64, 64)
    tile = ref.zrle_palette_rle_tile(image, palette, singles_as_runs=singles_as_runs)
    assert_painted(decode_one([tile], rect), rect, image)


@pytest.mark.parametrize("longest", [1, 3, 255, 256, 257, 511, 4096])
@pytest.mark.parametrize("kind", ["plain", "palette"])
def test_runs_of_every_length_many_or_few(kind: str, longest: int) -> None:
    """Long runs need 255 bytes in their length; short runs are many (numpy's part of a tile)."""
    rng = np.random.default_rng(longest)
    image = runny_image(rng, 64, 64, 3 if kind == "palette" else 200, longest)
    make = ref.zrle_palette_rle_tile if kind == "palette" else ref.zrle_plain_rle_tile
    rect = Rect(0, 0, 64, 64)
    assert_painted(decode_one([make(image)], rect), rect, image)


@pytest.mark.parametrize("python_runs", [0, 1, 2, 48, 1000])
def test_python_and_numpy_halves_of_a_run_tile_agree(
    python_runs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zrle, "_PYTHON_RUNS", python_runs)
    monkeypatch.setattr(zrle, "_PYTHON_PLAIN_RUNS", python_runs)
    rng = np.random.default_rng(python_runs)
    rect = Rect(0, 0, 64, 40)
    for make, colours in [(ref.zrle_palette_rle_tile, 40), (ref.zrle_plain_rle_tile, 300)]:
        for longest in (2, 40, 600):
            image = runny_image(rng, 64, 40, colours, longest)
            if len(ref.first_seen(ref.pixel_list(image))) > 1:
                assert_painted(decode_one([make(image)], rect), rect, image)


# Pixel format ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cpixel", "value"),
    [(b"\x00\x00\xff", 0xFFFF0000), (b"\x00\xff\x00", 0xFF00FF00), (b"\xff\x00\x00", 0xFF0000FF)],
    ids=["red", "green", "blue"],
)
def test_a_cpixel_is_blue_green_red(cpixel: bytes, value: int) -> None:
    """For our format a CPIXEL is the pixel's three low bytes in wire order: B, G, R."""
    rect = Rect(1, 1, 3, 2)
    black = b"\x00\x00\x00"
    for tile in (
        b"\x01" + cpixel,  # solid
        b"\x00" + cpixel * 6,  # raw
        b"\x02" + cpixel + black + b"\x40\x40",  # packed, rows 0 1 0: colour, black, colour
        b"\x80" + cpixel + b"\x05",  # plain RLE: one run of 6
        b"\x82" + black + cpixel + b"\x81\x05",  # palette RLE: 6 of index 1
    ):
        fb = decode_one([tile], rect)
        assert fb.pixels32[1, 1] == value
        assert fb.pixels32[2, 3] == value
        assert tuple(fb.pixels[1, 1]) == tuple(value.to_bytes(4, "little"))


def test_only_the_rectangle_is_painted() -> None:
    rect = Rect(100, 70, 65, 66)
    image = random_image(np.random.default_rng(3), 65, 66, 4)
    fb = decode_one(tiles_for(image, ref.zrle_tile_like_qemu), rect)
    assert_painted(fb, rect, image)
    outside = np.ones(fb.pixels.shape[:2], bool)
    outside[70:136, 100:165] = False
    assert (fb.pixels32[outside] == 0xFF000000).all()


def test_one_zlib_stream_lasts_the_whole_connection() -> None:
    rng = np.random.default_rng(4)
    encoder = ref.ZRLEEncoder()
    images = [random_image(rng, 40, 30, 3) for _ in range(3)]
    images.append(images[0])  # the same data again: zlib refers back to the first rectangle
    rects = [Rect(10 * i, 10 * i, 40, 30) for i in range(4)]
    payloads = [encoder.rect(image) for image in images]
    fb = Framebuffer(*SCREEN)
    decoder = ZRLEDecoder()
    for payload, rect, image in zip(payloads, rects, images, strict=True):
        decoder.decode(memoryview(payload), 0, rect, fb)
        assert_painted(fb, rect, image)
    with pytest.raises(ProtocolError, match="corrupt"):
        ZRLEDecoder().decode(memoryview(payloads[3]), 0, rects[3], Framebuffer(*SCREEN))


def test_a_zero_area_rectangle_takes_its_payload() -> None:
    payload = ref.ZRLEEncoder().wrap(b"")
    fb = Framebuffer(*SCREEN)
    assert ZRLEDecoder().decode(memoryview(payload), 0, Rect(5, 5, 0, 7), fb) == len(payload)


# Data arriving in pieces -------------------------------------------------------------------------


def feed(decoder: ZRLEDecoder, stream: bytes, rect: Rect, fb: Framebuffer, step: int) -> int:
    """Give the decoder ``step`` more bytes at a time, as the connection does, until it is done."""
    have = 0
    pos = 0
    while True:
        have = min(len(stream), have + step)
        try:
            return decoder.decode(memoryview(stream[:have]), pos, rect, fb)
        except Incomplete as short:
            assert have < len(stream)
            pos = short.position


def test_every_split_point_gives_the_same_picture() -> None:
    rng = np.random.default_rng(5)
    image = runny_image(rng, 70, 9, 6, 9)
    rect = Rect(2, 2, 70, 9)
    encoder = ref.ZRLEEncoder()
    first = encoder.rect(image)
    second = encoder.rect(image[::-1].copy())
    whole = decode([first, second], [rect, rect])
    for split in range(len(first)):
        decoder = ZRLEDecoder()
        fb = Framebuffer(*SCREEN)
        with pytest.raises(Incomplete) as short:
            decoder.decode(memoryview(first[:split]), 0, rect, fb)
        assert short.value.position == 0
        assert decoder.decode(memoryview(first + second), 0, rect, fb) == len(first)
        assert decoder.decode(memoryview(second), 0, rect, fb) == len(second)
        assert np.array_equal(fb.pixels, whole.pixels)


@pytest.mark.parametrize("step", [1, 2, 7, 100])
def test_byte_by_byte_is_the_same_as_all_at_once(step: int) -> None:
    rng = np.random.default_rng(6)
    image = random_image(rng, 66, 65, 3)
    rect = Rect(0, 0, 66, 65)
    payload = ref.ZRLEEncoder().rect(image)
    fb = Framebuffer(*SCREEN)
    assert feed(ZRLEDecoder(), payload, rect, fb, step) == len(payload)
    assert_painted(fb, rect, image)


# Broken data -------------------------------------------------------------------------------------


@pytest.mark.parametrize("subencoding", [17, 100, 127, 129])
def test_an_unknown_subencoding_is_refused(subencoding: int) -> None:
    message = refused(bytes([subencoding]) + bytes(200), Rect(0, 0, 4, 4))
    assert f"unknown subencoding {subencoding}" in message


@pytest.mark.parametrize(
    ("colours", "row", "width"),
    [(3, b"\x1b", 4), (5, b"\x05", 2), (8, b"\x79", 2), (15, b"\x0f", 2)],
    ids=["3 colours, index 3", "5 colours, index 5", "8 colours, index 9", "15, index 15"],
)
def test_a_packed_index_beyond_the_palette_is_refused(colours: int, row: bytes, width: int) -> None:
    """3 colours take 2-bit indices, 5 to 15 take 4 bits: some indices have no colour."""
    tile = bytes([colours]) + bytes(3 * colours) + row
    assert f"beyond its {colours} colours" in refused(tile, Rect(0, 0, width, 1))


def test_padding_bits_are_not_pixels() -> None:
    """The bits after a row's last pixel may be anything, even an index with no colour."""
    tile = b"\x03" + bytes(6) + b"\xff\xff\xff" + b"\x2f"  # 0 2 | then 11 11 padding
    fb = decode_one([tile], Rect(0, 0, 2, 1))
    assert fb.pixels32[0, 0] == 0xFF000000 and fb.pixels32[0, 1] == 0xFFFFFFFF


@pytest.mark.parametrize("python_runs", [0, 1000])
@pytest.mark.parametrize(
    "runs",
    [b"\x02\x00\x00\x00", b"\x82\x02\x00", b"\x00\xff\x00\x00", b"\x00\x00\x00\x00"],
    ids=["single", "run", "index 127", "fine"],
)
def test_a_palette_rle_index_beyond_the_palette_is_refused(
    runs: bytes, python_runs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zrle, "_PYTHON_RUNS", python_runs)
    monkeypatch.setattr(zrle, "_PYTHON_PLAIN_RUNS", python_runs)
    tile = b"\x82" + bytes(6) + runs
    rect = Rect(0, 0, 4, 1)
    if runs == bytes(4):
        decode_one([tile], rect)  # four single pixels of colour 0: fine
        return
    message = refused(tile, rect)
    assert "palette index" in message


@pytest.mark.parametrize("python_runs", [0, 1, 1000])
def test_a_run_past_its_tile_is_refused(python_runs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zrle, "_PYTHON_RUNS", python_runs)
    monkeypatch.setattr(zrle, "_PYTHON_PLAIN_RUNS", python_runs)
    rect = Rect(0, 0, 4, 2)  # 8 pixels
    assert "past the end of its 4x2 tile" in refused(b"\x82" + bytes(6) + b"\x81\x08", rect)
    assert "past the end of its 4x2 tile" in refused(b"\x80" + bytes(3) + b"\xff\x00", rect)
    two_runs = b"\x80" + bytes(3) + b"\x03" + bytes(3) + b"\x04"  # 4 + 5 pixels
    assert "past the end of its 4x2 tile" in refused(two_runs, rect)


@pytest.mark.parametrize(
    "tile",
    [
        b"\x00" + bytes(10),  # raw: 12 bytes short
        b"\x01\x00",  # solid: a colour short
        b"\x05" + bytes(15),  # packed: the indices missing
        b"\x82" + bytes(6) + b"\x00",  # palette RLE: 7 pixels short
        b"\x80" + bytes(3) + b"\x02",  # plain RLE: 5 pixels short
        b"",  # no tile at all
    ],
)
def test_a_tile_past_the_end_of_the_data_is_refused(tile: bytes) -> None:
    assert "past the end of the rectangle's data" in refused(tile, Rect(0, 0, 4, 2))


def test_a_run_length_that_never_ends_is_refused() -> None:
    tile = b"\x82" + bytes(6) + b"\x81\xff"
    assert "past the end of the rectangle's data" in refused(tile, Rect(0, 0, 64, 64))


def test_data_left_over_after_the_tiles_is_refused() -> None:
    assert "3 bytes left over" in refused(b"\x01" + bytes(3) + b"xyz", Rect(0, 0, 4, 2))


def test_corrupt_zlib_data_is_refused() -> None:
    payload = struct.pack(">I", 6) + b"\x78\x9cgarb"
    with pytest.raises(ProtocolError, match="ZRLE data is corrupt"):
        ZRLEDecoder().decode(memoryview(payload), 0, Rect(0, 0, 4, 4), Framebuffer(*SCREEN))


def test_an_absurd_length_is_refused_before_waiting_for_it() -> None:
    payload = struct.pack(">I", 0xFFFFFFF0)  # only the length has arrived
    with pytest.raises(ProtocolError, match="announced 4294967280 bytes of ZRLE data"):
        ZRLEDecoder().decode(memoryview(payload), 0, Rect(0, 0, 16, 16), Framebuffer(*SCREEN))


def test_data_inflating_past_what_the_tiles_can_hold_is_refused() -> None:
    bomb = zlib.compress(bytes(100_000))
    payload = struct.pack(">I", len(bomb)) + bomb
    with pytest.raises(ProtocolError, match="more than a 4x4 rectangle can hold"):
        ZRLEDecoder().decode(memoryview(payload), 0, Rect(0, 0, 4, 4), Framebuffer(*SCREEN))


# Random images -----------------------------------------------------------------------------------

KINDS = ["raw", "solid", "packed", "plain_rle", "palette_rle", "palette_rle_singles", "qemu"]


def random_tile(tile: np.ndarray, kind: str) -> bytes:
    colours = len(ref.first_seen(ref.pixel_list(tile)))
    if kind == "solid" or colours == 1:
        return ref.zrle_solid_tile(tile) if colours == 1 else ref.zrle_raw_tile(tile)
    if kind == "packed" and colours <= 16:
        return ref.zrle_packed_tile(tile)
    if kind.startswith("palette_rle") and colours <= 127:
        return ref.zrle_palette_rle_tile(tile, singles_as_runs=kind.endswith("singles"))
    if kind == "plain_rle":
        return ref.zrle_plain_rle_tile(tile)
    if kind == "qemu":
        return ref.zrle_tile_like_qemu(tile)
    return ref.zrle_raw_tile(tile)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 140),
    height=st.integers(1, 140),
    colours=st.sampled_from([1, 2, 3, 5, 17, 200]),
    longest=st.sampled_from([1, 4, 300]),
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=9),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_images_round_trip(
    width: int, height: int, colours: int, longest: int, kinds: list[str], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    image = runny_image(rng, width, height, colours, longest)
    tiles = [
        random_tile(image[y : y + h, x : x + w], kinds[i % len(kinds)])
        for i, (x, y, w, h) in enumerate(ref.zrle_tiles(width, height))
    ]
    rect = Rect(SCREEN[0] - width, SCREEN[1] - height, width, height)
    assert_painted(decode_one(tiles, rect), rect, image)
