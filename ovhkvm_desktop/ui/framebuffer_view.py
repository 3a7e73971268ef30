"""The remote screen in a widget: painted from the session's buffer, scaled, and its input.

The view wraps the framebuffer's numpy array in a ``QImage`` (Format_RGB32 reads B, G, R, X as
it is) without copying, and repaints only the areas an update changed. It knows nothing of the
protocol: it emits the keys and pointer actions it receives, in framebuffer coordinates.

It also lets the user select a rectangle of the screen (its text is copied, screen_selection.py):
while selecting, no pointer action reaches the guest.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from typing import cast

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QCursor,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QRegion,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QRubberBand, QWidget

from ovhkvm_desktop.rfb import events as ev
from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.ui.dirty import coalesce
from ovhkvm_desktop.ui.keys import HostKey, host_key


class ScaleMode(enum.StrEnum):
    FIT = "fit"  # the whole screen in the window, aspect kept
    ACTUAL = "actual"  # one pixel for one pixel, scroll bars
    REMOTE = "remote"  # the server's screen follows the window's size


# RFB pointer button bits.
BUTTON_LEFT = 1
BUTTON_MIDDLE = 2
BUTTON_RIGHT = 4
WHEEL_UP = 8
WHEEL_DOWN = 16
WHEEL_LEFT = 32
WHEEL_RIGHT = 64
_QT_BUTTONS = (
    (Qt.MouseButton.LeftButton, BUTTON_LEFT),
    (Qt.MouseButton.MiddleButton, BUTTON_MIDDLE),
    (Qt.MouseButton.RightButton, BUTTON_RIGHT),
)
_WHEEL_STEP = 120  # one notch, in eighths of a degree
#: QEMU Pointer Motion Change: in relative mode, motion is sent as 0x7FFF + delta.
RELATIVE_ORIGIN = 0x7FFF
#: Beyond this many exposed rectangles a paint blits their bounding rectangle once.
_MAX_BLITS = 16
#: A drag with the left button and these modifiers selects text instead of reaching the guest.
#: Ctrl+Shift, because each simpler choice takes something common from someone: Shift+click
#: extends a selection and Ctrl+click adds to one on guest desktops (file managers, editors,
#: browsers), and Alt+drag or Super+drag move windows on the host's desktop before we see them.
#: Ctrl+Shift+drag means little anywhere (and the text consoles we read ignore the pointer).
SELECT_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
_MODIFIERS = SELECT_MODIFIERS | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
#: How long the band stays on screen, snapped to the cells it copied, after the release.
_BAND_LINGER_MS = 600


class FramebufferView(QAbstractScrollArea):
    """Paints a Framebuffer; emits the user's keys and pointer actions."""

    key = Signal(object)  # HostKey (Qt's auto-repeat releases included: the window decides)
    pointer = Signal(int, int, int)  # buttons, x, y in framebuffer pixels (or relative motion)
    focus_lost = Signal()
    menu_requested = Signal()
    fullscreen_requested = Signal()
    top_edge = Signal()  # the pointer touched the top edge (the full-screen bar slides in)
    remote_size_wanted = Signal(int, int)  # remote scaling: the size the viewport offers
    selection_started = Signal()  # the user began dragging a selection
    selection_finished = Signal(object)  # Rect: the framebuffer pixels it covers
    selection_cancelled = Signal()  # Escape, or a click without a drag

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._array: np.ndarray | None = None  # keeps the wrapped memory alive
        self._mode = ScaleMode.FIT
        self._scale = 1.0
        self._target = QRectF()
        self._buttons = 0
        self._wheel = QPoint()
        self.menu_key = Qt.Key.Key_F8
        self.fullscreen_key: Qt.Key | None = Qt.Key.Key_F11
        self.view_only = False
        self.frames_painted = 0  # paints that showed new screen content
        self._painted_dirty = False
        self._remote_cursor: ev.CursorChanged | None = None
        self._relative = False
        self._captured = False
        self._capture_click: Qt.MouseButton | None = None  # the click that captured, while down
        self._remote_resize = False  # the server said it can take a new screen size
        self._asked: tuple[QSize, QSize] | None = None  # (viewport, screen) when last asked
        self._remote_timer = QTimer(self)
        self._remote_timer.setSingleShot(True)
        self._remote_timer.setInterval(300)
        self._remote_timer.timeout.connect(self._ask_remote_size)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QAbstractScrollArea.Shape.NoFrame)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        viewport = self.viewport()
        viewport.setMouseTracking(True)
        viewport.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        viewport.setAutoFillBackground(False)
        self._flash = QWidget(viewport)
        self._flash.setStyleSheet("background: rgba(255, 255, 255, 110);")
        self._flash.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._flash.hide()
        self._select_mode = False  # the next drag selects (Console ▸ Select text to copy)
        self._band_from: QPointF | None = None  # where the selecting drag began, while it lasts
        self._band_area: Rect | None = None  # what the band covers, in framebuffer pixels
        self._snap: Callable[[Rect], Rect | None] | None = None
        self._eat_escape_release = False
        self._eat_left_release = False  # a drag cancelled by Escape: its release is ours too
        self.selection_band = QRubberBand(QRubberBand.Shape.Rectangle, viewport)
        self._band_timer = QTimer(self)
        self._band_timer.setSingleShot(True)
        self._band_timer.setInterval(_BAND_LINGER_MS)
        self._band_timer.timeout.connect(self.selection_band.hide)
        self._apply_mode()

    # -- the picture ------------------------------------------------------------------------

    def set_framebuffer(self, fb: Framebuffer | None) -> None:
        """Show this framebuffer (after a connection or a resize: its array may be new)."""
        if fb is None:
            self._image = self._array = None
        else:
            array = fb.pixels
            height, width = array.shape[:2]
            self._array = array
            self._image = QImage(array.data, width, height, width * 4, QImage.Format.Format_RGB32)
        self._layout()
        self.viewport().update()
        if self._mode is ScaleMode.REMOTE:
            self._remote_timer.start()

    @property
    def image(self) -> QImage | None:
        """The wrapped screen (no copy: copy it before keeping it)."""
        return self._image

    def framebuffer_size(self) -> QSize:
        return self._image.size() if self._image is not None else QSize()

    def update_rects(self, rects: list[Rect]) -> None:
        """Repaint what these framebuffer rectangles changed."""
        image = self._image
        if image is None or not rects:
            return
        self._painted_dirty = True
        areas = coalesce(rects, image.width(), image.height())
        viewport = self.viewport()
        if len(areas) == 1:
            viewport.update(self._to_view(areas[0]))
            return
        region = QRegion()
        for area in areas:
            region += self._to_view(area)
        viewport.update(region)

    def _to_view(self, r: Rect) -> QRect:
        t = self._target
        s = self._scale
        margin = 1 if s != 1.0 else 0  # smooth scaling reads the neighbours of a pixel
        left = math.floor(t.x() + r.x * s) - margin
        top = math.floor(t.y() + r.y * s) - margin
        right = math.ceil(t.x() + (r.x + r.width) * s) + margin
        bottom = math.ceil(t.y() + (r.y + r.height) * s) + margin
        return QRect(left, top, right - left, bottom - top)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        target = self._target
        image = self._image
        if image is None:
            painter.fillRect(event.rect(), QColor(32, 32, 32))
            return
        outside = QRegion(event.rect()) - QRegion(target.toAlignedRect())
        if not outside.isEmpty():
            for rect in _rects(outside):
                painter.fillRect(rect, Qt.GlobalColor.black)
        if self._scale == 1.0:
            # One to one: blit only the exposed parts (the cheapest path in the raster engine),
            # or, when they are many (a busy screen's update is a thousand small rectangles),
            # their bounding rectangle once, which Qt clips to them: a Python call per part
            # would cost more, and each lets the decoding thread take the GIL for a while.
            offset = target.topLeft().toPoint()
            region = event.region()
            parts = _rects(region) if region.rectCount() <= _MAX_BLITS else [region.boundingRect()]
            for rect in parts:
                source = rect.translated(-offset).intersected(image.rect())
                if not source.isEmpty():
                    painter.drawImage(source.topLeft() + offset, image, source)
        else:
            if self._scale < 1.0:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, image, QRectF(image.rect()))
        painter.end()
        if self._painted_dirty:
            self._painted_dirty = False
            self.frames_painted += 1

    # -- scaling ----------------------------------------------------------------------------

    @property
    def scale_mode(self) -> ScaleMode:
        return self._mode

    def set_scale_mode(self, mode: ScaleMode | str) -> None:
        self._mode = ScaleMode(mode)
        self._apply_mode()
        if self._mode is ScaleMode.REMOTE:
            self._remote_timer.start()

    @property
    def scale(self) -> float:
        return self._scale

    @property
    def target_rect(self) -> QRectF:
        """Where the screen is drawn in the viewport."""
        return QRectF(self._target)

    def _apply_mode(self) -> None:
        policy = (
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
            if self._mode is ScaleMode.FIT
            else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )
        self.setHorizontalScrollBarPolicy(policy)
        self.setVerticalScrollBarPolicy(policy)
        self._layout()
        self.viewport().update()
        self._update_cursor()

    def _layout(self) -> None:
        image = self._image
        view = self.viewport().size()
        if image is None or image.isNull():
            self._target = QRectF()
            return
        w, h = image.width(), image.height()
        if self._mode is ScaleMode.FIT:
            scale = min(view.width() / w, view.height() / h) if view.width() > 0 else 1.0
            scale = scale if scale > 0 else 1.0
            sw, sh = w * scale, h * scale
            self._scale = scale
            self._target = QRectF((view.width() - sw) / 2, (view.height() - sh) / 2, sw, sh)
            return
        self._scale = 1.0
        hbar, vbar = self.horizontalScrollBar(), self.verticalScrollBar()
        hbar.setRange(0, max(0, w - view.width()))
        vbar.setRange(0, max(0, h - view.height()))
        hbar.setPageStep(view.width())
        vbar.setPageStep(view.height())
        x = (view.width() - w) // 2 if w < view.width() else -hbar.value()
        y = (view.height() - h) // 2 if h < view.height() else -vbar.value()
        self._target = QRectF(x, y, w, h)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self._layout()
        self.viewport().update()
        self._show_band()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._layout()
        self._show_band()
        self._flash.setGeometry(self.viewport().rect())
        self._update_cursor()
        if self._mode is ScaleMode.REMOTE:
            self._remote_timer.start()

    @property
    def remote_resize(self) -> bool:
        """Whether the server can be asked for a new screen size (it said so, this connection)."""
        return self._remote_resize

    @remote_resize.setter
    def remote_resize(self, able: bool) -> None:
        self._remote_resize = able
        self._asked = None
        if able and self._mode is ScaleMode.REMOTE:
            self._remote_timer.start()

    def _ask_remote_size(self) -> None:
        """Ask for the viewport's size, once per viewport and screen: a server that keeps its
        size (or gives another) is not asked the same again until one of them changes."""
        if not self._remote_resize or self._mode is not ScaleMode.REMOTE or self._image is None:
            return
        size = self.maximumViewportSize()  # the whole viewport, as without scroll bars
        asked = (size, self._image.size())
        if size != self._image.size() and not size.isEmpty() and asked != self._asked:
            self._asked = asked
            self.remote_size_wanted.emit(size.width(), size.height())

    def sizeHint(self) -> QSize:
        size = self.framebuffer_size()
        return size if size.isValid() else QSize(1024, 768)

    # -- effects ----------------------------------------------------------------------------

    def flash(self) -> None:
        """A short visual bell."""
        self._flash.setGeometry(self.viewport().rect())
        self._flash.show()
        self._flash.raise_()
        QTimer.singleShot(120, self._flash.hide)

    def set_remote_cursor(self, cursor: ev.CursorChanged | None) -> None:
        self._remote_cursor = cursor
        self._update_cursor()

    def _update_cursor(self) -> None:
        viewport = self.viewport()
        cursor = self._remote_cursor
        if self._captured:
            viewport.setCursor(Qt.CursorShape.BlankCursor)
            return
        if self.selecting:
            viewport.setCursor(Qt.CursorShape.CrossCursor)
            return
        if cursor is None:
            viewport.unsetCursor()
            return
        if cursor.width == 0 or cursor.height == 0:
            viewport.setCursor(Qt.CursorShape.BlankCursor)
            return
        image = QImage(
            cursor.bgra, cursor.width, cursor.height, cursor.width * 4, QImage.Format.Format_ARGB32
        ).copy()
        pixmap = QPixmap.fromImage(image)
        hx, hy = cursor.hotspot_x, cursor.hotspot_y
        if self._scale < 1.0:
            w = max(1, round(cursor.width * self._scale))
            h = max(1, round(cursor.height * self._scale))
            pixmap = pixmap.scaled(
                w,
                h,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            hx, hy = round(hx * self._scale), round(hy * self._scale)
        viewport.setCursor(QCursor(pixmap, hx, hy))

    # -- pointer ----------------------------------------------------------------------------

    def map_from_framebuffer(self, area: Rect) -> QRect:
        """The viewport rectangle where a rectangle of framebuffer pixels is drawn."""
        t, s = self._target, self._scale
        left, top = math.floor(t.x() + area.x * s), math.floor(t.y() + area.y * s)
        right = math.ceil(t.x() + (area.x + area.width) * s)
        bottom = math.ceil(t.y() + (area.y + area.height) * s)
        return QRect(left, top, right - left, bottom - top)

    def map_to_framebuffer(self, pos: QPointF) -> tuple[int, int]:
        """The framebuffer pixel under a viewport position (clamped to the screen)."""
        image = self._image
        if image is None or self._scale <= 0:
            return 0, 0
        x = math.floor((pos.x() - self._target.x()) / self._scale)
        y = math.floor((pos.y() - self._target.y()) / self._scale)
        return max(0, min(image.width() - 1, x)), max(0, min(image.height() - 1, y))

    def set_relative(self, relative: bool) -> None:
        """The guest wants relative motion (QEMU Pointer Motion Change): capture on click."""
        self._relative = relative
        if not relative:
            self.release_pointer()

    @property
    def relative(self) -> bool:
        """Whether the guest takes relative motion (its pointer is a mouse, not a tablet)."""
        return self._relative

    @property
    def pointer_captured(self) -> bool:
        return self._captured

    def release_pointer(self) -> None:
        if self._captured:
            self._captured = False
            self.viewport().releaseMouse()
            self._update_cursor()

    def _capture_pointer(self) -> None:
        self._captured = True
        self.viewport().grabMouse()
        self._update_cursor()
        QCursor.setPos(self.viewport().mapToGlobal(self.viewport().rect().center()))

    def _send_position(self, pos: QPointF) -> None:
        if self._relative:
            if not self._captured:
                return
            center = QPointF(self.viewport().rect().center())
            delta = pos - center
            dx, dy = round(delta.x()), round(delta.y())
            if dx or dy:
                self.pointer.emit(self._buttons, RELATIVE_ORIGIN + dx, RELATIVE_ORIGIN + dy)
                QCursor.setPos(self.viewport().mapToGlobal(center.toPoint()))
            return
        x, y = self.map_to_framebuffer(pos)
        self.pointer.emit(self._buttons, x, y)

    def _relative_click(self) -> None:
        self.pointer.emit(self._buttons, RELATIVE_ORIGIN, RELATIVE_ORIGIN)

    # -- selecting text ---------------------------------------------------------------------

    @property
    def selecting(self) -> bool:
        """Whether the pointer selects (the mode is on, or a selecting drag is under way)."""
        return self._select_mode or self._band_from is not None

    def begin_selection(self) -> None:
        """The next drag with the left button selects, whatever the modifiers."""
        self.release_pointer()
        self._select_mode = True
        self._update_cursor()

    def cancel_selection(self) -> None:
        """Leave the selection mode and drop the band (nothing is copied)."""
        if not self.selecting:
            return
        self._eat_left_release = self._band_from is not None
        self._end_selection()
        self.selection_band.hide()
        self.selection_cancelled.emit()

    def set_selection_snap(self, snap: Callable[[Rect], Rect | None] | None) -> None:
        """How the band snaps to the screen's cells (a framebuffer rectangle → the cells' one)."""
        self._snap = snap
        self._show_band()

    def _end_selection(self) -> None:
        self._select_mode = False
        self._band_from = None
        self._update_cursor()

    def _starts_selection(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if self._select_mode:
            return True
        # A captured pointer is the guest's: every click and motion goes there.
        return not self._captured and event.modifiers() & _MODIFIERS == SELECT_MODIFIERS

    def _select(self, event: QMouseEvent, down: bool) -> bool:
        """A press or release while selecting, or one that starts a selection; whether it was
        the selection's (then it reaches no guest)."""
        bit = next((b for qt, b in _QT_BUTTONS if qt == event.button()), 0)
        if not down and self._buttons & bit:
            return False  # the guest holds that button: it must see it go
        if not down and bit == BUTTON_LEFT and self._eat_left_release:
            self._eat_left_release = False
            return True
        if self._band_from is not None:
            if not down and event.button() == Qt.MouseButton.LeftButton:
                self._finish_selection(event.position())
            return True
        if down and self._starts_selection(event):
            self._eat_left_release = False
            self._band_timer.stop()
            self._band_from = event.position()
            self._snap = None
            self._band_area = None
            self._update_cursor()
            self.selection_started.emit()
            self._drag_band(event.position())
            return True
        return self._select_mode  # in the mode, other buttons do nothing

    def _drag_band(self, pos: QPointF) -> None:
        if self._band_from is None:
            return
        x0, y0 = self.map_to_framebuffer(self._band_from)
        x1, y1 = self.map_to_framebuffer(pos)
        self._band_area = Rect(min(x0, x1), min(y0, y1), abs(x1 - x0) + 1, abs(y1 - y0) + 1)
        self._show_band()

    def _show_band(self) -> None:
        area = self._band_area
        if area is None or not (self.selecting or self._band_timer.isActive()):
            return
        cells = self._snap(area) if self._snap is not None else None
        self.selection_band.setGeometry(self.map_from_framebuffer(cells or area))
        self.selection_band.show()

    def _finish_selection(self, pos: QPointF) -> None:
        assert self._band_from is not None
        moved = (pos - self._band_from).manhattanLength() >= QApplication.startDragDistance()
        self._drag_band(pos)
        area = self._band_area
        self._end_selection()
        if not moved or area is None:
            self.selection_band.hide()
            self.selection_cancelled.emit()
            return
        self._band_timer.start()  # the band stays a moment, snapped to what was copied
        self._show_band()
        self.selection_finished.emit(area)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._mouse(event, True)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._mouse(event, False)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self._mouse(event, True)  # Qt sends press, release, double-click, release

    def _mouse(self, event: QMouseEvent, down: bool) -> None:
        event.accept()
        if self._image is None:
            return
        if self._select(event, down):  # view only too: copying text sends nothing
            return
        if self.view_only:
            return
        if down and self._relative and not self._captured:
            self._capture_pointer()
            self._capture_click = event.button()  # its release is ours too, not the guest's
            return
        if not down and event.button() == self._capture_click:
            self._capture_click = None
            return
        bit = next((b for qt, b in _QT_BUTTONS if qt == event.button()), 0)
        if not bit:
            return
        self._buttons = self._buttons | bit if down else self._buttons & ~bit
        if self._relative:
            self._relative_click()
        else:
            self._send_position(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        event.accept()
        if event.position().y() <= 1:
            self.top_edge.emit()
        if self.selecting:
            self._drag_band(event.position())
            return
        if self.view_only or self._image is None:
            return
        self._send_position(event.position())

    def wheelEvent(self, event: QWheelEvent) -> None:
        event.accept()
        if self.view_only or self._image is None or self.selecting:
            return
        self._wheel += event.angleDelta()
        x, y = self.map_to_framebuffer(event.position())
        if self._relative:
            x = y = RELATIVE_ORIGIN
        for axis, plus, minus in (("y", WHEEL_UP, WHEEL_DOWN), ("x", WHEEL_LEFT, WHEEL_RIGHT)):
            amount = self._wheel.y() if axis == "y" else self._wheel.x()
            steps = int(amount / _WHEEL_STEP)
            if not steps:
                continue
            bit = plus if steps > 0 else minus
            for _ in range(abs(steps)):
                self.pointer.emit(self._buttons | bit, x, y)
                self.pointer.emit(self._buttons, x, y)
            rest = amount - steps * _WHEEL_STEP
            if axis == "y":
                self._wheel.setY(rest)
            else:
                self._wheel.setX(rest)

    # -- keyboard ---------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride:
            # Every key is the guest's, but the menu key and the full-screen key.
            assert isinstance(event, QKeyEvent)
            if not self._is_local_key(event):
                event.accept()
                return True
        if kind == QEvent.Type.KeyPress:
            # Tab and Backtab would move the focus: they are the guest's too.
            assert isinstance(event, QKeyEvent)
            self.keyPressEvent(event)
            return True
        return super().event(event)

    def _is_local_key(self, event: QKeyEvent) -> bool:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods != Qt.KeyboardModifier.NoModifier:
            return False
        return event.key() in (self.menu_key, self.fullscreen_key)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        event.accept()
        if self.selecting and event.key() == Qt.Key.Key_Escape:
            # Escape leaves the selection; the guest sees neither its press nor its release.
            self._eat_escape_release = True
            self.cancel_selection()
            return
        if self._eat_escape_release and event.key() == Qt.Key.Key_Escape:
            return  # its auto-repeat
        if self._is_local_key(event):
            if event.isAutoRepeat():
                return
            if event.key() == self.menu_key:
                self.release_pointer()
                self.menu_requested.emit()
            else:
                self.fullscreen_requested.emit()
            return
        self.key.emit(host_key(event))

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        event.accept()
        if self._eat_escape_release and event.key() == Qt.Key.Key_Escape:
            self._eat_escape_release = event.isAutoRepeat()
            return
        if self._is_local_key(event):
            return
        self.key.emit(host_key(event))

    def emit_key(self, key: HostKey) -> None:
        """Hand a key to the window as if typed here (the full-screen bar's keys, tests)."""
        self.key.emit(key)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.focus_lost.emit()

    def focusNextPrevChild(self, next: bool) -> bool:
        return False


def _rects(region: QRegion) -> Iterable[QRect]:
    """The rectangles of a region (QRegion iterates over them; its type stubs do not say so)."""
    return cast(Iterable[QRect], region)
