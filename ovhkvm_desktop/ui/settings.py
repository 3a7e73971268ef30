"""What the console window remembers per server (guest layout, keyboard mode, scaling).

A small JSON file in the config directory (``OVHKVM_CONFIG_DIR``, else the platform's, through
platformdirs). Nothing secret goes here. A damaged or unreadable file is treated as empty: the
window must open whatever state the file is in.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ovhkvm_desktop.config import exclusive

FILE_NAME = "console-window.json"


def config_dir() -> Path:
    env = os.environ.get("OVHKVM_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("ovhkvm-desktop", appauthor=False))


class ConsoleSettings:
    """Per-server choices, keyed by the server's name as the user reaches it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / FILE_NAME
        self._data: dict[str, Any] = self._read()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def server(self, key: str) -> dict[str, Any]:
        servers = self._data.get("servers")
        entry = servers.get(key) if isinstance(servers, dict) else None
        return dict(entry) if isinstance(entry, dict) else {}

    def get(self, key: str, name: str) -> str | None:
        value = self.server(key).get(name)
        return value if isinstance(value, str) else None

    def remember(self, key: str, **values: str) -> None:
        """Store these values for the server and write the file (errors are ignored), merged
        with what other windows and processes saved since this one read it."""
        with contextlib.suppress(OSError), exclusive(self.path.parent):
            self._data = self._read()
            servers = self._data.get("servers")
            if not isinstance(servers, dict):
                servers = self._data["servers"] = {}
            entry = servers.get(key)
            if not isinstance(entry, dict):
                entry = servers[key] = {}
            entry.update(values)
            self._write()

    def _write(self) -> None:
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".console-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self._data, f, indent=2, sort_keys=True)
            os.replace(tmp, self.path)
