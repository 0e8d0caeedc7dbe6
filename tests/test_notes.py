"""Notes: typed tags and speakers, and what each note is tied to with no extra typing.

The parser is tested on its own; attribution, edits, deletes, the reflexivity log and the
exports on real session folders, through ``LiveSession`` (as the live and assist views act),
with a fake clock so that every session-clock second is exact.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from facilitator.core import events as ev
from facilitator.core.clock import FakeClock
from facilitator.core.notes import TAG_ALIASES, TAGS, author_of, parse_note
from facilitator.core.summary import build_summary
from facilitator.exports.markdown import render_markdown
from facilitator.services.live import ASSISTANT, LiveSession
from facilitator.store.journal import JournalLocked
from facilitator.store.session_store import SessionStore
from tests.conftest import venv_bin

ROSTER = ["P1", "P2", "P3", "P4", "P5"]  # the ids of conftest.PARTICIPANTS, in roster order


# --- parsing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("alias", "tag"), sorted(TAG_ALIASES.items()))
def test_every_tag_alias_gives_its_tag_and_leaves_the_text(alias: str, tag: str) -> None:
    parsed = parse_note(f"rent is too high #{alias}", ROSTER)
    assert parsed.tags == (tag,)
    assert parsed.text == "rent is too high"
    assert parsed.unknown_tags == ()
    # typed in capitals, or first: the same
    assert parse_note(f"#{alias.upper()} rent is too high", ROSTER).tags == (tag,)


def test_the_short_prefixes_and_the_norwegian_words() -> None:
    short = {"q": "quote", "t": "theme", "f": "follow-up", "fu": "follow-up"}
    short |= {"o": "observation", "obs": "observation", "s": "summary"}
    norwegian = {"sitat": "quote", "tema": "theme", "oppfølging": "follow-up"}
    norwegian |= {"oppfolging": "follow-up", "oppsummering": "summary"}
    for alias, tag in (short | norwegian).items():
        assert parse_note(f"x #{alias}", ROSTER).tags == (tag,), alias
    assert set(TAG_ALIASES.values()) == set(TAGS)


def test_several_tags_come_out_once_each_in_a_fixed_order() -> None:
    parsed = parse_note("#s a #q b #quote c #sitat #t", ROSTER)
    assert parsed.tags == ("quote", "theme", "summary")
    assert parsed.text == "a b c"


def test_unknown_hashtags_stay_in_the_text() -> None:
    parsed = parse_note("the #budget talk #q and #2024 and x#t", ROSTER)
    assert parsed.tags == ("quote",)
    assert parsed.text == "the #budget talk and #2024 and x#t"
    assert parsed.unknown_tags == ("budget",)


def test_whitespace_is_collapsed_where_tags_and_speakers_were_taken_out() -> None:
    parsed = parse_note("  waiting   lists #q\t @2   are long \n #f  ", ROSTER)
    assert parsed.text == "waiting lists are long"
    assert parsed.tags == ("quote", "follow-up")
    assert parsed.speaker == "P2"


@pytest.mark.parametrize(
    ("typed", "speaker"),
    [
        ("@1", "P1"),
        ("@2", "P2"),
        ("@5", "P5"),
        ("@0", "moderator"),
        ("@m", "moderator"),
        ("@M", "moderator"),
        ("@moderator", "moderator"),
        ("@P2", "P2"),
        ("@p4", "P4"),
    ],
)
def test_a_speaker_is_typed_with_at(typed: str, speaker: str) -> None:
    parsed = parse_note(f"we never hear back {typed} #o", ROSTER)
    assert parsed.speaker == speaker
    assert parsed.text == "we never hear back"
    assert parsed.tags == ("observation",)


@pytest.mark.parametrize(
    "typed",
    [
        "write to ola@nav.no about it",  # an e-mail address
        "as @someone said",  # a handle that is not a participant
        "ask @6 later",  # only five participants
        "ask @P9 later",  # no such id
    ],
)
def test_an_at_that_is_not_a_speaker_stays_in_the_text(typed: str) -> None:
    parsed = parse_note(typed, ROSTER)
    assert parsed.speaker is None
    assert parsed.text == typed


def test_a_note_of_only_tags_is_empty(live: LiveSession) -> None:
    assert parse_note("#q #t @2", ROSTER).text == ""
    before = live.store.read_events().events
    assert live.add_note("#q #t @2") is None
    assert live.add_note("   ") is None
    assert live.add_note("") is None
    assert live.state.notes == {}
    assert live.store.read_events().events == before  # nothing recorded


def test_author_of_a_writer_name() -> None:
    assert author_of("moderator") == "moderator"
    assert author_of("assistant") == "assistant"
    assert author_of("assistant-2") == "assistant"


# --- attribution ----------------------------------------------------------------------------------


@pytest.fixture
def assistant(live: LiveSession, clock: FakeClock) -> Iterator[Callable[[], LiveSession]]:
    """Assistant views on the moderator's session (each its own store object and journal)."""
    opened: list[LiveSession] = []

    def open_() -> LiveSession:
        session = LiveSession(SessionStore(live.store.path), writer=ASSISTANT, clock=clock)
        opened.append(session)
        return session

    yield open_
    for session in opened:
        if session.journal is not None:
            session.journal.close()


