"""A toolbar that keeps its controls in sight: when the window is too narrow for all their
labels, the least important actions show their icon alone (their name stays in the tooltip), and
optional widgets (a caption, a choice the window's menu also offers) step aside, instead of Qt
moving controls behind its » menu.

Which go first is the owner's choice (``give_way``), so a long translation (the French main
toolbar's labels are a quarter longer than the English) or a large font costs the secondary
actions their text, never the main action its place. Only a window narrower than every
control's icon and least room shows the » menu.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QAction, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QToolBar, QToolButton, QWidget


class FittingToolBar(QToolBar):
    """``give_way(a, b, ...)``: in that order, the actions that lose their text (tool buttons)
    or their place (other widgets, such as a caption) when room lacks."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._yielding: list[QAction] = []
        self._fitting = False
        self._fit_pending = False

    def give_way(self, *actions: QAction) -> None:
        self._yielding.extend(actions)
        self._refit_later()

    def full_width(self) -> int:
        """The width that shows every control whole, none having given way."""
        self._set_room(0)
        width = self._wanted()
        self.fit()
        return width

    # -- fitting ------------------------------------------------------------------------------

    def _wanted(self) -> int:
        layout = self.layout()
        if layout is None:  # a QToolBar always has its own; this only reassures the checker
            return self.sizeHint().width()
        layout.invalidate()
        return layout.sizeHint().width()

    def _set_room(self, given: int) -> None:
        """The first ``given`` yielding actions give way, the others show in full."""
        for index, action in enumerate(self._yielding):
            widget = self.widgetForAction(action)
            if widget is None:
                continue
            shrink = index < given
            if isinstance(widget, QToolButton) and not action.icon().isNull():
                style = (
                    Qt.ToolButtonStyle.ToolButtonIconOnly
                    if shrink
                    else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
                )
                if widget.toolButtonStyle() != style:
                    widget.setToolButtonStyle(style)
            elif action.isVisible() == shrink:
                action.setVisible(not shrink)

    def fit(self) -> None:
        """Give way as little as the toolbar's width allows."""
        if self._fitting:
            return
        self._fitting = True
        try:
            room = self.width()
            given = 0
            self._set_room(given)
            while given < len(self._yielding) and self._wanted() > room:
                given += 1
                self._set_room(given)
        finally:
            self._fitting = False

    def _refit_later(self) -> None:
        """Fit again once the texts and fonts are settled (a language or font change)."""
        if self._fit_pending:
            return
        self._fit_pending = True

        def refit() -> None:
            self._fit_pending = False
            self.fit()

        QTimer.singleShot(0, self, refit)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (
            QEvent.Type.LanguageChange,
            QEvent.Type.FontChange,
            QEvent.Type.StyleChange,
        ):
            self._refit_later()
