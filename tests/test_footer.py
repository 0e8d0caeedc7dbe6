"""The footer's command-palette key: nothing drawn after it (issue 13, point 11).

A compact footer gives every key a right margin; on the palette key, docked at the right, that
margin left the last column uncovered and a letter of the keys scrolled beneath it showed
("^p Commandsj", "^p Kommandoert"). Checked on the real compositor's output at several widths,
in English and Norwegian, for the moderator's and the assistant's views."""

from __future__ import annotations

import pytest

from facilitator.i18n import set_language
from facilitator.services.live import ASSISTANT, LiveSession
from facilitator.store.session_store import SessionStore
from facilitator.ui.app import make_app, make_assist_app


def bottom_line(app) -> str:
    strips = app.screen._compositor.render_strips()
    return "".join(segment.text for segment in strips[-1])


@pytest.mark.parametrize("lang", ["en", "nb"])
@pytest.mark.parametrize("width", [80, 100, 120, 160])
async def test_the_palette_key_ends_the_footer(live: LiveSession, lang: str, width: int) -> None:
    set_language(lang)
    word = "Commands" if lang == "en" else "Kommandoer"
    app = make_app(live)
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.pause()
        line = bottom_line(app)
    assert len(line) == width
    assert line.rstrip().endswith(f"^p {word}"), line[-30:]


async def test_the_assistants_palette_key_ends_its_footer(live: LiveSession) -> None:
    set_language("nb")
    assistant = LiveSession(SessionStore(live.store.path), writer=ASSISTANT)
    try:
        app = make_assist_app(assistant)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("escape")  # the keys, not the note line: the footer fills up
            await pilot.pause()
            line = bottom_line(app)
    finally:
        assistant.close()
    assert line.rstrip().endswith("^p Kommandoer"), line[-30:]