def reopen(live: LiveSession, clock: FakeClock) -> LiveSession:
    """What a fresh start sees: only what is on disk, read-only."""
    return LiveSession(SessionStore(live.store.path), clock=clock, read_only=True)


def summary_of(live: LiveSession, **kwargs) -> dict:
    return build_summary(live.info, live.state, live.now(), **kwargs)


def test_a_note_takes_the_moment_with_no_typing(live: LiveSession, clock: FakeClock) -> None:
    clock.advance(90)
    event = live.add_note("they all know each other #t")
    assert event is not None and event.kind == ev.NOTE
    note = live.state.notes[event.id]
    assert note.t_s == 90.0
    assert note.phase == "introduksjon" and note.question == "intro-tema"
    assert note.speaker is None  # nobody holds the floor yet
    assert note.author == "moderator"
    assert note.tags == ("theme",)
    assert note.text == "they all know each other"
    assert event.data == {
        "t_s": 90.0,
        "phase": "introduksjon",
        "question": "intro-tema",
        "speaker": None,
        "tags": ["theme"],
        "text": "they all know each other",
    }

    live.next_phase()
    live.next_question()  # the second question of the main phase
    live.speak("P3")
    clock.advance(30.25)
    second = live.state.notes[live.add_note("the forms are the problem #q").id]
    assert (second.t_s, second.phase, second.question) == (
        120.25,
        "dagens-situasjon",
        "ds-samarbeid",
    )
    assert second.speaker == "P3"  # whoever holds the floor

    third = live.state.notes[live.add_note("@2 disagrees strongly #o").id]
    assert third.speaker == "P2"  # the typed speaker wins over the floor
    assert third.text == "disagrees strongly"
    assert live.state.talk.current_speaker == "P3"  # a note does not change the speaker

    fourth = live.state.notes[live.add_note("I led them there @m #obs").id]
    assert fourth.speaker == "moderator"

    # a break: the session clock stands still, and so does a note's time
    live.toggle_pause()
    clock.advance(600)
    paused = live.state.notes[live.add_note("during the break").id]
    assert paused.t_s == 120.25
    assert paused.speaker is None  # a break ends the turn
    live.toggle_pause()
    clock.advance(5)
    assert live.state.notes[live.add_note("after").id].t_s == 125.25

    # all of it on disk: a fresh start folds the same notes
    on_disk = reopen(live, clock)
    assert [(n.id, n.t_s, n.phase, n.question, n.speaker, n.author, n.tags, n.text)
            for n in on_disk.state.live_notes()] == [
        (n.id, n.t_s, n.phase, n.question, n.speaker, n.author, n.tags, n.text)
        for n in live.state.live_notes()
    ]  # fmt: skip
    assert len(on_disk.state.live_notes()) == 6


