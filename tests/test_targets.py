"""TARGET forms from the command-line contract, turned into where and how to connect."""

import pytest

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.targets import parse_target, redact_target


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


SECRET = "sekret"


@pytest.mark.parametrize(
    "text",
    [
        # a mistyped scheme, with the password, a user and a password, a token
        "vnx://:sekret@192.0.2.1:5901",
        "vnx://admin:sekret@host",
        "vnx://host/websockify?token=sekret",
        # a port that is not a number, a port that is the password (the host forgotten)
        "vnc://:sekret@host:59o1",
        "vnc://:sekret",
        "vnc://admin:sekret@host:99999",
        # userinfo without a password (the user name is the secret), percent-encoded
        "vnc://sekret@host:99999",
        "vnc://:sek%72et@host:99999",
        "vnc://:s%65kret@",
        # a password holding characters a URL reserves (urllib splits it wrongly)
        "vnc://:sek/ret@host",
        "vnc://:sek?ret@host",
        "vnc://:sek#ret@host",
        # what urllib itself refuses, quoting the netloc in its own message
        "vnc://:sekret@ho\uff03st",
        "vnc://:sekret@[::1",
        # no '://'
        ":sekret@",
        ":sekret@host:99999",
        "sekret@host:x",
        # noVNC pages: token in the query, in `path`, under an encoded name, in the fragment
        "https://h:6080/index.html?token=sekret",
        "https://h:6080/vnc_lite.html?path=%3Ftoken%3Dsekret&port=x",
        "https://h:6080/index.html?%74oken=sekret",
        "https://h:6080/index.html?auth=sekret",
        "https://h:6080/index.html?sekret",
        "https://h:60x0/vnc.html#password=sekret",
        "http://:sekret@h/vnc.html?port=no",
        # WebSocket: token, password parameter, userinfo
        "ws://h:x/websockify?token=sekret",
        "wss://h:x/websockify?password=sekret",
        "wss://:sekret@h:x/",
        "ws://:sekret@/",
    ],
)
def test_a_bad_target_never_shows_its_password_or_token(text):
    with pytest.raises(ConsoleError) as info:
        parse_target(text)
    message = str(info.value)
    assert SECRET not in message and "sek" not in message, message
    assert "ret@" not in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("vnx://:sekret@192.0.2.1:5901", "unknown kind of target 'vnx://***@192.0.2.1:5901'"),
        ("vnc://:sekret@host:59o1", "the port in 'vnc://***@host:***' is not a number"),
        ("vnc://host:99999", "the port in 'vnc://host:99999' is not a number"),
        ("vnc://:sekret@ho\uff03st", "'vnc://***@ho\uff03st' is not a valid address"),
        (
            "https://h:6080/vnc_lite.html?path=%3Ftoken%3Dsekret&port=x",
            "the port in 'https://h:6080/vnc_lite.html?path=***&port=x' is not a number",
        ),
    ],
)
def test_a_bad_target_is_named_with_what_locates_it(text, words):
    with pytest.raises(ConsoleError) as info:
        parse_target(text)
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("vnc://:pw@h:5901", "vnc://***@h:5901"),
        ("127.0.0.1:5977", "127.0.0.1:5977"),
        ("user:pw@h", "***@h"),
        ("ws://h/ws%3Ftoken%3Dsecret", "ws://h/ws?token=***"),
        (
            "https://h/vnc.html?host=other&port=6081&encrypt=1&path=x",
            ("https://h/vnc.html?host=other&port=6081&encrypt=1&path=***"),
        ),
        ("https://h/vnc.html?host=a%40b", "https://h/vnc.html?host=***"),
        ("vnc://a\nb", "vnc://a\\nb"),
    ],
)
def test_redacted_targets_keep_where_and_hide_who(text, shown):
    assert redact_target(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "vnc://:secret@h:5900",
        "wss://:secret@h/websockify?token=secret",
        "https://h:6080/vnc_lite.html?path=%3Ftoken%3Dsecret",
        "http://h/vnc.html?password=secret&token=secret",
        "ws://h/ws%3Ftoken%3Dsecret",
    ],
)
def test_a_good_target_is_named_and_shown_without_its_secrets(text):
    target = parse_target(text)
    assert target.password == "secret" or target.token == "secret" or "secret" in target.url
    assert "secret" not in target.display
    assert "secret" not in repr(target) and "secret" not in str(target)
