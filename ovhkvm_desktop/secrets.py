"""Profile secrets in the OS keyring (service ``ovhkvm-desktop``), and nowhere else.

Each secret is one keyring entry named ``PROFILE/FIELD``. When no keyring is usable (no backend,
or a Secret Service that cannot be reached), the secrets are kept in this process's memory for
this run only, and ``Secrets.notice`` says so in words: they are never written to a file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ovhkvm_desktop.errors import ConsoleError

SERVICE = "ovhkvm-desktop"

APPLICATION_SECRET = "application_secret"
CONSUMER_KEY = "consumer_key"
CLIENT_SECRET = "client_secret"
#: Every field a profile may have in the keyring (deleting a profile deletes them all).
FIELDS = (APPLICATION_SECRET, CONSUMER_KEY, CLIENT_SECRET)


class SecretsError(ConsoleError):
    """The keyring refused a read or a deletion (locked, or its service went away)."""


def entry_name(profile: str, field: str) -> str:
    return f"{profile}/{field}"


_NO_BACKEND = "no keyring is available (no Secret Service, KWallet, macOS or Windows keyring)"


def backend_problem(backend: object) -> str | None:
    """Why a keyring backend cannot keep secrets, or None when it can."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring):
        return _NO_BACKEND
    if isinstance(backend, null.Keyring):
        return "the keyring is disabled (keyring's null backend is configured)"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return _NO_BACKEND
    return None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text or type(exc).__name__


class Secrets:
    """The secrets of every profile: the OS keyring, else this run's memory.

    ``Secrets()`` uses keyring's own choice of backend (``PYTHON_KEYRING_BACKEND`` or its
    detection); tests pass a backend. ``on_fallback(notice)`` is called once if the secrets have
    to stay in memory, so that the CLI can print the notice and the window can show it.
    """

    def __init__(
        self,
        backend: object | None = None,
        *,
        on_fallback: Callable[[str], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._memory: dict[str, str] = {}
        self._on_fallback = on_fallback
        self.notice: str | None = None
        self._backend = backend
        if backend is None:
            try:
                import keyring

                self._backend = keyring.get_keyring()
            except Exception as exc:  # keyring's loader raises whatever the backend raises
                self._fall_back(f"the keyring could not be loaded ({_describe(exc)})")
                return
        problem = backend_problem(self._backend)
        if problem:
            self._fall_back(problem)

    @property
    def persistent(self) -> bool:
        """Whether secrets outlive this run (they are in the OS keyring)."""
        return self.notice is None

    @property
    def backend_name(self) -> str:
        if not self.persistent:
            return "this run's memory"
        backend = self._backend
        return getattr(type(backend), "name", None) or type(backend).__name__

    def _fall_back(self, reason: str) -> None:
        if self.notice is not None:
            return
        self.notice = (
            f"{reason}: secrets are kept in memory for this run only, never written to a file;"
            " you will have to log in again next time"
        )
        if self._on_fallback is not None:
            self._on_fallback(self.notice)

    def get(self, profile: str, field: str) -> str | None:
        name = entry_name(profile, field)
        with self._lock:
            if not self.persistent:
                return self._memory.get(name)
            try:
                return self._backend.get_password(SERVICE, name)  # type: ignore[union-attr]
            except Exception as exc:
                raise SecretsError(
                    f"the keyring did not give the secrets of the profile {profile!r}"
                    f" ({_describe(exc)}): unlock it and retry"
                ) from None

    def set(self, profile: str, field: str, value: str) -> None:
        name = entry_name(profile, field)
        with self._lock:
            if self.persistent:
                try:
                    self._backend.set_password(SERVICE, name, value)  # type: ignore[union-attr]
                    return
                except Exception as exc:
                    self._fall_back(f"the keyring refused to store a secret ({_describe(exc)})")
            self._memory[name] = value

    def delete(self, profile: str, field: str) -> None:
        name = entry_name(profile, field)
        with self._lock:
            self._memory.pop(name, None)
            if not self.persistent:
                return
            from keyring.errors import PasswordDeleteError

            try:
                self._backend.delete_password(SERVICE, name)  # type: ignore[union-attr]
            except PasswordDeleteError:
                pass  # it was not there
            except Exception as exc:
                raise SecretsError(
                    f"the keyring did not delete the secrets of the profile {profile!r}"
                    f" ({_describe(exc)}): unlock it and retry"
                ) from None

    def delete_profile(self, profile: str) -> None:
        """Delete every secret the profile may have."""
        for field in FIELDS:
            self.delete(profile, field)

    def store_profile(self, profile: str, values: dict[str, str]) -> None:
        """Store the profile's secrets and drop the fields it no longer has."""
        for field in FIELDS:
            if field in values:
                self.set(profile, field, values[field])
            else:
                self.delete(profile, field)
