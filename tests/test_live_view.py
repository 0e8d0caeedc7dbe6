"""Pilot tests: real key presses on the live view, checked against the session state and disk."""

from __future__ import annotations

import os

import pytest

from facilitator.core.clock import FakeClock
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from facilitator.ui.app import make_app
from facilitator.ui.screens.confirm import ConfirmScreen
from facilitator.ui.screens.help import HelpScreen
from facilitator.ui.screens.live import LiveScreen
from facilitator.ui.screens.summary import SummaryScreen
from facilitator.ui.widgets.clocks import ClockBar


def reopen(live: LiveSession, clock: FakeClock) -> LiveSession:
    """What a second run sees: only what is on disk."""
    if live.journal is not None:
        live.journal.close()
        live.journal = None
    return LiveSession(SessionStore(live.store.path), clock=clock)


async def test_arrows_and_pages_move_through_the_guide(live: LiveSession, clock: FakeClock) -> None:
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        assert live.state.phase_id == "introduksjon"
        await pilot.press("right", "y")  # intro has one prompt: on to the main phase (unticked)
        assert live.state.phase_id == "dagens-situasjon"
        assert live.state.question_index == 0
        await pilot.press("right")
        assert live.state.question_index == 1
        await pilot.press("left")
        assert live.state.question_index == 0
        await pilot.press("pagedown")
        assert live.state.phase_id == "avrunding"
        await pilot.press("pageup")
        # back to the phase: the question last on screen there
        assert live.state.phase_id == "dagens-situasjon"
        assert live.state.question_index == 0
        await pilot.press("pageup")
        assert live.state.phase_id == "introduksjon"
        await pilot.press("pageup")  # nothing before the first phase
        assert live.state.phase_id == "introduksjon"
    on_disk = reopen(live, clock)
    assert on_disk.state.phase_id == "introduksjon"
    moves = [e for e in on_disk.store.read_events().events if e.kind == "goto"]
    assert len(moves) == 6


async def test_pause_stops_the_clocks_and_shows_the_break(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        clock.advance(120)
        await pilot.press("p")
        assert live.state.paused
        clock.advance(600)
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        screen.tick()
        await pilot.pause()
        banner = str(screen.query_one("#banner").render())
        assert "Break" in banner and "10:00" in banner
        assert "PAUSED" in str(screen.query_one(ClockBar).render())
        assert live.state.session_s(clock.now()) == 120
        await pilot.press("p")
        assert not live.state.paused
        clock.advance(30)
        assert live.state.session_s(clock.now()) == 150
        assert live.state.phase_elapsed_s(clock.now()) == 150


async def test_checklist_is_ticked_with_keys_and_kept(live: LiveSession, clock: FakeClock) -> None:
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")  # the checklist takes the keys
        await pilot.press("space")  # first item
        await pilot.press("down", "down", "enter")  # third item
        await pilot.press("escape")  # keys back to the guide
        await pilot.press("right", "y")  # two items not ticked: go on anyway
        assert live.state.phase_id == "dagens-situasjon"
    items = [item.id for item in live.guide.phase("introduksjon").checklist]
    on_disk = reopen(live, clock)
    assert on_disk.state.checklist == {items[0]: True, items[2]: True}


async def test_end_asks_first_then_shows_the_summary(live: LiveSession, clock: FakeClock) -> None:
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        clock.advance(90)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert not live.state.ended
        assert isinstance(app.screen, LiveScreen)
        await pilot.press("q", "y")
        await pilot.pause()
        assert live.state.ended
        assert isinstance(app.screen, SummaryScreen)
        clock.advance(500)
        assert live.state.session_s(clock.now()) == 90
    assert reopen(live, clock).state.ended


async def test_help_lists_every_key_of_the_live_view(live: LiveSession) -> None:
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        from rich.console import Console

        with open(os.devnull, "w") as sink:
            console = Console(width=120, record=True, file=sink)
            console.print(app.screen.table)
            text = console.export_text()
        for description in (
            "Next question",
            "Previous",
            "Next phase",
            "Pause",
            "End",
            "Checklist",
            "Commands",
        ):
            assert description in text
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_command_palette_jumps_to_a_question(live: LiveSession) -> None:
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"collaboration with the user group")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # the introduction is left unticked
        await pilot.press("y")
        assert live.state.phase_id == "dagens-situasjon"
        assert live.state.question is not None
        assert (
            live.state.question.text
            == "How would you describe the collaboration with the user group?"
        )
        await pilot.press("ctrl+p")
        await pilot.press(*"pause")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert live.state.paused


