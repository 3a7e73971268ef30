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
from ovhkvm_desktop.words import N_, _

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
    why: str  # marked with N_: said with _(rule.why)

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
    AccessRule("GET", "/vps", N_("list your VPS")),
    AccessRule(
        "GET", "/vps/*", N_("read a VPS (state, model, zone, keymap, netboot) and its tasks")
    ),
    AccessRule("POST", "/vps/*/getConsoleUrl", N_("open a VPS console (noVNC URL)")),
    AccessRule(
        "POST", "/vps/*/openConsoleAccess", N_("open a VPS console (VNC, VNC over WebSocket)")
    ),
    AccessRule("PUT", "/vps/*", N_("switch a VPS between rescue and local boot")),
    AccessRule("POST", "/vps/*/reboot", N_("reboot a VPS into or out of rescue")),
    AccessRule("GET", "/dedicated/server", N_("list your dedicated servers")),
    AccessRule("GET", "/dedicated/server/*", N_("read a dedicated server and its IPMI features")),
    AccessRule(
        "POST", "/dedicated/server/*/features/ipmi/access", N_("open a dedicated server's KVM")
    ),
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
    """("vps"|"dedicated/server", name) when the path names one service."""
    match = re.match(r"^/(vps|dedicated/server)/([^/?]+)", path)
    if not match:
        return None
    return match.group(1), match.group(2)


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
    who = repr(profile.name)
    query_id = getattr(exc, "query_id", None)
    # The reference OVHcloud's support asks for, after the sentence.
    ref = _(" (query id {query_id})").format(query_id=query_id) if query_id else ""
    E = ovh.exceptions

    if isinstance(exc, E.NotGrantedCall):
        rule = rule_for(method, path)
        named = str(rule) if rule else call
        return CallNotGranted(
            _(
                "the credentials of the profile {profile} do not allow {call} (a new consumer key"
                " asks for every rule the app needs)"
            ).format(profile=who, call=named),
            named,
            profile,
        )
    if isinstance(exc, E.InvalidKey):
        return CredentialRejected(
            _(
                "the OVHcloud API does not accept the application key of the profile {profile}"
                " (unknown or deleted application)"
            ).format(profile=who),
            profile,
        )
    if isinstance(exc, E.InvalidCredential | E.NotCredential):
        return CredentialRejected(
            _(
                "the consumer key of the profile {profile} is not valid (expired, revoked or never"
                " validated)"
            ).format(profile=who),
            profile,
            "INVALID_CREDENTIAL" if isinstance(exc, E.InvalidCredential) else "NOT_CREDENTIAL",
        )
    if isinstance(exc, E.OAuth2FailureError):
        return CredentialRejected(
            _(
                "the OAuth2 service account of the profile {profile} was refused (check its client"
                " id and secret)"
            ).format(profile=who),
            profile,
        )
    if isinstance(exc, E.HTTPError | E.NetworkError):
        cause = exc.args[1] if len(exc.args) > 1 else exc.__cause__
        return ApiUnreachable(
            _(
                "cannot reach the OVHcloud API at {host} ({reason}): check the network connection"
                " and retry"
            ).format(host=host, reason=_network_reason(cause))
        )
    if isinstance(exc, E.InvalidResponse):
        return ApiRefused(
            _(
                "the OVHcloud API at {host} answered {call} with something that is not JSON:"
                " retry in a moment"
            ).format(host=host, call=call)
        )
    if isinstance(exc, E.InvalidRegion | E.InvalidConfiguration):
        return CredentialRejected(
            _("the profile {profile} is incomplete").format(profile=who), profile
        )
    if not isinstance(exc, E.APIError):
        return ApiRefused(_("{call} failed: {reason}").format(call=call, reason=type(exc).__name__))

    status, code, message = _response_details(exc)
    # The API's own words (English, from OVHcloud), after the sentence's punctuation.
    said = _(": {message}").format(message=message) if message else ""
    service = _service_in(path)
    if isinstance(exc, E.ResourceNotFoundError) and service and _names_the_service(path, message):
        kind, name = service
        if kind == "vps":
            sentence = N_(
                "there is no VPS {name} in the account of the profile {profile}{said} (see"
                " 'ovhkvm-desktop servers')"
            )
        else:
            sentence = N_(
                "there is no dedicated server {name} in the account of the profile"
                " {profile}{said} (see 'ovhkvm-desktop servers')"
            )
        return UnknownServer(_(sentence).format(name=repr(name), profile=who, said=said))
    if isinstance(exc, E.ResourceExpiredError):
        name = service[1] if service else path
        return ServiceExpired(
            _(
                "the service {name} has expired{said}: renew it in the OVHcloud control panel"
            ).format(name=repr(name), said=said)
        )
    if status == 401:
        return CredentialRejected(
            _("the profile {profile} is not logged in{said}").format(profile=who, said=said),
            profile,
        )
    if code == "INVALID_SIGNATURE":
        return CredentialRejected(
            _(
                "the API refused the signature of {call}: the application secret of the profile"
                " {profile} is wrong"
            ).format(call=call, profile=who),
            profile,
            code,
        )
    if code == "QUERY_TIME_OUT":
        return ApiRefused(
            _(
                "the API refused {call} as too old or from the future{said}: check this"
                " computer's clock and retry"
            ).format(call=call, said=said),
            status,
            code,
        )
    if isinstance(exc, E.ResourceConflictError):
        return ApiRefused(
            _(
                "the OVHcloud API cannot do {call} now{said}: an operation may be running; wait"
                " and retry{ref}"
            ).format(call=call, said=said, ref=ref),
            status,
            code,
        )
    if isinstance(exc, E.Forbidden):
        return ApiRefused(
            _("the OVHcloud API forbids {call}{said}{ref}").format(call=call, said=said, ref=ref),
            status,
            code,
        )
    if isinstance(exc, E.BadParametersError):
        return ApiRefused(
            _("the OVHcloud API refused {call}{said}{ref}").format(call=call, said=said, ref=ref),
            status,
            code,
        )
    if status is not None and status >= 500:
        return ApiRefused(
            _(
                "the OVHcloud API failed on {call} (HTTP {status}{said}): retry in a moment{ref}"
            ).format(call=call, status=status, said=said, ref=ref),
            status,
            code,
        )
    return ApiRefused(
        _("the OVHcloud API refused {call} (HTTP {status}{said}){ref}").format(
            call=call, status=status, said=said, ref=ref
        ),
        status,
        code,
    )


def _network_reason(cause: object) -> str:
    import requests.exceptions as rex

    if isinstance(cause, rex.SSLError):
        return _("its TLS certificate could not be verified")
    if isinstance(cause, rex.Timeout):
        return _("no answer in time")
    if isinstance(cause, rex.ConnectionError):
        text = str(cause)
        if "Name or service not known" in text or "getaddrinfo" in text or "NameResolution" in text:
            return _("its name does not resolve: are you online?")
        if "refused" in text.lower():
            return _("connection refused")
        if "unreachable" in text.lower():
            return _("the network is unreachable: are you online?")
        return _("the connection failed")
    return _("the request failed")


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
    if secrets.persistent:
        sentence = _("the secrets of the profile {profile} are not in the keyring")
    else:
        sentence = _("the secrets of the profile {profile} are not in this run's memory")
    return CredentialRejected(sentence.format(profile=repr(profile.name)), profile)
