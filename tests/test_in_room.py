"""In the room (issue 13): every key does what the moderator meant, says so, and nothing wrong
reaches the group. Pilot tests with real key presses on the live view and its child screens,
checked against the session state and against what a second run reads from disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.core.talk import ALL, MODERATOR
from facilitator.core.talk_figures import talk_figures
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from facilitator.ui.app import make_app
from facilitator.ui.screens.confirm import ConfirmScreen
from facilitator.ui.screens.live import LiveScreen
from facilitator.ui.screens.roster import RosterScreen
from facilitator.ui.screens.turns import TurnsScreen
from tests.conftest import GUIDES, PARTICIPANTS

SIZE = (120, 40)


def reopen(live: LiveSession, clock: FakeClock) -> LiveSession:
    """What a second run sees: only what is on disk."""
    if live.journal is not None:
        live.journal.close()
        live.journal = None
    return LiveSession(SessionStore(live.store.path), clock=clock)


def kinds(live: LiveSession) -> list[str]:
    return [e.kind for e in live.store.read_events().events]


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


def counted(live: LiveSession) -> list[str]:
    """Who the figures count as having been in the room (the balance, the study's head count)."""
    state = live.state
    figures = talk_figures(state.talk, state.roster, state.session_s(live.now()), ALL)
    return sorted(p.id for p in figures.participants if p.id in state.talk.presence_log)


@pytest.fixture
def absent_live(tmp_path: Path, clock: FakeClock) -> LiveSession:
    """Stage 2 of a study, made with ``next ... --absent P3``."""
    store = SessionStore.create(
        tmp_path / "sessions",
        load_guide(GUIDES / "seed-en.toml"),
        title="Stage 2",
        participants=PARTICIPANTS,
        now=clock.now(),
        study="u-turn",
        stage=2,
        newcomers=[],
        absent=["P3"],
    )
    session = LiveSession(store, clock=clock)
    yield session
    if session.journal is not None:
        session.journal.close()


# --- 1. a key for someone away changes nothing, and says how to mark them here --------------


async def test_a_key_for_an_absent_participant_refuses_and_says_how(
    absent_live: LiveSession, clock: FakeClock
) -> None:
    live = absent_live
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        while not isinstance(app.screen, LiveScreen):  # stage 2 opens on the recap
            await pilot.press("escape")
        await pilot.press("1")
        clock.advance(30)
        await pilot.press("3")  # P3 is absent
        assert live.state.talk.current_speaker == "P1"
        assert "P3" not in live.state.talk.present
        assert any(
            "Informant 3 (P3) is marked away" in n and "e, then h" in n for n in notices(app)
        )
        await pilot.press("o", "3")  # nor as an overlap
        assert live.state.talk.overlaps == []
        await pilot.press("escape")
        # marked here the way the notice says: then the key works
        await pilot.press("e")
        assert isinstance(app.screen, RosterScreen)
        await pilot.press("down", "down", "h")
        assert "P3" in live.state.talk.present
        while not isinstance(app.screen, LiveScreen):
            await pilot.press("escape")
        clock.advance(10)
        await pilot.press("3")
        assert live.state.talk.current_speaker == "P3"
    assert kinds(live).count("speaker") == 2
    assert counted(reopen(live, clock)) == ["P1", "P2", "P3", "P4", "P5"]


async def test_the_turns_list_asks_before_giving_a_turn_to_someone_marked_away(
    absent_live: LiveSession, clock: FakeClock
) -> None:
    live = absent_live
    live.speak("P1")
    clock.advance(20)
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        while not isinstance(app.screen, LiveScreen):
            await pilot.press("escape")
        await pilot.press("t")
        assert isinstance(app.screen, TurnsScreen)
        await pilot.press("3")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Informant 3 was marked away during that turn" in app.screen.question
        await pilot.press("n")
        assert isinstance(app.screen, TurnsScreen)
        assert live.state.talk.turns[-1].who == "P1"
        assert "reassign" not in kinds(live)
        await pilot.press("3", "y")  # they were there after all: counted for that turn only
        assert isinstance(app.screen, LiveScreen)
        assert live.state.talk.turns[-1].who == "P3"
        assert "P3" not in live.state.talk.present
    assert kinds(live).count("reassign") == 1


def test_undo_of_a_key_that_counted_someone_present_restores_the_roster(
    absent_live: LiveSession, clock: FakeClock
) -> None:
    """A speaker event for someone away can still arrive (an older journal, another process
    keyed them while this one marked them away): undoing it leaves them away, uncounted."""
    live = absent_live
    live.speak("P1")
    clock.advance(60)
    live.record("speaker", {"who": "P3"})  # as an older version of the app wrote it
    assert "P3" in live.state.talk.present
    clock.advance(5)
    live.undo()
    state = live.state
    assert state.talk.current_speaker == "P1"
    assert "P3" not in state.talk.present
    assert "P3" not in state.talk.presence_log
    clock.advance(35)
    people = {p.id: p for p in talk_figures(state.talk, state.roster, 100.0, ALL).participants}
    assert people["P1"].talk_s == 100.0
    # the fair share is split among the four present, as if the key had never been pressed
    assert people["P2"].fair_share == pytest.approx(0.25)
    assert people["P3"].fair_share == 0.0
    again = reopen(live, clock).state
    assert "P3" not in again.talk.presence_log and "P3" not in again.talk.present


# --- 13. undo, overlap and reassign say what they did ----------------------------------------


async def test_undo_overlap_and_reassign_say_what_they_did(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")
        assert notices(app)[-1] == "Nothing to undo."
        await pilot.press("1")
        clock.advance(30)
        await pilot.press("2")
        clock.advance(3)
        await pilot.press("u")
        assert notices(app)[-1] == "Undone: Informant 2 speaking. Now: Informant 1."
        await pilot.press("o", "4")
        assert notices(app)[-1] == "Overlap: Informant 4 talked over Informant 1 (u takes it back)."
        await pilot.press("u")
        assert notices(app)[-1] == "Undone: the overlap mark (Informant 4 over Informant 1)."
        await pilot.press("0")
        clock.advance(10)
        await pilot.press("t")
        assert isinstance(app.screen, TurnsScreen)
        hint = str(app.screen.query_one("#turns-hint").render())
        assert "escape" in hint
        await pilot.press("5")  # the newest turn (the moderator's) was really P5's
        assert isinstance(app.screen, LiveScreen)  # closed: the board shows the change
        assert notices(app)[-1] == "The turn at 00:33 is now Informant 5's (was the moderator)."
        assert live.state.talk.current_speaker == "P5"
    assert kinds(live).count("reassign") == 1
    assert reopen(live, clock).state.talk.turns[-1].who == "P5"
    assert MODERATOR not in {t.who for t in live.state.talk.turns}


# --- 4. late arrivals are asked for consent; the recording waits for it ---------------------


async def test_a_late_arrival_is_asked_for_consent_and_the_recording_waits_for_it(
    live: LiveSession, clock: FakeClock
) -> None:
    from facilitator.core.summary import build_summary
    from facilitator.exports.markdown import render_markdown
    from facilitator.services.recording import Recording
    from tests.test_recording import FakeRecorder, app_with

    recorder = FakeRecorder(clock, live.store.path / "audio")
    recording = Recording(live, recorder=recorder)
    for pid in ("P1", "P2", "P3", "P4"):
        live.set_consent(pid, True)
    live.set_present("P5", False)  # P5, who has not consented, is not here yet
    app = app_with(live, recording)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen
        await pilot.press("r")
        assert recording.recording
        clock.advance(60)
        await pilot.press("e", "a", *"Informant 6", "enter")  # a newcomer walks in
        assert isinstance(app.screen, ConfirmScreen)
        assert (
            app.screen.question
            == "Informant 6 (P6) is here now. Do they consent to audio recording?"
        )
        view.audio_tick()  # while they are asked: no recording
        assert not recording.recording
        assert live.state.audio.segments[-1].ended_by == "consent"
        assert any("It goes on once they consent" in n for n in notices(app))
        await pilot.press("y")
        assert live.state.audio.has_consent("P6")
        assert isinstance(app.screen, RosterScreen)
        view.audio_tick()
        assert recording.recording  # went on by itself, in a new part
        assert any("Everyone present has consented: recording again" in n for n in notices(app))
        clock.advance(30)
        # P5 comes back and does not consent now
        await pilot.press("down", "down", "down", "down", "h")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert any("No recording consent from Informant 5" in n for n in notices(app))
        view.audio_tick()
        assert not recording.recording
        await pilot.press("escape")
        assert app.screen is view
    assert [s.ended_by for s in live.state.audio.segments] == ["consent", "consent"]
    again = reopen(live, clock)
    summary = build_summary(again.info, again.state, clock.now())
    arrivals = [(t["kind"], t.get("who"), t["start_s"]) for t in summary["timeline"]]
    assert ("arrived", "P6", 60.0) in arrivals and ("arrived", "P5", 90.0) in arrivals
    assert ("left", "P5", 0.0) in arrivals
    assert summary["audio"]["no_consent"] == ["P5"]
    text = render_markdown(summary)
    assert "No recording consent" in text and "P5 Informant 5" in text
    assert "Informant 6 arrived" in text and "Informant 5 left" in text


# --- 12. leaving the introduction with items unticked asks; ending says what is left ---------


async def test_leaving_the_introduction_with_items_unticked_asks_first(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        live.toggle_checked("samtykke")
        live.toggle_checked("databehandling")
        await pilot.press("right")  # 2 left: the ground rules and the recording consent
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "2 items not ticked: go on anyway?"
        assert "[ ] Ground rules: one speaks at a time" in app.screen.detail
        assert "[ ] Everyone consents to the audio recording" in app.screen.detail
        await pilot.press("n")
        assert live.state.phase_id == "introduksjon" and "goto" not in kinds(live)
        await pilot.press("pagedown")  # the same for the next phase key
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        assert live.state.phase_id == "dagens-situasjon"
        await pilot.press("pageup")  # back to the introduction: not asked
        assert live.state.phase_id == "introduksjon" and isinstance(app.screen, LiveScreen)
        await pilot.press("pagedown")  # the same items left: asked once, not again
        assert live.state.phase_id == "dagens-situasjon" and isinstance(app.screen, LiveScreen)
        await pilot.press("right")  # within a phase without a checklist: never asked
        assert isinstance(app.screen, LiveScreen)


async def test_j_answers_yes_in_norwegian(live: LiveSession, clock: FakeClock) -> None:
    from facilitator.i18n import set_language

    set_language("nb")
    try:
        app = make_app(live)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("pagedown")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("j")
            assert live.state.phase_id == "dagens-situasjon"
    finally:
        set_language("en")


async def test_ending_warns_of_questions_never_shown_and_points_not_marked(
    live: LiveSession, clock: FakeClock
) -> None:
    live.goto("dagens-situasjon")
    clock.advance(60)
    live.add_note("Tillit tar tid #s")
    live.add_note("Samarbeidet er tilfeldig #s")
    point = live.state.check_points()[0]
    live.check_mark(point.id, "confirmed")
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        detail = app.screen.detail
        assert "questions were never shown" in detail
        never = live.state.never_shown(clock.now())
        assert never and all(q.text[:30] in detail for q in never[:5])
        assert live.state.question_id not in {q.id for q in never}
        assert "Member-check points not marked yet: 1" in detail
        await pilot.press("n")
        assert not live.state.ended


# --- 15. r with no microphone says so at once, not after the consent round -------------------


async def test_r_without_a_microphone_says_so_before_asking_for_consent(
    live: LiveSession, clock: FakeClock
) -> None:
    """The real recorder and PortAudio: a microphone named that does not exist."""
    from facilitator.services.recording import Recording
    from tests.test_recording import app_with

    recording = Recording(live, device="no-such-microphone-here")
    if recording.problem() is not None:
        pytest.skip(recording.problem())
    app = app_with(live, recording)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")  # nobody has consented yet: the microphone is said first
        message = notices(app)[-1]
        # no input device on the machine at all, or none by that name: either is said at once
        assert (
            "no microphone was found" in message
            or "No microphone matches no-such-microphone-here" in message
        )
        assert "facilitator devices" in message and "run --device N" in message
        assert "consent" not in message
        assert not recording.recording and live.state.audio.segments == []
        await pilot.pause()
        line = str(app.screen.query_one("#record-line").render())
        assert "microphone" in line  # and the record line keeps saying it


# --- 17. the delete confirmation shows the note; the board has headings; notes fill ---------


async def test_delete_shows_the_note_the_board_has_headings_and_the_notes_fill_the_side(
    live: LiveSession, clock: FakeClock
) -> None:
    from facilitator.ui.screens.notes import NotesScreen
    from facilitator.ui.widgets.notes import RecentNotes
    from facilitator.ui.widgets.talk_board import TalkBoard

    live.speak("P1")
    for n in range(8):
        clock.advance(30)
        live.add_note(f"point {n} about rent")
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = str(app.screen.query_one(TalkBoard).render())
        headings = board.splitlines()[1]
        assert "Participant" in headings and "share (│ fair)" in headings
        assert "talk" in headings and "turns" in headings and "since" in headings
        # the row below: its share under the share heading, its talk time under "talk"
        row = board.splitlines()[2]
        assert row.index("│") >= headings.index("share") and headings.index("talk") == row.index(
            "04:00"
        )
        recent = str(app.screen.query_one(RecentNotes).render())
        shown = [n for n in range(8) if f"point {n} about rent" in recent]
        assert len(shown) > 3 and 7 in shown  # more than three, the newest first
        await pilot.press("l")
        assert isinstance(app.screen, NotesScreen)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "point 7 about rent" in app.screen.detail  # the newest is highlighted first
        await pilot.press("n")
    assert all(not n.deleted for n in live.state.notes.values())


# --- 14. the checklist box: the consent lines in view, where it is, no wrap, no silent all ---


async def _checklist(app, pilot):
    from facilitator.ui.widgets.guide_panels import TickList

    await pilot.press("c")
    await pilot.pause()
    await pilot.pause()
    return app.screen.query_one("#checklist", TickList)


async def test_the_checklist_shows_every_consent_line_at_120x40(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        ticks = await _checklist(app, pilot)
        ids = [ticks.get_option_at_index(i).id for i in range(ticks.option_count)]
        assert ids[-5:] == [f"consent:P{n}" for n in range(1, 6)]
        assert ticks.max_scroll_y == 0  # every line in the box, nothing to scroll
        guide = app.screen.query_one("#guide")
        assert guide.region.y <= ticks.region.y and ticks.region.bottom <= guide.region.bottom
        assert ticks.border_subtitle == f"1 / {len(ids)}"


async def test_the_checklist_says_where_it_is_and_stops_at_its_end_at_80x24(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=(80, 24)) as pilot:
        ticks = await _checklist(app, pilot)
        count = ticks.option_count
        for _ in range(count + 2):  # two more than there are: it stays on the last
            await pilot.press("down")
        await pilot.pause()
        assert ticks.highlighted == count - 1
        assert ticks.border_subtitle.startswith(f"{count} / {count}")
        await pilot.press("up")
        await pilot.pause()
        assert ticks.border_subtitle.startswith(f"{count - 1} / {count}")


async def test_enter_on_the_consent_item_asks_before_ticking_everyone(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        ticks = await _checklist(app, pilot)
        ids = [ticks.get_option_at_index(i).id for i in range(ticks.option_count)]
        ticks.highlighted = ids.index("consent:P3")
        await pilot.press("space")  # P3 on their own line
        ticks.highlighted = ids.index("lydopptak")
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Recording consent from all 4 who have not consented?"
        assert "P1 Informant 1" in app.screen.detail and "P3" not in app.screen.detail
        await pilot.press("n")
        assert [p for p in live.state.roster if live.state.audio.has_consent(p.id)] == [
            live.state.participant("P3")
        ]
        await pilot.press("enter", "y")
        assert all(live.state.audio.has_consent(p.id) for p in live.state.roster)
        await pilot.press("enter")  # all had: taking it back for everyone is a danger
        assert isinstance(app.screen, ConfirmScreen) and app.screen.danger
        await pilot.press("escape")
        assert all(live.state.audio.has_consent(p.id) for p in live.state.roster)


# --- 16. the reflexivity log leaves the talk board in sight and the speaker keys working -----


async def test_the_reflexivity_log_keeps_the_board_and_the_speaker_keys(
    live: LiveSession, clock: FakeClock
) -> None:
    from textual.widgets import Input

    from facilitator.ui.widgets.talk_board import TalkBoard

    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        clock.advance(20)
        await pilot.press("w")
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        panel = screen.query_one("#reflection")
        await pilot.pause()
        assert panel.display and app.focused is screen.query_one("#reflection-input", Input)
        board = screen.query_one(TalkBoard)
        assert not panel.region.overlaps(board.region)  # the board stays in sight
        assert not panel.region.overlaps(screen.query_one("#question").region)
        await pilot.press(*"3 of them nod", "enter")  # a digit in the line is text
        assert live.state.talk.current_speaker == "P1"
        await pilot.press("escape")  # the keys back, the log stays open
        assert panel.display and app.focused is None
        await pilot.press("3")
        assert live.state.talk.current_speaker == "P3"
        await pilot.press("space")
        assert live.state.talk.current_speaker is None
        await pilot.press("w", *"I steered", "enter", "escape", "escape")
        assert not panel.display
    assert [r.text for r in reopen(live, clock).state.reflections] == ["3 of them nod", "I steered"]
    assert live.state.notes == {}  # not group notes


# --- 3. the assistant's key mode cannot be missed, and typing does not drive the session ------


@pytest.fixture
def assistant(live: LiveSession, clock: FakeClock):
    from facilitator.services.live import ASSISTANT

    helper = LiveSession(live.store, writer=ASSISTANT, clock=clock)
    yield helper
    if helper.journal is not None:
        helper.journal.close()


async def test_the_assistants_key_mode_is_plain_and_typing_returns_to_the_note_line(
    live: LiveSession, assistant: LiveSession, clock: FakeClock
) -> None:
    from facilitator.ui.app import make_assist_app
    from facilitator.ui.widgets.notes import NoteBar, NoteInput

    app = make_assist_app(assistant)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        bar = screen.query_one(NoteBar)
        note = screen.query_one(NoteInput)
        assert app.focused is note and not bar.has_class("keys")
        assert "Note line" in str(bar.border_title)
        await pilot.press("escape")  # the keys to the speaker keys: the line says so
        assert bar.has_class("keys") and app.focused is None
        assert "Speaker keys" in str(bar.border_title)
        assert "SPEAKER KEYS" in str(screen.query_one("#note-label").render())
        await pilot.press("3")  # a key of the view: P3 speaks
        assert assistant.state.talk.current_speaker == "P3"
        await pilot.press("g")  # typing: back to the line with the letter, nothing recorded
        assert app.focused is note and note.value == "g" and not bar.has_class("keys")
        await pilot.press(*"anger", "enter")
        assert [n.text for n in assistant.state.live_notes()] == ["ganger"]
        assert assistant.state.talk.current_speaker == "P3"
        await pilot.press("escape")
        await pilot.press("O")  # "Ola sier 2 ting": O is not a key: the line
        await pilot.press(*"la sier 2 ting")
        assert note.value == "Ola sier 2 ting" and assistant.state.talk.current_speaker == "P3"
        await pilot.press("ctrl+a", "ctrl+k", "escape")
        assert bar.has_class("keys")
        clock.advance(7)  # a short rest in key mode: the line is ready again
        screen.tick()
        await pilot.pause()
        assert app.focused is note and not bar.has_class("keys")


async def test_a_speaker_change_by_the_assistant_is_marked_in_the_moderators_view(
    live: LiveSession, assistant: LiveSession, clock: FakeClock
) -> None:
    from facilitator.ui.widgets.talk_board import TalkBoard

    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        clock.advance(10)
        assistant.speak("P2")
        clock.advance(1)
        app.screen.tick()
        await pilot.pause()
        board = str(app.screen.query_one(TalkBoard).render()).splitlines()[0]
        assert "Informant 2" in board and "set by the assistant" in board
        clock.advance(5)
        app.screen.tick()
        await pilot.pause()
        board = str(app.screen.query_one(TalkBoard).render()).splitlines()[0]
        assert "Informant 2" in board and "set by the assistant" not in board
        await pilot.press("3")  # the moderator's own change is not marked
        board = str(app.screen.query_one(TalkBoard).render()).splitlines()[0]
        assert "set by" not in board


async def test_a_draft_left_with_escape_is_kept_when_the_note_line_is_taken_up_again(
    live: LiveSession, clock: FakeClock
) -> None:

    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"rent eats", "escape")
        await pilot.press("n", *" it all", "enter")  # not selected on focus: not replaced
    assert [n.text for n in live.state.live_notes()] == ["rent eats it all"]


def test_assist_key_mode_80x24(snap_compare, live: LiveSession, assistant: LiveSession) -> None:
    from facilitator.ui.app import make_assist_app

    live.speak("P2")
    assistant.poll()
    assert snap_compare(make_assist_app(assistant), terminal_size=(80, 24), press=["escape"])


# --- 18. the assistant is told when the moderator's app is no longer running -----------------


async def test_the_assistant_is_told_when_the_moderators_app_stops(
    live: LiveSession, assistant: LiveSession, clock: FakeClock
) -> None:
    from facilitator.ui.app import make_assist_app

    live.heartbeat()
    app = make_assist_app(assistant)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen

        def banner() -> str:
            screen.tick()
            widget = screen.query_one("#banner")
            return str(widget.render()) if widget.display else ""

        clock.advance(2)
        live.heartbeat()  # the moderator's app runs: every 2 s
        clock.advance(4)
        assert "not running" not in banner()
        clock.advance(4)  # 8 s without a heartbeat: killed, crashed, the laptop shut
        text = banner()
        assert "The moderator's app is not running (for 00:08)" in text
        assert "still saved" in text
        await pilot.press("escape", "2")  # the speaker keys still count
        assert assistant.state.talk.current_speaker == "P2"
        live.heartbeat()  # back
        assert "not running" not in banner()
        live.close()  # closed cleanly: said at the next look, not after the heartbeat's wait
        clock.advance(0.5)
        assert "The moderator's app is not running" in banner()


# --- 10. escape in the recap's line leaves the line; keys typed ahead are not lost ---------


def _type_ahead(app, keys: str) -> None:
    """Keys arriving together, as from a fast typist or a terminal's burst: all in the app's
    queue before the first is handled."""
    from textual import events

    for char in keys:
        if char == "\x1b":
            app.post_message(events.Key("escape", None))
        else:
            app.post_message(events.Key("space" if char == " " else char, char))


async def test_escape_in_the_recaps_line_leaves_the_line_and_keeps_what_was_typed(
    tmp_path: Path, clock: FakeClock
) -> None:
    from test_recap_view import STAGE_2_AT  # noqa: F401  (the study's fixtures live there)

    from facilitator.ui.screens.recap import RecapScreen

    stage_1 = SessionStore.create(
        tmp_path / "sessions",
        load_guide(GUIDES / "seed-en.toml"),
        title="Stage 1",
        participants=PARTICIPANTS,
        now=clock.now(),
        study="u-turn",
        stage=1,
    )
    first = LiveSession(stage_1, clock=clock)
    first.add_note("Trust takes time #s")
    first.end()
    first.close()
    clock.advance(3600)
    stage_2 = SessionStore.create(
        tmp_path / "sessions",
        load_guide(GUIDES / "seed-en.toml"),
        title="Stage 2",
        participants=PARTICIPANTS,
        now=clock.now(),
        study="u-turn",
        stage=2,
        newcomers=[],
        previous=stage_1.path.name,
    )
    live = LiveSession(stage_2, clock=clock)
    try:
        app = make_app(live)
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(5):
                await pilot.pause()
            recap = app.screen
            assert isinstance(recap, RecapScreen)
            _type_ahead(app, "nNew manager at NAV\x1bp")
            for _ in range(5):
                await pilot.pause()
            assert recap.query_one("#recap-input").value == "New manager at NAV"
            # the escape left the line only; the p after it is the recap's: present
            assert app.screen is not recap and type(app.screen).__name__ == "PresentationScreen"
            assert not live.state.paused
    finally:
        live.close()
    assert "paused" not in kinds(live)


async def test_a_note_typed_right_after_n_is_kept_whole(
    live: LiveSession, clock: FakeClock
) -> None:
    app = make_app(live)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        _type_ahead(app, "n3 of them nod, p")
        for _ in range(5):
            await pilot.pause()
        await pilot.press("enter")
    assert [n.text for n in live.state.live_notes()] == ["3 of them nod, p"]
    assert live.state.talk.current_speaker is None and not live.state.paused
