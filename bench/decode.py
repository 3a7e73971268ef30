"""How fast the client decodes what QEMU really sends, in every encoding, against C zlib alone.

Run ``.venv/bin/python bench/decode.py [--seconds S] [--encodings raw,tight,...] [--out DIR]``
(or ``--replay DIR`` to replay recordings made earlier, without QEMU). See bench/README.md.

1. Record. The test bed's scroll guest (tests/testbed.py: 1920x1080, a scrolling coloured log
   and a photo) is connected to with the project's own ``ConsoleSession`` (transport, asyncvnc
   handshake, ``Connection``), offering one data encoding at a time, and every chunk the server
   sends after ServerInit is kept, as the session's read loop received it, for S seconds. The
   session decodes as it goes and keeps its one update request in flight, so the recording has
   the rhythm of a real session. Tight with JPEG comes from a second guest (``lossy=on``),
   at quality level 8 and, because QEMU may send little or no JPEG at 8, at level 4.
2. Replay. Each recording goes through a fresh ``Connection`` (same ``start()`` arguments, same
   chunks; what it wants to send is thrown away). Only the replay is timed: CPU time, best of 3.
   The peer is the floor, the C work no decoder can avoid on the same data: zlib inflate of the
   exact segments each of the decoders' zlib streams received (collected by wrapping
   ``zlib.decompressobj`` during a first, untimed pass), plus, for Tight's JPEG and PNG
   rectangles (read off the wire), Pillow's decoding of the JPEGs and zlib inflate of the PNGs'
   image data; for Raw and Hextile, one memcpy per rectangle of its pixel bytes. The first pass
   also times each decoder call, by kind of rectangle (Tight: fill, palette, gradient...).
3. A text console (the console guest, 720x400 VGA text) is recorded while keys are typed into it
   through QMP and its lines scroll, with the client's default encodings; each incremental
   update's decode time is reported.
4. A real session against the scroll guest runs in a subprocess for S seconds with the default
   encodings; its peak RSS is reported.

The whole run takes three to four minutes on two cores, mostly booting guests and recording
(QEMU guests are closed before any timing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import hashlib
import importlib
import inspect
import itertools
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from ovhkvm_desktop.rfb import connection as connection_module  # noqa: E402
from ovhkvm_desktop.rfb.connection import DEFAULT_ENCODINGS, Connection  # noqa: E402
from ovhkvm_desktop.rfb.decoders import compiled  # noqa: E402
from ovhkvm_desktop.rfb.decoders.base import Decoder  # noqa: E402
from ovhkvm_desktop.rfb.encodings import Encoding  # noqa: E402
from ovhkvm_desktop.rfb.errors import Incomplete, ProtocolError  # noqa: E402
from ovhkvm_desktop.rfb.events import Event, FramebufferUpdated  # noqa: E402
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect  # noqa: E402
from ovhkvm_desktop.session import ConsoleSession, SessionListener, SessionOptions  # noqa: E402
from ovhkvm_desktop.targets import parse_target  # noqa: E402

#: The screen sizes a "full frame" is counted in.
FRAME_1280 = 1280 * 1024
FRAME_1080 = 1920 * 1080
RUNS = 3
TIMER = time.process_time  # CPU time: the machine is shared, and wall time swings
MB = 1e6

# Targets from the issues (13: decode speed and memory).
#: decode / floor at most: Tight and zlib near inflate alone, ZRLE, Raw and Hextile near memcpy.
FLOOR_TARGETS = {"tight": 1.5, "zlib": 1.5, "zrle": 2.0, "raw": 4.0, "hextile": 4.0}
TARGET_UPDATE_MS = 2.0  # each incremental update of a text console
TARGET_RSS_MB = 150.0  # a 1920x1080 window session's peak memory
TARGET_INFO_RSS_MB = 70.0  # a command-line `info`'s


@dataclasses.dataclass(frozen=True)
class Case:
    """One way of asking QEMU for pixels: the data encodings offered, the levels, the guest."""

    name: str
    encodings: tuple[int, ...]
    compression: int | None = SessionOptions.compression  # the session's defaults
    quality: int | None = None
    lossy_guest: bool = False
    # "inflate" (zlib data, plus JPEG decoding), "memcpy" (the pixels from a buffer the cache
    # holds) or "memcpy-wire" (the pixels from where they lie in what the server sent)
    floor: str = "inflate"


CASES = {
    case.name: case
    for case in (
        # Raw's pixels lie in the received bytes, hundreds of MB that no cache holds: its floor
        # reads them from a buffer as large (see memcpy_floor).
        Case("raw", (Encoding.RAW,), floor="memcpy-wire"),
        Case("hextile", (Encoding.HEXTILE,), floor="memcpy"),
        Case("zlib", (Encoding.ZLIB,)),
        Case("zrle", (Encoding.ZRLE,)),
        Case("tight", (Encoding.TIGHT,)),
        Case("tightpng", (Encoding.TIGHT_PNG,)),
        Case("tight-jpeg", (Encoding.TIGHT,), quality=8, lossy_guest=True),
        # QEMU 7.2 (tight_jpeg_conf in vnc-enc-tight.c) sends JPEG at quality 7-9 only for
        # areas that change more than 12-16 times a second, at 5-6 only for areas that change
        # often enough, at 0-4 for any smooth rectangle large enough. At 8, the scrolling log
        # goes JPEG only when the machine lets QEMU update it that often, and the photo (moved
        # once a second) never does: this case measures the JPEG path every time.
        Case("tight-jpeg-q4", (Encoding.TIGHT,), quality=4, lossy_guest=True),
    )
}
CONSOLE = "console"

# QMP qcodes typed into the console guest: a few words, then one-letter lines until the screen
# (25 rows, 4 taken by the guest's banner) has scrolled some ten times.
CONSOLE_KEYS = [
    *("spc" if c == " " else c for c in "hello world"),
    "ret",
    *[key for i in range(30) for key in ("abcdefghijklmnopqrstuvwxyz"[i % 26], "ret")],
]
_STARTED = time.monotonic()


def log(text: str) -> None:
    print(f"[{time.monotonic() - _STARTED:5.1f} s] {text}", file=sys.stderr, flush=True)


# --- recordings ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Recording:
    """What the server sent after ServerInit, chunk by chunk, and how the client had asked."""

    name: str
    width: int
    height: int
    encodings: list[int]
    compression: int | None
    quality: int | None
    # Not in the repr: asyncio formats the result of a run's main task while it shuts down.
    chunks: list[bytes] = dataclasses.field(repr=False)
    times: list[float] = dataclasses.field(repr=False)  # arrival, s after the first request
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def wire_bytes(self) -> int:
        return sum(len(c) for c in self.chunks)

    def save(self, directory: Path) -> Path:
        """``NAME.json`` (the header) and ``NAME.bin`` (per chunk: f64 time, u32 length, data)."""
        directory.mkdir(parents=True, exist_ok=True)
        header = {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "encodings": self.encodings,
            "compression": self.compression,
            "quality": self.quality,
            "chunks": len(self.chunks),
            "wire_bytes": self.wire_bytes,
            **self.meta,
        }
        (directory / f"{self.name}.json").write_text(json.dumps(header, indent=2) + "\n")
        with open(directory / f"{self.name}.bin", "wb") as out:
            for when, chunk in zip(self.times, self.chunks, strict=True):
                out.write(struct.pack(">dI", when, len(chunk)))
                out.write(chunk)
        return directory / f"{self.name}.bin"

    @classmethod
    def load(cls, directory: Path, name: str) -> Recording:
        header = json.loads((directory / f"{name}.json").read_text())
        data = (directory / f"{name}.bin").read_bytes()
        chunks: list[bytes] = []
        times: list[float] = []
        pos = 0
        while pos < len(data):
            when, length = struct.unpack_from(">dI", data, pos)
            pos += 12
            chunks.append(data[pos : pos + length])
            times.append(when)
            pos += length
        known = {"name", "width", "height", "encodings", "compression", "quality"}
        return cls(
            name=header["name"],
            width=header["width"],
            height=header["height"],
            encodings=header["encodings"],
            compression=header["compression"],
            quality=header["quality"],
            chunks=chunks,
            times=times,
            meta={k: v for k, v in header.items() if k not in known | {"chunks", "wire_bytes"}},
        )


def screen_digest(fb: Framebuffer) -> str:
    """A hash of the screen's colours (the X byte is meaningless)."""
    return hashlib.sha256(fb.pixels[:, :, :3].tobytes()).hexdigest()[:16]


