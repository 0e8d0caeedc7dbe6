"""Events: the durable record of a session. The session state is a pure function of them.

Each writing process (the moderator's live view, the assistant's view) has a
writer name and numbers its own events 1, 2, 3 ...; ``writer:seq`` is the
event's id, so an event read twice is recognised and counted once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# What happened. The moderator's process owns the session clock and the guide position
# (started, opened, closed, goto, paused, resumed, checked, ended); later kinds (turns,
# notes) may come from any writer.
STARTED = "started"
OPENED = "opened"
CLOSED = "closed"
GOTO = "goto"
PAUSED = "paused"
RESUMED = "resumed"
CHECKED = "checked"
ENDED = "ended"
# Talk tracking and the roster. Either writer may record these.
SPEAKER = "speaker"  # {who: participant id, "moderator" or null (nobody)}
UNDO = "undo"  # {target: id of the speaker or overlap event to undo}
REASSIGN = "reassign"  # {turn: id of the speaker event that started it, who}
OVERLAP = "overlap"  # {who: who talked over the current speaker}
PRESENCE = "presence"  # {id, present: bool}: arrived late, left early, absent
ROSTER_ADD = "roster_add"  # {id, label, role, real_name}
ROSTER_EDIT = "roster_edit"  # {id, label?, role?, real_name?}
ROSTER_ORDER = "roster_order"  # {ids: [...]}
NUDGE_DISMISSED = "nudge_dismissed"  # {key}
# Notes. The assistant's process owns notes it writes, the moderator's its own; an edit or a
# delete names the note and is kept beside it, never written over it.
NOTE = "note"  # {t_s, phase, question, speaker, tags, text, statement?: a transcript statement}
NOTE_EDIT = "note_edit"  # {note: id, text, tags, speaker}
NOTE_DELETE = "note_delete"  # {note: id}
REFLECTION = "reflection"  # {t_s, phase, question, text}: the moderator's private log
FOLLOW_UP_TAKEN = "follow_up_taken"  # {id, taken}: a follow-up carried from an earlier stage
# The member check at the close: the read-back drafted from the notes, and the group's verdicts.
CHECK_ORDER = "check_order"  # {ids: [note ids]}: the order points are read in
CHECK_SKIP = "check_skip"  # {note, skipped}
CHECK_INCLUDE = "check_include"  # {kinds: ["theme", "quote"]}: besides the summary points
CHECK_MARK = "check_mark"  # {note, outcome: confirmed|nuanced|refuted|null, nuance}
# Audio. The moderator's process owns the recorder: recording and voice events are its own.
CONSENT = "consent"  # {id, given: bool}: recording consent ticked or withdrawn
RECORDING = "recording"  # {action: start, file, start_s, device} | {action: stop, file, end_s,
#                          reason, overflows, message}
VOICE = "voice"  # {on: bool, t_s}: speech heard or ended (voice activity, never who)
AUDIO_FILE = "audio_file"  # {path}: an audio export or clip folder written (for the purge)
AUDIO_PURGED = "audio_purged"  # {files, bytes, wall}: every recording, clip and export deleted
# The computer's clock. Events are stamped on the session's own time line (a steady clock,
# see core.clock); these say where the wall clock left it, for the record.
CLOCK_STEP = "clock_step"  # {step_s, wall}: the wall clock jumped by step_s (not counted)
SUSPENDED = "suspended"  # {slept_s}: the computer slept (counted like time the app was down)
# The transcript. The machine transcript lives in the session's transcript/ folder, never in
# events (see core.transcript); a run and the researcher's corrections are events, by word id.
TRANSCRIBED = "transcribed"  # {model, language, words, complete, elapsed_s}: a run ended
TRANSCRIPT_SPEAKER = "transcript_speaker"  # {words: [id], who}: these words were said by who
TRANSCRIPT_TEXT = "transcript_text"  # {word: id, text}: the word reads text ("" removes it)
TRANSCRIPT_SPLIT = "transcript_split"  # {word: id, split: bool}: a statement starts here or not
TRANSCRIPT_TAG = "transcript_tag"  # {word: id, tags}: tags of the statement starting here

KINDS = frozenset(
    {
        STARTED, OPENED, CLOSED, GOTO, PAUSED, RESUMED, CHECKED, ENDED,
        SPEAKER, UNDO, REASSIGN, OVERLAP, PRESENCE, ROSTER_ADD, ROSTER_EDIT, ROSTER_ORDER,
        NUDGE_DISMISSED, NOTE, NOTE_EDIT, NOTE_DELETE, REFLECTION,
        FOLLOW_UP_TAKEN, CHECK_ORDER, CHECK_SKIP, CHECK_INCLUDE, CHECK_MARK,
        CONSENT, RECORDING, VOICE, AUDIO_FILE, AUDIO_PURGED, CLOCK_STEP, SUSPENDED,
        TRANSCRIBED, TRANSCRIPT_SPEAKER, TRANSCRIPT_TEXT, TRANSCRIPT_SPLIT, TRANSCRIPT_TAG,
    }
)  # fmt: skip


class EventFormatError(ValueError):
    """A record that is not a well-formed event."""


@dataclass(frozen=True)
class Event:
    writer: str
    seq: int
    at: float
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    lc: int = 0  # Lamport clock: past every event the writer had seen when it wrote this one

    @property
    def id(self) -> str:
        return f"{self.writer}:{self.seq}"

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"w": self.writer, "n": self.seq, "at": self.at, "kind": self.kind}
        if self.lc:
            record["lc"] = self.lc
        record["data"] = self.data
        return record

    @classmethod
    def from_record(cls, record: object) -> Event:
        if not isinstance(record, dict):
            raise EventFormatError("an event must be an object")
        writer, seq, at, kind = (
            record.get("w"),
            record.get("n"),
            record.get("at"),
            record.get("kind"),
        )
        data = record.get("data", {})
        if not isinstance(writer, str) or not writer:
            raise EventFormatError("event without a writer")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise EventFormatError("event without a sequence number")
        if not isinstance(at, int | float) or isinstance(at, bool) or not math.isfinite(at):
            raise EventFormatError("event without a time")
        if not isinstance(kind, str) or not kind:
            raise EventFormatError("event without a kind")
        if not isinstance(data, dict):
            raise EventFormatError("event data must be an object")
        lc = record.get("lc", 0)
        if not isinstance(lc, int) or isinstance(lc, bool) or lc < 0:
            raise EventFormatError("event with a bad Lamport clock")
        return cls(writer=writer, seq=seq, at=float(at), kind=kind, data=data, lc=lc)


def event_order(event: Event) -> tuple[float, int, str, int]:
    """The order in which events are applied: by time; at the same instant by Lamport clock
    (what a writer had seen comes first); then writer and number (stable)."""
    return (event.at, event.lc, event.writer, event.seq)
