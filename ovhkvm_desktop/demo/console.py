"""The demo guest: a Linux-like text console with a shell prompt, typed into with key presses.

It ties the keyboard (``ConsoleKeyboard``: keys → characters through the guest layout) to the
screen (``TextScreen``) with a line editor: characters are echoed after the prompt, Backspace
rubs one out, Enter starts a new prompt, Ctrl+C abandons the line, Ctrl+U erases it, Ctrl+L
clears the screen. ``typed`` keeps everything the console received as text (Enter as ``\\n``),
which is what the tests compare with what was sent.
"""

from __future__ import annotations

from collections.abc import Callable

from ovhkvm_desktop.demo.keyboard import ConsoleKeyboard
from ovhkvm_desktop.demo.screen import GREEN, GREY, WHITE, TextScreen
from ovhkvm_desktop.keyboard.layouts import GuestSystem, layout_descriptions, load_layout
from ovhkvm_desktop.words import _, language

PROMPT = "root@demo:~# "  # a shell's, in every language
#: The most characters one line holds (what a shell's line would be cut at); more are dropped.
MAX_LINE = 512
#: The most characters ``typed`` keeps (the oldest are forgotten).
MAX_TYPED = 1 << 16


def banner(layout: str) -> list[str]:
    description = layout_descriptions(language()).get(layout, layout)
    # Lines of at most 80 characters, in the font's Latin-1 (the demo guest speaks the user's
    # language, like a console whose system was installed in it).
    return [
        _("ovhkvm-desktop demo console"),
        _("Guest keyboard layout: {description} ({layout})").format(
            description=description, layout=layout
        ),
        _("Served by the app itself, on loopback. Type anything: see what the guest gets."),
        "",
    ]


class DemoConsole:
    """One text console: ``press``/``release`` XT scancodes; it draws on ``screen``."""

    def __init__(self, layout: str = "fr", columns: int = 80, rows: int = 25) -> None:
        self.layout_name = layout
        self.keyboard = ConsoleKeyboard(load_layout(layout, GuestSystem.CONSOLE))
        self.screen = TextScreen(columns, rows)
        self.typed = ""
        self.line = ""
        #: Called when the keyboard LEDs change (the server tells its clients).
        self.on_leds: Callable[[int], None] | None = None
        self._escape = ""  # an escape sequence being received (arrows...): not echoed
        for row, text in enumerate(banner(layout)):
            self.screen.write(text + "\n", WHITE if row == 0 else GREY)
        self._prompt()

    @property
    def leds(self) -> int:
        return self.keyboard.leds

    def press(self, scancode: int) -> None:
        leds = self.keyboard.leds
        self.receive(self.keyboard.press(scancode))
        if self.keyboard.leds != leds and self.on_leds is not None:
            self.on_leds(self.keyboard.leds)

    def release(self, scancode: int) -> None:
        self.receive(self.keyboard.release(scancode))

    def receive(self, text: str) -> None:
        """What the keyboard typed, through the line editor."""
        for char in text:
            self._receive(char)

    def _receive(self, char: str) -> None:
        if self._escape:
            self._escape += char
            in_csi = self._escape.startswith("\x1b[") and len(self._escape) < 16
            if self._escape == "\x1b[" or (in_csi and not "@" <= char <= "~"):
                return  # a CSI sequence (ESC [ ... final byte) goes on
            self._escape = ""  # its end, or ESC and one character (Alt+key)
            return
        if char == "\x1b":
            self._escape = char
            return
        self._remember("\n" if char == "\r" else char)
        screen = self.screen
        if char == "\r":
            screen.write("\n")
            self.line = ""
            self._prompt()
        elif char in ("\x7f", "\b"):
            if self.line:
                self.line = self.line[:-1]
                screen.back()
        elif char == "\x03":  # Ctrl+C
            screen.write("^C\n")
            self.line = ""
            self._prompt()
        elif char == "\x15":  # Ctrl+U
            while self.line:
                self.line = self.line[:-1]
                screen.back()
        elif char == "\x0c":  # Ctrl+L
            screen.clear()
            self._prompt()
            screen.write(self.line)
        elif char == "\t":
            self._echo(" ")
        elif char.isprintable() and len(self.line) < MAX_LINE:
            self._echo(char)

    def _echo(self, char: str) -> None:
        self.line += char
        self.screen.write(char)

    def _prompt(self) -> None:
        self.screen.write(PROMPT, GREEN)

    def _remember(self, char: str) -> None:
        self.typed = (self.typed + char)[-MAX_TYPED:]
