"""Non-secret settings: the OVHcloud profiles and what the app remembers, in one JSON file.

The file lives in the platform's config directory (platformdirs), or in ``$OVHKVM_CONFIG_DIR``.
It never holds a secret: application secrets, consumer keys and OAuth2 client secrets go to the
OS keyring (``secrets.py``). What it holds for a profile is what the user could read on a screen:
the endpoint, the kind of credential, the application key or OAuth2 client id.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: the process lock alone
    fcntl = None  # type: ignore[assignment]

from ovhkvm_desktop.errors import ConsoleError

APP_NAME = "ovhkvm-desktop"
CONFIG_FILE = "config.json"
CONFIG_DIR_ENV = "OVHKVM_CONFIG_DIR"

#: The endpoints python-ovh knows (`ovh.client.ENDPOINTS`), the only ones a profile may name.
ENDPOINTS = (
    "ovh-eu",
    "ovh-ca",
    "ovh-us",
    "kimsufi-eu",
    "kimsufi-ca",
    "soyoustart-eu",
    "soyoustart-ca",
)
#: OVHcloud issues OAuth2 service accounts on these endpoints only.
OAUTH2_ENDPOINTS = ("ovh-eu", "ovh-ca", "ovh-us")

METHOD_APPLICATION = "application"  # application key + secret + consumer key
METHOD_OAUTH2 = "oauth2"  # service account: client id + secret

DEFAULT_PROFILE = "default"
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ConfigError(ConsoleError):
    """The settings cannot be read or written, or name something that does not exist."""


@dataclass(frozen=True)
class Profile:
    """One OVHcloud account the app can use, without its secrets."""

    name: str
    endpoint: str
    method: str = METHOD_APPLICATION
    application_key: str | None = None  # identifies the application, sent in every request
    client_id: str | None = None  # the OAuth2 service account's id

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["name"]
        return {k: v for k, v in data.items() if v is not None}


def check_profile_name(name: str) -> str:
    if not _PROFILE_NAME.match(name):
        raise ConfigError(
            f"{name!r} is not a usable profile name: use letters, digits, '.', '_' and '-'"
        )
    return name


def check_endpoint(endpoint: str) -> str:
    if endpoint not in ENDPOINTS:
        raise ConfigError(f"unknown endpoint {endpoint!r}; choose from {', '.join(ENDPOINTS)}")
    return endpoint


def config_dir() -> Path:
    """``$OVHKVM_CONFIG_DIR``, else the platform's config directory for the app."""
    env = os.environ.get(CONFIG_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=True))


#: Held while a settings file is read, changed and written back, by every writer of this process.
_WRITERS = threading.RLock()


@contextlib.contextmanager
def exclusive(directory: Path) -> Iterator[None]:
    """Be the only writer of the settings files in ``directory``: the other threads of this
    process wait, and so do other processes (the app, a command line), on a lock file."""
    with _WRITERS:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)  # empty, kept
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # and with it the lock


class Settings:
    """The settings file: read at first, then again before each change, which is written back
    (atomically) at once, so that nothing another writer saved meanwhile is lost.

    Thread-safe: API workers record what they learned (the console door that worked) while the
    GUI reads; the app and command lines may write at the same time.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory else config_dir()
        self.path = self.directory / CONFIG_FILE
        self._lock = threading.RLock()
        self._data: dict[str, Any] = self._read()

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(f"cannot read the settings {self.path}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(
                f"the settings file {self.path} is damaged ({exc}); fix it or remove it"
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(f"the settings file {self.path} is damaged; fix it or remove it")
        return data

    def _change(self, change: Callable[[dict[str, Any]], object]) -> None:
        """Apply ``change`` to the settings as they are on disk now, and write them."""
        with self._lock:
            try:
                with exclusive(self.directory):
                    self._data = self._read()
                    change(self._data)
                    self._write()
            except OSError as exc:
                raise ConfigError(
                    f"cannot write the settings in {self.directory}: {exc.strerror or exc}"
                ) from None

    def _write(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(self._data, out, indent=2, sort_keys=True)
                    out.write("\n")
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise ConfigError(
                f"cannot write the settings in {self.directory}: {exc.strerror or exc}"
            ) from None

    # -- profiles ------------------------------------------------------------------------------

    def profiles(self) -> list[Profile]:
        with self._lock:
            stored = self._data.get("profiles", {})
            return [self._profile(name, data) for name, data in sorted(stored.items())]

    @staticmethod
    def _profile(name: str, data: dict[str, Any]) -> Profile:
        return Profile(
            name=name,
            endpoint=str(data.get("endpoint", "ovh-eu")),
            method=str(data.get("method", METHOD_APPLICATION)),
            application_key=data.get("application_key"),
            client_id=data.get("client_id"),
        )

    def profile(self, name: str | None = None) -> Profile:
        """The named profile, or the default one; ``ConfigError`` says how to create it."""
        with self._lock:
            stored = self._data.get("profiles", {})
            if name is None:
                name = self.default_profile_name()
            if name is None or name not in stored:
                known = ", ".join(sorted(stored))
                hint = f" (profiles: {known})" if known else ""
                who = f"the profile {name!r}" if name else "an OVHcloud profile"
                raise ConfigError(
                    f"there is no {who}{hint}: create it with"
                    f" 'ovhkvm-desktop login --profile {name or DEFAULT_PROFILE}"
                    " --endpoint ovh-eu --application-key AK'"
                )
            return self._profile(name, stored[name])

    def default_profile_name(self) -> str | None:
        """The chosen default, else the only profile, else ``default`` when it exists."""
        with self._lock:
            stored = self._data.get("profiles", {})
            chosen = self._data.get("default_profile")
            if chosen in stored:
                return str(chosen)
            if len(stored) == 1:
                return next(iter(stored))
            return DEFAULT_PROFILE if DEFAULT_PROFILE in stored else None

    def save_profile(self, profile: Profile, make_default: bool = False) -> None:
        check_profile_name(profile.name)
        check_endpoint(profile.endpoint)

        def change(data: dict[str, Any]) -> None:
            data.setdefault("profiles", {})[profile.name] = profile.to_json()
            if make_default or not data.get("default_profile"):
                data["default_profile"] = profile.name

        self._change(change)

    def delete_profile(self, name: str) -> None:
        """Forget the profile and what was remembered for it (its secrets: ``secrets.py``)."""

        def change(data: dict[str, Any]) -> None:
            data.get("profiles", {}).pop(name, None)
            if data.get("default_profile") == name:
                del data["default_profile"]
            data.get("console_doors", {}).pop(name, None)

        self._change(change)

    # -- what the app remembers ------------------------------------------------------------------

    def console_door(self, profile: str, service: str) -> str | None:
        """The console door that worked last time for this VPS (see cloud/consoles.py)."""
        with self._lock:
            door = self._data.get("console_doors", {}).get(profile, {}).get(service)
            return str(door) if door else None

    def remember_console_door(self, profile: str, service: str, door: str) -> None:
        if self.console_door(profile, service) == door:
            return

        def change(data: dict[str, Any]) -> None:
            data.setdefault("console_doors", {}).setdefault(profile, {})[service] = door

        self._change(change)

    def get(self, key: str, default: Any = None) -> Any:
        """A free-form setting (for the window: last layout per server, geometry...)."""
        with self._lock:
            return self._data.get("settings", {}).get(key, default)

    def set(self, key: str, value: Any) -> None:

        def change(data: dict[str, Any]) -> None:
            data.setdefault("settings", {})[key] = value

        self._change(change)
