"""The console commands: `open` (the window), and the headless `screenshot`, `type`, `info`,
`read` and `wait`, each one console session on asyncio."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ovhkvm_desktop.cli.output import escaped, say
from ovhkvm_desktop.cli.parser import CONNECT_TIMEOUT, UsageError, console_request
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.keyboard.layouts import GuestSystem, load_layout
from ovhkvm_desktop.keyboard.translator import KeyTranslator, LockState
from ovhkvm_desktop.opening import ConsoleRequest, Opening, browse_kvm, open_console
from ovhkvm_desktop.rfb import events as ev
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.screen_text import ScreenText, read_screen
from ovhkvm_desktop.session import ConsoleSession, ServerInfo, SessionListener, type_events
from ovhkvm_desktop.words import N_, _

if TYPE_CHECKING:
    from ovhkvm_desktop.cloud.consoles import DedicatedServer


class _ScreenWatcher(SessionListener):
    """Tracks which pixels have been painted since the (last) resize."""

    def __init__(self) -> None:
        self.painted = np.zeros((0, 0), bool)
        self.complete = asyncio.Event()
        self.answered = asyncio.Event()
        self.leds: LockState | None = None

    def on_progress(self, message: str) -> None:
        say(message)

    def on_connected(self, info: ServerInfo, framebuffer: Framebuffer, encrypted: bool) -> None:
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


class _TextWatcher(_ScreenWatcher):
    """Also reads the screen's text after each update that answered a request, once the whole
    screen is painted: at that moment the framebuffer holds what the server finished painting
    (the next update cannot have begun, as it answers a request not yet sent), which is what the
    screen reader needs. ``looking_for``: `wait`'s text, ``found`` set when a reading has it."""

    def __init__(self, looking_for: str | None = None) -> None:
        super().__init__()
        self.looking_for = looking_for
        self.screen: ScreenText | None = None
        self.read = asyncio.Event()
        self.found = asyncio.Event()
        self._framebuffer: Framebuffer | None = None
        self._changed = False

    def on_connected(self, info: ServerInfo, framebuffer: Framebuffer, encrypted: bool) -> None:
        super().on_connected(info, framebuffer, encrypted)
        self._framebuffer = framebuffer

    def on_update(self, rects: list[Rect]) -> None:
        super().on_update(rects)
        self._changed = self._changed or bool(rects)

    def on_event(self, event: ev.Event) -> None:
        super().on_event(event)
        if not (isinstance(event, ev.FramebufferUpdated) and event.answered_request):
            return
        if self._framebuffer is None or not self.complete.is_set() or not self._changed:
            return  # half a screen, or the same screen read already
        self._changed = False
        self.screen = screen = read_screen(self._framebuffer)
        self.read.set()
        if self.looking_for and screen.find(self.looking_for):
            self.found.set()


SessionBody = Callable[
    [ConsoleSession, _ScreenWatcher, asyncio.Task[None], Opening], Awaitable[int]
]


async def _with_session(
    args: argparse.Namespace,
    body: SessionBody,
    watcher: _ScreenWatcher | None = None,
    connect_timeout: float | None = None,
) -> int:
    request = console_request(args, connect_timeout)
    opening = await asyncio.to_thread(open_console, request, on_keyring_notice=say)
    watcher = _ScreenWatcher() if watcher is None else watcher
    session = ConsoleSession(opening.source, watcher, request.options)
    await session.connect()
    if session.door is not None and session.door.name and not session.encrypted:
        say(
            _(
                "unencrypted console: the {door} console of {server} is plain VNC, without TLS"
                " (the older VPS range)"
            ).format(door=session.door.name, server=opening.title)
        )
    reader = asyncio.create_task(session.run())
    try:
        return await body(session, watcher, reader, opening)
    finally:
        await session.close()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConsoleError):
            await reader


#: What a command waits for: (the sentence when the connection ends meanwhile, the sentence
#: when the time is up), marked for the catalogue, said with ``{seconds}`` and ``{text}``.
WAITING_FOR_THE_SCREEN = (
    N_("the connection ended while waiting for the whole screen"),
    N_("timed out after {seconds} s while waiting for the whole screen"),
)
WAITING_FOR_THE_CONSOLE = (
    N_("the connection ended while waiting for the console"),
    N_("timed out after {seconds} s while waiting for the console"),
)
WAITING_FOR_AN_UPDATE = (
    N_("the connection ended while waiting for the first update"),
    N_("timed out after {seconds} s while waiting for the first update"),
)
WAITING_FOR_TEXT = (
    N_("the connection ended while waiting for {text} on the screen"),
    N_("timed out after {seconds} s waiting for {text} on the screen"),
)


