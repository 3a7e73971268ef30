"""The app in French: its real windows and dialogs, built once in English and once with the French
translation compiled from resources/translations (as a build compiles it), show no string left
in English; and the French catalogue has no entry left unfinished or stale.

Each window is built the same way in both languages and its visible texts are read in the same
order (window titles, labels, buttons, menu and toolbar actions and their tooltips, placeholders,
combo items, group titles, column titles, the server rows' tooltips): a French text that is the
English one again is an English string left, unless every word of it reads the same in French
(``SAME_IN_BOTH``: names, codes, units, each language's own name for itself) or is data the app
shows as it gets it (server names and states from the API, the demo server's desktop name, the
layouts' xkb codes). The layouts' names are xkeyboard-config's own French ones."""

from __future__ import annotations

import html
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QWidget,
)

from ovhkvm_desktop.config import Preferences, Recent, Settings
from ovhkvm_desktop.demo import BackgroundDemo
from ovhkvm_desktop.keyboard.layouts import guest_layout_names
from ovhkvm_desktop.session import Phase
from ovhkvm_desktop.ui.address_dialog import AddressDialog
from ovhkvm_desktop.ui.background import Background
from ovhkvm_desktop.ui.console_window import ConsoleWindow
from ovhkvm_desktop.ui.login_dialog import LoginDialog
from ovhkvm_desktop.ui.main_window import MainWindow, Timings
from ovhkvm_desktop.ui.settings_dialog import SettingsDialog
from ovhkvm_desktop.ui.tray import ServerTray, build_tray_menu
from ovhkvm_desktop.ui.type_text import TypeTextDialog
from tests.cloud.conftest import Account, app_on_fake_api
from tests.cloud.fake_api import FakeOvhApi
from tests.ui.conftest import demo_console_window

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "resources" / "translations"
FRENCH = SOURCES / "ovhkvm-desktop_fr.ts"

#: Words that read the same in French: names, protocols, key names, units, OVHcloud's brands.
SAME_IN_BOTH = {
    "ovhkvm", "desktop", "ovhcloud", "kimsufi", "so", "you", "start", "europe", "canada", "ovh",
    "eu", "ca", "us", "vnc", "vps", "kvm", "tls", "rtt", "ms", "png", "keysym", "xvnc",
    "x", "ctrl", "alt", "sysrq", "tab", "menu", "console", "zone", "service", "f", "s", "pause",
    "soyoustart", "français", "english", "wayland",
}  # fmt: skip
#: What the fake API's servers are called and say (the app shows them as they come).
#: "demo": the demo RFB server's own desktop name ("ovhkvm-desktop demo").
API_DATA = {"paris", "web", "ok", "value", "region", "openstack", "os",
            "gra", "sbg", "net", "ip", "fr", "old", "ns", "storage", "example", "advance",
            "cloud", "work", "demo"}  # fmt: skip
FAST = Timings(login_poll=0.1, rescue_poll=0.05, rescue_grace=5.0)
PARIS = "vps-fr.vps.ovh.net"


def words(text: str) -> list[str]:
    """The words of ``text`` (Qt's %v, %m, %p placeholders are not words)."""
    return [w.lower() for w in re.findall(r"[^\W\d_]+", re.sub(r"%[a-zA-Z]", "", text))]


def xkb_words() -> set[str]:
    """The layout codes (xkb's names: fr, ch, bepo, intl, multix...)."""
    return {w for name in guest_layout_names() for w in words(name)}


# -- reading what a window shows -----------------------------------------------------------------


def _plain(text: str) -> str:
    """A label's text as read: rich text without its tags, "&" shortcuts gone."""
    if "<" in text:
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"&(?=[^&\s])", "", text)


