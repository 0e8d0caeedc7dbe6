"""A running session: the one place where actions become durable events and then state.

The live view, the simulator and the tests all act through ``LiveSession``:
each action is appended to this process's journal (fsynced) *before* it is
applied to the in-memory state the screen reads, so nothing shown is ever lost.
"""

from __future__ import annotations

import gc
from typing import cast

from facilitator.core import events as ev
from facilitator.core.clock import STEP_S, Clock, SteadyClock
from facilitator.core.events import Event
from facilitator.core.notes import parse_note
from facilitator.core.session import (
    Participant,
    SessionInfo,
    SessionState,
    next_phase_target,
    next_question_target,
    previous_phase_target,
    previous_question_target,
    state_of,
)
from facilitator.core.talk import MODERATOR as SPEAKER_MODERATOR
from facilitator.core.text import visible
from facilitator.i18n import _
from facilitator.store.journal import JournalLocked, JournalTail, JournalWriter, StorageError
from facilitator.store.session_store import SessionDamaged, SessionStore, previous_stage_store

MODERATOR = "moderator"
ASSISTANT = "assistant"
MAX_ASSISTANTS = 9
MODERATOR_GONE_AFTER_S = 6.0  # the moderator's heartbeat (every 2 s) missed this long: gone


def _steady(clock: object) -> SteadyClock | None:
    """``clock`` if it can tell a step of the wall clock (a ``SteadyClock``); None for the
    fake and scaled clocks of tests and the simulator, which cannot, and need not."""
    if all(hasattr(clock, name) for name in ("offset_s", "slept_s", "shift", "wall")):
        return cast(SteadyClock, clock)
    return None


# Who owns what. Every process writes only its own journal. The moderator's process owns
# the session clock and the guide position (started, opened with its gap, goto, paused,
# resumed, checked, ended). Either process may record talk tracking (speaker, undo,
# reassign, overlap, presence, roster), notes (each note is owned by the process that
# wrote it; an edit or a delete is a new event that names it) and dismissals. The
# moderator's reflexivity log is written by the moderator's process only.


