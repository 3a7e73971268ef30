"""The server list: a server as one profile sees it (``ServerEntry``), what the main window
knows of each profile's servers, and the table's rows (columns, sorting, state colours)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QStandardItem

from ovhkvm_desktop.cloud.client import ApiError, OvhApi
from ovhkvm_desktop.cloud.inventory import Inventory, Listing, Server
from ovhkvm_desktop.config import Profile
from ovhkvm_desktop.secrets import Secrets
from ovhkvm_desktop.ui.text import plain_tooltip

COLUMNS = ("Name", "Service", "Kind", "State", "Model", "Zone", "Profile")
NAME, SERVICE, KIND, STATE, MODEL, ZONE, PROFILE = range(len(COLUMNS))
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
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


def server_row(entry: ServerEntry) -> list[QStandardItem]:
    """The table's cells for one server (the first carries the entry; each sorts by its text)."""
    s = entry.server
    kind = "VPS" if s.kind == "vps" else "Dedicated"
    texts = [s.displayName, s.name, kind, s.state, s.model or "", s.zone or "", entry.profile]
    items = []
    for text in texts:
        item = QStandardItem(text)
        item.setData(text.lower(), SORT_ROLE)
        item.setEditable(False)
        items.append(item)
    items[NAME].setData(entry, ENTRY_ROLE)
    items[STATE].setIcon(state_icon(s.state))
    tip = [f"{entry.label} — {kind}, {s.state}", f"profile {entry.profile}"]
    if s.keymap:
        tip.append(f"keyboard: {s.keymap}")
    if s.kind == "dedicated":
        tip.append("its KVM opens in the browser")
    for item in items:
        item.setToolTip(plain_tooltip("\n".join(tip)))
    return items
