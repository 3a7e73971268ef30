"""RRE: what the reference encoder sends is painted exactly, however it arrives; broken data is
refused with a sentence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovhkvm_desktop.rfb.decoders.rre import RREDecoder
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from tests.rfb import reference_encoders_basic as ref

RED, GREEN, BLUE, WHITE, GREY = 0xFFFF0000, 0xFF00FF00, 0xFF0000FF, 0xFFFFFFFF, 0xFF808080


def bgrx(values: np.ndarray) -> np.ndarray:
    """Pixel values ``0xXXRRGGBB`` as a BGRX image."""
    return np.ascontiguousarray(values, dtype="<u4").view(np.uint8).reshape(*values.shape, 4)


def values_of(pixels: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(pixels).view("<u4")[..., 0]


def sketch(rng: np.random.Generator, width: int, height: int, colours: int) -> np.ndarray:
    """A screen-like image: a background, rectangles and text-like specks of a few colours."""
    palette = 0xFF000000 | rng.integers(0, 1 << 24, colours, dtype=np.int64)
    values = np.full((height, width), palette[0], np.int64)
    for _ in range(rng.integers(0, 6)):
        x, y = rng.integers(0, width), rng.integers(0, height)
        w, h = rng.integers(1, width + 1), rng.integers(1, height + 1)
        values[y : y + h, x : x + w] = palette[rng.integers(0, colours)]
    specks = rng.random((height, width)) < rng.choice([0.0, 0.1, 0.4])
    values[specks] = palette[rng.integers(0, colours, int(specks.sum()))]
    return bgrx(values)


def screen(width: int = 90, height: int = 70) -> Framebuffer:
    """A screen full of a pattern, so that painting outside a rectangle shows."""
    fb = Framebuffer(width, height)
    fb.pixels[...] = np.random.default_rng(7).integers(0, 256, fb.pixels.shape, dtype=np.uint8)
    return fb


def decode(payload: bytes, rect: Rect, fb: Framebuffer) -> None:
    assert RREDecoder().decode(memoryview(payload), 0, rect, fb) == len(payload)


def assert_painted(fb: Framebuffer, before: np.ndarray, rect: Rect, image: np.ndarray) -> None:
    """The rectangle shows ``image``, and nothing else on the screen changed."""
    inside = (slice(rect.y, rect.y + rect.height), slice(rect.x, rect.x + rect.width))
    np.testing.assert_array_equal(fb.pixels[inside], image)
    outside = np.ones(fb.pixels.shape[:2], bool)
    outside[inside] = False
    np.testing.assert_array_equal(fb.pixels[outside], before[outside])


def painted_in_order(
    width: int, height: int, background: int, subrects: list[tuple[int, int, int, int, int]]
) -> np.ndarray:
    """What RRE means: the background, then each sub-rectangle over it, in order."""
    values = np.full((height, width), background, np.int64)
    for colour, x, y, w, h in subrects:
        values[y : y + h, x : x + w] = colour
    return bgrx(values)


# Round trips -------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 60),
    height=st.integers(1, 45),
    colours=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    split=st.sampled_from([ref.cover, ref.runs]),
    at=st.tuples(st.integers(0, 30), st.integers(0, 25)),
)
def test_the_encoders_images_are_painted_exactly_where_they_belong(
    width: int, height: int, colours: int, seed: int, split, at: tuple[int, int]
) -> None:
    image = sketch(np.random.default_rng(seed), width, height, colours)
    rect = Rect(at[0], at[1], width, height)
    fb = screen()
    before = fb.pixels.copy()
    decode(ref.encode_rre(image, split=split), rect, fb)
    assert_painted(fb, before, rect, image)


@pytest.mark.parametrize("size", [(1, 1), (17, 33), (31, 1), (1, 47), (90, 70)])
def test_odd_sizes(size: tuple[int, int]) -> None:
    width, height = size
    image = sketch(np.random.default_rng(width + height), width, height, 3)
    rect = Rect(90 - width, 70 - height, width, height)
    fb = screen()
    before = fb.pixels.copy()
    decode(ref.encode_rre(image, split=ref.runs), rect, fb)
    assert_painted(fb, before, rect, image)


@pytest.mark.parametrize("count", [3, 40, 300])
def test_later_sub_rectangles_cover_earlier_ones(count: int) -> None:
    # A few (one fill each), and long runs of one colour (painted together), overlapping within
    # a run and across runs, small and large.
    rng = np.random.default_rng(count)
    subrects = []
    colour = RED
    for i in range(count):
        if i % 60 == 0:
            colour = [RED, GREEN, BLUE, WHITE][i // 60 % 4]
        x, y = int(rng.integers(0, 60)), int(rng.integers(0, 40))
        w, h = int(rng.integers(0, 61 - x)), int(rng.integers(0, 41 - y))
        if rng.random() < 0.8:
            w, h = min(w, 5), min(h, 3)
        subrects.append((colour, x, y, w, h))
    rect = Rect(7, 9, 60, 40)
    fb = screen()
    before = fb.pixels.copy()
    decode(ref.rre_payload(GREY, subrects), rect, fb)
    assert_painted(fb, before, rect, painted_in_order(60, 40, GREY, subrects))


def test_a_long_run_of_large_sub_rectangles() -> None:
    subrects = [(RED, 0, y % 30, 60, 10) for y in range(60)] + [(GREEN, 5, 5, 1, 1)]
    rect = Rect(0, 0, 60, 40)
    fb = screen()
    before = fb.pixels.copy()
    decode(ref.rre_payload(GREY, subrects), rect, fb)
    assert_painted(fb, before, rect, painted_in_order(60, 40, GREY, subrects))


def test_no_sub_rectangles_and_empty_ones() -> None:
    rect = Rect(1, 2, 5, 4)
    fb = screen()
    before = fb.pixels.copy()
    decode(ref.rre_payload(BLUE, [(RED, 0, 0, 0, 4), (RED, 2, 2, 3, 0)]), rect, fb)
    assert_painted(fb, before, rect, painted_in_order(5, 4, BLUE, []))
    many_empty = [(RED, 0, 0, 0, 4), (RED, 2, 2, 3, 0)] * 10  # painted together
    decode(ref.rre_payload(GREEN, many_empty), rect, fb)
    assert_painted(fb, before, rect, painted_in_order(5, 4, GREEN, []))
    decode(ref.rre_payload(GREEN, []), Rect(0, 0, 0, 0), fb)  # a 0x0 rectangle, no pixels


# In pieces --------------------------------------------------------------------------------------


def test_cut_anywhere_it_paints_the_same() -> None:
    image = sketch(np.random.default_rng(5), 23, 17, 4)
    payload = ref.encode_rre(image)
    rect = Rect(40, 30, 23, 17)
    for cuts in [[cut] for cut in range(len(payload) + 1)] + [list(range(len(payload)))]:
        fb = screen()
        before = fb.pixels.copy()
        reported = ref.feed(RREDecoder(), payload, rect, fb, cuts)
        assert_painted(fb, before, rect, image)
        # Only whole sub-rectangles are consumed: the header, then 12 bytes at a time.
        assert all(p == 0 or (p - 8) % 12 == 0 for p in reported)


def test_sub_rectangles_are_painted_as_they_arrive() -> None:
    # A huge count never needs the whole payload at once: each call takes what has come.
    subrects = [(RED, x, 0, 1, 1) for x in range(50)]
    payload = ref.rre_payload(BLUE, subrects)
    rect = Rect(0, 0, 50, 1)
    fb = screen()
    decoder = RREDecoder()
    with pytest.raises(Incomplete) as short:
        decoder.decode(memoryview(payload[: 8 + 12 * 20 + 5]), 0, rect, fb)
    assert short.value.position == 8 + 12 * 20
    assert (values_of(fb.pixels[0, :20]) == RED).all()
    assert (values_of(fb.pixels[0, 20:50]) == BLUE).all()
    rest = memoryview(payload[short.value.position :])
    assert decoder.decode(rest, 0, rect, fb) == len(rest)
    assert (values_of(fb.pixels[0, :50]) == RED).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pieces=st.integers(2, 8))
def test_many_sub_rectangles_in_random_pieces(seed: int, pieces: int) -> None:
    rng = np.random.default_rng(seed)
    image = bgrx(np.where(rng.random((40, 80)) < 0.5, WHITE, GREY))
    payload = ref.encode_rre(image, split=ref.runs)
    cuts = sorted(rng.integers(0, len(payload), pieces - 1).tolist())
    rect = Rect(5, 10, 80, 40)
    fb = screen(100, 60)
    before = fb.pixels.copy()
    ref.feed(RREDecoder(), payload, rect, fb, cuts)
    assert_painted(fb, before, rect, image)


def test_a_new_rectangle_starts_afresh_after_an_unfinished_one() -> None:
    decoder = RREDecoder()
    fb = screen()
    unfinished = ref.rre_payload(RED, [(GREEN, 0, 0, 1, 1)] * 2)[:-12]
    with pytest.raises(Incomplete):
        decoder.decode(memoryview(unfinished), 0, Rect(0, 0, 4, 4), fb)
    payload = ref.rre_payload(BLUE, [(WHITE, 1, 1, 1, 1)])
    assert decoder.decode(memoryview(payload), 0, Rect(10, 10, 3, 3), fb) == len(payload)
    assert values_of(fb.pixels[11, 11]) == WHITE
    assert values_of(fb.pixels[10, 10]) == BLUE


# Broken data ------------------------------------------------------------------------------------


def test_every_truncation_is_only_incomplete() -> None:
    payload = ref.encode_rre(sketch(np.random.default_rng(6), 20, 12, 3))
    for length in range(len(payload)):
        with pytest.raises(Incomplete):
            RREDecoder().decode(memoryview(payload[:length]), 0, Rect(0, 0, 20, 12), screen())


def test_an_absurd_count_is_refused() -> None:
    with pytest.raises(ProtocolError, match="announced 4294967295 RRE sub-rectangles for a 3x2"):
        decode(b"\xff\xff\xff\xff" + bytes(4), Rect(0, 0, 3, 2), screen())
    with pytest.raises(ProtocolError, match="announced 7 RRE sub-rectangles for a 3x2"):
        decode(ref.rre_payload(RED, [(RED, 0, 0, 1, 1)] * 7), Rect(0, 0, 3, 2), screen())


@pytest.mark.parametrize("among", [0, 100])
@pytest.mark.parametrize(
    ("subrect", "words"),
    [
        ((GREEN, 8, 0, 3, 1), "3x1 at (8,0), outside its 10x12 rectangle"),
        ((GREEN, 0, 11, 1, 2), "1x2 at (0,11), outside its 10x12 rectangle"),
        ((GREEN, 65535, 65535, 65535, 65535), "65535x65535 at (65535,65535), outside its 10x12"),
    ],
)
def test_a_sub_rectangle_outside_the_rectangle_is_refused(among: int, subrect, words: str) -> None:
    # Alone (one fill each) or among many of one colour (checked together).
    fine = [(RED, 1, 1, 1, 1)] * among
    payload = ref.rre_payload(BLUE, [*fine[: among // 2], subrect, *fine[among // 2 :]])
    with pytest.raises(ProtocolError, match="RRE sub-rectangle") as refused:
        decode(payload, Rect(2, 2, 10, 12), screen())
    assert words in str(refused.value)
