"""Secrets: the keyring under the service `ovhkvm-desktop`; memory for this run when no keyring
is usable (one store for the whole process), with a notice; never a file, so keyrings.alt's file
backends are refused.

keyrings.alt must be installed (the `test` extra): the tests that need it fail without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring.backend
import pytest
from keyring.backends import chainer, fail, null

from ovhkvm_desktop.secrets import (
    APPLICATION_SECRET,
    CONSUMER_KEY,
    MEMORY,
    SERVICE,
    Secrets,
    SecretsError,
)
from tests.cloud.keyrings import BrokenKeyring, MemoryKeyring

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_memory() -> Iterator[None]:
    """Each test starts a run of its own: this process's memory store holds nothing."""
    MEMORY.clear()
    yield
    MEMORY.clear()


def keyrings_alt_file() -> Any:
    try:
        import keyrings.alt.file
    except ImportError:
        pytest.fail(
            "keyrings.alt is not installed (it is in the test extra): pip install keyrings.alt",
            pytrace=False,
        )
    return keyrings.alt.file


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


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["none", "disabled"])
def test_what_one_secrets_kept_in_memory_the_next_one_reads(backend):
    # The app makes a new Secrets for each operation: the login's, then the server list's.
    login = Secrets(backend)
    login.store_profile("work", {APPLICATION_SECRET: "as-1", CONSUMER_KEY: "ck-1"})
    servers = Secrets(fail.Keyring())
    assert not servers.persistent
    assert servers.get("work", APPLICATION_SECRET) == "as-1"
    assert servers.get("work", CONSUMER_KEY) == "ck-1"
    Secrets(null.Keyring()).delete_profile("work")
    assert login.get("work", CONSUMER_KEY) is None


def test_the_memory_is_shared_by_every_thread_and_lost_with_the_process():
    def store(i: int) -> None:
        for j in range(50):
            Secrets(fail.Keyring()).set(f"p{i}", CONSUMER_KEY, f"ck-{i}-{j}")

    threads = [threading.Thread(target=store, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader = Secrets(fail.Keyring())
    assert [reader.get(f"p{i}", CONSUMER_KEY) for i in range(8)] == [f"ck-{i}-49" for i in range(8)]
    code = (
        "from keyring.backends import fail; from ovhkvm_desktop.secrets import Secrets;"
        " print(Secrets(fail.Keyring()).get('p0', 'consumer_key'))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert run.stdout.strip() == "None", run.stderr  # another run knows nothing of it


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
    # The next operation's Secrets finds it too, before asking the keyring that refused it.
    assert Secrets(BrokenKeyring()).get("a", CONSUMER_KEY) == "ck"


def test_a_keyring_that_refuses_to_read_says_so():
    with pytest.raises(SecretsError, match="unlock it and retry"):
        Secrets(BrokenKeyring()).get("a", CONSUMER_KEY)


@pytest.mark.parametrize("kind", ["PlaintextKeyring", "EncryptedKeyring"])
def test_keyrings_alt_file_backends_are_refused_in_words(kind, tmp_path):
    cls = getattr(keyrings_alt_file(), kind)
    # EncryptedKeyring's __init__ wants pycryptodome; what is refused is the class.
    backend = cls.__new__(cls)
    backend.file_path = str(tmp_path / "keyring.cfg")
    notices: list[str] = []
    secrets = Secrets(backend, on_fallback=notices.append)
    secrets.set("work", CONSUMER_KEY, "ck-never-in-a-file")
    assert not secrets.persistent
    assert notices == [secrets.notice]
    assert (
        f"the keyring backend 'file {kind}' of keyrings.alt would write the secrets to a file"
        in (notices[0])
    )
    assert "kept in memory for this run only" in notices[0]
    assert Secrets(backend).get("work", CONSUMER_KEY) == "ck-never-in-a-file"
    assert not list(tmp_path.iterdir())


def test_keyrings_chain_is_used_without_its_file_backend(tmp_path, monkeypatch):
    # keyring chains every backend of priority above 0 when there are several: with keyrings.alt
    # installed, a desktop's Secret Service (here a memory keyring) comes with the plain file.
    plain = keyrings_alt_file().PlaintextKeyring()
    plain.file_path = str(tmp_path / "keyring_pass.cfg")
    plain.set_password(SERVICE, "old/consumer_key", "ck-in-a-file")  # left by another app
    desktop = MemoryKeyring()
    desktop.priority = 5  # type: ignore[misc]
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [desktop, plain])
    chain = chainer.ChainerBackend()
    assert chain.backends == [desktop, plain]
    secrets = Secrets(chain)
    assert secrets.persistent
    secrets.set("work", CONSUMER_KEY, "ck-1")
    assert desktop.entries == {(SERVICE, "work/consumer_key"): "ck-1"}
    assert secrets.get("old", CONSUMER_KEY) is None  # never read from the file
    assert b"ck-1" not in Path(plain.file_path).read_bytes()
    assert secrets.backend_name == MemoryKeyring.name


def test_a_chain_of_file_backends_only_is_refused(tmp_path, monkeypatch):
    plain = keyrings_alt_file().PlaintextKeyring()
    plain.file_path = str(tmp_path / "keyring_pass.cfg")
    other = keyrings_alt_file().PlaintextKeyring()
    other.file_path = str(tmp_path / "other.cfg")
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [plain, other])
    secrets = Secrets(chainer.ChainerBackend())
    secrets.set("work", CONSUMER_KEY, "ck-1")
    assert not secrets.persistent and "would write the secrets to a file" in (secrets.notice or "")
    assert not list(tmp_path.iterdir())


def test_keyrings_own_choice_without_a_desktop_keyring_is_the_file_and_is_refused(tmp_path):
    """The case met in the field: keyrings.alt installed, no Secret Service (no D-Bus session):
    keyring's detection picks PlaintextKeyring. Nothing may reach a file."""
    keyrings_alt_file()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBUS_", "PYTHON_KEYRING", "XDG_", "KEYRING_"))
    }
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), PYTHONPATH=str(REPO))
    code = """if True:
        import json, keyring
        from ovhkvm_desktop.secrets import Secrets
        chosen = keyring.get_keyring()
        first = Secrets()
        first.set("work", "consumer_key", "ck-never-in-a-file")
        print(json.dumps({
            "chosen": type(chosen).__module__ + "." + type(chosen).__name__,
            "persistent": first.persistent,
            "notice": first.notice,
            "again": Secrets().get("work", "consumer_key"),
        }))
    """
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["chosen"] == "keyrings.alt.file.PlaintextKeyring"
    assert report["persistent"] is False
    assert "would write the secrets to a file" in report["notice"]
    assert report["again"] == "ck-never-in-a-file"
    # (PlaintextKeyring would have written it in base64 to data/python_keyring/keyring_pass.cfg)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
