"""`ovh:SERVICE` end to end: the command line asks the fake OVHcloud API (OVHKVM_API_URL) for
the console, and reaches the QEMU test guest through each of the three doors:

- getConsoleUrl → a noVNC page URL on websockify (TLS, a fresh token per call) → the test card;
- openConsoleAccess VNCOverWebSocket → wss://host:port/ (websockify, no token) → the test card
  behind the VNC password the API handed out;
- openConsoleAccess VNC → the guest's TCP port and password, also when the port opens late.

`type ovh:SERVICE` types in the VPS keymap's layout into a console guest with QEMU's -k fr.
After all of it, no secret is in the config directory nor in anything the runs printed.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ovhkvm_desktop.cloud.client import ACCESS_RULES
from tests.cloud.cli import CliEnv
from tests.cloud.fake_api import Failure, FakeOvhApi
from tests.e2e.testcard import make_testcard
from tests.testbed import (
    TESTCARD_PASSWORD,
    BedError,
    _make_tls_files,
    _popen,
    _stop,
    _wait_port,
    free_port,
)

VPS = "vps-e2e.vps.ovh.net"


@pytest.fixture(scope="module")
def testcard_rgb() -> np.ndarray:
    return make_testcard()[:, :, 2::-1].copy()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOvhApi]:
    with FakeOvhApi() as api:
        yield api


@pytest.fixture(scope="module")
def cli(fake: FakeOvhApi) -> Iterator[CliEnv]:
    """A logged-in profile (its secrets in the test keyring file) for the whole module."""
    tmp = Path(tempfile.mkdtemp(prefix="ovhkvm-ovh-e2e-"))
    env = CliEnv(tmp, fake.base_url)
    key, secret = fake.add_application()
    consumer = fake.add_credential(key, [r.as_json() for r in ACCESS_RULES])
    env.secret_values = [secret, consumer]  # type: ignore[attr-defined]
    result = env.run(
        "login", "--profile", "e2e", "--endpoint", "ovh-eu", "--application-key", key,
        "--consumer-key-stdin", stdin=f"{secret}\n{consumer}\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    yield env
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def vps(fake: FakeOvhApi) -> Iterator[str]:
    """The VPS, with no door until the test opens one (and forgetting the remembered door)."""
    fake.add_vps(VPS, keymap=None)
    fake.consoles[VPS] = {}
    yield VPS
    fake.consoles[VPS] = {}


def forget_doors(cli: CliEnv) -> None:
    import json

    path = cli.config_dir / "config.json"
    data = json.loads(path.read_text())
    data.pop("console_doors", None)
    path.write_text(json.dumps(data))


def shows_testcard(png: Path, expected: np.ndarray) -> None:
    got = np.asarray(Image.open(png).convert("RGB"))
    assert got.shape == expected.shape
    wrong = np.argwhere((got != expected).any(axis=2))
    assert len(wrong) == 0, f"{len(wrong)} pixels differ, first at (y, x) {tuple(wrong[0])}"


def screenshot(cli: CliEnv, tmp_path: Path, *extra: str):
    out = tmp_path / "shot.png"
    result = cli.run("screenshot", f"ovh:{VPS}", str(out), *extra, timeout=120)
    return result, out


class PathlessWebsockify:
    """websockify with TLS in front of one VNC server, on any path, without token: how
    `openConsoleAccess` VNCOverWebSocket hands a console out (host, port, password)."""

    def __init__(self, host: str, port: int) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="ovhkvm-ws-plain-"))
        self.ca_file, cert, key = _make_tls_files(self.tmp)
        binary = shutil.which("websockify")
        if binary is None:
            pytest.fail("websockify is not installed: run tools/testbed/install-deps.sh")
        self.port = free_port()
        args = [binary, "--cert", str(cert), "--key", str(key), "--ssl-only"]
        self.proc = _popen([*args, f"127.0.0.1:{self.port}", f"{host}:{port}"], self.tmp / "log")
        if not _wait_port("127.0.0.1", self.port, time.monotonic() + 20, self.alive):
            self.close()
            pytest.fail("websockify did not start")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        _stop(self.proc)
        shutil.rmtree(self.tmp, ignore_errors=True)


class LateForwarder:
    """A TCP port that opens only after `delay` seconds, then forwards to the guest (the VNC
    door's port takes a while to open)."""

    def __init__(self, target: tuple[str, int], delay: float) -> None:
        self.port = free_port()
        self.target = target
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(delay,), daemon=True)
        self._thread.start()

    def _serve(self, delay: float) -> None:
        if self._stop.wait(delay):
            return
        server = socket.create_server(("127.0.0.1", self.port))
        server.settimeout(0.2)
        with server:
            while not self._stop.is_set():
                try:
                    client, _ = server.accept()
                except TimeoutError:
                    continue
                upstream = socket.create_connection(self.target)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def test_screenshot_through_get_console_url(
    cli, fake, vps, testcard_guest, websockify_for, tmp_path, testcard_rgb
):
    ws = websockify_for({}, tls=True)
    tokens = (f"nova-{i}" for i in itertools.count())
    issued: list[str] = []

    def console_url() -> str:
        token = next(tokens)
        ws.set_target(token, testcard_guest.host, testcard_guest.port)
        issued.append(token)
        return f"https://127.0.0.1:{ws.port}/vnc_auto.html?token={token}"

    fake.set_console(VPS, "getConsoleUrl", console_url)
    fake.set_console(VPS, "VNC", Failure(500, None, "must not be asked"))
    for _ in range(2):
        result, png = screenshot(cli, tmp_path, "--ca-file", str(ws.ca_file))
        assert result.returncode == 0, result.stderr
        shows_testcard(png, testcard_rgb)
    assert issued == ["nova-0", "nova-1"]  # a fresh console for every connect


