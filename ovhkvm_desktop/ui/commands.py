"""The `open` command: one console window, running Qt's event loop (a synchronous command)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ovhkvm_desktop.errors import ConsoleError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from ovhkvm_desktop.cloud.consoles import DedicatedServer
    from ovhkvm_desktop.session import SessionOptions, TargetSource
    from ovhkvm_desktop.ui.console_window import ConsoleConfig

SCALE_CHOICES = ("fit", "actual", "remote")


def add_commands(commands: Any, console_parent: argparse.ArgumentParser) -> None:
    """Register `open` on the command line's subparsers (``console_parent``: shared options)."""
    opener = commands.add_parser(
        "open",
        parents=[console_parent],
        help="open a console window",
        description="Open one console window on TARGET.",
    )
    opener.add_argument("target", metavar="TARGET")
    opener.add_argument("--fullscreen", action="store_true", help="start in full screen")
    opener.add_argument(
        "--view-only", action="store_true", help="show the screen; send no keys or pointer"
    )
    opener.add_argument(
        "--scale",
        choices=SCALE_CHOICES,
        default="fit",
        help="fit: the whole screen in the window (default); actual: one to one, scroll bars;"
        " remote: the server's screen follows the window's size",
    )
    opener.add_argument(
        "--menu-key",
        default="F8",
        metavar="KEY",
        help="the key that opens the console menu (F8); a Qt key name: F8, F12, Pause...",
    )
    opener.set_defaults(run=run)


def _given(option: str, argv: list[str]) -> bool:
    """Whether the user wrote this option (argparse fills defaults in: they must not win over
    what the window remembers for the server)."""
    return any(arg == option or arg.startswith(option + "=") for arg in argv)


def browse_dedicated_kvm(
    dedicated: DedicatedServer,
    *,
    progress: Callable[[str], None],
    on_url: Callable[[str], None] | None = None,
) -> tuple[str, bool]:
    """Ask OVHcloud for a dedicated server's HTML5 KVM page and open it in the browser
    (blocking: off the GUI thread); its URL, and whether a browser could be started.
    ``on_url`` hears the URL before the browser is asked to open it."""
    import webbrowser

    from ovhkvm_desktop.cloud.consoles import dedicated_kvm_url

    url = dedicated_kvm_url(dedicated.api, dedicated.service, progress=progress)
    if on_url is not None:
        on_url(url)
    return url, bool(webbrowser.open(url))


def open_dedicated_kvm(dedicated: DedicatedServer) -> int:
    """A dedicated server's KVM is its vendor's HTML5 page: ask OVHcloud for it, open it in the
    browser, and print its address on a line of its own (for a browser elsewhere)."""
    from ovhkvm_desktop.cli import _say

    def print_url(url: str) -> None:
        print(url, flush=True)

    _, opened = browse_dedicated_kvm(dedicated, progress=_say, on_url=print_url)
    if not opened:
        _say("no browser could be started: open the address above")
    return 0


@dataclass(frozen=True)
class ConsoleOpening:
    """Everything a console window needs, found before it opens (see ``prepare_console``)."""

    source: TargetSource
    config: ConsoleConfig
    options: SessionOptions


