"""The command line's arguments (DESIGN.md's contract), and the console request they make."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ovhkvm_desktop import __version__
from ovhkvm_desktop.cli.output import PROG
from ovhkvm_desktop.config import ENDPOINTS
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.keyboard.layouts import GuestSystem
from ovhkvm_desktop.keyboard.translator import KeyboardMode
from ovhkvm_desktop.opening import ConsoleRequest
from ovhkvm_desktop.rfb.connection import DEFAULT_ENCODINGS
from ovhkvm_desktop.rfb.encodings import DATA_ENCODINGS
from ovhkvm_desktop.session import DEFAULT_KEY_DELAY_MS, SessionOptions
from ovhkvm_desktop.words import N_, _

SCALE_CHOICES = ("fit", "actual", "remote")


class UsageError(ConsoleError):
    """The arguments ask for something that cannot be done as asked."""


def _encodings(text: str) -> tuple[int, ...]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATA_ENCODINGS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            _("unknown encoding {names}; choose from {choices}").format(
                names=", ".join(unknown) or _("(none)"), choices=", ".join(DATA_ENCODINGS)
            )
        )
    return tuple(DATA_ENCODINGS[n] for n in names)


def _number(kind: type[int] | type[float], low: float, high: float, says: str) -> Any:
    """An argparse type: a number of ``kind`` from ``low`` to ``high``, else ``says``."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(_(says)) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(_(says))
        return value

    return parse


_level = _number(int, 0, 9, N_("a level is a number from 0 to 9"))
_seconds = _number(float, 0.001, 86400, N_("a timeout is a number of seconds above 0"))
_delay = _number(float, 0, 1000, N_("a delay is a number of milliseconds from 0 to 1000"))

#: How long `wait` gives the connection (its own --timeout is for the text); the console
#: commands' default --timeout.
CONNECT_TIMEOUT = 15.0
#: `wait`'s --timeout when absent: long enough for a console to print a prompt after a key.
WAIT_TIMEOUT = 30.0


def _one_line(text: str) -> str:
    """An argparse type: a text of one line, not empty (what `wait --for` can find on a row)."""
    if not text or "\n" in text or "\r" in text:
        raise argparse.ArgumentTypeError(_("the text is one line, not empty: a row of the screen"))
    return text


def _console_options(
    timeout: tuple[float, str] = (CONNECT_TIMEOUT, N_("give up after S seconds (15)")),
) -> argparse.ArgumentParser:
    """The options every console command shares (``timeout``: --timeout's default and help)."""
    console = argparse.ArgumentParser(add_help=False)
    group = console.add_argument_group(_("connection"))
    group.add_argument(
        "--password-stdin",
        action="store_true",
        help=_(
            "read the VNC password from the first line of standard input"
            " (or set OVHKVM_VNC_PASSWORD)"
        ),
    )
    group.add_argument(
        "--ca-file", metavar="FILE", help=_("also trust this CA for wss:// and https://")
    )
    group.add_argument(
        "--profile",
        metavar="P",
        help=_("the OVHcloud profile of ovh:SERVICE targets (default one)"),
    )
    group.add_argument(
        "--timeout", type=_seconds, default=timeout[0], metavar="S", help=_(timeout[1])
    )
    group.add_argument(
        "--encodings",
        type=_encodings,
        metavar="LIST",
        help=_("data encodings to offer, in order (e.g. tight,zrle,hextile,zlib,raw)"),
    )
    group.add_argument(
        "--compression", type=_level, default=6, metavar="0-9", help=_("zlib level asked for (6)")
    )
    group.add_argument(
        "--quality",
        type=_level,
        metavar="0-9",
        help=_("allow lossy JPEG at this quality (Tight); lossless when absent"),
    )

    keyboard = console.add_argument_group(_("keyboard"))
    keyboard.add_argument(
        "--layout",
        metavar="L",
        help=_(
            "the guest's keyboard layout, an xkb name: us, fr, de, ch(fr)... (us; for ovh:"
            " targets, the VPS keymap)"
        ),
    )
    keyboard.add_argument(
        "--keyboard",
        choices=[m.value for m in KeyboardMode],
        help=_(
            "translate: type what you mean (default); physical: key positions; keysym: plain"
            " RFB keysyms (Xvnc, x11vnc)"
        ),
    )
    keyboard.add_argument(
        "--server-keymap",
        metavar="K",
        help=_(
            "QEMU's -k keymap of the server (none, us, fr...): none when it has no -k (for ovh:"
            " targets, the VPS keymap)"
        ),
    )
    keyboard.add_argument(
        "--guest",
        choices=[system.value for system in GuestSystem],
        help=_(
            "what reads the guest's keyboard, which decides how accents compose: console (a"
            " Linux text console: characters the layout lacks are typed by their code, Alt +"
            " keypad), desktop (X11, Wayland: xkb's dead keys), auto (default: only what both"
            " type the same)"
        ),
    )
    keyboard.add_argument(
        "--no-extended-keys",
        action="store_true",
        help=_("send plain KeyEvents even when QEMU offers extended key events"),
    )
    return console


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description=_("A desktop console for OVHcloud servers and any VNC console.")
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"{PROG} {__version__}",
        help=_("show the version and exit"),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    console = _console_options()

    opener = commands.add_parser(
        "open",
        parents=[console],
        help=_("open a console window"),
        description=_("Open one console window on TARGET."),
    )
    opener.add_argument("target", metavar="TARGET")
    opener.add_argument("--fullscreen", action="store_true", help=_("start in full screen"))
    opener.add_argument(
        "--view-only", action="store_true", help=_("show the screen; send no keys or pointer")
    )
    opener.add_argument(
        "--scale",
        choices=SCALE_CHOICES,
        default=None,  # the app's setting (fit until changed)
        help=_(
            "fit: the whole screen in the window (the default, unless changed in the app's"
            " settings); actual: one to one, scroll bars; remote: the server's screen follows the"
            " window's size"
        ),
    )
    opener.add_argument(
        "--menu-key",
        default=None,  # the app's setting (F8 until changed)
        metavar="KEY",
        help=_(
            "the key that opens the console menu (F8, unless changed in the app's settings);"
            " a Qt key name: F8, F12, Pause..."
        ),
    )

    shot = commands.add_parser(
        "screenshot", parents=[console], help=_("save the console screen as a PNG image")
    )
    shot.add_argument("target", metavar="TARGET")
    shot.add_argument("file", metavar="FILE.png")

    typer = commands.add_parser(
        "type", parents=[console], help=_("type a text into the console, in the guest's layout")
    )
    typer.add_argument("target", metavar="TARGET")
    source = typer.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", metavar="T", help=_("the text to type"))
    source.add_argument("--stdin", action="store_true", help=_("type what standard input holds"))
    typer.add_argument(
        "--delay-ms",
        type=_delay,
        default=DEFAULT_KEY_DELAY_MS,
        metavar="MS",
        help=_(
            "time between key events ({delay}); a busy guest drops keys that come faster"
        ).format(delay=f"{DEFAULT_KEY_DELAY_MS:g}"),
    )

    info = commands.add_parser(
        "info", parents=[console], help=_("show what the server offers and acknowledged")
    )
    info.add_argument("target", metavar="TARGET")
    info.add_argument("--json", action="store_true", help=_("print one JSON object"))
    _add_screen_text_commands(commands, console)
    _add_account_commands(commands)
    _add_demo_command(commands)
    return parser


