"""One profile's OVHcloud API client (python-ovh), the access rules the app asks for, and every
failure of a call turned into a sentence the user can act on."""

from __future__ import annotations

import asyncio
import logging
import re
from configparser import RawConfigParser
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import ovh
import ovh.client
import ovh.config
import ovh.exceptions

from ovhkvm_desktop.config import METHOD_OAUTH2, OAUTH2_ENDPOINTS, Profile
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.secrets import APPLICATION_SECRET, CLIENT_SECRET, CONSUMER_KEY, Secrets

log = logging.getLogger(__name__)
# requests-oauthlib logs the token request's headers (the client secret, in base64) and the
# tokens at DEBUG: keep them out of any log, whatever level the application logs at.
for _chatty in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_chatty).setLevel(logging.INFO)

API_URL_ENV = "OVHKVM_API_URL"
#: The name under which OVHKVM_API_URL is registered in python-ovh's endpoint table.
OVERRIDE_ENDPOINT = "ovhkvm-api-url"
#: Connect and read timeouts of one API call, in seconds (python-ovh waits 180 s by default).
TIMEOUT = (10.0, 60.0)


# -- python-ovh must only see what the profile holds -------------------------------------------


class _NoAmbientConfiguration(ovh.config.ConfigurationManager):
    """python-ovh's configuration lookup, finding nothing.

    python-ovh fills every argument left at None from the OVH_* environment variables and from
    /etc/ovh.conf, ~/.ovh.conf and ./ovh.conf. A profile must use its own keys and nothing else:
    someone's real credentials in the environment must never reach another profile's requests
    (nor a test's). Importing them is a separate, explicit step (`login --from-env/--from-file`).
    """

    def __init__(self) -> None:
        self.config = RawConfigParser()

    def get(self, section: str, name: str) -> None:
        return None

    def read(self, config_file: str) -> None:
        return None


ovh.config.ConfigurationManager = _NoAmbientConfiguration


# -- the access rules ------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessRule:
    """One rule of a consumer key: METHOD on a path pattern (``*`` matches anything)."""

    method: str
    path: str
    why: str

    def matches(self, method: str, path: str) -> bool:
        if method.upper() != self.method:
            return False
        pattern = "^" + ".*".join(re.escape(p) for p in self.path.split("*")) + "$"
        return re.match(pattern, path.split("?", 1)[0]) is not None

    def as_json(self) -> dict[str, str]:
        return {"method": self.method, "path": self.path}

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


#: Every rule the app asks for when it requests a consumer key, and nothing more (README).
ACCESS_RULES: tuple[AccessRule, ...] = (
    AccessRule("GET", "/vps", "list your VPS"),
    AccessRule("GET", "/vps/*", "read a VPS (state, model, zone, keymap, netboot) and its tasks"),
    AccessRule("POST", "/vps/*/getConsoleUrl", "open a VPS console (noVNC URL)"),
    AccessRule("POST", "/vps/*/openConsoleAccess", "open a VPS console (VNC, VNC over WebSocket)"),
    AccessRule("PUT", "/vps/*", "switch a VPS between rescue and local boot"),
    AccessRule("POST", "/vps/*/reboot", "reboot a VPS into or out of rescue"),
    AccessRule("GET", "/dedicated/server", "list your dedicated servers"),
    AccessRule("GET", "/dedicated/server/*", "read a dedicated server and its IPMI features"),
    AccessRule("POST", "/dedicated/server/*/features/ipmi/access", "open a dedicated server's KVM"),
)


def rule_for(method: str, path: str) -> AccessRule | None:
    """The rule of ACCESS_RULES that grants this call (None: the app should not make it)."""
    for rule in ACCESS_RULES:
        if rule.matches(method, path):
            return rule
    return None


def browsable(url: str) -> bool:
    """Whether an address the API handed out may be opened in the browser: https only (or http
    on this machine, where a local OVH-compatible API serves its pages): never a file, a script
    or a page in clear."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "https":
        return bool(parts.hostname)
    return scheme == "http" and parts.hostname in ("127.0.0.1", "::1", "localhost")


# -- errors in words -------------------------------------------------------------------------


class ApiError(ConsoleError):
    """An OVHcloud API call failed; ``str()`` says what happened.

    ``login`` names the profile when logging it in again is what fixes it: each front end says
    how in its own words (the command line its ``login`` command, the app its dialog)."""

    def __init__(self, message: str, *, login: Profile | None = None) -> None:
        super().__init__(message)
        self.login = login


class CredentialRejected(ApiError):
    """The profile's credential is invalid, expired, revoked or missing: log in again."""

    def __init__(self, message: str, profile: Profile, code: str | None = None) -> None:
        super().__init__(message, login=profile)
        self.code = code  # the API's errorCode, when it gave one


class CallNotGranted(ApiError):
    """The consumer key does not have the access rule for this call: a new login asks for it."""

    def __init__(self, message: str, rule: str, profile: Profile) -> None:
        super().__init__(message, login=profile)
        self.rule = rule


