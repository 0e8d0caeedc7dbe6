"""The simulator: the script format, the generator, headless runs exact to the scripted second,
going on after a kill, and the live view under tmux with the keys still working."""

from __future__ import annotations

import json
import shlex
import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest
from conftest import GUIDES, ROOT
from test_tmux import (  # noqa: F401  (fixtures)
    FACILITATOR,
    Tmux,
    env,
    facilitator,
    sessions,
    summary_json,
    tmux,
)

from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.services import simulate as sim
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore

GUIDE = GUIDES / "seed-en.toml"
EXAMPLE = ROOT / "guides" / "examples" / "training.sim"

HEADER = f"""\
# a short, exact session
guide: {GUIDE}
title: Exact
participant: P1 Informant 1 | Housing office
participant: P2 Informant 2 | NAV
participant: P3
"""

# P1 35 s + 20 s, P2 30 s, moderator 10 s + 5 s, a break of 60 s, P3 never speaks
EXACT = (
    HEADER
    + """\
00:00:05 speak P1
00:00:40 speak moderator
00:00:50 speak P2
00:01:10 note #quote We meet the families where they are
00:01:20 nobody
00:01:30 pause
00:02:30 resume
00:02:30 next-phase
+5 speak moderator
+5 speak P1
+00:20 note about the forms @P2 #theme
00:03:00 away P3
00:03:00 nobody
00:03:10 end
"""
)


def write(tmp_path: Path, text: str, name: str = "s.sim") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the format --------------------------------------------------------------------------------


def test_a_script_parses_with_absolute_and_relative_times() -> None:
    script = sim.parse_script(EXACT, "exact.sim")
    assert script.title == "Exact"
    assert [p.id for p in script.participants] == ["P1", "P2", "P3"]
    assert [(p.label, p.role) for p in script.participants] == [
        ("Informant 1", "Housing office"),
        ("Informant 2", "NAV"),
        ("P3", ""),
    ]
    times = [(line.t, line.action) for line in script.lines]
    assert times[:3] == [(5.0, "speak"), (40.0, "speak"), (50.0, "speak")]
    assert (155.0, "speak") in times and (160.0, "speak") in times and (180.0, "note") in times
    assert script.lines[-1].action == "end" and script.duration_s == 190.0
    note = next(line for line in script.lines if line.action == "note")
    assert note.args == ("#quote We meet the families where they are",)


@pytest.mark.parametrize(
    ("token", "previous", "expected"),
    [
        ("00:00:05", 0, 5.0),
        ("1:02:03.5", 0, 3723.5),
        ("75:00", 0, 4500.0),
        ("+5", 10, 15.0),
        ("+1:30", 10, 100.0),
        ("+0.5", 1, 1.5),
        ("5", 0, None),
        ("00:61:00", 0, None),
        ("1:00:60", 0, None),
        ("soon", 0, None),
    ],
)
def test_times(token: str, previous: float, expected: float | None) -> None:
    assert sim.parse_time(token, previous) == expected


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("00:00:05 speak P9", 7, "no participant P9"),
        ("00:00:05 shout P1", 7, "unknown action 'shout'"),
        ("00:00:05 speak", 7, "needs a participant id"),
        ("00:00:05 speak P1 P2", 7, "takes one"),
        ("00:00:05 note", 7, "needs the note's text"),
        ("00:00:05 next now", 7, "takes nothing after it"),
        ("00:01:00 speak P1\n00:00:30 speak P2", 8, "times never go back"),
        ("5 speak P1", 7, "is not a time"),
        ("00:00:05", 7, "needs an action"),
        ("00:00:05 resume", 7, "without a 'pause'"),
        ("00:00:05 pause\n00:00:06 pause", 8, "already paused since line 7"),
        ("00:00:05 pause\n00:00:06 speak P1", 8, "resume' first"),
        ("00:00:05 end\n00:00:06 speak P1", 8, "nothing may follow 'end' (line 7)"),
        ("00:00:05 speak P1\ntitle: late", 8, "come before the first timed line"),
        ("colour: blue", 7, "unknown setting 'colour'"),
        ("title: again", 7, "'title' is given twice"),
        ("participant: P1 again", 7, "participant P1 is listed twice"),
        ("participant: moderator", 7, "not 'moderator' or 'nobody'"),
        ("stage: two", 7, "whole number"),
        ("just words", 7, "expected 'key: value' or 'TIME ACTION'"),
        ("00:00:05 overlap nobody", 7, "nobody cannot talk over"),
    ],
)
def test_mistakes_are_named_with_their_line(body: str, line: int, message: str) -> None:
    with pytest.raises(sim.ScriptError) as caught:
        sim.parse_script(HEADER + body + "\n", "bad.sim")
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith(f"bad.sim:{line}: ") and message in p for p in problems), problems


