"""Work off the GUI thread (python-ovh, the keyring, the browser), its outcome brought back to
the GUI thread, and what went wrong said in the app's words."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal

from ovhkvm_desktop.cloud.client import ApiError
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.ui.text import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)

T = TypeVar("T")


#: What the app says to do when logging a profile in again fixes an error (a dialog does it).
LOGIN_AGAIN = QT_TRANSLATE_NOOP(
    "Background", "log in again (Add account…, with the same profile name)"
)


def in_words(exc: BaseException, login_again: str | None = None) -> str:
    """What went wrong, in one line for the user: our errors are sentences already; when a new
    login fixes it, ``login_again`` (by default ``LOGIN_AGAIN``) says how in the app (nothing
    when it is "")."""
    if login_again is None:
        login_again = QCoreApplication.translate("Background", LOGIN_AGAIN)
    if isinstance(exc, ConsoleError):
        text = str(exc).strip()
        if isinstance(exc, ApiError) and exc.login is not None and login_again:
            text = QCoreApplication.translate("Background", "{error}: {remedy}").format(
                error=text, remedy=login_again
            )
        return text[:1].upper() + text[1:] if text else type(exc).__name__
    return QCoreApplication.translate("Background", "Unexpected error ({kind}: {error})").format(
        kind=type(exc).__name__, error=exc
    )


class Background(QObject):
    """Runs blocking calls (python-ovh, the keyring, the browser) on threads of their own and
    brings their outcome back to the GUI thread, where the callbacks run.

    Daemon threads rather than a QThreadPool: an API call may wait a minute, a rescue a quarter
    of an hour, a login ten minutes; quitting must not wait for them (a pool joins its threads
    when it is destroyed). Results travel through a queued signal of this object, which lives on
    the GUI thread."""

    busy_changed = Signal(bool)
    _deliver = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deliver.connect(self._run_here)
        self._running = 0  # touched on the GUI thread only

    @property
    def busy(self) -> bool:
        return self._running > 0

    def post(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the GUI thread soon (callable from any thread)."""
        with contextlib.suppress(RuntimeError):  # the app is being torn down
            self._deliver.emit(callback)

    def _run_here(self, callback: Callable[[], object]) -> None:
        callback()

    def reporter(self, callback: Callable[[str], object]) -> Callable[[str], None]:
        """A progress function that any thread may call; ``callback`` hears it on this one."""

        def report(message: str) -> None:
            self.post(partial(callback, message))

        return report

    def run(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], object],
        on_error: Callable[[BaseException], object],
        *,
        name: str = "ovhkvm-background",
    ) -> None:
        """Call ``work()`` on a new thread; then ``on_done(result)`` or ``on_error(exc)`` here."""

        def body() -> None:
            try:
                result = work()
            except ConsoleError as exc:
                self.post(partial(self._finish, on_error, exc))
            except Exception as exc:
                # A bug, not something the user can act on: the details go to the log.
                log.error("%s failed", name, exc_info=True)
                self.post(partial(self._finish, on_error, exc))
            else:
                self.post(partial(self._finish, on_done, result))

        self._running += 1
        if self._running == 1:
            self.busy_changed.emit(True)
        threading.Thread(target=body, name=name, daemon=True).start()

    def _finish(self, callback: Callable[[T], object], value: T) -> None:
        self._running -= 1
        if self._running == 0:
            self.busy_changed.emit(False)
        callback(value)
