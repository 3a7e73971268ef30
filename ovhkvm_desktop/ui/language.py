"""The app's language: the one chosen in the Settings, else the system's. Qt's own words (its
dialogs' buttons, the file dialog) come from Qt's qtbase translations; the app's own from its
compiled translations in ``TRANSLATIONS_DIR``, when they exist for that language."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

#: Where the app's compiled translations (``ovhkvm_desktop_fr.qm``...) are looked for.
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "resources" / "translations"
APP_CATALOGUE = "ovhkvm_desktop"

_installed: list[QTranslator] = []


def install_language(language: str) -> QLocale:
    """Speak ``language`` ("" : the system's) from now on; the locale used. Translators installed
    before (a language chosen earlier in this process) are removed first."""
    app = QCoreApplication.instance()
    locale = QLocale(language) if language else QLocale.system()
    QLocale.setDefault(locale)
    if app is None:
        return locale
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for catalogue, directory in (("qtbase", qt_dir), (APP_CATALOGUE, str(TRANSLATIONS_DIR))):
        translator = QTranslator(app)
        if translator.load(locale, catalogue, "_", directory):
            app.installTranslator(translator)
            _installed.append(translator)
    return locale
