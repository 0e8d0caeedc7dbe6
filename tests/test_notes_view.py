"""Notes in the views, with real key presses: the note line of the live view, the notes screen,
the reflexivity log, and the assistant's view following the moderator's process.

Every saved note is checked on disk (a fresh read of the session folder), not only on screen.
The last tests are SVG snapshots; review changed ones with ``pytest --snapshot-update`` and look
at the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from textual.widgets import Input, OptionList

from facilitator.core.clock import FakeClock
from facilitator.core.summary import build_summary
from facilitator.services.live import ASSISTANT, LiveSession
from facilitator.store.journal import StorageError
from facilitator.store.session_store import SessionStore
from facilitator.ui.app import make_app, make_assist_app
from facilitator.ui.screens.assist import AssistScreen
from facilitator.ui.screens.confirm import ConfirmScreen
from facilitator.ui.screens.live import LiveScreen
from facilitator.ui.screens.notes import NotesScreen, ReflectionScreen
from facilitator.ui.widgets.guide_panels import PhaseLine, QuestionPanel
from facilitator.ui.widgets.notes import NoteInput, RecentNotes


def on_disk(live: LiveSession, clock: FakeClock) -> LiveSession:
    """What a fresh start reads from the session folder (read-only: the view keeps writing)."""
    return LiveSession(SessionStore(live.store.path), clock=clock, read_only=True)


def shown(widget) -> str:
    return str(widget.render())


def listed(screen: NotesScreen) -> list[str]:
    """The ids of the notes the notes screen lists, top first."""
    notes = screen.query_one(OptionList)
    return [notes.get_option_at_index(i).id or "" for i in range(notes.option_count)]


@pytest.fixture
def assistant(live: LiveSession, clock: FakeClock) -> Iterator[Callable[[], LiveSession]]:
    """The assistant's session on the moderator's folder: its own store object and journal."""
    opened: list[LiveSession] = []

    def open_() -> LiveSession:
        session = LiveSession(SessionStore(live.store.path), writer=ASSISTANT, clock=clock)
        opened.append(session)
        return session

    yield open_
    for session in opened:
        if session.journal is not None:
            session.journal.close()


# --- the live view's note line --------------------------------------------------------------------


async def test_n_writes_a_note_and_enter_gives_the_keys_back(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("right")  # on to the main phase
        await pilot.press("1")  # Informant 1 has the floor
        clock.advance(42)
        assert app.focused is None
        await pilot.press("n")
        assert isinstance(app.focused, NoteInput)
        await pilot.press(*"rent eats it all #q @2")
        assert live.state.talk.current_speaker == "P1"  # the digit went into the text
        await pilot.press("enter")
        assert app.focused is None  # the keys are the moderator's again
        note_input = app.screen.query_one(NoteInput)
        assert note_input.value == ""
        await pilot.press("3")  # a speaker key again, not text
        assert live.state.talk.current_speaker == "P3"
        assert note_input.value == ""
        recent = shown(app.screen.query_one(RecentNotes))
        assert "“rent eats it all”" in recent and "#quote" in recent
        # enter on an empty line saves nothing and gives the keys back too
        await pilot.press("n", "enter")
        assert app.focused is None

    notes = on_disk(live, clock).state.live_notes()
    assert len(notes) == 1
    note = notes[0]
    assert (note.text, note.tags, note.speaker, note.author) == (
        "rent eats it all",
        ("quote",),
        "P2",
        "moderator",
    )
    assert (note.phase, note.question, note.t_s) == ("dagens-situasjon", "ds-moter", 42.0)


async def test_escape_leaves_the_note_line_without_saving(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    before = len(live.store.read_events().events)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", *"half a tho")
        await pilot.press("escape")
        assert app.focused is None
        assert live.state.notes == {}
        await pilot.press("2")
        assert live.state.talk.current_speaker == "P2"
        assert "2" not in app.screen.query_one(NoteInput).value
    events = live.store.read_events().events
    assert [e.kind for e in events[before:]] == ["speaker"]  # no note
    assert on_disk(live, clock).state.notes == {}


# --- the notes screen -----------------------------------------------------------------------------


def some_notes(live: LiveSession, clock: FakeClock) -> dict[str, str]:
    """Five notes over two questions, from two speakers, with tags."""
    ids: dict[str, str] = {}
    live.next_phase()
    live.speak("P1")
    clock.advance(30)
    ids["quote1"] = live.add_note("the rent eats everything #q").id
    ids["theme"] = live.add_note("trust in NAV #t").id
    live.next_question()
    live.speak("P2")
    clock.advance(40)
    ids["quote2"] = live.add_note("nobody calls back #q #f").id
    ids["obs"] = live.add_note("long silence #o @3").id
    clock.advance(20)
    ids["plain"] = live.add_note("ask about the forms").id
    return ids


async def test_the_notes_screen_filters_edits_and_deletes(
    live: LiveSession, clock: FakeClock
) -> None:
    ids = some_notes(live, clock)
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        screen = app.screen
        assert isinstance(screen, NotesScreen)
        newest_first = [ids[k] for k in ("plain", "obs", "quote2", "theme", "quote1")]
        assert listed(screen) == newest_first
        assert "5 of 5" in shown(screen.query_one("#notes-title"))

        # / filter: a tag narrows the list; words search; @ narrows by speaker
        await pilot.press("slash")
        assert app.focused is screen.query_one("#notes-filter", Input)
        await pilot.press(*"#quote")
        assert listed(screen) == [ids["quote2"], ids["quote1"]]
        assert "2 of 5" in shown(screen.query_one("#notes-title"))
        await pilot.press(*" calls")
        assert listed(screen) == [ids["quote2"]]
        screen.query_one("#notes-filter", Input).value = "@3"
        await pilot.pause()
        assert listed(screen) == [ids["obs"]]
        screen.query_one("#notes-filter", Input).value = ""
        await pilot.pause()
        await pilot.press("enter")  # back to the list
        assert app.focused is screen.query_one(OptionList)

        # c: only the current question (the second of the main phase)
        await pilot.press("c")
        assert listed(screen) == [ids["plain"], ids["obs"], ids["quote2"]]
        assert "this question only" in shown(screen.query_one("#notes-title"))
        await pilot.press("c")
        assert len(listed(screen)) == 5

        # e: edit the highlighted note (the newest); the old text is kept
        await pilot.press("e")
        field = screen.query_one("#notes-edit", Input)
        assert app.focused is field
        assert field.value == "@2 ask about the forms"  # speaker and tags shown to edit
        await pilot.press("end", *" again #f", "enter")
        assert app.focused is screen.query_one(OptionList)
        note = live.state.notes[ids["plain"]]
        assert (note.text, note.tags, note.speaker) == (
            "ask about the forms again",
            ("follow-up",),
            "P2",
        )
        assert note.history[0]["text"] == "ask about the forms"
        assert "(edited)" in str(screen.query_one(OptionList).get_option_at_index(0).prompt)

        # d: delete, after a yes
        await pilot.press("down")  # the long silence
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no: nothing happens
        assert not live.state.notes[ids["obs"]].deleted
        await pilot.press("d")
        await pilot.press("y")
        assert app.screen is screen
        assert live.state.notes[ids["obs"]].deleted
        assert ids["obs"] not in listed(screen)
        assert "4 of 4" in shown(screen.query_one("#notes-title"))

        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)

    state = on_disk(live, clock).state
    assert state.notes[ids["plain"]].history[0]["text"] == "ask about the forms"
    assert state.notes[ids["obs"]].deleted
    assert state.notes[ids["obs"]].text == "long silence"  # the deleted text is kept
    kinds = [e.kind for e in live.store.read_events().events]
    assert kinds.count("note_edit") == 1 and kinds.count("note_delete") == 1
    summary = build_summary(live.info, state, clock.now())
    assert [n["id"] for n in summary["notes"]] == [
        ids[k] for k in ("quote1", "theme", "quote2", "plain")
    ]
    assert [n["edited"] for n in summary["notes"]] == [False, False, False, True]


async def test_w_writes_a_private_reflection(live: LiveSession, clock: FakeClock) -> None:
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        clock.advance(75)
        await pilot.press("w")
        assert isinstance(app.screen, ReflectionScreen)
        await pilot.press(*"I pushed them towards NAV", "enter")
        assert [r.text for r in live.state.reflections] == ["I pushed them towards NAV"]
        assert "I pushed them towards NAV" in shown(app.screen.query_one("#reflection-earlier"))
        assert app.screen.query_one("#reflection-input", Input).value == ""
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)
        assert "Notes (0)" in shown(app.screen.query_one(RecentNotes))  # not a group note
    state = on_disk(live, clock).state
    assert [(r.text, r.t_s) for r in state.reflections] == [("I pushed them towards NAV", 75.0)]
    assert state.notes == {}
    summary = build_summary(live.info, state, clock.now())
    assert summary["notes"] == [] and "reflections" not in summary


# --- the assistant's view -------------------------------------------------------------------------


async def test_the_assistants_note_line_is_always_ready(
    live: LiveSession, assistant: Callable[[], LiveSession], clock: FakeClock
) -> None:
    helper = assistant()
    live.speak("P1")
    app = make_assist_app(helper)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, AssistScreen)
        assert isinstance(app.focused, NoteInput)  # ready at once
        clock.advance(12)
        await pilot.press(*"they nod #o", "enter")
        assert isinstance(app.focused, NoteInput)  # and still ready after a note
        assert app.focused.value == ""
        await pilot.press(*"second one @3", "enter")
        assert isinstance(app.focused, NoteInput)
        notes = helper.state.live_notes()
        assert [(n.text, n.speaker, n.author) for n in notes] == [
            ("they nod", "P1", "assistant"),
            ("second one", "P3", "assistant"),
        ]
        # escape gives the speaker keys; enter (or n) goes back to the note line
        await pilot.press("escape")
        assert app.focused is None
        await pilot.press("2")
        assert helper.state.talk.current_speaker == "P2"
        await pilot.press("enter")
        assert isinstance(app.focused, NoteInput)
        await pilot.press("escape", "n")
        assert isinstance(app.focused, NoteInput)
        assert app.focused.value == ""
        # the moderator's keys are not the assistant's
        await pilot.press("escape", "right", "pagedown", "p", "q")
        assert helper.state.phase_id == "introduksjon"
        assert not helper.state.paused and not helper.state.ended
        assert app.screen is screen

    # the moderator's process sees the assistant's notes and speaker change
    assert live.poll()
    assert [n.author for n in live.state.live_notes()] == ["assistant", "assistant"]
    assert live.state.talk.current_speaker == "P2"
    state = on_disk(live, clock).state
    assert [(n.text, n.t_s) for n in state.live_notes()] == [
        ("they nod", 12.0),
        ("second one", 12.0),
    ]


async def test_a_failed_save_keeps_the_typed_note(
    live: LiveSession, assistant: Callable[[], LiveSession], clock: FakeClock
) -> None:
    """Even when the save's own poll takes in a note of the other process."""
    helper = assistant()
    app = make_assist_app(helper)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"the one quote that matters #q")
        assert helper.journal is not None
        append = helper.journal.append

        def disk_full(*args, **kwargs):
            raise StorageError("No space left on device")

        poll = helper.poll

        def moderator_writes_then_poll() -> bool:
            live.add_note("the moderator's note, just before")
            helper.poll = poll  # type: ignore[method-assign]
            return poll()

        helper.journal.append = disk_full  # type: ignore[method-assign]
        helper.poll = moderator_writes_then_poll  # type: ignore[method-assign]
        await pilot.press("enter")
        note_input = app.screen.query_one(NoteInput)
        assert note_input.value == "the one quote that matters #q"  # not lost
        assert [n.text for n in helper.state.live_notes()] == ["the moderator's note, just before"]
        assert "NOT SAVED" in shown(app.screen.query_one("#banner"))
        # the disk works again: enter saves it, and the line is cleared
        helper.journal.append = append  # type: ignore[method-assign]
        clock.advance(3)
        await pilot.press("enter")
        assert note_input.value == ""
        assert [n.text for n in helper.state.live_notes()][-1] == "the one quote that matters"
    texts = [n.text for n in on_disk(live, clock).state.live_notes()]
    assert texts == ["the moderator's note, just before", "the one quote that matters"]