def test_an_assistants_note_is_the_assistants(
    live: LiveSession, assistant: Callable[[], LiveSession], clock: FakeClock
) -> None:
    helper = assistant()
    assert helper.writer_name == "assistant"
    assert helper.journal is not None
    assert helper.journal.path.name == "journal-assistant.jsonl"
    assert not helper.owns_clock and live.owns_clock
    clock.advance(40)
    event = helper.add_note("nice one #q @1")
    assert event is not None and event.writer == "assistant"
    assert helper.state.notes[event.id].author == "assistant"
    mine = live.add_note("mine")
    assert live.state.notes[mine.id].author == "moderator"
    live.poll()
    assert live.state.notes[event.id].author == "assistant"
    assert live.state.notes[event.id].t_s == 40.0
    summary = summary_of(live)
    assert [(n["author"], n["speaker"], n["speaker_id"]) for n in summary["notes"]] == [
        ("assistant", "Informant 1", "P1"),
        ("moderator", None, None),
    ]


def test_an_assistants_note_follows_the_moderators_last_move_without_a_poll(
    live: LiveSession, assistant: Callable[[], LiveSession], clock: FakeClock
) -> None:
    helper = assistant()
    clock.advance(60)
    live.next_phase()
    live.next_question()
    live.speak("P4")
    clock.advance(15)
    # the assistant's view has not polled since: its state still shows the old moment
    assert helper.state.phase_id == "introduksjon"
    assert helper.state.talk.current_speaker is None
    event = helper.add_note("waiting lists #f")
    note = helper.state.notes[event.id]
    assert (note.phase, note.question, note.speaker) == ("dagens-situasjon", "ds-samarbeid", "P4")
    assert note.t_s == 75.0
    assert note.author == "assistant"
    # and the assistant's speaker keys count: the moderator's view sees them on its next poll
    helper.speak("P2")
    assert live.state.talk.current_speaker == "P4"
    assert live.poll()
    assert live.state.talk.current_speaker == "P2"
    assert not live.poll()  # nothing new


def test_a_note_written_while_a_view_opens_is_not_missed(
    live: LiveSession, clock: FakeClock
) -> None:
    """The other process may append between the view's first read and its first poll."""
    store = SessionStore(live.store.path)
    read = store.read_events

    def read_while_the_moderator_writes():
        loaded = read()
        live.add_note("written while the assistant's view was opening")
        return loaded

    store.read_events = read_while_the_moderator_writes  # type: ignore[method-assign]
    helper = LiveSession(store, writer=ASSISTANT, clock=clock)
    store.read_events = read  # type: ignore[method-assign]
    try:
        assert helper.state.live_notes() == []  # not in what it read
        assert helper.poll()
        assert [n.text for n in helper.state.live_notes()] == [
            "written while the assistant's view was opening"
        ]
        assert not helper.poll()  # and read once only
    finally:
        assert helper.journal is not None
        helper.journal.close()


def test_the_assistant_cannot_move_the_guide_pause_tick_or_end(
    live: LiveSession, assistant: Callable[[], LiveSession], clock: FakeClock
) -> None:
    helper = assistant()
    item = live.guide.phases[0].checklist[0].id
    before = helper.store.read_events().events
    assert helper.next_question() is None
    assert helper.previous_question() is None
    assert helper.next_phase() is None
    assert helper.previous_phase() is None
    assert helper.goto("dagens-situasjon", "ds-samarbeid") is None
    assert helper.toggle_pause() is None
    assert helper.set_checked(item, True) is None
    assert helper.toggle_checked(item) is None
    assert helper.end() is None
    assert helper.store.read_events().events == before  # nothing recorded
    assert helper.state.phase_id == "introduksjon"
    assert not helper.state.paused and not helper.state.ended
    assert helper.state.checklist == {}


