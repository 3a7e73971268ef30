"""The gettext catalogues: every message not drawn by a Qt widget (run by
tools/update-translations).

    update_cli_catalogue.py LANG [--check]

Reads every string the package marks (``_("...")``, ``N_("...")``; the windows' widgets are
Qt's, in the .ts): the command line's words, the messages of the layers below the front ends
(errors, the demo console's screen), what the windows' modules print on the command line, and the
argparse messages a user meets; then rewrites
resources/translations/ovhkvm-desktop_LANG.po keeping the translations it has (new strings come
in empty, vanished ones go) and compiles it for the checkout
(resources/translations/LANG/LC_MESSAGES/ovhkvm-desktop.mo; builds compile it with setup.py).
With --check it only says whether the .po is up to date.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ovhkvm_desktop.cli.words import DOMAIN, mo_bytes, po_entries  # noqa: E402

#: argparse's own words a user of the command line reads (its --help and its usage errors).
ARGPARSE = (
    "usage: ",
    "positional arguments",
    "options",
    "show this help message and exit",
    "%(prog)s: error: %(message)s\n",
    "argument %(argument_name)s: %(message)s",
    "unrecognized arguments: %s",
    "ambiguous option: %(option)s could match %(matches)s",
    "invalid choice: %(value)r (choose from %(choices)s)",
    "expected one argument",
    "expected at most one argument",
    "expected at least one argument",
    "invalid %(type)s value: %(value)r",
    "the following arguments are required: %s",
    "one of the arguments %s is required",
    "not allowed with argument %s",
    "ignored explicit argument %r",
)
HEADER = (
    "Project-Id-Version: ovhkvm-desktop\n"
    "Language: {lang}\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
)


def marked(path: Path) -> list[str]:
    """The strings ``path`` marks for translation, in the order they come."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("_", "N_")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return [text for _line, text in sorted(found)]


def argparse_messages() -> list[str]:
    """``ARGPARSE``, those this Python's argparse says (its words change between versions)."""
    source = inspect.getsource(argparse)
    return [text for text in ARGPARSE if repr(text) in source or f'"{text}"' in source]


def quoted(text: str) -> str:
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{body}"'


def render(lang: str, ids: list[tuple[str, str]], known: dict[str, str]) -> str:
    out = [
        f"# Every message outside the windows' widgets, in {lang} (tools/update-translations makes"
        " this file).",
        'msgid ""',
        "msgstr " + quoted(HEADER.format(lang=lang)),
        "",
    ]
    for origin, text in ids:
        out += [
            f"#: {origin}",
            "msgid " + quoted(text),
            "msgstr " + quoted(known.get(text, "")),
            "",
        ]
    return "\n".join(out)


def main() -> int:
    lang = sys.argv[1]
    check = "--check" in sys.argv[2:]
    po = ROOT / "resources" / "translations" / f"{DOMAIN}_{lang}.po"
    ids: list[tuple[str, str]] = []
    seen: set[str] = set()
    sources = [("argparse", text) for text in argparse_messages()]
    package = ROOT / "ovhkvm_desktop"
    for path in sorted(package.rglob("*.py")):
        origin = str(path.relative_to(ROOT))
        sources += [(origin, text) for text in marked(path)]
    for origin, text in sources:
        if text not in seen:
            seen.add(text)
            ids.append((origin, text))
    known = {k: v for k, v, _fuzzy in po_entries(po) if k} if po.exists() else {}
    text = render(lang, ids, known)
    if check:
        if not po.exists() or po.read_text(encoding="utf-8") != text:
            print(f"{po} is not up to date with the code: run tools/update-translations")
            return 1
        return 0
    po.write_text(text, encoding="utf-8")
    compiled = po.parent / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    compiled.parent.mkdir(parents=True, exist_ok=True)
    compiled.write_bytes(mo_bytes(po_entries(po)))
    empty = sum(1 for _origin, t in ids if not known.get(t))
    print(f"{po}: {empty} entries to translate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
