"""The command line's audio commands: list devices, convert the recording, clip quotes, purge.

Every audio file written outside the recorder is recorded as an event *before* it is
written (``audio_file``), so that ``purge --audio`` finds it, a half-written one too;
the purge itself is recorded (``audio_purged``), and every summary then says so.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from facilitator.cli.common import EXIT_OK, fail
from facilitator.core import events as ev
from facilitator.core.audio import AUDIO_DIR, AUDIO_FORMATS
from facilitator.i18n import _

if TYPE_CHECKING:
    from facilitator.core.session import SessionState

CLIPS = "clips"  # the export format of clips around quotes
EXPORT_FORMATS = (*AUDIO_FORMATS, CLIPS)  # what export makes of the recording
# What an audio file starts with: RIFF (WAV), fLaC, OggS (Opus), ID3 or an MPEG frame (MP3).
AUDIO_MAGIC = (b"RIFF", b"fLaC", b"OggS", b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")


def add_arguments(sub, export: argparse.ArgumentParser, new, run, next_) -> None:
    """The audio options of existing commands, and the audio commands."""
    new.add_argument(
        "--consent",
        metavar="IDS",
        help=_("participants who consented to audio recording in writing beforehand: P1,P2 or all"),
    )
    next_.add_argument(
        "--consent",
        metavar="IDS",
        help=_("participants who consented to recording this stage in writing: P1,P2 or all"),
    )
    run.add_argument(
        "--device",
        metavar="DEVICE",
        help=_(
            "the microphone to record from: a number or part of a name from "
            "'facilitator devices' (default: the system's default input)"
        ),
    )
    export.add_argument(
        "--before",
        type=float,
        metavar="S",
        help=_("clips: seconds before each quote's note (default: the guide's clip_before_s)"),
    )
    export.add_argument(
        "--after",
        type=float,
        metavar="S",
        help=_("clips: seconds after each quote's note (default: the guide's clip_after_s)"),
    )
    devices = sub.add_parser("devices", help=_("list the microphones (input devices)"))
    devices.set_defaults(func=cmd_devices)
    purge = sub.add_parser(
        "purge", help=_("delete a session's recordings, clips and audio exports; keep the rest")
    )
    purge.add_argument("session", metavar="SESSION")
    purge.add_argument(
        "--audio",
        action="store_true",
        required=True,
        help=_("delete every recording, segment, clip and audio export of the session"),
    )
    purge.add_argument(
        "--yes",
        action="store_true",
        help=_("delete without asking (for scripts); without it, purge lists the files and asks"),
    )
    purge.set_defaults(func=cmd_purge)


def consent_ids(spec: str | None, roster_ids: list[str]) -> list[str]:
    """``--consent P1,P2`` or ``--consent all`` as ids; ValueError names an unknown id."""
    if not spec:
        return []
    if spec.strip().lower() in ("all", "alle"):
        return list(roster_ids)
    ids = [part.strip() for part in spec.split(",") if part.strip()]
    unknown = [i for i in ids if i not in roster_ids]
    if unknown:
        raise ValueError(
            _("--consent names someone not in the roster: {ids}", ids=", ".join(unknown))
        )
    return ids


# --- devices -----------------------------------------------------------------------------------


def cmd_devices(args: argparse.Namespace) -> int:
    from facilitator.audio.devices import AudioUnavailable, input_devices

    try:
        found = input_devices()
    except AudioUnavailable as error:  # PortAudio missing (what to install), or not starting
        return fail(str(error))
    if not found:
        return fail(_("no microphone (input device) found"))
    for device in found:
        mark = "*" if device.is_default else " "
        print(f"{mark} {device.index:>3}  {device.name}  ({device.hostapi})")
    print(_("* the default; choose another with: facilitator run SESSION --device NUMBER"))
    return EXIT_OK


# --- the session's recording ---------------------------------------------------------------------


def cmd_export_audio(args: argparse.Namespace, store, info, state: SessionState) -> int:
    from facilitator.audio.convert import AudioExportError
    from facilitator.services.exporting import write_audio, write_clips

    if state.audio.recording:
        print(_("note: the session is still recording; the export holds the audio so far"))
    output = Path(args.output) if args.output else None
    try:
        if args.format == CLIPS:
            result = write_clips(store, info, state, output, args.before, args.after)
            print(_("{count} clip(s) in {folder}", count=len(result.clips), folder=result.folder))
            for item in result.skipped:
                print(
                    _(
                        "quote {number} skipped: {reason}",
                        number=item.quote.number,
                        reason=item.reason,
                    ),
                    file=sys.stderr,
                )
            return EXIT_OK
        print(str(write_audio(store, info, state, args.format, output)))
    except AudioExportError as error:
        return fail(str(error))
    return EXIT_OK


# --- purge ---------------------------------------------------------------------------------------


def is_audio_file(path: Path) -> bool:
    if path.suffix.lower() in (".wav", ".flac", ".mp3", ".opus", ".ogg", ".part"):
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    return head.startswith(AUDIO_MAGIC)


def cmd_purge(args: argparse.Namespace) -> int:
    from facilitator.cli.common import open_store
    from facilitator.services.live import MODERATOR
    from facilitator.store.journal import JournalLocked

    store = open_store(args)
    try:
        # The moderator's journal is locked while the live view is open (and may record);
        # held through the purge, so that the view cannot open and record meanwhile.
        moderator = store.open_writer(MODERATOR)
    except JournalLocked:
        return fail(
            _(
                "session {id} is open in the live view: close it (ctrl+q) before deleting "
                "its audio",
                id=store.path.name,
            )
        )
    with moderator:
        return _purge_audio(store, assume_yes=args.yes)


def _purge_plan(store, state) -> list[Path]:
    """Every audio file of the session that is on disk, in the order they are deleted."""
    found: list[Path] = []
    audio_dir = store.path / AUDIO_DIR
    if audio_dir.exists():
        found += [p for p in sorted(audio_dir.rglob("*")) if p.is_file() or p.is_symlink()]
    for written in state.audio.exported:
        path = Path(written)
        if path.is_dir():  # a clip folder outside the session: its clips and its list
            found += [
                inner
                for inner in sorted(path.iterdir())
                if inner.is_file() and (is_audio_file(inner) or inner.name == "clips.csv")
            ]
            continue
        for candidate in (path, path.with_name(f".{path.name}.part")):
            if candidate.is_file() or candidate.is_symlink():
                found.append(candidate)
        found += sorted(path.parent.glob(f".{path.name}.*.tmp"))  # a write cut short
    unique: dict[Path, None] = dict.fromkeys(found)
    return list(unique)


def _size(path: Path) -> int:
    try:
        return path.lstat().st_size
    except OSError:
        return 0


def human_size(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def _confirmed(assume_yes: bool) -> bool | None:
    """True to go on; False if the user said no; None if nobody can be asked."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        return None
    try:
        answer = input(_("Delete them? [y/N] "))
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes", "j", "ja")


