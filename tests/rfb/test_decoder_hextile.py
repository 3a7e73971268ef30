"""Hextile: what the reference encoder sends is painted exactly, however it arrives; broken tiles
are refused with a sentence."""

from __future__ import annotations

from itertools import accumulate

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovhkvm_desktop.rfb.decoders import hextile
from ovhkvm_desktop.rfb.decoders.hextile import HextileDecoder
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from tests.rfb import reference_encoders_basic as ref

RED, GREEN, BLUE, WHITE, GREY = 0xFFFF0000, 0xFF00FF00, 0xFF0000FF, 0xFFFFFFFF, 0xFF808080
BLACK = 0xFF000000


def bgrx(values: np.ndarray) -> np.ndarray:
    """Pixel values ``0xXXRRGGBB`` as a BGRX image."""
    return np.ascontiguousarray(values, dtype="<u4").view(np.uint8).reshape(*values.shape, 4)


def values_of(pixels: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(pixels).view("<u4")[..., 0]


def sketch(rng: np.random.Generator, width: int, height: int, colours: int) -> np.ndarray:
    """A screen-like image: a background, rectangles and text-like specks of a few colours, and
    now and then a patch of noise (which makes coloured and raw tiles)."""
    palette = 0xFF000000 | rng.integers(0, 1 << 24, colours, dtype=np.int64)
    values = np.full((height, width), palette[0], np.int64)
    for _ in range(rng.integers(0, 6)):
        x, y = rng.integers(0, width), rng.integers(0, height)
        w, h = rng.integers(1, width + 1), rng.integers(1, height + 1)
        values[y : y + h, x : x + w] = palette[rng.integers(0, colours)]
    specks = rng.random((height, width)) < rng.choice([0.0, 0.1, 0.4])
    values[specks] = palette[rng.integers(0, colours, int(specks.sum()))]
    if rng.random() < 0.2:
        x, y = rng.integers(0, width), rng.integers(0, height)
        patch = values[y : y + 20, x : x + 20]
        patch[...] = 0xFF000000 | rng.integers(0, 1 << 24, patch.shape)
    return bgrx(values)


def screen(width: int = 90, height: int = 70) -> Framebuffer:
    """A screen full of a pattern, so that painting outside a rectangle shows."""
    fb = Framebuffer(width, height)
    fb.pixels[...] = np.random.default_rng(7).integers(0, 256, fb.pixels.shape, dtype=np.uint8)
    return fb


def decode(payload: bytes, rect: Rect, fb: Framebuffer, decoder: HextileDecoder | None = None):
    decoder = decoder or HextileDecoder()
    assert decoder.decode(memoryview(payload), 0, rect, fb) == len(payload)


def assert_painted(fb: Framebuffer, before: np.ndarray, rect: Rect, image: np.ndarray) -> None:
    """The rectangle shows ``image``, and nothing else on the screen changed."""
    inside = (slice(rect.y, rect.y + rect.height), slice(rect.x, rect.x + rect.width))
    np.testing.assert_array_equal(fb.pixels[inside], image)
    outside = np.ones(fb.pixels.shape[:2], bool)
    outside[inside] = False
    np.testing.assert_array_equal(fb.pixels[outside], before[outside])


encoder_options = st.fixed_dictionaries(
    {
        "inherit": st.booleans(),
        "split": st.sampled_from([ref.cover, ref.runs]),
        "raw_every": st.sampled_from([0, 2, 3, 7]),
        "coloured_every": st.sampled_from([0, 1, 2, 5]),
    }
)


def encode(image: np.ndarray, options: dict) -> bytes:
    raw_every = options["raw_every"]
    coloured_every = options["coloured_every"]
    return ref.encode_hextile(
        image,
        inherit=options["inherit"],
        split=options["split"],
        raw=lambda i: bool(raw_every) and i % raw_every == 1,
        coloured=lambda i: bool(coloured_every) and i % coloured_every == 0,
    )


# Round trips -------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 60),
    height=st.integers(1, 45),
    colours=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    options=encoder_options,
    at=st.tuples(st.integers(0, 30), st.integers(0, 25)),
)
def test_the_encoders_images_are_painted_exactly_where_they_belong(
    width: int, height: int, colours: int, seed: int, options: dict, at: tuple[int, int]
) -> None:
    image = sketch(np.random.default_rng(seed), width, height, colours)
    rect = Rect(at[0], at[1], width, height)
    fb = screen()
    before = fb.pixels.copy()
    decode(encode(image, options), rect, fb)
    assert_painted(fb, before, rect, image)


