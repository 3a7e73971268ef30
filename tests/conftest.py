"""What every test starts from."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ovhkvm_desktop import words
from ovhkvm_desktop.cli import words as catalogue
from ovhkvm_desktop.secrets import MEMORY

TRANSLATIONS = Path(__file__).resolve().parents[1] / "resources" / "translations"
FRENCH_PO = TRANSLATIONS / "ovhkvm-desktop_fr.po"

# The tests read what the app says in English unless they choose a language themselves: a
# developer's French locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, which gettext and Qt follow)
# reaches neither the test process nor the commands it starts.
for _name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "C.UTF-8"


@pytest.fixture(autouse=True)
def _no_secrets_in_memory() -> Iterator[None]:
    """The app keeps secrets in one memory store per process when no keyring is usable: a test
    starts with it empty and leaves it so (pytest runs every test in one process)."""
    MEMORY.clear()
    yield
    MEMORY.clear()


@pytest.fixture
def french_catalogue(tmp_path: Path) -> Iterator[Path]:
    """A locale directory holding the French catalogue compiled from the checkout's .po (as a
    build compiles it, whatever an older .mo says); the environment's language again after."""
    compiled = tmp_path / "locale" / "fr" / "LC_MESSAGES" / f"{catalogue.DOMAIN}.mo"
    compiled.parent.mkdir(parents=True)
    compiled.write_bytes(catalogue.mo_bytes(catalogue.po_entries(FRENCH_PO)))
    yield tmp_path / "locale"
    words.install()  # the environment's language again (English: see above)
