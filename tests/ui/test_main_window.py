"""The app without arguments: the main window lists every profile's servers from the fake
OVHcloud API (signatures checked), filters them, says what went wrong in words, opens VPS
consoles on a real local RFB server, dedicated KVM pages in the browser, rescue sessions full
screen, any VNC address; the login dialog runs the consumer-key flow; the tray menu opens a
console in two clicks; `cli.main([])` starts it all."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMenu, QMessageBox, QWidget

from ovhkvm_desktop import cli
from ovhkvm_desktop.cloud.client import ACCESS_RULES
from ovhkvm_desktop.config import Settings
from ovhkvm_desktop.keyboard.layouts import GuestSystem
from ovhkvm_desktop.secrets import SERVICE
from ovhkvm_desktop.session import Phase
from ovhkvm_desktop.ui.address_dialog import AddressDialog
from ovhkvm_desktop.ui.console_window import ConsoleWindow
from ovhkvm_desktop.ui.icon import icon_pixmap
from ovhkvm_desktop.ui.main_window import MainWindow, Timings
from ovhkvm_desktop.ui.server_list import COLUMNS, PROFILE, ServerEntry
from ovhkvm_desktop.ui.tray import build_tray_menu, menu_actions
from tests.cloud.conftest import Account, app_on_fake_api
from tests.cloud.fake_api import FakeOvhApi
from tests.cloud.keyrings import MemoryKeyring
from tests.ui.rfb_server import RfbServer

PARIS = "vps-fr.vps.ovh.net"
OLD = "vps-old.vps.ovh.net"
NS1 = "ns1.ip-1-2-3.eu"
FAST = Timings(login_poll=0.1, rescue_poll=0.05, rescue_grace=5.0)
#: The rules of a key that may only see dedicated servers (a second, narrower profile).
DEDICATED_ONLY = [
    {"method": "GET", "path": "/dedicated/server"},
    {"method": "GET", "path": "/dedicated/server/*"},
    {"method": "POST", "path": "/dedicated/server/*"},
]


class Fake:
    """The fake API and the memory keyring the app's `Secrets()` finds."""

    def __init__(self, api: FakeOvhApi, memory: MemoryKeyring) -> None:
        self.api = api
        self.memory = memory

    def account(self, name: str = "work") -> Account:
        return Account(self.api, self.memory, name)

    def narrow_account(self, name: str) -> None:
        """A profile whose consumer key sees dedicated servers only."""
        from ovhkvm_desktop.config import Profile
        from ovhkvm_desktop.secrets import APPLICATION_SECRET, CONSUMER_KEY, Secrets

        key, secret = self.api.add_application()
        consumer = self.api.add_credential(key, DEDICATED_ONLY)
        Settings().save_profile(Profile(name, "ovh-eu", application_key=key))
        secrets = Secrets(self.memory)
        secrets.set(name, APPLICATION_SECRET, secret)
        secrets.set(name, CONSUMER_KEY, consumer)

    def add_fleet(self) -> None:
        self.api.add_vps(PARIS, displayName="Paris web", keymap="fr")
        self.api.add_vps(
            OLD,
            state="stopped",
            model={"offer": "VPS Cloud 1", "version": "2014v1"},
            zone="Region OpenStack: os-sbg1",
        )
        self.api.add_dedicated(NS1, reverse="storage.example.net")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    with app_on_fake_api(monkeypatch, task_seconds=0.3) as (api, memory):
        yield Fake(api, memory)


@pytest.fixture
def main_window(qtbot) -> Iterator[Callable[[], MainWindow]]:
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        window = MainWindow(timings=FAST)
        qtbot.addWidget(window)
        windows.append(window)
        with qtbot.waitExposed(window):
            window.show()
        window.refresh(force=False)
        return window

    yield make
    for window in windows:
        window.quitting = True
        window.close_consoles()
        window.close()


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    return opened


