"""The server list: a server as one profile sees it (``ServerEntry``), what the main window
knows of each profile's servers, the table's rows (columns, sorting with favourites first, state
colours, a star on favourites) and the selected server's details at a glance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QStandardItem
from PySide6.QtWidgets import QFormLayout, QFrame, QWidget

from ovhkvm_desktop.cloud.client import ApiError, OvhApi
from ovhkvm_desktop.cloud.inventory import Inventory, Listing, Server
from ovhkvm_desktop.config import Profile, Recent
from ovhkvm_desktop.opening import ConsoleRequest, is_ovh_target, ovh_service
from ovhkvm_desktop.secrets import Secrets
from ovhkvm_desktop.ui.action_icons import drawn_icon
from ovhkvm_desktop.ui.text import PlainLabel, plain_tooltip

COLUMNS = ("Name", "Service", "Kind", "State", "Model", "Zone", "Profile")
NAME, SERVICE, KIND, STATE, MODEL, ZONE, PROFILE = range(len(COLUMNS))
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
FAVOURITE_ROLE = Qt.ItemDataRole.UserRole + 3
MAX_COLUMN_WIDTH = 260

_STATE_COLOURS = {
    "running": "#2e9d4a",
    "ok": "#2e9d4a",
    "rescued": "#d08a00",
    "rebooting": "#d08a00",
    "installing": "#d08a00",
    "maintenance": "#d08a00",
    "upgrading": "#d08a00",
    "stopping": "#8a8a8a",
    "stopped": "#8a8a8a",
    "expired": "#c62828",
    "error": "#c62828",
    "hacked": "#c62828",
    "hackedBlocked": "#c62828",
}


@dataclass(frozen=True)
class ServerEntry:
    """One row: a server as one profile sees it."""

    profile: str
    server: Server

    @property
    def key(self) -> tuple[str, str]:
        return (self.profile, self.server.name)

    @property
    def target(self) -> str:
        return f"ovh:{self.server.name}"

    @property
    def label(self) -> str:
        """How the user names it: its display name, with the service when they differ."""
        s = self.server
        return s.name if s.displayName == s.name else f"{s.displayName} ({s.name})"

    @property
    def is_vps(self) -> bool:
        return self.server.kind == "vps"


@dataclass
class ProfileListing:
    """What the window knows of one profile's servers."""

    profile: str
    servers: list[Server] = field(default_factory=list)
    warnings: list[ApiError] = field(default_factory=list)
    error: BaseException | None = None
    loading: bool = False
    loaded: bool = False


def recent_of(request: ConsoleRequest, title: str, default_profile: str | None) -> Recent | None:
    """How a console opened on ``request`` is remembered among the recents: an OVHcloud
    server by its profile and service, an address without its secrets (None: an ``ovh:``
    target with no profile to name, or the app's own demo: its address dies with it)."""
    if request.served_here:
        return None
    if is_ovh_target(request.target):
        profile = request.profile or default_profile
        return Recent.server(profile, ovh_service(request.target), title) if profile else None
    return Recent.of_address(request.target)


def fetch_listing(
    profile: Profile, inventory: Inventory, refresh: bool, on_keyring_notice: Callable[[str], None]
) -> Listing:
    """One profile's servers (blocking: the keyring and the API)."""
    api = OvhApi.for_profile(profile, Secrets(on_fallback=on_keyring_notice))
    return inventory.servers(api, refresh=refresh)


def state_icon(state: str) -> QIcon:
    """A small coloured dot for a server state (green: up, amber: in between, red: trouble)."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(_STATE_COLOURS.get(state, "#8a8a8a")))
    painter.drawEllipse(2, 2, 8, 8)
    painter.end()
    return QIcon(pixmap)


def column_titles() -> list[str]:
    """The columns' titles as the user reads them (``COLUMNS`` in the user's language)."""
    return [
        QCoreApplication.translate("ServerList", "Name"),
        QCoreApplication.translate("ServerList", "Service"),
        QCoreApplication.translate("ServerList", "Kind"),
        QCoreApplication.translate("ServerList", "State"),
        QCoreApplication.translate("ServerList", "Model"),
        QCoreApplication.translate("ServerList", "Zone"),
        QCoreApplication.translate("ServerList", "Profile"),
    ]


_star: QIcon | None = None


def star_icon() -> QIcon:
    """The favourites' star (drawn once)."""
    global _star
    if _star is None:
        _star = drawn_icon("emblem-favorite")
    return _star


