"""A running session: the one place where actions become durable events and then state.

The live view, the simulator and the tests all act through ``LiveSession``:
each action is appended to this process's journal (fsynced) *before* it is
applied to the in-memory state the screen reads, so nothing shown is ever lost.
"""

from __future__ import annotations

import gc

from facilitator.core import events as ev
from facilitator.core.clock import Clock, SystemClock
from facilitator.core.events import Event
from facilitator.core.session import (
    SessionInfo,
    SessionState,
    next_phase_target,
    next_question_target,
    previous_phase_target,
    previous_question_target,
)
from facilitator.store.journal import JournalWriter
from facilitator.store.session_store import SessionStore

MODERATOR = "moderator"


class LiveSession:
    def __init__(
        self,
        store: SessionStore,
        writer: str = MODERATOR,
        clock: Clock | None = None,
        read_only: bool = False,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.info: SessionInfo = store.info()
        loaded = store.read_events()
        self.problems = list(loaded.problems)
        self.state = SessionState.from_events(
            self.info.guide, loaded.events, self.info.participants
        )
        # The folded history lives as long as the session: keep it out of the garbage
        # collector's full passes, whose pauses otherwise grow with the session's length.
        gc.freeze()
        self.writer_name = writer
        self.journal: JournalWriter | None = None
        self.read_only = read_only or self.state.ended
        if not self.read_only:
            self.journal = store.open_writer(writer)
            if self.journal.recovered_torn_tail:
                self.problems.append(
                    "the last write before the crash was incomplete and was not saved"
                )
            self._announce_open(loaded.events)

    @property
    def guide(self):
        return self.info.guide

    def now(self) -> float:
        return self.clock.now()

    def _announce_open(self, events: list[Event]) -> None:
        now = self.now()
        if not self.state.started:
            self.record(ev.STARTED)
            self.record(ev.OPENED)
            return
        mine = [e for e in events if e.writer == self.writer_name]
        last_event = mine[-1].at if mine else self.state.last_at
        alive = self.store.last_alive(self.writer_name)
        down_since = max(last_event, alive or 0.0)
        down_since = min(down_since, now)
        self.record(ev.OPENED, {"down_since": down_since})

    def record(self, kind: str, data: dict | None = None) -> Event:
        """Make one event durable, then apply it. Raises ``StorageError`` if it is not saved."""
        if self.journal is None:
            raise RuntimeError("this session is open read-only")
        event = self.journal.append(self.now(), kind, data)
        self.state.apply(event)
        return event

    # --- actions ---------------------------------------------------------------------------------

    def _goto_target(self, target: tuple[str, str | None] | None) -> Event | None:
        if target is None or self.state.ended:
            return None
        phase_id, question_id = target
        if phase_id == self.state.phase_id and question_id == self.state.question_id:
            return None
        return self.record(ev.GOTO, {"phase": phase_id, "question": question_id})

    def next_question(self) -> Event | None:
        return self._goto_target(next_question_target(self.state))

    def previous_question(self) -> Event | None:
        return self._goto_target(previous_question_target(self.state))

    def next_phase(self) -> Event | None:
        return self._goto_target(next_phase_target(self.state))

    def previous_phase(self) -> Event | None:
        return self._goto_target(previous_phase_target(self.state))

    def goto(self, phase_id: str, question_id: str | None = None) -> Event | None:
        phase = self.guide.phase(phase_id)
        if question_id is None and phase.questions:
            question_id = phase.questions[0].id
        return self._goto_target((phase_id, question_id))

    def toggle_pause(self) -> Event | None:
        if self.state.ended:
            return None
        return self.record(ev.RESUMED if self.state.paused else ev.PAUSED)

    def set_checked(self, item_id: str, done: bool) -> Event | None:
        if self.read_only or self.state.checklist.get(item_id, False) == done:
            return None
        return self.record(ev.CHECKED, {"item": item_id, "done": done})

    def toggle_checked(self, item_id: str) -> Event | None:
        return self.set_checked(item_id, not self.state.checklist.get(item_id, False))

    def end(self) -> Event | None:
        if self.state.ended:
            return None
        event = self.record(ev.ENDED)
        self.read_only = True
        return event

    # --- talk tracking and roster ----------------------------------------------------------------

    def speak(self, who: str | None) -> Event | None:
        """``who`` (a participant id, ``MODERATOR_ID`` or None for nobody) takes the floor."""
        state = self.state
        if state.ended or state.paused or not state.started:
            return None
        if state.talk.current_speaker == who and (who is None or state.talk.current_turn):
            return None
        if who is None and state.talk.current_turn is None:
            return None
        return self.record(ev.SPEAKER, {"who": who})

    def speak_position(self, position: int) -> Event | None:
        """The participant at roster position ``position`` (1-based) takes the floor."""
        if not 1 <= position <= len(self.state.roster):
            return None
        return self.speak(self.state.roster[position - 1].id)

    def undo(self) -> Event | None:
        target = self.state.talk.last_undoable()
        # in a break, the last change is the break's own end of the turn: nothing to undo
        if target is None or self.state.ended or self.state.paused:
            return None
        return self.record(ev.UNDO, {"target": target[1]})

    def reassign(self, turn_key: str, who: str | None) -> Event | None:
        return self.record(ev.REASSIGN, {"turn": turn_key, "who": who})

    def overlap(self, who: str) -> Event | None:
        if self.state.ended or not self.state.started:
            return None
        return self.record(ev.OVERLAP, {"who": who})

    def set_present(self, pid: str, present: bool) -> Event | None:
        if (pid in self.state.talk.present) == present or not self.state.started:
            return None
        return self.record(ev.PRESENCE, {"id": pid, "present": present})

    def add_participant(self, pid: str, label: str, role: str = "", real_name: str = "") -> Event:
        data = {"id": pid, "label": label or pid, "role": role, "real_name": real_name}
        return self.record(ev.ROSTER_ADD, data)

    def edit_participant(self, pid: str, **changes: str) -> Event:
        return self.record(ev.ROSTER_EDIT, {"id": pid, **changes})

    def reorder(self, ids: list[str]) -> Event:
        return self.record(ev.ROSTER_ORDER, {"ids": ids})

    def dismiss_nudge(self, key: str) -> Event:
        return self.record(ev.NUDGE_DISMISSED, {"key": key})

    # --- housekeeping ----------------------------------------------------------------------------

    def heartbeat(self) -> None:
        if not self.read_only:
            self.store.touch_alive(self.writer_name, self.now())

    def close(self) -> None:
        """A clean exit: say so in the record (unless the session ended) and copy to TinyDB."""
        if self.journal is None:
            return
        try:
            if not self.state.ended:
                self.record(ev.CLOSED)
            self.store.checkpoint()
        finally:
            self.journal.close()
            self.journal = None
