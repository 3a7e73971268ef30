"""Builds the decoders' optional compiled accelerator (ovhkvm_desktop/rfb/decoders/_accel.pyx)
and compiles the app's translations: the windows' (resources/translations/*.ts -> .qm, Qt's
lrelease) and the command line's (*.po -> LANG/LC_MESSAGES/*.mo, gettext's format).

Everything else about the package is in pyproject.toml. Without Cython or a C compiler the build
goes on without the extension: the pure-Python decoders are the reference and the fallback, so
the package installs and works everywhere. ``OVHKVM_REQUIRE_COMPILED=1`` turns a failed build
into an error, for CI and the Linux bundle, which must ship the compiled path.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ACCELERATOR = "ovhkvm_desktop.rfb.decoders._accel"
SOURCE = "ovhkvm_desktop/rfb/decoders/_accel.pyx"
REQUIRED = os.environ.get("OVHKVM_REQUIRE_COMPILED") == "1"
#: The translations' sources (Qt Linguist .ts, made by tools/update-translations); they ship
#: compiled (.qm) as the package's ovhkvm_desktop/resources/translations.
TRANSLATIONS = Path(__file__).resolve().parent / "resources" / "translations"
#: Compiles the command line's catalogues (gettext: it runs without Qt).
CLI_WORDS = Path(__file__).resolve().parent / "ovhkvm_desktop" / "cli" / "words.py"
#: Runs PySide6's own lrelease (PySide6 is a build requirement: pyproject's build-system).
LRELEASE = (
    "import sys; from PySide6.scripts.pyside_tool import qt_tool_wrapper; "
    "qt_tool_wrapper('lrelease', sys.argv[1:])"
)


class BuildPyWithTranslations(build_py):
    """Copies the package as usual, then compiles each .ts into the package's translations (in
    the source tree for an editable install: there is no build tree to ship it from). Not
    optional: an app that should speak French and silently does not is a broken build."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            target = TRANSLATIONS
        else:
            target = Path(self.build_lib) / "ovhkvm_desktop" / "resources" / "translations"
        target.mkdir(parents=True, exist_ok=True)
        self._compile_cli_catalogues(target)
        for source in sorted(TRANSLATIONS.glob("*.ts")):
            compiled = target / f"{source.stem}.qm"
            command = [sys.executable, "-c", LRELEASE, "-silent", str(source), "-qm", str(compiled)]
            try:
                subprocess.run(command, check=True)
            except (OSError, subprocess.CalledProcessError) as exc:
                raise SystemExit(
                    f"error: {source.name} was not compiled by lrelease ({exc})"
                ) from None

    @staticmethod
    def _compile_cli_catalogues(target: Path) -> None:
        """The command line's gettext catalogues (.po -> LANG/LC_MESSAGES/ovhkvm-desktop.mo),
        by ovhkvm_desktop/cli/words.py (stdlib only: loaded by its path, not imported)."""
        spec = importlib.util.spec_from_file_location("_words", CLI_WORDS)
        assert spec is not None and spec.loader is not None
        words = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(words)
        for source in sorted(TRANSLATIONS.glob(f"{words.DOMAIN}_*.po")):
            lang = source.stem.rpartition("_")[2]
            compiled = target / lang / "LC_MESSAGES" / f"{words.DOMAIN}.mo"
            compiled.parent.mkdir(parents=True, exist_ok=True)
            compiled.write_bytes(words.mo_bytes(words.po_entries(source)))


class OptionalBuildExt(build_ext):
    """Builds the accelerator if it can; says why not otherwise (unless it is required)."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            self._give_up(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._give_up(exc)

    def _give_up(self, exc: Exception) -> None:
        if REQUIRED:
            raise
        print(f"warning: the compiled decoders were not built ({exc}); the pure-Python ones work")


def extensions() -> list[Extension]:
    try:
        from Cython.Build import cythonize
    except ImportError:
        if REQUIRED:
            raise
        print("warning: Cython is missing: the compiled decoders are not built")
        return []
    try:
        return cythonize(
            [Extension(ACCELERATOR, [SOURCE], libraries=["z", "jpeg"], extra_compile_args=["-O2"])],
            language_level=3,
            quiet=True,
            build_dir="build/cython",  # the generated C stays out of the package (and wheels)
        )
    except Exception as exc:  # Cython's CompileError: the source does not translate
        if REQUIRED:
            raise
        print(f"warning: the compiled decoders were not translated ({exc}); Python decodes")
        return []


setup(
    ext_modules=extensions(),
    cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithTranslations},
)
