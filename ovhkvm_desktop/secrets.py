"""Profile secrets in the OS keyring (service ``ovhkvm-desktop``), and nowhere else.

Each secret is one keyring entry named ``PROFILE/FIELD``. When no keyring is usable (no backend,
a Secret Service that cannot be reached, or a backend that would write the secrets to a file),
the secrets are kept in this process's memory for this run only, and ``Secrets.notice`` says so
in words: they are never written to a file. The app makes a new ``Secrets`` for each operation,
so that memory is one store per process (``MEMORY``), shared by all of them: what the login put
there, the server list finds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.words import N_, _

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


class MemoryStore:
    """The secrets no keyring took, for the rest of this process's run (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._entries.get(name)

    def set(self, name: str, value: str) -> None:
        with self._lock:
            self._entries[name] = value

    def discard(self, name: str) -> None:
        with self._lock:
            self._entries.pop(name, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


#: This process's memory store: every ``Secrets`` that cannot use the keyring shares it.
MEMORY = MemoryStore()

_NO_BACKEND = N_("no keyring is available (no Secret Service, KWallet, macOS or Windows keyring)")


def _from_keyrings_alt(backend: object) -> list[type]:
    """The classes of keyrings.alt that the backend is made of (its own, or those a derived
    backend such as keyrings.cryptfile's builds on)."""
    return [
        cls
        for cls in type(backend).__mro__
        if cls.__module__ == "keyrings.alt" or cls.__module__.startswith("keyrings.alt.")
    ]


def _refused_alternative(backend: object) -> str | None:
    """Why a backend of keyrings.alt is refused, or None for any other backend.

    Its file backends (PlaintextKeyring: the secrets in clear in a file; EncryptedKeyring: a
    file whose password keyring asks for on a terminal the app may not have; Windows'
    EncryptedKeyring: a file too) break this module's promise: never a file. Its other backends
    (a Google Docs document, a registry wrapper, the libgnome-keyring binding that distributions
    dropped) are ones its authors say may have security risks and discourage for production
    use: the OS keyrings that keyring itself supports are the way."""
    classes = _from_keyrings_alt(backend)
    if not classes:
        return None
    name = getattr(type(backend), "name", None) or type(backend).__name__
    if any(cls.__name__ == "FileBacked" for cls in classes):
        sentence = _(
            "the keyring backend {backend} of keyrings.alt would write the secrets to a file,"
            " which {app} refuses (a Secret Service such as GNOME Keyring, or KWallet, would keep"
            " them)"
        )
    else:
        sentence = _(
            "the keyring backend {backend} of keyrings.alt is one its authors discourage for real"
            " secrets, which {app} refuses (a Secret Service such as GNOME Keyring, or KWallet,"
            " would keep them)"
        )
    return sentence.format(backend=repr(name), app=SERVICE)


def backend_problem(backend: object) -> str | None:
    """Why a keyring backend cannot keep secrets, or None when it can."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring):
        return _(_NO_BACKEND)
    if isinstance(backend, null.Keyring):
        return _("the keyring is disabled (keyring's null backend is configured)")
    if isinstance(backend, chainer.ChainerBackend):
        members = list(backend.backends)
        if not members:
            return _(_NO_BACKEND)
        if _usable_members(members):
            return None
        return backend_problem(members[0])
    return _refused_alternative(backend)


def _usable_members(members: Sequence[Any]) -> list[Any]:
    return [member for member in members if backend_problem(member) is None]


class KeyringChain:
    """keyring's chain of backends less the ones ``backend_problem`` refuses.

    keyring chains every viable backend when there are several: with keyrings.alt installed, a
    desktop's Secret Service comes with its plain-file keyring, which the chain reads secrets
    from and writes them to when the backends before it decline. Reads go through each usable
    backend in turn, and writes to the first that takes them, as keyring's own chain does."""

    def __init__(self, backends: Sequence[Any]) -> None:
        self.backends = list(backends)
        self.name = " + ".join(getattr(type(b), "name", type(b).__name__) for b in backends)

    def get_password(self, service: str, username: str) -> str | None:
        for backend in self.backends:
            password = backend.get_password(service, username)
            if password is not None:
                return str(password)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._first_that_implements("set_password", service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._first_that_implements("delete_password", service, username)

    def _first_that_implements(self, method: str, *args: str) -> None:
        for backend in self.backends:
            try:
                getattr(backend, method)(*args)
                return
            except NotImplementedError:
                continue
        raise NotImplementedError(f"no keyring backend can {method.replace('_', ' ')}")


def _usable(backend: Any) -> Any:
    """The backend to use: keyring's chain without the backends this module refuses."""
    from keyring.backends import chainer

    if not isinstance(backend, chainer.ChainerBackend):
        return backend
    members = list(backend.backends)
    usable = _usable_members(members)
    if len(usable) == len(members):
        return backend
    return usable[0] if len(usable) == 1 else KeyringChain(usable)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text or type(exc).__name__


class Secrets:
    """The secrets of every profile: the OS keyring, else this run's memory (``MEMORY``).

    ``Secrets()`` uses keyring's own choice of backend (``PYTHON_KEYRING_BACKEND`` or its
    detection); tests pass a backend. ``on_fallback(notice)`` is called once if the secrets have
    to stay in memory, so that the CLI can print the notice and the window can show it.

    What this run had to keep in memory is read before the keyring, by every ``Secrets`` of the
    process: a keyring that refused a secret a moment ago must not hide it from the next reader.
    """

    def __init__(
        self,
        backend: object | None = None,
        *,
        on_fallback: Callable[[str], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._on_fallback = on_fallback
        self.notice: str | None = None
        self._backend = backend
        if backend is None:
            try:
                import keyring

                self._backend = keyring.get_keyring()
            except Exception as exc:  # keyring's loader raises whatever the backend raises
                self._fall_back(
                    _("the keyring could not be loaded ({reason})").format(reason=_describe(exc))
                )
                return
        problem = backend_problem(self._backend)
        if problem:
            self._fall_back(problem)
        else:
            self._backend = _usable(self._backend)

    @property
    def persistent(self) -> bool:
        """Whether secrets outlive this run (they are in the OS keyring)."""
        return self.notice is None

    @property
    def backend_name(self) -> str:
        if not self.persistent:
            return _("this run's memory")
        backend = self._backend
        return getattr(backend, "name", None) or type(backend).__name__

    def _fall_back(self, reason: str) -> None:
        if self.notice is not None:
            return
        self.notice = _(
            "{reason}: secrets are kept in memory for this run only, never written to a file;"
            " you will have to log in again next time"
        ).format(reason=reason)
        if self._on_fallback is not None:
            self._on_fallback(self.notice)

    def get(self, profile: str, field: str) -> str | None:
        name = entry_name(profile, field)
        remembered = MEMORY.get(name)
        if remembered is not None or not self.persistent:
            return remembered
        with self._lock:
            try:
                return self._backend.get_password(SERVICE, name)  # type: ignore[union-attr]
            except Exception as exc:
                raise SecretsError(
                    _(
                        "the keyring did not give the secrets of the profile {profile} ({reason}):"
                        " unlock it and retry"
                    ).format(profile=repr(profile), reason=_describe(exc))
                ) from None

    def set(self, profile: str, field: str, value: str) -> None:
        name = entry_name(profile, field)
        with self._lock:
            if self.persistent:
                try:
                    self._backend.set_password(SERVICE, name, value)  # type: ignore[union-attr]
                    MEMORY.discard(name)  # the keyring holds the newest now
                    return
                except Exception as exc:
                    self._fall_back(
                        _("the keyring refused to store a secret ({reason})").format(
                            reason=_describe(exc)
                        )
                    )
            MEMORY.set(name, value)

    def delete(self, profile: str, field: str) -> None:
        name = entry_name(profile, field)
        MEMORY.discard(name)
        if not self.persistent:
            return
        from keyring.errors import PasswordDeleteError

        with self._lock:
            try:
                self._backend.delete_password(SERVICE, name)  # type: ignore[union-attr]
            except PasswordDeleteError:
                pass  # it was not there
            except Exception as exc:
                raise SecretsError(
                    _(
                        "the keyring did not delete the secrets of the profile {profile}"
                        " ({reason}): unlock it and retry"
                    ).format(profile=repr(profile), reason=_describe(exc))
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
