"""Pasted text reaches the note line whole and in order, its control characters shown.

Textual's parser (8.2) ends a bracketed paste at the first ESC inside it: what follows the
ESC is read as an unknown key sequence and typed as keys *before* the paste is delivered,
so a pasted ``alpha <ESC>[2J omega`` was saved as ``^[2J omegaalpha``. ``PasteSafeParser``
turns every ESC inside a bracketed paste, except the one that ends it, into the visible
``␛`` (as ``core.text.visible`` does) before the parser sees it; outside a paste nothing is
changed or held back (a lone ESC is still the escape key).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._xterm_parser import XTermParser

START = "\x1b[200~"
END = "\x1b[201~"
SHOWN_ESC = "\u241b"


class PasteSafeParser(XTermParser):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._in_paste = False
        self._held = ""  # inside a paste: an ESC at the end of a read, maybe the end marker's
        self._partial = ""  # outside: the start of a start marker at the end of a read

    def feed(self, data: str) -> Iterable:  # type: ignore[override]
        return super().feed(self.shield(data) if data else self._flush())

    def _flush(self) -> str:
        held, self._held = self._held, ""
        return held.replace("\x1b", SHOWN_ESC)

    def shield(self, data: str) -> str:
        """``data`` with the ESCs inside a bracketed paste made visible."""
        text = self._held + data
        self._held = ""
        out: list[str] = []
        i = 0
        if self._partial and not self._in_paste:
            rest = START[len(self._partial) :]
            if text.startswith(rest):
                self._in_paste = True
                out.append(rest)
                i = len(rest)
            self._partial = ""
        while i < len(text):
            if self._in_paste:
                j = text.find("\x1b", i)
                if j < 0:
                    out.append(text[i:])
                    break
                out.append(text[i:j])
                rest = text[j:]
                if rest.startswith(END):
                    out.append(END)
                    i = j + len(END)
                    self._in_paste = False
                elif END.startswith(rest):  # the end marker, cut by the read: wait for it
                    self._held = rest
                    break
                else:
                    out.append(SHOWN_ESC)
                    i = j + 1
            else:
                j = text.find(START, i)
                if j < 0:
                    tail = text[i:]
                    for n in range(len(START) - 1, 1, -1):
                        if tail.endswith(START[:n]):
                            self._partial = START[:n]
                            break
                    out.append(tail)
                    break
                out.append(text[i : j + len(START)])
                i = j + len(START)
                self._in_paste = True
        return "".join(out)
