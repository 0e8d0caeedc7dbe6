"""Audio as the session knows it: consent, the recording's segments, and voice activity.

Plain Python, like the rest of the core: the device layer (``facilitator.audio``) captures
sound; here are only the facts it reports, folded from events like everything else, so
the live view, the summary and every export read the same thing.

Consent is per participant and per session. It is given by ticking the guide's
recording-consent checklist item for each participant present, or in writing before
the session (``facilitator new ... --consent``), and it can be withdrawn. A recording
may run only while every participant present has consented.

The recording is a list of segments, each one continuous audio file starting at a known
moment of the session clock (recording stops during a break, so a segment never spans
one). Voice activity (speech or silence, never who speaks) gives the "unattributed
speech": time in which someone spoke while nobody was marked as speaking.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from facilitator.core.guide import ChecklistItem, Guide
from facilitator.core.nudges import Nudge
from facilitator.core.talk import MODERATOR, TalkLedger
from facilitator.i18n import _

if TYPE_CHECKING:
    from facilitator.core.session import Participant, SessionState

AUDIO_DIR = "audio"  # the recording's folder inside the session folder
AUDIO_FORMATS = ("flac", "mp3", "opus", "wav")  # what the recording can be exported as
MEDIA_FORMAT = "wav"  # the session-clock audio the ELAN and REFI-QDA exports link: ELAN plays it

CONSENT_ITEM_ID = "recording-consent"  # the item a guide without one gets

# Why a segment ended: the moderator stopped it, a break, the session ended, the view was
# closed, consent was missing, the device was lost, the disk refused, the process was killed.
END_REASONS = ("stop", "pause", "end", "closed", "consent", "lost", "write", "crash")


def consent_item(guide: Guide) -> ChecklistItem | None:
    for phase in guide.phases:
        for item in phase.checklist:
            if item.consent:
                return item
    return None


def with_consent_item(guide: Guide) -> Guide:
    """The guide as a session runs it: with a recording-consent item, so recording is never
    possible without consent. A guide without one gets it at the end of its first phase."""
    if not guide.phases or consent_item(guide) is not None:
        return guide
    first = guide.phases[0]
    item = ChecklistItem(
        CONSENT_ITEM_ID, _("Everyone present consents to audio recording"), consent=True
    )
    phase = replace(first, checklist=(*first.checklist, item))
    return replace(guide, phases=(phase, *guide.phases[1:]))


@dataclass
class Segment:
    """One continuous stretch of recorded audio."""

    key: str  # the id of the event that started it
    file: str  # relative to the session folder: audio/rec-001.wav
    start_s: float  # session clock of its first sample
    end_s: float | None = None  # None: still recording (or killed, until recovered)
    device: str = ""
    overflows: int = 0
    ended_by: str = ""  # one of END_REASONS once ended
    message: str = ""  # what went wrong, for "lost" and "write"

    @property
    def is_open(self) -> bool:
        return self.end_s is None

    def seconds(self, now_s: float) -> float:
        end = now_s if self.end_s is None else self.end_s
        return max(0.0, end - self.start_s)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "start_s": round(self.start_s, 3),
            "end_s": None if self.end_s is None else round(self.end_s, 3),
            "device": self.device,
            "overflows": self.overflows,
            "ended_by": self.ended_by,
            "message": self.message,
        }


@dataclass
class AudioLedger:
    """What the events say about audio: consent, segments, voice activity, deletions."""

    written_consent: frozenset[str] = frozenset()
    consent: dict[str, bool] = field(default_factory=dict)  # ticked or unticked in the session
    segments: list[Segment] = field(default_factory=list)
    voice: list[tuple[float, float]] = field(default_factory=list)  # closed speech stretches
    voice_on_since: float | None = None
    unattributed_s: float = 0.0  # speech with nobody marked speaking (at the time it ended)
    exported: list[str] = field(default_factory=list)  # audio files written, since any purge
    purged: list[dict[str, Any]] = field(default_factory=list)
    purged_keys: set[str] = field(default_factory=set)  # segments deleted by a purge

    # --- consent --------------------------------------------------------------------------------

    def has_consent(self, pid: str) -> bool:
        return self.consent.get(pid, pid in self.written_consent)

    def set_consent(self, pid: str, given: bool) -> None:
        self.consent[pid] = given

    # --- segments -------------------------------------------------------------------------------

    @property
    def recording(self) -> bool:
        return bool(self.segments) and self.segments[-1].is_open

    @property
    def current(self) -> Segment | None:
        return self.segments[-1] if self.recording else None

    def start(self, key: str, data: dict[str, Any], at_s: float) -> None:
        file = data.get("file")
        if not isinstance(file, str) or not file:
            return
        if self.recording:  # a start without a stop: the one before ended when this began
            self.stop({"reason": "crash"}, at_s)
        start_s = _number(data.get("start_s"), at_s)
        self.segments.append(Segment(key, file, start_s, None, str(data.get("device", ""))))

    def stop(self, data: dict[str, Any], at_s: float) -> None:
        file = data.get("file")
        segment = None
        for candidate in reversed(self.segments):
            if candidate.is_open and (file is None or candidate.file == file):
                segment = candidate
                break
        if segment is None:
            return
        end_s = _number(data.get("end_s"), at_s)
        self.voice_off(end_s, None)
        segment.end_s = max(segment.start_s, end_s)
        segment.overflows = int(_number(data.get("overflows"), 0))
        reason = data.get("reason")
        segment.ended_by = reason if reason in END_REASONS else "stop"
        segment.message = str(data.get("message", ""))

    def export(self, data: dict[str, Any]) -> None:
        path = data.get("path")
        if isinstance(path, str) and path and path not in self.exported:
            self.exported.append(path)

    def purge(self, data: dict[str, Any], at_s: float) -> None:
        self.purged.append(
            {
                "at_s": round(at_s, 3),
                "wall": data.get("wall"),
                "files": int(_number(data.get("files"), 0)),
                "bytes": int(_number(data.get("bytes"), 0)),
            }
        )
        self.purged_keys.update(s.key for s in self.segments if not s.is_open)
        self.exported.clear()

    def recorded_s(self, now_s: float) -> float:
        return sum(segment.seconds(now_s) for segment in self.segments)

    @property
    def overflows(self) -> int:
        return sum(segment.overflows for segment in self.segments)

    # --- voice activity -------------------------------------------------------------------------

    def voice_on(self, at_s: float) -> None:
        if self.voice_on_since is None and self.recording:
            self.voice_on_since = at_s

    def voice_off(self, at_s: float, talk: TalkLedger | None) -> None:
        if self.voice_on_since is None:
            return
        start, end = self.voice_on_since, max(at_s, self.voice_on_since)
        self.voice_on_since = None
        self.voice.append((start, end))
        if talk is not None:
            self.unattributed_s += unattributed_in(talk, start, end, end)

    def speaking(self) -> bool:
        return self.voice_on_since is not None

    @property
    def last_voice_end_s(self) -> float | None:
        return self.voice[-1][1] if self.voice else None

    def voice_s(self, now_s: float) -> float:
        """Speech heard up to now, the stretch going on included."""
        going_on = 0.0 if self.voice_on_since is None else max(0.0, now_s - self.voice_on_since)
        return sum(end - start for start, end in self.voice) + going_on

    def live_unattributed_s(self, talk: TalkLedger, now_s: float) -> float:
        """Unattributed speech up to now, counting the stretch of speech going on."""
        total = self.unattributed_s
        if self.voice_on_since is not None:
            total += unattributed_in(talk, self.voice_on_since, now_s, now_s)
        return total

    def unattributed_now_s(self, talk: TalkLedger, now_s: float) -> float:
        """How long the speech going on now has gone on with nobody marked (0 if not now)."""
        if self.voice_on_since is None or talk.current_speaker is not None:
            return 0.0
        last = talk.turns[-1] if talk.turns else None
        since = self.voice_on_since
        if last is not None:
            # nobody marked since: the open "nobody" turn's start (space), or the end of the
            # last turn (a break closed it)
            since = max(since, last.start_s if last.who is None else (last.end_s or now_s))
        return max(0.0, now_s - since)


def unattributed_in(talk: TalkLedger, start_s: float, end_s: float, now_s: float) -> float:
    """Of the stretch [start_s, end_s], the seconds in which nobody was marked speaking.

    Walks back from the last turn only as far as the stretch reaches: O(turns in it).
    """
    if end_s <= start_s:
        return 0.0
    attributed = 0.0
    for turn in reversed(talk.turns):
        turn_end = turn.end_s if turn.end_s is not None else now_s
        if turn_end <= start_s and turn.start_s <= start_s:
            break
        if turn.who is None:
            continue
        for piece in turn.pieces:
            piece_end = piece.end_s if piece.end_s is not None else now_s
            attributed += max(0.0, min(end_s, piece_end) - max(start_s, piece.start_s))
    return max(0.0, (end_s - start_s) - attributed)


def missing_consent(state: SessionState) -> list[Participant]:
    """The participants present who have not consented to recording, in roster order."""
    present = present_ids(state)
    return [p for p in state.roster if p.id in present and not state.audio.has_consent(p.id)]


def present_ids(state: SessionState) -> set[str]:
    if state.started:
        return set(state.talk.present)
    return {p.id for p in state.roster if p.id not in state.absent_at_start}


def quiet_speaker(state: SessionState, now_s: float) -> tuple[str, float] | None:
    """The person marked as speaking, and how long no speech has been heard, while recording.

    None when not recording, nobody is marked, or speech is going on.
    """
    audio = state.audio
    segment = audio.current
    who = state.talk.current_speaker
    if segment is None or who is None or audio.speaking() or not state.talk.turns:
        return None
    since = max(segment.start_s, state.talk.turns[-1].start_s)
    if audio.last_voice_end_s is not None:
        since = max(since, audio.last_voice_end_s)
    return who, max(0.0, now_s - since)


UNATTRIBUTED_AFTER_S = 5.0  # speech with nobody marked this long: "press who speaks"


def voice_nudges(state: SessionState, now_s: float) -> list[Nudge]:
    """Reminders from the voice-activity assist, while recording: speech with nobody marked,
    and the marked speaker quiet for the guide's ``voice_close_after_s``."""
    settings = state.guide.settings
    audio = state.audio
    if audio.current is None or settings.voice_assist < 0.5:
        return []
    found: list[Nudge] = []
    speech = audio.unattributed_now_s(state.talk, now_s)
    if speech >= UNATTRIBUTED_AFTER_S and audio.voice_on_since is not None:
        key = f"unattributed:{audio.voice_on_since:.1f}"
        if key not in state.dismissed:
            found.append(Nudge(key, "unattributed", minutes=speech / 60))
    quiet = quiet_speaker(state, now_s)
    if quiet is not None and settings.voice_close_after_s > 0:
        who, seconds = quiet
        key = f"quiet:{state.talk.turns[-1].key}"
        if seconds >= settings.voice_close_after_s and key not in state.dismissed:
            person = state.participant(who)
            label = person.label if person else ("moderator" if who == MODERATOR else who)
            found.append(Nudge(key, "quiet", who=who, label=label, minutes=seconds / 60))
    return found


