"""Talk time: exact seconds for scripted sessions, driven by a fake clock on real session folders.

Every figure is read through ``talk_figures`` (the one function the live board, the summary and
the exports call), so these tests pin what all of them show.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from facilitator.core.clock import FakeClock
from facilitator.core.guide import Guide, load_guide, parse_guide
from facilitator.core.session import Participant, SessionState
from facilitator.core.summary import build_summary
from facilitator.core.talk import (
    ALL,
    MIN_SPEECH_S,
    MODERATOR,
    TalkLedger,
    gini,
    phase_scope,
    question_scope,
)
from facilitator.core.talk_figures import (
    ParticipantFigures,
    TalkFigures,
    nudges,
    talk_figures,
)
from facilitator.exports.markdown import render_markdown
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from tests.conftest import GUIDES, PARTICIPANTS

SEED_GUIDE = load_guide(GUIDES / "seed-en.toml")
NUDGE_GUIDE = parse_guide(
    'title = "Nudges"\n'
    "[settings]\nnudge_silent_min = 3\nnudge_after_min = 5\nnudge_snooze_min = 10\n"
    '[[phases]]\nid = "one"\ntitle = "One"\nminutes = 60\nquestions = ["Why?", "How?"]\n',
    "nudges.toml",
)


def people(count: int) -> list[Participant]:
    return [Participant(f"P{i}", f"Informant {i}", f"Role {i}") for i in range(1, count + 1)]


Opener = Callable[..., LiveSession]


@pytest.fixture
def open_session(tmp_path: Path, clock: FakeClock) -> Iterator[Opener]:
    """A new session folder with the given roster and guide, opened (and so started) now."""
    opened: list[LiveSession] = []

    def open_(
        participants: list[Participant] | None = None, guide: Guide = SEED_GUIDE
    ) -> LiveSession:
        store = SessionStore.create(
            tmp_path / "sessions",
            guide,
            title=f"Talk {len(opened) + 1}",
            participants=PARTICIPANTS if participants is None else participants,
            now=clock.now(),
        )
        live = LiveSession(store, clock=clock)
        opened.append(live)
        return live

    yield open_
    for live in opened:
        if live.journal is not None:
            live.journal.close()


def reopen(live: LiveSession, clock: FakeClock) -> LiveSession:
    """What a second run sees: only what is on disk (the first one exits cleanly)."""
    if live.journal is not None:
        live.journal.close()
        live.journal = None
    return LiveSession(SessionStore(live.store.path), clock=clock)


def to(live: LiveSession, clock: FakeClock, session_s: float) -> None:
    """Move the fake clock on until the session clock reads ``session_s`` (not in a pause)."""
    now_s = live.state.session_s(clock.now())
    assert session_s >= now_s
    clock.advance(session_s - now_s)
    assert live.state.session_s(clock.now()) == session_s


def figures(live: LiveSession, scope: str = ALL, details: bool = True) -> TalkFigures:
    state = live.state
    return talk_figures(
        state.talk, state.roster, state.session_s(live.now()), scope, with_details=details
    )


def by_id(talk: TalkFigures) -> dict[str, ParticipantFigures]:
    return {p.id: p for p in talk.participants}


def talk_of(talk: TalkFigures) -> dict[str, float]:
    return {p.id: p.talk_s for p in talk.participants if p.talk_s}


def turns_of(talk: TalkFigures) -> dict[str, int]:
    return {p.id: p.turns for p in talk.participants if p.turns}


# --- basic turns ----------------------------------------------------------------------------------


def test_basic_turns_give_exact_seconds_shares_and_silence(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    to(live, clock, 10)
    live.speak(MODERATOR)
    to(live, clock, 40)
    live.speak_position(1)
    to(live, clock, 130)
    live.speak("P2")
    to(live, clock, 150)
    live.speak(None)
    to(live, clock, 165)
    live.speak("P1")
    to(live, clock, 210)

    talk = figures(live)
    people_ = by_id(talk)
    assert talk_of(talk) == {"P1": 135.0, "P2": 20.0}
    assert turns_of(talk) == {"P1": 2, "P2": 1}
    assert talk.participant_talk_s == 155.0
    assert talk.moderator_talk_s == 30.0
    assert talk.moderator_turns == 1
    assert talk.moderator_share_of_all == pytest.approx(30 / 185)
    assert talk.silence_s == 15.0  # the gap 150-165; before the first key press counts nowhere
    assert people_["P1"].share == pytest.approx(135 / 155)
    assert people_["P2"].share == pytest.approx(20 / 155)
    assert people_["P3"].share == 0.0 and people_["P3"].silent
    # everyone was there all along: the fair share is an even fifth
    assert all(p.fair_share == pytest.approx(1 / 5) for p in talk.participants)
    assert talk.speaker == "P1" and people_["P1"].speaking
    assert talk.turn_s == 45.0
    assert [p.key for p in talk.participants] == [1, 2, 3, 4, 5]
    # last spoke: now if speaking, else when the last turn ended; since: from then, or arrival
    assert people_["P1"].last_spoke_s == 210.0 and people_["P1"].since_last_s == 0.0
    assert people_["P2"].last_spoke_s == 150.0 and people_["P2"].since_last_s == 60.0
    assert people_["P3"].last_spoke_s is None and people_["P3"].since_last_s == 210.0
    assert people_["P1"].longest_turn_s == 90.0
    assert people_["P2"].longest_turn_s == 20.0
    assert people_["P3"].longest_turn_s == 0.0
    # who follows whom skips silences: P2, nobody, P1 is P2 -> P1
    assert talk.follows == {(MODERATOR, "P1"): 1, ("P1", "P2"): 1, ("P2", "P1"): 1}
    # values [135, 20, 0, 0, 0]: silent participants count as zero
    assert talk.gini == pytest.approx(2 * (4 * 20 + 5 * 135) / (5 * 155) - 6 / 5)


def test_the_same_speaker_twice_is_one_turn(open_session: Opener, clock: FakeClock) -> None:
    live = open_session()
    assert live.speak(None) is None  # nobody before anybody: nothing to record
    live.speak("P1")
    to(live, clock, 30)
    assert live.speak("P1") is None
    assert live.speak_position(6) is None  # only five participants
    assert live.speak_position(0) is None
    to(live, clock, 50)
    talk = figures(live)
    assert talk_of(talk) == {"P1": 50.0}
    assert turns_of(talk) == {"P1": 1}


def test_the_end_closes_the_open_turn(open_session: Opener, clock: FakeClock) -> None:
    live = open_session()
    live.speak("P1")
    to(live, clock, 100)
    live.speak("P2")
    to(live, clock, 160)
    live.end()
    clock.advance(3600)
    talk = figures(live)
    assert talk.speaker is None and talk.turn_s == 0.0
    assert talk_of(talk) == {"P1": 100.0, "P2": 60.0}
    assert by_id(talk)["P2"].last_spoke_s == 160.0
    assert talk_of(figures(reopen(live, clock))) == {"P1": 100.0, "P2": 60.0}


# --- pauses -------------------------------------------------------------------------------------


def test_a_pause_closes_the_turn_and_counts_for_nobody(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    to(live, clock, 60)
    live.speak("P1")
    to(live, clock, 180)
    live.toggle_pause()
    assert live.state.talk.current_speaker is None
    clock.advance(600)  # ten minutes of break
    assert live.speak("P2") is None  # no turns during a break
    assert live.speak(MODERATOR) is None
    talk = figures(live)
    assert talk_of(talk) == {"P1": 120.0}
    assert talk.silence_s == 0.0
    live.toggle_pause()
    assert live.state.session_s(clock.now()) == 180
    to(live, clock, 210)  # after the break, nobody until a key is pressed
    live.speak("P2")
    to(live, clock, 270)

    talk = figures(live)
    assert talk_of(talk) == {"P1": 120.0, "P2": 60.0}
    assert turns_of(talk) == {"P1": 1, "P2": 1}
    assert talk.silence_s == 30.0  # 180-210 after the break; the break itself not at all
    assert by_id(talk)["P1"].last_spoke_s == 180.0
    assert by_id(talk)["P1"].since_last_s == 90.0  # session seconds: the break is not counted
    assert talk.follows == {("P1", "P2"): 1}
    assert figures(reopen(live, clock)) == talk


def test_a_pause_while_nobody_speaks_records_no_turn(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    to(live, clock, 30)
    live.toggle_pause()
    clock.advance(300)
    live.toggle_pause()
    assert live.state.talk.turns == []
    live.speak("P3")
    to(live, clock, 90)
    assert talk_of(figures(live)) == {"P3": 60.0}


# --- presence: late arrival, early leaving, fair share -----------------------------------------


def test_fair_share_follows_who_is_present(open_session: Opener, clock: FakeClock) -> None:
    live = open_session(people(3))
    live.set_present("P3", False)  # not here yet at the start
    live.speak("P1")
    to(live, clock, 60)
    live.set_present("P3", True)  # arrives late
    to(live, clock, 120)
    live.speak("P2")
    to(live, clock, 180)
    live.set_present("P1", False)  # leaves early
    to(live, clock, 240)
    live.speak("P3")
    to(live, clock, 300)

    talk = figures(live)
    p = by_id(talk)
    assert talk_of(talk) == {"P1": 120.0, "P2": 120.0, "P3": 60.0}
    # every second of participants' talk is split evenly among those present at that second:
    #   0-60 {P1,P2}: 30 each; 60-120 and 120-180 {P1,P2,P3}: 20 each twice;
    #   180-240 and 240-300 {P2,P3}: 30 each twice
    assert p["P1"].fair_share == pytest.approx(70 / 300)
    assert p["P2"].fair_share == pytest.approx(130 / 300)
    assert p["P3"].fair_share == pytest.approx(100 / 300)
    assert sum(x.fair_share for x in talk.participants) == pytest.approx(1.0)
    assert p["P1"].share == pytest.approx(0.4) and p["P3"].share == pytest.approx(0.2)
    assert (p["P1"].present, p["P2"].present, p["P3"].present) == (False, True, True)
    assert (p["P1"].present_s, p["P2"].present_s, p["P3"].present_s) == (180.0, 300.0, 240.0)

    # a late addition to the roster arrives when added and shares from then on
    live.add_participant("P4", "Informant 4", "NAV", real_name="Kari Nordmann")
    to(live, clock, 360)
    talk = figures(live)
    p = by_id(talk)
    assert [x.id for x in talk.participants] == ["P1", "P2", "P3", "P4"]
    assert p["P4"].present and p["P4"].present_s == 60.0 and p["P4"].key == 4
    assert p["P4"].fair_share == pytest.approx(20 / 360)
    assert p["P2"].fair_share == pytest.approx(150 / 360)
    assert p["P3"].fair_share == pytest.approx(120 / 360)
    assert p["P1"].fair_share == pytest.approx(70 / 360)
    assert p["P4"].since_last_s == 60.0  # never spoke: counted from the arrival
    assert figures(reopen(live, clock)) == talk


def test_the_moderator_does_not_count_in_fair_shares(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session(people(2))
    live.speak(MODERATOR)
    to(live, clock, 100)
    live.speak("P1")
    to(live, clock, 130)
    talk = figures(live)
    assert talk.participant_talk_s == 30.0
    assert [x.fair_share for x in talk.participants] == [pytest.approx(0.5)] * 2
    assert talk.moderator_share_of_all == pytest.approx(100 / 130)


def test_speaking_marks_an_away_participant_present(open_session: Opener, clock: FakeClock) -> None:
    live = open_session(people(3))
    live.set_present("P2", False)
    live.speak("P1")
    to(live, clock, 60)
    assert live.speak("P2") is None  # a key for someone away changes nothing (issue 13)
    assert "P2" not in live.state.talk.present
    live.record("speaker", {"who": "P2"})  # as an older version wrote it: here after all
    to(live, clock, 90)
    assert "P2" in live.state.talk.present
    talk = figures(live)
    p = by_id(talk)
    assert p["P2"].present and p["P2"].present_s == 30.0
    # 0-60 {P1,P3}: 30 each; 60-90 {P1,P2,P3}: 10 each
    assert p["P1"].fair_share == pytest.approx(40 / 90)
    assert p["P2"].fair_share == pytest.approx(10 / 90)
    assert p["P3"].fair_share == pytest.approx(40 / 90)


def test_presence_changes_that_change_nothing_are_not_recorded(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session(people(2))
    assert live.set_present("P1", True) is None
    assert live.set_present("P1", False) is not None
    assert live.set_present("P1", False) is None
    kinds = [e.kind for e in live.store.read_events().events]
    assert kinds.count("presence") == 1


# --- undo ---------------------------------------------------------------------------------------


def test_undo_gives_the_time_back_to_the_turn_before(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    to(live, clock, 10)
    live.speak("P1")
    to(live, clock, 70)
    live.speak("P2")  # the wrong key
    to(live, clock, 80)
    live.undo()
    to(live, clock, 100)
    talk = figures(live)
    assert talk.speaker == "P1" and talk.turn_s == 90.0
    assert talk_of(talk) == {"P1": 90.0}
    assert turns_of(talk) == {"P1": 1}
    assert talk.follows == {}
    assert by_id(talk)["P2"].last_spoke_s is None
    assert by_id(talk)["P1"].longest_turn_s == 90.0


def test_undo_of_a_change_from_nobody_gives_the_time_to_silence(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    live.speak("P1")
    to(live, clock, 100)
    live.speak(None)
    to(live, clock, 130)
    live.speak("P3")
    to(live, clock, 140)
    live.undo()
    to(live, clock, 160)
    talk = figures(live)
    assert talk.speaker is None
    assert talk_of(talk) == {"P1": 100.0}
    assert talk.silence_s == 60.0
    assert turns_of(talk) == {"P1": 1}

    # repeated undo walks back: the silence goes, P1 never stopped
    live.undo()
    talk = figures(live)
    assert talk.speaker == "P1"
    assert talk_of(talk) == {"P1": 160.0} and talk.silence_s == 0.0
    # and the first turn of all: no turns left at all
    live.undo()
    talk = figures(live)
    assert talk.speaker is None and talk_of(talk) == {} and turns_of(talk) == {}
    assert live.state.talk.turns == []
    assert live.undo() is None  # nothing left to undo: nothing recorded
    undos = [e for e in live.store.read_events().events if e.kind == "undo"]
    assert len(undos) == 3
    assert figures(reopen(live, clock)) == talk


def test_undo_of_a_closed_question_boundary_keeps_the_split(
    open_session: Opener, clock: FakeClock
) -> None:
    """An undone turn that crossed a question change gives each piece back where it was."""
    live = open_session()
    live.speak("P1")
    to(live, clock, 50)
    live.speak("P2")
    to(live, clock, 80)
    live.next_question()  # into the main phase
    to(live, clock, 100)
    live.undo()
    to(live, clock, 120)
    assert talk_of(figures(live, question_scope("intro-tema"))) == {"P1": 80.0}
    assert talk_of(figures(live, question_scope("ds-moter"))) == {"P1": 40.0}
    assert talk_of(figures(live)) == {"P1": 120.0}


def test_undo_removes_an_overlap_mark_first(open_session: Opener, clock: FakeClock) -> None:
    live = open_session()
    live.speak("P1")
    to(live, clock, 20)
    live.overlap("P3")
    to(live, clock, 30)
    assert live.state.talk.last_undoable()[0] == "overlap"
    live.undo()
    assert live.state.talk.overlaps == []
    assert live.state.talk.current_speaker == "P1"  # the turn stays
    assert figures(live).overlaps == {}
    assert live.state.talk.last_undoable()[0] == "turn"
    # a mark made before the last speaker change is not what u undoes
    live.overlap("P2")
    to(live, clock, 40)
    live.speak("P4")
    live.undo()
    assert live.state.talk.current_speaker == "P1"
    assert figures(live).overlaps == {("P2", "P1"): 1}


# --- reassign -----------------------------------------------------------------------------------


def test_reassign_moves_time_turns_and_who_follows_whom(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    first = live.speak("P1")
    to(live, clock, 60)
    wrong = live.speak("P2")
    to(live, clock, 100)
    last = live.speak("P3")
    to(live, clock, 130)
    assert first and wrong and last
    assert figures(live).follows == {("P1", "P2"): 1, ("P2", "P3"): 1}

    live.reassign(wrong.id, "P4")
    talk = figures(live)
    assert talk_of(talk) == {"P1": 60.0, "P4": 40.0, "P3": 30.0}
    assert turns_of(talk) == {"P1": 1, "P4": 1, "P3": 1}
    assert talk.follows == {("P1", "P4"): 1, ("P4", "P3"): 1}  # both sides moved
    assert by_id(talk)["P4"].last_spoke_s == 100.0
    assert by_id(talk)["P2"].last_spoke_s is None

    # the open turn: whoever it goes to is speaking now
    live.reassign(last.id, "P5")
    to(live, clock, 150)
    talk = figures(live)
    assert talk.speaker == "P5" and talk.turn_s == 50.0
    assert talk_of(talk) == {"P1": 60.0, "P4": 40.0, "P5": 50.0}
    assert talk.follows == {("P1", "P4"): 1, ("P4", "P5"): 1}

    # to the moderator: no longer participants' talk
    live.reassign(first.id, MODERATOR)
    talk = figures(live)
    assert talk.moderator_talk_s == 60.0 and talk.moderator_turns == 1
    assert talk.participant_talk_s == 90.0
    assert talk.follows == {(MODERATOR, "P4"): 1, ("P4", "P5"): 1}
    assert figures(reopen(live, clock)) == talk


def test_reassign_a_silence_to_someone_and_back(open_session: Opener, clock: FakeClock) -> None:
    live = open_session()
    live.speak("P1")
    to(live, clock, 30)
    gap = live.speak(None)
    to(live, clock, 50)
    live.speak("P2")
    to(live, clock, 70)
    assert gap is not None
    assert figures(live).follows == {("P1", "P2"): 1}
    live.reassign(gap.id, "P3")  # someone spoke in what was keyed as silence
    talk = figures(live)
    assert talk_of(talk) == {"P1": 30.0, "P3": 20.0, "P2": 20.0}
    assert talk.silence_s == 0.0
    assert talk.follows == {("P1", "P3"): 1, ("P3", "P2"): 1}
    live.reassign(gap.id, None)
    talk = figures(live)
    assert talk.silence_s == 20.0
    assert talk.follows == {("P1", "P2"): 1}
    assert live.reassign(gap.id, None) is not None  # recorded, but changes nothing
    assert figures(live) == talk


def test_reassign_to_someone_away_counts_them_present_for_that_turn(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session(people(3))
    live.set_present("P3", False)
    turn = live.speak("P1")
    to(live, clock, 60)
    live.speak("P2")
    to(live, clock, 90)
    assert turn is not None
    live.reassign(turn.id, "P3")
    talk = figures(live)
    p = by_id(talk)
    # 0-60 now {P1,P2,P3}: 20 each; 60-90 {P1,P2}: 15 each
    assert p["P3"].fair_share == pytest.approx(20 / 90)
    assert p["P1"].fair_share == pytest.approx(35 / 90)
    assert not p["P3"].present  # the presence log itself is not rewritten


# --- overlaps -----------------------------------------------------------------------------------


def test_overlaps_are_counted_in_the_summary(open_session: Opener, clock: FakeClock) -> None:
    live = open_session()
    live.speak("P1")
    to(live, clock, 10)
    live.overlap("P3")
    to(live, clock, 20)
    live.overlap("P3")
    live.overlap("P2")
    to(live, clock, 30)
    live.speak(MODERATOR)
    to(live, clock, 40)
    live.overlap("P1")
    to(live, clock, 50)
    assert figures(live).overlaps == {("P3", "P1"): 2, ("P2", "P1"): 1, ("P1", MODERATOR): 1}
    summary = build_summary(live.info, live.state, clock.now())
    assert summary["turn_taking"]["overlaps"] == [
        {"who": "P1", "over": MODERATOR, "count": 1},
        {"who": "P2", "over": "P1", "count": 1},
        {"who": "P3", "over": "P1", "count": 2},
    ]
    made = {p["id"]: p["overlaps_made"] for p in summary["participants"]}
    assert made == {"P1": 1, "P2": 1, "P3": 2, "P4": 0, "P5": 0}
    # overlaps do not change talk time
    assert talk_of(figures(live)) == {"P1": 30.0}


# --- scopes: phases and questions ---------------------------------------------------------------


def test_a_turn_across_a_question_change_is_split_exactly_there(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    live.speak("P1")
    to(live, clock, 100)
    live.next_question()  # introduksjon/intro-tema -> dagens-situasjon/ds-moter
    to(live, clock, 160)
    live.speak("P2")
    to(live, clock, 200)
    live.next_question()  # -> ds-samarbeid
    to(live, clock, 250)

    assert talk_of(figures(live)) == {"P1": 160.0, "P2": 90.0}
    assert talk_of(figures(live, phase_scope("introduksjon"))) == {"P1": 100.0}
    assert talk_of(figures(live, question_scope("intro-tema"))) == {"P1": 100.0}
    assert talk_of(figures(live, phase_scope("dagens-situasjon"))) == {"P1": 60.0, "P2": 90.0}
    assert talk_of(figures(live, question_scope("ds-moter"))) == {"P1": 60.0, "P2": 40.0}
    assert talk_of(figures(live, question_scope("ds-samarbeid"))) == {"P2": 50.0}
    assert talk_of(figures(live, phase_scope("avrunding"))) == {}
    # a turn counts once, where it began
    assert turns_of(figures(live, phase_scope("introduksjon"))) == {"P1": 1}
    assert turns_of(figures(live, phase_scope("dagens-situasjon"))) == {"P2": 1}
    assert turns_of(figures(live, question_scope("ds-samarbeid"))) == {}
    # the longest turn in a scope is the part of it spent there
    assert by_id(figures(live, question_scope("ds-moter")))["P1"].longest_turn_s == 60.0
    assert by_id(figures(live, question_scope("ds-samarbeid")))["P2"].longest_turn_s == 50.0
    # shares within the scope
    assert by_id(figures(live, question_scope("ds-moter")))["P1"].share == pytest.approx(0.6)
    # the current turn runs on in the current scope only
    assert figures(live, question_scope("ds-samarbeid")).speaker == "P2"
    assert figures(live, question_scope("ds-samarbeid")).turn_s == 90.0

    summary = build_summary(live.info, live.state, clock.now())
    phase_talk = {p["id"]: p["talk"] for p in summary["phases"]}
    assert {x["id"]: x["talk_s"] for x in phase_talk["dagens-situasjon"]["participants"]} == {
        "P1": 60.0,
        "P2": 90.0,
        "P3": 0.0,
        "P4": 0.0,
        "P5": 0.0,
    }


def test_silence_and_the_moderator_are_split_by_scope_too(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    live.speak(MODERATOR)
    to(live, clock, 40)
    live.speak(None)
    to(live, clock, 60)
    live.next_phase()
    to(live, clock, 75)
    live.speak(MODERATOR)
    to(live, clock, 95)
    intro = figures(live, phase_scope("introduksjon"))
    main = figures(live, phase_scope("dagens-situasjon"))
    assert (intro.moderator_talk_s, intro.silence_s, intro.moderator_turns) == (40.0, 20.0, 1)
    assert (main.moderator_talk_s, main.silence_s, main.moderator_turns) == (20.0, 15.0, 1)
    assert intro.gini is None  # nobody of the participants talked


# --- a crash in the middle of a turn ------------------------------------------------------------


def test_a_crash_in_the_middle_of_a_turn_counts_the_down_time(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    live.speak(MODERATOR)
    to(live, clock, 30)
    live.speak("P1")
    to(live, clock, 90)
    # the process dies: no "closed" event, only the file descriptor goes with it
    assert live.journal is not None
    live.journal.close()
    clock.advance(120)  # two minutes until the app runs again; the group talked on
    resumed = LiveSession(SessionStore(live.store.path), clock=clock)
    try:
        assert resumed.state.downtimes(), "the gap is marked in the timeline"
        talk = figures(resumed)
        assert talk.speaker == "P1" and talk.turn_s == 180.0
        assert talk_of(talk) == {"P1": 180.0}
        to(resumed, clock, 240)
        resumed.speak("P2")
        to(resumed, clock, 300)
        talk = figures(resumed)
        assert talk_of(talk) == {"P1": 210.0, "P2": 60.0}
        assert turns_of(talk) == {"P1": 1, "P2": 1}
        assert talk.moderator_talk_s == 30.0
        assert by_id(talk)["P1"].longest_turn_s == 210.0
        assert talk.follows == {(MODERATOR, "P1"): 1, ("P1", "P2"): 1}
        # undo still works across the crash: P1 talks on
        resumed.undo()
        assert talk_of(figures(resumed)) == {"P1": 270.0}
        again = reopen(resumed, clock)
        assert figures(again) == figures(resumed)
    finally:
        if resumed.journal is not None:
            resumed.journal.close()


def test_a_crash_during_a_pause_resumes_in_the_pause(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    live.speak("P1")
    to(live, clock, 60)
    live.toggle_pause()
    clock.advance(30)
    assert live.journal is not None
    live.journal.close()
    clock.advance(300)
    resumed = LiveSession(SessionStore(live.store.path), clock=clock)
    try:
        assert resumed.state.paused
        assert resumed.state.session_s(clock.now()) == 60
        assert talk_of(figures(resumed)) == {"P1": 60.0}
        assert figures(resumed).speaker is None
    finally:
        if resumed.journal is not None:
            resumed.journal.close()


# --- the balance: Gini --------------------------------------------------------------------------


def test_gini_exact_values() -> None:
    assert gini([30.0, 30.0, 30.0, 30.0]) == 0.0
    assert gini([120.0, 0.0, 0.0, 0.0]) == pytest.approx(0.75)
    assert gini([120.0]) is None  # a balance of one person says nothing
    assert gini([]) is None
    assert gini([0.0, 0.0, 0.0]) is None
    assert gini([10.0, 30.0]) == pytest.approx(0.25)  # (2*(10+60))/(2*40) - 3/2
    # order does not matter
    assert gini([0.0, 120.0, 0.0, 0.0]) == gini([120.0, 0.0, 0.0, 0.0])


def test_gini_on_the_board_counts_silent_participants_as_zero(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session(people(4))
    live.speak("P2")
    to(live, clock, 120)
    assert figures(live).gini == pytest.approx(0.75)  # not 0.0 over one talker
    live.speak("P1")
    to(live, clock, 240)
    live.speak("P3")
    to(live, clock, 360)
    live.speak("P4")
    to(live, clock, 480)
    assert figures(live).gini == 0.0
    # someone who left still counts (their silence is part of the record)
    live.set_present("P4", False)
    live.speak("P1")
    to(live, clock, 600)
    assert figures(live).gini == pytest.approx(gini([240.0, 120.0, 120.0, 120.0]))


def test_gini_on_the_ledger_directly() -> None:
    ledger = TalkLedger()
    ledger.start_presence(["A", "B", "C", "D"], 0.0)
    ledger.change("e1", "A", "p", "q", 0.0)
    ledger.change("e2", None, "p", "q", 100.0)
    roster = [Participant(x, x) for x in "ABCD"]
    talk = talk_figures(ledger, roster, 200.0)
    assert talk.gini == pytest.approx(0.75)
    assert talk.silence_s == 100.0
    assert ledger.gini_history == [(100.0, pytest.approx(0.75))]


# --- nudges -------------------------------------------------------------------------------------


def shown(live: LiveSession) -> set[str]:
    state = live.state
    now_s = state.session_s(live.now())
    whole = talk_figures(state.talk, state.roster, now_s)
    return {n.key for n in nudges(whole, state.guide.settings, now_s, state.dismissed)}


def test_silent_nudges_wait_for_the_start_and_skip_those_away(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session(people(3), NUDGE_GUIDE)  # silent after 3 min, nothing before 5 min
    live.speak("P2")
    to(live, clock, 30)
    live.speak("P1")
    to(live, clock, 200)
    live.set_present("P3", False)
    to(live, clock, 299)
    assert shown(live) == set()  # silent for 4:59 and 4:29, but the first five minutes are calm
    to(live, clock, 300)
    # P2 silent since 0:30 (4.5 min), P3 away; P1 speaking holds 90 % of 300 s of talk
    assert shown(live) == {"silent:P2", "share:P1"}
    state = live.state
    whole = talk_figures(state.talk, state.roster, 300.0)
    silent = next(n for n in nudges(whole, state.guide.settings, 300.0, {}) if n.who == "P2")
    assert silent.minutes == pytest.approx(4.5) and silent.label == "Informant 2"
    live.set_present("P3", True)  # back at 5:00: counted from the return, not from 0:00
    assert shown(live) == {"silent:P2", "share:P1"}
    to(live, clock, 480)  # three minutes after coming back without a word
    assert shown(live) == {"silent:P2", "silent:P3", "share:P1"}


def test_a_silent_nudge_starts_counting_at_the_end_of_the_last_turn(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session(people(2), NUDGE_GUIDE)
    live.speak("P1")
    to(live, clock, 100)
    live.speak("P2")
    to(live, clock, 279)
    assert shown(live) == set()
    to(live, clock, 300)  # P1 silent 200 s: 3 min 20 s
    assert "silent:P1" in shown(live)


def test_share_and_moderator_nudges(open_session: Opener, clock: FakeClock) -> None:
    live = open_session(people(3), NUDGE_GUIDE)
    live.speak(MODERATOR)
    to(live, clock, 200)
    live.speak("P1")
    to(live, clock, 300)
    # P1 has all of 100 s of participants' talk: under the 120 s needed for a share nudge
    assert shown(live) == {"silent:P2", "silent:P3", "moderator"}
    to(live, clock, 320)
    assert shown(live) == {"silent:P2", "silent:P3", "moderator", "share:P1"}
    live.speak("P2")
    to(live, clock, 440)
    talk = figures(live)
    assert talk.moderator_share_of_all == pytest.approx(200 / 440)
    assert by_id(talk)["P1"].share == pytest.approx(0.5)
    assert shown(live) == {"silent:P3", "moderator", "share:P1", "share:P2"}


def test_a_dismissed_nudge_stays_away_for_the_snooze_time(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session(people(2), NUDGE_GUIDE)
    live.speak("P1")
    to(live, clock, 300)
    assert shown(live) == {"silent:P2", "share:P1"}
    live.dismiss_nudge("silent:P2")
    assert live.state.dismissed == {"silent:P2": 300.0}
    assert shown(live) == {"share:P1"}
    to(live, clock, 899)
    assert shown(live) == {"share:P1"}
    to(live, clock, 900)  # ten minutes of snooze over
    assert shown(live) == {"silent:P2", "share:P1"}
    # the dismissal is on disk
    assert reopen(live, clock).state.dismissed == {"silent:P2": 300.0}


def test_a_late_arrival_is_not_nudged_as_silent_when_they_walk_in(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session(people(3))
    live.set_present("P3", False)  # not here at the start (h in the roster)
    live.speak("P1")
    to(live, clock, 50 * 60)
    live.set_present("P3", True)  # arrives 50 minutes in
    assert by_id(figures(live))["P3"].since_last_s == 0.0
    assert "silent:P3" not in shown(live)


def test_someone_who_talked_in_a_scope_is_not_shown_silent_there(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    live.speak("P1")
    to(live, clock, 60)
    live.next_phase()
    to(live, clock, 100)
    live.speak("P2")
    to(live, clock, 110)
    p1 = by_id(figures(live, phase_scope("dagens-situasjon")))["P1"]
    assert p1.talk_s == 40.0
    assert not p1.silent


# --- the journal gives the same figures as the live state ---------------------------------------


def _reference(ledger: TalkLedger, roster: list[Participant], now_s: float, scope: str):
    """Figures recomputed from the final turns, the slow way, to check the O(1) tallies."""
    talk: dict[str, float] = {}
    turns: dict[str, int] = {}
    fair: dict[str, float] = {}
    silence = 0.0
    for turn in ledger.turns:
        if turn.who is not None and scope in turn.pieces[0].scopes:
            turns[turn.who] = turns.get(turn.who, 0) + 1
        for piece in turn.pieces:
            if scope not in piece.scopes:
                continue
            seconds = piece.duration(now_s)
            if turn.who is None:
                silence += seconds
                continue
            talk[turn.who] = talk.get(turn.who, 0.0) + seconds
            if turn.who != MODERATOR and piece.present:
                for pid in piece.present:
                    fair[pid] = fair.get(pid, 0.0) + seconds / len(piece.present)
    speaking = [t.who for t in ledger.turns if t.who is not None]
    follows: dict[tuple[str, str], int] = {}
    for before, after in zip(speaking, speaking[1:], strict=False):
        follows[(before, after)] = follows.get((before, after), 0) + 1
    ids = {p.id for p in roster}
    return (
        {k: v for k, v in talk.items() if v and (k in ids or k == MODERATOR)},
        {k: v for k, v in turns.items() if v},
        {k: v for k, v in fair.items() if v and k in ids},
        silence,
        follows,
    )


def _random_session(live: LiveSession, clock: FakeClock, rng: random.Random, steps: int) -> None:
    for _step in range(steps):
        clock.advance(rng.choice([0, 0, 1, 2, 5, 13, 30, 61, 90.5]))
        state = live.state
        ids = [p.id for p in state.roster]
        action = rng.choices(
            ["speak", "undo", "reassign", "overlap", "presence", "goto", "pause", "add"],
            weights=[40, 10, 8, 6, 8, 8, 4, 1],
        )[0]
        if action == "speak":
            live.speak(rng.choice([*ids, MODERATOR, None]))
        elif action == "undo":
            live.undo()
        elif action == "reassign":
            recent = state.talk.turns[-6:]
            if recent:
                turn = rng.choice(recent)
                live.reassign(turn.key, rng.choice([*ids, MODERATOR, None]))
        elif action == "overlap":
            live.overlap(rng.choice([*ids, MODERATOR]))
        elif action == "presence":
            live.set_present(rng.choice(ids), rng.random() < 0.5)
        elif action == "goto":
            rng.choice(
                [live.next_question, live.previous_question, live.next_phase, live.previous_phase]
            )()
        elif action == "pause":
            live.toggle_pause()
        elif action == "add" and len(ids) < 12:
            live.add_participant(f"N{len(ids)}", f"Newcomer {len(ids)}")


def _scopes(guide: Guide) -> list[str]:
    found = [ALL]
    for phase in guide.phases:
        found.append(phase_scope(phase.id))
        found += [question_scope(q.id) for q in phase.questions]
    return found


@pytest.mark.parametrize("seed", [1, 2, 3, 17, 2027])
def test_the_journal_gives_exactly_the_live_figures(
    open_session: Opener, clock: FakeClock, seed: int
) -> None:
    live = open_session()
    rng = random.Random(seed)
    _random_session(live, clock, rng, 300)
    if live.state.paused:
        live.toggle_pause()
    clock.advance(45)
    now = clock.now()
    now_s = live.state.session_s(now)
    info = live.store.info()
    replayed = SessionState.from_events(
        info.guide, live.store.read_events().events, info.participants
    )
    assert replayed.session_s(now) == now_s
    state = live.state
    assert len(state.talk.turns) > 20, "the random session should have had some turns"
    for scope in _scopes(live.guide):
        expected = talk_figures(state.talk, state.roster, now_s, scope, with_details=True)
        got = talk_figures(replayed.talk, replayed.roster, now_s, scope, with_details=True)
        assert got == expected, scope
        # and the running tallies agree with a slow recount of the turns
        talk, turns, fair, silence, follows = _reference(state.talk, state.roster, now_s, scope)
        ids = [p.id for p in state.roster]
        people_ = by_id(expected)
        assert [people_[i].talk_s for i in ids] == pytest.approx(
            [talk.get(i, 0.0) for i in ids], abs=1e-6
        )
        assert expected.moderator_talk_s == pytest.approx(talk.get(MODERATOR, 0.0), abs=1e-6)
        assert [people_[i].turns for i in ids] == [turns.get(i, 0) for i in ids]
        assert expected.moderator_turns == turns.get(MODERATOR, 0)
        if expected.participant_talk_s > 1e-6:
            assert [people_[i].fair_share * expected.participant_talk_s for i in ids] == (
                pytest.approx([fair.get(i, 0.0) for i in ids], abs=1e-6)
            )
        assert expected.silence_s == pytest.approx(silence, abs=1e-6)
        if scope == ALL:
            assert expected.follows == {k: v for k, v in follows.items() if v}
    assert replayed.talk.turns == state.talk.turns
    assert replayed.talk.overlaps == state.talk.overlaps
    assert replayed.talk.presence_log == state.talk.presence_log
    assert replayed.talk.gini_history == state.talk.gini_history
    assert replayed.dismissed == state.dismissed
    # a new run on the same folder sees the same
    again = reopen(live, clock)
    assert figures(again) == figures(live)


# --- the summary ---------------------------------------------------------------------------------


def test_the_summary_gives_the_talk_figures_and_no_real_names(
    open_session: Opener, clock: FakeClock
) -> None:
    roster = [
        Participant("P1", "Informant 1", "Housing office", real_name="Ingrid Sæther"),
        Participant("P2", "Informant 2", "NAV", real_name="Ola Hansen"),
        Participant("P3", "Informant 3", "", real_name="Per Berg"),
    ]
    live = open_session(roster)
    live.speak(MODERATOR)
    to(live, clock, 60)
    live.speak("P1")
    to(live, clock, 180)
    live.next_phase()  # introduksjon -> dagens-situasjon, P1 talks on
    to(live, clock, 240)
    live.speak("P2")
    to(live, clock, 300)
    live.speak(MODERATOR)
    to(live, clock, 330)
    live.speak("P1")
    to(live, clock, 360)
    live.overlap("P2")
    to(live, clock, 390)
    live.edit_participant("P3", real_name="Per Olav Berg")
    live.add_participant("P4", "Informant 4", "Volunteer centre", real_name="Sara Lie")
    live.end()
    clock.advance(600)

    # P1 0:60-4:00 (across the phase change) and 5:30-6:30; P2 4:00-5:00; moderator 0-1:00
    # and 5:00-5:30
    summary = build_summary(live.info, live.state, clock.now())
    assert summary["participants"] == [
        {
            "id": "P1",
            "label": "Informant 1",
            "role": "Housing office",
            "talk_s": 240.0,
            "turns": 2,
            "share": 0.8,
            "fair_share": 0.333,
            "longest_turn_s": 180.0,
            "last_spoke_s": 390.0,
            "present_s": 390.0,
            "overlaps_made": 0,
        },
        {
            "id": "P2",
            "label": "Informant 2",
            "role": "NAV",
            "talk_s": 60.0,
            "turns": 1,
            "share": 0.2,
            "fair_share": 0.333,
            "longest_turn_s": 60.0,
            "last_spoke_s": 300.0,
            "present_s": 390.0,
            "overlaps_made": 1,
        },
        {
            "id": "P3",
            "label": "Informant 3",
            "role": "",
            "talk_s": 0.0,
            "turns": 0,
            "share": 0.0,
            "fair_share": 0.333,
            "longest_turn_s": 0.0,
            "last_spoke_s": None,
            "present_s": 390.0,
            "overlaps_made": 0,
        },
        {
            "id": "P4",
            "label": "Informant 4",
            "role": "Volunteer centre",
            "talk_s": 0.0,
            "turns": 0,
            "share": 0.0,
            "fair_share": 0.0,
            "longest_turn_s": 0.0,
            "last_spoke_s": None,
            "present_s": 0.0,
            "overlaps_made": 0,
        },
    ]
    assert summary["moderator"] == {"talk_s": 90.0, "turns": 2, "share_of_all_talk": 0.231}
    # [240, 60, 0, 0]: 2 * (3 * 60 + 4 * 240) / (4 * 300) - 5 / 4 = 0.65
    assert summary["balance"]["gini"] == 0.65
    assert summary["balance"]["silent"] == ["P3"]  # P4 arrived as it ended
    assert summary["balance"]["participant_talk_s"] == 300.0
    assert summary["balance"]["max_share"] == 0.8
    assert summary["turn_taking"]["follows"] == [
        {"from": "P1", "to": "P2", "count": 1},
        {"from": "P2", "to": MODERATOR, "count": 1},
        {"from": MODERATOR, "to": "P1", "count": 2},
    ]
    assert summary["turn_taking"]["overlaps"] == [{"who": "P2", "over": "P1", "count": 1}]
    phases = {p["id"]: p["talk"] for p in summary["phases"]}
    assert phases["introduksjon"] == {
        "participants": [
            {"id": "P1", "talk_s": 120.0, "turns": 1, "share": 1.0},
            {"id": "P2", "talk_s": 0.0, "turns": 0, "share": 0.0},
            {"id": "P3", "talk_s": 0.0, "turns": 0, "share": 0.0},
            {"id": "P4", "talk_s": 0.0, "turns": 0, "share": 0.0},
        ],
        "moderator_talk_s": 60.0,
        "moderator_turns": 1,
        "silence_s": 0.0,
        "gini": 0.75,  # P4 had not arrived yet, but is on the roster now: counted as zero
    }
    assert phases["dagens-situasjon"] == {
        "participants": [
            {"id": "P1", "talk_s": 120.0, "turns": 1, "share": 0.667},
            {"id": "P2", "talk_s": 60.0, "turns": 1, "share": 0.333},
            {"id": "P3", "talk_s": 0.0, "turns": 0, "share": 0.0},
            {"id": "P4", "talk_s": 0.0, "turns": 0, "share": 0.0},
        ],
        "moderator_talk_s": 30.0,
        "moderator_turns": 1,
        "silence_s": 0.0,
        "gini": 0.583,  # [120, 60, 0, 0]: 2 * (3 * 60 + 4 * 120) / (4 * 180) - 5 / 4
    }
    assert phases["avrunding"]["gini"] is None

    # the same numbers from the journal alone, and no real name anywhere in the outputs
    info = live.store.info()
    replayed = SessionState.from_events(
        info.guide, live.store.read_events().events, info.participants
    )
    assert build_summary(info, replayed, clock.now()) == summary
    text = json.dumps(summary, ensure_ascii=False) + render_markdown(summary)
    for name in ("Ingrid", "Sæther", "Ola Hansen", "Per Berg", "Per Olav", "Sara Lie"):
        assert name not in text


def test_undo_in_a_break_does_not_bring_back_the_speaker_before_it(
    open_session: Opener, clock: FakeClock
) -> None:
    live = open_session()
    live.speak("P1")
    to(live, clock, 60)
    live.toggle_pause()
    assert live.undo() is None  # the break's own end of the turn is not a key to undo
    clock.advance(60)
    live.toggle_pause()
    to(live, clock, 90)
    assert by_id(figures(live))["P1"].talk_s == 60.0
    assert live.state.talk.current_speaker is None


def _last_ends_by_scan(ledger: TalkLedger, now_s: float) -> dict[str, float]:
    """Reference for "last spoke": each speaker's last turn, open (now) or closed and at least
    MIN_SPEECH_S long, found by walking every turn (what the kept index must agree with)."""
    ends: dict[str, float] = {}
    for turn in ledger.turns:
        if turn.who is None:
            continue
        if turn.end_s is None:
            ends[turn.who] = now_s
        elif turn.duration(now_s) >= MIN_SPEECH_S:
            ends[turn.who] = turn.end_s
    return ends


@pytest.mark.parametrize("seed", range(40))
def test_last_spoke_kept_as_turns_close_agrees_with_a_full_scan(seed: int) -> None:
    """Short turns (slips of the finger), long ones, undos and reassignments in random order:
    after every step, the figures' "last spoke" (from the ledger's kept index of each
    speaker's last real turn) is what a walk over every turn gives."""
    rng = random.Random(seed)
    ledger = TalkLedger()
    ledger.start_presence(["P1", "P2", "P3"], 0.0)
    roster = people(3)
    now = 0.0
    keys: list[str] = []
    for step in range(300):
        now += rng.choice([0.2, 0.5, 0.9, 1.0, 1.5, 4.0, 30.0])
        roll = rng.random()
        if roll < 0.1 and keys:
            ledger.undo(keys[-1])
        elif roll < 0.17 and keys:
            ledger.reassign(rng.choice(keys), rng.choice(["P1", "P2", "P3", MODERATOR, None]))
        else:
            key = f"e{step}"
            if ledger.change(key, rng.choice(["P1", "P2", "P3", MODERATOR, None]), "p", None, now):
                keys.append(key)
        if rng.random() < 0.05:
            ledger.close(now)
        expected = _last_ends_by_scan(ledger, now)
        got = {p.id: p.last_spoke_s for p in talk_figures(ledger, roster, now).participants}
        assert got == {p.id: expected.get(p.id) for p in roster}, (seed, step)
