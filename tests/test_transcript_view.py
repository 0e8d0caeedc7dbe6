"""The transcript editor under Pilot: every key, with what it leaves on disk."""

from __future__ import annotations

import pytest

from facilitator.core import events as ev
from facilitator.core.clock import FakeClock
from facilitator.core.session import state_of
from facilitator.core.transcript_edits import corrected_transcript
from facilitator.services.live import LiveSession
from facilitator.services.transcript_review import TranscriptReview
from facilitator.store.transcript_store import TranscriptStore
from facilitator.ui.app import make_app, make_transcript_app
from facilitator.ui.screens.help import HelpScreen
from facilitator.ui.screens.transcript import TranscriptScreen
from tests.helpers.transcript_session import SCRIPT, make_transcript_session


@pytest.fixture
def made(new_store, clock: FakeClock):
    return make_transcript_session(new_store(), clock)


@pytest.fixture
def review(made, clock: FakeClock):
    session = TranscriptReview(made.store, clock=clock)
    yield session
    session.close()


def on_disk(review: TranscriptReview):
    """What a fresh process (an export) reads: the corrected transcript from disk."""
    store = review.store
    state = state_of(store.info(), store.read_events().events)
    loaded = TranscriptStore(store.path).load()
    assert loaded is not None
    return state, corrected_transcript(state, loaded.machine)


def kinds(review: TranscriptReview) -> list[str]:
    return [e.kind for e in review.store.read_events().events if e.writer == "review"]


def help_text(screen) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(screen.table)
    return console.export_text()


def screen_of(pilot) -> TranscriptScreen:
    screen = pilot.app.screen
    assert isinstance(screen, TranscriptScreen)
    return screen


async def test_moving_the_selection(review: TranscriptReview) -> None:
    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        screen = screen_of(pilot)
        assert screen.list.selected == 0
        await pilot.press("down", "j")
        assert screen.list.selected == 2
        await pilot.press("up")
        assert screen.list.selected == 1
        await pilot.press("k")
        assert screen.list.selected == 0
        await pilot.press("end")
        assert screen.list.selected == len(SCRIPT) - 1
        await pilot.press("home")
        assert screen.list.selected == 0
        await pilot.press("pagedown")
        assert screen.list.selected == len(SCRIPT) - 1  # fewer than ten: the last
        await pilot.press("pageup")
        assert screen.list.selected == 0
        await pilot.press("right", "right", "left")
        assert screen.list.cursor == 1
        assert kinds(review) == []  # moving records nothing


async def test_number_keys_give_the_statement_to_a_speaker(review: TranscriptReview) -> None:
    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "down", "4")
        assert review.statements[2].who == "P4"
        await pilot.press("down", "0")
        assert review.statements[3].who == "moderator"
        await pilot.press("down", "minus")
        assert review.statements[4].who is None
        await pilot.press("9")  # no ninth participant: nothing
        assert "no participant 9" in str(pilot.app.screen.query_one("#transcript-status").render())
        _state, disk = on_disk(review)
        assert [s.who for s in disk.statements[2:5]] == ["P4", "moderator", None]
        assert ev.TRANSCRIPT_SPEAKER in kinds(review)


async def test_edit_the_words(review: TranscriptReview) -> None:
    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "e")
        field = pilot.app.screen.query_one("#transcript-input")
        assert field.value == SCRIPT[1][1]
        field.value = "We meet the families right where they are."
        await pilot.press("enter")
        assert review.statements[1].text == "We meet the families right where they are."
        # escape leaves the words as they were
        await pilot.press("e")
        field.value = "something else entirely"
        await pilot.press("escape")
        assert review.statements[1].text == "We meet the families right where they are."
        # the machine's words are shown while editing an edited statement
        await pilot.press("e")
        status = str(pilot.app.screen.query_one("#transcript-status").render())
        assert SCRIPT[1][1] in status
        await pilot.press("escape")
        _state, disk = on_disk(review)
        assert disk.statements[1].text == "We meet the families right where they are."
        # keys typed in the field are words, not commands
        await pilot.press("e", "q", "s", "escape")
        assert review.statements[1].tags == ()


async def test_split_and_join(review: TranscriptReview) -> None:
    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        screen = screen_of(pilot)
        await pilot.press("down", "s")  # the cursor on the first word: nothing to split
        assert len(review.statements) == len(SCRIPT)
        await pilot.press("right", "right", "right", "s")
        assert [s.text for s in review.statements[1:3]] == [
            "We meet the",
            "families where they are.",
        ]
        assert screen.list.selected == 2  # on the new statement
        await pilot.press("m")
        assert review.statements[1].text == SCRIPT[1][1]
        await pilot.press("down", "m")  # P2's statement joins P1's: P1's words now
        assert review.statements[1].text == SCRIPT[1][1] + " " + SCRIPT[2][1]
        assert review.statements[1].who == "P1"
        await pilot.press("home", "m")  # the first has nothing before it
        _state, disk = on_disk(review)
        assert [s.text for s in disk.statements] == [s.text for s in review.statements]


