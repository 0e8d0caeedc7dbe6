"""The session state machine: a pure fold over the session's events.

``SessionState.apply`` takes events in order (see ``events.event_order``) and
keeps the figures the live view needs up to date in O(1) per event, so a key
press costs the same at event 10,000 as at event 10. Everything that depends on
the present moment takes ``now`` (wall-clock seconds) from the caller.

The session clock runs from the ``started`` event to the ``ended`` event and
stops during pauses (a break). Time the app was not running counts as session
time: the group went on talking. Such gaps are marked in the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from facilitator.core import events as ev
from facilitator.core.audio import AudioLedger
from facilitator.core.corrections import Corrections
from facilitator.core.events import Event
from facilitator.core.guide import Guide, Phase, Question
from facilitator.core.notes import TAGS, CarriedFollowUp, Note, Reflection, author_of
from facilitator.core.talk import MODERATOR, TalkLedger
from facilitator.core.text import visible

MAX_PARTICIPANTS = 12
AMBER_AT = 0.70  # share of plan at which a clock turns amber
RED_AT = 1.00  # share of plan past which it turns red


@dataclass(frozen=True)
class Participant:
    id: str
    label: str
    role: str = ""
    real_name: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "label": self.label, "role": self.role, "real_name": self.real_name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Participant:
        return cls(
            id=visible(str(data["id"])),
            label=visible(str(data.get("label") or data["id"])),
            role=visible(str(data.get("role", ""))),
            real_name=visible(str(data.get("real_name", ""))),
        )


@dataclass(frozen=True)
class SessionInfo:
    """What is fixed when a session is created."""

    id: str
    title: str
    guide: Guide
    created_at: float
    participants: tuple[Participant, ...] = ()
    study: str = ""
    stage: int = 1
    guide_path: str = ""
    newcomers: tuple[str, ...] = ()  # participant ids new to the group at this stage
    absent: tuple[str, ...] = ()  # expected not to come: not counted present from the start
    previous: str = ""  # the id of the session of the stage before, in the same study
    carried: tuple[CarriedFollowUp, ...] = ()  # open follow-ups from earlier stages
    full_guide: Guide | None = None  # every stage of the guide, for the next stage
    consent: tuple[str, ...] = ()  # participants who consented to recording in writing


OUTCOMES = ("confirmed", "nuanced", "refuted")


@dataclass
class MemberCheck:
    """The closing read-back: order, skipped points, extra kinds, and the group's verdicts."""

    order: list[str] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)
    include: tuple[str, ...] = ()
    marks: dict[str, tuple[str, str]] = field(default_factory=dict)  # note -> (outcome, nuance)


@dataclass
class TimelineEntry:
    """A stretch of the session: on a question, in a pause, or with the app not running;
    or a moment: someone arrived or left while the session ran."""

    # "question", "pause", "down"; "clock_step" (an instant: the step in data); "arrived" or
    # "left" (a moment, with ``who``)
    kind: str
    start_s: float  # session clock
    end_s: float | None
    phase: str = ""
    question: str | None = None
    wall_start: float = 0.0
    wall_end: float | None = None
    who: str | None = None  # the participant who arrived or left
    step_s: float = 0.0  # a clock step: how far the wall clock jumped

    def to_dict(self) -> dict[str, Any]:
        extra = {"step_s": round(self.step_s, 3)} if self.kind == "clock_step" else {}
        entry = {
            **extra,
            "kind": self.kind,
            "start_s": round(self.start_s, 3),
            "end_s": None if self.end_s is None else round(self.end_s, 3),
            "phase": self.phase,
            "question": self.question,
            "wall_start": self.wall_start,
            "wall_end": self.wall_end,
        }
        if self.who is not None:
            entry["who"] = self.who
        return entry


def level(fraction: float) -> str:
    """'ok', 'amber' (70 % of plan) or 'red' (past 100 % of plan)."""
    if fraction > RED_AT:
        return "red"
    if fraction >= AMBER_AT:
        return "amber"
    return "ok"


