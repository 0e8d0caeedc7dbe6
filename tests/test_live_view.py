"""Pilot tests: real key presses on the live view, checked against the session state and disk."""

from __future__ import annotations

import os

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
        await pilot.press("right")  # intro has one prompt: on to the main phase
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
        await pilot.press("right")
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
        await pilot.press("pagedown")  # main phase, 40 of the 60 planned minutes
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
        await pilot.press("pagedown")
        assert live.state.phase_id == "introduksjon"  # not saved, so not shown
        banner = app.screen.query_one("#banner")
        assert "NOT SAVED" in str(banner.render())
        monkeypatch.setattr(os, "write", real_write)
        await pilot.press("pagedown")
        assert live.state.phase_id == "dagens-situasjon"
        assert "NOT SAVED" not in str(app.screen.query_one("#banner").render())
