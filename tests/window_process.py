"""A command of the app that opens a window, run in a process of its own (offscreen Qt) until
that window has painted its first picture: for the tests that need a fresh process (the settings
it reads at start, the command line's own window). The app says when through the ready file
(``OVHKVM_WINDOW_READY_FILE``), which gets the window's id once it has painted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

#: A window of a fresh process has Qt to load (on 2 busy cores).
SHOWN_WITHIN_S = 30.0


class WindowProcess:
    """``with WindowProcess(ready, "open", URL) as app: ...``: `ovhkvm-desktop ARGS` with its
    window shown inside the block, ended after it; ``app.stderr`` then holds what it wrote
    there. ``env`` adds to the environment (a language, a settings directory)."""

    def __init__(self, ready: Path, *args: str, **env: str) -> None:
        self.ready = ready
        self.args = args
        self.env = dict(
            os.environ, QT_QPA_PLATFORM="offscreen", OVHKVM_WINDOW_READY_FILE=str(ready), **env
        )
        self.stderr = ""

    def __enter__(self) -> WindowProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ovhkvm_desktop", *self.args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + SHOWN_WITHIN_S
        while not (self.ready.exists() and self.ready.read_text().strip().isdigit()):
            if self.process.poll() is not None:
                self.__exit__()
                raise AssertionError(f"the app ended: {self.stderr}")
            if time.monotonic() >= deadline:
                self.__exit__()
                raise AssertionError("the window never showed its first picture")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.stderr = self.process.communicate(timeout=15)[1] or ""
