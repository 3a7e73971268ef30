"""`python -m ovhkvm_desktop.ui open TARGET ...`: the `open` command until the CLI carries it.

Once `ovhkvm_desktop.cli` registers `open` itself, this simply runs the CLI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ovhkvm_desktop import cli
from ovhkvm_desktop.ui.commands import add_commands


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def console_parent(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The shared console options, borrowed from the `info` command's groups."""
    info = _subcommands(parser).choices["info"]
    parent = argparse.ArgumentParser(add_help=False)
    for group in info._action_groups:
        if group.title in ("connection", "keyboard"):
            copy = parent.add_argument_group(group.title)
            for action in group._group_actions:
                copy._add_action(action)
    return parent


def build_parser() -> argparse.ArgumentParser:
    """The CLI's parser, with `open` added when the CLI does not have it yet."""
    parser = cli.build_parser()
    commands = _subcommands(parser)
    if "open" not in commands.choices:
        add_commands(commands, console_parent(parser))
    return parser


def open_command(python: str = sys.executable) -> list[str]:
    """How to start `open` in a new process: the CLI's once it carries it, else this module."""
    wired = "open" in _subcommands(cli.build_parser()).choices
    return [python, "-m", "ovhkvm_desktop" if wired else "ovhkvm_desktop.ui", "open"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "open":
        return cli.main(argv)
    try:
        return int(args.run(args))
    except cli.ConsoleError as exc:
        print(f"{cli.PROG}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{cli.PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