def test_every_mistake_is_reported_at_once() -> None:
    body = "00:00:05 speak P9\n00:00:06 dance\n00:00:07 speak P1\n"
    with pytest.raises(sim.ScriptError) as caught:
        sim.parse_script(HEADER + body, "bad.sim")
    assert [p.line for p in caught.value.problems] == [7, 8]


def test_lines_are_numbered_as_an_editor_numbers_them() -> None:
    """Only a newline ends a line: a line separator, form feed or NEL inside a note is text."""
    body = "00:00:05 note one\u2028two\x0cthree\x85four\n00:00:06 speak P9\n"
    with pytest.raises(sim.ScriptError) as caught:
        sim.parse_script(HEADER + body, "odd.sim")
    assert [p.line for p in caught.value.problems] == [8]
    script = sim.parse_script(HEADER + "00:00:05 note one\u2028two\n", "odd.sim")
    assert script.lines[0].args == ("one\u2028two",)


def test_a_problem_is_one_printable_line() -> None:
    """A problem quoting the script shows an escape sequence, never sends it to the terminal."""
    with pytest.raises(sim.ScriptError) as caught:
        sim.parse_script(HEADER + "00:00:05 speak P1\x1b[2J\n", "bad.sim")
    (problem,) = caught.value.problems
    assert "\x1b" not in str(problem) and "P1\\x1b[2J" in str(problem)


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.sim"
    path.write_bytes(HEADER.encode() + "00:00:05 note s\u00e6r\n".encode("latin-1"))
    with pytest.raises(sim.ScriptError) as caught:
        sim.load_script(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:7: the file is not UTF-8 text (byte {len(HEADER) + 15})"
    ]
    with pytest.raises(sim.ScriptError, match="cannot read the file"):
        sim.load_script(tmp_path / "missing.sim")


def test_a_script_without_participants_is_refused() -> None:
    with pytest.raises(sim.ScriptError, match="no participants"):
        sim.parse_script("guide: x.toml\n00:00:01 nobody\n", "bad.sim")


def test_ids_the_guide_does_not_have_are_named_with_their_line() -> None:
    script = sim.parse_script(
        HEADER
        + "00:00:01 goto nowhere\n00:00:02 goto dagens-situasjon nope\n00:00:03 check tea\n"
        + "00:00:04 goto dagens-situasjon ds-samarbeid\n00:00:05 check samtykke\n",
        "ids.sim",
    )
    with pytest.raises(sim.ScriptError) as caught:
        sim.check_against_guide(script, load_guide(GUIDE))
    assert [(p.line, p.message.split(" (")[0]) for p in caught.value.problems] == [
        (7, "the guide has no phase nowhere"),
        (8, "phase dagens-situasjon has no question nope"),
        (9, "the guide has no checklist item tea"),
    ]


def test_the_cli_names_file_and_line_and_exits_1(tmp_path: Path, sessions: Path, env) -> None:
    script = write(tmp_path, HEADER + "00:00:05 speak P1\n00:00:06 speak Q\n", "broken.sim")
    done = facilitator(sessions, env, "simulate", str(script))
    assert done.returncode == 1
    assert f"{script}:8: no participant Q" in done.stderr
    assert not sessions.exists() or not any(sessions.iterdir())  # nothing was created


def test_a_missing_guide_is_named_at_its_line(tmp_path: Path, sessions: Path, env) -> None:
    script = write(tmp_path, HEADER.replace(str(GUIDE), "nowhere.toml") + "00:00:05 nobody\n")
    done = facilitator(sessions, env, "simulate", str(script))
    assert done.returncode == 1
    assert f"{script}:2: no guide file nowhere.toml" in done.stderr


