"""Logging a profile in: the consumer-key flow, an existing consumer key, an OAuth2 service
account, or an import of python-ovh's environment or ovh.conf; profiles saved and deleted with
their secrets."""

from __future__ import annotations

import configparser
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ovhkvm_desktop.cloud.client import (
    ACCESS_RULES,
    ApiError,
    CredentialRejected,
    OvhApi,
    api_base_url,
    browsable,
    explain,
    new_ovh_client,
)
from ovhkvm_desktop.config import (
    ENDPOINTS,
    METHOD_APPLICATION,
    METHOD_OAUTH2,
    OAUTH2_ENDPOINTS,
    ConfigError,
    Profile,
    Settings,
    check_endpoint,
    check_profile_name,
)
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.secrets import APPLICATION_SECRET, CLIENT_SECRET, CONSUMER_KEY, Secrets
from ovhkvm_desktop.words import _

#: How long a validation may take by default (the user logs in on OVHcloud's page).
VALIDATION_TIMEOUT = 600.0
POLL_INTERVAL = 3.0


class LoginFailed(ConsoleError):
    """The consumer key was refused, expired, or not validated in time; or the login was
    cancelled."""


@dataclass(frozen=True)
class Credentials:
    """What a login produced or an import found (secrets included: never print it)."""

    endpoint: str
    application_key: str | None = None
    application_secret: str | None = field(default=None, repr=False)
    consumer_key: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)

    @property
    def method(self) -> str:
        return METHOD_OAUTH2 if self.client_id else METHOD_APPLICATION

    def profile(self, name: str) -> Profile:
        if self.method == METHOD_OAUTH2:
            return Profile(name, self.endpoint, METHOD_OAUTH2, client_id=self.client_id)
        return Profile(name, self.endpoint, METHOD_APPLICATION, self.application_key)

    def secrets(self) -> dict[str, str]:
        if self.method == METHOD_OAUTH2:
            return {CLIENT_SECRET: self.client_secret or ""}
        values = {APPLICATION_SECRET: self.application_secret or ""}
        if self.consumer_key:
            values[CONSUMER_KEY] = self.consumer_key
        return values

    def check(self) -> Credentials:
        check_endpoint(self.endpoint)
        if self.method == METHOD_OAUTH2:
            if self.endpoint not in OAUTH2_ENDPOINTS:
                raise ConfigError(
                    _("OAuth2 service accounts work on {endpoints} only, not on {endpoint}").format(
                        endpoints=", ".join(OAUTH2_ENDPOINTS), endpoint=self.endpoint
                    )
                )
            if not self.client_secret:
                raise ConfigError(_("the OAuth2 client secret is missing"))
            return self
        if not self.application_key:
            raise ConfigError(_("the application key is missing"))
        if not self.application_secret:
            raise ConfigError(_("the application secret is missing"))
        return self


@dataclass(frozen=True)
class PendingLogin:
    """A consumer key waiting for the user to validate it on OVHcloud's page."""

    credentials: Credentials
    validation_url: str


# -- the consumer-key flow -----------------------------------------------------------------


def request_consumer_key(credentials: Credentials, name: str = "new") -> PendingLogin:
    """`POST /auth/credential` with the app's access rules; the user must open the URL."""
    credentials = credentials.check()
    client = new_ovh_client(
        credentials.endpoint,
        application_key=credentials.application_key,
        application_secret=credentials.application_secret,
    )
    request = client.new_consumer_key_request()
    for rule in ACCESS_RULES:
        request.add_rule(rule.method, rule.path)
    try:
        answer = request.request()
    except Exception as exc:
        raise explain(
            exc,
            credentials.profile(name),
            "POST",
            "/auth/credential",
            api_base_url(credentials.endpoint),
        ) from None
    if not isinstance(answer, dict) or "consumerKey" not in answer:
        raise LoginFailed(_("the OVHcloud API did not hand out a consumer key: retry"))
    url = str(answer.get("validationUrl") or "")
    if not browsable(url):
        raise LoginFailed(
            _(
                "the OVHcloud API gave a validation link that is not an https address: it is not"
                " opened; check the endpoint"
            )
        )
    return PendingLogin(
        Credentials(
            credentials.endpoint,
            credentials.application_key,
            credentials.application_secret,
            str(answer["consumerKey"]),
        ),
        url,
    )


def credential_status(credentials: Credentials, name: str = "new") -> str:
    """The consumer key's status: validated, pendingValidation, refused, expired.

    The API may answer 403 INVALID_CREDENTIAL for a key not validated yet instead of a status
    (not documented): that reads as pendingValidation, and the wait's deadline ends it.
    """
    api = OvhApi(credentials.profile(name), _client(credentials))
    try:
        answer = api.get("/auth/currentCredential")
    except CredentialRejected as exc:
        if exc.code != "INVALID_CREDENTIAL" or credentials.method == METHOD_OAUTH2:
            raise
        return "pendingValidation"
    status = answer.get("status") if isinstance(answer, dict) else None
    return str(status or "validated")