def exact_unattributed_s(audio: AudioLedger, talk: TalkLedger, now_s: float) -> float:
    """Unattributed speech over the whole session, against the turns as they are now (after
    every undo and reassignment): the figure for the summary."""
    stretches = list(audio.voice)
    if audio.voice_on_since is not None:
        stretches.append((audio.voice_on_since, now_s))
    if not stretches:
        return 0.0
    pieces = [
        (piece.start_s, piece.end_s if piece.end_s is not None else now_s)
        for turn in talk.turns
        if turn.who is not None
        for piece in turn.pieces
    ]
    pieces.sort()
    total = 0.0
    index = 0
    for start, end in stretches:
        attributed = 0.0
        while index < len(pieces) and pieces[index][1] <= start:
            index += 1
        probe = index
        while probe < len(pieces) and pieces[probe][0] < end:
            attributed += max(0.0, min(end, pieces[probe][1]) - max(start, pieces[probe][0]))
            probe += 1
        total += max(0.0, (end - start) - attributed)
    return total


def session_recording(session_id: str, state: SessionState) -> str | None:
    """Where the session-clock audio that the ELAN and REFI-QDA exports link is kept,
    relative to the session folder (``audio/exports/<id>.wav``), while recorded audio is
    kept; None without a recording or after a purge. The file is made from the segments
    when an export that links it is written."""
    audio = state.audio
    if not any(s.key not in audio.purged_keys for s in audio.segments):
        return None
    return f"{AUDIO_DIR}/exports/{session_id}.{MEDIA_FORMAT}"


def audio_summary(state: SessionState, now_s: float) -> dict[str, Any]:
    """The summary's ``audio`` object: whether audio exists, where, and what it holds."""
    audio = state.audio
    purged = audio.purged[-1] if audio.purged else None
    kept = [s for s in audio.segments if s.key not in audio.purged_keys]
    return {
        "recorded": bool(audio.segments),
        "exists": bool(kept) or bool(audio.exported),
        "folder": f"{AUDIO_DIR}/" if kept else None,
        "seconds": round(audio.recorded_s(now_s), 3),
        "segments": [s.to_dict() for s in audio.segments],
        "overflows": audio.overflows,
        "consent": sorted(p.id for p in state.roster if audio.has_consent(p.id)),
        "voice_s": round(audio.voice_s(now_s), 3),
        "unattributed_speech_s": round(exact_unattributed_s(audio, state.talk, now_s), 3),
        "exports": list(audio.exported),
        "purged": purged,
    }


def _number(value: object, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return float(default)
