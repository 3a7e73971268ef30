"""A window in French shows the lower layers' errors in French too: the app installs the gettext
catalogue of the language it gives Qt, so that an exception's sentence (a refused connection in
the console window's overlay, a mistyped address in the address dialog) reads like the widgets
around it; and in English again once the app speaks English."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ovhkvm_desktop import words
from ovhkvm_desktop.cli import words as catalogue
from ovhkvm_desktop.session import Backoff, SessionOptions
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.ui import language
from ovhkvm_desktop.ui.address_dialog import AddressDialog
from ovhkvm_desktop.ui.console_window import ConsoleConfig, ConsoleWindow
from tests.session.servers import closed_port

ROOT = Path(__file__).resolve().parents[2]
FRENCH = ROOT / "resources" / "translations" / "ovhkvm-desktop_fr.po"
FRENCH_TS = ROOT / "resources" / "translations" / "ovhkvm-desktop_fr.ts"
#: PySide6's own lrelease, as setup.py runs it.
LRELEASE = (
    "import sys; from PySide6.scripts.pyside_tool import qt_tool_wrapper;"
    " qt_tool_wrapper('lrelease', sys.argv[1:])"
)


@pytest.fixture
def app_speaks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp
) -> Iterator[Callable[[str], None]]:
    """``app_speaks("fr")``: the app's language, as the Settings choose it; both catalogues
    compiled from the checkout's sources as a build compiles them (the .ts by Qt's lrelease, the
    .po by cli/words.py), where the app looks for them."""
    qm = tmp_path / "qm"
    qm.mkdir()
    run = subprocess.run(
        [sys.executable, "-c", LRELEASE, "-silent", str(FRENCH_TS), "-qm",
         str(qm / "ovhkvm-desktop_fr.qm")],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    monkeypatch.setattr(language, "TRANSLATIONS_DIR", qm)
    compiled = tmp_path / "locale" / "fr" / "LC_MESSAGES" / f"{catalogue.DOMAIN}.mo"
    compiled.parent.mkdir(parents=True)
    compiled.write_bytes(catalogue.mo_bytes(catalogue.po_entries(FRENCH)))
    monkeypatch.setattr(words, "locale_dir", lambda: tmp_path / "locale")
    yield language.install_language
    monkeypatch.undo()
    language.install_language("")  # the system's, as the other tests expect


def _refused_window(qtbot, tmp_path: Path, port: int) -> ConsoleWindow:
    from ovhkvm_desktop.config import Settings

    window = ConsoleWindow(
        ConsoleTarget("tcp", "127.0.0.1", port),
        ConsoleConfig(title="test", server_key="test", layout="fr"),
        SessionOptions(timeout=5),
        Settings(tmp_path / "settings"),
        Backoff(30.0, 2.0, 30.0),  # the overlay stays while the test reads it
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.overlay.isVisible, timeout=5000)
    qtbot.waitUntil(lambda: bool(window.overlay.reason.text()), timeout=5000)
    return window


def test_the_console_windows_overlay_says_a_refused_connection_in_french(
    qtbot, app_speaks, tmp_path: Path
) -> None:
    port = closed_port()
    app_speaks("fr")
    window = _refused_window(qtbot, tmp_path, port)
    assert window.overlay.title.text() == "Connexion impossible"
    assert window.overlay.reason.text() == (
        f"127.0.0.1:{port} a refusé la connexion : aucune console n'écoute sur ce port."
    )
    window.close()
    app_speaks("en")
    window = _refused_window(qtbot, tmp_path, port)
    assert window.overlay.title.text() == "Cannot connect"
    assert window.overlay.reason.text() == (
        f"127.0.0.1:{port} refused the connection: no console is listening on that port."
    )
    window.close()


def test_the_address_dialog_says_a_mistyped_address_in_french(qtbot, app_speaks) -> None:
    app_speaks("fr")
    dialog = AddressDialog()
    qtbot.addWidget(dialog)
    dialog.address.setText("vnc://192.0.2.1:99999")
    dialog.accept()
    assert dialog.problem.text() == (
        "Le port de 'vnc://192.0.2.1:99999' n'est pas un nombre de 1 à 65535"
    )
