"""Text in the windows: shown as text, never interpreted.

What a server or the API says (a desktop name, a refusal reason, an error message, a server's
display name) can hold anything, markup included; Qt's labels and tooltips guess "rich text"
from a text that looks like HTML (``Qt.AutoText``). Every label of the app is a ``PlainLabel``,
and tooltips that may hold such text go through ``plain_tooltip``; the few labels that show a
link the app itself builds say ``RichText`` explicitly and escape what they include.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


class PlainLabel(QLabel):
    """A label that shows its text as it is (no markup, no links)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` as it is (Qt takes a tooltip that looks like HTML as
    HTML): escaped, in a rich-text envelope that keeps its line breaks."""
    return f"<qt>{html.escape(text).replace(chr(10), '<br>')}</qt>"


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:
    """Marks ``source`` for the translations (tools/update-translations finds it by this name)
    where it is defined, to be translated where it is shown; PySide6's own says it returns an
    object, this one a str."""
    return source
