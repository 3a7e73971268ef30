"""`ovhkvm-desktop login`: the consumer-key flow against the fake API (pending → validated,
refused, expired), an existing consumer key, OAuth2, imports; secrets only in the keyring."""

from __future__ import annotations

import json
import threading
import time

import pytest

from ovhkvm_desktop.cloud import login as flow
from ovhkvm_desktop.cloud.client import ACCESS_RULES
from ovhkvm_desktop.config import ConfigError, Settings
from ovhkvm_desktop.secrets import SERVICE
from tests.cloud.cli import CliEnv


@pytest.fixture
def cli(fake_api, tmp_path) -> CliEnv:
    return CliEnv(tmp_path, fake_api.base_url)


def keyring_entries(cli: CliEnv) -> dict[str, str]:
    if not cli.keyring_file.exists():
        return {}
    return {k.split("\n", 1)[1]: v for k, v in json.loads(cli.keyring_file.read_text()).items()}


def start_login(cli: CliEnv, application_key: str, secret: str, *extra: str):
    proc = cli.start(
        "login",
        "--profile",
        "work",
        "--endpoint",
        "ovh-eu",
        "--application-key",
        application_key,
        "--no-browser",
        "--poll-interval",
        "0.2",
        *extra,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(secret + "\n")
    proc.stdin.close()
    proc.stdin = None  # communicate() must not flush it
    url = proc.stdout.readline().strip()
    return proc, url


def finish(cli: CliEnv, proc) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=30)
    cli.outputs += [out, err]
    return proc.returncode, out, err


