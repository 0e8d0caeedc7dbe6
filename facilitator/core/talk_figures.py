"""Talk figures and nudges, read from the ledger: the live board, the summary and every
export call ``talk_figures``, so they always agree."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from facilitator.core.guide import Settings
from facilitator.core.nudges import Nudge
from facilitator.core.session import Participant
from facilitator.core.talk import ALL, MIN_SPEECH_S, MODERATOR, TalkLedger, gini
from facilitator.i18n import _

TREND_WINDOW_S = 300.0  # the balance trend compares with five minutes ago
TREND_STEADY = 0.02  # a change in Gini smaller than this is "steady"


@dataclass(frozen=True)
class ParticipantFigures:
    id: str
    label: str
    role: str
    key: int | None  # the number key that gives them the floor (1..9), if any
    talk_s: float
    turns: int
    share: float  # of all participants' talk in the scope
    fair_share: float  # what an even split among those present would give
    last_spoke_s: float | None  # session clock at the end of their last turn (now if speaking)
    since_last_s: float  # since they last spoke, or since they arrived if never
    present: bool
    present_s: float
    speaking: bool
    longest_turn_s: float = 0.0

    @property
    def silent(self) -> bool:
        """Has not spoken in the scope (a turn begun elsewhere still counts as speaking; an
        accidental turn of under a second, or an undone one, does not)."""
        return self.talk_s < MIN_SPEECH_S and not self.speaking


@dataclass(frozen=True)
class TalkFigures:
    scope: str
    participants: list[ParticipantFigures]
    participant_talk_s: float
    moderator_talk_s: float
    moderator_turns: int
    moderator_share_of_all: float
    silence_s: float
    gini: float | None
    gini_trend: float | None  # change over the last five minutes; positive: less balanced
    speaker: str | None
    turn_s: float  # how long the current turn has lasted
    present_count: int = 0  # participants in the room now (balance needs two of them)
    follows: dict[tuple[str, str], int] = field(default_factory=dict)
    overlaps: dict[tuple[str, str], int] = field(default_factory=dict)


def talk_figures(
    ledger: TalkLedger,
    roster: list[Participant],
    now_s: float,
    scope: str = ALL,
    with_details: bool = False,
) -> TalkFigures:
    """Every talk figure for ``scope`` ("all", "phase:<id>", "question:<id>") at ``now_s``.

    Cost: O(participants) plus, with ``with_details`` (the summary), O(turns).
    """
    tally = ledger.tallies.get(scope)
    talk = dict(tally.talk) if tally else {}
    turns = dict(tally.turns) if tally else {}
    fair = dict(tally.fair) if tally else {}
    silence = tally.silence_s if tally else 0.0
    current = ledger.current_turn
    turn_s = 0.0
    if current is not None:
        piece = current.pieces[-1]
        open_s = piece.duration(now_s)
        turn_s = current.duration(now_s)
        if scope in piece.scopes:
            if current.who is None:
                silence += open_s
            else:
                talk[current.who] = talk.get(current.who, 0.0) + open_s
                if current.who != MODERATOR and piece.present:
                    for pid in piece.present:
                        fair[pid] = fair.get(pid, 0.0) + open_s / len(piece.present)
    speaker = ledger.current_speaker

    included = [p for p in roster if p.id in ledger.presence_log or talk.get(p.id, 0.0) > 0]
    participant_talk = sum(talk.get(p.id, 0.0) for p in roster)
    last_end = _last_turn_ends(ledger, now_s)
    longest = _longest_turns(ledger, now_s, scope) if with_details else {}
    people: list[ParticipantFigures] = []
    for position, p in enumerate(roster):
        spoken = talk.get(p.id, 0.0)
        arrived = _latest_arrival(ledger, p.id)
        last = last_end.get(p.id)
        # since they last spoke, or since they (last) came into the room
        since = now_s - max(last if last is not None else 0.0, arrived or 0.0)
        people.append(
            ParticipantFigures(
                id=p.id,
                label=p.label,
                role=p.role,
                key=position + 1 if position < 9 else None,
                talk_s=spoken,
                turns=turns.get(p.id, 0),
                share=spoken / participant_talk if participant_talk > 0 else 0.0,
                fair_share=fair.get(p.id, 0.0) / participant_talk if participant_talk > 0 else 0.0,
                last_spoke_s=last,
                since_last_s=max(0.0, since),
                present=p.id in ledger.present,
                present_s=ledger.present_s(p.id, now_s),
                speaking=speaker == p.id,
                longest_turn_s=longest.get(p.id, 0.0),
            )
        )
    moderator = talk.get(MODERATOR, 0.0)
    all_talk = participant_talk + moderator
    # a balance needs two people: with one, any figure would mislead
    balance = gini([talk.get(p.id, 0.0) for p in included]) if len(included) >= 2 else None
    trend = None
    if balance is not None and scope == ALL and ledger.gini_history:
        index = (
            bisect.bisect_right(ledger.gini_history, now_s - TREND_WINDOW_S, key=lambda e: e[0]) - 1
        )
        if index >= 0:
            trend = balance - ledger.gini_history[index][1]
    follows: dict[tuple[str, str], int] = {}
    overlaps: dict[tuple[str, str], int] = {}
    if with_details:
        follows = {pair: n for pair, n in ledger.follows.items() if n > 0}
        for mark in ledger.overlaps:
            if scope == ALL or scope in (f"phase:{mark.phase}", f"question:{mark.question}"):
                pair = (mark.who, mark.over or "")
                overlaps[pair] = overlaps.get(pair, 0) + 1
    return TalkFigures(
        scope=scope,
        participants=people,
        participant_talk_s=participant_talk,
        moderator_talk_s=moderator,
        moderator_turns=turns.get(MODERATOR, 0),
        moderator_share_of_all=moderator / all_talk if all_talk > 0 else 0.0,
        silence_s=silence,
        gini=balance,
        gini_trend=trend,
        speaker=speaker,
        turn_s=turn_s if speaker is not None else 0.0,
        present_count=sum(1 for p in roster if p.id in ledger.present),
        follows=follows,
        overlaps=overlaps,
    )


def balance_text(value: float | None) -> str:
    """The balance (Gini) as every screen and report writes it: "n/a" where there is none
    (nobody talked, or fewer than two participants)."""
    return _("n/a") if value is None else f"{value:.2f}"


def _latest_arrival(ledger: TalkLedger, pid: str) -> float | None:
    intervals = ledger.presence_log.get(pid)
    return intervals[-1][0] if intervals else None


def _last_turn_ends(ledger: TalkLedger, now_s: float) -> dict[str, float]:
    """When each speaker's last turn ended (now, if speaking), from the ledger's indexes; a
    closed turn under ``MIN_SPEECH_S`` (a slip of the finger) is passed over."""
    ends: dict[str, float] = {}
    real = ledger.last_real_turn_index()
    for who, index in ledger.last_turn_index().items():
        end = ledger.turns[index].end_s
        if end is None:
            ends[who] = now_s
            continue
        found = real.get(who)
        if found is not None:
            real_end = ledger.turns[found].end_s
            ends[who] = real_end if real_end is not None else now_s
    return ends


def _longest_turns(ledger: TalkLedger, now_s: float, scope: str) -> dict[str, float]:
    longest: dict[str, float] = {}
    for turn in ledger.turns:
        if turn.who is None:
            continue
        spent = sum(p.duration(now_s) for p in turn.pieces if scope in p.scopes)
        if spent > longest.get(turn.who, 0.0):
            longest[turn.who] = spent
    return longest


def nudges(
    figures: TalkFigures,
    settings: Settings,
    now_s: float,
    dismissed: dict[str, float],
) -> list[Nudge]:
    """Calm reminders for the moderator; a dismissed one stays away for the snooze time."""
    if now_s < settings.nudge_after_min * 60:
        return []
    found: list[Nudge] = []
    for person in figures.participants:
        if not person.present:
            continue
        if person.since_last_s >= settings.nudge_silent_min * 60 and not person.speaking:
            found.append(
                Nudge(
                    f"silent:{person.id}",
                    "silent",
                    person.id,
                    person.label,
                    person.since_last_s / 60,
                )
            )
    if figures.participant_talk_s >= 120:
        for person in figures.participants:
            if person.share >= settings.nudge_share:
                found.append(
                    Nudge(
                        f"share:{person.id}", "share", person.id, person.label, share=person.share
                    )
                )
    if (
        figures.moderator_talk_s + figures.participant_talk_s >= 120
        and figures.moderator_share_of_all >= settings.nudge_moderator_share
    ):
        found.append(Nudge("moderator", "moderator", share=figures.moderator_share_of_all))
    snooze = settings.nudge_snooze_min * 60
    return [n for n in found if now_s - dismissed.get(n.key, -1e18) >= snooze]