async def record(
    url: str,
    name: str,
    encodings: tuple[int, ...],
    compression: int | None,
    quality: int | None,
    seconds: float,
    during: Callable[[], None] | None = None,
) -> Recording:
    """Run a real session for ``seconds`` (or while ``during`` runs), keeping what it reads.

    The tap sits on the session's ``Connection.receive_bytes``: everything the read loop reads
    after the handshake goes through it, in the chunks the transport delivered.
    """
    options = SessionOptions(encodings=encodings, compression=compression, quality=quality)
    session = ConsoleSession(parse_target(url), SessionListener(), options)
    info = await session.connect()
    conn = session.connection
    assert conn is not None
    chunks: list[bytes] = []
    times: list[float] = []
    start = time.monotonic()
    receive = conn.receive_bytes

    def tap(data: bytes, deadline: float | None = None) -> list[Event]:
        # The read loop decodes in slices (a deadline) and goes on with ``b""``: keep real data.
        if data:
            times.append(time.monotonic() - start)
            chunks.append(bytes(data))
        return receive(data, deadline)

    conn.receive_bytes = tap  # type: ignore[method-assign]
    reader = asyncio.create_task(session.run())
    try:
        if during is None:
            await asyncio.wait({reader}, timeout=seconds)
        else:
            typing = asyncio.create_task(asyncio.to_thread(during))
            await asyncio.wait({reader, typing}, return_when=asyncio.FIRST_COMPLETED)
            if not reader.done():
                await typing
                await asyncio.wait({reader}, timeout=0.5)  # the last echoes
    finally:
        ended = reader.done()
        await session.close()
        reader.cancel()
        failure = None
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await reader
            except Exception as exc:
                failure = str(exc) if ended else None
        # A session stopped between two slices of its decoding leaves bytes it read (and the
        # tap kept) but had not decoded: decode them, so that the live screen is that of every
        # byte recorded, which the replays must reproduce.
        if conn.paused:
            receive(b"")
    return Recording(
        name=name,
        width=info.width,
        height=info.height,
        encodings=[int(e) for e in encodings],
        compression=compression,
        quality=quality,
        chunks=chunks,
        times=times,
        meta={
            "seconds": round(time.monotonic() - start, 3),
            "server": info.name,
            "live_screen": screen_digest(conn.fb),
            "live_failure": failure,
            "recorded": time.strftime("%Y-%m-%d %H:%M:%S"),
        },
    )


# --- decoders that are not there yet -------------------------------------------------------------


class MissingDecoder(Decoder):
    """Stands in for a decoder whose module does not import, so that the rest can be measured."""

    def __init__(self, encoding: Encoding, reason: str) -> None:
        self.encoding = encoding
        self.reason = reason

    def decode(self, buf: memoryview, pos: int, rect: Rect, fb: Framebuffer) -> int:
        raise ProtocolError(f"no {self.encoding.name} decoder: {self.reason}")


_MODULE_ENCODINGS = {
    "raw": (Encoding.RAW,),
    "copyrect": (Encoding.COPYRECT,),
    "rre": (Encoding.RRE,),
    "hextile": (Encoding.HEXTILE,),
    "zlib": (Encoding.ZLIB,),
    "zrle": (Encoding.ZRLE,),
    "tight": (Encoding.TIGHT, Encoding.TIGHT_PNG),
}


def tolerant_make_decoders() -> dict[int, Decoder]:
    """Like ``make_decoders``, but a module that fails to import leaves a ``MissingDecoder``."""
    decoders: dict[int, Decoder] = {}
    for module_name, encodings in _MODULE_ENCODINGS.items():
        try:
            module = importlib.import_module(f"ovhkvm_desktop.rfb.decoders.{module_name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(cls, Decoder)
                    and cls.__module__ == module.__name__
                    and not inspect.isabstract(cls)
                ):
                    decoder = cls()
                    decoders[int(decoder.encoding)] = decoder
        except Exception as exc:
            for encoding in encodings:
                decoders[int(encoding)] = MissingDecoder(encoding, f"{type(exc).__name__}: {exc}")
    return decoders


def install_decoders() -> str | None:
    """Use the project's ``make_decoders`` if it works; else the tolerant one (and say why)."""
    try:
        connection_module.make_decoders()
    except Exception as exc:
        connection_module.make_decoders = tolerant_make_decoders  # type: ignore[assignment]
        return f"make_decoders() failed ({type(exc).__name__}: {exc}); missing decoders stubbed"
    return None


# --- replay --------------------------------------------------------------------------------------


