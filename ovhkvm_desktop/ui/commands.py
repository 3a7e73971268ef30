"""The `open` command: one console window, running Qt's event loop (a synchronous command)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from ovhkvm_desktop.errors import ConsoleError

if TYPE_CHECKING:
    from ovhkvm_desktop.cloud.consoles import DedicatedServer

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


def open_dedicated_kvm(dedicated: DedicatedServer) -> int:
    """A dedicated server's KVM is its vendor's HTML5 page: ask OVHcloud for it, open it in the
    browser, and print its address on a line of its own (for a browser elsewhere)."""
    import webbrowser

    from ovhkvm_desktop.cli import _say
    from ovhkvm_desktop.cloud.consoles import dedicated_kvm_url

    url = dedicated_kvm_url(dedicated.api, dedicated.service, progress=_say)
    print(url, flush=True)
    if not webbrowser.open(url):
        _say("no browser could be started: open the address above")
    return 0


def run(args: argparse.Namespace) -> int:
    """Open the window and run Qt until it closes; the exit status."""
    from ovhkvm_desktop.cli import _given as _chosen
    from ovhkvm_desktop.cli import _say
    from ovhkvm_desktop.cloud.resolve import is_ovh_target, resolve_target
    from ovhkvm_desktop.keyboard import KeyboardMode
    from ovhkvm_desktop.keyboard.layouts import (
        GuestSystem,
        UnknownLayoutError,
        guest_layout_names,
        load_layout,
        load_server_keymap,
    )
    from ovhkvm_desktop.session import TargetSource
    from ovhkvm_desktop.targets import parse_target

    argv = getattr(args, "argv", None)
    if argv is None:
        argv = sys.argv[1:]
    # Whether the user chose them: the parser marks its defaults (cli._Default).
    layout_from_user = _chosen(args.layout)
    keymap_from_user = _chosen(args.server_keymap)
    source: TargetSource
    if is_ovh_target(args.target):
        # Blocking (it asks the API about the VPS): done before Qt starts, progress on stderr.
        from ovhkvm_desktop.cloud.consoles import DedicatedServer

        try:
            resolved = resolve_target(
                args.target, args.profile, progress=_say, on_keyring_notice=_say
            )
        except DedicatedServer as dedicated:
            return open_dedicated_kvm(dedicated)
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
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from ovhkvm_desktop.cli import session_options
    from ovhkvm_desktop.ui.console_window import ConsoleConfig, ConsoleWindow, _qt_key
    from ovhkvm_desktop.ui.framebuffer_view import ScaleMode
    from ovhkvm_desktop.ui.settings import ConsoleSettings

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
    app = QApplication.instance()
    if app is None:
        QApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication([sys.argv[0] if sys.argv else "ovhkvm-desktop"])
        app.setApplicationName("ovhkvm-desktop")
        app.setDesktopFileName("ovhkvm-desktop")
    window = ConsoleWindow(source, config, options, ConsoleSettings())
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
    return run(args)
