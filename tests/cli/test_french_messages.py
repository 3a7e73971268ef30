"""What the layers below the command line say reaches a French-speaking user in French: real
failures (a refused port, a hostile RFB server, the OVHcloud API's refusals through the fake API),
the untypable characters, `wait`'s timeout and `info`'s labels, each run through the command line
with LANGUAGE=fr, and in English again without a French locale. The catalogue is the one compiled
from resources/translations/ovhkvm-desktop_fr.po, as a build compiles it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from ovhkvm_desktop import cli, words
from ovhkvm_desktop.cli.consoles import untypable_message
from ovhkvm_desktop.demo import BackgroundDemo
from ovhkvm_desktop.demo.console import DemoConsole, banner
from ovhkvm_desktop.demo.opening import demo_request
from ovhkvm_desktop.opening import open_console
from ovhkvm_desktop.rfb.framebuffer import Framebuffer
from ovhkvm_desktop.screen_text import read_screen
from ovhkvm_desktop.secrets import APPLICATION_SECRET
from tests.cloud.conftest import Account, app_on_fake_api
from tests.hostile_rfb import HostileServer, Peer, desktop_size, huge_refusal, rect, update
from tests.session.servers import closed_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def speak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, french_catalogue: Path
) -> Iterator[Callable[[str], None]]:
    """Set the environment's language as a user's shell does; the command line installs it."""
    monkeypatch.setattr(words, "locale_dir", lambda: french_catalogue)
    monkeypatch.setenv("OVHKVM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("OVHKVM_VNC_PASSWORD", raising=False)

    def switch(lang: str) -> None:
        for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("LANG", lang)
        if lang.startswith("fr"):
            monkeypatch.setenv("LANGUAGE", "fr")
        words.install()

    yield switch
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.undo()
    words.install()


def said(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the command line; its exit status and the last line it wrote on stderr."""
    status = cli.main(list(args))
    err = capsys.readouterr().err.strip().splitlines()
    return status, err[-1] if err else ""


def test_a_refused_connection_reads_in_french(speak, capsys) -> None:
    port = closed_port()
    speak("fr_FR.UTF-8")
    status, line = said(capsys, "type", f"vnc://127.0.0.1:{port}", "--text", "hello")
    assert status == 1
    assert line == (
        f"ovhkvm-desktop: 127.0.0.1:{port} a refusé la connexion : aucune console n'écoute sur"
        " ce port"
    )
    speak("C.UTF-8")
    status, line = said(capsys, "type", f"vnc://127.0.0.1:{port}", "--text", "hello")
    assert line == (
        f"ovhkvm-desktop: 127.0.0.1:{port} refused the connection: no console is listening on"
        " that port"
    )


def test_a_mistyped_target_reads_in_french(speak, capsys) -> None:
    speak("fr_FR.UTF-8")
    status, line = said(capsys, "info", "vnc://127.0.0.1:99999")
    assert (status, line) == (
        1,
        "ovhkvm-desktop: le port de 'vnc://127.0.0.1:99999' n'est pas un nombre de 1 à 65535",
    )


def test_a_hostile_servers_refusal_reads_in_french(speak, capsys) -> None:
    speak("fr_FR.UTF-8")
    with HostileServer(huge_refusal(1 << 30, 1000)) as server:
        status, line = said(capsys, "info", f"vnc://127.0.0.1:{server.port}")
    assert status == 1
    assert line == (
        "ovhkvm-desktop: le serveur a refusé la connexion et annoncé une raison de 1073741824"
        " octets (non affichée)"
    )


async def impossible_resize(peer: Peer) -> None:
    """A server that answers the first update request with a 9000x9000 screen."""
    await peer.greet()
    await peer.accept()
    reading = asyncio.ensure_future(peer.read_client_messages())
    await peer.server.first_request.wait()
    await peer.send(desktop_size(9000, 9000))
    with contextlib.suppress(Exception):
        await reading