def test_a_second_assistant_gets_its_own_journal(
    live: LiveSession, assistant: Callable[[], LiveSession], clock: FakeClock
) -> None:
    first, second, third = assistant(), assistant(), assistant()
    assert [a.writer_name for a in (first, second, third)] == [
        "assistant",
        "assistant-2",
        "assistant-3",
    ]
    assert second.journal is not None and second.journal.path.name == "journal-assistant-2.jsonl"
    one = first.add_note("from the first")
    two = second.add_note("from the second")
    assert (one.id, two.id) == ("assistant:2", "assistant-2:2")  # 1 is each one's "opened"
    assert second.state.notes[two.id].author == "assistant"
    live.poll()
    assert {n.author for n in live.state.live_notes()} == {"assistant"}
    assert len(live.state.live_notes()) == 2
    # the moderator's journal is not an assistant's to take
    with pytest.raises(JournalLocked):
        LiveSession(SessionStore(live.store.path), clock=clock)
    # a closed assistant frees its journal for the next one
    assert second.journal is not None
    second.close()
    again = assistant()
    assert again.writer_name == "assistant-2"
    # opened, note, closed; then opened again, and the note numbered after them
    assert again.add_note("back again").id == "assistant-2:5"


# --- edits and deletes ----------------------------------------------------------------------------


def test_an_edit_is_kept_beside_the_note(live: LiveSession, clock: FakeClock) -> None:
    live.speak("P1")
    clock.advance(20)
    note_id = live.add_note("rent is too hihg #q").id
    clock.advance(10)
    edit = live.edit_note(note_id, "@2 rent is too high #q #f")
    assert edit is not None and edit.kind == ev.NOTE_EDIT
    assert edit.data == {
        "note": note_id,
        "text": "rent is too high",
        "tags": ["quote", "follow-up"],
        "speaker": "P2",
    }
    note = live.state.notes[note_id]
    assert note.text == "rent is too high"
    assert note.tags == ("quote", "follow-up")
    assert note.speaker == "P2"
    assert note.t_s == 20.0  # the note keeps its moment
    assert note.edited
    assert note.history == [
        {"text": "rent is too hihg", "tags": ["quote"], "speaker": "P1", "by": edit.id}
    ]
    # an edit without @ keeps the speaker; the same text again is no edit
    assert live.edit_note(note_id, "rent is too high #q #f") is None
    second = live.edit_note(note_id, "rent is much too high")
    assert second is not None
    assert live.state.notes[note_id].speaker == "P2"
    assert live.state.notes[note_id].tags == ()
    assert [h["text"] for h in live.state.notes[note_id].history] == [
        "rent is too hihg",
        "rent is too high",
    ]
    assert live.edit_note(note_id, "#q") is None  # nothing left: no edit
    assert live.edit_note("moderator:999", "x") is None  # no such note

    summary = summary_of(live)
    assert summary["notes"][0]["edited"] is True
    assert summary["notes"][0]["text"] == "rent is much too high"
    assert summary["follow_ups"] == []  # the follow-up tag was edited away
    on_disk = reopen(live, clock)
    assert on_disk.state.notes[note_id].history == live.state.notes[note_id].history
    kinds = [e.kind for e in on_disk.store.read_events().events]
    assert kinds.count(ev.NOTE) == 1 and kinds.count(ev.NOTE_EDIT) == 2


