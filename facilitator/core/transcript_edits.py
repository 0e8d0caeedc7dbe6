"""Correcting the transcript: what each of the editor's keys becomes, as journal events.

The attributed transcript (``core.transcript.attribute``) is a pure function of the machine
transcript, the keyed turns and the corrections; ``corrected_transcript`` is that function
applied to a session's state, and it is the one every reader uses (the editor, the summary
and every export). A correction never writes over the machine transcript: each is an event
(``TRANSCRIPT_*`` in ``core.events``) naming words by id, and undoing one is another event.

``EditableTranscript`` keeps the attributed transcript of an open editor up to date after
each correction without attributing 30,000 words again: only the statements around the
words a correction names are made again, by the same ``attribute`` over those words (see
``refresh``); a test checks that the result is always what a full attribution gives.

The keys (see ``reassign``, ``retext``, ``split``, ``join``, ``toggle_tag``) each give a
``Plan``: the events to record and, for ``u``, the events that undo them, worked out from
the corrections as they were before.

Plain Python, like the rest of the core.
"""

from __future__ import annotations

import difflib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from facilitator.core import events as ev
from facilitator.core.talk import MODERATOR
from facilitator.core.transcript import (
    SNAP_BEFORE_S,
    Corrections,
    KeyedTurn,
    MachineTranscript,
    Mark,
    Statement,
    Stretch,
    Transcript,
    Word,
    attribute,
    attribution_turns,
    keyed_turns,
    overlap_marks,
)

if TYPE_CHECKING:
    from facilitator.core.notes import Note
    from facilitator.core.session import SessionState

# The tags the editor's keys give, as notes carry them (core.notes.TAGS).
TAG_KEYS = {"q": "quote", "t": "theme", "f": "follow-up"}


def corrected_transcript(state: SessionState, machine: MachineTranscript) -> Transcript:
    """The transcript as corrected: the words of ``machine`` given to the turns the moderator
    keyed (after every undo and reassignment) and the researcher's corrections on top."""
    return attribute(
        machine, keyed_turns(state.talk), overlap_marks(state.talk), state.transcript_edits
    )


# --- the attributed transcript of an open editor, kept up to date ------------------------------


# The opening shows the statements of the first words at once, the rest a moment later.
OPENING_WORDS = 400
# A statement is taken from the opening part only this far before its last word: an edge
# near the cut may snap otherwise when the words after it are known.
OPENING_MARGIN_S = 3 * SNAP_BEFORE_S


class _FirstTurns:
    """The first ``count`` turns of a ``TalkLedger`` (what ``keyed_turns`` reads)."""

    def __init__(self, talk: Any, until_s: float) -> None:
        turns = talk.turns
        count = 0
        while count < len(turns) and turns[count].start_s < until_s:
            count += 1
        self.turns = turns[: count + 1]


