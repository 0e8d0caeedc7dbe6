"""Two real processes on one session at once: the moderator's and the assistant's.

Each is ``tests/helpers/two_writer.py`` acting through a ``LiveSession`` with the real clock
(speaker changes, moves through the guide, breaks, notes, edits, deletes, overlaps, undos),
polling the other as it goes. Released at the same moment, each records a thousand events;
then each polls a last time and fingerprints its state. Nothing acknowledged may be lost,
nothing written twice, and the two views and a fresh fold from disk must be the same.

In the second test one of them is killed with SIGKILL in mid-run and started again: it goes on
with the next number, and the same holds.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import GUIDES

from facilitator.core.session import SessionState
from facilitator.store.journal import read_journal
from facilitator.store.session_store import SessionStore, parse_participant

pytestmark = pytest.mark.slow

HELPER = Path(__file__).parent / "helpers" / "two_writer.py"
COUNT = 1_000  # events each process records after opening
KILL_AFTER = 100  # the victim is killed once it has acknowledged this many
WAIT_S = 40.0
ROLES = ("moderator", "assistant")

_spec = importlib.util.spec_from_file_location("two_writer", HELPER)
assert _spec is not None and _spec.loader is not None
two_writer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(two_writer)


class Writer:
    """One helper process, with a thread collecting what it reports."""

    def __init__(self, store: SessionStore, role: str, count: int, control: Path, now: float):
        self.role = role
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(HELPER),
                str(store.path),
                role,
                str(count),
                str(control),
                str(now),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.ready = threading.Event()
        self.finished = threading.Event()
        self.writer = ""
        self.ready_seq = 0
        self.acked: list[str] = []
        self.done = False
        self.fingerprint = ""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if not line.endswith("\n"):  # cut short by a kill: not reported whole
                continue
            word, *rest = line.split()
            if word == "ready":
                self.writer, self.ready_seq = rest[0], int(rest[1])
                self.ready.set()
            elif word == "ack":
                self.acked.append(rest[0])
            elif word == "done":
                self.done = True
            elif word == "fingerprint":
                self.fingerprint = rest[0]
        self.finished.set()

    def opened_ids(self) -> list[str]:
        """What was on disk for this writer once it said ready (acknowledged too)."""
        return [f"{self.writer}:{n}" for n in range(1, self.ready_seq + 1)]

    def wait_ready(self) -> None:
        if not self.ready.wait(timeout=WAIT_S):
            self.process.kill()
            pytest.fail(f"the {self.role} did not start: {self.stderr()}")

    def wait_acked(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_S
        while len(self.acked) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the {self.role} acknowledged {len(self.acked)}: {self.stderr()}")
            time.sleep(0.001)

    def wait_end(self) -> None:
        try:
            self.process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the {self.role} did not finish: {len(self.acked)} acknowledged")
        self.finished.wait(timeout=10)
        assert self.process.returncode == 0, f"the {self.role} failed: {self.stderr()}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.finished.wait(timeout=10)
        assert self.process.returncode == -signal.SIGKILL, self.stderr()

    def stderr(self) -> str:
        assert self.process.stderr is not None
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stderr.read()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def session(tmp_path: Path) -> SessionStore:
    from facilitator.core.guide import load_guide

    return SessionStore.create(
        tmp_path / "sessions",
        load_guide(GUIDES / "seed-en.toml"),
        "Two writers",
        [parse_participant(f"P{i}:Informant {i}") for i in range(1, 6)],
        now=time.time(),
    )


@pytest.fixture
def control(tmp_path: Path) -> Path:
    folder = tmp_path / "control"
    folder.mkdir()
    return folder


@pytest.fixture
def writers():
    started: list[Writer] = []
    yield started
    for writer in started:
        writer.close()


def start(writers: list[Writer], *args) -> Writer:
    writer = Writer(*args)
    writers.append(writer)
    return writer


def lost_and_duplicated(store: SessionStore, acked: list[str]) -> tuple[int, int]:
    """Acknowledged ids missing from every journal, and ids written more than once (counted
    over the raw lines of all journals, before any reader folds duplicates away)."""
    written: Counter[str] = Counter()
    for path in store.journal_paths():
        for line in path.read_bytes().splitlines():
            if line.strip():
                record = json.loads(line)
                written[f"{record['w']}:{record['n']}"] += 1
    lost = len(set(acked) - set(written))
    duplicated = sum(n - 1 for n in written.values() if n > 1)
    return lost, duplicated


def check_journals(store: SessionStore) -> dict[str, int]:
    """Every journal: whole lines only, each once, numbered 1..N by its own writer."""
    last: dict[str, int] = {}
    for path in store.journal_paths():
        writer = path.name.removeprefix("journal-").removesuffix(".jsonl")
        read = read_journal(path)
        assert not read.torn_tail and read.damaged_lines == [], path.name
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
        duplicates = [line for line, n in Counter(lines).items() if n > 1]
        assert duplicates == [], f"{path.name}: lines written twice: {duplicates[:3]}"
        assert {e.writer for e in read.events} == {writer}
        seqs = [e.seq for e in read.events]
        assert seqs == list(range(1, len(seqs) + 1)), f"{path.name}: numbering not 1..N"
        last[writer] = len(seqs)
    return last


def disk_fingerprint(store: SessionStore, now: float) -> tuple[str, str]:
    info = store.info()
    loaded = store.read_events()
    assert loaded.problems == []
    state = SessionState.from_events(info.guide, loaded.events, info.participants)
    return two_writer.digest(two_writer.fingerprint(info, state, now))


def check_converged(store: SessionStore, control: Path, now: float, *finals: Writer) -> None:
    disk_text, disk_sha = disk_fingerprint(store, now)
    for writer in finals:
        assert writer.done and writer.fingerprint, writer.role
        if writer.fingerprint != disk_sha:  # show where the view and the disk differ
            view = json.loads((control / f"fp-{writer.role}.json").read_text(encoding="utf-8"))
            assert view == json.loads(disk_text), f"the {writer.role}'s view is not the disk's"
    assert finals[0].fingerprint == finals[1].fingerprint == disk_sha


def test_two_processes_write_at_once_and_converge(
    session: SessionStore, control: Path, writers: list[Writer]
) -> None:
    started = time.monotonic()
    now = time.time() + 3600  # the one moment both fingerprints are computed at
    moderator = start(writers, session, "moderator", COUNT, control, now)
    moderator.wait_ready()  # the session is started before the assistant opens it
    assistant = start(writers, session, "assistant", COUNT, control, now)
    assistant.wait_ready()
    assert (moderator.writer, assistant.writer) == ("moderator", "assistant")
    (control / "go").touch()
    moderator.wait_end()
    assistant.wait_end()

    assert len(moderator.acked) == len(assistant.acked) == COUNT
    acked = moderator.opened_ids() + moderator.acked + assistant.opened_ids() + assistant.acked
    assert len(acked) == len(set(acked)), "an id acknowledged twice"
    last = check_journals(session)
    on_disk = [e.id for e in session.read_events().events]
    assert set(acked) - set(on_disk) == set(), "acknowledged events lost"
    assert sorted(on_disk) == sorted(acked), "events on disk that nobody acknowledged"
    assert lost_and_duplicated(session, acked) == (0, 0), "(lost, duplicated)"
    assert len(acked) == 2 * COUNT + moderator.ready_seq + assistant.ready_seq
    assert last == {
        "moderator": moderator.ready_seq + COUNT,
        "assistant": assistant.ready_seq + COUNT,
    }

    check_converged(session, control, now, moderator, assistant)
    # they really ran at once: in time order, the writers take turns many times
    events = session.read_events().events
    switches = sum(1 for a, b in zip(events, events[1:], strict=False) if a.writer != b.writer)
    assert switches >= 20, f"the writers hardly overlapped ({switches} switches)"
    # the two really wrote into each other's moments: notes of both, turns of both
    state = SessionState.from_events(
        session.info().guide, session.read_events().events, session.info().participants
    )
    authors = Counter(n.author for n in state.notes.values())
    assert authors["moderator"] > 20 and authors["assistant"] > 20, authors
    turn_writers = {t.key.split(":")[0] for t in state.talk.turns}
    assert turn_writers == {"moderator", "assistant"}
    assert any(n.edited for n in state.notes.values())
    assert any(n.deleted for n in state.notes.values())
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("victim", ROLES)
def test_a_writer_killed_in_mid_run_comes_back_and_loses_nothing(
    session: SessionStore, control: Path, writers: list[Writer], victim: str
) -> None:
    started = time.monotonic()
    now = time.time() + 3600
    first = {"moderator": start(writers, session, "moderator", COUNT, control, now)}
    first["moderator"].wait_ready()
    first["assistant"] = start(writers, session, "assistant", COUNT, control, now)
    first["assistant"].wait_ready()
    (control / "go").touch()

    killed = first[victim]
    survivor = first[ROLES[1 - ROLES.index(victim)]]
    killed.wait_acked(KILL_AFTER)
    killed.kill()
    assert not killed.done
    last_acked = int(killed.acked[-1].split(":")[1])
    # what it left: numbered 1..N, every acknowledged one there, at most one more (written,
    # killed before it said so)
    on_disk = check_journals(session)[victim]
    assert last_acked <= on_disk <= last_acked + 1
    assert not survivor.done  # it is still writing: the restart joins a running pair

    again = start(writers, session, victim, COUNT - len(killed.acked), control, now)
    again.wait_ready()
    assert again.writer == victim  # its journal was freed by the kill
    assert again.ready_seq == on_disk + 1  # its "opened", numbered after what is on disk
    survivor.wait_end()
    again.wait_end()
    assert again.acked[0] == f"{victim}:{again.ready_seq + 1}"
    assert len(killed.acked) + len(again.acked) == COUNT

    acked = (
        survivor.opened_ids()
        + survivor.acked
        + killed.opened_ids()
        + killed.acked
        + again.opened_ids()
        + again.acked
    )
    last = check_journals(session)
    on_disk_ids = {e.id for e in session.read_events().events}
    assert set(acked) - on_disk_ids == set(), "acknowledged events lost"
    assert lost_and_duplicated(session, acked) == (0, 0), "(lost, duplicated)"
    assert on_disk_ids - set(acked) <= {f"{victim}:{last_acked + 1}"}
    assert last[survivor.role] == survivor.ready_seq + COUNT
    assert last[victim] == again.ready_seq + len(again.acked)

    check_converged(session, control, now, survivor, again)
    # the restarted moderator marked the gap in the session clock; an assistant has no gap
    kinds = [e.kind for e in session.read_events().events if e.writer == victim]
    assert kinds.count("opened") == 2
    assert time.monotonic() - started < 30