def prepare_console(
    args: argparse.Namespace,
    *,
    progress: Callable[[str], None],
    on_keyring_notice: Callable[[str], None],
) -> ConsoleOpening:
    """The `open` command's arguments → what the window connects to and how (blocking: an ovh:
    target asks the API about the VPS; the app calls it off the GUI thread).

    Raises ``DedicatedServer`` for a dedicated server (its KVM is a web page: see
    ``browse_dedicated_kvm``). ``progress`` is also told, later and from the session's thread,
    how the VPS console's doors answer."""
    from ovhkvm_desktop.cli import _given as _chosen
    from ovhkvm_desktop.cli import session_options
    from ovhkvm_desktop.cloud.resolve import is_ovh_target, resolve_target
    from ovhkvm_desktop.keyboard import KeyboardMode
    from ovhkvm_desktop.keyboard.layouts import (
        GuestSystem,
        UnknownLayoutError,
        guest_layout_names,
        load_layout,
        load_server_keymap,
    )
    from ovhkvm_desktop.targets import parse_target

    argv = getattr(args, "argv", None)
    if argv is None:
        argv = sys.argv[1:]
    # Whether the user chose them: the parser marks its defaults (cli._Default).
    layout_from_user = _chosen(args.layout)
    keymap_from_user = _chosen(args.server_keymap)
    source: TargetSource
    if is_ovh_target(args.target):
        resolved = resolve_target(
            args.target, args.profile, progress=progress, on_keyring_notice=on_keyring_notice
        )
        # The VPS keymap decides unless the user chose (DESIGN.md, the keyboard model).
        if not layout_from_user and resolved.layout:
            args.layout = resolved.layout
        if not keymap_from_user and resolved.server_keymap:
            args.server_keymap = resolved.server_keymap
        source, title = resolved.source, resolved.title
        # Remembered choices follow the service, not its display name (which users rename).
        server_key = args.target.strip()
    else:
        target = parse_target(args.target)
        source, title = target, target.display
        server_key = title
    try:
        load_layout(args.layout)
        load_server_keymap(args.server_keymap)
    except UnknownLayoutError as exc:
        names = ", ".join(guest_layout_names())
        raise ConsoleError(f"{exc.args[0] if exc.args else exc}; known layouts: {names}") from None

    # Imported late: the headless commands never load Qt.
    from ovhkvm_desktop.ui.console_window import ConsoleConfig, _qt_key
    from ovhkvm_desktop.ui.framebuffer_view import ScaleMode

    try:
        _qt_key(args.menu_key)
    except ValueError as exc:
        raise ConsoleError(str(exc)) from None
    options = session_options(args)
    config = ConsoleConfig(
        title=title,
        server_key=server_key,
        layout=args.layout,
        layout_from_user=layout_from_user,
        mode=KeyboardMode(args.keyboard),
        mode_from_user=_given("--keyboard", argv),
        guest=GuestSystem(args.guest),
        guest_from_user=_given("--guest", argv),
        server_keymap=args.server_keymap,
        extended_keys=not args.no_extended_keys,
        scale=ScaleMode(args.scale),
        view_only=args.view_only,
        fullscreen=args.fullscreen,
        menu_key=args.menu_key,
    )
    return ConsoleOpening(source, config, options)


def application() -> QApplication:
    """The running QApplication, created (named, high-DPI ready) when there is none."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        QApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication([sys.argv[0] if sys.argv else "ovhkvm-desktop"])
        app.setApplicationName("ovhkvm-desktop")
        app.setDesktopFileName("ovhkvm-desktop")
    assert isinstance(app, QApplication)
    return app


def run(args: argparse.Namespace) -> int:
    """Open the window and run Qt until it closes; the exit status."""
    from ovhkvm_desktop.cli import _say
    from ovhkvm_desktop.cloud.consoles import DedicatedServer

    try:
        # Blocking (it asks the API about the VPS): done before Qt starts, progress on stderr.
        opening = prepare_console(args, progress=_say, on_keyring_notice=_say)
    except DedicatedServer as dedicated:
        return open_dedicated_kvm(dedicated)

    from ovhkvm_desktop.ui.console_window import ConsoleWindow
    from ovhkvm_desktop.ui.settings import ConsoleSettings

    app = application()
    window = ConsoleWindow(opening.source, opening.config, opening.options, ConsoleSettings())
    ready_file = os.environ.get("OVHKVM_WINDOW_READY_FILE")
    if ready_file:
        # For tests and tools that drive the window from outside (xdotool, screenshots): the X
        # window id, once the console shows its first picture.
        def ready() -> None:
            with open(ready_file, "w") as f:
                f.write(f"{int(window.winId())}\n")

        window.first_frame.connect(ready)
    window.show()
    return int(app.exec())


def console_args(
    target_text: str,
    *,
    profile: str | None = None,
    fullscreen: bool = False,
    guest: str | None = None,
) -> argparse.Namespace:
    """The `open` command's arguments for ``target_text``, with its defaults (as if typed)."""
    from ovhkvm_desktop.cli import build_parser

    argv = ["open", target_text]
    if fullscreen:
        argv.append("--fullscreen")
    if guest:
        argv += ["--guest", guest]
    if profile:
        argv += ["--profile", profile]
    args = build_parser().parse_args(argv)
    args.argv = argv[1:]
    return args


def open_console(
    target_text: str,
    *,
    profile: str | None = None,
    fullscreen: bool = False,
    guest: str | None = None,
) -> int:
    """Open the console window on ``target_text`` (e.g. ``ovh:SERVICE``) with the `open`
    command's defaults and run Qt until it closes; the exit status (``cli._rescue`` --open).
    ``guest`` names the guest system when it is known (a rescue system is a text console)."""
    return run(console_args(target_text, profile=profile, fullscreen=fullscreen, guest=guest))
