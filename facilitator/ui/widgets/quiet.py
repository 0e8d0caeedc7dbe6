"""A Static that repaints only when what it shows has changed.

The live view redraws its panels after every key press and twice a second; most panels
are unchanged most of the time, and each ``Static.update`` costs Textual a layout pass.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class QuietStatic(Static):
    _shown: Text | None = None

    def show_text(self, text: Text) -> None:
        if text != self._shown:
            self._shown = text
            self.update(text)
