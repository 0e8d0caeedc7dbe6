"""The session folder: the only module that knows its layout.

::

    sessions/<id>/                 0700, owner only
        session.json               TinyDB: meta, guide snapshot, roster, events (a copy)
        session.meta.json          a second copy of everything in session.json but the events
        journal-<writer>.jsonl     append-only events of one writing process (the truth)
        alive-<writer>             touched every few seconds while that process runs
        state.snapshot             the folded state at the last checkpoint: a cache for a
                                   quick start, checked against the journals (``snapshot``)

The journals are the durable record; ``session.json`` is written only atomically
(temporary file, fsync, rename), at creation and at checkpoints, and always
holds a complete, loadable document.

A damaged file (a disk error, a sync tool, a hand edit) is never silently replaced: see
``SessionStore.repair``. It is copied aside first (``<name>.damaged-YYYYmmdd-HHMMSS``, 0600);
what can be read is kept; the session's details come from ``session.meta.json`` when
``session.json`` cannot give them, and the events from the journals.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from facilitator.core.audio import with_consent_item
from facilitator.core.events import Event, EventFormatError, event_order
from facilitator.core.guide import AUDIENCES, PHASE_KINDS, Guide
from facilitator.core.notes import CarriedFollowUp
from facilitator.core.session import Participant, SessionInfo, SessionState, state_of
from facilitator.core.text import visible
from facilitator.disk import fsync_dir, process_alive
from facilitator.i18n import _
from facilitator.store.journal import (
    FILE_MODE,
    JournalLocked,
    JournalWriter,
    StorageError,
    read_journal,
)
from facilitator.store.output import replace_whole
from facilitator.store.snapshot import Resumed, load_snapshot, snapshot_details, write_snapshot

if TYPE_CHECKING:
    from tinydb import TinyDB

DIR_MODE = 0o700
DB_NAME = "session.json"
META_COPY_NAME = "session.meta.json"
DAMAGED_MARK = ".damaged-"
JOURNAL_PREFIX = "journal-"
ALIVE_PREFIX = "alive-"
SESSIONS_ENV = "FACILITATOR_SESSIONS"
STAGING_PREFIX = ".creating-"  # a session folder being built (see ``SessionStore.create``)
MIN_PREFIX = 4  # the fewest characters of an id that may name a session


class SessionNotFound(Exception):
    pass


class SessionDamaged(Exception):
    """The session's metadata cannot be read."""