@pytest.mark.parametrize(
    "size",
    [(1, 1), (17, 33), (31, 1), (1, 47), (16, 16), (32, 32), (33, 17), (15, 15), (80, 8), (90, 70)],
)
@pytest.mark.parametrize("split", [ref.cover, ref.runs])
def test_odd_sizes_and_the_smaller_tiles_at_the_right_and_bottom_edges(size, split) -> None:
    width, height = size
    image = sketch(np.random.default_rng(width * 100 + height), width, height, 3)
    rect = Rect(90 - width, 70 - height, width, height)  # flush with the screen's far corner
    fb = screen()
    before = fb.pixels.copy()
    decode(ref.encode_hextile(image, split=split), rect, fb)
    assert_painted(fb, before, rect, image)


@pytest.mark.parametrize("tiles_across", [1, 3, 6])
def test_text_made_of_many_runs_on_many_tiles_is_painted_exactly(tiles_across: int) -> None:
    # Dense two-colour tiles: enough sub-rectangles for every way of painting them.
    rng = np.random.default_rng(tiles_across)
    width, height = 16 * tiles_across - 5, 37
    values = np.where(rng.random((height, width)) < 0.45, WHITE, BLUE)
    image = bgrx(values)
    rect = Rect(2, 3, width, height)
    fb = screen(100, 50)
    before = fb.pixels.copy()
    decode(ref.encode_hextile(image, split=ref.runs), rect, fb)
    assert_painted(fb, before, rect, image)


def test_a_zero_sized_rectangle_takes_no_bytes() -> None:
    fb = screen()
    before = fb.pixels.copy()
    for rect in (Rect(5, 5, 0, 10), Rect(5, 5, 10, 0)):
        assert HextileDecoder().decode(memoryview(b"\x01\x02"), 1, rect, fb) == 1
    np.testing.assert_array_equal(fb.pixels, before)


# Every subencoding --------------------------------------------------------------------------------


def test_every_subencoding_on_its_own_tile() -> None:
    # Five 16x4 tiles in a row, each using other bits of the subencoding mask.
    rect = Rect(0, 0, 80, 4)
    raw_pixels = np.arange(64, dtype="<u4").reshape(4, 16) | 0xFF000000
    payload = b"".join(
        [
            ref.hextile_tile(background=RED),  # solid
            ref.hextile_tile(foreground=GREEN, subrects=[(1, 1, 3, 2)]),  # background inherited
            ref.hextile_tile(subrects=[(0, 0, 1, 1), (15, 3, 1, 1)]),  # both colours inherited
            ref.hextile_raw_tile(bgrx(raw_pixels)),
            ref.hextile_tile(
                background=WHITE, subrects=[(BLUE, 0, 0, 16, 1), (GREY, 4, 2, 2, 2)], coloured=True
            ),
        ]
    )
    expected = np.empty((4, 80), np.int64)
    expected[:, 0:16] = RED
    expected[:, 16:32] = RED
    expected[1:3, 17:20] = GREEN
    expected[:, 32:48] = RED
    expected[0, 32] = expected[3, 47] = GREEN
    expected[:, 48:64] = raw_pixels
    expected[:, 64:80] = WHITE
    expected[0, 64:80] = BLUE
    expected[2:4, 68:70] = GREY
    fb = screen()
    decode(payload, rect, fb)
    np.testing.assert_array_equal(values_of(fb.pixels[0:4, 0:80]), expected)


def test_solid_tiles_side_by_side() -> None:
    # Runs of equal solid tiles are painted together; a change of colour ends a run, and so
    # does the end of a row of tiles.
    rect = Rect(0, 0, 40, 20)  # 3 tiles across, 2 rows
    colours = [RED, RED, GREEN, GREEN, GREEN, BLUE]
    payload = b"".join(ref.hextile_tile(background=colour) for colour in colours)
    expected = np.empty((20, 40), np.int64)
    expected[:16, :32] = RED
    expected[:16, 32:] = GREEN
    expected[16:, :32] = GREEN
    expected[16:, 32:] = BLUE
    fb = screen()
    decode(payload, rect, fb)
    np.testing.assert_array_equal(values_of(fb.pixels[0:20, 0:40]), expected)