class EditableTranscript:
    """The corrected transcript, made again around each correction instead of whole.

    ``opening`` makes the statements of the first words only (``complete`` False): what a
    screen shows first while the whole is attributed; exactly the first statements of the
    whole (a test checks it), never edited."""

    complete = True

    def __init__(self, machine: MachineTranscript, state: SessionState) -> None:
        self._build(machine, state, machine.words, keyed_turns(state.talk))

    @classmethod
    def opening(
        cls, machine: MachineTranscript, state: SessionState, count: int = OPENING_WORDS
    ) -> EditableTranscript:
        words = machine.words
        if len(words) <= count:
            return cls(machine, state)
        made = cls.__new__(cls)
        head = words[:count]
        cut_s = head[-1].end_s
        talk = _FirstTurns(state.talk, cut_s + OPENING_MARGIN_S)
        pauses = tuple(p for p in machine.pauses if p[0] <= cut_s)
        piece = MachineTranscript(
            model=machine.model,
            language=machine.language,
            stretches=[Stretch("", 0, head[0].start_s, cut_s, tuple(head), pauses)],
        )
        made._build(piece, state, head, keyed_turns(talk))
        settled = cut_s - OPENING_MARGIN_S
        keep = 0
        while keep + 1 < len(made.statements) and made.statements[keep + 1].start_s < settled:
            keep += 1
        del made.statements[keep:]
        made.first_at = made.first_at[:keep]
        made.starts = made.starts[:keep]
        made.machine = machine
        made.complete = False
        return made

    def _build(
        self,
        machine: MachineTranscript,
        state: SessionState,
        words: list[Word],
        keyed: list[KeyedTurn],
    ) -> None:
        self.machine = machine
        self.words = words
        self.position = {w.id: n for n, w in enumerate(self.words)}
        self.turns: list[KeyedTurn] = attribution_turns(machine, keyed)
        self.turn_starts = [t.start_s for t in self.turns]
        self.pauses = machine.pauses  # sorted: the audio's silences, for the pieces
        self.pause_starts = [a for a, _b in self.pauses]
        self.longest_pause = max((b - a for a, b in self.pauses), default=0.0)
        self.marks: list[Mark] = overlap_marks(state.talk)
        self.corrections = state.transcript_edits
        self.transcript = attribute(
            machine, keyed, self.marks, self.corrections, snapped=self.turns
        )
        self.statements: list[Statement] = self.transcript.statements
        # the machine position of each statement's first word, and its time, for bisection
        self.first_at = [self.position[s.id] for s in self.statements]
        self.starts = [s.start_s for s in self.statements]
        # what the last refresh replaced: statements[low:high] became ``count`` statements
        self.last_splice: tuple[int, int, int] | None = None

    def rebuild(self, state: SessionState) -> None:
        """Everything again (the keyed turns changed, or the state was folded anew)."""
        self.__init__(self.machine, state)  # type: ignore[misc]

    def statement_of(self, word_id: str) -> int | None:
        """The index of the statement holding the word (None if it is not shown)."""
        at = self.position.get(word_id)
        if at is None:
            return None
        index = bisect_right(self.first_at, at) - 1
        if index < 0:
            return None
        if any(w.word.id == word_id for w in self.statements[index].words):
            return index
        return None

    def index_of(self, statement_id: str) -> int | None:
        at = self.position.get(statement_id)
        if at is None:
            return None
        index = bisect_left(self.first_at, at)
        if index < len(self.statements) and self.statements[index].id == statement_id:
            return index
        return None

    def refresh(self, word_ids: Iterable[str], corrections: Corrections | None = None) -> None:
        """Make again the statements a correction of ``word_ids`` may have changed.

        A statement's bounds depend only on its own words and the last word before it, so
        the words from the start of the statement before the first one named are attributed
        again, statement by statement onwards, until a statement starts where one started
        before after the last word named: from there on, everything is as it was."""
        if corrections is not None:
            self.corrections = corrections
        places = sorted(self.position[w] for w in word_ids if w in self.position)
        if not places:
            return
        low_statement = max(0, bisect_right(self.first_at, places[0]) - 2)
        start = self.first_at[low_statement] if self.statements else 0
        if places[0] < start:
            start = 0
            low_statement = 0
        last = places[-1]
        old_starts = self.first_at
        # the first old statement start after the last word named, and later ones to try
        after = bisect_right(old_starts, last)
        while True:
            end_index = min(after + 1, len(old_starts))
            end = old_starts[end_index] if end_index < len(old_starts) else len(self.words)
            made = self._attribute(start, end)
            made_starts = [self.position[s.id] for s in made]
            if end >= len(self.words):
                keep = made
                high_statement = len(self.statements)
                break
            meet = old_starts[after] if after < len(old_starts) else len(self.words)
            if meet in made_starts:
                keep = made[: made_starts.index(meet)]
                high_statement = after
                break
            after += 1
        removed = self.statements[low_statement:high_statement]
        self.statements[low_statement:high_statement] = keep
        self.first_at[low_statement:high_statement] = [self.position[s.id] for s in keep]
        self.starts[low_statement:high_statement] = [s.start_s for s in keep]
        self.last_splice = (low_statement, high_statement, len(keep))
        transcript = self.transcript
        transcript.words += _words(keep) - _words(removed)
        transcript.unattributed_words += _words(keep, nobody=True) - _words(removed, nobody=True)

    def _attribute(self, start: int, end: int) -> list[Statement]:
        words = tuple(self.words[start:end])
        if not words:
            return []
        # the silences the audio showed around these words (where a word is voiced)
        first, last = words[0].start_s, words[-1].end_s
        since = bisect_left(self.pause_starts, first - self.longest_pause)
        reach = bisect_right(self.pause_starts, last)
        pauses = tuple(p for p in self.pauses[since:reach] if p[1] >= first)
        piece = MachineTranscript(stretches=[Stretch("", 0, first, last, words, pauses)])
        # only the turns these words can fall in: the same statements (a statement's turn is
        # compared only with its neighbours', and read for its phase), without a list of
        # every turn's start made for each correction
        low = max(0, bisect_right(self.turn_starts, first) - 2)
        high = bisect_right(self.turn_starts, last) + 1
        turns = self.turns[low:high]
        return attribute(piece, turns, self.marks, self.corrections, snapped=turns).statements

    def notes_beside(self, notes: Iterable[Note]) -> dict[int, list[Note]]:
        """As ``notes_beside``, by bisection: a note costs O(log statements)."""
        found: dict[int, list[Note]] = {}
        if not self.statements:
            return found
        for note in notes:
            index = self.index_of(note.statement) if note.statement else None
            if index is None:
                index = max(0, bisect_right(self.starts, note.t_s) - 1)
            found.setdefault(index, []).append(note)
        return found


