"""What a server or the API says is shown as text: a desktop name or a display name made of
markup shows its characters, not bold letters, a picture or a link; no label guesses rich text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from ovhkvm_desktop.ui.console_window import ConsoleWindow
from ovhkvm_desktop.ui.main_window import MainWindow
from ovhkvm_desktop.ui.text import plain_tooltip
from tests.ui.conftest import target_of
from tests.ui.rfb_server import RfbServer

MARKUP = '<b>root</b><img src="file:///etc/passwd"><a href="https://evil.example">click</a>'


def guessing_labels(widget: QWidget) -> list[str]:
    """The labels under ``widget`` that would take a text that looks like HTML as HTML."""
    return [
        f"{label.objectName() or type(label).__name__}: {label.text()[:40]!r}"
        for label in widget.findChildren(QLabel)
        if label.textFormat() == Qt.TextFormat.AutoText
    ]


def test_a_desktop_name_made_of_markup_shows_as_its_characters(make_window, qtbot) -> None:
    with RfbServer(320, 200, name=MARKUP) as server:
        window: ConsoleWindow = make_window(target_of(server))
        qtbot.waitUntil(lambda: MARKUP in window.windowTitle(), timeout=3000)
        assert window.bar.title.text().startswith(MARKUP)
        assert window.bar.title.textFormat() == Qt.TextFormat.PlainText
        server.drop()
        qtbot.waitUntil(window.overlay.isVisible, timeout=3000)
        assert guessing_labels(window) == []


def test_no_label_of_the_main_window_guesses_rich_text(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_message(f"the OVHcloud API refused GET /vps: {MARKUP}")
    assert window.message_bar.text().endswith(MARKUP)
    assert window.message_bar.label.textFormat() == Qt.TextFormat.PlainText
    assert guessing_labels(window) == []


def test_a_tooltip_shows_markup_as_characters() -> None:
    shown = plain_tooltip(f"{MARKUP}\nsecond line")
    assert "<b>" not in shown and "&lt;b&gt;root&lt;/b&gt;" in shown
    assert shown.count("<br>") == 1


def test_a_plain_vnc_console_says_it_is_unencrypted(make_window, server: RfbServer, qtbot) -> None:
    window: ConsoleWindow = make_window(target_of(server))
    assert window.encrypted is False
    assert window.security_label.isVisible()
    assert window.security_label.text() == "Unencrypted"
    assert window.bar.title.text().endswith("unencrypted console")