def test_screenshot_through_vnc_over_websocket_with_the_apis_password(
    cli, fake, vps, testcard_guest_password, tmp_path, testcard_rgb
):
    forget_doors(cli)
    guest = testcard_guest_password
    proxy = PathlessWebsockify(guest.host, guest.port)
    try:
        fake.set_console(VPS, "getConsoleUrl", Failure(400, None, "Not available for this VPS"))
        fake.set_console(
            VPS,
            "VNCOverWebSocket",
            {"host": "127.0.0.1", "port": proxy.port, "password": TESTCARD_PASSWORD},
        )
        result, png = screenshot(cli, tmp_path, "--ca-file", str(proxy.ca_file))
        assert result.returncode == 0, result.stderr
        shows_testcard(png, testcard_rgb)
        # The door that worked is tried first next time.
        asked = len(fake.calls_to("POST", f"/vps/{VPS}/getConsoleUrl"))
        result, png = screenshot(cli, tmp_path, "--ca-file", str(proxy.ca_file))
        assert result.returncode == 0, result.stderr
        assert len(fake.calls_to("POST", f"/vps/{VPS}/getConsoleUrl")) == asked
    finally:
        proxy.close()


def test_screenshot_through_vnc_with_the_apis_password(
    cli, fake, vps, testcard_guest_password, tmp_path, testcard_rgb
):
    forget_doors(cli)
    guest = testcard_guest_password
    fake.set_console(VPS, "getConsoleUrl", Failure(400, None, "Not available for this VPS"))
    fake.set_console(VPS, "VNCOverWebSocket", Failure(400, None, "Not available for this VPS"))
    fake.set_console(
        VPS, "VNC", {"host": guest.host, "port": guest.port, "password": TESTCARD_PASSWORD}
    )
    result, png = screenshot(cli, tmp_path)
    assert result.returncode == 0, result.stderr
    shows_testcard(png, testcard_rgb)


