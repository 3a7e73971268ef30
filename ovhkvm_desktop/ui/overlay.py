"""Widgets laid over the console: the connection-loss notice and the full-screen top bar."""

from __future__ import annotations

import time

from PySide6.QtCore import QEasingCurve, QPoint, QPropertyAnimation, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ovhkvm_desktop.session import ConnectionState, Phase
from ovhkvm_desktop.ui.text import PlainLabel


class ConnectionOverlay(QFrame):
    """Says why the connection ended and when the next attempt comes, with its buttons."""

    reconnect_clicked = Signal()
    cancel_clicked = Signal()
    close_clicked = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("connectionOverlay")
        self.setAutoFillBackground(True)
        self.setStyleSheet(
            "#connectionOverlay { background: rgba(20, 20, 24, 215); } QLabel { color: white; }"
        )
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        self.title = PlainLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        outer.addWidget(self.title)
        self.reason = PlainLabel()
        self.reason.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reason.setWordWrap(True)
        outer.addWidget(self.reason)
        self.countdown = PlainLabel()
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.countdown)
        row = QHBoxLayout()
        row.addStretch(1)
        self.reconnect_button = QPushButton(self.tr("Reconnect now"))
        self.cancel_button = QPushButton(self.tr("Stop trying"))
        self.close_button = QPushButton(self.tr("Close window"))
        for button in (self.reconnect_button, self.cancel_button, self.close_button):
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            row.addWidget(button)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)
        self.reconnect_button.clicked.connect(self.reconnect_clicked)
        self.cancel_button.clicked.connect(self.cancel_clicked)
        self.close_button.clicked.connect(self.close_clicked)
        self._deadline: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._tick)
        self.hide()

    def show_state(self, state: ConnectionState, ever_connected: bool) -> None:
        if state.phase is Phase.CONNECTED or state.phase is Phase.STOPPED:
            self._timer.stop()
            self.hide()
            return
        if state.phase is Phase.CONNECTING:
            if not self.isVisible():
                # The first attempt, or a quick one after a loss: no overlay for that alone.
                self.title.setText(self.tr("Connecting…"))
                self.reason.setText("")
                self.countdown.setText("")
                self._buttons(reconnect=False, cancel=False)
                self._timer.stop()
                if ever_connected or state.attempt:
                    self._show()
                return
            self.countdown.setText(self.tr("Connecting…"))
            self._buttons(reconnect=False, cancel=True)
            self._deadline = None
            return
        self.title.setText(
            self.tr("Connection lost") if ever_connected else self.tr("Cannot connect")
        )
        self.reason.setText(_sentence(state.reason or self.tr("the connection ended")))
        if state.delay is None:
            self._deadline = None
            self.countdown.setText(
                self.tr("Not reconnecting.")
                if state.attempt
                else self.tr("Press Reconnect to try again.")
            )
            self._buttons(reconnect=True, cancel=False)
            self.reconnect_button.setText(self.tr("Reconnect"))
        else:
            self._deadline = time.monotonic() + state.delay
            self._buttons(reconnect=True, cancel=True)
            self.reconnect_button.setText(self.tr("Reconnect now"))
            self._tick()
            self._timer.start()
        self._show()

    def _buttons(self, reconnect: bool, cancel: bool) -> None:
        self.reconnect_button.setVisible(reconnect)
        self.cancel_button.setVisible(cancel)

    def _show(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()

    def _tick(self) -> None:
        if self._deadline is None:
            self._timer.stop()
            return
        left = max(0.0, self._deadline - time.monotonic())
        if left >= 1:
            self.countdown.setText(self.tr("Reconnecting in {seconds:.0f} s…").format(seconds=left))
        else:
            self.countdown.setText(self.tr("Reconnecting…"))


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


class FullScreenBar(QFrame):
    """A thin bar that slides in at the top edge in full screen; the window fills it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("fullScreenBar")
        self.setStyleSheet(
            "#fullScreenBar { background: rgba(40, 40, 48, 235); border-bottom-left-radius: 6px;"
            " border-bottom-right-radius: 6px; } QLabel { color: white; }"
        )
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(10, 4, 10, 4)
        self.title = PlainLabel()
        self.title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.row.addWidget(self.title)
        self._animation = QPropertyAnimation(self, b"pos", self)
        self._animation.setDuration(150)
        self._animation.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._hide_timer = QTimer(self)
        self._hide_timer.setInterval(700)
        self._hide_timer.timeout.connect(self._maybe_hide)
        self.hide()

    def add(self, widget: QWidget) -> None:
        if isinstance(widget, QToolButton):
            widget.setAutoRaise(True)
        self.row.addWidget(widget)

    def slide_in(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        self.adjustSize()
        x = (parent.width() - self.width()) // 2
        if not self.isVisible():
            self.move(x, -self.height())
            self.show()
            self.raise_()
        self._animation.stop()
        self._animation.setStartValue(self.pos())
        self._animation.setEndValue(QPoint(x, 0))
        self._animation.start()
        self._hide_timer.start()

    def _maybe_hide(self) -> None:
        from PySide6.QtGui import QCursor

        parent = self.parentWidget()
        if parent is not None and self.geometry().contains(parent.mapFromGlobal(QCursor.pos())):
            return
        if any(w.isVisible() for w in self.findChildren(QWidget) if w.isWindow()):
            return  # a menu of the bar is open
        self.slide_out()

    def slide_out(self) -> None:
        self._hide_timer.stop()
        if not self.isVisible():
            return
        self._animation.stop()
        self._animation.setStartValue(self.pos())
        self._animation.setEndValue(QPoint(self.x(), -self.height()))
        self._animation.start()
        self._animation.finished.connect(self._after_slide_out)

    def _after_slide_out(self) -> None:
        self._animation.finished.disconnect(self._after_slide_out)
        if self.y() < 0:
            self.hide()
