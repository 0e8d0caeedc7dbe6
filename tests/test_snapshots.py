"""SVG snapshots of each screen at fixed sizes, with a fake clock so the clocks are fixed too.

Review changed snapshots with ``pytest --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

from facilitator.core.clock import FakeClock
from facilitator.services.live import LiveSession
from facilitator.ui.app import make_app
from facilitator.ui.screens.live import LiveScreen


async def _tick(pilot) -> None:
    screen = pilot.app.screen
    if isinstance(screen, LiveScreen):
        screen.refresh_view()
    await pilot.pause()


def test_live_view_at_start_80x24(snap_compare, live: LiveSession, clock: FakeClock) -> None:
    async def run_before(pilot) -> None:
        clock.advance(95)
        await _tick(pilot)

    assert snap_compare(make_app(live), terminal_size=(80, 24), run_before=run_before)


def test_live_view_in_the_main_phase_120x40(
    snap_compare, live: LiveSession, clock: FakeClock
) -> None:
    async def run_before(pilot) -> None:
        live.toggle_checked(live.guide.phase("introduksjon").checklist[0].id)
        clock.advance(8 * 60)
        await pilot.press("pagedown")
        clock.advance(19 * 60)
        await pilot.press("right")
        clock.advance(4 * 60 + 10)
        await _tick(pilot)

    assert snap_compare(make_app(live), terminal_size=(120, 40), run_before=run_before)


def test_live_view_overrun_warns_80x24(snap_compare, live: LiveSession, clock: FakeClock) -> None:
    async def run_before(pilot) -> None:
        clock.advance(10 * 60)
        await pilot.press("pagedown")
        clock.advance(43 * 60)  # main phase past its 40 minutes; 7 left for a 10-minute close
        await _tick(pilot)

    assert snap_compare(make_app(live), terminal_size=(80, 24), run_before=run_before)


def test_live_view_paused_120x40(snap_compare, live: LiveSession, clock: FakeClock) -> None:
    async def run_before(pilot) -> None:
        clock.advance(5 * 60)
        await pilot.press("p")
        clock.advance(7 * 60 + 30)
        await _tick(pilot)

    assert snap_compare(make_app(live), terminal_size=(120, 40), run_before=run_before)


def test_help_screen_120x40(snap_compare, live: LiveSession) -> None:
    assert snap_compare(make_app(live), terminal_size=(120, 40), press=["question_mark"])


def test_help_screen_80x24(snap_compare, live: LiveSession) -> None:
    assert snap_compare(make_app(live), terminal_size=(80, 24), press=["f1"])


def test_summary_screen_after_the_end_120x40(
    snap_compare, live: LiveSession, clock: FakeClock
) -> None:
    async def run_before(pilot) -> None:
        clock.advance(9 * 60)
        await pilot.press("pagedown")
        clock.advance(22 * 60)
        await pilot.press("right")
        clock.advance(20 * 60)
        await pilot.press("pagedown")
        clock.advance(9 * 60)
        await pilot.press("q", "y")
        await pilot.pause()

    assert snap_compare(make_app(live), terminal_size=(120, 40), run_before=run_before)