def _words(statements: Iterable[Statement], nobody: bool = False) -> int:
    return sum(len(s.words) for s in statements if not nobody or s.who is None)


# --- what a key does: the events, and the events that undo them -------------------------------


@dataclass(frozen=True)
class Change:
    kind: str
    data: dict[str, Any]


@dataclass
class Plan:
    """What one key press records, and what ``u`` records to take it back."""

    changes: list[Change]
    undo: list[Change] = field(default_factory=list)
    words: tuple[str, ...] = ()  # the words whose statements change
    problem: str = ""  # why nothing can be done (translated by the caller), "" if fine

    def __bool__(self) -> bool:
        return bool(self.changes)


def _speaker_undo(corrections: Corrections, ids: Sequence[str]) -> list[Change]:
    """Events that give ``ids`` back the speakers they have now (keyed or corrected)."""
    groups: dict[tuple[bool, str | None], list[str]] = {}
    for wid in ids:
        if wid in corrections.speaker:
            groups.setdefault((True, corrections.speaker[wid]), []).append(wid)
        else:
            groups.setdefault((False, None), []).append(wid)
    undo = []
    for (corrected, who), group in groups.items():
        if corrected:
            undo.append(Change(ev.TRANSCRIPT_SPEAKER, {"words": group, "who": who}))
        else:
            undo.append(Change(ev.TRANSCRIPT_SPEAKER, {"words": group, "keyed": True}))
    return undo


def _split_undo(corrections: Corrections, wid: str) -> Change:
    return Change(ev.TRANSCRIPT_SPLIT, {"word": wid, "split": corrections.split.get(wid)})


def _tags_undo(corrections: Corrections, wid: str) -> Change:
    return Change(ev.TRANSCRIPT_TAG, {"word": wid, "tags": list(corrections.tags.get(wid, ()))})


def reassign(
    statement: Statement,
    who: str | None,
    corrections: Corrections,
    after: Statement | None = None,
) -> Plan:
    """Give every word of the statement to ``who`` (None: nobody known).

    It stays a statement of its own: next to a statement of the same speaker (before it, or
    ``after`` it) it would otherwise run into that one, so its edges are kept as splits."""
    if statement.who == who and all(w.corrected or w.who == who for w in statement.words):
        return Plan([])
    ids = [w.word.id for w in statement.words]
    changes = [Change(ev.TRANSCRIPT_SPEAKER, {"words": ids, "who": who})]
    undo = _speaker_undo(corrections, ids)
    words = list(ids)
    for edge in (statement.id, after.id if after is not None else None):
        if edge is not None and corrections.split.get(edge) is not True:
            changes.append(Change(ev.TRANSCRIPT_SPLIT, {"word": edge, "split": True}))
            undo.append(_split_undo(corrections, edge))
            words.append(edge)
    return Plan(changes, undo, tuple(words))


def _tokens(text: str) -> list[str]:
    return text.split()


def retext(statement: Statement, new_text: str, corrections: Corrections) -> Plan:
    """The statement now reads ``new_text``: each word keeps the tokens the diff gives it.

    Old and new are compared token by token; a replaced run goes to the words it replaces
    (in order), an inserted run to the word before it, a deleted token leaves its word
    shorter (a word with nothing left reads "" and is no longer shown). Times stay the
    words' own, so playback still highlights the word being spoken."""
    owners: list[int] = []
    old: list[str] = []
    for n, spoken in enumerate(statement.words):
        for token in _tokens(spoken.text):
            old.append(token)
            owners.append(n)
    new = _tokens(new_text)
    assigned: list[list[str]] = [[] for _ in statement.words]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for k in range(i2 - i1):
                assigned[owners[i1 + k]].append(new[j1 + k])
        elif op == "replace":
            span = i2 - i1
            for k in range(j2 - j1):
                assigned[owners[i1 + min(k, span - 1)]].append(new[j1 + k])
        elif op == "insert":
            owner = owners[i1 - 1] if i1 > 0 else (owners[0] if owners else 0)
            if i1 == 0:
                assigned[owner][0:0] = new[j1:j2]
            else:
                assigned[owner].extend(new[j1:j2])
        # "delete": the tokens go
    changes, undo = [], []
    for spoken, tokens in zip(statement.words, assigned, strict=True):
        text = " ".join(tokens)
        if text == spoken.text:
            continue
        wid = spoken.word.id
        changes.append(Change(ev.TRANSCRIPT_TEXT, {"word": wid, "text": text}))
        undo.append(
            Change(
                ev.TRANSCRIPT_TEXT,
                {"word": wid, "text": corrections.text.get(wid, spoken.word.text)},
            )
        )
    return Plan(changes, undo, tuple(w.word.id for w in statement.words))


