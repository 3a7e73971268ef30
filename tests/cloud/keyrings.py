"""Keyring backends for the tests: one in memory, one in a JSON file that several processes of
one test share (the command line runs as a subprocess). Never for real secrets.

Their priority is below keyring's own null backend, so that keyring's detection never picks them:
a test names them (`Secrets(backend=MemoryKeyring())`, `keyring.set_keyring()`, or
`PYTHON_KEYRING_BACKEND=tests.cloud.keyrings.FileKeyring` with `OVHKVM_TEST_KEYRING=FILE`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = -10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("no such entry")


class FileKeyring(KeyringBackend):
    priority = -10  # type: ignore[assignment]

    @property
    def path(self) -> Path:
        return Path(os.environ["OVHKVM_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def _save(self, entries: dict[str, str]) -> None:
        self.path.write_text(json.dumps(entries))

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries[f"{service}\n{username}"] = password
        self._save(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if entries.pop(f"{service}\n{username}", None) is None:
            raise PasswordDeleteError("no such entry")
        self._save(entries)


class BrokenKeyring(KeyringBackend):
    """A keyring whose service fails at every call (a Secret Service that went away)."""

    priority = -10  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("the Secret Service is not running")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("the Secret Service is not running")

    def delete_password(self, service: str, username: str) -> None:
        raise RuntimeError("the Secret Service is not running")
