"""Cold start of the demo console: from `ovhkvm-desktop demo` to its window showing the console.

Run ``.venv/bin/python bench/demo_start.py [--runs N]`` (Qt offscreen by default; set
``QT_QPA_PLATFORM=xcb`` and ``DISPLAY`` to measure under a real X server). No test bed needed.

Each run is a new process, as a user's double-click or command is:

1. **demo window**: ``python -m ovhkvm_desktop demo`` until the window has the demo's first
   picture (``OVHKVM_WINDOW_READY_FILE``, written when the console window hands its first
   complete frame to the view: the Qt app started, the demo server started on its thread, the
   client connected through the project's session, handshake, first update decoded).
2. **demo --serve**: ``python -m ovhkvm_desktop demo --serve`` until its address is printed (the
   command line and the server, no Qt).
3. **peer, a bare PySide6 window**: a process that imports PySide6, creates a QApplication and
   shows an empty QWidget, then writes the same ready file: what any PySide6 app pays before its
   own code runs.

The first run of each is reported apart (the OS's file cache may be cold), then the median,
minimum and maximum of the others. Then where the time goes: ``python -X importtime`` of what
`demo` imports, the heaviest modules by cumulative import time. Target (issue 11): a painted demo
console within 1.5 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = """
import os, sys
from PySide6.QtWidgets import QApplication, QWidget
from PySide6.QtCore import QTimer
app = QApplication(sys.argv)
w = QWidget(); w.resize(640, 400); w.show()
def ready():
    with open(os.environ["OVHKVM_WINDOW_READY_FILE"], "w") as f:
        f.write(f"{int(w.winId())}\\n")
QTimer.singleShot(0, ready)
app.exec()
"""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def until_ready_file(command: list[str], env: dict[str, str], timeout: float = 30.0) -> float:
    """Seconds from starting ``command`` until it writes its ready file; then it is ended."""
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready"
        env = dict(env, OVHKVM_WINDOW_READY_FILE=str(ready), OVHKVM_CONFIG_DIR=tmp)
        start = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT
        )
        try:
            while not (ready.exists() and ready.read_text().strip()):
                if process.poll() is not None:
                    raise RuntimeError(f"{command} ended: {process.stderr.read().decode()[-500:]}")
                if time.perf_counter() - start > timeout:
                    raise RuntimeError(f"{command}: nothing after {timeout} s")
                time.sleep(0.005)
            return time.perf_counter() - start
        finally:
            process.terminate()
            process.wait(10)


def until_address(env: dict[str, str]) -> float:
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "ovhkvm_desktop", "demo", "--serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        elapsed = time.perf_counter() - start
        assert line.startswith("vnc://127.0.0.1:"), line
        return elapsed
    finally:
        process.terminate()
        process.wait(10)


def heaviest_imports(env: dict[str, str], count: int = 8) -> list[tuple[str, float]]:
    """The modules `demo` imports whose import took longest (cumulative, children included)."""
    code = (
        "import ovhkvm_desktop.cli, ovhkvm_desktop.ui.app, ovhkvm_desktop.ui.console_window,"
        " ovhkvm_desktop.demo; from ovhkvm_desktop.screen_text.fonts import fonts; fonts()"
    )
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        depth = len(name) - len(name.lstrip())
        if depth <= 2:  # top-level imports and their direct children
            rows.append((name.strip(), int(cumulative) / 1e6))
    rows.sort(key=lambda row: -row[1])
    return rows[:count]


def summary(times: list[float]) -> str:
    first, rest = times[0], times[1:] or times
    return f"| {first:.3f} | {statistics.median(rest):.3f} | {min(rest):.3f} | {max(rest):.3f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="processes started per case (7)")
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = str(ROOT)
    cases = {
        "`demo`: window showing the console": lambda: until_ready_file(
            [sys.executable, "-m", "ovhkvm_desktop", "demo"], env
        ),
        "`demo --serve`: address printed": lambda: until_address(env),
        "peer: bare PySide6 window shown": lambda: until_ready_file(
            [sys.executable, "-c", PEER], env
        ),
    }
    results: dict[str, list[float]] = {}
    for run in range(args.runs):
        for name, measure in cases.items():  # interleaved: the host's load drifts alike
            results.setdefault(name, []).append(measure())
        log(f"run {run + 1}/{args.runs} done")
    cores = os.cpu_count()
    print(f"Cold start, {args.runs} processes each ({cores} cores, Python {sys.version.split()[0]},"
          f" QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']}); seconds:\n")  # fmt: skip
    print("| case | first run | median of the others | min | max |")
    print("|---|--:|--:|--:|--:|")
    for name, times in results.items():
        print(f"| {name} {summary(times)}")
    demo = statistics.median(results["`demo`: window showing the console"][1:] or [0])
    peer = statistics.median(results["peer: bare PySide6 window shown"][1:] or [0])
    verdict = "PASS" if demo < 1.5 else "MISS"
    print(f"\nTarget, a painted demo console within 1.5 s: {verdict} ({demo:.3f} s median;"
          f" the bare PySide6 window alone takes {peer:.3f} s)")  # fmt: skip
    print("\nHeaviest imports of `demo` (cumulative, top-level and their direct children):\n")
    print("| module | seconds |")
    print("|---|--:|")
    for name, seconds in heaviest_imports(env):
        print(f"| {name} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
