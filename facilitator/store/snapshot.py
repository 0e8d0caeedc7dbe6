"""The folded state, cached on disk: reopening a long session reads only the journals' tails.

::

    sessions/<id>/state.snapshot   0600, written atomically at checkpoints and at the close

Folding every event again at each start costs about 0.1 s per 10,000 events (reading and
parsing the journals, then the fold). The snapshot keeps the ``SessionState`` the fold made
from the journals as they stood, with, per journal, how many bytes were read and a hash of
them. At the next start, if every journal still begins with exactly those bytes, the state
is taken from the snapshot and only the events appended since (the tails) are parsed and
applied; otherwise the state is folded from every event, as without a snapshot.

It is a cache, never a second source of truth: the journals are read either way, nothing
is written to them from it, and it is trusted only when all of this holds (else ignored,
and written anew at the next checkpoint):

- the file is whole: a magic line, a header, and a body whose hash the header gives (a torn
  write cannot pass, and ``replace_whole`` leaves the old file or the new one);
- it was made by the same fold (a hash of the sources of ``facilitator.core``, which the
  fold is made of) from the same session details (the guide, the roster ...);
- every journal it names begins with the bytes it was made from (same length at least,
  same hash), so an edit, a cut or a replaced journal is noticed;
- the tails hold no damaged line, and no event that sorts before what the snapshot has
  already applied (then the full fold, which orders every event, is the right answer);
- the body unpickles into a ``SessionState`` through an unpickler that only builds the
  plain data classes of ``facilitator.core`` and a few builtin containers (never calls a
  function, so a planted file cannot run code).
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import facilitator.core
from facilitator.core import events as ev
from facilitator.core.events import Event, EventFormatError
from facilitator.core.session import SessionInfo, SessionState
from facilitator.store.output import replace_whole

SNAPSHOT_NAME = "state.snapshot"
MAGIC = b"facilitator-state-snapshot 1\n"
_ALLOWED_BUILTINS = {
    ("builtins", name)
    for name in ("float", "int", "str", "bool", "set", "frozenset", "list", "dict", "tuple")
} | {("collections", "defaultdict")}

_fold_digest: str | None = None


def fold_digest() -> str:
    """A hash of the fold's own code (every module of ``facilitator.core``): a snapshot made
    by another version of the fold is not used."""
    global _fold_digest
    if _fold_digest is None:
        digest = hashlib.blake2b(digest_size=16)
        for path in sorted(Path(facilitator.core.__file__).parent.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        _fold_digest = digest.hexdigest()
    return _fold_digest


def info_digest(info: SessionInfo) -> str:
    """A hash of the session details the fold starts from (``state_of``'s other input)."""
    return hashlib.blake2b(repr(info).encode(), digest_size=16).hexdigest()


def _hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class _CoreUnpickler(pickle.Unpickler):
    """Builds the data classes of ``facilitator.core`` and plain containers, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_BUILTINS:
            return super().find_class(module, name)
        if module.startswith("facilitator.core.") and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a session state")


@dataclass
class JournalBytes:
    """What was read of one journal: its complete lines, and their events."""

    data: bytes
    events: list[Event] = field(default_factory=list)
    damaged: bool = False


def parse_lines(data: bytes) -> JournalBytes:
    """The events of ``data`` (complete lines only: a torn last line is left out)."""
    end = data.rfind(b"\n") + 1
    read = JournalBytes(data[:end])
    for line in read.data.splitlines():
        if not line.strip():
            continue
        try:
            read.events.append(Event.from_record(json.loads(line)))
        except (ValueError, EventFormatError, UnicodeDecodeError):
            read.damaged = True
    return read


def write_snapshot(
    session_dir: Path,
    info: SessionInfo,
    state: SessionState,
    journals: dict[str, bytes],
    details: tuple[str, dict[str, Any]] | None = None,
) -> None:
    """Save ``state``, folded from exactly ``journals`` (file name -> the bytes read of it,
    complete lines). ``details``: the digest of session.json as just written and the
    details it holds (its tables but the events; see ``snapshot_details``). Raises
    ``OSError`` if it cannot be written (nothing is lost: the journals hold every event; the
    old snapshot stays, or none)."""
    body = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    header: dict[str, Any] = {
        "fold": fold_digest(),
        "info": info_digest(info),
        "events": state.event_count,
        "journals": {name: [len(data), _hash(data)] for name, data in sorted(journals.items())},
        "body": _hash(body),
    }
    if details is not None:
        header["db"], header["details"] = details
        header["details_hash"] = _hash(_canonical(details[1]))
    replace_whole(
        session_dir / SNAPSHOT_NAME,
        MAGIC + json.dumps(header, separators=(",", ":")).encode() + b"\n" + body,
    )


def snapshot_details(session_dir: Path, db_digest: str) -> dict[str, Any] | None:
    """The details (session.json's tables but the events) the last checkpoint wrote, if
    session.json is still byte for byte what it wrote (``db_digest``: the digest of its bytes
    now). They were read and checked before that checkpoint wrote them; a long session's
    session.json is megabytes (its copy of the events) that need not be parsed to find them.
    None if the snapshot is missing, damaged or from another session.json."""
    try:
        with (session_dir / SNAPSHOT_NAME).open("rb") as handle:
            if handle.read(len(MAGIC)) != MAGIC:
                return None
            header = json.loads(handle.readline())
    except (OSError, ValueError):
        return None
    if not isinstance(header, dict) or header.get("db") != db_digest:
        return None
    details = header.get("details")
    if not isinstance(details, dict) or header.get("details_hash") != _hash(_canonical(details)):
        return None  # damaged in the file: session.json is parsed instead
    return details


def _canonical(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class Resumed:
    """A state from the snapshot, brought up to date with the journals' tails."""

    state: SessionState
    from_snapshot: int  # events the snapshot held
    from_tails: int  # events read and applied on top
    journals: dict[str, bytes]  # the bytes of every journal the state is folded from


def load_snapshot(
    session_dir: Path, info: SessionInfo, journal_paths: list[Path]
) -> Resumed | None:
    """The state from the snapshot and the journals' tails, or None when the snapshot is
    missing, damaged, stale or does not fit the journals (then fold every event)."""
    try:
        raw = (session_dir / SNAPSHOT_NAME).read_bytes()
    except OSError:
        return None
    try:
        if not raw.startswith(MAGIC):
            return None
        header_end = raw.index(b"\n", len(MAGIC))
        header = json.loads(raw[len(MAGIC) : header_end])
        body = raw[header_end + 1 :]
        if (
            not isinstance(header, dict)
            or header.get("fold") != fold_digest()
            or header.get("info") != info_digest(info)
            or header.get("body") != _hash(body)
            or not isinstance(header.get("journals"), dict)
        ):
            return None
        known: dict[str, Any] = header["journals"]
        names = {path.name for path in journal_paths}
        if not set(known) <= names:
            return None  # a journal it was made from is gone
        journals: dict[str, bytes] = {}
        tails: list[Event] = []
        for path in journal_paths:
            data = path.read_bytes()
            length, digest = known.get(path.name, (0, _hash(b"")))
            if not isinstance(length, int) or len(data) < length:
                return None
            if _hash(data[:length]) != digest:
                return None
            tail = parse_lines(data[length:])
            if tail.damaged:
                return None  # the full read says which lines, and keeps a copy aside
            tails.extend(tail.events)
            journals[path.name] = data[: length + len(tail.data)]
        # a hundred thousand objects, none of them garbage: the collector's passes over the
        # growing heap would take longer than the unpickling (they are run after, once)
        collecting = gc.isenabled()
        gc.disable()
        try:
            state = _CoreUnpickler(io.BytesIO(body)).load()
        finally:
            if collecting:
                gc.enable()
    except (OSError, ValueError, KeyError, TypeError, EOFError, AttributeError, ImportError,
            IndexError, pickle.UnpicklingError, RecursionError, MemoryError):  # fmt: skip
        return None
    if not isinstance(state, SessionState) or state.event_count != header.get("events"):
        return None
    tails = sorted((e for e in tails if e.id not in state.seen), key=ev.event_order)
    if tails and ev.event_order(tails[0]) < state.last_order:
        return None  # an event from before what the snapshot applied: fold them all
    state.guide = info.guide
    for event in tails:
        state.apply(event)
    return Resumed(state, int(header["events"]), len(tails), journals)
