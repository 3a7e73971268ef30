"""The demo console as a console to open: the one request the command line and the main window
make for a running demo server (a Linux text console in the demo's guest layout)."""

from __future__ import annotations

from ovhkvm_desktop.keyboard.layouts import GuestSystem
from ovhkvm_desktop.opening import ConsoleRequest


def demo_request(address: str, layout: str) -> ConsoleRequest:
    """The demo server at ``address``, whose guest layout is ``layout``: the window starts on
    that layout, and types characters the layout lacks as a Linux console takes them."""
    return ConsoleRequest(address, layout=layout, guest=GuestSystem.CONSOLE, served_here=True)
