"""Talk tracking in a real terminal: press 1, wait, press 2, wait, space, end; check the JSON.

The figures are wall-clock seconds measured by the test around each key press, so they are
checked within a tolerance (the time tmux takes to deliver a key and the app to save it).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_tmux import (  # noqa: F401  (fixtures)
    FACILITATOR,
    GUIDE,
    Tmux,
    env,
    facilitator,
    sessions,
    summary_json,
    tmux,
)

pytestmark = pytest.mark.slow

TOLERANCE_S = 0.8
FIRST_S = 3.0
SECOND_S = 2.0


def test_turns_keyed_in_tmux_become_talk_time(tmux: Tmux, sessions: Path, env) -> None:
    created = facilitator(
        sessions,
        env,
        "new",
        str(GUIDE),
        "--title",
        "Talk",
        "--participant",
        "P1:Informant 1:Housing office",
        "--participant",
        "P2:Informant 2:NAV",
        "--participant",
        "P3:Informant 3",
    )
    assert created.returncode == 0, created.stderr
    session_id = created.stdout.strip()
    tmux.start("talk", f"{FACILITATOR} --sessions {sessions} run {session_id}")
    tmux.wait_for("talk", "Nobody speaking")

    tmux.keys("talk", "1")
    tmux.wait_for("talk", "▶ Informant 1")
    started_1 = time.monotonic()
    time.sleep(FIRST_S)
    tmux.keys("talk", "2")
    tmux.wait_for("talk", "▶ Informant 2")
    started_2 = time.monotonic()
    time.sleep(SECOND_S)
    tmux.keys("talk", "Space")
    tmux.wait_for("talk", "Nobody speaking")
    ended_2 = time.monotonic()
    screen = tmux.screen("talk")
    assert "silent" in screen  # Informant 3 never spoke: it stands out

    tmux.keys("talk", "q")
    tmux.wait_for("talk", "End the session now?")
    tmux.keys("talk", "y")
    tmux.wait_for("talk", "Status: ended")
    tmux.keys("talk", "q")
    tmux.wait_dead("talk")

    summary = summary_json(sessions, env, session_id)
    people = {p["id"]: p for p in summary["participants"]}
    one, two, three = people["P1"], people["P2"], people["P3"]
    assert one["turns"] == 1 and two["turns"] == 1 and three["turns"] == 0
    assert abs(one["talk_s"] - (started_2 - started_1)) < TOLERANCE_S
    assert abs(two["talk_s"] - (ended_2 - started_2)) < TOLERANCE_S
    assert three["talk_s"] == 0.0 and three["last_spoke_s"] is None
    total = one["talk_s"] + two["talk_s"]
    assert one["share"] == pytest.approx(one["talk_s"] / total, abs=0.002)
    assert summary["moderator"] == {"talk_s": 0.0, "turns": 0, "share_of_all_talk": 0.0}
    assert summary["balance"]["silent"] == ["P3"]
    # three people, one silent: Gini of (a, b, 0) with a ≈ 3, b ≈ 2
    a, b = one["talk_s"], two["talk_s"]
    expected = (abs(a - b) * 2 + a * 2 + b * 2) / (2 * 9 * (a + b) / 3)
    assert summary["balance"]["gini"] == pytest.approx(expected, abs=0.01)
    assert summary["turn_taking"]["follows"] == [{"from": "P1", "to": "P2", "count": 1}]
    assert one["last_spoke_s"] == pytest.approx(two["last_spoke_s"] - two["talk_s"], abs=0.01)
