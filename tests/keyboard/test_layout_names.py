"""The guest layouts' names in the user's language: xkeyboard-config's own French names (from its
gettext catalogue, through tools/gen_layout_names.py), English where a language has none."""

from __future__ import annotations

import gettext
import subprocess
import sys
from pathlib import Path

from ovhkvm_desktop.keyboard.layouts import guest_layout_names, layout_descriptions

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = Path("/usr/share/locale/fr/LC_MESSAGES/xkeyboard-config.mo")


def test_in_french_the_layouts_have_xkeyboard_configs_french_names() -> None:
    french = layout_descriptions("fr")
    assert french["fr"] == "Français"
    assert french["fr(bepo)"] == "Français (BÉPO)"
    assert french["ch(fr)"] == "Français (Suisse)"
    assert french["us"] == "Anglais (US)"
    assert french["de"] == "Allemand"
    assert list(french) == guest_layout_names()  # every layout, in the same order


def test_every_guest_layout_has_its_french_name_from_the_catalogue_itself() -> None:
    """Read independently of the generated table: the catalogue xkb-data installs."""
    with CATALOGUE.open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    english, french = layout_descriptions(), layout_descriptions("fr")
    for name in guest_layout_names():
        assert french[name] == catalogue.gettext(english[name]) != english[name], name


def test_a_locale_name_picks_its_language_and_english_is_the_fallback() -> None:
    assert layout_descriptions("fr_CA")["ca"] == "Français (Canada)"
    assert layout_descriptions("fr-BE")["be"] == "Belge"
    assert layout_descriptions()["fr"] == "French"
    assert layout_descriptions("en_GB")["gb"] == "English (UK)"
    assert layout_descriptions("de")["de"] == "German"  # no German names shipped: English


def test_the_generated_names_are_up_to_date_with_the_catalogue() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_layout_names.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
