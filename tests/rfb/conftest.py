"""Every test here runs twice: against the pure-Python decoders (the reference) and against the
compiled accelerator (``rfb/decoders/_accel.pyx``), which the project's set-up builds. A module
that compares the two paths itself (or checks which one an install gets) says so with
``COMPARES_PATHS = True`` and runs once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ovhkvm_desktop.rfb.decoders import compiled

PATHS = ["python", "compiled"]


def require_compiled() -> None:
    """Fail (never skip) where the compiled decoders should have been built and were not."""
    if not compiled.built():
        pytest.fail(
            "the compiled decoders are not built here: tools/bootstrap.sh builds them"
            " (pip install -e . with Cython and a C compiler)"
        )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "decode_path" in metafunc.fixturenames and not getattr(
        metafunc.module, "COMPARES_PATHS", False
    ):
        metafunc.parametrize("decode_path", PATHS, indirect=True)


@pytest.fixture(autouse=True)
def decode_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """The decoders made during the test take this path ("both": the test chooses)."""
    path = getattr(request, "param", "both")
    if path == "both":
        yield path
        return
    if path == "compiled":
        require_compiled()
    previous = compiled.use_compiled(path == "compiled")
    try:
        yield path
    finally:
        compiled.use_compiled(previous)
