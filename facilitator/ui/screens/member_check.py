"""The member check at the close: the read-back drafted from the notes, and the group's verdicts.

The draft is every note tagged summary point (and, at the moderator's choice, themes and
quotes), grouped by question. Before reading, the moderator can reorder, edit and skip
points; while reading (all at once, or one point at a time in large text), each point is
marked confirmed, nuanced (with the nuance typed in) or refuted. Every change is an event in
the session's record, so the summary, the exports and the next stage's recap all show it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.align import Align
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from facilitator.core.notes import Note, tag_word, tags_text
from facilitator.core.summary import question_texts
from facilitator.exports.markdown import outcome_text
from facilitator.i18n import N_, _
from facilitator.ui.translated import Translated
from facilitator.ui.typeahead import TypeAhead, line_key
from facilitator.ui.widgets.bigtext import BigText
from facilitator.ui.widgets.lists import StopList

if TYPE_CHECKING:
    from facilitator.ui.screens.session_view import SessionActions

MARK_STYLE = {
    "confirmed": ("✓", "bold green"),
    "nuanced": ("~", "bold #ffaf5f"),
    "refuted": ("✗", "bold #ff5f5f"),
}


def verdict_name(outcome: str | None) -> str:
    return outcome_text(outcome, _("not read yet"))


class _Marking:
    """What both views share: marking the point in focus, and asking for a nuance."""

    actions: SessionActions
    asking: str | None = None  # "nuance" or "edit" while the input line is open

    @property
    def live(self):
        return self.actions.live

    def current(self) -> Note | None:  # pragma: no cover - each view says which point
        raise NotImplementedError

    def _mark(self, outcome: str | None, nuance: str = "") -> None:
        note = self.current()
        if note is not None:
            self.actions.act(lambda: self.live.check_mark(note.id, outcome, nuance))
            self.after_change(advance=outcome is not None)

    def after_change(self, advance: bool) -> None:  # pragma: no cover
        raise NotImplementedError

    def action_confirmed(self) -> None:
        self._mark("confirmed")

    def action_refuted(self) -> None:
        self._mark("refuted")

    def action_clear(self) -> None:
        self._mark(None)

    def action_nuanced(self) -> None:
        note = self.current()
        if note is None:
            return
        _outcome, nuance = self.live.state.check.marks.get(note.id, (None, ""))
        self._ask(
            "nuance", _("The nuance, as the group put it (enter saves, escape cancels)"), nuance
        )

    def _ask(self, what: str, hint: str, value: str) -> None:
        self.asking = what
        field = self.query_one("#check-input", Input)  # type: ignore[attr-defined]
        field.placeholder = hint
        field.value = value
        field.display = True
        self.set_focus(field)  # type: ignore[attr-defined]

    def _stop_asking(self) -> None:
        self.asking = None
        field = self.query_one("#check-input", Input)  # type: ignore[attr-defined]
        field.display = False
        field.value = ""
        self.set_focus(None)  # type: ignore[attr-defined]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        what, text = self.asking, event.value.strip()
        note = self.current()
        self._stop_asking()
        if note is None or what is None:
            return
        if what == "nuance":
            self.actions.act(lambda: self.live.check_mark(note.id, "nuanced", text))
            self.after_change(advance=True)
        elif what == "edit" and text:
            # only the wording is edited: the point keeps its tags, so it stays in the read-back
            tags = tags_text(note.tags)
            self.actions.act(lambda: self.live.edit_note(note.id, f"{text} {tags}"))
            self.after_change(advance=False)


class MemberCheckScreen(_Marking, Translated, TypeAhead, Screen[None]):
    CSS_PATH = "../styles/talk.tcss"
    AUTO_FOCUS = ""
    BINDINGS = [
        Binding(
            "c",
            "confirmed",
            N_("Confirmed"),
            id="check.confirmed",
            tooltip=N_("The group confirms the point"),
        ),
        line_key(
            "n",
            "nuanced",
            N_("Nuanced"),
            id="check.nuanced",
            tooltip=N_("The group nuances it: type the nuance"),
        ),
        Binding(
            "r", "refuted", N_("Refuted"), id="check.refuted", tooltip=N_("The group refutes it")
        ),
        Binding("u", "clear", N_("Unmark"), id="check.clear", tooltip=N_("Take the mark back")),
        line_key(
            "e",
            "edit",
            N_("Edit"),
            id="check.edit",
            tooltip=N_("Edit the point's text before reading"),
        ),
        Binding(
            "s",
            "skip",
            N_("Skip"),
            id="check.skip",
            tooltip=N_("Leave the point out of the read-back"),
        ),
        Binding(
            "K",
            "move(-1)",
            N_("Move up"),
            id="check.up",
            tooltip=N_("Read it earlier"),
            key_display="K",
        ),
        Binding(
            "J",
            "move(1)",
            N_("Move down"),
            id="check.down",
            tooltip=N_("Read it later"),
            key_display="J",
        ),
        Binding(
            "t",
            "include('theme')",
            N_("Themes"),
            id="check.themes",
            tooltip=N_("Add the notes tagged theme to the read-back, or take them out"),
        ),
        Binding(
            "q",
            "include('quote')",
            N_("Quotes"),
            id="check.quotes",
            tooltip=N_("Add the notes tagged quote to the read-back, or take them out"),
        ),
        Binding(
            "p",
            "read",
            N_("Read aloud"),
            id="check.read",
            tooltip=N_("One point at a time in large text, marking each as it is read"),
        ),
        Binding(
            "escape", "close", N_("Back"), id="check.close", tooltip=N_("Back to the live view")
        ),
    ]

    def __init__(self, actions: SessionActions) -> None:
        super().__init__()
        self.actions = actions

    def compose(self) -> ComposeResult:
        with Vertical(id="check-body"):
            yield Static(id="check-title")
            yield StopList(id="check-points")
            yield Input(id="check-input")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#check-input", Input).display = False
        self.refill()
        points = self.query_one("#check-points", OptionList)
        points.focus()
        self._first_point()

    def _first_point(self) -> None:
        points = self.query_one("#check-points", OptionList)
        for index in range(points.option_count):
            if not points.get_option_at_index(index).disabled:
                points.highlighted = index
                return

    def points(self) -> list[Note]:
        return self.live.state.check_points()

    def current(self) -> Note | None:
        points = self.query_one("#check-points", OptionList)
        if points.highlighted is None or not points.option_count:
            return None
        option = points.get_option_at_index(points.highlighted)
        return self.live.state.notes.get(option.id or "") if not option.disabled else None

    def refill(self) -> None:
        state = self.live.state
        check = state.check
        notes = self.points()
        questions = question_texts(state.guide)
        listing = self.query_one("#check-points", OptionList)
        highlighted = listing.highlighted
        was = self.current()  # keep the point in focus, not the row: rows move as points come
        listing.clear_options()
        last_question: object = object()
        for note in notes:
            if note.question != last_question:
                last_question = note.question
                heading = questions.get(note.question or "", _("Not tied to a question"))
                listing.add_option(Option(Text(heading, style="bold #87afd7"), disabled=True))
            outcome, nuance = check.marks.get(note.id, (None, ""))
            line = Text("  ")
            symbol, style = MARK_STYLE.get(outcome or "", ("○", "dim"))
            line.append(f"{symbol} ", style=style)
            skipped = note.id in check.skipped
            line.append(note.text, style="dim strike" if skipped else "")
            extra = [t for t in note.tags if t in ("theme", "quote")]
            if extra:
                line.append(" " + tags_text(extra), style="dim")
            if skipped:
                line.append("  " + _("(skipped)"), style="dim")
            elif outcome:
                line.append(f"  {verdict_name(outcome)}", style=style)
                if nuance:
                    line.append(f": {nuance}", style="italic")
            listing.add_option(Option(line, id=note.id))
        rows = {listing.get_option_at_index(i).id: i for i in range(listing.option_count)}
        if was is not None and was.id in rows:
            listing.highlighted = rows[was.id]
        elif highlighted is not None and listing.option_count:
            index = min(highlighted, listing.option_count - 1)
            while index < listing.option_count - 1 and listing.get_option_at_index(index).disabled:
                index += 1  # never rest on a question heading
            listing.highlighted = index
        marked = sum(1 for n in notes if n.id in check.marks)
        title = Text()
        title.append(_("Member check: the read-back"), style="bold")
        title.append(
            "  "
            + _(
                "{count} points, {marked} marked, {skipped} skipped",
                count=len(notes),
                marked=marked,
                skipped=len([n for n in notes if n.id in check.skipped]),
            ),
            style="dim",
        )
        if check.include:
            title.append(
                "  " + _("with {kinds}", kinds=", ".join(tag_word(k) for k in check.include)),
                style="dim",
            )
        if not notes:
            title.append(
                "\n"
                + _("No notes are tagged #summary yet: tag points with #s, or add themes (t)."),
                style="italic",
            )
        self.query_one("#check-title", Static).update(title)

    def after_change(self, advance: bool) -> None:
        self.refill()
        if advance:
            listing = self.query_one("#check-points", OptionList)
            if listing.highlighted is not None:
                for index in range(listing.highlighted + 1, listing.option_count):
                    if not listing.get_option_at_index(index).disabled:
                        listing.highlighted = index
                        break

    def action_edit(self) -> None:
        note = self.current()
        if note is not None:
            self._ask("edit", _("Edit the point (enter saves, escape cancels)"), note.text)

    def action_skip(self) -> None:
        note = self.current()
        if note is not None:
            skipped = note.id in self.live.state.check.skipped
            self.actions.act(lambda: self.live.check_skip(note.id, not skipped))
            self.refill()

    def action_move(self, step: int) -> None:
        note = self.current()
        if note is None:
            return
        ids = [n.id for n in self.points()]
        index = ids.index(note.id)
        target = index + step
        if not 0 <= target < len(ids):
            return
        ids[index], ids[target] = ids[target], ids[index]
        self.actions.act(lambda: self.live.check_order(ids))
        self.refill()
        listing = self.query_one("#check-points", OptionList)
        for position in range(listing.option_count):
            if listing.get_option_at_index(position).id == note.id:
                listing.highlighted = position

    def action_include(self, kind: str) -> None:
        kinds = set(self.live.state.check.include) ^ {kind}
        self.actions.act(lambda: self.live.check_include(sorted(kinds)))
        self.refill()

    def action_read(self) -> None:
        points = [n for n in self.points() if n.id not in self.live.state.check.skipped]
        if not points:
            self.notify(_("Nothing to read back yet."), timeout=3)
            return
        self.app.push_screen(
            ReadBackScreen(self.actions, [n.id for n in points]), lambda _: self.refill()
        )

    def action_close(self) -> None:
        if self.asking is not None:
            self._stop_asking()
            self.query_one("#check-points", OptionList).focus()
            return
        self.dismiss(None)

    def _stop_asking(self) -> None:
        super()._stop_asking()
        self.query_one("#check-points", OptionList).focus()


class ReadBackScreen(_Marking, Translated, TypeAhead, Screen[None]):
    """One point at a time, large and calm, readable from across the table."""

    CSS_PATH = "../styles/talk.tcss"

    AUTO_FOCUS = ""
    BINDINGS = [
        Binding(
            "c",
            "confirmed",
            N_("Confirmed"),
            id="read.confirmed",
            tooltip=N_("Confirmed; on to the next"),
        ),
        line_key(
            "n", "nuanced", N_("Nuanced"), id="read.nuanced", tooltip=N_("Nuanced: type the nuance")
        ),
        Binding(
            "r", "refuted", N_("Refuted"), id="read.refuted", tooltip=N_("Refuted; on to the next")
        ),
        Binding("u", "clear", N_("Unmark"), id="read.clear", tooltip=N_("Take the mark back")),
        Binding(
            "right,space",
            "step(1)",
            N_("Next"),
            id="read.next",
            tooltip=N_("The next point"),
            key_display="→",
        ),
        Binding(
            "left",
            "step(-1)",
            N_("Back"),
            id="read.back",
            tooltip=N_("The point before"),
            key_display="←",
        ),
        Binding("escape", "close", N_("Close"), id="read.close", tooltip=N_("Back to the list")),
    ]

    def __init__(self, actions: SessionActions, note_ids: list[str]) -> None:
        super().__init__()
        self.actions = actions
        self.note_ids = note_ids
        self.index = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="read-slide"):
            yield Static(id="read-question")
            yield BigText(id="read-text")
            yield Static(id="read-verdict")
        yield Input(id="check-input")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#check-input", Input).display = False
        self.show()

    def current(self) -> Note | None:
        return self.live.state.notes.get(self.note_ids[self.index])

    def show(self) -> None:
        note = self.current()
        if note is None:
            return
        questions = question_texts(self.live.state.guide)
        self.query_one("#read-question", Static).update(
            Align.center(
                Text(
                    questions.get(note.question or "", ""), style="italic #87afd7", justify="center"
                )
            )
        )
        self.query_one("#read-text", BigText).show(note.text)
        outcome, nuance = self.live.state.check.marks.get(note.id, (None, ""))
        symbol, style = MARK_STYLE.get(outcome or "", ("○", "dim"))
        verdict = Text(f"{symbol} {verdict_name(outcome)}", style=style, justify="center")
        if nuance:
            verdict.append(f": {nuance}", style="italic")
        verdict.append(f"\n{self.index + 1} / {len(self.note_ids)}", style="not bold dim #8a8a8a")
        self.query_one("#read-verdict", Static).update(Align.center(verdict))

    def after_change(self, advance: bool) -> None:
        if advance and self.index + 1 < len(self.note_ids):
            self.index += 1
        self.show()

    def action_step(self, step: int) -> None:
        self.index = max(0, min(len(self.note_ids) - 1, self.index + step))
        self.show()

    def action_close(self) -> None:
        if self.asking is not None:
            self._stop_asking()
            return
        self.dismiss(None)
