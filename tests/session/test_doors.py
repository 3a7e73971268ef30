"""The fallback rule between a console's doors, against real servers on loopback and the fake
OVHcloud API: only a door that nothing answered lets the next one be tried; a certificate that
cannot be verified, a refused password, a server that hangs up are stops, said as they are, with
no plain door tried and nothing remembered; a VNC door whose port opens late is waited for."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import pytest

from ovhkvm_desktop import cli
from ovhkvm_desktop.cloud.consoles import (
    GET_CONSOLE_URL,
    VNC,
    VNC_OVER_WEBSOCKET,
    NoConsoleDoor,
    VpsConsole,
)
from ovhkvm_desktop.config import Settings
from ovhkvm_desktop.errors import (
    AuthenticationFailed,
    ConnectFailed,
    ConsoleError,
    TlsFailed,
    Unreachable,
)
from ovhkvm_desktop.opening import ConsoleRequest, VpsDoors, open_console
from ovhkvm_desktop.session import ConsoleSession, ConsoleSource, SessionListener, SessionOptions
from ovhkvm_desktop.session import console as session_console
from ovhkvm_desktop.targets import ConsoleTarget, parse_target
from tests.cloud.conftest import Account
from tests.cloud.fake_api import Failure
from tests.session.servers import (
    CountingPort,
    LatePort,
    RefusingVncServer,
    TlsWebSocketConsole,
    closed_port,
)
from tests.ui.rfb_server import RfbServer

VPS = "vps-doors.vps.ovh.net"
PROFILE = "work"


@dataclass
class Outcome:
    """What one connection attempt did: the door it went through, or the error the user reads,
    and the progress messages said meanwhile."""

    door: str | None = None
    encrypted: bool = False
    error: ConsoleError | None = None
    progress: list[str] = field(default_factory=list)
    seconds: float = 0.0


class _Progress(SessionListener):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome

    def on_progress(self, message: str) -> None:
        self.outcome.progress.append(message)


def attempt(source: ConsoleSource | ConsoleTarget, ca_file: str | None = None) -> Outcome:
    """Connect once through ``source`` (``ConsoleSession.connect``), then close."""
    outcome = Outcome()

    async def run() -> None:
        options = SessionOptions(timeout=3, ca_file=ca_file)
        session = ConsoleSession(source, _Progress(outcome), options)
        start = time.monotonic()
        try:
            await session.connect()
            outcome.door = session.door.name if session.door else None
            outcome.encrypted = session.encrypted
        except ConsoleError as exc:
            outcome.error = exc
        finally:
            outcome.seconds = time.monotonic() - start
            await session.close()

    asyncio.run(run())
    return outcome


def ovh_source(port_timeout: float | None = None) -> ConsoleSource:
    """The VPS's doors as the app opens them (``open_console``), or with a shorter wait for the
    VNC port."""
    if port_timeout is None:
        return open_console(ConsoleRequest(f"ovh:{VPS}", profile=PROFILE)).source
    settings = Settings()
    from ovhkvm_desktop.cloud.client import OvhApi
    from ovhkvm_desktop.secrets import Secrets

    api = OvhApi.for_profile(settings.profile(PROFILE), Secrets())
    return VpsDoors(VpsConsole(api, VPS, settings, port_timeout=port_timeout), VPS)


def remembered() -> str | None:
    return Settings().console_door(PROFILE, VPS)


def novnc_url_on(port: int) -> str:
    return f"https://127.0.0.1:{port}/vnc_auto.html?token=t0k3n"


# -- a TLS failure is a stop ---------------------------------------------------------------------


def test_an_untrusted_certificate_stops_before_the_plain_vnc_door(account: Account) -> None:
    fake = account.fake
    fake.add_vps(VPS)
    with RfbServer() as screen, TlsWebSocketConsole(screen.port) as tls, CountingPort() as plain:
        fake.set_console(VPS, GET_CONSOLE_URL, tls.novnc_url("t0k3n"))
        fake.set_console(VPS, VNC, {"host": "127.0.0.1", "port": plain.port, "password": "pw"})
        outcome = attempt(ovh_source())
        assert isinstance(outcome.error, TlsFailed)
        message = str(outcome.error)
        assert "certificate of 127.0.0.1 could not be verified" in message
        assert "--ca-file" in message
        assert outcome.progress == []  # no "trying the next way in"
        assert plain.accepted == 0  # the plain VNC port was never contacted...
        assert fake.calls_to("POST", f"/vps/{VPS}/openConsoleAccess") == []  # ...nor asked for
        assert tls.upgrades == 0 and screen.connections == 0
        assert remembered() is None


def test_the_command_line_says_the_certificate_and_tries_no_plain_door(
    account: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = account.fake
    fake.add_vps(VPS)
    with RfbServer() as screen, TlsWebSocketConsole(screen.port) as tls, CountingPort() as plain:
        fake.set_console(VPS, GET_CONSOLE_URL, tls.novnc_url("t0k3n"))
        fake.set_console(VPS, VNC, {"host": "127.0.0.1", "port": plain.port, "password": "pw"})
        status = cli.main(["info", f"ovh:{VPS}", "--profile", PROFILE, "--timeout", "3"])
        assert status == 1
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("ovhkvm-desktop: the TLS certificate of 127.0.0.1 could not")
        assert "--ca-file" in lines[0]
        assert "t0k3n" not in lines[0]
        assert plain.accepted == 0
        assert remembered() is None


def test_with_its_ca_the_tls_door_connects_encrypted_and_is_remembered(
    account: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same console as above, its CA given: the failure above was the certificate's."""
    fake = account.fake
    fake.add_vps(VPS)
    with RfbServer() as screen, TlsWebSocketConsole(screen.port) as tls, CountingPort() as plain:
        fake.set_console(VPS, GET_CONSOLE_URL, tls.novnc_url("t0k3n"))
        fake.set_console(VPS, VNC, {"host": "127.0.0.1", "port": plain.port, "password": "pw"})
        outcome = attempt(ovh_source(), ca_file=tls.ca_file)
        assert outcome.error is None
        assert (outcome.door, outcome.encrypted) == (GET_CONSOLE_URL, True)
        assert remembered() == GET_CONSOLE_URL
        argv = ["info", f"ovh:{VPS}", "--profile", PROFILE, "--ca-file", tls.ca_file]
        assert cli.main(argv) == 0
        out, err = capsys.readouterr()
        assert "name:         test server" in out
        assert "unencrypted" not in err
        assert plain.accepted == 0 and tls.upgrades == 2


