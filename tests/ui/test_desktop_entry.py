"""The desktop integration: packaging/linux's entries are valid (desktop-file-validate, from
desktop-file-utils), tools/desktop_entry.py installs them for the user with an Exec that starts
this very installation (even from a path with spaces) and the icons, and uninstalls them; the
icons are the app's drawing."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGING = ROOT / "packaging" / "linux"
TOOL = ROOT / "tools" / "desktop_entry.py"
ENTRIES = ("ovhkvm-desktop.desktop", "ovhkvm-desktop-open.desktop")


def validate(path: Path) -> None:
    run = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert run.returncode == 0 and not run.stdout.strip(), run.stdout + run.stderr


def entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


@pytest.mark.parametrize("name", ENTRIES)
def test_the_entries_are_valid(name: str) -> None:
    validate(PACKAGING / name)


def test_install_then_uninstall_for_the_user(tmp_path: Path) -> None:
    # This installation's executable, reached through a directory with a space in its name.
    app = Path(sys.executable).parent / "ovhkvm-desktop"
    assert app.is_file()
    spaced = tmp_path / "my apps" / "ovhkvm-desktop"
    spaced.parent.mkdir()
    spaced.symlink_to(app)
    home = tmp_path / "share"
    env = {"XDG_DATA_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, str(TOOL), "--exec", str(spaced)], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr

    main = home / "applications" / "ovhkvm-desktop.desktop"
    handler = home / "applications" / "ovhkvm-desktop-open.desktop"
    for path in (main, handler):
        validate(path)
    assert entry(handler)["MimeType"] == "x-scheme-handler/vnc;"
    assert shlex.split(entry(handler)["Exec"]) == [str(spaced), "open", "%u"]
    # The menu entry starts this installation.
    command = shlex.split(entry(main)["Exec"])
    assert command == [str(spaced)]
    version = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("ovhkvm-desktop "), version
    icons = sorted(p.relative_to(home) for p in home.glob("icons/hicolor/*/apps/*.png"))
    assert len(icons) == 8 and Path("icons/hicolor/48x48/apps/ovhkvm-desktop.png") in icons

    run = subprocess.run(
        [sys.executable, str(TOOL), "--uninstall"], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert not main.exists() and not handler.exists()
    assert not list(home.glob("icons/hicolor/*/apps/*.png"))


def test_a_missing_executable_is_refused(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(TOOL), "--exec", str(tmp_path / "nothing")],
        env={"XDG_DATA_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr.strip().endswith("is not an executable")
    assert not (tmp_path / "applications").exists()


def test_the_icons_are_the_apps_drawing(qapp) -> None:
    from PySide6.QtGui import QImage

    from ovhkvm_desktop.ui.app import ICON_SIZES, icon_pixmap

    for size in ICON_SIZES:
        path = PACKAGING / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "ovhkvm-desktop.png"
        stored = QImage(str(path)).convertToFormat(QImage.Format.Format_ARGB32)
        drawn = icon_pixmap(size).toImage().convertToFormat(QImage.Format.Format_ARGB32)
        assert (stored.width(), stored.height()) == (size, size)
        a = np.frombuffer(stored.constBits(), np.uint8, stored.sizeInBytes()).astype(int)
        b = np.frombuffer(drawn.constBits(), np.uint8, drawn.sizeInBytes()).astype(int)
        assert np.abs(a - b).mean() < 2, f"{path}: run tools/gen_icons.py"
