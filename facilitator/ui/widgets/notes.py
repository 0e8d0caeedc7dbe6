"""Note taking in the live views: the note line and the most recent notes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

from facilitator.core.notes import Note
from facilitator.core.session import SessionState
from facilitator.core.timefmt import clock
from facilitator.i18n import N_, _
from facilitator.ui.widgets.quiet import QuietStatic

TAG_STYLE = {
    "quote": "bold #87d7ff",
    "theme": "bold #d7afff",
    "follow-up": "bold #ffaf5f",
    "observation": "bold #afd787",
    "summary": "bold #ffd75f",
}


def speaker_label(state: SessionState, speaker: str | None) -> str:
    if speaker is None:
        return ""
    if speaker == "moderator":
        return _("Moderator")
    person = state.participant(speaker)
    return person.label if person else speaker


def note_text(state: SessionState, note: Note) -> Text:
    line = Text()
    line.append(clock(note.t_s), style="dim")
    who = speaker_label(state, note.speaker)
    if who:
        line.append(f" {who}", style="bold")
    line.append(" ")
    body = f"“{note.text}”" if "quote" in note.tags else note.text
    line.append(body)
    for tag in note.tags:
        line.append(f" #{tag}", style=TAG_STYLE.get(tag, "bold"))
    if note.edited:
        line.append(" " + _("(edited)"), style="dim italic")
    if note.author == "assistant":
        line.append(" ·A", style="dim")
    return line


class NoteInput(Input):
    """One line for a note: enter saves it, escape gives the keys back to the screen."""

    BINDINGS = [
        Binding("escape", "leave", N_("Leave"), id="note.leave", tooltip=N_("Back to the keys")),
    ]

    class Leave(Message):
        pass

    def action_leave(self) -> None:
        self.post_message(self.Leave())


class NoteBar(Horizontal):
    """``Note ›`` and the input, with what can be typed in it as the placeholder."""

    def compose(self) -> ComposeResult:
        yield Label(_("Note") + " ›", id="note-label")
        yield NoteInput(
            placeholder=_(
                "n: write a note · #q quote #t theme #f follow-up #o observation #s summary "
                "· @3 speaker · enter saves · escape leaves"
            ),
            id="note-input",
        )


class RecentNotes(QuietStatic):
    """The last few notes, newest first, so the writer sees the note landed."""

    def show(self, state: SessionState, count: int = 3) -> None:
        notes = state.live_notes()
        text = Text()
        text.append(_("Notes") + f" ({len(notes)})", style="bold")
        text.append("  " + _("l: all notes"), style="dim")
        if not notes:
            text.append("\n" + _("none yet: press n to write one"), style="dim")
        for note in reversed(notes[-count:]):
            text.append("\n")
            text.append_text(note_text(state, note))
        self.show_text(text)
