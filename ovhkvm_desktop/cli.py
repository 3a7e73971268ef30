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
from ovhkvm_desktop.cloud.resolve import is_ovh_target, resolve_target
from ovhkvm_desktop.errors import AuthenticationFailed, ConnectFailed, ConsoleError
from ovhkvm_desktop.handshake import ServerInfo
from ovhkvm_desktop.keyboard.layouts import (
    GuestSystem,
    UnknownLayoutError,
    guest_layout_names,
    load_layout,
)
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
from ovhkvm_desktop.session import ConsoleSession, SessionListener, SessionOptions, TargetSource
from ovhkvm_desktop.targets import parse_target
from ovhkvm_desktop.ui.commands import add_commands as add_window_commands

PROG = "ovhkvm-desktop"

#: Time between key events when typing a text. QEMU spaces key events 10 ms apart itself
#: (key-delay-ms) and queues the rest in a queue of about 340 events: a client sending faster
#: overfills it (measured on the test guest: 8 ms lost characters after ~490, 4 ms after ~160).
#: 15 ms leaves room for a backlog to drain; 10 ms was exact only on a quiet host.
DEFAULT_KEY_DELAY_MS = 15.0
#: The shortest time between two key events when catching up after a stall, in seconds.
MIN_KEY_GAP = 0.010


class UsageError(ConsoleError):
    pass


class _Default(str):
    """An option's default value that knows it is one: for ovh: targets the VPS keymap decides
    the guest layout and the server keymap unless the user chose them."""

    __slots__ = ()


def _given(value: object) -> bool:
    return not isinstance(value, _Default)


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
        "--profile", metavar="P", help="the OVHcloud profile of ovh:SERVICE targets (default one)"
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
        default=_Default("us"),
        metavar="L",
        help="the guest's keyboard layout, an xkb name: us, fr, de, ch(fr)... (us; for ovh:"
        " targets, the VPS keymap)",
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
        default=_Default("none"),
        metavar="K",
        help="QEMU's -k keymap of the server (none, us, fr...): none when it has no -k (for ovh:"
        " targets, the VPS keymap)",
    )
    keyboard.add_argument(
        "--guest",
        choices=[system.value for system in GuestSystem],
        default=GuestSystem.AUTO.value,
        help="what reads the guest's keyboard, which decides how accents compose: console (a"
        " Linux text console: characters the layout lacks are typed by their code, Alt +"
        " keypad), desktop (X11, Wayland: xkb's dead keys), auto (default: only what both"
        " type the same)",
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
    _add_cloud_commands(commands)
    add_window_commands(commands, console)
    return parser


def _add_cloud_commands(commands: Any) -> None:
    from ovhkvm_desktop.config import ENDPOINTS

    login = commands.add_parser(
        "login",
        help="log an OVHcloud account in and keep its secrets in the OS keyring",
        description="Log an OVHcloud account in as a profile. Secrets are read from standard"
        " input when it is not a terminal (else prompted), never from the command line, and"
        " stored in the OS keyring only.",
    )
    login.add_argument("--profile", default="default", metavar="P", help="profile name (default)")
    login.add_argument(
        "--endpoint", choices=ENDPOINTS, metavar="E", help=f"one of {', '.join(ENDPOINTS)}"
    )
    how = login.add_mutually_exclusive_group()
    how.add_argument(
        "--application-key",
        metavar="AK",
        help="your application key (its secret is read from stdin or prompted)",
    )
    how.add_argument(
        "--oauth2",
        action="store_true",
        help="an OAuth2 service account (--client-id; the secret from stdin or prompted)",
    )
    how.add_argument(
        "--from-env",
        action="store_true",
        help="import OVH_ENDPOINT, OVH_APPLICATION_KEY/SECRET, OVH_CONSUMER_KEY (or"
        " OVH_CLIENT_ID/SECRET)",
    )
    how.add_argument("--from-file", metavar="PATH", help="import an ovh.conf file")
    login.add_argument("--client-id", metavar="ID", help="the OAuth2 service account's id")
    login.add_argument(
        "--consumer-key-stdin",
        action="store_true",
        help="you already hold a consumer key: read it after the application secret",
    )
    login.add_argument(
        "--no-browser", action="store_true", help="print the validation link, do not open it"
    )
    login.add_argument(
        "--timeout",
        type=_seconds,
        default=600.0,
        metavar="S",
        help="how long to wait for the validation (600)",
    )
    login.add_argument(
        "--poll-interval", type=_seconds, default=3.0, metavar="S", help=argparse.SUPPRESS
    )
    login.set_defaults(run=_login)

    logout = commands.add_parser(
        "logout", help="forget a profile and delete its secrets from the keyring"
    )
    logout.add_argument("--profile", metavar="P", help="the profile (the default one)")
    logout.set_defaults(run=_logout)

    servers = commands.add_parser("servers", help="list the servers of a profile")
    servers.add_argument("--profile", metavar="P", help="the profile (the default one)")
    servers.add_argument("--json", action="store_true", help="print a JSON array")
    servers.set_defaults(run=_servers)

    rescue = commands.add_parser(
        "rescue", help="reboot a VPS into rescue mode (or back with --exit)"
    )
    rescue.add_argument("service", metavar="SERVICE", help="the VPS service name")
    rescue.add_argument("--profile", metavar="P", help="the profile (the default one)")
    rescue.add_argument(
        "--exit", action="store_true", help="switch back to the local disk and reboot"
    )
    rescue.add_argument(
        "--open", action="store_true", help="then open its console window, full screen"
    )
    rescue.add_argument("--yes", action="store_true", help="do not ask before rebooting")
    rescue.add_argument(
        "--timeout",
        type=_seconds,
        default=900.0,
        metavar="S",
        help="how long the VPS may take to get there (900)",
    )
    rescue.add_argument(
        "--poll-interval", type=_seconds, default=5.0, metavar="S", help=argparse.SUPPRESS
    )
    rescue.set_defaults(run=_rescue)


def session_options(args: argparse.Namespace) -> SessionOptions:
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


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


async def _with_session(args: argparse.Namespace, body: SessionBody) -> int:
    if is_ovh_target(args.target):
        resolved = await asyncio.to_thread(
            resolve_target,
            args.target,
            args.profile,
            progress=_say,
            on_keyring_notice=_say,
        )
        # The VPS keymap decides unless the user chose (DESIGN.md, the keyboard model).
        if not _given(args.layout) and resolved.layout:
            args.layout = resolved.layout
        if not _given(args.server_keymap) and resolved.server_keymap:
            args.server_keymap = resolved.server_keymap
        source: TargetSource = resolved.source
        console = resolved.console
    else:
        source = parse_target(args.target)
        console = None
    watcher = _ScreenWatcher()
    session = ConsoleSession(source, watcher, session_options(args))
    await _connect(session, console)
    reader = asyncio.create_task(session.run())
    try:
        return await body(session, watcher, reader)
    finally:
        await session.close()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConsoleError):
            await reader


