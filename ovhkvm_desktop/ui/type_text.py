"""The "Type text" dialog: a text typed into the guest in its layout, with progress and cancel.

The dialog lists, before anything is sent, the characters the guest layout cannot type (they are
left out); the window does the typing and reports progress back here.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ovhkvm_desktop.ui.text import PlainLabel


class TypeTextDialog(QDialog):
    """Emits ``type_requested(text)`` and ``cancel_requested``; shows the typing's progress."""

    type_requested = Signal(str)
    cancel_requested = Signal()

    def __init__(
        self,
        layout_name: str,
        untypeable: Callable[[str], list[str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Type text"))
        self._untypeable = untypeable
        self._layout_name = layout_name
        self._typing = False
        box = QVBoxLayout(self)
        self.intro = PlainLabel()
        self.intro.setWordWrap(True)
        box.addWidget(self.intro)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText(self.tr("The text to type (new lines are typed as Enter)"))
        self.editor.textChanged.connect(self._check)
        box.addWidget(self.editor)
        self.warning = PlainLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b00020;")
        self.warning.hide()
        box.addWidget(self.warning)
        self.progress = QProgressBar()
        self.progress.setFormat(self.tr("%v of %m key events"))
        self.progress.hide()
        box.addWidget(self.progress)
        self.status = PlainLabel()
        box.addWidget(self.status)
        self.buttons = QDialogButtonBox()
        self.type_button = QPushButton(self.tr("Type"))
        self.type_button.setDefault(True)
        self.cancel_button = QPushButton(self.tr("Cancel typing"))
        self.cancel_button.hide()
        self.close_button = QPushButton(self.tr("Close"))
        self.buttons.addButton(self.type_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.type_button.clicked.connect(self._start)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.close_button.clicked.connect(self.reject)
        box.addWidget(self.buttons)
        self.resize(520, 320)
        self.set_layout_name(layout_name)

    def set_layout_name(
        self, name: str, untypeable: Callable[[str], list[str]] | None = None
    ) -> None:
        self._layout_name = name
        if untypeable is not None:
            self._untypeable = untypeable
        self.intro.setText(
            self.tr(
                "Typed as key presses in the guest's <b>{layout}</b> layout, whatever your own"
                " keyboard is."
            ).format(layout=html.escape(name))
        )
        self._check()

    def set_text(self, text: str) -> None:
        self.editor.setPlainText(text)

    def text(self) -> str:
        return self.editor.toPlainText()

    def unsupported(self) -> list[str]:
        return self._untypeable(self.text())

    def _check(self) -> None:
        missing = self.unsupported()
        if missing:
            chars = " ".join(_show(c) for c in missing)
            self.warning.setText(
                self.tr(
                    "The {layout} layout cannot type {characters}: these characters will be"
                    " left out."
                ).format(layout=self._layout_name, characters=chars)
            )
            self.warning.show()
        else:
            self.warning.hide()
        self.type_button.setEnabled(bool(self.text()) and not self._typing)

    def _start(self) -> None:
        text = self.text()
        if not text or self._typing:
            return
        self.type_requested.emit(text)

    # -- the window reports here ------------------------------------------------------------

    def typing_started(self, total: int) -> None:
        self._typing = True
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.status.setText(self.tr("Typing…"))
        self.editor.setReadOnly(True)
        self._check()

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def typing_finished(self, cancelled: bool) -> None:
        self._typing = False
        self.cancel_button.hide()
        self.editor.setReadOnly(False)
        self.status.setText(self.tr("Cancelled.") if cancelled else self.tr("Typed."))
        self._check()

    @property
    def typing(self) -> bool:
        return self._typing


def _show(char: str) -> str:
    """A character as the warning shows it (control and space characters by code)."""
    if char.isprintable() and not char.isspace():
        return QCoreApplication.translate("TypeTextDialog", "“{character}”").format(character=char)
    return f"U+{ord(char):04X}"