def shown_texts(root: QWidget) -> list[tuple[str, str]]:
    """Every text ``root`` and its children show, in a fixed order: (where, text)."""
    out: list[tuple[str, str]] = []
    menus: set[int] = set()

    def add(where: str, text: str) -> None:
        if text and text.strip():
            out.append((where, _plain(text)))

    def actions(where: str, owner: QWidget) -> None:
        for action in owner.actions():
            if action.isSeparator():
                continue
            add(f"{where} action", action.text())
            if action.toolTip() != action.text().replace("&", ""):
                add(f"{where} action tooltip", action.toolTip())
            menu = action.menu()
            if isinstance(menu, QMenu):
                read_menu(f"{where} ▸ {action.text()}", menu)

    def read_menu(where: str, menu: QMenu) -> None:
        if id(menu) in menus:
            return
        menus.add(id(menu))
        add(f"{where} menu title", menu.title())
        actions(where, menu)

    for widget in [root, *root.findChildren(QWidget)]:
        where = type(widget).__name__
        if widget.isWindow():
            add(f"{where} title", widget.windowTitle())
        add(f"{where} tooltip", widget.toolTip())
        if isinstance(widget, QLabel | QAbstractButton):
            add(where, widget.text())
        elif isinstance(widget, QLineEdit | QPlainTextEdit):
            add(f"{where} placeholder", widget.placeholderText())
        elif isinstance(widget, QComboBox):
            for i in range(widget.count()):
                add(f"{where} item", widget.itemText(i))
                add(
                    f"{where} item tooltip",
                    str(widget.itemData(i, Qt.ItemDataRole.ToolTipRole) or ""),
                )
        elif isinstance(widget, QGroupBox):
            add(where, widget.title())
        elif isinstance(widget, QProgressBar):
            add(f"{where} format", widget.format())
        elif isinstance(widget, QAbstractSpinBox):
            add(f"{where} special", widget.specialValueText())
            add(f"{where} suffix", getattr(widget, "suffix", lambda: "")())
        elif isinstance(widget, QMenu):
            read_menu(where, widget)
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            for column in range(model.columnCount()):
                add(f"{where} column", str(model.headerData(column, Qt.Orientation.Horizontal)))
            for row in range(model.rowCount()):
                for column in range(model.columnCount()):
                    tip = model.index(row, column).data(Qt.ItemDataRole.ToolTipRole)
                    add(f"{where} row tooltip", str(tip or ""))
        actions(where, widget)
    return out


# -- the windows, built the same way in each language --------------------------------------------


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOvhApi]:
    with app_on_fake_api(monkeypatch, task_seconds=0.3) as (api, memory):
        api.memory = memory  # type: ignore[attr-defined]
        yield api


@pytest.fixture
def demo() -> Iterator[BackgroundDemo]:
    server = BackgroundDemo("fr")
    yield server
    server.stop()


def _main_window(qtbot, count: int) -> MainWindow:
    window = MainWindow(timings=FAST)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    window.refresh(force=False)
    qtbot.waitUntil(lambda: not window.loading and window.model.rowCount() == count, timeout=10000)
    return window


def _close(window: MainWindow) -> None:
    window.quitting = True
    window.close_consoles()
    window.close()


def first_run_texts(qtbot) -> list[tuple[str, str]]:
    window = _main_window(qtbot, 0)
    assert window.stack.currentWidget() is window.empty
    texts = shown_texts(window)
    _close(window)
    return texts


def main_window_and_tray_texts(qtbot) -> list[tuple[str, str]]:
    window = _main_window(qtbot, 3)
    window.table.selectRow(0)  # the server's details at a glance
    entry = window.selected_entry()
    assert entry is not None
    window.set_favourite(entry, True)  # the tray's favourites
    menu = QMenu()
    build_tray_menu(menu, window, on_quit=lambda: None)
    texts = shown_texts(window) + shown_texts(menu)
    menu.deleteLater()
    _close(window)
    return texts


def _console_window(qtbot, demo: BackgroundDemo, tmp_path: Path) -> ConsoleWindow:
    """A console window on the demo, connected and showing its screen."""
    return demo_console_window(qtbot, demo.address, "fr", tmp_path)


def console_texts(qtbot, demo: BackgroundDemo, tmp_path: Path) -> list[tuple[str, str]]:
    window = _console_window(qtbot, demo, tmp_path)
    texts = shown_texts(window)
    window.close()
    return texts


def dialog_texts(qtbot) -> list[tuple[str, str]]:
    texts = []
    for has_tray in (True, False):
        settings = SettingsDialog(Preferences(), has_tray=has_tray)
        qtbot.addWidget(settings)
        texts += shown_texts(settings)
    login = LoginDialog(Background())
    qtbot.addWidget(login)
    login.start_login()  # no keys: it says what is missing
    texts += shown_texts(login)
    address = AddressDialog()
    qtbot.addWidget(address)
    address.accept()  # nothing typed: it says what to type
    texts += shown_texts(address)
    typing = TypeTextDialog("fr", lambda text: [c for c in text if c == "€"])
    qtbot.addWidget(typing)
    typing.set_text("azerty €")  # the warning about what the layout cannot type
    typing.typing_started(8)
    texts += shown_texts(typing)
    typing.typing_finished(cancelled=False)
    texts += shown_texts(typing)
    return texts


