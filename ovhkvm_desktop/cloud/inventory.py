"""The servers of a profile: its VPS and dedicated servers, fetched concurrently (a bounded
number of calls at once) and cached for the session."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote

from ovhkvm_desktop.cloud.client import (
    ApiError,
    ApiRefused,
    CallNotGranted,
    OvhApi,
    ServiceExpired,
    UnknownServer,
)
from ovhkvm_desktop.words import N_, _

#: API calls in flight at once for one listing (the API rate-limits bursts).
MAX_CONCURRENT_CALLS = 8
#: How long a listing stays fresh in the session cache.
CACHE_SECONDS = 120.0


@dataclass(frozen=True)
class Server:
    """One server as `servers --json` prints it."""

    # Field names are the API's and the CLI contract's spelling (displayName, netbootMode).
    kind: str  # "vps" or "dedicated"
    name: str
    displayName: str
    state: str
    model: str | None
    zone: str | None
    keymap: str | None
    netbootMode: str | None
    ipmi: dict[str, Any] | None = None  # dedicated: {"activated", "kvmHtml5", "serialOverLan"}
    modelVersion: str | None = None  # "2014v1" models need an explicit reboot for rescue

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Listing:
    servers: list[Server]
    #: What could not be listed, and why (an error may name a profile to log in again).
    warnings: list[ApiError] = field(default_factory=list)


def vps_path(name: str) -> str:
    return f"/vps/{quote(name, safe='')}"


def dedicated_path(name: str) -> str:
    return f"/dedicated/server/{quote(name, safe='')}"


def vps_server(doc: dict[str, Any]) -> Server:
    model = doc.get("model") or {}
    return Server(
        kind="vps",
        name=str(doc.get("name")),
        displayName=str(doc.get("displayName") or doc.get("name")),
        state=str(doc.get("state") or "unknown"),
        model=model.get("offer") or model.get("name"),
        zone=doc.get("zone"),
        keymap=doc.get("keymap"),
        netbootMode=doc.get("netbootMode"),
        modelVersion=model.get("version"),
    )


def _dedicated_server(doc: dict[str, Any], ipmi: dict[str, Any] | None) -> Server:
    features = (ipmi or {}).get("supportedFeatures") or {}
    return Server(
        kind="dedicated",
        name=str(doc.get("name")),
        displayName=str(doc.get("reverse") or doc.get("name")),
        state=str(doc.get("state") or "unknown"),
        model=doc.get("commercialRange"),
        zone=doc.get("datacenter"),
        keymap=None,
        netbootMode=None,
        ipmi=None
        if ipmi is None
        else {
            "activated": bool(ipmi.get("activated")),
            "kvmHtml5": bool(features.get("kvmipHtml5URL")),
            "serialOverLan": bool(features.get("serialOverLanURL")),
        },
    )


def _expired(kind: str, name: str) -> Server:
    return Server(kind, name, name, "expired", None, None, None, None)


def fetch_servers(api: OvhApi, max_concurrent: int = MAX_CONCURRENT_CALLS) -> Listing:
    """Every VPS and dedicated server of the profile, details fetched concurrently."""
    listing = Listing([])
    vps_names = _names(api, "/vps", N_("VPS not listed: {reason}"), listing)
    dedicated_names = _names(
        api, "/dedicated/server", N_("dedicated servers not listed: {reason}"), listing
    )

    def one_vps(name: str) -> Server | None:
        try:
            return vps_server(api.get(vps_path(name)))
        except ServiceExpired:
            return _expired("vps", name)
        except UnknownServer:
            return None  # deleted between the two calls

    def one_dedicated(name: str) -> Server | None:
        try:
            doc = api.get(dedicated_path(name))
        except ServiceExpired:
            return _expired("dedicated", name)
        except UnknownServer:
            return None
        try:
            ipmi = api.get(dedicated_path(name) + "/features/ipmi")
        except (ApiRefused, UnknownServer, CallNotGranted):
            ipmi = None
        return _dedicated_server(doc, ipmi)

    with ThreadPoolExecutor(max_workers=max(1, max_concurrent)) as pool:
        vps = list(pool.map(one_vps, vps_names))
        dedicated = list(pool.map(one_dedicated, dedicated_names))
    listing.servers = [s for s in vps + dedicated if s is not None]
    return listing


def _names(api: OvhApi, path: str, not_listed: str, listing: Listing) -> list[str]:
    """The names at ``path``; ``not_listed`` (marked with N_) says why a key cannot list them."""
    try:
        names = api.get(path)
    except CallNotGranted as exc:
        # A key imported from elsewhere may not have every rule: list what it can.
        listing.warnings.append(ApiError(_(not_listed).format(reason=exc), login=exc.login))
        return []
    except ApiRefused as exc:
        if exc.status == 404:
            return []  # this endpoint has no such product (Kimsufi has no VPS)
        raise
    return sorted(str(n) for n in names or [])


class Inventory:
    """Listings per profile, cached for CACHE_SECONDS (the window refreshes on demand)."""

    def __init__(self, cache_seconds: float = CACHE_SECONDS) -> None:
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Listing]] = {}

    def servers(self, api: OvhApi, refresh: bool = False) -> Listing:
        key = api.profile.name
        with self._lock:
            cached = self._cache.get(key)
        if cached and not refresh and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        listing = fetch_servers(api)
        with self._lock:
            self._cache[key] = (time.monotonic(), listing)
        return listing

    def forget(self, profile: str | None = None) -> None:
        with self._lock:
            if profile is None:
                self._cache.clear()
            else:
                self._cache.pop(profile, None)