def rows(window: MainWindow) -> list[tuple[str, ...]]:
    """The table as the user reads it (visible columns, top to bottom)."""
    columns = [c for c in range(len(COLUMNS)) if not window.table.isColumnHidden(c)]
    proxy = window.proxy
    return [
        tuple(str(proxy.index(row, c).data()) for c in columns) for row in range(proxy.rowCount())
    ]


def loaded(qtbot, window: MainWindow, count: int) -> None:
    qtbot.waitUntil(lambda: not window.loading and window.model.rowCount() == count, timeout=10000)


def entry_of(window: MainWindow, name: str, profile: str = "work") -> ServerEntry:
    return next(e for e in window.entries() if e.key == (profile, name))


def double_click(qtbot, window: MainWindow, entry: ServerEntry) -> None:
    index = window.row_of(entry)
    assert index.isValid()
    center = window.table.visualRect(index).center()
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=center)
    qtbot.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=center)


def select(qtbot, window: MainWindow, entry: ServerEntry) -> None:
    index = window.row_of(entry)
    center = window.table.visualRect(index).center()
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert window.selected_entry() == entry


def visible_consoles() -> list[ConsoleWindow]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, ConsoleWindow) and w.isVisible()
    ]


def connected_console(qtbot, before: list[ConsoleWindow], timeout: int = 10000) -> ConsoleWindow:
    """The console window that opened since ``before``, once it shows the server's screen."""
    qtbot.waitUntil(lambda: any(w not in before for w in visible_consoles()), timeout=timeout)
    (window,) = [w for w in visible_consoles() if w not in before]
    qtbot.waitUntil(lambda: window.bridge.state.phase is Phase.CONNECTED, timeout=timeout)
    qtbot.waitUntil(lambda: window.view.image is not None, timeout=timeout)
    return window


def all_widget_text() -> str:
    texts = []
    for widget in QApplication.allWidgets():
        if isinstance(widget, QLabel | QLineEdit):
            texts.append(widget.text())
    return "\n".join(texts)


# -- the list ------------------------------------------------------------------------------------


def test_the_list_shows_every_server_of_every_profile(fake: Fake, main_window, qtbot) -> None:
    fake.add_fleet()
    fake.account("work")
    fake.narrow_account("home")
    window = main_window()
    loaded(qtbot, window, 4)
    assert not window.table.isColumnHidden(PROFILE)
    assert rows(window) == [
        (
            "Paris web",
            PARIS,
            "VPS",
            "running",
            "VPS value 1-2-40",
            "Region OpenStack: os-gra7",
            "work",
        ),
        ("storage.example.net", NS1, "Dedicated", "ok", "advance-1", "gra3", "home"),
        ("storage.example.net", NS1, "Dedicated", "ok", "advance-1", "gra3", "work"),
        (OLD, OLD, "VPS", "stopped", "VPS Cloud 1", "Region OpenStack: os-sbg1", "work"),
    ]
    # The narrow key cannot list VPS: said in words, the rest is listed.
    assert window.message_bar.text() == (
        "VPS not listed: the credentials of the profile 'home' do not allow GET /vps (a new"
        " consumer key asks for every rule the app needs): log in again (Add account…, with"
        " the same profile name)"
    )
    assert window.count.text() == "4 servers"
    # Every call the window made was signed with the profile's own keys.
    assert all(call.status in (200, 403) for call in fake.api.calls)


def test_one_profile_hides_the_profile_column_and_refresh_sees_new_servers(
    fake: Fake, main_window, qtbot
) -> None:
    fake.api.add_vps(PARIS, displayName="Paris web")
    fake.account("work")
    window = main_window()
    loaded(qtbot, window, 1)
    assert window.table.isColumnHidden(PROFILE)
    assert window.message_bar.text() == ""
    fake.api.add_vps("vps-new.vps.ovh.net")
    window.refresh_action.trigger()
    loaded(qtbot, window, 2)
    assert [r[0] for r in rows(window)] == ["Paris web", "vps-new.vps.ovh.net"]