def fresh_connection(rec: Recording) -> Connection:
    conn = Connection(rec.width, rec.height)
    conn.start(rec.encodings, rec.compression, rec.quality)
    conn.data_to_send()
    return conn


@dataclasses.dataclass
class Stats:
    """What a replay decoded: updates completed (from the connection's events); rectangles and
    pixels as the decoders returned them (those of an update still under way at the end of a
    recording too, since their time counts)."""

    updates: int = 0
    rects: int = 0
    pixels: int = 0
    rect_list: list[Rect] = dataclasses.field(default_factory=list)
    screen: str = ""


def count_updates(events: list[Event], stats: Stats) -> None:
    stats.updates += sum(1 for e in events if isinstance(e, FramebufferUpdated) and e.rects)


@dataclasses.dataclass
class CWork:
    """The C work a pass could not avoid: the zlib segments each stream received, one-shot
    inflates, and Tight's JPEG images and PNG image data (IDAT), read off the wire."""

    streams: list[tuple[tuple[Any, ...], list[bytes]]] = dataclasses.field(default_factory=list)
    oneshots: list[tuple[bytes, tuple[Any, ...]]] = dataclasses.field(default_factory=list)
    jpegs: list[tuple[bytes, int, int]] = dataclasses.field(default_factory=list)  # data, w, h
    png_idats: list[bytes] = dataclasses.field(default_factory=list)
    pngs: list[tuple[bytes, int, int]] = dataclasses.field(default_factory=list)  # whole PNGs
    in_image = False  # inside a Tight JPEG/PNG rectangle: its decoder's own inflates don't count

    @property
    def zlib_bytes(self) -> int:
        return (
            sum(len(s) for _, segs in self.streams for s in segs)
            + sum(len(d) for d, _ in self.oneshots)
            + sum(len(d) for d in self.png_idats)
        )

    @property
    def empty(self) -> bool:
        return not (self.streams or self.oneshots or self.jpegs or self.png_idats)


class _TappedStream:
    """A zlib decompress object that keeps the bytes it consumed, call by call."""

    def __init__(self, inner: Any, segments: list[bytes] | None) -> None:
        self._inner = inner
        self._segments = segments

    def decompress(self, data: Any, *args: Any, **kwargs: Any) -> bytes:
        out = self._inner.decompress(data, *args, **kwargs)
        if self._segments is not None:
            view = memoryview(data).cast("B")
            consumed = len(view) - len(self._inner.unconsumed_tail)
            self._segments.append(bytes(view[:consumed]))
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextlib.contextmanager
def tap_zlib(work: CWork) -> Iterator[None]:
    """Wrap ``zlib.decompressobj`` and ``zlib.decompress`` for the decoders, collecting what
    they inflate into ``work`` (except inside Tight images, counted from the wire instead)."""
    real_decompressobj, real_decompress = zlib.decompressobj, zlib.decompress

    def decompressobj(*args: Any, **kwargs: Any) -> _TappedStream:
        segments: list[bytes] | None = None
        if not work.in_image:
            segments = []
            work.streams.append((args + tuple(kwargs.values()), segments))
        return _TappedStream(real_decompressobj(*args, **kwargs), segments)

    def decompress(data: Any, *args: Any, **kwargs: Any) -> bytes:
        if not work.in_image:
            work.oneshots.append((bytes(data), args + tuple(kwargs.values())))
        return real_decompress(data, *args, **kwargs)

    # Decoder modules that did ``from zlib import decompressobj`` are patched where they look.
    patched: list[tuple[Any, str, Any]] = []
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("ovhkvm_desktop.rfb") or module is None:
            continue
        for attr, real, fake in (
            ("decompressobj", real_decompressobj, decompressobj),
            ("decompress", real_decompress, decompress),
        ):
            if getattr(module, attr, None) is real:
                patched.append((module, attr, real))
                setattr(module, attr, fake)
    zlib.decompressobj, zlib.decompress = decompressobj, decompress  # type: ignore[assignment]
    try:
        yield
    finally:
        zlib.decompressobj, zlib.decompress = real_decompressobj, real_decompress  # type: ignore[assignment]
        for module, attr, real in patched:
            setattr(module, attr, real)


TIGHT_FILTERS = {0: "copy", 1: "palette", 2: "gradient"}


def tight_kind(buf: memoryview, pos: int) -> str:
    """What a Tight rectangle holds, from its control byte (and filter byte)."""
    if pos >= len(buf):
        return "(partial)"
    method = buf[pos] >> 4
    if method >= 8:
        return {8: "fill", 9: "jpeg", 10: "png"}.get(method, f"method {method}")
    if method & 4:
        return TIGHT_FILTERS.get(buf[pos + 1], "filter ?") if pos + 1 < len(buf) else "(partial)"
    return "copy"


def tight_image(buf: memoryview, pos: int, end: int) -> bytes:
    """The image data of a Tight JPEG or PNG rectangle (after its compact length)."""
    p = pos + 1
    while buf[p] & 0x80 and p < pos + 3:
        p += 1
    return bytes(buf[p + 1 : end])