class UnknownServer(ApiError):
    """No such service in this account."""


class ServiceExpired(ApiError):
    """The service has expired (HTTP 460)."""


class ApiUnreachable(ApiError):
    """The network failed: retry."""


class ApiRefused(ApiError):
    """The API refused the call for another reason (its message is included)."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _response_details(exc: ovh.exceptions.APIError) -> tuple[int | None, str | None, str]:
    """HTTP status, OVH errorCode and message of a failed call (never the request itself)."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    code = None
    message = ""
    if response is not None:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            code = body.get("errorCode")
            message = str(body.get("message") or "")
    if not message and exc.args and isinstance(exc.args[0], str):
        message = exc.args[0]
    return status, code, message.strip()


def _service_in(path: str) -> tuple[str, str] | None:
    """("VPS"|"dedicated server", name) when the path names one service."""
    match = re.match(r"^/(vps|dedicated/server)/([^/?]+)", path)
    if not match:
        return None
    kind = "VPS" if match.group(1) == "vps" else "dedicated server"
    return kind, match.group(2)


def _names_the_service(path: str, message: str) -> bool:
    """Whether a 404 is about the service itself (rather than a sub-resource or a door)."""
    return re.fullmatch(r"/(vps|dedicated/server)/[^/?]+", path.split("?", 1)[0]) is not None or (
        "serviceName" in message
    )


def explain(
    exc: BaseException, profile: Profile, method: str, path: str, base_url: str
) -> ApiError:
    """The ApiError that tells the user what happened to METHOD PATH and what to do."""
    call = f"{method} {path.split('?', 1)[0]}"
    host = urlsplit(base_url).netloc or base_url
    who = f"the profile {profile.name!r}"
    query_id = getattr(exc, "query_id", None)
    ref = f" (query id {query_id})" if query_id else ""
    E = ovh.exceptions

    if isinstance(exc, E.NotGrantedCall):
        rule = rule_for(method, path)
        named = str(rule) if rule else call
        return CallNotGranted(
            f"the credentials of {who} do not allow {named} (a new consumer key asks for"
            " every rule the app needs)",
            named,
            profile,
        )
    if isinstance(exc, E.InvalidKey):
        return CredentialRejected(
            f"the OVHcloud API does not accept the application key of {who}"
            " (unknown or deleted application)",
            profile,
        )
    if isinstance(exc, E.InvalidCredential | E.NotCredential):
        return CredentialRejected(
            f"the consumer key of {who} is not valid (expired, revoked or never validated)",
            profile,
            "INVALID_CREDENTIAL" if isinstance(exc, E.InvalidCredential) else "NOT_CREDENTIAL",
        )
    if isinstance(exc, E.OAuth2FailureError):
        return CredentialRejected(
            f"the OAuth2 service account of {who} was refused (check its client id and secret)",
            profile,
        )
    if isinstance(exc, E.HTTPError | E.NetworkError):
        cause = exc.args[1] if len(exc.args) > 1 else exc.__cause__
        return ApiUnreachable(
            f"cannot reach the OVHcloud API at {host} ({_network_reason(cause)}):"
            " check the network connection and retry"
        )
    if isinstance(exc, E.InvalidResponse):
        return ApiRefused(
            f"the OVHcloud API at {host} answered {call} with something that is not JSON:"
            " retry in a moment"
        )
    if isinstance(exc, E.InvalidRegion | E.InvalidConfiguration):
        return CredentialRejected(f"{who} is incomplete", profile)
    if not isinstance(exc, E.APIError):
        return ApiRefused(f"{call} failed: {type(exc).__name__}")

    status, code, message = _response_details(exc)
    said = f": {message}" if message else ""
    service = _service_in(path)
    if isinstance(exc, E.ResourceNotFoundError) and service and _names_the_service(path, message):
        kind, name = service
        return UnknownServer(
            f"there is no {kind} {name!r} in the account of {who}{said}"
            " (see 'ovhkvm-desktop servers')"
        )
    if isinstance(exc, E.ResourceExpiredError):
        name = service[1] if service else path
        return ServiceExpired(
            f"the service {name!r} has expired{said}: renew it in the OVHcloud control panel"
        )
    if status == 401:
        return CredentialRejected(f"{who} is not logged in{said}", profile)
    if code == "INVALID_SIGNATURE":
        return CredentialRejected(
            f"the API refused the signature of {call}: the application secret of {who} is wrong",
            profile,
            code,
        )
    if code == "QUERY_TIME_OUT":
        return ApiRefused(
            f"the API refused {call} as too old or from the future{said}: check this computer's"
            " clock and retry",
            status,
            code,
        )
    if isinstance(exc, E.ResourceConflictError):
        return ApiRefused(
            f"the OVHcloud API cannot do {call} now{said}: an operation may be running;"
            f" wait and retry{ref}",
            status,
            code,
        )
    if isinstance(exc, E.Forbidden):
        return ApiRefused(f"the OVHcloud API forbids {call}{said}{ref}", status, code)
    if isinstance(exc, E.BadParametersError):
        return ApiRefused(f"the OVHcloud API refused {call}{said}{ref}", status, code)
    if status is not None and status >= 500:
        return ApiRefused(
            f"the OVHcloud API failed on {call} (HTTP {status}{said}): retry in a moment{ref}",
            status,
            code,
        )
    return ApiRefused(f"the OVHcloud API refused {call} (HTTP {status}{said}){ref}", status, code)


