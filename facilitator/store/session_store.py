"""The session folder: the only module that knows its layout.

::

    sessions/<id>/                 0700, owner only
        session.json               TinyDB: meta, guide snapshot, roster, events (a copy)
        journal-<writer>.jsonl     append-only events of one writing process (the truth)
        alive-<writer>             touched every few seconds while that process runs

The journals are the durable record; ``session.json`` is written only atomically
(temporary file, fsync, rename), at creation and at checkpoints, and always
holds a complete, loadable document.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from facilitator.core.audio import with_consent_item
from facilitator.core.events import Event, event_order
from facilitator.core.guide import Guide
from facilitator.core.notes import CarriedFollowUp
from facilitator.core.session import Participant, SessionInfo
from facilitator.store.journal import FILE_MODE, JournalWriter, StorageError, read_journal

DIR_MODE = 0o700
DB_NAME = "session.json"
JOURNAL_PREFIX = "journal-"
ALIVE_PREFIX = "alive-"
SESSIONS_ENV = "FACILITATOR_SESSIONS"


class SessionNotFound(Exception):
    pass


class SessionDamaged(Exception):
    """The session's metadata cannot be read."""


def default_sessions_dir() -> Path:
    return Path(os.environ.get(SESSIONS_ENV) or "sessions")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file, whole."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file (temporary file + rename)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError as error:
            raise SessionDamaged(f"{self.path}: {error}") from error

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        try:
            # no indent: the C encoder is 3-4 times faster, and this runs beside the live view
            atomic_write(self.path, json.dumps(data, ensure_ascii=False).encode())
        except OSError as error:
            raise StorageError(error.strerror or str(error)) from error

    def close(self) -> None:
        pass


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) so that no other user can read it, even briefly."""
    old = os.umask(0o077)
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    finally:
        os.umask(old)
    os.chmod(path, DIR_MODE)


def slugify(text: str, limit: int = 32) -> str:
    ascii_text = (
        unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O").replace("æ", "ae"))
        .encode("ascii", "ignore")
        .decode()
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].strip("-") or "session"


def parse_participant(spec: str) -> Participant:
    """``ID:label[:role[:real name]]`` as given on the command line.

    The real name is optional and stays in the session folder: every output uses the label.
    """
    parts = [part.strip() for part in spec.split(":")]
    if not parts[0]:
        raise ValueError(f"participant {spec!r}: the id is missing (use ID:label[:role])")
    if not re.match(r"^[A-Za-z0-9_-]{1,16}$", parts[0]):
        raise ValueError(
            f"participant {spec!r}: the id must be up to 16 letters, digits, '-' or '_'"
        )
    label = parts[1] if len(parts) > 1 and parts[1] else parts[0]
    role = parts[2] if len(parts) > 2 else ""
    real_name = ":".join(parts[3:]) if len(parts) > 3 else ""
    return Participant(id=parts[0], label=label, role=role, real_name=real_name)


@dataclass
class LoadedEvents:
    events: list[Event]
    problems: list[str] = field(default_factory=list)


class SessionStore:
    """One session folder on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db_path = path / DB_NAME
        self._lock = threading.Lock()

    # --- creating and finding -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        sessions_dir: Path,
        guide: Guide,
        title: str,
        participants: list[Participant],
        now: float,
        study: str = "",
        stage: int = 1,
        guide_path: str = "",
        newcomers: list[str] | None = None,
        absent: list[str] = (),  # type: ignore[assignment]
        previous: str = "",
        carried: list[CarriedFollowUp] = (),  # type: ignore[assignment]
        consent: list[str] = (),  # type: ignore[assignment]
    ) -> SessionStore:
        """A new session folder. ``guide`` is the whole guide (every stage): the stage's view
        is stored for running it, the whole for the next stage. Without ``newcomers`` every
        participant is new (a first meeting)."""
        ids = [p.id for p in participants]
        if newcomers is None:
            newcomers = list(ids)
        unknown = (
            sorted(set(newcomers) - set(ids))
            + sorted(set(absent) - set(ids))
            + sorted(set(consent) - set(ids))
        )
        if unknown:
            raise ValueError(f"not in the roster: {', '.join(unknown)}")
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"participant id used twice: {', '.join(duplicates)}")
        if not 1 <= stage <= guide.stages:
            raise ValueError(f"the guide has {guide.stages} stage(s), not stage {stage}")
        make_private_dir(sessions_dir)
        day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        session_id = f"{day}-{slugify(title)}-{secrets.token_hex(2)}"
        path = sessions_dir / session_id
        while path.exists():
            session_id = f"{day}-{slugify(title)}-{secrets.token_hex(3)}"
            path = sessions_dir / session_id
        make_private_dir(path)
        store = cls(path)
        returning = [i for i in ids if i not in newcomers and i not in absent]
        arriving = [i for i in newcomers if i not in absent]
        staged = guide.for_stage(stage, newcomers=bool(arriving), returning=bool(returning))
        document = {
            "meta": {
                "1": {
                    "id": session_id,
                    "title": title,
                    "study": study,
                    "stage": stage,
                    "created_at": now,
                    "guide_path": guide_path,
                    "newcomers": list(newcomers),
                    "absent": list(absent),
                    "previous": previous,
                    "consent": list(consent),
                    "format": 1,
                }
            },
            "guide": {"1": staged.to_dict()},
            "full_guide": {"1": guide.to_dict()},
            "carried": {str(i + 1): c.to_dict() for i, c in enumerate(carried)},
            "participants": {str(i + 1): p.to_dict() for i, p in enumerate(participants)},
            "events": {},
        }
        AtomicJSONStorage(store.db_path).write(document)
        return store

    @classmethod
    def open(cls, sessions_dir: Path, ref: str) -> SessionStore:
        """Find a session by id, by a unique id prefix, or by the path of its folder."""
        candidate = Path(ref)
        if (candidate / DB_NAME).exists():
            return cls(candidate)
        direct = sessions_dir / ref
        if (direct / DB_NAME).exists():
            return cls(direct)
        matches = [p for p in list_session_dirs(sessions_dir) if p.name.startswith(ref)]
        if len(matches) == 1:
            return cls(matches[0])
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches[:5])
            raise SessionNotFound(f"{ref!r} matches several sessions: {names}")
        raise SessionNotFound(f"no session {ref!r} in {sessions_dir}")

    # --- metadata (TinyDB) ----------------------------------------------------------------------

    def _db(self) -> TinyDB:
        return TinyDB(self.db_path, storage=AtomicJSONStorage)

    def info(self) -> SessionInfo:
        try:
            db = self._db()
            meta = db.table("meta").all()
            guide = db.table("guide").all()
            participants = db.table("participants").all()
            full_guide = db.table("full_guide").all()
            carried = db.table("carried").all()
        except (SessionDamaged, OSError, ValueError) as error:
            raise SessionDamaged(str(error)) from error
        if not meta or not guide:
            raise SessionDamaged(f"{self.db_path}: the session's metadata is missing")
        m = meta[0]
        return SessionInfo(
            id=m["id"],
            title=m["title"],
            guide=with_consent_item(Guide.from_dict(guide[0])),
            created_at=m["created_at"],
            participants=tuple(Participant.from_dict(p) for p in participants),
            study=m.get("study", ""),
            stage=int(m.get("stage", 1)),
            guide_path=m.get("guide_path", ""),
            newcomers=tuple(m.get("newcomers", ())),
            absent=tuple(m.get("absent", ())),
            previous=m.get("previous", ""),
            carried=tuple(CarriedFollowUp.from_dict(c) for c in carried),
            full_guide=Guide.from_dict(full_guide[0]) if full_guide else None,
            consent=tuple(m.get("consent", ())),
        )

    def set_study(self, study: str) -> None:
        """Give a session made without a study its study (when its next stage is made)."""
        with self._lock:
            db = self._db()
            document = db.storage.read() or {}
            document["meta"]["1"]["study"] = study
            db.storage.write(document)

    # --- events (journals) ----------------------------------------------------------------------

    def journal_path(self, writer: str) -> Path:
        return self.path / f"{JOURNAL_PREFIX}{writer}.jsonl"

    def open_writer(self, writer: str) -> JournalWriter:
        return JournalWriter(self.journal_path(writer), writer)

    def journal_paths(self) -> list[Path]:
        return sorted(self.path.glob(f"{JOURNAL_PREFIX}*.jsonl"))

    def read_events(self) -> LoadedEvents:
        """Every event of every journal, once each, in the order they are applied."""
        by_id: dict[str, Event] = {}
        problems: list[str] = []
        for path in self.journal_paths():
            read = read_journal(path)
            for event in read.events:
                by_id.setdefault(event.id, event)
            if read.damaged_lines:
                lines = ", ".join(str(n) for n in read.damaged_lines[:10])
                problems.append(f"{path.name}: skipped damaged line(s) {lines}")
        return LoadedEvents(sorted(by_id.values(), key=event_order), problems)

    def checkpoint(self) -> int:
        """Copy every journal event into the TinyDB ``events`` table, atomically."""
        loaded = self.read_events()
        with self._lock:
            db = self._db()
            document = db.storage.read() or {}
            document["events"] = {
                str(i + 1): {"id": e.id, **e.to_record()} for i, e in enumerate(loaded.events)
            }
            db.storage.write(document)
        return len(loaded.events)

    # --- signs of life --------------------------------------------------------------------------

    def touch_alive(self, writer: str, now: float) -> None:
        path = self.path / f"{ALIVE_PREFIX}{writer}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
            os.close(fd)
            os.utime(path, (now, now))
        except OSError:
            pass  # a missed sign of life only blurs where a gap began

    def last_alive(self, writer: str) -> float | None:
        try:
            return (self.path / f"{ALIVE_PREFIX}{writer}").stat().st_mtime
        except OSError:
            return None


