"""After the session: the recording as one file on the session clock, and a clip per quote.

The recorder leaves a session's audio as WAV segments (48 kHz, mono, 16-bit PCM), one per
stretch between pauses, each with its start on the *session clock* (seconds from the start
of the session, breaks not counted). Two things are made from them:

``export_recording``
    ONE file (FLAC, MP3, Ogg Opus or WAV) in which a position is a session-clock time: silence
    before the first segment and in the gaps, so a note at 1:02:03 is heard at 1:02:03. A
    segment that starts before the one before it has ended is trimmed (its overlapping
    start dropped), never mixed: mixing would double the room. The audio is streamed: the
    segments are read a second at a time with :mod:`wave`, silence is written from one
    zeroed buffer, and raw s16le goes down a pipe into one ffmpeg process, so memory stays
    flat however long the session (three hours of 48 kHz int16 is 1 GB). ffmpeg writes a
    file, not a pipe, because FLAC's STREAMINFO (the length and checksum) and MP3's Xing
    header are written at the end by seeking back to the start.

``export_clips``
    A short file per quote, [t - before_s, t + after_s] (the note is typed after the words
    were said, so most of the margin is before), cut to the audio that exists, with a gap
    between segments filled with silence. A clip goes through the same pipe into ffmpeg as
    the whole recording, reading only the frames of its window. Not pydub's
    ``from_wav(...)[a:b].export(...)``: ``from_wav`` loads the whole segment (a 3-hour one
    is 1 GB), and ``export`` copies the audio through two temporary files in the system's
    temporary folder, which it leaves behind when ffmpeg fails: a recording must not leave
    the session's folder. The file names sort by time and tell a transcriber where to
    look; ``clips.csv`` lists them beside the notes.

Both write to a hidden ``.<name>.part`` file (mode 0600) and ``os.replace`` it into place
only when the encoder succeeded, so a failed or cancelled export leaves neither a partial
file nor a damaged earlier one. Every file made is 0600 and the clips' folder 0700: the
recording is the most personal data a session holds.

Encoders (checked in ``ffmpeg -encoders``): FLAC (ffmpeg's own, lossless); WAV (16-bit PCM,
as recorded: the file the ELAN and REFI-QDA exports link, since ELAN plays WAV); MP3 with
libmp3lame at 128 kb/s (libshine if lame is missing); Opus with libopus at 32 kb/s in its
``voip`` mode, which favours speech intelligibility: three hours come to about 43 MB.
"""

from __future__ import annotations

import errno
import math
import os
import re
import subprocess
import tempfile
import time
import warnings
import wave
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO

from facilitator.core.audio import AUDIO_FORMATS
from facilitator.core.spreadsheet import csv_text
from facilitator.i18n import _

with warnings.catch_warnings():
    # pydub warns on import when ffmpeg is missing, on stderr before any message of ours:
    # ffmpeg_problem says it in one line, with what to install
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub.utils import get_encoder_name, which

RATE = 48_000
CHANNELS = 1
SAMPLE_WIDTH = 2  # bytes: 16-bit PCM
# A format's name is its file suffix and its ffmpeg muxer ("opus": Ogg Opus, RFC 7845).
SUFFIXES = {fmt: f".{fmt}" for fmt in AUDIO_FORMATS}
CHUNK_FRAMES = RATE  # one second (96 kB) per read and per write into the pipe
PROGRESS_EVERY_S = 0.2  # wall-clock seconds between progress calls (and one at each end)
FILE_MODE = 0o600
DIR_MODE = 0o700

Progress = Callable[[float, float], object]


class AudioExportError(Exception):
    """An export failed. The message is translated and says why (with ffmpeg's own words)."""


@dataclass(frozen=True)
class Segment:
    """One WAV file of the recording and where it starts on the session clock."""

    path: Path
    start_s: float


@dataclass(frozen=True)
class ExportResult:
    path: Path
    seconds: float  # the file's length: the session clock from 0 to its end
    segments: int  # how many segments contributed audio (some may be wholly overlapped)


@dataclass(frozen=True)
class Quote:
    """A note to cut a clip for: its number, session time, speaker id and question code."""

    number: int
    t_s: float
    speaker: str  # a pseudonym id ("P3"), "moderator", or "" for nobody
    question: str  # a question code ("q2.1"), or ""
    text: str


