"""`ovhkvm-desktop rescue`: netboot to rescue with the reboot 2014v1 needs, the VPS state and
its tasks followed until it is rescued; back with --exit; confirmation unless --yes."""

from __future__ import annotations

import pytest

from ovhkvm_desktop.cloud import rescue
from tests.cloud.cli import CliEnv
from tests.cloud.fake_api import FakeOvhApi

VPS = "vps-1.vps.ovh.net"
OLD = "vps-old.vps.ovh.net"


@pytest.fixture
def cli(account, fake_api, tmp_path) -> CliEnv:
    env = CliEnv(tmp_path / "cli", fake_api.base_url)
    (tmp_path / "cli").mkdir()
    result = env.run(
        "login", "--profile", "work", "--endpoint", "ovh-eu",
        "--application-key", account.application_key, "--consumer-key-stdin",
        stdin=f"{account.application_secret}\n{account.consumer_key}\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return env


def add_both(fake: FakeOvhApi) -> None:
    fake.add_vps(VPS)
    fake.add_vps(OLD, model={"offer": "VPS Cloud 1", "version": "2014v1"})


def test_rescue_switches_the_netboot_and_follows_the_tasks(cli, fake_api):
    add_both(fake_api)
    result = cli.run("rescue", VPS, "--yes", "--poll-interval", "0.1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{VPS} is in rescue mode: its root password is sent to the account's e-mail address"
    )
    said = result.stderr.splitlines()
    assert said[0] == f"ovhkvm-desktop: switching the netboot of {VPS} to rescue"
    assert any("task setNetboot" in line and "doing" in line for line in said)
    assert any("task setNetboot" in line and "done 100%" in line for line in said)
    assert f"ovhkvm-desktop: {VPS} is rescued" in said
    assert fake_api.vps[VPS]["state"] == "rescued"
    assert fake_api.calls_to("PUT", f"/vps/{VPS}")[0].body == '{"netbootMode":"rescue"}'
    assert fake_api.calls_to("POST", f"/vps/{VPS}/reboot") == []  # it rebooted by itself


def test_a_2014v1_vps_is_rebooted_explicitly(cli, fake_api):
    add_both(fake_api)
    result = cli.run("rescue", OLD, "--yes", "--poll-interval", "0.1")
    assert result.returncode == 0, result.stderr
    assert f"rebooting {OLD} (its model, 2014v1, needs it)" in result.stderr
    assert "task rebootVm" in result.stderr
    assert len(fake_api.calls_to("POST", f"/vps/{OLD}/reboot")) == 1
    assert fake_api.vps[OLD]["state"] == "rescued"


def test_exit_goes_back_to_the_local_disk(cli, fake_api):
    add_both(fake_api)
    fake_api.vps[VPS].update(state="rescued", netbootMode="rescue")
    result = cli.run("rescue", VPS, "--exit", "--yes", "--poll-interval", "0.1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{VPS} is back on its own system (running)"
    assert fake_api.vps[VPS]["netbootMode"] == "local"
    assert fake_api.vps[VPS]["state"] == "running"


def test_without_yes_and_without_a_terminal_nothing_reboots(cli, fake_api):
    add_both(fake_api)
    result = cli.run("rescue", VPS)
    assert result.returncode == 1
    assert "Reboot the VPS vps-1.vps.ovh.net into rescue mode?" in result.stderr
    assert "Add --yes to confirm without a terminal" in result.stderr
    assert fake_api.calls_to("PUT", f"/vps/{VPS}") == []


def test_a_failed_task_is_reported(account, fake_api):
    add_both(fake_api)
    plan = rescue.plan(account.api, OLD)
    original = fake_api._new_task

    def failing(tasks, kind, on_done=None):
        task = original(tasks, kind, on_done)
        task.fails = True
        return task

    fake_api._new_task = failing  # type: ignore[method-assign]
    with pytest.raises(rescue.RescueFailed, match=f"the task rebootVm of {OLD} ended: error"):
        rescue.switch(account.api, plan, progress=lambda m: None, poll_interval=0.1)


def test_a_vps_that_does_not_reboot_by_itself_is_rebooted(account, fake_api):
    fake_api.add_vps(VPS)
    original = fake_api._put_vps

    def lazy_put(name, vps, data):  # a range that only records the netboot
        vps["netbootMode"] = data["netbootMode"]

    fake_api._put_vps = lazy_put  # type: ignore[method-assign]
    said: list[str] = []
    plan = rescue.plan(account.api, VPS)
    server = rescue.switch(
        account.api, plan, progress=said.append, poll_interval=0.1, grace=0.3, timeout=10
    )
    assert server.state == "rescued"
    assert f"{VPS} did not reboot by itself: rebooting it" in said
    fake_api._put_vps = original  # type: ignore[method-assign]


def test_a_vps_that_never_gets_there_times_out_in_words(account, fake_api):
    fake_api.add_vps(VPS)
    fake_api.task_seconds = 60
    plan = rescue.plan(account.api, VPS)
    with pytest.raises(
        rescue.RescueFailed, match=r"still rebooting after 0.5 s \(expected rescued\)"
    ):
        rescue.switch(account.api, plan, progress=lambda m: None, poll_interval=0.1, timeout=0.5)


def test_open_without_a_window_for_ovh_targets_is_said_before_rebooting(
    account, fake_api, memory_keyring, monkeypatch, capsys
):
    import importlib.util

    import keyring.core

    from ovhkvm_desktop import cli

    add_both(fake_api)
    monkeypatch.setattr(keyring.core, "_keyring_backend", memory_keyring)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "PySide6" else find_spec(name, *a),
    )
    assert cli.main(["rescue", VPS, "--open", "--yes"]) == 1
    assert "--open needs the console window for ovh: targets" in capsys.readouterr().err
    assert fake_api.calls_to("PUT", f"/vps/{VPS}") == []


def test_open_hands_the_rescued_vps_to_the_window(
    account, fake_api, memory_keyring, monkeypatch, capsys
):
    import keyring.core

    from ovhkvm_desktop import cli
    from ovhkvm_desktop.cli import consoles
    from ovhkvm_desktop.keyboard.layouts import GuestSystem

    add_both(fake_api)
    monkeypatch.setattr(keyring.core, "_keyring_backend", memory_keyring)
    opened: list[tuple] = []
    monkeypatch.setattr(
        consoles, "show_console", lambda opening, **view: opened.append((opening, view)) or 0
    )
    assert cli.main(["rescue", VPS, "--open", "--yes", "--poll-interval", "0.1"]) == 0
    # Full screen, on the rescue system's text console.
    ((opening, view),) = opened
    assert opening.request.target == f"ovh:{VPS}"
    assert opening.guest is GuestSystem.CONSOLE and view["fullscreen"]
    assert fake_api.vps[VPS]["state"] == "rescued"
