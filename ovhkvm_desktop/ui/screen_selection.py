"""Copying a console's text: the whole screen or a selection, read off the GUI thread
(screen_text/) and put on the clipboard, with a notice of what was copied.

The framebuffer is written by the session thread; its pixels are copied here, on the GUI thread,
in one numpy copy (a few milliseconds for 1920x1080), and read on a worker thread (about 16 ms
for such a screen), so the window never waits for the reader.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QCoreApplication, QLocale, QObject, Signal

from ovhkvm_desktop.rfb.framebuffer import Framebuffer, Rect
from ovhkvm_desktop.screen_text import UNREADABLE, ScreenText, read_screen
from ovhkvm_desktop.ui.background import Background, in_words
from ovhkvm_desktop.ui.framebuffer_view import FramebufferView
from ovhkvm_desktop.ui.text import QT_TRANSLATE_NOOP

#: What the status bar says when the screen has no text to read (in English: translate it).
NOT_A_TEXT_CONSOLE = QT_TRANSLATE_NOOP(
    "ScreenTextCopier", "This screen is not a text console: nothing copied"
)


def _number(n: int) -> str:
    """``n`` written as the user's language does (1,234 in English, 1 234 in French)."""
    locale = QLocale()
    return (QLocale("en") if locale.language() == QLocale.Language.C else locale).toString(n)


def copied_notice(text: str, unreadable: int) -> str:
    """The status bar's notice after a copy: how many characters went to the clipboard (line
    breaks included: that is what a paste gives) and how many cells could not be read."""
    if not text.strip():
        return QCoreApplication.translate(
            "ScreenTextCopier", "Only blank cells there: nothing copied"
        )
    count, cells = _number(len(text)), _number(unreadable)
    if not unreadable:
        if len(text) == 1:
            return QCoreApplication.translate("ScreenTextCopier", "Copied 1 character")
        return QCoreApplication.translate("ScreenTextCopier", "Copied {count} characters").format(
            count=count
        )
    if unreadable == 1:
        return QCoreApplication.translate(
            "ScreenTextCopier", "Copied {count} characters (1 cell unreadable, shown as {mark})"
        ).format(count=count, mark=UNREADABLE)
    return QCoreApplication.translate(
        "ScreenTextCopier",
        "Copied {count} characters ({cells} cells unreadable, shown as {mark})",
    ).format(count=count, cells=cells, mark=UNREADABLE)


def snapped(screen: ScreenText, area: Rect) -> Rect | None:
    """The whole cells a rectangle of framebuffer pixels touches, in pixels (None when it misses
    the grid): what a selection copies, so what its band shows."""
    c0, r0, c1, r1 = screen.cells_in(*area)
    if c1 <= c0 or r1 <= r0:
        return None
    (cw, ch), (ox, oy) = screen.cell, screen.origin
    return Rect(ox + c0 * cw, oy + r0 * ch, (c1 - c0) * cw, (r1 - r0) * ch)


def snapshot(framebuffer: Framebuffer) -> Framebuffer:
    """A copy of the screen as it is now, which the session thread will not write into.

    One pass over the pixels (a new Framebuffer would clear its own first), and the size taken
    from the copied array: the session thread may be resizing the screen meanwhile."""
    pixels = framebuffer.pixels.copy()
    copy = Framebuffer(1, 1)
    copy.pixels, copy.pixels32 = pixels, pixels.view(np.uint32)[:, :, 0]
    copy.height, copy.width = pixels.shape[:2]
    return copy


class ScreenTextCopier(QObject):
    """Console ▸ Copy screen text and the view's text selection: reads the screen on a worker
    and hands the text to ``put_text`` (the window decides how it reaches the clipboard)."""

    #: What to tell the user in the status bar.
    notice = Signal(str)

    def __init__(
        self,
        view: FramebufferView,
        framebuffer: Callable[[], Framebuffer | None],
        put_text: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._view = view
        self._framebuffer = framebuffer
        self._put_text = put_text
        self._background = Background(self)
        self._selection = 0  # the current selection's number: readings of older ones are late
        self._screen: ScreenText | None = None  # the current selection's reading, once done
        self._released: Rect | None = None  # the selection, released before its reading came
        view.selection_started.connect(self._selection_started)
        view.selection_finished.connect(self._selection_finished)
        view.selection_cancelled.connect(self._selection_cancelled)

    def copy_screen(self) -> None:
        """Read the whole screen and copy its text."""
        self._read(lambda screen: self._copy(screen.text(), len(screen.unreadable), screen))

    def _read(self, then: Callable[[ScreenText], object]) -> bool:
        fb = self._framebuffer()
        if fb is None:
            self.notice.emit(self.tr("No screen yet: nothing copied"))
            return False
        copy = snapshot(fb)
        self._background.run(
            lambda: read_screen(copy),
            then,
            lambda exc: self.notice.emit(
                self.tr("Could not read the screen: {reason}").format(reason=in_words(exc))
            ),
            name="ovhkvm-screen-text",
        )
        return True

    def _copy(self, text: str, unreadable: int, screen: ScreenText) -> None:
        if screen.font is None:
            self.notice.emit(self.tr(NOT_A_TEXT_CONSOLE))
            return
        if text.strip():
            self._put_text(text)
        self.notice.emit(copied_notice(text, unreadable))

    # -- a selection ------------------------------------------------------------------------

    def _selection_started(self) -> None:
        # Read as the drag starts: the band snaps to the cells while it moves, and by the release
        # the text is usually there.
        self._selection += 1
        self._screen = self._released = None
        number = self._selection
        if not self._read(lambda screen: self._selection_read(number, screen)):
            self._view.cancel_selection()

    def _selection_read(self, number: int, screen: ScreenText) -> None:
        if number != self._selection:
            return  # cancelled, or another selection began
        self._screen = screen
        if screen.font is not None:
            self._view.set_selection_snap(lambda area: snapped(screen, area))
        if self._released is not None:
            self._copy_selection(screen, self._released)

    def _selection_finished(self, area: Rect) -> None:
        if self._screen is None:
            self._released = area  # copied when the reading comes
        else:
            self._copy_selection(self._screen, area)

    def _copy_selection(self, screen: ScreenText, area: Rect) -> None:
        self._selection += 1  # this selection is done
        self._copy(screen.text_in(*area), len(screen.unreadable_in(*area)), screen)
        self._screen = self._released = None

    def _selection_cancelled(self) -> None:
        self._selection += 1
        self._screen = self._released = None
