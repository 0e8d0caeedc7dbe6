"""The machine transcript on disk: written stretch by stretch, never rewritten.

::

    sessions/<id>/transcript/            0700, owner only
        run.json                         what the run is: model, language, the parts and
                                         their lengths, when it began and ended (atomic)
        <part>.jsonl                     one recording part's stretches, one JSON object a
                                         line (``core.transcript.Stretch.to_record``),
                                         appended and fsynced before it is reported
        .lock                            held (flock) by the one process transcribing
    sessions/<id>/transcript.old-<YYYYmmdd-HHMMSS>/
                                         a transcript a run with another model or language
                                         replaced (kept, never deleted by the app)

Why JSON lines and not the session's journals: a three-hour session has about 30,000 words;
as events they would be copied into ``session.json`` at every checkpoint. A stretch is
appended with one ``write`` on an ``O_APPEND`` descriptor and fsynced, so a kill at any
instant loses at most the stretch being recognised (a torn last line is cut off when the
next run opens the file, as the journals do), and the next run goes on from the end of the
last stretch stored. The researcher's corrections are journal events (see
``core.transcript``); they name words by id and never touch these files.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from facilitator.core.collect import paused_collection
from facilitator.core.session import SessionState
from facilitator.core.transcript import SCHEMA, MachineTranscript, Stretch, Transcript
from facilitator.core.transcript_edits import corrected_transcript
from facilitator.disk import fsync_dir
from facilitator.i18n import _
from facilitator.store.journal import FILE_MODE, StorageError
from facilitator.store.session_store import atomic_write, make_private_dir

TRANSCRIPT_DIR = "transcript"
RUN_NAME = "run.json"
LOCK_NAME = ".lock"
OLD_MARK = ".old-"
_PART_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class TranscriptBusy(StorageError):
    """Another process is transcribing this session."""


class TranscriptMismatch(Exception):
    """The transcript stored was made with another model or language."""

    def __init__(self, model: str, language: str) -> None:
        super().__init__(model, language)
        self.model = model
        self.language = language


@dataclass
class LoadedTranscript:
    machine: MachineTranscript
    problems: list[str] = field(default_factory=list)  # damaged lines, skipped


def part_name(file: str) -> str:
    """The part's name for a recording file (``audio/rec-001.wav`` -> ``rec-001``)."""
    stem = Path(file).stem
    if not _PART_NAME.match(stem):
        raise ValueError(f"a recording part cannot be called {stem!r}")
    return stem


class TranscriptStore:
    def __init__(self, session_path: Path) -> None:
        self.session_path = session_path
        self.folder = session_path / TRANSCRIPT_DIR

    # --- reading ------------------------------------------------------------------------------

    def exists(self) -> bool:
        return (self.folder / RUN_NAME).exists()

    def read_run(self) -> dict[str, Any] | None:
        try:
            raw = (self.folder / RUN_NAME).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StorageError(error.strerror or str(error)) from error
        try:
            run = json.loads(raw)
        except ValueError:
            return None
        return run if isinstance(run, dict) else None

    def load(self) -> LoadedTranscript | None:
        """The machine transcript stored so far, or None if the session has none."""
        run = self.read_run()
        if run is None:
            return None
        machine = MachineTranscript(
            model=str(run.get("model", "")),
            language=str(run.get("language", "")),
            parts_s={
                str(k): float(v)
                for k, v in (run.get("parts") or {}).items()
                if isinstance(v, int | float) and not isinstance(v, bool)
            },
            complete=bool(run.get("complete", False)),
            started_at=_number_or_none(run.get("started_at")),
            finished_at=_number_or_none(run.get("finished_at")),
        )
        loaded = LoadedTranscript(machine)
        for path in sorted(self.folder.glob("*.jsonl")):
            seen: set[int] = set()
            for number, line in enumerate(_complete_lines(path), start=1):
                if not line.strip():
                    continue
                try:
                    stretch = Stretch.from_record(json.loads(line))
                except (ValueError, UnicodeDecodeError):
                    loaded.problems.append(
                        _(
                            "{file}: line {line} is damaged and was skipped",
                            file=path.name,
                            line=number,
                        )
                    )
                    continue
                if stretch.part != path.stem or stretch.index in seen:
                    continue
                seen.add(stretch.index)
                machine.stretches.append(stretch)
        machine.stretches.sort(key=lambda s: (s.start_s, s.part, s.index))
        return loaded

    # --- writing ------------------------------------------------------------------------------

    def open_writer(self) -> TranscriptWriter:
        make_private_dir(self.folder)
        return TranscriptWriter(self)

    def set_aside(self) -> Path | None:
        """Move the transcript stored to ``transcript.old-<time>``; where it went."""
        if not self.folder.exists():
            return None
        target = self.session_path / (
            TRANSCRIPT_DIR + OLD_MARK + time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        )
        suffix = 1
        while target.exists():
            suffix += 1
            target = target.with_name(target.name.split("~")[0] + f"~{suffix}")
        os.replace(self.folder, target)
        fsync_dir(self.session_path)
        return target


