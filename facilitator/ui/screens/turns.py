"""The last few turns, so one keyed to the wrong person can be given to the right one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from facilitator.core.talk import MODERATOR
from facilitator.core.timefmt import clock
from facilitator.i18n import N_, _
from facilitator.ui.translated import Translated

if TYPE_CHECKING:
    from facilitator.ui.screens.session_view import SessionActions

RECENT = 8


class TurnsScreen(Translated, ModalScreen[None]):
    BINDINGS = [
        *[
            Binding(
                str(n),
                f"give({n})",
                N_("Give to"),
                id=f"turns.give_{n}",
                key_display="0-9",
                show=n == 0,
            )
            for n in range(10)
        ],
        Binding(
            "escape", "close", N_("Close"), id="turns.close", tooltip=N_("Back to the live view")
        ),
    ]

    def __init__(self, actions: SessionActions) -> None:
        super().__init__()
        self.actions = actions

    def compose(self) -> ComposeResult:
        with Vertical(id="turns-dialog"):
            yield Static(
                _("Recent turns: pick one, then press who really spoke (1-9, 0 moderator)"),
                id="turns-title",
            )
            yield OptionList(id="turns")

    def on_mount(self) -> None:
        self._fill()
        self.query_one(OptionList).focus()

    def _fill(self) -> None:
        state = self.actions.live.state
        now_s = state.session_s(self.actions.live.now())
        turns = self.query_one(OptionList)
        highlighted = turns.highlighted or 0
        turns.clear_options()
        labels = {p.id: p.label for p in state.roster}
        labels[MODERATOR] = _("Moderator")
        for turn in state.talk.recent_turns(RECENT):
            line = Text()
            line.append(f"{clock(turn.start_s)}  ", style="dim")
            line.append(f"{labels.get(turn.who or '', turn.who or '?'):<18}", style="bold")
            line.append(f" {clock(turn.duration(now_s))}")
            if turn.is_open:
                line.append("  " + _("(speaking now)"), style="green")
            turns.add_option(Option(line, id=turn.key))
        if turns.option_count:
            turns.highlighted = min(highlighted, turns.option_count - 1)

    def action_give(self, number: int) -> None:
        state = self.actions.live.state
        turns = self.query_one(OptionList)
        if turns.highlighted is None:
            return
        key = turns.get_option_at_index(turns.highlighted).id
        if number == 0:
            who = MODERATOR
        elif number <= len(state.roster):
            who = state.roster[number - 1].id
        else:
            self.notify(_("No participant {number} in the roster.", number=number), timeout=3)
            return
        if key is not None:
            self.actions.act(lambda: self.actions.live.reassign(key, who))
            self._fill()

    def action_close(self) -> None:
        self.dismiss(None)