# -- only a door nothing answered moves on -------------------------------------------------------


def test_a_door_refused_before_tls_falls_to_the_next_which_is_remembered(
    account: Account,
) -> None:
    fake = account.fake
    fake.add_vps(VPS)
    refused = closed_port()
    with RfbServer() as screen:
        fake.set_console(VPS, GET_CONSOLE_URL, novnc_url_on(refused))
        fake.set_console(VPS, VNC_OVER_WEBSOCKET, Failure(400, None, "Not available"))
        fake.set_console(VPS, VNC, {"host": "127.0.0.1", "port": screen.port})
        outcome = attempt(ovh_source())
        assert outcome.error is None
        assert outcome.door == VNC and screen.connections == 1
        (said,) = outcome.progress
        assert said.startswith(
            f"the getConsoleUrl console did not connect (wss://127.0.0.1:{refused}"
        )
        assert "refused the connection" in said
        assert said.endswith("trying the next way in")
        assert remembered() == VNC
        # Next time the door that worked is tried first: getConsoleUrl is not even asked.
        again = attempt(ovh_source())
        assert (again.door, again.progress) == (VNC, [])
        assert len(fake.calls_to("POST", f"/vps/{VPS}/getConsoleUrl")) == 1
        assert screen.connections == 2


def test_when_no_door_opens_the_message_names_each_and_nothing_is_remembered(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_console, "PORT_RETRY_INTERVAL", 0.1)
    fake = account.fake
    fake.add_vps(VPS)
    novnc, vnc = closed_port(), closed_port()
    fake.set_console(VPS, GET_CONSOLE_URL, novnc_url_on(novnc))
    fake.set_console(VPS, VNC_OVER_WEBSOCKET, Failure(400, None, "Not available"))
    fake.set_console(VPS, VNC, {"host": "127.0.0.1", "port": vnc})
    outcome = attempt(ovh_source(port_timeout=0.5))
    assert isinstance(outcome.error, NoConsoleDoor)
    message = str(outcome.error)
    assert message.startswith(f"no console of {VPS} could be opened (getConsoleUrl: ")
    assert f"wss://127.0.0.1:{novnc}/websockify refused the connection" in message
    assert "; VNCOverWebSocket: the OVHcloud API refused" in message
    assert message.endswith(
        f"; VNC: the VNC console port 127.0.0.1:{vnc} did not open within 0.5 s: retry in a few"
        " minutes)"
    )
    assert "t0k3n" not in message
    assert remembered() is None


def test_a_vnc_target_the_user_typed_that_refuses_says_so() -> None:
    port = closed_port()
    outcome = attempt(parse_target(f"vnc://127.0.0.1:{port}"))
    assert isinstance(outcome.error, Unreachable)
    assert str(outcome.error) == (
        f"127.0.0.1:{port} refused the connection: no console is listening on that port"
    )