def _add_demo_command(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help=_("the built-in demo console (no account, no network)"),
        description=_(
            "A console served by the app itself on loopback only: a small Linux-like"
            " text console whose keyboard is a chosen guest layout (French AZERTY unless --layout"
            " says otherwise). Without --serve it opens in its console window; with --serve its"
            " vnc:// address is printed on a line of its own and it is served until interrupted,"
            " for the command line's type, screenshot and read."
        ),
    )
    demo.add_argument(
        "--serve",
        action="store_true",
        help=_("print its vnc:// address and serve it (Ctrl+C ends)"),
    )
    demo.add_argument(
        "--layout",
        default="fr",
        metavar="L",
        help=_("the demo guest's keyboard layout, an xkb name: fr, us, de, ch(fr)... (fr)"),
    )
    demo.add_argument(
        "--port",
        type=_number(int, 0, 65535, N_("a port is a number from 0 to 65535")),
        default=0,
        metavar="N",
        help=_("with --serve: the loopback port (0, the default: any free one)"),
    )
    demo.add_argument(
        "--plain-keys",
        action="store_true",
        help=_(
            "acknowledge neither QEMU's extended key events nor its LED state: clients send"
            " plain keysyms, which the server maps with QEMU's en-us keymap"
        ),
    )


def _add_screen_text_commands(commands: Any, console: argparse.ArgumentParser) -> None:
    reader = commands.add_parser(
        "read",
        parents=[console],
        help=_("print the text on a text console's screen"),
        description=_(
            "Print the text that TARGET's text console shows, read from the screen's"
            " pixels: one line per screen row, trailing spaces removed. A cell that cannot be read"
            " exactly (the cursor over a letter, a glyph no known font has) is U+FFFD, never a"
            " guessed letter. A screen that is not a text console (a graphical desktop, a"
            " picture) prints nothing: one line on stderr and exit status 1."
        ),
    )
    reader.add_argument("target", metavar="TARGET")
    reader.add_argument(
        "--json",
        action="store_true",
        help=_(
            "print one JSON object: rows (strings), cursor ([column, row] or null), font,"
            " unreadable ([[column, row], ...])"
        ),
    )

    waiter = commands.add_parser(
        "wait",
        parents=[
            _console_options(
                timeout=(
                    WAIT_TIMEOUT,
                    N_(
                        "how long to wait for the text, in seconds, connecting included (30);"
                        " connecting alone gets at most 15"
                    ),
                )
            )
        ],
        help=_("wait until a text appears on a text console's screen"),
        description=_(
            "Wait until TEXT stands on one row of TARGET's text console (checked on"
            " each complete screen the server sends): exit status 0 when it does, 1 when"
            " --timeout ends first (or the console cannot be reached). A cell that cannot be read"
            " (the cursor over a letter) matches nothing."
        ),
    )
    waiter.add_argument("target", metavar="TARGET")
    waiter.add_argument(
        "--for",
        dest="text",
        required=True,
        type=_one_line,
        metavar="TEXT",
        help=_("the text to wait for, on one row (e.g. 'login:')"),
    )


