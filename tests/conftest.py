"""What every test starts from."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ovhkvm_desktop.secrets import MEMORY


@pytest.fixture(autouse=True)
def _no_secrets_in_memory() -> Iterator[None]:
    """The app keeps secrets in one memory store per process when no keyring is usable: a test
    starts with it empty and leaves it so (pytest runs every test in one process)."""
    MEMORY.clear()
    yield
    MEMORY.clear()
