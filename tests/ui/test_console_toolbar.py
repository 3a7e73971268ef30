"""The console window's toolbar never cuts its choices: each combo box's text field is as wide as
the text of whichever choice it shows (measured with the widget's own font metrics and style), and
the toolbar keeps every control on it at the window's first size."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox

from ovhkvm_desktop.ui.console_window import ConsoleWindow
from tests.ui.conftest import target_of


def text_room(combo: QComboBox) -> int:
    """The width the style gives the shown text in ``combo`` as it is now."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    return field.width()


@pytest.mark.parametrize("name", ["layout_combo", "mode_combo", "scale_combo"])
def test_every_choice_of_a_toolbar_combo_shows_whole(make_window, server, name: str) -> None:
    window: ConsoleWindow = make_window(target_of(server))
    combo: QComboBox = getattr(window, name)
    metrics = combo.fontMetrics()
    cut = []
    for index in range(combo.count()):
        combo.setCurrentIndex(index)
        text = combo.itemText(index)
        if metrics.horizontalAdvance(text) > text_room(combo):
            cut.append(text)
    assert cut == []
    # The list shows every item whole too.
    widest = max(metrics.horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
    assert combo.view().minimumWidth() >= widest


def test_the_keyboard_mode_reads_in_full(make_window, server) -> None:
    window: ConsoleWindow = make_window(target_of(server))
    combo = window.mode_combo
    assert combo.currentText() == "Translate (type what you mean)"
    assert combo.fontMetrics().horizontalAdvance(combo.currentText()) <= text_room(combo)


def test_the_toolbar_keeps_its_controls_in_a_1024_pixels_wide_window(
    make_window, server, qtbot
) -> None:
    window: ConsoleWindow = make_window(target_of(server))
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024)
    qtbot.wait(50)
    hidden = [
        widget.objectName() or getattr(widget, "text", lambda: "")() or type(widget).__name__
        for action in window.toolbar.actions()
        if (widget := window.toolbar.widgetForAction(action)) is not None
        and not action.isSeparator()
        and not widget.isVisible()
    ]
    assert hidden == []
