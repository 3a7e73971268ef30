"""The Settings dialog: the app's defaults (language, a console's scaling, menu key, keyboard
mode, guest system, key delay, clipboard), how the app starts and closes, whether windows keep
their geometry. It edits a ``config.Preferences``; the main window stores it in the one settings
store and applies it."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ovhkvm_desktop.config import MAX_KEY_DELAY_MS, Preferences
from ovhkvm_desktop.keyboard import KeyboardMode
from ovhkvm_desktop.keyboard.layouts import GuestSystem
from ovhkvm_desktop.session import DEFAULT_KEY_DELAY_MS
from ovhkvm_desktop.ui.console_window import guest_labels, mode_labels, scale_labels
from ovhkvm_desktop.ui.framebuffer_view import ScaleMode
from ovhkvm_desktop.ui.text import QT_TRANSLATE_NOOP, PlainLabel

#: Each language in its own name (never translated: a user who cannot read the current language
#: must still find theirs).
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
#: Keys that may open the console menu: keys a guest rarely needs.
MENU_KEYS = ("F8", "F9", "F10", "F12", "Pause", "ScrollLock", "Menu")
#: The menu keys as the user's keyboard names them (the others read the same in French).
KEY_NAMES = {"ScrollLock": QT_TRANSLATE_NOOP("SettingsDialog", "ScrollLock")}


class SettingsDialog(QDialog):
    """``saved`` carries the preferences when the user presses OK."""

    saved = Signal(Preferences)

    def __init__(
        self, preferences: Preferences, *, has_tray: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings — ovhkvm-desktop"))
        self.original = preferences
        layout = QVBoxLayout(self)

        general = QGroupBox(self.tr("The app"))
        form = QFormLayout(general)
        self.language = QComboBox()
        self.language.addItem(self.tr("The system's language"), "")
        for code, name in LANGUAGE_NAMES.items():
            self.language.addItem(name, code)
        form.addRow(self.tr("Language:"), self.language)
        when = PlainLabel(self.tr("A new language shows when the app starts again."))
        when.setEnabled(False)
        form.addRow("", when)
        self.start_hidden = QCheckBox(self.tr("Start hidden in the tray"))
        self.close_to_tray = QCheckBox(self.tr("Closing the window keeps the app in the tray"))
        for box in (self.start_hidden, self.close_to_tray):
            box.setEnabled(has_tray)
            form.addRow(box)
        if not has_tray:
            note = PlainLabel(
                self.tr("This desktop has no tray: closing the window quits the app.")
            )
            note.setWordWrap(True)
            note.setEnabled(False)
            form.addRow(note)
        self.remember_geometry = QCheckBox(self.tr("Remember where the window was and its size"))
        form.addRow(self.remember_geometry)
        layout.addWidget(general)

        consoles = QGroupBox(self.tr("New consoles"))
        form = QFormLayout(consoles)
        self.scale = QComboBox()
        for mode, label in scale_labels().items():
            self.scale.addItem(label, mode.value)
        form.addRow(self.tr("Scaling:"), self.scale)
        self.keyboard = QComboBox()
        for kmode, label in mode_labels().items():
            self.keyboard.addItem(label, kmode.value)
        form.addRow(self.tr("Keyboard mode:"), self.keyboard)
        self.guest = QComboBox()
        for system in GuestSystem:
            self.guest.addItem(guest_labels()[system], system.value)
        form.addRow(self.tr("Guest system:"), self.guest)
        self.menu_key = QComboBox()
        for key in MENU_KEYS:
            self.menu_key.addItem(self.tr(KEY_NAMES.get(key, key)), key)
        form.addRow(self.tr("Console menu key:"), self.menu_key)
        self.key_delay = QSpinBox()
        self.key_delay.setRange(0, int(MAX_KEY_DELAY_MS))
        self.key_delay.setSuffix(self.tr(" ms"))
        self.key_delay.setSpecialValueText(
            self.tr("Default ({delay} ms)").format(delay=f"{DEFAULT_KEY_DELAY_MS:g}")
        )
        self.key_delay.setToolTip(
            self.tr("The pause between keys when the app types text (Type text, Send keys)")
        )
        form.addRow(self.tr("Key delay:"), self.key_delay)
        layout.addWidget(consoles)

        clipboard = QGroupBox(self.tr("Clipboard of a server not yet chosen for"))
        form = QFormLayout(clipboard)
        self.clipboard_send = QCheckBox(self.tr("Send my clipboard to the server"))
        self.clipboard_send.setToolTip(
            self.tr("While its window is active, what you copy goes to the server's clipboard")
        )
        self.clipboard_take = QCheckBox(self.tr("Take the server's clipboard automatically"))
        self.clipboard_take.setToolTip(
            self.tr("While its window is active, what the server copies replaces your clipboard")
        )
        form.addRow(self.clipboard_send)
        form.addRow(self.clipboard_take)
        note = PlainLabel(
            self.tr(
                "Each console's Console menu changes this for its server, and that choice is"
                " remembered. Text that came from one server never goes to another by itself."
            )
        )
        note.setWordWrap(True)
        form.addRow(note)
        layout.addWidget(clipboard)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        restore = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.clicked.connect(lambda _checked=False: self.show_preferences(Preferences()))
        layout.addWidget(self.buttons)
        self.show_preferences(preferences)

    def show_preferences(self, prefs: Preferences) -> None:
        """Set the dialog's widgets to ``prefs``."""
        for combo, value, default in (
            (self.language, prefs.language, ""),
            (self.scale, prefs.scale, ScaleMode.FIT.value),
            (self.keyboard, prefs.keyboard, KeyboardMode.TRANSLATE.value),
            (self.guest, prefs.guest, GuestSystem.AUTO.value),
            (self.menu_key, prefs.menu_key, "F8"),
        ):
            index = combo.findData(value)
            if index < 0 and combo is self.menu_key:
                combo.addItem(value, value)  # a key set by hand in the file: kept
                index = combo.count() - 1
            combo.setCurrentIndex(index if index >= 0 else combo.findData(default))
        delay = prefs.key_delay_ms
        self.key_delay.setValue(0 if delay is None else max(1, round(delay)))
        self.start_hidden.setChecked(prefs.start_hidden)
        self.close_to_tray.setChecked(prefs.close_to_tray)
        self.remember_geometry.setChecked(prefs.remember_geometry)
        self.clipboard_send.setChecked(prefs.clipboard_send)
        self.clipboard_take.setChecked(prefs.clipboard_take)

    def preferences(self) -> Preferences:
        """What the dialog shows now."""
        delay = self.key_delay.value()
        return replace(
            self.original,
            language=str(self.language.currentData()),
            scale=str(self.scale.currentData()),
            keyboard=str(self.keyboard.currentData()),
            guest=str(self.guest.currentData()),
            menu_key=str(self.menu_key.currentData()),
            key_delay_ms=float(delay) if delay else None,
            start_hidden=self.start_hidden.isChecked(),
            close_to_tray=self.close_to_tray.isChecked(),
            remember_geometry=self.remember_geometry.isChecked(),
            clipboard_send=self.clipboard_send.isChecked(),
            clipboard_take=self.clipboard_take.isChecked(),
        )

    def accept(self) -> None:
        self.saved.emit(self.preferences())
        super().accept()
