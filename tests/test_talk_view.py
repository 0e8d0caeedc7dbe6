"""Pilot tests of talk tracking: real key presses on the live view, the turns and roster screens,
checked against the session state and against what a second run reads from disk."""

from __future__ import annotations

import pytest

from facilitator.core.clock import FakeClock
from facilitator.core.talk import ALL, MODERATOR
from facilitator.core.talk_figures import TalkFigures, talk_figures
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from facilitator.ui.app import make_app
from facilitator.ui.screens.live import LiveScreen
from facilitator.ui.screens.roster import RosterScreen
from facilitator.ui.screens.turns import TurnsScreen
from facilitator.ui.widgets.talk_board import TalkBoard

SIZE = (120, 40)


def reopen(live: LiveSession, clock: FakeClock) -> LiveSession:
    """What a second run sees: only what is on disk."""
    if live.journal is not None:
        live.journal.close()
        live.journal = None
    return LiveSession(SessionStore(live.store.path), clock=clock)


def figures(live: LiveSession, scope: str = ALL) -> TalkFigures:
    state = live.state
    return talk_figures(
        state.talk, state.roster, state.session_s(live.now()), scope, with_details=True
    )


def talk_of(live: LiveSession) -> dict[str, float]:
    return {p.id: p.talk_s for p in figures(live).participants if p.talk_s}


def kinds(live: LiveSession) -> list[str]:
    return [e.kind for e in live.store.read_events().events]


