"""The session state fold (an hour of session in milliseconds) and LiveSession on a real folder."""

from __future__ import annotations

import random

import pytest

from facilitator.core import events as ev
from facilitator.core.clock import FakeClock
from facilitator.core.events import Event
from facilitator.core.guide import parse_guide
from facilitator.core.session import (
    SessionState,
    level,
    next_phase_target,
    next_question_target,
    previous_phase_target,
    previous_question_target,
)
from facilitator.services.live import LiveSession
from facilitator.store.journal import JournalLocked, read_journal
from facilitator.store.session_store import SessionStore, parse_participant

T0 = 1_800_000_000.0

# 5 + 45 + 10 = 60 minutes
GUIDE_TEXT = """
title = "Families and schools"

[[phases]]
id = "intro"
title = "Welcome"
kind = "introduction"
minutes = 5

[[phases.questions]]
text = "Who are you?"

[[phases.questions]]
text = "Who is in your family?"

[[phases.checklist]]
text = "Consent forms signed"

[[phases.checklist]]
text = "Recorder on"

[[phases]]
id = "main"
title = "School days"
minutes = 45

[[phases.questions]]
id = "m1"
text = "A typical morning?"

[[phases.questions]]
id = "m2"
text = "Teachers?"

[[phases.questions]]
id = "m3"
text = "What would you change?"

[[phases]]
id = "close"
title = "Closing"
kind = "closing"
minutes = 10

[[phases.questions]]
id = "c1"
text = "Anything we did not ask?"
"""

GUIDE = parse_guide(GUIDE_TEXT, "families.toml")


class Script:
    """Builds events by hand: ``at`` is seconds after T0."""

    def __init__(self, writer: str = "moderator") -> None:
        self.writer = writer
        self.seq = 0
        self.events: list[Event] = []

    def __call__(self, at: float, kind: str, **data) -> Event:
        self.seq += 1
        event = Event(self.writer, self.seq, T0 + at, kind, data)
        self.events.append(event)
        return event

    def goto(self, at: float, phase: str, question: str | None) -> Event:
        return self(at, ev.GOTO, phase=phase, question=question)


def w(seconds: float) -> float:
    """Wall time ``seconds`` after T0."""
    return T0 + seconds


def state_of(script: Script, guide=GUIDE) -> SessionState:
    return SessionState.from_events(guide, script.events)


# --- the clock ---------------------------------------------------------------------------------


def test_before_start_nothing_runs():
    state = SessionState(GUIDE)
    assert not state.started and not state.ended and not state.paused
    assert (state.phase_id, state.question_id) == ("intro", "intro.q1")
    assert state.session_s(w(500)) == 0.0
    assert state.phase_elapsed_s(w(500)) == 0.0
    assert state.question_elapsed_s(w(500), "intro.q1") == 0.0
    assert state.remaining_s(w(500)) == 3600.0
    assert state.timeline == []


