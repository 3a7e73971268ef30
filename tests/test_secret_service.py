"""secrets.py against a real Secret Service: gnome-keyring-daemon on a private D-Bus session
(dbus-run-session), started by this test in a throw-away HOME, never the user's keyring.

The test runs `child()` inside the session: it stores a profile's secrets through keyring's own
backend detection, reads them back (through the app and straight from the Secret Service), and
deletes them with the profile. keyrings.alt is installed (the test extra), as on many desktops:
keyring then chains the Secret Service with keyrings.alt's plain-file backend, and the secrets must
still go to the Secret Service only. Missing tools make it fail with what to install; it never
skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.testbed import REPO

KEYRING_PASSWORD = "test-keyring-password"


def child() -> None:
    """Runs inside dbus-run-session: start gnome-keyring-daemon, then exercise secrets.py."""
    import secretstorage

    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert daemon.stdin is not None
    daemon.stdin.write(KEYRING_PASSWORD.encode())
    daemon.stdin.close()
    report: dict[str, object] = {}
    try:
        deadline = time.monotonic() + 20
        while True:
            with secretstorage.dbus_init() as bus:
                if secretstorage.check_service_availability(bus):
                    break
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise SystemExit("gnome-keyring-daemon did not come up on the session bus")
            time.sleep(0.1)

        import importlib.util

        import keyring

        report["keyrings_alt"] = importlib.util.find_spec("keyrings.alt") is not None
        report["keyrings_choice"] = type(keyring.get_keyring()).__name__

        from ovhkvm_desktop.secrets import (
            APPLICATION_SECRET,
            CONSUMER_KEY,
            SERVICE,
            Secrets,
        )

        secrets = Secrets()
        report["persistent"] = secrets.persistent
        report["backend"] = secrets.backend_name
        secrets.store_profile("work", {APPLICATION_SECRET: "as-real", CONSUMER_KEY: "ck-real"})
        again = Secrets()
        report["read"] = [again.get("work", APPLICATION_SECRET), again.get("work", CONSUMER_KEY)]
        with secretstorage.dbus_init() as bus:
            collection = secretstorage.get_default_collection(bus)
            items = [
                (item.get_attributes(), item.get_secret().decode())
                for item in collection.search_items({"service": SERVICE})
            ]
        report["items"] = sorted((a.get("username", ""), s) for a, s in items)
        again.delete_profile("work")
        report["after_delete"] = [
            Secrets().get("work", APPLICATION_SECRET),
            Secrets().get("work", CONSUMER_KEY),
        ]
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
    print("REPORT " + json.dumps(report))


def test_a_profiles_secrets_in_a_real_secret_service(tmp_path: Path) -> None:
    missing = [t for t in ("dbus-run-session", "gnome-keyring-daemon") if not shutil.which(t)]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not installed: run tools/testbed/install-deps.sh (as root)",
            pytrace=False,
        )
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBUS_", "PYTHON_KEYRING", "GNOME_KEYRING", "XDG_"))
    }
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime), PYTHONPATH=str(REPO))
    code = "from tests.test_secret_service import child; child()"
    proc = subprocess.run(
        ["dbus-run-session", "--", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=REPO,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("REPORT ")]
    assert proc.returncode == 0 and lines, f"status {proc.returncode}\n{proc.stdout}{proc.stderr}"
    report = json.loads(lines[-1][len("REPORT ") :])
    assert report["keyrings_alt"], "keyrings.alt is not installed (the test extra): pip install it"
    assert report["keyrings_choice"] == "ChainerBackend"  # the Secret Service and the file
    assert report["persistent"] is True
    assert "SecretService" in str(report["backend"])
    assert report["read"] == ["as-real", "ck-real"]
    assert report["items"] == [
        ["work/application_secret", "as-real"],
        ["work/consumer_key", "ck-real"],
    ]
    assert report["after_delete"] == [None, None]
    # The keyring lives in the throw-away HOME, and nothing of it is plain text.
    stored = [p for p in home.rglob("*") if p.is_file()]
    assert not [p for p in stored if p.name == "keyring_pass.cfg"]  # keyrings.alt's plain file
    for path in stored:
        assert b"as-real" not in path.read_bytes() and b"ck-real" not in path.read_bytes()