async def _connect(session: ConsoleSession, console: object | None) -> None:
    """Connect; for an OVH VPS, fall back to its next console door when one fails."""
    from ovhkvm_desktop.cloud.consoles import VpsConsole

    while True:
        try:
            await session.connect()
        except (ConnectFailed, AuthenticationFailed) as exc:
            if not isinstance(console, VpsConsole) or console.door is None:
                raise
            failed = console.door
            if not console.next_door(exc):
                raise console.exhausted() from None
            _say(f"the {failed} console did not connect ({exc}); trying the next way in")
            continue
        if isinstance(console, VpsConsole):
            console.connected()
        return


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
            print(
                f"{PROG}: {untypable_message(args, typed.unsupported, extended)}", file=sys.stderr
            )
            return 3
        return 0

    return await _with_session(args, body)


def untypable_message(args: argparse.Namespace, chars: Sequence[str], extended: bool) -> str:
    """One line: which characters were left out, and why."""
    layout = load_layout(args.layout, args.guest)
    clauses = []
    for_keys = [c for c in chars if layout.can_type(c)]  # the keys exist; the server misses them
    if for_keys:
        if args.server_keymap != "none":
            why = f"with the server keymap {args.server_keymap}"
        elif not extended:
            why = "with plain key events (through the en-us keymap of QEMU)"
        else:
            why = "with the keys this server can press"
        clauses.append(f"{_listed(for_keys)} {why}")
    lacking = [c for c in chars if not layout.can_type(c)]
    console = [c for c in lacking if load_layout(args.layout, GuestSystem.CONSOLE).can_type(c)]
    desktop = [c for c in console if load_layout(args.layout, GuestSystem.DESKTOP).can_type(c)]
    if args.guest == GuestSystem.AUTO and desktop:
        clauses.append(
            f"{_listed(desktop)} the same way on a Linux text console and on a desktop"
            " (--guest console or --guest desktop says which the guest is)"
        )
    if args.guest == GuestSystem.AUTO and len(console) > len(desktop):
        only = [c for c in console if c not in desktop]
        clauses.append(
            f"{_listed(only)} unless the guest is a Linux text console (--guest console types"
            " them by their code)"
        )
    others = [c for c in lacking if args.guest != GuestSystem.AUTO or c not in console]
    if others:
        where = {GuestSystem.CONSOLE: ", even by code", GuestSystem.DESKTOP: " on a desktop"}
        clauses.append(
            f"{_listed(others)} on this guest layout{where.get(GuestSystem(args.guest), '')}"
        )
    return f"the {args.layout} layout cannot type {', nor '.join(clauses)}; typed everything else"


