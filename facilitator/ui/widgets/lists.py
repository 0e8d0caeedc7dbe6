"""Lists that stop at their ends: ``down`` on the last item stays there.

Textual's ``OptionList`` wraps around, so one ``down`` too many on the last checklist item
or note jumps to the top of the list, out of sight of what the moderator was looking at.
"""

from __future__ import annotations

from textual.widgets import OptionList


class StopList(OptionList):
    def _step(self, direction: int) -> None:
        if self.highlighted is None:
            if self.option_count:
                self.highlighted = 0 if direction > 0 else self.option_count - 1
            return
        index = self.highlighted + direction
        while 0 <= index < self.option_count:
            if not self.get_option_at_index(index).disabled:
                self.highlighted = index
                return
            index += direction

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)
