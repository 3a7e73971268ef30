"""The demo console's QEMU answers met by the project's own client (ConsoleSession and the key
translator, as the window and the command line use them): Num Lock synced from the keypad's
keysyms for a client that does not follow the LEDs, ExtendedDesktopSize acknowledged, and a
SetDesktopSize refused the way QEMU refuses it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import pytest

from ovhkvm_desktop.demo import BackgroundDemo
from ovhkvm_desktop.keyboard.keysym_tables import NAMES
from ovhkvm_desktop.keyboard.translator import KeyStroke, KeyTranslator
from ovhkvm_desktop.rfb import events as ev
from ovhkvm_desktop.session import SessionOptions
from ovhkvm_desktop.session.console import ConsoleSession, SessionListener
from ovhkvm_desktop.targets import parse_target

WIDTH, HEIGHT = 640, 400
XT_KP_1 = 0x4F  # the keypad key of 1 and End
XT_A_US = 0x1E  # the key that types "a" on a US host


class Recorder(SessionListener):
    def __init__(self) -> None:
        self.updates = 0
        self.events: list[ev.Event] = []
        self.refusals: list[str] = []

    def on_update(self, rects) -> None:
        self.updates += 1

    def on_event(self, event: ev.Event) -> None:
        self.events.append(event)

    def on_resize_refused(self, reason: str) -> None:
        self.refusals.append(reason)


async def until(condition: Callable[[], bool], what: str, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)


def on_demo(
    demo: BackgroundDemo, body: Callable[[ConsoleSession, Recorder], Awaitable[None]]
) -> None:
    """Connect the client to the demo, wait for its first screen, run ``body``, close."""

    async def run() -> None:
        recorder = Recorder()
        session = ConsoleSession(parse_target(demo.address), recorder, SessionOptions(timeout=5))
        await session.connect()
        reader = asyncio.create_task(session.run())
        try:
            await until(lambda: recorder.updates > 0, "the first screen")
            await body(session, recorder)
        finally:
            await session.close()
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    asyncio.run(run())


@pytest.fixture
def plain_demo() -> Iterator[BackgroundDemo]:
    """`ovhkvm-desktop demo --plain-keys`: neither extended key events nor LED state."""
    demo = BackgroundDemo("fr", qemu_keys=False)
    yield demo
    demo.stop()


def press(
    translator: KeyTranslator, session: ConsoleSession, scancode: int, keysym: int, text: str = ""
) -> None:
    """A key the user presses and lets go on the host keyboard, through the translator."""
    session.send_key_events(translator.key(KeyStroke(True, scancode, keysym, text)))
    session.send_key_events(translator.key(KeyStroke(False, scancode, keysym)))


def test_keypad_end_on_a_plain_keys_demo_turns_the_guests_num_lock_off_first(
    plain_demo: BackgroundDemo,
) -> None:
    """The guest booted with Num Lock on, the user's is off: End on the keypad would type "1"
    there; the server (as QEMU) sees the KP_End keysym and presses Num Lock first, so the guest
    moves its cursor and types nothing, and its Num Lock is off."""
    console = plain_demo.server.console
    console.keyboard.num_lock = True

    async def body(session: ConsoleSession, recorder: Recorder) -> None:
        assert not session.capabilities.leds and not session.capabilities.extended_keys
        translator = KeyTranslator("fr", extended_keys=False)
        press(translator, session, XT_KP_1, NAMES["KP_End"])
        press(translator, session, XT_A_US, ord("a"), "a")  # something to wait for
        await until(lambda: console.typed == "a", "the guest typing")

    on_demo(plain_demo, body)
    assert console.typed == "a"
    assert not console.keyboard.num_lock


def test_keypad_1_types_1_on_a_guest_whose_num_lock_is_off(plain_demo: BackgroundDemo) -> None:
    """The mirror case: the guest's Num Lock is off, the user types 1 on the keypad (KP_1). The
    translator does not know the guest's LEDs; the keysym it sends is the one the user meant, so
    the server (as QEMU) turns Num Lock on first and the guest types "1". (It used to send the
    key's first level, KP_End, and the guest moved its cursor instead.)"""
    console = plain_demo.server.console
    console.keyboard.num_lock = False

    async def body(session: ConsoleSession, recorder: Recorder) -> None:
        translator = KeyTranslator("fr", extended_keys=False)
        press(translator, session, XT_KP_1, NAMES["KP_1"], "1")
        await until(lambda: console.typed == "1", "the guest typing")

    on_demo(plain_demo, body)
    assert console.typed == "1"
    assert console.keyboard.num_lock


def test_the_client_learns_the_demo_resizes_like_qemu_and_hears_its_refusal(
    plain_demo: BackgroundDemo,
) -> None:
    """ExtendedDesktopSize is acknowledged (the client may offer remote resizing); asked for
    1024x768, the text console stays 640x400 and says why (QEMU's status 3, invalid layout)."""

    async def body(session: ConsoleSession, recorder: Recorder) -> None:
        assert session.capabilities.remote_resize
        assert "extended-desktop-size" in session.extensions
        await asyncio.sleep(0.3)  # the client asks for nothing more in full: no loop of sizes
        sizes = [e for e in recorder.events if isinstance(e, ev.ExtendedDesktopSizeReply)]
        assert [(e.reason, e.status) for e in sizes] == [(0, 0)]
        assert session.set_desktop_size(1024, 768)
        await until(lambda: bool(recorder.refusals), "the refusal")
        replies = [e for e in recorder.events if isinstance(e, ev.ExtendedDesktopSizeReply)]
        assert (replies[-1].reason, replies[-1].status) == (1, 3)
        assert (replies[-1].width, replies[-1].height) == (WIDTH, HEIGHT)
        assert (session.framebuffer.width, session.framebuffer.height) == (WIDTH, HEIGHT)

    on_demo(plain_demo, body)