def everything(qtbot, demo: BackgroundDemo, tmp_path: Path) -> list[tuple[str, str]]:
    """Every window's texts: the server list and the tray, a console, the dialogs."""
    texts = main_window_and_tray_texts(qtbot)
    texts += console_texts(qtbot, demo, tmp_path)
    texts += dialog_texts(qtbot)
    return texts


def test_every_window_shows_french_and_no_english_left(
    qtbot, speak, fake_api: FakeOvhApi, demo: BackgroundDemo, tmp_path: Path
) -> None:
    fake_api.add_vps("vps-fr.vps.ovh.net", displayName="Paris web", keymap="fr")
    fake_api.add_vps(
        "vps-old.vps.ovh.net", state="stopped", model={"offer": "VPS Cloud 1", "version": "2014v1"}
    )
    fake_api.add_dedicated("ns1.ip-1-2-3.eu", reverse="storage.example.net")
    Account(fake_api, fake_api.memory, "work")  # type: ignore[attr-defined]
    speak("en")
    english = everything(qtbot, demo, tmp_path)
    speak("fr")
    assert QCoreApplication.translate("MainWindow", "Open console") == "Ouvrir la console"
    french = everything(qtbot, demo, tmp_path)
    assert_nothing_left_in_english(english, french)
    # What a French-speaking administrator reads, in OVHcloud's words.
    shown = {text for _, text in french}
    for expected in (
        "Mode rescue…",
        "Clé d'application :",
        "Point d'accès :",
        "Favoris",
        "en marche",
    ):
        assert expected in shown, expected


def _wait_notices(qtbot, window: MainWindow, count: int) -> None:
    qtbot.waitUntil(lambda: len(window.notifier.given) >= count, timeout=20000)


def notices_tray_and_overlay_texts(
    qtbot, fake_api: FakeOvhApi, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, str]]:
    """What the app says while the user looks elsewhere, as it happens: a rescue reboot that
    finished, a console ready after a long wait, the tray's tooltip and its menu with a recent
    console, then that console dropping while minimised (its notice, and the overlay its window
    shows)."""
    monkeypatch.setattr("ovhkvm_desktop.ui.main_window.READY_AFTER_S", 0.0)  # all are slow
    with fake_api.lock:  # back from the rescue of the other language's run
        fake_api.vps[PARIS].update(state="running", netbootMode="local")
    settings = Settings()  # the same recents before each language's run
    for n in reversed(range(5)):
        settings.remember_recent(Recent.of_address(f"vnc://10.0.0.{n}:5900"))
    texts: list[tuple[str, str]] = []
    window = _main_window(qtbot, 3)
    rescue_demo, address_demo = BackgroundDemo("fr"), BackgroundDemo("fr")
    try:
        # The rescue of the Paris VPS: its console (the demo) opens full screen once rebooted.
        port = int(rescue_demo.address.rsplit(":", 1)[1])
        fake_api.set_console(PARIS, "VNC", {"host": "127.0.0.1", "port": port})
        paris = next(
            e for _, group in window.server_groups() for e in group if e.server.name == PARIS
        )
        window.table.setCurrentIndex(window.row_of(paris))
        assert window.selected_entry() == paris
        window.rescue_action.trigger()
        qtbot.waitUntil(lambda: window.rescue_question is not None, timeout=5000)
        box = window.rescue_question
        assert box is not None
        (go,) = [b for b in box.buttons() if box.buttonRole(b) is QMessageBox.ButtonRole.AcceptRole]
        go.click()
        _wait_notices(qtbot, window, 2)  # rescued, then its console ready
        for window_of_console in [c for _, c in window.consoles]:
            window_of_console.close()
        # An address, opened through the dialog: a recent console, announced when ready.
        window.address_action.trigger()
        dialog = window.address_dialog
        assert dialog is not None
        dialog.address.setText(address_demo.address)
        dialog.accept()
        _wait_notices(qtbot, window, 3)
        tray = ServerTray(window, on_quit=lambda: None)
        tray.rebuild()
        texts.append(("tray tooltip", tray.toolTip()))
        texts += shown_texts(tray.menu)
        # The console drops while minimised: a notice, and its overlay says so.
        console = window.consoles[-1][1]
        console.showMinimized()
        qtbot.waitUntil(console.isMinimized, timeout=5000)
        address_demo.stop()
        _wait_notices(qtbot, window, 4)
        qtbot.waitUntil(
            lambda: (
                console.bridge.state.phase is Phase.WAITING and bool(console.overlay.reason.text())
            ),
            timeout=10000,
        )
        texts += [(f"{where} (dropped)", text) for where, text in shown_texts(console.overlay)]
        for notice in window.notifier.given:
            texts += [("notice title", notice.title), ("notice", notice.text)]
        window.notifier.tray = None
        tray.hide()
        tray.deleteLater()
    finally:
        _close(window)
        rescue_demo.stop()
        address_demo.stop()
    return texts


