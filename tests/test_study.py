"""A two-stage study mirroring the seed's: 5 participants at stage 1, the same 5 and a newcomer
at stage 2, the seed's guide in Norwegian.

Stage 1 is scripted through ``LiveSession`` on a fake clock (every turn an exact number of
seconds); stage 2 is made by the real ``facilitator next`` (in a subprocess and in-process),
scripted the same way, and the recap, the carried follow-ups and the cross-stage figures are
checked to the second, through the core and through the command line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from facilitator.cli import commands as cli
from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.core.session import Participant, SessionInfo, SessionState, state_of
from facilitator.core.study import build_recap, build_study, open_follow_ups, plan_next_stage
from facilitator.core.talk import MODERATOR
from facilitator.core.talk_figures import talk_figures
from facilitator.exports.study import render_recap_markdown, render_study_markdown
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore, previous_stage_store, study_sessions
from tests.conftest import GUIDES, venv_bin

GUIDE_NB = GUIDES / "seed-nb.toml"
STUDY = "u-sving"
DAY = 24 * 3600
# In the past, so that the commands (on the real clock) see both stages as ended long ago.
T0 = float(int(time.time()) // DAY * DAY - 90 * DAY) + 8 * 3600
STAGE_2_AT = T0 + 60 * DAY

ROSTER = [
    Participant("P1", "Informant 1", "Boligkontoret"),
    Participant("P2", "Informant 2", "Eiendomskontoret"),
    Participant("P3", "Informant 3", "NAV"),
    Participant("P4", "Informant 4", "Frivilligsentralen"),
    Participant("P5", "Informant 5", "Husbanken"),
]
NEWCOMER = "P6:Informant 6:Frivilligsentralen"

# What stage 1's notes say (æ, ø and å on purpose)
THEME_1 = "Familiene møter mange ulike kontorer"
QUOTE_1 = "Vi ser dem først når krisen er et faktum"
FOLLOW_UP_1 = "Hva kan Husbanken tilby leietakere på sikt?"
THEME_2 = "Frivilligheten når familiene på en annen måte"
FOLLOW_UP_2 = "Møt familiene hjemme, ikke bare på kontoret"
SUMMARY_1 = "Samarbeidet på tvers av etatene er for tilfeldig"
SUMMARY_2 = "Tillit tar tid å bygge, særlig når økonomien er trang"
OBSERVATION_1 = "Stille enighet rundt bordet"

# Talk per participant, to the second (see play_stage_1 and play_stage_2)
STAGE_1_TALK = {"P1": 340.0, "P2": 180.0, "P3": 180.0, "P4": 115.0, "P5": 80.0}
STAGE_1_TURNS = {"P1": 3, "P2": 3, "P3": 2, "P4": 2, "P5": 2}
STAGE_1_MODERATOR = 165.0
STAGE_1_DURATION = 1080.0
STAGE_2_TALK = {"P1": 60.0, "P2": 30.0, "P3": 50.0, "P4": 40.0, "P5": 70.0, "P6": 160.0}
STAGE_2_TURNS = {"P1": 1, "P2": 1, "P3": 1, "P4": 1, "P5": 1, "P6": 2}
STAGE_2_DURATION = 565.0

STAGE_1_ASKED = {
    "intro-tema": (True, 240.0),
    "ds-moter": (True, 545.0),
    "ds-samarbeid": (True, 195.0),
    "avr-oppsummering": (True, 85.0),
    "avr-tillegg": (True, 12.0),
    "avr-neste": (False, 3.0),
}
STAGE_2_ASKED = {
    "intro-oppsummering": (True, 150.0),
    "intro-presentasjon": (True, 45.0),
    "ft-dromme": (True, 140.0),
    "ft-mer-mindre": (True, 120.0),
    "ft-tenke-annerledes": (False, 5.0),
    "ft-kvalitet": (False, 0.0),
    "ft-motepunkter": (False, 0.0),
    "ft-refleksjon": (False, 0.0),
    "ev-laert": (True, 75.0),
    "ev-tenke-hoyt": (False, 0.0),
    "avr-oppsummering": (True, 30.0),
    "avr-tillegg": (False, 0.0),
    "avr-takk": (False, 0.0),
}
NEWCOMER_ITEMS = ["samtykke-ny", "databehandling-ny", "kjoreregler-ny"]


# --- scripting the stages -----------------------------------------------------------------------


def play_stage_1(
    live: LiveSession, clock: FakeClock, before_end: Callable[[LiveSession], None] | None = None
) -> None:
    """Stage 1 of the seed's study, 18 minutes on the fake clock: every participant speaks,
    notes tagged as themes, a quote, follow-ups, summary points; then the end (just after
    ``before_end``, if given)."""
    assert live.state.phase_id == "introduksjon"
    for item in ("samtykke", "databehandling", "kjoreregler", "lydopptak"):
        live.set_checked(item, True)
    live.speak(MODERATOR)
    clock.advance(90)
    for pid, seconds in (("P1", 40), ("P2", 35), ("P3", 30), ("P4", 25), ("P5", 20)):
        live.speak(pid)
        clock.advance(seconds)
    live.next_phase()
    assert (live.state.phase_id, live.state.question_id) == ("dagens-situasjon", "ds-moter")
    live.speak(MODERATOR)
    clock.advance(15)
    live.speak("P1")
    clock.advance(200)
    live.add_note(f"{THEME_1} #t")
    live.speak("P3")
    clock.advance(150)
    live.add_note(f"#q {QUOTE_1}")
    live.speak("P2")
    clock.advance(120)
    live.add_note(f"{OBSERVATION_1} #o")
    live.speak("P5")
    clock.advance(60)
    live.add_note(f"{FOLLOW_UP_1} #f")
    live.next_question()
    assert live.state.question_id == "ds-samarbeid"
    live.speak("P4")
    clock.advance(90)
    live.add_note(f"{THEME_2} #tema")
    live.speak("P1")
    clock.advance(100)
    live.add_note(f"{FOLLOW_UP_2} #oppfølging")
    live.speak(None)
    clock.advance(5)
    live.next_phase()
    assert (live.state.phase_id, live.state.question_id) == ("avrunding", "avr-oppsummering")
    live.speak(MODERATOR)
    clock.advance(60)
    live.add_note(f"{SUMMARY_1} #s")
    live.add_note(f"#oppsummering {SUMMARY_2}")
    live.speak("P2")
    clock.advance(25)
    live.speak(None)
    live.next_question()
    clock.advance(12)
    live.next_question()
    assert live.state.question_id == "avr-neste"
    clock.advance(3)
    if before_end is not None:
        before_end(live)
    live.end()


def play_stage_2(live: LiveSession, clock: FakeClock) -> None:
    """Stage 2, about 9 minutes: the recap, the newcomer's introduction, two of the future
    questions (a third only glanced at), the evaluation, the closing; one carried follow-up
    taken up."""
    state = live.state
    assert state.phase_id == "introduksjon-2"
    for item in state.phase.checklist:
        live.set_checked(item.id, True)
    live.speak(MODERATOR)
    clock.advance(120)
    live.speak("P2")
    clock.advance(30)
    live.add_note("Boligkontoret har fått ny leder siden sist #b")
    live.next_question()
    assert live.state.question_id == "intro-presentasjon"
    live.speak("P6")
    clock.advance(45)
    live.next_phase()
    assert (live.state.phase_id, live.state.question_id) == ("framtidstanker", "ft-dromme")
    live.speak("P6")  # still speaking: the same turn goes on
    clock.advance(80)
    live.add_note("Én dør inn for familiene #t")
    live.speak("P1")
    clock.advance(60)
    live.next_question()
    live.speak("P5")
    clock.advance(70)
    husbanken = next(c for c in live.info.carried if c.text == FOLLOW_UP_1)
    live.set_taken_up(husbanken.id)
    live.speak("P3")
    clock.advance(50)
    live.add_note("Spør familiene selv hva som hjelper #f")
    live.next_question()
    assert live.state.question_id == "ft-tenke-annerledes"
    live.speak(None)
    clock.advance(5)
    live.next_phase()
    assert (live.state.phase_id, live.state.question_id) == ("evaluering", "ev-laert")
    live.speak("P4")
    clock.advance(40)
    live.speak("P6")
    clock.advance(35)
    live.next_phase()
    live.speak(MODERATOR)
    clock.advance(30)
    live.add_note("Flere faste møtepunkter med familiene #s")
    live.speak(None)
    live.end()


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def sessions(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


@pytest.fixture
def t_clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def opened() -> Iterator[list[LiveSession]]:
    sessions: list[LiveSession] = []
    yield sessions
    for live in sessions:
        if live.journal is not None:
            live.journal.close()


def create_stage_1(sessions: Path, now: float, study: str = STUDY, title: str = "Samling 1"):
    return SessionStore.create(
        sessions,
        load_guide(GUIDE_NB),
        title=title,
        participants=ROSTER,
        now=now,
        study=study,
        stage=1,
        guide_path=str(GUIDE_NB),
    )


@pytest.fixture
def stage_1(sessions: Path, t_clock: FakeClock, opened: list[LiveSession]) -> SessionStore:
    """Stage 1, scripted and ended."""
    store = create_stage_1(sessions, t_clock.now())
    live = LiveSession(store, clock=t_clock)
    opened.append(live)
    play_stage_1(live, t_clock)
    live.close()
    return store


@pytest.fixture
def env(sessions: Path) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(LANG="C.UTF-8", FACILITATOR_LANG="en", PYTHONIOENCODING="utf-8")
    environment.pop("LC_ALL", None)
    environment.pop("FACILITATOR_SESSIONS", None)
    return environment


def run_cli(sessions: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a subprocess."""
    return subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(sessions), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


