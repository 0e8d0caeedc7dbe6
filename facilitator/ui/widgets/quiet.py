"""A Static that repaints only when what it shows has changed, and lays out only when its
height has.

The live view redraws its panels after every key press and twice a second; most panels
are unchanged most of the time. A ``Static.update`` also asks Textual for a layout pass,
and a layout pass is of the whole screen (every widget placed again, and every one that
moved drawn again): at 120x40 it is most of a key press's time. A panel whose new text
takes the same number of lines at its width only needs drawing again, so ``show_text``
asks for the layout only when the height changes (or cannot be told: not laid out yet).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class QuietStatic(Static):
    _shown: Text | None = None

    def show_text(self, text: Text) -> None:
        if text == self._shown:
            return
        self._shown = text
        height = self.styles.height
        width = self.content_size.width
        if not self.is_mounted or not width or not self.display:
            self.update(text)  # not laid out (yet): its size is not known
            return
        if height is not None and not height.is_auto:
            self.update(text, layout=False)  # a fixed height: the text never moves the layout
            return
        shown_height = self.content_size.height
        self.update(text, layout=False)
        if self._render().get_height(self.styles, width) != shown_height:  # type: ignore[arg-type]
            self.refresh(layout=True)