# --- clocks -------------------------------------------------------------------------------------


def test_the_scaled_clock_runs_at_speed_stops_at_the_hold_and_never_goes_back() -> None:
    real = [100.0]
    clock = sim.ScaledClock(1000.0, speed=60, hold=1030.0, real=lambda: real[0])
    assert clock.now() == 1000.0
    real[0] += 0.25
    assert clock.now() == 1015.0
    real[0] += 1.0  # 75 s simulated: past the hold
    assert clock.running_now() == 1075.0
    assert clock.now() == 1030.0  # held at the next line's moment
    assert clock.seconds_until(1090.0) == pytest.approx(0.25)
    clock.hold = 1100.0
    assert clock.now() == 1075.0
    clock.hold = 1050.0  # never back, even if told
    assert clock.now() == 1075.0
    clock.hold = None
    clock.set_speed(1.0)
    real[0] += 10
    assert clock.now() == pytest.approx(1085.0)


def test_a_new_session_ends_at_about_the_present_never_in_the_future() -> None:
    assert sim.start_time(3600, None, 10_000.0) == 6400.0
    assert sim.start_time(3600, 60, 10_000.0) == pytest.approx(10_000 - 3540)
    assert sim.start_time(3600, 1, 10_000.0) == 10_000.0
    assert sim.start_time(3600, 0.5, 10_000.0) == 10_000.0


# --- headless runs ------------------------------------------------------------------------------


def test_a_headless_run_gives_exactly_the_scripted_times(
    tmp_path: Path, sessions: Path, env
) -> None:
    script = write(tmp_path, EXACT)
    done = facilitator(sessions, env, "simulate", str(script))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # every line changed something
    session_id = done.stdout.strip()
    assert (sessions / session_id / "session.json").exists()
    data = summary_json(sessions, env, session_id)
    people = {p["id"]: p for p in data["participants"]}
    assert people["P1"]["talk_s"] == 55.0 and people["P1"]["turns"] == 2
    assert people["P2"]["talk_s"] == 30.0 and people["P2"]["turns"] == 1
    assert people["P3"]["talk_s"] == 0.0 and people["P3"]["turns"] == 0
    assert data["moderator"]["talk_s"] == 15.0 and data["moderator"]["turns"] == 2
    assert people["P1"]["longest_turn_s"] == 35.0
    session = data["session"]
    assert session["status"] == "ended"
    assert session["duration_s"] == 130.0  # 190 s, less the 60 s break
    assert session["pauses"] == 1 and session["paused_s"] == 60.0
    assert session["ended_at"] is not None
    notes = data["notes"]
    assert [(n["t_s"], n["speaker"], n["tags"]) for n in notes] == [
        (70.0, "Informant 2", ["quote"]),
        (120.0, "Informant 2", ["theme"]),  # 3:00 less the break; @P2 gives it to P2
    ]
    assert notes[0]["text"] == "We meet the families where they are"
    phases = {p["id"]: p for p in data["phases"]}
    assert phases["introduksjon"]["actual_s"] == 90.0  # the break stopped the clock
    assert phases["dagens-situasjon"]["actual_s"] == 40.0
    # the session ended a moment ago: simulated time is never in the future
    assert datetime.fromisoformat(session["ended_at"]).timestamp() <= time.time()


def test_lines_that_change_nothing_are_reported(tmp_path: Path, sessions: Path, env) -> None:
    script = write(tmp_path, HEADER + "00:00:05 speak P1\n00:00:06 speak P1\n00:00:07 undo\n")
    done = facilitator(sessions, env, "simulate", str(script))
    assert done.returncode == 0
    assert "1 line(s) changed nothing: 8" in done.stderr  # P1 speaks already


