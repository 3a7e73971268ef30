"""Console acquisition for `ovh:SERVICE`: the three doors of a VPS console, in order (the one
that worked last time first), a fresh console for every connect; and a dedicated server's HTML5
KVM URL.

Doors (PROTOCOL-NOTES.md section 1):
- ``getConsoleUrl``: nova's noVNC page URL → RFB over WebSocket with the page's token;
- ``VNCOverWebSocket``: `openConsoleAccess` → host, port, password → RFB over ``wss://host:port/``;
- ``VNC``: `openConsoleAccess` → host, port, password → RFB over TCP, unencrypted; the port may
  take a minute or two to open (the session waits for it, up to PORT_OPEN_TIMEOUT).

This module only talks to the API: connecting, and which failures move on to the next door, is
the session's (``session/console.py``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from ovhkvm_desktop.cloud.client import (
    ApiError,
    ApiRefused,
    OvhApi,
    UnknownServer,
    browsable,
)
from ovhkvm_desktop.cloud.inventory import Server, dedicated_path, vps_path, vps_server
from ovhkvm_desktop.config import Settings
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.targets import ConsoleTarget, parse_target
from ovhkvm_desktop.words import _

GET_CONSOLE_URL = "getConsoleUrl"
VNC_OVER_WEBSOCKET = "VNCOverWebSocket"
VNC = "VNC"
DOORS = (GET_CONSOLE_URL, VNC_OVER_WEBSOCKET, VNC)

#: How long the VNC door's port may take to open (OVH: one to two minutes).
PORT_OPEN_TIMEOUT = 180.0
#: How long a dedicated server's IPMI access task may take.
IPMI_TIMEOUT = 120.0

Progress = Callable[[str], None]


class NoConsoleDoor(ConsoleError):
    """None of the VPS's console doors could be opened."""


def _quiet(message: str) -> None:
    pass


def keyboard_of(keymap: str | None) -> tuple[str, str]:
    """(guest layout, server keymap) for a VPS ``keymap`` field (`fr`, `us` or null).

    OVH's keymap very likely sets QEMU's `-k` (PROTOCOL-NOTES section 3): the server keymap
    follows it; without one, QEMU has no `-k` and the guest layout defaults to us.
    """
    if not keymap:
        return "us", "none"
    return keymap, keymap


class VpsConsole:
    """The API side of one VPS's console: what the VPS is, a fresh console through a door, and
    the door that worked last time (tried first next time). Connecting through a door, and
    which failures move on to the next one, is not this module's: see ``opening.py`` and
    ``session/console.py``."""

    def __init__(
        self,
        api: OvhApi,
        service: str,
        settings: Settings | None = None,
        *,
        port_timeout: float = PORT_OPEN_TIMEOUT,
    ) -> None:
        self.api = api
        self.service = service
        self.settings = settings
        #: How long the VNC door's port may take to open after the API call.
        self.port_timeout = port_timeout
        self.server: Server | None = None

    @property
    def order(self) -> list[str]:
        """The doors in the order to try them: the one that worked last time first."""
        remembered = None
        if self.settings is not None:
            with contextlib.suppress(ConsoleError):
                remembered = self.settings.console_door(self.api.profile.name, self.service)
        order = list(DOORS)
        if remembered in order:
            order.remove(remembered)
            order.insert(0, remembered)
        return order

    def describe(self) -> Server:
        """`GET /vps/{serviceName}` (for its keymap); says plainly if it is a dedicated server."""
        try:
            self.server = vps_server(self.api.get(vps_path(self.service)))
        except UnknownServer:
            if self._is_dedicated():
                raise DedicatedServer(self.api, self.service) from None
            raise
        return self.server

    def _is_dedicated(self) -> bool:
        try:
            self.api.get(dedicated_path(self.service))
        except ApiError:
            return False
        return True

    def remember(self, door: str) -> None:
        """The session connected through ``door``: try it first next time."""
        if self.settings is not None:
            with contextlib.suppress(ConsoleError):
                self.settings.remember_console_door(self.api.profile.name, self.service, door)

    async def open_door(self, door: str) -> ConsoleTarget:
        """A fresh console through ``door``; ``ApiError`` when the API does not open it."""
        base = vps_path(self.service)
        if door == GET_CONSOLE_URL:
            url = await self.api.acall("POST", base + "/getConsoleUrl")
            if not isinstance(url, str) or not url:
                raise ApiRefused(
                    _("getConsoleUrl gave no URL for {service}").format(service=self.service)
                )
            if not browsable(url):
                raise ApiRefused(_("getConsoleUrl gave an address that is not https"))
            try:
                return parse_target(url)
            except ConsoleError as exc:
                raise ApiRefused(
                    _("getConsoleUrl gave an unusable URL ({reason})").format(reason=exc)
                ) from None
        access = await self.api.acall("POST", base + "/openConsoleAccess", {"protocol": door})
        host, port, password = _access(access, door)
        if door == VNC_OVER_WEBSOCKET:
            bracketed = f"[{host}]" if ":" in host else host
            url = f"wss://{bracketed}:{port}/"
            return ConsoleTarget("websocket", host, port, url, password)
        return ConsoleTarget("tcp", host, port, password=password)