def test_a_sixty_minute_session():
    s = Script()
    s(0, ev.STARTED)
    s(0, ev.OPENED)
    s.goto(120, "intro", "intro.q2")
    s.goto(300, "main", "m1")
    s(600, ev.PAUSED)  # a 5-minute break
    s(900, ev.RESUMED)
    s.goto(1200, "main", "m2")  # session 900
    s.goto(1500, "main", "m1")  # session 1200: back to m1
    s.goto(1800, "main", "m3")  # session 1500
    s.goto(3300, "close", "c1")  # session 3000
    s(3900, ev.ENDED)  # session 3600
    state = state_of(s)

    assert state.ended and not state.paused
    assert state.session_s(w(3900)) == 3600.0
    assert state.session_s(w(99_999)) == 3600.0  # ended: the clock stopped
    assert state.paused_s(w(99_999)) == 300.0
    assert state.pause_count == 1

    assert state.phase_elapsed_s(w(3900), "intro") == 300.0
    assert state.phase_elapsed_s(w(3900), "main") == 2700.0
    assert state.phase_elapsed_s(w(3900), "close") == 600.0
    assert state.phase_elapsed_s(w(99_999)) == 600.0  # current phase, clock stopped
    assert state.question_elapsed_s(w(3900), "intro.q1") == 120.0
    assert state.question_elapsed_s(w(3900), "intro.q2") == 180.0
    # m1: 300..900 (the break excluded) and again 1200..1500
    assert state.question_elapsed_s(w(3900), "m1") == 900.0
    assert state.question_elapsed_s(w(3900), "m2") == 300.0
    assert state.question_elapsed_s(w(3900), "m3") == 1500.0
    assert state.question_elapsed_s(w(99_999), "c1") == 600.0
    assert sum(state.phase_time.values()) == 3600.0

    kinds = [(e.kind, e.question, e.start_s, e.end_s) for e in state.timeline]
    assert kinds == [
        ("question", "intro.q1", 0.0, 120.0),
        ("question", "intro.q2", 120.0, 300.0),
        ("question", "m1", 300.0, 900.0),
        ("pause", "m1", 600.0, 600.0),
        ("question", "m2", 900.0, 1200.0),
        ("question", "m1", 1200.0, 1500.0),
        ("question", "m3", 1500.0, 3000.0),
        ("question", "c1", 3000.0, 3600.0),
    ]
    (pause,) = state.pauses()
    assert (pause.wall_start, pause.wall_end) == (w(600), w(900))
    assert state.timeline[-1].wall_end == w(3900)
    assert state.downtimes() == []


def test_pause_stops_every_clock():
    s = Script()
    s(0, ev.STARTED)
    s.goto(100, "main", "m1")
    s(400, ev.PAUSED)
    state = state_of(s)
    assert state.paused
    before = (
        state.session_s(w(400)),
        state.phase_elapsed_s(w(400)),
        state.question_elapsed_s(w(400), "m1"),
    )
    assert before == (400.0, 300.0, 300.0)
    for later in (401, 700, 1000):
        assert state.session_s(w(later)) == 400.0
        assert state.phase_elapsed_s(w(later)) == 300.0
        assert state.question_elapsed_s(w(later), "m1") == 300.0
        assert state.remaining_s(w(later)) == 3200.0
        assert state.current_pause_s(w(later)) == later - 400
        assert state.paused_s(w(later)) == later - 400
    pause = state.timeline[-1]
    assert (pause.kind, pause.start_s, pause.end_s, pause.wall_end) == ("pause", 400.0, None, None)

    state.apply(Event("moderator", 99, w(1000), ev.RESUMED))
    assert not state.paused
    assert state.current_pause_s(w(1100)) == 0.0
    assert state.session_s(w(1100)) == 500.0
    assert state.phase_elapsed_s(w(1100)) == 400.0
    assert (pause.end_s, pause.wall_end) == (400.0, w(1000))

    # a second pause/resume adds to the total
    state.apply(Event("moderator", 100, w(1200), ev.PAUSED))
    state.apply(Event("moderator", 101, w(1260), ev.RESUMED))
    assert state.pause_count == 2
    assert state.paused_s(w(2000)) == 660.0
    assert state.session_s(w(2000)) == 2000 - 660


def test_pause_and_resume_are_idempotent_and_need_a_start():
    s = Script()
    s(0, ev.PAUSED)  # before start: ignored
    s(10, ev.STARTED)
    s(20, ev.RESUMED)  # not paused: ignored
    s(30, ev.PAUSED)
    s(40, ev.PAUSED)  # already paused: ignored
    s(50, ev.RESUMED)
    state = state_of(s)
    assert state.pause_count == 1
    assert state.paused_s(w(100)) == 20.0
    assert state.session_s(w(100)) == 70.0
    assert len(state.pauses()) == 1


