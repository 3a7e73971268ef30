"""A server that floods the console with bells, resizes or clipboard texts costs the window a
bounded number of queued signals, not one per message: the window stays responsive."""

from __future__ import annotations

import struct
import time

from tests.ui.conftest import target_of
from tests.ui.rfb_server import DESKTOP_SIZE, RfbServer, fbu, rect

FLOOD = 20_000


def counter(signal) -> list[float]:
    seen: list[float] = []
    signal.connect(lambda *_args: seen.append(time.monotonic()))
    return seen


def test_a_flood_of_bells_rings_a_few_times(make_window, server: RfbServer, qtbot) -> None:
    window = make_window(target_of(server))
    bells = counter(window.bridge.bell)
    start = time.monotonic()
    server.send(b"\x02" * FLOOD)
    server.cut_text("after the bells")  # the last message of the flood, to know it is read
    qtbot.waitUntil(lambda: window.clipboard.server_text == "after the bells", timeout=10000)
    elapsed = time.monotonic() - start
    # At most one bell per BELL_INTERVAL (0.2 s) while the flood is read, and at least one.
    assert 1 <= len(bells) <= elapsed / 0.2 + 2


def test_a_flood_of_resizes_and_clipboard_texts_reaches_the_window_coalesced(
    make_window, server: RfbServer, qtbot
) -> None:
    window = make_window(target_of(server))
    resizes = counter(window.bridge.resized)
    texts = counter(window.bridge.clipboard)
    sizes = [(320 + i % 7, 200 + i % 5) for i in range(2000)]
    resize_flood = b"".join(fbu(rect(0, 0, w, h, DESKTOP_SIZE)) for w, h in sizes)
    cut_flood = b"".join(
        struct.pack(">BxxxI", 3, len(t)) + t for t in (f"text {i}".encode() for i in range(2000))
    )
    server.send(resize_flood + cut_flood)
    qtbot.waitUntil(lambda: window.clipboard.server_text == "text 1999", timeout=10000)
    qtbot.waitUntil(
        lambda: window._fb is not None and window._fb.width == sizes[-1][0], timeout=5000
    )
    # Far fewer signals than messages (one waits at a time: how many depends on how often the
    # GUI thread took the latest value, which a busy machine changes), and the last value wins.
    assert 1 <= len(resizes) < len(sizes) // 4
    assert 1 <= len(texts) < 2000 // 4
    assert window.size_label.text() == f"{sizes[-1][0]}×{sizes[-1][1]}"