def default_sessions_dir() -> Path:
    return Path(os.environ.get(SESSIONS_ENV) or "sessions")


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file, whole
    (a temporary file left by a killed process is deleted the next time)."""
    replace_whole(path, data)


class AtomicJSONStorage:
    """TinyDB storage that never leaves a half-written file (temporary file + rename).

    TinyDB's storage interface (``read``, ``write``, ``close`` of ``tinydb.storages.Storage``),
    not derived from it: opening a session reads session.json through this class, and need
    not import TinyDB for that (the first frame of the live view waits for it)."""

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
        self.write_bytes(data)

    def write_bytes(self, data: dict[str, dict[str, Any]]) -> bytes:
        """Write ``data``; return the bytes written (for their digest)."""
        try:
            # no indent: the C encoder is 3-4 times faster, and this runs beside the live view
            raw = json.dumps(data, ensure_ascii=False).encode()
            atomic_write(self.path, raw)
        except OSError as error:
            raise StorageError(error.strerror or str(error)) from error
        return raw

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
        raise ValueError(
            _("participant {spec}: the id is missing (use ID:label[:role])", spec=repr(spec))
        )
    if not re.match(r"^[A-Za-z0-9_-]{1,16}$", parts[0]):
        raise ValueError(
            _(
                "participant {spec}: the id must be up to 16 letters, digits, '-' or '_'",
                spec=repr(spec),
            )
        )
    label = visible(parts[1] if len(parts) > 1 and parts[1] else parts[0])
    role = visible(parts[2] if len(parts) > 2 else "")
    real_name = visible(":".join(parts[3:]) if len(parts) > 3 else "")
    return Participant(id=parts[0], label=label, role=role, real_name=real_name)


@dataclass
class LoadedEvents:
    events: list[Event]
    problems: list[str] = field(default_factory=list)
    # the bytes read of each journal (by file name, complete lines), the events' source
    journals: dict[str, bytes] = field(default_factory=dict)


# --- damaged files: reading what can be read -----------------------------------------------------

# The tables of session.json that describe the session (all but the copy of the events); the
# first two cannot be done without.
DETAIL_TABLES = ("meta", "guide", "full_guide", "participants", "carried")
REQUIRED_TABLES = ("meta", "guide")


@dataclass
class Damage:
    """Why session.json could not be used as it is, and which tables came from the copy."""

    reason: str
    from_copy: tuple[str, ...] = ()


def _read_bytes(path: Path) -> tuple[bytes | None, str]:
    """The bytes of ``path``, or None and why not."""
    try:
        return path.read_bytes(), ""
    except FileNotFoundError:
        return None, _("the file is missing")
    except OSError as error:
        return None, error.strerror or str(error)


def read_json_object(path: Path) -> tuple[dict[str, Any] | None, str]:
    """The JSON object in ``path``, or None and why not (missing, empty, not JSON ...)."""
    raw, reason = _read_bytes(path)
    return _json_object(raw) if raw is not None else (None, reason)


def _json_object(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    if not raw.strip():
        return None, _("the file is empty")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:  # a UnicodeDecodeError is a ValueError
        return None, _("not valid JSON ({detail})", detail=error)
    if not isinstance(data, dict):
        return None, _("not a JSON object")
    return data, ""


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _text_list(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _stage_list(value: object) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    )


def _check_meta(rows: list[dict[str, Any]]) -> None:
    if len(rows) != 1:
        raise ValueError("meta")
    meta = rows[0]
    for key in ("id", "title"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise ValueError(key)
    if not _number(meta.get("created_at")):
        raise ValueError("created_at")
    stage = meta.get("stage", 1)
    if not isinstance(stage, int) or isinstance(stage, bool) or stage < 1:
        raise ValueError("stage")
    for key in ("study", "guide_path", "previous"):
        if not isinstance(meta.get(key, ""), str):
            raise ValueError(key)
    for key in ("newcomers", "absent", "consent"):
        if not _text_list(meta.get(key, [])):
            raise ValueError(key)


def _check_guide(data: dict[str, Any]) -> None:
    """A stored guide (``Guide.to_dict``) whose every value has the type the app expects."""
    guide = Guide.from_dict(data)
    if not isinstance(guide.title, str) or not guide.phases:
        raise ValueError("title")
    if guide.minutes is not None and not _number(guide.minutes):
        raise ValueError("minutes")
    if not isinstance(guide.stages, int) or isinstance(guide.stages, bool) or guide.stages < 1:
        raise ValueError("stages")
    for phase in guide.phases:
        if not (
            isinstance(phase.id, str)
            and isinstance(phase.title, str)
            and isinstance(phase.guidance, str)
            and phase.kind in PHASE_KINDS
            and _number(phase.minutes)
            and _stage_list(phase.stages)
        ):
            raise ValueError(f"phase {phase.id!r}")
        for question in phase.questions:
            if not (
                isinstance(question.id, str)
                and isinstance(question.text, str)
                and _text_list(question.probes)
                and (question.minutes is None or _number(question.minutes))
                and _stage_list(question.stages)
            ):
                raise ValueError(f"question {question.id!r}")
        for item in phase.checklist:
            if not (
                isinstance(item.id, str)
                and isinstance(item.text, str)
                and item.audience in AUDIENCES
                and _stage_list(item.stages)
            ):
                raise ValueError(f"checklist item {item.id!r}")
    with_consent_item(guide)


def table_problem(name: str, table: object) -> str | None:
    """Why one of the detail tables of session.json cannot be used, or None."""
    if not isinstance(table, dict) or not all(isinstance(row, dict) for row in table.values()):
        return _('"{table}" is not a table of records', table=name)
    rows = list(table.values())
    try:
        if name == "meta":
            _check_meta(rows)
        elif name in ("guide", "full_guide"):
            if len(rows) > 1 or (name == "guide" and not rows):  # the full guide is optional
                raise ValueError(name)
            for row in rows:
                _check_guide(row)
        elif name == "participants":
            for row in rows:
                if not isinstance(row.get("id"), str) or not row["id"]:
                    raise ValueError("id")
                for key in ("label", "role", "real_name"):
                    if not isinstance(row.get(key, ""), str):
                        raise ValueError(key)
        elif name == "carried":
            for row in rows:
                CarriedFollowUp.from_dict(row)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        detail = error.args[0] if isinstance(error, KeyError | ValueError) and error.args else error
        return _('"{table}" has a value that cannot be used ({detail})', table=name, detail=detail)
    return None


def keep_damaged_copy(path: Path, appended_only: bool = False) -> Path | None:
    """Copy ``path`` beside itself as ``<name>.damaged-YYYYmmdd-HHMMSS`` (0600, fsynced), before
    anything writes over it; None if there is no such file. A copy of the same bytes (or, for
    a journal, which only grows, of a start of them) is not made twice. Raises ``OSError``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    for earlier in sorted(path.parent.glob(f"{path.name}{DAMAGED_MARK}*")):
        try:
            kept = earlier.read_bytes()
        except OSError:
            continue
        if kept == data or (appended_only and kept and data.startswith(kept)):
            return earlier
    stamp = time.strftime("%Y%m%d-%H%M%S")
    copy = path.with_name(f"{path.name}{DAMAGED_MARK}{stamp}")
    number = 1
    while True:
        try:
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            break
        except FileExistsError:
            number += 1
            copy = path.with_name(f"{path.name}{DAMAGED_MARK}{stamp}-{number}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        try:
            os.unlink(copy)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)
    return copy


