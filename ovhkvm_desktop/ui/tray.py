"""The tray icon: the favourite servers and the latest consoles two clicks away (the menu, then
the console), every server in a submenu, the main window, a console by its address, and Quit.
Its menu is rebuilt each time it opens, from the main window's current list and the recents."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ovhkvm_desktop.ui.icon import app_icon
from ovhkvm_desktop.ui.server_list import star_icon, state_words
from ovhkvm_desktop.ui.text import plain_tooltip

if TYPE_CHECKING:
    from ovhkvm_desktop.config import Recent
    from ovhkvm_desktop.ui.main_window import MainWindow
    from ovhkvm_desktop.ui.server_list import ServerEntry

#: Servers listed per profile before the menu says "N more" (a long menu is no quicker).
MAX_SERVERS_PER_PROFILE = 25


def menu_text(text: str) -> str:
    """``text`` as a menu shows it as it is ("&" would underline the next letter)."""
    return text.replace("&", "&&")


def server_label(entry: ServerEntry) -> str:
    if entry.is_vps:
        text = QCoreApplication.translate("ServerTray", "{server} — VPS, {state}")
    else:
        text = QCoreApplication.translate(
            "ServerTray", "{server} — dedicated, KVM in browser, {state}"
        )
    return text.format(server=entry.label, state=state_words(entry.server.state))


def _heading(menu: QMenu, text: str) -> None:
    heading = menu.addAction(menu_text(text))
    font = heading.font()
    font.setBold(True)
    heading.setFont(font)
    heading.setEnabled(False)


def build_tray_menu(menu: QMenu, window: MainWindow, on_quit: Callable[[], object]) -> None:
    """Fill ``menu``: the favourite servers, the latest consoles (servers and addresses, without
    their secrets), every server in a submenu (by profile when there are several), then Show
    window, Connect to address…, Quit. A click on a server or a recent console opens it."""
    menu.clear()
    favourites = window.favourite_entries()
    if favourites:
        _heading(menu, QCoreApplication.translate("ServerTray", "Favourites"))
        for entry in favourites:
            action = menu.addAction(star_icon(), menu_text(server_label(entry)))
            action.setToolTip(plain_tooltip(entry.server.name))
            action.triggered.connect(partial(_open, window, entry))
    recents = window.recents()
    if recents:
        if favourites:
            menu.addSeparator()
        _heading(menu, QCoreApplication.translate("ServerTray", "Recent consoles"))
        for recent in recents:
            action = menu.addAction(menu_text(window.recent_label(recent)))
            if not recent.complete:
                action.setToolTip(
                    QCoreApplication.translate(
                        "ServerTray", "Its password or token was not kept: type it again"
                    )
                )
            action.triggered.connect(partial(_open_recent, window, recent))
    if favourites or recents:
        menu.addSeparator()
    groups = window.server_groups()
    if groups:
        servers = menu.addMenu(QCoreApplication.translate("ServerTray", "All servers"))
        _add_servers(servers, window, groups)
    else:
        if window.loading:
            note = QCoreApplication.translate("ServerTray", "Loading the servers…")
        elif not window.listings:
            note = QCoreApplication.translate("ServerTray", "No account yet")
        else:
            note = QCoreApplication.translate("ServerTray", "No servers")
        menu.addAction(note).setEnabled(False)
    menu.addSeparator()
    show = menu.addAction(QCoreApplication.translate("ServerTray", "Show window"))
    show.triggered.connect(lambda _checked=False: window.show_and_raise())
    address = menu.addAction(QCoreApplication.translate("ServerTray", "Connect to address…"))
    address.triggered.connect(lambda _checked=False: window.connect_to_address())
    menu.addSeparator()
    quit_action = menu.addAction(QCoreApplication.translate("ServerTray", "Quit"))
    quit_action.triggered.connect(lambda _checked=False: on_quit())


def _add_servers(
    menu: QMenu, window: MainWindow, groups: list[tuple[str, list[ServerEntry]]]
) -> None:
    """Every server, a heading per profile when there are several."""
    several = len(groups) > 1
    for profile, entries in groups:
        if several:
            _heading(menu, profile)
        for entry in entries[:MAX_SERVERS_PER_PROFILE]:
            action = menu.addAction(menu_text(server_label(entry)))
            action.setToolTip(plain_tooltip(entry.server.name))
            action.triggered.connect(partial(_open, window, entry))
        hidden = len(entries) - MAX_SERVERS_PER_PROFILE
        if hidden > 0:
            more = menu.addAction(
                QCoreApplication.translate("ServerTray", "{count} more in the window…").format(
                    count=hidden
                )
            )
            more.triggered.connect(lambda _checked=False: window.show_and_raise())


def _open_recent(window: MainWindow, recent: Recent, _checked: bool = False) -> None:
    window.open_recent(recent)


def _open(window: MainWindow, entry: ServerEntry, _checked: bool = False) -> None:
    window.open_server(entry)


def menu_actions(menu: QMenu) -> list[QAction]:
    """The menu's entries, separators left out."""
    return [a for a in menu.actions() if not a.isSeparator()]


class ServerTray(QSystemTrayIcon):
    """The tray icon of the app; a click shows or hides the main window."""

    def __init__(self, window: MainWindow, on_quit: Callable[[], object]) -> None:
        super().__init__(app_icon())
        self.window = window
        self.on_quit = on_quit
        window.notifier.tray = self
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild)
        self.setContextMenu(self.menu)
        self.activated.connect(self._on_activated)
        window.servers_changed.connect(self._update_tooltip)
        self.rebuild()
        self._update_tooltip()

    def rebuild(self) -> None:
        build_tray_menu(self.menu, self.window, self.on_quit)

    def _update_tooltip(self) -> None:
        count = sum(len(entries) for _, entries in self.window.server_groups())
        if count == 1:
            self.setToolTip(QCoreApplication.translate("ServerTray", "ovhkvm-desktop — 1 server"))
        else:
            self.setToolTip(self.tr("ovhkvm-desktop — %n servers", "", count))

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason is QSystemTrayIcon.ActivationReason.Trigger:
            if self.window.isVisible() and not self.window.isMinimized():
                self.window.hide()
            else:
                self.window.show_and_raise()