def test_ending_during_a_pause_closes_it():
    s = Script()
    s(0, ev.STARTED)
    s(100, ev.PAUSED)
    s(160, ev.ENDED)
    s(170, ev.RESUMED)  # after the end: nothing changes
    s.goto(180, "main", "m1")  # after the end: nothing changes
    state = state_of(s)
    assert state.ended and not state.paused
    assert state.session_s(w(1000)) == 100.0
    assert state.paused_s(w(1000)) == 60.0
    assert (state.phase_id, state.question_id) == ("intro", "intro.q1")
    assert state.phase_elapsed_s(w(1000)) == 100.0
    assert state.timeline[-1].kind == "pause" and state.timeline[-1].wall_end == w(160)


def test_time_accumulates_per_phase_and_question_across_revisits():
    s = Script()
    s(0, ev.STARTED)
    s.goto(60, "main", "m1")  # intro 60
    s.goto(160, "intro", "intro.q2")  # main 100
    s.goto(190, "main", "m1")  # intro 30
    s.goto(240, "main", "m2")  # main 50
    state = state_of(s)
    now = w(300)  # main: 60 more, still running, on m2
    assert state.phase_elapsed_s(now, "intro") == 90.0
    assert state.phase_elapsed_s(now, "main") == 210.0
    assert state.phase_elapsed_s(now) == 210.0
    assert state.phase_elapsed_s(now, "close") == 0.0
    assert state.question_elapsed_s(now, "intro.q1") == 60.0
    assert state.question_elapsed_s(now, "intro.q2") == 30.0
    assert state.question_elapsed_s(now, "m1") == 150.0
    assert state.question_elapsed_s(now, "m2") == 60.0
    assert state.question_elapsed_s(now, "m3") == 0.0


def test_asked_only_after_asked_after_s():
    assert GUIDE.asked_after_s == 10.0
    # (times in quarter seconds: exact in floating point next to T0)
    s = Script()
    s(0, ev.STARTED)
    s.goto(0, "intro", "intro.q2")
    s.goto(9.75, "main", "m1")  # intro.q2 on screen 9.75 s
    s.goto(15.75, "main", "m2")  # m1 on screen 6 s
    s.goto(20, "main", "m1")  # back on m1 at 20
    state = state_of(s)
    assert not state.asked(w(30), "intro.q1")  # never on screen
    assert not state.asked(w(30), "intro.q2")  # 9.75 s
    assert not state.asked(w(23.75), "m1")  # 6 + 3.75
    assert state.asked(w(24), "m1")  # 6 + 4 = 10: asked
    assert state.asked(w(24.25), "m1")
    assert not state.asked(w(30), "m2")  # 4.25 s
    assert not state.asked(w(30), "m3")


def test_asked_after_s_comes_from_the_guide():
    guide = parse_guide(GUIDE_TEXT + "\n[settings]\nasked_after_s = 3\n", "g.toml")
    assert guide.asked_after_s == 3.0
    s = Script()
    s(0, ev.STARTED)
    state = state_of(s, guide)
    assert not state.asked(w(2.9), "intro.q1")
    assert state.asked(w(3), "intro.q1")


@pytest.mark.parametrize(
    "fraction, expected",
    [
        (0.0, "ok"),
        (0.69, "ok"),
        (0.6999, "ok"),
        (0.70, "amber"),
        (0.99, "amber"),
        (1.0, "amber"),
        (1.0001, "red"),
        (1.01, "red"),
        (3.0, "red"),
    ],
)
def test_level_boundaries(fraction, expected):
    assert level(fraction) == expected


@pytest.mark.parametrize(
    "percent, expected", [(0, "ok"), (69, "ok"), (70, "amber"), (100, "amber"), (101, "red")]
)
def test_session_level(percent, expected):
    s = Script()
    s(0, ev.STARTED)
    state = state_of(s)
    seconds = 3600 * percent / 100  # 2484, 2520, 3600, 3636: exact in floating point
    assert state.session_level(w(seconds)) == expected


