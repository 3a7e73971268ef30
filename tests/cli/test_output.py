"""What the command line prints of a server's words reaches the terminal as text: no escape
sequence (OSC 52 writes the terminal's clipboard, CSI moves the cursor) arrives raw."""

from __future__ import annotations

import json

from ovhkvm_desktop import cli
from ovhkvm_desktop.cli.output import escaped
from tests.ui.rfb_server import RfbServer

#: A desktop name that, printed raw, would set the terminal's clipboard and clear the screen.
HOSTILE = "\x1b]52;c;cm0gLXJmIH4K\x07console\x1b[2J\u202eevil\x85"


def test_info_prints_a_hostile_desktop_name_escaped(capsys) -> None:
    with RfbServer(64, 48, name=HOSTILE) as server:
        assert cli.main(["info", f"vnc://127.0.0.1:{server.port}", "--timeout", "5"]) == 0
        out = capsys.readouterr().out
        assert cli.main(["info", f"127.0.0.1:{server.port}", "--json", "--timeout", "5"]) == 0
        as_json = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\x85" not in out
    assert "name:         \\x1b]52;c;cm0gLXJmIH4K\\x07console\\x1b[2J\\u202eevil\\x85" in out
    assert json.loads(as_json)["name"] == HOSTILE  # JSON keeps it whole, escaped by JSON
    assert "\x1b" not in as_json


def test_escaped_keeps_every_printable_character() -> None:
    text = "Serveur de l'équipe — 日本 ✓ 😀 tab\tend"
    assert escaped(text) == "Serveur de l'équipe — 日本 ✓ 😀 tab\\x09end"
