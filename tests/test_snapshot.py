"""The snapshot of the folded state (store/snapshot.py): a cache, never a second truth.

A session reopened after a checkpoint takes its state from ``state.snapshot`` and folds only
the events appended since; whatever is wrong with the snapshot (damaged, stale, made by
another fold, from other session details, not matching the journals, or a planted file),
the state is folded from every event instead. Either way the state is exactly the one a
full fold of the journals gives.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from facilitator.core import events as ev
from facilitator.core.clock import FakeClock
from facilitator.core.session import SessionState, state_of
from facilitator.services.live import ASSISTANT, LiveSession
from facilitator.store import session_store, snapshot
from facilitator.store.session_store import SessionStore


def act(live: LiveSession, clock: FakeClock, rounds: int) -> None:
    """A moderator's mix of actions: speakers, moves, a note, a tick, a break."""
    for n in range(rounds):
        clock.advance(7)
        live.speak(["P1", "P2", "moderator", "P3"][n % 4])
        if n % 5 == 0:
            live.next_question()
        if n % 7 == 0:
            live.add_note(f"note {n} #theme")
        if n % 11 == 0:
            live.toggle_checked(live.guide.phases[0].checklist[0].id)


def full_fold(store: SessionStore) -> SessionState:
    return state_of(store.info(), store.read_events().events)


@pytest.fixture
def checkpointed(new_store: Callable[..., SessionStore], clock: FakeClock) -> SessionStore:
    """A session run, checkpointed (as the periodic checkpoint does), run on, then killed."""
    store = new_store()
    live = LiveSession(store, clock=clock)
    act(live, clock, 60)
    assert store.checkpoint() > 0
    assert (store.path / snapshot.SNAPSHOT_NAME).exists()
    act(live, clock, 25)  # the tail: events after the last checkpoint
    assert live.journal is not None
    live.journal.close()  # killed: no close, no checkpoint
    return SessionStore(store.path)


def reopen(store: SessionStore, clock: FakeClock) -> tuple[LiveSession, bool]:
    """The session opened again, as ``facilitator run`` does; and whether the snapshot served."""
    fresh = SessionStore(store.path)
    clock.advance(60)
    live = LiveSession(fresh, clock=clock)
    return live, fresh._resumed


def test_a_reopened_session_takes_the_snapshot_and_folds_only_the_tail(
    checkpointed: SessionStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = full_fold(checkpointed)
    applied: list[str] = []
    original = SessionState.apply

    def counting(self: SessionState, event: ev.Event) -> bool:
        applied.append(event.id)
        return original(self, event)

    monkeypatch.setattr(SessionState, "apply", counting)
    live, resumed = reopen(checkpointed, clock)
    assert resumed
    # only the tail was folded (25 rounds' events), then the new "opened" event
    assert 25 <= len(applied) - 1 < expected.event_count / 2
    assert live.journal is not None
    live.journal.close()
    monkeypatch.setattr(SessionState, "apply", original)
    assert live.state == full_fold(checkpointed)
    # and the new event took the next number of the moderator's journal
    numbers = [e.seq for e in checkpointed.read_events().events if e.writer == "moderator"]
    assert numbers == list(range(1, len(numbers) + 1))


def test_the_state_from_the_snapshot_is_the_full_folds(
    checkpointed: SessionStore, clock: FakeClock
) -> None:
    info = checkpointed.info()
    resumed = checkpointed.resume(info)
    assert resumed is not None and resumed.from_tails > 0
    assert resumed.state == full_fold(checkpointed)


def _flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _edit_early_journal_line(store: SessionStore) -> None:
    path = store.journal_path("moderator")
    lines = path.read_bytes().split(b"\n")
    record = json.loads(lines[3])
    record["at"] += 0.5  # still a well-formed event, but not the one the snapshot folded
    lines[3] = json.dumps(record).encode()
    path.write_bytes(b"\n".join(lines))


def _cut_journal(store: SessionStore) -> None:
    path = store.journal_path("moderator")
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:20]) + b"\n")  # shorter than the snapshot was made from


