"""Damaged session files: a clear message, a copy kept aside, everything readable recovered.

Each damage a session folder can suffer (``session.json`` cut short, emptied, overwritten with
garbage, hand-edited into a value the app cannot use, deleted; journal lines damaged in the
middle, run together, not UTF-8) meets each way in: ``facilitator summary``, ``facilitator
export``, ``facilitator run`` (the CLI path, its app driven by Pilot), the start screen of a
bare ``facilitator``, and ``LiveSession`` itself. Each must

- say which file is damaged and what was done,
- keep a byte-identical copy of the damaged file beside it (``<name>.damaged-...``, 0600)
  before anything writes over it,
- recover everything readable: the session's details (title, guide, roster) from
  ``session.meta.json``, the events from the journals and the last checkpoint,
- and then let the session go on, never silently starting it afresh.
"""

from __future__ import annotations

import json
import random
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import GUIDES, START

from facilitator.cli import commands as cli
from facilitator.core.clock import FakeClock
from facilitator.core.events import Event
from facilitator.core.guide import load_guide
from facilitator.core.session import SessionInfo, state_of
from facilitator.services.live import LiveSession
from facilitator.store import session_store
from facilitator.store.journal import read_journal
from facilitator.store.session_store import (
    DAMAGED_MARK,
    SessionDamaged,
    SessionStore,
    list_session_dirs,
    parse_participant,
    read_json_object,
)
from facilitator.ui.app import make_home_app
from facilitator.ui.screens.home import HomeScreen
from facilitator.ui.screens.live import LiveScreen

JOURNAL = "journal-moderator.jsonl"
PEOPLE = [
    "P1:Informant 1:Housing office:Kari Nordmann",
    "P2:Informant 2:Property office:Ola Hansen",
    "P3:Informant 3:NAV",
]


# --- a session with a history -------------------------------------------------------------------


@dataclass
class Recorded:
    """A session as it was before the damage: what recovery must give back."""

    store: SessionStore
    info: SessionInfo
    events: list[Event]  # every event, from the journals
    checkpointed: set[str]  # ids of the events in session.json's copy

    @property
    def sessions(self) -> Path:
        return self.store.path.parent


def record_session(sessions: Path, clock: FakeClock) -> Recorded:
    """Two runs of a session: the first closed (so checkpointed), the second killed (its
    events are in the journal only)."""
    guide = load_guide(GUIDES / "seed-en.toml")
    store = SessionStore.create(
        sessions,
        guide,
        title="Stage 1",
        participants=[parse_participant(spec) for spec in PEOPLE],
        now=clock.now(),
        study="u-turn",
        guide_path="guides/seed-en.toml",
    )
    live = LiveSession(store, clock=clock)
    live.toggle_checked(live.guide.phases[0].checklist[0].id)
    live.speak_position(1)
    clock.advance(40)
    live.add_note("We meet the families where they are #quote")
    live.speak_position(2)
    clock.advance(25)
    live.next_question()
    live.add_participant("P4", "Informant 4", "Volunteer centre")
    live.speak("moderator")
    clock.advance(10)
    live.add_note("ask about the waiting lists #follow-up")
    live.close()  # a clean close: everything so far is in session.json's copy too
    checkpointed = {e.id for e in store.read_events().events}

    clock.advance(60)
    live = LiveSession(store, clock=clock)
    live.speak_position(3)
    clock.advance(20)
    live.add_note("a note after the checkpoint #theme")
    live.speak(None)
    assert live.journal is not None
    live.journal.close()  # killed: no close, no checkpoint
    events = store.read_events().events
    return Recorded(SessionStore(store.path), store.info(), events, checkpointed)


@pytest.fixture
def recorded(tmp_path: Path, clock: FakeClock) -> Recorded:
    return record_session(tmp_path / "sessions", clock)


# --- ways to damage session.json ----------------------------------------------------------------


