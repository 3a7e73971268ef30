"""Every toolbar control stays in sight, in English and in French: at the windows' default sizes
nothing goes behind Qt's » extension menu, each control lies within the toolbar, and where room
lacks the secondary actions show their icon alone (named by their tooltip) before the main
ones lose a word, and the console's optional controls (a caption, choices its Menu offers too)
step aside."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QToolBar, QToolButton

from ovhkvm_desktop.demo import BackgroundDemo
from ovhkvm_desktop.ui.console_window import ConsoleWindow
from ovhkvm_desktop.ui.main_window import MainWindow
from tests.cloud.conftest import app_on_fake_api
from tests.ui.conftest import demo_console_window

ICON_ONLY = Qt.ToolButtonStyle.ToolButtonIconOnly


def out_of_sight(toolbar: QToolBar) -> list[str]:
    """The toolbar's controls a user cannot see or reach there (none when all is well)."""
    extension = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    lost = ["the » extension menu"] if extension is not None and extension.isVisible() else []
    inside = toolbar.contentsRect()
    for action in toolbar.actions():
        widget = toolbar.widgetForAction(action)
        if action.isSeparator() or widget is None or not action.isVisible():
            continue
        name = action.text() or getattr(widget, "text", lambda: "")() or type(widget).__name__
        if not widget.isVisible():
            lost.append(f"{name}: hidden")
        elif not inside.contains(widget.geometry()):
            lost.append(f"{name}: outside the toolbar")
    return lost


def settle(qtbot, window: QMainWindow, width: int | None = None) -> None:
    if width is not None:
        window.resize(width, window.height())
    qtbot.wait(50)  # the layout's pass after the resize


@pytest.fixture
def main_window(qtbot, speak, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable]:
    made: list[MainWindow] = []

    def make(lang: str) -> MainWindow:
        speak(lang)
        window = MainWindow()
        qtbot.addWidget(window)
        with qtbot.waitExposed(window):
            window.show()
        made.append(window)
        settle(qtbot, window)
        return window

    with app_on_fake_api(monkeypatch):
        yield make
        for window in made:
            window.quitting = True
            window.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_main_windows_toolbar_shows_every_action_at_its_default_size(
    main_window, qtbot, lang: str
) -> None:
    window: MainWindow = main_window(lang)
    assert window.width() == 860
    assert out_of_sight(window.toolbar) == []
    # Opening a console, the main action, reads in full.
    open_button = window.toolbar.widgetForAction(window.open_action)
    assert open_button.toolButtonStyle() != ICON_ONLY
    assert open_button.text() == {"en": "Open console", "fr": "Ouvrir la console"}[lang]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_narrow_main_window_keeps_every_action_their_icons_named_by_tooltips(
    main_window, qtbot, lang: str
) -> None:
    window: MainWindow = main_window(lang)
    settle(qtbot, window, 300)  # as narrow as the window allows
    assert window.width() < 800
    assert out_of_sight(window.toolbar) == []
    icons_only = [
        action
        for action in window.toolbar.actions()
        if (button := window.toolbar.widgetForAction(action)) is not None
        and isinstance(button, QToolButton)
        and button.toolButtonStyle() == ICON_ONLY
    ]
    assert window.settings_action in icons_only  # the least needed went first
    assert window.open_action not in icons_only or len(icons_only) == 6
    for action in icons_only:
        assert action.toolTip().strip(), action.text()
    settle(qtbot, window, 860)  # room again: the words come back
    assert out_of_sight(window.toolbar) == []
    if lang == "en":
        assert all(
            window.toolbar.widgetForAction(a).toolButtonStyle() != ICON_ONLY
            for a in window.toolbar.actions()
            if not a.isSeparator()
        )


@pytest.fixture
def demo_console(qtbot, speak, tmp_path: Path) -> Iterator[Callable]:
    demo = BackgroundDemo("fr")
    made: list[ConsoleWindow] = []

    def make(lang: str) -> ConsoleWindow:
        speak(lang)
        window = demo_console_window(qtbot, demo.address, "fr", tmp_path)
        made.append(window)
        settle(qtbot, window)
        return window

    yield make
    for window in made:
        window.close()
    demo.stop()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_console_toolbar_shows_every_control_at_the_windows_default_size(
    demo_console, qtbot, lang: str
) -> None:
    """The demo's screen is 640 pixels wide: the window, sized for it, is as wide as its
    toolbar needs where the monitor allows (the test screen is 800 pixels wide), and the
    choices that gave way for lack of room are in the Menu still."""
    window: ConsoleWindow = demo_console(lang)
    frame = window.frameGeometry().width() - window.width()
    room = window.screen().availableGeometry().width() - frame
    assert window.width() == min(room, window.toolbar.full_width())
    assert out_of_sight(window.toolbar) == []
    assert window.layout_combo.isVisible()  # the guest's layout: never given way
    for combo in (window.mode_combo, window.scale_combo):
        menu_has_it = window.mode_actions if combo is window.mode_combo else window.scale_actions
        assert combo.isVisible() or all(a.text() for a in menu_has_it.values())


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_console_toolbar_shows_every_choice_whole_where_the_window_has_room(
    demo_console, qtbot, lang: str
) -> None:
    window: ConsoleWindow = demo_console(lang)
    settle(qtbot, window, window.toolbar.full_width())
    assert out_of_sight(window.toolbar) == []
    for combo in (window.layout_combo, window.mode_combo, window.scale_combo):
        assert combo.isVisible()
    caption = {"en": " Guest layout ", "fr": " Clavier invité "}[lang]
    assert any(label.text() == caption and label.isVisible() for label in labels(window))
    settle(qtbot, window, 700)  # as narrow as a text console's window: the least needed go
    assert out_of_sight(window.toolbar) == []
    assert window.layout_combo.isVisible()


def labels(window: ConsoleWindow) -> list[QLabel]:
    return window.toolbar.findChildren(QLabel)