@pytest.fixture
def in_process(
    sessions: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str, str]]:
    """``facilitator.cli.main`` in this process, on a fake clock at stage 2's day."""
    monkeypatch.setattr(cli, "SystemClock", lambda: FakeClock(STAGE_2_AT - DAY))

    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--sessions", str(sessions), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


def load(store: SessionStore) -> tuple[SessionInfo, SessionState]:
    info = store.info()
    return info, state_of(info, store.read_events().events)


def made(sessions: Path, result: subprocess.CompletedProcess[str]) -> SessionStore:
    assert result.returncode == 0, result.stderr
    session_id = result.stdout.strip()
    assert (sessions / session_id).is_dir(), result.stdout
    return SessionStore.open(sessions, session_id)


def stage_2_played(store: SessionStore, opened: list[LiveSession]) -> SessionStore:
    clock = FakeClock(STAGE_2_AT)
    live = LiveSession(store, clock=clock)
    opened.append(live)
    play_stage_2(live, clock)
    live.close()
    return store


@pytest.fixture
def stage_2(
    stage_1: SessionStore, sessions: Path, env: dict[str, str], opened: list[LiveSession]
) -> SessionStore:
    """Stage 2 made by the real ``facilitator next`` with the newcomer, then scripted."""
    result = run_cli(sessions, env, "next", stage_1.path.name, "--newcomer", NEWCOMER)
    return stage_2_played(made(sessions, result), opened)


