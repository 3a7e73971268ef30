"""Widgets of the main window: the message bar above the table and the empty state's page."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ovhkvm_desktop.ui.text import PlainLabel

#: A button of the message bar: its label, and what it does.
MessageAction = tuple[str, Callable[[], object]]


class MessageBar(QFrame):
    """One or a few lines above the table: what failed (in words) or what the user should know,
    with an optional action button and a close button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = PlainLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.label.setOpenExternalLinks(False)
        layout.addWidget(self.label, 1)
        self.action_button = QPushButton()
        self.action_button.hide()
        layout.addWidget(self.action_button)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setToolTip(self.tr("Dismiss"))
        close.setFixedWidth(28)
        close.clicked.connect(self.dismiss)
        layout.addWidget(close)
        self._action: Callable[[], object] | None = None
        self.action_button.clicked.connect(self._act)
        self.hide()

    def show_message(
        self,
        text: str,
        *,
        error: bool,
        rich: bool = False,
        action: MessageAction | None = None,
    ) -> None:
        colours = ("#fdecea", "#8a1c1c") if error else ("#e8f1fd", "#123a6b")
        self.setStyleSheet(
            f"#messageBar {{ background: {colours[0]}; border-radius: 4px; }}"
            f" #messageBar QLabel {{ color: {colours[1]}; }}"
        )
        self.label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        self.label.setText(text)
        self._action = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self.show()

    def text(self) -> str:
        """What the bar says ("" when it is dismissed)."""
        return "" if self.isHidden() else self.label.text()

    def dismiss(self) -> None:
        self.label.clear()
        self._action = None
        self.hide()

    def _act(self) -> None:
        action = self._action
        self.dismiss()
        if action is not None:
            action()


class EmptyState(QWidget):
    """What the window shows instead of an empty table: a title, a few sentences, and the next
    steps as buttons (two or three: the first is the default one)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 12, 48, 12)
        layout.addStretch(1)
        self.title = PlainLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        self.text = PlainLabel()
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.text)  # no alignment flag: its height then follows its wrapping
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.primary = QPushButton()
        self.primary.setDefault(True)
        self.secondary = QPushButton()
        self.third = QPushButton()
        self.third.hide()
        self._slots: dict[QPushButton, Callable[[], object]] = {}
        for button in (self.primary, self.secondary, self.third):
            buttons.addWidget(button)
            button.clicked.connect(lambda _checked=False, b=button: self._slots[b]())
        buttons.addStretch(1)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(2)

    def show_state(
        self,
        title: str,
        text: str,
        primary: tuple[str, Callable[[], object]],
        secondary: tuple[str, Callable[[], object]],
        third: tuple[str, Callable[[], object]] | None = None,
    ) -> None:
        self.title.setText(title)
        self.text.setText(text)
        chosen = ((self.primary, primary), (self.secondary, secondary), (self.third, third))
        for button, action in chosen:
            button.setVisible(action is not None)
            if action is not None:
                button.setText(action[0])
                self._slots[button] = action[1]

    def buttons(self) -> list[QPushButton]:
        """The buttons shown, in order."""
        return [b for b in (self.primary, self.secondary, self.third) if not b.isHidden()]