def test_the_filter_keeps_the_rows_that_match(fake: Fake, main_window, qtbot) -> None:
    fake.add_fleet()
    fake.account("work")
    window = main_window()
    loaded(qtbot, window, 3)
    qtbot.keyClicks(window.filter, "PARIS")
    assert [r[0] for r in rows(window)] == ["Paris web"]
    assert window.count.text() == "1 of 3 servers"
    window.filter.clear()
    qtbot.keyClicks(window.filter, "sbg1")  # the zone
    assert [r[1] for r in rows(window)] == [OLD]
    window.filter.clear()
    qtbot.keyClicks(window.filter, "dedicated")
    assert [r[1] for r in rows(window)] == [NS1]
    window.filter.clear()
    qtbot.keyClicks(window.filter, "nothing-like-it")
    assert rows(window) == []
    assert window.no_match.isVisible()
    assert window.no_match.text() == "No server matches “nothing-like-it”"
    assert not window.open_action.isEnabled()
    window.filter.clear()
    assert len(rows(window)) == 3
    assert not window.no_match.isVisible()


def test_without_a_profile_the_window_says_how_to_add_an_account(
    fake: Fake, main_window, qtbot
) -> None:
    window = main_window()
    assert window.stack.currentWidget() is window.empty
    assert window.empty.title.text() == "No account yet"
    assert window.empty.text.text().startswith("Add an OVHcloud account")
    assert not window.filter.isVisible()
    assert fake.api.calls == []  # nothing to ask the API
    qtbot.mouseClick(window.empty.primary, Qt.MouseButton.LeftButton)
    dialog = window.login_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.profile_edit.text() == "default"
    dialog.reject()


def test_a_refused_credential_is_said_in_words_with_a_way_to_log_in_again(
    fake: Fake, main_window, qtbot
) -> None:
    fake.api.add_vps(PARIS)
    account = fake.account("work")
    fake.api.refuse(account.consumer_key)  # revoked: the API answers 403 INVALID_CREDENTIAL
    window = main_window()
    qtbot.waitUntil(lambda: not window.loading and bool(window.message_bar.text()), timeout=10000)
    said = window.message_bar.text()
    assert said == (
        "The consumer key of the profile 'work' is not valid (expired, revoked or never"
        " validated): log in again (Add account…, with the same profile name)"
    )
    assert "Traceback" not in all_widget_text()
    assert rows(window) == []
    assert window.message_bar.action_button.isVisible()
    assert window.message_bar.action_button.text() == "Log in again…"
    qtbot.mouseClick(window.message_bar.action_button, Qt.MouseButton.LeftButton)
    dialog = window.login_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.profile_edit.text() == "work"
    assert dialog.application_key_edit.text() == account.application_key
    assert dialog.application_secret_edit.text() == ""
    dialog.reject()


# -- consoles ------------------------------------------------------------------------------------


def test_double_click_on_a_vps_opens_its_console_and_enter_opens_it_again(
    fake: Fake, main_window, qtbot
) -> None:
    fake.add_fleet()
    fake.account("work")
    window = main_window()
    loaded(qtbot, window, 3)
    with RfbServer(320, 200) as server:
        fake.api.set_console(PARIS, "VNC", {"host": "127.0.0.1", "port": server.port})
        paris = entry_of(window, PARIS)
        double_click(qtbot, window, paris)
        console = connected_console(qtbot, [])
        assert "Paris web" in console.windowTitle()
        assert f"Paris web ({PARIS})" in console.config.title
        assert console.config.layout == "fr"  # the VPS keymap
        assert console.config.server_keymap == "fr"
        assert console.config.server_key == f"ovh:{PARIS}"
        first = server.connections  # the VNC door's port probe, then the console
        assert first >= 1
        # A second double-click brings the same window forward rather than a second console.
        double_click(qtbot, window, paris)
        qtbot.wait(200)
        assert visible_consoles() == [console]
        assert server.connections == first

        console.close()  # closing a console leaves the app and its window
        qtbot.waitUntil(lambda: not window.consoles)
        assert window.isVisible()
        select(qtbot, window, paris)
        qtbot.keyClick(window.table, Qt.Key.Key_Return)
        again = connected_console(qtbot, [])
        assert again is not console
        assert server.connections > first  # a fresh console for the new window