def test_a_delete_hides_the_note_and_keeps_the_record(
    live: LiveSession, assistant: Callable[[], LiveSession], clock: FakeClock
) -> None:
    keep = live.add_note("keep this #s").id
    gone = live.add_note("a mistake #q").id
    delete = live.delete_note(gone)
    assert delete is not None and delete.data == {"note": gone}
    assert live.delete_note(gone) is None  # once only
    assert live.edit_note(gone, "too late") is None  # a deleted note is not edited
    assert [n.id for n in live.state.live_notes()] == [keep]
    assert live.state.notes[gone].deleted
    assert live.state.notes[gone].text == "a mistake"
    assert live.state.notes[gone].history == [{"deleted_by": delete.id}]
    assert [n["id"] for n in summary_of(live)["notes"]] == [keep]
    events = live.store.read_events().events
    assert [e.id for e in events if e.kind == ev.NOTE] == [keep, gone]
    assert [e.data for e in events if e.kind == ev.NOTE_DELETE] == [{"note": gone}]
    # the assistant may delete the moderator's note too; both views agree after a poll
    helper = assistant()
    clock.advance(1)  # (at the very same instant the fold's order is not causal: see below)
    assert helper.delete_note(keep) is not None
    live.poll()
    assert live.state.live_notes() == [] and helper.state.live_notes() == []
    assert reopen(live, clock).state.live_notes() == []


def test_a_delete_from_another_writer_at_the_same_instant_survives_a_fresh_fold(
    live: LiveSession, assistant: Callable[[], LiveSession], clock: FakeClock
) -> None:
    note = live.add_note("said at the same instant").id
    helper = assistant()  # no clock movement: the fake clock stands still, like a fast typist
    assert helper.delete_note(note) is not None
    live.poll()
    assert live.state.live_notes() == [] and helper.state.live_notes() == []
    assert reopen(live, clock).state.live_notes() == []


# --- summary and exports --------------------------------------------------------------------------


def scripted(live: LiveSession, clock: FakeClock) -> dict[str, str]:
    """A short session with notes in two phases, quotes, follow-ups and two reflections."""
    ids: dict[str, str] = {}
    clock.advance(30)
    ids["intro"] = live.add_note("everyone knows each other #o").id
    live.add_reflection("I talked too much in the round")
    live.next_phase()
    live.speak("P1")
    clock.advance(45)
    ids["quote"] = live.add_note("the rent eats everything #q").id
    ids["follow"] = live.add_note("ask about the waiting list #f @3").id
    live.next_question()
    live.speak("P2")
    clock.advance(20)
    ids["both"] = live.add_note("nobody calls back #quote #follow-up").id
    ids["plain"] = live.add_note("long silence after this").id
    live.add_reflection("  I steered them towards NAV  ")
    return ids


def test_follow_ups_are_the_notes_tagged_follow_up(live: LiveSession, clock: FakeClock) -> None:
    ids = scripted(live, clock)
    summary = summary_of(live)
    assert [n["id"] for n in summary["notes"]] == [
        ids["intro"],
        ids["quote"],
        ids["follow"],
        ids["both"],
        ids["plain"],
    ]
    assert [n["id"] for n in summary["follow_ups"]] == [ids["follow"], ids["both"]]
    follow = summary["follow_ups"][0]
    assert follow["speaker"] == "Informant 3" and follow["speaker_id"] == "P3"
    assert follow["question"] == "ds-moter" and follow["phase"] == "dagens-situasjon"
    assert follow["question_text"] == live.guide.phases[1].questions[0].text
    assert follow["t_s"] == 75.0
    assert follow["edited"] is False


def test_reflections_stay_out_of_the_summary_unless_asked_for(
    live: LiveSession, clock: FakeClock
) -> None:
    scripted(live, clock)
    assert [r.text for r in live.state.reflections] == [
        "I talked too much in the round",
        "I steered them towards NAV",
    ]
    assert live.add_reflection("   ") is None
    assert all("steered" not in n.text for n in live.state.live_notes())  # not a group note

    default = summary_of(live)
    assert "reflections" not in default
    dumped = json.dumps(default, ensure_ascii=False)
    assert "steered" not in dumped and "talked too much" not in dumped
    markdown = render_markdown(default)
    assert "steered" not in markdown and "talked too much" not in markdown

    asked = summary_of(live, with_reflections=True)
    assert asked["reflections"] == [
        {
            "t_s": 30.0,
            "phase": "introduksjon",
            "question": "intro-tema",
            "text": "I talked too much in the round",
        },
        {
            "t_s": 95.0,
            "phase": "dagens-situasjon",
            "question": "ds-samarbeid",
            "text": "I steered them towards NAV",
        },
    ]
    assert asked["notes"] == default["notes"]
    with_log = render_markdown(asked)
    assert "I talked too much in the round" in with_log
    assert "I steered them towards NAV" in with_log


