"""The clipboard between the user's desktop and a console, by the user's consent only.

- The local clipboard goes to a server only when the user turned sending on for that server
  (remembered per server, off by default), and only while that console's window is the active
  one: a console in the background never sees what the user copies elsewhere.
- What a server puts on its clipboard waits in the window until the user copies it (Console ▸
  Copy the server's clipboard), or, when the user opted in for that server, goes to the local
  clipboard while the window is active.
- Nothing flows from one console to another: a text a console's server put on the local
  clipboard is never sent to any server (they are known by a digest, not kept).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

#: How many texts from servers are recognised on the local clipboard (their digests only).
_REMEMBERED = 64
_from_servers: OrderedDict[bytes, None] = OrderedDict()


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def came_from_a_server(text: str) -> bool:
    """Whether a console put ``text`` on the local clipboard (it then goes to no server)."""
    return _digest(text) in _from_servers


def mark_from_a_server(text: str) -> None:
    """``text`` is about to reach the local clipboard from a console (its server's clipboard,
    or its screen's text): no console sends it to a server by itself."""
    digest = _digest(text)
    _from_servers[digest] = None
    _from_servers.move_to_end(digest)
    while len(_from_servers) > _REMEMBERED:
        _from_servers.popitem(last=False)


class ConsoleClipboard(QObject):
    """The clipboard rules of one console window."""

    #: The server's clipboard holds a text the user has not copied yet (or no longer: False).
    server_text_waiting = Signal(bool)

    def __init__(
        self,
        window: QWidget,
        send: Callable[[str], None],
        connected: Callable[[], bool],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._send = send
        self._connected = connected
        self.sending = False  # the user allows the local clipboard to go to this server
        self.taking = False  # the user lets the server's clipboard reach the local one
        self._waiting: str | None = None
        self._last_sent: bytes | None = None
        QGuiApplication.clipboard().dataChanged.connect(self.offer_local)

    @property
    def server_text(self) -> str | None:
        """The server's latest clipboard text, until it is copied."""
        return self._waiting

    def from_server(self, text: str) -> None:
        """The server's clipboard changed."""
        if self.taking and self._window.isActiveWindow():
            self._put_local(text)
            return
        self._waiting = text
        self.server_text_waiting.emit(True)

    def copy_server_text(self) -> bool:
        """Put the server's waiting text on the local clipboard (the user asked); whether there
        was one."""
        text, self._waiting = self._waiting, None
        self.server_text_waiting.emit(False)
        if text is None:
            return False
        self._put_local(text)
        return True

    def _put_local(self, text: str) -> None:
        mark_from_a_server(text)
        QGuiApplication.clipboard().setText(text)

    def offer_local(self) -> None:
        """Send the local clipboard, if the rules allow (on a change, or the window activated)."""
        if not (self.sending and self._connected() and self._window.isActiveWindow()):
            return
        text = QGuiApplication.clipboard().text()
        if not text or came_from_a_server(text):
            return
        digest = _digest(text)
        if digest == self._last_sent:
            return
        self._last_sent = digest
        self._send(text)

    def connection_changed(self) -> None:
        """A new connection: what was sent before is offered again (the server forgot it)."""
        self._last_sent = None
        self._waiting = None
        self.server_text_waiting.emit(False)

    def close(self) -> None:
        self._waiting = None
        QGuiApplication.clipboard().dataChanged.disconnect(self.offer_local)