def test_the_notices_the_tray_and_a_dropped_consoles_overlay_are_french(
    qtbot, speak, fake_api: FakeOvhApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_api.add_vps("vps-fr.vps.ovh.net", displayName="Paris web", keymap="fr")
    fake_api.add_vps("vps-old.vps.ovh.net", state="stopped")
    fake_api.add_dedicated("ns1.ip-1-2-3.eu", reverse="storage.example.net")
    Account(fake_api, fake_api.memory, "work")  # type: ignore[attr-defined]
    speak("en")
    english = notices_tray_and_overlay_texts(qtbot, fake_api, monkeypatch)
    speak("fr")
    french = notices_tray_and_overlay_texts(qtbot, fake_api, monkeypatch)
    assert_nothing_left_in_english(english, french)
    shown = [text for _, text in french]
    assert "Consoles récentes" in shown, shown
    assert any(text.startswith("ovhkvm-desktop — 3 serveurs") for text in shown), shown


def test_the_layout_selector_names_the_layouts_in_the_apps_language(
    qtbot, speak, demo: BackgroundDemo, tmp_path: Path
) -> None:
    """xkeyboard-config's own names: « Français » in French, "French" in English, in the
    toolbar's selector and in the Console menu's list."""
    shown = {}
    for lang in ("en", "fr"):
        speak(lang)
        window = _console_window(qtbot, demo, tmp_path)
        combo = window.layout_combo
        shown[lang] = (
            combo.itemText(combo.findData("fr")),
            combo.itemText(combo.findData("fr(bepo)")),
            window.layout_actions["fr"].text(),
        )
        window.close()
    assert shown["en"] == ("fr — French", "fr(bepo) — French (BEPO)", "French  (fr)")
    assert shown["fr"] == ("fr — Français", "fr(bepo) — Français (BÉPO)", "Français  (fr)")


def test_the_first_run_window_is_french(qtbot, speak, fake_api: FakeOvhApi) -> None:
    speak("en")
    english = first_run_texts(qtbot)
    speak("fr")
    french = first_run_texts(qtbot)
    assert_nothing_left_in_english(english, french, allowed=SAME_IN_BOTH)
    assert ("PlainLabel", "Aucun compte pour l'instant") in french


def assert_nothing_left_in_english(
    english: list[tuple[str, str]],
    french: list[tuple[str, str]],
    allowed: set[str] | None = None,
) -> None:
    """The same widgets walked in both languages: none shows the same English words in French
    but the ``allowed`` ones (by default names, codes, the API's data and xkb's words)."""
    assert len(french) == len(english), _pairs_diff(english, french)
    if allowed is None:
        allowed = SAME_IN_BOTH | API_DATA | xkb_words()
    left = [
        (where, en)
        for (where, en), (_, fr) in zip(english, french, strict=True)
        if fr == en and not set(words(en)) <= allowed
    ]
    assert not left, "\n".join(f"{where}: {text!r}" for where, text in left)


def _pairs_diff(english: list, french: list) -> str:
    return "\n".join(f"{e!r} | {f!r}" for e, f in zip(english, french, strict=False))


# -- the catalogue -------------------------------------------------------------------------------


def test_no_french_entry_is_unfinished_or_stale() -> None:
    root = ET.parse(FRENCH).getroot()
    assert root.get("language") == "fr" and root.get("sourcelanguage") == "en"
    unfinished, vanished = [], []
    for message in root.iter("message"):
        translation = message.find("translation")
        assert translation is not None
        source = message.findtext("source")
        if translation.get("type") in ("obsolete", "vanished"):
            vanished.append(source)
        elif translation.get("type") == "unfinished":
            unfinished.append(source)
        forms = [f.text for f in translation.findall("numerusform")] or [translation.text]
        if not all(forms) and source not in unfinished:
            unfinished.append(source)
        # A placeholder the code fills must be in the translation too.
        wanted = set(re.findall(r"\{\w+[^}]*\}|%n", source or ""))
        for form in forms:
            assert wanted <= set(re.findall(r"\{\w+[^}]*\}|%n", form or "")), (source, form)
    assert not unfinished, unfinished
    assert not vanished, vanished
    assert len(list(root.iter("message"))) > 250


def test_the_french_catalogue_holds_every_string_of_the_code() -> None:
    check = subprocess.run(
        [str(ROOT / "tools" / "update-translations"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