# --- stage 1 on its own -------------------------------------------------------------------------


def test_stage_1_is_scripted_to_the_second(stage_1: SessionStore) -> None:
    info, state = load(stage_1)
    assert state.ended and state.session_s(state.ended_at) == STAGE_1_DURATION
    figures = talk_figures(state.talk, state.roster, state.session_s(state.ended_at))
    assert {p.id: p.talk_s for p in figures.participants} == STAGE_1_TALK
    assert {p.id: p.turns for p in figures.participants} == STAGE_1_TURNS
    assert figures.moderator_talk_s == STAGE_1_MODERATOR
    tags = {n.text: n.tags for n in state.live_notes()}
    assert tags[THEME_1] == ("theme",) and tags[THEME_2] == ("theme",)
    assert tags[QUOTE_1] == ("quote",)
    assert tags[FOLLOW_UP_1] == ("follow-up",) and tags[FOLLOW_UP_2] == ("follow-up",)
    assert tags[SUMMARY_1] == ("summary",) and tags[SUMMARY_2] == ("summary",)
    assert info.newcomers == tuple(p.id for p in ROSTER)  # a first meeting: everyone is new
    intro = info.guide.phase("introduksjon")
    assert [c.id for c in intro.checklist] == [
        "samtykke",
        "databehandling",
        "kjoreregler",
        "lydopptak",
    ]


# --- facilitator next ---------------------------------------------------------------------------


def test_next_makes_stage_2_from_the_same_guide_with_the_roster_and_a_newcomer(
    stage_1: SessionStore, sessions: Path, env: dict[str, str]
) -> None:
    result = run_cli(sessions, env, "next", stage_1.path.name, "--newcomer", NEWCOMER)
    store = made(sessions, result)
    info = store.info()
    assert info.stage == 2 and info.study == STUDY
    assert info.title == "Stage 2"
    assert info.previous == stage_1.path.name
    assert info.guide_path == str(GUIDE_NB)
    phases = [p.id for p in info.guide.phases]
    assert phases == ["introduksjon-2", "framtidstanker", "evaluering", "avrunding"]
    titles = [p.title for p in info.guide.phases]
    assert "Framtidstanker" in titles and "Evaluering av samtalene" in titles
    assert "Dagens situasjon" not in titles
    closing = info.guide.phase("avrunding")
    assert [q.id for q in closing.questions] == ["avr-oppsummering", "avr-tillegg", "avr-takk"]
    # the whole guide is kept, for a stage after this one
    assert info.full_guide is not None
    assert "dagens-situasjon" in [p.id for p in info.full_guide.phases]
    # the same people, the same pseudonyms and roles, and the newcomer last
    assert list(info.participants) == [
        *ROSTER,
        Participant("P6", "Informant 6", "Frivilligsentralen"),
    ]
    assert info.newcomers == ("P6",) and info.absent == ()
    intro = info.guide.phase("introduksjon-2")
    assert [c.id for c in intro.checklist] == [*NEWCOMER_ITEMS, "paminnelse", "lydopptak-2"]
    assert {c.id: c.audience for c in intro.checklist}["paminnelse"] == "returning"
    # nothing of stage 1 is in stage 2's record
    state = state_of(info, store.read_events().events)
    assert not state.started and not state.notes


