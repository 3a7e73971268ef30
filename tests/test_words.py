"""The words of every layer below the windows: one gettext catalogue (ovhkvm_desktop/words.py),
installed for a language and back, and every error a user reads marked for it where it is raised
(a new English sentence raised without ``_()`` would never reach the .po, and stay English for a
French-speaking user without any other test noticing)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from ovhkvm_desktop import words
from ovhkvm_desktop.cli import words as catalogue
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.rfb.errors import ProtocolError

PACKAGE = Path(words.__file__).resolve().parent
ROOT = PACKAGE.parent
#: Rooms whose sentences are not marked yet, and why (each a list of their own, not hidden).
NOT_YET: set[str] = set()


def _modules() -> list[Path]:
    """The package's modules, ui/ too: the windows' widgets speak through Qt's catalogue, but
    an error raised there is printed by the command line as well (a hand-off refused)."""
    return sorted(PACKAGE.rglob("*.py"))


def _user_errors() -> set[str]:
    """The names of the exceptions whose ``str()`` a user reads: every ConsoleError and
    ProtocolError of the package (the command line prints them, the windows show them)."""
    for path in _modules():
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name != "ovhkvm_desktop.__main__":
            importlib.import_module(name)
    found: set[str] = set()
    todo: list[type] = [ConsoleError, ProtocolError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo += cls.__subclasses__()
    return found


def _unmarked_words(node: ast.expr) -> list[str]:
    """The English in ``node`` that no ``_()``/``N_()`` call wraps: string literals and f-strings
    holding words (punctuation and placeholders alone are not sentences)."""
    marked: set[int] = set()
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Name)
            and sub.func.id in ("_", "N_")
        ):
            marked.update(id(inner) for inner in ast.walk(sub))
    found = []
    for sub in ast.walk(node):
        if id(sub) in marked:
            continue
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            text = sub.value
        elif isinstance(sub, ast.JoinedStr):
            text = "".join(part.value for part in sub.values if isinstance(part, ast.Constant))
            marked.update(id(part) for part in sub.values)  # read here, as one text
        else:
            continue
        if sum(word.isalpha() and len(word) > 1 for word in text.split()) >= 2:
            found.append(text)
    return found


def test_every_error_a_user_reads_outside_the_windows_is_marked_for_the_catalogue() -> None:
    user_errors = _user_errors()
    assert {"ConnectFailed", "ApiRefused", "ConfigError", "ProtocolError"} <= user_errors
    unmarked = []
    for path in _modules():
        where = str(path.relative_to(ROOT))
        if any(where == room or where.startswith(room + "/") for room in NOT_YET):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in user_errors:
                for arg in node.exc.args[:1]:
                    unmarked += [
                        f"{where}:{node.lineno}: {text!r}" for text in _unmarked_words(arg)
                    ]
    assert not unmarked, "\n".join(unmarked)


def test_the_checker_sees_an_unmarked_sentence_and_lets_a_marked_one_pass() -> None:
    raised = ast.parse(
        'raise ConnectFailed(f"{where} refused the connection")\n'
        'raise ConnectFailed(_("{where} refused the connection").format(where=w))\n'
        'raise ConnectFailed("; ".join(parts))\n'
    ).body
    args = [node.exc.args[0] for node in raised]  # type: ignore[attr-defined]
    assert [_unmarked_words(arg) for arg in args] == [[" refused the connection"], [], []]


def test_a_language_chosen_by_the_app_wins_over_the_environment(french_catalogue: Path) -> None:
    words.install(french_catalogue, languages=["fr_FR", "fr"])
    assert words.language() == "fr"
    assert words._("the console was closed") == "la console a été fermée"
    words.install(french_catalogue, languages=["en_US", "en"])
    assert words.language() == ""
    assert words._("the console was closed") == "the console was closed"


def test_the_runtime_and_the_build_name_one_catalogue() -> None:
    assert words.DOMAIN == catalogue.DOMAIN