def test_a_hostile_servers_malformed_message_reads_in_french(speak, capsys) -> None:
    speak("fr_FR.UTF-8")
    with HostileServer(impossible_resize) as server:
        status, line = said(capsys, "info", f"vnc://127.0.0.1:{server.port}")
    assert status == 1
    assert line == (
        "ovhkvm-desktop: le serveur a envoyé quelque chose que ce client ne sait pas lire : le"
        " serveur a annoncé une taille d'écran impossible : 9000x9000"
    )
    speak("C.UTF-8")
    with HostileServer(impossible_resize) as server:
        status, line = said(capsys, "info", f"vnc://127.0.0.1:{server.port}")
    assert line == (
        "ovhkvm-desktop: the server sent something this client cannot read: the server announced"
        " an impossible screen size 9000x9000"
    )


def broken_rectangle(data: bytes) -> Callable[[Peer], Awaitable[None]]:
    """A server (its screen 64x48) that answers the first update request with ``data``."""

    async def script(peer: Peer) -> None:
        await peer.greet()
        await peer.accept()
        reading = asyncio.ensure_future(peer.read_client_messages())
        await peer.server.first_request.wait()
        await peer.send(update(data))
        with contextlib.suppress(Exception):
            await reading

    return script


@pytest.mark.parametrize(
    ("broken", "french", "english"),
    [
        pytest.param(
            # CopyRect: copy 16x16 pixels from (60,40), past the 64x48 screen's edges.
            rect(0, 0, 16, 16, 1, b"\x00\x3c\x00\x28"),
            "le serveur a demandé de copier un rectangle 16x16 depuis (60,40), hors de l'écran"
            " de 64x48",
            "the server asked to copy a 16x16 rectangle from (60,40), outside the 64x48 screen",
            id="copyrect-from-outside-the-screen",
        ),
        pytest.param(
            # zlib: 4 bytes of data that are no zlib stream (zlib's own words stay as they are).
            rect(0, 0, 8, 8, 6, b"\x00\x00\x00\x04\x00\x01\x02\x03"),
            "les données zlib du serveur sont corrompues (Error -3 while decompressing data:"
            " incorrect header check)",
            "the server's zlib data is corrupt (Error -3 while decompressing data: incorrect"
            " header check)",
            id="corrupt-zlib-data",
        ),
    ],
)
def test_a_hostile_servers_broken_rectangle_reads_in_french(
    speak, capsys, broken: bytes, french: str, english: str
) -> None:
    speak("fr_FR.UTF-8")
    with HostileServer(broken_rectangle(broken)) as server:
        status, line = said(capsys, "info", f"vnc://127.0.0.1:{server.port}")
    assert status == 1
    assert line == (
        "ovhkvm-desktop: le serveur a envoyé quelque chose que ce client ne sait pas lire : "
        + french
    )
    speak("C.UTF-8")
    with HostileServer(broken_rectangle(broken)) as server:
        status, line = said(capsys, "info", f"vnc://127.0.0.1:{server.port}")
    assert status == 1
    assert line == ("ovhkvm-desktop: the server sent something this client cannot read: " + english)