def _listed(chars: Sequence[str]) -> str:
    return " ".join(repr(c) for c in chars)


def make_translator(args: argparse.Namespace, extended: bool) -> KeyTranslator:
    try:
        return KeyTranslator(
            args.layout, args.keyboard, args.server_keymap, extended, system=args.guest
        )
    except UnknownLayoutError as exc:
        names = ", ".join(guest_layout_names())
        raise UsageError(f"{exc.args[0] if exc.args else exc}; known layouts: {names}") from None


async def send_key_events(
    session: ConsoleSession,
    events: Sequence[WireKeyEvent],
    delay: float,
    reader: asyncio.Task[None],
) -> None:
    """Send key events ``delay`` seconds apart, on a fixed schedule so that delays never add
    up; after a stall (a slow link, a busy host) the schedule catches up no faster than one
    event per ``MIN_KEY_GAP`` (or ``delay`` if shorter), never in a burst the guest would drop."""
    loop = asyncio.get_running_loop()
    gap = min(delay, MIN_KEY_GAP)
    due = loop.time()
    for index, event in enumerate(events):
        if reader.done():
            reader.result()  # the connection ended: raise its reason
            raise ConsoleError(f"the connection ended after {index} of {len(events)} key events")
        if event.extended:
            session.qemu_key_event(event.down, event.keysym, event.scancode)
        else:
            session.key_event(event.down, event.keysym)
        await session.drain()
        now = loop.time()
        due = max(due + delay, now + gap)
        if due > now:
            await asyncio.sleep(due - now)
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


# -- OVHcloud commands ---------------------------------------------------------------------------


def _secrets() -> Any:
    from ovhkvm_desktop.secrets import Secrets

    return Secrets(on_fallback=_say)


