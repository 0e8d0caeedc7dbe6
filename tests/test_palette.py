"""The command palettes offer only what the view may do, in the interface's language, and
nothing that writes session data outside the session folder (issue 13, points 8 and 9)."""

from __future__ import annotations

import os
from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import OptionList

from facilitator.i18n import set_language
from facilitator.services.live import ASSISTANT, LiveSession
from facilitator.store.session_store import SessionStore
from facilitator.ui.app import make_app, make_assist_app

SIZE = (120, 40)


async def palette_titles(app, pilot) -> list[str]:
    """Every command the real palette lists when it opens (with nothing typed)."""
    await pilot.press("ctrl+p")
    for _ in range(50):
        await pilot.pause(0.05)
        if isinstance(app.screen, CommandPalette):
            options = app.screen.query_one(OptionList)
            if options.option_count:
                break
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    options = palette.query_one(OptionList)
    titles = [
        str(options.get_option_at_index(i).prompt).split("\n")[0]
        for i in range(options.option_count)
    ]
    await pilot.press("escape")
    return titles


TEXTUAL_OWN = ("Keys", "Maximize", "Minimize", "Quit", "Screenshot")
MODERATOR_ONLY = ("End session", "Pause", "Resume", "Jump to", "Tick", "Start recording")


async def test_the_assistants_palette_offers_only_what_it_may_do(live: LiveSession) -> None:
    assistant = LiveSession(SessionStore(live.store.path), writer=ASSISTANT)
    try:
        app = make_assist_app(assistant)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("escape")
            titles = await palette_titles(app, pilot)
    finally:
        assistant.close()
    assert "Now speaking: Informant 1" in titles and "All notes" in titles
    assert not [t for t in titles if t.startswith(MODERATOR_ONLY)], titles
    assert not [t for t in titles if t in TEXTUAL_OWN], titles
    assert titles.count("Colour theme") == 1  # the one of Textual's that stays, renamed


async def test_the_palettes_are_norwegian_and_have_no_screenshot(
    live: LiveSession, tmp_path: Path, monkeypatch
) -> None:
    set_language("nb")
    monkeypatch.chdir(tmp_path)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        titles = await palette_titles(app, pilot)
        await app.run_action("screenshot")  # asked for by a script or an old habit: nothing
        await pilot.pause(0.3)
    assert "Fargetema" in titles and "Avslutt økten" in titles
    assert not [t for t in titles if t in (*TEXTUAL_OWN, "Theme", "Colour theme")], titles
    assert not [p for p in tmp_path.rglob("*.svg")], os.listdir(tmp_path)