def test_a_raw_tile_ignores_its_other_bits() -> None:
    rect = Rect(3, 3, 2, 2)
    pixels = np.array([[RED, GREEN], [BLUE, WHITE]], "<u4")
    every_bit = bytes([0b11111]) + bgrx(pixels).tobytes()  # Raw, with the 4 other bits set too
    fb = screen()
    decode(every_bit, rect, fb)
    np.testing.assert_array_equal(values_of(fb.pixels[3:5, 3:5]), pixels)


def test_background_and_foreground_carry_over_from_tile_to_tile() -> None:
    rect = Rect(0, 0, 48, 20)  # 3 tiles across, 2 rows: the colours carry across rows too
    payload = b"".join(
        [
            ref.hextile_tile(background=GREY, foreground=RED, subrects=[(0, 0, 2, 2)]),
            ref.hextile_tile(subrects=[(5, 5, 1, 1)]),  # grey and red still
            ref.hextile_tile(background=WHITE),  # foreground stays red
            ref.hextile_tile(subrects=[(0, 0, 16, 1)]),  # white, red
            ref.hextile_tile(foreground=GREEN),  # no sub-rectangles: solid white
            ref.hextile_tile(subrects=[(3, 2, 1, 2)]),  # white, green
        ]
    )
    expected = np.empty((20, 48), np.int64)
    expected[:16, 0:16] = GREY
    expected[0:2, 0:2] = RED
    expected[:16, 16:32] = GREY
    expected[5, 21] = RED
    expected[:16, 32:48] = WHITE
    expected[16:20, 0:16] = WHITE
    expected[16, 0:16] = RED
    expected[16:20, 16:48] = WHITE
    expected[18:20, 35] = GREEN
    fb = screen()
    decode(payload, rect, fb)
    np.testing.assert_array_equal(values_of(fb.pixels[0:20, 0:48]), expected)


def test_colours_never_specified_in_a_rectangle_are_black() -> None:
    # The specification leaves them undefined; the previous rectangle's must not leak in.
    decoder = HextileDecoder()
    fb = screen()
    decode(ref.hextile_tile(background=RED, foreground=GREEN), Rect(0, 0, 4, 4), fb, decoder)
    decode(ref.hextile_tile(subrects=[(0, 0, 1, 1)]), Rect(10, 10, 4, 4), fb, decoder)
    assert values_of(fb.pixels[10, 10]) == BLACK
    assert (values_of(fb.pixels[10:14, 10:14]) == BLACK).all()


def test_later_coloured_sub_rectangles_cover_earlier_ones() -> None:
    # Over one tile (one fill each) and over many (painted together), the last one wins.
    overlapping = [
        (RED, 0, 0, 8, 8),
        (GREEN, 4, 4, 8, 8),
        (BLUE, 6, 0, 2, 16),
        (WHITE, 0, 6, 16, 1),
    ]
    one_tile = np.full((16, 16), GREY, np.int64)
    for colour, x, y, w, h in overlapping:
        one_tile[y : y + h, x : x + w] = colour
    many = overlapping * 8  # 32 sub-rectangles a tile
    for subrects, tiles in ((overlapping, 1), (many, 1), (overlapping, 9), (many, 9)):
        rect = Rect(0, 0, 16 * tiles, 16)
        tile = ref.hextile_tile(background=GREY, subrects=subrects, coloured=True)
        fb = screen(160, 20)
        decode(tile * tiles, rect, fb)
        np.testing.assert_array_equal(
            values_of(fb.pixels[:16, : 16 * tiles]), np.tile(one_tile, tiles)
        )


def test_overlapping_one_colour_sub_rectangles() -> None:
    subrects = [(0, 0, 16, 16), (2, 2, 3, 3), (2, 2, 3, 3), (0, 15, 16, 1)] * 10
    for tiles in (1, 12):
        fb = screen(200, 20)
        decode(
            ref.hextile_tile(background=RED, foreground=BLUE, subrects=subrects) * tiles,
            Rect(0, 0, 16 * tiles, 16),
            fb,
        )
        assert (values_of(fb.pixels[:16, : 16 * tiles]) == BLUE).all()