@pytest.mark.parametrize(
    "percent, expected", [(0, "ok"), (69, "ok"), (70, "amber"), (100, "amber"), (101, "red")]
)
def test_phase_level(percent, expected):
    s = Script()
    s(0, ev.STARTED)
    s.goto(120, "main", "m1")  # the main phase is planned at 45 min = 2700 s
    state = state_of(s)
    seconds = 2700 * percent / 100
    assert state.phase_level(w(120 + seconds)) == expected
    # the session clock is still ok at most of these (it has a 60-minute plan)
    assert state.session_level(w(120)) == "ok"


def test_phase_level_excludes_pauses():
    s = Script()
    s(0, ev.STARTED)  # intro: 300 s planned
    s(200, ev.PAUSED)
    s(10_000, ev.RESUMED)
    state = state_of(s)
    assert state.phase_level(w(10_000)) == "ok"  # 200 s of 300 = 67 %
    assert state.phase_level(w(10_010)) == "amber"  # 210 s = 70 %
    assert state.phase_level(w(10_101)) == "red"  # 301 s


def test_phase_without_planned_time_is_red_once_used():
    guide = parse_guide(
        'title = "T"\n[[phases]]\nid = "a"\ntitle = "A"\nminutes = 0\n'
        '[[phases]]\nid = "b"\ntitle = "B"\nminutes = 0\n'
    )
    s = Script()
    s(0, ev.STARTED)
    state = state_of(s, guide)
    assert state.phase_level(w(0)) == "ok"
    assert state.phase_level(w(1)) == "red"
    assert state.session_level(w(1)) == "ok"  # no plan: nothing to compare with


def test_closing_squeeze():
    s = Script()
    s(0, ev.STARTED)
    s.goto(300, "main", "m1")
    state = state_of(s)
    assert state.later_phases_planned_s() == 600.0  # the closing phase
    # main on plan: ends at 3000, leaving the closing phase its 10 minutes
    assert state.closing_squeeze_s(w(1000)) == 0.0
    assert state.closing_squeeze_s(w(3000)) == 0.0
    # main overruns: the closing phase no longer fits
    assert state.closing_squeeze_s(w(3001)) == 1.0
    assert state.closing_squeeze_s(w(3300)) == 300.0
    assert state.closing_squeeze_s(w(4000)) == 1000.0  # past the end of plan: all of it
    # moving on to the closing phase: nothing later to squeeze
    state.apply(Event("moderator", 50, w(3300), ev.GOTO, {"phase": "close", "question": "c1"}))
    assert state.closing_squeeze_s(w(3400)) == 0.0


def test_closing_squeeze_ignores_pauses_and_stops_at_the_end():
    s = Script()
    s(0, ev.STARTED)
    s.goto(300, "main", "m1")
    s(1000, ev.PAUSED)
    s(2000, ev.RESUMED)  # 1000 s break: the session clock is 1000 s behind the wall
    state = state_of(s)
    assert state.closing_squeeze_s(w(4000)) == 0.0  # session 3000
    assert state.closing_squeeze_s(w(4100)) == 100.0
    state.apply(Event("moderator", 50, w(4200), ev.ENDED))
    assert state.closing_squeeze_s(w(4300)) == 0.0


def test_duplicate_events_are_applied_once():
    s = Script()
    started = s(0, ev.STARTED)
    goto = s.goto(100, "main", "m1")
    paused = s(200, ev.PAUSED)
    resumed = s(300, ev.RESUMED)
    check = s(310, ev.CHECKED, item="intro.c1", done=True)
    once = state_of(s)

    doubled = SessionState.from_events(GUIDE, s.events + list(reversed(s.events)) + s.events)
    now = w(1000)
    assert doubled.event_count == once.event_count == 5
    assert doubled.session_s(now) == once.session_s(now) == 900.0
    assert doubled.phase_elapsed_s(now) == once.phase_elapsed_s(now) == 800.0
    assert doubled.pause_count == 1 and doubled.paused_s(now) == 100.0
    assert [e.to_dict() for e in doubled.timeline] == [e.to_dict() for e in once.timeline]
    assert doubled.checklist == {"intro.c1": True}

    for event in (started, goto, paused, resumed, check):
        assert once.apply(event) is False
    # same id, other content: still the same event (writer:seq is the identity)
    assert once.apply(Event("moderator", 3, w(500), ev.PAUSED)) is False
    assert not once.paused
    # the same number from another writer is another event
    assert once.apply(Event("assistant", 3, w(500), ev.PAUSED)) is True
    assert once.paused


