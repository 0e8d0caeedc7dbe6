"""The start screen of a bare ``facilitator``: open a session, or start one from a guide."""

from __future__ import annotations

from pathlib import Path

from conftest import GUIDES

from facilitator.store.session_store import SessionStore, list_session_dirs
from facilitator.ui.app import make_home_app
from facilitator.ui.screens.home import HomeScreen, NewSessionScreen, participants_from_text
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
