"""A TARGET as the user wrote it → what a session connects to: ``ovh:SERVICE`` becomes the VPS's
console source (fresh console per connect) with its keyboard defaults; anything else is parsed
by ``targets.parse_target``. Shared by the command line and the console window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.session import TargetSource
from ovhkvm_desktop.targets import parse_target

OVH_PREFIX = "ovh:"


@dataclass
class ResolvedTarget:
    source: TargetSource
    title: str  # how to name it (never with a password or token)
    layout: str | None = None  # the guest layout the server suggests (VPS keymap)
    server_keymap: str | None = None  # QEMU's -k the server uses, when known
    console: object | None = None  # the VpsConsole of an ovh: target


def is_ovh_target(text: str) -> bool:
    return text.strip().startswith(OVH_PREFIX)


def resolve_target(
    text: str,
    profile: str | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    on_keyring_notice: Callable[[str], None] | None = None,
) -> ResolvedTarget:
    """Blocking (an ovh: target reads the VPS through the API): call it off the GUI thread."""
    text = text.strip()
    if not is_ovh_target(text):
        target = parse_target(text)
        return ResolvedTarget(target, target.display)
    service = text[len(OVH_PREFIX) :].strip().strip("/")
    if not service:
        raise ConsoleError(
            "ovh: needs the service name of a VPS, e.g. ovh:vps-1234abcd.vps.ovh.net"
        )

    from ovhkvm_desktop.cloud.client import OvhApi
    from ovhkvm_desktop.cloud.consoles import VpsConsole, keyboard_of
    from ovhkvm_desktop.config import Settings
    from ovhkvm_desktop.secrets import Secrets

    settings = Settings()
    api = OvhApi.for_profile(settings.profile(profile), Secrets(on_fallback=on_keyring_notice))
    console = VpsConsole(api, service, settings, progress=progress or (lambda message: None))
    server = console.describe()
    layout, server_keymap = keyboard_of(server.keymap)
    title = service if server.displayName == service else f"{server.displayName} ({service})"
    return ResolvedTarget(console, title, layout, server_keymap, console)
