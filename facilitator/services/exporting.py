"""Writing exports: the one path the command line and the app's summary screen share."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from facilitator.core.clock import SystemClock
from facilitator.core.session import SessionInfo, SessionState
from facilitator.core.summary import build_summary
from facilitator.exports import FORMATS, LINKS_MEDIA, render
from facilitator.i18n import _
from facilitator.store.journal import JournalLocked
from facilitator.store.output import STDOUT, OutputError, write_output
from facilitator.store.session_store import SessionStore, make_private_dir

if TYPE_CHECKING:
    from facilitator.audio.convert import ClipsResult


def session_summary(
    store: SessionStore | None,
    info: SessionInfo,
    state: SessionState,
    now: float,
    with_names: bool = False,
    with_reflections: bool = False,
) -> dict:
    """The summary every output is made from, with the session's transcript when it has one
    (read from ``store``'s folder)."""
    from facilitator.store.transcript_store import attributed_transcript

    transcript = attributed_transcript(store.path, state) if store is not None else None
    return build_summary(
        info,
        state,
        now,
        with_reflections=with_reflections,
        with_names=with_names,
        transcript=transcript,
    )


def render_export(
    store: SessionStore,
    info: SessionInfo,
    state: SessionState,
    fmt: str,
    now: float,
    with_names: bool = False,
) -> str | bytes:
    """``fmt`` rendered in memory (for the screen); the recording a format links is made
    first, as ``write_export`` does."""
    summary = session_summary(store, info, state, now, with_names=with_names)
    if fmt in LINKS_MEDIA:
        ensure_media(store, info, state, summary)
    return render(fmt, summary, folder=store.path)


def default_export_path(store: SessionStore, info: SessionInfo, fmt: str) -> Path:
    """``<session>/exports/<id>.<ext>``: inside the session folder, owner only."""
    return store.path / "exports" / f"{info.id}.{FORMATS[fmt][2]}"


def write_export(
    store: SessionStore,
    info: SessionInfo,
    state: SessionState,
    fmt: str,
    now: float,
    output: Path | None = None,
    with_names: bool = False,
    summary: dict | None = None,
) -> Path:
    """Render ``fmt`` and write it whole (temporary file, fsync, rename) with mode 0600.

    ``summary``: the summary already built (of ``state`` at ``now``, with ``with_names``),
    so that writing several formats builds it once. The formats that link the recording
    (ELAN, REFI-QDA) find it made first (``ensure_media``); the REFI-QDA project, which
    holds the recording, is streamed into its file rather than built in memory, and is
    recorded as an audio file of the session, so that ``purge --audio`` deletes it too."""
    if summary is None:
        summary = session_summary(store, info, state, now, with_names=with_names)
    target = output or default_export_path(store, info, fmt)
    if str(target) != STDOUT:
        target = target.absolute()
        if output is None or target.parent.resolve().is_relative_to(store.path.resolve()):
            try:
                make_private_dir(target.parent)
            except OSError as error:
                raise OutputError(
                    _("cannot write {path}: {reason}", path=target, reason=error.strerror or error)
                ) from None
    if fmt in LINKS_MEDIA:
        ensure_media(store, info, state, summary)
    if fmt == "qdpx":
        from facilitator.exports.qdpx import write_qdpx

        recording = summary["session"].get("recording")
        if recording and str(target) != STDOUT:  # it holds the recording: purge finds it
            from facilitator.core import events as ev

            record_admin(store, state, ev.AUDIO_FILE, {"path": str(target)})
        # streamed into its file; a device, a FIFO or '-' written into (store.output)
        return write_output(target, lambda out: write_qdpx(summary, out, store.path, target))
    rendered = render(fmt, summary, folder=store.path, target=target)
    data = rendered.encode("utf-8") if isinstance(rendered, str) else rendered
    return write_output(target, data)  # raises OutputError


def ensure_media(
    store: SessionStore, info: SessionInfo, state: SessionState, summary: dict
) -> Path | None:
    """The session-clock audio that ``summary["session"]["recording"]`` names, made from
    the recording's segments when it is missing or older than one of them; None without a
    recording. AudioExportError says why it cannot be made (no ffmpeg, a full disk)."""
    from facilitator.core.audio import MEDIA_FORMAT

    recording = summary["session"].get("recording")
    if not recording:
        return None
    media = store.path / recording
    segments = [store.path / s.file for s in state.audio.segments]
    newest = max((p.stat().st_mtime for p in segments if p.exists()), default=0.0)
    if media.exists() and media.stat().st_mtime >= newest and state.ended:
        return media
    return write_audio(store, info, state, MEDIA_FORMAT, media)


# --- audio: the recording as one file, and clips of quotes ------------------------------------

ADMIN = "admin"  # the writer name of changes made outside a live view (exports, purge)


def record_admin(store: SessionStore, state: SessionState, kind: str, data: dict) -> None:
    """Record one event from outside a live view, in its own journal, after every event
    ``state`` holds: stamped and counted past them, as ``LiveSession.record`` does."""
    for _attempt in range(50):
        try:
            journal = store.open_writer(ADMIN)
            break
        except JournalLocked:
            time.sleep(0.1)
    else:
        raise JournalLocked(_("another facilitator command is changing this session"))
    try:
        at = max(state.timeline_now(SystemClock().now()), state.last_at)
        journal.append(at, kind, data, lc=state.max_lc + 1)
    finally:
        journal.close()


def _segments(store: SessionStore, state: SessionState):
    """The recording's parts that exist on disk, each with its start on the session clock;
    AudioExportError says why there is nothing to convert."""
    from facilitator.audio.convert import AudioExportError, Segment, ffmpeg_problem

    problem = ffmpeg_problem()
    if problem:
        raise AudioExportError(problem)
    found = [
        Segment(store.path / s.file, s.start_s)
        for s in state.audio.segments
        if (store.path / s.file).exists()
    ]
    if not found:
        if state.audio.purged:
            raise AudioExportError(
                _("this session's audio was deleted (facilitator purge --audio)")
            )
        raise AudioExportError(_("this session has no recording"))
    return found


def write_audio(
    store: SessionStore,
    info: SessionInfo,
    state: SessionState,
    fmt: str,
    output: Path | None = None,
    progress=None,
) -> Path:
    """The recording as one flac, mp3, opus or wav file on the session clock (silence where
    nothing was recorded). Default: the session's ``audio/exports/`` folder."""
    from facilitator.audio.convert import export_recording
    from facilitator.core import events as ev
    from facilitator.core.audio import AUDIO_DIR

    segments = _segments(store, state)
    if output is not None and not output.absolute().is_relative_to(store.path.absolute()):
        output = _audio_target(output)  # a path the user named (inside: made below)
    target = (output or store.path / AUDIO_DIR / "exports" / f"{info.id}.{fmt}").absolute()
    if target.parent.resolve().is_relative_to(store.path.resolve()):
        make_private_dir(target.parent.parent)
        make_private_dir(target.parent)
    record_admin(
        store, state, ev.AUDIO_FILE, {"path": str(target)}
    )  # first: purge finds a .part too
    total_s = state.session_s(state.timeline_now(SystemClock().now())) if state.ended else None
    return export_recording(segments, target, fmt, total_s=total_s, progress=progress).path


def _audio_target(output: Path) -> Path:
    """Where an audio export named with ``-o`` goes: a regular file or a new name (a symlink
    followed to one). The audio is encoded into a temporary file and renamed, which would
    replace a device or a FIFO: those, and folders, are refused."""
    import os
    import stat

    from facilitator.audio.convert import AudioExportError

    try:
        mode = os.stat(output).st_mode
    except FileNotFoundError:
        if output.is_symlink():
            raise AudioExportError(
                _("{path} is a link to {target}, which does not exist", path=output,
                  target=os.readlink(output))
            ) from None  # fmt: skip
        if not output.absolute().parent.is_dir():
            raise AudioExportError(
                _("the folder {folder} does not exist", folder=output.absolute().parent)
            ) from None
        return output
    if stat.S_ISDIR(mode):
        raise AudioExportError(_("{path} is a folder: name a file to write", path=output))
    if not stat.S_ISREG(mode):
        raise AudioExportError(
            _("{path} is not a regular file: audio is written to a file only", path=output)
        )
    return output.resolve() if output.is_symlink() else output


def write_clips(
    store: SessionStore,
    info: SessionInfo,
    state: SessionState,
    output: Path | None = None,
    before_s: float | None = None,
    after_s: float | None = None,
) -> ClipsResult:
    """A clip around each note tagged #quote, and clips.csv; default ``audio/clips/``."""
    from facilitator.audio.convert import AudioExportError, Quote, export_clips
    from facilitator.core import events as ev
    from facilitator.core.audio import AUDIO_DIR
    from facilitator.core.notes import question_codes

    segments = _segments(store, state)
    settings = info.guide.settings
    before = settings.clip_before_s if before_s is None else before_s
    after = settings.clip_after_s if after_s is None else after_s
    codes = question_codes(state.guide)
    quotes = [
        Quote(
            number=number,
            t_s=note.t_s,
            speaker=note.speaker or "",
            question="q" + codes[note.question] if note.question in codes else "",
            text=note.text,
        )
        for number, note in enumerate(state.live_notes(), start=1)
        if "quote" in note.tags
    ]
    if not quotes:
        raise AudioExportError(_("no note is tagged #quote: there is nothing to clip"))
    target = (output or store.path / AUDIO_DIR / "clips").absolute()
    if target.parent.resolve().is_relative_to(store.path.resolve()):
        make_private_dir(target.parent)
    record_admin(store, state, ev.AUDIO_FILE, {"path": str(target)})
    return export_clips(segments, quotes, target, before_s=before, after_s=after)
