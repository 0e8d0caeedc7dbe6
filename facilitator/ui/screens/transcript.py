"""Correcting the transcript: listen, fix the words, give a statement to its speaker, tag.

Statements in order under their phase and question, each with its time, speaker and words,
the notes written during it beside it. ``space`` plays the selected statement (the word
being spoken lit), ``←``/``→`` move the word cursor, or step back and on while it plays.
Every change is a journal event of this view's own (``services.transcript_review``), on
disk before the screen shows it; the machine transcript is never written over.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from facilitator.audio.playback import SPEEDS
from facilitator.core.notes import question_codes
from facilitator.core.session import MODERATOR
from facilitator.core.transcript import Statement
from facilitator.core.transcript_edits import (
    TAG_KEYS,
    Plan,
    join,
    matches,
    reassign,
    retext,
    split,
    toggle_tag,
)
from facilitator.i18n import N_, _
from facilitator.services.transcript_review import TranscriptReview
from facilitator.store.journal import StorageError
from facilitator.ui.translated import Translated
from facilitator.ui.widgets.transcript_list import TranscriptList, clean, heading_text

if TYPE_CHECKING:
    from facilitator.audio.playback import Player

POLL_S = 0.5  # another view's corrections show within half a second
PLAY_TICK_S = 0.05  # the word being spoken follows the audio this closely
STEP_S = 5.0  # left / right while playing
PAGE = 10  # statements a page key moves


def _speaker_bindings() -> list[Binding]:
    return [
        *[
            Binding(
                str(n),
                f"give({n})",
                N_("Speaker"),
                id=f"transcript.speaker_{n}",
                tooltip=N_("Give the statement to participant 1-9 in roster order"),
                key_display="1-9",
                show=n == 1,
            )
            for n in range(1, 10)
        ],
        Binding(
            "0",
            "give(0)",
            N_("Moderator"),
            id="transcript.moderator",
            tooltip=N_("Give the statement to the moderator"),
            show=False,
        ),
        Binding(
            "minus",
            "give(-1)",
            N_("Nobody"),
            id="transcript.nobody",
            tooltip=N_("Nobody known said it (unattributed)"),
            key_display="-",
            show=False,
        ),
    ]


class TranscriptScreen(Translated, Screen[None]):
    CSS_PATH = "../styles/transcript.tcss"
    BINDINGS = [
        Binding(
            "space",
            "play",
            N_("Play"),
            id="transcript.play",
            tooltip=N_("Play the statement's audio (the word spoken is lit); again: stop"),
            key_display="space",
        ),
        *_speaker_bindings(),
        Binding(
            "e",
            "edit",
            N_("Edit"),
            id="transcript.edit",
            tooltip=N_("Edit the words (the machine's words are kept)"),
        ),
        Binding(
            "s",
            "split",
            N_("Split"),
            id="transcript.split",
            tooltip=N_("A new statement starts at the word under the cursor"),
        ),
        Binding(
            "m",
            "join",
            N_("Join"),
            id="transcript.join",
            tooltip=N_("Join the statement to the one before (same speaker)"),
        ),
        Binding(
            "q",
            "tag('quote')",
            N_("Quote"),
            id="transcript.quote",
            tooltip=N_("Tag as a quote: a #quote note linked to it (again: take it off)"),
        ),
        Binding(
            "t",
            "tag('theme')",
            N_("Theme"),
            id="transcript.theme",
            tooltip=N_("Tag as a theme: a #theme note linked to it (again: take it off)"),
            show=False,
        ),
        Binding(
            "f",
            "tag('follow-up')",
            N_("Follow-up"),
            id="transcript.follow_up",
            tooltip=N_("Tag as a follow-up: a #follow-up note linked to it (again: take it off)"),
            show=False,
        ),
        Binding(
            "slash",
            "search",
            N_("Search"),
            id="transcript.search",
            tooltip=N_("Search words, speakers and tags (#quote); n / N: next / previous"),
            show=False,
            key_display="/",
        ),
        Binding(
            "n",
            "find(1)",
            N_("Next match"),
            id="transcript.next_match",
            tooltip=N_("The next statement the search finds"),
            show=False,
        ),
        Binding(
            "N",
            "find(-1)",
            N_("Previous match"),
            id="transcript.previous_match",
            tooltip=N_("The previous statement the search finds"),
            show=False,
        ),
        Binding(
            "u",
            "undo",
            N_("Undo"),
            id="transcript.undo",
            tooltip=N_("Take back this view's last change"),
        ),
        Binding(
            "x",
            "speed",
            N_("Speed"),
            id="transcript.speed",
            tooltip=N_("Play at 1x, 0.75x or 0.5x (the pitch kept)"),
            show=False,
        ),
        Binding(
            "down,j",
            "move(1)",
            N_("Next"),
            id="transcript.down",
            tooltip=N_("The next statement"),
            key_display="↓",
            show=False,
        ),
        Binding(
            "up,k",
            "move(-1)",
            N_("Previous"),
            id="transcript.up",
            tooltip=N_("The statement before"),
            key_display="↑",
            show=False,
        ),
        Binding(
            "pagedown",
            "move(10)",
            N_("Page down"),
            id="transcript.page_down",
            tooltip=N_("Ten statements on"),
            key_display="PgDn",
            show=False,
        ),
        Binding(
            "pageup",
            "move(-10)",
            N_("Page up"),
            id="transcript.page_up",
            tooltip=N_("Ten statements back"),
            key_display="PgUp",
            show=False,
        ),
        Binding(
            "home",
            "move(-1000000)",
            N_("First"),
            id="transcript.first",
            tooltip=N_("The first statement"),
            show=False,
        ),
        Binding(
            "end",
            "move(1000000)",
            N_("Last"),
            id="transcript.last",
            tooltip=N_("The last statement"),
            show=False,
        ),
        Binding(
            "right",
            "step(1)",
            N_("Word on"),
            id="transcript.right",
            tooltip=N_("The next word (while playing: 5 s on)"),
            key_display="→",
            show=False,
        ),
        Binding(
            "left",
            "step(-1)",
            N_("Word back"),
            id="transcript.left",
            tooltip=N_("The word before (while playing: 5 s back)"),
            key_display="←",
            show=False,
        ),
        Binding(
            "question_mark,f1",
            "help",
            N_("Help"),
            id="transcript.help",
            tooltip=N_("Show every key"),
            show=False,
            key_display="?",
        ),
        Binding(
            "escape",
            "close",
            N_("Back"),
            id="transcript.close",
            tooltip=N_("Close the transcript"),
            show=False,
        ),
    ]

    def __init__(self, review: TranscriptReview, exit_on_close: bool = False) -> None:
        super().__init__()
        self.review = review
        self.live = review  # what the help screen reads
        self.exit_on_close = exit_on_close
        self.mode: str | None = None  # "edit" or "search" while the input line is open
        self.search_text = ""
        self.speed_index = 0
        self.storage_problem: str | None = None
        self.player: Player | None = None
        self._playing_index: int | None = None
        guide = review.state.guide
        codes = question_codes(guide)
        self._phases = {p.id: p.title for p in guide.phases}
        self._questions = {
            q.id: f"{codes.get(q.id, '')} {q.text}" for p in guide.phases for q in p.questions
        }

    # --- building --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="transcript-title")
        yield TranscriptList(
            self.review.statements,
            self.review.label,
            lambda s: heading_text(s, self._phases, self._questions),
            self._notes(),
            id="transcript-list",
        )
        yield Input(id="transcript-input", select_on_focus=False)
        yield Static("", id="transcript-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#transcript-input", Input).display = False
        self.list.focus()  # laid out when it learns its size (on_resize): once, at its width
        self.show_title()
        if not self.review.edits.complete:  # the first words are shown: now all of them
            self.call_after_refresh(self._complete)
        self.set_interval(POLL_S, self._poll)
        for problem in self.review.problems:
            self.notify(problem, severity="warning", timeout=10)

    @property
    def list(self) -> TranscriptList:
        return self.query_one(TranscriptList)

    def _notes(self):
        return self.review.edits.notes_beside(self.review.state.live_notes())

    @property
    def selected(self) -> Statement | None:
        statements = self.review.statements
        index = self.list.selected
        return statements[index] if 0 <= index < len(statements) else None

    def _complete(self) -> None:
        """Every word attributed (the opening showed the first ones), the selection kept."""
        if self.review.edits.complete:
            return
        statement = self.selected
        self.review.complete()
        self.reload(statement.id if statement is not None else None)

    def show_title(self, status: str = "") -> None:
        transcript = self.review.edits.transcript
        if not self.review.edits.complete:
            self.query_one("#transcript-title", Static).update(
                _("Transcript · reading every statement …")
            )
            return
        title = _(
            "Transcript · {statements} statements · {words} words · {unattributed} unattributed",
            statements=len(transcript.statements),
            words=transcript.words,
            unattributed=transcript.unattributed_words,
        )
        speed = self._speed
        if speed != 1.0:
            title += " · " + _("speed {speed}x", speed=f"{speed:g}")
        if self.player is not None and self.player.playing:
            title += " · ▶ " + _("playing")
        self.query_one("#transcript-title", Static).update(clean(title))
        line = (
            status
            or self.storage_problem
            or _(
                "t theme · f follow-up · / search · x speed · - nobody · ? every key · escape back"
            )
        )
        self.query_one("#transcript-status", Static).update(clean(line))

    def reload(self, keep: str | None = None, spliced: bool = False) -> None:
        """The statements changed: lay out again (only what one correction made again, when
        ``spliced``), the selection kept on ``keep`` (a word id)."""
        splice = self.review.edits.last_splice
        if spliced and splice is not None:
            self.list.splice(*splice, self._notes())
        else:
            self.list.relayout(self.review.statements, self._notes())
        if keep is not None:
            index = self.review.edits.statement_of(keep)
            if index is None:
                position = self.review.edits.position.get(keep, 0)
                index = max(0, bisect_right(self.review.edits.first_at, position) - 1)
            self.list.select(index, self.list.cursor if index == self.list.selected else 0)
        self.show_title()

    # --- saving ----------------------------------------------------------------------------

    def _apply(self, plan: Plan, keep: str | None = None, cursor: int | None = None) -> bool:
        """Record the plan and show it; False (and NOT SAVED) if it could not be written."""
        if not plan:
            return False
        self.review.edits.last_splice = None
        try:
            self.review.apply(plan)
        except StorageError as error:
            self._not_saved(error)
            return False
        self._saved_again()
        self.reload(keep, spliced=True)
        if cursor is not None:
            self.list.select(self.list.selected, cursor)
        return True

    def _not_saved(self, error: Exception) -> None:
        self.storage_problem = _(
            "NOT SAVED: {reason}. The last change was not recorded; free disk space and "
            "press the key again.",
            reason=error,
        )
        self.notify(self.storage_problem, severity="error", timeout=15)
        self.show_title()

    def _saved_again(self) -> None:
        if self.storage_problem:
            self.storage_problem = None
            self.notify(_("Saving works again."), timeout=5)

    def _poll(self) -> None:
        statement = self.selected
        keep = None
        if statement is not None and 0 <= self.list.cursor < len(statement.words):
            keep = statement.words[self.list.cursor].word.id
        try:
            changed = self.review.poll_transcript()
        except StorageError:
            return
        if changed:
            self.reload(keep)

    # --- while the words or the search are typed -------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the input line is open, keys are text: no command runs but closing it."""
        return self.mode is None or action in ("close", "quit", "command_palette")

    def on_key(self, event) -> None:
        """A key typed in the instant between opening the input line and its taking the
        focus is text for it, not lost."""
        field = self.query_one("#transcript-input", Input)
        if self.mode is not None and self.focused is not field and event.is_printable:
            field.focus()
            field.insert_text_at_cursor(event.character or "")
            event.stop()
            event.prevent_default()

    # --- moving ----------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        self._complete()  # a key before every word is attributed waits for it
        if self.mode is not None:
            return
        self.list.select(self.list.selected + delta)

    def action_step(self, delta: int) -> None:
        self._complete()  # a key before every word is attributed waits for it
        statement = self.selected
        if statement is None:
            return
        player = self.player
        if player is not None and player.playing:
            at = player.position()
            if at is None:
                at = statement.start_s
            self._play_from(at + delta * STEP_S)
            return
        cursor = min(max(0, self.list.cursor + delta), len(statement.words) - 1)
        self.list.select(self.list.selected, cursor)

    # --- the speaker -------------------------------------------------------------------------

    def action_give(self, number: int) -> None:
        self._complete()  # a key before every word is attributed waits for it
        statement = self.selected
        if statement is None:
            return
        if number == 0:
            who: str | None = MODERATOR
        elif number < 0:
            who = None
        else:
            roster = self.review.state.roster
            if number > len(roster):
                self.show_title(_("there is no participant {number}", number=number))
                return
            who = roster[number - 1].id
        index = self.list.selected
        after = (
            self.review.statements[index + 1] if index + 1 < len(self.review.statements) else None
        )
        plan = reassign(statement, who, self.review.state.transcript_edits, after)
        if self._apply(plan, keep=statement.id):
            self.show_title(_("given to {who}", who=self.review.label(who)))

    # --- the words -----------------------------------------------------------------------------

    def action_edit(self) -> None:
        self._complete()  # a key before every word is attributed waits for it
        statement = self.selected
        if statement is None:
            return
        self._open_input("edit", statement.text)

    def action_search(self) -> None:
        self._complete()  # a key before every word is attributed waits for it
        self._open_input("search", self.search_text)

    def _open_input(self, mode: str, value: str) -> None:
        field = self.query_one("#transcript-input", Input)
        field.value = value
        field.placeholder = (
            _("the words as spoken · enter saves · escape leaves them as they were")
            if mode == "edit"
            else _("search words, speakers, tags (#quote) · enter finds · escape closes")
        )
        field.display = True
        field.cursor_position = len(value)
        self.mode = mode
        field.focus()
        if mode == "edit":
            original = self._original(self.selected)
            self.show_title(
                _("the machine heard: {words}", words=original)
                if original
                else _("enter saves · escape leaves the words as they were")
            )

    def _original(self, statement: Statement | None) -> str:
        if statement is None or all(w.text == w.word.text for w in statement.words):
            return ""
        return " ".join(w.word.text for w in statement.words)

    def _close_input(self) -> None:
        field = self.query_one("#transcript-input", Input)
        field.display = False
        self.mode = None
        self.list.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._complete()  # a key before every word is attributed waits for it
        mode = self.mode
        self._close_input()
        self.show_title()
        statement = self.selected
        if mode == "edit" and statement is not None:
            plan = retext(statement, event.value, self.review.state.transcript_edits)
            saved = self._apply(plan, keep=statement.id)
            if saved and not event.value.strip():
                self.show_title(_("the statement's words were removed (u takes it back)"))
        elif mode == "search":
            self.search_text = event.value
            self._mark_matches()
            self.action_find(1, from_here=True)

    def _mark_matches(self) -> None:
        labels = {p.id: p.label for p in self.review.state.roster}
        labels[MODERATOR] = _("Moderator")
        found = (
            {s.id for s in self.review.statements if matches(s, self.search_text, labels)}
            if self.search_text.strip()
            else set()
        )
        self.list.matches = found
        self.list.relayout()

    def action_find(self, direction: int, from_here: bool = False) -> None:
        self._complete()  # a key before every word is attributed waits for it
        if not self.search_text.strip():
            self.show_title(_("press / to search"))
            return
        found = self.list.matches
        statements = self.review.statements
        count = len(statements)
        if not count:
            return
        start = self.list.selected
        for step in range(0 if from_here else 1, count + 1):
            index = (start + direction * step) % count
            if statements[index].id in found:
                self.list.select(index)
                self.show_title(_("{count} statements found", count=len(found)) if found else "")
                return
        self.show_title(_("not found: {query}", query=self.search_text))

    def action_split(self) -> None:
        self._complete()  # a key before every word is attributed waits for it
        statement = self.selected
        if statement is None:
            return
        plan = split(statement, self.list.cursor, self.review.state.transcript_edits)
        if not plan:
            self.show_title(_("move the cursor (←/→) to the word the new statement starts with"))
            return
        self._apply(plan, keep=statement.words[self.list.cursor].word.id)

    def action_join(self) -> None:
        self._complete()  # a key before every word is attributed waits for it
        index = self.list.selected
        statements = self.review.statements
        if index <= 0 or index >= len(statements):
            return
        plan = join(statements[index - 1], statements[index], self.review.state.transcript_edits)
        if plan.problem == "join-part":
            self.show_title(_("these statements are in different recording parts"))
            return
        self._apply(plan, keep=statements[index - 1].id)

    def action_tag(self, tag: str) -> None:
        self._complete()  # a key before every word is attributed waits for it
        statement = self.selected
        if statement is None or tag not in TAG_KEYS.values():
            return
        linked = [n for n in self.review.state.live_notes() if n.statement == statement.id]
        plan = toggle_tag(statement, tag, self.review.state.transcript_edits, linked)
        self._apply(plan, keep=statement.id)

    def action_undo(self) -> None:
        self._complete()  # a key before every word is attributed waits for it
        keep = None
        if self.review.undo_steps:
            keep = self.review.undo_steps[-1].words[0] if self.review.undo_steps[-1].words else None
        self.review.edits.last_splice = None
        try:
            problem = self.review.undo()
        except StorageError as error:
            self._not_saved(error)
            return
        self.reload(keep, spliced=True)
        if problem:
            self.show_title(problem)

    # --- listening ---------------------------------------------------------------------------

    @property
    def _speed(self) -> float:
        return SPEEDS[self.speed_index % len(SPEEDS)]

    def _player(self) -> Player:
        if self.player is None:
            from facilitator.audio.playback import Player

            self.player = Player(on_problem=self._problem_from_thread)
            self.set_interval(PLAY_TICK_S, self._follow_playing)
        return self.player

    def _problem_from_thread(self, message: str) -> None:
        self.app.call_from_thread(self.notify, message, severity="error", timeout=8)

    def action_play(self) -> None:
        self._complete()  # a key before every word is attributed waits for it
        player = self.player
        if player is not None and player.playing:
            player.stop()
            self._stopped()
            return
        statement = self.selected
        if statement is None:
            return
        self._playing_index = self.list.selected
        self._play_from(statement.start_s)

    def _play_from(self, at_s: float) -> None:
        from facilitator.audio.playback import Source

        index = self._playing_index if self._playing_index is not None else self.list.selected
        statements = self.review.statements
        if not 0 <= index < len(statements):
            return
        statement = statements[index]
        found = self.review.audio_of(statement)
        if isinstance(found, str):
            self.notify(found, severity="error", timeout=8)
            return
        path, start = found
        at_s = max(at_s, start)
        if at_s >= statement.end_s:
            self._player().stop()
            self._stopped()
            return
        self._player().play(Source(path, start), at_s, statement.end_s, self._speed)
        self.show_title()

    def _follow_playing(self) -> None:
        player = self.player
        if player is None:
            return
        at = player.position()
        index = self._playing_index
        if at is None or index is None or index >= len(self.review.statements):
            if self.list.playing_word is not None and not player.playing:
                self._stopped()
            return
        statement = self.review.statements[index]
        word = None
        for spoken in statement.words:
            if spoken.word.start_s <= at:
                word = spoken.word.id
            else:
                break
        if index != self.list.selected:
            self.list.select(index)
        self.list.set_playing(word)

    def _stopped(self) -> None:
        self.list.set_playing(None)
        self._playing_index = None
        self.show_title()

    def action_speed(self) -> None:
        self.speed_index += 1
        self.show_title(_("speed {speed}x", speed=f"{self._speed:g}"))

    # --- closing ------------------------------------------------------------------------------

    def action_help(self) -> None:
        from facilitator.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))

    def action_close(self) -> None:
        if self.mode is not None:
            self._close_input()
            self.show_title()
            return
        self._shutdown()
        if self.exit_on_close:
            self.app.exit()
        else:
            self.app.pop_screen()

    def _shutdown(self) -> None:
        if self.player is not None:
            self.player.close()
            self.player = None
        self.review.close()

    def on_unmount(self) -> None:
        if self.player is not None:
            self.player.close()
