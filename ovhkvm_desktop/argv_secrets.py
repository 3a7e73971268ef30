"""Keeps the passwords and tokens of the targets given on the command line out of the process's
arguments: every local user can read those (`/proc/PID/cmdline`, `ps`), while the environment
(`/proc/PID/environ`) is readable by the same user only.

``hide_target_secrets()`` runs first in the command line's ``main``. When an argument of a
console command (`open`, `type`, `screenshot`, `info`, `read`, `wait`) carries a secret
(`vnc://:PASSWORD@host`, `?token=`, `path=%3Ftoken%3D…`), it starts the same program again in
the same process (``os.execv``: same interpreter, interpreter options, script or ``-m`` module,
same PID) with that argument replaced by its redacted form, and hands the real one over in the
environment variable ``OVHKVM_TARGET_SECRETS``. The program started again takes it back out of
the environment (its children never see it; its value is overwritten in the block that
`/proc/PID/environ` shows) and gets the real arguments from the same call.

It must be cheap: nothing but the standard library's light modules and ``targets`` (for the one
redaction function) is imported, and only when a console command is given. It is a no-op off
Linux (`ps` there reads the arguments too, but the re-execution is only tested on Linux), and
for a frozen (PyInstaller) build it re-executes the executable itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, MutableMapping, Sequence

#: The internal variable that carries the real arguments to the program started again: a JSON
#: list of [index in sys.argv[1:], the redacted form there, the real argument].
ENVIRONMENT_VARIABLE = "OVHKVM_TARGET_SECRETS"
#: The commands whose arguments may hold a TARGET (DESIGN.md's command line).
TARGET_COMMANDS = frozenset({"open", "screenshot", "type", "info", "read", "wait"})

Execv = Callable[[str, list[str]], object]

#: What this process's first call returned after taking the real arguments back: a second call
#: (an early one in __main__, then main's) must return them again, not the redacted ones.
_restored: tuple[list[str], list[str]] | None = None


def hide_target_secrets(
    argv: Sequence[str] | None = None,
    *,
    environ: MutableMapping[str, str] | None = None,
    execv: Execv | None = None,
) -> list[str]:
    """The command line's arguments (``sys.argv[1:]``), real ones, for the parser.

    In the first process, when an argument carries a target's secret, this does not return: the
    program is started again with the argument redacted (``sys.argv`` and `/proc/PID/cmdline`
    of the new program keep the redacted form), and the same call there returns the real
    arguments. ``argv``, ``environ`` and ``execv`` stand for ``sys.argv``, ``os.environ`` and
    ``os.execv`` (tests)."""
    global _restored
    argv = list(sys.argv if argv is None else argv)
    environ = os.environ if environ is None else environ
    arguments = argv[1:]
    if environ is os.environ and ENVIRONMENT_VARIABLE in environ:
        _wipe_initial_environment(ENVIRONMENT_VARIABLE)
    handed = environ.pop(ENVIRONMENT_VARIABLE, None)
    if handed is not None:
        real = restore(arguments, handed)
        _restored = (arguments, real)
        return list(real)
    if _restored is not None and _restored[0] == arguments:
        return list(_restored[1])
    if not sys.platform.startswith("linux"):
        return arguments
    hidden = secret_arguments(arguments)
    if not hidden:
        return arguments
    redacted = [hidden.get(i, argument) for i, argument in enumerate(arguments)]
    command = restart_command(
        redacted,
        argv=argv,
        orig_argv=getattr(sys, "orig_argv", []),
        executable=sys.executable,
        frozen=bool(getattr(sys, "frozen", False)),
    )
    if command is None:
        return arguments  # no way to start it again the same way: better run than refuse
    handover = [[i, hidden[i], arguments[i]] for i in sorted(hidden)]
    environ[ENVIRONMENT_VARIABLE] = json.dumps(handover)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    with contextlib.suppress(OSError):
        (execv or os.execv)(command[0], command)
    # Only reached when the exec failed (or a test's execv returned).
    environ.pop(ENVIRONMENT_VARIABLE, None)
    return arguments


def _wipe_initial_environment(name: str) -> None:
    """Overwrite the variable's value in the environment block the process started with: that
    block is what `/proc/PID/environ` shows (to the same user, and to root), and removing the
    variable from the environment leaves it there. Best effort (libc's `environ`, via ctypes)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        environ = ctypes.POINTER(ctypes.c_void_p).in_dll(ctypes.CDLL(None), "environ")
        prefix = name.encode() + b"="
        i = 0
        while address := environ[i]:
            entry = ctypes.string_at(address)
            if entry.startswith(prefix):
                ctypes.memset(address + len(prefix), ord("*"), len(entry) - len(prefix))
            i += 1
    except (OSError, ValueError, AttributeError):
        pass


def secret_arguments(arguments: Sequence[str]) -> dict[int, str]:
    """The arguments after a console command that carry a password or a token, by their index
    in ``arguments``, with the redacted form each is replaced by.

    Every argument after the command is looked at, not only TARGET (an option's value too, even
    after `--`): a false alarm costs one start again, and the argument is handed back exactly."""
    command_at = next((i for i, a in enumerate(arguments) if not a.startswith("-")), None)
    if command_at is None or arguments[command_at] not in TARGET_COMMANDS:
        return {}
    from ovhkvm_desktop.targets import HIDDEN, redact_target

    hidden = {}
    for i in range(command_at + 1, len(arguments)):
        argument = arguments[i]
        shown = redact_target(argument)
        # Only what redaction hid counts: a stripped space or an escaped newline is no secret.
        if shown.count(HIDDEN) > argument.count(HIDDEN):
            hidden[i] = shown
    return hidden


def restart_command(
    arguments: Sequence[str],
    *,
    argv: Sequence[str],
    orig_argv: Sequence[str],
    executable: str,
    frozen: bool,
) -> list[str] | None:
    """The command that starts this program again as it was started, with ``arguments`` in
    place of ``argv[1:]``; None when that cannot be known.

    ``sys.orig_argv`` holds the interpreter's own command line: the interpreter, its options
    (`-X`, `-I`...), then the script (a console script such as `ovhkvm-desktop` is one), `-m
    MODULE` or `-c CODE`, then ``sys.argv[1:]``. Everything before the arguments is kept."""
    if frozen:
        return [executable, *arguments] if executable else None
    count = len(argv) - 1
    if not executable or len(orig_argv) <= count:
        return None
    split = len(orig_argv) - count
    if list(orig_argv[split:]) != list(argv[1:]):
        return None  # sys.argv was changed since the start: its origin is unknown
    return [executable, *orig_argv[1:split], *arguments]


def restore(arguments: Sequence[str], handed: str) -> list[str]:
    """The real arguments: each redacted one replaced by what was handed over for its place.
    Whatever does not match (a malformed or stale variable) is left as it is."""
    real = list(arguments)
    try:
        entries = json.loads(handed)
    except ValueError:
        return real
    if not isinstance(entries, list):
        return real
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 3):
            continue
        index, redacted, original = entry
        if (
            isinstance(index, int)
            and isinstance(original, str)
            and 0 <= index < len(real)
            and real[index] == redacted
        ):
            real[index] = original
    return real