def test_a_dedicated_server_opens_its_kvm_page_in_the_browser(
    fake: Fake, main_window, qtbot, browser: list[str]
) -> None:
    fake.add_fleet()
    fake.account("work")
    window = main_window()
    loaded(qtbot, window, 3)
    dedicated = entry_of(window, NS1)
    select(qtbot, window, dedicated)
    assert window.open_action.text() == "Open KVM in browser"
    assert not window.rescue_action.isEnabled()
    double_click(qtbot, window, dedicated)
    qtbot.waitUntil(lambda: bool(browser), timeout=15000)
    assert re.fullmatch(rf"https://kvm\.example\.test/{re.escape(NS1)}/[0-9a-f]+", browser[0])
    qtbot.waitUntil(lambda: "browser" in window.activity.text())
    assert (
        window.activity.text() == f"The KVM of storage.example.net ({NS1}) is open in your browser"
    )
    assert visible_consoles() == []


def rescue_question(qtbot, window: MainWindow) -> QMessageBox:
    qtbot.waitUntil(
        lambda: window.rescue_question is not None and window.rescue_question.isVisible(),
        timeout=10000,
    )
    assert window.rescue_question is not None
    return window.rescue_question


def test_rescue_confirmed_ends_in_a_full_screen_text_console(
    fake: Fake, main_window, qtbot
) -> None:
    fake.add_fleet()
    fake.account("work")
    window = main_window()
    loaded(qtbot, window, 3)
    paris = entry_of(window, PARIS)
    select(qtbot, window, paris)
    assert window.rescue_action.isEnabled()
    with RfbServer(320, 200) as server:
        fake.api.set_console(PARIS, "VNC", {"host": "127.0.0.1", "port": server.port})
        window.rescue_action.trigger()
        box = rescue_question(qtbot, window)
        assert box.text() == (
            f"Reboot the VPS Paris web ({PARIS}) into rescue mode? Its running system stops;"
            " the rescue system's root password is sent to the account's e-mail address."
        )
        assert fake.api.calls_to("PUT", f"/vps/{PARIS}") == []  # nothing done before yes
        (go,) = [b for b in box.buttons() if b.text() == "Reboot into rescue"]
        qtbot.mouseClick(go, Qt.MouseButton.LeftButton)
        console = connected_console(qtbot, [], timeout=20000)
        qtbot.waitUntil(console.isFullScreen)
        assert console.config.fullscreen
        assert console.config.guest is GuestSystem.CONSOLE
        assert fake.api.vps[PARIS]["state"] == "rescued"
        assert fake.api.calls_to("PUT", f"/vps/{PARIS}")[0].body == '{"netbootMode":"rescue"}'
        assert window.message_bar.text() == (
            f"Paris web ({PARIS}) is in rescue mode: its root password is sent to the account's"
            " e-mail address."
        )
        # Told through the tray too (when there is one): the reboot takes minutes.
        assert [(n.title, n.text) for n in window.notifier.given] == [
            ("Rescue mode", f"Paris web ({PARIS}) rebooted into rescue mode: its console opens.")
        ]


def test_rescue_cancelled_does_nothing(fake: Fake, main_window, qtbot) -> None:
    fake.add_fleet()
    fake.account("work")
    window = main_window()
    loaded(qtbot, window, 3)
    select(qtbot, window, entry_of(window, PARIS))
    window.rescue_action.trigger()
    box = rescue_question(qtbot, window)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.rescue_question is None)
    assert window.activity.text() == (
        f"Rescue of Paris web ({PARIS}) cancelled: nothing was changed"
    )
    qtbot.wait(300)
    assert fake.api.calls_to("PUT", f"/vps/{PARIS}") == []
    assert fake.api.calls_to("POST", f"/vps/{PARIS}/reboot") == []
    assert fake.api.vps[PARIS]["state"] == "running"
    assert visible_consoles() == []


