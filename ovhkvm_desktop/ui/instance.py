"""One app per user and settings directory: the first start listens on a local socket private to
the user; a later start (the app again, `open TARGET`, a vnc:// link) hands its request to the
running app, one JSON message with a protocol version, and ends. A socket left by an app that
crashed is found dead (nothing answers it) and replaced.

A message is one line of JSON: ``{"version": 1, "action": "show"}`` shows the main window;
``{"version": 1, "action": "open", "target": ..., ...}`` opens a console with the fields of a
``ConsoleRequest`` and of the window's options. The answer is one line too:
``{"version": 1, "ok": true}`` or ``{"version": 1, "ok": false, "error": "words"}``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from ovhkvm_desktop.config import config_dir
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.keyboard import KeyboardMode
from ovhkvm_desktop.keyboard.layouts import GuestSystem
from ovhkvm_desktop.opening import ConsoleRequest
from ovhkvm_desktop.session import SessionOptions
from ovhkvm_desktop.words import _

try:
    import fcntl
except ImportError:  # Windows: named pipes, and no lock around the start
    fcntl = None  # type: ignore[assignment]

PROTOCOL_VERSION = 1
#: How long a start waits for a running app to take its connection: a live app's event loop
#: accepts at once; a dead socket refuses at once. Long enough for a busy machine.
CONNECT_TIMEOUT_MS = 1000
#: How long it waits for the answer (the app only queues the request before answering).
ANSWER_TIMEOUT_MS = 5000
#: The longest message the app reads (a request is a few hundred bytes).
MAX_MESSAGE = 64 * 1024

SHOW = "show"
OPEN = "open"


class InstanceError(ConsoleError):
    """The running app could not be reached or refused the request."""


@dataclass(frozen=True)
class AppRequest:
    """What a later start asks of the running app: show its window, or open a console."""

    action: str = SHOW
    console: ConsoleRequest | None = None
    #: The console window's options (console_window.WindowOptions' fields; absent: the app's).
    view: dict[str, Any] = field(default_factory=dict)


# -- where -----------------------------------------------------------------------------------------


def _private_dir() -> Path:
    """A directory only the user can enter: $XDG_RUNTIME_DIR, else one of ours in the temporary
    directory, refused when someone else owns it or may enter it."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime)
    path = Path(tempfile.gettempdir()) / f"ovhkvm-desktop-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise InstanceError(
            _("{path} is not a private directory of yours: remove it").format(path=path)
        )
    return path


def socket_name() -> str:
    """The local socket of the app that uses this settings directory (two settings directories
    are two apps: tests, a second account of the user's)."""
    digest = hashlib.sha256(str(config_dir().resolve()).encode()).hexdigest()[:16]
    if sys.platform == "win32":
        # A named pipe; Qt creates it for the user's session only (UserAccessOption).
        return f"ovhkvm-desktop-{os.environ.get('USERNAME', 'user')}-{digest}"
    return str(_private_dir() / f"ovhkvm-desktop-{digest}.sock")


