"""Opening a console (opening.py): what the user asked for becomes a console source and the
keyboard to type with. For an ovh: VPS (on the fake OVHcloud API) its keymap decides the guest
layout and QEMU's keymap unless the user chose them; a dedicated server is said to be one; an
unknown layout is one line that lists the known ones; a title never shows a password or token.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ovhkvm_desktop import cli
from ovhkvm_desktop.cloud.consoles import GET_CONSOLE_URL, VNC, DedicatedServer
from ovhkvm_desktop.keyboard import KeyboardMode
from ovhkvm_desktop.keyboard.layouts import GuestSystem, guest_layout_names, server_keymap_names
from ovhkvm_desktop.opening import BadRequest, ConsoleRequest, VpsDoors, open_console
from ovhkvm_desktop.session import SessionOptions, SingleTarget
from tests.cloud.conftest import Account, app_on_fake_api

VPS = "vps-open.vps.ovh.net"


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OVHKVM_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    with app_on_fake_api(monkeypatch) as (fake, memory):
        yield Account(fake, memory)


def ovh(**choices: object) -> ConsoleRequest:
    return ConsoleRequest(f"ovh:{VPS}", profile="work", **choices)  # type: ignore[arg-type]


# -- the VPS keymap rule -------------------------------------------------------------------------


def test_the_vps_keymap_decides_the_guest_layout_and_qemus_keymap(account: Account) -> None:
    account.fake.add_vps(VPS, keymap="fr", displayName="web server")
    opening = open_console(ovh())
    assert (opening.layout, opening.server_keymap) == ("fr", "fr")
    assert (opening.keyboard, opening.guest) == (KeyboardMode.TRANSLATE, GuestSystem.AUTO)
    assert opening.title == opening.source.title == f"web server ({VPS})"
    assert opening.server_key == f"ovh:{VPS}"  # remembered choices follow the service's name
    assert isinstance(opening.source, VpsDoors)
    # Opening reads the VPS; the console itself is asked for when connecting, fresh each time.
    assert account.fake.calls_to("POST", f"/vps/{VPS}/.*") == []


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ({"layout": "de"}, ("de", "fr")),
        ({"server_keymap": "none"}, ("fr", "none")),
        ({"layout": "ch(fr)", "server_keymap": "us"}, ("ch(fr)", "us")),
    ],
)
def test_what_the_user_chose_wins_over_the_vps_keymap(
    account: Account, choices: dict[str, str], expected: tuple[str, str]
) -> None:
    account.fake.add_vps(VPS, keymap="fr")
    opening = open_console(ovh(**choices))
    assert (opening.layout, opening.server_keymap) == expected


def test_a_vps_without_keymap_is_us_with_no_qemu_keymap(account: Account) -> None:
    account.fake.add_vps(VPS, keymap=None)
    opening = open_console(ovh(keyboard=KeyboardMode.PHYSICAL, guest=GuestSystem.CONSOLE))
    assert (opening.layout, opening.server_keymap) == ("us", "none")
    assert (opening.keyboard, opening.guest) == (KeyboardMode.PHYSICAL, GuestSystem.CONSOLE)
    assert opening.title == VPS  # its display name is its service name


def test_a_target_that_is_not_ovh_has_no_keymap_to_follow() -> None:
    opening = open_console(ConsoleRequest("127.0.0.1:5901"))
    assert (opening.layout, opening.server_keymap) == ("us", "none")
    assert isinstance(opening.source, SingleTarget)
    assert opening.title == opening.server_key == "127.0.0.1:5901"
    chosen = open_console(ConsoleRequest("vnc://127.0.0.1:5901", layout="fr", server_keymap="fr"))
    assert (chosen.layout, chosen.server_keymap) == ("fr", "fr")


def test_the_session_options_go_with_the_request() -> None:
    options = SessionOptions(password="pw", timeout=3.0)
    opening = open_console(ConsoleRequest("127.0.0.1:5901", options=options))
    assert opening.request.options is options


# -- what cannot be opened -----------------------------------------------------------------------


def test_an_unknown_layout_is_one_line_listing_the_known_layouts(account: Account) -> None:
    with pytest.raises(BadRequest) as error:
        open_console(ovh(layout="klingon"))
    message = str(error.value)
    assert "\n" not in message
    assert message == (
        f"unknown keyboard layout 'klingon'; known layouts: {', '.join(guest_layout_names())}"
    )
    assert {"us", "fr", "de", "ch(fr)", "fr(bepo)"} <= set(guest_layout_names())
    assert account.fake.calls == []  # said before anything is asked of the API


def test_the_command_line_says_an_unknown_layout_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["info", "vnc://127.0.0.1:1", "--layout", "klingon"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("ovhkvm-desktop: unknown keyboard layout 'klingon'; known layouts: us")


def test_an_unknown_server_keymap_lists_the_server_keymaps() -> None:
    with pytest.raises(BadRequest) as error:
        open_console(ConsoleRequest("127.0.0.1:5901", server_keymap="klingon"))
    message = str(error.value)
    assert message.startswith("unknown server keymap 'klingon'; known ")
    listed = message.partition("known ")[2].partition(": ")[2].split(", ")
    for name in listed:  # everything the message offers is accepted
        open_console(ConsoleRequest("127.0.0.1:5901", server_keymap=name))
    assert set(server_keymap_names()) <= set(listed)


def test_a_dedicated_server_is_said_to_be_one(account: Account) -> None:
    account.fake.add_dedicated("ns1.ip-1-2-3.eu")
    with pytest.raises(DedicatedServer) as error:
        open_console(ConsoleRequest("ovh:ns1.ip-1-2-3.eu", profile="work"))
    assert error.value.service == "ns1.ip-1-2-3.eu"
    assert str(error.value).startswith(
        "ns1.ip-1-2-3.eu is a dedicated server: its KVM (IPMI) is the vendor's HTML5 page"
    )


def test_ovh_without_a_service_says_what_it_needs() -> None:
    with pytest.raises(BadRequest, match="ovh: needs the service name of a VPS"):
        open_console(ConsoleRequest("ovh: "))


# -- no secret in a title ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "vnc://:S3cretPw@127.0.0.1:5901",
        "vnc://admin:S3cretPw@127.0.0.1",
        "ws://user:S3cretPw@127.0.0.1:6080/websockify?token=T0kenValue",
        "wss://127.0.0.1:6080/?token=T0kenValue&password=S3cretPw",
        "https://127.0.0.1:6080/vnc_auto.html?token=T0kenValue&password=S3cretPw",
        "https://127.0.0.1:6080/vnc_lite.html?path=websockify%3Ftoken%3DT0kenValue",
        "http://:S3cretPw@127.0.0.1:6080/vnc.html?token=T0kenValue",
    ],
)
def test_a_title_never_shows_a_password_or_token(target: str) -> None:
    opening = open_console(ConsoleRequest(target))
    for shown in (opening.title, opening.source.title, opening.server_key, repr(opening.source)):
        assert "S3cretPw" not in shown and "T0kenValue" not in shown, shown
    assert "127.0.0.1" in opening.title


def test_an_ovh_console_title_never_shows_its_token_or_password(account: Account) -> None:
    account.fake.add_vps(VPS, displayName="web")
    account.fake.set_console(
        VPS, GET_CONSOLE_URL, "https://127.0.0.1:6080/vnc_auto.html?token=T0kenValue"
    )
    account.fake.set_console(VPS, VNC, {"host": "127.0.0.1", "port": 5901, "password": "S3cretPw"})
    opening = open_console(ovh())
    assert opening.title == opening.source.title == f"web ({VPS})"