async def test_closing_warning_when_the_main_phase_runs_long(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("pagedown", "y")  # main phase, 40 of the 60 planned minutes
        clock.advance(45 * 60)  # closing needs 10, only 15 minus... 60-45 = 15 left: fits
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        screen.tick()
        assert not screen.query_one("#banner").display
        clock.advance(6 * 60)  # 9 minutes left, closing planned for 10
        screen.tick()
        await pilot.pause()
        banner = screen.query_one("#banner")
        assert banner.display
        assert "no longer fits" in str(banner.render())
        assert live.state.phase_level(clock.now()) == "red"  # 51 of 40 minutes


async def test_a_failed_write_is_shown_and_nothing_moves(live: LiveSession, monkeypatch) -> None:
    import errno
    import os

    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        real_write = os.write

        def full_disk(fd, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "write", full_disk)
        await pilot.press("pagedown", "y")  # the introduction's items unticked: go on anyway
        assert live.state.phase_id == "introduksjon"  # not saved, so not shown
        banner = app.screen.query_one("#banner")
        assert "NOT SAVED" in str(banner.render())
        monkeypatch.setattr(os, "write", real_write)
        await pilot.press("pagedown")
        assert live.state.phase_id == "dagens-situasjon"
        assert "NOT SAVED" not in str(app.screen.query_one("#banner").render())


# --- a narrow window, a phone: the columns stack (issue 13, point 20) ---------------------------


@pytest.mark.parametrize("assist", [False, True])
async def test_below_a_width_the_guide_stacks_above_the_board(
    live: LiveSession, assist: bool
) -> None:
    """At 390 px the served view is about 50 columns: the question column was 3 characters
    wide beside the board. Below 70 columns the guide is above the board, both full width."""
    from facilitator.services.live import ASSISTANT
    from facilitator.store.session_store import SessionStore
    from facilitator.ui.app import make_assist_app

    view = LiveSession(SessionStore(live.store.path), writer=ASSISTANT) if assist else live
    app = make_assist_app(view) if assist else make_app(view)
    try:
        async with app.run_test(size=(50, 70)) as pilot:
            await pilot.pause()
            guide, side = app.screen.query_one("#guide"), app.screen.query_one("#side")
            assert guide.region.width >= 48 and side.region.width >= 48
            assert side.region.y >= guide.region.bottom
            await pilot.resize_terminal(120, 40)
            await pilot.pause()
            guide, side = app.screen.query_one("#guide"), app.screen.query_one("#side")
            assert side.region.x >= guide.region.right and side.region.y == guide.region.y
    finally:
        if assist:
            view.close()


@pytest.mark.parametrize("assist", [False, True])
async def test_the_view_starts_its_clocks_and_heartbeat_once(
    live: LiveSession, clock: FakeClock, monkeypatch, assist: bool
) -> None:
    """Textual calls the on_mount of every class of a screen: the shared part must not run
    again from a view's own (two heartbeats per beat, the clocks drawn twice per tick)."""
    from facilitator.services.live import ASSISTANT
    from facilitator.ui.app import make_assist_app

    beats: list[float] = []
    heartbeat = LiveSession.heartbeat
    monkeypatch.setattr(LiveSession, "heartbeat", lambda self: (beats.append(1), heartbeat(self)))
    view = LiveSession(live.store, writer=ASSISTANT, clock=clock) if assist else live
    app = make_assist_app(view) if assist else make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert len(beats) == 1  # the one at the start (the next comes after 2 s)
    if assist and view.journal is not None:
        view.journal.close()
