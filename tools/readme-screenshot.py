"""Take the README's picture: boot the console test guest, type a line into it, and save its
screen with `ovhkvm-desktop screenshot` (the real command line).

Run: .venv/bin/python tools/readme-screenshot.py [OUT.png]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

repo = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(repo))

from tests.testbed import QemuGuest  # noqa: E402


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else repo / "resources/screenshots/console.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    with QemuGuest(mode="console", keymap="us") as guest:
        keys = [
            "e",
            "c",
            "h",
            "o",
            "spc",
            "shift+o",
            "v",
            "h",
            "k",
            "v",
            "m",
            "minus",
            "d",
            "e",
            "s",
            "k",
            "t",
            "o",
            "p",
            "ret",
        ]
        guest.send_key(*keys)
        guest.wait_for_received(b"echo Ovhkvm-desktop")
        result = subprocess.run(
            [sys.executable, "-m", "ovhkvm_desktop", "screenshot", guest.vnc_url, str(out)],
            check=False,
        )
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