def test_next_without_a_newcomer_leaves_the_newcomer_items_out(
    stage_1: SessionStore, sessions: Path, env: dict[str, str]
) -> None:
    store = made(sessions, run_cli(sessions, env, "next", stage_1.path.name))
    info = store.info()
    assert info.newcomers == () and [p.id for p in info.participants] == [p.id for p in ROSTER]
    intro = info.guide.phase("introduksjon-2")
    assert [c.id for c in intro.checklist] == ["paminnelse", "lydopptak-2"]


def test_next_with_an_absent_participant(
    stage_1: SessionStore,
    sessions: Path,
    env: dict[str, str],
    opened: list[LiveSession],
) -> None:
    result = run_cli(
        sessions, env, "next", stage_1.path.name, "--newcomer", NEWCOMER, "--absent", "P3"
    )
    store = made(sessions, result)
    info = store.info()
    assert info.absent == ("P3",) and info.newcomers == ("P6",)
    assert "P3" in [p.id for p in info.participants]  # still in the group, just not today
    clock = FakeClock(STAGE_2_AT)
    live = LiveSession(store, clock=clock)
    opened.append(live)
    assert live.state.talk.present == {"P1", "P2", "P4", "P5", "P6"}
    live.speak("P1")
    clock.advance(50)
    live.speak("P6")
    clock.advance(50)
    live.speak(None)
    figures = talk_figures(live.state.talk, live.state.roster, live.state.session_s(clock.now()))
    people = {p.id: p for p in figures.participants}
    assert not people["P3"].present and people["P3"].present_s == 0
    assert people["P3"].fair_share == 0
    # the fair share is split among the five who came: a fifth each
    assert people["P1"].fair_share == pytest.approx(0.2)
    assert people["P6"].fair_share == pytest.approx(0.2)
    live.end()
    live.close()
    study = build_study([load(s) for s in study_sessions(sessions, STUDY)], clock.now())
    assert [s["participants"] for s in study["stages"]] == [5, 5]
    talk = {row["id"]: row["stages"] for row in study["talk_by_stage"]}
    assert talk["P3"]["1"]["talk_s"] == STAGE_1_TALK["P3"]
    assert talk["P3"]["2"] is None  # did not come
    assert talk["P1"]["2"]["talk_s"] == 50.0 and talk["P6"]["2"]["talk_s"] == 50.0


def test_an_absent_participant_who_comes_after_all_counts(
    stage_1: SessionStore, sessions: Path, env: dict[str, str], opened: list[LiveSession]
) -> None:
    store = made(sessions, run_cli(sessions, env, "next", stage_1.path.name, "--absent", "P3"))
    clock = FakeClock(STAGE_2_AT)
    live = LiveSession(store, clock=clock)
    opened.append(live)
    clock.advance(60)
    live.speak("P3")  # came late after all: speaking marks them present
    clock.advance(40)
    live.end()
    live.close()
    study = build_study([load(s) for s in study_sessions(sessions, STUDY)], clock.now())
    talk = {row["id"]: row["stages"] for row in study["talk_by_stage"]}
    assert talk["P3"]["2"] == {"talk_s": 40.0, "turns": 1, "share": 1.0}


def test_next_in_process_and_the_roster_as_it_stood_at_the_end(
    sessions: Path,
    t_clock: FakeClock,
    opened: list[LiveSession],
    in_process: Callable[..., tuple[int, str, str]],
) -> None:
    store = create_stage_1(sessions, t_clock.now())
    live = LiveSession(store, clock=t_clock)
    opened.append(live)
    live.edit_participant("P2", label="Informant 2b", role="Eiendomskontoret (bolig)")
    live.add_participant("P7", "Informant 7", "Barnevernet")  # came to stage 1 unannounced
    play_stage_1(live, t_clock)
    live.close()
    code, out, err = in_process("next", store.path.name, "--newcomer", NEWCOMER)
    assert code == 0, err
    info = SessionStore.open(sessions, out.strip()).info()
    assert [(p.id, p.label, p.role) for p in info.participants] == [
        ("P1", "Informant 1", "Boligkontoret"),
        ("P2", "Informant 2b", "Eiendomskontoret (bolig)"),
        ("P3", "Informant 3", "NAV"),
        ("P4", "Informant 4", "Frivilligsentralen"),
        ("P5", "Informant 5", "Husbanken"),
        ("P7", "Informant 7", "Barnevernet"),
        ("P6", "Informant 6", "Frivilligsentralen"),
    ]
    assert info.newcomers == ("P6",)
    assert info.created_at == STAGE_2_AT - DAY
    code, out, err = in_process(
        "next", store.path.name, "--title", "Samling 2", "--newcomer", "P8:Informant 8", "--again"
    )  # a second next stage of the same session is made only when asked for
    assert code == 0, err
    assert SessionStore.open(sessions, out.strip()).info().title == "Samling 2"