async def test_the_assistants_view_follows_the_moderator_within_a_second(
    live: LiveSession, assistant: Callable[[], LiveSession], clock: FakeClock
) -> None:
    helper = assistant()
    app = make_assist_app(helper)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, AssistScreen)
        assert "Phase 1 of 3" in shown(screen.query_one(PhaseLine))
        # the moderator's process (another object, its own journal) moves on
        live.next_phase()
        live.next_question()
        live.speak("P4")
        clock.advance(5)
        await pilot.pause(0.7)  # the view polls twice a second, on its own
        assert helper.state.phase_id == "dagens-situasjon"
        assert helper.state.question_id == "ds-samarbeid"
        assert "Phase 2 of 3" in shown(screen.query_one(PhaseLine))
        assert "Question 2 of 2" in shown(screen.query_one(QuestionPanel))
        assert "▶ Informant 4" in shown(screen.query_one("#board"))
        assert isinstance(app.focused, NoteInput)  # a poll does not take the note line away
        await pilot.press(*"the forms again #f", "enter")
        note = helper.state.live_notes()[-1]
        assert (note.phase, note.question, note.speaker) == (
            "dagens-situasjon",
            "ds-samarbeid",
            "P4",
        )
        # a break shows as the moderator's
        live.toggle_pause()
        screen.tick()
        await pilot.pause()
        assert "the moderator has paused" in shown(screen.query_one("#banner"))