def _read_secret(prompt: str) -> str:
    """A secret from standard input (one line) when it is not a terminal, else a hidden prompt."""
    if sys.stdin is None:
        raise UsageError(f"{prompt} is needed: give it on standard input")
    if sys.stdin.isatty():
        import getpass

        value = getpass.getpass(f"{prompt}: ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value.strip():
        raise UsageError(f"no {prompt.lower()} was given")
    return value.strip()


class _Countdown:
    """The time left for the validation: one updated line on a terminal, else a line a minute."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last: int | None = None

    def __call__(self, left: float) -> None:
        seconds = int(left)
        if self.tty:
            if seconds != self.last:
                print(
                    f"\rwaiting for the validation: {seconds // 60}:{seconds % 60:02d} left"
                    " (Ctrl+C cancels) ",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
                self.last = seconds
        elif self.last is None or self.last - seconds >= 60:
            _say(f"waiting for the validation: {seconds} s left (Ctrl+C cancels)")
            self.last = seconds

    def done(self) -> None:
        if self.tty and self.last is not None:
            print(file=sys.stderr)


def _login(args: argparse.Namespace) -> int:
    from ovhkvm_desktop.cloud import login as flow
    from ovhkvm_desktop.config import Settings, check_profile_name

    check_profile_name(args.profile)
    settings = Settings()
    if args.from_env or args.from_file:
        found = flow.from_environment() if args.from_env else flow.from_ovh_conf(args.from_file)
        if args.endpoint and args.endpoint != found.endpoint:
            raise UsageError(
                f"the imported credentials are for {found.endpoint}, not {args.endpoint}"
            )
        if found.method == "application" and not found.consumer_key:
            raise UsageError(
                "the imported credentials have no consumer key: log in with --application-key"
                " to get one"
            )
        flow.verify(found, args.profile)
        credentials = found
    else:
        if not args.endpoint:
            raise UsageError("--endpoint is needed (ovh-eu, ovh-ca, ovh-us...)")
        if args.oauth2:
            if not args.client_id:
                raise UsageError("--oauth2 needs --client-id")
            credentials = flow.Credentials(
                args.endpoint,
                client_id=args.client_id,
                client_secret=_read_secret("OAuth2 client secret"),
            )
            flow.verify(credentials, args.profile)
        elif args.application_key:
            secret = _read_secret("Application secret")
            if args.consumer_key_stdin:
                credentials = flow.Credentials(
                    args.endpoint, args.application_key, secret, _read_secret("Consumer key")
                )
                flow.verify(credentials, args.profile)
            else:
                credentials = _validate_new_key(args, flow, secret)
        else:
            raise UsageError(
                "say how to log in: --application-key AK, --oauth2 --client-id ID, --from-env"
                " or --from-file PATH"
            )
    secrets = _secrets()
    profile = flow.save_profile(settings, secrets, args.profile, credentials)
    where = f"the keyring ({secrets.backend_name})" if secrets.persistent else "memory only"
    print(f"logged in: profile {profile.name} on {profile.endpoint}; secrets in {where}")
    return 0


def _validate_new_key(args: argparse.Namespace, flow: Any, secret: str) -> Any:
    pending = flow.request_consumer_key(
        flow.Credentials(args.endpoint, args.application_key, secret), args.profile
    )
    _say("open this link, log in to OVHcloud and grant the access:")
    print(pending.validation_url, flush=True)
    if not args.no_browser:
        import webbrowser

        with contextlib.suppress(Exception):
            webbrowser.open(pending.validation_url)
    countdown = _Countdown()
    try:
        return flow.wait_for_validation(
            pending,
            timeout=args.timeout,
            interval=args.poll_interval,
            on_wait=countdown,
            name=args.profile,
        )
    finally:
        countdown.done()


def _logout(args: argparse.Namespace) -> int:
    from ovhkvm_desktop.cloud.login import delete_profile
    from ovhkvm_desktop.config import Settings

    settings = Settings()
    profile = settings.profile(args.profile)
    delete_profile(settings, _secrets(), profile.name)
    print(f"profile {profile.name} and its secrets deleted")
    return 0


def _api(profile_name: str | None) -> Any:
    from ovhkvm_desktop.cloud.client import OvhApi
    from ovhkvm_desktop.config import Settings

    settings = Settings()
    return OvhApi.for_profile(settings.profile(profile_name), _secrets())


def _servers(args: argparse.Namespace) -> int:
    from ovhkvm_desktop.cloud.inventory import fetch_servers

    listing = fetch_servers(_api(args.profile))
    for warning in listing.warnings:
        _say(warning)
    if args.json:
        print(json.dumps([s.to_json() for s in listing.servers], indent=2))
        return 0
    columns = ("kind", "name", "displayName", "state", "model", "zone", "keymap", "netbootMode")
    rows = [[str(getattr(s, c) or "-") for c in columns] for s in listing.servers]
    header = ["KIND", "NAME", "DISPLAY NAME", "STATE", "MODEL", "ZONE", "KEYMAP", "NETBOOT"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if not rows:
        _say("no servers in this account")
    return 0


def _confirm(question: str) -> bool:
    if sys.stdin is None or not sys.stdin.isatty():
        raise UsageError(f"{question} Add --yes to confirm without a terminal")
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _window_opener() -> Callable[..., int] | None:
    """The console window's `open_console(TARGET, profile=, fullscreen=)`, when this
    installation has a window that opens ovh: targets."""
    import importlib.util

    if importlib.util.find_spec("ovhkvm_desktop.ui") is None:
        return None
    try:
        from ovhkvm_desktop.ui import commands
    except ImportError:  # the window's own dependencies (Qt) are missing
        return None
    opener = getattr(commands, "open_console", None)
    return opener if callable(opener) else None


def _rescue(args: argparse.Namespace) -> int:
    from ovhkvm_desktop.cloud import rescue

    opener = _window_opener() if args.open else None
    if args.open and opener is None:
        raise UsageError(
            "--open needs the console window for ovh: targets, which this installation does"
            " not have: run without --open, then"
            f" 'ovhkvm-desktop screenshot ovh:{args.service} FILE.png'"
            f" or 'ovhkvm-desktop type ovh:{args.service} --text T'"
        )
    api = _api(args.profile)
    chosen = rescue.plan(api, args.service, leave=args.exit)
    if not chosen.already_there and not args.yes and not _confirm(chosen.question):
        raise ConsoleError("nothing done")
    server = rescue.switch(
        api,
        chosen,
        progress=_say,
        poll_interval=args.poll_interval,
        timeout=args.timeout,
        grace=rescue.SELF_REBOOT_GRACE,
    )
    if args.exit:
        print(f"{server.name} is back on its own system ({server.state})")
    else:
        print(
            f"{server.name} is in rescue mode: its root password is sent to the account's"
            " e-mail address"
        )
    if opener is not None and not args.exit:
        # OVHcloud's rescue system greets on the Linux text console.
        return int(
            opener(f"ovh:{args.service}", profile=args.profile, fullscreen=True, guest="console")
        )
    return 0


def _app(args: argparse.Namespace) -> int:
    """The app: its main window and tray icon, Qt's event loop until it quits."""
    import importlib.util

    if sys.platform.startswith("linux") and not any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    ):
        # Qt would abort the process with a message of its own.
        raise UsageError(
            "the app needs a graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set);"
            " the headless commands work without one: see 'ovhkvm-desktop --help'"
        )
    if importlib.util.find_spec("PySide6") is None:
        raise UsageError(
            "the app needs Qt (pip install PySide6-Essentials); the headless commands work"
            " without it: see 'ovhkvm-desktop --help'"
        )
    from ovhkvm_desktop.ui.app import run_app

    return run_app()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        if args.command is not None:
            parser.print_help(sys.stderr)
            return 2
        args.run = _app  # no command: the app, main window and tray icon
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