def test_a_stage_1_without_a_study_gets_one_when_next_is_run(
    sessions: Path,
    t_clock: FakeClock,
    opened: list[LiveSession],
    in_process: Callable[..., tuple[int, str, str]],
) -> None:
    store = create_stage_1(sessions, t_clock.now(), study="")
    assert store.info().study == ""
    code, out, err = in_process("next", store.path.name, "--study", STUDY)
    assert code == 0, err
    assert store.info().study == STUDY
    following = SessionStore.open(sessions, out.strip()).info()
    assert following.study == STUDY and following.stage == 2
    assert [s.path.name for s in study_sessions(sessions, STUDY)] == [
        store.path.name,
        following.id,
    ]
    # without --study, the study is named after the first stage's title
    other = create_stage_1(sessions, t_clock.now(), study="", title="Første samling")
    code, out, err = in_process("next", other.path.name)
    assert code == 0, err
    assert other.info().study == "forste-samling"
    assert SessionStore.open(sessions, out.strip()).info().study == "forste-samling"


def test_next_on_the_last_stage_fails_clearly(
    stage_2: SessionStore, sessions: Path, env: dict[str, str]
) -> None:
    before = sorted(p.name for p in sessions.iterdir())
    result = run_cli(sessions, env, "next", stage_2.path.name)
    assert result.returncode == 1 and result.stdout == ""
    assert "the guide has 2 stage(s): there is no stage 3" in result.stderr
    assert result.stderr.startswith("facilitator: ")
    assert sorted(p.name for p in sessions.iterdir()) == before


def test_next_with_an_unknown_absent_id_fails_clearly(
    stage_1: SessionStore, sessions: Path, env: dict[str, str]
) -> None:
    result = run_cli(sessions, env, "next", stage_1.path.name, "--absent", "P9")
    assert result.returncode == 1 and result.stdout == ""
    assert "not in the roster: P9" in result.stderr
    assert [p.name for p in sessions.iterdir()] == [stage_1.path.name]


def test_a_refused_next_leaves_a_stage_1_without_a_study_as_it_was(
    sessions: Path, t_clock: FakeClock, in_process: Callable[..., tuple[int, str, str]]
) -> None:
    store = create_stage_1(sessions, t_clock.now(), study="")
    code, out, err = in_process("next", store.path.name, "--study", STUDY, "--absent", "P9")
    assert code == 1 and out == "" and "not in the roster: P9" in err
    assert store.info().study == ""
    assert [p.name for p in sessions.iterdir()] == [store.path.name]


def test_next_with_a_newcomer_id_already_in_the_roster_fails_clearly(
    stage_1: SessionStore, sessions: Path, env: dict[str, str]
) -> None:
    result = run_cli(sessions, env, "next", stage_1.path.name, "--newcomer", "P2:Someone")
    assert result.returncode == 1
    assert "participant id used twice: P2" in result.stderr
    assert [p.name for p in sessions.iterdir()] == [stage_1.path.name]


# --- the recap ----------------------------------------------------------------------------------


def test_build_recap_of_stage_1(stage_1: SessionStore) -> None:
    info, state = load(stage_1)
    recap = build_recap(info, state, T0 + DAY)
    assert recap["stage"] == 1 and recap["title"] == "Samling 1" and recap["study"] == STUDY
    assert recap["date"] == time.strftime("%Y-%m-%d", time.gmtime(T0))
    assert [p["text"] for p in recap["summary_points"]] == [SUMMARY_1, SUMMARY_2]
    assert all(p["outcome"] is None for p in recap["summary_points"])
    assert recap["summary_points"][0]["question"].startswith("Vi har notert oss dette")
    assert [t["text"] for t in recap["themes"]] == [THEME_1, THEME_2]
    assert [q["text"] for q in recap["quotes"]] == [QUOTE_1]
    assert set(recap["quotes"][0]) == {"id", "text", "question"}  # no speaker: anonymity
    follow_ups = recap["follow_ups"]
    assert [f["text"] for f in follow_ups] == [FOLLOW_UP_1, FOLLOW_UP_2]
    assert follow_ups[0]["stage"] == 1 and follow_ups[0]["speaker"] == "Informant 5"
    assert follow_ups[0]["question"] == (
        "Kan dere fortelle om hvordan møtene med brukerne foregår i dag?"
    )
    assert all(f["id"].startswith(info.id + "/") for f in follow_ups)
    assert OBSERVATION_1 not in json.dumps(recap, ensure_ascii=False)
    balance = recap["balance"]
    shares = {p["id"]: p for p in balance["participants"]}
    assert {pid: p["talk_s"] for pid, p in shares.items()} == STAGE_1_TALK
    total = sum(STAGE_1_TALK.values())
    assert shares["P1"]["share"] == round(340 / total, 3)
    assert balance["moderator_share_of_all_talk"] == round(
        STAGE_1_MODERATOR / (STAGE_1_MODERATOR + total), 3
    )


