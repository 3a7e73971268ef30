"""`open ovh:SERVICE` and rescue --open's console window: the fake OVHcloud API
hands out a console on a local RFB server; the window is titled after the VPS, takes the VPS
keymap, and connects — through the next door when the first one does not connect."""

from __future__ import annotations

import argparse
import socket
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from ovhkvm_desktop import cli
from ovhkvm_desktop.cli.accounts import open_rescue_console
from ovhkvm_desktop.keyboard.layouts import GuestSystem
from ovhkvm_desktop.ui.console_window import ConsoleWindow
from tests.cloud.conftest import Account, app_on_fake_api
from tests.ui.rfb_server import RfbServer

VPS = "vps-ui.vps.ovh.net"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    """A logged-in profile "work" on the fake API, its secrets in a memory keyring."""
    with app_on_fake_api(monkeypatch) as (fake, memory):
        yield Account(fake, memory)


@pytest.fixture
def opened(qtbot, monkeypatch: pytest.MonkeyPatch) -> list[ConsoleWindow]:
    """Stand in for Qt's event loop in run(): wait for the window's first frame, then close."""
    windows: list[ConsoleWindow] = []

    def exec_until_first_frame(*args: object) -> int:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, ConsoleWindow)]
        window = next(w for w in found if w.isVisible() and w not in windows)
        qtbot.addWidget(window)
        windows.append(window)
        qtbot.waitUntil(lambda: window._framed, timeout=10000)
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", exec_until_first_frame)
    return windows


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_open_ovh_target_connects_with_the_vps_title_and_keymap(
    account: Account, opened: list[ConsoleWindow], capsys
) -> None:
    account.fake.add_vps(VPS, keymap="fr", displayName="web server")
    with RfbServer(320, 200) as server:
        account.fake.set_console(VPS, "VNC", {"host": "127.0.0.1", "port": server.port})
        assert cli.main(["open", f"ovh:{VPS}", "--profile", "work"]) == 0
        assert server.connections >= 1
    (window,) = opened
    assert f"web server ({VPS})" in window.windowTitle()
    assert window.config.layout == "fr"
    assert window.config.server_keymap == "fr"
    assert not window.config.fullscreen


def test_user_layout_wins_over_the_vps_keymap(
    account: Account, opened: list[ConsoleWindow]
) -> None:
    account.fake.add_vps(VPS, keymap="fr")
    with RfbServer(320, 200) as server:
        account.fake.set_console(VPS, "VNC", {"host": "127.0.0.1", "port": server.port})
        argv = ["open", f"ovh:{VPS}", "--profile", "work", "--layout", "de"]
        assert cli.main(argv) == 0
    (window,) = opened
    assert VPS in window.windowTitle()
    assert window.config.layout == "de"
    assert window.config.server_keymap == "fr"


def test_open_console_falls_back_to_the_next_door_in_full_screen(
    account: Account, opened: list[ConsoleWindow], capsys
) -> None:
    """rescue --open's way in: the WebSocket door's console does not answer; VNC does."""
    account.fake.add_vps(VPS, keymap=None)
    dead = {"host": "127.0.0.1", "port": closed_port(), "password": "x"}
    account.fake.set_console(VPS, "VNCOverWebSocket", dead)
    with RfbServer(320, 200) as server:
        account.fake.set_console(VPS, "VNC", {"host": "127.0.0.1", "port": server.port})
        assert open_rescue_console(argparse.Namespace(service=VPS, profile="work")) == 0
    (window,) = opened
    assert window.config.fullscreen
    assert window.config.layout == "us"
    assert window.config.guest is GuestSystem.CONSOLE
    err = capsys.readouterr().err
    assert "ovhkvm-desktop: the VNCOverWebSocket console did not connect" in err
    from ovhkvm_desktop.config import Settings

    assert Settings().console_door("work", VPS) == "VNC"


def test_open_a_dedicated_server_opens_its_html5_kvm_in_the_browser(
    account: Account, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    account.fake.add_dedicated("ns1.ip-1-2-3.eu")
    assert cli.main(["open", "ovh:ns1.ip-1-2-3.eu", "--profile", "work"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("https://kvm.example.test/ns1.ip-1-2-3.eu/")
    assert opened == [out[-1]]
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, ConsoleWindow)]
    assert not [w for w in shown if w.isVisible()]  # no console window for a dedicated server