def server_row(entry: ServerEntry, favourite: bool = False) -> list[QStandardItem]:
    """The table's cells for one server (the first carries the entry and, for a favourite, a
    star; each sorts by its text)."""
    s = entry.server
    kind = (
        QCoreApplication.translate("ServerList", "VPS")
        if s.kind == "vps"
        else QCoreApplication.translate("ServerList", "Dedicated")
    )
    state = state_words(s.state)
    texts = [s.displayName, s.name, kind, state, s.model or "", s.zone or "", entry.profile]
    items = []
    for text in texts:
        item = QStandardItem(text)
        item.setData(text.lower(), SORT_ROLE)
        item.setEditable(False)
        items.append(item)
    items[NAME].setData(entry, ENTRY_ROLE)
    items[NAME].setData(favourite, FAVOURITE_ROLE)
    if favourite:
        items[NAME].setIcon(star_icon())
    items[STATE].setIcon(state_icon(s.state))
    tip = [
        QCoreApplication.translate("ServerList", "{server} — {kind}, {state}").format(
            server=entry.label, kind=kind, state=state
        ),
        QCoreApplication.translate("ServerList", "profile {profile}").format(profile=entry.profile),
    ]
    if favourite:
        tip.append(QCoreApplication.translate("ServerList", "favourite"))
    if s.keymap:
        tip.append(
            QCoreApplication.translate("ServerList", "keyboard: {keymap}").format(keymap=s.keymap)
        )
    if s.kind == "dedicated":
        tip.append(QCoreApplication.translate("ServerList", "its KVM opens in the browser"))
    for item in items:
        item.setToolTip(plain_tooltip("\n".join(tip)))
    return items


class FavouritesFirst(QSortFilterProxyModel):
    """The table's order: favourites on top whatever the column and direction, then the column's
    order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def lessThan(
        self,
        left: QModelIndex | QPersistentModelIndex,
        right: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        model = self.sourceModel()
        starred = [
            bool(model.index(index.row(), NAME).data(FAVOURITE_ROLE)) for index in (left, right)
        ]
        if starred[0] != starred[1]:
            # Qt reverses this answer for a descending order: keep favourites on top anyway.
            first = starred[0] if self.sortOrder() is Qt.SortOrder.AscendingOrder else starred[1]
            return first
        return bool(super().lessThan(left, right))


class ServerDetails(QFrame):
    """The selected server at a glance, under the list: state, model, zone, keymap, netboot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QFormLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.title = PlainLabel()
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        layout.addRow(self.title)
        self.values: dict[str, PlainLabel] = {}
        for name, label in (
            ("state", QCoreApplication.translate("ServerList", "State:")),
            ("model", QCoreApplication.translate("ServerList", "Model:")),
            ("zone", QCoreApplication.translate("ServerList", "Zone:")),
            ("keymap", QCoreApplication.translate("ServerList", "Keyboard (keymap):")),
            ("netboot", QCoreApplication.translate("ServerList", "Boots from (netboot):")),
        ):
            value = PlainLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[name] = value
            layout.addRow(PlainLabel(label), value)
        self.hide()

    def show_entry(self, entry: ServerEntry | None) -> None:
        """Show ``entry``'s details, or nothing (no server selected)."""
        if entry is None:
            self.hide()
            return
        s = entry.server
        unknown = QCoreApplication.translate("ServerList", "unknown")
        self.title.setText(entry.label)
        self.values["state"].setText(state_words(s.state))
        self.values["model"].setText(s.model or unknown)
        self.values["zone"].setText(s.zone or unknown)
        if s.kind != "vps":
            keymap = QCoreApplication.translate(
                "ServerList", "not used (its KVM opens in the browser)"
            )
        else:
            keymap = s.keymap or QCoreApplication.translate(
                "ServerList", "none (the server forwards key codes)"
            )
        self.values["keymap"].setText(keymap)
        self.values["netboot"].setText(netboot_words(s.netbootMode))
        self.show()


def state_words(state: str) -> str:
    """A server's state as the user reads it (the API's own word when it is not one we know)."""
    words = {
        "running": QCoreApplication.translate("ServerList", "running"),
        "stopped": QCoreApplication.translate("ServerList", "stopped"),
        "stopping": QCoreApplication.translate("ServerList", "stopping"),
        "rebooting": QCoreApplication.translate("ServerList", "rebooting"),
        "rescued": QCoreApplication.translate("ServerList", "in rescue mode"),
        "installing": QCoreApplication.translate("ServerList", "installing"),
        "maintenance": QCoreApplication.translate("ServerList", "in maintenance"),
        "upgrading": QCoreApplication.translate("ServerList", "upgrading"),
        "expired": QCoreApplication.translate("ServerList", "expired"),
        "error": QCoreApplication.translate("ServerList", "in error"),
        "hacked": QCoreApplication.translate("ServerList", "blocked (hacked)"),
        "hackedBlocked": QCoreApplication.translate("ServerList", "blocked (hacked)"),
    }
    return words.get(state, state)


def netboot_words(mode: str | None) -> str:
    """What a server's netboot mode means for the user."""
    words = {
        "local": QCoreApplication.translate("ServerList", "its own disk (local)"),
        "rescue": QCoreApplication.translate("ServerList", "the rescue system (rescue)"),
        "hd": QCoreApplication.translate("ServerList", "its own disk (hd)"),
        "network": QCoreApplication.translate("ServerList", "the network (network)"),
    }
    if not mode:
        return QCoreApplication.translate("ServerList", "unknown")
    return words.get(mode, mode)
