"""TARGET forms from the command-line contract, turned into where and how to connect."""

import pytest

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.targets import parse_target


@pytest.mark.parametrize(
    ("text", "host", "port", "password"),
    [
        ("vnc://example.net", "example.net", 5900, None),
        ("vnc://example.net:5901", "example.net", 5901, None),
        ("vnc://:s3cret@10.1.2.3:5902", "10.1.2.3", 5902, "s3cret"),
        ("vnc://:p%40ss%3Aword@h:1", "h", 1, "p@ss:word"),
        ("127.0.0.1:5977", "127.0.0.1", 5977, None),
        ("myvps.example", "myvps.example", 5900, None),
        ("vnc://[::1]:5905", "::1", 5905, None),
    ],
)
def test_tcp_targets(text, host, port, password):
    target = parse_target(text)
    assert (target.transport, target.host, target.port, target.password) == (
        "tcp",
        host,
        port,
        password,
    )


def test_websocket_target_keeps_path_and_token_and_drops_password_from_url():
    target = parse_target("wss://:pw@console.example:6080/websockify?token=abc")
    assert target.transport == "websocket"
    assert target.url == "wss://console.example:6080/websockify?token=abc"
    assert target.password == "pw"
    assert target.token == "abc"
    assert "abc" not in target.display and "pw" not in target.display


@pytest.mark.parametrize(
    ("page", "url"),
    [
        # nova's classic page: token in the query, websocket at /websockify.
        (
            "https://compute.sbg1.cloud.ovh.net:6080/vnc_auto.html?token=T0k-en",
            "wss://compute.sbg1.cloud.ovh.net:6080/websockify?token=T0k-en",
        ),
        # newer nova: the token inside the `path` parameter.
        (
            "https://compute.gra1.cloud.ovh.net:6080/vnc_lite.html?path=%3Ftoken%3DT2",
            "wss://compute.gra1.cloud.ovh.net:6080/?token=T2",
        ),
        ("http://127.0.0.1:6080/vnc.html?token=x", "ws://127.0.0.1:6080/websockify?token=x"),
        (
            "http://proxy:80/vnc.html?host=other&port=6081&path=ws%3Ftoken%3Dq&encrypt=1",
            "wss://other:6081/ws?token=q",
        ),
        ("https://h:6080/vnc_auto.html", "wss://h:6080/websockify"),
    ],
)
def test_novnc_page_becomes_the_websocket_url_nova_serves(page, url):
    target = parse_target(page)
    assert target.transport == "websocket"
    assert target.url == url


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ftp://host/", "unknown kind of target"),
        ("https://host/index.html?token=secret", "not a noVNC console page"),
        ("vnc://host:99999", "not a number"),
        ("vnc://:pw@", "no host"),
    ],
)
def test_bad_targets_say_what_is_wrong_without_secrets(text, words):
    with pytest.raises(ConsoleError) as info:
        parse_target(text)
    assert words in str(info.value)
    assert "secret" not in str(info.value)
    assert "pw" not in str(info.value)
