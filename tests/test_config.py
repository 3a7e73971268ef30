"""Settings: profiles in the config directory (OVHKVM_CONFIG_DIR or platformdirs), no secrets."""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from ovhkvm_desktop.config import (
    ConfigError,
    Profile,
    Settings,
    config_dir,
)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OVHKVM_CONFIG_DIR", str(tmp_path / "cfg"))
    return Settings()


def test_the_config_dir_is_ovhkvm_config_dir_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("OVHKVM_CONFIG_DIR", str(tmp_path / "here"))
    assert config_dir() == tmp_path / "here"


def test_the_config_dir_is_the_platforms_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv("OVHKVM_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir() == tmp_path / "xdg" / "ovhkvm-desktop"


def test_profiles_survive_a_restart_and_the_first_is_the_default(settings):
    settings.save_profile(Profile("work", "ovh-eu", application_key="AK1"))
    settings.save_profile(Profile("canada", "ovh-ca", "oauth2", client_id="EU.x"))
    again = Settings()
    assert [p.name for p in again.profiles()] == ["canada", "work"]
    assert again.profile() == Profile("work", "ovh-eu", "application", "AK1")
    assert again.profile("canada").client_id == "EU.x"
    assert json.loads(again.path.read_text())["default_profile"] == "work"


def test_an_unknown_profile_says_how_to_create_it(settings):
    with pytest.raises(ConfigError) as error:
        settings.profile("nope")
    assert "ovhkvm-desktop login --profile nope" in str(error.value)
    with pytest.raises(ConfigError, match="login"):
        settings.profile()


def test_deleting_a_profile_forgets_what_was_remembered_for_it(settings):
    settings.save_profile(Profile("a", "ovh-eu", application_key="AK"))
    settings.remember_console_door("a", "vps-1", "VNC")
    assert Settings().console_door("a", "vps-1") == "VNC"
    settings.delete_profile("a")
    again = Settings()
    assert again.profiles() == []
    assert again.console_door("a", "vps-1") is None


def test_names_and_endpoints_are_checked(settings):
    with pytest.raises(ConfigError, match="profile name"):
        settings.save_profile(Profile("../evil", "ovh-eu"))
    with pytest.raises(ConfigError, match="unknown endpoint 'ovh-mars'"):
        settings.save_profile(Profile("ok", "ovh-mars"))


def test_the_file_is_written_whole_and_private(settings):
    settings.save_profile(Profile("a", "ovh-eu", application_key="AK"))
    mode = stat.S_IMODE(settings.directory.stat().st_mode)
    assert mode & 0o077 == 0
    # No temporary file left behind; beside the settings, only the writers' (empty) lock file.
    assert sorted(p.name for p in settings.directory.iterdir()) == [".lock", "config.json"]
    assert (settings.directory / ".lock").stat().st_size == 0


def test_a_damaged_file_is_reported_not_overwritten(settings):
    settings.directory.mkdir(parents=True)
    settings.path.write_text("{not json")
    with pytest.raises(ConfigError, match="damaged"):
        Settings()
    assert settings.path.read_text() == "{not json"


def test_free_settings_for_the_window(settings):
    settings.set("layout:vps-1", "fr")
    assert Settings().get("layout:vps-1") == "fr"
    assert Settings().get("missing", 3) == 3


def test_writers_at_the_same_time_lose_nothing(tmp_path):
    """The app's threads and other processes each hold a Settings read earlier: every change
    any of them writes is kept (each change re-reads the file under a lock)."""
    import threading

    early = Settings(tmp_path)  # read before anything below was written
    early_window = Settings(tmp_path)

    def writer(n: int) -> None:
        mine = Settings(tmp_path)
        windows = Settings(tmp_path)
        for i in range(20):
            mine.remember_console_door(f"p{n}", f"vps{i}", "VNC")
            windows.remember_server_choices(f"server-{n}-{i}", layout="fr")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    early.save_profile(Profile("work", "ovh-eu", application_key="AK"))
    early_window.remember_server_choices("late", layout="de")

    again = Settings(tmp_path)
    assert [p.name for p in again.profiles()] == ["work"]
    assert all(again.console_door(f"p{n}", f"vps{i}") == "VNC" for n in range(6) for i in range(20))
    assert again.server_choices("late") == {"layout": "de"}
    assert all(
        again.server_choices(f"server-{n}-{i}") == {"layout": "fr"}
        for n in range(6)
        for i in range(20)
    )


# -- the console window's choices per server -------------------------------------------------------


def test_a_servers_keyboard_choices_are_remembered_and_merged(settings):
    assert settings.server_choices("vps-1.vps.ovh.net") == {}
    settings.remember_server_choices("vps-1.vps.ovh.net", layout="fr", keyboard="physical")
    Settings().remember_server_choices("vps-1.vps.ovh.net", guest="console")  # another window
    settings.remember_server_choices("vps-1.vps.ovh.net", layout="ch(fr)")
    assert Settings().server_choices("vps-1.vps.ovh.net") == {
        "layout": "ch(fr)",
        "keyboard": "physical",
        "guest": "console",
    }
    assert Settings().server_choices("vps-2.vps.ovh.net") == {}
    # In the one settings file, beside the profiles.
    assert sorted(json.loads(settings.path.read_text())) == ["consoles"]


def test_only_text_choices_are_given_back_and_the_others_kept(settings):
    """A later version may remember a number there: this one ignores it and keeps it."""
    settings.directory.mkdir(parents=True)
    settings.path.write_text(json.dumps({"consoles": {"s": {"layout": "de", "zoom": 1.5}}}))
    assert Settings().server_choices("s") == {"layout": "de"}
    Settings().remember_server_choices("s", keyboard="keysym")
    assert json.loads(settings.path.read_text())["consoles"]["s"] == {
        "layout": "de",
        "zoom": 1.5,
        "keyboard": "keysym",
    }


def test_a_server_choice_must_be_text(settings):
    with pytest.raises(TypeError):
        settings.remember_server_choices("s", layout=3)  # type: ignore[arg-type]
    assert not settings.path.exists()


def _old_window_file(directory: Path, servers: dict[str, object]) -> Path:
    """console-window.json as the console window wrote it before it used config.json."""
    directory.mkdir(parents=True, exist_ok=True)
    old = directory / "console-window.json"
    old.write_text(json.dumps({"servers": servers}, indent=2, sort_keys=True))
    return old


def test_choices_from_the_old_console_window_file_are_still_found_and_it_stays_as_it_was(settings):
    old = _old_window_file(
        settings.directory,
        {
            "only-old": {"layout": "de", "keyboard": "physical", "scale": 2},
            "both": {"layout": "us"},
            "broken-entry": "fr",
        },
    )
    settings.directory.joinpath("config.json").write_text(
        json.dumps({"consoles": {"both": {"layout": "fr"}}})
    )
    before = old.read_bytes()
    again = Settings()
    assert again.server_choices("only-old") == {"layout": "de", "keyboard": "physical"}
    assert again.server_choices("both") == {"layout": "fr"}  # config.json wins
    assert again.server_choices("broken-entry") == {}

    # A new choice for a server known only from the old file keeps its other old choices.
    again.remember_server_choices("only-old", guest="desktop")
    assert Settings().server_choices("only-old") == {
        "layout": "de",
        "keyboard": "physical",
        "guest": "desktop",
    }
    assert old.read_bytes() == before


@pytest.mark.parametrize("text", ["{not json", "[]", '{"servers": []}', "\xff"])
def test_a_damaged_old_console_window_file_is_ignored_and_left_alone(settings, text):
    settings.directory.mkdir(parents=True)
    old = settings.directory / "console-window.json"
    old.write_text(text, encoding="latin-1")
    settings.remember_server_choices("s", layout="fr")
    assert Settings().server_choices("s") == {"layout": "fr"}
    assert Settings().server_choices("other") == {}
    assert old.read_text(encoding="latin-1") == text


def test_on_windows_every_setting_goes_to_the_roaming_directory_and_old_choices_are_found(
    tmp_path, monkeypatch
):
    """The console window once used the local (not roaming) directory, a different one on
    Windows: its choices are found there, and everything new goes beside the profiles."""
    import platformdirs

    def windows_like(appname, appauthor=None, version=None, roaming=False, **kwargs):
        return str(tmp_path / ("Roaming" if roaming else "Local") / appname)

    monkeypatch.delenv("OVHKVM_CONFIG_DIR", raising=False)
    monkeypatch.setattr(platformdirs, "user_config_dir", windows_like)
    old = _old_window_file(tmp_path / "Local" / "ovhkvm-desktop", {"vps-1": {"layout": "fr"}})

    settings = Settings()
    assert settings.path == tmp_path / "Roaming" / "ovhkvm-desktop" / "config.json"
    assert settings.server_choices("vps-1") == {"layout": "fr"}
    settings.remember_server_choices("vps-2", layout="de")
    assert json.loads(settings.path.read_text())["consoles"] == {"vps-2": {"layout": "de"}}
    assert json.loads(old.read_text()) == {"servers": {"vps-1": {"layout": "fr"}}}


# -- a file the app cannot use -----------------------------------------------------------------

DAMAGED = {
    "broken JSON": b"{not json",
    "empty": b"",
    "not UTF-8": b'{"settings": {"x": "\xff"}}',
    "nested too deeply": b"[" * 100_000,
    "a list at the top": b"[]",
    "a string at the top": b'"settings"',
    "null at the top": b"null",
    "profiles a list": b'{"profiles": []}',
    "profiles null": b'{"profiles": null}',
    "a profile a string": b'{"profiles": {"work": "x"}}',
    "a profile null": b'{"profiles": {"work": null}}',
    "an endpoint a number": b'{"profiles": {"work": {"endpoint": 3}}}',
    "a method a list": b'{"profiles": {"work": {"endpoint": "ovh-eu", "method": []}}}',
    "an application key an object": b'{"profiles": {"work": {"application_key": {}}}}',
    "a client id null": b'{"profiles": {"work": {"client_id": null}}}',
    "default profile a number": b'{"profiles": {"work": {}}, "default_profile": 3}',
    "default profile null": b'{"default_profile": null}',
    "console doors a list": b'{"console_doors": []}',
    "a profile's doors a string": b'{"console_doors": {"work": "VNC"}}',
    "a door a number": b'{"console_doors": {"work": {"vps-1": 1}}}',
    "settings a string": b'{"settings": "x"}',
    "settings null": b'{"settings": null}',
    "consoles a list": b'{"consoles": []}',
    "a server's choices a number": b'{"consoles": {"a": 3}}',
    "a server's choices a list": b'{"consoles": {"vps-1": ["fr"]}}',
}

EVERY_METHOD: dict[str, Callable[[Settings], object]] = {
    "profiles": lambda s: s.profiles(),
    "profile": lambda s: s.profile("work"),
    "the default profile": lambda s: s.profile(),
    "default_profile_name": lambda s: s.default_profile_name(),
    "save_profile": lambda s: s.save_profile(Profile("new", "ovh-eu", application_key="AK")),
    "delete_profile": lambda s: s.delete_profile("work"),
    "console_door": lambda s: s.console_door("work", "vps-1"),
    "remember_console_door": lambda s: s.remember_console_door("work", "vps-1", "VNC"),
    "get": lambda s: s.get("geometry"),
    "set": lambda s: s.set("geometry", "AAAA"),
    "server_choices": lambda s: s.server_choices("vps-1"),
    "remember_server_choices": lambda s: s.remember_server_choices("vps-1", layout="fr"),
}
WRITING = ("save_profile", "delete_profile", "remember_console_door", "set")
WRITING += ("remember_server_choices",)


def _damage(settings: Settings, content: bytes) -> os.stat_result:
    settings.directory.mkdir(parents=True, exist_ok=True)
    settings.path.write_bytes(content)
    os.utime(settings.path, ns=(1_000_000_000, 1_000_000_000))  # a write would change it
    return settings.path.stat()


def _assert_untouched(settings: Settings, content: bytes, before: os.stat_result) -> None:
    assert settings.path.read_bytes() == content
    assert settings.path.stat().st_mtime_ns == before.st_mtime_ns
    assert settings.path.stat().st_ino == before.st_ino  # not replaced by a copy either
    assert [p.name for p in settings.directory.iterdir() if p.suffix == ".tmp"] == []


def _assert_one_line_damaged(error: ConfigError, settings: Settings) -> None:
    message = str(error)
    assert message.startswith(f"the settings file {settings.path} is damaged (")
    assert message.endswith("); fix it or remove it")
    assert "\n" not in message


@pytest.mark.parametrize("method", EVERY_METHOD)
@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED)
def test_a_damaged_file_is_reported_by_every_method_and_left_byte_for_byte(
    settings, content, method
):
    before = _damage(settings, content)
    with pytest.raises(ConfigError, match="damaged") as error:
        EVERY_METHOD[method](Settings())
    _assert_one_line_damaged(error.value, settings)
    _assert_untouched(settings, content, before)


