"""The icons of the app's actions: the desktop theme's (freedesktop icon names), else the app's
own, drawn, so that a desktop without an icon theme (Windows, macOS, a bare window manager) still
shows every toolbar button with its picture."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

_SIZES = (16, 22, 24, 32, 48)
_INK = QColor(0x30, 0x3A, 0x48)
_ACCENT = QColor(0x00, 0x50, 0xD7)
_STAR = QColor(0xF2, 0xB0, 0x1E)

Drawing = Callable[[QPainter, float], None]


def _pen(painter: QPainter, size: float, colour: QColor = _INK, width: float = 0.09) -> None:
    pen = QPen(colour, max(1.2, size * width))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)


def _console(p: QPainter, s: float) -> None:  # a screen with a prompt
    _pen(p, s)
    p.drawRoundedRect(QRectF(s * 0.1, s * 0.18, s * 0.8, s * 0.64), s * 0.08, s * 0.08)
    _pen(p, s, _ACCENT)
    p.drawPolyline(
        [QPointF(s * 0.26, s * 0.36), QPointF(s * 0.4, s * 0.5), QPointF(s * 0.26, s * 0.64)]
    )
    p.drawLine(QPointF(s * 0.48, s * 0.64), QPointF(s * 0.68, s * 0.64))


def _rescue(p: QPainter, s: float) -> None:  # a lifebuoy
    _pen(p, s, QColor(0xC6, 0x28, 0x28), 0.16)
    p.drawEllipse(QRectF(s * 0.2, s * 0.2, s * 0.6, s * 0.6))
    _pen(p, s, QColor("white"), 0.1)
    for angle in (45, 135, 225, 315):
        a = math.radians(angle)
        p.drawLine(
            QPointF(s * (0.5 + 0.22 * math.cos(a)), s * (0.5 + 0.22 * math.sin(a))),
            QPointF(s * (0.5 + 0.38 * math.cos(a)), s * (0.5 + 0.38 * math.sin(a))),
        )


def _address(p: QPainter, s: float) -> None:  # two chain links
    _pen(p, s)
    p.save()
    p.translate(s * 0.5, s * 0.5)
    p.rotate(-45)
    p.drawRoundedRect(QRectF(-s * 0.42, -s * 0.13, s * 0.46, s * 0.26), s * 0.13, s * 0.13)
    _pen(p, s, _ACCENT)
    p.drawRoundedRect(QRectF(-s * 0.04, -s * 0.13, s * 0.46, s * 0.26), s * 0.13, s * 0.13)
    p.restore()


def _refresh(p: QPainter, s: float) -> None:  # a circular arrow
    _pen(p, s)
    box = QRectF(s * 0.2, s * 0.2, s * 0.6, s * 0.6)
    p.drawArc(box, 60 * 16, 290 * 16)
    tip = QPointF(s * 0.65, s * 0.24)
    p.drawPolyline([QPointF(s * 0.5, s * 0.14), tip, QPointF(s * 0.6, s * 0.4)])


def _add(p: QPainter, s: float) -> None:  # a plus
    _pen(p, s, _ACCENT, 0.12)
    p.drawLine(QPointF(s * 0.5, s * 0.2), QPointF(s * 0.5, s * 0.8))
    p.drawLine(QPointF(s * 0.2, s * 0.5), QPointF(s * 0.8, s * 0.5))


def _settings(p: QPainter, s: float) -> None:  # a gear
    _pen(p, s, _INK, 0.12)
    for i in range(8):
        a = math.radians(i * 45)
        p.drawLine(
            QPointF(s * (0.5 + 0.22 * math.cos(a)), s * (0.5 + 0.22 * math.sin(a))),
            QPointF(s * (0.5 + 0.36 * math.cos(a)), s * (0.5 + 0.36 * math.sin(a))),
        )
    _pen(p, s)
    p.drawEllipse(QRectF(s * 0.3, s * 0.3, s * 0.4, s * 0.4))


def _quit(p: QPainter, s: float) -> None:  # a power symbol
    _pen(p, s)
    p.drawArc(QRectF(s * 0.22, s * 0.24, s * 0.56, s * 0.56), 125 * 16, 290 * 16)
    p.drawLine(QPointF(s * 0.5, s * 0.14), QPointF(s * 0.5, s * 0.48))


def _star(p: QPainter, s: float) -> None:  # a filled star
    path = QPainterPath()
    for i in range(10):
        r = s * (0.42 if i % 2 == 0 else 0.18)
        a = math.radians(-90 + i * 36)
        point = QPointF(s * 0.5 + r * math.cos(a), s * 0.53 + r * math.sin(a))
        path.moveTo(point) if i == 0 else path.lineTo(point)
    path.closeSubpath()
    p.setPen(QPen(_STAR.darker(130), max(1.0, s * 0.04)))
    p.fillPath(path, _STAR)
    p.drawPath(path)


def _fullscreen(p: QPainter, s: float) -> None:  # four corners
    _pen(p, s)
    a, b = 0.18, 0.38
    for x0, y0, dx, dy in (
        (a, a, 1, 1),
        (1 - a, a, -1, 1),
        (a, 1 - a, 1, -1),
        (1 - a, 1 - a, -1, -1),
    ):
        corner = QPointF(s * x0, s * y0)
        p.drawPolyline(
            [
                QPointF(s * x0, s * (y0 + dy * (b - a))),
                corner,
                QPointF(s * (x0 + dx * (b - a)), s * y0),
            ]
        )


def _paste(p: QPainter, s: float) -> None:  # a clipboard
    _pen(p, s)
    p.drawRoundedRect(QRectF(s * 0.2, s * 0.18, s * 0.6, s * 0.7), s * 0.06, s * 0.06)
    _pen(p, s, _ACCENT)
    p.drawRect(QRectF(s * 0.38, s * 0.1, s * 0.24, s * 0.14))
    for y in (0.45, 0.58, 0.71):
        p.drawLine(QPointF(s * 0.32, s * y), QPointF(s * 0.68, s * y))


def _camera(p: QPainter, s: float) -> None:  # a camera
    _pen(p, s)
    p.drawRoundedRect(QRectF(s * 0.12, s * 0.3, s * 0.76, s * 0.5), s * 0.06, s * 0.06)
    p.drawLine(QPointF(s * 0.36, s * 0.3), QPointF(s * 0.42, s * 0.2))
    p.drawLine(QPointF(s * 0.42, s * 0.2), QPointF(s * 0.58, s * 0.2))
    p.drawLine(QPointF(s * 0.58, s * 0.2), QPointF(s * 0.64, s * 0.3))
    _pen(p, s, _ACCENT)
    p.drawEllipse(QRectF(s * 0.37, s * 0.4, s * 0.26, s * 0.26))


#: An action's freedesktop icon name → the app's own drawing of it.
DRAWINGS: dict[str, Drawing] = {
    "utilities-terminal": _console,
    "system-reboot": _rescue,
    "network-connect": _address,
    "view-refresh": _refresh,
    "list-add": _add,
    "preferences-system": _settings,
    "application-exit": _quit,
    "emblem-favorite": _star,
    "view-fullscreen": _fullscreen,
    "edit-paste": _paste,
    "camera-photo": _camera,
}


def drawn_icon(name: str) -> QIcon:
    """The app's own drawing for a freedesktop icon name (``DRAWINGS``)."""
    draw = DRAWINGS[name]
    icon = QIcon()
    for size in _SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            draw(painter, float(size))
        finally:
            painter.end()
        icon.addPixmap(pixmap)
    return icon


def action_icon(name: str) -> QIcon:
    """The theme's icon called ``name``, else the app's drawing of it."""
    if QIcon.hasThemeIcon(name):
        return QIcon.fromTheme(name)
    return drawn_icon(name)