def test_a_refused_password_does_not_fall_through(account: Account) -> None:
    fake = account.fake
    fake.add_vps(VPS)
    account.settings.remember_console_door(PROFILE, VPS, VNC)  # the VNC door first
    with RefusingVncServer() as refusing, CountingPort() as other:
        fake.set_console(VPS, VNC, {"host": "127.0.0.1", "port": refusing.port, "password": "pw"})
        fake.set_console(VPS, GET_CONSOLE_URL, novnc_url_on(other.port))
        outcome = attempt(ovh_source())
        assert isinstance(outcome.error, AuthenticationFailed)
        assert str(outcome.error) == "the server refused the VNC password: Authentication failed"
        assert refusing.connections == 1
        assert other.accepted == 0
        assert fake.calls_to("POST", f"/vps/{VPS}/getConsoleUrl") == []
        assert outcome.progress == []


def test_a_server_that_hangs_up_before_the_greeting_does_not_fall_through(
    account: Account,
) -> None:
    fake = account.fake
    fake.add_vps(VPS)
    account.settings.remember_console_door(PROFILE, VPS, VNC)
    with CountingPort() as hangs_up, CountingPort() as other:
        fake.set_console(VPS, VNC, {"host": "127.0.0.1", "port": hangs_up.port})
        fake.set_console(VPS, GET_CONSOLE_URL, novnc_url_on(other.port))
        outcome = attempt(ovh_source())
        assert isinstance(outcome.error, ConnectFailed)
        assert not isinstance(outcome.error, Unreachable)
        assert "closed the connection before the VNC greeting" in str(outcome.error)
        assert (hangs_up.accepted, other.accepted) == (1, 0)


# -- the VNC door's port opens late --------------------------------------------------------------


def test_a_vnc_door_whose_port_opens_late_is_waited_for_with_progress(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_console, "PORT_RETRY_INTERVAL", 0.2)
    fake = account.fake
    fake.add_vps(VPS)
    fake.set_console(VPS, GET_CONSOLE_URL, Failure(400, None, "Not available"))
    with RfbServer() as screen, LatePort(1.0, screen.port) as late:
        fake.set_console(VPS, VNC, {"host": "127.0.0.1", "port": late.port, "password": "pw"})
        outcome = attempt(ovh_source(port_timeout=10))
        assert outcome.error is None
        assert outcome.door == VNC and screen.connections == 1
        assert 0.9 <= outcome.seconds < 3
        first, *_, last = outcome.progress
        assert (
            first == f"waiting for the VNC console port 127.0.0.1:{late.port} to open (0 s of 10 s)"
        )
        assert last == f"the VNC console port 127.0.0.1:{late.port} is open"
        assert len(outcome.progress) >= 3  # said again while waiting
        assert remembered() == VNC


def test_a_vnc_door_whose_port_never_opens_says_so_in_time(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_console, "PORT_RETRY_INTERVAL", 0.2)
    fake = account.fake
    fake.add_vps(VPS)
    port = closed_port()
    fake.set_console(VPS, GET_CONSOLE_URL, Failure(400, None, "Not available"))
    fake.set_console(VPS, VNC, {"host": "127.0.0.1", "port": port, "password": "pw"})
    outcome = attempt(ovh_source(port_timeout=0.6))
    assert isinstance(outcome.error, NoConsoleDoor)
    assert f"VNC: the VNC console port 127.0.0.1:{port} did not open within 0.6 s" in str(
        outcome.error
    )
    assert 0.6 <= outcome.seconds < 2


# -- plain VNC is said to be unencrypted ---------------------------------------------------------


def test_the_plain_vnc_door_is_unencrypted_and_the_command_line_says_so(
    account: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = account.fake
    fake.add_vps(VPS, displayName="web")
    with RfbServer() as screen:
        fake.set_console(VPS, VNC, {"host": "127.0.0.1", "port": screen.port, "password": "pw"})
        outcome = attempt(ovh_source())
        assert (outcome.door, outcome.encrypted) == (VNC, False)
        assert cli.main(["info", f"ovh:{VPS}", "--profile", PROFILE]) == 0
    out, err = capsys.readouterr()
    assert "name:         test server" in out
    assert err.splitlines() == [
        f"ovhkvm-desktop: unencrypted console: the VNC console of web ({VPS}) is plain VNC,"
        " without TLS (the older VPS range)"
    ]


def test_a_vnc_target_the_user_typed_is_not_warned_about(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with RfbServer() as screen:
        target = f"vnc://127.0.0.1:{screen.port}"
        outcome = attempt(parse_target(target))
        assert (outcome.door, outcome.encrypted, outcome.error) == (None, False, None)
        assert cli.main(["info", target]) == 0
    out, err = capsys.readouterr()
    assert "name:         test server" in out
    assert err == ""
