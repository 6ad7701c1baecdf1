"""The dashboard's keys (pure): a key in, the UI state changed. ``q`` quits, ``/`` starts typing a market
filter (Enter keeps it, Esc drops it), ``j`` / ``k`` scroll the events pane, ``?`` toggles the help."""

from __future__ import annotations

from dataclasses import dataclass

ESC, ENTER, BACKSPACE = "\x1b", ("\r", "\n"), ("\x7f", "\x08")
HELP = "q quit · / filter markets (Enter keep, Esc clear) · j/k scroll events · ? help"


@dataclass
class Ui:
    filter: str = ""
    typing: bool = False
    scroll: int = 0  # events skipped from the newest
    help: bool = False
    quit: bool = False

    def press(self, key: str) -> None:
        if self.typing:
            if key == ESC:
                self.filter, self.typing = "", False
            elif key in ENTER:
                self.typing = False
            elif key in BACKSPACE:
                self.filter = self.filter[:-1]
            elif key.isprintable():
                self.filter += key
            return
        if key == "q":
            self.quit = True
        elif key == "/":
            self.typing, self.filter = True, ""
        elif key == ESC:
            self.filter = ""
        elif key == "j":
            self.scroll += 1
        elif key == "k":
            self.scroll = max(0, self.scroll - 1)
        elif key == "?":
            self.help = not self.help

    def feed(self, data: str) -> None:
        """Keys as the terminal delivers them (several per read; an arrow's escape sequence is dropped)."""
        i = 0
        while i < len(data):
            if data[i] == ESC and i + 1 < len(data) and data[i + 1] == "[":
                i += 3  # ESC [ X: a cursor key, not a lone Esc
                continue
            self.press(data[i])
            if self.quit:
                return
            i += 1
