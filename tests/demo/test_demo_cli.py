"""`ovhkvm-desktop demo [--serve]` and the command line's console commands on the demo console:
the real client path (`type`, `read`, `screenshot`, `info` as processes) against the real demo
server, its screen checked against an independent drawing from the font's own PSF file."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ovhkvm_desktop import cli
from ovhkvm_desktop.config import Settings
from ovhkvm_desktop.demo import BackgroundDemo
from ovhkvm_desktop.rfb.framebuffer import Framebuffer
from ovhkvm_desktop.screen_text import UNREADABLE
from tests.screen_text.render import draw, psf, underline_cursor
from tests.window_process import WindowProcess

GREY, GREEN, WHITE = 0xAAAAAA, 0x55FF55, 0xFFFFFF
PROMPT = "root@demo:~# "
BANNER = [
    "ovhkvm-desktop demo console",
    "Guest keyboard layout: French (fr)",
    "Served by the app itself, on loopback. Type anything: see what the guest gets.",
]
#: A French user's line: accents typed directly, through dead keys (ê, ë) and AltGr (@ # { € ...).
FRENCH = "Bonjour, ça va ? àéèùç êë ÿ @#{[|`\\^]} €"


@pytest.fixture(autouse=True)
def _quiet_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVHKVM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("OVHKVM_VNC_PASSWORD", raising=False)


def command(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ovhkvm_desktop", *args],
        capture_output=True,
        text=True,
        timeout=60,
        **kw,  # type: ignore[call-overload]
    )


class Served:
    """`ovhkvm-desktop demo --serve` running: its address, and how it ended."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ovhkvm_desktop", "demo", "--serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.address = self.process.stdout.readline().strip()

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=10)
        return self.process.returncode, err


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    running: list[Served] = []

    def start(*args: str) -> Served:
        served = Served(*args)
        running.append(served)
        return served

    yield start
    for served in running:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()


def read_rows(address: str, *options: str) -> list[str]:
    """The screen's rows as `read --json` gives them, the cursor's cell blank when the cursor
    hides what it stands on (an underline over a blank reads as either ' ' or '_')."""
    result = command("read", address, "--json", *options)
    assert result.returncode == 0, result.stderr
    screen = json.loads(result.stdout)
    rows: list[str] = screen["rows"]
    if screen["cursor"] is not None:
        column, row = screen["cursor"]
        if rows[row][column] == UNREADABLE:
            rows[row] = rows[row][:column] + " " + rows[row][column + 1 :]
    return [row.rstrip() for row in rows]