@dataclass(frozen=True)
class Clip:
    path: Path
    start_s: float  # the clip's first and last moment on the session clock
    end_s: float
    quote: Quote


@dataclass(frozen=True)
class SkippedQuote:
    quote: Quote
    reason: str  # translated


@dataclass(frozen=True)
class ClipsResult:
    clips: tuple[Clip, ...]
    skipped: tuple[SkippedQuote, ...]
    csv_path: Path

    @property
    def folder(self) -> Path:
        """Where the clips and their list are."""
        return self.csv_path.parent


# --- ffmpeg ---------------------------------------------------------------------------------


def ffmpeg_problem() -> str | None:
    """None when ffmpeg can be used (found as pydub finds it), else why not and what to do."""
    if which("ffmpeg") is None:
        return _(
            "Audio export is off: ffmpeg is not installed. "
            "On Debian or Ubuntu: sudo apt-get install ffmpeg"
        )
    return None


def _ffmpeg() -> str:
    problem = ffmpeg_problem()
    if problem:
        raise AudioExportError(problem)
    return str(get_encoder_name())


@cache
def _encoders_of(binary: str) -> frozenset[str]:
    """The encoder names a given ffmpeg lists (``ffmpeg -encoders``), asked once a process."""
    try:
        listing = subprocess.run(
            [binary, "-hide_banner", "-encoders"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    names = set()
    for line in listing.splitlines():
        fields = line.split()
        # " A....D flac   FLAC (Free Lossless Audio Codec)": flags, then the name
        if len(fields) >= 2 and len(fields[0]) == 6 and fields[0][0] == "A":
            names.add(fields[1])
    return frozenset(names)


@dataclass(frozen=True)
class _Encoder:
    codec: str
    bitrate: str | None
    extra: tuple[str, ...] = ()

    def ffmpeg_args(self) -> list[str]:
        args = ["-c:a", self.codec]
        if self.bitrate:
            args += ["-b:a", self.bitrate]
        return args + list(self.extra)


def _encoder(binary: str, fmt: str) -> _Encoder:
    if fmt not in AUDIO_FORMATS:
        raise ValueError(f"unknown audio format {fmt!r}: one of {', '.join(AUDIO_FORMATS)}")
    if fmt == "flac":
        return _Encoder("flac", None, ("-compression_level", "5"))
    if fmt == "wav":  # 16-bit PCM as recorded: what ELAN and every QDA program play
        return _Encoder("pcm_s16le", None)
    available = _encoders_of(binary)
    if fmt == "mp3":
        for codec in ("libmp3lame", "libshine"):
            if codec in available:
                return _Encoder(codec, "128k")
        wanted = "libmp3lame"
    else:
        if "libopus" in available:
            return _Encoder("libopus", "32k", ("-application", "voip"))
        wanted = "libopus"
    raise AudioExportError(
        _(
            "This ffmpeg cannot write {format}: it has no {encoder} encoder.",
            format=fmt.upper(),
            encoder=wanted,
        )
    )


# --- the segments on the session clock --------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """The part of one segment that is heard, placed on the session clock (in frames)."""

    path: Path
    at: int  # session-clock frame of its first frame
    skip: int  # frames at the start of the file left out (overlapping the piece before)
    frames: int

    @property
    def end(self) -> int:
        return self.at + self.frames


def _unreadable(path: Path, error: object) -> AudioExportError:
    return AudioExportError(
        _("Cannot read the recording file {file}: {error}", file=str(path), error=error)
    )


def _frames_in(path: Path) -> int:
    try:
        with wave.open(str(path), "rb") as reader:
            shape = (reader.getnchannels(), reader.getsampwidth(), reader.getframerate())
            frames = reader.getnframes()
    except (OSError, EOFError, wave.Error) as error:
        raise _unreadable(path, getattr(error, "strerror", None) or error) from error
    if shape != (CHANNELS, SAMPLE_WIDTH, RATE):
        channels, width, rate = shape
        raise AudioExportError(
            _(
                "The recording file {file} is not 48 kHz mono 16-bit audio "
                "({rate} Hz, {channels} channels, {bits}-bit).",
                file=str(path),
                rate=rate,
                channels=channels,
                bits=width * 8,
            )
        )
    return frames


def _plan(segments: Iterable[Segment]) -> list[_Piece]:
    """The segments in session order, each trimmed where it overlaps what comes before."""
    pieces: list[_Piece] = []
    heard_to = 0  # nothing is heard before the session starts
    for segment in sorted(segments, key=lambda s: (s.start_s, str(s.path))):
        if not math.isfinite(segment.start_s):
            raise AudioExportError(
                _(
                    "The recording file {file} has no valid start time.",
                    file=str(segment.path),
                )
            )
        frames = _frames_in(Path(segment.path))
        at = round(segment.start_s * RATE)
        skip = max(0, heard_to - at)
        if skip >= frames:
            continue  # wholly inside audio already placed
        pieces.append(_Piece(Path(segment.path), at + skip, skip, frames - skip))
        heard_to = at + frames
    return pieces


def _read_frames(reader: wave.Wave_read, count: int) -> bytes:
    data = reader.readframes(count)
    wanted = count * SAMPLE_WIDTH
    # A header repaired after a crash may promise a little more than was written: the missing
    # end is heard as silence, so everything after it keeps its place on the clock.
    return data if len(data) == wanted else data + bytes(wanted - len(data))


# --- the whole recording ----------------------------------------------------------------------


class _Reporter:
    def __init__(self, progress: Progress | None, total_frames: int) -> None:
        self.progress = progress
        self.total_s = total_frames / RATE
        self.last = -math.inf

    def __call__(self, done_frames: int, *, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            self.progress(done_frames / RATE, self.total_s)


def _feed(
    sink: IO[bytes], pieces: Sequence[_Piece], start: int, end: int, report: _Reporter
) -> None:
    """Write session-clock frames ``start``..``end`` as s16le into ``sink``, a second at a
    time: the pieces' audio where they are, silence around them."""
    silence = memoryview(bytes(CHUNK_FRAMES * SAMPLE_WIDTH))
    position = start

    def write_silence(until: int) -> None:
        nonlocal position
        while position < until:
            count = min(CHUNK_FRAMES, until - position)
            sink.write(silence[: count * SAMPLE_WIDTH])
            position += count
            report(position - start)

    report(0, force=True)
    for piece in pieces:
        if piece.at >= end:
            break
        if piece.end <= position:
            continue
        write_silence(piece.at)
        until = min(piece.end, end)
        try:
            with wave.open(str(piece.path), "rb") as reader:
                reader.setpos(piece.skip + position - piece.at)
                while position < until:
                    count = min(CHUNK_FRAMES, until - position)
                    sink.write(_read_frames(reader, count))
                    position += count
                    report(position - start)
        except (OSError, EOFError, wave.Error) as error:
            if isinstance(error, BrokenPipeError):
                raise  # ffmpeg has stopped: its own message says why
            raise _unreadable(piece.path, getattr(error, "strerror", None) or error) from error
    write_silence(end)
    report(end - start, force=True)


def _part_path(out_path: Path, directory: Path | None = None) -> Path:
    return (directory or out_path.parent) / f".{out_path.name}.part"


def _open_part(part: Path, target: Path) -> int:
    """Create (or truncate a stale) ``part`` with mode 0600; never through a symbolic link."""
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE)
        os.fchmod(fd, FILE_MODE)  # a stale part may have had another mode
    except OSError as error:
        raise _cannot_write(target, error) from error
    return fd


def _cannot_write(target: Path, error: OSError) -> AudioExportError:
    return AudioExportError(
        _("Cannot write {file}: {error}", file=str(target), error=error.strerror or error)
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _move_into_place(part: Path, out_path: Path) -> None:
    """``os.replace``; across file systems (a ``tmp_dir`` elsewhere) by a copy beside the target."""
    try:
        os.replace(part, out_path)
        return
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
    beside = _part_path(out_path)
    fd = _open_part(beside, out_path)
    try:
        with os.fdopen(fd, "wb") as target, part.open("rb") as source:
            while block := source.read(1 << 20):
                target.write(block)
            target.flush()
            os.fsync(target.fileno())
        os.replace(beside, out_path)
    except BaseException:
        beside.unlink(missing_ok=True)
        raise
    part.unlink(missing_ok=True)


def _last_line(text: str) -> str:
    """ffmpeg's last line; after the last line a component wrote (``[libopus @ 0x...] ...``)
    when there is one before it, since the very last is often only "Error initializing
    output stream"."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    cause = next((line for line in reversed(lines[:-1]) if line.startswith("[")), None)
    if cause is None:
        return lines[-1]
    cause = re.sub(r"\[(\S+) @ 0x[0-9a-f]+\]\s*", r"\1: ", cause)
    return f"{cause} {lines[-1]}"


def _encoder_failed(fmt: str, target: Path, detail: str) -> AudioExportError:
    return AudioExportError(
        _(
            "ffmpeg could not write the {format} file {file}: {detail}",
            format=fmt.upper(),
            file=str(target),
            detail=detail or _("no message"),
        )
    )


def _encode(
    binary: str,
    fmt: str,
    pieces: Sequence[_Piece],
    start: int,
    end: int,
    out_path: Path,
    part: Path,
    progress: Progress | None = None,
) -> None:
    """Session-clock frames ``start``..``end``, through one ffmpeg process, into ``out_path``.

    ffmpeg writes ``part`` (made 0600 first; ffmpeg keeps the mode of a file it overwrites),
    which replaces ``out_path`` only when ffmpeg succeeded; on any failure, or an exception
    from ``progress``, ffmpeg is stopped and ``part`` removed.
    """
    encoder = _encoder(binary, fmt)
    os.close(_open_part(part, out_path))
    command = [
        binary,
        "-hide_banner",
        "-nostats",
        "-loglevel",
        "error",
        "-f",
        "s16le",
        "-ar",
        str(RATE),
        "-ac",
        str(CHANNELS),
        "-i",
        "pipe:0",
        *encoder.ffmpeg_args(),
        "-f",
        fmt,
        "-y",
        str(part),
    ]
    # ffmpeg's messages go to a file, not a pipe: nobody has to read a pipe while feeding one
    with tempfile.TemporaryFile() as log:
        try:
            try:
                process = subprocess.Popen(
                    command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log
                )
            except OSError as error:
                raise _encoder_failed(fmt, out_path, str(error)) from error
            assert process.stdin is not None
            broken = False
            try:
                _feed(process.stdin, pieces, start, end, _Reporter(progress, end - start))
                process.stdin.close()
            except BrokenPipeError:
                broken = True
                try:
                    process.stdin.close()
                except BrokenPipeError:
                    pass
            except BaseException:
                process.kill()
                process.wait()
                raise
            code = process.wait()
            if broken or code != 0:
                log.seek(0)
                detail = _last_line(log.read().decode("utf-8", "replace"))
                raise _encoder_failed(fmt, out_path, detail)
            _fsync(part)
            _move_into_place(part, out_path)
        except OSError as error:
            part.unlink(missing_ok=True)
            raise _cannot_write(out_path, error) from error
        except BaseException:
            part.unlink(missing_ok=True)
            raise


def export_recording(
    segments: Iterable[Segment],
    out_path: Path | str,
    fmt: str,
    *,
    total_s: float | None = None,
    tmp_dir: Path | str | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the session's recording to ``out_path`` as one ``fmt`` file on the session clock.

    The file runs from session time 0 to ``total_s`` (silence after the last segment; audio
    after ``total_s`` is cut), or to the end of the last segment. ``progress(done_s,
    total_s)`` is called at the start, now and then (every ``PROGRESS_EVERY_S`` of wall
    time) and at the end; an exception raised from it cancels the export (and is raised
    again) with nothing left behind. ``tmp_dir`` is where the partial file is written
    (default: beside ``out_path``). Raises ``AudioExportError`` with a translated message.
    """
    binary = _ffmpeg()
    _encoder(binary, fmt)  # an unknown format or a missing encoder, before any file is read
    out_path = Path(out_path)
    pieces = _plan(segments)
    if not pieces:
        raise AudioExportError(_("There is no recorded audio to export."))
    total = pieces[-1].end if total_s is None else round(total_s * RATE)
    if total <= 0:
        raise AudioExportError(_("There is no recorded audio to export."))
    part = _part_path(out_path, Path(tmp_dir) if tmp_dir is not None else None)
    _encode(binary, fmt, pieces, 0, total, out_path, part, progress)
    return ExportResult(out_path, total / RATE, sum(1 for p in pieces if p.at < total))


# --- clips around quotes ----------------------------------------------------------------------


def clock_text(seconds: float) -> str:
    """``hh:mm:ss``, whole seconds rounded down."""
    hours, minutes, secs = _hms(seconds)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def _hms(seconds: float) -> tuple[int, int, int]:
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return hours, minutes, secs


def _safe(text: str) -> str:
    """A file-name part of only ``[A-Za-z0-9._-]``, not starting with a dot."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:40]


def clip_name(quote: Quote, fmt: str) -> str:
    """``{number:03d}_{hh}h{mm}m{ss}s_{speaker or nobody}_{question}.{suffix}``.

    The time is the quote's (the note's) on the session clock; without a question code the
    last part is left out.
    """
    hours, minutes, secs = _hms(quote.t_s)
    parts = [f"{quote.number:03d}", f"{hours:02d}h{minutes:02d}m{secs:02d}s"]
    parts.append(_safe(quote.speaker) or "nobody")
    if _safe(quote.question):
        parts.append(_safe(quote.question))
    return "_".join(parts) + SUFFIXES[fmt]


def _speaker_text(speaker: str) -> str:
    return _("Moderator") if speaker == "moderator" else speaker


def _write_csv(path: Path, clips: Sequence[Clip]) -> None:
    rows: list[list[str]] = [
        [
            _("File"),
            _("Time"),
            _("Session seconds"),
            _("Clip from (s)"),
            _("Clip to (s)"),
            _("Speaker"),
            _("Question"),
            _("Note"),
        ]
    ]
    for clip in clips:
        quote = clip.quote
        rows.append(
            [
                clip.path.name,
                clock_text(quote.t_s),
                f"{quote.t_s:.2f}",
                f"{clip.start_s:.2f}",
                f"{clip.end_s:.2f}",
                _speaker_text(quote.speaker),
                quote.question,
                quote.text,
            ]
        )
    part = _part_path(path)
    fd = _open_part(part, path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(csv_text(rows))  # every cell safe from formula injection
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _make_private_dir(out_dir: Path) -> None:
    existed = out_dir.is_dir()
    try:
        out_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        if not existed:
            os.chmod(out_dir, DIR_MODE)  # whatever the umask
    except OSError as error:
        raise _cannot_write(out_dir, error) from error


def export_clips(
    segments: Iterable[Segment],
    quotes: Iterable[Quote],
    out_dir: Path | str,
    *,
    before_s: float = 20.0,
    after_s: float = 5.0,
    fmt: str = "flac",
) -> ClipsResult:
    """A clip per quote in ``out_dir`` (created 0700), and ``clips.csv`` listing them.

    A clip covers [t_s - before_s, t_s + after_s] cut to the recorded audio in it (from the
    first recorded frame in the window to the last; a gap between segments inside is
    silence). A quote with no recorded audio in its window gets no clip and is returned in
    ``skipped`` with the reason. Raises ``AudioExportError`` (translated) on failure; clips
    already written stay.
    """
    binary = _ffmpeg()
    _encoder(binary, fmt)
    pieces = _plan(segments)
    out_dir = Path(out_dir)
    _make_private_dir(out_dir)
    clips: list[Clip] = []
    skipped: list[SkippedQuote] = []
    for quote in sorted(quotes, key=lambda q: (q.t_s, q.number)):
        start = round((quote.t_s - before_s) * RATE)
        end = round((quote.t_s + after_s) * RATE)
        heard = [p for p in pieces if p.at < end and p.end > start]
        if not heard:
            reason = _(
                "No audio was recorded between {start} and {end}.",
                start=clock_text(max(0.0, quote.t_s - before_s)),
                end=clock_text(quote.t_s + after_s),
            )
            skipped.append(SkippedQuote(quote, reason))
            continue
        start, end = max(start, heard[0].at), min(end, heard[-1].end)
        path = out_dir / clip_name(quote, fmt)
        _encode(binary, fmt, heard, start, end, path, _part_path(path))
        clips.append(Clip(path, start / RATE, end / RATE, quote))
    csv_path = out_dir / "clips.csv"
    try:
        _write_csv(csv_path, clips)
    except OSError as error:
        raise _cannot_write(csv_path, error) from error
    return ClipsResult(tuple(clips), tuple(skipped), csv_path)
