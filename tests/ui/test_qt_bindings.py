"""The Qt bindings keep Python's reference counts straight in the calls the window makes per frame.

PySide6 6.12.0 on Python 3.11 drops a reference to None on every QWidget.update() and two on
every QPainter.drawImage(), and to True/False on signal emission: a busy console crashed the
interpreter ("deallocating None") within a minute. pyproject.toml excludes it; this test says
so clearly if such a release comes back.
"""

from __future__ import annotations

import sys

import numpy as np
from PySide6.QtCore import QObject, QPoint, QRect, QRectF, Signal
from PySide6.QtGui import QImage, QPainter, QRegion
from PySide6.QtWidgets import QWidget

ROUNDS = 500


def _none_refs_lost(action) -> int:
    before = sys.getrefcount(None)
    for _ in range(ROUNDS):
        action()
    return before - sys.getrefcount(None)


class _Emitter(QObject):
    plain = Signal()
    value = Signal(object)


def test_per_frame_calls_keep_none_alive(qapp) -> None:
    pixels = np.zeros((64, 64, 4), np.uint8)
    image = QImage(pixels.data, 64, 64, 256, QImage.Format.Format_RGB32)
    canvas = QImage(128, 128, QImage.Format.Format_RGB32)
    widget = QWidget()
    widget.resize(100, 100)
    region = QRegion(QRect(0, 0, 10, 10)) + QRegion(QRect(20, 20, 5, 5))
    emitter = _Emitter()
    emitter.plain.connect(lambda: None)
    emitter.value.connect(lambda value: None)

    def paint() -> None:
        painter = QPainter(canvas)
        painter.drawImage(QRectF(0, 0, 32, 32), image, QRectF(image.rect()))
        painter.drawImage(QPoint(0, 0), image, QRect(0, 0, 8, 8))
        painter.end()

    for name, action in {
        "QPainter.drawImage": paint,
        "QWidget.update(QRect)": lambda: widget.update(QRect(0, 0, 5, 5)),
        "QWidget.update(QRegion)": lambda: widget.update(region),
        "Signal.emit()": emitter.plain.emit,
        "Signal.emit(object)": lambda: emitter.value.emit(None),
    }.items():
        lost = _none_refs_lost(action)
        assert lost < ROUNDS // 10, f"{name} loses references to None ({lost} in {ROUNDS} calls)"
