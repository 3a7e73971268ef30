"""Hostile and broken servers: whatever bytes arrive, the protocol core either takes them or
raises ProtocolError (a sentence for the user), never another exception, and its memory stays
bounded (no allocation driven by an absurd size)."""

from __future__ import annotations

import struct
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovhkvm_desktop.rfb.connection import DEFAULT_ENCODINGS, PSEUDO_ENCODINGS, Connection
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import ProtocolError

ALL_DATA = (*DEFAULT_ENCODINGS, Encoding.TIGHT_PNG)
PSEUDO = tuple(p for p in PSEUDO_ENCODINGS if p != Encoding.EXTENDED_CLIPBOARD)
#: Peak Python/numpy memory a connection may use while fed one example (a 64x48 screen, at most
#: a few hundred kB of input, but a server may legitimately resize it to the largest screen).
MEMORY_LIMIT = 200 << 20

small = st.integers(0, 70)
coord = st.one_of(small, st.integers(0, 0xFFFF))


@st.composite
def rectangles(draw) -> bytes:
    encoding = draw(st.sampled_from(ALL_DATA + PSEUDO + (-1, 17, 999)))
    x, y = draw(coord), draw(coord)
    w, h = draw(st.one_of(small, st.integers(0, 0xFFFF))), draw(small)
    payload = draw(st.binary(max_size=600))
    if draw(st.booleans()):
        # A plausible start: a control byte / subencoding / length the decoders look at first.
        payload = bytes([draw(st.integers(0, 255))]) + payload
    return struct.pack(">HHHHi", x, y, w, h, encoding) + payload


@st.composite
def server_messages(draw) -> bytes:
    kind = draw(st.sampled_from(["update", "update", "update", "bell", "cut", "colours", "junk"]))
    if kind == "update":
        rects = draw(st.lists(rectangles(), max_size=4))
        count = draw(st.one_of(st.just(len(rects)), st.integers(0, 0xFFFF)))
        return struct.pack(">BxH", 0, count) + b"".join(rects)
    if kind == "bell":
        return b"\x02"
    if kind == "cut":
        text = draw(st.binary(max_size=40))
        length = draw(st.one_of(st.just(len(text)), st.integers(-(2**31), 2**31 - 1)))
        return struct.pack(">Bxxxi", 3, length) + text
    if kind == "colours":
        return struct.pack(">BxHH", 1, draw(small), draw(small)) + draw(st.binary(max_size=60))
    return draw(st.binary(min_size=1, max_size=30))


def feed(data: bytes, chunk_sizes: list[int]) -> None:
    conn = Connection(64, 48)
    conn.start(ALL_DATA, compression=6, quality=8)
    pos = 0
    sizes = iter(chunk_sizes)
    try:
        while pos < len(data):
            size = next(sizes, len(data))
            conn.receive_bytes(data[pos : pos + size])
            pos += size
            conn.data_to_send()
    except ProtocolError as exc:
        assert str(exc), "a ProtocolError must carry a message"
        assert "\n" not in str(exc)


def within_memory(data: bytes, chunks: list[int]) -> None:
    tracemalloc.start()
    try:
        feed(data, chunks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"peak {peak >> 20} MiB"


chunkings = st.lists(st.integers(1, 300), max_size=20)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), chunkings)
def test_random_bytes_only_ever_raise_protocol_error(data, chunks):
    within_memory(data, chunks)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(server_messages(), min_size=1, max_size=6), chunkings)
def test_structured_hostile_streams_only_ever_raise_protocol_error(messages, chunks):
    within_memory(b"".join(messages), chunks)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(server_messages(), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    st.integers(0, 10_000),
    chunkings,
)
def test_mutated_streams_only_ever_raise_protocol_error(messages, flips, cut, chunks):
    data = bytearray(b"".join(messages))
    for index, value in flips:
        if data:
            data[index % len(data)] = value
    within_memory(bytes(data[: max(1, cut)]), chunks)
