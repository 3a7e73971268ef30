"""The app's language: the one chosen in the Settings, else the system's. Qt's own words (its
dialogs' buttons, the file dialog) come from Qt's qtbase translations; the app's own from its
compiled translations in ``TRANSLATIONS_DIR``, when they exist for that language; the messages
made below the windows (errors, the demo console's screen) from the gettext catalogue of
``ovhkvm_desktop.words``, switched to the same language."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from ovhkvm_desktop import words


def _translations() -> Path:
    """The compiled translations: inside the installed package (setup.py's build_py compiles
    them there), or in the checkout's resources/ (an editable install compiles them beside their
    .ts sources; so does tools/update-translations)."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "resources" / "translations"
    return installed if installed.is_dir() else package.parent / "resources" / "translations"


#: Where the app's compiled translations (``ovhkvm-desktop_fr.qm``...) are looked for.
TRANSLATIONS_DIR = _translations()
#: The catalogue's name: its files are ``ovhkvm-desktop_<language>.qm`` (the name the Linux
#: bundle and the AppStream metainfo's ``<translation type="qt">`` give).
APP_CATALOGUE = "ovhkvm-desktop"

_installed: list[QTranslator] = []


def install_language(language: str) -> QLocale:
    """Speak ``language`` ("" : the system's) from now on; the locale used. Translators installed
    before (a language chosen earlier in this process) are removed first."""
    app = QCoreApplication.instance()
    locale = QLocale(language) if language else QLocale.system()
    QLocale.setDefault(locale)
    # The rest of what a window shows (a lower layer's error, the demo console's screen) comes
    # from the gettext catalogue: the same language as Qt's.
    words.install(languages=[name.replace("-", "_") for name in locale.uiLanguages()])
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