class LiveSession:
    def __init__(
        self,
        store: SessionStore,
        writer: str = MODERATOR,
        clock: Clock | None = None,
        read_only: bool = False,
    ) -> None:
        self.store = store
        self.clock = clock or SteadyClock()
        self.info: SessionInfo = store.info()
        # Where the journals end, taken *before* they are read: what another process appends
        # meanwhile is read again by ``poll`` (and skipped there as seen), never missed.
        self.tail = JournalTail()
        for path in store.journal_paths():
            self.tail.skip_to_end(path)
        # The state: from the snapshot of the folded state and the journals' tails when it
        # fits them (a long session opens as fast as a short one), else folded from every
        # event (see ``store.snapshot``: a cache, checked against the journals)
        resumed = store.resume(self.info)
        loaded = None if resumed is not None else store.read_events()
        self.problems = list(loaded.problems) if loaded is not None else []
        # --- damaged files: copied aside and rebuilt from what can be read, before anything
        # writes to them, and said so with the other problems (SessionStore.repair) ---
        self.problems.extend(store.repair(loaded))
        # --- end of damaged files ---
        self.state = resumed.state if resumed is not None else self._fold(loaded.events)  # type: ignore[union-attr]
        self.polled: list[Event] = []
        # The folded history lives as long as the session: keep it out of the garbage
        # collector's full passes, whose pauses otherwise grow with the session's length.
        gc.freeze()
        self.writer_name = writer
        self._checking_clock = False
        self._step_back_s = self._align_clock()
        self.started_now = False  # this process started the session's clock
        self.journal: JournalWriter | None = None
        self.read_only = read_only or self.state.ended
        if not self.read_only:
            self.journal = self._open_journal(writer)
            if self.journal.recovered_torn_tail:
                self.problems.append(
                    "the last write before the crash was incomplete and was not saved"
                )
            self._announce_open()

    # --- the computer's clock: steps and sleeps (see core.clock) ---------------------------------

    def _align_clock(self) -> float:
        """Put this process's steady clock on the session's time line: the wall clock less the
        steps recorded so far. Returns how far the wall clock is behind the session's last
        event, if it was set back while no process ran (the time line never runs back)."""
        clock = _steady(self.clock)
        self._offset_recorded = 0.0
        self._slept_recorded = 0.0
        if clock is None:
            return 0.0
        clock.shift(-self.state.clock_offset_s)
        behind = self.state.last_at - clock.now()
        if behind > STEP_S:
            clock.shift(behind)
        else:
            behind = 0.0
        self._offset_recorded = clock.offset_s()
        return behind

    def check_clock(self) -> None:
        """Record a step of the wall clock, or a sleep of the computer, since the last check.

        The moderator's process records them (it owns the session clock); every process keeps
        its own steady time, so neither ever becomes talk time."""
        clock = _steady(self.clock)
        if clock is None or self.journal is None or self._checking_clock or not self.owns_clock:
            return
        self._checking_clock = True
        try:
            offset = clock.offset_s()
            if abs(offset - self._offset_recorded) > STEP_S:
                step = offset - self._offset_recorded
                self.record(ev.CLOCK_STEP, {"step_s": round(step, 3), "wall": clock.wall()})
                self._offset_recorded = offset
            slept = clock.slept_s()
            if slept - self._slept_recorded > STEP_S:
                self.record(ev.SUSPENDED, {"slept_s": round(slept - self._slept_recorded, 3)})
                self._slept_recorded = slept
        finally:
            self._checking_clock = False

    # --- end of the computer's clock ---------------------------------------------------------

    def _fold(self, events: list[Event]) -> SessionState:
        return state_of(self.info, events)

    def _open_journal(self, writer: str) -> JournalWriter:
        """The moderator has one journal; each assistant process takes the first free one."""
        if writer != ASSISTANT:
            return self.store.open_writer(writer)
        journal = self.store.open_free_writer(ASSISTANT, MAX_ASSISTANTS)
        if journal is None:
            raise JournalLocked(_("{count} assistant views are open already", count=MAX_ASSISTANTS))
        self.writer_name = journal.writer
        return journal

    @property
    def owns_clock(self) -> bool:
        return self.writer_name == MODERATOR

    @property
    def guide(self):
        return self.info.guide

    def now(self) -> float:
        return self.clock.now()

    def _announce_open(self) -> None:
        steady = _steady(self.clock)
        if self._step_back_s and self.owns_clock and steady is not None:
            # set back while no process ran: said, and the time line goes on from its end
            self.record(
                ev.CLOCK_STEP, {"step_s": -round(self._step_back_s, 3), "wall": steady.wall()}
            )
        now = self.now()
        if not self.owns_clock:
            self.record(ev.OPENED)  # an assistant: the clock and its gaps are the moderator's
            return
        if not self.state.started:
            self._record_together([ev.STARTED, ev.OPENED])  # one write and fsync: the first frame
            self.started_now = True
            return
        assert self.journal is not None
        mine = self.journal.last_at  # this writer's last event, from its journal's end
        last_event = mine if mine is not None else self.state.last_at
        alive = self.store.last_alive(self.writer_name)
        down_since = max(last_event, alive or 0.0)
        down_since = min(down_since, now)
        self.record(ev.OPENED, {"down_since": down_since})

    def record(self, kind: str, data: dict | None = None) -> Event:
        """Make one event durable, then apply it. Raises ``StorageError`` if it is not saved."""
        if self.journal is None:
            raise RuntimeError("this session is open read-only")
        self.check_clock()  # a step or a sleep since the last event is recorded before it
        # Events are folded in (time, Lamport clock) order. Never stamped before what this
        # process has seen (a clock set back), and counted past it, so an edit or a delete
        # comes after the note it names, at the same instant too, in every process and in
        # every fresh read from disk.
        at = max(self.now(), self.state.last_at)
        event = self.journal.append(at, kind, data, lc=self.state.max_lc + 1)
        self.state.apply(event)
        return event

    def _record_together(self, kinds: list[str]) -> list[Event]:
        """Events without data, made durable together (one write and one fsync), then
        applied in order: as ``record`` of each, at one instant. Raises ``StorageError``."""
        if self.journal is None:
            raise RuntimeError("this session is open read-only")
        self.check_clock()
        at = max(self.now(), self.state.last_at)
        first = self.state.max_lc + 1
        events = self.journal.append_all(
            [(at, kind, None, first + n) for n, kind in enumerate(kinds)]
        )
        for event in events:
            self.state.apply(event)
        return events

    # --- other processes ----------------------------------------------------------------------

    def poll(self) -> bool:
        """Take in what other processes have written since; True if anything changed.

        Events from the other journals usually come after ours; when one is older than
        the last event applied here, the state is folded again from every event, so that
        each process ends with exactly the state a fresh start would build.
        """
        new: list[Event] = []
        for path in self.store.journal_paths():
            if self.journal is not None and path == self.journal.path:
                continue
            new.extend(self.tail.read_new(path))
        new = [e for e in new if e.id not in self.state.seen]
        self.polled = new  # what this poll took in (the transcript editor looks at the kinds)
        if not new:
            return False
        new.sort(key=ev.event_order)
        if ev.event_order(new[0]) < self.state.last_order:
            self.state = self._fold(self.store.read_events().events)
        else:
            for event in new:
                self.state.apply(event)
        if self.state.ended and self.owns_clock is False:
            self.read_only = True
        return True

    # --- notes -----------------------------------------------------------------------------------

    def add_note(self, raw: str) -> Event | None:
        """Save a typed note with its moment: clock time, phase, question, speaker, author."""
        self.poll()  # the moment as it is now, with the other process's last moves
        state = self.state
        parsed = parse_note(raw, [p.id for p in state.roster])
        if not parsed.text:
            return None
        speaker = parsed.speaker if parsed.speaker is not None else state.talk.current_speaker
        return self.record(
            ev.NOTE,
            {**self._moment(), "speaker": speaker, "tags": list(parsed.tags), "text": parsed.text},
        )

    def _moment(self) -> dict:
        """Where in the session a note or a reflection is written: clock, phase, question."""
        state = self.state
        return {
            "t_s": round(state.session_s(self.now()), 3),
            "phase": state.phase_id,
            "question": state.question_id,
        }

    def edit_note(self, note_id: str, raw: str) -> Event | None:
        note = self.state.notes.get(note_id)
        if note is None or note.deleted:
            return None
        parsed = parse_note(raw, [p.id for p in self.state.roster])
        if not parsed.text:
            return None
        data: dict = {"note": note_id, "text": parsed.text, "tags": list(parsed.tags)}
        if parsed.speaker is not None:
            data["speaker"] = parsed.speaker
        if parsed.text == note.text and parsed.tags == note.tags and "speaker" not in data:
            return None
        return self.record(ev.NOTE_EDIT, data)

    def delete_note(self, note_id: str) -> Event | None:
        note = self.state.notes.get(note_id)
        if note is None or note.deleted:
            return None
        return self.record(ev.NOTE_DELETE, {"note": note_id})

    def previous_stage(self) -> tuple[SessionInfo, SessionState] | None:
        """The session of the stage before this one in the study (read only), if there is one."""
        store = previous_stage_store(self.store.path.parent, self.info)
        if store is None:
            return None
        try:
            info = store.info()
        except SessionDamaged:
            return None
        return info, state_of(info, store.read_events().events)

    def set_taken_up(self, follow_up_id: str, taken: bool = True) -> Event | None:
        """A follow-up carried from an earlier stage was taken up (or not, after all)."""
        if self.state.taken_up.get(follow_up_id, False) == taken:
            return None
        return self.record(ev.FOLLOW_UP_TAKEN, {"id": follow_up_id, "taken": taken})

    # --- member check ------------------------------------------------------------------------

    def check_order(self, note_ids: list[str]) -> Event | None:
        if note_ids == [n.id for n in self.state.check_points()]:
            return None
        return self.record(ev.CHECK_ORDER, {"ids": note_ids})

    def check_skip(self, note_id: str, skipped: bool) -> Event | None:
        if (note_id in self.state.check.skipped) == skipped:
            return None
        return self.record(ev.CHECK_SKIP, {"note": note_id, "skipped": skipped})

    def check_include(self, kinds: list[str]) -> Event | None:
        return self.record(ev.CHECK_INCLUDE, {"kinds": kinds})

    def check_mark(self, note_id: str, outcome: str | None, nuance: str = "") -> Event | None:
        """The group's verdict on a point read back: confirmed, nuanced (with the nuance),
        refuted; None takes a mark back."""
        data = {"note": note_id, "outcome": outcome, "nuance": visible(nuance)}
        return self.record(ev.CHECK_MARK, data)

    def add_reflection(self, text: str) -> Event | None:
        text = visible(text.strip())
        if not text:
            return None
        return self.record(ev.REFLECTION, {**self._moment(), "text": text})

    # --- actions ---------------------------------------------------------------------------------

    def _goto_target(self, target: tuple[str, str | None] | None) -> Event | None:
        if target is None or self.state.ended or not self.owns_clock:
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
        if self.state.ended or not self.owns_clock:
            return None
        return self.record(ev.RESUMED if self.state.paused else ev.PAUSED)

    def set_checked(self, item_id: str, done: bool) -> Event | None:
        if (
            self.read_only
            or not self.owns_clock
            or self.state.checklist.get(item_id, False) == done
        ):
            return None
        return self.record(ev.CHECKED, {"item": item_id, "done": done})

    def toggle_checked(self, item_id: str) -> Event | None:
        return self.set_checked(item_id, not self.state.checklist.get(item_id, False))

    def end(self) -> Event | None:
        if self.state.ended or not self.owns_clock:
            return None
        event = self.record(ev.ENDED)
        self.read_only = True
        return event

    # --- talk tracking and roster ----------------------------------------------------------------

    def away(self, who: str | None) -> Participant | None:
        """The participant ``who`` if they are on the roster but not here (absent, gone, not
        yet arrived): a key for them must not change the roster (mark them here with ``h``)."""
        if who is None or who == SPEAKER_MODERATOR or not self.state.started:
            return None
        person = self.state.participant(who)
        if person is None or who in self.state.talk.present:
            return None
        return person

    def away_during(self, turn_key: str, who: str | None) -> Participant | None:
        """The participant ``who`` if they were not here at any time of turn ``turn_key``
        (giving it to them counts them present for it: the view asks first)."""
        index = self.state.talk.by_key.get(turn_key)
        if who is None or who == SPEAKER_MODERATOR or index is None:
            return None
        person = self.state.participant(who)
        if person is None:
            return None
        turn = self.state.talk.turns[index]
        if any(who in piece.present for piece in turn.pieces):
            return None
        return person

    def speak(self, who: str | None) -> Event | None:
        """``who`` (a participant id, "moderator" or None for nobody) takes the floor.
        Nothing is recorded for a participant marked away (see ``away``)."""
        self.poll()
        state = self.state
        if state.ended or state.paused or not state.started or self.away(who) is not None:
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
        if self.state.ended or not self.state.started or self.away(who) is not None:
            return None
        return self.record(ev.OVERLAP, {"who": who})

    def set_present(self, pid: str, present: bool) -> Event | None:
        if (pid in self.state.talk.present) == present or not self.state.started:
            return None
        return self.record(ev.PRESENCE, {"id": pid, "present": present})

    def add_participant(self, pid: str, label: str, role: str = "", real_name: str = "") -> Event:
        data = {
            "id": pid,
            "label": visible(label or pid),
            "role": visible(role),
            "real_name": visible(real_name),
        }
        return self.record(ev.ROSTER_ADD, data)

    def edit_participant(self, pid: str, **changes: str) -> Event:
        return self.record(
            ev.ROSTER_EDIT, {"id": pid, **{k: visible(v) for k, v in changes.items()}}
        )

    def reorder(self, ids: list[str]) -> Event:
        return self.record(ev.ROSTER_ORDER, {"ids": ids})

    def dismiss_nudge(self, key: str) -> Event:
        return self.record(ev.NUDGE_DISMISSED, {"key": key})

    # --- audio: consent, the recording's segments, voice activity -------------------------------
    # The moderator's process owns the recorder, so it alone writes these (see the top).

    def set_consent(self, pid: str, given: bool) -> Event | None:
        """Recording consent ticked (or withdrawn) for one participant."""
        if (
            self.read_only
            or not self.owns_clock
            or self.state.participant(pid) is None
            or self.state.audio.has_consent(pid) == given
        ):
            return None
        return self.record(ev.CONSENT, {"id": pid, "given": given})

    def recording_started(self, file: str, start_s: float, device: str) -> Event:
        data = {"action": "start", "file": file, "start_s": round(start_s, 3), "device": device}
        return self.record(ev.RECORDING, data)

    def recording_stopped(
        self, file: str, end_s: float, reason: str, overflows: int = 0, message: str = ""
    ) -> Event:
        data = {
            "action": "stop",
            "file": file,
            "end_s": round(end_s, 3),
            "reason": reason,
            "overflows": overflows,
            "message": message,
        }
        return self.record(ev.RECORDING, data)

    def voice(self, on: bool, t_s: float) -> Event | None:
        if self.state.audio.speaking() == on:
            return None
        return self.record(ev.VOICE, {"on": on, "t_s": round(t_s, 3)})

    # --- housekeeping ----------------------------------------------------------------------------

    def moderator_gone_since(self) -> float | None:
        """In an assistant's process: when the moderator's app was last known to run, if it
        runs no more (it closed, or its heartbeat stopped: killed, crashed, the laptop shut);
        None while it runs, before the session started and after it ended."""
        state = self.state
        if self.owns_clock or not state.started or state.ended:
            return None
        alive = self.store.last_alive(MODERATOR)
        if MODERATOR not in state.open_writers:  # closed cleanly: the last event says when
            return alive if alive is not None else state.last_at
        if alive is None:
            return None  # an older session without heartbeats: nothing to go by
        if self.now() - alive > MODERATOR_GONE_AFTER_S:
            return alive
        return None

    def heartbeat(self) -> None:
        if not self.read_only:
            try:
                self.check_clock()
            except StorageError:
                pass  # a full disk: the next event or heartbeat records the step
            self.store.touch_alive(self.writer_name, self.now())

    def close(self) -> None:
        """A clean exit: say so in the record (unless the session ended) and copy to TinyDB."""
        if self.journal is None:
            return
        try:
            if not self.state.ended:
                self.record(ev.CLOSED)
            # --- a checkpoint that could not be written (a full disk) never raises, as it also
            # runs in a worker beside the view; at the close it is said (journals hold all) ---
            self.store.wait_for_checkpoint()  # a periodic one, in its own process
            if self.store.checkpoint(self.state) < 0:
                raise StorageError(self.store.checkpoint_problem or "")
            # --- end of the checkpoint at the close ---
        finally:
            self.journal.close()
            self.journal = None
