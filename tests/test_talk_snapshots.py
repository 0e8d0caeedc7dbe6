"""SVG snapshots of the talk board with 2, 6 and 12 participants at 80x24 and 120x40, and of the
turns and roster screens, each after a scripted session on a fake clock.

Review changed snapshots with ``pytest --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.core.session import Participant
from facilitator.core.talk import MODERATOR
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from facilitator.ui.app import make_app
from facilitator.ui.screens.live import LiveScreen
from tests.conftest import GUIDES

ROLES = [
    "Housing office",
    "Property office",
    "NAV",
    "Volunteer centre",
    "State housing bank",
    "Child welfare",
]


def roster(count: int) -> list[Participant]:
    return [
        Participant(f"P{i}", f"Informant {i}", ROLES[(i - 1) % len(ROLES)])
        for i in range(1, count + 1)
    ]


@pytest.fixture
def session_with(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[[int], LiveSession]]:
    opened: list[LiveSession] = []

    def open_(count: int) -> LiveSession:
        store = SessionStore.create(
            tmp_path / "sessions",
            load_guide(GUIDES / "seed-en.toml"),
            title=f"Stage 1, {count} participants",
            participants=roster(count),
            now=clock.now(),
            study="u-turn",
            stage=1,
            guide_path="guides/seed-en.toml",
        )
        live = LiveSession(store, clock=clock)
        opened.append(live)
        return live

    yield open_
    for live in opened:
        if live.journal is not None:
            live.journal.close()


def play(live: LiveSession, clock: FakeClock) -> None:
    """A scripted session of about 13 minutes: the moderator opens, two thirds of the roster
    talk (the first one most), the rest stay silent, one has left, someone is speaking now."""
    count = len(live.state.roster)
    talkers = max(1, count - max(1, count // 3))  # 2 -> 1, 6 -> 4, 12 -> 8
    lengths = [95, 40, 25, 60, 15, 30, 20, 45]
    live.speak(MODERATOR)
    clock.advance(75)
    for step in range(9):
        person = step % talkers
        live.speak(f"P{person + 1}")
        clock.advance(lengths[(step + person) % len(lengths)])
        if step == 1:
            live.overlap(MODERATOR)
        if step % 3 == 2:
            live.speak(MODERATOR)
            clock.advance(20)
    live.next_question()  # into the main phase: the board's phase and question scopes differ
    if count >= 6:
        live.set_present(f"P{count}", False)  # the last one left early
    live.speak("P1")
    clock.advance(50)
    live.speak(None)
    clock.advance(8)
    live.speak(f"P{min(2, talkers)}")
    clock.advance(37)


async def _settle(pilot) -> None:
    """Draw the live view again once laid out: the board fits its rows to its width."""
    await pilot.pause()
    screen = pilot.app.screen
    if isinstance(screen, LiveScreen):
        screen.refresh_view()
    await pilot.pause()


def _board(snap_compare, session_with, clock: FakeClock, count: int, size: tuple[int, int]):
    live = session_with(count)
    play(live, clock)

    async def run_before(pilot) -> None:
        await _settle(pilot)

    return snap_compare(make_app(live), terminal_size=size, run_before=run_before)


def test_board_2_participants_80x24(snap_compare, session_with, clock: FakeClock) -> None:
    assert _board(snap_compare, session_with, clock, 2, (80, 24))


def test_board_2_participants_120x40(snap_compare, session_with, clock: FakeClock) -> None:
    assert _board(snap_compare, session_with, clock, 2, (120, 40))


def test_board_6_participants_80x24(snap_compare, session_with, clock: FakeClock) -> None:
    assert _board(snap_compare, session_with, clock, 6, (80, 24))


def test_board_6_participants_120x40(snap_compare, session_with, clock: FakeClock) -> None:
    assert _board(snap_compare, session_with, clock, 6, (120, 40))


def test_board_12_participants_80x24(snap_compare, session_with, clock: FakeClock) -> None:
    assert _board(snap_compare, session_with, clock, 12, (80, 24))


def test_board_12_participants_120x40(snap_compare, session_with, clock: FakeClock) -> None:
    assert _board(snap_compare, session_with, clock, 12, (120, 40))


def test_board_this_question_with_overlap_prompt_120x40(
    snap_compare, session_with, clock: FakeClock
) -> None:
    live = session_with(6)
    play(live, clock)

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("v", "v", "o")
        await _settle(pilot)

    assert snap_compare(make_app(live), terminal_size=(120, 40), run_before=run_before)


def test_turns_screen_80x24(snap_compare, session_with, clock: FakeClock) -> None:
    live = session_with(6)
    play(live, clock)

    async def run_before(pilot) -> None:
        await _settle(pilot)  # the board behind the dialog laid out at its real width first
        await pilot.press("t", "down", "down")
        await pilot.pause()

    assert snap_compare(make_app(live), terminal_size=(80, 24), run_before=run_before)


def test_roster_screen_80x24(snap_compare, session_with, clock: FakeClock) -> None:
    live = session_with(6)
    play(live, clock)

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("e", "down", "a")
        await pilot.press(*"Informant 7:Housing")
        await pilot.pause()

    assert snap_compare(make_app(live), terminal_size=(80, 24), run_before=run_before)
