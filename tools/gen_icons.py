#!/usr/bin/env python3
"""Render the app's icon (drawn by ovhkvm_desktop.ui.app.icon_pixmap) into the PNG files a Linux
desktop looks up by name: packaging/linux/icons/hicolor/NxN/apps/APP_ID.png.

Regenerate: ``.venv/bin/python tools/gen_icons.py`` (offscreen Qt; tests/ui/test_desktop_entry.py
checks the files still match the drawing).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "packaging" / "linux" / "icons" / "hicolor"


def icon_path(size: int, name: str) -> Path:
    return ICONS / f"{size}x{size}" / "apps" / f"{name}.png"


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtGui import QGuiApplication

    from ovhkvm_desktop.ui.icon import APP_ID, ICON_SIZES, icon_pixmap

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    for size in ICON_SIZES:
        path = icon_path(size, APP_ID)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not icon_pixmap(size).save(str(path), "PNG"):
            print(f"cannot write {path}", file=sys.stderr)
            return 1
        print(path.relative_to(ROOT))
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