def board_text(app) -> str:
    screen = app.screen
    if not isinstance(screen, LiveScreen):
        screen = next(s for s in app.screen_stack if isinstance(s, LiveScreen))
    screen.tick()
    return str(screen.query_one(TalkBoard).render())


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_number_keys_space_and_zero_change_the_speaker_on_disk(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        assert live.state.talk.current_speaker == MODERATOR
        clock.advance(30)
        await pilot.press("1")
        assert live.state.talk.current_speaker == "P1"
        clock.advance(90)
        await pilot.press("2")
        clock.advance(20)
        await pilot.press("space")
        assert live.state.talk.current_speaker is None
        clock.advance(15)
        await pilot.press("1")
        clock.advance(45)
        await pilot.pause()
        text = board_text(app)
        assert "▶ Informant 1" in text and "00:45" in text
        live_figures = figures(live)
    assert talk_of(live) == {"P1": 135.0, "P2": 20.0}
    assert live_figures.moderator_talk_s == 30.0
    assert live_figures.silence_s == 15.0
    assert kinds(live).count("speaker") == 5
    on_disk = reopen(live, clock)
    assert figures(on_disk) == live_figures


async def test_u_undoes_the_last_speaker_change(live: LiveSession, clock: FakeClock) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        clock.advance(60)
        await pilot.press("3")  # the wrong key
        clock.advance(5)
        await pilot.press("u")
        assert live.state.talk.current_speaker == "P1"
        clock.advance(15)
        assert talk_of(live) == {"P1": 80.0}
        await pilot.press("u")  # and the first turn too
        assert live.state.talk.turns == []
        await pilot.press("u")  # nothing left: nothing recorded
    assert kinds(live).count("undo") == 2
    assert reopen(live, clock).state.talk.turns == []


async def test_o_then_a_digit_marks_an_overlap_and_escape_cancels(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")  # nobody speaking: nobody to talk over
        assert any("nobody to talk over" in n for n in notices(app))
        assert not app.screen.overlap_pending
        await pilot.press("2")
        clock.advance(30)
        await pilot.press("o")
        assert "Who talked over?" in board_text(app)
        await pilot.press("3")
        assert live.state.talk.current_speaker == "P2"  # the floor does not change
        assert [(m.who, m.over) for m in live.state.talk.overlaps] == [("P3", "P2")]
        assert "Who talked over?" not in board_text(app)
        await pilot.press("o", "space")  # space does nothing while asking who
        assert live.state.talk.current_speaker == "P2"
        await pilot.press("escape")
        assert "Who talked over?" not in board_text(app)
        await pilot.press("4")  # after escape a digit is a speaker change again
        assert live.state.talk.current_speaker == "P4"
        assert len(live.state.talk.overlaps) == 1
        await pilot.press("o", "0")  # the moderator talks over P4
        await pilot.press("u")  # undo takes the newest: the mark
        assert [(m.who, m.over) for m in live.state.talk.overlaps] == [("P3", "P2")]
        assert live.state.talk.current_speaker == "P4"
    assert kinds(live).count("overlap") == 2
    on_disk = reopen(live, clock)
    assert figures(on_disk).overlaps == {("P3", "P2"): 1}


async def test_t_opens_the_turns_and_a_digit_gives_one_to_the_right_person(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")  # no turns yet
        assert isinstance(app.screen, LiveScreen)
        assert any("No turns yet" in n for n in notices(app))
        await pilot.press("1")
        clock.advance(40)
        await pilot.press("2")
        clock.advance(25)
        await pilot.press("3")
        clock.advance(10)
        await pilot.press("t")
        assert isinstance(app.screen, TurnsScreen)
        await pilot.press("down")  # newest first: down is P2's turn
        await pilot.press("4")
        assert talk_of(live) == {"P1": 40.0, "P4": 25.0, "P3": 10.0}
        assert isinstance(app.screen, TurnsScreen)  # stays open for more corrections
        await pilot.press("down", "up", "up")  # back to the newest: P3, speaking now
        await pilot.press("0")
        assert live.state.talk.current_speaker == MODERATOR
        await pilot.press("9")  # no ninth participant
        assert any("No participant 9" in n for n in notices(app))
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)
        assert "▶ Moderator" in board_text(app)
    talk = figures(live)
    assert talk.follows == {("P1", "P4"): 1, ("P4", MODERATOR): 1}
    assert kinds(live).count("reassign") == 2
    assert figures(reopen(live, clock)) == talk


async def test_v_cycles_the_scope_of_the_board(live: LiveSession, clock: FakeClock) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        clock.advance(100)
        await pilot.press("right")  # main phase, first question
        await pilot.press("2")
        clock.advance(30)
        await pilot.press("right")  # second question
        await pilot.press("3")
        clock.advance(20)
        await pilot.pause()
        text = board_text(app)  # P1 100 s, P2 30 s, P3 20 s
        assert "Figures for: whole session" in text
        assert "1 Informant 1" in text and " 67%" in text and " 20%" in text and " 13%" in text
        await pilot.press("v")
        text = board_text(app)  # this phase: P2 30 s, P3 20 s
        assert "Figures for: this phase" in text
        assert " 60%" in text and " 40%" in text and " 67%" not in text
        await pilot.press("v")
        text = board_text(app)  # this question: P3 alone
        assert "Figures for: this question" in text
        assert "100%" in text and " 60%" not in text
        await pilot.press("v")
        assert "Figures for: whole session" in board_text(app)
    assert kinds(live).count("goto") == 2  # a view changes no record


async def test_e_opens_the_roster_to_add_rename_mark_away_and_reorder(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        clock.advance(60)
        await pilot.press("e")
        assert isinstance(app.screen, RosterScreen)
        # a: add a participant, typed as pseudonym:role
        await pilot.press("a")
        await pilot.press(*"Informant 6:NAV")
        await pilot.press("enter")
        person = live.state.participant("P6")
        assert person is not None
        assert (person.label, person.role) == ("Informant 6", "NAV")
        assert "P6" in live.state.talk.present
        # r: rename the highlighted (the first) participant
        await pilot.press("r")
        await pilot.press("ctrl+a", "ctrl+k")
        await pilot.press(*"Anna")
        await pilot.press("enter")
        assert live.state.participant("P1").label == "Anna"
        # h: the second is away from now on
        await pilot.press("down", "h")
        assert "P2" not in live.state.talk.present
        # k: move the second (P2) up: key 1 is now P2
        await pilot.press("k")
        assert [p.id for p in live.state.roster][:2] == ["P2", "P1"]
        await pilot.press("j", "j")  # and down twice: P2 third
        assert [p.id for p in live.state.roster][:3] == ["P1", "P3", "P2"]
        await pilot.press("k", "k")  # back to the top
        assert [p.id for p in live.state.roster][:3] == ["P2", "P1", "P3"]
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)
        clock.advance(60)
        await pilot.press("1")  # key 1 is P2 now: here again, since keyed
        assert live.state.talk.current_speaker == "P2"
        clock.advance(30)
        await pilot.pause()
        text = board_text(app)
        assert "1 Informant 2" in text and "2 Anna" in text and "6 Informant 6" in text
    # fair share counts presence: P2 was away 60 of the 150 s (P1 then alone with 5 others)
    talk = figures(live)
    people = {p.id: p for p in talk.participants}
    assert people["P1"].talk_s == 120.0 and people["P2"].talk_s == 30.0
    # 0-60: 5 present, 12 s each; 60-120: P1..P6 but P2 away -> 5 present, 12 s each;
    # 120-150: all 6 present (P2 back when keyed), 5 s each
    assert people["P2"].fair_share * 150 == pytest.approx(12 + 0 + 5)
    assert people["P6"].fair_share * 150 == pytest.approx(0 + 12 + 5)
    assert people["P3"].fair_share * 150 == pytest.approx(12 + 12 + 5)
    assert figures(reopen(live, clock)) == talk


async def test_x_dismisses_the_nudges_shown(live: LiveSession, clock: FakeClock) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        clock.advance(11 * 60)
        await pilot.pause()
        text = board_text(app)
        assert "have not spoken for 11+ minutes" in text
        assert "Informant 1 has 100 % of the talk" in text
        assert "x: dismiss" in text
        await pilot.press("x")
        text = board_text(app)
        assert "have not spoken" not in text and "x: dismiss" not in text
        clock.advance(9 * 60)
        assert "have not spoken" not in board_text(app)
        clock.advance(60)  # ten minutes of snooze: they come back
        assert "have not spoken for 21+ minutes" in board_text(app)
    dismissed = [e.data["key"] for e in live.store.read_events().events if e.kind.startswith("nu")]
    assert sorted(dismissed) == [
        "share:P1",
        "silent:P2",
        "silent:P3",
        "silent:P4",
        "silent:P5",
    ]
    assert reopen(live, clock).state.dismissed == {key: 660.0 for key in dismissed}


async def test_digits_during_a_break_start_no_turn(live: LiveSession, clock: FakeClock) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        clock.advance(60)
        await pilot.press("p")
        clock.advance(120)
        await pilot.press("3", "0", "space")
        assert live.state.talk.current_speaker is None
        assert any("paused" in n for n in notices(app))
        assert "Break: nobody is tracked" in board_text(app)
        await pilot.press("p")
        clock.advance(10)
    assert kinds(live).count("speaker") == 1
    assert talk_of(live) == {"P2": 60.0}


async def test_a_digit_beyond_the_roster_shows_a_notice_and_records_nothing(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        before = kinds(live)
        await pilot.press("7")
        assert any("No participant 7" in n for n in notices(app))
        await pilot.press("o")  # nobody speaking: not asked
        await pilot.press("1", "o", "6")  # nor as an overlap: the question stays open
        assert live.state.talk.overlaps == []
        assert sum("No participant 6" in n for n in notices(app)) == 1
        assert "Who talked over?" in board_text(app)
        await pilot.press("escape")
        assert "Who talked over?" not in board_text(app)
    assert kinds(live) == [*before, "speaker"]
