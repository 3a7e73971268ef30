"""Type text (progress, cancel, the untypeable warning) and connection loss (overlay, backoff)."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import AsyncIterator

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.session import Backoff, Door, Phase
from tests.ui.conftest import target_of
from tests.ui.rfb_server import Key, RfbServer


def _balanced(keys: list[Key]) -> bool:
    """Every key pressed was released, with the values of its press."""
    held: dict[tuple[int, int], Key] = {}
    for key in keys:
        ident = (key.keycode, key.keysym if not key.keycode else 0)
        if key.down:
            held[ident] = key
        elif ident in held:
            assert held.pop(ident).keysym == key.keysym
    return not held


def test_type_text_types_in_the_guest_layout_with_progress(
    make_window, server: RfbServer, qtbot
) -> None:
    window = make_window(target_of(server), layout="fr", key_delay_ms=2.0)
    dialog = window.type_text_dialog()
    window.open_type_text()
    dialog.set_text("aA")
    assert not dialog.warning.isVisible()
    QTest.mouseClick(dialog.type_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text() == "Typed.", timeout=5000)
    assert dialog.progress.value() == dialog.progress.maximum() == 6
    keys = server.wait_for(lambda m: len([k for k in m if isinstance(k, Key)]) >= 6)
    keys = [k for k in keys if isinstance(k, Key)]
    # "a" then Shift+"a" at the guest's A (the Q position on AZERTY).
    assert [(k.down, k.keycode) for k in keys] == [
        (True, 0x10),
        (False, 0x10),
        (True, 0x2A),
        (True, 0x10),
        (False, 0x10),
        (False, 0x2A),
    ]


def test_type_text_cancel_stops_and_releases_what_it_held(
    make_window, server: RfbServer, qtbot
) -> None:
    window = make_window(target_of(server), layout="us", key_delay_ms=20.0)
    dialog = window.type_text_dialog()
    window.open_type_text()
    text = "THE QUICK BROWN FOX " * 5  # shifted letters: Shift is down most of the time
    dialog.set_text(text)
    QTest.mouseClick(dialog.type_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.value() >= 20, timeout=5000)
    assert dialog.cancel_button.isVisible()
    QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text() == "Cancelled.", timeout=5000)
    total = dialog.progress.maximum()
    time.sleep(0.2)
    keys = server.keys()
    assert 20 <= len(keys) < total
    assert _balanced(keys)
    assert not dialog.typing and dialog.type_button.isEnabled()


def test_type_text_warns_of_characters_the_layout_cannot_type(make_window, server) -> None:
    window = make_window(target_of(server), layout="us")
    dialog = window.type_text_dialog()
    window.open_type_text()
    dialog.set_text("café ≠ thé")
    assert dialog.warning.isVisible()
    assert "“é”" in dialog.warning.text() and "“≠”" in dialog.warning.text()
    window.set_layout("fr")  # French has é but not ≠
    assert "“é”" not in dialog.warning.text() and "“≠”" in dialog.warning.text()


def test_connection_loss_shows_the_overlay_and_reconnects(
    make_window, server: RfbServer, qtbot
) -> None:
    window = make_window(target_of(server), backoff=Backoff(0.3, 2.0, 1.0))
    assert not window.overlay.isVisible()
    server.drop()
    qtbot.waitUntil(window.overlay.isVisible, timeout=3000)
    assert window.overlay.title.text() == "Connection lost"
    assert "closed the connection" in window.overlay.reason.text()
    assert window.overlay.cancel_button.isVisible()
    assert "Disconnected" in window.state_label.text()
    qtbot.waitUntil(lambda: window.bridge.state.phase is Phase.CONNECTED, timeout=5000)
    qtbot.waitUntil(lambda: not window.overlay.isVisible(), timeout=2000)
    assert server.connections == 2


def test_backoff_grows_and_cancel_stops_the_attempts(make_window, server: RfbServer, qtbot) -> None:
    window = make_window(target_of(server), backoff=Backoff(0.2, 2.0, 0.8))
    server.accepting = False  # from now on, every connection is closed at once
    start = len(server.attempt_times)
    server.drop()
    qtbot.waitUntil(lambda: len(server.attempt_times) >= start + 4, timeout=8000)
    times = server.attempt_times[start:]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] < gaps[1] < gaps[2] + 0.1  # 0.2 s, 0.4 s, 0.8 s (capped)
    assert gaps[1] > 0.3
    assert window.overlay.title.text() == "Connection lost"
    assert "Reconnecting in" in window.overlay.countdown.text() or window.overlay.isVisible()
    QTest.mouseClick(window.overlay.cancel_button, Qt.MouseButton.LeftButton)
    # Cancelled: waiting, with no retry scheduled (a cancel during an attempt holds too).
    qtbot.waitUntil(
        lambda: window.bridge.state.phase is Phase.WAITING and window.bridge.state.delay is None,
        timeout=3000,
    )
    count = len(server.attempt_times)
    qtbot.wait(1200)
    assert len(server.attempt_times) == count  # no more attempts
    assert window.overlay.reconnect_button.isVisible()
    server.accepting = True
    QTest.mouseClick(window.overlay.reconnect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.bridge.state.phase is Phase.CONNECTED, timeout=5000)
    # The session thread changes phase first; the window hides the overlay when the queued
    # signal reaches the GUI thread.
    qtbot.waitUntil(lambda: not window.overlay.isVisible(), timeout=3000)


def test_each_attempt_asks_the_target_source_for_a_fresh_target(make_window, qtbot) -> None:
    with RfbServer(320, 200, name="first") as first, RfbServer(320, 200, name="second") as second:
        servers = [first, second]
        asked: list[int] = []

        class FreshTargets:
            """A console source whose one door leads to the first server, then the second."""

            title = "fresh"

            async def doors(self) -> AsyncIterator[Door]:
                asked.append(len(asked))
                yield Door(target_of(servers[min(len(asked), 2) - 1]))

            def door_failed(self, door: Door, error: ConsoleError) -> None:
                pass

            def connected(self, door: Door) -> None:
                pass

            def exhausted(self) -> ConsoleError:
                return ConsoleError("no server")

        window = make_window(FreshTargets(), backoff=Backoff(0.1, 2.0, 0.5))
        assert window.windowTitle().startswith("first")
        first.accepting = False
        first.drop()
        qtbot.waitUntil(lambda: second.connections == 1, timeout=5000)
        qtbot.waitUntil(lambda: window.windowTitle().startswith("second"), timeout=3000)
        assert len(asked) == 2


def test_status_bar_shows_size_frames_and_the_round_trip_time(
    make_window, server: RfbServer, qtbot
) -> None:
    """Once a second: the resolution, frames/s, kB/s and the TCP round-trip time the kernel
    measures for the connection (a local server: well under a millisecond, but measured)."""
    window = make_window(target_of(server))
    qtbot.waitUntil(lambda: window.rtt_label.text() != "RTT –", timeout=4000)
    assert re.fullmatch(r"RTT \d+\.\d ms", window.rtt_label.text())
    fb = window.bridge.session.framebuffer if window.bridge.session else None
    assert fb is not None and window.size_label.text() == f"{fb.width}×{fb.height}"
    assert window.bridge.session is not None
    rtt = window.bridge.session.round_trip_ms()
    assert rtt is not None and 0 <= rtt < 100


def test_a_narrow_window_hides_status_labels_instead_of_staying_wide(
    make_window, server: RfbServer, qtbot
) -> None:
    window = make_window(target_of(server))
    window.resize(300, 300)
    qtbot.waitUntil(lambda: window.width() == 300, timeout=2000)
    labels = [window.keyboard_label, window.rtt_label, window.rate_label]
    keyboard, rtt, rate = (label.isVisible() for label in labels)
    assert keyboard and not rtt and not rate  # the least useful went first
    window.resize(1200, 300)
    qtbot.waitUntil(lambda: window.width() == 1200, timeout=2000)
    assert all(label.isVisible() for label in labels)