def _rename_participant(store: SessionStore) -> None:
    document = json.loads(store.db_path.read_text(encoding="utf-8"))
    document["participants"]["1"]["label"] = "Someone else"
    store.db_path.write_text(json.dumps(document), encoding="utf-8")
    copy = json.loads(store.meta_path.read_text(encoding="utf-8"))
    copy["participants"]["1"]["label"] = "Someone else"
    store.meta_path.write_text(json.dumps(copy), encoding="utf-8")


def _earlier_event_from_another_writer(store: SessionStore) -> None:
    """An assistant's event from before the snapshot's last one (a late journal)."""
    events = store.read_events().events
    at = events[10].at + 0.25
    record = {"w": ASSISTANT, "n": 1, "at": at, "kind": ev.SPEAKER, "data": {"who": "P4"}}
    store.journal_path(ASSISTANT).write_text(json.dumps(record) + "\n", encoding="utf-8")


def _damaged_tail_line(store: SessionStore) -> None:
    with store.journal_path("moderator").open("ab") as handle:
        handle.write(b"\x00\x00garbage\n")


def _truncated_snapshot(store: SessionStore) -> None:
    path = store.path / snapshot.SNAPSHOT_NAME
    path.write_bytes(path.read_bytes()[:-100])


def _flipped_snapshot_body(store: SessionStore) -> None:
    path = store.path / snapshot.SNAPSHOT_NAME
    _flip_byte(path, len(path.read_bytes()) - 50)


def _other_fold(store: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "_fold_digest", "another version of the fold")


STALE = {
    "a byte of the snapshot's body flipped": lambda s, m: _flipped_snapshot_body(s),
    "the snapshot cut short": lambda s, m: _truncated_snapshot(s),
    "an early journal line edited": lambda s, m: _edit_early_journal_line(s),
    "the journal shorter than the snapshot's": lambda s, m: _cut_journal(s),
    "a participant renamed in the details": lambda s, m: _rename_participant(s),
    "an event older than the snapshot's last, from another writer": (
        lambda s, m: _earlier_event_from_another_writer(s)
    ),
    "a damaged line in the tail": lambda s, m: _damaged_tail_line(s),
    "made by another version of the fold": _other_fold,
}


