"""Builds the decoders' optional compiled accelerator (ovhkvm_desktop/rfb/decoders/_accel.pyx).

Everything else about the package is in pyproject.toml. Without Cython or a C compiler the build
goes on without the extension: the pure-Python decoders are the reference and the fallback, so
the package installs and works everywhere. ``OVHKVM_REQUIRE_COMPILED=1`` turns a failed build
into an error, for CI and the Linux bundle, which must ship the compiled path.
"""

from __future__ import annotations

import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ACCELERATOR = "ovhkvm_desktop.rfb.decoders._accel"
SOURCE = "ovhkvm_desktop/rfb/decoders/_accel.pyx"
REQUIRED = os.environ.get("OVHKVM_REQUIRE_COMPILED") == "1"


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
            [Extension(ACCELERATOR, [SOURCE], extra_compile_args=["-O2"])],
            language_level=3,
            quiet=True,
            build_dir="build/cython",  # the generated C stays out of the package (and wheels)
        )
    except Exception as exc:  # Cython's CompileError: the source does not translate
        if REQUIRED:
            raise
        print(f"warning: the compiled decoders were not translated ({exc}); Python decodes")
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