@dataclass
class SessionState:
    guide: Guide
    roster: list[Participant] = field(default_factory=list)
    absent_at_start: tuple[str, ...] = ()
    started_at: float | None = None
    ended_at: float | None = None
    paused_since: float | None = None
    paused_total: float = 0.0
    pause_count: int = 0
    phase_id: str = ""
    question_id: str | None = None
    segment_start_s: float = 0.0
    last_at: float = 0.0
    phase_time: dict[str, float] = field(default_factory=dict)
    question_time: dict[str, float] = field(default_factory=dict)
    last_question_in_phase: dict[str, str | None] = field(default_factory=dict)
    checklist: dict[str, bool] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    open_writers: dict[str, float] = field(default_factory=dict)
    event_count: int = 0
    max_lc: int = 0  # the highest Lamport clock applied
    last_order: tuple = ()  # the ordering key of the last event applied
    talk: TalkLedger = field(default_factory=TalkLedger)
    dismissed: dict[str, float] = field(default_factory=dict)  # nudge key -> session s
    notes: dict[str, Note] = field(default_factory=dict)  # in the order they were written
    taken_up: dict[str, bool] = field(default_factory=dict)  # carried follow-up id -> taken
    check: MemberCheck = field(default_factory=lambda: MemberCheck())
    reflections: list[Reflection] = field(default_factory=list)
    audio: AudioLedger = field(default_factory=AudioLedger)
    # wall clock minus the session's time line, from the clock steps recorded (0 without)
    clock_offset_s: float = 0.0
    transcript_edits: Corrections = field(default_factory=Corrections)
    transcript_runs: list[dict[str, Any]] = field(default_factory=list)  # TRANSCRIBED data

    def __post_init__(self) -> None:
        self.roster = list(self.roster)
        if not self.phase_id and self.guide.phases:
            first = self.guide.phases[0]
            self.phase_id = first.id
            self.question_id = first.questions[0].id if first.questions else None

    # --- folding ---------------------------------------------------------------------------------

    @classmethod
    def from_events(
        cls,
        guide: Guide,
        events: list[Event],
        roster: tuple[Participant, ...] | list = (),
        absent: tuple[str, ...] = (),
        consent: tuple[str, ...] = (),
    ) -> SessionState:
        state = cls(guide, list(roster), tuple(absent))
        state.audio.written_consent = frozenset(consent)
        for event in sorted(events, key=ev.event_order):
            state.apply(event)
        return state

    def apply(self, event: Event) -> bool:
        """Apply one event; return False if it was already applied (same writer and number)."""
        if event.id in self.seen:
            return False
        self.seen.add(event.id)
        self.event_count += 1
        self.max_lc = max(self.max_lc, event.lc)
        self.last_order = max(self.last_order, ev.event_order(event))  # () sorts first
        at = max(event.at, self.last_at)  # never let the clock run backwards
        handler = _HANDLERS.get(event.kind)
        if handler is not None:
            handler(self, event, at)
        self.last_at = at
        return True

    def _start(self, event: Event, at: float) -> None:
        if self.started_at is not None:
            return
        self.started_at = at
        self.segment_start_s = 0.0
        self.timeline.append(self._segment_entry(0.0, at))
        self.talk.start_presence(
            [p.id for p in self.roster if p.id not in self.absent_at_start], 0.0
        )

    def _segment_entry(self, start_s: float, at: float) -> TimelineEntry:
        return TimelineEntry(
            kind="question",
            start_s=start_s,
            end_s=None,
            phase=self.phase_id,
            question=self.question_id,
            wall_start=at,
        )

    def _close_segment(self, at: float) -> None:
        now_s = self.session_s(at)
        spent = max(0.0, now_s - self.segment_start_s)
        self.phase_time[self.phase_id] = self.phase_time.get(self.phase_id, 0.0) + spent
        if self.question_id is not None:
            self.question_time[self.question_id] = (
                self.question_time.get(self.question_id, 0.0) + spent
            )
        for entry in reversed(self.timeline):
            if entry.kind == "question" and entry.end_s is None:
                entry.end_s = now_s
                entry.wall_end = at
                break

    def _goto(self, event: Event, at: float) -> None:
        phase_id = event.data.get("phase")
        question_id = event.data.get("question")
        try:
            phase = self.guide.phase(str(phase_id))
        except KeyError:
            return  # a position the guide no longer has: ignore, keep the rest
        if question_id is not None and question_id not in {q.id for q in phase.questions}:
            question_id = phase.questions[0].id if phase.questions else None
        if self.ended_at is not None:
            return
        if self.started_at is not None:
            self._close_segment(at)
        self.last_question_in_phase[self.phase_id] = self.question_id
        self.phase_id = phase.id
        self.question_id = question_id
        self.segment_start_s = self.session_s(at)
        if self.started_at is not None:
            self.timeline.append(self._segment_entry(self.segment_start_s, at))
            self.talk.move(self.phase_id, self.question_id, self.segment_start_s)

    def _pause(self, event: Event, at: float) -> None:
        if self.paused_since is not None or self.ended_at is not None or self.started_at is None:
            return
        # a break ends whatever turn was going on: nobody holds the floor in a break
        self.talk.change(event.id, None, self.phase_id, self.question_id, self.session_s(at))
        self.paused_since = at
        self.pause_count += 1
        self.timeline.append(
            TimelineEntry(
                kind="pause",
                start_s=self.session_s(at),
                end_s=None,
                phase=self.phase_id,
                question=self.question_id,
                wall_start=at,
            )
        )

    def _resume(self, event: Event, at: float) -> None:
        if self.paused_since is None:
            return
        self.paused_total += at - self.paused_since
        self.paused_since = None
        for entry in reversed(self.timeline):
            if entry.kind == "pause" and entry.wall_end is None:
                entry.end_s = entry.start_s  # the session clock stood still
                entry.wall_end = at
                break

    def _check(self, event: Event, at: float) -> None:
        item = event.data.get("item")
        if isinstance(item, str):
            self.checklist[item] = bool(event.data.get("done", True))

    def _opened(self, event: Event, at: float) -> None:
        self._down(event.data.get("down_since"), at)
        self.open_writers[event.writer] = at

    def _down(self, down_since: object, at: float) -> None:
        """The app was not running (or the computer slept) from ``down_since`` to ``at``."""
        if (
            isinstance(down_since, int | float)
            and self.started_at is not None
            and self.ended_at is None
            and down_since < at
        ):
            down_since = max(float(down_since), self.last_at)
            if at - down_since >= 1.0:
                self.timeline.append(
                    TimelineEntry(
                        kind="down",
                        start_s=self.session_s(down_since),
                        end_s=self.session_s(at),
                        phase=self.phase_id,
                        question=self.question_id,
                        wall_start=down_since,
                        wall_end=at,
                    )
                )

    def _clock_step(self, event: Event, at: float) -> None:
        step = event.data.get("step_s")
        if not isinstance(step, int | float) or isinstance(step, bool) or step != step:
            return
        self.clock_offset_s += float(step)
        wall = event.data.get("wall")
        self.timeline.append(
            TimelineEntry(
                kind="clock_step",
                start_s=self.session_s(at),
                end_s=self.session_s(at),
                phase=self.phase_id,
                question=self.question_id,
                wall_start=float(wall) if isinstance(wall, int | float) else at + step,
                wall_end=float(wall) if isinstance(wall, int | float) else at + step,
                step_s=float(step),
            )
        )

    def _suspended(self, event: Event, at: float) -> None:
        slept = event.data.get("slept_s")
        if not isinstance(slept, int | float) or isinstance(slept, bool) or not slept > 0:
            return
        self._down(at - float(slept), at)  # like a time the app was not running

    def timeline_now(self, wall: float) -> float:
        """Wall-clock time ``wall`` on the session's time line (what ``now`` means to every
        other method): the wall clock less the steps recorded while the session ran."""
        return wall - self.clock_offset_s

    def clock_steps(self) -> list[TimelineEntry]:
        return [entry for entry in self.timeline if entry.kind == "clock_step"]

    def _closed(self, event: Event, at: float) -> None:
        self.open_writers.pop(event.writer, None)

    def _end(self, event: Event, at: float) -> None:
        if self.ended_at is not None or self.started_at is None:
            return
        if self.paused_since is not None:
            self._resume(event, at)
        self._close_segment(at)
        self.talk.close(self.session_s(at))
        self.ended_at = at

    # --- talk and roster --------------------------------------------------------------------------

    def _tracking(self) -> bool:
        return self.started_at is not None and self.ended_at is None

    def participant(self, pid: str) -> Participant | None:
        for person in self.roster:
            if person.id == pid:
                return person
        return None

    def _speaker(self, event: Event, at: float) -> None:
        who = event.data.get("who")
        if not self._tracking() or self.paused_since is not None:
            return
        if who is not None and who != MODERATOR and self.participant(str(who)) is None:
            return
        arriving = who is not None and who != MODERATOR and who not in self.talk.present
        self.talk.change(event.id, who, self.phase_id, self.question_id, self.session_s(at))
        if arriving:  # keyed while away (an older journal): here from now on
            self._mark_presence("arrived", str(who), at)

    def _mark_presence(self, kind: str, pid: str, at: float) -> None:
        """Someone arrived or left while the session ran: a moment on the timeline."""
        now_s = self.session_s(at)
        self.timeline.append(
            TimelineEntry(
                kind=kind,
                start_s=now_s,
                end_s=now_s,
                phase=self.phase_id,
                question=self.question_id,
                wall_start=at,
                wall_end=at,
                who=pid,
            )
        )

    def arrivals(self) -> list[TimelineEntry]:
        """Who arrived or left while the session ran, in order."""
        return [entry for entry in self.timeline if entry.kind in ("arrived", "left")]

    def _undo(self, event: Event, at: float) -> None:
        target = event.data.get("target")
        if not isinstance(target, str) or not self._tracking():
            return
        if self.talk.undo_overlap(target):
            return
        index = self.talk.by_key.get(target)
        turn = self.talk.turns[index] if index is not None else None
        undone = self.talk.undo(target)
        if undone and turn is not None and turn.arrived and turn.who not in self.talk.present:
            # the undone key had counted someone present: take their arrival back too
            for position in range(len(self.timeline) - 1, -1, -1):
                entry = self.timeline[position]
                if entry.kind == "arrived" and entry.who == turn.who:
                    del self.timeline[position]
                    break

    def _reassign(self, event: Event, at: float) -> None:
        turn, who = event.data.get("turn"), event.data.get("who")
        if not isinstance(turn, str):
            return
        if who is not None and who != MODERATOR and self.participant(str(who)) is None:
            return
        self.talk.reassign(turn, who)

    def _overlap(self, event: Event, at: float) -> None:
        who = event.data.get("who")
        if not self._tracking() or not isinstance(who, str):
            return
        if who != MODERATOR and self.participant(who) is None:
            return
        self.talk.overlap(event.id, who, self.session_s(at), self.phase_id, self.question_id)

    def _presence(self, event: Event, at: float) -> None:
        pid = event.data.get("id")
        if not isinstance(pid, str) or self.participant(pid) is None or not self._tracking():
            return
        present = bool(event.data.get("present", True))
        if self.talk.set_present(pid, present, self.session_s(at)):
            self._mark_presence("arrived" if present else "left", pid, at)

    def _roster_add(self, event: Event, at: float) -> None:
        try:
            person = Participant.from_dict(event.data)
        except (KeyError, TypeError, ValueError):
            return
        if self.participant(person.id) is not None or len(self.roster) >= MAX_PARTICIPANTS:
            return
        self.roster.append(person)
        if self._tracking() and self.talk.set_present(person.id, True, self.session_s(at)):
            self._mark_presence("arrived", person.id, at)

    def _roster_edit(self, event: Event, at: float) -> None:
        pid = event.data.get("id")
        person = self.participant(str(pid))
        if person is None:
            return
        changed = Participant(
            id=person.id,
            label=visible(str(event.data.get("label") or person.label)),
            role=visible(str(event.data.get("role", person.role))),
            real_name=visible(str(event.data.get("real_name", person.real_name))),
        )
        self.roster = [changed if p.id == person.id else p for p in self.roster]

    def _roster_order(self, event: Event, at: float) -> None:
        ids = event.data.get("ids")
        if not isinstance(ids, list):
            return
        by_id = {p.id: p for p in self.roster}
        ordered = [by_id[i] for i in ids if i in by_id]
        ordered += [p for p in self.roster if p.id not in ids]
        self.roster = ordered

    def _dismiss(self, event: Event, at: float) -> None:
        key = event.data.get("key")
        if isinstance(key, str):
            self.dismissed[key] = self.session_s(at)

    # --- notes ------------------------------------------------------------------------------------

    def _note_fields(self, event: Event) -> tuple[str, str | None, float]:
        phase = event.data.get("phase")
        if not isinstance(phase, str) or phase not in {p.id for p in self.guide.phases}:
            phase = self.phase_id
        question = event.data.get("question")
        if not isinstance(question, str):
            question = None
        t_s = event.data.get("t_s")
        if not isinstance(t_s, int | float) or isinstance(t_s, bool):
            t_s = self.session_s(event.at)
        return phase, question, float(t_s)

    @staticmethod
    def _tags(raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list):
            return ()
        return tuple(t for t in TAGS if t in raw)

    def _speaker_of(self, raw: object) -> str | None:
        if raw == MODERATOR or (isinstance(raw, str) and self.participant(raw) is not None):
            return str(raw)
        return None

    def _note(self, event: Event, at: float) -> None:
        text = event.data.get("text")
        if not isinstance(text, str) or event.id in self.notes:
            return
        phase, question, t_s = self._note_fields(event)
        self.notes[event.id] = Note(
            id=event.id,
            t_s=t_s,
            author=author_of(event.writer),
            phase=phase,
            question=question,
            speaker=self._speaker_of(event.data.get("speaker")),
            tags=self._tags(event.data.get("tags")),
            text=visible(text),
            statement=_text_or_none(event.data.get("statement")),
        )

    def _note_edit(self, event: Event, at: float) -> None:
        note = self.notes.get(str(event.data.get("note")))
        if note is None or note.deleted:
            return
        note.history.append(
            {"text": note.text, "tags": list(note.tags), "speaker": note.speaker, "by": event.id}
        )
        if isinstance(event.data.get("text"), str):
            note.text = visible(event.data["text"])
        if "tags" in event.data:
            note.tags = self._tags(event.data.get("tags"))
        if "speaker" in event.data:
            note.speaker = self._speaker_of(event.data.get("speaker"))

    def _note_delete(self, event: Event, at: float) -> None:
        note = self.notes.get(str(event.data.get("note")))
        if note is not None and not note.deleted:
            note.deleted = True
            note.history.append({"deleted_by": event.id})

    def _reflection(self, event: Event, at: float) -> None:
        text = event.data.get("text")
        if not isinstance(text, str):
            return
        phase, question, t_s = self._note_fields(event)
        self.reflections.append(Reflection(event.id, t_s, phase, question, visible(text)))

    def _taken_up(self, event: Event, at: float) -> None:
        item = event.data.get("id")
        if isinstance(item, str):
            self.taken_up[item] = bool(event.data.get("taken", True))

    def _check_order(self, event: Event, at: float) -> None:
        ids = event.data.get("ids")
        if isinstance(ids, list):
            self.check.order = [str(i) for i in ids]

    def _check_skip(self, event: Event, at: float) -> None:
        note = event.data.get("note")
        if isinstance(note, str):
            if event.data.get("skipped", True):
                self.check.skipped.add(note)
            else:
                self.check.skipped.discard(note)

    def _check_include(self, event: Event, at: float) -> None:
        kinds = event.data.get("kinds")
        if isinstance(kinds, list):
            self.check.include = tuple(k for k in ("theme", "quote") if k in kinds)

    def _check_mark(self, event: Event, at: float) -> None:
        note = event.data.get("note")
        outcome = event.data.get("outcome")
        if not isinstance(note, str):
            return
        if outcome in OUTCOMES:
            nuance = event.data.get("nuance")
            self.check.marks[note] = (str(outcome), visible(str(nuance)) if nuance else "")
        elif outcome is None:
            self.check.marks.pop(note, None)

    # --- audio ----------------------------------------------------------------------------------

    def _consent(self, event: Event, at: float) -> None:
        pid = event.data.get("id")
        if isinstance(pid, str) and self.participant(pid) is not None:
            self.audio.set_consent(pid, bool(event.data.get("given", True)))

    def _recording(self, event: Event, at: float) -> None:
        action = event.data.get("action")
        now_s = self.session_s(at) if self.started_at is not None else 0.0
        if action == "start":
            self.audio.start(event.id, event.data, now_s)
        elif action == "stop":
            self.audio.stop(event.data, now_s)

    def _voice(self, event: Event, at: float) -> None:
        t_s = event.data.get("t_s")
        if not isinstance(t_s, int | float) or isinstance(t_s, bool):
            t_s = self.session_s(at)
        if event.data.get("on"):
            self.audio.voice_on(float(t_s))
        else:
            self.audio.voice_off(float(t_s), self.talk)

    def _audio_file(self, event: Event, at: float) -> None:
        self.audio.export(event.data)

    def _audio_purged(self, event: Event, at: float) -> None:
        self.audio.purge(event.data, self.session_s(at) if self.started_at is not None else 0.0)

    # --- transcript -----------------------------------------------------------------------------

    def _transcribed(self, event: Event, at: float) -> None:
        self.transcript_runs.append(dict(event.data))

    def _transcript_speaker(self, event: Event, at: float) -> None:
        self.transcript_edits.set_speaker(event.data)

    def _transcript_text(self, event: Event, at: float) -> None:
        self.transcript_edits.set_text(event.data)

    def _transcript_split(self, event: Event, at: float) -> None:
        self.transcript_edits.set_split(event.data)

    def _transcript_tag(self, event: Event, at: float) -> None:
        self.transcript_edits.set_tags(event.data)

    def check_points(self) -> list[Note]:
        """The read-back, in the order it is read: summary points (and the kinds the
        moderator added), grouped by question in guide order unless reordered."""
        wanted = {"summary", *self.check.include}
        notes = [n for n in self.live_notes() if wanted & set(n.tags)]
        order = {q.id: i for i, q in enumerate(q for p in self.guide.phases for q in p.questions)}
        notes.sort(key=lambda n: (order.get(n.question or "", len(order)), n.t_s))
        placed = {note_id: i for i, note_id in enumerate(self.check.order)}
        if placed:
            notes.sort(key=lambda n: placed.get(n.id, len(placed)))
        return notes

    def live_notes(self) -> list[Note]:
        """Notes not deleted, oldest first."""
        return [note for note in self.notes.values() if not note.deleted]

    # --- reading ---------------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self.started_at is not None

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    @property
    def phase(self) -> Phase:
        return self.guide.phase(self.phase_id)

    @property
    def phase_index(self) -> int:
        return self.guide.phase_index(self.phase_id)

    @property
    def question(self) -> Question | None:
        for question in self.phase.questions:
            if question.id == self.question_id:
                return question
        return None

    @property
    def question_index(self) -> int | None:
        for index, question in enumerate(self.phase.questions):
            if question.id == self.question_id:
                return index
        return None

    def next_question(self) -> Question | None:
        """The question that comes after the current one (in this phase or the next)."""
        index = self.question_index
        questions = self.phase.questions
        if index is not None and index + 1 < len(questions):
            return questions[index + 1]
        for phase in self.guide.phases[self.phase_index + 1 :]:
            if phase.questions:
                return phase.questions[0]
        return None

    def paused_s(self, now: float) -> float:
        """Wall-clock seconds spent in pauses up to ``now``."""
        total = self.paused_total
        if self.paused_since is not None:
            end = now if self.ended_at is None else self.ended_at  # an ended session is fixed
            total += max(0.0, end - self.paused_since)
        return total

    def session_s(self, now: float) -> float:
        """The session clock at wall time ``now``: seconds since start, pauses excluded."""
        if self.started_at is None:
            return 0.0
        end = now if self.ended_at is None else self.ended_at  # an ended session is fixed
        return max(0.0, end - self.started_at - self.paused_s(end))

    def phase_elapsed_s(self, now: float, phase_id: str | None = None) -> float:
        phase_id = phase_id or self.phase_id
        spent = self.phase_time.get(phase_id, 0.0)
        if phase_id == self.phase_id and self._segment_open:
            spent += max(0.0, self.session_s(now) - self.segment_start_s)
        return spent

    def question_elapsed_s(self, now: float, question_id: str) -> float:
        spent = self.question_time.get(question_id, 0.0)
        if question_id == self.question_id and self._segment_open:
            spent += max(0.0, self.session_s(now) - self.segment_start_s)
        return spent

    @property
    def _segment_open(self) -> bool:
        return self.started_at is not None and self.ended_at is None

    def asked(self, now: float, question_id: str) -> bool:
        """A question counts as asked once it has been on screen for ``asked_after_s``."""
        return self.question_elapsed_s(now, question_id) >= self.guide.asked_after_s

    def remaining_s(self, now: float) -> float:
        return self.guide.planned_s - self.session_s(now)

    def session_level(self, now: float) -> str:
        planned = self.guide.planned_s
        return level(self.session_s(now) / planned) if planned > 0 else "ok"

    def phase_level(self, now: float) -> str:
        planned = self.phase.planned_s
        if planned <= 0:
            return "red" if self.phase_elapsed_s(now) > 0 else "ok"
        return level(self.phase_elapsed_s(now) / planned)

    def later_phases_planned_s(self) -> float:
        """The planned time of the phases after the current one."""
        return sum(p.planned_s for p in self.guide.phases[self.phase_index + 1 :])

    def closing_squeeze_s(self, now: float) -> float:
        """How far the phases still to come overrun the plan if the moderator moved on now.

        Positive when, for instance, the main phase has run so long that the closing
        summary no longer fits in the planned session time; 0 when it still fits.
        """
        if self.ended_at is not None:
            return 0.0
        later = self.later_phases_planned_s()
        if later <= 0:
            return 0.0
        return max(0.0, later - self.remaining_s(now))

    def never_shown(self, now: float) -> list[Question]:
        """The guide's questions that have not been on screen at all (the current one has)."""
        return [
            question
            for phase in self.guide.phases
            for question in phase.questions
            if question.id != self.question_id and self.question_elapsed_s(now, question.id) <= 0
        ]

    def unmarked_check_points(self) -> list[Note]:
        """Points of the read-back the group has not answered yet (skipped ones excluded)."""
        return [
            note
            for note in self.check_points()
            if note.id not in self.check.skipped and note.id not in self.check.marks
        ]

    def pauses(self) -> list[TimelineEntry]:
        return [entry for entry in self.timeline if entry.kind == "pause"]

    def downtimes(self) -> list[TimelineEntry]:
        return [entry for entry in self.timeline if entry.kind == "down"]

    def current_pause_s(self, now: float) -> float:
        return 0.0 if self.paused_since is None else max(0.0, now - self.paused_since)


