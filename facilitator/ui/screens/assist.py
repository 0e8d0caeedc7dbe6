"""The note-taking assistant's view of a running session, in its own process.

It follows the moderator's process (phase, question, speaker, within half a second), keeps
the note line ready, lists the notes, and has the speaker keys, so the assistant can keep
the talk tracking while the moderator talks. It does not move the guide, pause or end the
session: those belong to the moderator's process.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.binding import Binding

from facilitator.i18n import N_, _
from facilitator.ui.screens.live import LiveScreen, talk_bindings
from facilitator.ui.widgets.notes import NoteInput
from facilitator.ui.widgets.quiet import QuietStatic


def live_binding(action: str) -> Binding:
    """The moderator's binding for ``action``, the same key and words under this view's id."""
    binding = next(b for b in LiveScreen.BINDINGS if isinstance(b, Binding) and b.action == action)
    return replace(binding, id=f"assist.{action}")


class AssistScreen(LiveScreen, inherit_bindings=False):
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
        *(live_binding(action) for action in ("notes", "scope", "cancel", "help")),
    ]

    def on_mount(self) -> None:
        super().on_mount()
        for widget_id in ("#checklist-title", "#checklist", "#follow-ups-title", "#follow-ups"):
            self.part(widget_id).display = False
        self.part(NoteInput).placeholder = _(
            "write, enter saves · #q quote #t theme #f follow-up #o observation #s summary · "
            "@3 speaker · escape: keys 1-9 0 space"
        )
        self.part(NoteInput).focus()

    def _show_checklist(self) -> None:
        pass  # the checklist and the follow-ups are the moderator's (hidden in on_mount)

    def _show_follow_ups(self) -> None:
        pass

    def refresh_view(self) -> None:
        super().refresh_view()
        title = Text()
        title.append(_("Assistant") + " ", style="bold reverse")
        title.append(" " + self.live.info.title, style="bold")
        if not self.live.state.started:
            title.append("  " + _("waiting for the moderator to open the session"), style="italic")
        elif self.live.state.ended:
            title.append("  " + _("the session has ended"), style="bold")
        self.part("#title-line", QuietStatic).show_text(title)

    def _show_banner(self, now: float) -> None:
        # the closing warning is the moderator's; the assistant sees breaks and problems only
        banner = self.part("#banner", QuietStatic)
        text = Text()
        if self.storage_problem:
            text.append(" " + self.storage_problem + " ", style="bold white on #c62828")
        elif self.live.state.paused:
            text.append(
                " " + _("Break: the moderator has paused the session.") + " ",
                style="bold black on #90caf9",
            )
        banner.show_text(text)
        if banner.display != bool(text.plain):
            banner.display = bool(text.plain)
