"""Whether Qt can open a window here, checked before Qt is loaded: on Linux, the system libraries
that Qt's platform plugin (xcb, or Wayland) and its GUI modules need, named with the Debian and
Ubuntu packages that provide them.

Why before Qt: a missing library makes Qt abort the process with three lines of its own ("could
not load the Qt platform plugin... Reinstalling the application may fix this problem"), which say
neither what to install nor how. PySide6's wheels (and the bundle) carry Qt's own libraries;
what they leave to the system is found by reading the ELF files' needed libraries (DT_NEEDED)
from the plugin and the modules down through Qt's bundled libraries, then asking the dynamic
loader for each system one (so LD_LIBRARY_PATH and the loader's cache count as they will for Qt).

    python -m ovhkvm_desktop.qt_runtime            the message, or nothing; exit status 1 or 0
    python -m ovhkvm_desktop.qt_runtime --packages the Debian packages to install, one a line

It also checks that there is a graphical session and that the display it names answers (Qt would
otherwise abort with a hint about xcb-cursor0 whatever the cause).
"""

from __future__ import annotations

import ctypes
import errno
import importlib.util
import mmap
import os
import socket
import struct
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.words import _

#: The Debian/Ubuntu package of each library Qt's GUI side may ask the system for (Debian 12,
#: Ubuntu 22.04 and 24.04 names; apt takes Ubuntu's t64 renames by their old names).
DEBIAN_PACKAGES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0",
    "libpng16.so.16": "libpng16-16",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
    "libc.so.6": "libc6",
    "libm.so.6": "libc6",
    "libdl.so.2": "libc6",
    "libpthread.so.0": "libc6",
    "ld-linux-x86-64.so.2": "libc6",
}

#: Platforms whose plugin needs nothing from a desktop (tests, servers, screenshots).
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "vnc", "linuxfb", "eglfs"})
#: The Python modules of Qt the app imports (their Qt libraries come with them; QtNetwork: the
#: local socket that keeps one app per user).
GUI_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtNetwork")


class QtRuntimeMissing(ConsoleError):
    """Qt's platform plugin cannot load here: ``libraries`` are missing (or unloadable),
    ``packages`` the Debian/Ubuntu packages that provide them."""

    def __init__(self, platform: str, libraries: list[str], packages: list[str]) -> None:
        self.platform = platform
        self.libraries = libraries
        self.packages = packages
        which = ", ".join(libraries)
        super().__init__(
            _(
                "Qt cannot open a window: its {platform} platform needs {libraries}, not"
                " installed; install with: sudo apt install {packages}"
            ).format(platform=platform, libraries=which, packages=" ".join(packages))
        )


class NoDisplay(ConsoleError):
    """No graphical session: none is named (``address`` None), or nothing serves the display
    the session names (Qt would abort, and blame a library)."""

    def __init__(self, platform: str, address: str | None) -> None:
        self.platform = platform
        self.address = address
        if address is None:
            super().__init__(
                _(
                    "the app needs a graphical session (neither DISPLAY nor WAYLAND_DISPLAY is"
                    " set); the headless commands work without one: see 'ovhkvm-desktop --help'"
                )
            )
        else:
            super().__init__(
                _(
                    "the app needs a graphical session: nothing answers at {address} (is the"
                    " desktop session running, or the SSH connection forwarding X?)"
                ).format(address=address)
            )


@dataclass(frozen=True)
class QtFiles:
    """Where PySide6's Qt lives: its Python modules, its libraries, its plugins."""

    package: Path
    libraries: tuple[Path, ...]
    plugins: Path