def test_the_ovhcloud_apis_refusals_read_in_french(
    speak, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app_on_fake_api(monkeypatch) as (fake, keyring):
        account = Account(fake, keyring, "work")
        speak("fr_FR.UTF-8")
        fake.add_vps("vps-1.vps.ovh.net")
        assert cli.main(["servers", "--profile", "work"]) == 0
        header = capsys.readouterr().out.splitlines()[0].split()
        assert " ".join(header) == "TYPE NOM NOM AFFICHÉ ÉTAT MODÈLE ZONE CLAVIER NETBOOT"
        # An expired consumer key.
        fake.expire(account.consumer_key)
        status, line = said(capsys, "servers", "--profile", "work")
        assert status == 1
        assert line.startswith(
            "ovhkvm-desktop: la clé de consommateur du profil 'work' n'est pas valide (expirée,"
            " révoquée ou jamais validée)"
        ), line
        assert "ovhkvm-desktop login --profile work --endpoint ovh-eu" in line
        # A wrong application secret.
        fake.validate(account.consumer_key)
        account.secrets.set("work", APPLICATION_SECRET, "not-the-secret")
        status, line = said(capsys, "servers", "--profile", "work")
        assert status == 1
        assert line.startswith(
            "ovhkvm-desktop: l'API a refusé la signature de GET /vps : le secret d'application"
            " du profil 'work' est faux"
        ), line
        # And a profile that does not exist.
        status, line = said(capsys, "servers", "--profile", "home")
        assert line.startswith(
            "ovhkvm-desktop: il n'y a pas de profil 'home' (profils : work) : créez-le avec"
        ), line


@pytest.fixture
def demo() -> Iterator[BackgroundDemo]:
    server = BackgroundDemo("fr")
    yield server
    server.stop()


def test_info_labels_and_the_demo_screen_read_in_french(speak, capsys, demo) -> None:
    speak("fr_FR.UTF-8")
    assert cli.main(["info", demo.address]) == 0
    out = capsys.readouterr().out.splitlines()
    labels = [line.split(" :")[0] for line in out]
    assert labels == [
        "nom",
        "taille",
        "protocole",
        "sécurité",
        "format des pixels",
        "encodage",
        "extensions",
    ]
    # The values start in one column, whatever the labels' lengths in French.
    assert len({len(line) - len(line.split(" :", 1)[1].lstrip()) for line in out}) == 1, out


def test_the_demo_guest_speaks_french_on_its_screen(speak) -> None:
    """Read back from the demo console's pixels, within its 80 columns and Latin-1 font."""
    speak("fr_FR.UTF-8")
    rows = banner("fr")
    assert rows[1] == "Disposition du clavier de l'invité : Français (fr)"
    for row in rows:
        assert len(row) <= 80 and row.encode("latin-1") is not None
    screen = DemoConsole("fr").screen
    framebuffer = Framebuffer(screen.width, screen.height)
    framebuffer.pixels32[:] = screen.pixels | 0xFF000000
    assert [row.rstrip() for row in read_screen(framebuffer).rows[:3]] == [
        "console de démonstration d'ovhkvm-desktop",
        "Disposition du clavier de l'invité : Français (fr)",
        "Servie par l'application, en local. Tapez : voyez ce que reçoit l'invité.",
    ]


def test_untypable_characters_and_waits_timeout_read_in_french(speak, capsys, demo) -> None:
    speak("fr_FR.UTF-8")
    opening = open_console(demo_request(demo.address, "fr"))
    assert untypable_message(opening, ["☃"], extended=True) == (
        "la disposition fr ne permet pas de taper '☃' avec les touches que ce serveur sait"
        " presser ; tout le reste a été tapé"
    )
    status, line = said(capsys, "type", demo.address, "--layout", "fr", "--text", "a☃")
    assert status == 3
    assert line == (
        "ovhkvm-desktop: la disposition fr ne permet de taper '☃' que si l'invité est une console"
        " texte Linux (--guest console les tape par leur code) ; tout le reste a été tapé"
    )
    status, line = said(capsys, "wait", demo.address, "--for", "absent", "--timeout", "1.5")
    assert status == 1
    assert line == "ovhkvm-desktop: délai de 1.5 s dépassé en attendant 'absent' à l'écran"
    speak("C.UTF-8")
    status, line = said(capsys, "wait", demo.address, "--for", "absent", "--timeout", "1.5")
    assert line == "ovhkvm-desktop: timed out after 1.5 s waiting for 'absent' on the screen"


def test_a_damaged_settings_file_reads_in_french(speak, capsys, tmp_path: Path) -> None:
    config = tmp_path / "config"  # where speak points OVHKVM_CONFIG_DIR
    config.mkdir()
    (config / "config.json").write_text('{"profiles": {"work": []}}', encoding="utf-8")
    speak("fr_FR.UTF-8")
    status, line = said(capsys, "servers")
    assert (status, line) == (
        1,
        f"ovhkvm-desktop: le fichier de réglages {config / 'config.json'} est endommagé"
        " ('profiles.work' est une liste, pas un objet) ; corrigez-le ou supprimez-le",
    )
