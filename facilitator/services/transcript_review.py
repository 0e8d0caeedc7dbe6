"""A session opened to correct its transcript: the editor's keys become durable events.

``TranscriptReview`` is a ``LiveSession`` that writes a journal of its own (``review``, or
``assistant-review`` when the assistant reviews; ``-2``, ``-3`` ... for more at once), so
it can correct an ended session as well as one still running, beside the moderator's and
the assistant's views and beside another reviewer: each process writes only its own
journal and reads the others' twice a second (``poll_transcript``). It records no
``opened`` or ``closed``: the clock and the guide are the moderator's.

Each correction is appended and fsynced before the screen shows it (``LiveSession.record``),
so a kill loses nothing shown; the machine transcript in ``transcript/`` is only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from facilitator.core import events as ev
from facilitator.core.clock import Clock
from facilitator.core.events import Event
from facilitator.core.transcript import MachineTranscript, Statement
from facilitator.core.transcript_edits import (
    Change,
    EditableTranscript,
    Plan,
    changed_words,
    copy_corrections,
    still_as_planned,
)
from facilitator.i18n import _
from facilitator.services.live import ASSISTANT, MODERATOR, LiveSession
from facilitator.store.journal import JournalLocked
from facilitator.store.session_store import SessionStore
from facilitator.store.transcript_store import TranscriptStore

REVIEW = "review"
MAX_REVIEWERS = 9
# Events from another process after which the statements are attributed again whole: the
# keyed turns changed (a speaker key, an undo, a reassigned turn, an overlap mark).
TALK_KINDS = frozenset({ev.SPEAKER, ev.UNDO, ev.REASSIGN, ev.OVERLAP, ev.STARTED})


class NoTranscript(Exception):
    """The session has no transcript to correct; ``str()`` says what to do."""


@dataclass
class UndoStep:
    done: list[Change]  # what was recorded
    undo: list[Change]  # what takes it back
    words: tuple[str, ...]


def review_writer(role: str) -> str:
    """The journal's base name for a reviewer of ``role`` ("moderator" or "assistant")."""
    return f"{ASSISTANT}-{REVIEW}" if role == ASSISTANT else REVIEW


