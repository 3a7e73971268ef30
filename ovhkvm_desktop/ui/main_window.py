"""The main window: every server of every OVHcloud profile in one table that filters as you
type, and the ways in — a VPS's console, a dedicated server's KVM page, a rescue session, any
VNC address. Every API call runs in the background; the window only shows what comes back."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import (
    QByteArray,
    QModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QSystemTrayIcon,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ovhkvm_desktop.cloud import login as login_flow
from ovhkvm_desktop.cloud import rescue as rescue_flow
from ovhkvm_desktop.cloud.client import CredentialRejected, OvhApi
from ovhkvm_desktop.cloud.inventory import Inventory, Listing, Server
from ovhkvm_desktop.config import (
    RECENT_SERVER,
    RECENTS_SHOWN,
    Preferences,
    Profile,
    Recent,
    Settings,
)
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.keyboard.layouts import GuestSystem
from ovhkvm_desktop.opening import (
    ConsoleRequest,
    KvmPage,
    Opening,
    browse_kvm,
    is_ovh_target,
    open_console,
    ovh_service,
)
from ovhkvm_desktop.secrets import Secrets
from ovhkvm_desktop.session import ConnectionState, Phase
from ovhkvm_desktop.targets import parse_target
from ovhkvm_desktop.ui.action_icons import action_icon
from ovhkvm_desktop.ui.address_dialog import AddressDialog
from ovhkvm_desktop.ui.background import Background, in_words
from ovhkvm_desktop.ui.console_window import ConsoleWindow, WindowOptions, console_config
from ovhkvm_desktop.ui.login_dialog import LoginDialog
from ovhkvm_desktop.ui.notifications import READY_AFTER_S, Notice, Notifier
from ovhkvm_desktop.ui.server_list import (
    COLUMNS,
    ENTRY_ROLE,
    MAX_COLUMN_WIDTH,
    NAME,
    PROFILE,
    SORT_ROLE,
    FavouritesFirst,
    ProfileListing,
    ServerDetails,
    ServerEntry,
    column_titles,
    fetch_listing,
    recent_of,
    server_row,
)
from ovhkvm_desktop.ui.text import PlainLabel
from ovhkvm_desktop.ui.toolbar import FittingToolBar
from ovhkvm_desktop.ui.widgets import EmptyState, MessageAction, MessageBar

#: Where the window's geometry is remembered (config.json's free-form settings).
GEOMETRY_SETTING = "main_window.geometry"
COLUMNS_SETTING = "main_window.columns"
TRAY_HINT_SETTING = "main_window.tray_hint_shown"


@dataclass(frozen=True)
class Timings:
    """How long the window's API flows poll and wait (tests shorten them)."""

    login_poll: float = login_flow.POLL_INTERVAL
    login_timeout: float = login_flow.VALIDATION_TIMEOUT
    rescue_poll: float = rescue_flow.POLL_INTERVAL
    rescue_timeout: float = rescue_flow.RESCUE_TIMEOUT
    rescue_grace: float = rescue_flow.SELF_REBOOT_GRACE


def prepare_opening(request: ConsoleRequest, progress: Callable[[str], None]) -> Opening | KvmPage:
    """What opening a console does before its window shows (blocking): a console to open, or
    for a dedicated server its KVM page, opened in the browser."""
    from ovhkvm_desktop.cloud.consoles import DedicatedServer

    try:
        return open_console(request, on_keyring_notice=progress)
    except DedicatedServer as dedicated:
        return browse_kvm(dedicated, progress=progress)


def _capitalised(sentence: str) -> str:
    """A sentence that starts with a name phrase ("the console of…") starts with a capital."""
    return sentence[:1].upper() + sentence[1:]


def _settings_or_none() -> Settings | None:
    """The settings store, or None when its file is damaged (the message bar says so)."""
    try:
        return Settings()
    except ConsoleError:
        return None


def plan_rescue(profile: str, service: str) -> tuple[OvhApi, rescue_flow.RescuePlan]:
    """Read the VPS and say what rescue will do (blocking)."""
    api = OvhApi.for_profile(Settings().profile(profile), Secrets())
    return api, rescue_flow.plan(api, service)


