"""What an installed ovhkvm-desktop gets: a wheel holds every package, the keyboard data and the
compiled translations, and types (and speaks French) with them from wherever it is installed (not
only from this checkout)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_for_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "ovhkvm_desktop").rglob("__init__.py")
    }
    data = {
        f"ovhkvm_desktop.resources{sub}"
        for sub in ("", ".keyboard", ".keyboard.layouts", ".screen_text", ".translations")
    }
    assert found | data == listed


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the sources (the build writes beside them)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "ovhkvm_desktop", source / "ovhkvm_desktop")
    shutil.copy(ROOT / "setup.py", source / "setup.py")
    for data in ("keyboard", "screen_text"):
        shutil.copytree(ROOT / "resources" / data, source / "resources" / data)
    # The translations' sources only: the build must compile them (a checkout's .qm is ignored).
    (source / "resources" / "translations").mkdir()
    for ts in (ROOT / "resources" / "translations").glob("*.[tp][so]"):  # .ts and .po
        shutil.copy(ts, source / "resources" / "translations" / ts.name)
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (built,) = out.glob("ovhkvm_desktop-*.whl")
    return built


def test_the_wheel_holds_the_keyboard_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    layouts = sorted((ROOT / "resources" / "keyboard" / "layouts").glob("*.json"))
    assert len(layouts) > 26
    for path in layouts:
        assert f"ovhkvm_desktop/resources/keyboard/layouts/{path.name}" in names
    assert "ovhkvm_desktop/resources/keyboard/compose.json" in names
    fonts = sorted((ROOT / "resources" / "screen_text").glob("*.json"))
    assert fonts and all(f"ovhkvm_desktop/resources/screen_text/{f.name}" in names for f in fonts)
    assert "ovhkvm_desktop/resources/screen_text/LICENCES.md" in names
    assert "ovhkvm_desktop/ui/console_window.py" in names
    assert not [name for name in names if name.startswith(("tests/", "tools/", "bench/"))]
    assert not [name for name in names if "screenshots" in name]


def test_installed_elsewhere_it_types_with_its_own_data(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "from ovhkvm_desktop.keyboard.layouts import RESOURCES, load_layout\n"
        "from ovhkvm_desktop.keyboard.translator import text_to_events\n"
        "print(RESOURCES)\n"
        "print(len(text_to_events('azerty ê', 'fr').events), load_layout('ch(fr)').name)\n"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r})\n{probe}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    where, typed = run.stdout.splitlines()
    assert Path(where).is_relative_to(site)
    assert typed.split()[1] == "ch(fr)" and int(typed.split()[0]) > 14


def test_the_wheel_holds_the_translations_compiled_at_build_time(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = sorted((ROOT / "resources" / "translations").glob("ovhkvm-desktop_*.ts"))
    assert [ts.stem for ts in sources] == ["ovhkvm-desktop_fr"]
    for ts in sources:
        assert f"ovhkvm_desktop/resources/translations/{ts.stem}.qm" in names
    # The command line's (gettext), one per .po.
    catalogues = sorted((ROOT / "resources" / "translations").glob("ovhkvm-desktop_*.po"))
    assert [po.stem for po in catalogues] == ["ovhkvm-desktop_fr"]
    assert "ovhkvm_desktop/resources/translations/fr/LC_MESSAGES/ovhkvm-desktop.mo" in names
    assert not [name for name in names if name.endswith((".ts", ".po"))]


def test_installed_elsewhere_it_speaks_french(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "from PySide6.QtCore import QCoreApplication\n"
        "app = QCoreApplication([])\n"
        "from ovhkvm_desktop.ui.language import TRANSLATIONS_DIR, install_language\n"
        "install_language('fr')\n"
        "print(TRANSLATIONS_DIR)\n"
        "print(QCoreApplication.translate('MainWindow', 'Open console'))\n"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r})\n{probe}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    where, said = run.stdout.splitlines()
    assert Path(where).is_relative_to(site)
    assert said == "Ouvrir la console"


def test_installed_elsewhere_its_command_line_speaks_french(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = "from ovhkvm_desktop.cli import main\nmain(['rescue'])\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANG", "LC_"))}
    said = {}
    for lang in ("fr_FR.UTF-8", "C.UTF-8"):
        run = subprocess.run(
            [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r})\n{probe}"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
            env={**env, "LANG": lang},
        )
        assert run.returncode == 2, run.stderr
        said[lang] = run.stderr.splitlines()[-1]
    assert said["fr_FR.UTF-8"] == (
        "ovhkvm-desktop rescue : erreur : ces arguments sont obligatoires : SERVICE"
    )
    assert said["C.UTF-8"] == (
        "ovhkvm-desktop rescue: error: the following arguments are required: SERVICE"
    )
