"""The API client of a profile against the fake API, through the real `ovh` package: requests
signed as the service checks them, and every failure in words the user can act on."""

from __future__ import annotations

import hashlib
import time

import pytest
import requests

from ovhkvm_desktop.cli.output import in_words as cli_words
from ovhkvm_desktop.cloud.client import (
    ACCESS_RULES,
    ApiRefused,
    ApiUnreachable,
    CallNotGranted,
    CredentialRejected,
    OvhApi,
    ServiceExpired,
    UnknownServer,
    new_ovh_client,
    rule_for,
)
from ovhkvm_desktop.config import Profile
from ovhkvm_desktop.secrets import APPLICATION_SECRET, CLIENT_SECRET, CONSUMER_KEY, Secrets
from tests.cloud.fake_api import Failure, FakeOvhApi
from tests.cloud.keyrings import MemoryKeyring
from tests.testbed import free_port


def test_a_signed_call_reaches_the_fake_and_lists_the_vps(account, fake_api):
    fake_api.add_vps("vps-b.vps.ovh.net")
    fake_api.add_vps("vps-a.vps.ovh.net")
    assert account.api.get("/vps") == ["vps-a.vps.ovh.net", "vps-b.vps.ovh.net"]
    assert [c.path for c in fake_api.calls] == ["/auth/time", "/vps"]


def test_the_fake_checks_the_signature_like_the_service(fake_api):
    key, secret = fake_api.add_application()
    consumer = fake_api.add_credential(key)
    # A request built by hand: the fake must accept exactly the documented signature.
    now = str(int(time.time()))
    url = fake_api.base_url + "/vps?x=1"
    good = "$1$" + hashlib.sha1(f"{secret}+{consumer}+GET+{url}++{now}".encode()).hexdigest()
    headers = {
        "X-Ovh-Application": key,
        "X-Ovh-Consumer": consumer,
        "X-Ovh-Timestamp": now,
        "X-Ovh-Signature": good,
    }
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
    wrong = good[:-1] + ("1" if good.endswith("0") else "0")  # one digit off, never the same
    bad = requests.get(url, headers={**headers, "X-Ovh-Signature": wrong}, timeout=5)
    assert bad.status_code == 400
    assert bad.json() == {
        "errorCode": "INVALID_SIGNATURE",
        "httpCode": "400 Bad Request",
        "message": "Invalid signature",
    }
    assert bad.headers["X-Ovh-Queryid"]
    # The URL is part of the signature: the same signature on another query fails.
    other = requests.get(fake_api.base_url + "/vps?x=2", headers=headers, timeout=5)
    assert other.status_code == 400


def test_a_wrong_application_secret_says_to_log_in_again(fake_api, memory_keyring):
    key, _ = fake_api.add_application()
    consumer = fake_api.add_credential(key)
    secrets = Secrets(memory_keyring)
    secrets.set("p", APPLICATION_SECRET, "not-the-secret")
    secrets.set("p", CONSUMER_KEY, consumer)
    api = OvhApi.for_profile(Profile("p", "ovh-eu", application_key=key), secrets)
    with pytest.raises(CredentialRejected) as error:
        api.get("/vps")
    message = str(error.value)
    assert "application secret of the profile 'p' is wrong" in message
    assert error.value.login is not None and error.value.login.name == "p"
    assert "ovhkvm-desktop login --profile p --endpoint ovh-eu" in cli_words(error.value)
    assert "not-the-secret" not in message and consumer not in message


def test_the_clock_of_the_service_is_followed(account, fake_api):
    fake_api.clock_offset = 3600  # this computer is an hour late
    assert account.api.get("/vps") == []


def test_a_timestamp_out_of_time_says_to_check_the_clock(account, fake_api):
    account.api.get("/vps")  # the client has learned the time delta
    fake_api.clock_offset = 600
    with pytest.raises(ApiRefused, match="check this computer's clock"):
        account.api.get("/vps")


