"""The command line in French: its --help (every command's description and every option's help,
argparse's own words) and its usage errors follow LANGUAGE/LC_ALL/LC_MESSAGES/LANG, through the
gettext catalogue compiled from resources/translations/ovhkvm-desktop_fr.po as a build compiles
it; English without a French locale; and the catalogue has no entry left empty or stale."""

from __future__ import annotations

import argparse
import gettext
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ovhkvm_desktop import words
from ovhkvm_desktop.cli import words as catalogue
from ovhkvm_desktop.cli.parser import build_parser

ROOT = Path(__file__).resolve().parents[2]
FRENCH = ROOT / "resources" / "translations" / "ovhkvm-desktop_fr.po"
#: A placeholder the code or argparse fills: {name}, %(name)s, %s, %r.
PLACEHOLDER = re.compile(r"\{\w*\}|%\(\w+\)[sr]|%[sr]")


@pytest.fixture
def speak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Switch the environment's language; the catalogue compiled from the .po into tmp_path."""
    compiled = tmp_path / "fr" / "LC_MESSAGES" / f"{words.DOMAIN}.mo"
    compiled.parent.mkdir(parents=True)
    compiled.write_bytes(catalogue.mo_bytes(catalogue.po_entries(FRENCH)))
    domain = gettext.textdomain()

    def switch(lang: str) -> None:
        for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("LANG", lang)
        words.install(tmp_path)

    yield switch
    monkeypatch.setenv("LANG", "C.UTF-8")
    words.install(tmp_path)
    gettext.textdomain(domain)


def helps(parser: argparse.ArgumentParser) -> list[str]:
    """Every description and help text of ``parser`` and its commands, in order."""
    found = [parser.description or ""]
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            found.append(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                found.append(choice.help or "")
            for sub in action.choices.values():
                found += helps(sub)
    for group in parser._action_groups:
        found.append(group.title or "")
    return found


def test_every_help_text_is_french_with_a_french_locale(speak) -> None:
    speak("C.UTF-8")
    english = helps(build_parser())
    speak("fr_FR.UTF-8")
    french = helps(build_parser())
    assert len(french) == len(english) > 100
    same = {en for en, fr in zip(english, french, strict=True) if en == fr and en}
    # argparse's "options" is "options" in French too.
    assert same == {"options"}, same
    text = build_parser().format_help()
    assert text.startswith("utilisation : ovhkvm-desktop")
    assert "arguments positionnels" in text and "afficher cette aide et quitter" in text
    assert "redémarrer un VPS en mode rescue" in text


def test_usage_errors_are_french_and_english_without_a_french_locale(speak, capsys) -> None:
    speak("fr_FR.UTF-8")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["screenshot", "--compression", "12", "vnc://h", "f.png"])
    assert capsys.readouterr().err.splitlines()[-1] == (
        "ovhkvm-desktop screenshot : erreur : argument --compression : un niveau est un nombre"
        " de 0 à 9"
    )
    speak("C.UTF-8")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["screenshot", "--compression", "12", "vnc://h", "f.png"])
    assert capsys.readouterr().err.splitlines()[-1] == (
        "ovhkvm-desktop screenshot: error: argument --compression: a level is a number from 0 to 9"
    )


def test_lc_messages_alone_says_it_in_french(
    speak, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    speak("C.UTF-8")
    monkeypatch.setenv("LC_MESSAGES", "fr_BE.UTF-8")  # messages in French, the rest not
    words.install(tmp_path)  # where speak compiled the catalogue
    assert "afficher cette aide et quitter" in build_parser().format_help()
    monkeypatch.setenv("LANGUAGE", "en")  # LANGUAGE comes first, as gettext reads them
    words.install(tmp_path)
    assert "show this help message and exit" in build_parser().format_help()


def test_no_french_entry_is_empty_fuzzy_or_loses_a_placeholder() -> None:
    entries = [(k, v, fuzzy) for k, v, fuzzy in catalogue.po_entries(FRENCH) if k]
    assert len(entries) > 80
    assert not [k for k, v, fuzzy in entries if not v or fuzzy]
    for source, translation, _fuzzy in entries:
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(translation)), (
            source,
            translation,
        )


def test_the_french_catalogue_holds_every_string_of_the_command_line() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "update_cli_catalogue.py"), "fr", "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_what_the_commands_say_is_french_too(speak, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from ovhkvm_desktop.cli import accounts
    from ovhkvm_desktop.cli.parser import UsageError

    speak("fr_FR.UTF-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    with pytest.raises(UsageError) as said:
        accounts._read_secret("consumer")
    assert str(said.value) == "aucune clé de consommateur n'a été donnée"
    speak("C.UTF-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    with pytest.raises(UsageError) as said:
        accounts._read_secret("consumer")
    assert str(said.value) == "no consumer key was given"