# --- snapshots ------------------------------------------------------------------------------------


def assist_session(live: LiveSession, helper: LiveSession, clock: FakeClock) -> None:
    """About six minutes in: the moderator moved and keyed speakers, both wrote notes."""
    live.speak("moderator")
    clock.advance(95)
    live.next_phase()
    live.speak("P1")
    clock.advance(70)
    helper.add_note("the rent eats everything #q")
    live.speak("P2")
    clock.advance(45)
    helper.add_note("trust in NAV is low, they say twice #t #f")
    live.add_note("check the waiting list numbers #f")
    live.next_question()
    helper.speak("P3")
    clock.advance(80)
    helper.add_note("long silence after the question @0 #o")
    helper.add_note("we never hear back from the housing office #q")
    clock.advance(38)
    live.poll()
    helper.poll()


async def _settle(pilot) -> None:
    await pilot.pause()
    screen = pilot.app.screen
    if isinstance(screen, LiveScreen):
        screen.refresh_view()
    await pilot.pause()


def _assist_snapshot(snap_compare, live, assistant, clock, size: tuple[int, int]) -> bool:
    helper = assistant()
    assist_session(live, helper, clock)

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press(*"she means the deposit")
        await pilot.pause()

    return snap_compare(make_assist_app(helper), terminal_size=size, run_before=run_before)


def test_assist_view_80x24(snap_compare, live, assistant, clock: FakeClock) -> None:
    assert _assist_snapshot(snap_compare, live, assistant, clock, (80, 24))


def test_assist_view_120x40(snap_compare, live, assistant, clock: FakeClock) -> None:
    assert _assist_snapshot(snap_compare, live, assistant, clock, (120, 40))


def test_notes_screen_80x24(snap_compare, live, assistant, clock: FakeClock) -> None:
    helper = assistant()
    assist_session(live, helper, clock)
    helper.edit_note(helper.state.live_notes()[0].id, "the rent eats everything, twice #q")

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("l")
        await pilot.pause()

    assert snap_compare(make_app(live), terminal_size=(80, 24), run_before=run_before)
