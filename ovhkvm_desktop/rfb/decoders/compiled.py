"""Which decode path the decoders take: the compiled accelerator when it was built, else Python.

The pure-Python decoders are the reference: every decoder test, the hostile-server tests and a
differential fuzz test run against both paths. The accelerator (``_accel.pyx``, built by
``setup.py`` when Cython and a compiler are there) is only loaded on little-endian machines,
where the 32-bit words it writes are the framebuffer's B, G, R, X bytes. ``OVHKVM_DECODERS=python``
in the environment forces the pure-Python path (to compare, or to rule the accelerator out).
"""

from __future__ import annotations

import os
import sys
import zlib
from types import ModuleType
from typing import Any

#: The environment variable that can force the pure-Python path.
ENVIRONMENT = "OVHKVM_DECODERS"


def _load() -> ModuleType | None:
    if sys.byteorder != "little":
        return None
    try:
        from ovhkvm_desktop.rfb.decoders import _accel
    except ImportError:
        return None
    return _accel


_BUILT = _load()
_enabled = os.environ.get(ENVIRONMENT, "").strip().lower() != "python"


def accelerator() -> ModuleType | None:
    """The compiled module if the decoders made now should use it, else None."""
    return _BUILT if _enabled else None


def built() -> bool:
    """Whether the compiled accelerator was built and loads here."""
    return _BUILT is not None


def use_compiled(enabled: bool) -> bool:
    """Choose the path of the decoders made from now on (tests and benchmarks compare both);
    return the previous choice."""
    global _enabled
    previous = _enabled
    _enabled = enabled
    return previous


def path() -> str:
    """The path decoders made now take, in words: "compiled" or "python"."""
    return "compiled" if accelerator() is not None else "python"


def zlib_stream(accelerator: ModuleType | None) -> Any:
    """A new zlib stream for a decoder on that path: the accelerator's ``Inflater`` (zlib's C API,
    which only the compiled code drives) or Python's ``zlib.decompressobj()``."""
    return accelerator.Inflater() if accelerator is not None else zlib.decompressobj()
