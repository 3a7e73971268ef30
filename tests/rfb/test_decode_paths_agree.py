"""The compiled decoders and the pure-Python ones (the reference) agree on anything a server may
send: fed the same random or mutated streams in the same pieces, both paint the same screen, or
both refuse the stream with the same sentence."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from ovhkvm_desktop.rfb.connection import Connection
from ovhkvm_desktop.rfb.decoders import compiled
from ovhkvm_desktop.rfb.encodings import Encoding
from ovhkvm_desktop.rfb.errors import ProtocolError
from ovhkvm_desktop.rfb.events import FramebufferUpdated
from tests.rfb import reference_encoders_basic as basic
from tests.rfb import reference_encoders_zt as zt
from tests.rfb.conftest import require_compiled
from tests.rfb.server_stream import fbu, rect

COMPARES_PATHS = True  # each test feeds both paths itself

WIDTH, HEIGHT = 80, 60
ENCODINGS = {
    "raw": Encoding.RAW,
    "hextile": Encoding.HEXTILE,
    "zlib": Encoding.ZLIB,
    "zrle": Encoding.ZRLE,
    "tight": Encoding.TIGHT,
    "tightpng": Encoding.TIGHT_PNG,
    "rre": Encoding.RRE,
}


def connection(compiled_path: bool, encoding: int) -> Connection:
    previous = compiled.use_compiled(compiled_path)
    try:
        conn = Connection(WIDTH, HEIGHT)
    finally:
        compiled.use_compiled(previous)
    conn.start([encoding], compression=6, quality=None)
    conn.data_to_send()
    assert conn.batched == compiled_path  # the compiled path decodes runs of rectangles at once
    return conn


def outcome(conn: Connection, data: bytes, pieces: list[int]) -> tuple[str, object]:
    """Feed ``data`` in pieces; the screen painted, or the sentence the stream was refused with."""
    pos = 0
    sizes = iter(pieces)
    try:
        while pos < len(data):
            size = max(1, next(sizes, len(data)))
            conn.receive_bytes(data[pos : pos + size])
            conn.data_to_send()
            pos += size
    except ProtocolError as exc:
        return "refused", str(exc)
    return "painted", conn.fb.pixels.tobytes()


def assert_paths_agree(encoding: int, data: bytes, pieces: list[int]) -> tuple[str, object]:
    require_compiled()
    reference = outcome(connection(False, encoding), data, pieces)
    accelerated = outcome(connection(True, encoding), data, pieces)
    if reference[0] == accelerated[0] == "painted" and reference != accelerated:
        a = np.frombuffer(reference[1], np.uint8).reshape(HEIGHT, WIDTH, 4)
        b = np.frombuffer(accelerated[1], np.uint8).reshape(HEIGHT, WIDTH, 4)
        ys, xs = np.nonzero((a != b).any(axis=2))
        pytest.fail(f"the screens differ at {len(ys)} pixels, first ({xs[0]},{ys[0]})")
    if (
        encoding == Encoding.ZRLE
        and reference[0] == accelerated[0] == "refused"
        and reference[1] != accelerated[1]
    ):
        # Where one ZRLE tile has two faults, which one the Python path reports depends on how
        # it happened to read the tile (in Python up to _PYTHON_RUNS runs, then with numpy).
        assert is_zrle_tile_fault(reference[1]), reference
        assert is_zrle_tile_fault(accelerated[1]), accelerated
        return reference
    assert accelerated == reference
    return reference


def is_zrle_tile_fault(message: object) -> bool:
    """A sentence for what is wrong inside a ZRLE tile's data."""
    return isinstance(message, str) and message.startswith(
        (
            "a ZRLE tile runs past the end of the rectangle's data",
            "a ZRLE run goes past the end of its ",
            "a ZRLE tile uses a palette index beyond its ",
            "a ZRLE tile uses palette index 127",
        )
    )


# What a server could send: the reference encoders' output of screen-like images.