def test_recap_command_text_md_and_json(
    stage_1: SessionStore, sessions: Path, env: dict[str, str], tmp_path: Path
) -> None:
    stage_2 = made(
        sessions, run_cli(sessions, env, "next", stage_1.path.name, "--newcomer", NEWCOMER)
    )
    text = run_cli(sessions, env, "recap", stage_2.path.name)
    assert text.returncode == 0, text.stderr
    md = run_cli(sessions, env, "recap", stage_2.path.name, "--format", "md")
    assert md.returncode == 0, md.stderr
    for out in (text.stdout, md.stdout):
        assert out.startswith("# Recap of stage 1: Samling 1\n")
        assert "## What we summed up together" in out
        assert f"- {SUMMARY_1}" in out and f"- {SUMMARY_2}" in out
        assert "## Themes" in out and f"- {THEME_1}" in out and f"- {THEME_2}" in out
        assert "## In your own words" in out and f"- “{QUOTE_1}”" in out
        assert "## What we said we would come back to" in out
        assert f"- {FOLLOW_UP_1}" in out and f"- {FOLLOW_UP_2}" in out
        assert OBSERVATION_1 not in out
    # the moderator's text has the balance of that stage; the handout has none of it
    assert "## Talk balance at that stage (for the moderator only)" in text.stdout
    assert "Informant 1" in text.stdout and "05:40" in text.stdout  # P1's 340 s
    assert "*(not checked)*" in text.stdout
    assert "Talk balance" not in md.stdout and "Gini" not in md.stdout
    assert "not checked" not in md.stdout
    assert "Informant" not in md.stdout  # no statement points to a person
    # æ ø å survive, on screen and in a file
    assert "særlig når økonomien er trang" in md.stdout
    handout = tmp_path / "recap.md"
    written = run_cli(
        sessions, env, "recap", stage_2.path.name, "--format", "md", "-o", str(handout)
    )
    assert written.returncode == 0 and written.stdout == ""
    assert handout.read_text(encoding="utf-8") == md.stdout
    data = run_cli(sessions, env, "recap", stage_2.path.name, "--format", "json")
    assert data.returncode == 0, data.stderr
    recap = json.loads(data.stdout)
    assert recap["session"] == stage_1.path.name and recap["stage"] == 1
    assert [p["text"] for p in recap["summary_points"]] == [SUMMARY_1, SUMMARY_2]
    assert [q["text"] for q in recap["quotes"]] == [QUOTE_1]
    assert "særlig" in data.stdout  # written as UTF-8, not escaped


def test_the_recap_carries_the_member_check_verdicts(
    sessions: Path, t_clock: FakeClock, opened: list[LiveSession]
) -> None:
    def member_check(live: LiveSession) -> None:
        points = {n.text: n.id for n in live.state.live_notes()}
        live.check_mark(points[SUMMARY_1], "confirmed")
        live.check_mark(points[SUMMARY_2], "nuanced", "gjelder også de ansatte")

    store = create_stage_1(sessions, t_clock.now())
    live = LiveSession(store, clock=t_clock)
    opened.append(live)
    play_stage_1(live, t_clock, before_end=member_check)
    live.close()
    recap = build_recap(*load(store), T0 + DAY)
    assert [(p["text"], p["outcome"], p["nuance"]) for p in recap["summary_points"]] == [
        (SUMMARY_1, "confirmed", None),
        (SUMMARY_2, "nuanced", "gjelder også de ansatte"),
    ]
    moderator = render_recap_markdown(recap, for_moderator=True)
    assert f"- {SUMMARY_1} *(confirmed)*" in moderator
    assert f"- {SUMMARY_2} (gjelder også de ansatte) *(nuanced)*" in moderator
    handout = render_recap_markdown(recap, for_moderator=False)
    assert f"- {SUMMARY_1}\n" in handout
    assert f"- {SUMMARY_2} (gjelder også de ansatte)\n" in handout
    assert "confirmed" not in handout and "nuanced" not in handout


def test_recap_of_a_stage_1_session_fails_clearly(
    stage_1: SessionStore, sessions: Path, env: dict[str, str]
) -> None:
    result = run_cli(sessions, env, "recap", stage_1.path.name)
    assert result.returncode == 1 and result.stdout == ""
    assert f"{stage_1.path.name} has no earlier stage to recap (it is stage 1)" in result.stderr


def test_recap_markdown_keeps_norwegian_letters(stage_1: SessionStore) -> None:
    recap = build_recap(*load(stage_1), T0 + DAY)
    for for_moderator in (True, False):
        out = render_recap_markdown(recap, for_moderator=for_moderator)
        for text in (THEME_1, QUOTE_1, FOLLOW_UP_2, SUMMARY_2):
            assert text in out
        assert "æ" in out and "ø" in out and "å" in out


# --- carried follow-ups -------------------------------------------------------------------------


