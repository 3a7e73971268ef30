#!/usr/bin/env python3
"""Generate resources/keyboard/layout_names.json: the guest layouts' names in the app's languages,
from xkeyboard-config's own translations.

Regenerate with (Debian: apt-get install xkb-data, which ships the compiled catalogues; run
tools/gen_layouts.py first, whose index holds the English names):

    .venv/bin/python tools/gen_layout_names.py           # write it
    .venv/bin/python tools/gen_layout_names.py --check   # only say whether it is up to date

The English names are xkeyboard-config's descriptions, as libxkbcommon reports them
(resources/keyboard/layouts/index.json); xkeyboard-config translates them in its gettext
catalogue (its upstream po/<language>.po, installed compiled as
/usr/share/locale/<language>/LC_MESSAGES/xkeyboard-config.mo). A name its catalogue does not
translate is left out: the app then shows the English one.
"""

from __future__ import annotations

import gettext
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INDEX = REPO / "resources" / "keyboard" / "layouts" / "index.json"
OUT = REPO / "resources" / "keyboard" / "layout_names.json"
CATALOGUE = Path("/usr/share/locale/{language}/LC_MESSAGES/xkeyboard-config.mo")
#: The languages the app speaks besides English (resources/translations/ovhkvm-desktop_*.ts).
LANGUAGES = ["fr"]


def package_version(package: str) -> str:
    run = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True
    )
    return run.stdout.strip() if run.returncode == 0 else "unknown"


def generate() -> str:
    index = json.loads(INDEX.read_text(encoding="utf-8"))
    english = {
        name: info["description"] for name, info in index["layouts"].items() if info["guest"]
    }
    names: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        path = Path(str(CATALOGUE).format(language=language))
        with path.open("rb") as f:
            catalogue = gettext.GNUTranslations(f)
        translated = {}
        for name, description in english.items():
            said = catalogue.gettext(description)
            if said != description:
                translated[name] = said
        names[language] = translated
    document = {
        "generated_by": "tools/gen_layout_names.py",
        "sources": {
            "xkb-data": package_version("xkb-data"),
            "catalogues": str(CATALOGUE),
        },
        "names": names,
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def main() -> int:
    text = generate()
    if sys.argv[1:] == ["--check"]:
        if OUT.exists() and OUT.read_text(encoding="utf-8") == text:
            return 0
        print(
            f"{OUT.relative_to(REPO)} is out of date: run tools/gen_layout_names.py",
            file=sys.stderr,
        )
        return 1
    OUT.write_text(text, encoding="utf-8")
    counts = ", ".join(f"{lang}: {len(n)}" for lang, n in json.loads(text)["names"].items())
    print(f"wrote {OUT.relative_to(REPO)} ({counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
