"""Non-secret settings: the OVHcloud profiles and what the app remembers, in one JSON file.

The file lives in the platform's config directory (platformdirs), or in ``$OVHKVM_CONFIG_DIR``.
It never holds a secret: application secrets, consumer keys and OAuth2 client secrets go to the
OS keyring (``secrets.py``). What it holds for a profile is what the user could read on a screen:
the endpoint, the kind of credential, the application key or OAuth2 client id; and what the
windows remember: the console door that worked, each server's keyboard choices, the geometry.

A file the app cannot use (broken JSON, or JSON of another shape) is reported and never written
over: the user decides whether to fix it or remove it.
"""

from __future__ import annotations

import contextlib
import errno
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
from ovhkvm_desktop.words import _

APP_NAME = "ovhkvm-desktop"
CONFIG_FILE = "config.json"
CONFIG_DIR_ENV = "OVHKVM_CONFIG_DIR"
#: The console window's own file before its choices moved into config.json; read, never written.
OLD_CONSOLE_FILE = "console-window.json"

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
            _("{name} is not a usable profile name: use letters, digits, '.', '_' and '-'").format(
                name=repr(name)
            )
        )
    return name


def check_endpoint(endpoint: str) -> str:
    if endpoint not in ENDPOINTS:
        raise ConfigError(
            _("unknown endpoint {endpoint}; choose from {endpoints}").format(
                endpoint=repr(endpoint), endpoints=", ".join(ENDPOINTS)
            )
        )
    return endpoint


def config_dir() -> Path:
    """``$OVHKVM_CONFIG_DIR``, else the platform's config directory for the app: the one place
    where every setting lives (roaming on Windows, so that it follows the user)."""
    env = os.environ.get(CONFIG_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=True))


def _old_console_dirs(directory: Path) -> list[Path]:
    """Where the console window kept its own file: beside config.json, and, on Windows, in the
    local (not roaming) config directory, which it used by mistake."""
    dirs = [directory]
    if not os.environ.get(CONFIG_DIR_ENV) and directory == config_dir():
        import platformdirs

        local = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
        if local != directory:
            dirs.append(local)
    return dirs


# -- the shape of the file -------------------------------------------------------------------------

#: Says what is wrong with a value found at a place in the file, or None when the app can use it.
_Check = Callable[[object, str], str | None]


