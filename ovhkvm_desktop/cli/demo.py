"""`ovhkvm-desktop demo [--serve]`: the built-in demo console, in its window or served on
loopback for the command line's `type`, `screenshot` and `read`."""

from __future__ import annotations

import argparse
import asyncio

from ovhkvm_desktop.cli.consoles import show_console
from ovhkvm_desktop.cli.output import say
from ovhkvm_desktop.demo import DemoServer, running_demo
from ovhkvm_desktop.demo.opening import demo_request
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.opening import check_keyboard, open_console
from ovhkvm_desktop.words import _


def demo(args: argparse.Namespace) -> int:
    """The demo console's window (Qt's event loop until it closes), or with --serve its address
    on a line of its own, then serving until interrupted."""
    check_keyboard(args.layout, None)  # an unknown layout: one line naming the known ones
    qemu_keys = not args.plain_keys
    if args.serve:
        try:
            return asyncio.run(serve(args.layout, qemu_keys, args.port))
        except KeyboardInterrupt:
            return 0  # Ctrl+C is how serving ends
    running = running_demo(args.layout, qemu_keys=qemu_keys)
    try:
        return show_console(open_console(demo_request(running.address, args.layout)))
    finally:
        running.stop()


async def serve(layout: str, qemu_keys: bool, port: int) -> int:
    server = DemoServer(layout, qemu_keys=qemu_keys, port=port, log=say)
    try:
        await server.start()
    except OSError as exc:
        raise ConsoleError(
            _("cannot serve the demo console on port {port}: {reason}").format(
                port=port, reason=exc.strerror or exc
            )
        ) from None
    print(server.address, flush=True)
    say(
        _(
            "serving the demo console on loopback only, its guest layout {layout}"
            " (type into it with --layout {layout}); Ctrl+C stops it"
        ).format(layout=layout)
    )
    try:
        await server.serve_forever()
    finally:
        await server.close()
    return 0
