"""The live console, without Qt: one connection (``ConsoleSession``) through a console source's
doors, kept live across drops (``LiveConsole``), with paced typing (``pacing``).

The command line and the window both use it; nothing outside this package speaks the protocol.
"""

from ovhkvm_desktop.handshake import ServerInfo
from ovhkvm_desktop.session.console import (
    Capabilities,
    ConsoleSession,
    SessionListener,
    SessionOptions,
)
from ovhkvm_desktop.session.live import (
    Backoff,
    ConnectionState,
    LiveConsole,
    LiveListener,
    Phase,
    Traffic,
)
from ovhkvm_desktop.session.pacing import DEFAULT_KEY_DELAY_MS, MIN_KEY_GAP, type_events
from ovhkvm_desktop.session.source import ConsoleSource, Door, SingleTarget

__all__ = [
    "DEFAULT_KEY_DELAY_MS",
    "MIN_KEY_GAP",
    "Backoff",
    "Capabilities",
    "ConnectionState",
    "ConsoleSession",
    "ConsoleSource",
    "Door",
    "LiveConsole",
    "LiveListener",
    "Phase",
    "ServerInfo",
    "SessionListener",
    "SessionOptions",
    "SingleTarget",
    "Traffic",
    "type_events",
]
