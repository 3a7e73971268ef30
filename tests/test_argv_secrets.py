"""A target's password or token given on the command line stays out of /proc/PID/cmdline (every
local user reads it): the program starts itself again with the target redacted, and the real
target still reaches the connection. The end-to-end test starts the command line for real (as
`python -m ovhkvm_desktop` and as the `ovhkvm-desktop` console script) against a VNC server that
asks for a password, reads the client's /proc/PID/cmdline while it waits for the verdict, and
checks the VNC response against the password; the handed-over password is not left in
/proc/PID/environ either."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ovhkvm_desktop import argv_secrets
from ovhkvm_desktop.argv_secrets import (
    ENVIRONMENT_VARIABLE,
    hide_target_secrets,
    restart_command,
    restore,
    secret_arguments,
)

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "sekret"

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="Linux only (a no-op elsewhere)"
)


def never(path: str, command: list[str]) -> None:
    raise AssertionError(f"started again: {command}")


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test is a process of its own: nothing restored before, no variable handed over."""
    monkeypatch.setattr(argv_secrets, "_restored", None)
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)


# -- which arguments, and how to start again --------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "hidden"),
    [
        (["info", "vnc://:sekret@h:5901"], {1: "vnc://***@h:5901"}),
        (["open", "--", ":sekret@h"], {2: "***@h"}),
        (["open", "--fullscreen", "wss://h/websockify?token=sekret"], {2: "wss://h/websockify?token=***"}),
        (["screenshot", "https://h/vnc_lite.html?path=%3Ftoken%3Dsekret", "a.png"], {1: "https://h/vnc_lite.html?path=***"}),
        (["type", "ws://u:sekret@h/", "--text", "hello"], {1: "ws://***@h/"}),
        (["read", "http://h/vnc.html?password=sekret"], {1: "http://h/vnc.html?password=***"}),
        (["wait", "vnc://h", "--for", "login:"], {}),
        (["info", "127.0.0.1:5900", "--json"], {}),
        (["info", "vnc://***@h:5901"], {}),  # already redacted: never again (no loop)
        (["open", "vnc://h\n"], {}),  # what redaction changes but hides nothing
        (["login", "--application-key", "ak@x"], {}),  # not a console command
        (["--version"], {}),
        ([], {}),
    ],
)  # fmt: skip
def test_the_arguments_that_carry_a_secret_are_found(arguments, hidden):
    assert secret_arguments(arguments) == hidden


def test_starting_again_keeps_the_interpreter_its_options_and_the_module():
    args = ["info", "vnc://***@h"]
    # python -X utf8 -m ovhkvm_desktop info vnc://:pw@h
    assert restart_command(
        args,
        argv=["/r/ovhkvm_desktop/__main__.py", "info", "vnc://:pw@h"],
        orig_argv=["python3", "-X", "utf8", "-m", "ovhkvm_desktop", "info", "vnc://:pw@h"],
        executable="/venv/bin/python",
        frozen=False,
    ) == ["/venv/bin/python", "-X", "utf8", "-m", "ovhkvm_desktop", "info", "vnc://***@h"]
    # the console script: the kernel ran its shebang's interpreter on it
    assert restart_command(
        args,
        argv=["/venv/bin/ovhkvm-desktop", "info", "vnc://:pw@h"],
        orig_argv=["/venv/bin/python", "/venv/bin/ovhkvm-desktop", "info", "vnc://:pw@h"],
        executable="/venv/bin/python",
        frozen=False,
    ) == ["/venv/bin/python", "/venv/bin/ovhkvm-desktop", "info", "vnc://***@h"]
    # python -c CODE
    assert restart_command(
        args,
        argv=["-c", "info", "vnc://:pw@h"],
        orig_argv=["python", "-c", "import x", "info", "vnc://:pw@h"],
        executable="/usr/bin/python3",
        frozen=False,
    ) == ["/usr/bin/python3", "-c", "import x", "info", "vnc://***@h"]
    # a frozen build is its own executable
    assert restart_command(
        args, argv=["app", "info", "x"], orig_argv=["app", "info", "x"], executable="/opt/app",
        frozen=True,
    ) == ["/opt/app", "info", "vnc://***@h"]  # fmt: skip
    # sys.argv changed since the start: how it started is unknown, so no start again
    assert restart_command(
        args,
        argv=["prog", "info", "other"],
        orig_argv=["python", "prog", "info", "vnc://:pw@h"],
        executable="/usr/bin/python3",
        frozen=False,
    ) is None  # fmt: skip


def test_the_real_arguments_come_back_only_where_they_were_taken():
    handed = json.dumps([[1, "vnc://***@h", "vnc://:pw@h"], [5, "x", "y"], [0, "no", "nope"]])
    assert restore(["info", "vnc://***@h", "--json"], handed) == ["info", "vnc://:pw@h", "--json"]
    for broken in ("", "{", "{}", "[1]", '[[1, "vnc://***@h", 3]]', '[["1", "a", "b"]]'):
        assert restore(["info", "vnc://***@h"], broken) == ["info", "vnc://***@h"]