def test_an_unknown_application_key_says_to_log_in_again(account, fake_api):
    del fake_api.applications[account.application_key]
    with pytest.raises(CredentialRejected, match="does not accept the application key"):
        account.api.get("/vps")


@pytest.mark.parametrize("status", ["pendingValidation", "refused", "expired"])
def test_a_consumer_key_not_validated_says_to_log_in_again(account, fake_api, status):
    fake_api.credentials[account.consumer_key].status = status
    with pytest.raises(CredentialRejected) as error:
        account.api.get("/vps")
    assert "consumer key of the profile 'work' is not valid" in str(error.value)
    assert "log in again: ovhkvm-desktop login --profile work" in cli_words(error.value)


def test_a_call_not_granted_names_the_missing_rule(fake_api, memory_keyring):
    key, secret = fake_api.add_application()
    consumer = fake_api.add_credential(key, [{"method": "GET", "path": "/vps"}])
    fake_api.add_vps("vps-1.vps.ovh.net")
    secrets = Secrets(memory_keyring)
    secrets.store_profile("p", {APPLICATION_SECRET: secret, CONSUMER_KEY: consumer})
    api = OvhApi.for_profile(Profile("p", "ovh-eu", application_key=key), secrets)
    with pytest.raises(CallNotGranted) as error:
        api.post("/vps/vps-1.vps.ovh.net/getConsoleUrl")
    assert error.value.rule == "POST /vps/*/getConsoleUrl"
    assert "do not allow POST /vps/*/getConsoleUrl" in str(error.value)
    assert "log in again: ovhkvm-desktop login --profile p" in cli_words(error.value)


def test_an_unknown_server(account, fake_api):
    with pytest.raises(UnknownServer) as error:
        account.api.get("/vps/nope.vps.ovh.net")
    assert str(error.value).startswith(
        "there is no VPS 'nope.vps.ovh.net' in the account of the profile 'work'"
    )


def test_an_expired_service(account, fake_api):
    fake_api.add_vps("old.vps.ovh.net")
    fake_api.expire_service("old.vps.ovh.net")
    with pytest.raises(ServiceExpired, match=r"'old.vps.ovh.net' has expired.*renew it"):
        account.api.get("/vps/old.vps.ovh.net")


def test_the_network_down_says_to_retry(account, monkeypatch):
    monkeypatch.setenv("OVHKVM_API_URL", f"http://127.0.0.1:{free_port()}/1.0")
    api = OvhApi.for_profile(account.profile, account.secrets)
    with pytest.raises(ApiUnreachable) as error:
        api.get("/vps")
    assert str(error.value) == (
        f"cannot reach the OVHcloud API at {api.base_url.split('/')[2]} (connection refused):"
        " check the network connection and retry"
    )


def test_a_server_error_says_to_retry_with_the_query_id(account, fake_api):
    fake_api.fail("GET", "/vps", Failure(503, None, "Service temporarily unavailable"))
    with pytest.raises(ApiRefused) as error:
        account.api.get("/vps")
    message = str(error.value)
    assert "HTTP 503: Service temporarily unavailable" in message
    assert "retry in a moment (query id EU.ext-1.fake." in message


def test_missing_secrets_say_to_log_in(fake_api, memory_keyring):
    with pytest.raises(CredentialRejected) as error:
        OvhApi.for_profile(Profile("p", "ovh-eu", application_key="AK"), Secrets(memory_keyring))
    assert "not in the keyring: log in again: ovhkvm-desktop login --profile p" in cli_words(
        error.value
    )


