"""A key press in the live view draws again what changed, without a layout pass of the whole
screen when no panel changes height (``QuietStatic``); and a panel that does change height
is laid out again, so nothing is cut off."""

from __future__ import annotations

import pytest
from textual.screen import Screen

from facilitator.core.clock import FakeClock
from facilitator.services.live import LiveSession
from facilitator.ui.app import make_app
from facilitator.ui.screens.confirm import ConfirmScreen
from facilitator.ui.screens.live import LiveScreen
from facilitator.ui.widgets.guide_panels import QuestionPanel
from facilitator.ui.widgets.talk_board import TalkBoard


async def test_a_speaker_key_draws_the_board_again_without_a_layout_pass(
    live: LiveSession, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, LiveScreen)
        for key in ("1", "2", "1"):  # every row of the board has been drawn once
            clock.advance(5)
            await pilot.press(key)
        await pilot.pause()
        layouts: list[str] = []
        real = Screen._refresh_layout

        def counted(self: Screen, *args: object, **kwargs: object) -> None:
            layouts.append(type(self).__name__)
            real(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Screen, "_refresh_layout", counted)
        board = app.screen.query_one(TalkBoard)
        before = str(board.render())
        await pilot.press("2")
        await pilot.pause()
        assert live.state.talk.current_speaker == "P2"
        assert str(board.render()) != before  # the board shows the new speaker ...
        assert "Informant 2" in str(board.render())
        assert layouts == []  # ... drawn again in place: no layout pass


async def test_a_panel_that_grows_is_laid_out_again(live: LiveSession, clock: FakeClock) -> None:
    """A question with probes takes more lines than one without: the panel grows to show
    them all (the layout pass is asked for when the height changes)."""
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.screen.query_one(QuestionPanel)
        heights = set()
        for _ in range(len([q for p in live.guide.phases for q in p.questions]) - 1):
            await pilot.press("right")
            await pilot.pause()
            if isinstance(app.screen, ConfirmScreen):  # "items not ticked: go on anyway?"
                await pilot.press("y")
                await pilot.pause()
            question = live.state.question
            lines = 1 + (1 if question is not None else 0)
            if question is not None and question.probes:
                lines += 2 + len(question.probes)
            # the panel's content is as tall as its text, at least (the text wraps at 120x40)
            assert panel.content_size.height >= lines, (question, panel.content_size)
            heights.add(panel.content_size.height)
        assert len(heights) > 1  # the guide has questions of different heights