def test_the_first_process_starts_again_and_the_second_gets_the_target_back(monkeypatch):
    argv = ["/r/ovhkvm_desktop/__main__.py", "info", "vnc://:sekret@h:5901", "--json"]
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(sys, "orig_argv", ["python3", "-m", "ovhkvm_desktop", *argv[1:]])
    environ: dict[str, str] = {"HOME": "/h"}
    started: list[tuple[list[str], str]] = []

    def execv(path: str, command: list[str]) -> None:
        assert path == command[0]
        started.append((command, environ[ENVIRONMENT_VARIABLE]))

    hide_target_secrets(environ=environ, execv=execv)  # (returns only as the exec is fake)
    command, handed = started[0]
    assert command == [sys.executable, "-m", "ovhkvm_desktop", "info", "vnc://***@h:5901", "--json"]
    assert json.loads(handed) == [[1, "vnc://***@h:5901", "vnc://:sekret@h:5901"]]
    assert environ == {"HOME": "/h"}  # the exec failed: nothing left behind

    # The program started again: its argv is the command's, the variable is in its environment.
    restarted = [argv[0], *command[-3:]]
    second = {"HOME": "/h", ENVIRONMENT_VARIABLE: handed}
    assert hide_target_secrets(restarted, environ=second, execv=never) == argv[1:]
    assert second == {"HOME": "/h"}  # taken out: a child of the app never sees it
    # A second call in the same process (an early one, then main's) gives the same answer.
    assert hide_target_secrets(restarted, environ=second, execv=never) == argv[1:]


def test_nothing_happens_without_a_secret():
    environ: dict[str, str] = {}
    arguments = ["info", "vnc://h:5901", "--json"]
    assert hide_target_secrets(["prog", *arguments], environ=environ, execv=never) == (arguments)
    assert environ == {}


def test_it_is_cheap_nothing_heavy_is_imported() -> None:
    code = (
        "import sys; from ovhkvm_desktop.argv_secrets import secret_arguments;"
        " secret_arguments(['info', 'vnc://:pw@h']);"
        " print(' '.join(sorted(sys.modules)))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    loaded = set(run.stdout.split())
    assert run.returncode == 0 and "ovhkvm_desktop.targets" in loaded, run.stderr
    heavy = {"asyncio", "numpy", "PySide6", "keyring", "ovh", "websockets", "asyncvnc", "ssl"}
    assert not heavy & loaded
    assert not {m for m in loaded if m.startswith("ovhkvm_desktop.")} - {
        "ovhkvm_desktop.argv_secrets",
        "ovhkvm_desktop.targets",
        "ovhkvm_desktop.errors",
        "ovhkvm_desktop.words",  # the messages' language: the standard library's gettext
    }


# -- for real ---------------------------------------------------------------------------------


def vnc_response(challenge: bytes, password: str) -> bytes:
    """VNC authentication's answer, computed here (DES of the challenge, bit-reversed key)."""
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    key = password.encode()[:8].ljust(8, b"\0")
    key = bytes(int(f"{b:08b}"[::-1], 2) for b in key)
    encryptor = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()  # K1=K2=K3: single DES
    return encryptor.update(challenge) + encryptor.finalize()


class PasswordServer:
    """An RFB 3.8 server that asks for a VNC password, then holds the client in suspense (it
    waits for the verdict) until ``release()``; the verdict is always a refusal."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.challenge = os.urandom(16)
        self.response: bytes | None = None
        self.answered = threading.Event()
        self._release = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(60)
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(60)
            conn.sendall(b"RFB 003.008\n")
            self._read(conn, 12)
            conn.sendall(bytes([1, 2]))  # one security type: VNC authentication
            assert self._read(conn, 1) == b"\x02"
            conn.sendall(self.challenge)
            self.response = self._read(conn, 16)
            self.answered.set()
            self._release.wait(60)
            reason = b"test server: refused"
            conn.sendall(struct.pack(">II", 1, len(reason)) + reason)

    @staticmethod
    def _read(conn: socket.socket, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = conn.recv(count - len(data))
            if not chunk:
                raise ConnectionError("the client went away")
            data += chunk
        return data

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        self._release.set()
        self.listener.close()


@pytest.mark.parametrize(
    "start",
    [
        [sys.executable, "-m", "ovhkvm_desktop"],
        [sys.executable, "-X", "utf8", "-m", "ovhkvm_desktop"],
        [str(Path(sys.executable).parent / "ovhkvm-desktop")],
    ],
    ids=["python -m", "python -X utf8 -m", "console script"],
)
def test_no_local_user_reads_the_password_and_the_server_still_gets_it(start: list[str]) -> None:
    server = PasswordServer()
    target = f"vnc://:{PASSWORD}@127.0.0.1:{server.port}"
    env = {k: v for k, v in os.environ.items() if k != ENVIRONMENT_VARIABLE}
    env.setdefault("OVHKVM_CONFIG_DIR", "/nonexistent-ovhkvm-config")
    client = subprocess.Popen(
        [*start, "info", target, "--timeout", "30"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.answered.wait(60), "the client never answered the VNC challenge"
        cmdline = Path(f"/proc/{client.pid}/cmdline").read_bytes().split(b"\0")[:-1]
        shown = [part.decode() for part in cmdline]
        assert not any(PASSWORD in part for part in shown), shown
        redacted = f"vnc://***@127.0.0.1:{server.port}"
        assert shown[-4:] == ["info", redacted, "--timeout", "30"], shown
        if start[0] == sys.executable:  # the interpreter, its options and the module, kept
            assert shown[: len(start)] == start, shown
        else:  # the console script, run by its shebang's interpreter
            assert shown[1] == start[0], shown
        # Nor is it in the environment the process started with (the same user reads that).
        assert PASSWORD.encode() not in Path(f"/proc/{client.pid}/environ").read_bytes()
        # The real password reached the handshake.
        assert server.response == vnc_response(server.challenge, PASSWORD)
        server.release()
        out, err = client.communicate(timeout=60)
    finally:
        server.close()
        if client.poll() is None:
            client.kill()
            client.communicate()
    assert client.returncode == 1
    assert "refused" in err and PASSWORD not in err + out