async def _wait(
    what: asyncio.Event,
    reader: asyncio.Task[None],
    timeout: float,
    waiting: tuple[str, str],
    *,
    seconds: float | None = None,
    text: str = "",
) -> None:
    """Wait for ``what`` while the read loop runs; its failure ends the wait with its reason.
    ``waiting``: the sentences that say it ended or timed out (``WAITING_FOR_...``), with
    ``seconds`` (default: ``timeout``) and ``text``."""
    if what.is_set():
        return
    waiter = asyncio.create_task(what.wait())
    done, _pending = await asyncio.wait(
        {waiter, reader}, timeout=timeout, return_when="FIRST_COMPLETED"
    )
    if waiter in done:
        return
    waiter.cancel()
    ended, timed_out = waiting
    if reader in done:
        reader.result()  # raises ConnectionLost with the reason
        raise ConsoleError(_(ended).format(text=f"'{text}'"))
    shown = timeout if seconds is None else seconds
    raise ConsoleError(_(timed_out).format(seconds=f"{shown:g}", text=f"'{text}'"))


async def screenshot(args: argparse.Namespace) -> int:
    async def body(
        session: ConsoleSession,
        watcher: _ScreenWatcher,
        reader: asyncio.Task[None],
        _opening: Opening,
    ) -> int:
        await _wait(watcher.complete, reader, args.timeout, WAITING_FOR_THE_SCREEN)
        save_png(session.framebuffer, args.file)
        return 0

    return await _with_session(args, body)


async def type_text(args: argparse.Namespace) -> int:
    if args.stdin and args.password_stdin:
        raise UsageError(_("--stdin and --password-stdin cannot both read standard input"))
    text = sys.stdin.read() if args.stdin else args.text

    async def body(
        session: ConsoleSession,
        watcher: _ScreenWatcher,
        reader: asyncio.Task[None],
        opening: Opening,
    ) -> int:
        # QEMU acknowledges extended key events and reports the LEDs before its first update.
        await _wait(watcher.answered, reader, args.timeout, WAITING_FOR_THE_CONSOLE)
        extended = session.capabilities.extended_keys and opening.request.extended_keys
        translator = KeyTranslator(
            opening.layout,
            opening.keyboard,
            opening.server_keymap,
            extended,
            system=opening.guest,
        )
        translator.set_leds(watcher.leds)
        typed = translator.type_text(text)
        typing = asyncio.create_task(type_events(session, typed.events, args.delay_ms / 1000))
        await asyncio.wait({typing, reader}, return_when="FIRST_COMPLETED")
        if not typing.done():
            typing.cancel()
            reader.result()  # the connection ended: raise its reason
        typing.result()
        if typed.unsupported:
            say(untypable_message(opening, typed.unsupported, extended))
            return 3
        return 0

    return await _with_session(args, body)


