"""The start screen of a bare ``facilitator``: open a session, or start one from a guide."""

from __future__ import annotations

from pathlib import Path

from conftest import GUIDES

from facilitator.core.guide import load_guide
from facilitator.store.session_store import SessionStore, list_session_dirs
from facilitator.ui.app import make_home_app
from facilitator.ui.screens.home import (
    HomeScreen,
    NewSessionScreen,
    NextStageScreen,
    participants_from_text,
)
from facilitator.ui.screens.live import LiveScreen


def test_participants_from_a_number_or_specs() -> None:
    people = participants_from_text("3")
    assert [(p.id, p.label) for p in people] == [
        ("P1", "Informant 1"),
        ("P2", "Informant 2"),
        ("P3", "Informant 3"),
    ]
    people = participants_from_text("A:Anna:NAV; B:Bo")
    assert [(p.id, p.label, p.role) for p in people] == [("A", "Anna", "NAV"), ("B", "Bo", "")]


async def test_a_new_session_from_a_guide_opens_the_live_view(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    app = make_home_app(sessions, GUIDES)
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        assert app.focused is not None and app.focused.id == "guides"  # no sessions yet
        await pilot.press("enter")  # the first guide
        assert isinstance(app.screen, NewSessionScreen)
        await pilot.press("enter")  # defaults: "Stage 1", 5 participants
        await pilot.pause()
        assert isinstance(app.screen, LiveScreen)
        await pilot.press("1")
        live = app.screen.live
        assert live.state.talk.current_speaker == "P1"
        assert len(live.state.roster) == 5
        await pilot.press("ctrl+q")
    folders = list_session_dirs(sessions)
    assert len(folders) == 1
    assert SessionStore(folders[0]).info().title == "Stage 1"


async def test_an_existing_session_is_resumed_from_the_list(tmp_path: Path, new_store) -> None:
    store = new_store()
    app = make_home_app(store.path.parent, GUIDES)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.focused is not None and app.focused.id == "sessions"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LiveScreen)
        assert app.screen.live.store.path == store.path
        app.screen.live.journal.close()


# --- the start screen does what the command line does (issue 13, point 22) ----------------------


async def _type(pilot, selector: str, text: str) -> None:
    widget = pilot.app.screen.query_one(selector)
    widget.value = text


async def test_a_new_session_gets_its_study_stage_and_consent(tmp_path: Path) -> None:
    from facilitator.core.audio import missing_consent
    from facilitator.core.session import state_of

    sessions = tmp_path / "sessions"
    app = make_home_app(sessions, GUIDES)
    async with app.run_test(size=(120, 50)) as pilot:
        guides = app.screen.query_one("#guides")
        index = next(
            i
            for i in range(guides.option_count)
            if "seed-nb" in str(guides.get_option_at_index(i).id)
        )
        guides.highlighted = index
        await pilot.press("enter")
        assert isinstance(app.screen, NewSessionScreen)
        await _type(pilot, "#title", "Samling 2")
        await _type(pilot, "#study", "U-sving")
        await _type(pilot, "#stage", "2")
        await _type(pilot, "#participants", "3")
        await _type(pilot, "#consent", "P1,P3")
        app.screen.query_one("#title").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LiveScreen)
        live = app.screen.live
        assert (live.info.study, live.info.stage) == ("u-sving", 2)
        assert [p.id for p in missing_consent(live.state)] == ["P2"]
        await pilot.press("ctrl+q")
    [folder] = list_session_dirs(sessions)
    info = SessionStore(folder).info()
    assert (info.title, info.study, info.stage) == ("Samling 2", "u-sving", 2)
    state = state_of(info, SessionStore(folder).read_events().events)
    assert [p.id for p in missing_consent(state)] == ["P2"]


async def test_a_consent_naming_someone_unknown_is_refused_in_the_dialog(tmp_path: Path) -> None:
    app = make_home_app(tmp_path / "sessions", GUIDES)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("enter")
        await _type(pilot, "#consent", "P9")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NewSessionScreen)
        error = str(app.screen.query_one("#new-error").render())
        assert "P9" in error and error[0].isupper()
    assert list_session_dirs(tmp_path / "sessions") == []


async def test_the_next_stage_is_started_from_the_list(tmp_path: Path, new_store, clock) -> None:
    """s on an ended stage 1: the dialog asks what `facilitator next` asks; the new stage
    opens with the roster carried, a newcomer added and one participant away."""
    from facilitator.services.live import LiveSession

    store = new_store("seed-nb.toml")
    first = LiveSession(store, clock=clock)
    first.add_note("Spør Husbanken om leietakere #f")
    clock.advance(60)
    first.end()
    first.close()
    app = make_home_app(store.path.parent, GUIDES)
    async with app.run_test(size=(120, 50)) as pilot:
        assert app.focused is not None and app.focused.id == "sessions"
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, NextStageScreen)
        await _type(pilot, "#newcomers", "P6:Informant 6:Frivilligsentralen")
        await _type(pilot, "#absent", "P3")
        await _type(pilot, "#next-consent", "all")
        app.screen.query_one("#newcomers").focus()
        await pilot.press("enter")
        await pilot.pause()
        # a follow-up stage opens on the recap of the stage before, over its live view
        live_screen = next(s for s in app.screen_stack if isinstance(s, LiveScreen))
        live = live_screen.live
        assert live.info.stage == 2 and live.info.previous == store.path.name
        assert [p.id for p in live.state.roster] == ["P1", "P2", "P3", "P4", "P5", "P6"]
        assert "P3" not in live.state.talk.present and "P6" in live.state.talk.present
        assert [c.text for c in live.info.carried] == ["Spør Husbanken om leietakere"]
        await pilot.press("ctrl+q")
    assert len(list_session_dirs(store.path.parent)) == 2


async def test_the_list_shows_a_running_sessions_clock_live(tmp_path: Path) -> None:
    import asyncio
    import time

    from facilitator.services.live import LiveSession

    sessions = tmp_path / "sessions"
    store = SessionStore.create(
        sessions,
        load_guide(GUIDES / "seed-en.toml"),
        title="Running",
        participants=[],
        now=time.time() - 100,
    )
    LiveSession(store).close()  # opened (the clock started) and left running
    app = make_home_app(sessions, GUIDES)
    async with app.run_test(size=(120, 40)):
        options = app.screen.query_one("#sessions")
        before = str(options.get_option_at_index(0).prompt)
        await asyncio.sleep(2.2)
        after = str(options.get_option_at_index(0).prompt)
    assert "running" in before and before != after
    clock_before, clock_after = before.split()[-1], after.split()[-1]
    assert clock_after > clock_before


def test_the_new_session_dialog_fits_80x24(snap_compare, tmp_path: Path, monkeypatch) -> None:
    """Title, study, stage, participants and consent, with the buttons, on a small terminal."""
    monkeypatch.chdir(tmp_path)  # the same folder name on screen in every run

    async def run_before(pilot) -> None:
        await pilot.press("enter")  # the first guide (no sessions yet)
        await pilot.pause()

    assert snap_compare(
        make_home_app(Path("sessions"), GUIDES), terminal_size=(80, 24), run_before=run_before
    )
