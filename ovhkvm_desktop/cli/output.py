"""What the command line writes: one line per message on standard error, and anything a server
or the API said printed as text, its control characters escaped (no escape sequence, such as
OSC 52 which writes the terminal's clipboard, reaches the terminal raw)."""

from __future__ import annotations

import sys

from ovhkvm_desktop.config import METHOD_OAUTH2, Profile
from ovhkvm_desktop.words import _

PROG = "ovhkvm-desktop"


def escaped(text: str) -> str:
    """``text`` with every control or format character (C0, DEL, C1, bidi overrides, line and
    paragraph separators...) written as a visible escape: ``\\x1b``, ``\\u202e``."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(ord(char)) for char in text)


def _escape(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def say(message: str) -> None:
    """One line on standard error, prefixed with the program's name."""
    print(f"{PROG}: {escaped(message)}", file=sys.stderr, flush=True)


def login_command(profile: Profile) -> str:
    """The command that logs ``profile`` in again."""
    if profile.method == METHOD_OAUTH2:
        how = f"--oauth2 --client-id {profile.client_id or 'ID'}"
    else:
        how = f"--application-key {profile.application_key or 'AK'}"
    return f"{PROG} login --profile {profile.name} --endpoint {profile.endpoint} {how}"


def in_words(exc: BaseException) -> str:
    """An error as the command line says it: its sentence, and when a new login fixes it, the
    command that does it."""
    text = str(exc)
    login = getattr(exc, "login", None)
    if isinstance(login, Profile):
        text = _("{error}: log in again: {command}").format(
            error=text, command=login_command(login)
        )
    return text