def test_login_prints_the_link_waits_and_stores_the_validated_key(cli, fake_api):
    key, secret = fake_api.add_application()
    proc, url = start_login(cli, key, secret)
    assert url.startswith(fake_api.origin + "/auth/?credentialToken=")
    credential = fake_api.credential_for_token(url.split("=", 1)[1])
    assert credential.status == "pendingValidation"
    assert credential.rules == [r.as_json() for r in ACCESS_RULES]
    time.sleep(0.6)  # a few polls while pending
    assert proc.poll() is None
    fake_api.validate(url)
    status, out, err = finish(cli, proc)
    assert status == 0, err
    assert out.splitlines()[-1] == (
        "logged in: profile work on ovh-eu; secrets in the keyring (keyrings FileKeyring)"
    )
    assert "open this link" in err and "waiting for the validation" in err
    assert keyring_entries(cli) == {
        "work/application_secret": secret,
        "work/consumer_key": credential.consumer_key,
    }
    config = json.loads((cli.config_dir / "config.json").read_text())
    assert config["profiles"] == {
        "work": {"endpoint": "ovh-eu", "method": "application", "application_key": key}
    }
    polls = fake_api.calls_to("GET", "/auth/currentCredential")
    assert len(polls) >= 2 and polls[-1].status == 200
    # The stored profile works.
    fake_api.add_vps("vps-1.vps.ovh.net")
    listed = cli.run("servers", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [s["name"] for s in json.loads(listed.stdout)] == ["vps-1.vps.ovh.net"]


@pytest.mark.parametrize(
    ("hook", "words"),
    [
        ("refuse", "the access was refused on OVHcloud's validation page: run login again"),
        ("expire", "the validation link expired before the access was granted: run login again"),
    ],
)
def test_a_refused_or_expired_validation_stores_nothing(cli, fake_api, hook, words):
    key, secret = fake_api.add_application()
    proc, url = start_login(cli, key, secret)
    getattr(fake_api, hook)(url)
    status, _, err = finish(cli, proc)
    assert status == 1
    assert err.strip().splitlines()[-1] == f"ovhkvm-desktop: {words}"
    assert keyring_entries(cli) == {}
    assert not (cli.config_dir / "config.json").exists()


def test_no_validation_in_time(cli, fake_api):
    key, secret = fake_api.add_application()
    proc, _ = start_login(cli, key, secret, "--timeout", "1")
    status, _, err = finish(cli, proc)
    assert status == 1
    assert "was not granted within 1 s: run login again" in err


def test_a_service_that_answers_403_while_pending_is_waited_for(fake_api):
    fake_api.unvalidated_current_credential_403 = True
    key, secret = fake_api.add_application()
    pending = flow.request_consumer_key(flow.Credentials("ovh-eu", key, secret))
    threading.Timer(0.5, fake_api.validate, [pending.validation_url]).start()
    done = flow.wait_for_validation(pending, timeout=10, interval=0.1)
    assert done.consumer_key == pending.credentials.consumer_key


def test_waiting_can_be_cancelled(fake_api):
    key, secret = fake_api.add_application()
    pending = flow.request_consumer_key(flow.Credentials("ovh-eu", key, secret))
    cancel = threading.Event()
    ticks: list[float] = []

    def tick(left: float) -> None:  # the user presses Cancel while the countdown shows
        ticks.append(left)
        cancel.set()

    start = time.monotonic()
    with pytest.raises(flow.LoginFailed, match="login cancelled"):
        flow.wait_for_validation(pending, timeout=30, interval=5, on_wait=tick, cancelled=cancel)
    assert time.monotonic() - start < 4  # not after the poll interval
    assert len(ticks) == 1 and 25 < ticks[0] <= 30  # the countdown starts from the whole time


def test_an_unknown_application_key_is_said_at_once(cli, fake_api):
    result = cli.run(
        "login", "--endpoint", "ovh-eu", "--application-key", "nope", "--no-browser",
        stdin="whatever\n",
    )  # fmt: skip
    assert result.returncode == 1
    assert "does not accept the application key" in result.stderr


def test_login_with_an_existing_consumer_key_checks_it_first(cli, fake_api):
    key, secret = fake_api.add_application()
    consumer = fake_api.add_credential(key)
    args = ("login", "--profile", "p", "--endpoint", "ovh-eu", "--application-key", key)
    result = cli.run(*args, "--consumer-key-stdin", stdin=f"{secret}\n{consumer}\n")
    assert result.returncode == 0, result.stderr
    assert keyring_entries(cli) == {"p/application_secret": secret, "p/consumer_key": consumer}
    refused = fake_api.add_credential(key, status="refused")
    result = cli.run(*args, "--consumer-key-stdin", stdin=f"{secret}\n{refused}\n")
    assert result.returncode == 1
    assert "not usable (its status is refused)" in result.stderr
    assert keyring_entries(cli)["p/consumer_key"] == consumer  # the old one stays


def test_secrets_are_never_taken_from_the_command_line(cli, fake_api):
    key, _ = fake_api.add_application()
    result = cli.run("login", "--endpoint", "ovh-eu", "--application-key", key, stdin="")
    assert result.returncode == 1
    assert "no application secret was given" in result.stderr
    help_text = cli.run("login", "--help").stdout
    assert "--application-secret" not in help_text and "--consumer-key " not in help_text


def test_login_from_the_environment_moves_the_secrets_to_the_keyring(cli, fake_api):
    key, secret = fake_api.add_application()
    consumer = fake_api.add_credential(key)
    result = cli.run(
        "login", "--profile", "imported", "--from-env",
        OVH_ENDPOINT="ovh-eu", OVH_APPLICATION_KEY=key, OVH_APPLICATION_SECRET=secret,
        OVH_CONSUMER_KEY=consumer,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert keyring_entries(cli) == {
        "imported/application_secret": secret,
        "imported/consumer_key": consumer,
    }
    text = (cli.config_dir / "config.json").read_text()
    assert secret not in text and consumer not in text


def test_login_from_an_ovh_conf_file(cli, fake_api, tmp_path):
    key, secret = fake_api.add_application()
    consumer = fake_api.add_credential(key)
    conf = tmp_path / "my-ovh.conf"
    conf.write_text(
        f"[default]\nendpoint=ovh-eu\n\n[ovh-eu]\napplication_key={key}\n"
        f"application_secret={secret}\nconsumer_key={consumer}\n"
    )
    result = cli.run("login", "--profile", "fromfile", "--from-file", str(conf))
    assert result.returncode == 0, result.stderr
    assert keyring_entries(cli)["fromfile/consumer_key"] == consumer


def test_imports_say_what_is_missing(tmp_path):
    with pytest.raises(ConfigError, match="OVH_ENDPOINT is not set"):
        flow.from_environment({})
    with pytest.raises(ConfigError, match="neither OVH_APPLICATION_KEY nor OVH_CLIENT_ID"):
        flow.from_environment({"OVH_ENDPOINT": "ovh-eu"})
    with pytest.raises(ConfigError, match="work on ovh-eu, ovh-ca, ovh-us only"):
        flow.from_environment(
            {"OVH_ENDPOINT": "kimsufi-eu", "OVH_CLIENT_ID": "a", "OVH_CLIENT_SECRET": "b"}
        )
    conf = tmp_path / "c.conf"
    conf.write_text("[ovh-eu]\nconsumer_key=x\n")
    with pytest.raises(ConfigError, match="neither application_key nor client_id"):
        flow.from_ovh_conf(conf)
    with pytest.raises(ConfigError, match="cannot read"):
        flow.from_ovh_conf(tmp_path / "missing.conf")


def test_logout_deletes_the_profile_and_its_secrets(cli, fake_api):
    key, secret = fake_api.add_application()
    consumer = fake_api.add_credential(key)
    args = ("login", "--profile", "gone", "--endpoint", "ovh-eu", "--application-key", key)
    assert cli.run(*args, "--consumer-key-stdin", stdin=f"{secret}\n{consumer}\n").returncode == 0
    result = cli.run("logout", "--profile", "gone")
    assert result.returncode == 0, result.stderr
    assert keyring_entries(cli) == {}
    assert Settings(cli.config_dir).profiles() == []


def test_without_a_keyring_login_says_the_secrets_last_this_run_only(cli, fake_api):
    key, secret = fake_api.add_application()
    consumer = fake_api.add_credential(key)
    args = ("login", "--profile", "p", "--endpoint", "ovh-eu", "--application-key", key)
    result = cli.run(
        *args,
        "--consumer-key-stdin",
        stdin=f"{secret}\n{consumer}\n",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    assert result.returncode == 0, result.stderr
    assert "no keyring is available" in result.stderr
    assert "for this run only, never written to a file" in result.stderr
    assert "secrets in memory only" in result.stdout
    later = cli.run("servers", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    assert later.returncode == 1
    assert "the secrets of the profile 'p' are not in this run's memory: log in again" in (
        later.stderr
    )
    for path in cli.config_dir.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text() and consumer not in path.read_text()


def test_service_name_of_the_keyring_entries():
    assert SERVICE == "ovhkvm-desktop"
