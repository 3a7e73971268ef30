"""Hostile and broken servers: whatever bytes arrive, the protocol core either takes them or
raises ProtocolError (a sentence for the user), never another exception, and its memory stays
bounded (no allocation driven by an absurd size). The handshake before it likewise ends in
success or a ConsoleError, never hangs, and never allocates what a server announces."""

from __future__ import annotations

import asyncio
import struct
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.handshake import ServerInfo, handshake
from ovhkvm_desktop.rfb.connection import DEFAULT_ENCODINGS, PSEUDO_ENCODINGS, Connection
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import ProtocolError
from ovhkvm_desktop.transport.stream import ByteStream

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


# -- the handshake (asyncvnc behind our reader) ---------------------------------------------------

#: What the handshake may allocate for one server, whatever lengths it announces (it keeps 4 KiB
#: of a name or reason and throws the rest of a name away 64 KiB at a time).
HANDSHAKE_MEMORY_LIMIT = 512 << 10
#: Sent after some handshakes: enough for a server to back the lengths it announces with bytes.
TAIL = 3 << 19  # 1.5 MiB
BGRX = struct.pack(">BBBBHHHBBBxxx", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)


class _Sink:
    """A writer that keeps nothing (the handshake's replies go nowhere)."""

    def write(self, data: bytes) -> None:
        pass

    async def drain(self) -> None:
        pass

    def close(self) -> None:
        pass

    async def wait_closed(self) -> None:
        pass


def announced(actual: int) -> st.SearchStrategy[int]:
    """A length field: the true one, around the client's bounds, or anything a U32 holds."""
    edges = [0, 4096, 4097, 1 << 20, (1 << 20) + 1, 1_200_000, 2**31, 2**32 - 1]
    return st.one_of(st.just(actual), st.sampled_from(edges), st.integers(0, 2**32 - 1))


@st.composite
def server_handshakes(draw) -> bytes:
    """What a 3.8 server sends up to ServerInit, right or subtly wrong."""
    versions = [b"RFB 003.008\n"] * 4 + [b"RFB 003.889\n", b"RFB 003.003\n"]
    out = [draw(st.sampled_from(versions))]
    if draw(st.integers(0, 5)) == 0:  # a refusal and its reason
        reason = draw(st.binary(max_size=50))
        out.append(b"\0" + struct.pack(">I", draw(announced(len(reason)))) + reason)
    else:
        types = draw(st.one_of(st.sampled_from([b"\x01", b"\x02", b"\x02\x01"]), st.binary()))
        out.append(bytes([len(types) & 0xFF]) + types)
        if 2 in types and 1 not in types:
            out.append(draw(st.binary(min_size=16, max_size=16)))  # the challenge
        result = draw(st.one_of(st.just(0), st.sampled_from([1, 2, 3, 2**32 - 1])))
        out.append(struct.pack(">I", result))
        if result:
            reason = draw(st.binary(max_size=50))
            out.append(struct.pack(">I", draw(announced(len(reason)))) + reason)
        else:
            name = draw(st.binary(max_size=50))
            size = struct.pack(">HH", draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFF)))
            out.append(size + BGRX + struct.pack(">I", draw(announced(len(name)))) + name)
    return b"".join(out)


async def _handshake(data: bytes) -> int:
    """Run the handshake on ``data`` (then the end of the stream); its peak allocation.

    The bytes arrive 16 KiB at a time, as from a socket: what the reader holds stays small, and
    what the handshake allocates shows.
    """
    reader = asyncio.StreamReader()

    async def arrive() -> None:
        for pos in range(0, len(data), 16 << 10):
            reader.feed_data(data[pos : pos + (16 << 10)])
            await asyncio.sleep(0)
        reader.feed_eof()

    tracemalloc.start()
    network = asyncio.create_task(arrive())
    try:
        async with handshake(ByteStream(reader, _Sink(), "fuzz"), "secret") as info:
            assert isinstance(info, ServerInfo)
            assert len(info.name) <= 4097
    except ConsoleError as exc:
        assert str(exc), "a ConsoleError must carry a message"
        assert "\n" not in str(exc)
        assert len(str(exc)) < 4096 + 200
    finally:
        network.cancel()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def within_the_handshake_limits(data: bytes) -> None:
    # Any other exception, or a hang (TimeoutError), fails the test.
    peak = asyncio.run(asyncio.wait_for(_handshake(data), 10))
    assert peak < HANDSHAKE_MEMORY_LIMIT, f"peak {peak >> 10} KiB"


tails = st.sampled_from([0, 0, 0, TAIL])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200), st.booleans())
def test_random_handshakes_end_in_a_console_error(data, greeting):
    within_the_handshake_limits((b"RFB 003.008\n" if greeting else b"") + data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    server_handshakes(),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=3),
    st.one_of(st.none(), st.integers(0, 400)),
    tails,
)
def test_mutated_handshakes_end_in_a_console_error_within_bounds(data, flips, cut, tail):
    mutated = bytearray(data)
    for index, value in flips:
        if mutated:
            mutated[index % len(mutated)] = value
    if cut is not None:
        del mutated[cut:]
    within_the_handshake_limits(bytes(mutated) + b"A" * tail)