@pytest.mark.parametrize("method", WRITING)
@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED)
def test_a_file_damaged_after_it_was_read_is_not_written_over(settings, content, method):
    """A window read the settings, then someone broke the file by hand: the next change is
    refused, and the reading methods answer from what was read before."""
    settings.save_profile(Profile("work", "ovh-eu", application_key="AK"))
    early = Settings()
    before = _damage(settings, content)
    with pytest.raises(ConfigError, match="damaged") as error:
        EVERY_METHOD[method](early)
    _assert_one_line_damaged(error.value, settings)
    _assert_untouched(settings, content, before)
    assert early.profile().application_key == "AK"


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b'{"profiles": {"work": "x"}}', "'profiles.work' is a string, not an object"),
        (b"[]", "it holds a list, not an object"),
        (b'{"consoles": {"a": 3}}', "'consoles.a' is a number, not an object"),
        (b'{"default_profile": null}', "'default_profile' is null, not a string"),
        (
            b'{"profiles": {"work": {"method": true}}}',
            "'profiles.work.method' is true or false, not a string",
        ),
    ],
)
def test_the_damage_is_named(settings, content, what):
    _damage(settings, content)
    with pytest.raises(ConfigError) as error:
        Settings()
    assert str(error.value) == (
        f"the settings file {settings.path} is damaged ({what}); fix it or remove it"
    )