def png_idat(png: bytes) -> bytes:
    """The zlib data of a PNG file (its IDAT chunks, joined)."""
    parts = []
    pos = 8
    while pos + 8 <= len(png):
        length, kind = struct.unpack_from(">I4s", png, pos)
        if kind == b"IDAT":
            parts.append(png[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return b"".join(parts)


@dataclasses.dataclass
class Breakdown:
    """Rectangles and decoder time per kind (Tight: per compression method and filter)."""

    rects: dict[str, int] = dataclasses.field(default_factory=dict)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    total: float = 0.0  # the whole pass, connection included


def instrument(conn: Connection, work: CWork, breakdown: Breakdown, stats: Stats) -> None:
    """Time every decoder call by kind; count rectangles and pixels; read Tight's images off
    the wire."""
    clock = TIMER
    conn.batched = False  # each decoder call is watched: no compiled runs of rectangles
    for encoding, decoder in conn._decoders.items():  # a benchmark may look inside
        is_tight = encoding in (Encoding.TIGHT, Encoding.TIGHT_PNG)
        name = Encoding(encoding).name.lower()
        real = decoder.decode

        def decode(
            buf: memoryview,
            pos: int,
            rect: Rect,
            fb: Framebuffer,
            real: Callable[..., int] = real,
            is_tight: bool = is_tight,
            name: str = name,
        ) -> int:
            kind = tight_kind(buf, pos) if is_tight else name
            work.in_image = kind in ("jpeg", "png")
            start = clock()
            try:
                end = real(buf, pos, rect, fb)
            finally:
                breakdown.seconds[kind] = breakdown.seconds.get(kind, 0.0) + clock() - start
                work.in_image = False
            breakdown.rects[kind] = breakdown.rects.get(kind, 0) + 1
            stats.rects += 1
            stats.pixels += rect.width * rect.height
            stats.rect_list.append(rect)
            if kind == "jpeg":
                work.jpegs.append((tight_image(buf, pos, end), rect.width, rect.height))
            elif kind == "png":
                png = tight_image(buf, pos, end)
                work.png_idats.append(png_idat(png))
                work.pngs.append((png, rect.width, rect.height))
            return end

        decoder.decode = decode  # type: ignore[method-assign]


def first_pass(rec: Recording) -> tuple[Stats, CWork, Breakdown]:
    """Replay twice, untimed: once with the pure-Python decoders to collect the C work, once on
    the path measured to count what was decoded and time each kind of rectangle.

    The C work is seen through Python's ``zlib`` module, which the tap wraps: the reference
    decoders feed each stream exactly the segments the compiled ones feed theirs (through
    zlib's C API, out of the tap's sight), as the differential tests require."""
    work = CWork()
    previous = compiled.use_compiled(False)
    try:
        with tap_zlib(work):
            conn = fresh_connection(rec)
            instrument(conn, work, Breakdown(), Stats())
            for chunk in rec.chunks:
                conn.receive_bytes(chunk)
                conn.data_to_send()
    finally:
        compiled.use_compiled(previous)
    stats = Stats()
    breakdown = Breakdown()
    conn = fresh_connection(rec)
    instrument(conn, CWork(), breakdown, stats)
    start = TIMER()
    for chunk in rec.chunks:
        count_updates(conn.receive_bytes(chunk), stats)
        conn.data_to_send()
    breakdown.total = TIMER() - start
    stats.screen = screen_digest(conn.fb)
    return stats, work, breakdown


def timed_replay(rec: Recording) -> float:
    """CPU seconds to feed every chunk to a fresh connection (best of ``RUNS``).

    What the benchmark itself holds (recordings, earlier rows) is frozen out of the cycle
    collector first, as the app freezes what exists when its first console starts
    (``ui/session_thread.tune_interpreter``): the replay's collections walk what the replay
    makes, not the benchmark's heap, which grows from one encoding to the next."""
    best = float("inf")
    for _ in range(RUNS):
        conn = fresh_connection(rec)
        chunks = rec.chunks
        gc.collect()
        gc.freeze()
        try:
            start = TIMER()
            for chunk in chunks:
                conn.receive_bytes(chunk)
                conn.data_to_send()
            best = min(best, TIMER() - start)
        finally:
            gc.unfreeze()
        del conn
    return best


def per_update_times(rec: Recording) -> list[float]:
    """CPU seconds per incremental update, elementwise best of ``RUNS``.

    A chunk's time goes to the updates it completes (shared equally when it completes several);
    chunks that complete none add theirs to the next update. The first update (the full screen
    that answers the first, non-incremental request) is left out.
    """
    best: list[float] | None = None
    for _ in range(RUNS):
        conn = fresh_connection(rec)
        times: list[float] = []
        pending = 0.0
        gc.collect()
        for chunk in rec.chunks:
            start = TIMER()
            events = conn.receive_bytes(chunk)
            conn.data_to_send()
            pending += TIMER() - start
            done = sum(1 for e in events if isinstance(e, FramebufferUpdated) and e.rects)
            if done:
                times += [pending / done] * done
                pending = 0.0
        times = times[1:]
        best = times if best is None else [min(a, b) for a, b in zip(best, times, strict=True)]
    return best or []


def inflate_floor(work: CWork) -> float:
    """CPU seconds for C zlib alone (fresh streams) on the same segments, plus the PNGs' image
    data and Pillow's decoding of the JPEGs; best of ``RUNS``."""
    best = float("inf")
    for _ in range(RUNS):
        gc.collect()
        start = TIMER()
        for args, segments in work.streams:
            stream = zlib.decompressobj(*args)
            for segment in segments:
                stream.decompress(segment)
        for data, args in work.oneshots:
            zlib.decompress(data, *args)
        for data in work.png_idats:
            zlib.decompressobj().decompress(data)
        for data, width, height in work.jpegs:
            decode_jpeg(data, width, height)
        best = min(best, TIMER() - start)
    return best


#: A screen for the floor's JPEG decoding to write into (the largest Tight rectangle fits).
_JPEG_SCREEN = np.zeros((2048, 2048), np.uint32)


def decode_jpeg(data: bytes, width: int, height: int) -> None:
    """libjpeg's decoding alone: the accelerator's call of libjpeg (the least a decoder pays),
    or without it libjpeg through Pillow's decoder, without Pillow's file parser."""
    accel = compiled.accelerator()
    if accel is None or not accel.jpeg(data, _JPEG_SCREEN, 0, 0, width, height):
        Image.frombytes("RGB", (width, height), data, "jpeg", "RGB", "")


def image_decoding(work: CWork) -> float:
    """CPU seconds for C decoders to decode the Tight JPEG and PNG images (best of ``RUNS``):
    libjpeg, and Pillow's PNG decoder (inflate and row filters) on the PNGs' image data, each
    called directly. What a browser at least pays for the images noVNC hands it."""
    pngs = []
    for png, width, height in work.pngs:
        mode = "P" if png[25:26] == b"\x03" else "RGB"  # IHDR's colour type
        pngs.append((mode, width, height, png_idat(png)))
    best = float("inf")
    for _ in range(RUNS):
        gc.collect()
        start = TIMER()
        for data, width, height in work.jpegs:
            decode_jpeg(data, width, height)
        for mode, width, height, idat in pngs:
            Image.frombytes(mode, (width, height), idat, "zip", mode)
        best = min(best, TIMER() - start)
    return best


def memcpy_floor(rects: list[Rect], width: int, height: int, from_wire: bool) -> float:
    """CPU seconds for one memcpy per rectangle of its pixel bytes into a screen-sized buffer,
    at the rectangle's offset; best of ``RUNS``.

    Where the pixels come from matters as much as the copy: ``from_wire`` (Raw), they are read
    one rectangle after the other from a buffer as large as all of them, as Raw's lie in the
    hundreds of MB received; otherwise (Hextile, whose wire holds no pixels as they are) from
    one buffer the size of the largest rectangle, which the cache keeps."""
    stride = width * 4
    sizes = [r.width * r.height * 4 for r in rects]
    if from_wire:
        source = memoryview(b"\x01" * sum(sizes))  # written: no page is first touched timed
        starts = list(itertools.accumulate([0, *sizes[:-1]]))
    else:
        source = memoryview(bytes(max(sizes, default=0)))
        starts = [0] * len(sizes)
    screen = memoryview(bytearray(stride * height))
    jobs = [
        (start, r.y * stride + r.x * 4, size)
        for start, r, size in zip(starts, rects, sizes, strict=True)
    ]
    best = float("inf")
    for _ in range(RUNS):
        gc.collect()
        began = TIMER()
        for start, offset, size in jobs:
            screen[offset : offset + size] = source[start : start + size]
        best = min(best, TIMER() - began)
    return best


# --- the peer: noVNC's own decoders, from Node ---------------------------------------------------

#: Where bench/setup-novnc.sh installs noVNC's npm package (an ignored folder).
NOVNC_CORE = REPO / ".bench" / "novnc" / "node_modules" / "@novnc" / "novnc" / "core"
NOVNC_PEER = REPO / "bench" / "novnc_peer.mjs"
#: noVNC's decoders: the encodings it has a class for (core/decoders/*.js).
NOVNC_ENCODINGS = {0, 1, 2, 5, 6, 7, 16, int(Encoding.TIGHT_PNG)}


def novnc_missing() -> str | None:
    """Why the noVNC column cannot be measured here, or None."""
    if not shutil.which("node"):
        return "no Node.js (node) on PATH"
    if not (NOVNC_CORE / "decoders" / "tight.js").exists():
        return f"noVNC is not installed in {NOVNC_CORE.parent} (run bash bench/setup-novnc.sh)"
    return None


def export_rects(rec: Recording, path: Path) -> None:
    """Write the data rectangles of a recording for bench/novnc_peer.mjs: per recorded chunk,
    the rectangles it completed, each with its header and its payload as our decoders read it
    (Hextile's pieces, read over several chunks, joined)."""
    conn = fresh_connection(rec)
    done: list[tuple[Rect, int, bytes]] = []
    pieces: dict[int, list[bytes]] = {}
    unfinished: dict[int, Rect] = {}
    conn.batched = False  # each decoder call is watched: no compiled runs of rectangles
    for encoding, decoder in conn._decoders.items():  # a benchmark may look inside
        real = decoder.decode

        def decode(
            buf: memoryview,
            pos: int,
            rect: Rect,
            fb: Framebuffer,
            real: Callable[..., int] = real,
            encoding: int = encoding,
        ) -> int:
            try:
                end = real(buf, pos, rect, fb)
            except Incomplete as short:
                pieces.setdefault(encoding, []).append(bytes(buf[pos : short.position]))
                unfinished[encoding] = rect
                raise
            payload = b"".join([*pieces.pop(encoding, []), bytes(buf[pos:end])])
            unfinished.pop(encoding, None)
            done.append((rect, encoding, payload))
            return end

        decoder.decode = decode  # type: ignore[method-assign]
    with open(path, "wb") as out:
        out.write(struct.pack(">HH", rec.width, rec.height))
        for chunk in rec.chunks:
            conn.receive_bytes(chunk)
            conn.data_to_send()
            if done:
                out.write(struct.pack(">I", len(done)))
                for rect, encoding, payload in done:
                    out.write(struct.pack(">HHHHiI", *rect, encoding, len(payload)))
                    out.write(payload)
                done.clear()
        # A Raw rectangle the recording cut off: the rows that came are on our screen (painted
        # as they arrive, as noVNC's Raw decoder paints them too), so they go to noVNC as a
        # rectangle of those rows.
        rows_data = b"".join(pieces.get(Encoding.RAW, []))
        rect = unfinished.get(Encoding.RAW)
        if rows_data and rect is not None and rect.width:
            rows = len(rows_data) // (rect.width * 4)
            out.write(struct.pack(">I", 1))
            out.write(struct.pack(">HHHHiI", rect.x, rect.y, rect.width, rows, 0, len(rows_data)))
            out.write(rows_data)


@dataclasses.dataclass
class Peer:
    """noVNC's figures for one recording."""

    seconds: float | None = None
    estimate: bool = False  # JPEG/PNG decoding added from our floor (a browser decodes those)
    problem: str | None = None
    note: str = ""


def measure_novnc(rec: Recording, case: Case, stats: Stats, work: CWork) -> Peer:
    missing = novnc_missing()
    if missing:
        return Peer(problem=missing)
    if not set(rec.encodings) <= NOVNC_ENCODINGS:
        return Peer(problem="noVNC lacks one of the encodings")
    with tempfile.TemporaryDirectory(prefix="ovhkvm-novnc-") as tmp:
        path = Path(tmp) / "rects.bin"
        export_rects(rec, path)
        proc = subprocess.run(
            ["node", str(NOVNC_PEER), str(NOVNC_CORE), str(path), str(RUNS)],
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Peer(problem=f"noVNC failed: {tail[:200]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    peer = Peer(seconds=result["seconds"])
    images = result["images"]["jpeg"] + result["images"]["png"]
    if images:
        # noVNC hands JPEG and PNG to the browser's decoders: add the C work of decoding them,
        # the same floor our decoders are held to (Pillow's JPEG decoding, zlib for PNG data).
        peer.seconds = result["seconds"] + image_decoding(work)
        peer.estimate = True
        peer.note = f"{images} images decoded by the browser in noVNC: their C decoding added"
    if result["rects"] != stats.rects or result["pixels"] != stats.pixels:
        peer.note += f" (noVNC decoded {result['rects']:,} rects, we {stats.rects:,})"
    swapped = any(e in (Encoding.TIGHT, Encoding.TIGHT_PNG) for e in rec.encodings)
    digest = result["digest_swapped" if swapped else "digest"]
    if not images and digest != stats.screen:
        peer.note += " (noVNC's final screen differs from ours)"
    return peer


# --- measurements ------------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    name: str
    wire_bytes: int = 0
    seconds_recorded: float = 0.0
    stats: Stats | None = None
    decode: float | None = None
    floor: float | None = None
    floor_what: str = ""
    problem: str | None = None  # not recorded, or the decoder failed
    notes: list[str] = dataclasses.field(default_factory=list)
    peer: Peer | None = None  # noVNC
    python_decode: float | None = None  # the pure-Python path, when asked for

    def fps(self, seconds: float | None) -> float | None:
        """Full 1920x1080 frames of pixels decoded per second in ``seconds``."""
        if self.stats is None or not seconds:
            return None
        return self.stats.pixels / FRAME_1080 / seconds

    @property
    def vs_peer(self) -> float | None:
        """How many times faster than noVNC (above 1: faster)."""
        if self.peer is None or self.peer.seconds is None or not self.decode:
            return None
        return self.peer.seconds / self.decode

    @property
    def fps_1280(self) -> float | None:
        if self.stats is None or not self.decode:
            return None
        return self.stats.pixels / FRAME_1280 / self.decode

    @property
    def ratio(self) -> float | None:
        if self.decode is None or not self.floor:
            return None
        return self.decode / self.floor


def measure(rec: Recording, case: Case, also_python: bool) -> Row:
    row = Row(case.name, rec.wire_bytes, rec.meta.get("seconds", 0.0))
    if also_python:
        previous = compiled.use_compiled(False)
        try:
            row.python_decode = timed_replay(rec)
        except Exception as exc:
            row.notes.append(f"the pure-Python path failed: {type(exc).__name__}: {exc}")
        finally:
            compiled.use_compiled(previous)
    if rec.meta.get("live_failure"):
        row.notes.append(f"the live session ended: {rec.meta['live_failure']}")
    try:
        stats, work, breakdown = first_pass(rec)
    except Exception as exc:
        row.problem = f"decoder failed: {type(exc).__name__}: {exc}"
        return row
    row.stats = stats
    if rec.meta.get("live_screen") and stats.screen != rec.meta["live_screen"]:
        row.notes.append("the replayed screen differs from the live session's")
    row.decode = timed_replay(rec)
    if case.floor.startswith("memcpy"):
        row.floor = memcpy_floor(
            stats.rect_list, rec.width, rec.height, from_wire=case.floor == "memcpy-wire"
        )
        row.floor_what = case.floor
        if case.floor == "memcpy-wire":
            cached = memcpy_floor(stats.rect_list, rec.width, rec.height, from_wire=False)
            row.notes.append(
                f"{case.name}: the same memcpy's from one buffer the cache holds (the floor"
                f" before 2026-12-05's third session): {cached:.3f} s, decode/that"
                f" {row.decode / cached:.2f}x"
            )
    elif not work.empty:
        row.floor = inflate_floor(work)
        row.floor_what = "inflate" + ("+jpeg" if work.jpegs else "")
    else:
        row.floor_what = "n/a"
        row.notes.append("no zlib call seen: no floor")
    stats.rect_list = []  # only the memcpy floor needs them: the benchmark keeps no heap of them
    row.notes.append(describe_breakdown(breakdown, work, case, row.decode))
    log(f"  noVNC on {case.name} ...")
    row.peer = measure_novnc(rec, case, stats, work)
    if row.peer.note:
        row.notes.append(f"noVNC: {row.peer.note.strip()}")
    return row


def describe_breakdown(breakdown: Breakdown, work: CWork, case: Case, decode: float) -> str:
    """Where the first (instrumented) pass spent its time, by kind of rectangle.

    Its shares of the pass are applied to the timed decode (the first pass runs cold, with
    wrappers), which gives each kind's µs per rectangle in the table's terms."""
    total = breakdown.total or 1.0
    inside = sum(breakdown.seconds.values())
    kinds = sorted(breakdown.seconds, key=lambda k: -breakdown.seconds[k])
    parts = []
    for kind in kinds:
        share = breakdown.seconds[kind] / total
        rects = breakdown.rects.get(kind, 0)
        each = f", {share * decode / rects * 1e6:,.1f} µs each" if rects else ""
        parts.append(f"{kind} {rects:,} rects: {share:.0%}{each}")
    text = f"decoders {inside / total:.0%} of the time; " + "; ".join(parts)
    if case.floor == "inflate":
        text += f"; {work.zlib_bytes / MB:.2f} MB inflated"
        if case.quality is not None:
            text += f", {len(work.jpegs)} JPEG images"
    return text


@dataclasses.dataclass
class ConsoleResult:
    encoding: str = ""
    updates: list[float] = dataclasses.field(default_factory=list)
    keys: int = 0
    received: int | None = None  # bytes the guest's tty got (one per key typed)
    wire_bytes: int = 0
    problem: str | None = None


def measure_console(rec: Recording) -> ConsoleResult:
    result = ConsoleResult(
        keys=int(rec.meta.get("keys", 0)),
        received=rec.meta.get("guest_received"),
        wire_bytes=rec.wire_bytes,
    )
    try:
        conn = fresh_connection(rec)
        for chunk in rec.chunks:
            conn.receive_bytes(chunk)
        used = conn.last_encoding
        result.encoding = Encoding(used).name.lower() if used is not None else "?"
        result.updates = per_update_times(rec)
    except Exception as exc:
        result.problem = f"decoder failed: {type(exc).__name__}: {exc}"
    return result


PEAK_RSS = REPO / "bench" / "peak_rss.py"
MEMORY_PROBE = REPO / "bench" / "memory_probe.py"
MIB = 1 << 20


def peak_rss(command: list[str], timeout: float) -> dict[str, Any]:
    """Run ``command`` under bench/peak_rss.py (a small parent: the figure is the command's own
    peak, not this benchmark's carried over) and return its report."""
    try:
        proc = subprocess.run(
            [sys.executable, "-S", str(PEAK_RSS), *command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"problem": f"it did not end within {timeout:g} s"}
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"problem": f"the probe failed ({tail})"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["returncode"] != 0:
        result["problem"] = f"it exited with status {result['returncode']}"
    return result


def measure_memory(url: str, seconds: float) -> dict[str, Any]:
    """Peak resident memory of a console window (1920x1080, one pixel per pixel, default options)
    showing the scroll guest for ``seconds``, and of the command line's ``info`` on it."""
    window = peak_rss([sys.executable, str(MEMORY_PROBE), url, str(seconds)], seconds + 60)
    if "problem" not in window:
        with contextlib.suppress(ValueError):
            window.update(json.loads(window["stdout_tail"]))
    cli = str(Path(sys.executable).with_name("ovhkvm-desktop"))
    info = peak_rss([cli, "info", url], 60)
    return {"window": window, "info": info}


# --- recording everything ---------------------------------------------------------------------


def record_all(
    cases: list[Case], seconds: float, out: Path, console: bool, memory: bool
) -> tuple[dict[str, Recording | str], Recording | str | None, dict[str, Any] | None]:
    """Boot the guests one after the other, record, and close them before any timing."""
    from tests.testbed import BedError, QemuGuest, build_guest

    recordings: dict[str, Recording | str] = {}
    console_rec: Recording | str | None = None
    memory_result: dict[str, Any] | None = None
    build_guest()

    def record_case(url: str, case: Case) -> None:
        log(f"recording {case.name} for {seconds:g} s ...")
        try:
            rec = asyncio.run(
                record(url, case.name, case.encodings, case.compression, case.quality, seconds)
            )
        except Exception as exc:
            recordings[case.name] = f"not recorded: {type(exc).__name__}: {exc}"
            log(f"  {recordings[case.name]}")
            return
        rec.save(out)
        recordings[case.name] = rec
        log(f"  {len(rec.chunks)} chunks, {rec.wire_bytes / MB:.1f} MB")

    for lossy in (False, True):
        wanted = [c for c in cases if c.lossy_guest == lossy]
        if not wanted and not (memory and not lossy):
            continue
        log(f"booting the scroll guest{' (lossy=on)' if lossy else ''} ...")
        try:
            guest = QemuGuest(mode="scroll", lossy=lossy)
        except BedError as exc:
            for case in wanted:
                recordings[case.name] = f"not recorded: the guest did not start ({exc})"
            continue
        with guest:
            time.sleep(1.0)  # let the log start scrolling and the photo appear
            if memory and not lossy:
                # First, while this process is small: Linux carries the peak RSS of the process
                # that forked the probe over into the probe's own ru_maxrss.
                log(f"peak memory: a {seconds:g} s window session, then info, in subprocesses ...")
                memory_result = measure_memory(guest.vnc_url, seconds)
            for case in wanted:
                record_case(guest.vnc_url, case)

    if console:
        log("booting the console guest ...")
        try:
            with QemuGuest(mode="console") as guest:

                def type_keys() -> None:
                    guest.send_key(*CONSOLE_KEYS, delay=0.04)

                log(f"recording the console while typing {len(CONSOLE_KEYS)} keys ...")
                defaults = SessionOptions()
                rec = asyncio.run(
                    record(
                        guest.vnc_url,
                        CONSOLE,
                        tuple(DEFAULT_ENCODINGS),
                        defaults.compression,
                        defaults.quality,
                        0,
                        type_keys,
                    )
                )
                rec.meta["keys"] = len(CONSOLE_KEYS)
                rec.meta["guest_received"] = len(guest.received_bytes())
                rec.save(out)
                console_rec = rec
                log(f"  {len(rec.chunks)} chunks, {rec.wire_bytes / 1e3:.0f} kB")
        except Exception as exc:
            console_rec = f"not recorded: {type(exc).__name__}: {exc}"
            log(f"  {console_rec}")
    return recordings, console_rec, memory_result


def load_all(
    cases: list[Case], directory: Path
) -> tuple[dict[str, Recording | str], Recording | str | None]:
    recordings: dict[str, Recording | str] = {}
    for case in cases:
        try:
            recordings[case.name] = Recording.load(directory, case.name)
        except OSError as exc:
            recordings[case.name] = f"no recording ({exc.strerror})"
    console: Recording | str | None
    try:
        console = Recording.load(directory, CONSOLE)
    except OSError:
        console = None
    return recordings, console


# --- the report --------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def qemu_version() -> str:
    try:
        out = subprocess.run(
            ["qemu-system-x86_64", "--version"], capture_output=True, text=True, check=False
        ).stdout
        return out.split("version")[1].split()[0] if "version" in out else "?"
    except OSError:
        return "?"


def cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def report(
    rows: list[Row],
    console: ConsoleResult | None,
    memory: dict[str, Any] | None,
    seconds: float,
    out: Path,
    setup_note: str | None,
) -> None:
    p = print
    lengths = [r.seconds_recorded for r in rows if r.seconds_recorded]
    recorded = f"{min(lengths):.1f}-{max(lengths):.1f}" if lengths else "?"
    p(f"### Decoding QEMU {qemu_version()}'s output (1920x1080 scrolling log + photo)")
    p()
    path = compiled.path()
    p(
        f"Python {platform.python_version()}, {cpu_name()}, {os.cpu_count()} cores;"
        f" our decoders' {path} path. Recordings of {recorded} s each, in {out}."
        f" Decode = CPU time to replay a recording through a fresh `Connection`, best of {RUNS}."
        " noVNC = CPU time of noVNC's own decoder classes (Node, fed the same rectangles'"
        " bytes; ≈: plus the C decoding of its JPEG and PNG images, which noVNC leaves to the"
        " browser: libjpeg, and Pillow's PNG decoder on the image data, called directly)."
        " Frames/s = pixels decoded / (1920x1080) / time. vs noVNC = noVNC's time / ours."
        " Floor = the C work no decoder avoids on the same data (best of 3): zlib inflate of"
        " the exact segments each zlib stream received, with fresh streams (and of Tight PNGs'"
        " image data, + libjpeg's decoding of Tight JPEGs, called directly), or for Raw and"
        " Hextile one memcpy per rectangle of its pixel bytes (Raw's read from a buffer as large"
        " as the wire's). The benchmark's own objects are frozen out of the collector while it"
        " times, as the app freezes what exists when its first console starts."
    )
    if setup_note:
        p()
        p(f"Note: {setup_note}")
    missing = {r.peer.problem for r in rows if r.peer is not None and r.peer.problem}
    if missing:
        p()
        p(f"The noVNC column is missing: {'; '.join(sorted(missing))}.")
    python_column = any(r.python_decode is not None for r in rows)
    p()
    p(
        "| encoding | wire MB | updates | rects | decode s | frames/s | µs/rect"
        + (" | Python path frames/s" if python_column else "")
        + " | noVNC s | noVNC frames/s | vs noVNC | floor | floor s | decode/floor |"
    )
    p(
        "|---|--:|--:|--:|--:|--:|--:|"
        + ("--:|" if python_column else "")
        + "--:|--:|--:|---|--:|--:|"
    )
    for row in rows:
        stats = row.stats
        if row.problem or stats is None or row.decode is None:
            blanks = 10 + python_column
            p(f"| {row.name} | {fmt(row.wire_bytes / MB)} | {row.problem} |" + " |" * blanks)
            continue
        decode = row.decode
        peer = row.peer.seconds if row.peer is not None else None
        approx = "≈ " if row.peer is not None and row.peer.estimate else ""
        p(
            f"| {row.name} | {fmt(row.wire_bytes / MB)} | {stats.updates:,} | {stats.rects:,}"
            f" | {fmt(decode, 3)} | {fmt(row.fps(decode))}"
            f" | {fmt(decode / stats.rects * 1e6 if stats.rects else None)}"
            + (f" | {fmt(row.fps(row.python_decode))}" if python_column else "")
            + f" | {approx}{fmt(peer, 3)} | {approx}{fmt(row.fps(peer))}"
            f" | {fmt(row.vs_peer, 2)}{'x' if row.vs_peer is not None else ''}"
            f" | {row.floor_what} | {fmt(row.floor, 3)} | {fmt(row.ratio, 2)}"
            f"{'x' if row.ratio is not None else ''} |"
        )
    notes = [f"{row.name}: {note}" for row in rows for note in row.notes]
    if notes:
        p()
        for note in notes:
            p(f"- {note}")

    p()
    p("Targets:")
    if rows:
        behind = [
            f"{r.name} {fmt(r.vs_peer, 2)}x" if r.vs_peer is not None else f"{r.name} not measured"
            for r in rows
            if r.vs_peer is None or r.vs_peer < 1.0
        ]
        verdict = "MISS" if behind else "PASS"
        lowest = min((r.vs_peer for r in rows if r.vs_peer is not None), default=None)
        detail = ", ".join(behind) if behind else f"lowest {fmt(lowest, 2)}x"
        p(f"- every encoding at least as fast as noVNC on the same bytes: {verdict} ({detail})")
    for row in rows:
        limit = FLOOR_TARGETS.get(row.name)
        if limit is None:
            continue
        what = (
            "memcpy of their pixels" if row.floor_what.startswith("memcpy") else "the inflate floor"
        )
        if row.ratio is None:
            p(f"- {row.name} within {limit:g}x of {what}: MISS ({row.problem or 'no floor'})")
        else:
            verdict = "PASS" if row.ratio <= limit else "MISS"
            p(f"- {row.name} within {limit:g}x of {what}: {verdict} ({row.ratio:.2f}x)")

    if console is not None:
        if console.problem:
            p(f"- text console updates < {TARGET_UPDATE_MS:g} ms: MISS ({console.problem})")
        elif console.updates:
            ms = sorted(t * 1e3 for t in console.updates)
            median = statistics.median(ms)
            p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
            worst = ms[-1]
            verdict = "PASS" if worst < TARGET_UPDATE_MS else "MISS"
            p(
                f"- text console (720x400, default encodings, QEMU chose {console.encoding};"
                f" {console.keys} keys typed, {console.received} reached the tty, lines"
                f" scrolling; {console.wire_bytes / 1e3:.0f} kB): {len(ms)} incremental updates,"
                f" decode median {median:.3f} ms, p95 {p95:.3f} ms, max {worst:.3f} ms;"
                f" each < {TARGET_UPDATE_MS:g} ms: {verdict}"
            )
        else:
            p("- text console: no incremental update was recorded")
    if memory is not None:
        report_memory(memory, seconds)


def report_memory(memory: dict[str, Any], seconds: float) -> None:
    p = print
    window, info = memory["window"], memory["info"]
    if "problem" in window:
        p(f"- peak RSS of a 1920x1080 window session: MISS ({window['problem']})")
    else:
        rss = window["max_rss_mib"]
        verdict = "PASS" if rss * MIB / MB < TARGET_RSS_MB else "MISS"
        p(
            f"- peak RSS of a 1920x1080 window session (a ConsoleWindow, Qt offscreen, actual"
            f" size, default options, QEMU chose {window.get('encoding')}, decode path"
            f" {window.get('path')}; {seconds:g} s, {window.get('updates')} updates,"
            f" {window.get('frames_painted')} frames painted): {rss:.1f} MiB"
            f" ({rss * MIB / MB:.1f} MB), measured from a {window['parent_rss_mib']:.0f} MiB"
            f" parent; < {TARGET_RSS_MB:g} MB: {verdict}"
        )
    if "problem" in info:
        p(f"- peak RSS of the command line's info: MISS ({info['problem']})")
    else:
        rss = info["max_rss_mib"]
        verdict = "PASS" if rss * MIB / MB < TARGET_INFO_RSS_MB else "MISS"
        p(
            f"- peak RSS of `ovhkvm-desktop info` on the same guest: {rss:.1f} MiB"
            f" ({rss * MIB / MB:.1f} MB); < {TARGET_INFO_RSS_MB:g} MB: {verdict}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="recording length per encoding (default 5)"
    )
    parser.add_argument(
        "--encodings",
        default=",".join(CASES),
        help=f"comma-separated, among {','.join(CASES)} (default: all)",
    )
    parser.add_argument("--out", type=Path, help="where to save recordings (default: a temp dir)")
    parser.add_argument(
        "--replay", type=Path, metavar="DIR", help="replay recordings saved there; no QEMU"
    )
    parser.add_argument("--no-console", action="store_true", help="skip the text console")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak memory probe")
    parser.add_argument(
        "--also-python",
        action="store_true",
        help="also time the pure-Python decode path (a column of its own)",
    )
    args = parser.parse_args()

    names = [n.strip().lower() for n in args.encodings.split(",") if n.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown encodings {unknown}; choose among {list(CASES)}")
    cases = [CASES[n] for n in names]
    setup_note = install_decoders()
    if setup_note:
        log(setup_note)

    started = time.monotonic()
    memory: dict[str, Any] | None = None
    if args.replay:
        out = args.replay
        recordings, console_rec = load_all(cases, out)
        if args.no_console:
            console_rec = None
    else:
        out = args.out or Path(tempfile.mkdtemp(prefix="ovhkvm-bench-decode-"))
        recordings, console_rec, memory = record_all(
            cases, args.seconds, out, not args.no_console, not args.no_memory
        )
    log(f"recordings in {out} ({time.monotonic() - started:.0f} s so far)")

    rows: list[Row] = []
    for case in cases:
        rec = recordings[case.name]
        if isinstance(rec, str):
            rows.append(Row(case.name, problem=rec))
            continue
        log(f"replaying {case.name} ({rec.wire_bytes / MB:.1f} MB) ...")
        rows.append(measure(rec, CASES[case.name], args.also_python))
        del rec
        recordings[case.name] = "replayed"
    console: ConsoleResult | None = None
    if isinstance(console_rec, Recording):
        log("replaying the console ...")
        console = measure_console(console_rec)
    elif isinstance(console_rec, str):
        console = ConsoleResult(problem=console_rec)
    log(f"done in {time.monotonic() - started:.0f} s")
    report(rows, console, memory, args.seconds, out, setup_note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
