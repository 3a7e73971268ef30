"""zlib: rectangles compressed with one stream per connection are painted exactly, however they
arrive; broken data is refused with a sentence."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovhkvm_desktop.rfb.decoders.zlib import ZlibDecoder
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from tests.rfb import reference_encoders_basic as ref


def picture(seed: int, width: int, height: int) -> np.ndarray:
    """A BGRX image with both flat areas and noise, so that it compresses somewhat."""
    rng = np.random.default_rng(seed)
    image = np.repeat(rng.integers(0, 256, (height, 1, 4), dtype=np.uint8), width, axis=1)
    noisy = rng.random((height, width)) < 0.3
    image[noisy] = rng.integers(0, 256, (int(noisy.sum()), 4), dtype=np.uint8)
    return image


def screen(width: int = 90, height: int = 70) -> Framebuffer:
    """A screen full of a pattern, so that painting outside a rectangle shows."""
    fb = Framebuffer(width, height)
    fb.pixels[...] = np.random.default_rng(7).integers(0, 256, fb.pixels.shape, dtype=np.uint8)
    return fb


def assert_painted(fb: Framebuffer, before: np.ndarray, rect: Rect, image: np.ndarray) -> None:
    """The rectangle shows ``image``, and nothing else on the screen changed."""
    inside = (slice(rect.y, rect.y + rect.height), slice(rect.x, rect.x + rect.width))
    np.testing.assert_array_equal(fb.pixels[inside], image)
    outside = np.ones(fb.pixels.shape[:2], bool)
    outside[inside] = False
    np.testing.assert_array_equal(fb.pixels[outside], before[outside])


def decode(decoder: ZlibDecoder, payload: bytes, rect: Rect, fb: Framebuffer) -> None:
    assert decoder.decode(memoryview(payload), 0, rect, fb) == len(payload)


def with_length(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(
        st.tuples(st.integers(1, 40), st.integers(1, 30), st.integers(0, 50), st.integers(0, 40)),
        min_size=1,
        max_size=6,
    ),
    level=st.integers(0, 9),
    seed=st.integers(0, 2**32 - 1),
)
def test_rectangles_of_one_stream_are_painted_exactly(sizes, level: int, seed: int) -> None:
    compressor = zlib.compressobj(level)
    decoder = ZlibDecoder()
    fb = screen()
    for i, (width, height, x, y) in enumerate(sizes):
        image = picture(seed + i, width, height)
        rect = Rect(x, y, width, height)
        before = fb.pixels.copy()
        decode(decoder, ref.encode_zlib(compressor, image), rect, fb)
        assert_painted(fb, before, rect, image)


@pytest.mark.parametrize("size", [(1, 1), (17, 33), (31, 1), (1, 47), (90, 70)])
def test_odd_sizes(size: tuple[int, int]) -> None:
    width, height = size
    image = picture(width, width, height)
    rect = Rect(90 - width, 70 - height, width, height)
    fb = screen()
    before = fb.pixels.copy()
    decode(ZlibDecoder(), ref.encode_zlib(zlib.compressobj(), image), rect, fb)
    assert_painted(fb, before, rect, image)


def test_the_stream_carries_over_from_rectangle_to_rectangle() -> None:
    # The second rectangle repeats the first: it is sent as references into the first's data,
    # which only a decoder that inflated the first one has.
    image = picture(1, 40, 30)
    compressor = zlib.compressobj(9)
    first = ref.encode_zlib(compressor, image)
    second = ref.encode_zlib(compressor, image)
    assert len(second) < len(first) // 4
    decoder = ZlibDecoder()
    fb = screen()
    decode(decoder, first, Rect(0, 0, 40, 30), fb)
    decode(decoder, second, Rect(50, 40, 40, 30), fb)
    np.testing.assert_array_equal(fb.pixels[40:70, 50:90], image)
    with pytest.raises(ProtocolError, match="zlib data is corrupt"):
        decode(ZlibDecoder(), second, Rect(50, 40, 40, 30), screen())


def test_cut_anywhere_it_paints_the_same_and_waits_for_the_whole_payload() -> None:
    image = picture(2, 13, 7)
    compressor = zlib.compressobj()
    first = ref.encode_zlib(compressor, image)
    second = ref.encode_zlib(compressor, image[::-1].copy())
    rect = Rect(3, 4, 13, 7)
    for cuts in [[cut] for cut in range(len(second) + 1)] + [list(range(len(second)))]:
        decoder = ZlibDecoder()
        fb = screen()
        decode(decoder, first, rect, fb)
        before = fb.pixels.copy()
        reported = ref.feed(decoder, second, rect, fb, cuts)
        assert_painted(fb, before, rect, image[::-1])
        assert set(reported) == {0, len(second)} or reported == [len(second)]


def test_a_truncated_payload_is_only_incomplete_and_leaves_the_stream_alone() -> None:
    image = picture(3, 20, 10)
    payload = ref.encode_zlib(zlib.compressobj(), image)
    decoder = ZlibDecoder()
    fb = screen()
    for length in range(len(payload)):
        with pytest.raises(Incomplete) as short:
            decoder.decode(memoryview(payload[:length]), 0, Rect(0, 0, 20, 10), fb)
        assert short.value.position == 0
    decode(decoder, payload, Rect(0, 0, 20, 10), fb)
    np.testing.assert_array_equal(fb.pixels[0:10, 0:20], image)


def test_an_empty_rectangle() -> None:
    compressor = zlib.compressobj()
    decoder = ZlibDecoder()
    fb = screen()
    before = fb.pixels.copy()
    decode(decoder, with_length(b""), Rect(5, 5, 0, 0), fb)
    decode(decoder, ref.zlib_payload(compressor, b""), Rect(5, 5, 0, 3), fb)
    np.testing.assert_array_equal(fb.pixels, before)
    image = picture(4, 6, 6)
    decode(decoder, ref.encode_zlib(compressor, image), Rect(0, 0, 6, 6), fb)
    np.testing.assert_array_equal(fb.pixels[:6, :6], image)


# Broken data ------------------------------------------------------------------------------------


def test_an_absurd_length_is_refused_before_waiting_for_it() -> None:
    with pytest.raises(ProtocolError, match="announced 4000000000 bytes of zlib data for a 4x4"):
        ZlibDecoder().decode(
            memoryview(struct.pack(">I", 4_000_000_000)), 0, Rect(0, 0, 4, 4), screen()
        )


def test_corrupt_data_is_refused() -> None:
    with pytest.raises(ProtocolError, match="the server's zlib data is corrupt"):
        decode(ZlibDecoder(), with_length(b"not zlib at all"), Rect(0, 0, 4, 4), screen())


def test_garbage_after_the_pixels_is_refused() -> None:
    compressor = zlib.compressobj()
    data = compressor.compress(bytes(64)) + compressor.flush(zlib.Z_SYNC_FLUSH) + b"\xff" * 9
    with pytest.raises(ProtocolError, match="the server's zlib data is corrupt"):
        decode(ZlibDecoder(), with_length(data), Rect(0, 0, 4, 4), screen())


def test_too_few_pixels_are_refused() -> None:
    data = zlib.compress(bytes(4 * 15))
    with pytest.raises(ProtocolError, match="inflated to 60 bytes where 64 were expected"):
        decode(ZlibDecoder(), with_length(data), Rect(0, 0, 4, 4), screen())


@pytest.mark.parametrize("extra", [1, 4, 100_000])
def test_too_many_pixels_are_refused(extra: int) -> None:
    data = zlib.compress(bytes(4 * 16 + extra))
    with pytest.raises(ProtocolError, match="inflated to more pixels than its rectangle holds"):
        decode(ZlibDecoder(), with_length(data), Rect(0, 0, 4, 4), screen())


def test_pixels_for_an_empty_rectangle_are_refused() -> None:
    data = zlib.compress(b"\x01")
    with pytest.raises(ProtocolError, match="inflated to more pixels than its rectangle holds"):
        decode(ZlibDecoder(), with_length(data), Rect(0, 0, 0, 7), screen())