def test_connect_to_address_opens_a_good_one_and_says_what_is_wrong_with_a_bad_one(
    fake: Fake, main_window, qtbot
) -> None:
    window = main_window()
    window.address_action.trigger()
    dialog = window.address_dialog
    assert isinstance(dialog, AddressDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.address, "ftp://example.net/console")
    qtbot.keyClick(dialog.address, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.problem.isVisible()
    assert dialog.problem.text() == (
        "Unknown kind of target 'ftp://example.net/console': use vnc://, ws://, wss:// or a"
        " noVNC URL"
    )
    dialog.address.clear()
    qtbot.keyClicks(dialog.address, "vnc://127.0.0.1:99999")
    qtbot.keyClick(dialog.address, Qt.Key.Key_Return)
    assert dialog.problem.text() == (
        "The port in 'vnc://127.0.0.1:99999' is not a number from 1 to 65535"
    )
    assert visible_consoles() == []
    with RfbServer(320, 200) as server:
        dialog.address.clear()
        qtbot.keyClicks(dialog.address, f"vnc://127.0.0.1:{server.port}")
        qtbot.keyClick(dialog.address, Qt.Key.Key_Return)
        assert not dialog.isVisible()
        console = connected_console(qtbot, [])
        assert console.config.title == f"127.0.0.1:{server.port}"
        assert server.connections == 1
    assert fake.api.calls == []


def test_an_address_that_looks_like_an_option_opens_and_never_leaves_the_window_busy(
    fake: Fake, main_window, qtbot
) -> None:
    """`-h:5900` once went through the command line's parser on a worker thread: argparse
    printed its help and exited the thread, and the busy indicator spun forever."""
    window = main_window()
    dialog = window.connect_to_address()
    with RfbServer(320, 200) as server:
        qtbot.keyClicks(dialog.address, f"-h:{server.port}")
        qtbot.keyClick(dialog.address, Qt.Key.Key_Return)
        assert not dialog.isVisible()
        # A host named "-h" does not exist: the console says so in its own window and the
        # main window is not left busy.
        qtbot.waitUntil(lambda: not window.background.busy, timeout=10000)
        consoles = visible_consoles()
        assert len(consoles) == 1 and consoles[0].config.title == f"-h:{server.port}"
        qtbot.waitUntil(lambda: "Disconnected" in consoles[0].state_label.text(), timeout=15000)
        assert "-h" in consoles[0].state_label.text()
        consoles[0].close()


# -- the login dialog ---------------------------------------------------------------------------


def start_login(qtbot, window: MainWindow, fake: Fake, name: str) -> tuple[object, str, str]:
    """Fill the dialog as a user would and click Log in; (dialog, application key, secret)."""
    key, secret = fake.api.add_application()
    dialog = window.add_account()
    dialog.profile_edit.clear()
    qtbot.keyClicks(dialog.profile_edit, name)
    dialog.endpoint_combo.setCurrentIndex(dialog.endpoint_combo.findData("ovh-eu"))
    qtbot.keyClicks(dialog.application_key_edit, key)
    qtbot.keyClicks(dialog.application_secret_edit, secret)
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.validation_url is not None, timeout=10000)
    return dialog, key, secret