def untypable_message(opening: Opening, chars: Sequence[str], extended: bool) -> str:
    """One line: which characters were left out, and why (a sentence for each reason)."""
    name, guest, keymap = opening.layout, opening.guest, opening.server_keymap
    layout = load_layout(name, guest)
    said: list[str] = []

    def cannot(sentence: str, chars: Sequence[str]) -> None:
        said.append(_(sentence).format(layout=name, chars=_listed(chars), keymap=keymap))

    for_keys = [c for c in chars if layout.can_type(c)]  # the keys exist; the server misses them
    if for_keys:
        if keymap != "none":
            cannot(
                N_("the {layout} layout cannot type {chars} with the server keymap {keymap}"),
                for_keys,
            )
        elif not extended:
            cannot(
                N_(
                    "the {layout} layout cannot type {chars} with plain key events (through the"
                    " en-us keymap of QEMU)"
                ),
                for_keys,
            )
        else:
            cannot(
                N_("the {layout} layout cannot type {chars} with the keys this server can press"),
                for_keys,
            )
    lacking = [c for c in chars if not layout.can_type(c)]
    console = [c for c in lacking if load_layout(name, GuestSystem.CONSOLE).can_type(c)]
    desktop = [c for c in console if load_layout(name, GuestSystem.DESKTOP).can_type(c)]
    if guest == GuestSystem.AUTO and desktop:
        cannot(
            N_(
                "the {layout} layout cannot type {chars} the same way on a Linux text console and"
                " on a desktop (--guest console or --guest desktop says which the guest is)"
            ),
            desktop,
        )
    if guest == GuestSystem.AUTO and len(console) > len(desktop):
        cannot(
            N_(
                "the {layout} layout cannot type {chars} unless the guest is a Linux text console"
                " (--guest console types them by their code)"
            ),
            [c for c in console if c not in desktop],
        )
    others = [c for c in lacking if guest != GuestSystem.AUTO or c not in console]
    if others:
        if guest == GuestSystem.CONSOLE:
            cannot(N_("the {layout} layout cannot type {chars}, even by code"), others)
        elif guest == GuestSystem.DESKTOP:
            cannot(N_("the {layout} layout cannot type {chars} on a desktop"), others)
        else:
            cannot(N_("the {layout} layout cannot type {chars}"), others)
    return _("{reasons}; typed everything else").format(reasons="; ".join(said))


def _listed(chars: Sequence[str]) -> str:
    return " ".join(repr(c) for c in chars)


