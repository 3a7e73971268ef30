"""Rescue sessions of a VPS: netboot to rescue (or back to local), the reboot that CLOUD 2014
(2014v1) models need, then the VPS state and its tasks followed until it is there."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ovhkvm_desktop.cloud.client import OvhApi
from ovhkvm_desktop.cloud.inventory import Server, vps_path, vps_server
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.words import _

#: How long the VPS may take to reach the rescue (or its own) system.
RESCUE_TIMEOUT = 900.0
POLL_INTERVAL = 5.0
#: Current ranges reboot by themselves when the netboot changes; if nothing happened after this
#: long, the VPS is rebooted explicitly (as 2014v1 models always need).
SELF_REBOOT_GRACE = 60.0
#: Model versions that never reboot by themselves when the netboot changes.
EXPLICIT_REBOOT_VERSIONS = ("2014v1",)
TERMINAL_TASK_STATES = ("done", "error", "cancelled")

Progress = Callable[[str], None]


class RescueFailed(ConsoleError):
    """A task failed, the VPS did not get there in time, or the user said no."""


@dataclass
class RescuePlan:
    """What switching the netboot will do, for the confirmation question."""

    server: Server
    netboot: str  # "rescue" or "local"
    target_state: str  # "rescued" or "running"
    explicit_reboot: bool
    already_there: bool

    @property
    def question(self) -> str:
        name = self.server.name
        shown = f"{self.server.displayName} ({name})" if self.server.displayName != name else name
        if self.netboot == "rescue":
            return _(
                "Reboot the VPS {server} into rescue mode? Its running system stops; the rescue"
                " system's root password is sent to the account's e-mail address."
            ).format(server=shown)
        return _("Reboot the VPS {server} out of rescue mode, into its own system?").format(
            server=shown
        )


@dataclass
class TaskWatch:
    seen: dict[int, tuple[str, int]] = field(default_factory=dict)


def plan(api: OvhApi, service: str, leave: bool = False) -> RescuePlan:
    """Read the VPS and say what `rescue` (or `rescue --exit`) will do."""
    server = vps_server(api.get(vps_path(service)))
    netboot = "local" if leave else "rescue"
    target_state = "running" if leave else "rescued"
    already = server.netbootMode == netboot and server.state == target_state
    return RescuePlan(
        server,
        netboot,
        target_state,
        explicit_reboot=(server.modelVersion or "") in EXPLICIT_REBOOT_VERSIONS,
        already_there=already,
    )


def switch(
    api: OvhApi,
    chosen: RescuePlan,
    *,
    progress: Progress,
    poll_interval: float = POLL_INTERVAL,
    timeout: float = RESCUE_TIMEOUT,
    grace: float = SELF_REBOOT_GRACE,
) -> Server:
    """Switch the netboot, reboot as needed, and follow until the VPS is in the target state."""
    service = chosen.server.name
    base = vps_path(service)
    if chosen.already_there:
        progress(
            _("{service} is already {state}").format(service=service, state=chosen.target_state)
        )
        return chosen.server
    before = set(_task_ids(api, base))
    progress(
        _("switching the netboot of {service} to {netboot}").format(
            service=service, netboot=chosen.netboot
        )
    )
    api.put(base, {"netbootMode": chosen.netboot})
    rebooted = False
    if chosen.explicit_reboot:
        progress(
            _("rebooting {service} (its model, {model}, needs it)").format(
                service=service, model=chosen.server.modelVersion
            )
        )
        api.post(base + "/reboot")
        rebooted = True
    return follow(
        api,
        service,
        chosen.target_state,
        before,
        progress=progress,
        poll_interval=poll_interval,
        timeout=timeout,
        reboot_after=None if rebooted else grace,
    )


def follow(
    api: OvhApi,
    service: str,
    target_state: str,
    known_tasks: set[int],
    *,
    progress: Progress,
    poll_interval: float,
    timeout: float,
    reboot_after: float | None,
) -> Server:
    """Report the VPS state and its new tasks until the state is ``target_state`` and no new
    task is running; a task ending in error ends it with its type."""
    base = vps_path(service)
    start = time.monotonic()
    watch = TaskWatch()
    last_state = None
    states_seen = 0
    while True:
        running = False
        for task_id in _task_ids(api, base):
            if task_id in known_tasks:
                continue
            task = api.get(f"{base}/tasks/{task_id}")
            running |= _report_task(task, watch, progress, service)
        server = vps_server(api.get(base))
        if server.state != last_state:
            progress(_("{service} is {state}").format(service=service, state=server.state))
            last_state = server.state
            states_seen += 1
        # A VPS that already looked like the target before it rebooted is not there yet.
        moved = bool(watch.seen) or states_seen > 1 or target_state == "rescued"
        if server.state == target_state and not running and moved:
            return server
        elapsed = time.monotonic() - start
        if reboot_after is not None and elapsed >= reboot_after and not watch.seen:
            if server.state not in ("rebooting", target_state):
                progress(
                    _("{service} did not reboot by itself: rebooting it").format(service=service)
                )
                api.post(base + "/reboot")
            reboot_after = None
        if elapsed >= timeout:
            raise RescueFailed(
                _(
                    "{service} is still {state} after {seconds} s (expected {expected}): look at"
                    " its tasks in the control panel, or retry"
                ).format(
                    service=service,
                    state=server.state,
                    seconds=f"{timeout:g}",
                    expected=target_state,
                )
            )
        time.sleep(poll_interval)


def _task_ids(api: OvhApi, base: str) -> list[int]:
    ids = api.get(base + "/tasks")
    return [int(i) for i in ids or []]


def _report_task(task: Any, watch: TaskWatch, progress: Progress, service: str) -> bool:
    """Report a task when it changed; True while it is not finished."""
    if not isinstance(task, dict):
        return False
    task_id = int(task.get("id", 0))
    state = str(task.get("state", "unknown"))
    percent = int(task.get("progress") or 0)
    kind = str(task.get("type", "task"))
    if watch.seen.get(task_id) != (state, percent):
        watch.seen[task_id] = (state, percent)
        progress(
            _("task {kind} ({task}): {state} {percent}%").format(
                kind=kind, task=task_id, state=state, percent=percent
            )
        )
    if state in ("error", "cancelled"):
        raise RescueFailed(
            _(
                "the task {kind} of {service} ended: {state}; look at it in the control panel"
            ).format(kind=kind, service=service, state=state)
        )
    return state not in TERMINAL_TASK_STATES
