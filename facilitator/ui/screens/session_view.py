"""What the moderator's and the assistant's live views share.

:class:`SessionView` is the base of both: the same panels (title, clocks, recording line,
guide position, coverage, talk board, recent notes, note line), the speaker keys, notes, and
:meth:`SessionView.act`, which runs one change of the session and shows it only once it is
on disk. The moderator's view (:mod:`.live`) adds the guide moves, the checklist, the
recording and the end; the assistant's (:mod:`.assist`) adds nothing it would have to hide.

A screen opened from a view (turns, roster, notes, member check, recap) gets a
:class:`SessionActions`, the session and that one way to change it, never the view itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from facilitator.core.audio import voice_nudges
from facilitator.core.notes import author_of
from facilitator.core.talk import ALL, MODERATOR, phase_scope, question_scope
from facilitator.core.talk_figures import nudges, talk_figures
from facilitator.core.timefmt import clock
from facilitator.i18n import N_, _
from facilitator.services.live import LiveSession
from facilitator.store.journal import StorageError
from facilitator.ui.speakers import speaker_name
from facilitator.ui.translated import Translated
from facilitator.ui.typeahead import TypeAhead
from facilitator.ui.widgets.clocks import ClockBar
from facilitator.ui.widgets.guide_panels import (
    CoveragePanel,
    GuidanceLine,
    NextLine,
    PhaseLine,
    QuestionPanel,
)
from facilitator.ui.widgets.notes import NoteBar, NoteInput, RecentNotes
from facilitator.ui.widgets.quiet import QuietStatic
from facilitator.ui.widgets.record_line import RecordLine
from facilitator.ui.widgets.talk_board import TalkBoard, scope_title

TICK_S = 0.5  # the clocks show seconds; twice a second keeps them honest without cost
HEARTBEAT_S = 2.0  # how precisely a crash's gap is dated
OTHER_CHANGE_SHOWN_S = 6.0  # how long the assistant's speaker change is marked for the moderator


def talk_bindings(prefix: str) -> list[Binding]:
    """The speaker keys, shared by the moderator's and the assistant's views."""
    return [
        *[
            Binding(
                str(n),
                f"digit({n})",
                N_("Speaker"),
                id=f"{prefix}.speaker_{n}",
                tooltip=N_(
                    "Participant 1-9 in roster order starts speaking (ends the current turn); "
                    "someone marked away is not (e, then h, marks them here)"
                ),
                key_display="1-9",
                show=n == 1,
            )
            for n in range(1, 10)
        ],
        Binding(
            "0",
            "digit(0)",
            N_("Moderator"),
            id=f"{prefix}.moderator",
            tooltip=N_("The moderator starts speaking"),
        ),
        Binding(
            "space",
            "nobody",
            N_("Nobody"),
            id=f"{prefix}.nobody",
            tooltip=N_("Nobody is speaking: ends the current turn"),
            key_display="space",
        ),
        Binding(
            "u",
            "undo",
            N_("Undo"),
            id=f"{prefix}.undo",
            tooltip=N_("Undo the last speaker change (or overlap mark)"),
        ),
        Binding(
            "o",
            "overlap",
            N_("Overlap"),
            id=f"{prefix}.overlap",
            tooltip=N_("Someone talks over the current speaker: then press who (1-9, 0)"),
        ),
    ]


def scope_binding(prefix: str) -> Binding:
    return Binding(
        "v",
        "scope",
        N_("View"),
        id=f"{prefix}.scope",
        tooltip=N_("Talk figures for the whole session, this phase or this question"),
    )


def notes_binding(prefix: str) -> Binding:
    return Binding(
        "l",
        "notes",
        N_("Notes"),
        id=f"{prefix}.notes",
        tooltip=N_("All notes: filter, search, edit, delete"),
    )


def cancel_binding(prefix: str) -> Binding:
    return Binding(
        "escape",
        "cancel",
        N_("Cancel"),
        id=f"{prefix}.cancel",
        tooltip=N_("Cancel an overlap mark in progress"),
        show=False,
    )


def help_binding(prefix: str) -> Binding:
    return Binding(
        "question_mark,f1",
        "help",
        N_("Help"),
        id=f"{prefix}.help",
        tooltip=N_("Show every key"),
        key_display="?",
    )


NARROW_COLUMNS = 70  # below this width the view stacks its two columns


@dataclass(frozen=True)
class SessionActions:
    """What a screen opened from a live view may do: read the session, and change it through
    ``act`` (saved before it is shown; a failed write is said once, on the view)."""

    live: LiveSession
    act: Callable[[Callable[[], Any]], Any]


class SessionView(Translated, TypeAhead, Screen[None]):
    """The base of the moderator's and the assistant's live views (see the module)."""

    CSS_PATH = "../styles/live.tcss"

    AUTO_FOCUS = ""  # no widget takes the keys until the person at the keyboard asks for it
    KEEP_NOTE_FOCUS = False  # whether the note line keeps the keys after each note

    def __init__(self, live: LiveSession) -> None:
        super().__init__()
        self.live = live
        self.storage_problem: str | None = None
        self._parts: dict = {}
        self.scope_mode = "all"  # "all", "phase" or "question": what the talk board counts
        self.overlap_pending = False
        self.shown_nudges: list[str] = []

    @property
    def actions(self) -> SessionActions:
        return SessionActions(self.live, self._act)

    # --- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="top"):
            yield QuietStatic(id="title-line")
            yield ClockBar(id="clocks")
            yield RecordLine(id="record-line")
        with Horizontal(id="body"):
            with VerticalScroll(id="guide"):
                # over the guide, not across the view: a banner that comes or goes (a break,
                # the rest of the guide no longer fitting) moves only the guide column, which
                # a move through the guide draws again anyway, never the talk board
                yield QuietStatic(id="banner")
                yield PhaseLine(id="phase-line")
                yield QuestionPanel(id="question")
                yield NextLine(id="next")
                yield CoveragePanel(id="coverage")
                yield from self.compose_guide_extras()
                yield GuidanceLine(id="guidance")
            with VerticalScroll(id="side"):
                yield TalkBoard(id="board")
                yield RecentNotes(id="recent-notes")
        yield NoteBar(id="note-bar")
        yield Footer(compact=True)

    def compose_guide_extras(self) -> Iterator[Widget]:
        """Widgets of this view's own under the guide's position (none here)."""
        return iter(())

    def on_mount(self) -> None:
        # (Textual calls the on_mount of every class in the MRO: a view adds to this one through
        # mount_extras, not an on_mount of its own calling super(), which would run it twice)
        self.refresh_view()
        self.set_interval(TICK_S, self.tick)
        self.set_interval(HEARTBEAT_S, self.live.heartbeat)
        self.live.heartbeat()
        for problem in self.live.problems:
            self.notify(problem, severity="warning", timeout=10)
        downs = self.live.state.downtimes()
        if downs and downs[-1].wall_end is not None and downs[-1].wall_end >= self.live.now() - 5:
            gap = downs[-1]
            self.notify(
                _(
                    "Resumed. The app was not running for {duration}; that time counts as "
                    "session time and is marked in the timeline.",
                    duration=clock((gap.wall_end or gap.wall_start) - gap.wall_start),
                ),
                timeout=8,
            )
        self.mount_extras()

    def mount_extras(self) -> None:
        """What this view starts of its own once mounted (nothing here)."""

    def part(self, selector, expect_type=None):
        """``query_one``, remembered: the live view's widgets never change, and a DOM query on
        every key press costs more than all the rest of the redraw."""
        key = (selector, expect_type)
        found = self._parts.get(key)
        if found is None:
            found = (
                self.query_one(selector, expect_type) if expect_type else self.query_one(selector)
            )
            self._parts[key] = found
        return found

    def on_resize(self) -> None:
        # A phone or a narrow window: the guide and the board one above the other, each the
        # full width, instead of a question column a few letters wide beside the board.
        self.set_class(self.size.width < NARROW_COLUMNS, "-narrow")
        # the talk board sizes its rows from its width: draw again once the layout is new
        self.call_after_refresh(self.redraw)

    # --- showing state ---------------------------------------------------------------------------

    def refresh_view(self) -> None:
        """Everything that changes with events (not with time)."""
        self.show_title()
        state = self.live.state
        self.part(PhaseLine).show(state)
        self.part(QuestionPanel).show(state)
        self.part(NextLine).show(state)
        self.part(GuidanceLine).show(state)
        self.show_guide_extras()
        self.part(RecentNotes).show(state)  # notes change only with events, not with time
        self.redraw()

    def show_title(self) -> None:
        info = self.live.info
        title = Text()
        title.append(info.title, style="bold")
        extras = [info.guide.title]
        if info.study:
            extras.append(_("study {study}, stage {stage}", study=info.study, stage=info.stage))
        elif info.guide.stages > 1:
            extras.append(_("stage {stage}", stage=info.stage))
        title.append("  " + " · ".join(extras), style="dim")
        self.part("#title-line", QuietStatic).show_text(title)

    def show_guide_extras(self) -> None:
        """Show the widgets of :meth:`compose_guide_extras` (none here)."""

    def tick(self) -> None:
        """Twice a second: take in what the other process wrote, then move the clocks."""
        if self.live.poll():
            self.refresh_view()
        else:
            self.redraw()

    def redraw(self) -> None:
        """The parts that move with time or with local choices (clocks, board, banner)."""
        state = self.live.state
        now = self.live.now()
        self.part(ClockBar).show(state, now)
        self.part(CoveragePanel).show(state, now)
        self._show_record_line()
        self._show_board(now)
        self._show_banner(now)

    @property
    def scope(self) -> str:
        state = self.live.state
        if self.scope_mode == "phase":
            return phase_scope(state.phase_id)
        if self.scope_mode == "question" and state.question_id is not None:
            return question_scope(state.question_id)
        return ALL

    def _show_board(self, now: float) -> None:
        state = self.live.state
        now_s = state.session_s(now)
        figures = talk_figures(state.talk, state.roster, now_s, self.scope)
        whole = figures if self.scope == ALL else talk_figures(state.talk, state.roster, now_s)
        reminders = voice_nudges(state, now_s) + nudges(
            whole, state.guide.settings, now_s, state.dismissed
        )
        self.shown_nudges = [n.key for n in reminders]
        self.part(TalkBoard).show(
            figures,
            reminders,
            scope_title(self.scope, state),
            overlap_pending=self.overlap_pending,
            paused=state.paused,
            speaker_note=self._changed_by_other(now_s),
        )

    def _changed_by_other(self, now_s: float) -> str:
        """For a few seconds after the assistant changed the speaker, say so on the moderator's
        board (the moderator should know the assistant pressed it, not wonder)."""
        turn = self.live.state.talk.current_turn
        if turn is None or now_s - turn.start_s >= OTHER_CHANGE_SHOWN_S:
            return ""
        # only in the moderator's view: there the assistant's key is the surprise
        if not self.live.owns_clock or author_of(turn.key.rpartition(":")[0]) != "assistant":
            return ""
        return _("set by the assistant")

    def _show_record_line(self) -> None:
        """What the moderator's process records (this view does not record itself)."""
        state = self.live.state
        now_s = state.session_s(self.live.now())
        unattributed = state.audio.live_unattributed_s(state.talk, now_s)
        line = self.part(RecordLine)
        segment = state.audio.current
        if segment is not None:
            from facilitator.services.recording import Meter  # (not loaded before it is needed)

            line.show(Meter(True, segment.seconds(now_s), remote=True), None, unattributed)
        else:
            line.show(None, _("Not recording"), unattributed)

    def _show_banner(self, now: float) -> None:
        banner = self.part("#banner", QuietStatic)
        text = Text()
        if self.storage_problem:
            text.append(" " + self.storage_problem + " ", style="bold white on #c62828")
        else:
            shown = self.banner(now)
            if shown is not None:
                words, style = shown
                text.append(" " + words + " ", style=style)
        banner.show_text(text)
        if banner.display != bool(text.plain):
            banner.display = bool(text.plain)

    def banner(self, now: float) -> tuple[str, str] | None:
        """The line across the view (text and style), if any, besides a storage problem."""
        if self.live.state.paused:
            return _("Break: the moderator has paused the session."), "bold black on #90caf9"
        return None

    # --- acting ----------------------------------------------------------------------------------

    def _act(self, action):
        """Run one state change; show it only once it is on disk. Returns the saved event
        (None if nothing was recorded or the write failed)."""
        try:
            event = action()
        except StorageError as error:
            self.storage_problem = _(
                "NOT SAVED: {reason}. The last action was not recorded; free disk space and "
                "press the key again.",
                reason=error,
            )
            self.notify(self.storage_problem, severity="error", timeout=15)
            self.redraw()
            return None
        if self.storage_problem:
            self.storage_problem = None
            self.notify(_("Saving works again."), timeout=5)
        if event is not None:
            self.refresh_view()
        return event

    def action_digit(self, number: int) -> None:
        who: str | None
        if number == 0:
            who = MODERATOR
        elif number <= len(self.live.state.roster):
            who = self.live.state.roster[number - 1].id
        else:
            self.notify(_("No participant {number} in the roster.", number=number), timeout=3)
            return
        if self._refuse_away(who):
            return
        if self.overlap_pending:
            self.overlap_pending = False
            self.mark_overlap(who)
            return
        self.speak(who)

    def _refuse_away(self, who: str | None) -> bool:
        """A key for someone marked away changes nothing: say so, and how to mark them here."""
        person = self.live.away(who)
        if person is None:
            return False
        self.notify(
            _(
                "{label} ({id}) is marked away: nothing recorded. To mark them here, press e, "
                "then h on their line.",
                label=person.label,
                id=person.id,
            ),
            severity="warning",
            timeout=6,
        )
        return True

    def speak(self, who: str | None) -> None:
        if self.live.state.paused:
            self.notify(_("The session is paused: press p to resume first."), timeout=3)
            return
        self._act(lambda: self.live.speak(who))

    # --- notes -------------------------------------------------------------------------------

    def action_note(self) -> None:
        self.set_focus(self.part(NoteInput))  # at once: the letters typed next go in it

    def on_input_submitted(self, event: NoteInput.Submitted) -> None:
        if not isinstance(event.input, NoteInput):
            return
        text = event.value
        if not text.strip():
            self.set_focus(None)
            return
        # saved: clear it (a failed save keeps the text; the other writer's notes, taken in by
        # the same save, must not count as this one)
        if self._act(lambda: self.live.add_note(text)) is not None:
            event.input.value = ""
            if not self.KEEP_NOTE_FOCUS:
                self.set_focus(None)

    def on_note_input_leave(self, message: NoteInput.Leave) -> None:
        self.set_focus(None)

    def _catch_up(self) -> None:
        """Before a list opens: take in what the other process wrote since the last tick."""
        if self.live.poll():
            self.refresh_view()

    def action_notes(self) -> None:
        from facilitator.ui.screens.notes import NotesScreen

        self._catch_up()
        self.app.push_screen(NotesScreen(self.live, self._act), lambda _: self.refresh_view())

    def mark_overlap(self, who: str) -> None:
        over = self.live.state.talk.current_speaker
        if self._act(lambda: self.live.overlap(who)) is not None:
            self.notify(
                _(
                    "Overlap: {who} talked over {over} (u takes it back).",
                    who=speaker_name(self.live.state, who),
                    over=speaker_name(self.live.state, over),
                ),
                timeout=4,
            )
        self.redraw()

    def action_nobody(self) -> None:
        if self.overlap_pending:
            return
        self.speak(None)

    def action_undo(self) -> None:
        state = self.live.state
        if state.paused:
            self.notify(_("The session is paused: press p to resume first."), timeout=3)
            return
        target = state.talk.last_undoable()
        if target is None:
            self.notify(_("Nothing to undo."), timeout=3)
            return
        if target[0] == "overlap":
            mark = state.talk.overlaps[-1]
            what = _(
                "Undone: the overlap mark ({who} over {over}).",
                who=speaker_name(state, mark.who),
                over=speaker_name(state, mark.over),
            )
            if self._act(self.live.undo) is not None:
                self.notify(what, timeout=4)
            return
        undone = state.talk.turns[-1].who
        if self._act(self.live.undo) is None:
            return
        state = self.live.state
        self.notify(
            _(
                "Undone: {who} speaking. Now: {now}.",
                who=speaker_name(state, undone),
                now=speaker_name(state, state.talk.current_speaker),
            ),
            timeout=4,
        )

    def action_overlap(self) -> None:
        if self.live.state.talk.current_speaker is None:
            self.notify(_("Nobody is speaking: there is nobody to talk over."), timeout=3)
            return
        self.overlap_pending = True
        self.redraw()

    def action_cancel(self) -> None:
        if self.overlap_pending:
            self.overlap_pending = False
            self.redraw()

    def action_scope(self) -> None:
        order = ["all", "phase", "question"]
        self.scope_mode = order[(order.index(self.scope_mode) + 1) % len(order)]
        self.redraw()

    def action_help(self) -> None:
        from facilitator.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))
