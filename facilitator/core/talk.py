"""Speaker turns and talk time: the one place where talk figures are computed.

The ledger keeps every stretch of the session as a *turn*: a participant, the
moderator, or nobody (silence) holding the floor. A turn is cut into *pieces*
wherever the guide position (phase, question) or the set of participants present
changes, so figures can be given per phase and per question and fair shares can
follow late arrivals and early leavers.

Running totals (*tallies*) are kept per scope (the whole session, each phase,
each question) and updated in O(1) when a piece closes, a turn is undone (merged
into the turn before it) or reassigned, so a key press costs the same after
10,000 turns as after 10. The open piece is added when figures are read.

``MODERATOR`` is the moderator's id; ``None`` is nobody speaking.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

MODERATOR = "moderator"
ALL = "all"
# A turn shorter than this is a key pressed by mistake and put right at once: it does not
# count as having spoken (the person stays *silent*, and their silence goes on).
MIN_SPEECH_S = 1.0


def phase_scope(phase_id: str) -> str:
    return f"phase:{phase_id}"


def question_scope(question_id: str) -> str:
    return f"question:{question_id}"


@dataclass
class Piece:
    phase: str
    question: str | None
    start_s: float
    end_s: float | None = None
    present: frozenset[str] = frozenset()

    def duration(self, now_s: float) -> float:
        end = now_s if self.end_s is None else self.end_s
        return max(0.0, end - self.start_s)

    @property
    def scopes(self) -> tuple[str, ...]:
        if self.question is None:
            return (ALL, phase_scope(self.phase))
        return (ALL, phase_scope(self.phase), question_scope(self.question))


@dataclass
class Turn:
    key: str  # the id of the event that started it
    who: str | None
    pieces: list[Piece] = field(default_factory=list)
    arrived: bool = False  # the change itself counted ``who`` present (an undo takes it back)

    @property
    def start_s(self) -> float:
        return self.pieces[0].start_s

    @property
    def end_s(self) -> float | None:
        return self.pieces[-1].end_s

    @property
    def is_open(self) -> bool:
        return self.pieces[-1].end_s is None

    def duration(self, now_s: float) -> float:
        return sum(piece.duration(now_s) for piece in self.pieces)


@dataclass
class Tally:
    talk: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    turns: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fair: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    silence_s: float = 0.0


@dataclass
class Overlap:
    key: str
    who: str
    over: str | None
    at_s: float
    phase: str
    question: str | None


@dataclass
class TalkLedger:
    turns: list[Turn] = field(default_factory=list)
    tallies: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    follows: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    overlaps: list[Overlap] = field(default_factory=list)
    present: set[str] = field(default_factory=set)
    presence_log: dict[str, list[list[float | None]]] = field(default_factory=dict)
    by_key: dict[str, int] = field(default_factory=dict)  # turn key -> index in turns
    gini_history: list[tuple[float, float]] = field(default_factory=list)
    _last_index: dict[str, int] | None = field(default_factory=dict)  # None: rebuild on read
    # each speaker's last closed turn of at least MIN_SPEECH_S (None: rebuild on read)
    _last_real: dict[str, int] | None = field(default_factory=dict, compare=False, repr=False)
    # who is present, frozen once per change of ``present`` and shared by every piece until
    # the next: thousands of pieces hold one set, not a copy each (memory, and the snapshot
    # of the state, which stores a shared set once)
    _present_frozen: frozenset[str] | None = field(default=None, compare=False, repr=False)

    def _present_now(self) -> frozenset[str]:
        if self._present_frozen is None:
            self._present_frozen = frozenset(self.present)
        return self._present_frozen

    def last_turn_index(self) -> dict[str, int]:
        """Index of each speaker's last turn; rebuilt by one scan after an undo or reassign."""
        if self._last_index is None:
            index: dict[str, int] = {}
            for position, turn in enumerate(self.turns):
                if turn.who is not None:
                    index[turn.who] = position
            self._last_index = index
        return self._last_index

    def last_real_turn_index(self) -> dict[str, int]:
        """Index of each speaker's last closed turn of at least ``MIN_SPEECH_S``: kept as
        turns close (a key press does not look back through thousands of slips of the
        finger); rebuilt by one scan after an undo or reassign."""
        if self._last_real is None:
            index: dict[str, int] = {}
            for position, turn in enumerate(self.turns):
                end = turn.end_s
                if turn.who is not None and end is not None and turn.duration(end) >= MIN_SPEECH_S:
                    index[turn.who] = position
            self._last_real = index
        return self._last_real

    # --- presence ---------------------------------------------------------------------------------

    def start_presence(self, participant_ids: list[str], at_s: float) -> None:
        for pid in participant_ids:
            self.set_present(pid, True, at_s)

    def set_present(self, pid: str, present: bool, at_s: float) -> bool:
        if (pid in self.present) == present:
            return False
        self._split_open_piece(at_s)
        intervals = self.presence_log.setdefault(pid, [])
        if present:
            self.present.add(pid)
            intervals.append([at_s, None])
        else:
            self.present.discard(pid)
            if intervals and intervals[-1][1] is None:
                intervals[-1][1] = at_s
        self._present_frozen = None
        if self.turns and self.turns[-1].is_open:
            self.turns[-1].pieces[-1].present = self._present_now()
        return True

    def present_s(self, pid: str, now_s: float) -> float:
        total = 0.0
        for start, end in self.presence_log.get(pid, []):
            assert start is not None
            total += max(0.0, (now_s if end is None else end) - start)
        return total

    # --- tallies ----------------------------------------------------------------------------------

    def _credit_piece(self, who: str | None, piece: Piece, sign: float) -> None:
        seconds = sign * piece.duration(piece.end_s if piece.end_s is not None else piece.start_s)
        for scope in piece.scopes:
            tally = self.tallies[scope]
            if who is None:
                tally.silence_s += seconds
                continue
            tally.talk[who] += seconds
            if who != MODERATOR and piece.present:
                share = seconds / len(piece.present)
                for pid in piece.present:
                    tally.fair[pid] += share

    def _count_turn(self, turn: Turn, sign: int) -> None:
        if turn.who is None:
            return
        for scope in turn.pieces[0].scopes:
            self.tallies[scope].turns[turn.who] += sign

    def _speaking_before(self, index: int) -> Turn | None:
        for position in range(index - 1, -1, -1):  # no slicing: this runs on every key press
            if self.turns[position].who is not None:
                return self.turns[position]
        return None

    def _speaking_after(self, index: int) -> Turn | None:
        for position in range(index + 1, len(self.turns)):
            if self.turns[position].who is not None:
                return self.turns[position]
        return None

    def _follow(self, before: Turn | None, after: Turn | None, sign: int) -> None:
        if before is not None and after is not None and before.who and after.who:
            self.follows[(before.who, after.who)] += sign

    # --- changes ----------------------------------------------------------------------------------

    def _split_open_piece(self, at_s: float) -> None:
        if not self.turns or not self.turns[-1].is_open:
            return
        turn = self.turns[-1]
        piece = turn.pieces[-1]
        piece.end_s = max(at_s, piece.start_s)
        self._credit_piece(turn.who, piece, 1)
        turn.pieces.append(
            Piece(piece.phase, piece.question, piece.end_s, None, self._present_now())
        )

    def move(self, phase: str, question: str | None, at_s: float) -> None:
        """The guide position changed: the open turn goes on in the new position."""
        if not self.turns or not self.turns[-1].is_open:
            return
        self._split_open_piece(at_s)
        piece = self.turns[-1].pieces[-1]
        piece.phase, piece.question = phase, question

    def close(self, at_s: float) -> None:
        """End the open turn without starting another (the session ended)."""
        if not self.turns or not self.turns[-1].is_open:
            return
        turn = self.turns[-1]
        piece = turn.pieces[-1]
        piece.end_s = max(at_s, piece.start_s)
        self._credit_piece(turn.who, piece, 1)
        self._record_gini(at_s)
        if (
            self._last_real is not None
            and turn.who is not None
            and turn.duration(piece.end_s) >= MIN_SPEECH_S
        ):
            self._last_real[turn.who] = len(self.turns) - 1

    def change(
        self, key: str, who: str | None, phase: str, question: str | None, at_s: float
    ) -> bool:
        """``who`` takes the floor at ``at_s`` (None: nobody). False if nothing changed."""
        current = self.current_speaker
        if self.turns and self.turns[-1].is_open and current == who:
            return False
        if not self.turns and who is None:
            return False
        # a speaker keyed while marked away (another process's key, or an older journal):
        # counted present from here; an undo of this change takes the arrival back
        arrived = who is not None and who != MODERATOR and who not in self.present
        if arrived:
            assert who is not None
            self.set_present(who, True, at_s)
        self.close(at_s)
        turn = Turn(key, who, [Piece(phase, question, at_s, None, self._present_now())], arrived)
        self.turns.append(turn)
        self.by_key[key] = len(self.turns) - 1
        self._count_turn(turn, 1)
        if who is not None:
            self._follow(self._speaking_before(len(self.turns) - 1), turn, 1)
            if self._last_index is not None:
                self._last_index[who] = len(self.turns) - 1
        return True

    def undo(self, key: str) -> bool:
        """Undo the speaker change that started turn ``key``, if it is still the last one.

        The undone turn's time goes back to the turn before it, as if the key had never
        been pressed.
        """
        index = self.by_key.get(key)
        if index is None or index != len(self.turns) - 1:
            return False
        turn = self.turns.pop()
        del self.by_key[key]
        self._last_index = None
        self._last_real = None
        if turn.who is not None:
            self._follow(self._speaking_before(index), turn, -1)
        self._count_turn(turn, -1)
        for piece in turn.pieces:
            if piece.end_s is not None:
                self._credit_piece(turn.who, piece, -1)
        if not self.turns:
            return True
        if turn.arrived and turn.who is not None:
            self._take_back_arrival(turn.who, turn)
        before = self.turns[-1]
        for piece in turn.pieces:
            if piece.end_s is not None:
                self._credit_piece(before.who, piece, 1)
        before.pieces.extend(turn.pieces)
        if self.gini_history:
            self.gini_history.pop()
        return True

    def _take_back_arrival(self, who: str, turn: Turn) -> None:
        """Undoing a turn whose key counted ``who`` present: they were never here, unless
        their presence changed again since (then it stands as marked)."""
        intervals = self.presence_log.get(who, [])
        if who not in self.present or not intervals or intervals[-1] != [turn.start_s, None]:
            return
        intervals.pop()
        if not intervals:
            del self.presence_log[who]
        self.present.discard(who)
        self._present_frozen = None  # the shared set of who is present is no longer true
        for piece in turn.pieces:
            piece.present = piece.present - {who}

    def reassign(self, key: str, who: str | None) -> bool:
        """Give turn ``key`` to ``who`` (a turn keyed to the wrong person)."""
        index = self.by_key.get(key)
        if index is None:
            return False
        turn = self.turns[index]
        if turn.who == who:
            return False
        self._last_index = None
        self._last_real = None
        before = self._speaking_before(index)
        after = self._speaking_after(index)
        if turn.who is not None:
            self._follow(before, turn, -1)
            self._follow(turn, after, -1)
        elif before is not None and after is not None:
            self._follow(before, after, -1)
        self._count_turn(turn, -1)
        for piece in turn.pieces:
            if piece.end_s is not None:
                self._credit_piece(turn.who, piece, -1)
        turn.who = who
        if who is not None and who != MODERATOR:
            # the person really speaking was there: count them present for the turn
            for piece in turn.pieces:
                piece.present = piece.present | {who}
        for piece in turn.pieces:
            if piece.end_s is not None:
                self._credit_piece(turn.who, piece, 1)
        self._count_turn(turn, 1)
        if turn.who is not None:
            self._follow(before, turn, 1)
            self._follow(turn, after, 1)
        elif before is not None and after is not None:
            self._follow(before, after, 1)
        return True

    def overlap(self, key: str, who: str, at_s: float, phase: str, question: str | None) -> None:
        self.overlaps.append(Overlap(key, who, self.current_speaker, at_s, phase, question))

    def undo_overlap(self, key: str) -> bool:
        if self.overlaps and self.overlaps[-1].key == key:
            self.overlaps.pop()
            return True
        return False

    # --- reading ----------------------------------------------------------------------------------

    @property
    def current_turn(self) -> Turn | None:
        if self.turns and self.turns[-1].is_open:
            return self.turns[-1]
        return None

    @property
    def current_speaker(self) -> str | None:
        turn = self.current_turn
        return None if turn is None else turn.who

    def last_undoable(self) -> tuple[str, str] | None:
        """What ``u`` would undo: ("turn", key) or ("overlap", key), the more recent one."""
        turn = self.turns[-1] if self.turns else None
        mark = self.overlaps[-1] if self.overlaps else None
        if mark is not None and (turn is None or mark.at_s >= turn.start_s):
            return ("overlap", mark.key)
        if turn is not None and len(self.turns) > 0:
            return ("turn", turn.key)
        return None

    def recent_turns(self, count: int = 8) -> list[Turn]:
        """The last ``count`` turns someone held the floor, newest first."""
        found: list[Turn] = []
        for turn in reversed(self.turns):
            if turn.who is not None:
                found.append(turn)
                if len(found) == count:
                    break
        return found

    def _record_gini(self, at_s: float) -> None:
        ids = sorted(self.presence_log)
        values = [self.tallies[ALL].talk.get(pid, 0.0) for pid in ids]
        g = gini(values)
        if g is not None:
            self.gini_history.append((at_s, g))


def gini(values: list[float]) -> float | None:
    """Gini coefficient of talk times: 0 all equal, towards 1 one person holds the floor.

    Silent participants count as zero (they are in ``values``); None when nobody talked, and
    for fewer than two people (a balance of one says nothing).
    """
    n = len(values)
    total = sum(values)
    if n < 2 or total <= 0:
        return None
    ordered = sorted(max(0.0, v) for v in values)
    weighted = sum((index + 1) * value for index, value in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n