async def test_tags_make_linked_notes(review: TranscriptReview) -> None:
    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "down", "q", "t", "down", "f")
        assert review.statements[2].tags == ("quote", "theme")
        assert review.statements[3].tags == ("follow-up",)
        state, disk = on_disk(review)
        linked = sorted(
            (n.statement, n.tags) for n in state.live_notes() if n.statement is not None
        )
        assert linked == sorted(
            [
                (disk.statements[2].id, ("quote",)),
                (disk.statements[2].id, ("theme",)),
                (disk.statements[3].id, ("follow-up",)),
            ]
        )
        await pilot.press("f")  # again: off, and its note deleted
        assert review.statements[3].tags == ()
        state, _disk = on_disk(review)
        assert ("follow-up",) not in [n.tags for n in state.live_notes() if n.statement]


async def test_search_and_next_match(review: TranscriptReview) -> None:
    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        screen = screen_of(pilot)
        await pilot.press("slash")
        pilot.app.screen.query_one("#transcript-input").value = "meetings"
        await pilot.press("enter")
        assert screen.list.selected == 0  # the moderator's question has the word
        await pilot.press("n")
        assert screen.list.selected == 2
        await pilot.press("n")
        assert screen.list.selected == 0  # round again
        await pilot.press("N")
        assert screen.list.selected == 2
        await pilot.press("slash")
        pilot.app.screen.query_one("#transcript-input").value = "Informant 3"
        await pilot.press("enter")
        assert screen.list.selected == 4
        await pilot.press("q", "slash")
        pilot.app.screen.query_one("#transcript-input").value = "#quote"
        await pilot.press("enter")
        assert screen.list.selected == 4 and screen.list.matches == {review.statements[4].id}


async def test_undo(review: TranscriptReview) -> None:
    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "3", "q")
        await pilot.press("u")
        assert review.statements[1].tags == ()
        await pilot.press("u")
        assert review.statements[1].who == "P1"
        await pilot.press("u")
        assert "nothing to undo" in str(pilot.app.screen.query_one("#transcript-status").render())
        state, disk = on_disk(review)
        assert disk.statements[1].who == "P1" and disk.statements[1].tags == ()
        assert not [n for n in state.live_notes() if n.statement]


