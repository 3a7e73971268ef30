"""Starting Qt: the app that `ovhkvm-desktop` without arguments starts (the main window and the
tray icon), and the one console window of `ovhkvm-desktop open`."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from ovhkvm_desktop.opening import Opening
from ovhkvm_desktop.ui.icon import APP_ID, app_icon
from ovhkvm_desktop.words import _

if TYPE_CHECKING:
    from ovhkvm_desktop.config import Settings
    from ovhkvm_desktop.ui.console_window import WindowOptions
    from ovhkvm_desktop.ui.instance import AppRequest


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
        # Hidden in the tray only when there is a tray to find it in.
        if self.tray is None or not self.window.preferences.start_hidden:
            self.window.show()
        self.window.refresh(force=False)

    def handle(self, request: AppRequest) -> None:
        """A later start's request (ui/instance.py): show the window, or open a console."""
        from ovhkvm_desktop.ui.instance import OPEN

        if request.action == OPEN and request.console is not None:
            self.window.open_request(request.console, request.view)
        else:
            self.window.show_and_raise()

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
        app.setDesktopFileName(APP_ID)
    assert isinstance(app, QApplication)
    return app


def run_console_window(
    opening: Opening, view: WindowOptions, *, progress: Callable[[str], None]
) -> int:
    """One console window (the `open` command), Qt's event loop until it closes; the exit
    status. ``progress`` hears how connecting goes (the command line prints it)."""
    from ovhkvm_desktop.config import ConfigError, Settings
    from ovhkvm_desktop.ui.console_window import ConsoleWindow, console_config

    damaged: ConfigError | None = None
    try:
        settings: Settings | None = Settings()
    except ConfigError as exc:
        settings, damaged = None, exc
    app = application()
    _speak(settings)
    if damaged is not None:
        progress(_("{error}; the window's choices will not be remembered").format(error=damaged))
    config = console_config(opening, view, settings.preferences() if settings else None)
    if settings is not None:
        from ovhkvm_desktop.ui.server_list import recent_of

        recent = recent_of(opening.request, opening.title, settings.default_profile_name())
        if recent is not None:
            with contextlib.suppress(ConfigError):  # said above when the file is damaged
                settings.remember_recent(recent)  # the app's tray lists it
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


def _speak(settings: Settings | None) -> None:
    """The language chosen in the Settings, else the system's (Qt's dialogs too)."""
    from ovhkvm_desktop.ui.language import install_language

    install_language(settings.preferences().language if settings is not None else "")


class _FirstPaint(QObject):
    """Calls ``then`` once, just after ``widget`` first painted."""

    def __init__(self, widget: QWidget, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self._then: Callable[[], None] | None = then

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() is QEvent.Type.Paint and self._then is not None:
            then, self._then = self._then, None
            QTimer.singleShot(0, then)  # once this paint is done
        return False


def _write_ready(path: str, window: QWidget) -> None:
    with open(path, "w") as f:
        f.write(f"{int(window.winId())}\n")


def run_app(progress: Callable[[str], None] | None = None) -> int:
    """Start the app and run Qt until it quits; the exit status. When the app already runs
    (for these settings), it is asked to show its window and this start ends."""
    from ovhkvm_desktop.ui.instance import AppRequest, hand_off

    if hand_off(AppRequest()):  # quick, before Qt's set-up
        if progress is not None:
            progress(_("ovhkvm-desktop is already running: its window is shown"))
        return 0
    app = application()
    from ovhkvm_desktop.ui.instance import claim

    instance = claim(AppRequest())  # again, now under the lock: a start at the same moment
    if instance is None:
        return 0
    from ovhkvm_desktop.config import ConfigError, Settings

    settings: Settings | None = None
    with contextlib.suppress(ConfigError):  # the main window says what is wrong with the file
        settings = Settings()
    _speak(settings)
    app.setWindowIcon(app_icon())
    desktop = DesktopApp(app)
    instance.requested.connect(desktop.handle)
    ready_file = os.environ.get("OVHKVM_WINDOW_READY_FILE")
    if ready_file:
        # For tests and benchmarks (bench/app_start.py): the window id once the main window
        # painted for the first time.
        painted = _FirstPaint(desktop.window, partial(_write_ready, ready_file, desktop.window))
        desktop.window.installEventFilter(painted)
    desktop.start()
    try:
        return int(app.exec())
    finally:
        instance.close()
        desktop.restore()