def _add_account_commands(commands: Any) -> None:
    login = commands.add_parser(
        "login",
        help=_("log an OVHcloud account in and keep its secrets in the OS keyring"),
        description=_(
            "Log an OVHcloud account in as a profile. Secrets are read from standard"
            " input when it is not a terminal (else prompted), never from the command line, and"
            " stored in the OS keyring only."
        ),
    )
    login.add_argument(
        "--profile", default="default", metavar="P", help=_("profile name (default)")
    )
    login.add_argument(
        "--endpoint",
        choices=ENDPOINTS,
        metavar="E",
        help=_("one of {endpoints}").format(endpoints=", ".join(ENDPOINTS)),
    )
    how = login.add_mutually_exclusive_group()
    how.add_argument(
        "--application-key",
        metavar="AK",
        help=_("your application key (its secret is read from stdin or prompted)"),
    )
    how.add_argument(
        "--oauth2",
        action="store_true",
        help=_("an OAuth2 service account (--client-id; the secret from stdin or prompted)"),
    )
    how.add_argument(
        "--from-env",
        action="store_true",
        help=_(
            "import OVH_ENDPOINT, OVH_APPLICATION_KEY/SECRET, OVH_CONSUMER_KEY (or"
            " OVH_CLIENT_ID/SECRET)"
        ),
    )
    how.add_argument("--from-file", metavar="PATH", help=_("import an ovh.conf file"))
    login.add_argument("--client-id", metavar="ID", help=_("the OAuth2 service account's id"))
    login.add_argument(
        "--consumer-key-stdin",
        action="store_true",
        help=_("you already hold a consumer key: read it after the application secret"),
    )
    login.add_argument(
        "--no-browser", action="store_true", help=_("print the validation link, do not open it")
    )
    login.add_argument(
        "--timeout",
        type=_seconds,
        default=600.0,
        metavar="S",
        help=_("how long to wait for the validation (600)"),
    )
    login.add_argument(
        "--poll-interval", type=_seconds, default=3.0, metavar="S", help=argparse.SUPPRESS
    )

    logout = commands.add_parser(
        "logout", help=_("forget a profile and delete its secrets from the keyring")
    )
    logout.add_argument("--profile", metavar="P", help=_("the profile (the default one)"))

    servers = commands.add_parser("servers", help=_("list the servers of a profile"))
    servers.add_argument("--profile", metavar="P", help=_("the profile (the default one)"))
    servers.add_argument("--json", action="store_true", help=_("print a JSON array"))

    rescue = commands.add_parser(
        "rescue", help=_("reboot a VPS into rescue mode (or back with --exit)")
    )
    rescue.add_argument("service", metavar="SERVICE", help=_("the VPS service name"))
    rescue.add_argument("--profile", metavar="P", help=_("the profile (the default one)"))
    rescue.add_argument(
        "--exit", action="store_true", help=_("switch back to the local disk and reboot")
    )
    rescue.add_argument(
        "--open", action="store_true", help=_("then open its console window, full screen")
    )
    rescue.add_argument("--yes", action="store_true", help=_("do not ask before rebooting"))
    rescue.add_argument(
        "--timeout",
        type=_seconds,
        default=900.0,
        metavar="S",
        help=_("how long the VPS may take to get there (900)"),
    )
    rescue.add_argument(
        "--poll-interval", type=_seconds, default=5.0, metavar="S", help=argparse.SUPPRESS
    )


def session_options(args: argparse.Namespace, timeout: float | None = None) -> SessionOptions:
    """The connection options (the VNC password read from stdin or the environment);
    ``timeout`` replaces --timeout for the connection (for `wait`, whose --timeout is longer)."""
    password = None
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    elif os.environ.get("OVHKVM_VNC_PASSWORD"):
        password = os.environ["OVHKVM_VNC_PASSWORD"]
    return SessionOptions(
        password=password,
        ca_file=args.ca_file,
        timeout=args.timeout if timeout is None else timeout,
        encodings=args.encodings or tuple(DEFAULT_ENCODINGS),
        compression=args.compression,
        quality=args.quality,
    )


def console_request(args: argparse.Namespace, timeout: float | None = None) -> ConsoleRequest:
    """The console the arguments ask for; what they leave out stays unchosen (``None``);
    ``timeout``: the connection's, when not --timeout."""
    return ConsoleRequest(
        target=args.target,
        profile=args.profile,
        layout=args.layout,
        server_keymap=args.server_keymap,
        keyboard=KeyboardMode(args.keyboard) if args.keyboard else None,
        guest=GuestSystem(args.guest) if args.guest else None,
        extended_keys=not args.no_extended_keys,
        options=session_options(args, timeout),
    )
