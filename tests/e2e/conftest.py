"""Fixtures for the end-to-end tests: real QEMU guests and websockify (tests/testbed.py).

Every test under tests/e2e is marked `e2e`. Guests are session-scoped and shared (a boot costs
seconds): tests must not change a guest's state for the next one. A missing QEMU, guest or
websockify makes the fixture FAIL with a message that says what to run; it never skips.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.testbed import TESTCARD_PASSWORD, BedError, QemuGuest, Websockify, build_guest

_E2E_DIR = Path(__file__).resolve().parent
_BOOT_TIMEOUT = float(os.environ.get("OVHKVM_TESTBED_BOOT_TIMEOUT", "120"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _fail(e: BedError) -> NoReturn:
    pytest.fail(f"the test guest could not start: {e}", pytrace=False)


def _launch(**kwargs) -> QemuGuest:
    """Start a guest without waiting for its boot (wait_ready() later)."""
    try:
        build_guest()
        # Guests boot in parallel here (2 cores, maybe other test sessions): a longer deadline.
        kwargs.setdefault("boot_timeout", _BOOT_TIMEOUT)
        return QemuGuest(wait=False, **kwargs)
    except BedError as e:
        error = e
    _fail(error)


def _ready(guest: QemuGuest) -> QemuGuest:
    try:
        return guest.wait_ready()
    except BedError as e:
        error = e
    _fail(error)


@pytest.fixture(scope="session")
def testbed_guest_dir() -> Path:
    """The built guest (tools/testbed/build-guest.sh runs once per session, quick when current)."""
    try:
        return build_guest()
    except BedError as e:
        error = e
    pytest.fail(str(error), pytrace=False)


# The test-card guests that this session's tests use start booting together, in the background, as
# soon as the first e2e test starts: their boots (seconds of TCG each) overlap with each other and
# with the first tests.
_TESTCARD_GUESTS = {
    "testcard_guest": {"mode": "testcard"},
    "testcard_guest_password": {"mode": "testcard", "password": TESTCARD_PASSWORD},
    "testcard_guest_lossy": {"mode": "testcard", "lossy": True},
}
_launched: dict[str, QemuGuest] = {}


def _uses_our_fixture(item: pytest.Item, name: str) -> bool:
    """Whether `item` uses this conftest's fixture `name` (not one a test module overrides)."""
    if name not in getattr(item, "fixturenames", ()):
        return False
    try:
        defs = item._fixtureinfo.name2fixturedefs.get(name)  # type: ignore[attr-defined]
        return bool(defs) and defs[-1].func.__module__ == __name__
    except AttributeError:
        return True


@pytest.fixture(scope="session", autouse=True)
def _boot_guests_early(request: pytest.FixtureRequest) -> Iterator[None]:
    items = request.session.items
    wanted = {n for n in _TESTCARD_GUESTS if any(_uses_our_fixture(i, n) for i in items)}
    for name, kwargs in _TESTCARD_GUESTS.items():
        if name in wanted and name not in _launched:
            _launched[name] = _launch(**kwargs)
    yield
    for guest in _launched.values():
        guest.close()
    _launched.clear()


def _testcard(name: str) -> QemuGuest:
    guest = _launched.get(name)
    if guest is None or not guest.alive():
        guest = _launched[name] = _launch(**_TESTCARD_GUESTS[name])
    return _ready(guest)


@pytest.fixture(scope="session")
def testcard_guest(testbed_guest_dir: Path) -> QemuGuest:
    """A guest showing the test card (1920x1080, constant), VNC without authentication."""
    return _testcard("testcard_guest")


@pytest.fixture(scope="session")
def testcard_guest_password(testbed_guest_dir: Path) -> QemuGuest:
    """The test card behind VNC authentication, password TESTCARD_PASSWORD ("s3cret!x")."""
    return _testcard("testcard_guest_password")


@pytest.fixture(scope="session")
def testcard_guest_lossy(testbed_guest_dir: Path) -> QemuGuest:
    """The test card with `lossy=on` (QEMU may send JPEG in Tight), no authentication."""
    return _testcard("testcard_guest_lossy")


class ConsoleGuests:
    """Console guests by keymap, shared by the whole session (see the console_guest fixture)."""

    def __init__(self) -> None:
        self._guests: dict[tuple, QemuGuest] = {}

    def _get(self, keymap: str, options: dict) -> QemuGuest:
        key = (keymap, tuple(sorted(options.items())))
        guest = self._guests.get(key)
        if guest is None or not guest.alive():
            guest = self._guests[key] = _launch(mode="console", keymap=keymap, **options)
        return guest

    def __call__(self, keymap: str = "us", **options) -> QemuGuest:
        """The ready console guest for `keymap` (xkb name), with QemuGuest `options`."""
        return _ready(self._get(keymap, options))

    def prestart(self, *keymaps: str, **options) -> None:
        """Start booting these guests now, in the background (e.g. in a module fixture)."""
        for keymap in keymaps:
            self._get(keymap, options)

    def close(self) -> None:
        for guest in self._guests.values():
            guest.close()
        self._guests.clear()


@pytest.fixture(scope="session")
def console_guest(testbed_guest_dir: Path) -> Iterator[ConsoleGuests]:
    """A factory of console guests, one per (keymap, options), shared by the whole session:

        guest = console_guest("fr")                      # keymap fr, QEMU without -k
        guest = console_guest("fr", qemu_keymap="fr")    # QEMU started with -k fr
        console_guest.prestart("de", "ch(fr)")           # boot these in the background
        mark = guest.serial_mark(); ...; guest.wait_for_received(b"abc", since=mark)

    Tests share each guest: look only at what arrives after your own serial_mark().
    """
    guests = ConsoleGuests()
    yield guests
    guests.close()


@pytest.fixture
def websockify_for() -> Iterator[Callable[..., Websockify]]:
    """A factory of websockify proxies, closed at the end of the test:

    ws = websockify_for(guest)                       # token "token"
    ws = websockify_for(guest, token="t", tls=True)  # wss://, ws.ca_file / ws.ssl_context()
    ws = websockify_for({"a": (host, port), ...})    # several targets
    """
    started: list[Websockify] = []

    def make(target, token: str = "token", tls: bool = False, **kwargs) -> Websockify:
        if isinstance(target, QemuGuest):
            targets = {token: (target.host, target.port)}
        elif isinstance(target, dict):
            targets = target
        else:
            targets = {token: tuple(target)}
        try:
            ws = Websockify(targets, tls=tls, **kwargs)
        except BedError as e:
            error = e
        else:
            started.append(ws)
            return ws
        pytest.fail(f"websockify could not start: {error}", pytrace=False)

    yield make
    for ws in started:
        ws.close()