def split(statement: Statement, at: int, corrections: Corrections) -> Plan:
    """A new statement starts at word ``at`` (1 or later) of the statement."""
    if not 0 < at < len(statement.words):
        return Plan([], problem="split-edge")
    wid = statement.words[at].word.id
    return Plan(
        [Change(ev.TRANSCRIPT_SPLIT, {"word": wid, "split": True})],
        [_split_undo(corrections, wid)],
        (statement.words[at - 1].word.id, wid),
    )


def join(before: Statement, statement: Statement, corrections: Corrections) -> Plan:
    """The statement becomes the end of the one before it: same speaker, tags merged."""
    if before.part != statement.part:
        return Plan([], problem="join-part")
    first = statement.words[0].word.id
    changes: list[Change] = []
    undo: list[Change] = []
    ids = [w.word.id for w in statement.words]
    if statement.who != before.who or any(w.who != before.who for w in statement.words):
        changes.append(Change(ev.TRANSCRIPT_SPEAKER, {"words": ids, "who": before.who}))
        undo.extend(_speaker_undo(corrections, ids))
    changes.append(Change(ev.TRANSCRIPT_SPLIT, {"word": first, "split": False}))
    undo.append(_split_undo(corrections, first))
    if statement.tags:
        merged = list(dict.fromkeys((*before.tags, *statement.tags)))
        changes.append(Change(ev.TRANSCRIPT_TAG, {"word": before.id, "tags": merged}))
        changes.append(Change(ev.TRANSCRIPT_TAG, {"word": first, "tags": []}))
        undo.append(_tags_undo(corrections, before.id))
        undo.append(_tags_undo(corrections, first))
    return Plan(changes, undo, (before.words[-1].word.id, *ids))


def toggle_tag(
    statement: Statement,
    tag: str,
    corrections: Corrections,
    linked: Sequence[Note] = (),
) -> Plan:
    """Tag the statement (and write a note linked to it), or take the tag and its note off.

    The note is a note like any other (a ``note`` event): it carries the statement's time,
    phase, question, speaker and words, and ``statement``: the statement's id. Its undo
    (a ``note_delete`` of the event that made it) is filled in once it is recorded."""
    tags = list(corrections.tags.get(statement.id, statement.tags))
    undo = [_tags_undo(corrections, statement.id)]
    if tag in tags:
        tags.remove(tag)
        changes = [Change(ev.TRANSCRIPT_TAG, {"word": statement.id, "tags": tags})]
        for note in linked:
            if tag in note.tags and not note.deleted:
                changes.append(Change(ev.NOTE_DELETE, {"note": note.id}))
                undo.append(Change(ev.NOTE, {**note_data(note, statement.id), "was": note.id}))
        return Plan(changes, undo, (statement.id,))
    tags.append(tag)
    made: dict[str, Any] = {
        "t_s": round(statement.start_s, 3),
        "phase": statement.phase,
        "question": statement.question,
        "speaker": statement.who,
        "tags": [tag],
        "text": statement.text,
        "statement": statement.id,
    }
    return Plan(
        [Change(ev.NOTE, made), Change(ev.TRANSCRIPT_TAG, {"word": statement.id, "tags": tags})],
        undo,
        (statement.id,),
    )


def note_data(note: Note, statement_id: str | None = None) -> dict[str, Any]:
    """A note event's data that writes ``note`` again (an undone deletion)."""
    data: dict[str, Any] = {
        "t_s": note.t_s,
        "phase": note.phase,
        "question": note.question,
        "speaker": note.speaker,
        "tags": list(note.tags),
        "text": note.text,
    }
    if statement_id or note.statement:
        data["statement"] = statement_id or note.statement
    return data


def still_as_planned(plan_changes: Sequence[Change], corrections: Corrections) -> bool:
    """Whether the corrections still hold what ``plan_changes`` set (no other process has
    corrected the same words since): an undo then takes back only our own change."""
    return all(_holds(change, corrections) for change in plan_changes)


