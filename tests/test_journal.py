"""Storage: journals (append, fsync, torn tails, damage, failed writes) and the session folder."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tinydb import TinyDB

from facilitator.core import events as ev
from facilitator.core.audio import with_consent_item
from facilitator.core.events import Event
from facilitator.core.guide import parse_guide
from facilitator.store import journal as journal_module
from facilitator.store.journal import (
    JournalLocked,
    JournalWriter,
    StorageError,
    read_journal,
)
from facilitator.store.session_store import (
    AtomicJSONStorage,
    SessionDamaged,
    SessionStore,
    parse_participant,
)

T0 = 1_800_000_000.0
GUIDE = parse_guide(
    'title = "Families"\n'
    '[[phases]]\nid = "intro"\ntitle = "Intro"\nkind = "introduction"\nminutes = 5\n'
    'questions = ["Who are you?"]\nchecklist = ["Consent"]\n'
    '[[phases]]\nid = "main"\ntitle = "Main"\nminutes = 45\nquestions = ["Why?", "How?"]\n',
    "g.toml",
)


@pytest.fixture()
def path(tmp_path) -> Path:
    return tmp_path / "journal-moderator.jsonl"


@pytest.fixture()
def store(tmp_path) -> SessionStore:
    return SessionStore.create(
        tmp_path / "sessions",
        GUIDE,
        "Families: group 1",
        [parse_participant("P1:Anna:parent"), parse_participant("P2")],
        now=T0,
        study="schools",
    )


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


# --- append and read ---------------------------------------------------------------------------


def test_append_read_round_trip(path):
    with JournalWriter(path, "moderator") as writer:
        written = [
            writer.append(T0, ev.STARTED),
            writer.append(T0 + 1.5, ev.GOTO, {"phase": "main", "question": "main.q1"}),
            writer.append(T0 + 2, ev.CHECKED, {"item": "intro.c1", "done": True}),
            writer.append(T0 + 3, "note", {"text": "Åse sa «nei» — 😀", "n": [1, 2.5, None]}),
        ]
    assert [e.seq for e in written] == [1, 2, 3, 4]
    assert all(e.writer == "moderator" for e in written)
    read = read_journal(path)
    assert read.events == written
    assert read.damaged_lines == [] and not read.torn_tail
    assert read.valid_bytes == path.stat().st_size
    raw = path.read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 4
    assert "Åse".encode() in raw  # stored as UTF-8, not escaped
    assert json.loads(raw.splitlines()[0]) == {
        "w": "moderator",
        "n": 1,
        "at": T0,
        "kind": "started",
        "data": {},
    }


def test_reading_a_missing_journal(tmp_path):
    read = read_journal(tmp_path / "none.jsonl")
    assert read.events == [] and read.damaged_lines == [] and not read.torn_tail


def test_seq_continues_after_reopen(path):
    with JournalWriter(path, "moderator") as writer:
        for i in range(3):
            writer.append(T0 + i, ev.GOTO)
    with JournalWriter(path, "moderator") as writer:
        assert writer.seq == 3 and not writer.recovered_torn_tail
        assert writer.append(T0 + 10, ev.PAUSED).seq == 4
    with JournalWriter(path, "moderator") as writer:
        assert writer.append(T0 + 11, ev.RESUMED).seq == 5
    assert [e.seq for e in read_journal(path).events] == [1, 2, 3, 4, 5]


def test_a_second_writer_on_the_same_journal_is_locked_out(path):
    first = JournalWriter(path, "moderator")
    try:
        first.append(T0, ev.STARTED)
        with pytest.raises(JournalLocked):
            JournalWriter(path, "moderator")
        first.append(T0 + 1, ev.OPENED)  # the first is unharmed
    finally:
        first.close()
    with JournalWriter(path, "moderator") as again:
        assert again.seq == 2
    assert issubclass(JournalLocked, StorageError)


def test_the_lock_holds_across_processes(path):
    JournalWriter(path, "moderator").close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys
            from pathlib import Path
            from facilitator.store.journal import JournalWriter
            w = JournalWriter(Path({str(path)!r}), "moderator")
            print("locked", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(JournalLocked):
            JournalWriter(path, "moderator")
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    JournalWriter(path, "moderator").close()  # its exit released the lock


# --- torn and damaged lines --------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [
        b'{"w":"moderator","n":3,"at":18000',  # cut in the middle
        b'{"w":"moderator","n":3,"at":1800000003.0,"kind":"goto","data":{}}',  # whole, but no \n
        b"{",
        b"\xe2\x80",  # cut inside a UTF-8 character
    ],
)
def test_torn_last_line_is_skipped_then_cut_off(path, tail):
    with JournalWriter(path, "moderator") as writer:
        writer.append(T0, ev.STARTED)
        writer.append(T0 + 1, ev.OPENED)
    good = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(tail)

    read = read_journal(path)
    assert [e.seq for e in read.events] == [1, 2]
    assert read.torn_tail and read.valid_bytes == good
    assert read.damaged_lines == []

    with JournalWriter(path, "moderator") as writer:
        assert writer.recovered_torn_tail
        assert path.stat().st_size == good  # cut off at once, before any append
        assert writer.seq == 2  # the torn event was never acknowledged: its number is reused
        event = writer.append(T0 + 2, ev.GOTO, {"phase": "main"})
        assert event.seq == 3
    read = read_journal(path)
    assert [e.seq for e in read.events] == [1, 2, 3]
    assert read.events[-1] == event
    assert not read.torn_tail and read.damaged_lines == []
    assert lines_of(path)[-1] == b""  # ends on a clean line
    assert all(line.startswith(b'{"w":"moderator"') for line in lines_of(path)[:-1])


def test_a_journal_that_is_only_a_torn_line(path):
    path.write_bytes(b'{"w":"mod')
    assert read_journal(path).events == [] and read_journal(path).valid_bytes == 0
    with JournalWriter(path, "moderator") as writer:
        assert writer.append(T0, ev.STARTED).seq == 1
    assert path.read_bytes().count(b"\n") == 1
    assert len(read_journal(path).events) == 1


def test_damaged_middle_lines_are_reported_and_the_rest_read(path):
    # event 4 was on a line that is now garbage (line 11)
    good = [
        Event("moderator", n, T0 + n, ev.GOTO, {"phase": "main"}).to_record() for n in (1, 2, 3, 5)
    ]
    path.write_bytes(
        b"\n".join(
            [
                json.dumps(good[0]).encode(),
                b"this is not json",  # 2
                json.dumps(good[1]).encode(),
                b"",  # 4: a blank line is no damage
                b'{"w": "moderator", "n": 0, "at": 1, "kind": "goto"}',  # 5: seq 0
                b'{"w": "moderator", "n": true, "at": 1, "kind": "goto"}',  # 6: seq a bool
                b'{"w": "moderator", "n": 9, "at": NaN, "kind": "goto"}',  # 7: no time
                b'{"w": "", "n": 9, "at": 1, "kind": "goto"}',  # 8: no writer
                b'{"w": "moderator", "n": 9, "at": 1, "kind": "goto", "data": []}',  # 9
                b"[1, 2, 3]",  # 10
                b"\xff\xfe garbage",  # 11: not UTF-8
                json.dumps(good[2]).encode(),
                b'{"w": "moderator", "n": 9, "at": 1}',  # 13: no kind
                json.dumps(good[3]).encode(),
            ]
        )
        + b"\n"
    )
    read = read_journal(path)
    assert [e.seq for e in read.events] == [1, 2, 3, 5]
    assert read.damaged_lines == [2, 5, 6, 7, 8, 9, 10, 11, 13]
    assert not read.torn_tail
    assert read.valid_bytes == path.stat().st_size

    size = path.stat().st_size
    with JournalWriter(path, "moderator") as writer:
        assert not writer.recovered_torn_tail
        assert writer.damaged_lines == read.damaged_lines
        assert path.stat().st_size == size  # damage in the middle is kept, not cut
        # numbering goes on after the highest readable number, never reusing one
        assert writer.append(T0 + 10, ev.ENDED).seq == 6
    assert [e.seq for e in read_journal(path).events] == [1, 2, 3, 5, 6]


def test_store_reports_damaged_lines(store):
    with store.open_writer("moderator") as writer:
        writer.append(T0, ev.STARTED)
    with store.journal_path("moderator").open("ab") as handle:
        handle.write(b"garbage\n")
    with store.open_writer("moderator") as writer:
        writer.append(T0 + 1, ev.OPENED)
    loaded = store.read_events()
    assert [e.kind for e in loaded.events] == [ev.STARTED, ev.OPENED]
    assert loaded.problems == [
        "journal-moderator.jsonl: 1 damaged line(s) skipped (line 2); the lines after them "
        "were read. Whole events found in them: 0."
    ]


# --- failed writes -----------------------------------------------------------------------------


def failing(real, fd: int, how: str):
    """An os.write that misbehaves for ``fd`` only (pytest's own output must still work)."""

    def write(target, data):
        if target != fd:
            return real(target, data)
        if how == "enospc":
            raise OSError(errno.ENOSPC, "No space left on device")
        if how == "half":  # the disk filled up half-way through the line
            return real(target, bytes(data)[: len(data) // 2])
        raise AssertionError(how)

    return write


@pytest.mark.parametrize("how", ["enospc", "half"])
def test_a_failed_write_raises_and_leaves_no_partial_line(path, monkeypatch, how):
    writer = JournalWriter(path, "moderator")
    try:
        writer.append(T0, ev.STARTED)
        writer.append(T0 + 1, ev.OPENED)
        size = path.stat().st_size
        real = os.write
        monkeypatch.setattr(journal_module.os, "write", failing(real, writer._fd, how))
        with pytest.raises(StorageError) as caught:
            writer.append(T0 + 2, ev.GOTO, {"phase": "main", "question": "main.q1"})
        assert "space" in str(caught.value) or "write" in str(caught.value)
        assert path.stat().st_size == size  # nothing of it is left
        assert writer.seq == 2  # and its number is not used up
        read = read_journal(path)
        assert not read.torn_tail and read.damaged_lines == []

        monkeypatch.setattr(journal_module.os, "write", real)  # the disk has room again
        event = writer.append(T0 + 3, ev.GOTO, {"phase": "main"})
        assert event.seq == 3
    finally:
        writer.close()
    read = read_journal(path)
    assert [e.seq for e in read.events] == [1, 2, 3]
    assert not read.torn_tail and read.damaged_lines == []


def test_a_failed_fsync_raises_and_takes_the_line_back(path, monkeypatch):
    with JournalWriter(path, "moderator") as writer:
        writer.append(T0, ev.STARTED)
        size = path.stat().st_size
        real = os.fsync

        def fsync(fd):
            if fd == writer._fd:
                raise OSError(errno.EIO, "Input/output error")
            return real(fd)

        monkeypatch.setattr(journal_module.os, "fsync", fsync)
        with pytest.raises(StorageError):
            writer.append(T0 + 1, ev.GOTO)
        monkeypatch.setattr(journal_module.os, "fsync", real)
        assert path.stat().st_size == size
        assert writer.append(T0 + 2, ev.GOTO).seq == 2
    assert [e.seq for e in read_journal(path).events] == [1, 2]


FSIZE_SCRIPT = """
import json, resource, signal, sys
from pathlib import Path
from facilitator.store.journal import JournalWriter, StorageError

path = Path(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG or a short write, not a kill
writer = JournalWriter(path, "moderator")
start = path.stat().st_size
# room for a few whole lines and a part of the next one (the soft limit only: lowering the
# hard one could not be undone without privileges)
_soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (start + 1000, hard))
acked, errors = [], []
for i in range(100):
    try:
        acked.append(writer.append(1800000000.0 + i, "note", {"text": "x" * 150}).seq)
    except StorageError as error:
        errors.append(str(error))
        if len(errors) == 3:
            break
size_after = path.stat().st_size
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
after = writer.append(1800000999.0, "note", {"text": "room again"}).seq
writer.close()
print(json.dumps({"acked": acked, "errors": errors, "size": size_after, "after": after}))
"""


def test_a_real_file_size_limit(path):
    with JournalWriter(path, "moderator") as writer:
        writer.append(T0, ev.STARTED)
    done = subprocess.run(
        [sys.executable, "-c", FSIZE_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert len(result["errors"]) == 3  # the limit was reached, and reported each time
    assert result["acked"] == list(range(2, 2 + len(result["acked"])))
    assert len(result["acked"]) >= 3
    read = read_journal(path)
    assert not read.torn_tail and read.damaged_lines == []
    seqs = [e.seq for e in read.events]
    assert seqs == [1, *result["acked"], result["after"]]
    assert result["after"] == result["acked"][-1] + 1
    # after the failures the file ended on a whole line (checked before the last append)
    assert path.read_bytes()[: result["size"]].endswith(b"\n")
    with JournalWriter(path, "moderator") as writer:
        assert writer.append(T0 + 5000, ev.ENDED).seq == result["after"] + 1
        assert not writer.recovered_torn_tail


# --- the session folder ------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_permissions_are_private_even_with_a_lax_umask(tmp_path):
    old = os.umask(0o000)
    try:
        store = SessionStore.create(tmp_path / "sessions", GUIDE, "T", [], now=T0)
        with store.open_writer("moderator") as writer:
            writer.append(T0, ev.STARTED)
        store.touch_alive("moderator", T0)
        store.checkpoint()
    finally:
        os.umask(old)
    assert mode(tmp_path / "sessions") == 0o700
    assert mode(store.path) == 0o700
    assert mode(store.db_path) == 0o600
    assert mode(store.journal_path("moderator")) == 0o600
    assert mode(store.path / "alive-moderator") == 0o600
    for child in store.path.iterdir():
        assert mode(child) & 0o077 == 0, child


def test_create_and_info(store):
    info = store.info()
    assert info.title == "Families: group 1"
    assert info.id == store.path.name
    assert info.id.startswith("2027-01-15-families-group-1-")
    assert info.guide == with_consent_item(GUIDE.for_stage(1))  # never without consent
    assert [(p.id, p.label, p.role) for p in info.participants] == [
        ("P1", "Anna", "parent"),
        ("P2", "P2", ""),
    ]
    assert info.study == "schools" and info.stage == 1 and info.created_at == T0
    assert SessionStore.open(store.path.parent, info.id[:-2]).path == store.path
    assert SessionStore.open(store.path.parent, str(store.path)).path == store.path


def test_create_refuses_bad_input(tmp_path):
    with pytest.raises(ValueError, match="used twice"):
        SessionStore.create(
            tmp_path, GUIDE, "T", [parse_participant("A"), parse_participant("A")], now=T0
        )
    with pytest.raises(ValueError, match="stage"):
        SessionStore.create(tmp_path, GUIDE, "T", [], now=T0, stage=2)


def test_atomic_storage_leaves_no_temp_files_and_loads(store):
    for n in range(20):
        with store.open_writer("moderator") as writer:
            writer.append(T0 + n, ev.GOTO, {"phase": "main"})
        assert store.checkpoint() == n + 1
    names = sorted(p.name for p in store.path.iterdir())
    # and the snapshot of the folded state, a cache for the next start (store/snapshot.py)
    assert names == [
        "journal-moderator.jsonl",
        "session.json",
        "session.meta.json",
        "state.snapshot",
    ]
    document = json.loads(store.db_path.read_text(encoding="utf-8"))
    assert set(document) == {"meta", "guide", "full_guide", "participants", "carried", "events"}
    db = TinyDB(store.db_path, storage=AtomicJSONStorage)
    assert len(db.table("events")) == 20
    assert db.table("meta").all()[0]["title"] == "Families: group 1"
    assert store.info().title == "Families: group 1"


def test_a_failed_atomic_write_keeps_the_old_file(store, monkeypatch):
    before = store.db_path.read_bytes()

    def replace(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("facilitator.store.session_store.os.replace", replace)
    with pytest.raises(StorageError):
        AtomicJSONStorage(store.db_path).write({"meta": {}})
    monkeypatch.undo()
    assert store.db_path.read_bytes() == before
    names = sorted(p.name for p in store.path.iterdir())
    assert names == ["session.json", "session.meta.json"]  # no temp file left


def test_damaged_metadata_is_reported(store):
    # without the copy of the details (see tests/test_damaged_files.py for recovery from it)
    store.meta_path.unlink()
    store.db_path.write_text('{"meta": {"1": ', encoding="utf-8")
    with pytest.raises(SessionDamaged):
        store.info()
    store.db_path.write_text("{}", encoding="utf-8")
    with pytest.raises(SessionDamaged, match="missing"):
        store.info()
    store.db_path.write_text("", encoding="utf-8")
    assert AtomicJSONStorage(store.db_path).read() is None


def test_checkpoint_copies_all_events_into_tinydb(store):
    with store.open_writer("moderator") as moderator, store.open_writer("assistant") as assistant:
        moderator.append(T0, ev.STARTED)
        assistant.append(T0 + 0.5, ev.OPENED)
        moderator.append(T0 + 1, ev.GOTO, {"phase": "main", "question": "main.q2"})
        assistant.append(T0 + 2, "note", {"text": "P1 laughs"})
        moderator.append(T0 + 3, ev.CHECKED, {"item": "intro.c1", "done": True})
    assert store.checkpoint() == 5
    rows = TinyDB(store.db_path, storage=AtomicJSONStorage).table("events").all()
    assert [r["id"] for r in rows] == [
        "moderator:1",
        "assistant:1",
        "moderator:2",
        "assistant:2",
        "moderator:3",
    ]
    assert [Event.from_record(r) for r in rows] == store.read_events().events
    assert rows[2]["data"] == {"phase": "main", "question": "main.q2"}
    # the rest of the document survives a checkpoint
    info = store.info()
    assert info.guide == with_consent_item(GUIDE) and len(info.participants) == 2
    # and a later checkpoint replaces the copy, never doubling it
    with store.open_writer("moderator") as moderator:
        moderator.append(T0 + 4, ev.ENDED)
    assert store.checkpoint() == 6
    assert len(TinyDB(store.db_path, storage=AtomicJSONStorage).table("events")) == 6


def test_read_events_dedupes_events_present_in_two_journals(store):
    with store.open_writer("moderator") as writer:
        for n in range(5):
            writer.append(T0 + n, ev.GOTO, {"phase": "main"})
    # e.g. a journal restored from a backup next to the original
    shutil.copy(store.journal_path("moderator"), store.path / "journal-moderator-copy.jsonl")
    with store.open_writer("assistant") as writer:
        writer.append(T0 + 2.5, "note")
    loaded = store.read_events()
    assert [e.id for e in loaded.events] == [
        "moderator:1",
        "moderator:2",
        "moderator:3",
        "assistant:1",
        "moderator:4",
        "moderator:5",
    ]
    assert loaded.problems == []
    assert store.checkpoint() == 6


def test_events_written_together_take_one_fsync_and_are_all_or_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new session's "started" and "opened" go to disk with one write and one fsync (its
    first frame waits for them); a failed write leaves neither."""
    path = tmp_path / "journal-moderator.jsonl"
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(journal_module.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    with JournalWriter(path, "moderator") as writer:
        events = writer.append_all([(T0, ev.STARTED, None, 1), (T0, ev.OPENED, None, 2)])
        assert [e.seq for e in events] == [1, 2] and len(synced) == 1
        size = path.stat().st_size

        def full(fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(journal_module.os, "fsync", full)
        with pytest.raises(StorageError):
            writer.append_all(
                [(T0 + 1, ev.GOTO, {"phase": "main"}, 3), (T0 + 1, ev.PAUSED, None, 4)]
            )
        assert path.stat().st_size == size
        monkeypatch.setattr(journal_module.os, "fsync", real_fsync)
        assert writer.append(T0 + 2, ev.PAUSED).seq == 3  # the failed pair took no number
    assert [(e.seq, e.kind) for e in read_journal(path).events] == [
        (1, ev.STARTED),
        (2, ev.OPENED),
        (3, ev.PAUSED),
    ]
