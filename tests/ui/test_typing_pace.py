"""The console window's Type text keeps the session's one pacing rule: when the session's loop
is held up mid-text, the key events after it still leave at least MIN_KEY_GAP apart, and the
text completes. (The window once scheduled its keys at start + n × delay itself: after a stall
every overdue key left at once, and a busy guest's 16-byte PS/2 queue dropped them.)

The keys go through a tap (tests/session/keytap.py) that notes, by the kernel's clock, when
each one left the window's session.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ovhkvm_desktop.keyboard import KeyTranslator, LockState
from ovhkvm_desktop.targets import ConsoleTarget
from tests.session.keytap import KeyTap, received
from tests.session.servers import HookedRfbServer

TEXT = "Hello, World! The 42 (pace) test."
STALL = 0.3  # seconds the session's loop is held up...
STALL_AFTER = 10  # ...after this many key events reached the server


def test_type_text_after_the_session_is_held_up_never_sends_a_burst(make_window, qtbot) -> None:
    with HookedRfbServer(320, 200) as server, KeyTap(server.port) as tap:
        target = ConsoleTarget("tcp", "127.0.0.1", tap.port)
        window = make_window(target, layout="us", key_delay_ms=15.0)
        # A busy session thread (a slow decode, a host under load): its loop does nothing else
        # for STALL seconds, in the middle of the text.
        server.after_keys[STALL_AFTER] = lambda: window.bridge._call(time.sleep, STALL)
        dialog = window.type_text_dialog()
        window.open_type_text()
        dialog.set_text(TEXT)
        QTest.mouseClick(dialog.type_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.status.text() == "Typed.", timeout=10000)
        translator = KeyTranslator("us", extended_keys=True)
        translator.set_leds(LockState(caps=False, num=False, scroll=False))  # the server's
        expected = received(translator.type_text(TEXT).events)
        qtbot.waitUntil(lambda: len(tap.keys()) >= len(expected), timeout=3000)
        tap.assert_paced(expected, held_up_after=STALL_AFTER, held_up_for=STALL)
        window.close()  # before its server goes: no reconnecting while the window closes
