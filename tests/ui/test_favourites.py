"""Favourites and recents, in the list and in the tray icon's real menu, and the main window's
finish (a server's context menu, its details, icons, columns that persist): the fake OVHcloud API
lists the servers, consoles open on a real local RFB server."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

from ovhkvm_desktop.config import Recent, Settings
from ovhkvm_desktop.ui.main_window import MainWindow
from ovhkvm_desktop.ui.server_list import NAME
from ovhkvm_desktop.ui.tray import build_tray_menu, menu_actions
from tests.ui.rfb_server import RfbServer
from tests.ui.test_main_window import (  # noqa: F401 (fixtures used below)
    NS1,
    OLD,
    PARIS,
    Fake,
    connected_console,
    entry_of,
    fake,
    loaded,
    main_window,
    rows,
    select,
    visible_consoles,
)


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Fake:
    """The fake OVHcloud API and keyring (test_main_window's `fake`)."""
    return request.getfixturevalue("fake")


@pytest.fixture
def new_window(request: pytest.FixtureRequest):
    """Make a main window on the fake API (test_main_window's `main_window`)."""
    return request.getfixturevalue("main_window")


def names(window: MainWindow) -> list[str]:
    return [row[0] for row in rows(window)]


def tray_entries(window: MainWindow) -> list[tuple[str, bool]]:
    menu = QMenu(window)
    build_tray_menu(menu, window, on_quit=lambda: None)
    window._last_tray_menu = menu  # type: ignore[attr-defined]
    return [(a.text(), a.isEnabled()) for a in menu_actions(menu)]


def tray_action(window: MainWindow, text: str):
    menu = window._last_tray_menu  # type: ignore[attr-defined]
    return next(a for a in menu_actions(menu) if a.text() == text)


def test_a_starred_server_comes_first_whatever_the_sort_and_stays_starred(
    api: Fake, new_window, qtbot
) -> None:
    api.add_fleet()
    api.account("work")
    window = new_window()
    loaded(qtbot, window, 3)
    assert names(window) == ["Paris web", "storage.example.net", OLD]
    window.set_favourite(entry_of(window, OLD), True)
    assert names(window) == [OLD, "Paris web", "storage.example.net"]
    window.table.sortByColumn(NAME, Qt.SortOrder.DescendingOrder)
    assert names(window) == [OLD, "storage.example.net", "Paris web"]
    star = window.proxy.index(0, NAME).data(Qt.ItemDataRole.DecorationRole)
    assert star is not None and not star.isNull()  # the star shows
    assert window.proxy.index(1, NAME).data(Qt.ItemDataRole.DecorationRole) is None
    # A restart: the star was stored.
    again = new_window()
    loaded(qtbot, again, 3)
    assert names(again)[0] == OLD


def test_a_servers_context_menu_opens_full_screen_copies_and_stars(
    api: Fake, new_window, qtbot
) -> None:
    api.add_fleet()
    api.account("work")
    window = new_window()
    loaded(qtbot, window, 3)
    paris = entry_of(window, PARIS)
    select(qtbot, window, paris)
    menu = window.context_menu()
    texts = [a.text() for a in menu_actions(menu)]
    assert texts == [
        "Open console",
        "Open full screen",
        "Rescue…",
        "Copy service name",
        "Favourite",
    ]
    assert all(not a.icon().isNull() for a in menu_actions(menu) if a.text() != "Copy service name")
    copy = next(a for a in menu_actions(menu) if a.text() == "Copy service name")
    copy.trigger()
    assert QGuiApplication.clipboard().text() == PARIS
    favourite = next(a for a in menu_actions(menu) if a.text() == "Favourite")
    assert favourite.isCheckable() and not favourite.isChecked()
    favourite.trigger()
    assert (("work", PARIS) in Settings().favourites()) and names(window)[0] == "Paris web"
    select(qtbot, window, entry_of(window, PARIS))
    assert window.favourite_action.isChecked()
    with RfbServer(320, 200) as server:
        api.api.set_console(PARIS, "VNC", {"host": "127.0.0.1", "port": server.port})
        before = visible_consoles()
        next(a for a in menu_actions(menu) if a.text() == "Open full screen").trigger()
        console = connected_console(qtbot, before)
        qtbot.waitUntil(console.isFullScreen, timeout=5000)


def test_the_details_of_the_selected_server_at_a_glance(api: Fake, new_window, qtbot) -> None:
    api.add_fleet()
    api.account("work")
    window = new_window()
    loaded(qtbot, window, 3)
    assert window.details.isHidden()
    select(qtbot, window, entry_of(window, PARIS))
    shown = {name: label.text() for name, label in window.details.values.items()}
    assert window.details.title.text() == f"Paris web ({PARIS})"
    assert shown == {
        "state": "running",
        "model": "VPS value 1-2-40",
        "zone": "Region OpenStack: os-gra7",
        "keymap": "fr",
        "netboot": "its own disk (local)",
    }
    assert window.details.isVisible()
    select(qtbot, window, entry_of(window, NS1))
    assert window.details.values["keymap"].text() == "not used (its KVM opens in the browser)"
    select(qtbot, window, entry_of(window, OLD))
    assert window.details.values["keymap"].text() == "none (the server forwards key codes)"
    assert window.details.values["model"].text() == "VPS Cloud 1"


def test_the_toolbar_shows_an_icon_and_a_text_for_every_action(api: Fake, new_window) -> None:
    window = new_window()
    actions = [a for a in window.toolbar.actions() if not a.isSeparator()]
    assert [a.text() for a in actions] == [
        "Open console",
        "Rescue…",
        "Connect to address…",
        "Refresh",
        "Add account…",
        "Settings…",
    ]
    for action in actions:
        assert not action.icon().isNull(), action.text()
        assert not action.icon().pixmap(22, 22).toImage().isNull()
    assert window.toolbar.toolButtonStyle() is Qt.ToolButtonStyle.ToolButtonTextBesideIcon


def test_the_lists_columns_persist(api: Fake, new_window, qtbot) -> None:
    api.add_fleet()
    api.account("work")
    window = new_window()
    loaded(qtbot, window, 3)
    window.table.setColumnWidth(NAME, 333)
    window.table.sortByColumn(NAME, Qt.SortOrder.DescendingOrder)
    window.close()  # no tray offscreen: it quits, and saves
    again = new_window()
    loaded(qtbot, again, 3)
    assert again.table.columnWidth(NAME) == 333
    assert again.table.horizontalHeader().sortIndicatorOrder() is Qt.SortOrder.DescendingOrder


def test_the_tray_shows_favourites_then_recent_consoles_then_the_app(
    api: Fake, new_window, qtbot
) -> None:
    api.add_fleet()
    api.account("work")
    window = new_window()
    loaded(qtbot, window, 3)
    window.set_favourite(entry_of(window, PARIS), True)
    with RfbServer(320, 200) as server:
        api.api.set_console(OLD, "VNC", {"host": "127.0.0.1", "port": server.port})
        before = visible_consoles()
        window.open_server(entry_of(window, OLD))
        old = connected_console(qtbot, before)
        # An address with a password: the menu and the file never hold the password.
        before = visible_consoles()
        window._connect_address(f"vnc://:hunter2@127.0.0.1:{server.port}")
        connected_console(qtbot, before)
    address = f"vnc://***@127.0.0.1:{server.port}"
    assert tray_entries(window) == [
        ("Favourites", False),
        (f"Paris web ({PARIS}) — VPS, running", True),
        ("Recent consoles", False),
        (address, True),
        (OLD, True),
        ("All servers", True),
        ("Show window", True),
        ("Connect to address…", True),
        ("Quit", True),
    ]
    assert "hunter2" not in Settings().path.read_text()
    # The recent server: already open, it comes to the front (no second window).
    count = len(visible_consoles())
    tray_action(window, OLD).trigger()
    assert len(visible_consoles()) == count and old.isVisible()
    # The recent address without its password: the address dialog, for the user to give it.
    tray_action(window, address).trigger()
    dialog = window.address_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.address.text() == address
    dialog.reject()
    # The favourite opens its console.
    with RfbServer(320, 200) as server:
        api.api.set_console(PARIS, "VNC", {"host": "127.0.0.1", "port": server.port})
        before = visible_consoles()
        tray_action(window, f"Paris web ({PARIS}) — VPS, running").trigger()
        paris = connected_console(qtbot, before)
        assert f"Paris web ({PARIS})" in paris.config.title
    # A restart keeps the recents, the latest first.
    window.quitting = True
    window.close_consoles()
    again = new_window()
    loaded(qtbot, again, 3)
    recent = [text for text, _ in tray_entries(again)[2:6]]
    assert recent == ["Recent consoles", f"Paris web ({PARIS})", address, OLD]


def test_the_tray_shows_five_recent_consoles(api: Fake, new_window, qtbot) -> None:
    settings = Settings()
    for n in range(8):
        settings.remember_recent(Recent.of_address(f"vnc://10.0.0.{n}:5900"))
    window = new_window()
    entries = tray_entries(window)
    assert entries[0] == ("Recent consoles", False)
    assert [text for text, _ in entries[1:6]] == [f"vnc://10.0.0.{n}:5900" for n in (7, 6, 5, 4, 3)]
    assert entries[6] == ("No account yet", False)


@pytest.mark.parametrize("starred", [True, False])
def test_the_favourite_action_follows_the_selection(
    api: Fake, new_window, qtbot, starred: bool
) -> None:
    api.add_fleet()
    api.account("work")
    if starred:
        Settings().set_favourite("work", OLD, True)
    window = new_window()
    loaded(qtbot, window, 3)
    select(qtbot, window, entry_of(window, OLD))
    assert window.favourite_action.isChecked() is starred
    window.favourite_action.trigger()
    assert (("work", OLD) in Settings().favourites()) is not starred