def test_what_a_later_version_adds_is_kept(settings):
    settings.directory.mkdir(parents=True)
    settings.path.write_text(
        json.dumps({"tray": {"pinned": ["vps-1"]}, "profiles": {"w": {"colour": 3}}})
    )
    Settings().set("geometry", "AAAA")
    data = json.loads(settings.path.read_text())
    assert data["tray"] == {"pinned": ["vps-1"]}
    assert data["profiles"]["w"]["colour"] == 3


def test_a_byte_order_mark_is_not_damage(settings):
    """Windows Notepad may add one when the user edits the file."""
    settings.directory.mkdir(parents=True)
    settings.path.write_bytes(b'\xef\xbb\xbf{"settings": {"geometry": "AAAA"}}')
    assert Settings().get("geometry") == "AAAA"


# -- writing -----------------------------------------------------------------------------------


def test_a_rewritten_file_is_whole_and_readable_by_its_owner_only(settings):
    settings.save_profile(Profile("a", "ovh-eu", application_key="AK"))
    settings.path.chmod(0o644)  # e.g. restored from a backup
    settings.remember_server_choices("vps-1", layout="fr")
    assert stat.S_IMODE(settings.path.stat().st_mode) == 0o600
    assert json.loads(settings.path.read_text()) == {
        "consoles": {"vps-1": {"layout": "fr"}},
        "default_profile": "a",
        "profiles": {"a": {"application_key": "AK", "endpoint": "ovh-eu", "method": "application"}},
    }


