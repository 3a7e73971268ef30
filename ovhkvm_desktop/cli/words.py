"""The gettext catalogue's source and its compiled form: .po files read, .mo files written.

The words themselves are said through ``ovhkvm_desktop.words`` (``_``, ``N_``, ``install``), on
the bottom floor where every layer may take them. These helpers stay here, stdlib-only, because
setup.py's build and tools/update_cli_catalogue.py load this file by its path, without importing
the package.
"""

from __future__ import annotations

import ast
import struct
from pathlib import Path

#: The catalogue's name, as ``ovhkvm_desktop.words.DOMAIN`` (tests/cli/test_french.py checks).
DOMAIN = "ovhkvm-desktop"


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