def image(rng: np.random.Generator, width: int, height: int, colours: int) -> np.ndarray:
    """A BGRX image: a background, a few blocks and specks of ``colours`` colours, sometimes a
    patch of noise (which makes raw tiles, copies, gradients)."""
    palette = 0xFF000000 | rng.integers(0, 1 << 24, colours, dtype=np.int64)
    values = np.full((height, width), palette[0], np.int64)
    for _ in range(rng.integers(0, 4)):
        x, y = rng.integers(0, width), rng.integers(0, height)
        values[y : y + rng.integers(1, height + 1), x : x + rng.integers(1, width + 1)] = palette[
            rng.integers(0, colours)
        ]
    specks = rng.random((height, width)) < rng.choice([0.0, 0.05, 0.3])
    values[specks] = palette[rng.integers(0, colours, int(specks.sum()))]
    if rng.random() < 0.3:
        values[...] = 0xFF000000 | rng.integers(0, 1 << 24, values.shape)
    return np.ascontiguousarray(values, "<u4").view(np.uint8).reshape(height, width, 4)


class Server:
    """One connection's encoders (the zlib-based ones keep their streams across rectangles)."""

    def __init__(self) -> None:
        self.zlib = zlib.compressobj(6)
        self.zrle = zt.ZRLEEncoder()
        self.tight = zt.TightEncoder()

    def payload(self, name: str, picture: np.ndarray, rng: np.random.Generator) -> bytes:
        if name == "raw":
            return picture.tobytes()
        if name == "hextile":
            every = int(rng.integers(0, 4))
            return basic.encode_hextile(
                picture,
                inherit=bool(rng.integers(0, 2)),
                split=basic.runs if rng.integers(0, 2) else basic.cover,
                raw=lambda i: bool(every) and i % (every + 1) == 1,
                coloured=lambda i: bool(every) and i % every == 0,
            )
        if name == "zlib":
            return basic.encode_zlib(self.zlib, picture)
        if name == "zrle":
            return self.zrle.rect(picture)
        if name == "rre":
            return basic.encode_rre(picture)
        if name == "tight" and rng.random() < 0.3:
            return self.tight.basic(picture, zt.GRADIENT, stream=int(rng.integers(0, 4)))
        return self.tight.rect_like_qemu(picture, png=name == "tightpng")