def test_events_are_applied_in_time_order_whatever_the_input_order():
    s = Script()
    s(0, ev.STARTED)
    s.goto(60, "main", "m1")
    s(100, ev.PAUSED)
    s(200, ev.RESUMED)
    s.goto(300, "main", "m2")
    s(400, ev.CHECKED, item="intro.c2")
    ordered = state_of(s)
    shuffled = list(s.events)
    random.Random(7).shuffle(shuffled)
    other = SessionState.from_events(GUIDE, shuffled)
    assert [e.to_dict() for e in other.timeline] == [e.to_dict() for e in ordered.timeline]
    assert other.phase_elapsed_s(w(500)) == ordered.phase_elapsed_s(w(500)) == 340.0


def test_the_clock_never_runs_backwards():
    state = SessionState(GUIDE)
    state.apply(Event("moderator", 1, w(100), ev.STARTED))
    state.apply(Event("moderator", 2, w(200), ev.GOTO, {"phase": "main", "question": "m1"}))
    # an event stamped earlier (another machine's clock) counts as happening now
    state.apply(Event("assistant", 1, w(150), ev.GOTO, {"phase": "main", "question": "m2"}))
    assert state.question_elapsed_s(w(300), "m1") == 0.0
    assert state.question_elapsed_s(w(300), "m2") == 100.0
    assert all(e.end_s is None or e.end_s >= e.start_s for e in state.timeline)


def test_goto_to_positions_the_guide_lacks():
    s = Script()
    s(0, ev.STARTED)
    s.goto(10, "gone", "x")  # a phase no longer in the guide: ignored
    s.goto(20, "main", "nope")  # an unknown question: the phase's first
    state = state_of(s)
    assert (state.phase_id, state.question_id) == ("main", "m1")
    assert state.phase_elapsed_s(w(30), "intro") == 20.0


def test_checklist_events():
    s = Script()
    s(0, ev.STARTED)
    s(1, ev.CHECKED, item="intro.c1")
    s(2, ev.CHECKED, item="intro.c2", done=True)
    s(3, ev.CHECKED, item="intro.c2", done=False)
    s(4, ev.CHECKED, item=5)  # not an item: ignored
    state = state_of(s)
    assert state.checklist == {"intro.c1": True, "intro.c2": False}


# --- gaps: time the app was not running --------------------------------------------------------


def test_reopening_after_a_gap_marks_it_down_and_counts_it():
    s = Script()
    s(0, ev.STARTED)
    s.goto(100, "main", "m1")
    s(200, ev.CHECKED, item="intro.c1")  # the last thing saved before the crash
    s(800, ev.OPENED, down_since=w(250))
    state = state_of(s)
    (down,) = state.downtimes()
    assert down.kind == "down"
    assert (down.start_s, down.end_s) == (250.0, 800.0)
    assert (down.wall_start, down.wall_end) == (w(250), w(800))
    assert (down.phase, down.question) == ("main", "m1")
    # the group went on talking: the gap is session and question time
    assert state.session_s(w(800)) == 800.0
    assert state.question_elapsed_s(w(800), "m1") == 700.0
    assert state.open_writers == {"moderator": w(800)}