_HANDLERS = {
    ev.STARTED: SessionState._start,
    ev.GOTO: SessionState._goto,
    ev.PAUSED: SessionState._pause,
    ev.RESUMED: SessionState._resume,
    ev.CHECKED: SessionState._check,
    ev.OPENED: SessionState._opened,
    ev.CLOSED: SessionState._closed,
    ev.ENDED: SessionState._end,
    ev.SPEAKER: SessionState._speaker,
    ev.UNDO: SessionState._undo,
    ev.REASSIGN: SessionState._reassign,
    ev.OVERLAP: SessionState._overlap,
    ev.PRESENCE: SessionState._presence,
    ev.ROSTER_ADD: SessionState._roster_add,
    ev.ROSTER_EDIT: SessionState._roster_edit,
    ev.ROSTER_ORDER: SessionState._roster_order,
    ev.NUDGE_DISMISSED: SessionState._dismiss,
    ev.NOTE: SessionState._note,
    ev.NOTE_EDIT: SessionState._note_edit,
    ev.NOTE_DELETE: SessionState._note_delete,
    ev.REFLECTION: SessionState._reflection,
    ev.FOLLOW_UP_TAKEN: SessionState._taken_up,
    ev.CHECK_ORDER: SessionState._check_order,
    ev.CHECK_SKIP: SessionState._check_skip,
    ev.CHECK_INCLUDE: SessionState._check_include,
    ev.CHECK_MARK: SessionState._check_mark,
    ev.CONSENT: SessionState._consent,
    ev.RECORDING: SessionState._recording,
    ev.VOICE: SessionState._voice,
    ev.AUDIO_FILE: SessionState._audio_file,
    ev.AUDIO_PURGED: SessionState._audio_purged,
    ev.CLOCK_STEP: SessionState._clock_step,
    ev.SUSPENDED: SessionState._suspended,
    ev.TRANSCRIBED: SessionState._transcribed,
    ev.TRANSCRIPT_SPEAKER: SessionState._transcript_speaker,
    ev.TRANSCRIPT_TEXT: SessionState._transcript_text,
    ev.TRANSCRIPT_SPLIT: SessionState._transcript_split,
    ev.TRANSCRIPT_TAG: SessionState._transcript_tag,
}