class MainWindow(QMainWindow):
    """The servers of every profile; ``refresh()`` fetches them in the background."""

    #: The user asked to quit the app (File ▸ Quit, or closing the window without a tray).
    quit_requested = Signal()
    #: The server list changed (the tray rebuilds its menu from ``server_groups()``).
    servers_changed = Signal()

    def __init__(self, timings: Timings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ovhkvm-desktop")
        self.timings = timings or Timings()
        self.background = Background(self)
        self.inventory = Inventory()
        self.console_settings = _settings_or_none()
        self.preferences = (
            self.console_settings.preferences() if self.console_settings else Preferences()
        )
        self.favourites: set[tuple[str, str]] = (
            self.console_settings.favourites() if self.console_settings else set()
        )
        self.notifier = Notifier(self)
        self.listings: dict[str, ProfileListing] = {}
        self.consoles: list[tuple[tuple[str, str] | None, ConsoleWindow]] = []
        self.tray: QSystemTrayIcon | None = None  # the app's tray icon, when the desktop has one
        self.quitting = False
        self.login_dialog: LoginDialog | None = None
        self.address_dialog: AddressDialog | None = None
        self.settings_dialog: QWidget | None = None
        self.rescue_question: QMessageBox | None = None
        self.problem: str | None = None  # what went wrong with the settings, if anything
        self._generation = 0
        self._opening: set[tuple[str, str]] = set()
        self._action_message: tuple[str, bool, bool, MessageAction | None] | None = None
        self._keyring_notice: str | None = None
        self._columns_fitted = False

        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_central()
        self._build_status_bar()
        self.background.busy_changed.connect(self._show_busy)
        self._restore_geometry()
        self._update_view()

    # -- construction ---------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(action_icon(icon))
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def _build_actions(self) -> None:
        self.open_action = self._action(
            self.tr("Open console"), self.open_selected, icon="utilities-terminal"
        )
        self.open_action.setToolTip(self.tr("Open the console of the selected server (Enter)"))
        self.fullscreen_action = self._action(
            self.tr("Open full screen"), self.open_selected_fullscreen, icon="view-fullscreen"
        )
        self.favourite_action = self._action(
            self.tr("Favourite"), self.toggle_selected_favourite, "Ctrl+D", icon="emblem-favorite"
        )
        self.favourite_action.setCheckable(True)
        self.favourite_action.setToolTip(
            self.tr("Pin the server on top of the list and in the tray icon's menu")
        )
        self.settings_action = self._action(
            self.tr("Settings…"),
            self.open_settings,
            QKeySequence.StandardKey.Preferences,
            icon="preferences-system",
        )
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.rescue_action = self._action(
            self.tr("Rescue…"), self.rescue_selected, icon="system-reboot"
        )
        self.rescue_action.setToolTip(
            self.tr("Reboot the selected VPS into OVHcloud's rescue system and open its console")
        )
        self.address_action = self._action(
            self.tr("Connect to address…"), self.connect_to_address, "Ctrl+L", "network-connect"
        )
        self.address_action.setToolTip(
            self.tr("Open a console by its vnc://, ws://, wss:// or noVNC URL")
        )
        self.refresh_action = self._action(
            self.tr("Refresh"),
            lambda: self.refresh(force=True),
            QKeySequence.StandardKey.Refresh,
            icon="view-refresh",
        )
        self.add_account_action = self._action(
            self.tr("Add account…"), self.add_account, icon="list-add"
        )
        self.add_account_action.setToolTip(self.tr("Log an OVHcloud account in (a new profile)"))
        self.copy_action = self._action(self.tr("Copy service name"), self.copy_selected)
        self.quit_action = self._action(
            self.tr("Quit"),
            self.quit_requested.emit,
            QKeySequence.StandardKey.Quit,
            "application-exit",
        )
        self.filter_action = self._action(
            self.tr("Filter"), lambda: self.filter.setFocus(), QKeySequence.StandardKey.Find
        )
        self.addAction(self.filter_action)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        app = bar.addMenu(self.tr("&File"))
        app.addAction(self.add_account_action)
        app.addAction(self.address_action)
        app.addSeparator()
        app.addAction(self.settings_action)
        app.addSeparator()
        app.addAction(self.quit_action)
        server = bar.addMenu(self.tr("&Server"))
        server.addAction(self.open_action)
        server.addAction(self.fullscreen_action)
        server.addAction(self.rescue_action)
        server.addSeparator()
        server.addAction(self.favourite_action)
        server.addAction(self.copy_action)
        view = bar.addMenu(self.tr("&View"))
        view.addAction(self.refresh_action)

    def _build_toolbar(self) -> None:
        toolbar = FittingToolBar(self.tr("Servers"))
        toolbar.setObjectName("serversToolbar")
        toolbar.addAction(self.open_action)
        toolbar.addAction(self.rescue_action)
        toolbar.addSeparator()
        toolbar.addAction(self.address_action)
        toolbar.addSeparator()
        toolbar.addAction(self.refresh_action)
        toolbar.addAction(self.add_account_action)
        toolbar.addSeparator()
        toolbar.addAction(self.settings_action)
        # Where the labels do not all fit (French ones are longer), the secondary actions show
        # their icon alone first; opening a console keeps its words longest.
        toolbar.give_way(
            self.settings_action,
            self.refresh_action,
            self.add_account_action,
            self.address_action,
            self.rescue_action,
            self.open_action,
        )
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    def _build_central(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 4)
        self.message_bar = MessageBar()
        layout.addWidget(self.message_bar)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(
            self.tr("Filter servers by name, state, model, zone, profile…")
        )
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        layout.addWidget(self.filter)

        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(column_titles())
        self.proxy = FavouritesFirst(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)  # any column
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        self.table.activated.connect(self._on_activated)  # double-click, Enter
        self.table.selectionModel().selectionChanged.connect(lambda *_args: self._update_actions())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.details = ServerDetails()
        self.no_match = PlainLabel()
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.setEnabled(False)
        self.no_match.hide()

        table_page = QWidget()
        table_layout = QVBoxLayout(table_page)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.table, 1)
        table_layout.addWidget(self.no_match)
        table_layout.addWidget(self.details)
        self.empty = EmptyState()
        self.stack = QStackedWidget()
        self.stack.addWidget(table_page)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.activity = PlainLabel()
        self.activity.setMinimumWidth(1)
        status.addWidget(self.activity, 1)
        self.spinner = QProgressBar()
        self.spinner.setRange(0, 0)  # busy
        self.spinner.setMaximumWidth(90)
        self.spinner.setMaximumHeight(14)
        self.spinner.setTextVisible(False)
        self.spinner.hide()
        status.addPermanentWidget(self.spinner)
        self.count = PlainLabel()
        status.addPermanentWidget(self.count)

    # -- the server list --------------------------------------------------------------------------

    def refresh(self, force: bool = True) -> None:
        """Fetch every profile's servers in the background (``force``: past the cache)."""
        try:
            profiles = Settings().profiles()
        except ConsoleError as exc:
            self.problem = in_words(exc)
            self.listings = {}
            self._update_view()
            return
        self.problem = None
        self._generation += 1
        generation = self._generation
        self.listings = {
            p.name: self.listings.get(p.name) or ProfileListing(p.name) for p in profiles
        }
        notice = self.background.reporter(self._on_keyring_notice)
        for profile in profiles:
            listing = self.listings[profile.name]
            listing.loading = True
            self.background.run(
                partial(fetch_listing, profile, self.inventory, force, notice),
                partial(self._on_listing, generation, profile.name),
                partial(self._on_listing_failed, generation, profile.name),
                name=f"servers-{profile.name}",
            )
        if profiles:
            self._say(self.tr("Loading the servers…"))
        self._update_view()

    def _on_listing(self, generation: int, profile: str, result: Listing) -> None:
        listing = self.listings.get(profile)
        if generation != self._generation or listing is None:
            return  # a newer refresh is on its way
        listing.servers, listing.warnings = list(result.servers), list(result.warnings)
        listing.error, listing.loading, listing.loaded = None, False, True
        self._listing_settled()

    def _on_listing_failed(self, generation: int, profile: str, exc: BaseException) -> None:
        listing = self.listings.get(profile)
        if generation != self._generation or listing is None:
            return
        listing.error, listing.loading, listing.loaded = exc, False, True
        self._listing_settled()

    def _listing_settled(self) -> None:
        if not self.loading:
            self._say("")
        self._update_view()

    def _on_keyring_notice(self, notice: str) -> None:
        if self._keyring_notice is None:
            self._keyring_notice = notice
            self._update_messages()

    def entries(self) -> list[ServerEntry]:
        """Every server of every profile, in the profiles' order."""
        return [
            ServerEntry(listing.profile, server)
            for listing in self.listings.values()
            for server in listing.servers
        ]

    def server_groups(self) -> list[tuple[str, list[ServerEntry]]]:
        """The servers by profile (profiles with servers only), for the tray."""
        groups = []
        for listing in self.listings.values():
            if listing.servers:
                entries = [ServerEntry(listing.profile, s) for s in listing.servers]
                groups.append((listing.profile, sorted(entries, key=lambda e: e.label.lower())))
        return groups

    @property
    def loading(self) -> bool:
        return any(listing.loading for listing in self.listings.values())

    def _update_view(self) -> None:
        selected = self.selected_entry()
        self.model.removeRows(0, self.model.rowCount())
        for entry in self.entries():
            self.model.appendRow(server_row(entry, entry.key in self.favourites))
        several = len(self.listings) > 1
        self.table.setColumnHidden(PROFILE, not several)
        if selected is not None:
            self._select(selected.key)
        if self.model.rowCount() and not self._columns_fitted and not self._restore_columns():
            self._fit_columns()
        self._update_page()
        self._update_messages()
        self._apply_filter(self.filter.text())
        self._update_actions()
        self.servers_changed.emit()

    def _fit_columns(self) -> None:
        """Columns as wide as their contents, once (then the user's widths stay)."""
        self._columns_fitted = True
        self.table.resizeColumnsToContents()
        for column in range(len(COLUMNS) - 1):
            if self.table.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.table.setColumnWidth(column, MAX_COLUMN_WIDTH)

    def _update_page(self) -> None:
        if not self.listings and self.problem is None:
            # First run: what the app does, and three ways in (the demo needs nothing).
            self._show_empty(
                self.tr("No account yet"),
                self.tr(
                    "Add an OVHcloud account to list your VPS and dedicated servers here and open"
                    " their KVM consoles in this app, typing exactly what you type whatever the"
                    " keyboard layouts. No account? Connect to any VNC console by its address,"
                    " or try the demo console, served by the app itself."
                ),
                (self.tr("Add an OVHcloud account…"), self.add_account),
                (self.tr("Connect to address…"), self.connect_to_address),
                (self.tr("Try the demo console"), self.try_demo),
            )
        elif (
            self.listings
            and not self.loading
            and not self.entries()
            and all(listing.error is None for listing in self.listings.values())
        ):
            self._show_empty(
                self.tr("No servers"),
                self.tr("There is no VPS or dedicated server in this account.")
                if len(self.listings) == 1
                else self.tr("There is no VPS or dedicated server in these accounts."),
                (self.tr("Refresh"), lambda: self.refresh(force=True)),
                (self.tr("Add account…"), self.add_account),
            )
        else:
            self.stack.setCurrentIndex(0)
        self.filter.setVisible(self.stack.currentIndex() == 0)

    def _show_empty(
        self,
        title: str,
        text: str,
        primary: tuple[str, Callable[[], object]],
        secondary: tuple[str, Callable[[], object]],
        third: tuple[str, Callable[[], object]] | None = None,
    ) -> None:
        self.empty.show_state(title, text, primary, secondary, third)
        self.stack.setCurrentWidget(self.empty)

    def _update_messages(self) -> None:
        """The message bar: what the user just did went wrong, or a profile's listing did."""
        lines: list[str] = []
        error = False
        action: MessageAction | None = None
        rich = False
        if self._action_message is not None:
            text, error, rich, action = self._action_message
            lines.append(text)
        if self.problem:
            lines.append(self.problem)
            error = True
        for listing in self.listings.values():
            if listing.error is not None:
                lines.append(in_words(listing.error))
                error = True
                if action is None and isinstance(listing.error, CredentialRejected):
                    action = (self.tr("Log in again…"), partial(self.add_account, listing.profile))
            lines += [in_words(w) for w in listing.warnings]
        if self._keyring_notice:
            lines.append(in_words(ConsoleError(self._keyring_notice)))
        if not lines:
            self.message_bar.dismiss()
            return
        if rich:
            import html

            lines = [line if i == 0 else html.escape(line) for i, line in enumerate(lines)]
        self.message_bar.show_message(
            ("<br>" if rich else "\n").join(lines), error=error, rich=rich, action=action
        )

    def show_message(
        self,
        text: str,
        *,
        error: bool = True,
        rich: bool = False,
        action: MessageAction | None = None,
    ) -> None:
        """Tell the user something above the table (replaces the last such message)."""
        self._action_message = (text, error, rich, action)
        self._update_messages()

    def _apply_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        nothing = bool(text.strip()) and self.model.rowCount() > 0 and not self.proxy.rowCount()
        self.no_match.setText(self.tr("No server matches “{text}”").format(text=text.strip()))
        self.no_match.setVisible(nothing)
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        # %n: Qt's numerus form, which a translation gives per plural of its language.
        if not total:
            self.count.setText("")
        elif shown != total:
            self.count.setText(self.tr("{shown} of %n servers", "", total).format(shown=shown))
        else:
            self.count.setText(
                self.tr("%n servers", "", total) if total != 1 else self.tr("1 server")
            )
        self._update_actions()

    # -- selection --------------------------------------------------------------------------------

    def visible_entries(self) -> list[ServerEntry]:
        """The rows the filter lets through, top to bottom."""
        rows = []
        for row in range(self.proxy.rowCount()):
            entry = self.proxy.index(row, NAME).data(ENTRY_ROLE)
            if isinstance(entry, ServerEntry):
                rows.append(entry)
        return rows

    def row_of(self, entry: ServerEntry) -> QModelIndex:
        """The table's index of an entry's row (invalid when filtered out)."""
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, NAME)
            found = index.data(ENTRY_ROLE)
            if isinstance(found, ServerEntry) and found.key == entry.key:
                return index
        return QModelIndex()

    def selected_entry(self) -> ServerEntry | None:
        selection = self.table.selectionModel()
        if selection is None:
            return None
        rows = selection.selectedRows(NAME)
        entry = rows[0].data(ENTRY_ROLE) if rows else None
        return entry if isinstance(entry, ServerEntry) else None

    def _select(self, key: tuple[str, str]) -> None:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, NAME)
            entry = index.data(ENTRY_ROLE)
            if isinstance(entry, ServerEntry) and entry.key == key:
                self.table.selectRow(row)
                return

    def _update_actions(self) -> None:
        entry = self.selected_entry()
        self.open_action.setEnabled(entry is not None)
        self.copy_action.setEnabled(entry is not None)
        self.favourite_action.setEnabled(entry is not None)
        self.favourite_action.setChecked(entry is not None and entry.key in self.favourites)
        self.fullscreen_action.setEnabled(entry is not None and entry.is_vps)
        self.details.show_entry(entry)
        dedicated = entry is not None and not entry.is_vps
        self.open_action.setText(
            self.tr("Open KVM in browser") if dedicated else self.tr("Open console")
        )
        self.rescue_action.setEnabled(
            entry is not None and entry.is_vps and entry.server.state != "expired"
        )

    def _on_activated(self, index: QModelIndex) -> None:
        entry = self.proxy.index(index.row(), NAME).data(ENTRY_ROLE)
        if isinstance(entry, ServerEntry):
            self.open_server(entry)

    def context_menu(self) -> QMenu:
        """The menu of the selected server: open, open full screen, rescue, copy its service
        name, favourite."""
        menu = QMenu(self)
        menu.addAction(self.open_action)
        menu.addAction(self.fullscreen_action)
        menu.addAction(self.rescue_action)
        menu.addSeparator()
        menu.addAction(self.copy_action)
        menu.addAction(self.favourite_action)
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid():
            self.table.selectRow(index.row())  # the row under the pointer is the one meant
        if self.selected_entry() is None:
            return
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def open_selected(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            self.open_server(entry)

    def open_selected_fullscreen(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            self.open_server(entry, fullscreen=True)

    # -- favourites and recents ---------------------------------------------------------------

    def toggle_selected_favourite(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            self.set_favourite(entry, entry.key not in self.favourites)

    def set_favourite(self, entry: ServerEntry, on: bool) -> None:
        """Star or unstar a server: starred ones come first in the list and in the tray."""
        if self.console_settings is not None:
            try:
                self.console_settings.set_favourite(entry.profile, entry.server.name, on)
            except ConsoleError as exc:
                self.show_message(in_words(exc))
                return
        (self.favourites.add if on else self.favourites.discard)(entry.key)
        self._update_view()

    def favourite_entries(self) -> list[ServerEntry]:
        """The starred servers the lists know, by name."""
        found = [e for e in self.entries() if e.key in self.favourites]
        return sorted(found, key=lambda e: e.label.lower())

    def recents(self) -> list[Recent]:
        """The latest consoles opened (RECENTS_SHOWN of them), read afresh: another start of the
        app, or a command line, may have added some."""
        settings = self.console_settings
        if settings is None:
            return []
        with contextlib.suppress(ConsoleError):
            settings.reload()
        return settings.recents()[:RECENTS_SHOWN]

    def recent_label(self, recent: Recent) -> str:
        """How a recent console is named: a known server as the list names it now."""
        if recent.kind == RECENT_SERVER:
            for entry in self.entries():
                if entry.key == (recent.profile, recent.service):
                    return entry.label
        return recent.label

    def open_recent(self, recent: Recent) -> None:
        """Open a recent console again; an address whose password or token was left out opens
        the address dialog, for the user to give it again."""
        if recent.kind == RECENT_SERVER:
            for entry in self.entries():
                if entry.key == (recent.profile, recent.service):
                    self.open_server(entry)
                    return
            self.open_request(ConsoleRequest(f"ovh:{recent.service}", recent.profile))
        elif recent.complete:
            self._connect_address(recent.address)
        else:
            dialog = self.connect_to_address()
            dialog.address.setText(recent.address)
            dialog.address.setFocus()

    def _remember_recent(self, recent: Recent | None) -> None:
        if recent is None or self.console_settings is None:
            return
        with contextlib.suppress(ConsoleError):  # a damaged file is said elsewhere
            self.console_settings.remember_recent(recent)

    def rescue_selected(self) -> None:
        entry = self.selected_entry()
        if entry is not None and entry.is_vps:
            self.rescue(entry)

    def copy_selected(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            QGuiApplication.clipboard().setText(entry.server.name)
            self._say(self.tr("Copied {service}").format(service=entry.server.name))

    # -- consoles ---------------------------------------------------------------------------------

    def open_server(self, entry: ServerEntry, fullscreen: bool = False) -> None:
        """Open a VPS's console window, or a dedicated server's KVM page in the browser; a
        console already open is brought to the front."""
        existing = self.console_of(entry.key)
        if existing is not None:
            existing.showNormal() if existing.isMinimized() else existing.show()
            existing.raise_()
            existing.activateWindow()
            if fullscreen:
                existing.set_fullscreen(True)
            return
        self._open(
            entry.key,
            ConsoleRequest(entry.target, entry.profile),
            what=entry.label,
            view=WindowOptions(fullscreen=fullscreen),
            recent=Recent.server(entry.profile, entry.server.name, entry.label),
        )

    def open_request(self, request: ConsoleRequest, view: dict[str, object] | None = None) -> None:
        """Open the console another start of the app asked for (``open TARGET``, a vnc://
        link): ``view`` holds the window's options it gave."""
        options = WindowOptions(**view) if view else WindowOptions()  # type: ignore[arg-type]
        if is_ovh_target(request.target):
            service = ovh_service(request.target)
            profile = request.profile
            if profile is None and self.console_settings is not None:
                profile = self.console_settings.default_profile_name()
            key = (profile or "", service)
            existing = self.console_of(key)
            if existing is not None:
                existing.showNormal() if existing.isMinimized() else existing.show()
                existing.raise_()
                existing.activateWindow()
                return
            label = next((e.label for e in self.entries() if e.key == key), service)
            recent = recent_of(request, label, profile)
            self._open(key, request, what=label, view=options, recent=recent)
            return
        try:
            shown = parse_target(request.target).display
        except ConsoleError as exc:  # the command line checked it; another sender may not
            self.show_and_raise()
            self.show_message(in_words(exc))
            return
        self._open(None, request, what=shown, view=options, recent=recent_of(request, shown, None))

    def console_of(self, key: tuple[str, str]) -> ConsoleWindow | None:
        for known, window in self.consoles:
            if known == key:
                return window
        return None

    def _open(
        self,
        key: tuple[str, str] | None,
        request: ConsoleRequest,
        *,
        what: str,
        view: WindowOptions | None = None,
        recent: Recent | None = None,
        console: str | None = None,
    ) -> None:
        """Open a console of ``what`` (a server's label, an address); ``console`` names the
        console itself where ``what`` does not ("the rescue console of…"; else "the console of
        ``what``"), for the notices that speak of it."""
        if key is not None:
            if key in self._opening:
                return
            self._opening.add(key)
        self._say(self.tr("Opening {server}…").format(server=what))
        started = time.monotonic()
        console = console or self.tr("the console of {server}").format(server=what)
        self.background.run(
            partial(prepare_opening, request, self.background.reporter(self._say)),
            partial(self._opened, key, what, view or WindowOptions(), recent, started, console),
            partial(self._open_failed, key, what),
            name="open-console",
        )

    def _opened(
        self,
        key: tuple[str, str] | None,
        what: str,
        view: WindowOptions,
        recent: Recent | None,
        started: float,
        console: str,
        result: Opening | KvmPage,
    ) -> None:
        if key is not None:
            self._opening.discard(key)
        self._remember_recent(recent)
        if isinstance(result, KvmPage):
            if result.opened:
                self._say(
                    self.tr("The KVM of {server} is open in your browser").format(server=what)
                )
            else:
                import html

                self.show_message(
                    self.tr(
                        'No browser could be started: open <a href="{url}">the KVM page of'
                        " {server}</a> yourself (link valid for 15 min)."
                    ).format(url=html.escape(result.url), server=html.escape(what)),
                    error=False,
                    rich=True,
                )
            return
        if self.quitting:
            return
        try:
            config = console_config(result, view, self.preferences)
        except ConsoleError as exc:  # a menu key the request named that Qt does not know
            self._open_failed(None, what, exc)
            return
        window = ConsoleWindow(result.source, config, result.request.options, self.console_settings)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.consoles.append((key, window))
        window.destroyed.connect(partial(self._forget_console, window))
        self._watch_console(window, console, started)
        window.show()
        self._say(self.tr("Opened {server}").format(server=what))

    def _watch_console(self, window: ConsoleWindow, console: str, started: float) -> None:
        """Notices about a console: ready after a long wait, dropped while its window was
        hidden (minimised, or behind the tray)."""
        first: list[bool] = []

        def ready() -> None:  # READY_AFTER_S read here: tests shorten it
            if first:
                return
            first.append(True)
            if time.monotonic() - started > READY_AFTER_S:
                self.notifier.notify(
                    Notice(
                        self.tr("Console ready"),
                        _capitalised(self.tr("{console} is ready.").format(console=console)),
                    )
                )

        connected: list[bool] = [False]

        def state(state: ConnectionState) -> None:
            was, connected[0] = connected[0], state.phase is Phase.CONNECTED
            hidden = not window.isVisible() or window.isMinimized()
            if was and state.phase is Phase.WAITING and hidden:
                self.notifier.notify(
                    Notice(
                        self.tr("Console dropped"),
                        _capitalised(
                            self.tr("{console} was disconnected: {reason}").format(
                                console=console,
                                reason=state.reason or self.tr("no reason given"),
                            )
                        ),
                        warning=True,
                    )
                )

        window.first_frame.connect(ready)
        window.bridge.state_changed.connect(state)

    def _open_failed(self, key: tuple[str, str] | None, what: str, exc: BaseException) -> None:
        if key is not None:
            self._opening.discard(key)
        self._say("")
        self.show_message(
            self.tr("Cannot open {server}: {reason}").format(server=what, reason=in_words(exc))
        )

    def _forget_console(self, window: ConsoleWindow, *_args: object) -> None:
        self.consoles = [(k, w) for k, w in self.consoles if w is not window]

    def close_consoles(self) -> None:
        for _, window in list(self.consoles):
            with contextlib.suppress(RuntimeError):  # already gone
                window.close()

    def try_demo(self) -> None:
        """The demo console in a console window: served by the app itself on loopback (no
        account, no network), a French AZERTY Linux console to type into."""
        from ovhkvm_desktop.demo import DEFAULT_LAYOUT, BackgroundDemo, running_demo
        from ovhkvm_desktop.demo.opening import demo_request

        what = self.tr("the demo console")

        def started(demo: BackgroundDemo) -> None:
            self._open(None, demo_request(demo.address, DEFAULT_LAYOUT), what=what, console=what)

        self.background.run(
            partial(running_demo, DEFAULT_LAYOUT),
            started,
            partial(self._open_failed, None, what),
            name="demo-console",
        )

    # -- connect to an address --------------------------------------------------------------------

    def connect_to_address(self) -> AddressDialog:
        """Ask for a console address; a good one opens its console window."""
        self.show_and_raise()
        if self.address_dialog is not None and self.address_dialog.isVisible():
            self.address_dialog.raise_()
            self.address_dialog.activateWindow()
            return self.address_dialog
        dialog = AddressDialog(self)
        dialog.chosen.connect(self._connect_address)
        self.address_dialog = dialog
        dialog.open()
        return dialog

    def _connect_address(self, text: str) -> None:
        shown = parse_target(text).display  # never with its password or token
        self._open(None, ConsoleRequest(text), what=shown, recent=Recent.of_address(text))

    # -- rescue -----------------------------------------------------------------------------------

    def rescue(self, entry: ServerEntry) -> None:
        """Ask OVHcloud what rescuing the VPS means, confirm with the user, do it, then open its
        console full screen (the rescue system greets on a Linux text console)."""
        if entry.key in self._opening:
            return
        self._opening.add(entry.key)
        self._say(self.tr("Reading {server}…").format(server=entry.label))
        self.background.run(
            partial(plan_rescue, entry.profile, entry.server.name),
            partial(self._confirm_rescue, entry),
            partial(self._rescue_failed, entry),
            name="rescue-plan",
        )

    def _confirm_rescue(
        self, entry: ServerEntry, planned: tuple[OvhApi, rescue_flow.RescuePlan]
    ) -> None:
        api, chosen = planned
        if chosen.already_there:
            self._rescued(entry, chosen.server, switched=False)
            return
        self.show_and_raise()
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Rescue — ovhkvm-desktop"))
        box.setTextFormat(Qt.TextFormat.PlainText)  # it names the server as the API does
        box.setText(chosen.question)
        box.setInformativeText(
            self.tr(
                "This takes a few minutes; the console then opens full screen on the rescue"
                " system. Its progress shows at the bottom of this window."
            )
        )
        go = box.addButton(self.tr("Reboot into rescue"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.rescue_question = box

        def answered(_result: int) -> None:
            self.rescue_question = None
            box.deleteLater()
            if box.clickedButton() is go:
                self._switch_to_rescue(entry, api, chosen)
            else:
                self._opening.discard(entry.key)
                self._say(
                    self.tr("Rescue of {server} cancelled: nothing was changed").format(
                        server=entry.label
                    )
                )

        box.finished.connect(answered)
        box.open()

    def _switch_to_rescue(
        self, entry: ServerEntry, api: OvhApi, chosen: rescue_flow.RescuePlan
    ) -> None:
        t = self.timings
        self._say(self.tr("Rebooting {server} into rescue mode…").format(server=entry.label))
        self.background.run(
            partial(
                rescue_flow.switch,
                api,
                chosen,
                progress=self.background.reporter(self._say),
                poll_interval=t.rescue_poll,
                timeout=t.rescue_timeout,
                grace=t.rescue_grace,
            ),
            partial(self._rescued, entry),
            partial(self._rescue_failed, entry),
            name="rescue",
        )

    def _rescued(self, entry: ServerEntry, server: Server, switched: bool = True) -> None:
        self._opening.discard(entry.key)
        if switched:
            self.notifier.notify(
                Notice(
                    self.tr("Rescue mode"),
                    self.tr("{server} rebooted into rescue mode: its console opens.").format(
                        server=entry.label
                    ),
                )
            )
        self.show_message(
            self.tr(
                "{server} is in rescue mode: its root password is sent to the account's"
                " e-mail address."
            ).format(server=entry.label),
            error=False,
        )
        self.inventory.forget(entry.profile)
        existing = self.console_of(entry.key)
        if existing is not None:
            existing.close()  # its guest and keyboard were the VPS's own system's
        rescue_console = self.tr("the rescue console of {server}").format(server=entry.label)
        self._open(
            entry.key,
            ConsoleRequest(entry.target, entry.profile, guest=GuestSystem.CONSOLE),
            what=rescue_console,
            view=WindowOptions(fullscreen=True),
            recent=Recent.server(entry.profile, entry.server.name, entry.label),
            console=rescue_console,
        )

    def _rescue_failed(self, entry: ServerEntry, exc: BaseException) -> None:
        self._opening.discard(entry.key)
        self._say("")
        self.show_message(
            self.tr("Rescue of {server} failed: {reason}").format(
                server=entry.label, reason=in_words(exc)
            )
        )

    # -- accounts ---------------------------------------------------------------------------------

    def add_account(self, profile: str | None = None) -> LoginDialog:
        """The login dialog (for a new profile, or to log ``profile`` in again)."""
        self.show_and_raise()
        if self.login_dialog is not None and self.login_dialog.isVisible():
            self.login_dialog.raise_()
            self.login_dialog.activateWindow()
            return self.login_dialog
        known: Profile | None = None
        names: list[str] = []
        with contextlib.suppress(ConsoleError):
            settings = Settings()
            names = [p.name for p in settings.profiles()]
            if profile is not None:
                known = settings.profile(profile)
        dialog = LoginDialog(
            self.background,
            self,
            profile=known,
            existing=names,
            poll_interval=self.timings.login_poll,
            timeout=self.timings.login_timeout,
        )
        dialog.logged_in.connect(self._logged_in)
        self.login_dialog = dialog
        dialog.open()
        return dialog

    def _logged_in(self, profile: str, message: str) -> None:
        self.inventory.forget(profile)
        self.show_message(message, error=False)
        self.refresh(force=True)

    # -- the window -------------------------------------------------------------------------------

    def _say(self, message: str) -> None:
        text = message.strip()
        self.activity.setText(text[:1].upper() + text[1:])

    def _show_busy(self, busy: bool) -> None:
        self.spinner.setVisible(busy)

    def show_and_raise(self) -> None:
        if self.isMinimized():
            self.showNormal()
        else:
            self.show()
        self.raise_()
        self.activateWindow()

    def _restore_geometry(self) -> None:
        self.resize(860, 480)
        if not self.preferences.remember_geometry:
            return
        with contextlib.suppress(ConsoleError, ValueError, TypeError):
            saved = Settings().get(GEOMETRY_SETTING)
            if isinstance(saved, str):
                self.restoreGeometry(QByteArray.fromBase64(saved.encode("ascii")))

    def _restore_columns(self) -> bool:
        """The list's columns as the user left them (widths, order, sorting); False when none
        were saved."""
        with contextlib.suppress(ConsoleError, ValueError, TypeError, UnicodeEncodeError):
            saved = Settings().get(COLUMNS_SETTING)
            if isinstance(saved, str) and self.table.horizontalHeader().restoreState(
                QByteArray.fromBase64(saved.encode("ascii"))
            ):
                self._columns_fitted = True
                return True
        return False

    def _save_geometry(self) -> None:
        with contextlib.suppress(ConsoleError):
            settings = Settings()
            if self.preferences.remember_geometry:
                value = bytes(self.saveGeometry().toBase64().data()).decode("ascii")
                if settings.get(GEOMETRY_SETTING) != value:
                    settings.set(GEOMETRY_SETTING, value)
            if self._columns_fitted:
                header = self.table.horizontalHeader().saveState()
                columns = bytes(header.toBase64().data()).decode("ascii")
                if settings.get(COLUMNS_SETTING) != columns:
                    settings.set(COLUMNS_SETTING, columns)

    # -- settings -------------------------------------------------------------------------------

    def open_settings(self) -> QWidget:
        """The Settings dialog; what it saves applies from then on."""
        from ovhkvm_desktop.ui.settings_dialog import SettingsDialog

        self.show_and_raise()
        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return self.settings_dialog
        dialog = SettingsDialog(self.preferences, has_tray=self.tray is not None, parent=self)
        dialog.saved.connect(self.apply_preferences)
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def apply_preferences(self, preferences: Preferences) -> None:
        """Store the Settings dialog's choices; new consoles and the next close follow them."""
        if self.console_settings is None:
            self.show_message(self.tr("The settings cannot be saved: the settings file is damaged"))
            return
        try:
            self.console_settings.save_preferences(preferences)
        except ConsoleError as exc:
            self.show_message(in_words(exc))
            return
        self.preferences = preferences
        self._say(self.tr("Settings saved"))

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_geometry()
        tray = self.tray
        to_tray = self.preferences.close_to_tray
        if tray is not None and tray.isVisible() and to_tray and not self.quitting:
            # The tray keeps the app (and its consoles) within reach.
            event.ignore()
            self.hide()
            self._tell_about_tray(tray)
            return
        event.accept()
        if not self.quitting:
            self.quit_requested.emit()

    def _tell_about_tray(self, tray: QSystemTrayIcon) -> None:
        with contextlib.suppress(ConsoleError):
            settings = Settings()
            if settings.get(TRAY_HINT_SETTING):
                return
            settings.set(TRAY_HINT_SETTING, True)
        tray.showMessage(
            self.tr("ovhkvm-desktop is still running"),
            self.tr("Your servers are in the tray icon's menu. Quit from that menu."),
            QSystemTrayIcon.MessageIcon.Information,
            6000,
        )
