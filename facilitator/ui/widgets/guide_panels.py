"""The guide on screen: the current question and its probes, coverage, the checklist."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets.option_list import Option

from facilitator.core.session import SessionState
from facilitator.core.timefmt import clock, minutes
from facilitator.i18n import N_, _
from facilitator.ui.widgets.lists import StopList
from facilitator.ui.widgets.quiet import QuietStatic


class PhaseLine(QuietStatic):
    def show(self, state: SessionState) -> None:
        phase = state.phase
        text = Text()
        text.append(
            _(
                "Phase {number} of {count}",
                number=state.phase_index + 1,
                count=len(state.guide.phases),
            ),
            style="dim",
        )
        text.append("  ")
        text.append(phase.title, style="bold")
        text.append(f"  ({minutes(phase.planned_s)})", style="dim")
        self.show_text(text)


class QuestionPanel(QuietStatic):
    """The current question, large and readable, with its probes."""

    def show(self, state: SessionState) -> None:
        phase = state.phase
        question = state.question
        text = Text()
        if question is None:
            text.append(phase.title, style="bold")
        else:
            index = state.question_index or 0
            text.append(
                _("Question {number} of {count}", number=index + 1, count=len(phase.questions))
                + "\n",
                style="dim",
            )
            text.append(question.text, style="bold")
            if question.probes:
                text.append("\n\n" + _("Probes") + "\n", style="dim")
                text.append("\n".join(f" • {probe}" for probe in question.probes))
        self.show_text(text)


class NextLine(QuietStatic):
    """What comes after the current question, so the moderator can bridge to it."""

    def show(self, state: SessionState) -> None:
        upcoming = state.next_question()
        text = Text()
        if upcoming is not None:
            text.append(_("Next") + ": ", style="bold dim")
            text.append(upcoming.text, style="dim")
        else:
            text.append(_("This is the last question of the guide."), style="dim")
        self.show_text(text)


class GuidanceLine(QuietStatic):
    """The guide's notes to the moderator for this phase."""

    def show(self, state: SessionState) -> None:
        self.show_text(Text(state.phase.guidance, style="italic dim"))
        shown = bool(state.phase.guidance)
        if self.display != shown:  # setting it, even unchanged, asks for a layout pass
            self.display = shown


class CoveragePanel(QuietStatic):
    """Which questions of this phase are asked (✓), current (▶) or not yet (·)."""

    def show(self, state: SessionState, now: float) -> None:
        phase = state.phase
        text = Text()
        text.append(_("Coverage") + "\n", style="bold")
        if not phase.questions:
            text.append(_("no questions in this phase"), style="dim")
        asked_count = 0
        width = max(12, (self.content_size.width or 30) - 12)
        for number, question in enumerate(phase.questions, start=1):
            asked = state.asked(now, question.id)
            asked_count += asked
            current = question.id == state.question_id
            mark = "▶" if current else ("✓" if asked else "·")
            style = "bold" if current else ("green" if asked else "dim")
            spent = state.question_elapsed_s(now, question.id)
            label = (
                question.text if len(question.text) <= width else question.text[: width - 1] + "…"
            )
            text.append(f"{mark} {number}. ", style=style)
            text.append(label, style=style)
            if spent:
                text.append(f" {clock(spent)}", style="dim")
            text.append("\n")
        if phase.questions:
            text.append(
                _("{asked} of {count} asked", asked=asked_count, count=len(phase.questions)),
                style="dim",
            )
        self.show_text(text)


class TickList(StopList):
    """Items to tick with space or enter: the phase's checklist, the carried follow-ups.

    While it has the keys it says on its lower border which item is highlighted of how many
    (and whether more follow below), and it stops at its ends instead of wrapping around.
    """

    BINDINGS = [
        Binding(
            "space,enter",
            "tick",
            N_("Tick"),
            id="ticklist.tick",
            tooltip=N_("Tick or untick the item"),
        ),
        Binding(
            "escape", "leave", N_("Back"), id="ticklist.leave", tooltip=N_("Back to the guide")
        ),
    ]

    class Toggled(Message):
        def __init__(self, list_id: str | None, item_id: str) -> None:
            super().__init__()
            self.list_id = list_id
            self.item_id = item_id

    _items: tuple[tuple[str, str, bool], ...] = ()
    _note: dict[str, str] = {}
    _while_focused: frozenset[str] = frozenset()
    _signature: tuple = ()

    def show_items(
        self,
        items: list[tuple[str, str, bool]],
        note: dict[str, str] | None = None,
        while_focused: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """``items``: (id, text, ticked); ``note``: a dim remark after an item's text;
        ``while_focused``: the ids of items listed only while the list has the keys (the
        recording consent opens into a line per participant), so the list stays short."""
        self._items = tuple(items)
        self._note = note or {}
        self._while_focused = frozenset(while_focused)
        self._show()

    def watch_has_focus(self, has_focus: bool) -> None:
        super().watch_has_focus(has_focus)
        if self._while_focused:
            self._show()
        self._say_where()

    def on_resize(self) -> None:
        if self.has_focus:  # grown by the lines shown while focused: bring all of it into view
            self.scroll_visible(animate=False)
            self._say_where()

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        self._say_where()
        self.call_after_refresh(self._say_where)  # once scrolled to the highlight

    def _say_where(self) -> None:
        """ "3 / 9 ↓" on the lower border while focused: how far down the list goes."""
        subtitle = ""
        if self.has_focus and self.option_count and self.highlighted is not None:
            subtitle = f"{self.highlighted + 1} / {self.option_count}"
            if self.max_scroll_y > 0 and self.scroll_y < self.max_scroll_y:
                subtitle += " ↓"
            elif self.max_scroll_y > 0:
                subtitle += " ↑"
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle

    def _show(self) -> None:
        items = [i for i in self._items if self.has_focus or i[0] not in self._while_focused]
        note = self._note
        signature = tuple(items), tuple(sorted(note.items()))
        if signature == self._signature:
            return  # unchanged: rebuilding the options would cost a layout pass
        self._signature = signature
        highlighted = self.highlighted
        options = []
        for item_id, text, done in items:
            prompt = Text(f"{'[x]' if done else '[ ]'} {text}", style="green" if done else "")
            if item_id in note:
                prompt.append(f" ({note[item_id]})", style="dim italic")
            options.append(Option(prompt, id=item_id))
        self.clear_options()
        self.add_options(options)  # one refresh, not one per item
        if items and highlighted is not None:
            self.highlighted = min(highlighted, len(items) - 1)
        if self.display != bool(items):
            self.display = bool(items)

    def action_tick(self) -> None:
        if self.highlighted is None:
            return
        option = self.get_option_at_index(self.highlighted)
        if option.id is not None:
            self.post_message(self.Toggled(self.id, option.id))

    def action_leave(self) -> None:
        self.screen.set_focus(None)
        # the list was scrolled into view: the guide's question goes back to the top
        container = self.parent
        if container is not None and hasattr(container, "scroll_home"):
            container.scroll_home(animate=False)