def state_of(info: SessionInfo, events: list[Event]) -> SessionState:
    """The state of a session from its events: the one way every reader folds a session."""
    return SessionState.from_events(
        info.guide, events, info.participants, info.absent, info.consent
    )


# --- navigation: where a key press takes the moderator ------------------------------------------


def _entry_question(state: SessionState, phase: Phase) -> str | None:
    """Where entering ``phase`` lands: the question last on screen there, else the first."""
    if not phase.questions:
        return None
    remembered = state.last_question_in_phase.get(phase.id)
    if remembered is not None and any(q.id == remembered for q in phase.questions):
        return remembered
    return phase.questions[0].id


def next_question_target(state: SessionState) -> tuple[str, str | None] | None:
    index = state.question_index
    questions = state.phase.questions
    if index is not None and index + 1 < len(questions):
        return state.phase_id, questions[index + 1].id
    phases = state.guide.phases
    if state.phase_index + 1 < len(phases):
        following = phases[state.phase_index + 1]
        return following.id, following.questions[0].id if following.questions else None
    return None


def previous_question_target(state: SessionState) -> tuple[str, str | None] | None:
    index = state.question_index
    questions = state.phase.questions
    if index is not None and index > 0:
        return state.phase_id, questions[index - 1].id
    if state.phase_index > 0:
        before = state.guide.phases[state.phase_index - 1]
        return before.id, before.questions[-1].id if before.questions else None
    return None


def next_phase_target(state: SessionState) -> tuple[str, str | None] | None:
    phases = state.guide.phases
    if state.phase_index + 1 >= len(phases):
        return None
    following = phases[state.phase_index + 1]
    return following.id, _entry_question(state, following)


def previous_phase_target(state: SessionState) -> tuple[str, str | None] | None:
    if state.phase_index == 0:
        return None
    before = state.guide.phases[state.phase_index - 1]
    return before.id, _entry_question(state, before)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
