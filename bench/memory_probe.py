"""A console window showing a server for some seconds, as a user has it: bench/decode.py's memory
probe, run through bench/peak_rss.py (which reads its peak resident memory from outside).

``python bench/memory_probe.py URL SECONDS`` opens a ``ConsoleWindow`` (Qt offscreen unless
``QT_QPA_PLATFORM`` says otherwise) on URL with the default options, one pixel per pixel in a
1920x1080 viewport, runs Qt's event loop for SECONDS, and prints one JSON object: the updates the
window received, the bytes, the encoding QEMU chose, the decode path.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QSize, QTimer
from PySide6.QtWidgets import QApplication

from ovhkvm_desktop.rfb.decoders import compiled
from ovhkvm_desktop.targets import parse_target
from ovhkvm_desktop.ui.console_window import ConsoleConfig, ConsoleWindow
from ovhkvm_desktop.ui.framebuffer_view import ScaleMode


def main() -> int:
    url, seconds = sys.argv[1], float(sys.argv[2])
    app = QApplication([])
    window = ConsoleWindow(parse_target(url), ConsoleConfig("bench", scale=ScaleMode.ACTUAL))
    window.show()

    def size_it() -> None:
        window.resize(QSize(1920, 1080) + (window.size() - window.view.size()))

    for delay in (500, 1500, 2500):
        QTimer.singleShot(delay, size_it)
    seen: dict[str, object] = {}

    def finish() -> None:
        traffic = window.bridge.traffic
        seen.update(
            updates=traffic.updates,
            wire_bytes=traffic.bytes_received,
            encoding=traffic.encoding,
            frames_painted=window.view.frames_painted,
            view=[window.view.width(), window.view.height()],
            path=compiled.path(),
        )
        app.quit()

    QTimer.singleShot(int(seconds * 1000), finish)
    app.exec()
    print(json.dumps(seen))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
