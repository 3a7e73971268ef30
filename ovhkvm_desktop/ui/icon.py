"""The app's icon, drawn (the project ships no image for it): a console prompt `>_` on a
rounded square of OVHcloud's blue."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QLinearGradient, QPainter, QPainterPath, QPen, QPixmap

#: The app's id (reverse DNS): the desktop entry, the icons and the AppStream file of
#: packaging/linux are named after it, and Qt tells the desktop (Wayland's app id) with it.
APP_ID = "io.github.ovhkvm_desktop.OvhkvmDesktop"
#: The icon's colours: OVHcloud's blue, darker at the bottom.
ICON_TOP = QColor(0x00, 0x50, 0xD7)
ICON_BOTTOM = QColor(0x00, 0x0E, 0x9C)
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def icon_pixmap(size: int) -> QPixmap:
    """The app's icon at ``size`` pixels: a console prompt `>_` on a rounded blue square."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        margin = size * 0.04
        box = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
        gradient = QLinearGradient(box.topLeft(), box.bottomLeft())
        gradient.setColorAt(0.0, ICON_TOP)
        gradient.setColorAt(1.0, ICON_BOTTOM)
        path = QPainterPath()
        path.addRoundedRect(box, size * 0.2, size * 0.2)
        painter.fillPath(path, gradient)
        pen = QPen(QColor("white"), max(1.5, size * 0.09))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)

        def at(x: float, y: float) -> QPointF:
            return QPointF(size * x, size * y)

        painter.drawPolyline([at(0.27, 0.32), at(0.47, 0.5), at(0.27, 0.68)])
        painter.drawLine(at(0.54, 0.69), at(0.75, 0.69))
    finally:
        painter.end()
    return pixmap


def app_icon() -> QIcon:
    """The icon of every window and of the tray, drawn (the project ships no image for it)."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addPixmap(icon_pixmap(size))
    return icon