@st.composite
def streams(draw: st.DrawFn, name: str) -> tuple[bytes, list[int]]:
    """Updates of a few rectangles in one encoding, maybe mutated, and the pieces they come in."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    server = Server()
    updates = []
    for _ in range(draw(st.integers(1, 3))):
        rects = []
        for _ in range(draw(st.integers(1, 3))):
            w = draw(st.integers(1, WIDTH))
            h = draw(st.integers(1, HEIGHT))
            x = draw(st.integers(0, WIDTH - w))
            y = draw(st.integers(0, HEIGHT - h))
            picture = image(rng, w, h, draw(st.integers(1, 6)))
            rects.append(rect(x, y, w, h, ENCODINGS[name], server.payload(name, picture, rng)))
        updates.append(fbu(*rects))
    data = bytearray(b"".join(updates))
    mutation = draw(st.sampled_from(["none", "flip", "flip", "cut", "insert", "noise"]))
    if mutation != "none" and data:
        at = draw(st.integers(16, max(16, len(data) - 1)))  # past the first header, usually
        if mutation == "flip":
            for _ in range(draw(st.integers(1, 4))):
                spot = draw(st.integers(min(at, len(data) - 1), len(data) - 1))
                data[spot] ^= 1 << draw(st.integers(0, 7))
        elif mutation == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif mutation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[at : at + 32] = draw(st.binary(min_size=32, max_size=32))
    pieces = draw(st.lists(st.integers(1, 4096), max_size=8))
    return bytes(data), pieces


@pytest.mark.parametrize("name", list(ENCODINGS))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_both_paths_paint_the_same_or_refuse_alike(name: str, data: st.DataObject) -> None:
    stream, pieces = data.draw(streams(name))
    assert_paths_agree(ENCODINGS[name], stream, pieces)


@pytest.mark.parametrize("name", list(ENCODINGS))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.tuples(st.integers(0, WIDTH), st.integers(0, HEIGHT), st.integers(1, 70)),
    payload=st.binary(max_size=3000),
    first=st.integers(0, 255),
    pieces=st.lists(st.integers(1, 700), max_size=6),
)
@example(header=(0, 0, 16), payload=b"\x20" + bytes(2000), first=8, pieces=[])
def test_random_payloads_are_judged_alike(
    name: str, header: tuple[int, int, int], payload: bytes, first: int, pieces: list[int]
) -> None:
    """Random bytes after a valid rectangle header, starting with a chosen first byte (a
    subencoding, a control byte, the top of a length)."""
    x, y, size = header
    w, h = min(size, WIDTH - x), min(size, HEIGHT - y)
    stream = fbu(rect(x, y, w, h, ENCODINGS[name], bytes([first]) + payload))
    assert_paths_agree(ENCODINGS[name], stream, pieces)


def test_a_screen_they_agree_on_is_the_painted_one() -> None:
    """The comparison itself can see a difference: both paint this Raw rectangle, exactly."""
    pixels = bytes(range(256)) * (16 * 16 * 4 // 256)
    stream = fbu(rect(3, 2, 16, 16, Encoding.RAW, pixels))
    kind, screen = assert_paths_agree(Encoding.RAW, stream, [100, 7])
    painted = np.frombuffer(screen, np.uint8).reshape(HEIGHT, WIDTH, 4)  # type: ignore[arg-type]
    assert kind == "painted"
    assert painted[2:18, 3:19].tobytes() == pixels


def test_a_refusal_they_agree_on_is_a_sentence() -> None:
    tile = bytes([0x08 | 0x02]) + b"\x10\x20\x30\x00" + b"\x01" + b"\xf0\x00"  # 1x1 at x=15
    stream = fbu(rect(0, 0, 8, 8, Encoding.HEXTILE, tile))
    kind, message = assert_paths_agree(Encoding.HEXTILE, stream, [])
    assert kind == "refused"
    assert message == (
        "the server sent a Hextile sub-rectangle 1x1 at (15,0), outside its 8x8 tile"
    )


def test_a_gradient_that_clamps_everywhere() -> None:
    """Noise near black and white: the gradient filter's prediction clamps at most pixels."""
    rng = np.random.default_rng(3)
    values = rng.choice([0, 1, 254, 255], size=(40, 70, 3)).astype(np.uint8)
    picture = np.zeros((40, 70, 4), np.uint8)
    picture[:, :, :3] = values
    payload = zt.TightEncoder().basic(picture, zt.GRADIENT)
    stream = fbu(rect(5, 5, 70, 40, Encoding.TIGHT, payload))
    kind, _ = assert_paths_agree(Encoding.TIGHT, stream, [])
    assert kind == "painted"


