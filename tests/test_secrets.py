"""Secrets: the keyring under the service `ovhkvm-desktop`; memory for this run when no keyring
is usable, with a notice; never a file."""

from __future__ import annotations

import pytest
from keyring.backends import fail, null

from ovhkvm_desktop.secrets import (
    APPLICATION_SECRET,
    CONSUMER_KEY,
    SERVICE,
    Secrets,
    SecretsError,
)
from tests.cloud.keyrings import BrokenKeyring, MemoryKeyring


def test_secrets_go_to_the_keyring_under_the_apps_service():
    backend = MemoryKeyring()
    secrets = Secrets(backend)
    secrets.set("work", APPLICATION_SECRET, "as-123")
    secrets.set("work", CONSUMER_KEY, "ck-456")
    assert backend.entries == {
        (SERVICE, "work/application_secret"): "as-123",
        (SERVICE, "work/consumer_key"): "ck-456",
    }
    assert Secrets(backend).get("work", CONSUMER_KEY) == "ck-456"
    assert secrets.persistent and secrets.notice is None


def test_deleting_a_profile_deletes_all_its_secrets_and_only_its():
    backend = MemoryKeyring()
    secrets = Secrets(backend)
    secrets.store_profile("a", {APPLICATION_SECRET: "1", CONSUMER_KEY: "2"})
    secrets.store_profile("b", {APPLICATION_SECRET: "3"})
    secrets.delete_profile("a")
    assert backend.entries == {(SERVICE, "b/application_secret"): "3"}
    secrets.delete_profile("a")  # twice is fine


def test_storing_a_profile_drops_the_fields_it_no_longer_has():
    backend = MemoryKeyring()
    secrets = Secrets(backend)
    secrets.store_profile("a", {APPLICATION_SECRET: "1", CONSUMER_KEY: "2"})
    secrets.store_profile("a", {"client_secret": "3"})
    assert backend.entries == {(SERVICE, "a/client_secret"): "3"}


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["none", "disabled"])
def test_without_a_usable_keyring_secrets_stay_in_memory_with_a_notice(backend, tmp_path):
    notices: list[str] = []
    secrets = Secrets(backend, on_fallback=notices.append)
    secrets.set("a", CONSUMER_KEY, "ck-0123456789")
    assert secrets.get("a", CONSUMER_KEY) == "ck-0123456789"
    assert not secrets.persistent
    assert len(notices) == 1 and notices[0] == secrets.notice
    assert "for this run only, never written to a file" in notices[0]
    assert "ck-0123456789" not in notices[0]
    assert Secrets(backend).get("a", CONSUMER_KEY) is None  # gone with the run


def test_keyrings_own_choice_is_used_by_default(monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    import keyring.core

    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    secrets = Secrets()
    assert not secrets.persistent
    assert "no keyring is available" in (secrets.notice or "")


def test_a_keyring_that_refuses_to_store_falls_back_to_memory():
    notices: list[str] = []
    secrets = Secrets(BrokenKeyring(), on_fallback=notices.append)
    secrets.set("a", CONSUMER_KEY, "ck")
    assert "refused to store" in notices[0] and "Secret Service is not running" in notices[0]
    assert secrets.get("a", CONSUMER_KEY) == "ck"


def test_a_keyring_that_refuses_to_read_says_so():
    with pytest.raises(SecretsError, match="unlock it and retry"):
        Secrets(BrokenKeyring()).get("a", CONSUMER_KEY)
