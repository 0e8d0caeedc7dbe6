"""The recap that opens a follow-up stage, in a real terminal.

Stage 1 of the seed's study (Norwegian guide) is scripted in this process on a fake clock and
ended; ``facilitator next`` makes stage 2 with a newcomer; ``facilitator run`` opens it in
tmux: the recap comes first, ``p`` presents it, Right steps through every point, Escape twice
leads to the live view of stage 2. The handout (``recap --format md``) has no talk balance.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_study import (
    NEWCOMER,
    SUMMARY_1,
    T0,
    create_stage_1,
    play_stage_1,
)
from test_tmux import (  # noqa: F401  (fixtures)
    FACILITATOR,
    Tmux,
    env,
    facilitator,
    sessions,
    tmux,
)

from facilitator.core.clock import FakeClock
from facilitator.services.live import LiveSession

pytestmark = pytest.mark.slow

# What the presentation shows, slide by slide (section, then a piece of the text that fits
# on one line of a 120-column terminal)
SLIDES = [
    ("Last time", "Stage 1: Samling 1"),
    ("What we summed up together", "Samarbeidet på tvers av etatene er for tilfeldig"),
    ("What we summed up together", "Tillit tar tid å bygge, særlig når økonomien er trang"),
    ("Themes", "Familiene møter mange ulike kontorer"),
    ("Themes", "Frivilligheten når familiene på en annen måte"),
    ("In your own words", "“Vi ser dem først når krisen er et faktum”"),
    ("What we said we would come back to", "Hva kan Husbanken tilby leietakere på sikt?"),
    ("What we said we would come back to", "Møt familiene hjemme, ikke bare på kontoret"),
    ("Since last time", "What has happened since we last met?"),
]


def shown(text: str, screen: str) -> bool:
    """``text`` is on the screen: as it is, or drawn in the presentation's large letters."""
    if text in screen:
        return True
    from facilitator.ui.widgets.bigtext import big_lines

    for width in range(40, 121):
        rows = [row.strip() for row in (big_lines(text, width) or []) if row.strip()]
        if rows and all(row in screen for row in rows):
            return True
    return False


def test_the_recap_opens_stage_2_and_is_presented_slide_by_slide(
    tmux: Tmux, sessions: Path, env: dict[str, str]
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
    tmux.wait_for("recap", "Recap of stage 1: Samling 1")
    screen = tmux.wait_for("recap", "p Present")  # the footer: the recap's keys
    assert "What we summed up together" in screen and SUMMARY_1 in screen
    assert "esc To the guide" in screen

    tmux.keys("recap", "p")
    screen = tmux.wait_for("recap", f"1 / {len(SLIDES)}")
    assert "Last time" in screen and shown("Stage 1: Samling 1", screen)
    assert "Recap of stage 1" not in screen  # the presentation has the whole screen
    for number, (section, text) in enumerate(SLIDES[1:], start=2):
        tmux.keys("recap", "Right")
        screen = tmux.wait_for("recap", f"{number} / {len(SLIDES)}")
        assert section in screen, (number, screen)
        assert shown(text, screen), (number, screen)
        assert "Informant" not in screen  # read aloud: nothing points to a person
    tmux.keys("recap", "Right")  # past the last: it stays
    tmux.keys("recap", "Left")
    screen = tmux.wait_for("recap", f"{len(SLIDES) - 1} / {len(SLIDES)}")
    assert shown(SLIDES[-2][1], screen)

    tmux.keys("recap", "Escape")
    tmux.wait_for("recap", "Recap of stage 1: Samling 1")
    tmux.keys("recap", "Escape")
    screen = tmux.wait_for("recap", "Introduksjon og oppsummering fra forrige samling")
    assert "Phase 1 of 4" in screen and "study u-sving, stage 2" in screen
    assert "6 Informant 6" in screen  # the newcomer is on the talk board
    assert "(for Informant 6)" in screen  # the full introduction for the newcomer

    tmux.keys("recap", "R")  # the recap again, when asked for
    tmux.wait_for("recap", "Recap of stage 1: Samling 1")
    tmux.keys("recap", "Escape")
    tmux.wait_for("recap", "Introduksjon og oppsummering fra forrige samling")
    tmux.keys("recap", "f")  # the follow-ups carried over take the keys, scrolled into view
    tmux.wait_for("recap", "Follow-ups from earlier stages")
    tmux.keys("recap", "C-q")
    tmux.wait_dead("recap")

    handout = facilitator(sessions, env, "recap", stage_2, "--format", "md")
    assert handout.returncode == 0, handout.stderr
    assert handout.stdout.startswith("# Recap of stage 1: Samling 1\n")
    for _section, text in SLIDES[1:-1]:
        assert text.strip("“”") in handout.stdout
    assert "Talk balance" not in handout.stdout and "Gini" not in handout.stdout
    assert "Informant" not in handout.stdout
    moderator = facilitator(sessions, env, "recap", stage_2)
    assert moderator.returncode == 0, moderator.stderr
    assert "## Talk balance at that stage (for the moderator only)" in moderator.stdout
