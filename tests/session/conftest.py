"""Fixtures of the session's tests: a settings directory of their own, and for ``ovh:`` consoles
a logged-in profile on the fake OVHcloud API (tests/cloud/fake_api.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cloud.conftest import Account, app_on_fake_api


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "config"
    monkeypatch.setenv("OVHKVM_CONFIG_DIR", str(directory))
    return directory


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, config_dir: Path) -> Iterator[Account]:
    """A profile "work" on the fake API, where the app's own code finds it (OVHKVM_API_URL, a
    memory keyring as keyring's backend): what ``open_console`` and ``cli.main`` use."""
    with app_on_fake_api(monkeypatch) as (fake, memory):
        yield Account(fake, memory)
