"""The recap that opens a follow-up stage, on screen: Pilot tests and SVG snapshots.

Stage 1 of the seed's study (Norwegian guide) is scripted on a fake clock, stage 2 is made
with ``facilitator next`` (in this process, on the same fake clock) and opened in the live
view: the recap comes first, its presentation mode steps through the points, a note of what
happened in between is saved, carried follow-ups are ticked as taken up.

Review changed snapshots with ``pytest --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_study import (
    FOLLOW_UP_1,
    FOLLOW_UP_2,
    GUIDE_NB,
    NEWCOMER,
    QUOTE_1,
    ROSTER,
    SUMMARY_1,
    SUMMARY_2,
    THEME_1,
    THEME_2,
    play_stage_1,
)

from facilitator.cli import commands as cli
from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.core.session import state_of
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from facilitator.ui.app import make_app
from facilitator.ui.screens.live import LiveScreen
from facilitator.ui.screens.recap import PresentationScreen, RecapScreen
from facilitator.ui.widgets.guide_panels import TickList
from tests.conftest import START

SIZE = (120, 40)
STAGE_2_AT = START + 60 * 24 * 3600  # two months later

# Every slide, in the order it is read aloud
SLIDES = [
    ("Last time", "Stage 1: Samling 1\n2027-01-15"),
    ("What we summed up together", SUMMARY_1),
    ("What we summed up together", SUMMARY_2),
    ("Themes", THEME_1),
    ("Themes", THEME_2),
    ("In your own words", f"“{QUOTE_1}”"),
    ("What we said we would come back to", FOLLOW_UP_1),
    ("What we said we would come back to", FOLLOW_UP_2),
    ("Since last time", "What has happened since we last met?"),
]


@pytest.fixture
def stage_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., LiveSession]]:
    """Opens a fresh stage 2 (made by ``facilitator next`` after a scripted stage 1) in a
    ``LiveSession`` on a fake clock two months after stage 1."""
    opened: list[LiveSession] = []
    sessions = tmp_path / "sessions"

    def open_(*next_args: str) -> LiveSession:
        clock = FakeClock(START)
        store = SessionStore.create(
            sessions,
            load_guide(GUIDE_NB),
            title="Samling 1",
            participants=ROSTER,
            now=clock.now(),
            study="u-sving",
            stage=1,
            guide_path=str(GUIDE_NB),
        )
        first = LiveSession(store, clock=clock)
        opened.append(first)
        play_stage_1(first, clock)
        first.close()
        clock.set(STAGE_2_AT - 3600)
        monkeypatch.setattr(cli, "SystemClock", lambda: clock)
        capsys.readouterr()
        code = cli.main(["--sessions", str(sessions), "next", store.path.name, *next_args])
        out, err = capsys.readouterr()
        assert code == 0, err
        clock.set(STAGE_2_AT)
        live = LiveSession(SessionStore.open(sessions, out.strip()), clock=clock)
        opened.append(live)
        return live

    yield open_
    for live in opened:
        if live.journal is not None:
            live.journal.close()


def on_disk(live: LiveSession):
    """What a fresh read of the session folder sees."""
    info = live.store.info()
    return state_of(info, live.store.read_events().events)


def slide(screen: PresentationScreen) -> tuple[str, str]:
    """The section and the text the presentation shows now."""
    section = screen.query_one("#slide-section").content.renderable.plain
    text = screen.query_one("#slide-text").content.renderable.plain
    return section, text


def count(screen: PresentationScreen) -> str:
    return screen.query_one("#slide-count").content.renderable.plain


def options(panel: TickList) -> list[str]:
    return [str(panel.get_option_at_index(i).prompt) for i in range(panel.option_count)]


async def _recap_up(pilot) -> None:
    """The recap is pushed once the live view has drawn its first frame."""
    for _ in range(5):
        await pilot.pause()
        if isinstance(pilot.app.screen, RecapScreen):
            return


async def test_a_fresh_stage_2_opens_with_the_recap(stage_2) -> None:
    live = stage_2("--newcomer", NEWCOMER)
    assert live.started_now and live.info.stage == 2
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await _recap_up(pilot)
        recap = app.screen
        assert isinstance(recap, RecapScreen)
        assert recap.recap["stage"] == 1 and recap.recap["title"] == "Samling 1"
        source = recap.query_one("#recap-text").source
        assert source.startswith("# Recap of stage 1: Samling 1\n")
        for text in (SUMMARY_1, SUMMARY_2, THEME_1, QUOTE_1, FOLLOW_UP_1, FOLLOW_UP_2):
            assert text in source
        assert "Talk balance at that stage (for the moderator only)" in source
        assert app.focused is None  # keys first: the note line waits for n
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)
        assert live.state.phase.title == "Introduksjon og oppsummering fra forrige samling"
        await pilot.press("R")
        assert isinstance(app.screen, RecapScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)


async def test_a_resumed_stage_2_opens_on_the_live_view(stage_2) -> None:
    live = stage_2("--newcomer", NEWCOMER)
    live.close()
    again = LiveSession(live.store, clock=live.clock)
    assert not again.started_now
    try:
        app = make_app(again)
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(3):
                await pilot.pause()
            assert isinstance(app.screen, LiveScreen)
            await pilot.press("R")  # still there when asked for
            assert isinstance(app.screen, RecapScreen)
    finally:
        again.close()


async def test_presentation_steps_through_every_point(stage_2) -> None:
    live = stage_2("--newcomer", NEWCOMER)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await _recap_up(pilot)
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, PresentationScreen)
        assert screen.slides == SLIDES
        seen = [slide(screen)]
        assert count(screen) == f"1 / {len(SLIDES)}"
        for _ in range(len(SLIDES) - 1):
            await pilot.press("right")
            seen.append(slide(screen))
        assert seen == SLIDES
        assert count(screen) == f"{len(SLIDES)} / {len(SLIDES)}"
        await pilot.press("right")  # the last stays
        assert slide(screen) == SLIDES[-1]
        await pilot.press("left", "left")
        assert slide(screen) == SLIDES[-3]
        await pilot.press("space")
        assert slide(screen) == SLIDES[-2]
        for _ in range(len(SLIDES)):
            await pilot.press("left")
        assert slide(screen) == SLIDES[0]  # the first stays
        assert "Informant" not in "".join(text for _s, text in screen.slides)  # anonymous
        await pilot.press("escape")
        assert isinstance(app.screen, RecapScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)


async def test_n_in_the_recap_saves_a_note_of_the_time_in_between(stage_2) -> None:
    live = stage_2("--newcomer", NEWCOMER)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await _recap_up(pilot)
        await pilot.press("n")
        assert app.focused is app.screen.query_one("#recap-input")
        await pilot.press(*"Ny leder på boligkontoret, p og n er bare bokstaver her")
        assert isinstance(app.screen, RecapScreen)  # p and n went into the line
        await pilot.press("enter")
        await pilot.pause()
        notes = [n for n in on_disk(live).live_notes() if "between" in n.tags]
        assert [(n.text, n.tags) for n in notes] == [
            ("Ny leder på boligkontoret, p og n er bare bokstaver her", ("between",))
        ]
        assert notes[0].phase == "introduksjon-2" and notes[0].question == "intro-oppsummering"
        assert app.screen.query_one("#recap-input").value == ""
        await pilot.press("enter")  # an empty line saves nothing
        assert len(on_disk(live).live_notes()) == 1
        await pilot.press("escape")  # leaves the line first
        assert isinstance(app.screen, RecapScreen) and app.focused is None
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)


async def test_f_ticks_a_carried_follow_up_as_taken_up(stage_2) -> None:
    live = stage_2("--newcomer", NEWCOMER)
    first, second = live.info.carried
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await _recap_up(pilot)
        await pilot.press("escape")
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        panel = screen.query_one("#follow-ups", TickList)
        assert panel.display and screen.query_one("#follow-ups-title").display
        assert options(panel) == [
            f"[ ] {FOLLOW_UP_1} (stage 1, Informant 5)",
            f"[ ] {FOLLOW_UP_2} (stage 1, Informant 1)",
        ]
        await pilot.press("f")
        assert app.focused is panel and panel.highlighted == 0
        await pilot.press("space")
        await pilot.pause()
        assert on_disk(live).taken_up == {first.id: True}
        assert options(panel)[0].startswith(f"[x] {FOLLOW_UP_1}")
        await pilot.press("down", "enter")
        await pilot.pause()
        assert on_disk(live).taken_up == {first.id: True, second.id: True}
        await pilot.press("up", "space")  # untick
        await pilot.pause()
        assert on_disk(live).taken_up == {first.id: False, second.id: True}
        await pilot.press("escape")
        assert app.focused is None
        await pilot.press("1")  # the keys are the live view's again
        assert live.state.talk.current_speaker == "P1"


async def test_the_stage_2_checklist_names_the_newcomer(stage_2) -> None:
    live = stage_2("--newcomer", NEWCOMER)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await _recap_up(pilot)
        await pilot.press("escape")
        prompts = options(app.screen.query_one("#checklist", TickList))
        assert len(prompts) == 5  # the recording consent: one line until c gives it the keys
        for prompt in prompts[:3]:
            assert prompt.startswith("[ ] Nye deltakere:")
            assert prompt.endswith(" (for Informant 6)")
        assert prompts[3].startswith("[ ] Kort påminnelse:")
        assert prompts[3].endswith(" (returning participants)")
        assert prompts[4] == (
            "[ ] Alle samtykker til lydopptak av samtalen (0 of 6 present have consented)"
        )


async def test_without_newcomers_the_checklist_has_only_the_reminder(stage_2) -> None:
    live = stage_2()
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await _recap_up(pilot)
        await pilot.press("escape")
        prompts = options(app.screen.query_one("#checklist", TickList))
        assert len(prompts) == 2
        assert prompts[0].startswith("[ ] Kort påminnelse:")
        assert "Nye deltakere" not in "".join(prompts) and "(for " not in "".join(prompts)


# --- snapshots ----------------------------------------------------------------------------------


async def _settle(pilot) -> None:
    await _recap_up(pilot)
    await pilot.pause()


def test_recap_80x24(snap_compare, stage_2) -> None:
    live = stage_2("--newcomer", NEWCOMER)
    assert snap_compare(make_app(live), terminal_size=(80, 24), run_before=_settle)


def test_recap_120x40(snap_compare, stage_2) -> None:
    live = stage_2("--newcomer", NEWCOMER)
    assert snap_compare(make_app(live), terminal_size=(120, 40), run_before=_settle)


def test_presentation_summary_point_120x40(snap_compare, stage_2) -> None:
    live = stage_2("--newcomer", NEWCOMER)

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("p", "right", "right")
        await pilot.pause()
        assert slide(pilot.app.screen) == SLIDES[2]

    assert snap_compare(make_app(live), terminal_size=(120, 40), run_before=run_before)


def test_stage_2_live_view_120x40(snap_compare, stage_2) -> None:
    live = stage_2("--newcomer", NEWCOMER)

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, LiveScreen)
        screen.refresh_view()
        await pilot.pause()

    assert snap_compare(make_app(live), terminal_size=(120, 40), run_before=run_before)


def test_stage_2_follow_ups_focused_120x40(snap_compare, stage_2) -> None:
    """f brings the carried follow-ups into view, the first one highlighted."""
    live = stage_2("--newcomer", NEWCOMER)

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("escape", "f")
        await pilot.pause()

    assert snap_compare(make_app(live), terminal_size=(120, 40), run_before=run_before)


async def test_after_the_follow_ups_escape_gives_every_key_back(stage_2) -> None:
    live = stage_2("--newcomer", NEWCOMER)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await _recap_up(pilot)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        assert app.screen.focused is app.screen.query_one("#follow-ups", TickList)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.focused is None
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, RecapScreen)
