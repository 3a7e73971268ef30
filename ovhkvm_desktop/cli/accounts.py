"""The account commands: `login`, `logout`, `servers`, `rescue` (OVHcloud's API, blocking)."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import sys
from typing import Any

from ovhkvm_desktop.cli.output import escaped, in_words, say
from ovhkvm_desktop.cli.parser import UsageError
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.words import N_, _


def _secrets() -> Any:
    from ovhkvm_desktop.secrets import Secrets

    return Secrets(on_fallback=say)


#: The secrets `login` reads: (its prompt, what is said without standard input, when empty).
SECRET_WORDS = {
    "application": (
        N_("Application secret: "),
        N_("Application secret is needed: give it on standard input"),
        N_("no application secret was given"),
    ),
    "consumer": (
        N_("Consumer key: "),
        N_("Consumer key is needed: give it on standard input"),
        N_("no consumer key was given"),
    ),
    "oauth2": (
        N_("OAuth2 client secret: "),
        N_("OAuth2 client secret is needed: give it on standard input"),
        N_("no oauth2 client secret was given"),
    ),
}


def _read_secret(kind: str) -> str:
    """A secret from standard input (one line) when it is not a terminal, else a hidden prompt;
    ``kind``: a key of ``SECRET_WORDS``."""
    prompt, needed, missing = SECRET_WORDS[kind]
    if sys.stdin is None:
        raise UsageError(_(needed))
    if sys.stdin.isatty():
        import getpass

        value = getpass.getpass(_(prompt))
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value.strip():
        raise UsageError(_(missing))
    return value.strip()


class _Countdown:
    """The time left for the validation: one updated line on a terminal, else a line a minute."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last: int | None = None

    def __call__(self, left: float) -> None:
        seconds = int(left)
        if self.tty:
            if seconds != self.last:
                line = _(
                    "waiting for the validation: {minutes}:{seconds:02d} left (Ctrl+C cancels)"
                ).format(minutes=seconds // 60, seconds=seconds % 60)
                print(
                    f"\r{line} ",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
                self.last = seconds
        elif self.last is None or self.last - seconds >= 60:
            say(
                _("waiting for the validation: {seconds} s left (Ctrl+C cancels)").format(
                    seconds=seconds
                )
            )
            self.last = seconds

    def done(self) -> None:
        if self.tty and self.last is not None:
            print(file=sys.stderr)


def login(args: argparse.Namespace) -> int:
    from ovhkvm_desktop.cloud import login as flow
    from ovhkvm_desktop.config import Settings, check_profile_name

    check_profile_name(args.profile)
    settings = Settings()
    if args.from_env or args.from_file:
        found = flow.from_environment() if args.from_env else flow.from_ovh_conf(args.from_file)
        if args.endpoint and args.endpoint != found.endpoint:
            raise UsageError(
                _("the imported credentials are for {found}, not {asked}").format(
                    found=found.endpoint, asked=args.endpoint
                )
            )
        if found.method == "application" and not found.consumer_key:
            raise UsageError(
                _(
                    "the imported credentials have no consumer key: log in with"
                    " --application-key to get one"
                )
            )
        flow.verify(found, args.profile)
        credentials = found
    else:
        if not args.endpoint:
            raise UsageError(_("--endpoint is needed (ovh-eu, ovh-ca, ovh-us...)"))
        if args.oauth2:
            if not args.client_id:
                raise UsageError(_("--oauth2 needs --client-id"))
            credentials = flow.Credentials(
                args.endpoint,
                client_id=args.client_id,
                client_secret=_read_secret("oauth2"),
            )
            flow.verify(credentials, args.profile)
        elif args.application_key:
            secret = _read_secret("application")
            if args.consumer_key_stdin:
                credentials = flow.Credentials(
                    args.endpoint, args.application_key, secret, _read_secret("consumer")
                )
                flow.verify(credentials, args.profile)
            else:
                credentials = _validate_new_key(args, flow, secret)
        else:
            raise UsageError(
                _(
                    "say how to log in: --application-key AK, --oauth2 --client-id ID,"
                    " --from-env or --from-file PATH"
                )
            )
    secrets = _secrets()
    profile = flow.save_profile(settings, secrets, args.profile, credentials)
    if secrets.persistent:
        done = _("logged in: profile {profile} on {endpoint}; secrets in the keyring ({keyring})")
    else:
        done = _("logged in: profile {profile} on {endpoint}; secrets in memory only")
    print(
        done.format(profile=profile.name, endpoint=profile.endpoint, keyring=secrets.backend_name)
    )
    return 0


def _validate_new_key(args: argparse.Namespace, flow: Any, secret: str) -> Any:
    pending = flow.request_consumer_key(
        flow.Credentials(args.endpoint, args.application_key, secret), args.profile
    )
    say(_("open this link, log in to OVHcloud and grant the access:"))
    print(escaped(pending.validation_url), flush=True)
    if not args.no_browser:
        import webbrowser

        with contextlib.suppress(Exception):
            webbrowser.open(pending.validation_url)
    countdown = _Countdown()
    try:
        return flow.wait_for_validation(
            pending,
            timeout=args.timeout,
            interval=args.poll_interval,
            on_wait=countdown,
            name=args.profile,
        )
    finally:
        countdown.done()


def logout(args: argparse.Namespace) -> int:
    from ovhkvm_desktop.cloud.login import delete_profile
    from ovhkvm_desktop.config import Settings

    settings = Settings()
    profile = settings.profile(args.profile)
    delete_profile(settings, _secrets(), profile.name)
    print(_("profile {profile} and its secrets deleted").format(profile=profile.name))
    return 0


def _api(profile_name: str | None) -> Any:
    from ovhkvm_desktop.cloud.client import OvhApi
    from ovhkvm_desktop.config import Settings

    settings = Settings()
    return OvhApi.for_profile(settings.profile(profile_name), _secrets())


def servers(args: argparse.Namespace) -> int:
    from ovhkvm_desktop.cloud.inventory import fetch_servers

    listing = fetch_servers(_api(args.profile))
    for warning in listing.warnings:
        say(in_words(warning))
    if args.json:
        print(json.dumps([s.to_json() for s in listing.servers], indent=2))
        return 0
    columns = ("kind", "name", "displayName", "state", "model", "zone", "keymap", "netbootMode")
    rows = [[str(getattr(s, c) or "-") for c in columns] for s in listing.servers]
    header = [
        _("KIND"),
        _("NAME"),
        _("DISPLAY NAME"),
        _("STATE"),
        _("MODEL"),
        _("ZONE"),
        _("KEYMAP"),
        _("NETBOOT"),
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(escaped("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()))
    if not rows:
        say(_("no servers in this account"))
    return 0


def _confirm(question: str) -> bool:
    if sys.stdin is None or not sys.stdin.isatty():
        raise UsageError(
            _("{question} Add --yes to confirm without a terminal").format(question=question)
        )
    answer = input(_("{question} [y/N] ").format(question=question))
    # The answers of the user's language, and English's everywhere.
    yes = {"y", "yes", *_("y|yes").split("|")}
    return answer.strip().lower() in yes


def rescue(args: argparse.Namespace) -> int:
    from ovhkvm_desktop.cloud import rescue as flow

    if args.open and not args.exit and importlib.util.find_spec("PySide6") is None:
        raise UsageError(
            _(
                "--open needs the console window for ovh: targets, which this installation does"
                " not have (Qt: pip install PySide6-Essentials): run without --open, then"
                " 'ovhkvm-desktop screenshot ovh:{service} FILE.png'"
                " or 'ovhkvm-desktop type ovh:{service} --text T'"
            ).format(service=args.service)
        )
    api = _api(args.profile)
    chosen = flow.plan(api, args.service, leave=args.exit)
    if not chosen.already_there and not args.yes and not _confirm(chosen.question):
        raise ConsoleError(_("nothing done"))
    server = flow.switch(
        api,
        chosen,
        progress=say,
        poll_interval=args.poll_interval,
        timeout=args.timeout,
        grace=flow.SELF_REBOOT_GRACE,
    )
    if args.exit:
        print(
            _("{server} is back on its own system ({state})").format(
                server=escaped(server.name), state=escaped(server.state)
            )
        )
    else:
        print(
            _(
                "{server} is in rescue mode: its root password is sent to the account's e-mail"
                " address"
            ).format(server=escaped(server.name))
        )
    if args.open and not args.exit:
        return open_rescue_console(args)
    return 0


def open_rescue_console(args: argparse.Namespace) -> int:
    """The rescue system's console window, full screen (it greets on a Linux text console)."""
    from ovhkvm_desktop.cli.consoles import show_console
    from ovhkvm_desktop.keyboard.layouts import GuestSystem
    from ovhkvm_desktop.opening import ConsoleRequest, open_console

    request = ConsoleRequest(f"ovh:{args.service}", args.profile, guest=GuestSystem.CONSOLE)
    opening = open_console(request, on_keyring_notice=say)
    return show_console(opening, fullscreen=True)
