"""Settings: profiles in the config directory (OVHKVM_CONFIG_DIR or platformdirs), no secrets."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from ovhkvm_desktop.config import (
    ConfigError,
    Profile,
    Settings,
    config_dir,
)
from ovhkvm_desktop.ui.settings import ConsoleSettings


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
    early_window = ConsoleSettings(tmp_path / "console-window.json")

    def writer(n: int) -> None:
        mine = Settings(tmp_path)
        windows = ConsoleSettings(tmp_path / "console-window.json")
        for i in range(20):
            mine.remember_console_door(f"p{n}", f"vps{i}", "VNC")
            windows.remember(f"server-{n}-{i}", layout="fr")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    early.save_profile(Profile("work", "ovh-eu", application_key="AK"))
    early_window.remember("late", layout="de")

    again = Settings(tmp_path)
    assert [p.name for p in again.profiles()] == ["work"]
    assert all(again.console_door(f"p{n}", f"vps{i}") == "VNC" for n in range(6) for i in range(20))
    windows = ConsoleSettings(tmp_path / "console-window.json")
    assert windows.get("late", "layout") == "de"
    assert all(
        windows.get(f"server-{n}-{i}", "layout") == "fr" for n in range(6) for i in range(20)
    )