def _edit_json(edit: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    def damage(data: bytes) -> bytes:
        document = json.loads(data)
        edit(document)
        return json.dumps(document).encode()

    return damage


def _first(table: dict) -> dict:
    return next(iter(table.values()))


def _phase_minutes_in_words(document: dict) -> None:
    _first(document["guide"])["phases"][1]["minutes"] = "forty"


def _participant_without_id(document: dict) -> None:
    del _first(document["participants"])["id"]


DB_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda data: data[: len(data) // 2],
    "emptied": lambda data: b"",
    "garbage": lambda data: random.Random(8).randbytes(len(data)),
    "not an object": lambda data: b'["session"]\n',
    "stage in words": _edit_json(lambda d: _first(d["meta"]).update(stage="two")),
    "phase minutes in words": _edit_json(_phase_minutes_in_words),
    "participant without id": _edit_json(_participant_without_id),
    "meta table deleted": _edit_json(lambda d: d.pop("meta")),
}


def damage_db(store: SessionStore, kind: str) -> bytes:
    damaged = DB_DAMAGE[kind](store.db_path.read_bytes())
    store.db_path.write_bytes(damaged)
    return damaged


# --- ways to damage a journal in the middle -----------------------------------------------------


def _line_of(lines: list[bytes], text: str) -> int:
    (index,) = [i for i, line in enumerate(lines) if text.encode() in line]
    return index


def garbage_line(lines: list[bytes], index: int) -> None:
    lines[index] = bytes(random.Random(index).randrange(32, 127) for _ in lines[index])


def cut_line(lines: list[bytes], index: int) -> None:
    lines[index] = lines[index][: len(lines[index]) // 2]


def not_utf8(lines: list[bytes], index: int) -> None:
    lines[index] = lines[index].replace(b"families", b"famil\xff\xfees")


def run_together(lines: list[bytes], index: int) -> None:
    lines[index : index + 2] = [lines[index] + lines[index + 1]]


JOURNAL_DAMAGE = {
    # (how, the line damaged, the events lost for good)
    "checkpointed line overwritten": (garbage_line, "families where", 0),
    "checkpointed line cut short": (cut_line, "families where", 0),
    "checkpointed line not UTF-8": (not_utf8, "families where", 0),
    "two lines run together": (run_together, "after the checkpoint", 0),
    "line after the checkpoint overwritten": (garbage_line, "after the checkpoint", 1),
}


def damage_journal(store: SessionStore, kind: str) -> tuple[bytes, set[str]]:
    """Damage one line of the moderator's journal; the damaged bytes and the ids lost."""
    how, text, _lost = JOURNAL_DAMAGE[kind]
    path = store.path / JOURNAL
    lines = path.read_bytes().split(b"\n")
    index = _line_of(lines, text)
    event = Event.from_record(json.loads(lines[index]))
    how(lines, index)
    damaged = b"\n".join(lines)
    path.write_bytes(damaged)
    assert not read_journal(path).torn_tail
    return damaged, ({event.id} if JOURNAL_DAMAGE[kind][2] else set())


# --- the ways in ----------------------------------------------------------------------------------


def in_process(sessions: Path, *args: str, capsys: pytest.CaptureFixture[str]):
    capsys.readouterr()
    code = cli.main(["--sessions", str(sessions), *args])
    out, err = capsys.readouterr()
    return code, out, err


@dataclass
class Outcome:
    messages: list[str]  # what the user was told
    output: str = ""  # what the command printed (summary, export)


async def through_summary(recorded: Recorded, capsys, clock) -> Outcome:
    code, out, err = in_process(
        recorded.sessions, "summary", recorded.info.id, "--format", "json", capsys=capsys
    )
    assert code == 0, err
    assert "Traceback" not in err
    summary = json.loads(out)
    return Outcome(err.splitlines(), json.dumps(summary))


async def through_export(recorded: Recorded, capsys, clock) -> Outcome:
    code, out, err = in_process(
        recorded.sessions, "export", recorded.info.id, "--format", "csv", capsys=capsys
    )
    assert code == 0, err
    assert "Traceback" not in err
    return Outcome(err.splitlines(), out)


async def _messages_of_the_live_view(app) -> list[str]:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LiveScreen)
        messages = [str(n.message) for n in app._notifications]
        await pilot.press("ctrl+q")
    return messages


async def through_run(recorded: Recorded, capsys, clock) -> Outcome:
    """``facilitator run``, as far as the terminal: the app it makes is then run by Pilot."""
    made: list = []
    patch = pytest.MonkeyPatch()
    patch.setattr(cli, "_run_app", lambda app: made.append((app, app.live)) or 0)
    patch.setattr("facilitator.services.live.SteadyClock", lambda: clock)
    try:
        code, _out, err = in_process(recorded.sessions, "run", recorded.info.id, capsys=capsys)
    finally:
        patch.undo()
    assert code == 0, err
    (app, live), *_ = made
    messages = await _messages_of_the_live_view(app)
    live.close()
    return Outcome(messages)


async def through_start_screen(recorded: Recorded, capsys, clock) -> Outcome:
    """A bare ``facilitator``: the session is listed (readable), and opening it says what was
    found and done."""
    app = make_home_app(recorded.sessions, GUIDES)
    patch = pytest.MonkeyPatch()
    patch.setattr("facilitator.services.live.SteadyClock", lambda: clock)
    try:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            assert isinstance(app.screen, HomeScreen)
            listed = app.screen.query_one("#sessions")
            labels = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
            assert len(labels) == 1 and "cannot be read" not in labels[0], labels
            assert "Stage 1" in labels[0]
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, LiveScreen)
            messages = [str(n.message) for n in app._notifications]
            await pilot.press("ctrl+q")
    finally:
        patch.undo()
    if app.live is not None:
        app.live.close()
    return Outcome(messages)


