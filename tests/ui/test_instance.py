"""One app per user: real processes of the app on a real local socket. A second start reaches the
first and ends; `open TARGET` while the app runs opens the console in the running app (its session
reaches a real RFB server); a socket left by a killed app does not block the next start; the
messages are checked on the app's side."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalSocket

from ovhkvm_desktop.opening import ConsoleRequest
from ovhkvm_desktop.session import SessionOptions
from ovhkvm_desktop.ui.instance import (
    OPEN,
    PROTOCOL_VERSION,
    AppRequest,
    InstanceServer,
    decode,
    encode,
    hand_off,
    socket_name,
)
from tests.ui.rfb_server import RfbServer

#: A start that hands off is quick; an app that starts has Qt to load (2 busy cores).
HAND_OFF_S = 20.0


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private runtime directory, short enough for a socket path (sun_path: 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="ovhkvm-rt-"))
    path.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def start(*args: str, **environment: str) -> subprocess.Popen[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1", **environment)
    return subprocess.Popen(
        [sys.executable, "-m", "ovhkvm_desktop", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def answering(name: str) -> bool:
    socket = QLocalSocket()
    socket.connectToServer(name)
    ok = socket.waitForConnected(200)
    socket.abort()
    return ok


def wait_listening(app: subprocess.Popen[str], name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert app.poll() is None, f"the app ended: {app.communicate()[1]}"
        if answering(name):
            return
        time.sleep(0.1)
    raise AssertionError("the app never listened")


def stop(app: subprocess.Popen[str]) -> str:
    if app.poll() is None:
        app.terminate()
    try:
        return app.communicate(timeout=15)[1]
    except subprocess.TimeoutExpired:
        app.kill()
        return app.communicate()[1]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "ovhkvm-desktop is already running: its window is shown"),
        ("fr", "ovhkvm-desktop est déjà lancé : sa fenêtre est affichée"),
    ],
)
def test_a_second_start_reaches_the_first_app_and_ends(
    runtime: Path, language: str, said: str
) -> None:
    name = socket_name()
    assert name.startswith(str(runtime))
    first = start()
    try:
        wait_listening(first, name)
        second = start(LANGUAGE=language)
        _, err = second.communicate(timeout=HAND_OFF_S)
        assert second.returncode == 0
        assert err == f"ovhkvm-desktop: {said}\n"
        assert first.poll() is None  # the first app runs on, the one app
    finally:
        stop(first)
    assert not answering(name)


def test_open_while_the_app_runs_opens_the_console_in_the_app(runtime: Path) -> None:
    name = socket_name()
    first = start()
    try:
        wait_listening(first, name)
        with RfbServer(320, 200) as server:
            opener = start("open", f"vnc://127.0.0.1:{server.port}", "--layout", "fr")
            _, err = opener.communicate(timeout=HAND_OFF_S)
            assert opener.returncode == 0, err
            assert "the running ovhkvm-desktop opens the console" in err
            # The running app's console connects to the server and asks for its screen.
            deadline = time.monotonic() + 20
            while server.connections < 1 or not server.messages():
                assert time.monotonic() < deadline, "the running app never connected"
                time.sleep(0.1)
            assert first.poll() is None
    finally:
        stop(first)


def test_a_socket_left_by_a_killed_app_does_not_block_the_next_start(runtime: Path) -> None:
    name = socket_name()
    killed = start()
    wait_listening(killed, name)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    assert Path(name).exists()  # the dead app's socket file is still there
    assert not answering(name)
    again = start()
    try:
        wait_listening(again, name)  # it listens in place of the dead socket
        third = start()
        third.communicate(timeout=HAND_OFF_S)
        assert third.returncode == 0
        assert again.poll() is None
    finally:
        stop(again)


def test_no_app_running_is_no_hand_off(runtime: Path) -> None:
    assert hand_off(AppRequest()) is False


def test_the_socket_is_the_users_alone(runtime: Path, qtbot) -> None:
    server = InstanceServer(socket_name())
    try:
        assert server.listen()
        mode = Path(socket_name()).stat().st_mode & 0o777
        assert mode & 0o077 == 0, oct(mode)
    finally:
        server.close()


def test_an_open_request_survives_the_trip_secrets_included() -> None:
    request = ConsoleRequest(
        "vnc://127.0.0.1:5901",
        layout="fr",
        options=SessionOptions(password="s3cret", timeout=7.5, encodings=(7, 16, 0)),
    )
    line = encode(AppRequest(OPEN, request, {"fullscreen": True, "scale": "actual"}))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    message = json.loads(line)
    assert message["version"] == PROTOCOL_VERSION
    back = decode(line.rstrip(b"\n"))
    assert back.console == request
    assert back.view == {"fullscreen": True, "scale": "actual"}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b"not json", "not a JSON message"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"version": 99, "action": "show"}', "protocol version 99, not 1"),
        (b'{"version": 1, "action": "format-disk"}', "unknown action 'format-disk'"),
        (b'{"version": 1, "action": "open"}', "open without a target"),
        (
            b'{"version": 1, "action": "open", "target": "vnc://h", "encodings": [],'
            b' "keyboard": "telepathy"}',
            "'telepathy' is not a valid KeyboardMode",
        ),
    ],
)
def test_a_bad_message_is_refused_in_words(line: bytes, problem: str) -> None:
    with pytest.raises(ValueError) as error:
        decode(line)
    assert str(error.value) == problem


def test_the_running_app_answers_a_bad_message_and_carries_on(runtime: Path, qtbot) -> None:
    server = InstanceServer(socket_name())
    received: list[AppRequest] = []
    server.requested.connect(received.append)
    assert server.listen()
    try:
        socket = QLocalSocket()
        socket.connectToServer(socket_name())
        assert socket.waitForConnected(1000)
        socket.write(b'{"version": 2, "action": "show"}\n')
        answer = bytearray()

        def answered() -> bool:
            answer.extend(bytes(socket.readAll().data()))
            return b"\n" in answer

        qtbot.waitUntil(answered)
        assert json.loads(bytes(answer)) == {
            "version": 1,
            "ok": False,
            "error": "protocol version 2, not 1",
        }
        assert received == []
        socket.abort()
        # A good one after it is taken (from another process, as a second start does).
        client = subprocess.Popen(
            [sys.executable, "-c", "from ovhkvm_desktop.ui.instance import AppRequest, hand_off;"
             " print(hand_off(AppRequest()))"],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        qtbot.waitUntil(lambda: client.poll() is not None, timeout=int(HAND_OFF_S * 1000))
        assert client.communicate()[0] == "True\n"
        assert received == [AppRequest()]
    finally:
        server.close()


def test_open_with_a_bad_target_while_the_app_runs_says_so_in_one_line(runtime: Path) -> None:
    name = socket_name()
    first = start()
    try:
        wait_listening(first, name)
        opener = start("open", "ftp://127.0.0.1")
        _, err = opener.communicate(timeout=HAND_OFF_S)
        assert opener.returncode == 1
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert err.startswith("ovhkvm-desktop: ") and "ftp" in err
        assert first.poll() is None
    finally:
        stop(first)


def test_a_bad_target_from_another_sender_is_said_in_the_window(qtbot) -> None:
    from ovhkvm_desktop.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.open_request(ConsoleRequest("ftp://127.0.0.1"))
    assert window.isVisible()
    assert window.message_bar.text() == (
        "Unknown kind of target 'ftp://127.0.0.1': use vnc://, ws://, wss:// or a noVNC URL"
    )
    window.quitting = True
    window.close()