class TranscriptReview(LiveSession):
    def __init__(
        self,
        store: SessionStore,
        role: str = MODERATOR,
        clock: Clock | None = None,
        opening: bool = False,
    ) -> None:
        """``opening``: attribute only the first words now (``edits.complete`` False), for a
        first screen at once; ``complete()`` attributes them all."""
        loaded = TranscriptStore(store.path).load()
        if loaded is None:
            raise NoTranscript(
                _(
                    "this session has no transcript yet: make one with "
                    "'facilitator transcribe {id}'",
                    id=store.path.name,
                )
            )
        super().__init__(store, writer=review_writer(role), clock=clock, read_only=True)
        self.machine: MachineTranscript = loaded.machine
        self.problems.extend(loaded.problems)
        self.journal = self._open_review_journal(review_writer(role))
        self.read_only = False
        if opening:
            self.edits = EditableTranscript.opening(self.machine, self.state)
        else:
            self.edits = EditableTranscript(self.machine, self.state)
        self.undo_steps: list[UndoStep] = []

    def complete(self) -> bool:
        """Attribute every word, if only the opening was; True if it did now."""
        if self.edits.complete:
            return False
        self.edits = EditableTranscript(self.machine, self.state)
        return True

    def _open_review_journal(self, base: str):
        for number in range(1, MAX_REVIEWERS + 1):
            name = base if number == 1 else f"{base}-{number}"
            try:
                journal = self.store.open_writer(name)
            except JournalLocked:
                continue
            self.writer_name = name
            return journal
        raise JournalLocked(
            _("{count} transcript views of this session are open already", count=MAX_REVIEWERS)
        )

    @property
    def statements(self) -> list[Statement]:
        return self.edits.statements

    # --- corrections -----------------------------------------------------------------------

    def apply(self, plan: Plan) -> list[Event]:
        """Record the plan's events (one write, one fsync), then apply them and make the
        statements around them again. Raises ``StorageError`` when they could not be
        written: then nothing was recorded and nothing changes."""
        if not plan.changes:
            return []
        if not self.edits.complete:
            raise RuntimeError("a plan made on the opening statements: complete() first")
        recorded = self.record_all(plan.changes)
        undo = list(plan.undo)
        undo += [Change(ev.NOTE_DELETE, {"note": e.id}) for e in recorded if e.kind == ev.NOTE]
        self.undo_steps.append(UndoStep(list(plan.changes), undo, plan.words))
        self.edits.refresh(plan.words, self.state.transcript_edits)
        return recorded

    def record_all(self, changes: list[Change]) -> list[Event]:
        """Make a key's events durable together (one write, one fsync), then apply them;
        stamped and counted as ``LiveSession.record`` stamps one."""
        if self.journal is None:
            raise RuntimeError("this session is open read-only")
        at = max(self.now(), self.state.last_at)
        lc = self.state.max_lc
        entries = [(at, c.kind, c.data, lc + n) for n, c in enumerate(changes, start=1)]
        events = self.journal.append_all(entries)
        for event in events:
            self.state.apply(event)
        return events

    def undo(self) -> str | None:  # type: ignore[override]
        """Take back this view's last correction; a message if it cannot be."""
        self.complete()
        if not self.undo_steps:
            return _("nothing to undo")
        step = self.undo_steps[-1]
        self.poll_transcript()
        if not still_as_planned(step.done, self.state.transcript_edits):
            self.undo_steps.pop()
            return _("not undone: another view has corrected these words since")
        for change, event in zip(step.undo, self.record_all(step.undo), strict=True):
            was = change.data.get("was") if change.kind == ev.NOTE else None
            if was:  # a deleted note written again: earlier steps now mean the new one
                for earlier in self.undo_steps:
                    earlier.undo = [
                        Change(ev.NOTE_DELETE, {"note": event.id})
                        if c.kind == ev.NOTE_DELETE and c.data.get("note") == was
                        else c
                        for c in earlier.undo
                    ]
        self.undo_steps.pop()
        self.edits.refresh(step.words, self.state.transcript_edits)
        return None

    # --- other processes -----------------------------------------------------------------------

    def poll_transcript(self) -> bool:
        """Take in what other processes wrote; True if the statements may have changed."""
        completed = self.complete()
        before_state = self.state
        before = copy_corrections(self.state.transcript_edits)
        if not self.poll():
            return completed
        kinds = {e.kind for e in self.polled}
        if ev.TRANSCRIBED in kinds:
            loaded = TranscriptStore(self.store.path).load()
            if loaded is not None:
                self.machine = loaded.machine
                self.edits.machine = loaded.machine
            self.edits.rebuild(self.state)
        elif self.state is not before_state or kinds & TALK_KINDS:
            self.edits.rebuild(self.state)
        else:
            words = changed_words(before, self.state.transcript_edits)
            if words:
                self.edits.refresh(words, self.state.transcript_edits)
        return True

    # --- the audio of a statement ------------------------------------------------------------

    def audio_of(self, statement: Statement) -> tuple[Path, float] | str:
        """The recording part holding the statement and its start on the session clock, or
        why it cannot be played (translated)."""
        audio = self.state.audio
        for segment in audio.segments:
            if Path(segment.file).stem != statement.part:
                continue
            if segment.key in audio.purged_keys:
                return _("this session's audio was deleted (facilitator purge --audio)")
            path = self.store.path / segment.file
            if not path.exists():
                return _("The recording file {file} is not there (deleted?)", file=segment.file)
            return path, segment.start_s
        return _("no recording part holds this statement")

    def label(self, who: str | None) -> str:
        if who is None:
            return _("nobody")
        if who == MODERATOR:
            return _("Moderator")
        person = self.state.participant(who)
        return person.label if person else who

    def close(self) -> None:
        """Nothing to announce: only the journal is closed (every event is on disk)."""
        if self.journal is not None:
            self.journal.close()
            self.journal = None