async def through_live_session(recorded: Recorded, capsys, clock) -> Outcome:
    live = LiveSession(SessionStore(recorded.store.path), clock=clock)
    messages = list(live.problems)
    live.close()
    return Outcome(messages)


WAYS_IN = {
    "summary": through_summary,
    "export": through_export,
    "run": through_run,
    "start screen": through_start_screen,
    "LiveSession": through_live_session,
}


# --- what must hold afterwards -----------------------------------------------------------------


def damaged_copies(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}{DAMAGED_MARK}*"))


def assert_kept_aside(path: Path, damaged: bytes) -> Path:
    (copy,) = damaged_copies(path)
    assert copy.read_bytes() == damaged
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    return copy


def assert_recovered(recorded: Recorded, lost: set[str] = frozenset()) -> SessionStore:  # type: ignore[assignment]
    """The session as it was (details, roster, every event not lost for good), and a clean
    session.json again."""
    store = SessionStore(recorded.store.path)
    info = store.info()
    assert store.damage is None, store.damage  # session.json was rebuilt whole
    assert info == recorded.info
    events = {e.id: e for e in store.read_events().events}
    for event in recorded.events:
        if event.id in lost:
            assert event.id not in events
        else:
            assert events.get(event.id) == event, event.id
    state = state_of(info, list(events.values()))
    assert [p.id for p in state.roster] == ["P1", "P2", "P3", "P4"]
    notes = [n.text for n in state.notes.values()]
    assert "We meet the families where they are" in notes
    if not lost:
        assert "a note after the checkpoint" in notes
    document, reason = read_json_object(store.db_path)
    assert document is not None, reason
    meta_copy, reason = read_json_object(store.meta_path)
    assert meta_copy is not None, reason
    return store


def assert_resumes(recorded: Recorded, clock: FakeClock) -> None:
    """The session goes on where it was: a new note is kept, and nothing is rebuilt again."""
    store = SessionStore(recorded.store.path)
    clock.advance(30)
    live = LiveSession(store, clock=clock)
    before = len(store.read_events().events)
    live.speak_position(2)
    note = live.add_note("after the repair #summary")
    assert note is not None
    live.close()
    again = LiveSession(SessionStore(store.path), clock=clock)
    try:
        assert again.state.notes[note.id].text == "after the repair"
        # session.json is whole: nothing more to rebuild (damaged journal lines stay damaged,
        # and are said at each start, with where their copy is)
        assert not any("rebuilt" in problem for problem in again.problems), again.problems
        assert len(again.store.read_events().events) >= before + 3
        ids = [e.id for e in again.store.read_events().events]
        assert len(ids) == len(set(ids))
    finally:
        assert again.journal is not None
        again.journal.close()


def said(messages: list[str], *fragments: str) -> str:
    """The one message that holds every fragment."""
    found = [m for m in messages if all(f in m for f in fragments)]
    assert found, f"no message with {fragments} in {messages}"
    return found[0]


# --- session.json -------------------------------------------------------------------------------


@pytest.mark.parametrize("way", WAYS_IN)
@pytest.mark.parametrize("kind", DB_DAMAGE)
async def test_a_damaged_session_json_is_kept_aside_rebuilt_and_said(
    recorded: Recorded, kind: str, way: str, capsys, clock: FakeClock
) -> None:
    damaged = damage_db(recorded.store, kind)
    outcome = await WAYS_IN[way](recorded, capsys, clock)
    copy = assert_kept_aside(recorded.store.db_path, damaged)
    message = said(outcome.messages, str(recorded.store.db_path), "damaged", copy.name)
    assert "session.meta.json" in message and "rebuilt" in message
    if way == "summary":
        summary = json.loads(outcome.output)
        assert summary["session"]["title"] == "Stage 1"
        assert [p["label"] for p in summary["participants"]] == [
            "Informant 1",
            "Informant 2",
            "Informant 3",
            "Informant 4",
        ]
        assert len(summary["notes"]) == 3
    if way == "export":
        assert "We meet the families where they are" in outcome.output
    assert_recovered(recorded)
    assert_resumes(recorded, clock)
    # said once: the file is whole again, so the next reader finds nothing to say
    code, _out, err = in_process(
        recorded.sessions, "summary", recorded.info.id, "--format", "md", capsys=capsys
    )
    assert code == 0 and "damaged" not in err, err
    assert len(damaged_copies(recorded.store.db_path)) == 1