# In pieces --------------------------------------------------------------------------------------


def small_payload() -> tuple[bytes, Rect, np.ndarray]:
    image = sketch(np.random.default_rng(3), 37, 21, 3)
    options = {"inherit": True, "split": ref.runs, "raw_every": 3, "coloured_every": 4}
    return encode(image, options), Rect(4, 6, 37, 21), image


def test_cut_anywhere_in_two_it_paints_the_same() -> None:
    payload, rect, image = small_payload()
    for cut in range(len(payload) + 1):
        fb = screen()
        before = fb.pixels.copy()
        ref.feed(HextileDecoder(), payload, rect, fb, [cut])
        assert_painted(fb, before, rect, image)


def test_byte_by_byte_it_paints_the_same_and_consumes_whole_tiles() -> None:
    image = sketch(np.random.default_rng(4), 50, 40, 4)
    options = {"inherit": True, "split": ref.cover, "raw_every": 5, "coloured_every": 3}
    tiles = ref.hextile_tiles(
        image,
        inherit=True,
        raw=lambda i: i % 5 == 1,
        coloured=lambda i: i % 3 == 0,
    )
    payload = b"".join(tiles)
    assert payload == encode(image, options)
    rect = Rect(10, 20, 50, 40)
    fb = screen()
    before = fb.pixels.copy()
    reported = ref.feed(HextileDecoder(), payload, rect, fb, range(len(payload)))
    assert_painted(fb, before, rect, image)
    # It reports the end of the last whole tile each time, never a position inside a tile.
    ends = set(accumulate(len(tile) for tile in tiles)) | {0}
    assert set(reported) <= ends
    assert reported[-1] == len(payload)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), pieces=st.integers(2, 12))
def test_a_large_rectangle_in_random_pieces(seed: int, pieces: int) -> None:
    # Pieces of many tiles each, starting and ending mid-row: batches painted as one image.
    rng = np.random.default_rng(seed)
    width, height = int(rng.integers(40, 90)), int(rng.integers(30, 70))
    image = sketch(rng, width, height, 2 + seed % 3)
    payload = ref.encode_hextile(image, split=ref.runs, raw=lambda i: i % 11 == 4)
    cuts = sorted(rng.integers(0, len(payload), pieces - 1).tolist())
    rect = Rect(90 - width, 70 - height, width, height)
    fb = screen()
    before = fb.pixels.copy()
    ref.feed(HextileDecoder(), payload, rect, fb, cuts)
    assert_painted(fb, before, rect, image)