def test_a_simulation_killed_half_way_goes_on_with_resume(
    tmp_path: Path, sessions: Path, env
) -> None:
    """Half the lines played (and no clean close, as after a kill), then ``--resume``: the
    result is the uninterrupted run's, to the second."""
    script_path = write(tmp_path, EXACT)
    script = sim.load_script(script_path)
    guide = load_guide(GUIDE)
    started = sim.start_time(script.duration_s, None, time.time())
    store = sim.create_session(sessions, script, guide, str(GUIDE), started)
    clock = FakeClock(started)
    live = LiveSession(store, clock=clock)
    half = sim.new_playback(script, started)
    half.lines = half.lines[:6]  # up to the break
    sim.play_headless(live, clock, half)
    assert live.journal is not None
    live.journal.close()  # killed: no "closed" event

    done = facilitator(sessions, env, "simulate", str(script_path), "--resume", store.path.name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == store.path.name
    resumed = summary_json(sessions, env, store.path.name)

    whole = facilitator(sessions, env, "simulate", str(script_path))
    uninterrupted = summary_json(sessions, env, whole.stdout.strip())
    for key in ("participants", "moderator", "balance", "phases"):
        assert resumed[key] == uninterrupted[key], key
    assert [n["t_s"] for n in resumed["notes"]] == [n["t_s"] for n in uninterrupted["notes"]]
    assert resumed["session"]["duration_s"] == uninterrupted["session"]["duration_s"]
    again = facilitator(sessions, env, "simulate", str(script_path), "--resume", store.path.name)
    assert again.returncode == 1 and "has ended" in again.stderr


def test_the_bundled_training_script_runs_the_seed_guide_for_an_hour(sessions: Path, env) -> None:
    script = sim.load_script(EXAMPLE)
    guide, _path = sim.resolve_guide(script)
    sim.check_against_guide(script, guide)
    assert len(script.participants) == 5
    assert script.duration_s == 3600.0
    done = facilitator(sessions, env, "simulate", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    data = summary_json(sessions, env, done.stdout.strip())
    assert data["session"]["status"] == "ended"
    assert {p["id"] for p in data["phases"]} == {"introduksjon", "dagens-situasjon", "avrunding"}
    assert all(q["asked"] for p in data["phases"] for q in p["questions"])
    assert data["session"]["pauses"] == 1
    talk = sorted(p["talk_s"] for p in data["participants"])
    assert talk[-1] > 2 * talk[-2] and talk[0] < talk[1] / 2  # one dominant, one quiet
    assert len(data["notes"]) >= 30


# --- generated scripts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "participants", "seed"), [(60, 5, 1), (90, 8, 2), (10, 2, 3), (5, 1, 4)]
)
def test_generated_scripts_parse_and_run(minutes: int, participants: int, seed: int, tmp_path):
    guide = load_guide(GUIDE)
    plan = sim.GeneratorPlan(minutes, participants, seed)
    text = sim.generate_script(guide, str(GUIDE), plan)
    assert text == sim.generate_script(guide, str(GUIDE), plan)  # the seed decides
    script = sim.parse_script(text, "generated.sim")
    sim.check_against_guide(script, guide)
    assert len(script.participants) == participants
    assert script.duration_s == pytest.approx(minutes * 60, abs=0.1)

    started = 1_800_000_000.0
    store = sim.create_session(tmp_path / "sessions", script, guide, str(GUIDE), started)
    clock = FakeClock(started)
    live = LiveSession(store, clock=clock)
    result = sim.play_headless(live, clock, sim.new_playback(script, started))
    live.close()
    assert result.no_effect == []  # a generated script never says anything pointless
    state = live.state
    assert state.ended
    assert state.phase_id == guide.for_stage(1).phases[-1].id  # it went through the guide
    talk = state.talk.tallies["all"].talk
    if participants >= 2:
        assert len([p for p in talk if p != "moderator"]) >= 2
    if minutes >= 20:
        assert state.pause_count == 1


def test_generated_talk_is_uneven_and_notes_are_tagged(tmp_path: Path, sessions, env) -> None:
    out = tmp_path / "gen.sim"
    made = facilitator(
        sessions,
        env,
        "simulate",
        "--generate",
        str(out),
        "--minutes",
        "60",
        "--participants",
        "6",
        "--seed",
        "11",
        "--notes",
        "50",
        "--guide",
        str(GUIDE),
    )
    assert made.returncode == 0, made.stderr
    text = out.read_text(encoding="utf-8")
    dominant, quiet = (
        text.split("# dominant: ")[1].split(",")[0],
        text.split("quiet: ")[1].split(",")[0].strip(),
    )
    done = facilitator(sessions, env, "simulate", str(out))
    assert done.returncode == 0, done.stderr
    data = summary_json(sessions, env, done.stdout.strip())
    talk = {p["id"]: p["talk_s"] for p in data["participants"]}
    assert max(talk, key=talk.__getitem__) == dominant
    assert min(talk, key=talk.__getitem__) == quiet
    assert 0.05 < data["moderator"]["share_of_all_talk"] < 0.35
    assert len(data["notes"]) == 50
    tags = {tag for note in data["notes"] for tag in note["tags"]}
    assert {"quote", "theme", "summary"} <= tags
    assert data["session"]["pauses"] == 1


def test_a_long_dense_script_has_the_changes_and_notes_asked_for() -> None:
    guide = load_guide(GUIDE)
    plan = sim.GeneratorPlan(240, 10, 5, changes=10_000, notes=2_000)
    script = sim.parse_script(sim.generate_script(guide, str(GUIDE), plan), "long.sim")
    speaks = sum(1 for line in script.lines if line.action in ("speak", "nobody"))
    notes = sum(1 for line in script.lines if line.action == "note")
    assert 9_000 <= speaks <= 11_000
    assert notes == 2_000


# --- the live view in a real terminal -----------------------------------------------------------

VIEW = (
    HEADER
    + """\
00:00:02 speak P1
00:00:32 speak P2
00:00:52 note #quote Nobody owns the whole case
00:01:02 speak moderator
00:01:12 next-phase
00:01:40 nobody
"""
)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_live_view_plays_the_script_and_the_keys_still_work(
    tmux: Tmux, sessions: Path, env, tmp_path: Path
) -> None:
    """At 10x, 100 simulated seconds take 10 real ones. The moderator writes a note of their
    own on the way; the times recorded are the script's, exactly (the clock waits at each
    line's moment for the line to be played)."""
    started = time.monotonic()
    script = write(tmp_path, VIEW)
    ack = tmp_path / "ack.log"
    command = " ".join(
        shlex.quote(part)
        for part in (
            "env",
            f"FACILITATOR_ACK_LOG={ack}",
            FACILITATOR,
            "--sessions",
            str(sessions),
            "simulate",
            str(script),
            "--view",
            "--speed",
            "10",
        )
    )
    tmux.start("sim", command)
    tmux.wait_for("sim", "Simulation of s.sim at 10x")
    tmux.wait_for("sim", "▶ Informant 1")
    tmux.keys("sim", "n")
    tmux.wait_for("sim", "esc Leave")  # the note line has the keys
    tmux.keys("sim", "-l", "typed by hand #o")
    tmux.keys("sim", "Enter")
    tmux.wait_for("sim", "typed by hand")
    tmux.wait_for("sim", "▶ Informant 2")
    tmux.wait_for("sim", "Nobody owns the whole case")
    tmux.wait_for("sim", "Current situation")
    tmux.wait_for("sim", "The script is over", timeout=20)
    tmux.keys("sim", "C-q")
    tmux.wait_dead("sim")

    session_id = next(sessions.iterdir()).name
    data = summary_json(sessions, env, session_id)
    people = {p["id"]: p for p in data["participants"]}
    assert people["P1"]["talk_s"] == 30.0
    assert people["P2"]["talk_s"] == 30.0
    assert data["moderator"]["talk_s"] == 38.0
    notes = {n["text"]: n for n in data["notes"]}
    assert notes["Nobody owns the whole case"]["t_s"] == 52.0
    assert notes["Nobody owns the whole case"]["speaker"] == "Informant 2"
    assert notes["typed by hand"]["tags"] == ["observation"]
    assert notes["typed by hand"]["speaker"] == "Informant 1"
    assert 2.0 < notes["typed by hand"]["t_s"] < 32.0
    phases = {p["id"]: p for p in data["phases"]}
    assert phases["introduksjon"]["actual_s"] == 72.0
    # the acknowledgement log names events on disk, the last one shown among them
    store = SessionStore(sessions / session_id)
    ids = {e.id for e in store.read_events().events}
    shown = ack.read_text(encoding="utf-8").split()
    assert shown and set(shown) <= ids
    assert json.loads(json.dumps(shown))  # plain ids, one per line
    assert time.monotonic() - started < 40
