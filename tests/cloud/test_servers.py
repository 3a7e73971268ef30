"""`ovhkvm-desktop servers`: VPS and dedicated servers of a profile, fetched concurrently."""

from __future__ import annotations

import json
import threading
import time

import pytest

from ovhkvm_desktop.cloud.client import CallNotGranted
from ovhkvm_desktop.cloud.inventory import Inventory, fetch_servers
from tests.cloud.cli import CliEnv
from tests.cloud.fake_api import FakeOvhApi


def add_fleet(fake: FakeOvhApi) -> None:
    fake.add_vps("vps-fr.vps.ovh.net", displayName="Paris web", keymap="fr")
    fake.add_vps(
        "vps-old.vps.ovh.net",
        state="rescued",
        netbootMode="rescue",
        model={"offer": "VPS Cloud 1", "version": "2014v1"},
        zone="Region OpenStack: os-sbg1",
    )
    fake.add_dedicated("ns123.ip-1-2-3.eu", ipmi={"kvmipHtml5URL": False})


def test_servers_json_lists_every_server_with_the_contracts_fields(account, fake_api, tmp_path):
    add_fleet(fake_api)
    cli = CliEnv(tmp_path, fake_api.base_url)
    cli.config_dir = account.settings.directory
    # The subprocess needs the profile's secrets in its own (file) keyring.
    cli.run(
        "login", "--profile", "work", "--endpoint", "ovh-eu",
        "--application-key", account.application_key, "--consumer-key-stdin",
        stdin=f"{account.application_secret}\n{account.consumer_key}\n",
        OVHKVM_CONFIG_DIR=str(cli.config_dir),
    )  # fmt: skip
    result = cli.run("servers", "--json", OVHKVM_CONFIG_DIR=str(cli.config_dir))
    assert result.returncode == 0, result.stderr
    servers = json.loads(result.stdout)
    assert [(s["kind"], s["name"]) for s in servers] == [
        ("vps", "vps-fr.vps.ovh.net"),
        ("vps", "vps-old.vps.ovh.net"),
        ("dedicated", "ns123.ip-1-2-3.eu"),
    ]
    fr = servers[0]
    assert {
        k: fr[k] for k in ("displayName", "state", "model", "zone", "keymap", "netbootMode")
    } == {
        "displayName": "Paris web",
        "state": "running",
        "model": "VPS value 1-2-40",
        "zone": "Region OpenStack: os-gra7",
        "keymap": "fr",
        "netbootMode": "local",
    }
    assert servers[1]["modelVersion"] == "2014v1" and servers[1]["state"] == "rescued"
    assert servers[2]["ipmi"] == {"activated": True, "kvmHtml5": False, "serialOverLan": True}
    assert servers[2]["zone"] == "gra3"
    table = cli.run("servers", OVHKVM_CONFIG_DIR=str(cli.config_dir)).stdout.splitlines()
    assert table[0].split() == [
        "KIND", "NAME", "DISPLAY", "NAME", "STATE", "MODEL", "ZONE", "KEYMAP", "NETBOOT",
    ]  # fmt: skip
    assert "Paris web" in table[1]


def test_details_are_fetched_concurrently_and_bounded(account, fake_api):
    for i in range(12):
        fake_api.add_vps(f"vps-{i:02d}.vps.ovh.net")
    in_flight = 0
    peak = 0
    lock = threading.Lock()
    handle = fake_api.handle

    def slow_handle(method, raw_path, headers, body):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            time.sleep(0.1)
            return handle(method, raw_path, headers, body)
        finally:
            with lock:
                in_flight -= 1

    fake_api.handle = slow_handle  # type: ignore[method-assign]
    start = time.monotonic()
    listing = fetch_servers(account.api, max_concurrent=4)
    elapsed = time.monotonic() - start
    assert len(listing.servers) == 12
    assert peak == 4
    assert elapsed < 12 * 0.1  # not one after the other


def test_an_expired_vps_is_listed_as_expired(account, fake_api):
    fake_api.add_vps("a.vps.ovh.net")
    fake_api.expire_service("a.vps.ovh.net")
    [server] = fetch_servers(account.api).servers
    assert server.state == "expired"


def test_a_key_without_the_dedicated_rules_still_lists_the_vps(fake_api, memory_keyring):
    from tests.cloud.conftest import Account

    acct = Account(fake_api, memory_keyring, "partial")
    cred = fake_api.credentials[acct.consumer_key]
    cred.rules = [r for r in cred.rules if not r["path"].startswith("/dedicated")]
    fake_api.add_vps("a.vps.ovh.net")
    fake_api.add_dedicated("ns1.eu")
    listing = fetch_servers(acct.api)
    assert [s.name for s in listing.servers] == ["a.vps.ovh.net"]
    assert listing.warnings and "GET /dedicated/server" in str(listing.warnings[0])


def test_a_key_without_the_vps_rule_says_which_rule(fake_api, memory_keyring):
    from tests.cloud.conftest import Account

    acct = Account(fake_api, memory_keyring, "partial")
    cred = fake_api.credentials[acct.consumer_key]
    cred.rules = [r for r in cred.rules if r["path"] != "/vps/*"]
    fake_api.add_vps("a.vps.ovh.net")
    with pytest.raises(CallNotGranted, match=r"do not allow GET /vps/\*"):
        fetch_servers(acct.api)


def test_the_inventory_is_cached_for_the_session(account, fake_api):
    fake_api.add_vps("a.vps.ovh.net")
    inventory = Inventory()
    first = inventory.servers(account.api)
    fake_api.add_vps("b.vps.ovh.net")
    assert inventory.servers(account.api) is first
    assert len(inventory.servers(account.api, refresh=True).servers) == 2