@pytest.mark.parametrize("batch_tiles", [1, 7, 1024])
def test_a_rectangle_painted_a_few_rows_of_tiles_at_a_time(monkeypatch, batch_tiles: int) -> None:
    # However many rows of tiles make a batch, whole or in pieces, the result is the same.
    monkeypatch.setattr(hextile, "_BATCH_TILES", batch_tiles)
    rng = np.random.default_rng(batch_tiles)
    image = bgrx(np.where(rng.random((70, 90)) < 0.3, WHITE, BLUE))
    image[5:30, 40:60] = 0x40
    payload = ref.encode_hextile(image, split=ref.runs, coloured=lambda i: i % 4 == 0)
    rect = Rect(0, 0, 90, 70)
    for cuts in ([], [len(payload) // 3, len(payload) // 2], list(range(0, len(payload), 97))):
        fb = screen()
        ref.feed(HextileDecoder(), payload, rect, fb, cuts)
        np.testing.assert_array_equal(fb.pixels, image)


def test_a_large_rectangle_at_once() -> None:
    # More tiles than one batch takes.
    rng = np.random.default_rng(11)
    width, height = 16 * 65, 16 * 17
    image = bgrx(np.where(rng.random((height, width)) < 0.2, WHITE, GREY))
    fb = Framebuffer(width + 3, height + 5)
    before = fb.pixels.copy()
    rect = Rect(3, 5, width, height)
    decode(ref.encode_hextile(image, split=ref.runs), rect, fb)
    assert_painted(fb, before, rect, image)


def test_tiles_that_arrived_are_on_screen_before_the_rest() -> None:
    rect = Rect(0, 0, 32, 16)
    first = ref.hextile_tile(background=RED)
    second = ref.hextile_tile(background=GREEN)
    fb = screen()
    with pytest.raises(Incomplete) as short:
        HextileDecoder().decode(memoryview(first + second[:2]), 0, rect, fb)
    assert short.value.position == len(first)
    assert (values_of(fb.pixels[:16, :16]) == RED).all()


def test_a_new_rectangle_starts_afresh_after_an_unfinished_one() -> None:
    decoder = HextileDecoder()
    fb = screen()
    with pytest.raises(Incomplete):
        decoder.decode(memoryview(ref.hextile_tile(background=RED)), 0, Rect(0, 0, 32, 16), fb)
    decode(ref.hextile_tile(subrects=[(0, 0, 1, 1)]), Rect(40, 40, 3, 3), fb, decoder)
    assert (values_of(fb.pixels[40:43, 40:43]) == BLACK).all()


# Broken data ------------------------------------------------------------------------------------


def test_every_truncation_is_only_incomplete() -> None:
    payload, rect, _ = small_payload()
    for length in range(len(payload)):
        with pytest.raises(Incomplete):
            HextileDecoder().decode(memoryview(payload[:length]), 0, rect, screen())


def misfit_cases() -> list[tuple[str, Rect, bytes, str]]:
    """A sub-rectangle that leaves its tile, alone or among many tiles (painted together)."""
    wide = ref.hextile_tile(background=RED, foreground=BLUE, subrects=[(10, 0, 8, 1)])
    low = ref.hextile_tile(background=RED, foreground=BLUE, subrects=[(0, 6, 1, 3)])
    narrow = ref.hextile_tile(background=RED, foreground=BLUE, subrects=[(3, 0, 3, 1)])
    deep = ref.hextile_tile(background=RED, subrects=[(GREEN, 0, 15, 1, 2)], coloured=True)
    busy = ref.hextile_tile(background=RED, foreground=BLUE, subrects=[(1, 1, 1, 1)] * 30)
    busy_coloured = ref.hextile_tile(
        background=RED, subrects=[(GREEN, 1, 1, 1, 1)] * 30, coloured=True
    )
    lots = ref.hextile_tile(background=RED, foreground=BLUE, subrects=[(1, 1, 1, 1)] * 200)
    return [
        ("past column 16", Rect(0, 0, 16, 16), wide, "8x1 at (10,0), outside its 16x16 tile"),
        ("below a short row", Rect(0, 0, 16, 8), low, "1x3 at (0,6), outside its 16x8 tile"),
        ("in a narrow last tile", Rect(0, 0, 5, 5), narrow, "3x1 at (3,0), outside its 5x5 tile"),
        ("past row 16", Rect(0, 0, 16, 16), deep, "1x2 at (0,15), outside its 16x16 tile"),
        (
            "among many tiles",
            Rect(0, 0, 16 * 4, 8),
            busy + busy + low + busy,
            "1x3 at (0,6), outside its 16x8 tile",
        ),
        (
            "among many coloured tiles",
            Rect(0, 0, 16 * 3, 16),
            busy_coloured + deep + busy_coloured,
            "1x2 at (0,15), outside its 16x16 tile",
        ),
        (
            "among hundreds",
            Rect(0, 0, 16 * 3, 16),
            lots + wide + lots,
            "8x1 at (10,0), outside its 16x16 tile",
        ),
    ]


@pytest.mark.parametrize(
    ("rect", "payload", "words"),
    [case[1:] for case in misfit_cases()],
    ids=[case[0] for case in misfit_cases()],
)
def test_a_sub_rectangle_outside_its_tile_is_refused(
    rect: Rect, payload: bytes, words: str
) -> None:
    with pytest.raises(ProtocolError, match=r"Hextile sub-rectangle .*") as refused:
        decode(payload, rect, screen())
    assert words in str(refused.value)


def test_an_unknown_subencoding_bit_is_refused() -> None:
    with pytest.raises(ProtocolError, match=r"Hextile tile with an unknown subencoding \(32\)"):
        decode(bytes([0x20]), Rect(0, 0, 4, 4), screen())
