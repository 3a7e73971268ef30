"""Run the command line as a subprocess against the fake API, with a test keyring file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.testbed import REPO


class CliEnv:
    """The environment of one test's command-line runs: its own config dir and keyring file,
    OVHKVM_API_URL at the fake, and nothing of the developer's OVH_* or OVHKVM_* variables."""

    def __init__(self, tmp: Path, api_url: str) -> None:
        self.config_dir = tmp / "config"
        self.keyring_file = tmp / "test-keyring.json"
        self.cwd = tmp
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OVH_", "OVHKVM_", "PYTHON_KEYRING"))
            and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
        }
        self.env.update(
            OVHKVM_CONFIG_DIR=str(self.config_dir),
            OVHKVM_API_URL=api_url,
            PYTHON_KEYRING_BACKEND="tests.cloud.keyrings.FileKeyring",
            OVHKVM_TEST_KEYRING=str(self.keyring_file),
            PYTHONPATH=str(REPO),
        )
        self.outputs: list[str] = []  # everything the runs printed (scanned for secrets)

    def run(
        self, *args: str, stdin: str | None = None, timeout: float = 60, **extra_env: str
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "ovhkvm_desktop", *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**self.env, **extra_env},
            cwd=self.cwd,
        )
        self.outputs += [result.stdout, result.stderr]
        return result

    def start(self, *args: str, **extra_env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "ovhkvm_desktop", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**self.env, **extra_env},
            cwd=self.cwd,
        )