def jpeg_file(kind: str) -> tuple[bytes, int, int]:
    """A JPEG such as a server could send in a Tight rectangle, and its size."""
    y, x = np.mgrid[0:37, 0:53]
    rgb = np.stack([x * 4, y * 6, (x + y) * 3], -1).astype(np.uint8)
    out = io.BytesIO()
    if kind == "grey":
        Image.fromarray(rgb[:, :, 1]).save(out, "JPEG", quality=80)
    elif kind == "cmyk":
        Image.fromarray(rgb).convert("CMYK").save(out, "JPEG", quality=80)
    elif kind == "progressive":
        Image.fromarray(rgb).save(out, "JPEG", quality=80, progressive=True)
    elif kind == "4:4:4":
        Image.fromarray(rgb).save(out, "JPEG", quality=95, subsampling=0)
    else:
        Image.fromarray(rgb).save(out, "JPEG", quality=60)
    data = out.getvalue()
    if kind == "truncated":
        data = data[: len(data) * 2 // 3]  # libjpeg warns and fills in; Pillow refuses
    elif kind == "corrupt":
        data = data[:300] + bytes(range(200)) + data[500:]
    return data, 53, 37


@pytest.mark.parametrize(
    "kind", ["colour", "grey", "cmyk", "progressive", "4:4:4", "truncated", "corrupt"]
)
def test_tight_jpegs_are_painted_as_pillow_decodes_them_or_refused_alike(kind: str) -> None:
    """The compiled update loop decodes Tight's JPEGs with libjpeg straight into the screen;
    the reference decodes them with Pillow. Every kind of JPEG paints the same pixels on both,
    and a broken one is refused with the same sentence."""
    data, w, h = jpeg_file(kind)
    payload = b"\x90" + zt.compact_length(len(data)) + data
    stream = fbu(rect(11, 9, w, h, Encoding.TIGHT, payload))
    verdict, screen = assert_paths_agree(Encoding.TIGHT, stream, [])
    if kind == "corrupt":
        return  # libjpeg warns, and what Pillow makes of it both paths show (or refuse) alike
    assert verdict == ("refused" if kind == "truncated" else "painted")
    if verdict == "painted":
        painted = np.frombuffer(screen, np.uint8).reshape(HEIGHT, WIDTH, 4)  # type: ignore[arg-type]
        reference = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        assert (painted[9 : 9 + h, 11 : 11 + w, 3] == 255).all()
        difference = np.abs(painted[9 : 9 + h, 11 : 11 + w, 2::-1].astype(int) - reference)
        assert difference.max() <= (0 if kind != "cmyk" else 255)


# Updates that mix encodings, CopyRect, Tight's JPEGs and pseudo-rectangles: the compiled path
# decodes runs of data rectangles in one call and hands the rest to Python at a header.

MIXED = [
    Encoding.RAW,
    Encoding.COPYRECT,
    Encoding.HEXTILE,
    Encoding.ZLIB,
    Encoding.ZRLE,
    Encoding.TIGHT,
    Encoding.TIGHT_PNG,
    Encoding.RRE,
]


def mixed_connection(compiled_path: bool) -> Connection:
    previous = compiled.use_compiled(compiled_path)
    try:
        conn = Connection(WIDTH, HEIGHT)
    finally:
        compiled.use_compiled(previous)
    conn.start(MIXED, compression=6, quality=None)
    conn.data_to_send()
    # The compiled connection takes its runs of rectangles in one call, the other never.
    assert conn.batched == compiled_path
    return conn


def mixed_outcome(conn: Connection, data: bytes, pieces: list[int]) -> tuple[str, object]:
    """Feed ``data`` in pieces; the screen painted and every update's dirty rectangles, or the
    sentence the stream was refused with."""
    pos = 0
    sizes = iter(pieces)
    dirty: list[object] = []
    try:
        while pos < len(data):
            size = max(1, next(sizes, len(data)))
            for event in conn.receive_bytes(data[pos : pos + size]):
                if isinstance(event, FramebufferUpdated):
                    dirty.append(list(event.rects))
            conn.data_to_send()
            pos += size
    except ProtocolError as exc:
        return "refused", str(exc)
    return "painted", (conn.fb.pixels.tobytes(), dirty)


class MixedServer:
    def __init__(self) -> None:
        self.zlib = zlib.compressobj(6)
        self.zrle = zt.ZRLEEncoder()
        self.tight = zt.TightEncoder()
        self.tight_png = zt.TightEncoder()

    def rect(self, kind: str, rng: np.random.Generator, draw: st.DrawFn) -> bytes:
        w = draw(st.integers(0, WIDTH))
        h = draw(st.integers(0, HEIGHT))
        x = draw(st.integers(0, WIDTH - w))
        y = draw(st.integers(0, HEIGHT - h))
        if kind == "led":
            return rect(0, 0, 0, 0, Encoding.QEMU_LED_STATE, bytes([draw(st.integers(0, 7))]))
        if kind == "pointer":
            return rect(draw(st.integers(0, 1)), 0, 0, 0, Encoding.QEMU_POINTER_MOTION_CHANGE)
        if kind == "copyrect":
            sx = draw(st.integers(0, WIDTH - w + 2))  # now and then outside the screen
            sy = draw(st.integers(0, HEIGHT - h))
            return rect(x, y, w, h, Encoding.COPYRECT, struct.pack(">HH", sx, sy))
        w, h = max(w, 1), max(h, 1)
        x, y = min(x, WIDTH - w), min(y, HEIGHT - h)
        picture = image(rng, w, h, draw(st.integers(1, 6)))
        if kind == "raw":
            return rect(x, y, w, h, Encoding.RAW, picture.tobytes())
        if kind == "hextile":
            return rect(x, y, w, h, Encoding.HEXTILE, basic.encode_hextile(picture))
        if kind == "zlib":
            return rect(x, y, w, h, Encoding.ZLIB, basic.encode_zlib(self.zlib, picture))
        if kind == "zrle":
            return rect(x, y, w, h, Encoding.ZRLE, self.zrle.rect(picture))
        if kind == "rre":
            return rect(x, y, w, h, Encoding.RRE, basic.encode_rre(picture))
        if kind == "jpeg":
            reset = draw(st.integers(0, 15))
            return rect(x, y, w, h, Encoding.TIGHT, self.tight.jpeg(picture, 75, reset))
        if kind == "tightpng":
            payload = self.tight_png.rect_like_qemu(picture, png=True)
            return rect(x, y, w, h, Encoding.TIGHT_PNG, payload)
        return rect(x, y, w, h, Encoding.TIGHT, self.tight.rect_like_qemu(picture))


KINDS = ["raw", "copyrect", "hextile", "zlib", "zrle", "rre", "tight", "jpeg", "tightpng"]


@st.composite
def mixed_streams(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    server = MixedServer()
    updates = []
    for _ in range(draw(st.integers(1, 3))):
        kinds = draw(st.lists(st.sampled_from([*KINDS, "led", "pointer"]), min_size=0, max_size=8))
        rects = [server.rect(kind, rng, draw) for kind in kinds]
        if draw(st.booleans()):
            # An update of unknown length, ended by LastRect.
            updates.append(
                struct.pack(">BxH", 0, 0xFFFF) + b"".join(rects) + rect(0, 0, 0, 0, -224)
            )
        else:
            updates.append(fbu(*rects))
    data = bytearray(b"".join(updates))
    mutation = draw(st.sampled_from(["none", "none", "flip", "cut", "noise"]))
    if mutation != "none" and len(data) > 16:
        at = draw(st.integers(4, len(data) - 1))
        if mutation == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif mutation == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at : at + 16] = draw(st.binary(min_size=16, max_size=16))
    pieces = draw(st.lists(st.integers(1, 8192), max_size=8))
    return bytes(data), pieces


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mixed_updates_paint_the_same_or_refuse_alike(data: st.DataObject) -> None:
    """Same screen, same dirty rectangles per update, or the same sentence."""
    require_compiled()
    stream, pieces = data.draw(mixed_streams())
    reference = mixed_outcome(mixed_connection(False), stream, pieces)
    accelerated = mixed_outcome(mixed_connection(True), stream, pieces)
    if reference[0] == accelerated[0] == "refused" and reference[1] != accelerated[1]:
        # As above: a ZRLE tile with two faults may be reported by either.
        assert is_zrle_tile_fault(reference[1]), reference
        assert is_zrle_tile_fault(accelerated[1]), accelerated
        return
    assert accelerated[0] == reference[0], (reference, accelerated)
    if reference[0] == "painted":
        screen_a, dirty_a = reference[1]  # type: ignore[misc]
        screen_b, dirty_b = accelerated[1]  # type: ignore[misc]
        assert dirty_b == dirty_a
        assert screen_b == screen_a
    else:
        assert accelerated == reference
