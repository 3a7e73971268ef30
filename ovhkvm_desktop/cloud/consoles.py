"""Console acquisition for `ovh:SERVICE`: the three doors of a VPS console, tried in order (the
one that worked last time first), a fresh console for every connect; and a dedicated server's
HTML5 KVM URL.

Doors (PROTOCOL-NOTES.md section 1):
- ``getConsoleUrl``: nova's noVNC page URL → RFB over WebSocket with the page's token;
- ``VNCOverWebSocket``: `openConsoleAccess` → host, port, password → RFB over ``wss://host:port/``;
- ``VNC``: `openConsoleAccess` → host, port, password → RFB over TCP; the port may take a minute
  or two to open, so it is probed until it accepts (up to PORT_OPEN_TIMEOUT, with progress).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ovhkvm_desktop.cloud.client import (
    ApiError,
    ApiRefused,
    CallNotGranted,
    OvhApi,
    UnknownServer,
)
from ovhkvm_desktop.cloud.inventory import Server, dedicated_path, vps_path, vps_server
from ovhkvm_desktop.config import Settings
from ovhkvm_desktop.errors import ConnectFailed, ConsoleError
from ovhkvm_desktop.targets import ConsoleTarget, parse_target

GET_CONSOLE_URL = "getConsoleUrl"
VNC_OVER_WEBSOCKET = "VNCOverWebSocket"
VNC = "VNC"
DOORS = (GET_CONSOLE_URL, VNC_OVER_WEBSOCKET, VNC)

#: How long the VNC door's port may take to open (OVH: one to two minutes).
PORT_OPEN_TIMEOUT = 180.0
PORT_PROBE_INTERVAL = 2.0
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


@dataclass
class DoorAttempt:
    door: str
    error: str


class VpsConsole:
    """The console of one VPS, as the TargetSource of a ConsoleSession.

    ``await console()`` asks the API for a fresh console through the current door; after the
    session connected, ``connected()`` remembers the door; when connecting through it failed,
    ``next_door(error)`` moves on (False when every door was tried).
    """

    def __init__(
        self,
        api: OvhApi,
        service: str,
        settings: Settings | None = None,
        *,
        progress: Progress = _quiet,
        port_timeout: float = PORT_OPEN_TIMEOUT,
        probe_interval: float = PORT_PROBE_INTERVAL,
    ) -> None:
        self.api = api
        self.service = service
        self.settings = settings
        self.progress = progress
        self.port_timeout = port_timeout
        self.probe_interval = probe_interval
        remembered = settings.console_door(api.profile.name, service) if settings else None
        order = list(DOORS)
        if remembered in order:
            order.remove(remembered)
            order.insert(0, remembered)
        self.order = order
        self._index = 0
        self.door: str | None = None  # the door of the last target handed out
        self.tried: list[DoorAttempt] = []
        self.server: Server | None = None

    # -- what the VPS is ------------------------------------------------------------------------

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

    async def adescribe(self) -> Server:
        return await asyncio.to_thread(self.describe)

    # -- doors ------------------------------------------------------------------------------------

    async def __call__(self) -> ConsoleTarget:
        """A fresh console through the first door (from the current one) that the API opens."""
        while self._index < len(self.order):
            door = self.order[self._index]
            try:
                target = await self._open(door)
            except (CallNotGranted, ApiRefused, UnknownServer, ConnectFailed) as exc:
                # This range has no such door, or the key may not open it: try the next one.
                self.tried.append(DoorAttempt(door, str(exc)))
                self._index += 1
                continue
            self.door = door
            return target
        raise self.exhausted()

    def connected(self) -> None:
        """The session connected through ``self.door``: try it first next time."""
        if self.door and self.settings is not None:
            with contextlib.suppress(ConsoleError):
                self.settings.remember_console_door(self.api.profile.name, self.service, self.door)

    def next_door(self, error: BaseException) -> bool:
        """Connecting through ``self.door`` failed: move to the next door, if any."""
        if self.door is not None:
            self.tried.append(DoorAttempt(self.door, str(error)))
        self._index += 1
        self.door = None
        return self._index < len(self.order)

    def restart(self) -> None:
        """Start again from the preferred door (a reconnect after a working session)."""
        self._index = 0
        self.tried.clear()

    def exhausted(self) -> NoConsoleDoor:
        details = "; ".join(f"{a.door}: {a.error}" for a in self.tried)
        return NoConsoleDoor(f"no console of {self.service} could be opened ({details})")

    async def _open(self, door: str) -> ConsoleTarget:
        base = vps_path(self.service)
        if door == GET_CONSOLE_URL:
            url = await self.api.acall("POST", base + "/getConsoleUrl")
            if not isinstance(url, str) or not url:
                raise ApiRefused(f"getConsoleUrl gave no URL for {self.service}")
            try:
                return parse_target(url)
            except ConsoleError as exc:
                raise ApiRefused(f"getConsoleUrl gave an unusable URL ({exc})") from None
        access = await self.api.acall("POST", base + "/openConsoleAccess", {"protocol": door})
        host, port, password = _access(access, door)
        if door == VNC_OVER_WEBSOCKET:
            bracketed = f"[{host}]" if ":" in host else host
            url = f"wss://{bracketed}:{port}/"
            return ConsoleTarget("websocket", host, port, url, password)
        target = ConsoleTarget("tcp", host, port, password=password)
        await self._wait_for_port(target)
        return target

    async def _wait_for_port(self, target: ConsoleTarget) -> None:
        """Probe the VNC port until it accepts a connection (OVH opens it after a while)."""
        start = time.monotonic()
        deadline = start + self.port_timeout
        announced = False
        while True:
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(target.host, target.port), timeout=5
                )
            except (OSError, TimeoutError):
                now = time.monotonic()
                if now >= deadline:
                    raise ConnectFailed(
                        f"the VNC console port {target.display} of {self.service} did not open"
                        f" within {self.port_timeout:g} s: retry in a few minutes"
                    ) from None
                waited = int(now - start)
                self.progress(
                    f"waiting for the VNC console port {target.display} to open"
                    f" ({waited} s of {self.port_timeout:g} s)"
                )
                announced = True
                await asyncio.sleep(min(self.probe_interval, max(0.0, deadline - now)))
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            if announced:
                self.progress(f"the VNC console port {target.display} is open")
            return


def _access(answer: Any, door: str) -> tuple[str, int, str | None]:
    if not isinstance(answer, dict) or not answer.get("host") or not answer.get("port"):
        raise ApiRefused(f"openConsoleAccess ({door}) gave no host and port")
    try:
        port = int(answer["port"])
    except (TypeError, ValueError):
        raise ApiRefused(f"openConsoleAccess ({door}) gave a port that is not a number") from None
    password = answer.get("password")
    return str(answer["host"]), port, str(password) if password else None


# -- dedicated servers -------------------------------------------------------------------------


class DedicatedServer(ConsoleError):
    """The service is a dedicated server: its KVM is the vendor's HTML5 page, not VNC.

    ``ovhkvm-desktop open`` answers it by opening that page in the browser."""

    def __init__(self, api: OvhApi, service: str) -> None:
        super().__init__(
            f"{service} is a dedicated server: its KVM (IPMI) is the vendor's HTML5 page, not a"
            f" VNC console; 'ovhkvm-desktop open ovh:{service}' opens it in the browser"
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
                f"OVHcloud could not open the KVM of {service} (task {task_id} {status}):"
                " retry, or open it from the control panel"
            )
        if time.monotonic() > deadline:
            raise ConsoleError(
                f"the KVM access of {service} was not ready within {timeout:g} s: retry"
            )
        progress(f"preparing the KVM of {service} ({status})")
        time.sleep(poll_interval)
        task = api.get(f"{dedicated_path(service)}/task/{task_id}")
    answer = api.get(base + "/access?type=kvmipHtml5URL")
    url = answer.get("value") if isinstance(answer, dict) else None
    if not url:
        raise ConsoleError(f"OVHcloud gave no KVM URL for {service}: retry")
    return str(url)