def test_serve_prints_a_loopback_address_and_ends_cleanly_on_ctrl_c(serve) -> None:
    served = serve()
    assert served.address.startswith("vnc://127.0.0.1:")
    port = int(served.address.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        assert sock.recv(12) == b"RFB 003.008\n"
    status, err = served.stop()
    assert status == 0
    assert "Traceback" not in err
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_what_type_sends_is_what_read_finds_on_the_demo_screen(serve) -> None:
    served = serve()
    typed = command(
        "type", served.address, "--layout", "fr", "--guest", "console", "--text", FRENCH + "\n"
    )
    assert typed.returncode == 0, typed.stderr
    rows = read_rows(served.address)
    assert rows[:3] == BANNER
    assert rows[4] == PROMPT + FRENCH
    assert rows[5].startswith(PROMPT.rstrip())
    found = command("wait", served.address, "--for", "ça va ? àéèùç", "--timeout", "10")
    assert found.returncode == 0, found.stderr


@pytest.mark.parametrize(
    ("server_options", "client_options", "extensions"),
    [
        ((), (), ["qemu-extended-key-event", "qemu-led-state", "extended-desktop-size"]),
        (
            (),
            ("--no-extended-keys",),
            ["qemu-extended-key-event", "qemu-led-state", "extended-desktop-size"],
        ),
        (("--plain-keys",), (), ["extended-desktop-size"]),
    ],
    ids=["extended-keys", "client-sends-plain-keys", "server-without-qemu-keys"],
)
def test_typing_arrives_whatever_key_events_carry_it(
    serve, server_options: tuple[str, ...], client_options: tuple[str, ...], extensions: list[str]
) -> None:
    served = serve(*server_options)
    info = command("info", served.address, "--json")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["extensions"] == extensions
    text = "azerty AZERTY qwerty 1234 àéè @€"
    typed = command(
        "type", served.address, "--layout", "fr", "--guest", "console", "--text", text,
        *client_options,
    )  # fmt: skip
    assert typed.returncode == 0, typed.stderr
    assert read_rows(served.address)[4] == PROMPT + text


def test_the_screenshot_is_the_console_drawn_with_the_fonts_own_file(serve, tmp_path: Path) -> None:
    """Pixel for pixel: the banner in white and grey, the green prompt, the text typed, the
    underline cursor after it, as an independent renderer draws them from Lat15-Terminus16.psf."""
    served = serve()
    assert command("type", served.address, "--layout", "fr", "--text", "ls -l é").returncode == 0
    shot = tmp_path / "demo.png"
    result = command("screenshot", served.address, str(shot))
    assert result.returncode == 0, result.stderr
    image = np.asarray(Image.open(shot).convert("RGB")).astype(np.uint32)
    got = image[:, :, 0] << 16 | image[:, :, 1] << 8 | image[:, :, 2]

    font = psf("Lat15-Terminus16")
    expected = Framebuffer(640, 400)
    expected.pixels32[:] = 0xFF000000
    draw(expected, font, 0, 0, BANNER[0], fg=WHITE)
    draw(expected, font, 0, 1, BANNER[1])
    draw(expected, font, 0, 2, BANNER[2])
    draw(expected, font, 0, 4, PROMPT, fg=GREEN)
    draw(expected, font, len(PROMPT), 4, "ls -l é")
    underline_cursor(expected, font, len(PROMPT) + 7, 4, GREY, rows=(14, 15))
    assert got.shape == (400, 640)
    different = np.argwhere(got != (expected.pixels32 & 0xFFFFFF))
    assert len(different) == 0, f"{len(different)} pixels differ, first at {different[:3]}"


def test_type_through_the_command_line_reaches_the_demo_console_exactly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same path in this process, to see what the console received, Enter and all."""
    demo = BackgroundDemo("fr")
    try:
        text = "echo 'Où êtes-vous ?' > /tmp/ça\n"
        status = cli.main(["type", demo.address, "--layout", "fr", "--guest", "console",
                           "--text", text])  # fmt: skip
        assert status == 0, capsys.readouterr().err
        assert demo.server.console.typed == text
    finally:
        demo.stop()


def test_an_unknown_layout_is_one_line_naming_the_known_ones() -> None:
    result = command("demo", "--serve", "--layout", "qwertz")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "unknown keyboard layout 'qwertz'" in lines[0] and "fr" in lines[0]


def test_a_port_in_use_is_one_line(serve) -> None:
    served = serve()
    port = served.address.rsplit(":", 1)[1]
    result = command("demo", "--serve", "--port", port)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert f"cannot serve the demo console on port {port}" in result.stderr


def open_demo_window(tmp_path: Path, **env: str) -> str:
    """`ovhkvm-desktop demo` until its console window has painted the demo's first picture;
    what it wrote on stderr."""
    with WindowProcess(tmp_path / "ready", "demo", **env) as app:
        pass
    return app.stderr


def test_demo_opens_its_console_window_and_keeps_no_recent(tmp_path: Path) -> None:
    open_demo_window(tmp_path)
    # The demo's loopback address dies with it: not among the tray's recent consoles.
    assert Settings().recents() == []


def test_a_damaged_settings_file_is_said_in_the_users_language_and_the_window_opens(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config"  # OVHKVM_CONFIG_DIR
    config.mkdir()
    (config / "config.json").write_text('{"profiles": {"work": []}}', encoding="utf-8")
    err = open_demo_window(tmp_path, LANGUAGE="fr", LANG="fr_FR.UTF-8")
    assert (
        f"ovhkvm-desktop: le fichier de réglages {config / 'config.json'} est endommagé"
        " ('profiles.work' est une liste, pas un objet) ; corrigez-le ou supprimez-le ;"
        " les choix de la fenêtre ne seront pas mémorisés"
    ) in err.splitlines(), err