def test_login_asks_for_a_key_waits_for_its_validation_and_stores_it(
    fake: Fake, main_window, qtbot, browser: list[str]
) -> None:
    fake.api.add_vps(PARIS, displayName="Paris web")
    window = main_window()
    assert window.empty.title.text() == "No account yet"
    dialog, key, secret = start_login(qtbot, window, fake, "home")
    url = dialog.validation_url
    assert url is not None and url.startswith(fake.api.origin + "/auth/?credentialToken=")
    assert url in dialog.link.text()  # a clickable link
    qtbot.waitUntil(lambda: browser == [url])  # and opened in the browser
    credential = fake.api.credential_for_token(url.split("=", 1)[1])
    assert credential.status == "pendingValidation"
    assert credential.rules == [r.as_json() for r in ACCESS_RULES]
    qtbot.waitUntil(lambda: "left" in dialog.countdown.text())
    assert re.fullmatch(r"Waiting for the validation: (9:5\d|10:00) left", dialog.countdown.text())
    qtbot.wait(300)  # a few polls while pending
    assert dialog.isVisible()
    assert len(fake.api.calls_to("GET", "/auth/currentCredential")) >= 2

    fake.api.validate(url)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    assert fake.memory.entries == {
        (SERVICE, "home/application_secret"): secret,
        (SERVICE, "home/consumer_key"): credential.consumer_key,
    }
    (profile,) = Settings().profiles()
    assert (profile.name, profile.endpoint, profile.application_key) == ("home", "ovh-eu", key)
    loaded(qtbot, window, 1)  # the list refreshed with the new account
    assert rows(window)[0][:2] == ("Paris web", PARIS)
    assert window.message_bar.text().startswith(
        "Logged in: profile home on ovh-eu; secrets in the keyring"
    )
    # The secrets are in the keyring and in no widget.
    shown = all_widget_text()
    assert secret not in shown and credential.consumer_key not in shown
    assert dialog.application_secret_edit.text() == ""


def test_a_cancelled_login_stores_nothing(
    fake: Fake, main_window, qtbot, browser: list[str]
) -> None:
    window = main_window()
    dialog, _key, secret = start_login(qtbot, window, fake, "home")
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: not window.background.busy, timeout=5000)  # the wait stopped
    polls = len(fake.api.calls_to("GET", "/auth/currentCredential"))
    qtbot.wait(300)
    assert len(fake.api.calls_to("GET", "/auth/currentCredential")) == polls
    assert fake.memory.entries == {}
    assert Settings().profiles() == []
    assert window.empty.title.text() == "No account yet"
    assert window.message_bar.text() == ""
    assert secret not in all_widget_text()


def test_a_wrong_application_key_is_said_in_the_dialog(fake: Fake, main_window, qtbot) -> None:
    window = main_window()
    dialog = window.add_account()
    qtbot.keyClicks(dialog.application_key_edit, "not-a-key")
    qtbot.keyClicks(dialog.application_secret_edit, "not-a-secret")
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.problem.isVisible, timeout=10000)
    assert dialog.problem.text() == (
        "The OVHcloud API does not accept the application key of the profile 'default'"
        " (unknown or deleted application)"
    )
    assert dialog.isVisible() and dialog.login_button.isEnabled()
    dialog.reject()


# -- the tray ------------------------------------------------------------------------------------


def test_the_tray_menu_lists_the_servers_by_profile_and_opens_a_console(
    fake: Fake, main_window, qtbot
) -> None:
    fake.add_fleet()
    fake.account("work")
    fake.narrow_account("home")
    window = main_window()
    loaded(qtbot, window, 4)
    quits: list[bool] = []
    menu = QMenu()
    build_tray_menu(menu, window, on_quit=lambda: quits.append(True))
    # No favourite and no recent console yet: every server is in one submenu.
    assert [(a.text(), a.isEnabled()) for a in menu_actions(menu)] == [
        ("All servers", True),
        ("Show window", True),
        ("Connect to address…", True),
        ("Quit", True),
    ]
    servers = menu_actions(menu)[0].menu()
    entries = [(a.text(), a.isEnabled()) for a in menu_actions(servers)]
    assert entries == [
        ("home", False),
        (f"storage.example.net ({NS1}) — dedicated, KVM in browser, ok", True),
        ("work", False),
        (f"Paris web ({PARIS}) — VPS, running", True),
        (f"storage.example.net ({NS1}) — dedicated, KVM in browser, ok", True),
        (f"{OLD} — VPS, stopped", True),
    ]
    window.hide()
    with RfbServer(320, 200) as server:
        fake.api.set_console(PARIS, "VNC", {"host": "127.0.0.1", "port": server.port})
        menu_actions(servers)[3].trigger()  # the second click
        console = connected_console(qtbot, [])
        assert f"Paris web ({PARIS})" in console.config.title
    assert not window.isVisible()  # a console from the tray does not need the window
    next(a for a in menu.actions() if a.text() == "Show window").trigger()
    assert window.isVisible()
    next(a for a in menu.actions() if a.text() == "Quit").trigger()
    assert quits == [True]