def test_ovh_environment_and_ovh_conf_never_reach_a_profile(
    account, fake_api, monkeypatch, tmp_path
):
    other_key, other_secret = fake_api.add_application()
    monkeypatch.setenv("OVH_ENDPOINT", "ovh-ca")
    monkeypatch.setenv("OVH_APPLICATION_KEY", other_key)
    monkeypatch.setenv("OVH_APPLICATION_SECRET", other_secret)
    monkeypatch.setenv("OVH_CONSUMER_KEY", "leaked")
    monkeypatch.setenv("OVH_CLIENT_ID", "leaked-id")
    (tmp_path / "ovh.conf").write_text(
        "[default]\nendpoint=ovh-us\n[ovh-eu]\napplication_key=leaked\nconsumer_key=leaked\n"
    )
    api = OvhApi.for_profile(account.profile, account.secrets)
    assert api.get("/vps") == []
    assert api.client._application_key == account.application_key
    # A client built for the consumer-key request has no consumer key, not the environment's.
    bare = new_ovh_client("ovh-eu", application_key="AK", application_secret="AS")
    assert bare._consumer_key == "" and bare._client_id is None


def test_every_call_the_app_makes_has_a_rule_and_rules_match_like_the_service():
    assert rule_for("GET", "/vps") is not None
    assert str(rule_for("GET", "/vps/x/tasks/12")) == "GET /vps/*"
    assert str(rule_for("POST", "/vps/x/openConsoleAccess")) == "POST /vps/*/openConsoleAccess"
    assert rule_for("DELETE", "/vps/x") is None
    assert rule_for("POST", "/vps/x/terminate") is None
    assert {r.method for r in ACCESS_RULES} == {"GET", "POST", "PUT"}


@pytest.fixture
def tls_fake(tmp_path, monkeypatch):
    from tests.testbed import _make_tls_files

    ca, cert, key = _make_tls_files(tmp_path)
    with FakeOvhApi(tls_files=(cert, key)) as api:
        monkeypatch.setenv("OVHKVM_API_URL", api.base_url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
        yield api


def test_an_oauth2_service_account_gets_a_token_and_calls(tls_fake):
    client_id, client_secret = tls_fake.add_service_account()
    tls_fake.add_vps("vps-1.vps.ovh.net")
    secrets = Secrets(MemoryKeyring())
    secrets.set("sa", CLIENT_SECRET, client_secret)
    api = OvhApi.for_profile(Profile("sa", "ovh-eu", "oauth2", client_id=client_id), secrets)
    assert api.get("/vps") == ["vps-1.vps.ovh.net"]
    assert [c.path for c in tls_fake.calls][:2] == ["/auth/oauth2/token", "/vps"]


def test_a_refused_oauth2_secret_says_to_check_it(tls_fake):
    client_id, _ = tls_fake.add_service_account()
    secrets = Secrets(MemoryKeyring())
    secrets.set("sa", CLIENT_SECRET, "wrong-secret")
    api = OvhApi.for_profile(Profile("sa", "ovh-eu", "oauth2", client_id=client_id), secrets)
    with pytest.raises(CredentialRejected) as error:
        api.get("/vps")
    assert "OAuth2 service account of the profile 'sa' was refused" in str(error.value)
    assert "wrong-secret" not in str(error.value)


def test_the_cloud_names_the_profile_to_log_in_again_and_leaves_the_words_to_each_front_end():
    """No command line in the cloud's messages: the command line adds its own login command."""
    from ovhkvm_desktop.config import METHOD_OAUTH2, Profile

    application = Profile("work", "ovh-eu", application_key="AK1")
    oauth2 = Profile("ci", "ovh-ca", method=METHOD_OAUTH2, client_id="EU.abc-123")
    for profile, how in ((application, "--application-key AK1"), (oauth2, "--oauth2 --client-id")):
        error = CredentialRejected("the consumer key is not valid", profile)
        assert "ovhkvm-desktop" not in str(error)
        assert cli_words(error) == (
            "the consumer key is not valid: log in again: ovhkvm-desktop login --profile"
            f" {profile.name} --endpoint {profile.endpoint} {how}"
            + (" EU.abc-123" if profile is oauth2 else "")
        )
