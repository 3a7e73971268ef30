"""After a full flow — login (consumer key and OAuth2), servers, every console door, rescue —
no secret is in the config directory, in the logs (captured at DEBUG) or in what was printed."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import socket
import threading

import keyring.core
import pytest

from ovhkvm_desktop import cli
from tests.cloud.fake_api import FakeOvhApi

VPS = "vps-1.vps.ovh.net"


def run_cli(monkeypatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(list(args))


def validate_when_asked(fake: FakeOvhApi) -> threading.Thread:
    def loop() -> None:
        for _ in range(100):
            with fake.lock:
                pending = [c for c in fake.credentials.values() if c.status != "validated"]
            if pending:
                fake.validate(pending[0].consumer_key)
                return
            threading.Event().wait(0.05)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def tls_fake(tmp_path, monkeypatch):
    from tests.testbed import _make_tls_files

    ca, cert, key = _make_tls_files(tmp_path)
    with FakeOvhApi(tls_files=(cert, key), task_seconds=0.3) as api:
        monkeypatch.setenv("OVHKVM_API_URL", api.base_url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
        yield api


def test_no_secret_anywhere_after_a_full_flow(
    tls_fake, memory_keyring, monkeypatch, capsys, caplog, tmp_path
):
    fake = tls_fake
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(keyring.core, "_keyring_backend", memory_keyring)
    key, secret = fake.add_application()
    client_id, client_secret = fake.add_service_account()
    fake.add_vps(VPS, keymap="fr")
    fake.add_vps("old.vps.ovh.net", model={"version": "2014v1"})
    fake.add_dedicated("ns1.ip-1-2-3.eu")
    fake.set_console(VPS, "getConsoleUrl", "https://h:6080/vnc_auto.html?token=nova-token-secret")
    fake.set_console(VPS, "VNCOverWebSocket", {"host": "h", "port": 1, "password": "ws-pass-x"})
    listener = socket.create_server(("127.0.0.1", 0))  # the VNC door's port, open
    vnc_port = listener.getsockname()[1]
    fake.set_console(VPS, "VNC", {"host": "127.0.0.1", "port": vnc_port, "password": "vnc-pass-y"})

    validate_when_asked(fake)
    assert run_cli(
        monkeypatch, "login", "--profile", "work", "--endpoint", "ovh-eu",
        "--application-key", key, "--no-browser", "--poll-interval", "0.1",
        stdin=secret + "\n",
    ) == 0  # fmt: skip
    assert run_cli(
        monkeypatch, "login", "--profile", "robot", "--endpoint", "ovh-eu", "--oauth2",
        "--client-id", client_id, stdin=client_secret + "\n",
    ) == 0  # fmt: skip
    assert run_cli(monkeypatch, "servers", "--profile", "work", "--json") == 0
    assert run_cli(monkeypatch, "servers", "--profile", "robot") == 0
    assert run_cli(monkeypatch, "rescue", "old.vps.ovh.net", "--profile", "work", "--yes",
                   "--poll-interval", "0.1") == 0  # fmt: skip

    from ovhkvm_desktop.opening import ConsoleRequest, open_console

    opening = open_console(ConsoleRequest(f"ovh:{VPS}", "work"))

    async def every_door() -> None:  # as failed connections would move through them
        async for door in opening.source.doors():
            logging.getLogger("test").debug("connected to %s", door.target.display)

    asyncio.run(every_door())
    assert opening.layout == "fr"
    listener.close()

    consumer_key = next(iter(memory_keyring.entries.values()))
    secrets = [
        secret,
        client_secret,
        base64.b64encode(f"{client_id}:{client_secret}".encode()).decode(),
        "nova-token-secret",
        "ws-pass-x",
        "vnc-pass-y",
        *fake.access_tokens,
        *[c.consumer_key for c in fake.credentials.values()],
        consumer_key,
    ]
    printed = capsys.readouterr()
    logs = caplog.text
    assert "GET /vps" in logs  # the logs were captured
    files = [p for p in (tmp_path / "config").rglob("*") if p.is_file()]
    assert files
    for value in secrets:
        assert value not in printed.out and value not in printed.err, "printed"
        assert value not in logs, "logged"
        for path in files:
            assert value not in path.read_text(), f"written to {path}"