@pytest.mark.parametrize("way", WAYS_IN)
async def test_a_deleted_session_json_is_rebuilt_from_the_copy(
    recorded: Recorded, way: str, capsys, clock: FakeClock
) -> None:
    recorded.store.db_path.unlink()
    assert list_session_dirs(recorded.sessions) == [recorded.store.path]
    outcome = await WAYS_IN[way](recorded, capsys, clock)
    said(outcome.messages, str(recorded.store.db_path), "the file is missing", "rebuilt")
    assert damaged_copies(recorded.store.db_path) == []  # nothing to keep
    assert_recovered(recorded)
    assert_resumes(recorded, clock)


def test_the_copy_of_the_details_is_written_at_creation_and_kept_up_to_date(
    tmp_path: Path, clock: FakeClock
) -> None:
    recorded = record_session(tmp_path / "sessions", clock)
    store = recorded.store
    copy = json.loads(store.meta_path.read_bytes())
    document = json.loads(store.db_path.read_bytes())
    assert set(copy) == set(document) - {"events"}
    assert all(copy[name] == document[name] for name in copy)
    assert stat.S_IMODE(store.meta_path.stat().st_mode) == 0o600
    store.set_study("another-study")
    assert _first(json.loads(store.meta_path.read_bytes())["meta"])["study"] == "another-study"
    # a lost or damaged copy is made again from a good session.json at the next checkpoint
    store.meta_path.write_bytes(b"{")
    assert store.checkpoint() == len(recorded.events)
    assert (
        json.loads(store.meta_path.read_bytes())["meta"]
        == json.loads(store.db_path.read_bytes())["meta"]
    )


@pytest.mark.parametrize("way", ["summary", "export", "run", "LiveSession"])
async def test_when_the_copy_is_damaged_too_nothing_is_written_and_it_is_said(
    recorded: Recorded, way: str, capsys, clock: FakeClock
) -> None:
    damage_db(recorded.store, "truncated")
    recorded.store.meta_path.write_bytes(b"\x00\x01garbage")
    before = {p.name: p.read_bytes() for p in recorded.store.path.iterdir()}
    if way == "LiveSession":
        with pytest.raises(SessionDamaged) as caught:
            LiveSession(SessionStore(recorded.store.path), clock=clock)
        message = str(caught.value)
    else:
        args = {
            "summary": ["summary", recorded.info.id, "--format", "json"],
            "export": ["export", recorded.info.id, "--format", "csv"],
            "run": ["run", recorded.info.id],
        }[way]
        code, out, err = in_process(recorded.sessions, *args, capsys=capsys)
        assert code == 1 and out == "" and "Traceback" not in err
        message = err
    assert str(recorded.store.db_path) in message and "session.meta.json" in message
    assert "cannot be recovered" in message and "left as they are" in message
    after = {p.name: p.read_bytes() for p in recorded.store.path.iterdir()}
    assert after == before  # not a byte written, no fresh session


async def test_the_start_screen_lists_an_unrecoverable_session_as_unreadable(
    recorded: Recorded,
) -> None:
    damage_db(recorded.store, "emptied")
    recorded.store.meta_path.unlink()
    app = make_home_app(recorded.sessions, GUIDES)
    async with app.run_test(size=(120, 40)) as pilot:
        listed = app.screen.query_one("#sessions")
        assert "cannot be read" in str(listed.get_option_at_index(0).prompt)
        await pilot.press("ctrl+q")
    assert recorded.store.db_path.read_bytes() == b""


def test_a_checkpoint_keeps_a_damaged_session_json_aside_before_writing_over_it(
    recorded: Recorded,
) -> None:
    """session.json damaged while the app runs: the next checkpoint copies it aside first."""
    damaged = damage_db(recorded.store, "garbage")
    store = SessionStore(recorded.store.path)
    assert store.checkpoint() == len(recorded.events)
    assert_kept_aside(store.db_path, damaged)
    assert_recovered(recorded)


