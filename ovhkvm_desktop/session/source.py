"""Where a session connects: a console source hands out the doors of one console, in the order
to try them, and hears which one worked.

A door is one way in to the same screen (OVHcloud's VPS have three: nova's noVNC proxy, VNC over
WebSocket, plain VNC). Which failures move on to the next door is the session's rule, written
once in ``ConsoleSession.connect``: only a door that nothing answered (``Unreachable``), never a
TLS failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.words import _


@dataclass(frozen=True)
class Door:
    """One way in: the console to connect to, and how the user would name the way."""

    target: ConsoleTarget
    name: str | None = None  # "getConsoleUrl"...; None when the source has a single door
    #: Seconds the door's port may take to start accepting connections (OVH's VNC door opens
    #: one to two minutes after the API call): refused connections are retried until then.
    opens_within: float = 0.0


class ConsoleSource(Protocol):
    """The doors of one console. ``doors()`` asks for fresh consoles (tokens expire), so each
    connection attempt iterates it anew; doors the API refuses are skipped inside it."""

    @property
    def title(self) -> str:
        """How to name the console to the user (never with a password or token)."""
        ...

    def doors(self) -> AsyncIterator[Door]: ...

    def door_failed(self, door: Door, error: ConsoleError) -> None:
        """Connecting through ``door`` failed with ``error`` (for ``exhausted``'s message)."""

    def connected(self, door: Door) -> None:
        """The session connected through ``door``: try it first next time."""

    def exhausted(self) -> ConsoleError:
        """Every door was tried: the error that says why none opened."""
        ...


class SingleTarget:
    """A console with one door: the target the user named."""

    def __init__(self, target: ConsoleTarget) -> None:
        self.target = target
        self._error: ConsoleError | None = None

    @property
    def title(self) -> str:
        return self.target.display

    async def doors(self) -> AsyncIterator[Door]:
        self._error = None
        yield Door(self.target)

    def door_failed(self, door: Door, error: ConsoleError) -> None:
        self._error = error

    def connected(self, door: Door) -> None:
        pass

    def exhausted(self) -> ConsoleError:
        return self._error or ConsoleError(
            _("{where} could not be reached").format(where=self.title)
        )


def as_source(target: ConsoleTarget | ConsoleSource) -> ConsoleSource:
    return SingleTarget(target) if isinstance(target, ConsoleTarget) else target