def test_down_since_before_the_last_event_starts_at_the_last_event():
    s = Script()
    s(0, ev.STARTED)
    s(500, ev.CHECKED, item="intro.c1")
    s(900, ev.OPENED, down_since=w(100))
    (down,) = state_of(s).downtimes()
    assert (down.start_s, down.end_s) == (500.0, 900.0)


@pytest.mark.parametrize(
    "down_since, kind_before",
    [
        (w(299.5), None),  # under a second: not a gap worth showing
        (w(300), None),  # not before the opening
        (None, None),  # no down_since: a first opening
        ("yesterday", None),  # not a time
        (w(100), ev.ENDED),  # the session had ended
    ],
)
def test_no_down_entry(down_since, kind_before):
    s = Script()
    s(0, ev.STARTED)
    if kind_before:
        s(50, kind_before)
    data = {} if down_since is None else {"down_since": down_since}
    s(300, ev.OPENED, **data)
    assert state_of(s).downtimes() == []


def test_opened_before_start_marks_nothing():
    s = Script()
    s(0, ev.OPENED, down_since=w(-1000))
    assert state_of(s).downtimes() == []


def test_closed_forgets_the_writer():
    s = Script()
    s(0, ev.STARTED)
    s(0, ev.OPENED)
    a = Script("assistant")
    a.seq = 0
    a(5, ev.OPENED)
    s(10, ev.CLOSED)
    state = SessionState.from_events(GUIDE, s.events + a.events)
    assert state.open_writers == {"assistant": w(5)}


# --- navigation --------------------------------------------------------------------------------


def at(
    phase: str, question: str | None, history: list[tuple[str, str | None]] = ()
) -> SessionState:
    s = Script()
    s(0, ev.STARTED)
    t = 1
    for p, q in [*history, (phase, question)]:
        s.goto(t, p, q)
        t += 1
    return state_of(s)


def test_next_and_previous_question_within_and_across_phases():
    assert next_question_target(at("intro", "intro.q1")) == ("intro", "intro.q2")
    assert next_question_target(at("intro", "intro.q2")) == ("main", "m1")
    assert next_question_target(at("main", "m3")) == ("close", "c1")
    assert next_question_target(at("close", "c1")) is None
    assert previous_question_target(at("close", "c1")) == ("main", "m3")  # the phase's last
    assert previous_question_target(at("main", "m1")) == ("intro", "intro.q2")
    assert previous_question_target(at("main", "m2")) == ("main", "m1")
    assert previous_question_target(at("intro", "intro.q1")) is None
    # the fold's own look-ahead agrees
    assert at("intro", "intro.q2").next_question().id == "m1"
    assert at("close", "c1").next_question() is None


def test_next_and_previous_phase_return_to_the_last_question_shown():
    # never been in main: its first question
    assert next_phase_target(at("intro", "intro.q2")) == ("main", "m1")
    # was on m3 in main, went back to intro: "next phase" returns to m3, not m1
    state = at("intro", "intro.q1", history=[("main", "m2"), ("main", "m3")])
    assert next_phase_target(state) == ("main", "m3")
    # was on intro.q2, now in main: "previous phase" returns to intro.q2
    state = at("main", "m1", history=[("intro", "intro.q2")])
    assert previous_phase_target(state) == ("intro", "intro.q2")
    state = at("main", "m1")
    assert previous_phase_target(state) == ("intro", "intro.q1")  # the first shown
    assert previous_phase_target(at("intro", "intro.q1")) is None
    assert next_phase_target(at("close", "c1")) is None
    # from close, previous phase returns to the last question shown in main
    state = at("close", "c1", history=[("main", "m2")])
    assert previous_phase_target(state) == ("main", "m2")