def _network_reason(cause: object) -> str:
    import requests.exceptions as rex

    if isinstance(cause, rex.SSLError):
        return "its TLS certificate could not be verified"
    if isinstance(cause, rex.Timeout):
        return "no answer in time"
    if isinstance(cause, rex.ConnectionError):
        text = str(cause)
        if "Name or service not known" in text or "getaddrinfo" in text or "NameResolution" in text:
            return "its name does not resolve: are you online?"
        if "refused" in text.lower():
            return "connection refused"
        if "unreachable" in text.lower():
            return "the network is unreachable: are you online?"
        return "the connection failed"
    return "the request failed"


# -- the client ------------------------------------------------------------------------------


def api_base_url(endpoint: str) -> str:
    """The base URL a profile on ``endpoint`` talks to: OVHKVM_API_URL when set."""
    import os

    override = os.environ.get(API_URL_ENV, "").strip()
    if override:
        return override.rstrip("/")
    return ovh.client.ENDPOINTS[endpoint]


def _endpoint_name(endpoint: str) -> str:
    """The python-ovh endpoint name to build a client with (registering OVHKVM_API_URL)."""
    import os

    override = os.environ.get(API_URL_ENV, "").strip()
    if not override:
        return endpoint
    base = override.rstrip("/")
    ovh.client.ENDPOINTS[OVERRIDE_ENDPOINT] = base
    if endpoint in OAUTH2_ENDPOINTS:
        parts = urlsplit(base)
        ovh.client.OAUTH2_TOKEN_URLS[OVERRIDE_ENDPOINT] = (
            f"{parts.scheme}://{parts.netloc}/auth/oauth2/token"
        )
    else:
        ovh.client.OAUTH2_TOKEN_URLS.pop(OVERRIDE_ENDPOINT, None)
    return OVERRIDE_ENDPOINT


def new_ovh_client(
    endpoint: str,
    *,
    application_key: str | None = None,
    application_secret: str | None = None,
    consumer_key: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> ovh.Client:
    """A python-ovh client for exactly these credentials (nothing from OVH_* or ovh.conf)."""
    name = _endpoint_name(endpoint)
    if client_id:
        return ovh.Client(
            endpoint=name, client_id=client_id, client_secret=client_secret, timeout=TIMEOUT
        )
    return ovh.Client(
        endpoint=name,
        application_key=application_key,
        application_secret=application_secret,
        consumer_key=consumer_key or "",
        timeout=TIMEOUT,
    )


class OvhApi:
    """The API as one profile sees it. Blocking methods; ``acall`` runs one on a thread."""

    def __init__(self, profile: Profile, client: ovh.Client) -> None:
        self.profile = profile
        self.client = client
        self.base_url = api_base_url(profile.endpoint)

    @classmethod
    def for_profile(cls, profile: Profile, secrets: Secrets) -> OvhApi:
        """The profile's client with its secrets from the keyring; says to log in if missing."""
        try:
            if profile.method == METHOD_OAUTH2:
                secret = secrets.get(profile.name, CLIENT_SECRET)
                if not (profile.client_id and secret):
                    raise _missing(profile, secrets)
                client = new_ovh_client(
                    profile.endpoint, client_id=profile.client_id, client_secret=secret
                )
            else:
                app_secret = secrets.get(profile.name, APPLICATION_SECRET)
                consumer_key = secrets.get(profile.name, CONSUMER_KEY)
                if not (profile.application_key and app_secret and consumer_key):
                    raise _missing(profile, secrets)
                client = new_ovh_client(
                    profile.endpoint,
                    application_key=profile.application_key,
                    application_secret=app_secret,
                    consumer_key=consumer_key,
                )
        except ovh.exceptions.APIError as exc:
            raise explain(exc, profile, "-", "-", api_base_url(profile.endpoint)) from None
        return cls(profile, client)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One API call; failures raise an ApiError subclass with a sentence."""
        log.debug("API %s %s", method, path.split("?", 1)[0])
        try:
            return self.client.call(method, path, body, True)
        except Exception as exc:
            raise explain(exc, self.profile, method, path, self.base_url) from None

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call("POST", path, body)

    def put(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call("PUT", path, body)

    async def acall(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await asyncio.to_thread(self.call, method, path, body)


def _missing(profile: Profile, secrets: Secrets) -> CredentialRejected:
    where = "this run's memory" if not secrets.persistent else "the keyring"
    return CredentialRejected(
        f"the secrets of the profile {profile.name!r} are not in {where}", profile
    )