def qt_files() -> QtFiles | None:
    """PySide6's files, found without importing it (importing QtGui loads the libraries that
    may be missing); None when PySide6 is not installed."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    qt = package / "Qt"
    libraries = [qt / "lib", package]
    shiboken = package.parent / "shiboken6"
    libraries.append(shiboken)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:  # a PyInstaller bundle keeps the libraries it collected at its top
        libraries.append(Path(frozen))
    return QtFiles(package, tuple(libraries), qt / "plugins")


def needed_libraries(path: Path) -> list[str]:
    """The libraries an ELF file names as needed (its DT_NEEDED entries), in order; [] for a
    file that is not a readable ELF shared object. The file is mapped, not read: only the
    headers and the dynamic section are touched (Qt's ICU data alone is 30 MB)."""
    try:
        with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _dt_needed(data)
    except (OSError, ValueError, struct.error):
        return []  # unreadable, empty (mmap refuses), or cut short


def _dt_needed(data: mmap.mmap) -> list[str]:
    if len(data) < 64 or data[:4] != b"\x7fELF":
        return []
    wide = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    # The section headers' offset, entry size and count (ELF64 and ELF32 headers differ).
    if wide:
        (shoff,) = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
    else:
        (shoff,) = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
    header = end + ("IIQQQQIIQQ" if wide else "IIIIIIIIII")
    sections = []
    for i in range(shnum):
        _, kind, _, _, offset, size, link, _, _, entsize = struct.unpack_from(
            header, data, shoff + i * shentsize
        )
        sections.append((kind, offset, size, link, entsize))
    dynamic_kind = 6
    needed: list[str] = []
    for kind, offset, size, link, entsize in sections:
        if kind != dynamic_kind or not entsize or link >= len(sections):
            continue
        strings = sections[link][1]
        entry = end + ("qQ" if wide else "iI")
        for at in range(offset, offset + size, entsize):
            tag, value = struct.unpack_from(entry, data, at)
            if tag == 0:
                break
            if tag == 1:  # DT_NEEDED
                start = strings + value
                stop = data.find(b"\0", start)
                if stop < 0:
                    return []
                needed.append(data[start:stop].decode("ascii", "replace"))
    return needed


def platform_candidates(environ: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in order (an empty list: nothing to check)."""
    if not sys.platform.startswith("linux"):
        return []
    chosen = environ.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        names = [part.split(":", 1)[0].strip() for part in chosen.split(";") if part.strip()]
    elif environ.get("WAYLAND_DISPLAY") or environ.get("XDG_SESSION_TYPE") == "wayland":
        names = ["wayland", "xcb"]
    else:
        names = ["xcb"]
    if any(name in HEADLESS_PLATFORMS for name in names):
        return []
    return [name for name in names if name in ("xcb", "wayland")]


def _system_libraries(roots: Iterable[Path], bundled_dirs: Iterable[Path]) -> list[str]:
    """The libraries ``roots`` need from the system: their needed libraries, followed through
    the ones Qt bundles, in the order first met."""
    dirs = [d for d in bundled_dirs if d.is_dir()]
    seen: set[str] = set()
    system: list[str] = []
    todo = [p for p in roots if p.is_file()]
    while todo:
        for name in needed_libraries(todo.pop(0)):
            if name in seen:
                continue
            seen.add(name)
            bundled = next((d / name for d in dirs if (d / name).is_file()), None)
            if bundled is not None:
                todo.append(bundled)
            else:
                system.append(name)
    return system


def _at_fault(name: str) -> str | None:
    """None when the loader loads ``name``; else the library it failed on: ``name`` itself, or
    one of its own dependencies (the loader's message starts with the one it could not use)."""
    try:
        ctypes.CDLL(name)
    except OSError as exc:
        culprit = os.path.basename(str(exc).split(":", 1)[0].strip())
        return culprit if culprit.startswith("lib") and ".so" in culprit else name
    return None


def missing_for(platform: str, files: QtFiles) -> list[str]:
    """The system libraries that ``platform``'s plugin and the app's Qt modules need and the
    loader cannot load (a library whose own dependency is missing: that dependency)."""
    plugin = files.plugins / "platforms" / f"libq{platform}.so"
    roots = [plugin]
    for module in GUI_MODULES:
        roots += sorted(files.package.glob(f"{module}.*.so"))
    faults = (_at_fault(name) for name in _system_libraries(roots, files.libraries))
    return list(dict.fromkeys(fault for fault in faults if fault is not None))


#: What a connection attempt says when no server is there (any other failure: let Qt try).
_NOBODY = {errno.ENOENT, errno.ECONNREFUSED}


def _nobody_at(family: int, address: str | tuple[str, int]) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        try:
            probe.connect(address)
        except OSError as exc:
            return exc.errno in _NOBODY
    return False


def display_address(platform: str, environ: Mapping[str, str]) -> str | None:
    """``platform``'s display as the session names it, when nothing answers there (None: it
    answers, or it cannot be told without asking the server)."""
    if platform == "wayland":
        name = environ.get("WAYLAND_DISPLAY") or "wayland-0"
        runtime = environ.get("XDG_RUNTIME_DIR", "")
        path = name if os.path.isabs(name) else os.path.join(runtime, name)
        if not runtime and not os.path.isabs(name):
            return None
        return f"WAYLAND_DISPLAY={name}" if _nobody_at(socket.AF_UNIX, path) else None
    display = environ.get("DISPLAY", "")
    host, _, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not number.isdigit():
        return None
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        # X servers listen in the abstract namespace too; either one answering is enough.
        if _nobody_at(socket.AF_UNIX, "\0" + path) and _nobody_at(socket.AF_UNIX, path):
            return f"DISPLAY={display}"
        return None
    if host.startswith("/"):  # XQuartz's launchd socket path
        return None
    try:
        nobody = _nobody_at(socket.AF_INET, (host, 6000 + int(number)))
    except (OSError, UnicodeError, OverflowError):
        return None
    return f"DISPLAY={display}" if nobody else None


def missing_libraries(environ: Mapping[str, str] | None = None) -> QtRuntimeMissing | None:
    """The libraries missing for the platform Qt would try first, when no platform it tries
    has all it needs; None otherwise (also when there is nothing to check: not Linux, a
    headless platform, PySide6 absent: its own message says so)."""
    problems = _problems(environ, displays=False)
    return next((p for p in problems if isinstance(p, QtRuntimeMissing)), None)


def check(environ: Mapping[str, str] | None = None) -> ConsoleError | None:
    """What stops Qt from opening a window here, or None: missing libraries, or a display that
    nothing serves, for the platform Qt tries first, when none of those it tries would work."""
    problems = _problems(environ, displays=True)
    return problems[0] if problems else None


def _problems(environ: Mapping[str, str] | None, *, displays: bool) -> list[ConsoleError]:
    """One problem per platform Qt would try, in order; [] when one of them works."""
    environ = os.environ if environ is None else environ
    candidates = platform_candidates(environ)
    named = any(environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
    if candidates and displays and not named:
        return [NoDisplay(candidates[0], None)]
    files = qt_files() if candidates else None
    if files is None:
        return []
    problems: list[ConsoleError] = []
    for platform in candidates:
        missing = missing_for(platform, files)
        if missing:
            packages = list(dict.fromkeys(DEBIAN_PACKAGES.get(name, name) for name in missing))
            problems.append(QtRuntimeMissing(platform, missing, packages))
            continue
        address = display_address(platform, environ) if displays else None
        if address is None:
            return []  # Qt falls back to the next candidate, and this one works
        problems.append(NoDisplay(platform, address))
    return problems


def require_qt_runtime() -> None:
    """Raise QtRuntimeMissing (one line the user reads) when Qt could not open a window."""
    problem = check()
    if problem is not None:
        raise problem


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--packages"]:
        missing = missing_libraries()
        if missing is not None:
            print("\n".join(missing.packages))
        return 0 if missing is None else 1
    problem = check()
    if problem is not None:
        print(f"ovhkvm-desktop: {problem}", file=sys.stderr)
    return 0 if problem is None else 1


if __name__ == "__main__":
    sys.exit(main())