def test_navigation_through_phases_without_questions():
    guide = parse_guide(
        'title = "T"\n'
        '[[phases]]\nid = "a"\ntitle = "A"\nminutes = 1\nquestions = ["a1"]\n'
        '[[phases]]\nid = "b"\ntitle = "B"\nminutes = 1\n'
        '[[phases]]\nid = "c"\ntitle = "C"\nminutes = 1\nquestions = ["c1"]\n'
    )
    s = Script()
    s(0, ev.STARTED)
    s.goto(1, "b", None)
    state = state_of(s, guide)
    assert (state.phase_id, state.question_id) == ("b", None)
    assert next_question_target(state) == ("c", "c.q1")
    assert previous_question_target(state) == ("a", "a.q1")
    assert state.next_question().id == "c.q1"
    assert next_question_target(state_of(Script(), guide)) == ("b", None)


# --- LiveSession on a real session folder ------------------------------------------------------


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture()
def store(tmp_path, clock) -> SessionStore:
    return SessionStore.create(
        tmp_path / "sessions",
        GUIDE,
        "Families, group 1",
        [parse_participant("P1:Anna:parent"), parse_participant("P2:Bo")],
        now=clock.now(),
        study="schools",
    )


def crash(live: LiveSession) -> None:
    """What a kill -9 leaves: no 'closed' event, no checkpoint; the OS drops the lock."""
    assert live.journal is not None
    live.journal.close()
    live.journal = None


def snapshot(live: LiveSession, now: float) -> dict:
    state = live.state
    return {
        "phase": state.phase_id,
        "question": state.question_id,
        "checklist": dict(state.checklist),
        "paused": state.paused,
        "session_s": state.session_s(now),
        "phase_s": {p.id: state.phase_elapsed_s(now, p.id) for p in GUIDE.phases},
        "question_s": {
            q.id: state.question_elapsed_s(now, q.id) for p in GUIDE.phases for q in p.questions
        },
        "pauses": state.pause_count,
    }


def test_live_session_starts_on_first_open(store, clock):
    live = LiveSession(store, clock=clock)
    try:
        assert live.state.started and live.state.started_at == T0
        kinds = [e.kind for e in read_journal(store.journal_path("moderator")).events]
        assert kinds == [ev.STARTED, ev.OPENED]
        assert live.info.title == "Families, group 1"
        assert [p.label for p in live.info.participants] == ["Anna", "Bo"]
    finally:
        live.close()


def test_live_actions_are_durable_across_a_crash(store, clock):
    live = LiveSession(store, clock=clock)
    clock.advance(30)
    assert live.toggle_checked("intro.c1") is not None
    assert live.set_checked("intro.c1", True) is None  # no change, no event
    clock.advance(30)
    live.next_question()  # intro.q2
    clock.advance(240)
    live.next_question()  # main m1
    clock.advance(600)
    live.next_question()  # m2
    clock.advance(60)
    live.toggle_pause()
    clock.advance(300)
    live.toggle_pause()
    clock.advance(120)
    live.previous_phase()  # back to intro: intro.q2, the last shown there
    assert (live.state.phase_id, live.state.question_id) == ("intro", "intro.q2")
    clock.advance(20)
    live.next_phase()  # back to main at m2
    assert (live.state.phase_id, live.state.question_id) == ("main", "m2")
    clock.advance(45)
    live.toggle_pause()  # crash while paused
    clock.advance(5)
    before = snapshot(live, clock.now())
    last_saved = live.state.last_at
    crash(live)
    del live

    clock.advance(90)  # the app is down for 90 s
    again = LiveSession(store, clock=clock)
    try:
        assert again.problems == []
        assert snapshot(again, clock.now() - 90) == before
        # paused when it crashed: the clocks stood still through the gap too
        assert snapshot(again, clock.now()) == before
        assert again.state.paused  # still in the break: the gap is pause time
        (down,) = again.state.downtimes()
        assert (down.wall_start, down.wall_end) == (last_saved, clock.now())
        # nothing before the crash is lost
        kinds = [e.kind for e in read_journal(store.journal_path("moderator")).events]
        assert kinds.count(ev.GOTO) == 5 and kinds.count(ev.CHECKED) == 1
        assert kinds.count(ev.OPENED) == 2 and ev.CLOSED not in kinds
        # and it carries on numbering its events
        event = again.toggle_pause()
        assert event.seq == len(kinds) + 1
    finally:
        again.close()


