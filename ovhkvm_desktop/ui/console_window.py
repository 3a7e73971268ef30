"""The console window: the remote screen, its toolbar, menus and status bar, for one server.

It paints what the session thread reports and turns the user's intents (keys through the
translator, pointer, clipboard, send keys, type text, resize) into calls on that thread, and copies
the screen's text (screen_selection.py). It never speaks the protocol itself (DESIGN.md, "Layers").
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QLocale,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QStatusBar,
    QStyle,
    QStyleOptionComboBox,
    QToolButton,
    QWidget,
)

from ovhkvm_desktop.config import ConfigError, Preferences, Settings
from ovhkvm_desktop.errors import ConsoleError
from ovhkvm_desktop.keyboard import (
    KeyboardMode,
    KeyStroke,
    KeyTranslator,
    LockState,
    WireKeyEvent,
    text_to_events,
)
from ovhkvm_desktop.keyboard.layouts import GuestSystem, guest_layout_names, layout_descriptions
from ovhkvm_desktop.keyboard.scancodes import XT, AltGrMerger
from ovhkvm_desktop.opening import Opening
from ovhkvm_desktop.rfb import events as ev
from ovhkvm_desktop.rfb.framebuffer import Framebuffer
from ovhkvm_desktop.session import (
    DEFAULT_KEY_DELAY_MS,
    Backoff,
    Capabilities,
    ConnectionState,
    ConsoleSource,
    Phase,
    ServerInfo,
    SessionOptions,
)
from ovhkvm_desktop.targets import ConsoleTarget
from ovhkvm_desktop.ui import send_keys
from ovhkvm_desktop.ui.action_icons import action_icon
from ovhkvm_desktop.ui.clipboard import ConsoleClipboard, mark_from_a_server
from ovhkvm_desktop.ui.framebuffer_view import FramebufferView, ScaleMode
from ovhkvm_desktop.ui.keys import HostKey, key_stroke
from ovhkvm_desktop.ui.overlay import ConnectionOverlay, FullScreenBar
from ovhkvm_desktop.ui.screen_selection import ScreenTextCopier
from ovhkvm_desktop.ui.session_thread import SessionThread
from ovhkvm_desktop.ui.text import PlainLabel
from ovhkvm_desktop.ui.toolbar import FittingToolBar
from ovhkvm_desktop.ui.type_text import TypeTextDialog
from ovhkvm_desktop.words import _

K = TypeVar("K")  # the value an exclusive menu choice stands for

#: Width the status bar keeps for its message (the connection state) before its labels.
_STATUS_TEXT_ROOM = 120


def mode_labels() -> dict[KeyboardMode, str]:
    """The keyboard modes as the user reads them (the window and the Settings dialog)."""
    return {
        KeyboardMode.TRANSLATE: QCoreApplication.translate(
            "ConsoleWindow", "Translate (type what you mean)"
        ),
        KeyboardMode.PHYSICAL: QCoreApplication.translate(
            "ConsoleWindow", "Physical (key positions)"
        ),
        KeyboardMode.KEYSYM: QCoreApplication.translate("ConsoleWindow", "Keysym (Xvnc, x11vnc)"),
    }


def guest_labels() -> dict[GuestSystem, str]:
    """The guest systems as the user reads them (the window and the Settings dialog)."""
    return {
        GuestSystem.AUTO: QCoreApplication.translate(
            "ConsoleWindow", "Unknown: type only what any guest types the same"
        ),
        GuestSystem.CONSOLE: QCoreApplication.translate(
            "ConsoleWindow", "Linux text console (login prompt, rescue shell)"
        ),
        GuestSystem.DESKTOP: QCoreApplication.translate(
            "ConsoleWindow", "Linux desktop (X11, Wayland)"
        ),
    }


def short_names() -> dict[KeyboardMode | GuestSystem, str]:
    """The keyboard modes and guest systems in a word (the status bar's keyboard label)."""
    return {
        KeyboardMode.TRANSLATE: QCoreApplication.translate("ConsoleWindow", "translate"),
        KeyboardMode.PHYSICAL: QCoreApplication.translate("ConsoleWindow", "physical"),
        KeyboardMode.KEYSYM: QCoreApplication.translate("ConsoleWindow", "keysym"),
        GuestSystem.AUTO: QCoreApplication.translate("ConsoleWindow", "unknown guest"),
        GuestSystem.CONSOLE: QCoreApplication.translate("ConsoleWindow", "console"),
        GuestSystem.DESKTOP: QCoreApplication.translate("ConsoleWindow", "desktop"),
    }


def scale_labels() -> dict[ScaleMode, str]:
    """The ways of scaling the remote screen, as the user reads them."""
    return {
        ScaleMode.FIT: QCoreApplication.translate("ConsoleWindow", "Fit to window"),
        ScaleMode.ACTUAL: QCoreApplication.translate("ConsoleWindow", "Actual size"),
        ScaleMode.REMOTE: QCoreApplication.translate("ConsoleWindow", "Resize the remote screen"),
    }


@dataclass(frozen=True)
class ConsoleConfig:
    """How to open one console window."""

    title: str  # the server, as the user names it (no password, no token)
    server_key: str = ""  # what per-server choices are remembered under ("" : nothing)
    layout: str = "us"
    layout_from_user: bool = False  # given on the command line: wins over the remembered one
    mode: KeyboardMode = KeyboardMode.TRANSLATE
    mode_from_user: bool = False
    guest: GuestSystem = GuestSystem.AUTO  # what reads the guest's keyboard (dead keys differ)
    guest_from_user: bool = False
    server_keymap: str = "none"
    extended_keys: bool = True  # use QEMU extended key events when the server offers them
    scale: ScaleMode = ScaleMode.FIT
    view_only: bool = False
    fullscreen: bool = False
    menu_key: str = "F8"
    key_delay_ms: float = DEFAULT_KEY_DELAY_MS
    #: The clipboard's ways for a server never chosen for (the Settings dialog's defaults).
    clipboard_send: bool = False
    clipboard_take: bool = False
    remember_geometry: bool = True  # the window comes back where it was left, per server
    served_here: bool = False  # the app's own demo on loopback: plain RFB that stays here


@dataclass(frozen=True)
class WindowOptions:
    """How the window shows the console (the `open` command's own options); None: the app's
    preference (the Settings dialog's)."""

    fullscreen: bool = False
    view_only: bool = False
    scale: str | None = None
    menu_key: str | None = None


def _choice(enum: type[K], value: str, default: K) -> K:
    """A preference's value as its enum, the default for one this version does not know."""
    try:
        return enum(value)  # type: ignore[call-arg]
    except ValueError:
        return default


def console_config(
    opening: Opening, view: WindowOptions | None = None, preferences: Preferences | None = None
) -> ConsoleConfig:
    """The window's configuration for an opened console: the request's choices, else the app's
    preferences; ``ConsoleError`` for an unknown menu key (checked before anything shows)."""
    view = view or WindowOptions()
    prefs = preferences or Preferences()
    menu_key = view.menu_key
    if menu_key is None:
        menu_key = prefs.menu_key if _known_key(prefs.menu_key) else "F8"
    try:
        _qt_key(menu_key)
    except ValueError as exc:
        raise ConsoleError(str(exc)) from None
    request = opening.request
    scale = view.scale or prefs.scale
    return ConsoleConfig(
        title=opening.title,
        server_key=opening.server_key,
        layout=opening.layout,
        layout_from_user=request.layout is not None,
        mode=request.keyboard or _choice(KeyboardMode, prefs.keyboard, KeyboardMode.TRANSLATE),
        mode_from_user=request.keyboard is not None,
        guest=request.guest or _choice(GuestSystem, prefs.guest, GuestSystem.AUTO),
        guest_from_user=request.guest is not None,
        server_keymap=opening.server_keymap,
        extended_keys=request.extended_keys,
        scale=_choice(ScaleMode, scale, ScaleMode.FIT),
        view_only=view.view_only,
        fullscreen=view.fullscreen,
        menu_key=menu_key,
        key_delay_ms=prefs.key_delay_ms if prefs.key_delay_ms is not None else DEFAULT_KEY_DELAY_MS,
        clipboard_send=prefs.clipboard_send,
        clipboard_take=prefs.clipboard_take,
        remember_geometry=prefs.remember_geometry,
        served_here=request.served_here,
    )


class FittingStatusBar(QStatusBar):
    """A status bar that, in a narrow window, hides its least useful labels rather than
    holding the window wide (a QStatusBar's minimum width is the sum of its labels')."""

    def __init__(self) -> None:
        super().__init__()
        self._labels: list[tuple[int, QLabel]] = []

    def add_label(self, label: QLabel, keep: int) -> None:
        """A permanent label; the higher `keep`, the longer it stays."""
        label.setMinimumWidth(1)
        self.addPermanentWidget(label)
        self._labels.append((keep, label))
        self.fit()

    def fit(self) -> None:
        room = self.width() - _STATUS_TEXT_ROOM
        layout = self.layout()
        spacing = (layout.spacing() if layout is not None else 6) + 8  # gap and label frame
        for _width, label in sorted(self._labels, key=lambda item: -item[0]):
            need = label.sizeHint().width() + spacing
            label.setVisible(need <= room)
            if need <= room:
                room -= need

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()


class ConsoleWindow(QMainWindow):
    """One console: ``ConsoleWindow(target, config, options).show()``."""

    #: The first screen update of a connection has been shown (keys may be typed from now on).
    first_frame = Signal()

    def __init__(
        self,
        target: ConsoleSource | ConsoleTarget,
        config: ConsoleConfig,
        options: SessionOptions | None = None,
        settings: Settings | None = None,
        backoff: Backoff | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.config = self._remembered(config)
        self.setWindowTitle(f"{config.title} — ovhkvm-desktop")
        self._fb: Framebuffer | None = None
        self._info: ServerInfo | None = None
        self._connected = False
        self._ever_connected = False
        self._extended_acked = False
        self._leds: LockState | None = None
        self._sized_once = False
        self._framed = False
        self._dialog: TypeTextDialog | None = None
        self._altgr: AltGrMerger[KeyStroke] | None = (
            AltGrMerger() if sys.platform.startswith("win") else None
        )
        self.translator = self._make_translator()

        self.bridge = SessionThread(target, options, backoff, self)
        self.clipboard = ConsoleClipboard(self, self.bridge.send_clipboard, lambda: self._connected)
        self.view = FramebufferView()
        self.view.menu_key = _qt_key(self.config.menu_key)
        self.view.view_only = self.config.view_only
        self.view.set_scale_mode(self.config.scale)
        self.setCentralWidget(self.view)
        self.overlay = ConnectionOverlay(self.view)
        self.bar = FullScreenBar(self)
        self.screen_text = ScreenTextCopier(
            self.view, lambda: self._fb, self._put_screen_text, self
        )

        self._build_actions()
        self._restore_clipboard_choices()
        self._build_menu()
        self._build_toolbar()
        self._build_status_bar()
        self._build_fullscreen_bar()
        self._connect_signals()

        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(1000)
        self._stats_timer.timeout.connect(self._update_stats)
        self._last_stats = (time.monotonic(), 0, 0)
        self._altgr_timer = QTimer(self)
        self._altgr_timer.setSingleShot(True)
        self._altgr_timer.timeout.connect(self._expire_altgr)
        self.resize(self._initial_size())
        self._restore_geometry()
        self._update_keyboard_labels()
        self._show_state(self.bridge.state)

    # -- construction -----------------------------------------------------------------------

    def _remembered(self, config: ConsoleConfig) -> ConsoleConfig:
        """The command line wins; else what was chosen last time for this server."""
        if self.settings is None or not config.server_key:
            return config
        remembered = self._choices(config.server_key)
        layout = remembered.get("layout")
        mode = remembered.get("keyboard")
        if layout and not config.layout_from_user and layout in guest_layout_names():
            config = replace(config, layout=layout)
        if mode and not config.mode_from_user and mode in list(KeyboardMode):
            config = replace(config, mode=KeyboardMode(mode))
        guest = remembered.get("guest")
        if guest and not config.guest_from_user and guest in list(GuestSystem):
            config = replace(config, guest=GuestSystem(guest))
        return config

    def _choices(self, server_key: str) -> dict[str, str]:
        """What was chosen for this server before (nothing when the settings cannot be read:
        that is said when a choice is made, see ``_remember``)."""
        if self.settings is None or not server_key:
            return {}
        try:
            return self.settings.server_choices(server_key)
        except ConfigError:
            return {}

    def _restore_clipboard_choices(self) -> None:
        """The clipboard's ways for this server, as the user left them; until then, as the user
        chose in the Settings dialog for every server (off unless they did)."""
        choices = self._choices(self.config.server_key)
        for action, name, default in (
            (self.clipboard_out_action, "clipboard_send", self.config.clipboard_send),
            (self.clipboard_in_action, "clipboard_take", self.config.clipboard_take),
        ):
            on = choices[name] == "on" if name in choices else default
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
        self.clipboard.sending = self.clipboard_out_action.isChecked()
        self.clipboard.taking = self.clipboard_in_action.isChecked()

    def _make_translator(self) -> KeyTranslator:
        translator = KeyTranslator(
            self.config.layout,
            self.config.mode,
            self.config.server_keymap,
            self._extended_acked and self.config.extended_keys,
            system=self.config.guest,
        )
        translator.set_leds(self._leds)
        return translator

    def _action(self, text: str, slot: object = None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setCheckable(checkable)
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        return action

    def _build_actions(self) -> None:
        self.send_keys_menu = QMenu(QCoreApplication.translate("ConsoleWindow", "Send keys"), self)
        for combo in (send_keys.CTRL_ALT_DEL, send_keys.CTRL_ALT_BACKSPACE):
            self.send_keys_menu.addAction(self._combo_action(combo))
        fkeys = self.send_keys_menu.addMenu(
            QCoreApplication.translate("ConsoleWindow", "Ctrl+Alt+F1…F12")
        )
        for combo in send_keys.CTRL_ALT_F:
            fkeys.addAction(self._combo_action(combo))
        sysrq = self.send_keys_menu.addMenu(
            QCoreApplication.translate("ConsoleWindow", "Alt+SysRq (magic SysRq)")
        )
        for combo in send_keys.SYSRQ:
            sysrq.addAction(self._combo_action(combo))
        self.send_keys_menu.addSeparator()
        for combo in send_keys.SINGLE:
            self.send_keys_menu.addAction(self._combo_action(combo))
        self.send_keys_menu.addSeparator()
        self.sticky_actions: dict[str, QAction] = {}
        for name in send_keys.STICKY:
            action = self._action(
                QCoreApplication.translate("ConsoleWindow", "Hold {key}").format(key=name),
                checkable=True,
            )
            action.toggled.connect(lambda on, name=name: self._sticky(name, on))
            self.send_keys_menu.addAction(action)
            self.sticky_actions[name] = action

        self.type_text_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Type text…"), self.open_type_text
        )
        self.paste_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Paste as keystrokes…"),
            self.paste_as_keystrokes,
        )
        self.fullscreen_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Full screen"), self.set_fullscreen, True
        )
        self.fullscreen_action.setShortcut(QKeySequence(Qt.Key.Key_F11))
        self.fullscreen_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.view_only_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "View only"), self.set_view_only, True
        )
        self.view_only_action.setChecked(self.config.view_only)
        self.clipboard_out_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Send my clipboard to this server"),
            lambda on: self._clipboard_choice("send", on),
            True,
        )
        self.clipboard_out_action.setToolTip(
            QCoreApplication.translate(
                "ConsoleWindow",
                "While this window is active, what you copy goes to the server's clipboard",
            )
        )
        self.clipboard_in_action = self._action(
            QCoreApplication.translate(
                "ConsoleWindow", "Take this server's clipboard automatically"
            ),
            lambda on: self._clipboard_choice("take", on),
            True,
        )
        self.clipboard_in_action.setToolTip(
            QCoreApplication.translate(
                "ConsoleWindow",
                "While this window is active, what the server copies replaces your clipboard",
            )
        )
        self.clipboard_copy_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Copy the server's clipboard"),
            self.copy_server_clipboard,
        )
        self.clipboard_copy_action.setEnabled(False)
        self.copy_text_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Copy screen text"),
            self.screen_text.copy_screen,
        )
        self.copy_text_action.setToolTip(
            QCoreApplication.translate(
                "ConsoleWindow", "Put the text on the console's screen on your clipboard"
            )
        )
        self.select_text_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Select text to copy"),
            self.view.begin_selection,
        )
        self.select_text_action.setToolTip(
            QCoreApplication.translate(
                "ConsoleWindow",
                "Drag a rectangle over the console: its text goes to your clipboard (Escape"
                " cancels; Ctrl+Shift+drag does it at any time)",
            )
        )
        self.screenshot_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Save screenshot…"), self.save_screenshot
        )
        self.screenshot_clip_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Copy screenshot to clipboard"),
            self.copy_screenshot,
        )
        self.release_pointer_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Release pointer"),
            self.view.release_pointer,
        )
        self.reconnect_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Reconnect"), self.bridge_reconnect
        )
        self.close_action = self._action(
            QCoreApplication.translate("ConsoleWindow", "Close"), self.close
        )

        self.scale_group, self.scale_actions = self._radio_actions(
            scale_labels(),
            self.config.scale,
            self.set_scale_mode,
        )
        self.mode_group, self.mode_actions = self._radio_actions(
            mode_labels(), self.config.mode, self.set_keyboard_mode
        )
        descriptions = layout_names()
        self.layout_group, self.layout_actions = self._radio_actions(
            {name: f"{descriptions.get(name, name)}  ({name})" for name in guest_layout_names()},
            self.config.layout,
            self.set_layout,
        )
        self.guest_group, self.guest_actions = self._radio_actions(
            guest_labels(),
            self.config.guest,
            self.set_guest_system,
        )

    def _radio_actions(
        self, labels: Mapping[K, str], current: K, choose: Callable[[K], object]
    ) -> tuple[QActionGroup, dict[K, QAction]]:
        """A checkable action per choice, exclusive in one group; triggering one calls choose."""
        group = QActionGroup(self)
        actions: dict[K, QAction] = {}
        for value, text in labels.items():
            action = self._action(text, checkable=True)
            action.setActionGroup(group)
            action.setChecked(value == current)
            action.triggered.connect(lambda _checked=False, value=value: choose(value))
            actions[value] = action
        return group, actions

    def _combo_action(self, combo: send_keys.KeyCombo) -> QAction:
        return self._action(combo.title(), lambda: self.send_combo(combo))

    def _build_menu(self) -> None:
        menu = self.console_menu = QMenu(
            QCoreApplication.translate("ConsoleWindow", "Console"), self
        )
        menu.addMenu(self.send_keys_menu)
        menu.addAction(self.type_text_action)
        menu.addAction(self.paste_action)
        menu.addSeparator()
        layouts = menu.addMenu(QCoreApplication.translate("ConsoleWindow", "Guest keyboard layout"))
        for action in self.layout_actions.values():
            layouts.addAction(action)
        systems = menu.addMenu(QCoreApplication.translate("ConsoleWindow", "Guest system"))
        systems.setToolTipsVisible(True)
        for action in self.guest_actions.values():
            action.setToolTip(
                QCoreApplication.translate(
                    "ConsoleWindow",
                    "How accented letters are typed: a text console and a desktop differ",
                )
            )
            systems.addAction(action)
        modes = menu.addMenu(QCoreApplication.translate("ConsoleWindow", "Keyboard mode"))
        for action in self.mode_actions.values():
            modes.addAction(action)
        scale = menu.addMenu(QCoreApplication.translate("ConsoleWindow", "Scaling"))
        for action in self.scale_actions.values():
            scale.addAction(action)
        menu.addAction(self.fullscreen_action)
        menu.addAction(self.view_only_action)
        menu.addSeparator()
        menu.addAction(self.clipboard_copy_action)
        menu.addAction(self.clipboard_out_action)
        menu.addAction(self.clipboard_in_action)
        menu.addAction(self.copy_text_action)
        menu.addAction(self.select_text_action)
        menu.addAction(self.screenshot_action)
        menu.addAction(self.screenshot_clip_action)
        menu.addSeparator()
        menu.addAction(self.release_pointer_action)
        menu.addAction(self.reconnect_action)
        menu.addAction(self.close_action)
        menu.aboutToShow.connect(
            lambda: self.release_pointer_action.setEnabled(self.view.pointer_captured)
        )
        # The window's own shortcuts work while the view has the focus only through actions
        # added to the window.
        self.addAction(self.fullscreen_action)

    def _layout_combo(self) -> QComboBox:
        combo = QComboBox()
        combo.setToolTip(
            QCoreApplication.translate(
                "ConsoleWindow", "The guest's keyboard layout (what the server's system uses)"
            )
        )
        descriptions = layout_names()
        for name in guest_layout_names():
            combo.addItem(f"{name} — {descriptions.get(name, name)}", name)
        combo.setCurrentIndex(max(0, combo.findData(self.config.layout)))
        _compact(combo)
        combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        combo.activated.connect(lambda index: self.set_layout(combo.itemData(index)))
        return combo

    def _menu_button(self, text: str, menu: QMenu) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def _build_toolbar(self) -> None:
        bar = self.toolbar = FittingToolBar(QCoreApplication.translate("ConsoleWindow", "Console"))
        bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        caption = bar.addWidget(
            PlainLabel(QCoreApplication.translate("ConsoleWindow", " Guest layout "))
        )
        self.layout_combo = self._layout_combo()
        bar.addWidget(self.layout_combo)
        self.mode_combo = QComboBox()
        self.mode_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for kmode, text in mode_labels().items():
            self.mode_combo.addItem(text, kmode.value)
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(self.config.mode.value))
        _compact(self.mode_combo)
        self.mode_combo.activated.connect(
            lambda i: self.set_keyboard_mode(KeyboardMode(self.mode_combo.itemData(i)))
        )
        mode_choice = bar.addWidget(self.mode_combo)
        bar.addSeparator()
        bar.addWidget(
            self._menu_button(
                QCoreApplication.translate("ConsoleWindow", "Send keys"), self.send_keys_menu
            )
        )
        bar.addAction(self.type_text_action)
        bar.addAction(self.paste_action)
        bar.addSeparator()
        self.scale_combo = QComboBox()
        self.scale_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for mode, action in self.scale_actions.items():
            self.scale_combo.addItem(action.text(), mode.value)
        self.scale_combo.setCurrentIndex(self.scale_combo.findData(self.config.scale.value))
        _compact(self.scale_combo)
        self.scale_combo.activated.connect(
            lambda i: self.set_scale_mode(ScaleMode(self.scale_combo.itemData(i)))
        )
        scale_choice = bar.addWidget(self.scale_combo)
        bar.addAction(self.view_only_action)
        bar.addAction(self.screenshot_action)
        bar.addAction(self.fullscreen_action)
        menu_text = QCoreApplication.translate("ConsoleWindow", "Menu ({key})").format(
            key=self.config.menu_key
        )
        bar.addWidget(self._menu_button(menu_text, self.console_menu))
        # Room for the whole texts of the choices: these three show their picture only (their
        # names are their tooltips, and the Console menu's entries).
        for action, icon in (
            (self.paste_action, "edit-paste"),
            (self.screenshot_action, "camera-photo"),
            (self.fullscreen_action, "view-fullscreen"),
        ):
            action.setIcon(action_icon(icon))
            button = bar.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for button in bar.findChildren(QToolButton):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Short of room, the caption goes first (the selector's tooltip says what it is), then
        # the scaling and the keyboard mode's choices (the Menu offers both).
        bar.give_way(caption, scale_choice, mode_choice)
        self.addToolBar(bar)

    def _build_status_bar(self) -> None:
        status = self.status_bar = FittingStatusBar()
        self.setStatusBar(status)
        self.state_label = PlainLabel()
        self.size_label = PlainLabel(QCoreApplication.translate("ConsoleWindow", "–"))
        self.encoding_label = PlainLabel(QCoreApplication.translate("ConsoleWindow", "–"))
        self.fps_label = PlainLabel(QCoreApplication.translate("ConsoleWindow", "0 fps"))
        self.rate_label = PlainLabel(QCoreApplication.translate("ConsoleWindow", "0 kB/s"))
        self.rtt_label = PlainLabel(QCoreApplication.translate("ConsoleWindow", "RTT –"))
        self.caps_label = PlainLabel(QCoreApplication.translate("ConsoleWindow", "Caps"))
        self.num_label = PlainLabel(QCoreApplication.translate("ConsoleWindow", "Num"))
        self.keyboard_label = PlainLabel()
        self.security_label = PlainLabel(QCoreApplication.translate("ConsoleWindow", "Unencrypted"))
        self.security_label.setToolTip(
            QCoreApplication.translate(
                "ConsoleWindow",
                "This console is plain VNC, without TLS: what you type (passwords too) crosses"
                " the network unencrypted",
            )
        )
        self.security_label.setStyleSheet(
            "color: white; background: #b3261e; padding: 0 4px; border-radius: 2px;"
        )
        self.security_label.hide()
        self.encrypted: bool | None = None  # known once connected
        status.addWidget(self.security_label)
        status.addWidget(self.state_label, 1)
        self.state_label.setMinimumWidth(1)  # long reasons are cut, not the window widened
        # In order on the bar; when the window is narrow the least useful go first.
        for label, keep in (
            (self.size_label, 4),
            (self.encoding_label, 2),
            (self.fps_label, 3),
            (self.rate_label, 1),
            (self.rtt_label, 0),
            (self.caps_label, 5),
            (self.num_label, 5),
            (self.keyboard_label, 6),
        ):
            status.add_label(label, keep)
        self._show_leds(None)

    def _build_fullscreen_bar(self) -> None:
        bar = self.bar
        bar.title.setText(self.config.title)
        self.bar_layout_combo = self._layout_combo()
        bar.add(self.bar_layout_combo)
        bar.add(
            self._menu_button(
                QCoreApplication.translate("ConsoleWindow", "Send keys"), self.send_keys_menu
            )
        )
        type_button = QToolButton()
        type_button.setDefaultAction(self.type_text_action)
        bar.add(type_button)
        bar.add(
            self._menu_button(
                QCoreApplication.translate("ConsoleWindow", "Menu"), self.console_menu
            )
        )
        leave = QToolButton()
        leave.setText(QCoreApplication.translate("ConsoleWindow", "Leave full screen"))
        leave.clicked.connect(lambda: self.set_fullscreen(False))
        bar.add(leave)
        for button in bar.findChildren(QToolButton):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def _connect_signals(self) -> None:
        b = self.bridge
        b.connected.connect(self._on_connected)
        b.frame.connect(self._on_frame)
        b.resized.connect(self._on_resized)
        b.cursor_changed.connect(self.view.set_remote_cursor)
        b.bell.connect(self.view.flash)
        b.clipboard.connect(self._on_server_clipboard)
        self.clipboard.server_text_waiting.connect(self._on_server_text_waiting)
        b.leds.connect(self._on_leds)
        b.pointer_mode.connect(lambda absolute: self.view.set_relative(not absolute))
        b.capabilities.connect(self._on_capabilities)
        b.resize_refused.connect(self._on_resize_refused)
        b.progress.connect(self._on_progress)
        b.state_changed.connect(self._show_state)
        b.typing_progress.connect(self._on_typing_progress)
        b.typing_finished.connect(self._on_typing_finished)
        v = self.view
        v.key.connect(self.handle_key)
        v.pointer.connect(self._on_pointer)
        v.focus_lost.connect(self.release_all_keys)
        v.menu_requested.connect(self.open_console_menu)
        v.fullscreen_requested.connect(lambda: self.set_fullscreen(not self.isFullScreen()))
        v.top_edge.connect(self._on_top_edge)
        v.remote_size_wanted.connect(self.bridge.set_desktop_size)
        self.screen_text.notice.connect(lambda text: self.statusBar().showMessage(text, 5000))
        o = self.overlay
        o.reconnect_clicked.connect(self.bridge_reconnect)
        o.cancel_clicked.connect(self.bridge.cancel_reconnect)
        o.close_clicked.connect(self.close)

    # -- lifetime ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start connecting (``show()`` does it too)."""
        if self.bridge.state.phase is Phase.CONNECTING and not self._stats_timer.isActive():
            self.bridge.start()
            self._stats_timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.start()
        if self.config.fullscreen and not self.isFullScreen():
            QTimer.singleShot(0, lambda: self.set_fullscreen(True))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.overlay.isVisible():
            self.overlay.setGeometry(self.view.rect())

    def _restore_geometry(self) -> None:
        """Where the window of this server was left, and its size (then the remote screen's
        size no longer decides it)."""
        if not self.config.remember_geometry:
            return
        saved = self._choices(self.config.server_key).get("geometry")
        if saved:
            with contextlib.suppress(ValueError, UnicodeEncodeError):
                if self.restoreGeometry(QByteArray.fromBase64(saved.encode("ascii"))):
                    self._sized_once = True

    def _save_geometry(self) -> None:
        if self.config.remember_geometry and not self.isFullScreen() and self._ever_connected:
            value = bytes(self.saveGeometry().toBase64().data()).decode("ascii")
            if self._choices(self.config.server_key).get("geometry") != value:
                self._remember(geometry=value)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_geometry()
        self.clipboard.close()
        self._stats_timer.stop()
        if self._dialog is not None:
            self._dialog.close()
        self.bridge.stop()
        super().closeEvent(event)

    def bridge_reconnect(self) -> None:
        self.bridge.reconnect_now()

    # -- what the session reports -----------------------------------------------------------

    def _on_connected(self, info: ServerInfo, fb: Framebuffer, encrypted: bool) -> None:
        self._info = info
        self.encrypted = encrypted
        self.security_label.setVisible(self._exposed)
        self._fb = fb
        self._connected = True
        self._framed = False
        self._ever_connected = True
        self._extended_acked = False
        self.view.remote_resize = False
        self.clipboard.connection_changed()
        self.translator = self._make_translator()
        self.view.set_framebuffer(fb)
        self.bar.title.setText(self._bar_title())
        if info.name:
            self.setWindowTitle(f"{info.name} ({self.config.title}) — ovhkvm-desktop")
        self._show_size()
        self._fit_window()

    @property
    def _exposed(self) -> bool:
        """Whether what the user types crosses a network unencrypted (a plain console that is
        not the app's own demo)."""
        return self.encrypted is False and not self.config.served_here

    def _bar_title(self) -> str:
        """The full-screen bar's title: the server, and a warning when nothing is encrypted."""
        name = self._info.name if self._info is not None else ""
        title = f"{name} — {self.config.title}" if name else self.config.title
        if self._exposed:
            return QCoreApplication.translate(
                "ConsoleWindow", "{title} — unencrypted console"
            ).format(title=title)
        return title

    def _on_frame(self) -> None:
        self.view.update_rects(self.bridge.take_dirty())
        if not self._framed and self._connected:
            self._framed = True
            self.first_frame.emit()

    def _on_resized(self, width: int, height: int) -> None:
        if self._fb is not None:
            self.view.set_framebuffer(self._fb)
        self._show_size()
        if self.view.scale_mode is not ScaleMode.REMOTE:
            self._fit_window()

    def _on_server_clipboard(self, text: str) -> None:
        self.clipboard.from_server(text)

    def _on_server_text_waiting(self, waiting: bool) -> None:
        self.clipboard_copy_action.setEnabled(waiting)
        if waiting:
            self.statusBar().showMessage(
                QCoreApplication.translate(
                    "ConsoleWindow",
                    "The server copied a text: Console ▸ Copy the server's clipboard",
                ),
                8000,
            )

    def copy_server_clipboard(self) -> None:
        if self.clipboard.copy_server_text():
            self.statusBar().showMessage(
                QCoreApplication.translate(
                    "ConsoleWindow", "The server's clipboard is on your clipboard"
                ),
                3000,
            )

    def _clipboard_choice(self, which: str, on: bool) -> None:
        if which == "send":
            self.clipboard.sending = on
            self.clipboard.offer_local()
        else:
            self.clipboard.taking = on
        self._remember(**{f"clipboard_{which}": "on" if on else "off"})

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self.clipboard.offer_local()  # what the user copied while elsewhere

    def _on_leds(self, leds: ev.LedState) -> None:
        self._leds = LockState(caps=leds.caps_lock, num=leds.num_lock, scroll=leds.scroll_lock)
        self.translator.set_leds(self._leds)
        self._show_leds(self._leds)

    def _on_capabilities(self, capabilities: Capabilities) -> None:
        if capabilities.extended_keys and not self._extended_acked:
            self._extended_acked = True
            self.translator.extended_keys = self.config.extended_keys
        if capabilities.remote_resize and not self.view.remote_resize:
            self.view.remote_resize = True  # the view asks, if it follows the window

    def _on_resize_refused(self, reason: str) -> None:
        self.statusBar().showMessage(
            QCoreApplication.translate(
                "ConsoleWindow", "The server kept its screen size ({reason})"
            ).format(reason=reason),
            5000,
        )

    def _on_progress(self, message: str) -> None:
        self.statusBar().showMessage(message[:1].upper() + message[1:], 10000)

    def _show_state(self, state: ConnectionState) -> None:
        was_connected = self._connected
        self._connected = state.phase is Phase.CONNECTED
        if was_connected and not self._connected:
            self.view.release_pointer()
            self.view.remote_resize = False  # until the next connection's server says so
            self.translator = self._make_translator()  # the guest let go of everything
            self._uncheck_sticky()
        self.overlay.show_state(state, self._ever_connected)
        words = {
            Phase.CONNECTING: QCoreApplication.translate("ConsoleWindow", "Connecting…"),
            Phase.CONNECTED: QCoreApplication.translate("ConsoleWindow", "Connected"),
            Phase.WAITING: QCoreApplication.translate("ConsoleWindow", "Disconnected"),
            Phase.STOPPED: QCoreApplication.translate("ConsoleWindow", "Closed"),
        }
        text = words[state.phase]
        if state.phase is Phase.WAITING and state.reason:
            text = QCoreApplication.translate("ConsoleWindow", "Disconnected: {reason}").format(
                reason=state.reason
            )
        self.state_label.setText(text)

    # -- keyboard ---------------------------------------------------------------------------

    def handle_key(self, key: HostKey) -> None:
        """A key from the view: through the translator to the guest."""
        if not key.down and key.auto_repeat:
            return  # X11 auto-repeat comes as release+press pairs: only the presses count
        if self.view.view_only or not self._connected:
            return
        stroke = key_stroke(key)
        if self._altgr is not None:
            strokes = self._altgr.feed(stroke.down, stroke.scancode, _now_ms(), stroke)
            self._altgr_timer.start(60)
        else:
            strokes = [stroke]
        for item in strokes:
            self.bridge.send_keys(self.translator.key(item))
        if self.translator.unsupported:
            self._say_untypable(self.translator.unsupported)
            self.translator.unsupported.clear()

    def _say_untypable(self, chars: list[str]) -> None:
        listed = " ".join(repr(c) for c in dict.fromkeys(chars))
        if self.config.guest is GuestSystem.AUTO:
            text = QCoreApplication.translate(
                "ConsoleWindow",
                "Cannot type {characters} with the {layout} layout on an unknown guest system:"
                " choose it in Console ▸ Guest system",
            )
        else:
            text = QCoreApplication.translate(
                "ConsoleWindow", "Cannot type {characters} with the {layout} layout"
            )
        text = text.format(characters=listed, layout=self.config.layout)
        self.statusBar().showMessage(text, 8000)

    def _expire_altgr(self) -> None:
        if self._altgr is not None:
            for stroke in self._altgr.expire(_now_ms()):
                self.bridge.send_keys(self.translator.key(stroke))

    def release_all_keys(self) -> None:
        """Let go of every key the guest holds from us (focus lost, mode change...)."""
        if self._altgr is not None:
            for stroke in self._altgr.flush():
                self.translator.key(stroke)
        events = self.translator.release_all()
        self._uncheck_sticky()
        if self._connected:
            self.bridge.send_keys(events)

    def _uncheck_sticky(self) -> None:
        for action in self.sticky_actions.values():
            action.blockSignals(True)
            action.setChecked(False)
            action.blockSignals(False)

    def _sticky(self, name: str, down: bool) -> None:
        key_name, keysym_name = send_keys.STICKY[name]
        from ovhkvm_desktop.keyboard import keysyms

        stroke = KeyStroke(down, XT[key_name], keysyms.by_name(keysym_name))
        events = self.translator.key(stroke)
        if self._connected:
            self.bridge.send_keys(events)

    def send_combo(self, combo: send_keys.KeyCombo) -> None:
        if self.view.view_only or not self._connected:
            return
        translator = send_keys.physical_translator(
            self.config.layout,
            self.config.server_keymap,
            self._extended_acked and self.config.extended_keys,
        )
        events = send_keys.combo_events(translator, combo)
        self.bridge.type_events(events, self.config.key_delay_ms / 1000, report=False)

    def set_layout(self, name: str) -> None:
        self._change_keyboard({"layout": name}, layout=name)

    def set_guest_system(self, system: GuestSystem) -> None:
        self._change_keyboard({"guest": system.value}, guest=system)

    def set_keyboard_mode(self, mode: KeyboardMode) -> None:
        self._change_keyboard({"keyboard": mode.value}, mode=mode)

    def _change_keyboard(self, remembered: dict[str, str], **changes: object) -> None:
        """Apply a keyboard choice: keys up, a new translator, remembered for this server."""
        if all(getattr(self.config, name) == value for name, value in changes.items()):
            return
        self.release_all_keys()
        self.config = replace(self.config, **changes)  # type: ignore[arg-type]
        self.translator = self._make_translator()
        self._remember(**remembered)
        self._update_keyboard_labels()

    def _remember(self, **values: str) -> None:
        if self.settings is not None and self.config.server_key:
            try:
                self.settings.remember_server_choices(self.config.server_key, **values)
            except ConfigError as exc:
                self.statusBar().showMessage(
                    QCoreApplication.translate("ConsoleWindow", "Not remembered: {reason}").format(
                        reason=exc
                    ),
                    8000,
                )

    def _update_keyboard_labels(self) -> None:
        layout, mode = self.config.layout, self.config.mode
        for combo in (self.layout_combo, self.bar_layout_combo):
            combo.setCurrentIndex(max(0, combo.findData(layout)))
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(mode.value))
        if layout in self.layout_actions:
            self.layout_actions[layout].setChecked(True)
        self.mode_actions[mode].setChecked(True)
        self.guest_actions[self.config.guest].setChecked(True)
        names = short_names()
        guest = "" if self.config.guest is GuestSystem.AUTO else f" · {names[self.config.guest]}"
        self.keyboard_label.setText(f"{layout} · {names[mode]}{guest}")
        self.status_bar.fit()
        self.keyboard_label.setToolTip(
            QCoreApplication.translate(
                "ConsoleWindow",
                "Guest layout {layout}, keyboard mode {mode}, guest system: {guest}",
            ).format(layout=layout, mode=names[mode], guest=guest_labels()[self.config.guest])
        )
        if self._dialog is not None:
            self._dialog.set_layout_name(layout, self._untypeable)

    def open_console_menu(self) -> None:
        self.release_all_keys()
        center = self.view.mapToGlobal(self.view.rect().center())
        hint = self.console_menu.sizeHint()
        self.console_menu.popup(center - QPoint(hint.width() // 2, hint.height() // 2))

    # -- type text --------------------------------------------------------------------------

    def type_text_dialog(self) -> TypeTextDialog:
        if self._dialog is None:
            dialog = TypeTextDialog(self.config.layout, self._untypeable, self)
            dialog.type_requested.connect(self.type_text)
            dialog.cancel_requested.connect(self.bridge.cancel_typing)
            self._dialog = dialog
        return self._dialog

    def open_type_text(self) -> None:
        dialog = self.type_text_dialog()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def paste_as_keystrokes(self) -> None:
        dialog = self.type_text_dialog()
        dialog.set_text(QGuiApplication.clipboard().text())
        self.open_type_text()

    def _typed(self, text: str) -> tuple[list[WireKeyEvent], list[str]]:
        typed = text_to_events(
            text,
            self.translator.layout,
            mode=self.config.mode,
            server_keymap=self.config.server_keymap,
            extended_keys=self._extended_acked and self.config.extended_keys,
            leds=self._leds,
        )
        return typed.events, typed.unsupported

    def _untypeable(self, text: str) -> list[str]:
        return self._typed(text)[1]

    def type_text(self, text: str) -> None:
        """Type a text into the guest, paced; progress goes to the dialog."""
        if not self._connected or self.view.view_only:
            return
        events, _untypable = self._typed(text)
        self.release_all_keys()
        self.bridge.type_events(events, self.config.key_delay_ms / 1000)
        if self._dialog is not None:
            self._dialog.typing_started(len(events))

    def _on_typing_progress(self, done: int, total: int) -> None:
        if self._dialog is not None:
            self._dialog.set_progress(done, total)

    def _on_typing_finished(self, cancelled: bool) -> None:
        if self._dialog is not None and self._dialog.typing:
            self._dialog.typing_finished(cancelled)

    # -- pointer, scaling, full screen ------------------------------------------------------

    def _on_pointer(self, buttons: int, x: int, y: int) -> None:
        if self._connected and not self.view.view_only:
            self.bridge.pointer(buttons, x, y)

    def set_scale_mode(self, mode: ScaleMode) -> None:
        self.view.set_scale_mode(mode)
        self.scale_actions[mode].setChecked(True)
        self.scale_combo.setCurrentIndex(self.scale_combo.findData(mode.value))
        if mode is ScaleMode.ACTUAL:
            self._fit_window()

    def set_view_only(self, on: bool) -> None:
        if on:
            self.release_all_keys()
        self.view.view_only = on
        if self.view_only_action.isChecked() != on:
            self.view_only_action.setChecked(on)

    def set_fullscreen(self, on: bool) -> None:
        if on == self.isFullScreen():
            self.fullscreen_action.setChecked(on)
            return
        self.release_all_keys()
        self.toolbar.setVisible(not on)
        self.statusBar().setVisible(not on)
        if on:
            handle = self.windowHandle()
            if handle is not None and self.screen() is not None:
                handle.setScreen(self.screen())  # the monitor the window is on
            self.showFullScreen()
            self.view.setFocus()
            self.view.grabKeyboard()  # Alt+Tab, Super... reach the guest
        else:
            self.view.releaseKeyboard()
            self.bar.slide_out()
            self.showNormal()
        self.fullscreen_action.setChecked(on)

    def _on_top_edge(self) -> None:
        if self.isFullScreen():
            self.bar.slide_in()

    def _initial_size(self) -> QSize:
        screen = self.screen()
        if screen is None:
            return QSize(1024, 768)
        avail = screen.availableGeometry().size()
        return QSize(min(1024, avail.width()), min(768 + 80, avail.height()))

    def _fit_window(self) -> None:
        """Show the whole remote screen one to one when the monitor has room (else fit it)."""
        if self._fb is None or self.isFullScreen() or self.isMaximized():
            return
        if self._sized_once and self.view.scale_mode is ScaleMode.FIT:
            return
        first = not self._sized_once
        self._sized_once = True
        screen = self.screen()
        if screen is None:
            return
        avail = screen.availableGeometry()
        frame_extra = self.frameGeometry().size() - self.size()
        chrome = self.size() - self.view.viewport().size()
        want = QSize(self._fb.width, self._fb.height) + chrome
        room = avail.size() - frame_extra
        if want.width() <= room.width() and want.height() <= room.height():
            if first and self.view.scale_mode is not ScaleMode.REMOTE:
                # As wide as the toolbar's controls need, where the monitor has room (a narrow
                # remote screen shows centred, rather than the toolbar losing its controls;
                # a remote screen that follows the window is left the size it has).
                toolbar = self.toolbar.full_width() + self.width() - self.toolbar.width()
                want.setWidth(max(want.width(), min(toolbar, room.width())))
            self.resize(want)
        else:
            # Too large: as large as the monitor allows, keeping the screen's aspect.
            scale = min(
                (room.width() - chrome.width()) / self._fb.width,
                (room.height() - chrome.height()) / self._fb.height,
            )
            self.resize(QSize(int(self._fb.width * scale), int(self._fb.height * scale)) + chrome)
        geometry = self.frameGeometry()
        if not avail.contains(geometry):
            self.move(
                max(avail.left(), min(geometry.left(), avail.right() - geometry.width())),
                max(avail.top(), min(geometry.top(), avail.bottom() - geometry.height())),
            )

    # -- screenshots ------------------------------------------------------------------------

    def screenshot(self) -> QImage | None:
        """A copy of the remote screen as it is now."""
        image = self.view.image
        return image.copy() if image is not None else None

    def save_screenshot(self) -> None:
        image = self.screenshot()
        if image is None:
            return
        name = (self._info.name if self._info else "") or "console"
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path, _filter = QFileDialog.getSaveFileName(
            self,
            QCoreApplication.translate("ConsoleWindow", "Save screenshot"),
            f"{_safe(name)}-{stamp}.png",
            QCoreApplication.translate("ConsoleWindow", "PNG images (*.png)"),
        )
        if path:
            if not image.save(path, b"PNG"):
                self.statusBar().showMessage(
                    QCoreApplication.translate("ConsoleWindow", "Could not write {path}").format(
                        path=path
                    ),
                    5000,
                )
            else:
                self.statusBar().showMessage(
                    QCoreApplication.translate("ConsoleWindow", "Saved {path}").format(path=path),
                    3000,
                )

    def copy_screenshot(self) -> None:
        image = self.screenshot()
        if image is not None:
            QGuiApplication.clipboard().setImage(image)
            self.statusBar().showMessage(
                QCoreApplication.translate("ConsoleWindow", "Screenshot copied to the clipboard"),
                3000,
            )

    def _put_screen_text(self, text: str) -> None:
        """Text read off the screen goes to the clipboard, known as a server's: it came from the
        server as surely as its clipboard does (a generated password, a log line), so the rule
        that no server's text goes to another server automatically holds for it too (the user
        types it into another console with Paste as keystrokes), and it is not echoed back to
        this server's clipboard when sending is on."""
        mark_from_a_server(text)
        QGuiApplication.clipboard().setText(text)

    # -- the status bar ---------------------------------------------------------------------

    def _show_size(self) -> None:
        if self._fb is not None:
            self.size_label.setText(f"{self._fb.width}×{self._fb.height}")

    def _show_leds(self, leds: LockState | None) -> None:
        for label, on in (
            (self.caps_label, leds.caps if leds else None),
            (self.num_label, leds.num if leds else None),
        ):
            if on is None:
                label.setStyleSheet("color: gray;")
            else:
                label.setStyleSheet(
                    "color: black; background: #ffd54f; padding: 0 3px;" if on else "color: gray;"
                )

    def _update_stats(self) -> None:
        now = time.monotonic()
        traffic = self.bridge.traffic
        then, frames, received = self._last_stats
        elapsed = max(1e-3, now - then)
        fps = (self.view.frames_painted - frames) / elapsed
        rate = (traffic.bytes_received - received) / elapsed / 1024
        self._last_stats = (now, self.view.frames_painted, traffic.bytes_received)
        self.fps_label.setText(f"{fps:.0f} fps")
        self.rate_label.setText(f"{rate:.0f} kB/s")
        rtt = traffic.rtt_ms
        self.rtt_label.setText(
            QCoreApplication.translate("ConsoleWindow", "RTT {ms} ms").format(ms=f"{rtt:.1f}")
            if rtt is not None
            else QCoreApplication.translate("ConsoleWindow", "RTT –")
        )
        self.status_bar.fit()
        if traffic.encoding is not None:
            self.encoding_label.setText(traffic.encoding)


def layout_names() -> dict[str, str]:
    """The guest layouts' names in the app's language (xkeyboard-config's own translations)."""
    return layout_descriptions(QLocale().name())


def _compact(combo: QComboBox) -> None:
    """A combo box as wide as its current choice's whole text (not as its longest item's, which
    would make the window wide, nor narrower, which would cut the choice: "Translate (type w"),
    its list as wide as its longest item."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(1)
    metrics = combo.fontMetrics()
    widest = max(
        (metrics.horizontalAdvance(combo.itemText(i)) for i in range(combo.count())), default=0
    )
    scroll_bar = combo.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    combo.view().setMinimumWidth(widest + 2 * scroll_bar)
    combo.currentIndexChanged.connect(lambda _index: _fit_current(combo))
    _fit_current(combo)


def _fit_current(combo: QComboBox) -> None:
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    text = combo.fontMetrics().horizontalAdvance(combo.currentText())
    # The style adds the arrow, the frame and the margins around the text it is given.
    size = combo.style().sizeFromContents(
        QStyle.ContentsType.CT_ComboBox,
        option,
        QSize(text + combo.fontMetrics().averageCharWidth(), combo.fontMetrics().height()),
        combo,
    )
    combo.setFixedWidth(size.width())


def _known_key(name: str) -> bool:
    return getattr(Qt.Key, f"Key_{name}", None) is not None


def _qt_key(name: str) -> Qt.Key:
    key = getattr(Qt.Key, f"Key_{name}", None)
    if key is None:
        raise ValueError(
            _("unknown key {name} (use a Qt key name such as F8, Pause, ScrollLock)").format(
                name=repr(name)
            )
        )
    return key


def _now_ms() -> float:
    return time.monotonic() * 1000


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:60] or "console"