def _purge_audio(store, assume_yes: bool = False) -> int:
    from facilitator.cli.common import load_session
    from facilitator.services.exporting import record_admin

    info, state = load_session(store)
    plan = _purge_plan(store, state)
    if not plan:
        print(_("session {id} has no audio files on disk: nothing to delete", id=info.id))
        return EXIT_OK
    sizes = {path: _size(path) for path in plan}
    print(
        _(
            "{title} (stage {stage}, session {id}): these {count} audio file(s), "
            "{size} in all, will be deleted:",
            title=info.title,
            stage=info.stage,
            id=info.id,
            count=len(plan),
            size=human_size(sum(sizes.values())),
        )
    )
    for path in plan:
        print(f"  {path}  {human_size(sizes[path])}")
    sys.stdout.flush()
    answer = _confirmed(assume_yes)
    if answer is None:
        return fail(_("nothing deleted: run it in a terminal to be asked, or add --yes"))
    if not answer:
        return fail(_("nothing deleted"))
    files = 0
    size = 0
    for path in plan:
        try:
            size += path.lstat().st_size
            path.unlink()
            files += 1
        except FileNotFoundError:
            pass
    audio_dir = store.path / AUDIO_DIR
    if audio_dir.exists():
        shutil.rmtree(audio_dir, ignore_errors=True)
    for written in state.audio.exported:
        path = Path(written)
        if path.is_dir():
            try:
                path.rmdir()
            except OSError:
                pass  # something else lives there: left alone
    record_admin(
        store,
        state,
        ev.AUDIO_PURGED,
        {"files": files, "bytes": size, "wall": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
    )
    print(
        _(
            "deleted {files} audio file(s) ({megabytes:.1f} MB) of session {id}; "
            "notes, talk times and summaries are kept",
            files=files,
            megabytes=size / 1e6,
            id=info.id,
        )
    )
    return EXIT_OK