def test_the_gap_counts_as_session_time(store, clock):
    live = LiveSession(store, clock=clock)
    clock.advance(100)
    live.next_phase()  # main at session 100
    clock.advance(50)
    live.heartbeat()  # alive at 150: the crash came after this
    clock.advance(10)
    crash(live)
    clock.advance(600)
    again = LiveSession(store, clock=clock)
    try:
        now = clock.now()
        assert again.state.session_s(now) == 760.0
        assert again.state.phase_elapsed_s(now) == 660.0
        (down,) = again.state.downtimes()
        # the last sign of life, not the last event, is where the gap began
        assert down.wall_start == pytest.approx(T0 + 150, abs=1e-3)
        assert down.wall_end == now
        assert down.start_s == pytest.approx(150.0, abs=1e-3)
        assert down.end_s == 760.0
    finally:
        again.close()


def test_clean_close_then_reopen(store, clock):
    live = LiveSession(store, clock=clock)
    clock.advance(10)
    live.next_question()
    live.close()
    live.close()  # twice is harmless
    # close copied every event into TinyDB
    db = store._db()
    assert [d["kind"] for d in db.table("events").all()] == [
        ev.STARTED,
        ev.OPENED,
        ev.GOTO,
        ev.CLOSED,
    ]
    clock.advance(5)
    again = LiveSession(store, clock=clock)
    try:
        assert again.state.question_id == "intro.q2"
        assert again.state.open_writers == {"moderator": clock.now()}
        # the app was not running for 5 s: a gap, even after a clean close
        (down,) = again.state.downtimes()
        assert (down.wall_start, down.wall_end) == (T0 + 10, T0 + 15)
    finally:
        again.close()


def test_read_only_after_end(store, clock):
    live = LiveSession(store, clock=clock)
    clock.advance(100)
    live.next_question()
    clock.advance(100)
    assert live.end() is not None
    assert live.read_only and live.state.ended
    assert live.end() is None
    assert live.next_question() is None
    assert live.toggle_pause() is None
    live.close()
    size = store.journal_path("moderator").stat().st_size

    clock.advance(1000)
    later = LiveSession(store, clock=clock)
    assert later.read_only and later.journal is None
    assert later.state.ended and later.state.session_s(clock.now()) == 200.0
    assert later.next_question() is None and later.next_phase() is None
    assert later.toggle_pause() is None and later.end() is None
    with pytest.raises(RuntimeError):
        later.record(ev.GOTO, {"phase": "main", "question": "m1"})
    later.heartbeat()
    later.close()
    assert store.journal_path("moderator").stat().st_size == size  # nothing written
    assert not (store.path / "alive-moderator").exists()


def test_explicit_read_only_writes_nothing(store, clock):
    LiveSession(store, clock=clock).close()
    size = store.journal_path("moderator").stat().st_size
    viewer = LiveSession(store, clock=clock, read_only=True)
    assert viewer.journal is None and viewer.read_only
    viewer.close()
    assert store.journal_path("moderator").stat().st_size == size


def test_second_live_session_with_the_same_writer_is_refused(store, clock):
    first = LiveSession(store, clock=clock)
    try:
        size = store.journal_path("moderator").stat().st_size
        with pytest.raises(JournalLocked):
            LiveSession(store, clock=clock)
        assert store.journal_path("moderator").stat().st_size == size  # it wrote nothing
        # another writer has its own journal and may open
        other = LiveSession(store, writer="assistant", clock=clock)
        other.close()
        # the first still works
        clock.advance(1)
        assert first.next_question() is not None
    finally:
        first.close()
    # once the first is closed, the writer may open again
    LiveSession(store, clock=clock).close()
