"""The command line: `ovhkvm-desktop COMMAND ...` (see DESIGN.md for the contract)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import numpy as np

from ovhkvm_desktop import __version__
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.handshake import ServerInfo
from ovhkvm_desktop.keyboard.layouts import UnknownLayoutError, guest_layout_names
from ovhkvm_desktop.keyboard.translator import (
    KeyboardMode,
    KeyTranslator,
    LockState,
    WireKeyEvent,
)
from ovhkvm_desktop.rfb import events as ev
from ovhkvm_desktop.rfb.connection import DEFAULT_ENCODINGS
from ovhkvm_desktop.rfb.encodings import DATA_ENCODINGS, EXTENSION_NAMES, Encoding
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.session import ConsoleSession, SessionListener, SessionOptions
from ovhkvm_desktop.targets import parse_target

PROG = "ovhkvm-desktop"

#: Time between key events when typing a text. A QEMU guest reads its PS/2 keyboard through a
#: 16-byte queue: on the test guest, events 4 ms apart garbled a text after ~100 strokes while
#: 10 ms and more lost nothing (QEMU itself spaces them 10 ms apart by default).
DEFAULT_KEY_DELAY_MS = 15.0


class UsageError(ConsoleError):
    pass


def _encodings(text: str) -> tuple[int, ...]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATA_ENCODINGS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown encoding {', '.join(unknown) or '(none)'}; choose from"
            f" {', '.join(DATA_ENCODINGS)}"
        )
    return tuple(DATA_ENCODINGS[n] for n in names)


def _number(kind: type[int] | type[float], low: float, high: float, says: str) -> Any:
    """An argparse type: a number of ``kind`` from ``low`` to ``high``, else ``says``."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(says) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(says)
        return value

    return parse


_level = _number(int, 0, 9, "a level is a number from 0 to 9")
_seconds = _number(float, 0.001, 86400, "a timeout is a number of seconds above 0")
_delay = _number(float, 0, 1000, "a delay is a number of milliseconds from 0 to 1000")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="A desktop console for OVHcloud servers and any VNC console."
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    console = argparse.ArgumentParser(add_help=False)
    group = console.add_argument_group("connection")
    group.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the VNC password from the first line of standard input"
        " (or set OVHKVM_VNC_PASSWORD)",
    )
    group.add_argument(
        "--ca-file", metavar="FILE", help="also trust this CA for wss:// and https://"
    )
    group.add_argument(
        "--timeout", type=_seconds, default=15.0, metavar="S", help="give up after S seconds (15)"
    )
    group.add_argument(
        "--encodings",
        type=_encodings,
        metavar="LIST",
        help="data encodings to offer, in order (e.g. tight,zrle,hextile,zlib,raw)",
    )
    group.add_argument(
        "--compression", type=_level, default=6, metavar="0-9", help="zlib level asked for (6)"
    )
    group.add_argument(
        "--quality",
        type=_level,
        metavar="0-9",
        help="allow lossy JPEG at this quality (Tight); lossless when absent",
    )

    keyboard = console.add_argument_group("keyboard")
    keyboard.add_argument(
        "--layout",
        default="us",
        metavar="L",
        help="the guest's keyboard layout, an xkb name: us, fr, de, ch(fr)... (us)",
    )
    keyboard.add_argument(
        "--keyboard",
        choices=[m.value for m in KeyboardMode],
        default=KeyboardMode.TRANSLATE.value,
        help="translate: type what you mean (default); physical: key positions; keysym: plain"
        " RFB keysyms (Xvnc, x11vnc)",
    )
    keyboard.add_argument(
        "--server-keymap",
        default="none",
        metavar="K",
        help="QEMU's -k keymap of the server (none, us, fr...): none when it has no -k",
    )
    keyboard.add_argument(
        "--no-extended-keys",
        action="store_true",
        help="send plain KeyEvents even when QEMU offers extended key events",
    )

    shot = commands.add_parser(
        "screenshot", parents=[console], help="save the console screen as a PNG image"
    )
    shot.add_argument("target", metavar="TARGET")
    shot.add_argument("file", metavar="FILE.png")
    shot.set_defaults(run=_screenshot)

    typer = commands.add_parser(
        "type", parents=[console], help="type a text into the console, in the guest's layout"
    )
    typer.add_argument("target", metavar="TARGET")
    source = typer.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", metavar="T", help="the text to type")
    source.add_argument("--stdin", action="store_true", help="type what standard input holds")
    typer.add_argument(
        "--delay-ms",
        type=_delay,
        default=DEFAULT_KEY_DELAY_MS,
        metavar="MS",
        help=f"time between key events ({DEFAULT_KEY_DELAY_MS:g}); a busy guest drops keys"
        " that come faster",
    )
    typer.set_defaults(run=_type)

    info = commands.add_parser(
        "info", parents=[console], help="show what the server offers and acknowledged"
    )
    info.add_argument("target", metavar="TARGET")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(run=_info)
    return parser