def _access(answer: Any, door: str) -> tuple[str, int, str | None]:
    if not isinstance(answer, dict) or not answer.get("host") or not answer.get("port"):
        raise ApiRefused(_("openConsoleAccess ({door}) gave no host and port").format(door=door))
    try:
        port = int(answer["port"])
    except (TypeError, ValueError):
        raise ApiRefused(
            _("openConsoleAccess ({door}) gave a port that is not a number").format(door=door)
        ) from None
    password = answer.get("password")
    return str(answer["host"]), port, str(password) if password else None


# -- dedicated servers -------------------------------------------------------------------------


class DedicatedServer(ConsoleError):
    """The service is a dedicated server: its KVM is the vendor's HTML5 page, not VNC.

    ``ovhkvm-desktop open`` answers it by opening that page in the browser."""

    def __init__(self, api: OvhApi, service: str) -> None:
        super().__init__(
            _(
                "{service} is a dedicated server: its KVM (IPMI) is the vendor's HTML5 page, not a"
                " VNC console; 'ovhkvm-desktop open ovh:{service}' opens it in the browser"
            ).format(service=service)
        )
        self.api = api
        self.service = service


def dedicated_kvm_url(
    api: OvhApi,
    service: str,
    *,
    ttl_minutes: int = 15,
    progress: Progress = _quiet,
    poll_interval: float = 2.0,
    timeout: float = IPMI_TIMEOUT,
) -> str:
    """The HTML5 KVM URL of a dedicated server (to open in the browser): request the access,
    wait for its task, read the URL."""
    base = dedicated_path(service) + "/features/ipmi"
    task = api.post(base + "/access", {"type": "kvmipHtml5URL", "ttl": str(ttl_minutes)})
    task_id = task.get("taskId") if isinstance(task, dict) else None
    deadline = time.monotonic() + timeout
    while task_id is not None:
        status = str(task.get("status"))
        if status == "done":
            break
        if status in ("error", "cancelled", "customerError", "ovhError"):
            raise ConsoleError(
                _(
                    "OVHcloud could not open the KVM of {service} (task {task} {status}): retry,"
                    " or open it from the control panel"
                ).format(service=service, task=task_id, status=status)
            )
        if time.monotonic() > deadline:
            raise ConsoleError(
                _("the KVM access of {service} was not ready within {seconds} s: retry").format(
                    service=service, seconds=f"{timeout:g}"
                )
            )
        progress(
            _("preparing the KVM of {service} ({status})").format(service=service, status=status)
        )
        time.sleep(poll_interval)
        task = api.get(f"{dedicated_path(service)}/task/{task_id}")
    answer = api.get(base + "/access?type=kvmipHtml5URL")
    url = answer.get("value") if isinstance(answer, dict) else None
    if not url:
        raise ConsoleError(
            _("OVHcloud gave no KVM URL for {service}: retry").format(service=service)
        )
    if not browsable(str(url)):
        # Only an https page is opened in the browser: anything else could be a local file, a
        # script or a plain-text page carrying the KVM session.
        raise ConsoleError(
            _(
                "OVHcloud gave a KVM address for {service} that is not https: open the KVM from"
                " the control panel"
            ).format(service=service)
        )
    return str(url)
