"""The picture and the pointer: scaling modes, coordinates, screenshots, cursor, bell, clipboard."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from ovhkvm_desktop.ui.framebuffer_view import ScaleMode
from tests.ui.conftest import target_of
from tests.ui.rfb_server import CURSOR, DesktopSize, Pointer, RfbServer, fbu, rect


def pattern(width: int, height: int) -> np.ndarray:
    """A picture where every pixel differs from its neighbours (BGRX)."""
    y, x = np.mgrid[0:height, 0:width]
    out = np.empty((height, width, 4), np.uint8)
    out[:, :, 0] = (x * 7) % 256
    out[:, :, 1] = (y * 5) % 256
    out[:, :, 2] = (x * 3 + y * 11) % 256
    out[:, :, 3] = 255
    return out


def image_bgrx(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    rows = data.reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4).copy()


def wait_picture(qtbot, window, expected: np.ndarray) -> None:
    def same() -> bool:
        shot = window.screenshot()
        return shot is not None and np.array_equal(image_bgrx(shot)[:, :, :3], expected[:, :, :3])

    qtbot.waitUntil(same, timeout=5000)


def set_viewport(qtbot, window, width: int, height: int) -> None:
    """Resize the window so that the view is exactly this size (its viewport too, but for the
    scroll bars it may need)."""
    view = window.view
    extra = window.size() - view.size()
    window.resize(width + extra.width(), height + extra.height())
    qtbot.waitUntil(lambda: (view.width(), view.height()) == (width, height), timeout=2000)


def click(window, x: float, y: float, button=Qt.MouseButton.LeftButton) -> None:
    QTest.mouseClick(window.view.viewport(), button, Qt.KeyboardModifier.NoModifier, QPoint(x, y))


def test_screenshot_and_painted_window_equal_the_framebuffer(
    make_window, server: RfbServer, qtbot
) -> None:
    window = make_window(target_of(server), scale=ScaleMode.ACTUAL)
    picture = pattern(320, 200)
    server.paint(0, 0, picture)
    wait_picture(qtbot, window, picture)
    set_viewport(qtbot, window, 480, 260)
    # What the window shows, pixel for pixel, where the screen is drawn.
    grabbed = image_bgrx(window.view.viewport().grab().toImage())
    target = window.view.target_rect.toRect()
    shown = grabbed[target.y() : target.y() + 200, target.x() : target.x() + 320]
    assert np.array_equal(shown[:, :, :3], picture[:, :, :3])
    # Then a small change repaints just there, and the window follows.
    patch = np.zeros((10, 20, 4), np.uint8)
    patch[:, :, 2] = 255
    server.paint(100, 50, patch)
    picture[50:60, 100:120] = patch
    wait_picture(qtbot, window, picture)
    qtbot.wait(50)
    grabbed = image_bgrx(window.view.viewport().grab().toImage())
    shown = grabbed[target.y() : target.y() + 200, target.x() : target.x() + 320]
    assert np.array_equal(shown[:, :, :3], picture[:, :, :3])


def test_the_view_wraps_the_framebuffer_without_copying(make_window, server: RfbServer) -> None:
    window = make_window(target_of(server))
    image = window.view.image
    assert window._fb is not None
    assert int(window._fb.pixels.ctypes.data) == _address(image)


def _address(image: QImage) -> int:
    bits = image.constBits()
    return int(np.frombuffer(bits, np.uint8).ctypes.data)


def test_pointer_in_fit_mode_maps_through_the_scale(make_window, qtbot) -> None:
    with RfbServer(1000, 600) as server:
        window = make_window(target_of(server), scale=ScaleMode.FIT)
        set_viewport(qtbot, window, 500, 340)  # shrinks to 500x300, centred: 20 px bands
        assert window.view.scale == pytest.approx(0.5)
        click(window, 250, 170)  # the middle of the screen
        click(window, 0, 20, Qt.MouseButton.RightButton)  # its top-left corner
        click(window, 10, 5)  # the black band above: clamped to the top edge
        pointers = server.wait_for(lambda m: len([p for p in m if isinstance(p, Pointer)]) >= 6)
        pointers = [p for p in pointers if isinstance(p, Pointer)]
        assert pointers[:6] == [
            Pointer(1, 500, 300),
            Pointer(0, 500, 300),
            Pointer(4, 0, 0),
            Pointer(0, 0, 0),
            Pointer(1, 20, 0),
            Pointer(0, 20, 0),
        ]


def test_pointer_in_actual_mode_follows_the_scroll_bars(make_window, qtbot) -> None:
    with RfbServer(1000, 600) as server:
        window = make_window(target_of(server), scale=ScaleMode.ACTUAL)
        set_viewport(qtbot, window, 500, 300)
        assert window.view.horizontalScrollBar().maximum() > 0
        window.view.horizontalScrollBar().setValue(50)
        window.view.verticalScrollBar().setValue(20)
        click(window, 10, 10)
        pointers = server.wait_for(lambda m: len([p for p in m if isinstance(p, Pointer)]) >= 2)
        assert [p for p in pointers if isinstance(p, Pointer)][:2] == [
            Pointer(1, 60, 30),
            Pointer(0, 60, 30),
        ]


def test_remote_mode_asks_the_server_for_the_window_size(
    make_window, server: RfbServer, qtbot
) -> None:
    window = make_window(target_of(server), scale=ScaleMode.REMOTE)
    set_viewport(qtbot, window, 500, 300)
    server.wait_for(lambda m: DesktopSize(500, 300) in m)
    qtbot.waitUntil(lambda: window.view.framebuffer_size().width() == 500, timeout=3000)
    assert window.size_label.text() == "500×300"
    click(window, 499, 299)  # one to one
    server.wait_for(lambda m: Pointer(1, 499, 299) in m and Pointer(0, 499, 299) in m)


def test_wheel_sends_button_presses_for_both_axes(make_window, server: RfbServer, qtbot) -> None:
    from PySide6.QtCore import QPointF as P
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    window = make_window(target_of(server), scale=ScaleMode.ACTUAL)
    for delta in (QPoint(0, 120), QPoint(0, -240), QPoint(120, 0), QPoint(-60, 0)):
        event = QWheelEvent(
            P(5, 6),
            P(window.view.viewport().mapToGlobal(QPoint(5, 6))),
            QPoint(),
            delta,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(window.view.viewport(), event)
    items = server.wait_for(lambda m: len([p for p in m if isinstance(p, Pointer)]) >= 8)
    buttons = [p.buttons for p in items if isinstance(p, Pointer)]
    # Up once, down twice, left once; the half notch right waits for the other half.
    assert buttons == [8, 0, 16, 0, 16, 0, 32, 0]


def test_server_cursor_becomes_the_local_cursor(make_window, server: RfbServer, qtbot) -> None:
    window = make_window(target_of(server))
    w, h = 8, 8
    pixels = bytes([0, 0, 255, 0] * w * h)
    mask = bytes([0xFF] * h)
    server.send(fbu(rect(3, 4, w, h, CURSOR, pixels + mask)))
    viewport = window.view.viewport()
    qtbot.waitUntil(lambda: not viewport.cursor().pixmap().isNull(), timeout=3000)
    cursor = viewport.cursor()
    assert (cursor.hotSpot().x(), cursor.hotSpot().y()) == (3, 4)
    assert cursor.pixmap().toImage().pixelColor(0, 0).red() == 255


def test_bell_flashes_the_view(make_window, server: RfbServer, qtbot) -> None:
    window = make_window(target_of(server))
    flash = window.view._flash
    server.bell()
    qtbot.waitUntil(flash.isVisible, timeout=3000)
    qtbot.waitUntil(lambda: not flash.isVisible(), timeout=3000)


def test_resolution_change_follows_the_server(make_window, server: RfbServer, qtbot) -> None:
    window = make_window(target_of(server), scale=ScaleMode.FIT)
    set_viewport(qtbot, window, 640, 400)
    from tests.ui.rfb_server import DESKTOP_SIZE

    server.send(fbu(rect(0, 0, 1280, 800, DESKTOP_SIZE)))
    qtbot.waitUntil(lambda: window.view.framebuffer_size().width() == 1280, timeout=3000)
    assert window.size_label.text() == "1280×800"
    assert window.view.scale == pytest.approx(0.5)
    assert window.view.map_to_framebuffer(QPointF(320, 200)) == (640, 400)


POINTER_MOTION_CHANGE = -257  # QEMU: x = 1 absolute device, x = 0 relative (a mouse)


def test_relative_pointer_is_captured_on_click_and_released_by_the_menu_key(
    make_window, server: RfbServer, qtbot
) -> None:
    """A guest with a relative device: the first click captures the pointer (and reaches no
    guest), motion goes as offsets from 0x7FFF, buttons at the origin; F8 lets it go; a switch
    back to an absolute device sends coordinates again."""
    window = make_window(target_of(server), scale=ScaleMode.ACTUAL)
    view, viewport = window.view, window.view.viewport()
    server.send(fbu(rect(0, 0, 0, 0, POINTER_MOTION_CHANGE)))
    qtbot.waitUntil(lambda: view.relative, timeout=3000)
    server.clear()

    click(window, 10, 10)
    assert view.pointer_captured
    center = viewport.rect().center()
    QTest.mouseMove(viewport, center + QPoint(5, -3))
    click(window, center.x(), center.y())
    items = server.wait_for(lambda m: len([p for p in m if isinstance(p, Pointer)]) >= 3)
    pointers = [(p.buttons, p.x, p.y) for p in items if isinstance(p, Pointer)]
    origin = 0x7FFF
    assert pointers == [(0, origin + 5, origin - 3), (1, origin, origin), (0, origin, origin)]

    QTest.keyClick(viewport, Qt.Key.Key_F8)
    assert not view.pointer_captured
    window.console_menu.hide()

    server.send(fbu(rect(1, 0, 0, 0, POINTER_MOTION_CHANGE)))
    qtbot.waitUntil(lambda: not view.relative, timeout=3000)
    server.clear()
    origin_in_view = view.target_rect.topLeft()  # the screen is centred in a larger view
    click(window, origin_in_view.x() + 10, origin_in_view.y() + 12)
    items = server.wait_for(lambda m: len([p for p in m if isinstance(p, Pointer)]) >= 2)
    assert [(p.x, p.y) for p in items if isinstance(p, Pointer)] == [(10, 12), (10, 12)]