def test_the_vnc_port_that_opens_late_is_waited_for(
    cli, fake, vps, testcard_guest_password, tmp_path, testcard_rgb
):
    forget_doors(cli)
    guest = testcard_guest_password
    late = LateForwarder((guest.host, guest.port), delay=3.0)
    try:
        fake.set_console(VPS, "getConsoleUrl", Failure(400, None, "Not available"))
        fake.set_console(VPS, "VNCOverWebSocket", Failure(400, None, "Not available"))
        fake.set_console(
            VPS, "VNC", {"host": "127.0.0.1", "port": late.port, "password": TESTCARD_PASSWORD}
        )
        result, png = screenshot(cli, tmp_path)
        assert result.returncode == 0, result.stderr
        assert f"waiting for the VNC console port 127.0.0.1:{late.port} to open" in result.stderr
        assert f"the VNC console port 127.0.0.1:{late.port} is open" in result.stderr
        shows_testcard(png, testcard_rgb)
    finally:
        late.close()


def test_a_door_that_does_not_connect_falls_to_the_next(
    cli, fake, vps, testcard_guest, tmp_path, testcard_rgb
):
    forget_doors(cli)
    fake.set_console(
        VPS, "getConsoleUrl", f"http://127.0.0.1:{free_port()}/vnc_auto.html?token=dead"
    )
    fake.set_console(VPS, "VNCOverWebSocket", Failure(400, None, "Not available"))
    fake.set_console(
        VPS, "VNC", {"host": testcard_guest.host, "port": testcard_guest.port, "password": "x"}
    )
    result, png = screenshot(cli, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "the getConsoleUrl console did not connect" in result.stderr
    shows_testcard(png, testcard_rgb)


def test_info_reaches_the_guest_and_an_unknown_vps_is_said(cli, fake, vps, testcard_guest):
    forget_doors(cli)
    fake.set_console(
        VPS, "VNC", {"host": testcard_guest.host, "port": testcard_guest.port, "password": "x"}
    )
    fake.set_console(VPS, "getConsoleUrl", Failure(400, None, "Not available"))
    fake.set_console(VPS, "VNCOverWebSocket", Failure(400, None, "Not available"))
    result = cli.run("info", f"ovh:{VPS}", "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"width": 1920' in result.stdout
    missing = cli.run("info", "ovh:nope.vps.ovh.net")
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        "ovhkvm-desktop: there is no VPS 'nope.vps.ovh.net' in the account of the profile 'e2e':"
        " The requested object (serviceName = nope.vps.ovh.net) does not exist"
        " (see 'ovhkvm-desktop servers')"
    )


def test_type_uses_the_vps_keymap_for_layout_and_server_keymap(cli, fake, vps, console_guest):
    forget_doors(cli)
    guest = console_guest("fr", qemu_keymap="fr")
    fake.vps[VPS]["keymap"] = "fr"
    fake.set_console(VPS, "getConsoleUrl", Failure(400, None, "Not available"))
    fake.set_console(VPS, "VNCOverWebSocket", Failure(400, None, "Not available"))
    fake.set_console(VPS, "VNC", {"host": guest.host, "port": guest.port, "password": "x"})
    text = "azerty-qwerty 1234 m,;:!"
    mark = guest.serial_mark()
    result = cli.run("type", f"ovh:{VPS}", "--text", text, timeout=120)
    assert result.returncode == 0, result.stderr
    try:
        received = guest.wait_for_received(text.encode(), since=mark, timeout=20)
    except BedError as e:
        pytest.fail(str(e))
    assert received == text.encode()


def test_no_secret_in_the_config_dir_nor_in_what_the_runs_printed(cli, fake):
    """Runs last in this module: after the login, servers, every door, info and type."""
    listed = cli.run("servers", "--json")
    assert listed.returncode == 0, listed.stderr
    secrets = list(cli.secret_values)  # type: ignore[attr-defined]
    secrets.append(TESTCARD_PASSWORD)
    for answer in fake.consoles.get(VPS, {}).values():
        if isinstance(answer, dict) and answer.get("password"):
            secrets.append(answer["password"])
    files = [p for p in cli.config_dir.rglob("*") if p.is_file()]
    assert files, "the config directory is empty"
    for path in files:
        text = path.read_text(errors="replace")
        for secret in secrets:
            assert secret not in text, f"a secret is in {path}"
    for output in cli.outputs:
        for secret in secrets:
            assert secret not in output, "a secret was printed"
    # The nova tokens are secrets too: no run printed one.
    assert not any("nova-" in output for output in cli.outputs)
