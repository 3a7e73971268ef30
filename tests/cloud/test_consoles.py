"""Console acquisition for ovh: targets against the fake API: the three doors in order, the one
that worked first next time, a fresh console per connect, the VNC port's opening awaited."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from ovhkvm_desktop.cloud.consoles import (
    GET_CONSOLE_URL,
    VNC,
    VNC_OVER_WEBSOCKET,
    NoConsoleDoor,
    VpsConsole,
    dedicated_kvm_url,
    keyboard_of,
)
from ovhkvm_desktop.errors import ConnectFailed, ConsoleError
from tests.cloud.fake_api import Failure, not_granted
from tests.testbed import free_port

VPS = "vps-1.vps.ovh.net"


def run(coro):
    return asyncio.run(coro)


def test_get_console_url_comes_first_and_gives_the_novnc_websocket(account, fake_api):
    fake_api.add_vps(VPS)
    tokens = iter(["t1", "t2"])
    fake_api.set_console(
        VPS,
        GET_CONSOLE_URL,
        lambda: f"https://compute.gra7.cloud.ovh.net:6080/vnc_auto.html?token={next(tokens)}",
    )
    fake_api.set_console(VPS, VNC, {"host": "127.0.0.1", "port": 1, "password": "x"})
    console = VpsConsole(account.api, VPS, account.settings)
    first = run(console())
    assert console.door == GET_CONSOLE_URL
    assert (first.transport, first.url, first.token) == (
        "websocket",
        "wss://compute.gra7.cloud.ovh.net:6080/websockify?token=t1",
        "t1",
    )
    second = run(console())  # a reconnect asks again: tokens expire
    assert second.token == "t2"
    assert len(fake_api.calls_to("POST", f"/vps/{VPS}/getConsoleUrl")) == 2


def test_a_missing_door_falls_to_the_next_and_the_working_one_is_remembered(account, fake_api):
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, GET_CONSOLE_URL, Failure(400, None, "Not available"))
    fake_api.set_console(
        VPS, VNC_OVER_WEBSOCKET, {"host": "console.example", "port": 443, "password": "pw"}
    )
    console = VpsConsole(account.api, VPS, account.settings)
    target = run(console())
    assert console.door == VNC_OVER_WEBSOCKET
    assert (target.transport, target.url, target.password) == (
        "websocket",
        "wss://console.example:443/",
        "pw",
    )
    assert fake_api.calls_to("POST", f"/vps/{VPS}/openConsoleAccess")[0].body == (
        '{"protocol":"VNCOverWebSocket"}'
    )
    console.connected()
    again = VpsConsole(account.api, VPS, account.settings)
    assert again.order[0] == VNC_OVER_WEBSOCKET
    run(again())
    assert len(fake_api.calls_to("POST", f"/vps/{VPS}/getConsoleUrl")) == 1  # not asked again


def test_a_door_that_does_not_connect_moves_to_the_next(account, fake_api):
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, GET_CONSOLE_URL, "https://h:6080/vnc_auto.html?token=t")
    fake_api.set_console(VPS, VNC_OVER_WEBSOCKET, {"host": "h", "port": 1, "password": "p"})
    console = VpsConsole(account.api, VPS)
    run(console())
    assert console.next_door(ConnectFailed("refused"))
    run(console())
    assert console.door == VNC_OVER_WEBSOCKET
    assert console.next_door(ConnectFailed("refused again"))
    with pytest.raises(NoConsoleDoor) as error:
        run(console())
    message = str(error.value)
    assert message.startswith(f"no console of {VPS} could be opened (getConsoleUrl: refused;")
    assert "VNC: the OVHcloud API refused" in message


def test_a_door_the_key_may_not_open_is_skipped(account, fake_api):
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, GET_CONSOLE_URL, not_granted())
    fake_api.set_console(VPS, VNC_OVER_WEBSOCKET, {"host": "h", "port": 2, "password": "p"})
    console = VpsConsole(account.api, VPS)
    run(console())
    assert console.door == VNC_OVER_WEBSOCKET
    assert "POST /vps/*/getConsoleUrl" in console.tried[0].error


def test_the_vnc_port_is_awaited_until_it_opens(account, fake_api):
    fake_api.add_vps(VPS)
    port = free_port()
    fake_api.set_console(VPS, VNC, {"host": "127.0.0.1", "port": port, "password": "pw"})
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    def open_later() -> None:
        time.sleep(1.2)
        server.bind(("127.0.0.1", port))
        server.listen()

    threading.Thread(target=open_later, daemon=True).start()
    said: list[str] = []
    console = VpsConsole(account.api, VPS, progress=said.append, probe_interval=0.2)
    console.order = [VNC]
    try:
        start = time.monotonic()
        target = run(console())
        assert time.monotonic() - start >= 1.0
    finally:
        server.close()
    assert (target.transport, target.port, target.password) == ("tcp", port, "pw")
    assert said[0].startswith(f"waiting for the VNC console port 127.0.0.1:{port} to open (0 s")
    assert said[-1] == f"the VNC console port 127.0.0.1:{port} is open"


def test_a_vnc_port_that_never_opens_is_said(account, fake_api):
    fake_api.add_vps(VPS)
    port = free_port()
    fake_api.set_console(VPS, VNC, {"host": "127.0.0.1", "port": port, "password": "pw"})
    console = VpsConsole(account.api, VPS, port_timeout=0.6, probe_interval=0.2)
    console.order = [VNC]
    with pytest.raises(NoConsoleDoor) as error:
        run(console())
    assert f"127.0.0.1:{port} of {VPS} did not open within 0.6 s" in str(error.value)


def test_a_dedicated_server_is_not_a_vnc_target(account, fake_api):
    fake_api.add_dedicated("ns1.ip-1-2-3.eu")
    with pytest.raises(ConsoleError, match="is a dedicated server: its KVM"):
        VpsConsole(account.api, "ns1.ip-1-2-3.eu").describe()


def test_the_dedicated_html5_kvm_url(account, fake_api):
    fake_api.add_dedicated("ns1.ip-1-2-3.eu")
    url = dedicated_kvm_url(account.api, "ns1.ip-1-2-3.eu", poll_interval=0.1)
    assert url.startswith("https://kvm.example.test/ns1.ip-1-2-3.eu/")
    body = fake_api.calls_to("POST", "/dedicated/server/ns1.ip-1-2-3.eu/features/ipmi/access")
    assert body[0].body == '{"type":"kvmipHtml5URL","ttl":"15"}'


@pytest.mark.parametrize(
    ("keymap", "expected"), [("fr", ("fr", "fr")), ("us", ("us", "us")), (None, ("us", "none"))]
)
def test_the_vps_keymap_gives_the_guest_layout_and_the_server_keymap(keymap, expected):
    assert keyboard_of(keymap) == expected
