"""The member check at the close: the read-back drafted from the notes tagged summary point,
reordered, edited and skipped before reading, each point marked confirmed, nuanced (with the
nuance) or refuted as it is read; and the end-of-session screen that writes the exports.

The core is checked on real session folders driven by a fake clock, the screens with real key
presses; every mark is checked on disk (a fresh read of the session folder), not only on
screen. The last tests are SVG snapshots; review changed ones with ``pytest --snapshot-update``
and look at the SVGs before committing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rich.text import Text
from textual.widgets import Input, OptionList

from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.core.study import build_recap
from facilitator.core.summary import build_summary
from facilitator.exports import FORMATS
from facilitator.exports.markdown import render_markdown
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from facilitator.ui.app import make_app
from facilitator.ui.screens.live import LiveScreen
from facilitator.ui.screens.member_check import MemberCheckScreen, ReadBackScreen
from facilitator.ui.screens.summary import SummaryScreen
from tests.conftest import GUIDES, PARTICIPANTS

SIZE = (120, 40)

Q_INTRO = "intro-tema"
Q_MEET = "ds-moter"
Q_COLLAB = "ds-samarbeid"

S_INTRO = "Everyone meets the families through the housing office first"
S_MEET_1 = "Meetings are mostly about rent arrears, rarely about what the family wants"
T_MEET = "Trust takes time to build"
QUOTE = "We only call when something has gone wrong"
OTHER = "A phone rang; the group laughed"
S_COLLAB = "Collaboration depends on individual caseworkers, not on routines"
T_COLLAB = "The families are seldom asked"
S_MEET_2 = "Written letters are hard to understand for many families"


def play(live: LiveSession, clock: FakeClock) -> dict[str, str]:
    """A scripted stage 1 with notes under three questions; the last summary point is written
    after going back to an earlier question. Returns the note ids by their text."""
    ids: dict[str, str] = {}

    def note(raw: str, text: str) -> None:
        event = live.add_note(raw)
        assert event is not None
        ids[text] = event.id
        clock.advance(30)

    clock.advance(60)
    note(f"{S_INTRO} #s", S_INTRO)  # intro-tema
    live.next_question()  # ds-moter
    clock.advance(120)
    note(f"{S_MEET_1} #s", S_MEET_1)
    note(f"{T_MEET} #t", T_MEET)
    note(f"@2 {QUOTE} #q", QUOTE)
    note(f"{OTHER} #o", OTHER)
    live.next_question()  # ds-samarbeid
    clock.advance(90)
    note(f"#s {S_COLLAB}", S_COLLAB)
    note(f"{T_COLLAB} #t", T_COLLAB)
    live.previous_question()  # back to ds-moter
    clock.advance(40)
    note(f"{S_MEET_2} #summary", S_MEET_2)
    live.next_phase()  # the closing
    clock.advance(30)
    return ids


def reopen(live: LiveSession, clock: FakeClock) -> LiveSession:
    """What a fresh start reads from the session folder (read-only: the view keeps writing)."""
    return LiveSession(SessionStore(live.store.path), clock=clock, read_only=True)


def texts(live: LiveSession) -> list[str]:
    return [n.text for n in live.state.check_points()]


def question_text(live: LiveSession, question_id: str) -> str:
    return next(q.text for p in live.guide.phases for q in p.questions if q.id == question_id)


def keys(typed: str) -> list[str]:
    return ["space" if ch == " " else ch for ch in typed]


# --- the core ---------------------------------------------------------------------------------


def test_the_draft_is_the_summary_points_grouped_by_question_in_guide_order(
    live: LiveSession, clock: FakeClock
) -> None:
    play(live, clock)
    # S_MEET_2 was written last, yet is read under its question, before S_COLLAB
    assert texts(live) == [S_INTRO, S_MEET_1, S_MEET_2, S_COLLAB]
    assert [n.question for n in live.state.check_points()] == [Q_INTRO, Q_MEET, Q_MEET, Q_COLLAB]
    assert live.state.check.include == ()
    assert live.state.check.marks == {}


def test_themes_and_quotes_join_the_draft_at_the_moderators_choice(
    live: LiveSession, clock: FakeClock
) -> None:
    play(live, clock)
    live.check_include(["theme"])
    assert texts(live) == [S_INTRO, S_MEET_1, T_MEET, S_MEET_2, S_COLLAB, T_COLLAB]
    live.check_include(["quote", "theme"])
    assert live.state.check.include == ("theme", "quote")
    assert texts(live) == [S_INTRO, S_MEET_1, T_MEET, QUOTE, S_MEET_2, S_COLLAB, T_COLLAB]
    live.check_include(["quote"])
    assert texts(live) == [S_INTRO, S_MEET_1, QUOTE, S_MEET_2, S_COLLAB]
    live.check_include([])
    assert texts(live) == [S_INTRO, S_MEET_1, S_MEET_2, S_COLLAB]
    assert OTHER not in texts(live)  # an observation is never read back


def test_an_order_event_reorders_the_read_back(live: LiveSession, clock: FakeClock) -> None:
    ids = play(live, clock)
    assert live.check_order([ids[S_INTRO], ids[S_MEET_1], ids[S_MEET_2], ids[S_COLLAB]]) is None
    wanted = [ids[S_COLLAB], ids[S_INTRO], ids[S_MEET_2], ids[S_MEET_1]]
    assert live.check_order(wanted) is not None
    assert texts(live) == [S_COLLAB, S_INTRO, S_MEET_2, S_MEET_1]
    assert live.check_order(wanted) is None  # the same order again: nothing recorded
    assert texts(reopen(live, clock)) == [S_COLLAB, S_INTRO, S_MEET_2, S_MEET_1]


def test_a_skipped_point_stays_in_the_draft_marked_skipped(
    live: LiveSession, clock: FakeClock
) -> None:
    ids = play(live, clock)
    assert live.check_skip(ids[S_MEET_1], True) is not None
    assert live.check_skip(ids[S_MEET_1], True) is None  # skipped already
    assert live.state.check.skipped == {ids[S_MEET_1]}
    assert texts(live) == [S_INTRO, S_MEET_1, S_MEET_2, S_COLLAB]
    live.check_skip(ids[S_COLLAB], True)
    live.check_skip(ids[S_COLLAB], False)  # changed the moderator's mind
    assert reopen(live, clock).state.check.skipped == {ids[S_MEET_1]}


def test_marks_with_a_nuance_and_a_mark_taken_back(live: LiveSession, clock: FakeClock) -> None:
    ids = play(live, clock)
    live.check_mark(ids[S_INTRO], "confirmed")
    live.check_mark(ids[S_MEET_1], "nuanced", "bare delvis")
    live.check_mark(ids[S_MEET_2], "refuted")
    live.check_mark(ids[S_COLLAB], "confirmed")
    live.check_mark(ids[S_COLLAB], None)  # taken back
    live.check_mark(ids[S_INTRO], "nuanced", "only in the city")  # a new verdict replaces one
    live.check_mark(ids[S_MEET_2], "unsure")  # not an outcome: ignored
    expected = {
        ids[S_INTRO]: ("nuanced", "only in the city"),
        ids[S_MEET_1]: ("nuanced", "bare delvis"),
        ids[S_MEET_2]: ("refuted", ""),
    }
    assert live.state.check.marks == expected
    kinds = [e.kind for e in live.store.read_events().events]
    assert kinds.count("check_mark") == 7  # every mark is in the record, the taken-back too
    # a fresh process reads the same verdicts from the folder
    assert reopen(live, clock).state.check.marks == expected
    live.journal.close()
    live.journal = None
    again = LiveSession(SessionStore(live.store.path), clock=clock)
    try:
        assert again.state.check.marks == expected
        assert [n.text for n in again.state.check_points()] == texts(live)
    finally:
        again.journal.close()


def _checked_session(live: LiveSession, clock: FakeClock) -> dict[str, str]:
    """The scripted session read back with themes, one point skipped, three marked."""
    ids = play(live, clock)
    live.check_include(["theme"])
    live.check_skip(ids[T_MEET], True)
    live.check_mark(ids[S_INTRO], "confirmed")
    live.check_mark(ids[S_MEET_1], "nuanced", "bare delvis")
    live.check_mark(ids[S_COLLAB], "refuted")
    clock.advance(60)
    live.end()
    return ids


def test_the_summary_lists_the_read_back_with_its_verdicts(
    live: LiveSession, clock: FakeClock
) -> None:
    ids = _checked_session(live, clock)
    meet, collab = question_text(live, Q_MEET), question_text(live, Q_COLLAB)
    intro = question_text(live, Q_INTRO)

    def point(text: str, tags: list[str], question: str, q_text: str, **rest) -> dict:
        return {
            "note": ids[text],
            "text": text,
            "tags": tags,
            "question": question,
            "question_text": q_text,
            "skipped": False,
            "outcome": None,
            "nuance": None,
            **rest,
        }

    expected = [
        point(S_INTRO, ["summary"], Q_INTRO, intro, outcome="confirmed"),
        point(S_MEET_1, ["summary"], Q_MEET, meet, outcome="nuanced", nuance="bare delvis"),
        point(T_MEET, ["theme"], Q_MEET, meet, skipped=True),
        point(S_MEET_2, ["summary"], Q_MEET, meet),
        point(S_COLLAB, ["summary"], Q_COLLAB, collab, outcome="refuted"),
        point(T_COLLAB, ["theme"], Q_COLLAB, collab),
    ]
    summary = build_summary(live.info, live.state, clock.now())
    assert summary["member_check"] == expected
    on_disk = reopen(live, clock)
    assert build_summary(on_disk.info, on_disk.state, clock.now())["member_check"] == expected


def test_the_markdown_summary_has_a_member_check_section(
    live: LiveSession, clock: FakeClock
) -> None:
    _checked_session(live, clock)
    markdown = render_markdown(build_summary(live.info, live.state, clock.now()))
    lines = markdown.splitlines()
    start = lines.index("## Member check")
    section = lines[start : start + 8]
    assert section == [
        "## Member check",
        "",
        f"- {S_INTRO} — **confirmed**",
        f"- {S_MEET_1} — **nuanced**: bare delvis",
        f"- {T_MEET} — **skipped**",
        f"- {S_MEET_2} — **not checked**",
        f"- {S_COLLAB} — **refuted**",
        f"- {T_COLLAB} — **not checked**",
    ]
    assert start + 8 == len(lines) or not lines[start + 8].startswith("- ")


def test_the_next_stage_recap_shows_the_verdicts(
    live: LiveSession, clock: FakeClock, tmp_path: Path
) -> None:
    ids = _checked_session(live, clock)
    clock.advance(60 * 24 * 3600)
    stage_2 = SessionStore.create(
        tmp_path / "sessions",
        load_guide(GUIDES / "seed-en.toml"),
        title="Stage 2",
        participants=PARTICIPANTS,
        now=clock.now(),
        study="u-turn",
        stage=2,
        guide_path="guides/seed-en.toml",
        previous=live.info.id,
    )
    second = LiveSession(stage_2, clock=clock, read_only=True)
    before = second.previous_stage()
    assert before is not None and before[0].id == live.info.id
    recap = build_recap(*before, clock.now())
    meet = question_text(live, Q_MEET)
    assert [
        (p["id"], p["text"], p["question"], p["outcome"], p["nuance"])
        for p in recap["summary_points"]
    ] == [
        (ids[S_INTRO], S_INTRO, question_text(live, Q_INTRO), "confirmed", None),
        (ids[S_MEET_1], S_MEET_1, meet, "nuanced", "bare delvis"),
        (ids[S_COLLAB], S_COLLAB, question_text(live, Q_COLLAB), "refuted", None),
        (ids[S_MEET_2], S_MEET_2, meet, None, None),
    ]


def test_an_edited_point_is_read_back_with_its_new_text(
    live: LiveSession, clock: FakeClock
) -> None:
    ids = play(live, clock)
    live.check_mark(ids[S_MEET_1], "confirmed")
    assert live.edit_note(ids[S_MEET_1], "Meetings are about rent arrears #s") is not None
    assert texts(live) == [S_INTRO, "Meetings are about rent arrears", S_MEET_2, S_COLLAB]
    note = live.state.notes[ids[S_MEET_1]]
    assert [h["text"] for h in note.history] == [S_MEET_1]  # the first wording is kept
    assert live.state.check.marks[ids[S_MEET_1]] == ("confirmed", "")  # the mark stays
    summary = build_summary(live.info, live.state, clock.now())
    assert summary["member_check"][1]["text"] == "Meetings are about rent arrears"
    assert summary["member_check"][1]["outcome"] == "confirmed"
    assert texts(reopen(live, clock))[1] == "Meetings are about rent arrears"


# --- on screen ---------------------------------------------------------------------------------


def rows(screen: MemberCheckScreen) -> list[tuple[str, bool]]:
    """What the read-back list shows, top first: (text, is a question heading)."""
    listing = screen.query_one("#check-points", OptionList)
    options = [listing.get_option_at_index(i) for i in range(listing.option_count)]
    return [(str(o.prompt), o.disabled) for o in options]


def highlighted(screen: MemberCheckScreen) -> str | None:
    note = screen.current()
    return None if note is None else note.text


def prompt_of(screen: MemberCheckScreen, note_id: str) -> Text:
    listing = screen.query_one("#check-points", OptionList)
    prompt = listing.get_option(note_id).prompt
    assert isinstance(prompt, Text)
    return prompt


def title(screen: MemberCheckScreen) -> str:
    return str(screen.query_one("#check-title").render())


def slide_text(screen: ReadBackScreen, part: str) -> str:
    """The plain text of one part of the slide (each is a centred Rich ``Text``)."""
    return screen.query_one(f"#read-{part}").content.renderable.plain


def big_text(screen: ReadBackScreen) -> str:
    return slide_text(screen, "text")


def verdict(screen: ReadBackScreen) -> str:
    return slide_text(screen, "verdict")


async def test_m_opens_the_read_back_under_question_headings(
    live: LiveSession, clock: FakeClock
) -> None:
    play(live, clock)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        screen = app.screen
        assert isinstance(screen, MemberCheckScreen)
        assert rows(screen) == [
            (question_text(live, Q_INTRO), True),
            (f"  ○ {S_INTRO}", False),
            (question_text(live, Q_MEET), True),
            (f"  ○ {S_MEET_1}", False),
            (f"  ○ {S_MEET_2}", False),
            (question_text(live, Q_COLLAB), True),
            (f"  ○ {S_COLLAB}", False),
        ]
        assert highlighted(screen) == S_INTRO  # the first point, not its heading
        assert "4 points, 0 marked, 0 skipped" in title(screen)
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)


async def test_marking_skipping_and_reordering_with_keys(
    live: LiveSession, clock: FakeClock
) -> None:
    ids = play(live, clock)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        screen = app.screen
        assert isinstance(screen, MemberCheckScreen)
        await pilot.press("c")  # confirmed, and on to the next point (over the heading)
        assert live.state.check.marks == {ids[S_INTRO]: ("confirmed", "")}
        assert highlighted(screen) == S_MEET_1
        assert str(prompt_of(screen, ids[S_INTRO])) == f"  ✓ {S_INTRO}  confirmed"

        await pilot.press("n")
        field = screen.query_one("#check-input", Input)
        assert field.display and field.has_focus
        await pilot.press(*keys("bare delvis"))  # c and r are typed, not taken as marks
        assert live.state.check.marks == {ids[S_INTRO]: ("confirmed", "")}
        await pilot.press("enter")
        assert live.state.check.marks[ids[S_MEET_1]] == ("nuanced", "bare delvis")
        assert not field.display
        assert highlighted(screen) == S_MEET_2
        prompt = str(prompt_of(screen, ids[S_MEET_1]))
        assert prompt == f"  ~ {S_MEET_1}  nuanced: bare delvis"

        await pilot.press("r")
        assert live.state.check.marks[ids[S_MEET_2]] == ("refuted", "")
        assert highlighted(screen) == S_COLLAB
        await pilot.press("up")  # back to the refuted point
        assert highlighted(screen) == S_MEET_2
        await pilot.press("u")  # taken back; the highlight stays
        assert ids[S_MEET_2] not in live.state.check.marks
        assert highlighted(screen) == S_MEET_2
        assert str(prompt_of(screen, ids[S_MEET_2])) == f"  ○ {S_MEET_2}"

        await pilot.press("down")
        assert highlighted(screen) == S_COLLAB
        await pilot.press("s")
        assert live.state.check.skipped == {ids[S_COLLAB]}
        prompt = prompt_of(screen, ids[S_COLLAB])
        assert str(prompt) == f"  ○ {S_COLLAB}  (skipped)"
        struck = [s for s in prompt.spans if "strike" in str(s.style)]
        assert [str(prompt)[s.start : s.end] for s in struck] == [S_COLLAB]
        assert "4 points, 2 marked, 1 skipped" in title(screen)

        await pilot.press("up")  # S_MEET_2
        await pilot.press("K")  # read it before S_MEET_1
        assert texts(live) == [S_INTRO, S_MEET_2, S_MEET_1, S_COLLAB]
        assert highlighted(screen) == S_MEET_2  # the highlight follows the point
        await pilot.press("K")  # and before the first point of all
        assert texts(live) == [S_MEET_2, S_INTRO, S_MEET_1, S_COLLAB]
        await pilot.press("K")  # the top already: nothing recorded
        await pilot.press("J")
        assert texts(live) == [S_INTRO, S_MEET_2, S_MEET_1, S_COLLAB]
        assert [text for text, heading in rows(screen) if heading] == [
            question_text(live, Q_INTRO),
            question_text(live, Q_MEET),
            question_text(live, Q_COLLAB),
        ]
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)
    kinds = [e.kind for e in live.store.read_events().events]
    assert kinds.count("check_order") == 3
    on_disk = reopen(live, clock)
    assert [n.text for n in on_disk.state.check_points()] == [S_INTRO, S_MEET_2, S_MEET_1, S_COLLAB]
    assert on_disk.state.check.marks == {
        ids[S_INTRO]: ("confirmed", ""),
        ids[S_MEET_1]: ("nuanced", "bare delvis"),
    }
    assert on_disk.state.check.skipped == {ids[S_COLLAB]}


async def test_e_edits_a_point_and_keeps_the_first_wording(
    live: LiveSession, clock: FakeClock
) -> None:
    ids = play(live, clock)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m", "down")
        screen = app.screen
        assert highlighted(screen) == S_MEET_1
        await pilot.press("e")
        field = screen.query_one("#check-input", Input)
        assert field.has_focus and field.value == S_MEET_1
        await pilot.press("end", *keys(" in most offices"))
        await pilot.press("enter")
        edited = f"{S_MEET_1} in most offices"
        note = live.state.notes[ids[S_MEET_1]]
        assert note.text == edited
        assert note.tags == ("summary",)  # still a summary point: still read back
        assert [h["text"] for h in note.history] == [S_MEET_1]
        assert texts(live) == [S_INTRO, edited, S_MEET_2, S_COLLAB]
        assert str(prompt_of(screen, ids[S_MEET_1])) == f"  ○ {edited}"

        await pilot.press("e", "ctrl+u")  # escape leaves the text as it was
        await pilot.press("escape")
        assert isinstance(app.screen, MemberCheckScreen)
        assert not field.display
        assert live.state.notes[ids[S_MEET_1]].text == edited
    on_disk = reopen(live, clock).state.notes[ids[S_MEET_1]]
    assert (on_disk.text, on_disk.tags, [h["text"] for h in on_disk.history]) == (
        edited,
        ("summary",),
        [S_MEET_1],
    )


async def test_t_and_q_add_themes_and_quotes(live: LiveSession, clock: FakeClock) -> None:
    ids = play(live, clock)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m", "t")
        screen = app.screen
        assert live.state.check.include == ("theme",)
        assert str(prompt_of(screen, ids[T_MEET])) == f"  ○ {T_MEET} #theme"
        assert texts(live) == [S_INTRO, S_MEET_1, T_MEET, S_MEET_2, S_COLLAB, T_COLLAB]
        assert "with #theme" in title(screen)
        await pilot.press("q")
        assert live.state.check.include == ("theme", "quote")
        assert str(prompt_of(screen, ids[QUOTE])) == f"  ○ {QUOTE} #quote"
        await pilot.press("t")
        assert live.state.check.include == ("quote",)
        assert T_MEET not in texts(live)
    assert reopen(live, clock).state.check.include == ("quote",)


async def test_the_highlight_stays_on_its_point_when_themes_are_added(
    live: LiveSession, clock: FakeClock
) -> None:
    ids = play(live, clock)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m", "down", "down", "down")
        screen = app.screen
        assert highlighted(screen) == S_COLLAB
        await pilot.press("t")  # two themes join the list above it
        assert highlighted(screen) == S_COLLAB
        await pilot.press("c")
        assert live.state.check.marks == {ids[S_COLLAB]: ("confirmed", "")}


async def test_p_reads_one_point_at_a_time_and_marks_as_it_goes(
    live: LiveSession, clock: FakeClock
) -> None:
    ids = play(live, clock)
    live.check_skip(ids[S_INTRO], True)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m", "p")
        slide = app.screen
        assert isinstance(slide, ReadBackScreen)
        assert big_text(slide) == S_MEET_1  # the first point that is not skipped
        assert slide_text(slide, "question") == question_text(live, Q_MEET)
        assert verdict(slide).splitlines() == ["○ not read yet", "1 / 3"]
        await pilot.press("c")
        assert live.state.check.marks == {ids[S_MEET_1]: ("confirmed", "")}
        assert big_text(slide) == S_MEET_2  # on to the next
        assert verdict(slide).splitlines()[-1] == "2 / 3"
        await pilot.press("n", *keys("bare delvis"), "enter")
        assert live.state.check.marks[ids[S_MEET_2]] == ("nuanced", "bare delvis")
        assert big_text(slide) == S_COLLAB
        await pilot.press("left")
        assert big_text(slide) == S_MEET_2
        assert verdict(slide).splitlines() == ["~ nuanced: bare delvis", "2 / 3"]
        await pilot.press("right", "r")
        assert live.state.check.marks[ids[S_COLLAB]] == ("refuted", "")
        assert big_text(slide) == S_COLLAB  # the last point: it stays
        assert verdict(slide).splitlines() == ["✗ refuted", "3 / 3"]
        await pilot.press("u")
        assert ids[S_COLLAB] not in live.state.check.marks
        await pilot.press("escape")
        screen = app.screen
        assert isinstance(screen, MemberCheckScreen)
        assert str(prompt_of(screen, ids[S_MEET_1])) == f"  ✓ {S_MEET_1}  confirmed"
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)
    assert reopen(live, clock).state.check.marks == {
        ids[S_MEET_1]: ("confirmed", ""),
        ids[S_MEET_2]: ("nuanced", "bare delvis"),
    }


async def test_nothing_to_read_back_without_summary_points(live: LiveSession) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        screen = app.screen
        assert isinstance(screen, MemberCheckScreen)
        assert rows(screen) == []
        assert "No notes are tagged #summary yet" in title(screen)
        await pilot.press("c", "s", "K", "p")  # nothing to act on: no crash, nothing recorded
        assert isinstance(app.screen, MemberCheckScreen)
        assert any("Nothing to read back yet" in n.message for n in app._notifications)
    kinds = [e.kind for e in live.store.read_events().events]
    assert not [k for k in kinds if k.startswith("check_")]


# --- the end-of-session screen and its exports ------------------------------------------------


async def _end(pilot, live: LiveSession) -> SummaryScreen:
    await pilot.press("q", "y")
    await pilot.pause()
    assert live.state.ended
    screen = pilot.app.screen
    assert isinstance(screen, SummaryScreen)
    return screen


async def _written(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_end_screen_shows_the_summary_and_writes_every_export(
    live: LiveSession, clock: FakeClock
) -> None:
    ids = play(live, clock)
    live.check_mark(ids[S_MEET_1], "nuanced", "bare delvis")
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _end(pilot, live)
        shown = screen.query_one("#summary").source
        assert "## Member check" in shown and f"{S_MEET_1} — **nuanced**: bare delvis" in shown
        await pilot.press("a")
        await _written(pilot)
        folder = live.store.path / "exports"
        expected = {f"{live.info.id}.{FORMATS[name][2]}" for name in FORMATS}
        assert {p.name for p in folder.iterdir()} == expected
        assert len(expected) == 9  # md html csv vtt srt eaf qdpx TextGrid txt
        assert mode(folder) == 0o700
        assert {p.name: mode(p) for p in folder.iterdir()} == dict.fromkeys(expected, 0o600)
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Writing ") for m in messages)
        assert any(f"Saved 9 file(s) in {folder}" in m for m in messages)
        markdown = (folder / f"{live.info.id}.md").read_text(encoding="utf-8")
        assert f"- {S_MEET_1} — **nuanced**: bare delvis" in markdown

        # h alone writes the HTML report again and nothing else
        for path in folder.iterdir():
            os.utime(path, (0, 0))
        await pilot.press("h")
        await _written(pilot)
        changed = {p.name for p in folder.iterdir() if p.stat().st_mtime > 0}
        assert changed == {f"{live.info.id}.html"}
        assert mode(folder / f"{live.info.id}.html") == 0o600
        assert [n.message for n in app._notifications][-1].startswith(
            f"Saved 1 file(s) in {folder}"
        )


async def test_h_alone_writes_only_the_html(live: LiveSession, clock: FakeClock) -> None:
    play(live, clock)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await _end(pilot, live)
        await pilot.press("h")
        await _written(pilot)
    folder = live.store.path / "exports"
    assert [p.name for p in folder.iterdir()] == [f"{live.info.id}.html"]
    assert mode(folder) == 0o700


# --- snapshots -----------------------------------------------------------------------------------


def _marked(live: LiveSession, clock: FakeClock) -> None:
    """A mix for the snapshots: themes in, one skipped, one of each verdict."""
    ids = play(live, clock)
    live.check_include(["theme"])
    live.check_mark(ids[S_INTRO], "confirmed")
    live.check_mark(ids[S_MEET_1], "nuanced", "bare delvis, and only for families with children")
    live.check_skip(ids[T_MEET], True)
    live.check_mark(ids[S_COLLAB], "refuted")


def _check_screen(snap_compare, live: LiveSession, clock: FakeClock, size, *presses: str):
    _marked(live, clock)

    async def run_before(pilot) -> None:
        await pilot.pause()
        await pilot.press("m", *presses)
        await pilot.pause()

    return snap_compare(make_app(live), terminal_size=size, run_before=run_before)


def test_member_check_80x24(snap_compare, live: LiveSession, clock: FakeClock) -> None:
    assert _check_screen(snap_compare, live, clock, (80, 24), "down", "down")


def test_member_check_120x40(snap_compare, live: LiveSession, clock: FakeClock) -> None:
    assert _check_screen(snap_compare, live, clock, (120, 40), "down", "down")


def test_read_back_120x40(snap_compare, live: LiveSession, clock: FakeClock) -> None:
    assert _check_screen(snap_compare, live, clock, (120, 40), "p", "right")
