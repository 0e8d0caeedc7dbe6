"""The note-taking assistant's view of a running session, in its own process.

It follows the moderator's process (phase, question, speaker, within half a second), keeps
the note line ready, lists the notes, and has the speaker keys, so the assistant can keep
the talk tracking while the moderator talks. It does not move the guide, pause or end the
session: those belong to the moderator's process.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from facilitator.i18n import N_, _
from facilitator.ui.screens.session_view import (
    SessionView,
    cancel_binding,
    help_binding,
    notes_binding,
    scope_binding,
    talk_bindings,
)
from facilitator.ui.widgets.notes import NoteInput
from facilitator.ui.widgets.quiet import QuietStatic


class AssistScreen(SessionView):
    KEEP_NOTE_FOCUS = True  # the note line stays ready after each note

    BINDINGS = [
        *talk_bindings("assist"),
        Binding(
            "n,enter",
            "note",
            N_("Note"),
            id="assist.note",
            tooltip=N_("Back to the note line (it is ready whenever the view opens)"),
        ),
        *(f("assist") for f in (notes_binding, scope_binding, cancel_binding, help_binding)),
    ]

    def on_mount(self) -> None:
        super().on_mount()
        self.part(NoteInput).placeholder = _(
            "write, enter saves · #q quote #t theme #f follow-up #o observation #s summary · "
            "@3 speaker · escape: keys 1-9 0 space"
        )
        self.part(NoteInput).focus()

    def show_title(self) -> None:
        title = Text()
        title.append(_("Assistant") + " ", style="bold reverse")
        title.append(" " + self.live.info.title, style="bold")
        if not self.live.state.started:
            title.append("  " + _("waiting for the moderator to open the session"), style="italic")
        elif self.live.state.ended:
            title.append("  " + _("the session has ended"), style="bold")
        self.part("#title-line", QuietStatic).show_text(title)