@pytest.mark.parametrize("damage", list(STALE))
def test_a_snapshot_that_does_not_fit_is_ignored_and_every_event_folded(
    checkpointed: SessionStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    STALE[damage](checkpointed, monkeypatch)
    live, resumed = reopen(checkpointed, clock)
    assert not resumed
    assert live.journal is not None
    live.journal.close()
    assert live.state == full_fold(checkpointed)


class _Planted:
    """What a planted snapshot would run when unpickled, if it were let."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch planted-ran",))


def test_a_planted_snapshot_runs_nothing(
    checkpointed: SessionStore, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot whose header is right (hashes and all) but whose body calls a function: the
    unpickler builds only the core's data classes, so nothing runs and it is ignored."""
    monkeypatch.chdir(tmp_path)
    path = checkpointed.path / snapshot.SNAPSHOT_NAME
    raw = path.read_bytes()
    header_end = raw.index(b"\n", len(snapshot.MAGIC))
    header = json.loads(raw[len(snapshot.MAGIC) : header_end])
    body = pickle.dumps(_Planted())
    header["body"] = snapshot._hash(body)
    path.write_bytes(snapshot.MAGIC + json.dumps(header).encode() + b"\n" + body)
    live, resumed = reopen(checkpointed, clock)
    assert not resumed
    assert not (tmp_path / "planted-ran").exists()
    assert live.journal is not None
    live.journal.close()
    assert live.state == full_fold(checkpointed)


def test_the_close_leaves_a_snapshot_of_the_whole_session(
    new_store: Callable[..., SessionStore], clock: FakeClock
) -> None:
    store = new_store()
    live = LiveSession(store, clock=clock)
    act(live, clock, 40)
    live.close()
    again = SessionStore(store.path)
    resumed = again.resume(again.info())
    assert resumed is not None and resumed.from_tails == 0  # nothing after the closing event
    assert resumed.state == full_fold(again)
    assert (store.path / snapshot.SNAPSHOT_NAME).stat().st_mode & 0o777 == 0o600


def test_the_periodic_checkpoint_runs_in_a_child_process(
    new_store: Callable[..., SessionStore], clock: FakeClock
) -> None:
    """``checkpoint_apart``: the TinyDB copy and the snapshot are written by another process
    (this one only waits), with the same result as ``checkpoint``."""
    store = new_store()
    live = LiveSession(store, clock=clock)
    act(live, clock, 30)
    snapshot_path = store.path / snapshot.SNAPSHOT_NAME
    assert not snapshot_path.exists()
    pids: list[int] = []
    real_popen = subprocess.Popen

    def popen(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        child = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        pids.append(child.pid)
        return child

    subprocess.Popen = popen  # type: ignore[misc]
    try:
        count = store.checkpoint_apart()
    finally:
        subprocess.Popen = real_popen  # type: ignore[misc]
    assert pids and os.getpid() not in pids
    assert count == live.state.event_count
    assert store.checkpoint_problem is None
    document = json.loads(store.db_path.read_text(encoding="utf-8"))
    assert len(document["events"]) == live.state.event_count
    resumed = store.resume(store.info())
    assert resumed is not None and resumed.state == live.state
    assert live.journal is not None
    live.journal.close()


def test_the_checkpointer_says_what_it_could_not_write(
    new_store: Callable[..., SessionStore], clock: FakeClock
) -> None:
    """The child's answer when the session cannot be checkpointed: one JSON line, not a
    traceback (a missing folder stands for any error the store reports)."""
    store = new_store()
    done = subprocess.run(
        [sys.executable, "-m", "facilitator.store.checkpointer", str(store.path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["events"] == -1 and answer["problem"]
    assert "Traceback" not in done.stderr


def test_details_from_the_snapshot_only_for_the_session_json_it_was_made_with(
    checkpointed: SessionStore, clock: FakeClock
) -> None:
    """The snapshot keeps the details of the session.json its checkpoint wrote, by that
    file's digest: used while session.json is those very bytes, never once it changed, and
    not if the copy in the snapshot is damaged."""
    info = checkpointed.info()
    parsed = json.loads(checkpointed.db_path.read_text(encoding="utf-8"))
    parsed.pop("events")
    fresh = SessionStore(checkpointed.path)
    assert snapshot.snapshot_details(
        fresh.path, session_store._digest(fresh.db_path.read_bytes()).hex()
    )
    assert fresh.details() == parsed
    # a participant renamed in session.json by hand: its bytes changed, so it is read
    document = json.loads(checkpointed.db_path.read_text(encoding="utf-8"))
    document["participants"]["1"]["label"] = "Renamed by hand"
    checkpointed.db_path.write_text(json.dumps(document), encoding="utf-8")
    assert SessionStore(checkpointed.path).info().participants[0].label == "Renamed by hand"
    assert info.participants[0].label != "Renamed by hand"


def test_damaged_details_in_the_snapshot_are_not_used(
    checkpointed: SessionStore, clock: FakeClock
) -> None:
    path = checkpointed.path / snapshot.SNAPSHOT_NAME
    raw = path.read_bytes()
    label = json.loads(checkpointed.db_path.read_text(encoding="utf-8"))["participants"]["1"][
        "label"
    ].encode()
    assert raw.count(label) >= 1
    path.write_bytes(raw.replace(label, b"X" * len(label), 1))  # same length, still JSON
    assert SessionStore(checkpointed.path).info().participants[0].label == label.decode()
