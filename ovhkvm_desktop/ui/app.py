"""The app that `ovhkvm-desktop` without arguments starts: the main window, the tray icon, the
icon they share, and the background calls that keep the GUI thread free of blocking work."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QLinearGradient, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from ovhkvm_desktop.cloud.client import ApiError
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.opening import Opening

if TYPE_CHECKING:
    from ovhkvm_desktop.ui.console_window import WindowOptions

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The icon's colours: OVHcloud's blue, darker at the bottom.
ICON_TOP = QColor(0x00, 0x50, 0xD7)
ICON_BOTTOM = QColor(0x00, 0x0E, 0x9C)
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


# -- work off the GUI thread -------------------------------------------------------------------


#: What the app says to do when logging a profile in again fixes an error (a dialog does it).
LOGIN_AGAIN = "log in again (Add account…, with the same profile name)"


def in_words(exc: BaseException, login_again: str = LOGIN_AGAIN) -> str:
    """What went wrong, in one line for the user: our errors are sentences already; when a new
    login fixes it, ``login_again`` says how in the app (nothing when it is "")."""
    if isinstance(exc, ConsoleError):
        text = str(exc).strip()
        if isinstance(exc, ApiError) and exc.login is not None and login_again:
            text += f": {login_again}"
        return text[:1].upper() + text[1:] if text else type(exc).__name__
    return f"Unexpected error ({type(exc).__name__}: {exc})"


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


# -- the icon ----------------------------------------------------------------------------------


def icon_pixmap(size: int) -> QPixmap:
    """The app's icon at ``size`` pixels: a console prompt `>_` on a rounded blue square."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        margin = size * 0.04
        box = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
        gradient = QLinearGradient(box.topLeft(), box.bottomLeft())
        gradient.setColorAt(0.0, ICON_TOP)
        gradient.setColorAt(1.0, ICON_BOTTOM)
        path = QPainterPath()
        path.addRoundedRect(box, size * 0.2, size * 0.2)
        painter.fillPath(path, gradient)
        pen = QPen(QColor("white"), max(1.5, size * 0.09))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)

        def at(x: float, y: float) -> QPointF:
            return QPointF(size * x, size * y)

        painter.drawPolyline([at(0.27, 0.32), at(0.47, 0.5), at(0.27, 0.68)])
        painter.drawLine(at(0.54, 0.69), at(0.75, 0.69))
    finally:
        painter.end()
    return pixmap


def app_icon() -> QIcon:
    """The icon of every window and of the tray, drawn (the project ships no image for it)."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addPixmap(icon_pixmap(size))
    return icon


# -- the app -----------------------------------------------------------------------------------


class DesktopApp(QObject):
    """The main window and, when the desktop has a system tray, the tray icon; quitting closes
    every console. Closing a console window never ends the app."""

    def __init__(self, app: QApplication) -> None:
        super().__init__()
        from ovhkvm_desktop.ui.main_window import MainWindow
        from ovhkvm_desktop.ui.tray import ServerTray

        self.app = app
        self._quit_on_last_window = app.quitOnLastWindowClosed()
        # This object decides when the app ends: with a tray, closing every window keeps it.
        app.setQuitOnLastWindowClosed(False)
        self.window = MainWindow()
        self.window.quit_requested.connect(self.quit)
        self.tray: ServerTray | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = ServerTray(self.window, on_quit=self.quit)
            self.window.tray = self.tray

    def start(self) -> None:
        if self.tray is not None:
            self.tray.show()
        self.window.show()
        self.window.refresh(force=False)

    def quit(self) -> None:
        """Close every console (their sessions end cleanly), then leave Qt's event loop."""
        self.window.quitting = True
        self.window.close_consoles()
        self.window.close()
        if self.tray is not None:
            self.tray.hide()
        self.app.exit(0)

    def restore(self) -> None:
        """Give the QApplication back as it was (it may outlive this app: tests, embedding)."""
        self.app.setQuitOnLastWindowClosed(self._quit_on_last_window)
        if self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
        self.window.deleteLater()


def application() -> QApplication:
    """The running QApplication, created (named, high-DPI ready) when there is none."""
    app = QApplication.instance()
    if app is None:
        QApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication([sys.argv[0] if sys.argv else "ovhkvm-desktop"])
        app.setApplicationName("ovhkvm-desktop")
        app.setDesktopFileName("ovhkvm-desktop")
    assert isinstance(app, QApplication)
    return app


def run_console_window(
    opening: Opening, view: WindowOptions, *, progress: Callable[[str], None]
) -> int:
    """One console window (the `open` command), Qt's event loop until it closes; the exit
    status. ``progress`` hears how connecting goes (the command line prints it)."""
    from ovhkvm_desktop.config import ConfigError, Settings
    from ovhkvm_desktop.ui.console_window import ConsoleWindow, console_config

    config = console_config(opening, view)
    try:
        settings: Settings | None = Settings()
    except ConfigError as exc:
        progress(f"{exc}; the window's choices will not be remembered")
        settings = None
    app = application()
    app.setWindowIcon(app_icon())
    window = ConsoleWindow(opening.source, config, opening.request.options, settings)
    window.bridge.progress.connect(progress)
    ready_file = os.environ.get("OVHKVM_WINDOW_READY_FILE")
    if ready_file:
        # For tests and tools that drive the window from outside (xdotool, screenshots): the X
        # window id, once the console shows its first picture.
        def ready() -> None:
            with open(ready_file, "w") as f:
                f.write(f"{int(window.winId())}\n")

        window.first_frame.connect(ready)
    window.show()
    return int(app.exec())


def run_app() -> int:
    """Start the app and run Qt until it quits; the exit status."""
    app = application()
    app.setWindowIcon(app_icon())
    desktop = DesktopApp(app)
    desktop.start()
    try:
        return int(app.exec())
    finally:
        desktop.restore()