def _options(args: argparse.Namespace) -> SessionOptions:
    password = None
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    elif os.environ.get("OVHKVM_VNC_PASSWORD"):
        password = os.environ["OVHKVM_VNC_PASSWORD"]
    return SessionOptions(
        password=password,
        ca_file=args.ca_file,
        timeout=args.timeout,
        encodings=args.encodings or tuple(DEFAULT_ENCODINGS),
        compression=args.compression,
        quality=args.quality,
    )


class _ScreenWatcher(SessionListener):
    """Tracks which pixels have been painted since the (last) resize."""

    def __init__(self) -> None:
        self.painted = np.zeros((0, 0), bool)
        self.complete = asyncio.Event()
        self.answered = asyncio.Event()
        self.leds: LockState | None = None

    def on_connected(self, info: ServerInfo, framebuffer: Framebuffer) -> None:
        self.painted = np.zeros((framebuffer.height, framebuffer.width), bool)

    def on_resize(self, width: int, height: int) -> None:
        self.painted = np.zeros((height, width), bool)
        self.complete.clear()

    def on_update(self, rects: list[Rect]) -> None:
        painted = self.painted
        for r in rects:
            painted[r.y : r.y + r.height, r.x : r.x + r.width] = True
        if painted.size and painted.all():
            self.complete.set()

    def on_leds(self, leds: ev.LedState) -> None:
        self.leds = LockState(caps=leds.caps_lock, num=leds.num_lock, scroll=leds.scroll_lock)

    def on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.FramebufferUpdated) and event.answered_request:
            self.answered.set()


SessionBody = Callable[[ConsoleSession, "_ScreenWatcher", asyncio.Task[None]], Awaitable[int]]


async def _with_session(args: argparse.Namespace, body: SessionBody) -> int:
    target = parse_target(args.target)
    watcher = _ScreenWatcher()
    session = ConsoleSession(target, watcher, _options(args))
    await session.connect()
    reader = asyncio.create_task(session.run())
    try:
        return await body(session, watcher, reader)
    finally:
        await session.close()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConsoleError):
            await reader


async def _wait(
    what: asyncio.Event, reader: asyncio.Task[None], timeout: float, doing: str
) -> None:
    """Wait for ``what`` while the read loop runs; its failure ends the wait with its reason."""
    waiter = asyncio.create_task(what.wait())
    done, _ = await asyncio.wait({waiter, reader}, timeout=timeout, return_when="FIRST_COMPLETED")
    if waiter in done:
        return
    waiter.cancel()
    if reader in done:
        reader.result()  # raises ConnectionLost with the reason
        raise ConsoleError(f"the connection ended while {doing}")
    raise ConsoleError(f"timed out after {timeout:g} s while {doing}")


async def _screenshot(args: argparse.Namespace) -> int:
    async def body(
        session: ConsoleSession, watcher: _ScreenWatcher, reader: asyncio.Task[None]
    ) -> int:
        await _wait(watcher.complete, reader, args.timeout, "waiting for the whole screen")
        save_png(session.framebuffer, args.file)
        return 0

    return await _with_session(args, body)