def facilitator_cli(sessions: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(sessions), *args],
        env={"PATH": "/usr/bin:/bin", "FACILITATOR_LANG": "en", "LANG": "C.UTF-8"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_summary_command_leaves_reflections_out_unless_asked(
    live: LiveSession, clock: FakeClock
) -> None:
    scripted(live, clock)
    sessions, session_id = live.store.path.parent, live.store.path.name
    plain = facilitator_cli(sessions, "summary", session_id, "--format", "json")
    assert plain.returncode == 0, plain.stderr
    data = json.loads(plain.stdout)
    assert "reflections" not in data
    assert "steered" not in plain.stdout
    assert [n["text"] for n in data["follow_ups"]] == [
        "ask about the waiting list",
        "nobody calls back",
    ]
    asked = facilitator_cli(
        sessions, "summary", session_id, "--format", "json", "--with-reflections"
    )
    assert asked.returncode == 0, asked.stderr
    assert [r["text"] for r in json.loads(asked.stdout)["reflections"]] == [
        "I talked too much in the round",
        "I steered them towards NAV",
    ]
    markdown = facilitator_cli(sessions, "summary", session_id)
    assert markdown.returncode == 0, markdown.stderr
    assert "the rent eats everything" in markdown.stdout
    assert "steered" not in markdown.stdout
    markdown_asked = facilitator_cli(sessions, "summary", session_id, "--with-reflections")
    assert markdown_asked.returncode == 0, markdown_asked.stderr
    assert "I steered them towards NAV" in markdown_asked.stdout


def test_markdown_groups_notes_by_question_with_quotes_and_follow_ups(
    live: LiveSession, clock: FakeClock
) -> None:
    scripted(live, clock)
    markdown = render_markdown(summary_of(live))
    notes = markdown[markdown.index("## Notes") :]
    intro_q, moter_q, samarbeid_q = (
        live.guide.phases[0].questions[0].text,
        live.guide.phases[1].questions[0].text,
        live.guide.phases[1].questions[1].text,
    )
    expected = [
        "### Introduction phase",
        f"**{intro_q}**",
        "- 00:30: everyone knows each other `#observation`",
        "### Current situation",
        f"**{moter_q}**",
        "- 01:15 (Informant 1): “the rent eats everything” `#quote`",
        "- 01:15 (Informant 3): ask about the waiting list `#follow-up`",
        f"**{samarbeid_q}**",
        "- 01:35 (Informant 2): “nobody calls back” `#quote #follow-up`",
        "- 01:35 (Informant 2): long silence after this",
        "## Quotes",
        "- 01:15 (Informant 1): “the rent eats everything” `#quote`",
        "- 01:35 (Informant 2): “nobody calls back” `#quote #follow-up`",
        "## Follow-ups",
        "- 01:15 (Informant 3): ask about the waiting list `#follow-up`",
        "- 01:35 (Informant 2): “nobody calls back” `#quote #follow-up`",
    ]
    lines = [line for line in notes.splitlines() if line.strip()]
    position = 0
    for line in expected:  # each there, in this order (quotes and follow-ups come twice)
        assert line in lines[position:], (line, lines)
        position = lines.index(line, position) + 1
    assert "## Closing" not in notes  # a phase without notes gets no heading


def test_markdown_without_notes_has_no_notes_section(live: LiveSession, clock: FakeClock) -> None:
    clock.advance(60)
    markdown = render_markdown(summary_of(live))
    assert "## Notes" not in markdown and "## Quotes" not in markdown
    assert "## Follow-ups" not in markdown