def salvage_events(line: bytes) -> list[Event]:
    """The whole events inside a damaged journal line: two lines run together by a lost
    newline, garbage before or after an event. Bytes that are not UTF-8 become U+FFFD."""
    text = line.decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    found: list[Event] = []
    at = text.find("{")
    while at != -1:
        try:
            record, end = decoder.raw_decode(text, at)
            found.append(Event.from_record(record))
        except (ValueError, EventFormatError, RecursionError):
            at = text.find("{", at + 1)
            continue
        at = text.find("{", end)
    return found


def _digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def _events_table(events: list[Event]) -> dict[str, dict[str, Any]]:
    return {str(i + 1): {"id": e.id, **e.to_record()} for i, e in enumerate(events)}


class SessionStore:
    """One session folder on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db_path = path / DB_NAME
        self.meta_path = path / META_COPY_NAME
        self._lock = threading.RLock()
        self.damage: Damage | None = None  # what ``details`` found wrong with session.json
        self.damaged_journals: list[Path] = []  # journals with damaged lines, at the last read
        self.checkpoint_problem: str | None = None  # why the last checkpoint was not written
        # the details of the last session.json read that needed nothing from the copy, by a
        # digest of its bytes: the same file is not parsed and checked again (see ``details``)
        self._clean_details: tuple[bytes, dict[str, Any]] | None = None
        # the state was just taken from the snapshot: the journals were checked against it,
        # and had no damaged line when it was made (``resume``)
        self._resumed = False
        self._apart: subprocess.Popen[bytes] | None = None  # ``checkpoint_apart``'s child
        self._apart_lock = threading.Lock()
        self._apart_count = 0  # what the last checkpoint apart copied
        self._read_clean: set[Path] = set()  # journals just read whole, without damage

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
        before_publish=None,
    ) -> SessionStore:
        """A new session folder. ``guide`` is the whole guide (every stage): the stage's view
        is stored for running it, the whole for the next stage. Without ``newcomers`` every
        participant is new (a first meeting). ``before_publish`` runs once the folder is
        complete, just before it appears under its name (``next`` tags the stage before
        with its study there)."""
        title = visible(title)  # control characters are shown, never obeyed
        ids = [p.id for p in participants]
        if newcomers is None:
            newcomers = list(ids)
        unknown = (
            sorted(set(newcomers) - set(ids))
            + sorted(set(absent) - set(ids))
            + sorted(set(consent) - set(ids))
        )
        if unknown:
            raise ValueError(_("not in the roster: {ids}", ids=", ".join(unknown)))
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(_("participant id used twice: {ids}", ids=", ".join(duplicates)))
        if not 1 <= stage <= guide.stages:
            raise ValueError(
                _(
                    "the guide has {count} stage(s), not stage {stage}",
                    count=guide.stages,
                    stage=stage,
                )
            )
        make_private_dir(sessions_dir)
        clean_stale_staging(sessions_dir)
        # the day on this computer's calendar: a session at 00:30 in Oslo is of that day
        day = datetime.fromtimestamp(now).strftime("%Y-%m-%d")
        session_id = f"{day}-{slugify(title)}-{secrets.token_hex(2)}"
        path = sessions_dir / session_id
        while path.exists():
            session_id = f"{day}-{slugify(title)}-{secrets.token_hex(3)}"
            path = sessions_dir / session_id
        # Built whole in a hidden folder, then renamed into place in one step: a kill or a
        # full disk leaves either no session or the whole one, never half of one.
        staging = sessions_dir / f"{STAGING_PREFIX}{session_id}.{os.getpid()}"
        make_private_dir(staging)
        store = cls(staging)
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
        try:
            store._save_details_copy(document)
            AtomicJSONStorage(store.db_path).write(document)
            if before_publish is not None:
                before_publish()
            os.rename(staging, path)
            fsync_dir(sessions_dir)
        except (OSError, StorageError) as error:
            # a full disk: no half-made session folder is left behind
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(error, StorageError):
                raise
            raise StorageError(error.strerror or str(error)) from error
        return cls(path)

    @classmethod
    def open(cls, sessions_dir: Path, ref: str) -> SessionStore:
        """Find a session by id, by a unique id prefix of at least ``MIN_PREFIX``
        characters, or by the path of its folder.

        An empty id (an unset shell variable) names no session, whatever the folder holds:
        a prefix of nothing would match every session, and the only one in the folder would
        be taken (and ``purge`` would delete its recording)."""
        if not ref.strip():
            raise SessionNotFound(
                _("the session id is empty (an unset variable?): name a session by its id")
            )
        candidate = Path(ref)
        if ref.strip(os.sep + ".") and is_session_dir(candidate):
            return cls(candidate)
        direct = sessions_dir / ref
        if os.sep not in ref and ref not in (".", "..") and is_session_dir(direct):
            return cls(direct)
        if len(ref) < MIN_PREFIX or os.sep in ref:
            raise SessionNotFound(
                _(
                    "no session {ref!r} in {folder} (give the whole id, or at least {count} "
                    "characters of it)",
                    ref=ref,
                    folder=sessions_dir,
                    count=MIN_PREFIX,
                )
            )
        matches = [p for p in list_session_dirs(sessions_dir) if p.name.startswith(ref)]
        if len(matches) == 1:
            return cls(matches[0])
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches[:5])
            raise SessionNotFound(f"{ref!r} matches several sessions: {names}")
        raise SessionNotFound(f"no session {ref!r} in {sessions_dir}")

    # --- metadata (TinyDB) ----------------------------------------------------------------------

    def _db(self) -> TinyDB:
        from tinydb import TinyDB

        return TinyDB(self.db_path, storage=AtomicJSONStorage)

    def info(self) -> SessionInfo:
        # what cannot be read in session.json comes from its copy (see ``details``)
        return self._info_of(self.details())

    @staticmethod
    def _info_of(document: dict[str, Any]) -> SessionInfo:
        meta, guide, participants, full_guide, carried = (
            list(document.get(name, {}).values())
            for name in ("meta", "guide", "participants", "full_guide", "carried")
        )
        m = meta[0]
        return SessionInfo(
            id=m["id"],
            title=visible(m["title"]),
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
            document = self.details()
            ((key, meta),) = document["meta"].items()
            document["meta"] = {key: {**meta, "study": study}}  # the tables read are shared
            self._write(document, self.read_events().events)

    # --- damaged files ----------------------------------------------------------------------------

    def details(self) -> dict[str, Any]:
        """The tables of session.json but its copy of the events, as they should be: as read,
        with each table of the session's details that cannot be read (or a whole unreadable
        file) taken from session.meta.json. Writes nothing. Sets ``damage`` when anything had
        to come from the copy; raises ``SessionDamaged`` when the title, guide or meta cannot
        be recovered at all.

        The tables are shared with later calls: replace one, never change it in place. A
        session.json the same, byte for byte, as one read before without damage is not
        parsed again (opening a session reads it for ``info`` and again for ``repair``, and
        its copy of the events makes it megabytes long in a long session)."""
        self.damage = None
        raw, reason = _read_bytes(self.db_path)
        document: dict[str, Any] | None = None
        if raw is not None:
            digest = _digest(raw)
            if self._clean_details is not None and self._clean_details[0] == digest:
                return dict(self._clean_details[1])
            # the very bytes the last checkpoint wrote, without damage: its snapshot holds
            # their details, as read and checked then (a long session's file is megabytes)
            cached = snapshot_details(self.path, digest.hex())
            if cached is not None:
                self._clean_details = (digest, cached)
                return dict(cached)
            document, reason = _json_object(raw)
        broken: dict[str, str] = {}
        if document is not None:
            document.pop("events", None)  # only a copy: the journals hold the events
            for name in DETAIL_TABLES:
                if name not in document:
                    if name in REQUIRED_TABLES:
                        broken[name] = _('"{table}" is missing', table=name)
                    continue
                problem = table_problem(name, document[name])
                if problem:
                    broken[name] = problem
        if document is not None and not broken:
            self._clean_details = (digest, document)
            return dict(document)
        copy, copy_reason = read_json_object(self.meta_path)
        if document is None:
            # nothing of session.json can be read: every table comes from the copy
            document = {name: table for name, table in (copy or {}).items() if name != "events"}
            wanted = [name for name in DETAIL_TABLES if name in document or name in REQUIRED_TABLES]
        else:
            reason = "; ".join(broken.values())
            wanted = list(broken)
        lost: list[str] = []
        for name in wanted:
            table = copy.get(name) if copy is not None else None
            if table is not None and table_problem(name, table) is None:
                document[name] = table
            elif name in REQUIRED_TABLES:
                lost.append(name)
            else:
                document.pop(name, None)  # the roster, carried follow-ups: left out, not guessed
        if lost:
            if copy is not None:
                copy_reason = "; ".join(
                    table_problem(name, copy[name]) or ""
                    if name in copy
                    else _('"{table}" is missing', table=name)
                    for name in lost
                )
            raise SessionDamaged(
                _(
                    "{file} is damaged ({reason}), and its copy {copy} cannot replace it "
                    "({copy_reason}): the session's details cannot be recovered. Both files "
                    "were left as they are.",
                    file=self.db_path,
                    reason=reason,
                    copy=self.meta_path.name,
                    copy_reason=copy_reason,
                )
            )
        self.damage = Damage(reason, tuple(wanted))
        return document

    def _write(self, document: dict[str, Any], events: list[Event]) -> bytes:
        """session.json from the details (``details``, just called) and the events, and its
        copy of the details; a damaged session.json is copied aside first. Returns the digest
        of the session.json written. Raises ``StorageError`` or ``OSError``."""
        if self.damage is not None:
            self._keep_copy_of_damaged_db()
        document = {**document, "events": _events_table(events)}
        raw = AtomicJSONStorage(self.db_path).write_bytes(document)
        self._save_details_copy(document)
        return _digest(raw)

    def _keep_copy_of_damaged_db(self) -> Path | None:
        try:
            return keep_damaged_copy(self.db_path)
        except OSError as error:
            raise StorageError(
                _(
                    "{file} is damaged and could not be copied aside ({reason}), so it was "
                    "left as it is",
                    file=self.db_path,
                    reason=error.strerror or error,
                )
            ) from error

    def _save_details_copy(self, document: dict[str, Any]) -> None:
        """Write session.meta.json (atomically) if it is missing or differs. Raises
        ``OSError``."""
        data = json.dumps(
            {name: table for name, table in document.items() if name != "events"},
            ensure_ascii=False,
        ).encode()
        try:
            if self.meta_path.read_bytes() == data:
                return
        except OSError:
            pass
        atomic_write(self.meta_path, data)

    def repair(self, loaded: LoadedEvents | None = None) -> list[str]:
        """Make the session folder whole after damage, and say what was found and done.

        - session.json unreadable, or with a table of details that cannot be used: copied
          aside first, then rebuilt from what it still holds, the copy of the details
          (session.meta.json) and the events of the journals;
        - a journal with damaged lines: copied aside (a journal is never rewritten; the
          lines after the damage are read, and new events go after it);
        - session.meta.json written if it is missing, damaged or out of date.

        ``loaded``: the events as just read (``read_events``), to save reading them again.
        Returns one message per file acted on (none when all is well). Raises
        ``SessionDamaged``, having written nothing, when the details cannot be recovered.
        """
        notes: list[str] = []
        with self._lock:
            document = self.details()
            damage = self.damage
            if loaded is None and (damage is not None or not self._resumed):
                loaded = self.read_events()
            if damage is not None:
                assert loaded is not None
                parts = [_("{file} is damaged: {reason}.", file=self.db_path, reason=damage.reason)]
                try:
                    backup = self._keep_copy_of_damaged_db()
                except StorageError as error:
                    parts.append(str(error) + ".")
                    backup = None
                    rebuild = False
                else:
                    rebuild = True
                    if backup is not None:
                        parts.append(
                            _("A copy of it as it was is kept as {backup}.", backup=backup.name)
                        )
                parts.append(
                    _(
                        "What could not be read in it was taken from {copy}, and the events "
                        "from the journals ({count}).",
                        copy=self.meta_path.name,
                        count=len(loaded.events),
                    )
                )
                if rebuild:
                    document["events"] = _events_table(loaded.events)
                    try:
                        AtomicJSONStorage(self.db_path).write(document)
                    except StorageError as error:
                        parts.append(
                            _(
                                "It could not be rebuilt ({reason}); the next checkpoint tries "
                                "again.",
                                reason=error,
                            )
                        )
                    else:
                        parts.append(_("{file} was rebuilt from them.", file=self.db_path.name))
                notes.append(" ".join(parts))
            try:
                self._save_details_copy(document)
            except OSError:
                pass  # a missing copy is made again at the next checkpoint
            for path in self.damaged_journals:
                try:
                    backup = keep_damaged_copy(path, appended_only=True)
                except OSError as error:
                    notes.append(
                        _(
                            "{file} could not be copied aside ({reason}); it is left as it is.",
                            file=path.name,
                            reason=error.strerror or error,
                        )
                    )
                    continue
                if backup is not None:
                    notes.append(
                        _(
                            "A copy of {file} as it was is kept as {backup}.",
                            file=path.name,
                            backup=backup.name,
                        )
                    )
        return notes

    # --- events (journals) ----------------------------------------------------------------------

    def journal_path(self, writer: str) -> Path:
        return self.path / f"{JOURNAL_PREFIX}{writer}.jsonl"

    def open_writer(self, writer: str) -> JournalWriter:
        path = self.journal_path(writer)
        # just read whole (``read_events`` or ``resume``) and without a damaged line: the
        # writer reads only its end
        checked = path in self._read_clean
        journal = JournalWriter(path, writer, lines_checked=checked)
        if journal.damaged_lines:
            # an event on a damaged line (read from it, or from the checkpoint) keeps its
            # number: the next one must not take it again
            known = [e.seq for e in self.read_events().events if e.writer == writer]
            journal.seq = max([journal.seq, *known])
        return journal

    def open_free_writer(self, base: str, most: int) -> JournalWriter | None:
        """The first of the journals ``base``, ``base-2`` ... ``base-{most}`` that no other
        process holds (its ``writer`` says which), or None if every one is held."""
        for number in range(1, most + 1):
            try:
                return self.open_writer(base if number == 1 else f"{base}-{number}")
            except JournalLocked:
                continue
        return None

    def journal_paths(self) -> list[Path]:
        return sorted(self.path.glob(f"{JOURNAL_PREFIX}*.jsonl"))

    def read_events(self) -> LoadedEvents:
        """Every event of every journal, once each, in the order they are applied."""
        by_id: dict[str, Event] = {}
        problems: list[str] = []
        damaged: list[tuple[Path, list[int], list[Event]]] = []
        journals: dict[str, bytes] = {}
        for path in self.journal_paths():
            read = read_journal(path)
            journals[path.name] = read.data
            for event in read.events:
                by_id.setdefault(event.id, event)
            if read.damaged_lines:
                # what a damaged line still holds: whole events run together or among garbage
                lines = path.read_bytes().split(b"\n")
                found = [e for n in read.damaged_lines for e in salvage_events(lines[n - 1])]
                damaged.append((path, read.damaged_lines, found))
        self.damaged_journals = [path for path, _lines, _found in damaged]
        self._read_clean = {self.journal_path(name[len(JOURNAL_PREFIX) : -len(".jsonl")])
                            for name in journals} - set(self.damaged_journals)  # fmt: skip
        from_checkpoint = 0
        if damaged:
            # the events a damaged line held may be in the last checkpoint's copy, intact:
            # taken before what could be read out of the damage (a byte may be wrong there)
            for event in self._checkpointed_events():
                if event.id not in by_id:
                    by_id[event.id] = event
                    from_checkpoint += 1
        for path, numbers, found in damaged:
            salvaged = 0
            for event in found:
                if event.id not in by_id:
                    by_id[event.id] = event
                    salvaged += 1
            shown = ", ".join(str(n) for n in numbers[:10]) + (", ..." if len(numbers) > 10 else "")
            problems.append(
                _(
                    "{file}: {count} damaged line(s) skipped (line {lines}); the lines after "
                    "them were read. Whole events found in them: {salvaged}.",
                    file=path.name,
                    count=len(numbers),
                    lines=shown,
                    salvaged=salvaged,
                )
            )
        if from_checkpoint:
            problems.append(
                _(
                    "{count} event(s) missing from the damaged journals were taken from the "
                    "copy in {file}.",
                    count=from_checkpoint,
                    file=self.db_path.name,
                )
            )
        return LoadedEvents(sorted(by_id.values(), key=event_order), problems, journals)

    def _checkpointed_events(self) -> list[Event]:
        """The copy of the events in session.json (what the last checkpoint saw)."""
        document, _reason = read_json_object(self.db_path)
        table = (document or {}).get("events")
        events: list[Event] = []
        if isinstance(table, dict):
            for record in table.values():
                try:
                    events.append(Event.from_record(record))
                except EventFormatError:
                    continue
        return events

    def resume(self, info: SessionInfo) -> Resumed | None:
        """The state from the snapshot of the folded state (``snapshot``) and the events
        appended since, or None when it cannot be used (missing, stale, damaged, not made
        from these journals, or session.json damaged): then read and fold every event."""
        if self.damage is not None:
            return None  # ``repair`` rebuilds session.json from every event
        resumed = load_snapshot(self.path, info, self.journal_paths())
        self._resumed = resumed is not None
        if resumed is not None:
            self.damaged_journals = []  # the snapshot is made only from clean journals
            self._read_clean = set(self.journal_paths())
        return resumed

    def checkpoint(self, state: SessionState | None = None) -> int:
        """Copy every journal event into the TinyDB ``events`` table, atomically, keep
        session.meta.json up to date, and save the folded state (``snapshot``: a cache for
        the next start). Returns the number of events copied.

        ``state``: the state folded from exactly the journals as they are now (the live
        session's at its close, when no other writer is running), to save folding them.

        A checkpoint that cannot be written (a full disk) leaves session.json as it was and
        loses nothing (the journals hold every event): it returns -1 and says why in
        ``checkpoint_problem``, and the next one tries again. It never raises for that, as it
        runs beside the live view. A damaged session.json is copied aside before it is
        written over (``repair`` says so at the next start)."""
        try:
            loaded = self.read_events()
            with self._lock:
                document = self.details()
                written = self._write(document, loaded.events)
                info = self._info_of(document)
        except (StorageError, SessionDamaged, OSError) as error:
            self.checkpoint_problem = str(error)
            return -1
        self.checkpoint_problem = None
        if not loaded.problems and self.damage is None:
            self._save_snapshot(info, loaded, state, (written, document))
        return len(loaded.events)

    def checkpoint_apart(self) -> int:
        """``checkpoint`` in a child process (``store.checkpointer``), for the periodic one
        beside the live view: the O(n) work holds none of this process's time or lock, so a
        key press is not kept waiting. Same result and ``checkpoint_problem``. When no child
        can be started (or it gives no answer), the checkpoint runs here instead."""
        from facilitator.i18n import language

        # This process's module path as it is (the folder holding facilitator/ first), and
        # -S: the child skips the site set-up (the .pth files), which is most of its start
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, *filter(None, sys.path)])}
        command = [sys.executable, "-S", "-m", "facilitator.store.checkpointer", str(self.path)]
        with self._apart_lock:
            if self._apart is not None:  # the last one is still at work: it will do
                return self._apart_count
            try:
                self._apart = subprocess.Popen(
                    [*command, "--lang", language()],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            except OSError:
                return self.checkpoint()
            child = self._apart
        try:
            out, _err = child.communicate()
        finally:
            with self._apart_lock:
                self._apart = None
        try:
            answer = json.loads(out.decode().strip().splitlines()[-1])
            count, problem = int(answer["events"]), answer["problem"]
        except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError):
            return self.checkpoint()  # the child died (killed, out of memory ...)
        self.checkpoint_problem = problem if isinstance(problem, str) else None
        self._apart_count = count
        return count

    def wait_for_checkpoint(self) -> None:
        """Let a checkpoint running apart finish (before this process writes session.json)."""
        with self._apart_lock:
            child = self._apart
        if child is not None:
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def _save_snapshot(
        self,
        info: SessionInfo,
        loaded: LoadedEvents,
        state: SessionState | None,
        details: tuple[bytes, dict[str, Any]],
    ) -> None:
        """The snapshot of the state folded from ``loaded`` (the journals as just read), with
        ``details``: the digest of the session.json just written and its details (then the
        next start need not parse megabytes of session.json to find them: ``details``)."""
        journals = loaded.journals
        if state is None or state.event_count != len(loaded.events):
            resumed = load_snapshot(self.path, info, self.journal_paths())
            if resumed is not None:
                state, journals = resumed.state, resumed.journals
            else:
                state = state_of(info, loaded.events)
        try:
            write_snapshot(self.path, info, state, journals, details=(details[0].hex(), details[1]))
        except OSError:
            pass  # only a cache: the next start folds every event, the next checkpoint retries

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


def clean_stale_staging(sessions_dir: Path) -> None:
    """Delete the half-built session folders of ``create`` runs that were killed."""
    try:
        names = os.listdir(sessions_dir)
    except OSError:
        return
    for name in names:
        if not name.startswith(STAGING_PREFIX):
            continue
        pid = name.rsplit(".", 1)[-1]
        if pid.isdigit() and process_alive(int(pid)):
            continue
        shutil.rmtree(sessions_dir / name, ignore_errors=True)


def is_session_dir(path: Path) -> bool:
    """A session folder: session.json, or its copy of the details if session.json is lost."""
    return (path / DB_NAME).exists() or (path / META_COPY_NAME).exists()


def list_session_dirs(sessions_dir: Path) -> list[Path]:
    if not sessions_dir.is_dir():
        return []
    return sorted(
        (p for p in sessions_dir.iterdir() if not p.name.startswith(".") and is_session_dir(p)),
        key=lambda p: p.name,
    )


def study_sessions(sessions_dir: Path, study: str) -> list[SessionStore]:
    """The sessions of one study, by stage (and creation, for two of one stage)."""
    return [store for _info, store in _study_infos(sessions_dir, study)]


def _study_infos(sessions_dir: Path, study: str) -> list[tuple[SessionInfo, SessionStore]]:
    found: list[tuple[SessionInfo, SessionStore]] = []
    for path in list_session_dirs(sessions_dir):
        store = SessionStore(path)
        try:
            info = store.info()
        except SessionDamaged:
            continue
        if info.study == study:
            found.append((info, store))
    return sorted(found, key=lambda f: (f[0].stage, f[0].created_at))


def previous_stage_store(sessions_dir: Path, info: SessionInfo) -> SessionStore | None:
    """The session of the stage before ``info`` in its study: the one ``next`` made it from,
    else the latest readable session of the stage before in the same study."""
    if info.previous and is_session_dir(sessions_dir / info.previous):
        return SessionStore(sessions_dir / info.previous)
    if not info.study or info.stage < 2:
        return None
    earlier = [
        store
        for found, store in _study_infos(sessions_dir, info.study)
        if found.stage == info.stage - 1
    ]
    return earlier[-1] if earlier else None
