"""What every test starts from."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ovhkvm_desktop.secrets import MEMORY

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
