"""The test bed works, proven without the project's client: QEMU's screendump shows the test card
pixel for pixel, the console guest's keymap turns injected scancodes into the layout's characters,
VNC authentication takes the QMP-set password, and websockify proxies QEMU's RFB greeting."""

from __future__ import annotations

import asyncio
import socket
import struct
import time

import numpy as np
import pytest
import websockets

from tests.e2e.testcard import bgrx_to_rgb, make_photo, make_testcard
from tests.testbed import TESTCARD_PASSWORD, QemuGuest, Websockify, read_ppm


@pytest.fixture(scope="session", autouse=True)
def _boot_console_fr_early(request) -> None:
    # Boot the fr console guest alongside the test-card guests, if a selected test needs it.
    mine = [i for i in request.session.items if str(i.path) == __file__]
    if any("console_guest" in item.fixturenames for item in mine):
        request.getfixturevalue("console_guest").prestart("fr")


def _diff_report(got: np.ndarray, want: np.ndarray) -> str:
    bad = np.argwhere((got != want).any(axis=-1))
    y, x = bad[0]
    return (
        f"{len(bad)} pixels differ; first at x={x} y={y}: got {got[y, x].tolist()}, "
        f"want {want[y, x].tolist()}"
    )


def test_testcard_screendump_is_the_testcard_and_stays(testcard_guest: QemuGuest, tmp_path):
    want = bgrx_to_rgb(make_testcard())
    first = read_ppm(testcard_guest.screendump(tmp_path / "a.ppm"))
    assert first.shape == (1080, 1920, 3)
    assert np.array_equal(first, want), _diff_report(first, want)
    time.sleep(1.0)
    second = read_ppm(testcard_guest.screendump(tmp_path / "b.ppm"))
    assert np.array_equal(second, want), "the screen changed: " + _diff_report(second, want)


def test_testcard_dimensions_match_vesafb(testcard_guest: QemuGuest):
    assert "OVHKVM-FB name=VESA VGA size=1920,1080 bpp=32 stride=7680" in (
        testcard_guest.serial_text()
    )


def test_scroll_guest_scrolls_and_paints_the_photo(testbed_guest_dir, tmp_path):
    # The photo (640x360) sits below the log, at x = (k * 337) % 1280 after k seconds; the latest
    # copy is whole (unless QEMU took the picture in the middle of a copy: look again).
    photo = bgrx_to_rgb(make_photo(640, 360))
    xs = [(k * 337) % (1920 - 640) for k in range(1, 200)]
    # Its own short-lived guest: a scrolling guest keeps a core busy.
    with QemuGuest(mode="scroll", directory=testbed_guest_dir, boot_timeout=120) as guest:
        time.sleep(2.5)
        first = read_ppm(guest.screendump(tmp_path / "a.ppm"))
        for attempt in range(3):
            time.sleep(0.5)
            second = read_ppm(guest.screendump(tmp_path / f"b{attempt}.ppm"))
            if any(np.array_equal(second[720:1080, x : x + 640], photo) for x in xs):
                break
        else:
            pytest.fail("no whole copy of the photo below the log")
    assert first.shape == (1080, 1920, 3)
    assert not np.array_equal(first[:700], second[:700]), "the log does not scroll"
    assert len(np.unique(first[:700].reshape(-1, 3), axis=0)) >= 8, "the log has no colours"


def test_console_fr_keymap_turns_scancodes_into_azerty(console_guest):
    guest = console_guest("fr")
    assert "OVHKVM-KEYMAP fr" in guest.serial_text()
    mark = guest.serial_mark()
    # Positions of a US keyboard: q w a m 2 shift+1 ret → on AZERTY: a z q , é 1 CR.
    guest.send_key("q", "w", "a", "m", "2", "shift+1", "ret")
    got = guest.wait_for_received(b"azq,\xc3\xa91\r", since=mark)
    assert got == "azq,é1\r".encode()
    log = guest.serial_text()[mark:]
    assert "KEY 61\r\n" in log or "KEY 61\n" in log
    assert "KEY c3" in log and "KEY a9" in log


def _rfb_security_types(host: str, port: int) -> tuple[bytes, list[int], socket.socket]:
    s = socket.create_connection((host, port), timeout=10)
    greeting = _recv_exact(s, 12)
    s.sendall(b"RFB 003.008\n")
    (count,) = _recv_exact(s, 1)
    return greeting, list(_recv_exact(s, count)), s


def _recv_exact(s: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    return data


def _vnc_response(password: str, challenge: bytes) -> bytes:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    key = password.encode("latin-1")[:8].ljust(8, b"\0")
    key = bytes(int(f"{b:08b}"[::-1], 2) for b in key)  # VNC's bit-reversed DES key
    enc = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()  # 3DES with K1=K2=K3 is DES
    return enc.update(challenge) + enc.finalize()


@pytest.mark.parametrize(("password", "result"), [(TESTCARD_PASSWORD, 0), ("wrong", 1)])
def test_password_guest_requires_the_qmp_set_password(testcard_guest_password, password, result):
    guest = testcard_guest_password
    greeting, types, s = _rfb_security_types(guest.host, guest.port)
    with s:
        assert greeting == b"RFB 003.008\n"
        assert types == [2]  # VNC authentication only
        s.sendall(b"\x02")
        challenge = _recv_exact(s, 16)
        s.sendall(_vnc_response(password, challenge))
        (status,) = struct.unpack(">I", _recv_exact(s, 4))
        assert status == result


def test_testcard_guest_has_no_authentication(testcard_guest):
    greeting, types, s = _rfb_security_types(testcard_guest.host, testcard_guest.port)
    s.close()
    assert greeting == b"RFB 003.008\n"
    assert types == [1]


async def _ws_greeting(url: str, **kwargs) -> bytes:
    async with websockets.connect(url, subprotocols=["binary"], open_timeout=15, **kwargs) as ws:
        assert ws.subprotocol == "binary"
        assert "Origin" not in ws.request.headers
        data = await asyncio.wait_for(ws.recv(), 15)
        assert isinstance(data, bytes)
        return data


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_websockify_proxies_the_rfb_greeting(testcard_guest, websockify_for, tls):
    ws: Websockify = websockify_for(testcard_guest, token="tok", tls=tls)
    url = ws.url("tok")
    assert url.startswith("wss://" if tls else "ws://")
    kwargs = {"ssl": ws.ssl_context()} if tls else {}
    assert asyncio.run(_ws_greeting(url, **kwargs)) == b"RFB 003.008\n"


def test_websockify_refuses_an_unknown_token(testcard_guest, websockify_for):
    ws = websockify_for(testcard_guest, token="tok")

    async def attempt() -> None:
        async with websockets.connect(
            ws.url("nope"), subprotocols=["binary"], open_timeout=15
        ) as c:
            await asyncio.wait_for(c.recv(), 15)

    with pytest.raises((websockets.exceptions.WebSocketException, OSError)):
        asyncio.run(attempt())