class TranscriptWriter:
    """The one process adding stretches to a session's transcript (holds ``.lock``)."""

    def __init__(self, store: TranscriptStore) -> None:
        self.store = store
        self.folder = store.folder
        self._lock = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise TranscriptBusy(_("another process is transcribing this session")) from None
        self._cut_torn_tails()

    def _cut_torn_tails(self) -> None:
        """A stretch cut short by a kill was never reported: it goes, and is done again."""
        for path in self.folder.glob("*.jsonl"):
            data = path.read_bytes()
            keep = data.rfind(b"\n") + 1
            if keep < len(data):
                with path.open("r+b") as handle:
                    handle.truncate(keep)
                    handle.flush()
                    os.fsync(handle.fileno())

    def begin(
        self, model: str, language: str, parts: dict[str, float], now: float
    ) -> MachineTranscript:
        """Start a run, or go on with the one stored if it has the same model and language.

        Raises ``TranscriptMismatch`` if a transcript of another model or language is stored."""
        run = self.store.read_run()
        if run is not None and (run.get("model"), run.get("language")) != (model, language):
            raise TranscriptMismatch(str(run.get("model", "")), str(run.get("language", "")))
        started = run.get("started_at") if run else None
        self._write_run(
            {
                "schema": SCHEMA,
                "model": model,
                "language": language,
                "parts": {k: round(v, 3) for k, v in parts.items()},
                "started_at": started if isinstance(started, int | float) else now,
                "complete": False,
                "finished_at": None,
            }
        )
        loaded = self.store.load()
        assert loaded is not None
        return loaded.machine

    def append(self, stretch: Stretch) -> None:
        """Write one stretch durably; raise ``StorageError`` if it is not on disk."""
        path = self.folder / f"{part_name(stretch.part)}.jsonl"
        line = (
            json.dumps(stretch.to_record(), ensure_ascii=False, separators=(",", ":")) + "\n"
        ).encode()
        new = not path.exists()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        except OSError as error:
            raise StorageError(error.strerror or str(error)) from error
        try:
            size = os.fstat(fd).st_size
            try:
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                os.fsync(fd)
            except OSError as error:
                try:
                    os.ftruncate(fd, size)  # no half line: the next run starts clean
                except OSError:
                    pass
                raise StorageError(error.strerror or str(error)) from error
        finally:
            os.close(fd)
        if new:
            fsync_dir(self.folder)

    def finish(self, complete: bool, now: float) -> None:
        run = self.store.read_run() or {}
        run["complete"] = complete
        run["finished_at"] = now if complete else None
        self._write_run(run)

    def _write_run(self, run: dict[str, Any]) -> None:
        try:
            atomic_write(self.folder / RUN_NAME, json.dumps(run, ensure_ascii=False).encode())
        except OSError as error:
            raise StorageError(error.strerror or str(error)) from error

    def close(self) -> None:
        if self._lock >= 0:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            finally:
                os.close(self._lock)
                self._lock = -1

    def __enter__(self) -> TranscriptWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _complete_lines(path: Path) -> list[bytes]:
    try:
        data = path.read_bytes()
    except OSError:
        return []
    return data[: data.rfind(b"\n") + 1].splitlines()


def _number_or_none(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


@paused_collection
def attributed_transcript(session_path: Path, state: SessionState) -> Transcript | None:
    """The session's transcript with every word's speaker, as corrected
    (``core.transcript_edits.corrected_transcript`` of the stored words: the one function the
    transcript editor, the summary and every export read), or None if it has none."""
    loaded = TranscriptStore(session_path).load()
    if loaded is None or not loaded.machine.stretches:
        return None
    return corrected_transcript(state, loaded.machine)