@contextlib.contextmanager
def _starting(name: str) -> Iterator[None]:
    """Be the only start deciding between handing off and listening (two starts at once would
    otherwise both find no app and both listen)."""
    if fcntl is None:
        yield
        return
    fd = os.open(name + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# -- the messages ----------------------------------------------------------------------------------

_VIEW_FIELDS = {"fullscreen": bool, "view_only": bool, "scale": str, "menu_key": str}


def encode(request: AppRequest) -> bytes:
    message: dict[str, Any] = {"version": PROTOCOL_VERSION, "action": request.action}
    console = request.console
    if console is not None:
        o = console.options
        message.update(
            target=console.target,
            profile=console.profile,
            layout=console.layout,
            server_keymap=console.server_keymap,
            keyboard=console.keyboard.value if console.keyboard else None,
            guest=console.guest.value if console.guest else None,
            extended_keys=console.extended_keys,
            # The socket is the user's alone: a password given on stdin travels with the request.
            password=o.password,
            ca_file=o.ca_file,
            timeout=o.timeout,
            encodings=list(o.encodings),
            compression=o.compression,
            quality=o.quality,
        )
        message["view"] = {k: v for k, v in request.view.items() if k in _VIEW_FIELDS}
    return json.dumps(message).encode() + b"\n"


def _optional(message: dict[str, Any], name: str, kind: type) -> Any:
    value = message.get(name)
    if value is not None and not isinstance(value, kind):
        raise ValueError(f"{name} is not a {kind.__name__}")
    return value


def decode(line: bytes) -> AppRequest:
    """A request from its line; ``ValueError`` in a few words for anything else."""
    try:
        message = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError("not a JSON message") from None
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    if message.get("version") != PROTOCOL_VERSION:
        raise ValueError(f"protocol version {message.get('version')!r}, not {PROTOCOL_VERSION}")
    action = message.get("action")
    if action == SHOW:
        return AppRequest(SHOW)
    if action != OPEN:
        raise ValueError(f"unknown action {action!r}")
    target = _optional(message, "target", str)
    if not target:
        raise ValueError("open without a target")
    keyboard = _optional(message, "keyboard", str)
    guest = _optional(message, "guest", str)
    encodings = message.get("encodings")
    if not isinstance(encodings, list) or not all(
        isinstance(e, int) and not isinstance(e, bool) for e in encodings
    ):
        raise ValueError("encodings is not a list of numbers")
    defaults = SessionOptions()
    timeout = _optional(message, "timeout", (int, float))  # type: ignore[arg-type]
    options = SessionOptions(
        password=_optional(message, "password", str),
        ca_file=_optional(message, "ca_file", str),
        timeout=float(timeout) if timeout is not None else defaults.timeout,
        encodings=tuple(encodings),
        compression=_optional(message, "compression", int),
        quality=_optional(message, "quality", int),
    )
    view = message.get("view", {})
    if not isinstance(view, dict):
        raise ValueError("view is not an object")
    for name, kind in _VIEW_FIELDS.items():
        _optional(view, name, kind)
    try:
        console = ConsoleRequest(
            target=target,
            profile=_optional(message, "profile", str),
            layout=_optional(message, "layout", str),
            server_keymap=_optional(message, "server_keymap", str),
            keyboard=KeyboardMode(keyboard) if keyboard else None,
            guest=GuestSystem(guest) if guest else None,
            extended_keys=bool(message.get("extended_keys", True)),
            options=options,
        )
    except ValueError as exc:  # an unknown mode or guest system
        raise ValueError(str(exc)) from None
    view = {k: v for k, v in view.items() if k in _VIEW_FIELDS and v is not None}
    return AppRequest(OPEN, console, view)


def _answer(ok: bool, error: str = "") -> bytes:
    answer: dict[str, Any] = {"version": PROTOCOL_VERSION, "ok": ok}
    if error:
        answer["error"] = error
    return json.dumps(answer).encode() + b"\n"


# -- a later start ---------------------------------------------------------------------------------


def hand_off(request: AppRequest, name: str | None = None) -> bool:
    """Give ``request`` to the running app: True when it took it, False when no app runs (or
    only its dead socket remains); ``InstanceError`` when the app refused it or did not answer."""
    socket = QLocalSocket()
    socket.connectToServer(name or socket_name())
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    try:
        socket.write(encode(request))
        socket.waitForBytesWritten(ANSWER_TIMEOUT_MS)
        answer = b""
        while b"\n" not in answer and len(answer) < MAX_MESSAGE:
            if not socket.bytesAvailable() and not socket.waitForReadyRead(ANSWER_TIMEOUT_MS):
                answer += bytes(socket.readAll().data())
                break
            answer += bytes(socket.readAll().data())
    finally:
        socket.abort()
    try:
        reply = json.loads(answer.split(b"\n", 1)[0].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InstanceError(_("the running ovhkvm-desktop did not answer")) from None
    if not isinstance(reply, dict) or reply.get("ok") is not True:
        error = reply.get("error") if isinstance(reply, dict) else None
        raise InstanceError(
            _("the running ovhkvm-desktop refused: {reason}").format(
                reason=error or _("no reason given")
            )
        )
    return True


# -- the running app -------------------------------------------------------------------------------


class InstanceServer(QObject):
    """The running app's end: each connection brings one request, answered at once."""

    #: A later start asked something of the app.
    requested = Signal(AppRequest)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Listen, in place of a dead app's socket if one is left."""
        if self.server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)  # the caller found nothing answering on it
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))
            if socket.bytesAvailable():  # it came with the connection
                self._read(socket)

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        with contextlib.suppress(RuntimeError):  # Qt deleted it with its connection already
            socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        if socket not in self._buffers:
            return
        data = self._buffers[socket] + bytes(socket.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE:
                self._reply(socket, _answer(False, "message too long"))
            else:
                self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            request = decode(line)
        except ValueError as exc:
            self._reply(socket, _answer(False, str(exc)))
            return
        self._reply(socket, _answer(True))
        self.requested.emit(request)

    def _reply(self, socket: QLocalSocket, answer: bytes) -> None:
        """Answer, and leave the closing to the other end (closing first could lose the answer
        on its way); one that never closes is dropped after a while."""
        self._buffers.pop(socket, None)
        socket.write(answer)
        socket.flush()
        QTimer.singleShot(ANSWER_TIMEOUT_MS, socket, socket.abort)


def claim(request: AppRequest, name: str | None = None) -> InstanceServer | None:
    """Start as the app: None when a running app took ``request`` (this start ends), else the
    server that now receives the later starts' requests."""
    name = name or socket_name()
    with _starting(name):
        if hand_off(request, name):
            return None
        server = InstanceServer(name)
        if not server.listen():
            raise InstanceError(
                _("cannot listen on {name}: {reason}").format(
                    name=name, reason=server.server.errorString()
                )
            )
        return server
