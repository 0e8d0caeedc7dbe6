"""In the room (issue 13), in real terminals: the moderator's and the assistant's processes.

``facilitator run`` and ``facilitator assist`` in two tmux sessions on one session folder:
the assistant's key mode is plain on its screen and typing there goes back to the note line;
a speaker change the assistant keys is marked on the moderator's board; the moderator's
process is killed (SIGKILL) and the assistant's screen says so within seconds. Then the
recap of a follow-up stage: one escape in its note line leaves the line, and the next ``p``
presents, it does not pause the session.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from test_study import NEWCOMER, T0, create_stage_1, play_stage_1
from test_tmux import (  # noqa: F401  (fixtures)
    FACILITATOR,
    GUIDE,
    WAIT_S,
    Tmux,
    env,
    facilitator,
    sessions,
    tmux,
)

from facilitator.core.clock import FakeClock
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore

pytestmark = pytest.mark.slow

TOLD_WITHIN_S = 10.0  # 6 s without a heartbeat, the 0.5 s tick, tmux: "within a few seconds"


def test_the_assistants_keys_and_the_moderators_app_going_away(
    tmux: Tmux, sessions: Path, env
) -> None:
    created = facilitator(
        sessions,
        env,
        "new",
        str(GUIDE),
        "--title",
        "Two windows",
        "--participant",
        "P1:Informant 1:Housing office",
        "--participant",
        "P2:Informant 2:NAV",
        "--participant",
        "P3:Informant 3",
    )
    assert created.returncode == 0, created.stderr
    session_id = created.stdout.strip()
    command = f"{FACILITATOR} --sessions {sessions} {{}} {session_id}"
    moderator = tmux.start("mod", command.format("run"))
    tmux.wait_for("mod", "Introduction phase")
    tmux.start("asst", command.format("assist"))
    tmux.wait_for("asst", "Note line: enter saves")

    # key mode: the line says so; a key of the view works, typing goes back to the line
    tmux.keys("asst", "Escape")
    tmux.wait_for("asst", "SPEAKER KEYS")
    tmux.keys("asst", "3")
    screen = tmux.wait_for("mod", "set by the assistant")  # marked on the moderator's board
    assert "▶ Informant 3" in screen
    for letter in "ganger":  # typed, a key at a time (a burst is the Pilot tests' case)
        tmux.keys("asst", "-l", letter)
        time.sleep(0.15)
    screen = tmux.wait_for("asst", "Note › ganger")
    assert "SPEAKER KEYS" not in screen
    tmux.keys("asst", "Enter")
    tmux.wait_for("asst", "Notes (1)")
    store = SessionStore(next(sessions.iterdir()))
    events = store.read_events().events
    assert [e.data.get("who") for e in events if e.kind == "speaker"] == ["P3"]  # "3" only

    # the moderator's app is killed: the assistant is told within seconds
    os.kill(moderator, signal.SIGKILL)
    killed_at = time.monotonic()
    screen = tmux.wait_for("asst", "The moderator's app is not running", timeout=WAIT_S)
    assert time.monotonic() - killed_at < TOLD_WITHIN_S
    assert "still saved" in screen
    # it comes back: the banner goes
    tmux.cmd("kill-session", "-t", "mod")
    tmux.start("mod", command.format("run"))
    tmux.wait_for("mod", "Introduction phase")
    tmux.wait_gone("asst", "The moderator's app is not running")
    tmux.keys("asst", "C-q")
    tmux.keys("mod", "C-q")


def test_one_escape_in_the_recaps_note_line_leaves_the_line_only(
    tmux: Tmux, sessions: Path, env
) -> None:
    clock = FakeClock(T0)
    store = create_stage_1(sessions, clock.now())
    live = LiveSession(store, clock=clock)
    try:
        play_stage_1(live, clock)
    finally:
        live.close()
    made = facilitator(sessions, env, "next", store.path.name, "--newcomer", NEWCOMER)
    assert made.returncode == 0, made.stderr
    stage_2 = made.stdout.strip()
    tmux.start("recap", f"{FACILITATOR} --sessions {sessions} run {stage_2}")
    tmux.wait_for("recap", "p Present")
    tmux.keys("recap", "n")
    tmux.keys("recap", "-l", "Ny leder")
    tmux.wait_for("recap", "Ny leder")
    tmux.keys("recap", "Escape")
    time.sleep(0.5)
    tmux.keys("recap", "p")  # the recap's p: present, not the live view's pause
    screen = tmux.wait_for("recap", " / ")  # the presentation's "1 / 9"
    assert "Break" not in screen
    tmux.keys("recap", "Escape")
    tmux.wait_for("recap", "p Present")
    tmux.keys("recap", "C-q")
    tmux.wait_dead("recap")
    events = SessionStore.open(sessions, stage_2).read_events().events
    assert "paused" not in [e.kind for e in events]
