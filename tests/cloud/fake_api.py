"""A local fake of the OVHcloud API v1: a real HTTP server on 127.0.0.1, in a thread.

It checks requests the way the real service does, so that the real `ovh` package (and the app
through it) can be tested without the Internet:

- `X-Ovh-Application` must name a known application; signed calls carry `X-Ovh-Consumer`,
  `X-Ovh-Timestamp` (within `max_skew` seconds of the fake's clock, which `clock_offset` moves)
  and `X-Ovh-Signature` = "$1$" + sha1(AS+"+"+CK+"+"+METHOD+"+"+full URL+"+"+body+"+"+timestamp);
- `GET /auth/time`; the consumer-key flow (`POST /auth/credential` → pendingValidation and a
  validationUrl; the test validates, refuses or expires it with `validate()`, `refuse()`,
  `expire()`; `GET /auth/currentCredential`); OAuth2 client credentials (`POST
  /auth/oauth2/token`, then `Authorization: Bearer`) when started with TLS;
- each consumer key's access rules (`*` matches anything): other calls get 403 NOT_GRANTED_CALL;
- /vps, /vps/{sn}, getConsoleUrl, openConsoleAccess, PUT /vps/{sn} (netbootMode), reboot,
  tasks (they progress with time: `task_seconds`), /dedicated/server with IPMI access;
- errors as the API sends them: `{"errorCode", "httpCode", "message"}` and `X-Ovh-Queryid`.

What the real service does that is not documented is marked "assumed" where it matters.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import itertools
import json
import re
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_PREFIX = "/1.0"

#: Rules that grant everything (what a user gets from the web form's defaults).
ALL_RULES = [{"method": m, "path": "/*"} for m in ("GET", "POST", "PUT", "DELETE")]


class Failure(Exception):
    """An API error answer: raise it from a handler, or hand it to `set_console()`."""

    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_granted() -> Failure:
    return Failure(403, "NOT_GRANTED_CALL", "This call has not been granted")


def invalid_credential() -> Failure:
    return Failure(403, "INVALID_CREDENTIAL", "This credential is not valid")


@dataclass
class Credential:
    consumer_key: str
    application_key: str
    rules: list[dict[str, str]]
    status: str = "pendingValidation"
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    credential_id: int = 0
    created: float = field(default_factory=time.time)


@dataclass
class Task:
    id: int
    type: str
    created: float
    duration: float
    on_done: Callable[[], None] | None = None
    fails: bool = False
    finished: bool = False

    def state(self, now: float) -> tuple[str, int]:
        elapsed = now - self.created
        if elapsed < self.duration * 0.2:
            return "todo", 0
        if elapsed < self.duration:
            return "doing", min(99, int(100 * elapsed / self.duration))
        return ("error", 100) if self.fails else ("done", 100)


@dataclass
class Call:
    """One request the fake answered (for tests that check what the app asked)."""

    method: str
    path: str
    status: int
    body: str


def rule_matches(rule: dict[str, str], method: str, path: str) -> bool:
    if rule.get("method", "").upper() != method:
        return False
    pattern = "^" + ".*".join(re.escape(p) for p in rule.get("path", "").split("*")) + "$"
    return re.match(pattern, path) is not None


def vps_document(name: str, **overrides: Any) -> dict[str, Any]:
    """A VPS as `GET /vps/{serviceName}` describes it (vps.json: vps.VPS)."""
    doc: dict[str, Any] = {
        "name": name,
        "displayName": name,
        "state": "running",
        "model": {
            "name": "vps-value-1-2-40",
            "offer": "VPS value 1-2-40",
            "version": "2019v1",
            "vcore": 1,
            "memory": 2048,
            "disk": 40,
            "datacenter": [],
            "maximumAdditionnalIp": 16,
            "availableOptions": [],
        },
        "zone": "Region OpenStack: os-gra7",
        "netbootMode": "local",
        "keymap": None,
        "offerType": "ssd",
        "vcore": 1,
        "memoryLimit": 2048,
        "monitoringIpBlocks": [],
        "slaMonitoring": False,
        "cluster": "",
        "iam": None,
    }
    model = overrides.pop("model", None)
    if model:
        doc["model"] = {**doc["model"], **model}
    doc.update(overrides)
    return doc


class FakeOvhApi:
    """`with FakeOvhApi() as api:` … `api.base_url` is what OVHKVM_API_URL points at."""

    def __init__(
        self,
        *,
        tls_files: tuple[Path, Path] | None = None,
        max_skew: int = 30,
        task_seconds: float = 1.0,
    ) -> None:
        self.max_skew = max_skew
        self.task_seconds = task_seconds
        self.clock_offset = 0
        #: When True, currentCredential of a key not yet validated answers 403 (assumed either
        #: way; the app copes with both).
        self.unvalidated_current_credential_403 = False
        self.lock = threading.RLock()
        self.applications: dict[str, str] = {}
        self.credentials: dict[str, Credential] = {}
        self.service_accounts: dict[str, str] = {}
        self.service_account_rules: dict[str, list[dict[str, str]]] = {}
        self.access_tokens: dict[str, str] = {}
        self.vps: dict[str, dict[str, Any]] = {}
        self.consoles: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, list[Task]] = {}
        self.dedicated: dict[str, dict[str, Any]] = {}
        self.ipmi: dict[str, dict[str, Any]] = {}
        self.dedicated_tasks: dict[str, list[Task]] = {}
        self.kvm_urls: dict[str, str] = {}
        #: Where the KVM pages that IPMI access hands out live (a test may make it not https).
        self.kvm_origin = "https://kvm.example.test"
        self.expired_services: set[str] = set()
        self.failures: list[tuple[str, re.Pattern[str], Failure]] = []
        self.calls: list[Call] = []
        self._ids = itertools.count(1000)
        self._query_ids = itertools.count(1)

        handler = _make_handler(self)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.scheme = "http"
        if tls_files is not None:
            cert, key = tls_files
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert), str(key))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="fake-ovh-api", daemon=True
        )
        self._thread.start()

    # -- life ------------------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOvhApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> float:
        return time.time() + self.clock_offset

    # -- accounts --------------------------------------------------------------------------------

    def add_application(self, key: str | None = None, secret: str | None = None) -> tuple[str, str]:
        key = key or secrets.token_hex(8)
        secret = secret or secrets.token_hex(16)
        with self.lock:
            self.applications[key] = secret
        return key, secret

    def add_credential(
        self,
        application_key: str,
        rules: list[dict[str, str]] | None = None,
        status: str = "validated",
    ) -> str:
        consumer_key = secrets.token_hex(16)
        with self.lock:
            self.credentials[consumer_key] = Credential(
                consumer_key,
                application_key,
                list(rules if rules is not None else ALL_RULES),
                status,
                credential_id=next(self._ids),
            )
        return consumer_key

    def add_service_account(self, rules: list[dict[str, str]] | None = None) -> tuple[str, str]:
        client_id = "EU." + secrets.token_hex(8)
        secret = secrets.token_hex(16)
        with self.lock:
            self.service_accounts[client_id] = secret
            self.service_account_rules[client_id] = list(rules or ALL_RULES)
        return client_id, secret

    def credential_for_token(self, credential_token: str) -> Credential:
        with self.lock:
            for credential in self.credentials.values():
                if credential.token == credential_token:
                    return credential
        raise KeyError(credential_token)

    def _set_status(self, who: str, status: str) -> None:
        """`who` is a consumer key, a validationUrl or its credentialToken."""
        with self.lock:
            if who in self.credentials:
                self.credentials[who].status = status
                return
            token = parse_qs(urlsplit(who).query).get("credentialToken", [who])[0]
            self.credential_for_token(token).status = status

    def validate(self, who: str) -> None:
        self._set_status(who, "validated")

    def refuse(self, who: str) -> None:
        self._set_status(who, "refused")

    def expire(self, who: str) -> None:
        self._set_status(who, "expired")

    # -- services --------------------------------------------------------------------------------

    def add_vps(self, name: str, **fields: Any) -> dict[str, Any]:
        with self.lock:
            doc = self.vps[name] = vps_document(name, **fields)
            self.tasks.setdefault(name, [])
            self.consoles.setdefault(name, {})
        return doc

    def set_console(self, name: str, door: str, answer: Any) -> None:
        """What a door answers for a VPS: `door` is "getConsoleUrl", "VNCOverWebSocket" or
        "VNC"; `answer` a value, a `Failure`, or a callable returning either (called at each
        request, e.g. to hand out a fresh token)."""
        with self.lock:
            self.consoles.setdefault(name, {})[door] = answer

    def add_dedicated(
        self, name: str, ipmi: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        doc = {
            "name": name,
            "serverId": next(self._ids),
            "reverse": f"{name}.ip-1-2-3.eu",
            "state": "ok",
            "powerState": "poweron",
            "commercialRange": "advance-1",
            "datacenter": "gra3",
            "os": "debian12_64",
            "bootId": 1,
            "rescueMail": None,
            "monitoring": True,
            "ip": "192.0.2.10",
        }
        doc.update(fields)
        features = {
            "kvmipHtml5URL": True,
            "kvmipJnlp": True,
            "serialOverLanSshKey": True,
            "serialOverLanURL": True,
        }
        with self.lock:
            self.dedicated[name] = doc
            self.ipmi[name] = {
                "activated": True,
                "supportedFeatures": {**features, **(ipmi or {})},
            }
            self.dedicated_tasks.setdefault(name, [])
        return doc

    def expire_service(self, name: str) -> None:
        with self.lock:
            self.expired_services.add(name)

    def fail(self, method: str, path_regex: str, failure: Failure) -> None:
        """Answer `failure` to every METHOD on a path (under /1.0) matching the regex."""
        with self.lock:
            self.failures.append((method.upper(), re.compile(path_regex), failure))

    def calls_to(self, method: str, path_regex: str) -> list[Call]:
        with self.lock:
            return [
                c for c in self.calls if c.method == method and re.fullmatch(path_regex, c.path)
            ]

    # -- tasks -------------------------------------------------------------------------------------

    def _new_task(
        self, tasks: list[Task], kind: str, on_done: Callable[[], None] | None = None
    ) -> Task:
        task = Task(next(self._ids), kind, self.now(), self.task_seconds, on_done)
        tasks.append(task)
        return task

    def _tick(self) -> None:
        """Apply the effects of the tasks that finished."""
        now = self.now()
        for task in itertools.chain(*self.tasks.values(), *self.dedicated_tasks.values()):
            if not task.finished and task.state(now)[0] in ("done", "error"):
                task.finished = True
                if task.on_done is not None and not task.fails:
                    task.on_done()

    def _vps_task_json(self, task: Task) -> dict[str, Any]:
        state, progress = task.state(self.now())
        return {
            "id": task.id,
            "type": task.type,
            "state": state,
            "progress": progress,
            "date": _iso(task.created),
        }

    def _dedicated_task_json(self, task: Task) -> dict[str, Any]:
        state, _ = task.state(self.now())
        return {
            "taskId": task.id,
            "function": task.type,
            "status": state,
            "comment": "",
            "startDate": _iso(task.created),
            "doneDate": _iso(task.created + task.duration) if state == "done" else None,
        }

    # -- request handling --------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: Any, body: str) -> tuple[int, Any]:
        """(status, JSON document) for one request; raises Failure for API errors."""
        parts = urlsplit(raw_path)
        if parts.path == "/auth/oauth2/token" and method == "POST":
            return 200, self._oauth2_token(headers, body)
        if not parts.path.startswith(API_PREFIX + "/"):
            raise Failure(404, None, "Not found")
        path = parts.path[len(API_PREFIX) :]
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self._tick()
            if path == "/auth/time" and method == "GET":
                return 200, int(self.now())
            identity = self._authenticate(method, raw_path, path, headers, body)
            for fail_method, regex, failure in self.failures:
                if fail_method == method and regex.fullmatch(path):
                    raise failure
            data = json.loads(body) if body else None
            if path == "/auth/credential" and method == "POST":
                return 200, self._new_credential(data, headers["X-Ovh-Application"])
            return self._route(method, path, query, data, identity)

    def _authenticate(
        self, method: str, raw_path: str, path: str, headers: Any, body: str
    ) -> Credential | str | None:
        bearer = headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            client_id = self.access_tokens.get(bearer[7:])
            if client_id is None:
                raise Failure(401, "INVALID_TOKEN", "The access token is invalid or expired")
            if path != "/auth/currentCredential" and not any(
                rule_matches(r, method, path) for r in self.service_account_rules[client_id]
            ):
                raise not_granted()
            return client_id
        app_key = headers.get("X-Ovh-Application")
        if not app_key or app_key not in self.applications:
            raise Failure(403, "INVALID_KEY", "This application key is invalid")
        if path == "/auth/credential" and method == "POST":
            return None  # unsigned: only the application key
        consumer_key = headers.get("X-Ovh-Consumer")
        if not consumer_key:
            raise Failure(401, None, "You must login first")
        timestamp = headers.get("X-Ovh-Timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - self.now()) > self.max_skew:
            raise Failure(400, "QUERY_TIME_OUT", "Query out of time")  # assumed code
        host = headers.get("Host", f"127.0.0.1:{self.port}")
        url = f"{self.scheme}://{host}{raw_path}"
        app_secret = self.applications[app_key]
        expected = (
            "$1$"
            + hashlib.sha1(
                "+".join([app_secret, consumer_key, method, url, body, timestamp]).encode()
            ).hexdigest()
        )
        if headers.get("X-Ovh-Signature") != expected:
            raise Failure(400, "INVALID_SIGNATURE", "Invalid signature")
        credential = self.credentials.get(consumer_key)
        if credential is None or credential.application_key != app_key:
            raise invalid_credential()
        if path == "/auth/currentCredential" and method == "GET":
            if credential.status != "validated" and self.unvalidated_current_credential_403:
                raise invalid_credential()
            return credential
        if credential.status != "validated":
            raise invalid_credential()
        if not any(rule_matches(r, method, path) for r in credential.rules):
            raise not_granted()
        return credential

    def _oauth2_token(self, headers: Any, body: str) -> dict[str, Any]:
        form = {k: v[-1] for k, v in parse_qs(body).items()}
        client_id = form.get("client_id")
        client_secret = form.get("client_secret")
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            decoded = base64.b64decode(auth[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
            from urllib.parse import unquote_plus

            client_id, client_secret = unquote_plus(client_id), unquote_plus(client_secret)
        if form.get("grant_type") != "client_credentials":
            raise Failure(400, "unsupported_grant_type", "unsupported grant type")
        with self.lock:
            if not client_id or self.service_accounts.get(client_id) != client_secret:
                raise _OAuthFailure(401, {"error": "invalid_client"})
            token = secrets.token_hex(16)
            self.access_tokens[token] = client_id
        return {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "all"}

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        data: Any,
        identity: Credential | str | None,
    ) -> tuple[int, Any]:
        seg = path.strip("/").split("/")
        if path == "/auth/currentCredential" and method == "GET":
            return 200, self._current_credential(identity)
        if seg[0] == "vps":
            return self._route_vps(method, seg[1:], query, data)
        if seg[:2] == ["dedicated", "server"]:
            return self._route_dedicated(method, seg[2:], query, data)
        raise Failure(404, None, f"Got an invalid (or empty) URL: {path}")

    def _new_credential(self, data: Any, application_key: str) -> dict[str, Any]:
        if not isinstance(data, dict) or not isinstance(data.get("accessRules"), list):
            raise Failure(400, "INVALID_PARAMETER", "Invalid parameter accessRules")
        for rule in data["accessRules"]:
            if set(rule) != {"method", "path"} or rule["method"] not in (
                "GET",
                "POST",
                "PUT",
                "DELETE",
            ):
                raise Failure(400, "INVALID_PARAMETER", f"Invalid access rule {rule}")
        raise_unless_known = set(data) - {"accessRules", "redirection", "allowedIPs"}
        if raise_unless_known:
            raise Failure(400, "INVALID_PARAMETER", f"Unknown parameter {raise_unless_known}")
        consumer_key = secrets.token_hex(16)
        credential = Credential(
            consumer_key,
            application_key,
            list(data["accessRules"]),
            credential_id=next(self._ids),
        )
        self.credentials[consumer_key] = credential
        return {
            "state": "pendingValidation",
            "consumerKey": consumer_key,
            "validationUrl": f"{self.origin}/auth/?credentialToken={credential.token}",
        }

    def _current_credential(self, identity: Credential | str | None) -> dict[str, Any]:
        if isinstance(identity, Credential):
            return {
                "credentialId": identity.credential_id,
                "applicationId": 4242,
                "status": identity.status,
                "rules": identity.rules,
                "creation": _iso(identity.created),
                "expiration": None,
                "lastUse": _iso(time.time()),
                "ovhSupport": False,
                "allowedIPs": None,
            }
        return {
            "credentialId": 1,
            "applicationId": 0,
            "status": "validated",
            "rules": self.service_account_rules.get(str(identity), []),
            "creation": _iso(time.time()),
            "expiration": None,
            "lastUse": None,
            "ovhSupport": False,
            "allowedIPs": None,
        }

    # -- /vps --------------------------------------------------------------------------------------

    def _vps(self, name: str) -> dict[str, Any]:
        if name not in self.vps:
            raise Failure(404, None, f"The requested object (serviceName = {name}) does not exist")
        if name in self.expired_services:
            raise Failure(460, None, f"The service {name} is expired")  # assumed wording
        return self.vps[name]

    def _route_vps(
        self, method: str, seg: list[str], query: dict[str, str], data: Any
    ) -> tuple[int, Any]:
        if not seg or seg == [""]:
            if method == "GET":
                return 200, sorted(self.vps)
            raise Failure(405, None, "Method not allowed")
        name, rest = seg[0], seg[1:]
        vps = self._vps(name)
        if not rest:
            if method == "GET":
                return 200, vps
            if method == "PUT":
                return 200, self._put_vps(name, vps, data)
        elif rest == ["getConsoleUrl"] and method == "POST":
            return 200, self._door(name, "getConsoleUrl")
        elif rest == ["openConsoleAccess"] and method == "POST":
            protocol = (data or {}).get("protocol")
            if protocol not in ("VNC", "VNCOverWebSocket"):
                raise Failure(400, None, "Invalid parameter protocol")  # assumed wording
            return 200, self._door(name, protocol)
        elif rest == ["reboot"] and method == "POST":
            return 200, self._vps_task_json(self._reboot(name, vps))
        elif rest == ["tasks"] and method == "GET":
            now = self.now()
            ids = [
                t.id
                for t in self.tasks[name]
                if query.get("type") in (None, t.type)
                and query.get("state") in (None, t.state(now)[0])
            ]
            return 200, ids
        elif len(rest) == 2 and rest[0] == "tasks" and method == "GET":
            for task in self.tasks[name]:
                if str(task.id) == rest[1]:
                    return 200, self._vps_task_json(task)
            raise Failure(404, None, f"The requested object (id = {rest[1]}) does not exist")
        raise Failure(404, None, f"Got an invalid (or empty) URL: /vps/{'/'.join(seg)}")

    def _door(self, name: str, door: str) -> Any:
        answer = self.consoles.get(name, {}).get(door)
        if answer is None:
            # Assumed: the real API's answer for a door a range does not have is not documented.
            raise Failure(400, None, f"This feature is not available for this VPS ({door})")
        if callable(answer):
            answer = answer()
        if isinstance(answer, Failure):
            raise answer
        return answer

    def _put_vps(self, name: str, vps: dict[str, Any], data: Any) -> None:
        if not isinstance(data, dict):
            raise Failure(400, None, "Missing body")
        mode = data.get("netbootMode")
        if mode is not None:
            if mode not in ("local", "rescue"):
                raise Failure(400, None, f"Invalid value for netbootMode: {mode}")
            vps["netbootMode"] = mode
            # Current ranges reboot by themselves; CLOUD 2014 (2014v1) needs an explicit reboot.
            if vps["model"].get("version") != "2014v1":
                self._reboot(name, vps, "setNetboot")
        if "displayName" in data:
            vps["displayName"] = data["displayName"]
        return None

    def _reboot(self, name: str, vps: dict[str, Any], kind: str = "rebootVm") -> Task:
        vps["state"] = "rebooting"

        def done() -> None:
            vps["state"] = "rescued" if vps["netbootMode"] == "rescue" else "running"

        return self._new_task(self.tasks[name], kind, done)

    # -- /dedicated/server -------------------------------------------------------------------------

    def _route_dedicated(
        self, method: str, seg: list[str], query: dict[str, str], data: Any
    ) -> tuple[int, Any]:
        if not seg or seg == [""]:
            if method == "GET":
                return 200, sorted(self.dedicated)
            raise Failure(405, None, "Method not allowed")
        name, rest = seg[0], seg[1:]
        if name not in self.dedicated:
            raise Failure(404, None, f"The requested object (serviceName = {name}) does not exist")
        if name in self.expired_services:
            raise Failure(460, None, f"The service {name} is expired")
        if not rest and method == "GET":
            return 200, self.dedicated[name]
        if rest == ["features", "ipmi"] and method == "GET":
            return 200, self.ipmi[name]
        if rest == ["features", "ipmi", "access"] and method == "POST":
            kind = (data or {}).get("type")
            if not self.ipmi[name]["supportedFeatures"].get(kind):
                raise Failure(400, None, f"This IPMI feature is not supported: {kind}")
            if not str((data or {}).get("ttl", "")).isdigit():
                raise Failure(400, None, "Invalid parameter ttl")

            def grant() -> None:
                self.kvm_urls[name] = f"{self.kvm_origin}/{name}/{secrets.token_hex(8)}"

            task = self._new_task(self.dedicated_tasks[name], "dedicated.ipmi.access", grant)
            return 200, self._dedicated_task_json(task)
        if rest == ["features", "ipmi", "access"] and method == "GET":
            if query.get("type") != "kvmipHtml5URL" or name not in self.kvm_urls:
                raise Failure(404, None, "No access has been requested for this type")
            return 200, {"value": self.kvm_urls[name], "expiration": _iso(time.time() + 900)}
        if len(rest) == 2 and rest[0] == "task" and method == "GET":
            for task in self.dedicated_tasks[name]:
                if str(task.id) == rest[1]:
                    return 200, self._dedicated_task_json(task)
            raise Failure(404, None, f"The requested object (taskId = {rest[1]}) does not exist")
        raise Failure(404, None, f"Got an invalid (or empty) URL: /dedicated/server/{name}")


class _OAuthFailure(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


def _iso(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.UTC).isoformat(timespec="seconds")


def _make_handler(api: FakeOvhApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests read `api.calls`

        def _answer(self, status: int, document: Any, query_id: bool = True) -> None:
            payload = json.dumps(document).encode()
            self.send_response(status, _reason(status))
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            if query_id:
                self.send_header("X-Ovh-Queryid", f"EU.ext-1.fake.{next(api._query_ids)}")
            self.end_headers()
            self.wfile.write(payload)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            method = self.command
            path = urlsplit(self.path).path
            if method == "GET" and path == "/auth/":
                # The validation page a user would open: the tests validate with the hooks.
                return self._answer(200, "validation page (use FakeOvhApi.validate)")
            try:
                status, document = api.handle(method, self.path, self.headers, body)
            except Failure as failure:
                status = failure.status
                document = {"httpCode": f"{status} {_reason(status)}", "message": failure.message}
                if failure.code:
                    document["errorCode"] = failure.code
            except _OAuthFailure as failure:
                status, document = failure.status, failure.body
            with api.lock:
                api.calls.append(Call(method, path.removeprefix(API_PREFIX), status, body))
            self._answer(status, document)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


def _reason(status: int) -> str:
    if status == 460:
        return "Service Expired"  # assumed reason phrase
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
