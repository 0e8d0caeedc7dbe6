"""Every note, newest first: filter by tag, speaker and question, search, edit, delete.

Edits and deletes are new events that name the note; the earlier text is kept in the
session's record (and the summary marks a note as edited).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from facilitator.core.notes import Note, parse_note, tags_text
from facilitator.core.notes import question_codes as guide_question_codes
from facilitator.i18n import N_, _
from facilitator.ui.translated import Translated
from facilitator.ui.typeahead import TypeAhead, line_key
from facilitator.ui.widgets.lists import StopList
from facilitator.ui.widgets.notes import note_text

if TYPE_CHECKING:
    from facilitator.services.live import LiveSession


def question_codes(state) -> dict[str, str]:
    """A short code per question (see ``core.notes.question_codes``)."""
    return guide_question_codes(state.guide)


_QUESTION_FILTER = re.compile(r"(?<!\S)q:?(\d+(?:\.\d+)?)(?!\S)", re.IGNORECASE)


def matches(
    note: Note,
    query: str,
    roster_ids: list[str],
    question: str | None,
    codes: dict[str, str] | None = None,
) -> bool:
    """``#tag`` and ``@3``/``@P2``/``@m`` narrow by tag and speaker, ``q2.1`` by question
    (``q2`` by phase); other words search the text."""
    codes = codes or {}
    wanted = _QUESTION_FILTER.findall(query)
    query = _QUESTION_FILTER.sub(" ", query)
    for code in wanted:
        have = codes.get(note.question or "", "")
        if not (have == code or ("." not in code and have.split(".")[0] == code)):
            return False
    parsed = parse_note(query, roster_ids)
    if any(tag not in note.tags for tag in parsed.tags):
        return False
    if parsed.speaker is not None and note.speaker != parsed.speaker:
        return False
    if question is not None and note.question != question:
        return False
    return all(word.lower() in note.text.lower() for word in parsed.text.split())


class NotesScreen(Translated, TypeAhead, ModalScreen[None]):
    CSS_PATH = "../styles/talk.tcss"
    BINDINGS = [
        line_key(
            "slash",
            "search",
            N_("Filter"),
            id="notes.filter",
            tooltip=N_("Search; #tag and @speaker narrow the list"),
            key_display="/",
        ),
        Binding(
            "c",
            "this_question",
            N_("This question"),
            id="notes.question",
            tooltip=N_("Only the notes of the current question, or all"),
        ),
        line_key(
            "e", "edit", N_("Edit"), id="notes.edit", tooltip=N_("Edit the note (kept as history)")
        ),
        Binding(
            "d", "delete", N_("Delete"), id="notes.delete", tooltip=N_("Delete the note (recorded)")
        ),
        Binding("escape", "close", N_("Close"), id="notes.close", tooltip=N_("Back")),
    ]

    def __init__(self, live: LiveSession, act) -> None:
        super().__init__()
        self.live = live
        self.act = act  # the live screen's way of saving: shows NOT SAVED on a failed write
        self.only_question = False
        self.editing: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="notes-dialog"):
            yield Static("", id="notes-title")
            yield Input(
                placeholder=_("filter: words, #tag, @speaker, q2.1 question, q2 phase"),
                id="notes-filter",
            )
            yield StopList(id="notes-list")
            yield Input(id="notes-edit")
            yield Static(
                _("/ filter · c this question only · e edit · d delete · escape back"),
                id="notes-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#notes-edit", Input).display = False
        self.refill()
        self.query_one(OptionList).focus()

    def refill(self) -> None:
        state = self.live.state
        query = self.query_one("#notes-filter", Input).value
        question = state.question_id if self.only_question else None
        roster = [p.id for p in state.roster]
        codes = question_codes(state)
        shown = [
            n for n in reversed(state.live_notes()) if matches(n, query, roster, question, codes)
        ]
        notes = self.query_one(OptionList)
        highlighted = notes.highlighted or 0
        notes.clear_options()
        for note in shown:
            line = Text(f"q{codes.get(note.question or '', '–'):<4} ", style="bold #5f87d7")
            line.append_text(note_text(state, note))
            notes.add_option(Option(line, id=note.id))
        if notes.option_count:
            notes.highlighted = min(highlighted, notes.option_count - 1)
        title = Text()
        title.append(_("Notes"), style="bold")
        title.append(
            "  " + _("{shown} of {total}", shown=len(shown), total=len(state.live_notes())),
            style="dim",
        )
        if self.only_question:
            title.append("  " + _("this question only"), style="bold #ffaf5f")
        self.query_one("#notes-title", Static).update(title)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "notes-filter":
            self.refill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "notes-filter":
            self.query_one(OptionList).focus()
            return
        note_id = self.editing
        self._stop_editing()
        if note_id is not None:
            self.act(lambda: self.live.edit_note(note_id, event.value))
            self.refill()

    def _selected(self) -> Note | None:
        notes = self.query_one(OptionList)
        if notes.highlighted is None or not notes.option_count:
            return None
        return self.live.state.notes.get(notes.get_option_at_index(notes.highlighted).id or "")

    def action_search(self) -> None:
        self.set_focus(self.query_one("#notes-filter", Input))

    def action_this_question(self) -> None:
        self.only_question = not self.only_question
        self.refill()

    def action_edit(self) -> None:
        note = self._selected()
        if note is None:
            return
        tags = tags_text(note.tags)
        position = next(
            (i for i, p in enumerate(self.live.state.roster, start=1) if p.id == note.speaker), None
        )
        who = "@m " if note.speaker == "moderator" else (f"@{position} " if position else "")
        field = self.query_one("#notes-edit", Input)
        field.value = f"{who}{note.text} {tags}".strip()
        field.display = True
        self.set_focus(field)
        self.editing = note.id

    def _stop_editing(self) -> None:
        self.editing = None
        field = self.query_one("#notes-edit", Input)
        field.display = False
        self.query_one(OptionList).focus()

    def action_delete(self) -> None:
        from facilitator.ui.screens.confirm import ConfirmScreen

        note = self._selected()
        if note is None:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.act(lambda: self.live.delete_note(note.id))
                self.refill()

        self.app.push_screen(
            ConfirmScreen(
                _("Delete this note?"),
                note_text(self.live.state, note).plain
                + "\n\n"
                + _("The deletion is recorded; the text is kept in the session's history."),
            ),
            answer,
        )

    def action_close(self) -> None:
        if self.editing is not None:
            self._stop_editing()
            return
        if self.focused is self.query_one("#notes-filter"):
            self.query_one(OptionList).focus()
            return
        self.dismiss(None)
