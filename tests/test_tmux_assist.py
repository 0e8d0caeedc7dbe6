"""The moderator and the assistant in two real terminals on one session.

``facilitator run`` in one tmux session, ``facilitator assist`` in another: the moderator moves
through the guide and keys speakers, the assistant's screen follows within a second and the
assistant types notes; the moderator's screen shows them too. Then the moderator ends the
session, the assistant quits, and the ``summary`` JSON must tie each note to the phase, question
and speaker of the moment it was written, with the assistant as its author.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_tmux import (  # noqa: F401  (fixtures)
    FACILITATOR,
    GUIDE,
    WAIT_S,
    Tmux,
    env,
    facilitator,
    sessions,
    summary_json,
    tmux,
)

pytestmark = pytest.mark.slow

FOLLOW_S = 1.5  # the assistant's view polls twice a second; tmux and the screen add a little


def follows(tmux: Tmux, texts: list[str]) -> float:
    """Once the moderator's screen shows ``texts``, how long until the assistant's does."""
    for text in texts:
        tmux.wait_for("mod", text)
    shown_at = time.monotonic()
    deadline = shown_at + WAIT_S
    while True:
        screen = tmux.screen("asst")
        if all(text in screen for text in texts):
            return time.monotonic() - shown_at
        if time.monotonic() > deadline:
            pytest.fail(f"{texts!r} not on the assistant's screen:\n{screen}")
        time.sleep(0.05)


def note(tmux: Tmux, text: str, count: int) -> None:
    """The assistant types a note and enter; wait until its view lists ``count`` notes."""
    tmux.keys("asst", "-l", text)
    tmux.wait_for("asst", text)  # typed into the line
    tmux.keys("asst", "Enter")
    tmux.wait_for("asst", f"Notes ({count})")


def test_the_assistant_follows_the_moderator_and_its_notes_keep_the_moment(
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

    tmux.start("mod", command.format("run"))
    tmux.wait_for("mod", "Introduction phase")
    tmux.start("asst", command.format("assist"))
    screen = tmux.wait_for("asst", "Assistant")
    assert "Introduction phase" in screen
    assert "write, enter saves" in screen  # the note line is ready, with its hint

    # the moderator moves into the main phase and gives the floor to Informant 1
    tmux.keys("mod", "PageDown")
    tmux.wait_for("mod", "items not ticked: go on anyway?")
    tmux.keys("mod", "y")
    tmux.keys("mod", "1")
    delay = follows(tmux, ["Question 1 of 2", "▶ Informant 1"])
    assert delay < FOLLOW_S, f"the assistant's view followed after {delay:.2f} s"
    note(tmux, "rent eats it all #q", 1)

    # on to the next question; Informant 2 speaks
    tmux.keys("mod", "Right")
    tmux.keys("mod", "2")
    delay = follows(tmux, ["Question 2 of 2", "▶ Informant 2"])
    assert delay < FOLLOW_S, f"the assistant's view followed after {delay:.2f} s"
    note(tmux, "nobody calls back #t #f", 2)
    note(tmux, "she disagrees @3 #obs", 3)
    screen = tmux.screen("asst")
    assert "Question 2 of 2" in screen and "▶ Informant 2" in screen  # notes moved nothing

    # the moderator's view shows the assistant's notes too
    screen = tmux.wait_for("mod", "Notes (3)")
    assert "“rent eats it all”" in screen

    # the moderator ends the session; the assistant's view sees it, then quits
    tmux.keys("mod", "q")
    tmux.wait_for("mod", "End the session now?")
    tmux.keys("mod", "y")
    tmux.wait_for("mod", "Status: ended")
    tmux.keys("mod", "q")
    tmux.wait_dead("mod")
    assert tmux.exit_status("mod") == "0", tmux.screen("mod")
    tmux.wait_for("asst", "the session has ended")
    tmux.keys("asst", "C-q")
    tmux.wait_dead("asst")
    assert tmux.exit_status("asst") == "0", tmux.screen("asst")

    summary = summary_json(sessions, env, session_id)
    assert summary["session"]["status"] == "ended"
    got = [
        (
            n["author"],
            n["phase"],
            n["question"],
            n["speaker"],
            n["speaker_id"],
            n["tags"],
            n["text"],
        )
        for n in summary["notes"]
    ]
    assert got == [
        (
            "assistant",
            "dagens-situasjon",
            "ds-moter",
            "Informant 1",
            "P1",
            ["quote"],
            "rent eats it all",
        ),
        (
            "assistant",
            "dagens-situasjon",
            "ds-samarbeid",
            "Informant 2",
            "P2",
            ["theme", "follow-up"],
            "nobody calls back",
        ),
        (
            "assistant",
            "dagens-situasjon",
            "ds-samarbeid",
            "Informant 3",
            "P3",
            ["observation"],
            "she disagrees",
        ),
    ]
    assert [n["text"] for n in summary["follow_ups"]] == ["nobody calls back"]
    # the session clock: each note after the one before, within the session
    times = [n["t_s"] for n in summary["notes"]]
    assert times == sorted(times) and 0 < times[0] <= summary["session"]["duration_s"]
    assert all(n["edited"] is False for n in summary["notes"])