def _kind(value: object) -> str:
    """What a JSON value is, in words (a noun phrase of its own, said inside the sentences
    below)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return _("true or false")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, list):
        return _("a list")
    return _("an object")


def _not_an_object(value: object, where: str) -> str:
    return _("{where} is {kind}, not an object").format(where=where, kind=_kind(value))


def _string(value: object, where: str) -> str | None:
    if isinstance(value, str):
        return None
    return _("{where} is {kind}, not a string").format(where=repr(where), kind=_kind(value))


def _object_of(each: _Check | None = None) -> _Check:
    """An object whose every value passes ``each`` (any JSON value when None)."""

    def check(value: object, where: str) -> str | None:
        if not isinstance(value, dict):
            return _not_an_object(value, repr(where))
        if each is None:
            return None
        for key, item in value.items():
            problem = each(item, f"{where}.{key}")
            if problem:
                return problem
        return None

    return check


def _list_of(each: _Check) -> _Check:
    """A list whose every item passes ``each``."""

    def check(value: object, where: str) -> str | None:
        if not isinstance(value, list):
            return _("{where} is {kind}, not a list").format(where=repr(where), kind=_kind(value))
        for number, item in enumerate(value):
            problem = each(item, f"{where}[{number}]")
            if problem:
                return problem
        return None

    return check


def _fields(types: dict[str, tuple[type, ...]]) -> _Check:
    """An object whose known fields (absent ones are fine) have these types."""

    def check(value: object, where: str) -> str | None:
        if not isinstance(value, dict):
            return _not_an_object(value, repr(where))
        for field, allowed in types.items():
            if field not in value:
                continue
            item = value[field]
            numeric = float in allowed and isinstance(item, int) and not isinstance(item, bool)
            if not (numeric or (isinstance(item, allowed) and not _bool_as_number(item, allowed))):
                kinds = [_kind(t()) for t in allowed]
                wanted = kinds[0]
                for other in kinds[1:]:
                    wanted = _("{kind} or {other}").format(kind=wanted, other=other)
                return _("{where} is {kind}, not {wanted}").format(
                    where=f"{where}.{field!r}", kind=_kind(item), wanted=wanted
                )
        return None

    return check


def _bool_as_number(item: object, allowed: tuple[type, ...]) -> bool:
    """True is an int to Python, never a number to the settings."""
    return isinstance(item, bool) and bool not in allowed


def _profile_shape(value: object, where: str) -> str | None:
    if not isinstance(value, dict):
        return _not_an_object(value, repr(where))
    for field in ("endpoint", "method", "application_key", "client_id"):
        problem = _string(value[field], f"{where}.{field}") if field in value else None
        if problem:
            return problem
    return None


#: What the app reads at the top of the file. Other keys (from a later version) are kept as they
#: are; so are the values of a server's console choices that are not strings (``server_choices``
#: only returns strings), so that a later version may remember other kinds of things there.
_SHAPE: dict[str, _Check] = {
    "default_profile": _string,
    "profiles": _object_of(_profile_shape),
    "console_doors": _object_of(_object_of(_string)),  # profile -> service -> door
    "consoles": _object_of(_object_of()),  # server -> choice -> value
    "settings": _object_of(),  # key -> any value
    "preferences": lambda value, where: _fields(_PREFERENCE_TYPES)(value, where),
    "favourites": _object_of(_list_of(_string)),  # profile -> services
    "recents": _list_of(lambda value, where: _fields(_RECENT_TYPES)(value, where)),
}


def settings_problem(data: object) -> str | None:
    """What makes ``data`` (a parsed settings file) unusable by the app, in a few words, or
    None when every part the app reads has the type it expects."""
    if not isinstance(data, dict):
        return _("it holds {kind}, not an object").format(kind=_kind(data))
    for key, check in _SHAPE.items():
        problem = check(data[key], key) if key in data else None
        if problem:
            return problem
    return None


def _strings(entry: dict[str, Any]) -> dict[str, str]:
    return {name: value for name, value in entry.items() if isinstance(value, str)}


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


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable. POSIX only: Windows cannot open a directory, and
    some file systems (network, FUSE) refuse to sync one, which loses nothing that was there."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(fd)


class Settings:
    """The settings file: read at first, then again before each change, which is written back
    (atomically, and synced to the disk) at once, so that nothing another writer saved meanwhile
    is lost, and a crash leaves the old file or the new one, whole.

    Reading methods answer from what was read last; a damaged file is reported (``ConfigError``)
    by the constructor and by every change, and is never written over.

    Thread-safe: API workers record what they learned (the console door that worked) while the
    GUI reads; the app and command lines may write at the same time.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory else config_dir()
        self.path = self.directory / CONFIG_FILE
        self._old_console_files = [d / OLD_CONSOLE_FILE for d in _old_console_dirs(self.directory)]
        self._lock = threading.RLock()
        self._data: dict[str, Any] = self._read()

    def _damaged(self, what: str) -> ConfigError:
        return ConfigError(
            _("the settings file {path} is damaged ({problem}); fix it or remove it").format(
                path=self.path, problem=what
            )
        )

    def _read(self) -> dict[str, Any]:
        """The settings on disk, checked: a ``ConfigError`` when the app cannot use them."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(
                _("cannot read the settings {path}: {reason}").format(
                    path=self.path, reason=exc.strerror
                )
            ) from None
        try:
            # utf-8-sig: a byte order mark (Notepad adds one) is not damage.
            data = json.loads(raw.decode("utf-8-sig"))
        except ValueError as exc:  # also UnicodeDecodeError
            raise self._damaged(str(exc)) from None
        except RecursionError:
            raise self._damaged(_("it is nested too deeply")) from None
        problem = settings_problem(data)
        if problem:
            raise self._damaged(problem)
        assert isinstance(data, dict)  # settings_problem checked it
        return data

    def _change(self, change: Callable[[dict[str, Any]], object]) -> None:
        """Apply ``change`` to the settings as they are on disk now, and write them. A damaged
        file raises ``ConfigError`` before anything is written."""
        with self._lock:
            try:
                with exclusive(self.directory):
                    data = self._read()
                    change(data)
                    problem = settings_problem(data)
                    if problem:  # a caller's mistake: the next reader would call it damaged
                        raise ValueError(f"refusing to write settings where {problem}")
                    self._write(data)
                    self._data = data
            except OSError as exc:
                raise ConfigError(
                    _("cannot write the settings in {path}: {reason}").format(
                        path=self.directory, reason=exc.strerror or exc
                    )
                ) from None

    def _write(self, data: dict[str, Any]) -> None:
        """Replace the file atomically: a temporary file in the same directory (0o600, as
        mkstemp makes it), synced, renamed over the file, and the rename synced."""
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"  # before any file is made
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _sync_directory(self.directory)

    # -- profiles ------------------------------------------------------------------------------

    def profiles(self) -> list[Profile]:
        with self._lock:
            stored = self._data.get("profiles", {})
            return [self._profile(name, data) for name, data in sorted(stored.items())]

    @staticmethod
    def _profile(name: str, data: dict[str, Any]) -> Profile:
        return Profile(
            name=name,
            endpoint=data.get("endpoint", "ovh-eu"),
            method=data.get("method", METHOD_APPLICATION),
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
                if name and known:
                    sentence = _(
                        "there is no profile {name} (profiles: {known}): create it with {command}"
                    )
                elif name:
                    sentence = _("there is no profile {name}: create it with {command}")
                else:
                    sentence = _("there is no OVHcloud profile: create it with {command}")
                command = (
                    f"'ovhkvm-desktop login --profile {name or DEFAULT_PROFILE}"
                    " --endpoint ovh-eu --application-key AK'"
                )
                raise ConfigError(sentence.format(name=repr(name), known=known, command=command))
            return self._profile(name, stored[name])

    def default_profile_name(self) -> str | None:
        """The chosen default, else the only profile, else ``default`` when it exists."""
        with self._lock:
            stored = self._data.get("profiles", {})
            chosen = self._data.get("default_profile")
            if chosen in stored:
                return str(chosen)
            if len(stored) == 1:
                return str(next(iter(stored)))
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
            data.get("favourites", {}).pop(name, None)
            if "recents" in data:
                data["recents"] = [
                    r.to_json()
                    for r in _recents(data)
                    if not (r.kind == RECENT_SERVER and r.profile == name)
                ]

        self._change(change)

    # -- what the app remembers ------------------------------------------------------------------

    def console_door(self, profile: str, service: str) -> str | None:
        """The console door that worked last time for this VPS (see cloud/consoles.py)."""
        with self._lock:
            door: str | None = self._data.get("console_doors", {}).get(profile, {}).get(service)
            return door or None

    def remember_console_door(self, profile: str, service: str, door: str) -> None:
        if self.console_door(profile, service) == door:
            return

        def change(data: dict[str, Any]) -> None:
            data.setdefault("console_doors", {}).setdefault(profile, {})[service] = door

        self._change(change)

    def server_choices(self, server: str) -> dict[str, str]:
        """What the user chose last time in the console window for this server (guest layout,
        keyboard mode, guest system...), by name; {} when nothing was chosen.

        A server that config.json does not know yet is looked up in the console window's old
        file (``console-window.json``), which stays as it is: read here, never written."""
        with self._lock:
            entry = self._data.get("consoles", {}).get(server)
        if entry is not None:
            return _strings(entry)
        return self._old_console_choices().get(server, {})

    def remember_server_choices(self, server: str, **values: str) -> None:
        """Remember these choices for the server, beside the others remembered for it. A server
        known only from the old file starts from its choices there."""
        for name, value in values.items():
            if not isinstance(value, str):
                raise TypeError(f"a server choice is a string, not {value!r} for {name!r}")
        if not values:
            return

        def change(data: dict[str, Any]) -> None:
            consoles = data.setdefault("consoles", {})
            if server not in consoles:
                consoles[server] = self._old_console_choices().get(server, {})
            consoles[server].update(values)

        self._change(change)

    def _old_console_choices(self) -> dict[str, dict[str, str]]:
        """The servers in the console window's old file(s). That file may be damaged: it was
        only ever treated as a cache, so what cannot be read there is simply not found."""
        found: dict[str, dict[str, str]] = {}
        for path in self._old_console_files:
            try:
                data = json.loads(path.read_bytes().decode("utf-8-sig"))
            except (OSError, ValueError, RecursionError):
                continue
            servers = data.get("servers") if isinstance(data, dict) else None
            for server, entry in servers.items() if isinstance(servers, dict) else ():
                if isinstance(entry, dict):
                    found.setdefault(server, _strings(entry))
        return found

    # -- preferences, favourites, recents ----------------------------------------------------------

    def preferences(self) -> Preferences:
        with self._lock:
            return _preferences(self._data)

    def save_preferences(self, preferences: Preferences) -> None:
        def change(data: dict[str, Any]) -> None:
            data["preferences"] = preferences.to_json()

        self._change(change)

    def reload(self) -> None:
        """Read the file again (another process may have changed it)."""
        with self._lock:
            self._data = self._read()

    def favourites(self) -> set[tuple[str, str]]:
        """The starred servers, as (profile, service)."""
        with self._lock:
            stored = self._data.get("favourites", {})
            return {
                (profile, service) for profile, services in stored.items() for service in services
            }

    def set_favourite(self, profile: str, service: str, on: bool) -> None:
        def change(data: dict[str, Any]) -> None:
            services = data.setdefault("favourites", {}).setdefault(profile, [])
            if on and service not in services:
                services.append(service)
            elif not on and service in services:
                services.remove(service)
            if not services:
                del data["favourites"][profile]

        self._change(change)

    def recents(self) -> list[Recent]:
        """The consoles opened lately, the latest first."""
        with self._lock:
            return _recents(self._data)

    def remember_recent(self, recent: Recent) -> None:
        def change(data: dict[str, Any]) -> None:
            kept = [r for r in _recents(data) if not r.same_console(recent)]
            data["recents"] = [r.to_json() for r in [recent, *kept][:MAX_RECENTS]]

        self._change(change)

    def get(self, key: str, default: Any = None) -> Any:
        """A free-form setting (for the window: its geometry...)."""
        with self._lock:
            return self._data.get("settings", {}).get(key, default)

    def set(self, key: str, value: Any) -> None:

        def change(data: dict[str, Any]) -> None:
            data.setdefault("settings", {})[key] = value

        self._change(change)


# -- the app's preferences (the Settings dialog) ---------------------------------------------------

#: The languages the app can speak ("" follows the system's).
LANGUAGES = ("", "en", "fr")
#: How a console shows a remote screen larger or smaller than its window (ui/framebuffer_view.py's
#: ScaleMode values), the keyboard modes and guest systems (keyboard/'s KeyboardMode and
#: GuestSystem values): checked again where they are used, so that a value written by a later
#: version falls back to the default there instead of being refused here.
#: The longest key delay the settings accept (a slow serial-backed console needs ~100 ms).
MAX_KEY_DELAY_MS = 1000.0


@dataclass(frozen=True)
class Preferences:
    """The app's defaults, as the Settings dialog sets them. A console's own choices (a
    server's layout, its clipboard) win over these; the command line's options win over both."""

    language: str = ""  # "" follows the system
    scale: str = "fit"
    menu_key: str = "F8"
    keyboard: str = "translate"
    guest: str = "auto"
    key_delay_ms: float | None = None  # None: the session's own default (session/pacing.py)
    start_hidden: bool = False  # start with the tray icon only (when there is a tray)
    close_to_tray: bool = True  # closing the main window keeps the app in the tray
    clipboard_send: bool = False  # a server never seen before: send it the local clipboard
    clipboard_take: bool = False  # ... and take its clipboard
    remember_geometry: bool = True  # windows come back where they were left

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


_PREFERENCE_TYPES: dict[str, tuple[type, ...]] = {
    "language": (str,),
    "scale": (str,),
    "menu_key": (str,),
    "keyboard": (str,),
    "guest": (str,),
    "key_delay_ms": (float,),
    "start_hidden": (bool,),
    "close_to_tray": (bool,),
    "clipboard_send": (bool,),
    "clipboard_take": (bool,),
    "remember_geometry": (bool,),
}


def _preferences(data: dict[str, Any]) -> Preferences:
    """The preferences in a settings file (its shape checked): a value out of range becomes the
    default, as if it had never been set."""
    found = dict(data.get("preferences", {}))
    known = {k: v for k, v in found.items() if k in _PREFERENCE_TYPES}
    if known.get("language") not in LANGUAGES:
        known.pop("language", None)
    delay = known.get("key_delay_ms")
    if delay is not None and not 0 <= float(delay) <= MAX_KEY_DELAY_MS:
        known.pop("key_delay_ms")
    elif delay is not None:
        known["key_delay_ms"] = float(delay)
    if "menu_key" in known and not known["menu_key"].strip():
        known.pop("menu_key")
    return Preferences(**known)


# -- favourites and recents ------------------------------------------------------------------------

#: Recent consoles kept in the file (the tray shows the first RECENTS_SHOWN).
MAX_RECENTS = 10
RECENTS_SHOWN = 5
RECENT_SERVER = "server"
RECENT_ADDRESS = "address"

_RECENT_TYPES: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "label": (str,),
    "profile": (str,),
    "service": (str,),
    "address": (str,),
    "complete": (bool,),
}


@dataclass(frozen=True)
class Recent:
    """A console opened lately: an OVHcloud server (profile and service), or an address as a
    message may show it (``targets.redact_target``: no password, no token). ``complete`` says
    whether the address opens as it is, or needs what was removed from it."""

    kind: str
    label: str
    profile: str = ""
    service: str = ""
    address: str = ""
    complete: bool = True

    @classmethod
    def server(cls, profile: str, service: str, label: str) -> Recent:
        return cls(RECENT_SERVER, label, profile=profile, service=service)

    @classmethod
    def of_address(cls, text: str) -> Recent:
        """The address the user typed, its secrets left out."""
        from ovhkvm_desktop.targets import redact_target

        shown = redact_target(text)
        return cls(RECENT_ADDRESS, shown, address=shown, complete=shown == text.strip())

    def same_console(self, other: Recent) -> bool:
        if self.kind != other.kind:
            return False
        if self.kind == RECENT_SERVER:
            return (self.profile, self.service) == (other.profile, other.service)
        return self.address == other.address

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: v for k, v in data.items() if v != "" or k in ("kind", "label")}


def _recents(data: dict[str, Any]) -> list[Recent]:
    found = []
    for item in data.get("recents", []):
        if not isinstance(item.get("kind"), str) or not isinstance(item.get("label"), str):
            continue
        entry = Recent(**{k: v for k, v in item.items() if k in _RECENT_TYPES})
        usable = (entry.kind == RECENT_SERVER and entry.profile and entry.service) or (
            entry.kind == RECENT_ADDRESS and entry.address
        )
        if usable:  # an entry of a later version's kind is skipped, not refused
            found.append(entry)
    return found