def test_a_session_json_damaged_after_it_was_read_is_still_found(recorded: Recorded) -> None:
    """The details of a session.json read before are reused for the very same bytes only:
    damage after the read (in place, the same size) is found and kept aside as ever."""
    store = recorded.store
    store.info()
    data = store.db_path.read_bytes()
    damaged = data.replace(b'"stage": 1', b'"stage": 0', 1)
    assert len(damaged) == len(data) and damaged != data
    store.db_path.write_bytes(damaged)
    assert store.checkpoint() == len(recorded.events)
    assert_kept_aside(store.db_path, damaged)
    assert_recovered(recorded)


def test_opening_a_session_parses_session_json_once(
    recorded: Recorded, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``info`` and ``repair`` both need the details: the file (megabytes in a long session,
    with its copy of the events) is parsed for the first only; and not at all while it is
    byte for byte what the last checkpoint wrote (its snapshot holds the details it wrote)."""
    parsed: list[bytes] = []
    parse = session_store._json_object
    monkeypatch.setattr(session_store, "_json_object", lambda raw: parse(parsed.append(raw) or raw))
    live = LiveSession(SessionStore(recorded.store.path), clock=clock)
    assert len(parsed) == 0  # as the first run's close wrote it: the details from the snapshot
    live.close()  # the checkpoint's read of the details, unchanged since, is not parsed either
    assert len(parsed) == 0
    # session.json changed since its checkpoint (the same content, other bytes): parsed once
    db = recorded.store.db_path
    db.write_text(json.dumps(json.loads(db.read_text(encoding="utf-8")), indent=1), "utf-8")
    live = LiveSession(SessionStore(recorded.store.path), clock=clock)
    assert len(parsed) == 1
    assert live.info == recorded.info
    assert live.journal is not None
    live.journal.close()


# --- journals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("way", WAYS_IN)
@pytest.mark.parametrize("kind", JOURNAL_DAMAGE)
async def test_damaged_journal_lines_are_skipped_counted_and_the_rest_kept(
    recorded: Recorded, kind: str, way: str, capsys, clock: FakeClock
) -> None:
    damaged, lost = damage_journal(recorded.store, kind)
    outcome = await WAYS_IN[way](recorded, capsys, clock)
    journal = recorded.store.path / JOURNAL
    copy = assert_kept_aside(journal, damaged)
    said(outcome.messages, JOURNAL, "1 damaged line(s) skipped", "the lines after them were read")
    said(outcome.messages, JOURNAL, copy.name)
    if kind == "two lines run together":
        said(outcome.messages, "Whole events found in them: 2")
    elif not lost:
        said(outcome.messages, "1 event(s) missing from the damaged journals", "session.json")
    assert_recovered(recorded, lost)
    assert_resumes(recorded, clock)
    # the damaged line stays where it was (a journal is never rewritten); no second copy
    assert journal.read_bytes().startswith(damaged)
    assert len(damaged_copies(journal)) == 1


def test_a_damaged_last_line_does_not_give_its_number_to_the_next_event(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The closing event, checkpointed, then damaged: the next event must not take its
    number (it would hide the recovered one)."""
    sessions = tmp_path / "sessions"
    store = SessionStore.create(
        sessions,
        load_guide(GUIDES / "seed-en.toml"),
        "T",
        [parse_participant("P1:Informant 1")],
        now=START,
    )
    live = LiveSession(store, clock=clock)
    live.speak_position(1)
    live.close()  # ... CLOSED, checkpointed
    path = store.path / JOURNAL
    lines = path.read_bytes().split(b"\n")
    closed = Event.from_record(json.loads(lines[-2]))
    assert closed.kind == "closed"
    lines[-2] = b"#" * len(lines[-2])
    path.write_bytes(b"\n".join(lines))
    clock.advance(10)
    live = LiveSession(SessionStore(store.path), clock=clock)
    live.speak(None)
    live.close()
    events = SessionStore(store.path).read_events().events
    ids = [e.id for e in events]
    assert closed in events
    assert len(ids) == len(set(ids))
    assert max(e.seq for e in events) == closed.seq + 3  # opened, speaker, closed


def test_reading_a_damaged_journal_writes_nothing(recorded: Recorded) -> None:
    """Only ``repair`` (run, summary, export, opening a session) copies files aside; reading
    (the start screen's list, a study's report) changes nothing."""
    damaged, _lost = damage_journal(recorded.store, "checkpointed line overwritten")
    before = {p.name: p.read_bytes() for p in recorded.store.path.iterdir()}
    store = SessionStore(recorded.store.path)
    store.info()
    loaded = store.read_events()
    assert len(loaded.problems) == 2
    assert {p.name: p.read_bytes() for p in recorded.store.path.iterdir()} == before
