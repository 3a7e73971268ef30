"""Fixtures of the OVHcloud tests: the fake API, a clean environment, test keyrings."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cloud.fake_api import FakeOvhApi
from tests.cloud.keyrings import MemoryKeyring


def drop_ambient(monkeypatch: pytest.MonkeyPatch, prefixes: tuple[str, ...]) -> None:
    """Unset the environment variables with these prefixes, and any proxy."""
    for name in list(os.environ):
        if name.startswith(prefixes) or name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's OVH_* variables, ovh.conf, proxy or keyring config reaches a test."""
    drop_ambient(monkeypatch, ("OVH_", "OVHKVM_"))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OVHKVM_CONFIG_DIR", str(tmp_path / "config"))


@contextlib.contextmanager
def app_on_fake_api(
    monkeypatch: pytest.MonkeyPatch, **fake_options: Any
) -> Iterator[tuple[FakeOvhApi, MemoryKeyring]]:
    """The fake API and a memory keyring, where the app's own code finds them (OVHKVM_API_URL,
    keyring's backend), with no developer's OVH_* variables or proxy in the way."""
    drop_ambient(monkeypatch, ("OVH_", "OVHKVM_API"))
    import keyring.core

    memory = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", memory)
    with FakeOvhApi(**fake_options) as api:
        monkeypatch.setenv("OVHKVM_API_URL", api.base_url)
        yield api, memory


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOvhApi]:
    with FakeOvhApi(task_seconds=0.5) as api:
        monkeypatch.setenv("OVHKVM_API_URL", api.base_url)
        yield api


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()


class Account:
    """An application and a validated consumer key on the fake, saved as a profile."""

    def __init__(self, fake: FakeOvhApi, keyring: MemoryKeyring, name: str = "work") -> None:
        from ovhkvm_desktop.cloud.client import ACCESS_RULES, OvhApi
        from ovhkvm_desktop.config import Profile, Settings
        from ovhkvm_desktop.secrets import APPLICATION_SECRET, CONSUMER_KEY, Secrets

        self.fake = fake
        self.name = name
        self.application_key, self.application_secret = fake.add_application()
        self.consumer_key = fake.add_credential(
            self.application_key, [r.as_json() for r in ACCESS_RULES]
        )
        self.settings = Settings()
        self.secrets = Secrets(keyring)
        self.profile = Profile(name, "ovh-eu", application_key=self.application_key)
        self.settings.save_profile(self.profile)
        self.secrets.set(name, APPLICATION_SECRET, self.application_secret)
        self.secrets.set(name, CONSUMER_KEY, self.consumer_key)
        self.api = OvhApi.for_profile(self.profile, self.secrets)

    @property
    def secret_values(self) -> list[str]:
        return [self.application_secret, self.consumer_key]


@pytest.fixture
def account(fake_api: FakeOvhApi, memory_keyring: MemoryKeyring) -> Account:
    return Account(fake_api, memory_keyring)
