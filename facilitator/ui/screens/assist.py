"""The note-taking assistant's view of a running session, in its own process.

It follows the moderator's process (phase, question, speaker, within half a second), keeps
the note line ready, lists the notes, and has the speaker keys, so the assistant can keep
the talk tracking while the moderator talks. It does not move the guide, pause or end the
session: those belong to the moderator's process.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import Label

from facilitator.core.timefmt import clock
from facilitator.i18n import N_, _
from facilitator.ui.commands import AssistCommands
from facilitator.ui.screens.session_view import (
    SessionView,
    cancel_binding,
    help_binding,
    notes_binding,
    scope_binding,
    talk_bindings,
)
from facilitator.ui.typeahead import line_key
from facilitator.ui.widgets.notes import NoteBar, NoteInput
from facilitator.ui.widgets.quiet import QuietStatic

IDLE_BACK_S = 6.0  # this long without a key in key mode: back to the note line


class AssistScreen(SessionView):
    """The note line has the keys; ``escape`` gives them to the speaker keys (key mode), which
    the note line shows unmistakably (its label, border and hint change). In key mode a key
    that is not one of the view's goes back to the note line with what was typed, and so
    does a pause of ``IDLE_BACK_S`` (on the session's clock) without a key."""

    KEEP_NOTE_FOCUS = True  # the note line stays ready after each note
    COMMANDS = {AssistCommands}  # what this view may do, nothing of the moderator's

    BINDINGS = [
        *talk_bindings("assist"),
        line_key(
            "n,enter",
            "note",
            N_("Note"),
            id="assist.note",
            tooltip=N_("Back to the note line (it is ready whenever the view opens)"),
        ),
        *(f("assist") for f in (notes_binding, scope_binding, cancel_binding, help_binding)),
    ]

    def __init__(self, live) -> None:
        super().__init__(live)
        self.moderator_gone_since: float | None = None  # the moderator's app stopped running
        self.key_mode = False
        self._last_key_at = 0.0  # session-clock wall time of the last key in key mode
        self._bound = {
            key.strip()
            for binding in self.BINDINGS
            if isinstance(binding, Binding)
            for key in binding.key.split(",")
        }

    def mount_extras(self) -> None:
        self._show_mode(False)
        self.part(NoteInput).focus()

    # --- the note line or the speaker keys: always plain which --------------------------------

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, NoteInput):
            self._show_mode(False)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if isinstance(event.widget, NoteInput) and self.app.screen is self:
            self._show_mode(True)

    def _show_mode(self, keys: bool) -> None:
        self.key_mode = keys
        self._last_key_at = self.live.now()
        bar = self.part(NoteBar)
        bar.set_class(keys, "keys")
        note = self.part(NoteInput)
        label = self.part("#note-label", Label)
        if keys:
            label.update(_("SPEAKER KEYS") + " ›")
            bar.border_title = _("Speaker keys: 1-9 0 space u o · n or enter: back to writing")
            note.placeholder = _(
                "the keys drive the talk tracking now · n or enter (or any other letter) writes"
            )
        else:
            label.update(_("Note") + " ›")
            bar.border_title = _("Note line: enter saves · escape: speaker keys")
            note.placeholder = _(
                "write, enter saves · #q quote #t theme #f follow-up #o observation #s summary · "
                "@3 speaker · escape: keys 1-9 0 space"
            )

    def on_key(self, event: events.Key) -> None:
        if self.app.screen is not self or not event.is_printable or not event.character:
            if self.key_mode:
                self._last_key_at = self.live.now()
            return
        note: NoteInput = self.part(NoteInput)
        if note.has_focus:
            # typed before the line had the keys back (sent to the view while it had them):
            # part of the same word, so into the line, whatever key it is
            event.stop()
            event.prevent_default()
            note.insert_text_at_cursor(event.character)
            return
        if not self.key_mode:
            return
        self._last_key_at = self.live.now()
        if event.key in self._bound:
            return
        # typing, not a key of this view: back to the line, with what was typed
        event.stop()
        event.prevent_default()
        # at once, not deferred as ``focus()`` is: the next letters, already on their way,
        # must land in the line too (an "n" there is a letter, not the note key)
        self.set_focus(note)
        self._show_mode(False)
        note.insert_text_at_cursor(event.character)

    def tick(self) -> None:
        super().tick()  # takes in the other journals first (a clean close is an event)
        gone = self.live.moderator_gone_since()
        if gone != self.moderator_gone_since or gone is not None:
            self.moderator_gone_since = gone
            self._show_banner(self.live.now())
        if (
            self.key_mode
            and not self.overlap_pending
            and self.app.screen is self
            and self.live.now() - self._last_key_at >= IDLE_BACK_S
        ):
            self.part(NoteInput).focus()  # a short rest in key mode: the line is ready again

    def banner(self, now: float) -> tuple[str, str] | None:
        gone = self.moderator_gone_since
        if gone is not None:
            return (
                _(
                    "The moderator's app is not running (for {duration}). Your notes and "
                    "speaker keys are still saved; the guide moves again when it is back "
                    "(facilitator run).",
                    duration=clock(max(0.0, now - gone)),
                ),
                "bold white on #c62828",
            )
        return super().banner(now)

    def show_title(self) -> None:
        title = Text()
        title.append(_("Assistant") + " ", style="bold reverse")
        title.append(" " + self.live.info.title, style="bold")
        if not self.live.state.started:
            title.append("  " + _("waiting for the moderator to open the session"), style="italic")
        elif self.live.state.ended:
            title.append("  " + _("the session has ended"), style="bold")
        self.part("#title-line", QuietStatic).show_text(title)
