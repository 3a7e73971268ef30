"""Console acquisition for ovh: targets against the fake API (the API side only): a VPS's three
doors in order, the one that worked first next time, a fresh console for every connection
attempt, the doors the API does not open skipped, only https addresses taken from it; a
dedicated server's KVM page. Connecting through the doors, and waiting for the VNC door's port,
is the session's: tests/session/test_doors.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ovhkvm_desktop.cloud.client import ApiRefused, CredentialRejected
from ovhkvm_desktop.cloud.consoles import (
    DOORS,
    GET_CONSOLE_URL,
    PORT_OPEN_TIMEOUT,
    VNC,
    VNC_OVER_WEBSOCKET,
    DedicatedServer,
    NoConsoleDoor,
    VpsConsole,
    dedicated_kvm_url,
    keyboard_of,
)
from ovhkvm_desktop.errors import ConsoleError, Unreachable
from ovhkvm_desktop.opening import VpsDoors
from ovhkvm_desktop.session import Door
from tests.cloud.fake_api import Failure, invalid_credential, not_granted

VPS = "vps-1.vps.ovh.net"
NOVNC = "https://compute.gra7.cloud.ovh.net:6080/vnc_auto.html?token="


def run(coro):
    return asyncio.run(coro)


def all_doors(doors: VpsDoors) -> list[Door]:
    """One connection attempt that connects through none of them: every door, in order."""

    async def take(iterator: AsyncIterator[Door]) -> list[Door]:
        return [door async for door in iterator]

    return run(take(doors.doors()))


def first_door(doors: VpsDoors) -> Door:
    """One connection attempt that connects through the first door it is given."""

    async def take() -> Door:
        iterator = doors.doors()
        try:
            return await anext(iterator)
        finally:
            await iterator.aclose()  # type: ignore[attr-defined]

    return run(take())


def vps_doors(account, **options) -> VpsDoors:
    return VpsDoors(VpsConsole(account.api, VPS, account.settings, **options), VPS)


def test_get_console_url_comes_first_and_gives_the_novnc_websocket(account, fake_api):
    fake_api.add_vps(VPS)
    tokens = iter(["t1", "t2"])
    fake_api.set_console(VPS, GET_CONSOLE_URL, lambda: NOVNC + next(tokens))
    console = VpsConsole(account.api, VPS, account.settings)
    assert console.order == [GET_CONSOLE_URL, VNC_OVER_WEBSOCKET, VNC] == list(DOORS)
    first = run(console.open_door(GET_CONSOLE_URL))
    assert (first.transport, first.url, first.token, first.password) == (
        "websocket",
        "wss://compute.gra7.cloud.ovh.net:6080/websockify?token=t1",
        "t1",
        None,
    )
    assert "t1" not in first.display and "t1" not in repr(first)
    second = run(console.open_door(GET_CONSOLE_URL))  # asked again: tokens expire
    assert second.token == "t2"
    assert len(fake_api.calls_to("POST", f"/vps/{VPS}/getConsoleUrl")) == 2


def test_each_connection_attempt_asks_the_api_for_a_fresh_console(account, fake_api):
    fake_api.add_vps(VPS)
    tokens = iter(["t1", "t2", "t3"])
    fake_api.set_console(VPS, GET_CONSOLE_URL, lambda: NOVNC + next(tokens))
    fake_api.set_console(VPS, VNC, {"host": "127.0.0.1", "port": 5901, "password": "x"})
    doors = vps_doors(account)
    assert first_door(doors).target.token == "t1"
    assert first_door(doors).target.token == "t2"
    assert first_door(doors).name == GET_CONSOLE_URL
    # Doors are asked for one at a time: an attempt that connected at the first asked no other.
    assert fake_api.calls_to("POST", f"/vps/{VPS}/openConsoleAccess") == []


def test_every_door_in_order_with_what_each_opens(account, fake_api):
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, GET_CONSOLE_URL, NOVNC + "t")
    fake_api.set_console(
        VPS, VNC_OVER_WEBSOCKET, {"host": "console.example", "port": 443, "password": "pw"}
    )
    fake_api.set_console(VPS, VNC, {"host": "203.0.113.5", "port": "5907", "password": "pw2"})
    doors = all_doors(vps_doors(account, port_timeout=90))
    assert [(d.name, d.target.transport, d.opens_within) for d in doors] == [
        (GET_CONSOLE_URL, "websocket", 0.0),
        (VNC_OVER_WEBSOCKET, "websocket", 0.0),
        (VNC, "tcp", 90),  # only the VNC door's port opens late
    ]
    wss, vnc = doors[1].target, doors[2].target
    assert (wss.url, wss.password) == ("wss://console.example:443/", "pw")
    assert (vnc.host, vnc.port, vnc.password, vnc.url) == ("203.0.113.5", 5907, "pw2", "")
    bodies = [c.body for c in fake_api.calls_to("POST", f"/vps/{VPS}/openConsoleAccess")]
    assert bodies == ['{"protocol":"VNCOverWebSocket"}', '{"protocol":"VNC"}']
    assert VpsConsole(account.api, VPS).port_timeout == PORT_OPEN_TIMEOUT


def test_an_ipv6_console_host_is_bracketed_in_its_url(account, fake_api):
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, VNC_OVER_WEBSOCKET, {"host": "2001:db8::5", "port": 443})
    target = run(VpsConsole(account.api, VPS).open_door(VNC_OVER_WEBSOCKET))
    assert (target.url, target.host, target.password) == (
        "wss://[2001:db8::5]:443/",
        "2001:db8::5",
        None,
    )


def test_a_door_the_api_does_not_open_is_skipped_and_the_working_one_remembered(account, fake_api):
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, GET_CONSOLE_URL, Failure(400, None, "Not available"))
    fake_api.set_console(
        VPS, VNC_OVER_WEBSOCKET, {"host": "console.example", "port": 443, "password": "pw"}
    )
    doors = vps_doors(account)
    door = first_door(doors)
    assert door.name == VNC_OVER_WEBSOCKET
    ((skipped, why),) = doors.tried
    assert skipped == GET_CONSOLE_URL
    assert why.startswith(f"the OVHcloud API refused POST /vps/{VPS}/getConsoleUrl")
    assert "Not available" in why
    assert account.settings.console_door(account.name, VPS) is None  # not before it connected
    doors.connected(door)
    assert account.settings.console_door(account.name, VPS) == VNC_OVER_WEBSOCKET
    again = vps_doors(account)
    assert again.console.order == [VNC_OVER_WEBSOCKET, GET_CONSOLE_URL, VNC]
    assert first_door(again).name == VNC_OVER_WEBSOCKET
    assert len(fake_api.calls_to("POST", f"/vps/{VPS}/getConsoleUrl")) == 1  # not asked again


def test_a_door_the_key_may_not_open_is_skipped(account, fake_api):
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, GET_CONSOLE_URL, not_granted())
    fake_api.set_console(VPS, VNC_OVER_WEBSOCKET, {"host": "h", "port": 2, "password": "p"})
    doors = vps_doors(account)
    assert first_door(doors).name == VNC_OVER_WEBSOCKET
    ((skipped, why),) = doors.tried
    assert skipped == GET_CONSOLE_URL
    assert "do not allow POST /vps/*/getConsoleUrl" in why


def test_a_rejected_credential_is_not_a_door_to_skip(account, fake_api):
    """An expired consumer key fails every door alike: said at once, with the profile to log
    in again, not as a list of doors."""
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, VNC, {"host": "h", "port": 2})
    fake_api.fail("POST", f"/vps/{VPS}/getConsoleUrl", invalid_credential())
    with pytest.raises(CredentialRejected) as rejected:
        first_door(vps_doors(account))
    assert rejected.value.login is not None and rejected.value.login.name == account.name
    assert fake_api.calls_to("POST", f"/vps/{VPS}/openConsoleAccess") == []


@pytest.mark.parametrize(
    "answer",
    [
        "http://compute.gra7.cloud.ovh.net:6080/vnc_auto.html?token=t",
        "wss://compute.gra7.cloud.ovh.net:6080/websockify?token=t",
        "vnc://compute.gra7.cloud.ovh.net:5900",
        "file:///etc/passwd",
    ],
)
def test_get_console_url_giving_an_address_that_is_not_https_is_refused_as_a_door(
    account, fake_api, answer
):
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, GET_CONSOLE_URL, answer)
    fake_api.set_console(VPS, VNC, {"host": "127.0.0.1", "port": 5901, "password": "x"})
    with pytest.raises(ApiRefused, match="getConsoleUrl gave an address that is not https"):
        run(VpsConsole(account.api, VPS).open_door(GET_CONSOLE_URL))
    doors = vps_doors(account)
    assert first_door(doors).name == VNC
    assert doors.tried[0] == (GET_CONSOLE_URL, "getConsoleUrl gave an address that is not https")


@pytest.mark.parametrize(
    ("door", "answer", "says"),
    [
        (GET_CONSOLE_URL, "", f"getConsoleUrl gave no URL for {VPS}"),
        (GET_CONSOLE_URL, {"url": NOVNC}, f"getConsoleUrl gave no URL for {VPS}"),
        (GET_CONSOLE_URL, "https://h:99999/vnc.html", "getConsoleUrl gave an unusable URL"),
        (VNC, {"host": "h"}, "openConsoleAccess (VNC) gave no host and port"),
        (VNC, {"host": "h", "port": "x"}, "openConsoleAccess (VNC) gave a port that is not a"),
        (VNC_OVER_WEBSOCKET, [], "openConsoleAccess (VNCOverWebSocket) gave no host and port"),
    ],
)
def test_an_answer_that_opens_no_console_is_refused_as_a_door(
    account, fake_api, door, answer, says
):
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, door, answer)
    with pytest.raises(ApiRefused) as refused:
        run(VpsConsole(account.api, VPS).open_door(door))
    assert str(refused.value).startswith(says)


def test_when_the_api_opens_no_door_the_message_names_each(account, fake_api):
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, GET_CONSOLE_URL, not_granted())
    fake_api.set_console(VPS, VNC_OVER_WEBSOCKET, Failure(400, None, "Not available"))
    doors = vps_doors(account)
    assert all_doors(doors) == []
    message = str(doors.exhausted())
    assert isinstance(doors.exhausted(), NoConsoleDoor)
    assert message.startswith(f"no console of {VPS} could be opened (getConsoleUrl: the cred")
    assert "; VNCOverWebSocket: the OVHcloud API refused" in message
    assert "; VNC: the OVHcloud API refused" in message and message.endswith(")")


def test_connection_failures_the_session_reports_are_named_too(account, fake_api):
    fake_api.add_vps(VPS)
    fake_api.set_console(VPS, GET_CONSOLE_URL, NOVNC + "secret-token")
    doors = vps_doors(account)
    (door, *_) = all_doors(doors)
    doors.door_failed(door, Unreachable("compute.gra7.cloud.ovh.net:6080 refused the connection"))
    message = str(doors.exhausted())
    assert "getConsoleUrl: compute.gra7.cloud.ovh.net:6080 refused the connection" in message
    assert "secret-token" not in message
    # A new attempt starts a new list.
    all_doors(doors)
    assert "refused the connection" not in str(doors.exhausted())


def test_a_remembered_door_that_is_not_a_door_changes_nothing(account, fake_api):
    account.settings.remember_console_door(account.name, VPS, "telnet")
    assert VpsConsole(account.api, VPS, account.settings).order == list(DOORS)
    assert VpsConsole(account.api, VPS).order == list(DOORS)  # no settings: nothing remembered


def test_describe_reads_the_vps_and_its_keymap(account, fake_api):
    fake_api.add_vps(VPS, keymap="fr", displayName="web")
    server = VpsConsole(account.api, VPS).describe()
    assert (server.kind, server.name, server.displayName, server.keymap) == (
        "vps",
        VPS,
        "web",
        "fr",
    )


def test_a_dedicated_server_is_not_a_vnc_target(account, fake_api):
    fake_api.add_dedicated("ns1.ip-1-2-3.eu")
    with pytest.raises(DedicatedServer, match="is a dedicated server: its KVM") as error:
        VpsConsole(account.api, "ns1.ip-1-2-3.eu").describe()
    assert error.value.service == "ns1.ip-1-2-3.eu"


def test_an_unknown_service_says_so(account, fake_api):
    with pytest.raises(ConsoleError) as error:
        VpsConsole(account.api, "vps-none.vps.ovh.net").describe()
    assert "there is no VPS 'vps-none.vps.ovh.net'" in str(error.value)


def test_the_dedicated_html5_kvm_url(account, fake_api):
    fake_api.add_dedicated("ns1.ip-1-2-3.eu")
    said: list[str] = []
    url = dedicated_kvm_url(account.api, "ns1.ip-1-2-3.eu", poll_interval=0.1, progress=said.append)
    assert url.startswith("https://kvm.example.test/ns1.ip-1-2-3.eu/")
    body = fake_api.calls_to("POST", "/dedicated/server/ns1.ip-1-2-3.eu/features/ipmi/access")
    assert body[0].body == '{"type":"kvmipHtml5URL","ttl":"15"}'
    assert said and said[0].startswith("preparing the KVM of ns1.ip-1-2-3.eu (")


@pytest.mark.parametrize("origin", ["http://kvm.example.test", "javascript:alert(1)//x"])
def test_a_dedicated_kvm_url_that_is_not_https_is_not_opened(account, fake_api, origin):
    fake_api.add_dedicated("ns1.ip-1-2-3.eu")
    fake_api.kvm_origin = origin
    with pytest.raises(ConsoleError) as error:
        dedicated_kvm_url(account.api, "ns1.ip-1-2-3.eu", poll_interval=0.1)
    assert str(error.value) == (
        "OVHcloud gave a KVM address for ns1.ip-1-2-3.eu that is not https: open the KVM from"
        " the control panel"
    )


@pytest.mark.parametrize(
    ("keymap", "expected"),
    [("fr", ("fr", "fr")), ("us", ("us", "us")), ("de", ("de", "de")), (None, ("us", "none"))],
)
def test_the_vps_keymap_gives_the_guest_layout_and_the_server_keymap(keymap, expected):
    assert keyboard_of(keymap) == expected
    assert keyboard_of("") == ("us", "none")
