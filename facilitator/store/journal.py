"""Append-only journals: one file per writing process, one JSON event per line.

Why journals and not TinyDB for every event: TinyDB's JSON storage rewrites the
whole file on each insert (O(n)), is left unreadable by a kill in mid-write, and
two processes on one file destroy it. A journal line is appended with one
``write`` on an ``O_APPEND`` descriptor and made durable with ``fsync`` before
the caller is told it is saved, so:

- an event is on disk before the screen shows it;
- appending costs the same at 10,000 events as at 100;
- a kill at any instant leaves at most a torn last line, which readers skip and
  the writer cuts off when it opens the journal again (it was never acknowledged);
- each process writes only its own journal, and holds an exclusive lock on it,
  so two writers on one session never touch the same file.

TinyDB holds the session's metadata and a queryable copy of the events, rebuilt
from the journals (see ``session_store``).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from facilitator.core.events import Event, EventFormatError

FILE_MODE = 0o600


class StorageError(Exception):
    """A write that did not reach the disk. Nothing was acknowledged."""


class JournalLocked(StorageError):
    """Another process is writing this journal."""


@dataclass
class JournalRead:
    events: list[Event] = field(default_factory=list)
    damaged_lines: list[int] = field(default_factory=list)  # whole lines that are not events
    torn_tail: bool = False  # the last line was cut short by a crash
    valid_bytes: int = 0  # length of the journal up to the last complete line
    data: bytes = b""  # the journal's bytes up to the last complete line (what was read)


def read_journal(path: Path) -> JournalRead:
    """Read every complete, well-formed event; report torn and damaged lines."""
    result = JournalRead()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return result
    offset = 0
    number = 0
    while offset < len(data):
        end = data.find(b"\n", offset)
        if end == -1:
            # no newline: a write cut short. Not acknowledged, so not an event.
            result.torn_tail = True
            break
        number += 1
        line = data[offset:end]
        offset = end + 1
        result.valid_bytes = offset
        if not line.strip():
            continue
        try:
            result.events.append(Event.from_record(json.loads(line)))
        except (ValueError, EventFormatError, UnicodeDecodeError):
            result.damaged_lines.append(number)
    result.data = data[: result.valid_bytes]
    return result


TAIL_READ = 64 * 1024  # enough for the last line of any journal a person could type


def read_last_event(path: Path) -> tuple[Event | None, bool, int] | None:
    """The journal's last complete event, whether a torn line follows it, and the length up
    to the last complete line, from its end only (the writer's start costs the same at 10,000
    events as at 10). None when that cannot be told from the end (the last line is damaged,
    or longer than ``TAIL_READ``): then read the whole journal."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            start = max(0, size - TAIL_READ)
            handle.seek(start)
            chunk = handle.read()
    except FileNotFoundError:
        return None, False, 0
    end = chunk.rfind(b"\n") + 1
    torn = end < len(chunk)
    if end == 0:
        return (None, torn, 0) if start == 0 else None
    begin = chunk.rfind(b"\n", 0, end - 1) + 1
    if begin == 0 and start > 0:
        return None
    line = chunk[begin : end - 1]
    if not line.strip():
        return None
    try:
        return Event.from_record(json.loads(line)), torn, start + end
    except (ValueError, EventFormatError, UnicodeDecodeError):
        return None


class JournalWriter:
    """The one process allowed to append to ``path``; every append is fsynced."""

    def __init__(self, path: Path, writer: str, lines_checked: bool = False) -> None:
        """``lines_checked``: the caller has just read the journal and found no damaged line
        (``SessionStore.read_events``, or the snapshot's check), so only its end is read here:
        the last event's number and time, and a torn last line. Otherwise all of it is read,
        and ``damaged_lines`` lists what is not an event."""
        self.path = path
        self.writer = writer
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, FILE_MODE)
        except OSError as error:  # a read-only or immutable folder, a full disk
            raise StorageError(f"{path}: {error.strerror or error}") from error
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise JournalLocked(str(path)) from None
        # Only its end is read when that tells all (its last line whole and well formed: the
        # events before it have lower numbers, as this writer appended them one by one).
        last = read_last_event(path) if lines_checked else None
        if last is not None and (last[0] is None or last[0].writer == writer):
            event, torn, valid_bytes = last
            self.seq = event.seq if event is not None else 0
            self.last_at: float | None = event.at if event is not None else None
            self.damaged_lines: list[int] = []
        else:
            existing = read_journal(path)
            torn, valid_bytes = existing.torn_tail, existing.valid_bytes
            mine = [e for e in existing.events if e.writer == writer]
            self.seq = max((e.seq for e in mine), default=0)
            self.last_at = max((e.at for e in mine), default=None)
            self.damaged_lines = existing.damaged_lines
        if torn:
            os.ftruncate(self._fd, valid_bytes)
            os.fsync(self._fd)
        self.size = valid_bytes if torn else os.fstat(self._fd).st_size
        self.recovered_torn_tail = torn

    def append(self, at: float, kind: str, data: dict | None = None, lc: int = 0) -> Event:
        """Write one event durably and return it; raise ``StorageError`` if it is not saved."""
        return self.append_all([(at, kind, data, lc)])[0]

    def append_all(self, entries: Sequence[tuple[float, str, dict | None, int]]) -> list[Event]:
        """Write several events (at, kind, data, lc) with one write and one fsync: the
        events of one key press, on disk together before any is shown. A kill during the
        write leaves the whole lines before the cut, each a complete event."""
        events = [
            Event(writer=self.writer, seq=self.seq + n, at=at, kind=kind, data=data or {}, lc=lc)
            for n, (at, kind, data, lc) in enumerate(entries, start=1)
        ]
        line = b"".join(
            (json.dumps(e.to_record(), ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            for e in events
        )
        try:
            written = os.write(self._fd, line)
            if written != len(line):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # the disk filled up
            os.fsync(self._fd)
        except OSError as error:
            # Leave no half line behind: the next append must start on a clean line.
            try:
                os.ftruncate(self._fd, self.size)
            except OSError:
                pass
            raise StorageError(error.strerror or str(error)) from error
        self.size += len(line)
        if events:
            self.seq = events[-1].seq
        return events

    def close(self) -> None:
        if self._fd >= 0:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JournalTail:
    """Follows journals other processes append to: each call returns only what is new.

    Only complete lines are taken; a line still being written is read on a later call.
    """

    def __init__(self) -> None:
        self.offsets: dict[Path, int] = {}

    def skip_to_end(self, path: Path) -> None:
        try:
            self.offsets[path] = _complete_length(path.read_bytes())
        except FileNotFoundError:
            self.offsets[path] = 0

    def read_new(self, path: Path) -> list[Event]:
        offset = self.offsets.get(path, 0)
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        complete = _complete_length(chunk)
        if complete == 0:
            return []
        self.offsets[path] = offset + complete
        events: list[Event] = []
        for line in chunk[:complete].splitlines():
            if not line.strip():
                continue
            try:
                events.append(Event.from_record(json.loads(line)))
            except (ValueError, EventFormatError, UnicodeDecodeError):
                continue  # a damaged line: the full read at the next start reports it
        return events


def _complete_length(data: bytes) -> int:
    end = data.rfind(b"\n")
    return end + 1