def test_follow_ups_are_carried_and_taken_up(
    stage_1: SessionStore, sessions: Path, env: dict[str, str], opened: list[LiveSession]
) -> None:
    store = made(
        sessions, run_cli(sessions, env, "next", stage_1.path.name, "--newcomer", NEWCOMER)
    )
    info = store.info()
    assert [(c.text, c.stage, c.speaker) for c in info.carried] == [
        (FOLLOW_UP_1, 1, "Informant 5"),
        (FOLLOW_UP_2, 1, "Informant 1"),
    ]
    stage_1_notes = {n.text: n.id for n in load(stage_1)[1].live_notes()}
    assert info.carried[0].id == f"{stage_1.path.name}/{stage_1_notes[FOLLOW_UP_1]}"
    clock = FakeClock(STAGE_2_AT)
    live = LiveSession(store, clock=clock)
    opened.append(live)
    first, second = info.carried
    assert live.set_taken_up(first.id) is not None
    assert live.set_taken_up(first.id) is None  # already taken: nothing recorded
    assert live.state.taken_up == {first.id: True}
    # what a fresh read from disk sees
    _info, state = load(store)
    assert state.taken_up == {first.id: True}
    # what stage 3 would be handed: the one not taken up, and stage 2's own follow-ups
    live.add_note("Kartlegg ventelistene #f")
    assert [c.text for c in open_follow_ups(live.info, live.state)] == [
        FOLLOW_UP_2,
        "Kartlegg ventelistene",
    ]
    own = open_follow_ups(live.info, live.state)[1]
    assert own.stage == 2 and own.id.startswith(info.id + "/")
    # untaken again: handed on again
    live.set_taken_up(first.id, False)
    assert [c.text for c in open_follow_ups(live.info, live.state)] == [
        FOLLOW_UP_1,
        FOLLOW_UP_2,
        "Kartlegg ventelistene",
    ]


def test_plan_next_stage_refuses_a_stage_the_guide_does_not_have(
    stage_2: SessionStore,
) -> None:
    info, state = load(stage_2)
    assert info.full_guide is not None
    with pytest.raises(ValueError, match="no stage 3"):
        plan_next_stage(info, state, info.full_guide)


# --- the figures across stages ------------------------------------------------------------------


def _check_study(study: dict, stage_1: SessionStore, stage_2: SessionStore) -> None:
    assert study["study"] == STUDY
    assert study["stages"] == [
        {
            "stage": 1,
            "session": stage_1.path.name,
            "title": "Samling 1",
            "date": time.strftime("%Y-%m-%d", time.gmtime(T0)),
            "duration_s": STAGE_1_DURATION,
            "participants": 5,
        },
        {
            "stage": 2,
            "session": stage_2.path.name,
            "title": "Stage 2",
            "date": time.strftime("%Y-%m-%d", time.gmtime(STAGE_2_AT)),
            "duration_s": STAGE_2_DURATION,
            "participants": 6,
        },
    ]
    rows = {row["id"]: row for row in study["talk_by_stage"]}
    assert list(rows) == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert rows["P6"]["label"] == "Informant 6"
    for stage, talk, turns in (("1", STAGE_1_TALK, STAGE_1_TURNS), ("2", STAGE_2_TALK, None)):
        total = sum(talk.values())
        for pid, seconds in talk.items():
            figures = rows[pid]["stages"][stage]
            assert figures["talk_s"] == seconds, (pid, stage)
            assert figures["share"] == round(seconds / total, 3), (pid, stage)
            assert figures["turns"] == (turns or STAGE_2_TURNS)[pid], (pid, stage)
    assert rows["P6"]["stages"].get("1") is None  # not yet in the group
    coverage = {row["id"]: row["stages"] for row in study["coverage_by_stage"]}
    for stage, expected in (("1", STAGE_1_ASKED), ("2", STAGE_2_ASKED)):
        for qid, (asked, seconds) in expected.items():
            assert coverage[qid][stage] == {"asked": asked, "time_s": seconds}, (qid, stage)
    assert "2" not in coverage["ds-moter"] and "1" not in coverage["ft-dromme"]
    assert set(coverage["avr-oppsummering"]) == {"1", "2"}
    taken = {f["text"]: f for f in study["follow_ups"]}
    assert list(taken) == [FOLLOW_UP_1, FOLLOW_UP_2]
    assert taken[FOLLOW_UP_1]["taken_up"] is True and taken[FOLLOW_UP_2]["taken_up"] is False
    assert all(f["stage"] == 1 and f["carried_to_stage"] == 2 for f in taken.values())


def test_stage_2_is_scripted_to_the_second(stage_2: SessionStore) -> None:
    info, state = load(stage_2)
    assert state.session_s(state.ended_at) == STAGE_2_DURATION
    figures = talk_figures(state.talk, state.roster, state.session_s(state.ended_at))
    assert {p.id: p.talk_s for p in figures.participants} == STAGE_2_TALK
    between = [n for n in state.live_notes() if "between" in n.tags]
    assert [n.text for n in between] == ["Boligkontoret har fått ny leder siden sist"]


