"""``facilitator transcribe SESSION``: the recording's words, offline, with their speakers."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from facilitator.cli.common import EXIT_OK, fail
from facilitator.i18n import _

EXIT_INTERRUPTED = 130


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def add_arguments(sub) -> None:
    transcribe = sub.add_parser(
        "transcribe",
        help=_("transcribe the recording offline, every word with the speaker keyed"),
        description=_(
            "Transcribes every part of the session's recording with faster-whisper, on this "
            "computer, and gives each word to the speaker whose keyed turn holds it. The "
            "work is stored stretch by stretch in the session folder: stopped or killed, "
            "the same command goes on where it stopped. Exports then carry the words."
        ),
    )
    transcribe.add_argument("session", metavar="SESSION")
    transcribe.add_argument(
        "--model",
        metavar="M",
        help=_(
            "a Whisper size (tiny ... large-v3, large-v3-turbo), a Hugging Face id of a "
            "CTranslate2 model, or a folder holding one (default: the guide's "
            "transcribe_model, else small.en for English and large-v3-turbo otherwise)"
        ),
    )
    transcribe.add_argument(
        "--language",
        metavar="L",
        help=_("the language spoken, e.g. no, en (default: the guide's language)"),
    )
    transcribe.add_argument(
        "--device", choices=("cpu", "cuda"), default="cpu", help=_("where the model runs")
    )
    transcribe.add_argument(
        "--threads",
        type=int,
        metavar="N",
        default=default_threads(),
        help=_("CPU threads for the model (default: {n})", n=default_threads()),
    )
    transcribe.add_argument(
        "--again",
        action="store_true",
        help=_(
            "start a new transcript (with another model or language); the old one is kept "
            "in the session folder as transcript.old-<time>"
        ),
    )
    transcribe.set_defaults(func=cmd_transcribe)


def cmd_transcribe(args: argparse.Namespace) -> int:
    from facilitator.audio.transcribe import ModelMissing, TranscribeError, TranscriberUnavailable
    from facilitator.cli.common import load_session, open_store
    from facilitator.services.transcribing import (
        NothingToTranscribe,
        choose,
        transcribe_session,
    )
    from facilitator.store.journal import StorageError
    from facilitator.store.transcript_store import TranscriptMismatch, attributed_transcript

    if args.threads < 1 or args.threads > 256:
        return fail(_("--threads must be a whole number from 1 to 256"))
    store = open_store(args)
    info, state = load_session(store)
    choice = choose(state, args.model, args.language)
    if state.audio.recording:
        print(_("note: the session is still recording; the part being recorded is left out"))
    bar = _Bar()
    try:
        with bar:
            result = transcribe_session(
                store,
                state,
                choice,
                device=args.device,
                threads=args.threads,
                progress=bar.update,
                again=args.again,
                on_model=bar.model_ready,
            )
    except KeyboardInterrupt:
        print(
            _("stopped; what was transcribed is kept: run the same command to go on"),
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except TranscriptMismatch as error:
        return fail(
            _(
                "this session's transcript was made with {model} ({language}); to make a "
                "new one with {new} ({new_language}) add --again (the old one is kept)",
                model=error.model,
                language=error.language or _("detected"),
                new=choice.model,
                new_language=choice.language or _("detected"),
            )
        )
    except (
        TranscriberUnavailable,
        ModelMissing,
        NothingToTranscribe,
        TranscribeError,
        StorageError,
    ) as error:
        return fail(str(error))
    transcript = attributed_transcript(store.path, state)
    words = transcript.words if transcript else 0
    unattributed = transcript.unattributed_words if transcript else 0
    statements = len(transcript.statements) if transcript else 0
    print(
        _(
            "{words} words in {statements} statements, {unattributed} unattributed; "
            "model {model}, language {language}",
            words=words,
            statements=statements,
            unattributed=unattributed,
            model=result.model,
            language=(transcript.language if transcript else "") or result.language or "?",
        )
    )
    if transcript is not None and transcript.audio_s > 0:
        print(
            _(
                "{done:.1f} of {audio:.1f} min of audio transcribed, in {took:.1f} min of work",
                done=transcript.transcribed_s / 60,
                audio=transcript.audio_s / 60,
                took=transcript.elapsed_s / 60,
            )
        )
    if not result.complete:
        print(_("not finished: run the same command to go on"), file=sys.stderr)
    return EXIT_OK


class _Bar:
    """A rich progress bar of the audio done, with the time left."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[audio]}"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.task: Any = None

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.progress.stop()

    def model_ready(self, folder: str) -> None:
        self.console.print(_("model: {folder}", folder=folder), soft_wrap=True, highlight=False)

    def update(self, progress) -> None:
        audio = f"{progress.shown_s / 60:.1f}/{progress.total_s / 60:.1f} min"
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(
                _("transcribing"),
                total=max(progress.total_s, 0.001),
                completed=progress.shown_s,
                audio=audio,
            )
        else:
            self.progress.update(self.task, completed=progress.shown_s, audio=audio)
