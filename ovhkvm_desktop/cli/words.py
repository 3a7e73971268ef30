"""The command line's words in the user's language, through gettext (the standard library's).

Not Qt's translations, which the windows use: the command line runs headless and never loads
PySide6 (tests/test_layers.py), and argparse's own words ("usage:", "options", its error
messages) only come through gettext. The language follows LANGUAGE, LC_ALL, LC_MESSAGES and LANG,
as every command-line tool's does. The catalogue's source is
resources/translations/ovhkvm-desktop_<lang>.po (made by tools/update-translations); setup.py
compiles it into the package with ``mo_bytes`` (this module is stdlib-only so that the build can
load it by its path).
"""

from __future__ import annotations

import ast
import gettext
import struct
from pathlib import Path

#: The catalogue's name: <locale dir>/<lang>/LC_MESSAGES/ovhkvm-desktop.mo.
DOMAIN = "ovhkvm-desktop"

_translation: gettext.NullTranslations = gettext.NullTranslations()


def locale_dir() -> Path:
    """The compiled catalogues: inside the installed package, or in the checkout's resources/."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "resources" / "translations"
    return installed if installed.is_dir() else package.parent / "resources" / "translations"


def install(directory: Path | None = None) -> None:
    """Speak the environment's language from now on (English when it has no catalogue), argparse
    included."""
    global _translation
    where = str(directory or locale_dir())
    _translation = gettext.translation(DOMAIN, where, fallback=True)
    gettext.bindtextdomain(DOMAIN, where)
    gettext.textdomain(DOMAIN)  # argparse asks gettext's current domain


def _(text: str) -> str:
    """``text`` in the user's language."""
    return _translation.gettext(text)


def N_(text: str) -> str:
    """Marks ``text`` for the catalogue where it is defined, to be translated (``_``) where it is
    said."""
    return text


# -- the catalogue's source and its compiled form (setup.py, tools/update-translations) ----------


def po_entries(path: Path) -> list[tuple[str, str, bool]]:
    """A .po file's entries: (msgid, msgstr, fuzzy), the header (msgid "") included. Only what
    the project's catalogues use: no contexts, no plural forms."""
    entries: list[tuple[str, str, bool]] = []
    current: dict[str, str] = {}
    key = ""
    fuzzy = False

    def flush() -> None:
        nonlocal fuzzy
        if "msgid" in current:
            entries.append((current["msgid"], current.get("msgstr", ""), fuzzy))
        current.clear()
        fuzzy = False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            if "msgid" in current:
                flush()
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
        elif line.startswith(("msgid ", "msgstr ")):
            key, _space, literal = line.partition(" ")
            if key == "msgid" and "msgid" in current:
                flush()
            current[key] = _literal(literal, path, number)
        elif line.startswith('"') and key:
            current[key] += _literal(line, path, number)
        else:
            raise ValueError(f"{path.name}:{number}: not understood: {line[:40]}")
    flush()
    return entries


def _literal(text: str, path: Path, number: int) -> str:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = None
    if not isinstance(value, str) or not text.startswith('"'):
        raise ValueError(f"{path.name}:{number}: not a quoted string: {text[:40]}")
    return value


def mo_bytes(entries: list[tuple[str, str, bool]]) -> bytes:
    """The GNU .mo file of ``entries`` (untranslated and fuzzy ones left out: English shows)."""
    kept = sorted((k, v) for k, v, fuzzy in entries if v and not fuzzy)
    ids = [k.encode() for k, _v in kept]
    strs = [v.encode() for _k, v in kept]
    count = len(kept)
    start = 7 * 4 + count * 16  # the header, then both tables of (length, offset)
    offsets: list[int] = []
    data = b""
    for text in ids + strs:
        offsets += [len(text), start + len(data)]
        data += text + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, count, 28, 28 + count * 8, 0, 0)
    return header + struct.pack(f"<{len(offsets)}I", *offsets) + data
