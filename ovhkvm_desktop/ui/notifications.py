"""Telling the user what happened while they looked elsewhere (a console ready after a long wait,
a rescue reboot finished, a console dropped while its window was hidden): a message from the
tray icon when the desktop has one. Without a tray, the windows say it themselves (their status
bars, the main window's message bar), so nothing is lost."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

#: A console that took longer than this to show its screen is announced when it does: the user
#: has likely turned to something else meanwhile (a VPS's VNC port takes a while to open).
READY_AFTER_S = 5.0
#: How long the desktop shows a message.
SHOWN_FOR_MS = 8000
#: Notices kept for the record (the newest).
KEPT = 50


@dataclass(frozen=True)
class Notice:
    """One thing to tell: a title and a sentence, both in the user's words."""

    title: str
    text: str
    warning: bool = False


class Notifier(QObject):
    """Shows notices through the app's tray icon, when there is one."""

    #: A notice was given (shown by the tray, or kept only: no tray).
    noticed = Signal(Notice)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tray: QSystemTrayIcon | None = None
        self.given: list[Notice] = []

    def notify(self, notice: Notice) -> bool:
        """Tell ``notice``; whether the tray showed it."""
        self.given = [*self.given[-(KEPT - 1) :], notice]
        tray = self.tray
        shown = tray is not None and tray.isVisible() and QSystemTrayIcon.supportsMessages()
        if shown and tray is not None:
            icon = (
                QSystemTrayIcon.MessageIcon.Warning
                if notice.warning
                else QSystemTrayIcon.MessageIcon.Information
            )
            tray.showMessage(notice.title, notice.text, icon, SHOWN_FOR_MS)
        self.noticed.emit(notice)
        return shown