def list_session_dirs(sessions_dir: Path) -> list[Path]:
    if not sessions_dir.is_dir():
        return []
    return sorted(
        (p for p in sessions_dir.iterdir() if (p / DB_NAME).exists()),
        key=lambda p: p.name,
    )


def study_sessions(sessions_dir: Path, study: str) -> list[SessionStore]:
    """The sessions of one study, by stage (and creation, for two of one stage)."""
    found: list[tuple[int, float, SessionStore]] = []
    for path in list_session_dirs(sessions_dir):
        store = SessionStore(path)
        try:
            info = store.info()
        except SessionDamaged:
            continue
        if info.study == study:
            found.append((info.stage, info.created_at, store))
    return [store for _stage, _created, store in sorted(found, key=lambda f: (f[0], f[1]))]


def previous_stage_store(sessions_dir: Path, info: SessionInfo) -> SessionStore | None:
    """The session of the stage before ``info`` in its study: the one ``next`` made it from,
    else the latest readable session of the stage before in the same study."""
    if info.previous and (sessions_dir / info.previous / DB_NAME).exists():
        return SessionStore(sessions_dir / info.previous)
    if not info.study or info.stage < 2:
        return None
    earlier = []
    for store in study_sessions(sessions_dir, info.study):
        try:
            if store.info().stage == info.stage - 1:
                earlier.append(store)
        except SessionDamaged:
            continue
    return earlier[-1] if earlier else None
