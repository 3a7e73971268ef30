"""What the user names on the command line (`vnc://`, `ws(s)://`, a noVNC page URL, `HOST:PORT`),
turned into where and how to connect."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qs, quote, unquote, urlencode, urlsplit, urlunsplit

from ovhkvm_desktop.errors import ConsoleError

DEFAULT_VNC_PORT = 5900
NOVNC_PAGES = ("vnc_auto.html", "vnc.html", "vnc_lite.html")


@dataclass(frozen=True)
class ConsoleTarget:
    """One console to connect to: a TCP address, or a WebSocket URL."""

    transport: str  # "tcp" or "websocket"
    host: str
    port: int
    url: str = ""  # the WebSocket URL (for transport "websocket")
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)  # sent as the `token` cookie too

    @property
    def display(self) -> str:
        """How the target is named in messages (never with its password or token)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.transport == "tcp":
            return f"{host}:{self.port}"
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))

    def with_password(self, password: str | None) -> ConsoleTarget:
        return ConsoleTarget(self.transport, self.host, self.port, self.url, password, self.token)


def parse_target(text: str) -> ConsoleTarget:
    """Parse a TARGET as the command line contract defines it."""
    text = text.strip()
    if text.startswith("ovh:"):
        raise ConsoleError("ovh: targets need an OVHcloud profile; see 'ovhkvm-desktop login'")
    if "://" not in text:
        return _tcp_target(urlsplit("vnc://" + text), text)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "vnc":
        return _tcp_target(parts, text)
    if scheme in ("ws", "wss"):
        return _websocket_target(parts, text)
    if scheme in ("http", "https"):
        return _novnc_page_target(parts, text)
    raise ConsoleError(f"unknown kind of target {text!r}: use vnc://, ws://, wss:// or a noVNC URL")


def _host_port(parts: SplitResult, text: str, default_port: int) -> tuple[str, int]:
    try:
        port = parts.port
    except ValueError:
        raise ConsoleError(
            f"the port in {_redact(text)!r} is not a number from 1 to 65535"
        ) from None
    host = parts.hostname
    if not host:
        raise ConsoleError(f"no host in {_redact(text)!r}")
    return host, port or default_port


def _tcp_target(parts: SplitResult, text: str) -> ConsoleTarget:
    host, port = _host_port(parts, text, DEFAULT_VNC_PORT)
    password = unquote(parts.password) if parts.password is not None else None
    return ConsoleTarget("tcp", host, port, password=password)


def _websocket_target(parts: SplitResult, text: str) -> ConsoleTarget:
    scheme = parts.scheme.lower()
    host, port = _host_port(parts, text, 443 if scheme == "wss" else 80)
    password = unquote(parts.password) if parts.password is not None else None
    netloc = parts.netloc.rpartition("@")[2]
    url = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    token = parse_qs(parts.query).get("token", [None])[0]
    return ConsoleTarget("websocket", host, port, url, password, token)


def _novnc_page_target(parts: SplitResult, text: str) -> ConsoleTarget:
    """A noVNC page (nova's `vnc_auto.html?token=T`, `vnc_lite.html?path=%3Ftoken%3DT`...) →
    the WebSocket URL that page would open."""
    page = parts.path.rsplit("/", 1)[-1]
    if page not in NOVNC_PAGES:
        raise ConsoleError(
            f"{_redact(text)!r} is not a noVNC console page (expected {', '.join(NOVNC_PAGES)})"
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    scheme = parts.scheme.lower()
    secure = scheme == "https"
    if "encrypt" in query:
        secure = query["encrypt"].lower() in ("1", "true", "yes")
    host, port = _host_port(parts, text, 443 if scheme == "https" else 80)
    host = query.get("host", host)
    if "port" in query:
        try:
            port = int(query["port"])
        except ValueError:
            raise ConsoleError(f"the port in {_redact(text)!r} is not a number") from None
    path = query.get("path", "websockify").lstrip("/")
    path_part, _, path_query = path.partition("?")
    path_args = {k: v[-1] for k, v in parse_qs(path_query).items()}
    token = path_args.get("token") or query.get("token")
    if token and "token" not in path_args:
        path_args["token"] = token
    new_query = urlencode(path_args, quote_via=quote)
    ws_host = f"[{host}]" if ":" in host else host
    url = urlunsplit(
        ("wss" if secure else "ws", f"{ws_host}:{port}", "/" + path_part, new_query, "")
    )
    return ConsoleTarget("websocket", host, port, url, query.get("password"), token)


def _redact(text: str) -> str:
    """The target as the user typed it, less any password or token."""
    parts = urlsplit(text if "://" in text else "vnc://" + text)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    query = "&".join(
        f"{k}=***" if k in ("token", "password", "path") else f"{k}={v}"
        for k, v in (
            (kv.partition("=")[0], kv.partition("=")[2]) for kv in parts.query.split("&") if kv
        )
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