def test_the_tray_menu_without_an_account(fake: Fake, main_window) -> None:
    window = main_window()
    menu = QMenu()
    build_tray_menu(menu, window, on_quit=lambda: None)
    assert [(a.text(), a.isEnabled()) for a in menu_actions(menu)] == [
        ("No account yet", False),
        ("Show window", True),
        ("Connect to address…", True),
        ("Quit", True),
    ]
    next(a for a in menu.actions() if a.text() == "Connect to address…").trigger()
    assert window.address_dialog is not None and window.address_dialog.isVisible()
    window.address_dialog.reject()


# -- the entry point -----------------------------------------------------------------------------


def test_cli_without_arguments_starts_the_app_and_closing_its_window_quits(
    fake: Fake, qtbot
) -> None:
    seen: dict[str, object] = {}
    app = QApplication.instance()
    assert app is not None

    def main_windows() -> list[QWidget]:
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]

    def look_then_close() -> None:
        shown = [w for w in main_windows() if w.isVisible()]
        if not shown:
            QTimer.singleShot(50, look_then_close)
            return
        (window,) = shown
        assert isinstance(window, MainWindow)
        seen["title"] = window.windowTitle()
        seen["empty"] = window.empty.title.text()
        seen["icon"] = not window.windowIcon().isNull()
        seen["tray"] = window.tray
        window.close()  # no system tray offscreen: closing the window quits

    QTimer.singleShot(0, look_then_close)
    # Never hang the suite; and stopped once the app is done: left pending, it fired 15 s later
    # in another test, and Qt's event loops started after an exit() return at once (every later
    # window test then timed out).
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(lambda: app.exit(99))
    guard.start(15000)
    try:
        assert cli.main([]) == 0
    finally:
        guard.stop()
    assert seen == {
        "title": "ovhkvm-desktop",
        "empty": "No account yet",
        "icon": True,
        "tray": None,
    }
    assert app.quitOnLastWindowClosed()  # given back as it was


def test_without_a_graphical_session_the_app_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert cli.main([]) == 1
    assert capsys.readouterr().err == (
        "ovhkvm-desktop: the app needs a graphical session (neither DISPLAY nor WAYLAND_DISPLAY"
        " is set); the headless commands work without one: see 'ovhkvm-desktop --help'\n"
    )


def test_help_still_prints_the_help(capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ovhkvm-desktop")
    assert "login" in out and "open" in out


def test_the_icon_is_drawn_at_every_size(qapp) -> None:
    for size in (16, 32, 256):
        image = icon_pixmap(size).toImage()
        assert (image.width(), image.height()) == (size, size)
        middle_left = image.pixelColor(int(size * 0.1), size // 2)
        assert middle_left.blue() > 150 and middle_left.red() < 60  # the blue square
        assert image.pixelColor(0, 0).alpha() == 0  # rounded corners


def test_a_refused_login_says_the_apps_way_to_log_in_again_never_the_command_lines() -> None:
    """The cloud's errors name the profile to log in again; the app words it its own way."""
    from ovhkvm_desktop.cloud.client import CredentialRejected
    from ovhkvm_desktop.config import METHOD_OAUTH2, Profile
    from ovhkvm_desktop.ui.background import in_words

    oauth2 = Profile("ci", "ovh-eu", method=METHOD_OAUTH2, client_id="EU.abc")
    refused = CredentialRejected("the OAuth2 service account was refused", oauth2)
    assert in_words(refused) == (
        "The OAuth2 service account was refused: log in again (Add account…, with the same"
        " profile name)"
    )
    assert "ovhkvm-desktop login" not in in_words(refused)
    assert in_words(refused, login_again="") == "The OAuth2 service account was refused"
