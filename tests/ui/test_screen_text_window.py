"""The window copies a text console's text: the whole screen (Console ▸ Copy screen text) or the
cells under a selection (Ctrl+Shift+drag, or Console ▸ Select text to copy), exactly as drawn,
with a notice of what was copied; while selecting, the guest gets no pointer action."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.ui.console_window import ConsoleWindow
from ovhkvm_desktop.ui.framebuffer_view import ScaleMode
from tests.screen_text.render import draw, psf, rgb
from tests.ui.conftest import target_of
from tests.ui.rfb_server import CutText, Key, Pointer, RfbServer

FONT = "Uni2-VGA16"  # 8x16 cells: 80 columns, 25 rows on 640x400
WIDTH, HEIGHT, CELL_W, CELL_H = 640, 400, 8, 16
LINES = [
    "Debian GNU/Linux 12 rescue tty1",
    "",
    "rescue login: root",
    "Password: 3xK!9q#Zp@w7",
    "root@rescue:~# blkid /dev/sda1",
    '/dev/sda1: UUID="4b1c9e2a-77f0" TYPE="ext4"',
    "café déjà vu, naïve façade",
]
#: A cell no font draws (three colours), after the text of the first row.
UNREADABLE_CELL = (33, 0)
SELECT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def console_pixels() -> np.ndarray:
    font = psf(FONT)
    fb = Framebuffer(WIDTH, HEIGHT)
    fb.pixels32[:] = rgb(0x000000)
    for row, line in enumerate(LINES):
        draw(fb, font, 0, row, line, 0xAAAAAA if row % 2 else 0x55FF55, 0x000000)
    column, row = UNREADABLE_CELL
    cell = fb.pixels32[row * CELL_H : (row + 1) * CELL_H, column * CELL_W : (column + 1) * CELL_W]
    cell[:] = rgb(0x000000)
    cell[2:6, 1:4] = rgb(0xFF0000)
    cell[8:12, 4:7] = rgb(0x00FF00)
    return fb.pixels.copy()


def screen_rows() -> list[str]:
    rows = [line.ljust(WIDTH // CELL_W) for line in LINES]
    rows += [" " * (WIDTH // CELL_W)] * (HEIGHT // CELL_H - len(rows))
    column, row = UNREADABLE_CELL
    rows[row] = rows[row][:column] + "\ufffd" + rows[row][column + 1 :]
    return rows


def text_of(rows: list[str]) -> str:
    return "\n".join(row.rstrip(" ") for row in rows)


@pytest.fixture
def console() -> Iterator[RfbServer]:
    with RfbServer(WIDTH, HEIGHT) as srv:
        srv.pixels[:] = console_pixels()
        yield srv


@pytest.fixture
def noise() -> Iterator[RfbServer]:
    with RfbServer(WIDTH, HEIGHT) as srv:
        random = np.random.default_rng(14)
        srv.pixels[:, :, :3] = random.integers(0, 256, (HEIGHT, WIDTH, 3), np.uint8)
        yield srv


def cell_point(window: ConsoleWindow, column: int, row: int) -> QPoint:
    """The viewport point at the middle of a cell, whatever the scaling."""
    view = window.view
    target, scale = view.target_rect, view.scale
    x = target.x() + (column * CELL_W + CELL_W / 2) * scale
    y = target.y() + (row * CELL_H + CELL_H / 2) * scale
    return QPointF(x, y).toPoint()


def notice(window: ConsoleWindow) -> str:
    return window.status_bar.currentMessage()


def nothing_more_reached(server: RfbServer, window: ConsoleWindow, marker: str) -> list:
    """Everything the server received, once what the window sent before has surely arrived (a
    clipboard text sent now comes after it on the same connection)."""
    window.bridge.send_clipboard(marker)
    return server.wait_for(lambda m: CutText(marker) in m)


def drag(
    window: ConsoleWindow,
    start: tuple[int, int],
    end: tuple[int, int],
    modifiers: Qt.KeyboardModifier = SELECT,
) -> None:
    viewport = window.view.viewport()
    first, last = cell_point(window, *start), cell_point(window, *end)
    middle = (first + last) / 2
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, modifiers, first)
    QTest.mouseMove(viewport, middle)
    QTest.mouseMove(viewport, last)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifiers, last)


def hover(window: ConsoleWindow, server: RfbServer, column: int, row: int) -> None:
    """Put the pointer over a cell first (the guest sees that move), then forget it."""
    QTest.mouseMove(window.view.viewport(), cell_point(window, column, row))
    nothing_more_reached(server, window, "hovered")
    server.clear()


def test_copy_screen_text_puts_exactly_the_screens_text_on_the_clipboard(
    make_window, console: RfbServer, qtbot
) -> None:
    window = make_window(target_of(console))
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")
    window.copy_text_action.trigger()
    expected = text_of(screen_rows())
    qtbot.waitUntil(lambda: clipboard.text() == expected, timeout=5000)
    assert clipboard.text().splitlines()[:7] == [
        "Debian GNU/Linux 12 rescue tty1  \ufffd",
        "",
        "rescue login: root",
        "Password: 3xK!9q#Zp@w7",
        "root@rescue:~# blkid /dev/sda1",
        '/dev/sda1: UUID="4b1c9e2a-77f0" TYPE="ext4"',
        "café déjà vu, naïve façade",
    ]
    assert notice(window) == f"Copied {len(expected):,} characters (1 cell unreadable, shown as �)"


@pytest.mark.parametrize("scale", [ScaleMode.FIT, ScaleMode.ACTUAL])
def test_a_ctrl_shift_drag_copies_exactly_the_cells_under_it_and_nothing_reaches_the_guest(
    make_window, console: RfbServer, qtbot, scale: ScaleMode
) -> None:
    window = make_window(target_of(console), scale=scale)
    if scale is ScaleMode.FIT:  # a window that shows the screen at 1.37 times its size
        window.resize(window.size() - window.view.viewport().size() + QSize(877, 548))
        qtbot.waitUntil(lambda: 1.3 < window.view.scale < 1.4, timeout=3000)
    clipboard = QGuiApplication.clipboard()
    hover(window, console, 7, 0)
    # From the middle of "G" in GNU to the middle of the x of Linux: whole cells only.
    drag(window, (7, 0), (15, 0))
    qtbot.waitUntil(lambda: clipboard.text() == "GNU/Linux", timeout=5000)
    assert notice(window) == "Copied 9 characters"
    # Across rows, from the bottom right to the top left: the same cells as the other way.
    drag(window, (17, 5), (10, 3))
    rows = screen_rows()[3:6]
    qtbot.waitUntil(lambda: clipboard.text() == text_of([r[10:18] for r in rows]), timeout=5000)
    assert clipboard.text() == '3xK!9q#Z\ne:~# blk\n UUID="4'
    # The band shows the cells that were copied.
    band = window.view.selection_band
    cells = window.view.map_from_framebuffer(Rect(10 * CELL_W, 3 * CELL_H, 8 * CELL_W, 3 * CELL_H))
    qtbot.waitUntil(lambda: band.isVisible() and band.geometry() == cells, timeout=2000)
    qtbot.waitUntil(lambda: not band.isVisible(), timeout=3000)
    received = nothing_more_reached(console, window, "done")
    assert [m for m in received if isinstance(m, Pointer)] == []


def test_a_selection_over_the_unreadable_cell_says_so(make_window, console: RfbServer, qtbot):
    window = make_window(target_of(console))
    clipboard = QGuiApplication.clipboard()
    drag(window, (27, 0), (34, 0))
    qtbot.waitUntil(lambda: clipboard.text() == "tty1  \ufffd", timeout=5000)
    assert notice(window) == "Copied 7 characters (1 cell unreadable, shown as �)"


def test_select_text_to_copy_makes_a_plain_drag_select_and_escape_cancels(
    make_window, console: RfbServer, qtbot
) -> None:
    window = make_window(target_of(console), scale=ScaleMode.FIT)
    window.resize(window.size() - window.view.viewport().size() + QSize(500, 400))
    qtbot.waitUntil(lambda: window.view.scale < 1, timeout=3000)
    view = window.view
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")
    hover(window, console, 0, 2)
    window.select_text_action.trigger()
    assert view.selecting
    drag(window, (0, 2), (5, 2), Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(lambda: clipboard.text() == "rescue", timeout=5000)
    assert not view.selecting  # one selection, then the pointer is the guest's again
    assert [m for m in nothing_more_reached(console, window, "one") if isinstance(m, Pointer)] == []

    clipboard.setText("before")
    console.clear()
    window.select_text_action.trigger()
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert not view.selecting
    drag(window, (0, 2), (5, 2), Qt.KeyboardModifier.NoModifier)
    received = nothing_more_reached(console, window, "two")
    assert any(isinstance(m, Pointer) and m.buttons == 1 for m in received)  # the guest's drag
    assert not [m for m in received if isinstance(m, Key)]  # Escape was the selection's
    assert clipboard.text() == "before"


def test_a_screen_that_is_not_a_text_console_copies_nothing(
    make_window, noise: RfbServer, qtbot
) -> None:
    window = make_window(target_of(noise))
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")
    window.copy_text_action.trigger()
    qtbot.waitUntil(lambda: "nothing copied" in notice(window), timeout=5000)
    assert notice(window) == "This screen is not a text console: nothing copied"
    window.statusBar().clearMessage()
    drag(window, (0, 0), (10, 3))
    qtbot.waitUntil(lambda: "nothing copied" in notice(window), timeout=5000)
    assert notice(window) == "This screen is not a text console: nothing copied"
    assert clipboard.text() == "before"


def test_screen_text_is_a_servers_text_and_goes_to_no_server_by_itself(
    make_window, console: RfbServer, qtbot
) -> None:
    window = make_window(target_of(console))
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.clipboard_out_action.setChecked(True)  # the user sends what they copy
    clipboard = QGuiApplication.clipboard()
    drag(window, (7, 0), (15, 0))
    qtbot.waitUntil(lambda: clipboard.text() == "GNU/Linux", timeout=5000)
    received = nothing_more_reached(console, window, "after")
    assert CutText("GNU/Linux") not in received


def test_escape_during_a_drag_copies_nothing_and_the_guest_sees_none_of_it(
    make_window, console: RfbServer, qtbot
) -> None:
    window = make_window(target_of(console))
    view, viewport = window.view, window.view.viewport()
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")
    hover(window, console, 0, 2)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, SELECT, cell_point(window, 0, 2))
    QTest.mouseMove(viewport, cell_point(window, 5, 2))
    assert view.selection_band.isVisible()
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert not view.selecting and not view.selection_band.isVisible()
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, SELECT, cell_point(window, 5, 2))
    received = nothing_more_reached(console, window, "cancelled")
    assert [m for m in received if isinstance(m, (Pointer, Key))] == []
    qtbot.wait(100)
    assert clipboard.text() == "before"


def test_a_view_only_window_copies_a_selection_too(make_window, console: RfbServer, qtbot):
    window = make_window(target_of(console), view_only=True)
    clipboard = QGuiApplication.clipboard()
    drag(window, (0, 3), (7, 3))
    qtbot.waitUntil(lambda: clipboard.text() == "Password", timeout=5000)
    received = nothing_more_reached(console, window, "viewed")
    assert [m for m in received if isinstance(m, Pointer)] == []
