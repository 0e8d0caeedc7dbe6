"""The session and phase clocks, coloured against the plan."""

from __future__ import annotations

from rich.text import Text

from facilitator.core.session import SessionState
from facilitator.core.timefmt import clock
from facilitator.i18n import _
from facilitator.ui.widgets.quiet import QuietStatic

LEVEL_STYLE = {"ok": "bold", "amber": "bold black on #e0a526", "red": "bold white on #c62828"}


class ClockBar(QuietStatic):
    """Session and phase clocks against the plan: amber at 70 %, red past 100 %."""

    def show(self, state: SessionState, now: float) -> None:
        elapsed = state.session_s(now)
        planned = state.guide.planned_s
        remaining = planned - elapsed
        phase_elapsed = state.phase_elapsed_s(now)
        phase_planned = state.phase.planned_s
        text = Text()
        text.append(_("Session") + " ", style="dim")
        text.append(
            f" {clock(elapsed)} / {clock(planned)} ", style=LEVEL_STYLE[state.session_level(now)]
        )
        if remaining >= 0:
            text.append(" " + _("{time} left", time=clock(remaining)), style="dim")
        else:
            text.append(" " + _("{time} over", time=clock(-remaining)), style="bold red")
        text.append("   ")
        text.append(_("Phase") + " ", style="dim")
        text.append(
            f" {clock(phase_elapsed)} / {clock(phase_planned)} ",
            style=LEVEL_STYLE[state.phase_level(now)],
        )
        if state.paused:
            text.append("   ")
            text.append(" " + _("PAUSED") + " ", style="bold black on #90caf9")
        self.show_text(text)
        self.set_class(state.session_level(now) == "red", "-session-red")