def test_build_study_across_the_two_stages(
    stage_1: SessionStore, stage_2: SessionStore, sessions: Path
) -> None:
    loaded = [load(s) for s in study_sessions(sessions, STUDY)]
    assert [info.stage for info, _state in loaded] == [1, 2]
    study = build_study(list(reversed(loaded)), time.time())  # any order in, by stage out
    _check_study(study, stage_1, stage_2)


def test_summary_of_the_study_and_of_stage_2(
    stage_1: SessionStore, stage_2: SessionStore, sessions: Path, env: dict[str, str]
) -> None:
    result = run_cli(sessions, env, "summary", "--study", STUDY, "--format", "json")
    assert result.returncode == 0, result.stderr
    study = json.loads(result.stdout)
    _check_study(study, stage_1, stage_2)

    result = run_cli(sessions, env, "summary", stage_2.path.name, "--format", "json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["study"] == study
    assert summary["session"]["stage"] == 2
    # stage 1's summary has no study section: there is nothing to compare yet
    result = run_cli(sessions, env, "summary", stage_1.path.name, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "study" not in json.loads(result.stdout)

    markdown = run_cli(sessions, env, "summary", stage_2.path.name)
    assert markdown.returncode == 0, markdown.stderr
    assert f"\n## Study {STUDY}\n" in markdown.stdout
    assert "## Talk time per participant and stage" in markdown.stdout


def test_study_markdown_has_the_tables(
    stage_1: SessionStore, stage_2: SessionStore, sessions: Path, env: dict[str, str]
) -> None:
    result = run_cli(sessions, env, "summary", "--study", STUDY)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"# Study {STUDY}\n")
    lines = out.splitlines()

    def row(first_cell: str) -> list[str]:
        found = [line for line in lines if line.startswith(f"| {first_cell} ")]
        assert len(found) == 1, (first_cell, found)
        return [cell.strip() for cell in found[0].strip("|").split("|")]

    assert row("1") == ["1", "Samling 1", time.strftime("%Y-%m-%d", time.gmtime(T0)), "18:00", "5"]
    assert row("2")[3:] == ["09:25", "6"]
    assert "## Talk time per participant and stage" in out
    assert row("Informant 1") == ["Informant 1", "05:40 (38 %)", "01:00 (15 %)"]
    assert row("Informant 6") == ["Informant 6", "–", "02:40 (39 %)"]
    assert "## Coverage of the guide across stages" in out
    assert row("Kan dere fortelle om hvordan møtene med brukerne foregår i dag?")[1:] == [
        "✓ 09:05",
        "",
    ]
    assert row("Hvordan kan dere tenke annerledes om samarbeidet med familiene?")[1:] == [
        "",
        "·",
    ]
    assert "## Follow-ups carried between stages" in out
    assert f"- {FOLLOW_UP_1} (from stage 1, to stage 2: taken up)" in lines
    assert f"- {FOLLOW_UP_2} (from stage 1, to stage 2: not taken up)" in lines
    # the same through the renderer, and æ ø å intact
    study = build_study([load(s) for s in study_sessions(sessions, STUDY)], time.time())
    assert render_study_markdown(study) == out
    assert "Hva vil dere ha mer av og hva vil dere ha mindre av" in out
    assert "æ" in out and "ø" in out and "å" in out


def test_summary_study_of_an_unknown_study_fails(sessions: Path, env: dict[str, str]) -> None:
    result = run_cli(sessions, env, "summary", "--study", "nope")
    assert result.returncode == 1 and "no sessions of study nope" in result.stderr


def test_the_copied_study_folder_reports_the_same(
    stage_1: SessionStore, stage_2: SessionStore, sessions: Path, tmp_path: Path
) -> None:
    """The figures are read from the journals alone: a copy of the folder reports the same."""
    copy = tmp_path / "copy"
    shutil.copytree(sessions, copy)
    now = time.time()
    original = build_study([load(s) for s in study_sessions(sessions, STUDY)], now)
    copied = build_study([load(s) for s in study_sessions(copy, STUDY)], now)
    assert copied == original


def test_without_a_named_previous_session_the_latest_of_the_stage_before_is_taken(
    sessions: Path, t_clock: FakeClock
) -> None:
    first = create_stage_1(sessions, t_clock.now())
    t_clock.advance(3600)
    latest = create_stage_1(sessions, t_clock.now())
    create_stage_1(sessions, t_clock.now(), study="another study")
    t_clock.advance(3600)
    stage_2 = SessionStore.create(
        sessions,
        load_guide(GUIDE_NB),
        title="Samling 2",
        participants=ROSTER,
        now=t_clock.now(),
        study=STUDY,
        stage=2,
    )
    before = previous_stage_store(sessions, stage_2.info())
    assert before is not None and before.path == latest.path != first.path
    assert previous_stage_store(sessions, first.info()) is None