def save_png(fb: Framebuffer, path: str) -> None:
    from PIL import Image

    image = Image.frombuffer("RGB", (fb.width, fb.height), fb.pixels, "raw", "BGRX", 0, 1)
    try:
        image.save(path, format="PNG")
    except OSError as exc:
        raise ConsoleError(
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from None


async def info(args: argparse.Namespace) -> int:
    async def body(
        session: ConsoleSession,
        watcher: _ScreenWatcher,
        reader: asyncio.Task[None],
        _opening: Opening,
    ) -> int:
        await _wait(watcher.answered, reader, args.timeout, WAITING_FOR_AN_UPDATE)
        # Acknowledgements QEMU sends in reply to SetEncodings come before the first update;
        # give other servers a moment more.
        await asyncio.sleep(0.2)
        print_info(session, args.json)
        return 0

    return await _with_session(args, body)


async def read_text(args: argparse.Namespace) -> int:
    """`read TARGET [--json]`: the text of the first complete screen."""
    watcher = _TextWatcher()

    async def body(
        session: ConsoleSession,
        _watcher: _ScreenWatcher,
        reader: asyncio.Task[None],
        _opening: Opening,
    ) -> int:
        await _wait(watcher.read, reader, args.timeout, WAITING_FOR_THE_SCREEN)
        assert watcher.screen is not None
        print_screen(watcher.screen, args.json)
        return 0

    return await _with_session(args, body, watcher)


def print_screen(screen: ScreenText, as_json: bool) -> None:
    """What `read` prints: the rows, or one JSON object; a screen without text is an error (a
    script that reads a graphical screen gets one line that says so, not pixels as letters)."""
    if screen.font is None:
        raise ConsoleError(
            _(
                "the screen shows no text this client can read: it is not a text console (a"
                " graphical screen), or its font is not one of the known console fonts"
            )
        )
    if as_json:
        print(json.dumps(screen.as_json()))  # JSON escapes every control character itself
        return
    encoding = sys.stdout.encoding or "utf-8"
    for row in screen.rows:
        # A terminal that cannot show a box-drawing line or an accent gets an escape, not a
        # traceback.
        line = escaped(row.rstrip(" ")).encode(encoding, "backslashreplace").decode(encoding)
        print(line)


async def wait_for_text(args: argparse.Namespace) -> int:
    """`wait TARGET --for TEXT`: 0 when a complete screen shows TEXT on a row; its --timeout
    counts from the start, connecting included (which gets at most CONNECT_TIMEOUT)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + args.timeout
    watcher = _TextWatcher(looking_for=args.text)

    async def body(
        session: ConsoleSession,
        _watcher: _ScreenWatcher,
        reader: asyncio.Task[None],
        _opening: Opening,
    ) -> int:
        await _wait(
            watcher.found,
            reader,
            max(deadline - loop.time(), 0.0),
            WAITING_FOR_TEXT,
            seconds=args.timeout,
            text=args.text,
        )
        return 0

    return await _with_session(
        args, body, watcher, connect_timeout=min(CONNECT_TIMEOUT, args.timeout)
    )


def info_dict(session: ConsoleSession) -> dict[str, object]:
    assert session.info is not None
    info = session.info
    fb = session.framebuffer
    return {
        "name": info.name,
        "width": fb.width,
        "height": fb.height,
        "protocol": info.protocol,
        "security": info.security,
        "pixel_format": info.pixel_format.describe(),
        "extensions": session.extensions,
        "encoding": session.encoding_name,
        "transport": session.target.transport if session.target else None,
    }


def print_info(session: ConsoleSession, as_json: bool) -> None:
    data = info_dict(session)
    if as_json:
        print(json.dumps(data))  # JSON escapes every control character itself
        return
    extensions = data["extensions"]
    assert isinstance(extensions, list)
    rows = [
        (_("name:"), escaped(str(data["name"]))),
        (_("size:"), f"{data['width']}x{data['height']}"),
        (_("protocol:"), f"RFB {data['protocol']}"),
        (_("security:"), str(data["security"])),
        (_("pixel format:"), str(data["pixel_format"])),
        (_("encoding:"), str(data["encoding"] or "-")),
        (_("extensions:"), ", ".join(extensions) or "-"),
    ]
    width = max(len(label) for label, _value in rows) + 1
    for label, value in rows:
        print(f"{label:<{width}}{value}")


# -- the window --------------------------------------------------------------------------------


def open_window(args: argparse.Namespace) -> int:
    """`open TARGET`: the console window, Qt's event loop until it closes."""
    from ovhkvm_desktop.cloud.consoles import DedicatedServer

    request = console_request(args)
    if _handed_to_the_app(request, args):
        return 0
    try:
        # Blocking (it asks the API about the VPS): done before Qt starts, progress on stderr.
        opening = open_console(request, on_keyring_notice=say)
    except DedicatedServer as dedicated:
        return open_dedicated_kvm(dedicated)
    return show_console(
        opening,
        fullscreen=args.fullscreen,
        view_only=args.view_only,
        scale=args.scale,
        menu_key=args.menu_key,
    )


def _handed_to_the_app(request: ConsoleRequest, args: argparse.Namespace) -> bool:
    """When the app runs (for these settings), it opens the console in its own window (a
    vnc:// link clicked while it runs too): no second app, no second tray icon."""
    if importlib.util.find_spec("PySide6") is None:
        return False
    from ovhkvm_desktop.opening import is_ovh_target
    from ovhkvm_desktop.targets import parse_target
    from ovhkvm_desktop.ui.instance import OPEN, AppRequest, hand_off

    if not is_ovh_target(request.target):
        parse_target(request.target)  # a mistake is said here, in one line, not in the app

    view = {
        "fullscreen": args.fullscreen,
        "view_only": args.view_only,
        "scale": args.scale,  # None: the app's setting
        "menu_key": args.menu_key,
    }
    if not hand_off(AppRequest(OPEN, request, view)):
        return False
    say(_("the running ovhkvm-desktop opens the console"))
    return True


def show_console(opening: Opening, **view: object) -> int:
    """The console window on ``opening``, with ``view`` the window's options (``WindowOptions``'
    fields: fullscreen, view_only, scale, menu_key); Qt's event loop until it closes."""
    from ovhkvm_desktop.qt_runtime import require_qt_runtime

    require_qt_runtime()  # before Qt loads: a missing library in words, not Qt's abort
    from ovhkvm_desktop.ui.app import run_console_window
    from ovhkvm_desktop.ui.console_window import WindowOptions

    return run_console_window(opening, WindowOptions(**view), progress=say)  # type: ignore[arg-type]


def open_dedicated_kvm(dedicated: DedicatedServer) -> int:
    """A dedicated server's KVM is its vendor's HTML5 page: ask OVHcloud for it, open it in the
    browser, and print its address on a line of its own (for a browser elsewhere)."""
    page = browse_kvm(dedicated, progress=say, on_url=lambda url: print(escaped(url), flush=True))
    if not page.opened:
        say(_("no browser could be started: open the address above"))
    return 0
