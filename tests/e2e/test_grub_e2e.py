"""`read` on GRUB's boot menu: GRUB's graphical terminal (gfxterm, 1024x768) draws its menu with
GNU Unifont (unicode.pf2), a grid that starts at neither corner. The test guest's grub mode
boots a GRUB image made with tools/testbed/grub.cfg; what `read` returns must hold its entries,
accents, arrows and box drawing included, exactly, and GRUB's own frame and help."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.e2e.conftest import _launch, _ready
from tests.e2e.test_console_e2e import run_cli

GRUB_CFG = Path(__file__).resolve().parents[2] / "tools" / "testbed" / "grub.cfg"


def menu_entries() -> list[str]:
    return re.findall(r'^menuentry "([^"]+)"', GRUB_CFG.read_text("utf-8"), re.MULTILINE)


def test_read_shows_grubs_menu_entries_exactly(testbed_guest_dir) -> None:
    guest = _ready(_launch(mode="grub"))
    try:
        target = f"vnc://{guest.host}:{guest.port}"
        entries = menu_entries()
        assert len(entries) == 4
        # GRUB draws its menu just after saying it is ready: wait for the last entry.
        waited = run_cli("wait", target, "--for", entries[-1], "--timeout", "30")
        assert (waited.returncode, waited.stderr) == (0, "")

        done = run_cli("read", target, "--json")
        assert done.returncode == 0, done.stderr
        screen = json.loads(done.stdout)
        assert screen["font"] == "GRUB-Unifont-8x16"
        assert screen["unreadable"] == []
        rows = screen["rows"]
        # Inside GRUB's frame: the first entry highlighted and marked '*', the others indented.
        framed = [row.strip() for row in rows if row.strip().startswith("┃")]
        lines = [row.strip("┃").rstrip() for row in framed]
        assert lines[: len(entries)] == ["*" + entries[0]] + [" " + e for e in entries[1:]]
        assert all(line == "" for line in lines[len(entries) :])
        top = next(row.strip() for row in rows if row.strip().startswith("┏"))
        assert top == "┏" + "━" * (len(top) - 2) + "┓"
        assert any(re.fullmatch(r"GNU GRUB  version \S+", row.strip()) for row in rows)
        assert any(row.strip().startswith("Use the ↑ and ↓ keys to select") for row in rows)
    finally:
        guest.close()
