"""Every test here runs twice: against the pure-Python decoders (the reference) and against the
compiled accelerator (``rfb/decoders/_accel.pyx``), which the project's set-up builds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ovhkvm_desktop.rfb.decoders import compiled


@pytest.fixture(autouse=True, params=["python", "compiled"])
def decode_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """The decoders made during the test take this path."""
    if request.param == "compiled" and not compiled.built():
        pytest.fail(
            "the compiled decoders are not built here: tools/bootstrap.sh builds them"
            " (pip install -e . with Cython and a C compiler)"
        )
    previous = compiled.use_compiled(request.param == "compiled")
    try:
        yield request.param
    finally:
        compiled.use_compiled(previous)
