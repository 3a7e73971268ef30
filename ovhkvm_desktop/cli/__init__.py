"""The command line: `ovhkvm-desktop COMMAND ...` (see DESIGN.md for the contract).

Its rooms: ``parser`` (the arguments, and the console request they make), ``consoles`` (`open`,
`screenshot`, `type`, `info`), ``accounts`` (`login`, `logout`, `servers`, `rescue`), ``output``
(what it prints, escaped). Without a command it starts the app.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ovhkvm_desktop.cli import accounts, consoles, demo
from ovhkvm_desktop.cli.output import PROG, in_words, say
from ovhkvm_desktop.cli.parser import UsageError, build_parser
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.words import _, install

#: Each command: its arguments in, its exit status out (a coroutine function for the headless
#: console commands, which run on asyncio; the window and the app run Qt's own loop).
COMMANDS: dict[str, Callable[[argparse.Namespace], Any]] = {
    "open": consoles.open_window,
    "screenshot": consoles.screenshot,
    "type": consoles.type_text,
    "info": consoles.info,
    "read": consoles.read_text,
    "wait": consoles.wait_for_text,
    "login": accounts.login,
    "logout": accounts.logout,
    "servers": accounts.servers,
    "rescue": accounts.rescue,
    "demo": demo.demo,
}


def start_app(args: argparse.Namespace) -> int:
    """The app: its main window and tray icon, Qt's event loop until it quits."""
    from ovhkvm_desktop.qt_runtime import require_qt_runtime

    # Before Qt loads: no graphical session, an unserved display or a missing library in words,
    # not Qt's abort.
    require_qt_runtime()
    if importlib.util.find_spec("PySide6") is None:
        raise UsageError(
            _(
                "the app needs Qt (pip install PySide6-Essentials); the headless commands work"
                " without it: see 'ovhkvm-desktop --help'"
            )
        )
    from ovhkvm_desktop.ui.app import run_app

    return run_app(progress=say)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        # First of all: a password or token given in a target leaves the process's arguments.
        from ovhkvm_desktop.argv_secrets import hide_target_secrets

        argv = hide_target_secrets()
    install()  # the environment's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)
    parser = build_parser()
    args = parser.parse_args(argv)
    # No command: the app, main window and tray icon.
    run = COMMANDS[args.command] if args.command else start_app
    try:
        if inspect.iscoroutinefunction(run):
            return int(asyncio.run(run(args)))
        return int(run(args))
    except ConsoleError as exc:
        say(in_words(exc))
        return 1
    except KeyboardInterrupt:
        say(_("interrupted"))
        return 130


__all__ = ["PROG", "build_parser", "main"]
