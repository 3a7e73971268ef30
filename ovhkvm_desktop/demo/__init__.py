"""The demo console: an RFB server inside the app, on loopback only, whose screen is a small
Linux-like text console typed into through a chosen guest layout (French AZERTY by default).

A newcomer without an OVHcloud account sees the console window, the layout selector, Send keys
and Type text work within seconds; the tests and the command line (`ovhkvm-desktop demo
--serve`) reach it like any VNC console. Its rooms: ``keyboard`` (keys → what a Linux console
types), ``screen`` (cells drawn with a shipped console font), ``console`` (the prompt and line
editor), ``server`` (RFB as QEMU speaks it), ``opening`` (the demo as a console to open).
"""

from ovhkvm_desktop.demo.console import DemoConsole
from ovhkvm_desktop.demo.server import BackgroundDemo, DemoServer, running_demo

#: The demo guest's layout unless another is asked for: French AZERTY, as OVHcloud's French VPS.
DEFAULT_LAYOUT = "fr"

__all__ = ["DEFAULT_LAYOUT", "BackgroundDemo", "DemoConsole", "DemoServer", "running_demo"]
