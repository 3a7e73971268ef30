"""Opening a console: what the user asked for (a ``ConsoleRequest``) becomes a console source to
connect to and the keyboard to type with (an ``Opening``), the same way for the command line, the
main window and the tray.

An ``ovh:SERVICE`` target reads the VPS through the API (blocking: call it off the GUI thread)
and becomes its doors; any other target is parsed by ``targets.parse_target``. The VPS keymap
rule is here, once: for an ``ovh:`` console the VPS's ``keymap`` decides the guest layout and
QEMU's keymap unless the user chose them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.keyboard.layouts import (
    GuestSystem,
    UnknownLayoutError,
    guest_layout_names,
    load_layout,
    load_server_keymap,
    server_keymap_names,
)
from ovhkvm_desktop.keyboard.translator import KeyboardMode
from ovhkvm_desktop.session import ConsoleSource, Door, SessionOptions, SingleTarget
from ovhkvm_desktop.targets import parse_target
from ovhkvm_desktop.words import _

if TYPE_CHECKING:  # imported when an ovh: target needs it (python-ovh is slow to import)
    from ovhkvm_desktop.cloud.consoles import DedicatedServer, VpsConsole

OVH_PREFIX = "ovh:"
DEFAULT_LAYOUT = "us"
NO_SERVER_KEYMAP = "none"


class BadRequest(ConsoleError):
    """The request names something that does not exist (a layout, a keymap, a service)."""


@dataclass(frozen=True)
class ConsoleRequest:
    """A console to open, as the user asked for it. ``None`` means "not chosen": the server
    (an ``ovh:`` VPS's keymap), then what the window remembers, then the defaults decide."""

    target: str  # vnc://..., ws(s)://..., a noVNC page URL, HOST:PORT, or ovh:SERVICE
    profile: str | None = None  # the OVHcloud profile of an ovh: target (default: the default)
    layout: str | None = None  # the guest's layout, an xkb name
    server_keymap: str | None = None  # QEMU's -k keymap, or "none"
    keyboard: KeyboardMode | None = None
    guest: GuestSystem | None = None
    extended_keys: bool = True  # QEMU extended key events when the server offers them
    options: SessionOptions = field(default_factory=SessionOptions)
    #: The app serves this console itself on loopback (the demo): its bytes never leave this
    #: computer, so its plain RFB is no warning. Set by the code only, never by a request.
    served_here: bool = False


@dataclass(frozen=True)
class Opening:
    """A console ready to connect to, with the keyboard to type into it with."""

    request: ConsoleRequest
    source: ConsoleSource
    title: str  # how to name the console (never with a password or token)
    server_key: str  # what per-server choices are remembered under
    layout: str  # the guest layout: the user's, else the VPS keymap's, else us
    server_keymap: str

    @property
    def keyboard(self) -> KeyboardMode:
        return self.request.keyboard or KeyboardMode.TRANSLATE

    @property
    def guest(self) -> GuestSystem:
        return self.request.guest or GuestSystem.AUTO


def is_ovh_target(text: str) -> bool:
    return text.strip().startswith(OVH_PREFIX)


def ovh_service(text: str) -> str:
    """The service name of an ``ovh:SERVICE`` target."""
    service = text.strip()[len(OVH_PREFIX) :].strip().strip("/")
    if not service:
        raise BadRequest(
            _("ovh: needs the service name of a VPS, e.g. ovh:vps-1234abcd.vps.ovh.net")
        )
    return service


def open_console(
    request: ConsoleRequest, *, on_keyring_notice: Callable[[str], None] | None = None
) -> Opening:
    """The request → a console source and its keyboard (blocking for ``ovh:`` targets: the API
    is asked about the VPS). Raises ``BadRequest`` for an unknown layout or keymap, the API's
    errors, and ``cloud.consoles.DedicatedServer`` for a dedicated server (whose KVM is a web
    page: ``cloud.consoles.dedicated_kvm_url``)."""
    check_keyboard(request.layout, request.server_keymap)
    if not is_ovh_target(request.target):
        target = parse_target(request.target)
        return Opening(
            request,
            SingleTarget(target),
            title=target.display,
            server_key=target.display,
            layout=request.layout or DEFAULT_LAYOUT,
            server_keymap=request.server_keymap or NO_SERVER_KEYMAP,
        )
    service = ovh_service(request.target)

    from ovhkvm_desktop.cloud.client import OvhApi
    from ovhkvm_desktop.cloud.consoles import VpsConsole, keyboard_of
    from ovhkvm_desktop.config import Settings
    from ovhkvm_desktop.secrets import Secrets

    settings = Settings()
    api = OvhApi.for_profile(
        settings.profile(request.profile), Secrets(on_fallback=on_keyring_notice)
    )
    console = VpsConsole(api, service, settings)
    server = console.describe()
    layout, server_keymap = keyboard_of(server.keymap)
    title = service if server.displayName == service else f"{server.displayName} ({service})"
    return Opening(
        request,
        VpsDoors(console, title),
        title=title,
        # Remembered choices follow the service, not its display name (which users rename).
        server_key=f"{OVH_PREFIX}{service}",
        layout=request.layout or layout,
        server_keymap=request.server_keymap or server_keymap,
    )


@dataclass(frozen=True)
class KvmPage:
    """A dedicated server's KVM page, opened in the browser (or not: no browser started)."""

    url: str
    opened: bool


def browse_kvm(
    dedicated: DedicatedServer,
    *,
    progress: Callable[[str], None],
    on_url: Callable[[str], None] | None = None,
) -> KvmPage:
    """Ask OVHcloud for a dedicated server's HTML5 KVM page (an https address) and open it in
    the browser (blocking: off the GUI thread). ``on_url`` hears the address first."""
    import webbrowser

    from ovhkvm_desktop.cloud.consoles import dedicated_kvm_url

    url = dedicated_kvm_url(dedicated.api, dedicated.service, progress=progress)
    if on_url is not None:
        on_url(url)
    return KvmPage(url, bool(webbrowser.open(url)))


def check_keyboard(layout: str | None, server_keymap: str | None) -> None:
    """``BadRequest`` naming the known names when ``layout`` or ``server_keymap`` is unknown."""
    try:
        if layout is not None:
            load_layout(layout)
    except UnknownLayoutError:
        raise BadRequest(
            _("unknown keyboard layout {name}; known layouts: {names}").format(
                name=repr(layout), names=", ".join(guest_layout_names())
            )
        ) from None
    try:
        if server_keymap is not None:
            load_server_keymap(server_keymap)
    except UnknownLayoutError:
        raise BadRequest(
            _("unknown server keymap {name}; known server keymaps: {names}").format(
                name=repr(server_keymap),
                names=", ".join([NO_SERVER_KEYMAP, *server_keymap_names()]),
            )
        ) from None


class VpsDoors:
    """A VPS's console as a console source: each ``doors()`` asks the API for a fresh console
    through each door in turn, the one that worked last time first. A door the API does not
    open (this range has no such door, or the key may not open it) is skipped; connecting, and
    which connection failures move on, is the session's rule."""

    def __init__(self, console: VpsConsole, title: str) -> None:
        self.console = console
        self._title = title
        self.tried: list[tuple[str, str]] = []

    @property
    def title(self) -> str:
        return self._title

    async def doors(self) -> AsyncIterator[Door]:
        from ovhkvm_desktop.cloud.client import ApiRefused, CallNotGranted, UnknownServer
        from ovhkvm_desktop.cloud.consoles import VNC

        self.tried.clear()
        for name in self.console.order:
            try:
                target = await self.console.open_door(name)
            except (CallNotGranted, ApiRefused, UnknownServer) as exc:
                self.tried.append((name, str(exc)))
                continue
            opens_within = self.console.port_timeout if name == VNC else 0.0
            yield Door(target, name, opens_within)

    def door_failed(self, door: Door, error: ConsoleError) -> None:
        self.tried.append((door.name or "?", str(error)))

    def connected(self, door: Door) -> None:
        if door.name:
            self.console.remember(door.name)

    def exhausted(self) -> ConsoleError:
        from ovhkvm_desktop.cloud.consoles import NoConsoleDoor

        details = "; ".join(f"{door}: {error}" for door, error in self.tried)
        return NoConsoleDoor(
            _("no console of {service} could be opened ({details})").format(
                service=self.console.service, details=details
            )
        )