def _holds(change: Change, corrections: Corrections) -> bool:
    data = change.data
    if change.kind == ev.TRANSCRIPT_SPEAKER:
        return all(corrections.speaker.get(w, "?") == data.get("who") for w in data["words"])
    if change.kind == ev.TRANSCRIPT_TEXT:
        return corrections.text.get(data["word"]) == data["text"]
    if change.kind == ev.TRANSCRIPT_SPLIT:
        return corrections.split.get(data["word"]) == data["split"]
    if change.kind == ev.TRANSCRIPT_TAG:
        return list(corrections.tags.get(data["word"], ())) == list(data["tags"])
    return True


def changed_words(before: Corrections, after: Corrections) -> set[str]:
    """The words whose corrections differ (another process corrected them)."""
    found: set[str] = set()
    for old, new in (
        (before.speaker, after.speaker),
        (before.text, after.text),
        (before.split, after.split),
        (before.tags, after.tags),
    ):
        for key in old.keys() | new.keys():
            if old.get(key, ...) != new.get(key, ...):
                found.add(key)
    return found


def copy_corrections(corrections: Corrections) -> Corrections:
    return Corrections(
        dict(corrections.speaker),
        dict(corrections.text),
        dict(corrections.split),
        dict(corrections.tags),
    )


# --- reading: notes beside statements, search, talk time ---------------------------------------


def notes_beside(statements: Sequence[Statement], notes: Iterable[Note]) -> dict[int, list[Note]]:
    """Each note beside the statement it was written during (a note linked to a statement by
    a tag, beside that one): the last statement begun at or before the note's time."""
    starts = [s.start_s for s in statements]
    ids = {s.id: n for n, s in enumerate(statements)}
    found: dict[int, list[Note]] = {}
    for note in notes:
        index = ids.get(note.statement) if note.statement else None
        if index is None:
            index = bisect_right(starts, note.t_s) - 1
            if index < 0:
                if not statements:
                    continue
                index = 0
        found.setdefault(index, []).append(note)
    return found


def matches(statement: Statement, query: str, labels: dict[str, str]) -> bool:
    """``query``'s words all found in the statement's words, its speaker (pseudonym or id)
    or its tags (``#quote``, or the word)."""
    terms = query.lower().split()
    if not terms:
        return False
    who = statement.who or ""
    haystack = " ".join(
        [
            statement.text.lower(),
            who.lower(),
            labels.get(who, "").lower(),
            " ".join(f"#{t} {t}" for t in statement.tags),
        ]
    )
    return all(term in haystack for term in terms)


def talk_from_statements(
    statements: Sequence[Statement], roster_ids: Sequence[str]
) -> dict[str, Any]:
    """Talk time as the corrected transcript gives it: each statement's span from its first
    word's start to its last word's end, summed per speaker; statements by nobody known
    apart. Beside the keyed figures, so a researcher can report both."""
    talk: dict[str, float] = {pid: 0.0 for pid in roster_ids}
    count: dict[str, int] = {pid: 0 for pid in roster_ids}
    words: dict[str, int] = {pid: 0 for pid in roster_ids}
    moderator = [0.0, 0, 0]
    nobody = [0.0, 0, 0]
    for statement in statements:
        span = max(0.0, statement.end_s - statement.start_s)
        if statement.who is None:
            target = nobody
        elif statement.who == MODERATOR:
            target = moderator
        else:
            talk[statement.who] = talk.get(statement.who, 0.0) + span
            count[statement.who] = count.get(statement.who, 0) + 1
            words[statement.who] = words.get(statement.who, 0) + len(statement.words)
            continue
        target[0] += span
        target[1] += 1
        target[2] += len(statement.words)
    participants_s = sum(talk.values())
    everyone_s = participants_s + moderator[0]
    return {
        "source": "transcript",
        "participants": [
            {
                "id": pid,
                "talk_s": round(talk[pid], 3),
                "statements": count[pid],
                "words": words[pid],
                "share": round(talk[pid] / participants_s, 4) if participants_s else 0.0,
            }
            for pid in talk
        ],
        "participant_talk_s": round(participants_s, 3),
        "moderator_talk_s": round(moderator[0], 3),
        "moderator_statements": int(moderator[1]),
        "moderator_share_of_all": round(moderator[0] / everyone_s, 4) if everyone_s else 0.0,
        "unattributed_s": round(nobody[0], 3),
        "unattributed_statements": int(nobody[1]),
        "unattributed_words": int(nobody[2]),
    }