async def _type(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.stdin else args.text
    if args.stdin and args.password_stdin:
        raise UsageError("--stdin and --password-stdin cannot both read standard input")

    async def body(
        session: ConsoleSession, watcher: _ScreenWatcher, reader: asyncio.Task[None]
    ) -> int:
        # QEMU acknowledges extended key events and reports the LEDs before its first update.
        await _wait(watcher.answered, reader, args.timeout, "waiting for the console")
        extended = (
            Encoding.QEMU_EXTENDED_KEY_EVENT in session.acknowledged and not args.no_extended_keys
        )
        translator = make_translator(args, extended)
        translator.set_leds(watcher.leds)
        typed = translator.type_text(text)
        await send_key_events(session, typed.events, args.delay_ms / 1000, reader)
        if typed.unsupported:
            chars = " ".join(repr(c) for c in typed.unsupported)
            print(
                f"{PROG}: the {args.layout} layout cannot type {chars}; typed everything else",
                file=sys.stderr,
            )
            return 3
        return 0

    return await _with_session(args, body)


def make_translator(args: argparse.Namespace, extended: bool) -> KeyTranslator:
    try:
        return KeyTranslator(args.layout, args.keyboard, args.server_keymap, extended)
    except UnknownLayoutError as exc:
        names = ", ".join(guest_layout_names())
        raise UsageError(f"{exc.args[0] if exc.args else exc}; known layouts: {names}") from None


async def send_key_events(
    session: ConsoleSession,
    events: Sequence[WireKeyEvent],
    delay: float,
    reader: asyncio.Task[None],
) -> None:
    """Send key events ``delay`` seconds apart (on a fixed schedule, so delays never add up)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index, event in enumerate(events):
        if reader.done():
            reader.result()  # the connection ended: raise its reason
            raise ConsoleError(f"the connection ended after {index} of {len(events)} key events")
        if event.extended:
            session.qemu_key_event(event.down, event.keysym, event.scancode)
        else:
            session.key_event(event.down, event.keysym)
        await session.drain()
        wait = start + (index + 1) * delay - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
    await session.drain()


def save_png(fb: Framebuffer, path: str) -> None:
    from PIL import Image

    image = Image.frombuffer("RGB", (fb.width, fb.height), fb.pixels, "raw", "BGRX", 0, 1)
    try:
        image.save(path, format="PNG")
    except OSError as exc:
        raise ConsoleError(f"cannot write {path}: {exc.strerror or exc}") from None


async def _info(args: argparse.Namespace) -> int:
    async def body(
        session: ConsoleSession, watcher: _ScreenWatcher, reader: asyncio.Task[None]
    ) -> int:
        await _wait(watcher.answered, reader, args.timeout, "waiting for the first update")
        # Acknowledgements QEMU sends in reply to SetEncodings come before the first update;
        # give other servers a moment more.
        await asyncio.sleep(0.2)
        assert session.info is not None and session.connection is not None
        print_info(session, args.json)
        return 0

    return await _with_session(args, body)


def info_dict(session: ConsoleSession) -> dict[str, object]:
    assert session.info is not None and session.connection is not None
    info = session.info
    fb = session.framebuffer
    acked = session.acknowledged
    encoding = session.connection.last_encoding
    return {
        "name": info.name,
        "width": fb.width,
        "height": fb.height,
        "protocol": info.protocol,
        "security": info.security,
        "pixel_format": info.pixel_format.describe(),
        "extensions": [name for code, name in EXTENSION_NAMES.items() if code in acked],
        "encoding": Encoding(encoding).name.lower() if encoding is not None else None,
        "transport": session.target.transport if session.target else None,
    }


def print_info(session: ConsoleSession, as_json: bool) -> None:
    data = info_dict(session)
    if as_json:
        print(json.dumps(data))
        return
    extensions = data["extensions"]
    assert isinstance(extensions, list)
    print(f"name:         {data['name']}")
    print(f"size:         {data['width']}x{data['height']}")
    print(f"protocol:     RFB {data['protocol']}")
    print(f"security:     {data['security']}")
    print(f"pixel format: {data['pixel_format']}")
    print(f"encoding:     {data['encoding'] or '-'}")
    print(f"extensions:   {', '.join(extensions) or '-'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        if inspect.iscoroutinefunction(args.run):
            return asyncio.run(args.run(args))
        return int(args.run(args))  # the window runs Qt's own event loop
    except ConsoleError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
