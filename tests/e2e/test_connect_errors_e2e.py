"""What the user reads when a console cannot be reached or refuses them: one line, no traceback,
a non-zero exit status."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_console_e2e import run_cli
from tests.testbed import TESTCARD_PASSWORD, free_port


def assert_one_line_error(result, *words: str) -> None:
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_wrong_password_is_refused_in_words(testcard_guest_password):
    guest = testcard_guest_password
    result = run_cli("info", f"{guest.host}:{guest.port}", "--password-stdin", stdin="wrong\n")
    assert_one_line_error(result, "refused the VNC password")
    assert "wrong" not in result.stderr  # the password itself is never echoed


def test_missing_password_says_how_to_give_one(testcard_guest_password):
    guest = testcard_guest_password
    result = run_cli("info", f"{guest.host}:{guest.port}")
    assert_one_line_error(result, "asks for a VNC password", "--password-stdin")


def test_password_from_the_environment(testcard_guest_password):
    guest = testcard_guest_password
    result = run_cli(
        "info",
        f"vnc://{guest.host}:{guest.port}",
        "--json",
        env={"OVHKVM_VNC_PASSWORD": TESTCARD_PASSWORD},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["security"] == "vnc"


def test_closed_port_is_a_refused_connection():
    result = run_cli("screenshot", f"127.0.0.1:{free_port()}", "/tmp/never.png")
    assert_one_line_error(result, "refused the connection")


def test_unknown_host():
    result = run_cli("info", "vnc://no-such-host.invalid:5900", "--timeout", "5")
    assert_one_line_error(result, "cannot find the host")


def test_not_a_vnc_server(websockify_for, testcard_guest):
    ws = websockify_for(testcard_guest)
    # websockify's own port speaks HTTP, not RFB, to a plain TCP client.
    result = run_cli("info", f"127.0.0.1:{ws.port}", "--timeout", "5")
    assert_one_line_error(result)


def test_wss_with_the_proxy_ca_file(websockify_for, testcard_guest, tmp_path):
    ws = websockify_for(testcard_guest, token="t", tls=True)
    result = run_cli("info", ws.url("t"), "--json", "--ca-file", str(ws.ca_file))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["width"] == 1920


def test_wss_with_an_untrusted_certificate_says_so(websockify_for, testcard_guest):
    ws = websockify_for(testcard_guest, token="t", tls=True)
    result = run_cli("info", ws.url("t"))
    assert_one_line_error(result, "TLS certificate", "could not be verified", "--ca-file")


def test_unknown_console_token_is_reported(websockify_for, testcard_guest):
    ws = websockify_for(testcard_guest, token="good")
    result = run_cli("info", ws.url("bad-token"), "--timeout", "10")
    assert_one_line_error(result, "token")
    assert "1006" not in result.stderr


@pytest.mark.parametrize("page", ["vnc.html", "vnc_lite.html"])
def test_novnc_pages_with_a_path_parameter(websockify_for, testcard_guest, page):
    ws = websockify_for(testcard_guest, token="p")
    url = f"http://127.0.0.1:{ws.port}/{page}?path=websockify%3Ftoken%3Dp"
    result = run_cli("info", url, "--json")
    assert result.returncode == 0, result.stderr