def wait_for_validation(
    pending: PendingLogin,
    *,
    timeout: float = VALIDATION_TIMEOUT,
    interval: float = POLL_INTERVAL,
    on_wait: Callable[[float], None] | None = None,
    cancelled: threading.Event | None = None,
    name: str = "new",
) -> Credentials:
    """Poll `GET /auth/currentCredential` until validated; ``on_wait(seconds_left)`` between
    polls (for a countdown). Raises LoginFailed when refused, expired, timed out or cancelled."""
    deadline = time.monotonic() + timeout
    while True:
        status = credential_status(pending.credentials, name)
        if status == "validated":
            return pending.credentials
        if status == "refused":
            raise LoginFailed(
                _("the access was refused on OVHcloud's validation page: run login again")
            )
        if status == "expired":
            raise LoginFailed(
                _("the validation link expired before the access was granted: run login again")
            )
        left = deadline - time.monotonic()
        if left <= 0:
            raise LoginFailed(
                _(
                    "the access was not granted within {seconds} s: run login again and open the"
                    " validation link"
                ).format(seconds=f"{timeout:g}")
            )
        step = min(interval, left)
        end = time.monotonic() + step
        while (now := time.monotonic()) < end:
            if cancelled is not None and cancelled.is_set():
                raise LoginFailed(_("login cancelled"))
            if on_wait is not None:
                on_wait(max(0.0, deadline - now))
            remaining = end - time.monotonic()
            if cancelled is not None:
                cancelled.wait(min(1.0, max(0.0, remaining)))
            else:
                time.sleep(min(1.0, max(0.0, remaining)))


def _client(credentials: Credentials) -> Any:
    if credentials.method == METHOD_OAUTH2:
        return new_ovh_client(
            credentials.endpoint,
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
        )
    return new_ovh_client(
        credentials.endpoint,
        application_key=credentials.application_key,
        application_secret=credentials.application_secret,
        consumer_key=credentials.consumer_key,
    )


def verify(credentials: Credentials, name: str = "new") -> None:
    """Check that the credentials work before storing them (raises ApiError in words)."""
    credentials = credentials.check()
    if credentials.method == METHOD_APPLICATION:
        if not credentials.consumer_key:
            raise ConfigError(_("the consumer key is missing"))
        status = credential_status(credentials, name)
        if status != "validated":
            raise LoginFailed(
                _(
                    "that consumer key is not usable (its status is {status}): run login without"
                    " it to get a new one"
                ).format(status=status)
            )
        return
    # A service account has no consumer key: its token and a call the app makes prove it.
    OvhApi(credentials.profile(name), _client(credentials)).get("/vps")


# -- imports ---------------------------------------------------------------------------------


def from_environment(environ: Mapping[str, str] | None = None) -> Credentials:
    """python-ovh's own variables: OVH_ENDPOINT, OVH_APPLICATION_KEY/SECRET, OVH_CONSUMER_KEY,
    or OVH_CLIENT_ID/OVH_CLIENT_SECRET."""
    env = os.environ if environ is None else environ
    endpoint = env.get("OVH_ENDPOINT", "").strip()
    if not endpoint:
        raise ConfigError(_("OVH_ENDPOINT is not set (ovh-eu, ovh-ca, ovh-us...)"))
    found = Credentials(
        endpoint,
        env.get("OVH_APPLICATION_KEY") or None,
        env.get("OVH_APPLICATION_SECRET") or None,
        env.get("OVH_CONSUMER_KEY") or None,
        env.get("OVH_CLIENT_ID") or None,
        env.get("OVH_CLIENT_SECRET") or None,
    )
    if not (found.application_key or found.client_id):
        raise ConfigError(
            _("neither OVH_APPLICATION_KEY nor OVH_CLIENT_ID is set: nothing to import")
        )
    return found.check()


def from_ovh_conf(path: str | Path) -> Credentials:
    """An ovh.conf file: `[default] endpoint=...` and the keys in the endpoint's section."""
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError as exc:
        raise ConfigError(
            _("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from None
    except configparser.Error:
        raise ConfigError(
            _("{path} is not an ovh.conf file (INI sections and keys)").format(path=path)
        ) from None
    endpoint = parser.get("default", "endpoint", fallback="").strip()
    if not endpoint:
        sections = [s for s in parser.sections() if s in ENDPOINTS]
        if len(sections) != 1:
            raise ConfigError(_("{path} has no [default] endpoint=...").format(path=path))
        endpoint = sections[0]
    if not parser.has_section(endpoint):
        raise ConfigError(
            _("{path} has no [{endpoint}] section with the keys").format(
                path=path, endpoint=endpoint
            )
        )

    def value(key: str) -> str | None:
        return parser.get(endpoint, key, fallback="").strip() or None

    found = Credentials(
        endpoint,
        value("application_key"),
        value("application_secret"),
        value("consumer_key"),
        value("client_id"),
        value("client_secret"),
    )
    if not (found.application_key or found.client_id):
        raise ConfigError(
            _("{path} has neither application_key nor client_id for {endpoint}").format(
                path=path, endpoint=endpoint
            )
        )
    return found.check()


# -- profiles with their secrets -----------------------------------------------------------------


def save_profile(
    settings: Settings,
    secrets: Secrets,
    name: str,
    credentials: Credentials,
    make_default: bool = False,
) -> Profile:
    """Store the profile: its secrets in the keyring, the rest in the settings file."""
    check_profile_name(name)
    credentials = credentials.check()
    profile = credentials.profile(name)
    secrets.store_profile(name, credentials.secrets())
    settings.save_profile(profile, make_default=make_default)
    return profile


def delete_profile(settings: Settings, secrets: Secrets, name: str) -> None:
    """Forget the profile and delete its secrets from the keyring."""
    secrets.delete_profile(name)
    settings.delete_profile(name)


__all__ = [
    "ApiError",
    "Credentials",
    "LoginFailed",
    "PendingLogin",
    "credential_status",
    "delete_profile",
    "from_environment",
    "from_ovh_conf",
    "request_consumer_key",
    "save_profile",
    "verify",
    "wait_for_validation",
]