class FakePlayer:
    """Stands in for the sound output (the real one is tested through PulseAudio in
    test_tmux_transcript.py): what was asked, and a position the test moves."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, float, float]] = []
        self.at: float | None = None
        self.stopped = 0

    @property
    def playing(self) -> bool:
        return self.at is not None

    def position(self) -> float | None:
        return self.at

    def play(self, source, from_s: float, to_s: float, speed: float = 1.0) -> None:
        self.calls.append((from_s, to_s, speed))
        self.source = source
        self.at = from_s

    def stop(self) -> None:
        self.at = None
        self.stopped += 1

    def close(self) -> None:
        self.stop()


async def test_space_plays_and_lights_the_word_left_right_step(
    review: TranscriptReview, made
) -> None:
    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        screen = screen_of(pilot)
        player = FakePlayer()
        screen.player = player  # type: ignore[assignment]
        screen.set_interval(0.05, screen._follow_playing)
        await pilot.press("down", "down", "space")
        target = review.statements[2]
        assert player.calls == [(target.start_s, target.end_s, 1.0)]
        assert player.source.path == made.wav
        player.at = target.words[3].word.start_s + 0.1
        await pilot.pause(0.15)
        assert screen.list.playing_word == target.words[3].word.id
        await pilot.press("left")  # while playing: 5 s back (not before the part starts)
        assert player.calls[-1][0] == pytest.approx(max(2.0, player.calls[-1][0]))
        assert player.calls[-1][0] < target.start_s
        back = player.calls[-1][0]
        await pilot.press("right")
        assert player.calls[-1][0] == pytest.approx(back + 5.0)
        player.at = target.end_s - 1.0
        await pilot.press("right")  # past the statement's end: it stops
        assert not player.playing
        await pilot.press("space")
        assert player.calls[-1][0] == target.start_s  # from the start again
        await pilot.press("space")  # again: stop
        assert player.stopped >= 2 and not player.playing
        await pilot.pause(0.15)
        assert screen.list.playing_word is None
        await pilot.press("x", "space")  # slower
        assert player.calls[-1][2] == 0.75
        await pilot.press("space", "x", "space")
        assert player.calls[-1][2] == 0.5


async def test_help_and_back(review: TranscriptReview) -> None:
    app = make_transcript_app(review)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        keys = help_text(pilot.app.screen)
        for label in ("Play", "Split", "Join", "Quote", "Theme", "Follow-up", "Undo", "Speed"):
            assert label in keys
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, TranscriptScreen)
        await pilot.press("escape")
    assert app.return_code == 0


async def test_the_summary_screen_opens_the_transcript(made, clock: FakeClock) -> None:
    live = LiveSession(made.store, clock=clock)  # ended: opens on its summary
    async with make_app(live).run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        screen = screen_of(pilot)
        await pilot.press("down", "2")
        assert screen.review.statements[1].who == "P2"
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, TranscriptScreen)
    live.close()
    state = state_of(made.store.info(), made.store.read_events().events)
    assert any(wid for wid, who in state.transcript_edits.speaker.items() if who == "P2")


async def test_norwegian_keys(review: TranscriptReview, monkeypatch) -> None:
    from facilitator.i18n import set_language

    set_language("nb")
    try:
        async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
            await pilot.press("question_mark")
            keys = help_text(pilot.app.screen)
            assert "Spill av" in keys and "Del" in keys
    finally:
        set_language("en")


async def test_hostile_words_are_shown_as_text(review: TranscriptReview) -> None:
    """Markup, an escape sequence and a formula in the words: drawn as the characters they
    are, never as styles or terminal commands."""
    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "e")
        pilot.app.screen.query_one("#transcript-input").value = "[bold]x[/bold] \x1b[2J =1+1"
        await pilot.press("enter")
        screen = screen_of(pilot)
        top, height = screen.list.span(1)
        lines = [
            screen.list.render_line(y - screen.list.scroll_offset.y).text
            for y in range(top, top + height)
        ]
        text = "\n".join(lines)
        assert "[bold]x[/bold]" in text and "=1+1" in text
        assert "\x1b" not in text
        assert review.statements[1].text == "[bold]x[/bold] \x1b[2J =1+1"  # kept as typed


async def test_a_transcript_with_no_words_yet(new_store, clock: FakeClock) -> None:
    """Transcription under way, nothing stored yet: the editor opens, every key is calm."""
    made = make_transcript_session(new_store(), clock)
    (made.store.path / "transcript" / "rec-001.jsonl").write_bytes(b"")
    review = TranscriptReview(made.store, clock=clock)
    try:
        async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
            for key in ("down", "space", "1", "e", "escape", "s", "m", "q", "u", "right"):
                await pilot.press(key)
            await pilot.press("slash")
            pilot.app.screen.query_one("#transcript-input").value = "anything"
            await pilot.press("enter", "n")
            assert review.statements == []
    finally:
        review.close()


async def test_missing_audio_says_so(review: TranscriptReview, made) -> None:
    made.wav.unlink()
    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "space")
        await pilot.pause()
        messages = [n.message for n in pilot.app._notifications]
        assert any("is not there" in m for m in messages)
        assert screen_of(pilot).player is None


def test_the_command_without_a_transcript_says_how_to_make_one(new_store, clock) -> None:
    import subprocess
    import sys

    store = new_store()
    done = subprocess.run(
        [sys.executable, "-m", "facilitator", "--sessions", str(store.path.parent)]
        + ["transcript", store.path.name],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "facilitator transcribe" in done.stderr and "Traceback" not in done.stderr


def test_a_turn_reassigned_in_the_live_view_shows_in_the_editor(new_store, clock) -> None:
    """The moderator's view (another process, its own journal) gives a keyed turn to
    someone else: the editor attributes the words again at its next poll."""
    made = make_transcript_session(new_store(), clock, end=False)
    review = TranscriptReview(made.store, clock=clock)
    live = LiveSession(made.store, clock=clock)
    try:
        turn = next(t for t in live.state.talk.turns if t.who == "P2")
        live.reassign(turn.key, "P5")
        assert review.poll_transcript()
        assert review.statements[2].who == "P5"
        assert [s.who for s in review.statements] == [
            s.who for s in corrected_transcript(live.state, review.machine).statements
        ]
    finally:
        live.close()
        review.close()


async def test_a_full_disk_changes_nothing_shown(review: TranscriptReview) -> None:
    """A correction that cannot be written is not shown: NOT SAVED, the statement as it
    was; once the disk takes writes again, the same key works."""
    from facilitator.store.journal import StorageError

    journal = review.journal
    assert journal is not None
    real = journal.append_all

    def full(entries):
        raise StorageError("No space left on device")

    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        journal.append_all = full  # type: ignore[method-assign]
        await pilot.press("down", "4", "q")
        assert review.statements[1].who == "P1" and review.statements[1].tags == ()
        status = str(pilot.app.screen.query_one("#transcript-status").render())
        assert "NOT SAVED" in status
        assert review.undo_steps == []
        journal.append_all = real  # type: ignore[method-assign]
        await pilot.press("4")
        assert review.statements[1].who == "P4"
        assert "NOT SAVED" not in str(pilot.app.screen.query_one("#transcript-status").render())
    _state, disk = on_disk(review)
    assert disk.statements[1].who == "P4" and disk.statements[1].tags == ()


async def test_the_opening_shows_the_first_statements_then_all(review: TranscriptReview) -> None:
    from facilitator.core.transcript_edits import EditableTranscript

    review.edits = EditableTranscript.opening(review.machine, review.state, count=25)
    first = len(review.statements)
    assert 0 < first < len(SCRIPT)
    async with make_transcript_app(review).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert review.edits.complete  # right after the first frame
        assert [s.text for s in review.statements] == [t for _w, t, _n in SCRIPT]
        await pilot.press("end", "3")
        assert review.statements[-1].who == "P3"
