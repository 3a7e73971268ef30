"""Typing a text into a console at a pace the guest keeps up with: one rule for the command line
and the window alike.

QEMU spaces key events 10 ms apart itself (key-delay-ms) and queues the rest in a queue of about
340 events: a client sending faster overfills it (measured on the test guest: 8 ms lost
characters after ~490, 4 ms after ~160), and a busy guest's 16-byte PS/2 queue drops bursts. So
events leave on a fixed schedule (delays never add up), and after a stall (a slow link, a busy
host, a loop held up by decoding) the schedule catches up no faster than one event per
``MIN_KEY_GAP``: never in a burst.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from ovhkvm_desktop.keyboard import WireKeyEvent
from ovhkvm_desktop.session.console import ConsoleSession

#: Time between key events when typing a text: 15 ms leaves room for QEMU's backlog to drain;
#: 10 ms was exact only on a quiet host.
DEFAULT_KEY_DELAY_MS = 15.0
#: The shortest time between two key events when catching up after a stall, in seconds.
MIN_KEY_GAP = 0.010

Progress = Callable[[int, int], None]


async def type_events(
    session: ConsoleSession,
    events: Sequence[WireKeyEvent],
    delay: float,
    *,
    progress: Progress | None = None,
    clock: Callable[[], float] | None = None,
) -> None:
    """Send ``events`` ``delay`` seconds apart (see the module's rule).

    ``progress(sent, total)`` hears how far it got. Cut short (cancelled, or the connection
    ended: its reason is raised), every key the text held down is let go, so that no Shift or
    AltGr stays pressed in the guest.
    """
    loop = asyncio.get_running_loop()
    now_of = clock or loop.time
    gap = min(delay, MIN_KEY_GAP)
    held: dict[tuple[int, int], WireKeyEvent] = {}
    total = len(events)
    due = now_of()
    try:
        for index, event in enumerate(events):
            session.check_alive()
            session.send_key_events([event])
            key = (event.scancode, 0 if event.scancode else event.keysym)
            if event.down:
                held[key] = event
            else:
                held.pop(key, None)
            if progress is not None:
                progress(index + 1, total)
            await session.drain()
            now = now_of()
            due = max(due + delay, now + gap)
            if due > now:
                await asyncio.sleep(due - now)
        await session.drain()
    finally:
        if held:
            try:
                session.check_alive()
            except Exception:
                pass  # the guest lets go of everything when the connection ends
            else:
                session.send_key_events(
                    WireKeyEvent(False, e.keysym, e.scancode, e.extended)
                    for e in reversed(list(held.values()))
                )
