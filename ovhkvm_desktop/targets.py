"""What the user names on the command line (`vnc://`, `ws(s)://`, a noVNC page URL, `HOST:PORT`),
turned into where and how to connect."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, quote, unquote, urlencode, urlsplit, urlunsplit

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.words import _

DEFAULT_VNC_PORT = 5900
NOVNC_PAGES = ("vnc_auto.html", "vnc.html", "vnc_lite.html")


@dataclass(frozen=True, repr=False)
class ConsoleTarget:
    """One console to connect to: a TCP address, or a WebSocket URL."""

    transport: str  # "tcp" or "websocket"
    host: str
    port: int
    url: str = ""  # the WebSocket URL (for transport "websocket"); may hold `?token=`
    password: str | None = None
    token: str | None = None  # sent as the `token` cookie too

    @property
    def display(self) -> str:
        """How the target is named in messages (never with its password or token)."""
        if self.transport == "tcp":
            host = f"[{self.host}]" if ":" in self.host else self.host
            return f"{host}:{self.port}"
        # The query (where nova puts the token) is left out: a title needs no `?token=***`.
        return redact_target(self.url.partition("#")[0].partition("?")[0])

    def __repr__(self) -> str:
        # Not the dataclass's: its `url` field carries the token.
        return f"ConsoleTarget({self.transport} {self.display})"

    def with_password(self, password: str | None) -> ConsoleTarget:
        return ConsoleTarget(self.transport, self.host, self.port, self.url, password, self.token)


def parse_target(text: str) -> ConsoleTarget:
    """Parse a TARGET as the command line contract defines it.

    Every message names the target through ``redact_target``: a mistyped target may well carry
    a password or a token, and messages end up on screens, in terminals' scrollback and in bug
    reports."""
    text = text.strip()
    if text.startswith("ovh:"):
        raise ConsoleError(_("ovh: targets need an OVHcloud profile; see 'ovhkvm-desktop login'"))
    try:
        if "://" not in text:
            return _tcp_target(urlsplit("vnc://" + text), text)
        parts = urlsplit(text)
    except ValueError:
        # urllib's own words may quote the whole netloc, password included.
        raise ConsoleError(
            _("{target} is not a valid address").format(target=repr(redact_target(text)))
        ) from None
    scheme = parts.scheme.lower()
    if scheme == "vnc":
        return _tcp_target(parts, text)
    if scheme in ("ws", "wss"):
        return _websocket_target(parts, text)
    if scheme in ("http", "https"):
        return _novnc_page_target(parts, text)
    raise ConsoleError(
        _("unknown kind of target {target}: use vnc://, ws://, wss:// or a noVNC URL").format(
            target=repr(redact_target(text))
        )
    )


def _host_port(parts: SplitResult, text: str, default_port: int) -> tuple[str, int]:
    try:
        port = parts.port
    except ValueError:
        raise ConsoleError(
            _("the port in {target} is not a number from 1 to 65535").format(
                target=repr(redact_target(text))
            )
        ) from None
    host = parts.hostname
    if not host:
        raise ConsoleError(_("no host in {target}").format(target=repr(redact_target(text))))
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
            _("{target} is not a noVNC console page (expected {pages})").format(
                target=repr(redact_target(text)), pages=", ".join(NOVNC_PAGES)
            )
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
            raise ConsoleError(
                _("the port in {target} is not a number").format(target=repr(redact_target(text)))
            ) from None
    path = query.get("path", "websockify").lstrip("/")
    path_part, _sep, path_query = path.partition("?")
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


# -- what messages may show of a target ------------------------------------------------------------

HIDDEN = "***"
#: The query parameters whose values a message may show: where to connect, never who may. Every
#: other value is hidden (`token`, `password`, noVNC's `path=%3Ftoken%3D…`, and any name this
#: list does not know, percent-encoded names included).
_SHOWN_PARAMETERS = frozenset({"host", "port", "encrypt"})
_SHOWN_VALUE = re.compile(r"[A-Za-z0-9.:\[\]-]{1,255}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_PAIR_SEPARATORS = re.compile(r"([/;?&])")


def redact_target(text: str) -> str:
    """A target as a message may show it: the user's text without its userinfo (password or user
    name), without the values of its parameters but where to connect (`host`, `port`,
    `encrypt`), and without a port that is not a number (a password typed where the host was
    forgotten: `vnc://:hunter2`). Percent-encoded paths are decoded first, so that
    `%3Ftoken%3D` is seen for what it is.

    It reads the text itself, never urllib's parse of it, so it never raises and shows safely
    what urllib refuses: a password holding `/`, `?` or `#` ends at the last `@`."""
    text = text.strip()
    scheme, sep, rest = text.partition("://")
    if not sep or not _SCHEME.fullmatch(scheme):
        scheme, rest = "", text
    userinfo = ""
    if "@" in rest:
        userinfo, rest = HIDDEN + "@", rest.rpartition("@")[2]
    rest, hashmark, fragment = rest.partition("#")
    rest, qmark, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    shown = (
        (f"{scheme}://" if scheme else "")
        + userinfo
        + _redact_authority(authority)
        + slash
        + _redact_pairs(_unquoted(path), bare=True)
        + qmark
        + _redact_pairs(query, bare=False)
        + hashmark
        + _redact_pairs(fragment, bare=False)
    )
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in shown)


def _redact_authority(authority: str) -> str:
    """HOST[:PORT] with a port that is not a number hidden (an IPv6 host is in brackets)."""
    host_end = authority.find("]") + 1 if authority.startswith("[") else 0
    colon = authority.find(":", host_end)
    if colon < 0:
        return authority
    port = authority[colon + 1 :]
    return authority[: colon + 1] + (port if port.isdigit() or not port else HIDDEN)


def _redact_pairs(text: str, *, bare: bool) -> str:
    """`NAME=VALUE` pieces (between `/ ; ? &`) with their values hidden, but where to connect.
    ``bare``: pieces without `=` are shown (a path's segments); in a query or a fragment they
    could be a bare secret (`?T0ken`), and are hidden."""
    pieces = _PAIR_SEPARATORS.split(text)
    for i in range(0, len(pieces), 2):
        name, equals, value = pieces[i].partition("=")
        if not equals:
            if not bare and name:
                pieces[i] = HIDDEN
            continue
        shown = name.lower() in _SHOWN_PARAMETERS and _SHOWN_VALUE.fullmatch(value)
        pieces[i] = f"{name}={value if shown else HIDDEN}"
    return "".join(pieces)


def _unquoted(path: str) -> str:
    for _attempt in range(3):  # twice-encoded is still encoded
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    return path
