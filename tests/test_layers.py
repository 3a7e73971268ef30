"""The layer rules of DESIGN.md hold by themselves: every import of the package (at the top of a
module, inside a function, or for type checkers only) is read from the source and checked."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ovhkvm_desktop"

#: What the protocol core and the keyboard must never reach: Qt, the event loop, the network.
NO_IO = ("PySide6", "asyncio", "socket", "ssl", "selectors", "websockets", "urllib.request",
         "http", "requests", "ovh", "keyring")  # fmt: skip

#: (the modules a rule is about, what they must never import, why).
RULES = [
    ("ovhkvm_desktop.rfb", NO_IO, "the protocol core is sans-IO and Qt-free"),
    ("ovhkvm_desktop.keyboard", NO_IO, "the keyboard is pure"),
    ("ovhkvm_desktop.screen_text", NO_IO, "reading a screen's text is pure, like the protocol"),
    (
        "ovhkvm_desktop.ui",
        (
            "ovhkvm_desktop.cli",
            "ovhkvm_desktop.rfb.messages",
            "ovhkvm_desktop.rfb.encodings",
            "ovhkvm_desktop.transport",
            "ovhkvm_desktop.handshake",
            "asyncvnc",
        ),
        "the window sends intents to the session and never speaks the protocol",
    ),
    (
        "ovhkvm_desktop.cloud",
        (
            "ovhkvm_desktop.session",
            "ovhkvm_desktop.ui",
            "ovhkvm_desktop.cli",
            "ovhkvm_desktop.transport",
            "ovhkvm_desktop.opening",
            "PySide6",
            "socket",
        ),
        "the cloud talks to OVHcloud's API only; errors carry data, not a front end's words",
    ),
    (
        "ovhkvm_desktop.session",
        (
            "PySide6",
            "ovhkvm_desktop.ui",
            "ovhkvm_desktop.cli",
            "ovhkvm_desktop.cloud",
            "ovhkvm_desktop.opening",
        ),
        "the live console has no Qt and knows no front end",
    ),
    (
        "ovhkvm_desktop.opening",
        ("PySide6", "ovhkvm_desktop.ui", "ovhkvm_desktop.cli"),
        "opening a console is a Qt-free step shared by every front end",
    ),
    (
        "ovhkvm_desktop.cli",
        ("PySide6",),
        "the command line runs headless (it starts the app only through ovhkvm_desktop.ui)",
    ),
    (
        "ovhkvm_desktop.demo",
        (
            "PySide6",
            "ovhkvm_desktop.ui",
            "ovhkvm_desktop.cli",
            "ovhkvm_desktop.cloud",
            "ovhkvm_desktop.transport",
            "ovhkvm_desktop.handshake",
            "asyncvnc",
            "ovh",
            "keyring",
        ),
        "the demo console is a server of its own (rfb, keyboard, screen_text; opening only to"
        " open it), with no front end",
    ),
    ("ovhkvm_desktop.transport", ("PySide6", "ovhkvm_desktop.rfb", "asyncvnc"), "bytes only"),
    ("ovhkvm_desktop.config", ("PySide6", "ovhkvm_desktop.ui"), "settings have no front end"),
    (
        "ovhkvm_desktop.qt_runtime",
        ("PySide6", "shiboken6", "ovhkvm_desktop.ui", "ovhkvm_desktop.cli"),
        "Qt's libraries are checked before Qt is loaded, for every front end",
    ),
    ("ovhkvm_desktop.secrets", ("PySide6", "ovhkvm_desktop.ui"), "secrets have no front end"),
    (
        "ovhkvm_desktop.words",
        (*NO_IO, "ovhkvm_desktop", "shiboken6"),
        "the messages' language is the bottom floor: every layer takes its words, it takes none",
    ),
]

#: The one seam with asyncvnc.
ASYNCVNC_SEAM = "ovhkvm_desktop.handshake"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    return imports_in(path.read_text("utf-8"), module_name(path), path.name == "__init__.py")


def imports_in(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, by its absolute name: anywhere
    in the file, in a function or under TYPE_CHECKING too (``from a import b`` gives a and a.b:
    b may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names)
    return found


def all_modules() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


#: Read once, when pytest collects this file: no other thread of the test run exists yet.
#: Python 3.11's ast keeps its recursion depth per interpreter, not per thread, and a traceback
#: formatted on another thread meanwhile (a test server's) made ast.parse fail here once.
MODULES = all_modules()
#: The checker's own probe, read at the same moment for the same reason.
PROBE = imports_in(
    "def f():\n    from ovhkvm_desktop.cli import main\n    from . import x\n",
    "ovhkvm_desktop.ui.probe",
)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_the_rules_see_every_room() -> None:
    """A rule about a room that no longer exists would pass forever: each must match modules."""
    modules = MODULES
    for room, _, _ in RULES:
        assert any(_within(name, room) for name in modules), f"{room} has no modules"


@pytest.mark.parametrize("room,forbidden,why", RULES, ids=[rule[0] for rule in RULES])
def test_each_room_imports_only_what_its_layer_may(
    room: str, forbidden: tuple[str, ...], why: str
) -> None:
    broken = sorted(
        f"{module} imports {imported}"
        for module, imported_names in MODULES.items()
        if _within(module, room)
        for imported in imported_names
        if any(_within(imported, bad) for bad in forbidden)
    )
    assert not broken, f"{why}:\n" + "\n".join(broken)


def test_only_the_handshake_imports_asyncvnc() -> None:
    users = sorted(
        module
        for module, imported in MODULES.items()
        if any(_within(name, "asyncvnc") for name in imported)
    )
    assert users == [ASYNCVNC_SEAM]


def room_of(module: str) -> str:
    """The room a module belongs to: its package below ovhkvm_desktop, or the module itself."""
    return ".".join(module.split(".")[:2])


def test_no_room_imports_another_that_leads_back_to_it() -> None:
    """No circle between the rooms (ui and cli used to import each other)."""
    graph: dict[str, set[str]] = {}
    for module, imported in MODULES.items():
        room = room_of(module)
        graph.setdefault(room, set()).update(
            room_of(name)
            for name in imported
            if _within(name, "ovhkvm_desktop") and name != "ovhkvm_desktop"
        )
        graph[room].discard(room)

    def circle_from(start: str) -> list[str] | None:
        path: list[str] = []

        def walk(room: str) -> list[str] | None:
            if room in path:
                return [*path[path.index(room) :], room]
            path.append(room)
            for target in sorted(graph.get(room, ())):
                found = walk(target)
                if found:
                    return found
            path.pop()
            return None

        return walk(start)

    circles = {" -> ".join(c) for room in graph if (c := circle_from(room))}
    assert not circles, "\n".join(sorted(circles))


def test_the_checker_finds_imports_inside_functions_and_relative_ones() -> None:
    """The rules see lazy imports too (the app's windows import Qt late, the cli the ui)."""
    assert {
        "ovhkvm_desktop.cli",
        "ovhkvm_desktop.ui.x",
    } <= PROBE
