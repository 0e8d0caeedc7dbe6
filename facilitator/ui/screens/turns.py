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
from facilitator.ui.speakers import speaker_name
from facilitator.ui.translated import Translated
from facilitator.ui.widgets.lists import StopList

if TYPE_CHECKING:
    from facilitator.ui.screens.session_view import SessionActions

RECENT = 8


class TurnsScreen(Translated, ModalScreen[None]):
    CSS_PATH = "../styles/talk.tcss"
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
            yield StopList(id="turns")
            yield Static(
                _("↑/↓ pick a turn · 1-9, 0 give it · escape back, nothing changed"),
                id="turns-hint",
            )

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
        if key is None:
            return
        live = self.actions.live
        turn = state.talk.turns[state.talk.by_key[key]]
        if turn.who == who:
            self.notify(_("That turn is {who}'s already.", who=speaker_name(state, who)), timeout=3)
            return
        away = live.away_during(key, who)
        if away is None:
            self._give(key, who)
            return
        from facilitator.ui.screens.confirm import ConfirmScreen

        def answer(yes: bool | None) -> None:
            if yes:
                self._give(key, who)

        self.app.push_screen(
            ConfirmScreen(
                _("{label} was marked away during that turn. Give it to them?", label=away.label),
                _(
                    "They are then counted present for that turn (not from now on: mark them "
                    "here with e, then h)."
                ),
                danger=False,
            ),
            answer,
        )

    def _give(self, key: str, who: str | None) -> None:
        """Give the turn to ``who``, say so, and close: one correction at a time, back to the
        board, where it shows."""
        live = self.actions.live
        state = live.state
        turn = state.talk.turns[state.talk.by_key[key]]
        before = speaker_name(state, turn.who)
        started = clock(turn.start_s)
        if self.actions.act(lambda: live.reassign(key, who)) is None:
            return
        self.notify(
            _(
                "The turn at {time} is now {who}'s (was {before}).",
                time=started,
                who=speaker_name(live.state, who),
                before=before,
            ),
            timeout=5,
        )
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
