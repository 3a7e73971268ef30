"""Every message not drawn by a Qt widget, in the user's language, through one gettext catalogue.

The windows' own words come from Qt's translations (ui/language.py); everything else a user reads
is said here: the command line's, and the sentences the layers below the front ends put in their
errors (a refused connection, a hostile server, the OVHcloud API, an untypable character), which
the windows show too. So this module sits on the bottom floor, stdlib only, and every layer may
import it. The language follows LANGUAGE, LC_ALL, LC_MESSAGES and LANG (``install()``), or the
one the app chose (``install(languages=[...])``, called where the app installs its Qt
translator). The catalogue's source is resources/translations/ovhkvm-desktop_<lang>.po (made by
tools/update-translations, which collects every ``_("...")`` and ``N_("...")`` of the package);
setup.py compiles it into the package.

A sentence is marked whole, with named placeholders (``_("{host} refused...").format(host=h)``),
never glued from pieces: word order differs between languages. Errors keep their data in
attributes for the code that needs it; the sentence is for people.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from pathlib import Path

#: The catalogue's name: <locale dir>/<lang>/LC_MESSAGES/ovhkvm-desktop.mo.
DOMAIN = "ovhkvm-desktop"

_translation: gettext.NullTranslations = gettext.NullTranslations()


def locale_dir() -> Path:
    """The compiled catalogues: inside the installed package, or in the checkout's resources/."""
    package = Path(__file__).resolve().parent
    installed = package / "resources" / "translations"
    return installed if installed.is_dir() else package.parent / "resources" / "translations"


def install(directory: Path | None = None, languages: Sequence[str] | None = None) -> None:
    """Speak ``languages`` (gettext's names, "fr_FR" or "fr"; None: the environment's) from now
    on, English when there is no catalogue for them, argparse's own words included."""
    global _translation
    where = str(directory or locale_dir())
    _translation = gettext.translation(
        DOMAIN, where, languages=list(languages) if languages is not None else None, fallback=True
    )
    gettext.bindtextdomain(DOMAIN, where)
    gettext.textdomain(DOMAIN)  # argparse asks gettext's current domain


def language() -> str:
    """The language being spoken ("fr"; "" for English, the words of the code)."""
    return str(_translation.info().get("language", ""))


def _(text: str) -> str:
    """``text`` in the user's language."""
    return _translation.gettext(text)


def N_(text: str) -> str:
    """Marks ``text`` for the catalogue where it is defined, to be translated (``_``) where it is
    said."""
    return text