def test_the_settings_reach_the_disk_before_they_replace_the_old_file(settings, monkeypatch):
    """The new file is synced before the rename (a crash never leaves an empty config.json),
    and the directory after it (the rename itself survives a crash)."""
    settings.set("geometry", "old")
    synced: list[tuple[str, str]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        mode = os.fstat(fd).st_mode
        kind = "directory" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "?"
        synced.append((kind, Settings().get("geometry")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    settings.set("geometry", "new")
    expected = [("file", "old")]
    if os.name == "posix":
        expected.append(("directory", "new"))
    assert synced == expected


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(settings, monkeypatch):
    settings.set("geometry", "old")
    before = settings.path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ConfigError, match=r"cannot write the settings in .*: No space left"):
        settings.set("geometry", "new")
    assert settings.path.read_bytes() == before
    assert sorted(p.name for p in settings.directory.iterdir()) == [".lock", "config.json"]
    assert settings.get("geometry") == "old"  # nothing shown that is not on disk


# -- preferences, favourites, recents ----------------------------------------------------------


def test_preferences_are_the_defaults_until_saved_and_survive_a_restart(settings):
    from ovhkvm_desktop.config import Preferences

    assert settings.preferences() == Preferences()
    chosen = Preferences(language="fr", scale="actual", menu_key="F12", key_delay_ms=40.0,
                         start_hidden=True, close_to_tray=False, clipboard_send=True)  # fmt: skip
    settings.save_preferences(chosen)
    assert Settings().preferences() == chosen


def test_a_preference_of_the_wrong_type_is_damage_and_one_out_of_range_the_default(settings):
    settings.path.parent.mkdir(parents=True, exist_ok=True)
    settings.path.write_text(json.dumps({"preferences": {"start_hidden": "yes"}}))
    with pytest.raises(ConfigError, match=r"start_hidden.*not true or false"):
        Settings()
    settings.path.write_text(
        json.dumps({"preferences": {"language": "klingon", "key_delay_ms": -5, "scale": "actual"}})
    )
    again = Settings().preferences()
    assert (again.language, again.key_delay_ms, again.scale) == ("", None, "actual")


def test_favourites_are_starred_and_unstarred_per_profile(settings):
    settings.set_favourite("work", "vps-1", True)
    settings.set_favourite("home", "vps-1", True)
    settings.set_favourite("work", "vps-2", True)
    settings.set_favourite("work", "vps-2", False)
    assert Settings().favourites() == {("work", "vps-1"), ("home", "vps-1")}


def test_recents_are_latest_first_without_duplicates_and_capped(settings):
    from ovhkvm_desktop.config import MAX_RECENTS, Recent

    for n in range(MAX_RECENTS + 3):
        settings.remember_recent(Recent.server("work", f"vps-{n}", f"VPS {n}"))
    settings.remember_recent(Recent.server("work", "vps-5", "VPS 5"))
    recents = Settings().recents()
    assert len(recents) == MAX_RECENTS
    assert [r.service for r in recents[:3]] == ["vps-5", "vps-12", "vps-11"]


def test_a_recent_address_never_keeps_its_password_or_token(settings):
    from ovhkvm_desktop.config import Recent

    settings.remember_recent(Recent.of_address("vnc://:hunter2@10.0.0.5:5901"))
    settings.remember_recent(Recent.of_address("https://h:6080/vnc_auto.html?token=s3cr3t"))
    settings.remember_recent(Recent.of_address("vnc://10.0.0.6"))
    text = settings.path.read_text()
    assert "hunter2" not in text and "s3cr3t" not in text
    plain, token, password = Settings().recents()
    assert (plain.address, plain.complete) == ("vnc://10.0.0.6", True)
    assert not token.complete and not password.complete
    assert "10.0.0.5:5901" in password.label


def test_deleting_a_profile_forgets_its_favourites_and_recents(settings):
    from ovhkvm_desktop.config import Recent

    settings.save_profile(Profile("a", "ovh-eu", application_key="AK"))
    settings.set_favourite("a", "vps-1", True)
    settings.remember_recent(Recent.server("a", "vps-1", "one"))
    settings.remember_recent(Recent.of_address("vnc://10.0.0.6"))
    settings.delete_profile("a")
    again = Settings()
    assert again.favourites() == set()
    assert [r.kind for r in again.recents()] == ["address"]


def test_recents_of_a_later_kind_or_damaged_shape(settings):
    settings.path.parent.mkdir(parents=True, exist_ok=True)
    settings.path.write_text(
        json.dumps(
            {
                "recents": [
                    {"kind": "teleport", "label": "x"},
                    {"kind": "address", "label": "vnc://h", "address": "vnc://h"},
                ]
            }
        )
    )
    assert [r.address for r in Settings().recents()] == ["vnc://h"]
    settings.path.write_text(json.dumps({"recents": {"not": "a list"}}))
    with pytest.raises(ConfigError, match="'recents' is an object, not a list"):
        Settings()
