"""The wall clock steps, the computer sleeps (issue 14, point 5).

Durations within a run come from a steady clock; a step is marked in the timeline and the
summary and never becomes talk time; a sleep counts like time the app was down. Unit tests on
a clock whose wall, steady and awake parts move apart on command; then a real process under
libfaketime, stepped forward and back while a participant talks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from facilitator.core.clock import SteppingClock
from facilitator.core.summary import build_summary
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from tests.conftest import ROOT, venv_bin

FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def talk(live: LiveSession) -> dict[str, float]:
    summary = build_summary(live.info, live.state, live.now())
    return {p["id"]: p["talk_s"] for p in summary["participants"]}


@pytest.mark.parametrize("step", [7200.0, -3600.0])
def test_a_step_is_marked_and_never_becomes_talk_time(new_store, step: float) -> None:
    clock = SteppingClock()
    live = LiveSession(new_store(), clock=clock)
    live.speak("P1")
    clock.advance(2)
    clock.step(step)
    clock.advance(2)
    live.speak("P2")  # the step is noticed here, before this event is stamped
    clock.advance(3)
    live.speak(None)
    assert talk(live)["P1"] == pytest.approx(4.0)
    assert talk(live)["P2"] == pytest.approx(3.0)
    [marked] = live.state.clock_steps()
    assert marked.step_s == pytest.approx(step) and marked.start_s == pytest.approx(4.0)
    summary = build_summary(live.info, live.state, live.now())
    assert summary["session"]["duration_s"] == pytest.approx(7.0)
    assert [s["step_s"] for s in summary["session"]["clock_steps"]] == [pytest.approx(step)]
    live.close()


def test_a_reader_after_a_step_sees_the_same_session(new_store) -> None:
    clock = SteppingClock()
    store = new_store()
    live = LiveSession(store, clock=clock)
    live.speak("P1")
    clock.advance(5)
    clock.step(7200)
    live.heartbeat()
    clock.advance(5)
    live.speak(None)
    live.close()
    # a fresh process (a new steady clock on the stepped wall clock) opens the same session
    later = SteppingClock(clock.wall_t + 10)
    again = LiveSession(SessionStore(store.path), clock=later)
    assert talk(again)["P1"] == pytest.approx(10.0)
    later.advance(10)
    again.speak("P2")
    later.advance(4)
    again.speak(None)
    assert talk(again)["P2"] == pytest.approx(4.0)
    assert len(again.state.clock_steps()) == 1
    # ... and a wall clock set back while no process ran: marked, the time line goes on
    again.close()
    back = SteppingClock(later.wall_t - 3600)
    third = LiveSession(SessionStore(store.path), clock=back)
    back.advance(3)
    third.speak("P3")
    back.advance(2)
    third.speak(None)
    assert talk(third)["P3"] == pytest.approx(2.0)
    assert [round(s.step_s) for s in third.state.clock_steps()] == [7200, -3600]
    third.close()


def test_a_sleep_counts_like_down_time(new_store) -> None:
    clock = SteppingClock()
    live = LiveSession(new_store(), clock=clock)
    live.speak("P1")
    clock.advance(3)
    clock.sleep(600)  # the lid closed for ten minutes
    clock.advance(1)
    live.heartbeat()
    [down] = live.state.downtimes()
    # placed before the check that noticed it (heartbeats come every 2 s), 600 s long
    assert 3.0 <= down.start_s <= 4.0 and down.end_s - down.start_s == pytest.approx(600.0)
    assert live.state.clock_steps() == []  # a sleep is not a step
    live.close()


def test_old_sessions_without_steps_open_as_before(new_store, clock) -> None:
    live = LiveSession(new_store(), clock=clock)  # a fake clock, as every older test
    live.speak("P1")
    clock.advance(4)
    live.speak(None)
    assert talk(live)["P1"] == 4.0 and live.state.clock_offset_s == 0.0
    live.close()


@pytest.mark.slow
@pytest.mark.skipif(not FAKETIME.exists(), reason="libfaketime is not installed (faketime)")
@pytest.mark.parametrize("step", ["+2h", "-1h"])
def test_a_real_process_under_libfaketime(tmp_path: Path, step: str) -> None:
    sessions = tmp_path / "sessions"
    env = {**os.environ, "FACILITATOR_LANG": "en"}
    created = subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(sessions), "new",
         str(ROOT / "guides" / "seed-en.toml"), "--title", "Stepped",
         "--participant", "P1:Informant 1", "--participant", "P2:Informant 2"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    folder = sessions / created.stdout.strip()
    fake = tmp_path / "faketime.txt"
    fake.write_text("+0\n")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "helpers" / "clock_step.py"), str(folder),
         str(fake), step],
        capture_output=True, text=True, timeout=60,
        env={**env, "LD_PRELOAD": str(FAKETIME), "FAKETIME_TIMESTAMP_FILE": str(fake),
             "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(
        subprocess.run(
            [venv_bin("facilitator"), "--sessions", str(sessions), "summary", folder.name,
             "--format", "json"],
            capture_output=True, text=True, env=env, check=True,
        ).stdout
    )  # fmt: skip
    talk_s = {p["id"]: p["talk_s"] for p in summary["participants"]}
    assert 3.5 <= talk_s["P1"] <= 6.0, talk_s  # 4 s of talk, not 0 and not 7,204
    assert 1.5 <= talk_s["P2"] <= 4.0, talk_s
    assert summary["session"]["duration_s"] < 30
    [marked] = summary["session"]["clock_steps"]
    expected = 7200 if step == "+2h" else -3600
    assert abs(marked["step_s"] - expected) < 5, marked
    markdown = subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(sessions), "summary", folder.name],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert "the computer's clock was set" in markdown
    assert shutil.which("faketime")  # the Debian package the recipe needs
