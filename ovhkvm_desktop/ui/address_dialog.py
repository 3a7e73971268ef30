"""The dialog that asks for a console's address (vnc://, ws://, wss://, a noVNC page URL)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QVBoxLayout, QWidget

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.targets import parse_target
from ovhkvm_desktop.ui.background import in_words
from ovhkvm_desktop.ui.text import PlainLabel


class AddressDialog(QDialog):
    """Asks for a console address (vnc://, ws://, wss://, a noVNC page URL) and says in one
    line what is wrong with a bad one, without closing."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Connect to address — ovhkvm-desktop"))
        layout = QVBoxLayout(self)
        layout.addWidget(PlainLabel(self.tr("The address of a VNC console:")))
        self.address = QLineEdit()
        self.address.setPlaceholderText(
            self.tr("vnc://host:5900, wss://host/path or a noVNC page URL")
        )
        self.address.setMinimumWidth(420)
        layout.addWidget(self.address)
        self.problem = PlainLabel()
        self.address.textChanged.connect(lambda _text: self.problem.hide())
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.hide()
        layout.addWidget(self.problem)
        hint = PlainLabel(
            self.tr("A password goes in the address (vnc://:PASSWORD@host); it is not remembered.")
        )
        hint.setEnabled(False)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Connect"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def accept(self) -> None:
        text = self.address.text().strip()
        if not text:
            self._say(self.tr("Type the address of a console, e.g. vnc://192.0.2.1:5900"))
            return
        try:
            parse_target(text)
        except ConsoleError as exc:
            self._say(in_words(exc))
            return
        self.chosen.emit(text)
        super().accept()

    def done(self, result: int) -> None:
        self.address.setText("")  # it may hold a password
        super().done(result)

    def _say(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.show()
        self.address.setFocus()
