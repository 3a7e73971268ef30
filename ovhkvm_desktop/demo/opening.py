"""The demo console as a console to open: the one way the command line and the main window
turn a running demo server into an ``Opening`` (a Linux text console in the demo's layout)."""

from __future__ import annotations

import dataclasses

from ovhkvm_desktop.keyboard.layouts import GuestSystem
from ovhkvm_desktop.opening import ConsoleRequest, Opening, open_console

#: How the window names the demo, and what its choices are remembered under (its port changes
#: from run to run: remembering them by address would leave one entry per run in the settings).
TITLE = "Demo console"
SERVER_KEY = "demo"


def demo_opening(address: str, layout: str, *, extended_keys: bool = True) -> Opening:
    """The demo server at ``address`` (its guest layout ``layout``) as a console to open."""
    request = ConsoleRequest(
        address, layout=layout, guest=GuestSystem.CONSOLE, extended_keys=extended_keys
    )
    return dataclasses.replace(open_console(request), title=TITLE, server_key=SERVER_KEY)
