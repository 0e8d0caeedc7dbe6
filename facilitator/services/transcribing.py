"""Transcribing a session: the one path the command line and the app's summary screen share.

``transcribe_session`` works part by part and stretch by stretch (``audio.transcribe``),
stores each stretch (``store.transcript_store``) before it reports progress, and goes on
where the last run stopped; the words with their speakers the words with their speakers
(``store.transcript_store.attributed_transcript``) is what the summary and every export
carry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from facilitator.core import events as ev
from facilitator.core.session import SessionState
from facilitator.core.transcript import MachineTranscript, default_model, whisper_language
from facilitator.i18n import _
from facilitator.store.transcript_store import TranscriptMismatch, TranscriptStore, part_name

if TYPE_CHECKING:
    from facilitator.audio.transcribe import Part, Progress
    from facilitator.store.session_store import SessionStore


STRETCH_ENV = "FACILITATOR_TRANSCRIBE_STRETCH_S"  # seconds recognised in one go (5 to 600)


def stretch_seconds() -> float:
    """The stretch length: ``audio.transcribe.STRETCH_S``, or what ``STRETCH_ENV`` says (a
    computer short of memory, or a test that needs many stretches from a short recording)."""
    from facilitator.audio.transcribe import STRETCH_S

    try:
        asked = float(os.environ.get(STRETCH_ENV, "") or STRETCH_S)
    except ValueError:
        return STRETCH_S
    return min(600.0, max(5.0, asked)) if asked == asked else STRETCH_S


class NothingToTranscribe(Exception):
    """The session has no recording (or it was deleted)."""


@dataclass(frozen=True)
class Choice:
    """The model and language a run uses, and where each came from."""

    model: str
    language: str  # a Whisper code ("no", "en"), "" to detect


def choose(state: SessionState, model: str | None, language: str | None) -> Choice:
    """``--model`` / ``--language``, else the guide's ``[settings]``, else from its language."""
    settings = state.guide.settings
    chosen_language = language or settings.transcribe_language or state.guide.language
    code = whisper_language(chosen_language)
    return Choice(model or settings.transcribe_model or default_model(code), code)


def recording_parts(store: SessionStore, state: SessionState) -> list[Part]:
    """The recording's parts that are on disk and closed, on the session clock."""
    from facilitator.audio.transcribe import Part

    parts = []
    for segment in state.audio.segments:
        path = store.path / segment.file
        if segment.key in state.audio.purged_keys or segment.is_open or not path.exists():
            continue  # deleted, or still being recorded (the next run takes it)
        parts.append(Part(path, part_name(segment.file), segment.start_s))
    if not parts:
        if state.audio.purged:
            raise NothingToTranscribe(
                _("this session's audio was deleted (facilitator purge --audio)")
            )
        raise NothingToTranscribe(_("this session has no recording"))
    return parts


@dataclass
class RunResult:
    complete: bool
    stretches: int  # stored in this run
    words: int  # stored in this run
    elapsed_s: float
    model: str
    language: str


def transcribe_session(
    store: SessionStore,
    state: SessionState,
    choice: Choice,
    device: str = "cpu",
    threads: int = 0,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    again: bool = False,
    model: Any = None,
    on_model: Callable[[str], None] | None = None,
    quiet: bool = False,
    on_download: Callable[[str], None] | None = None,
) -> RunResult:
    """Transcribe what is not transcribed yet. Raises ``TranscriberUnavailable``,
    ``ModelMissing``, ``TranscriptMismatch`` (another model's transcript is stored and
    ``again`` is not given), ``TranscriptBusy``, ``NothingToTranscribe``, ``StorageError``."""
    from facilitator.audio import transcribe as asr

    asr._faster_whisper()  # says what to install before anything else
    if quiet:  # the app draws the terminal: the model's warnings must not be written on it
        import logging

        logging.getLogger("faster_whisper").addHandler(logging.NullHandler())
    parts = recording_parts(store, state)
    lengths = {part.name: asr.part_audio(part.path).seconds for part in parts}
    transcripts = TranscriptStore(store.path)
    if again:
        transcripts.set_aside()
    began = time.monotonic()
    with transcripts.open_writer() as writer:
        loaded = transcripts.load()
        if loaded is not None:
            stored_as = (loaded.machine.model, loaded.machine.language)
            if stored_as != (choice.model, choice.language):
                raise TranscriptMismatch(*stored_as)
        machine = loaded.machine if loaded is not None else MachineTranscript()
        todo = []
        for part in parts:
            done = machine.done_until(part.name)
            done_s = 0.0 if done == float("-inf") else max(0.0, done - part.start_s)
            todo.append(asr.Part(part.path, part.name, part.start_s, done_s))
        if loaded is not None and all(lengths[p.name] - p.done_s <= 0.05 for p in todo):
            writer.finish(True, time.time())
            return RunResult(True, 0, 0, 0.0, choice.model, choice.language)
        if model is None:
            folder = asr.model_folder(choice.model, quiet=quiet, on_download=on_download)
            if on_model is not None:
                on_model(folder)
            model = asr.load_model(folder, device, threads)
        _check_language(model, choice)
        machine = writer.begin(choice.model, choice.language, lengths, time.time())
        stored = words = 0
        for stretch in asr.transcribe_parts(
            model,
            todo,
            choice.language or None,
            progress=progress,
            should_stop=should_stop,
            stretch_s=stretch_seconds(),
            next_index=machine.next_index,
        ):
            writer.append(stretch)  # fsynced before the generator reports it
            stored += 1
            words += len(stretch.words)
        complete = not should_stop()
        if complete:
            reloaded = transcripts.load()
            complete = reloaded is not None and all(
                lengths[p.name] - max(0.0, reloaded.machine.done_until(p.name) - p.start_s) <= 0.05
                for p in todo
            )
        writer.finish(complete, time.time())
    elapsed = time.monotonic() - began
    result = RunResult(complete, stored, words, elapsed, choice.model, choice.language)
    _record_run(store, state, result)
    return result


def _check_language(model: Any, choice: Choice) -> None:
    from facilitator.audio.transcribe import ModelMissing, whisper_languages

    if choice.language and choice.language not in whisper_languages():
        raise ModelMissing(_("Whisper does not know the language {code}", code=choice.language))
    multilingual = getattr(getattr(model, "model", None), "is_multilingual", True)
    if not multilingual and choice.language not in ("", "en"):
        raise ModelMissing(
            _(
                "the model {model} knows English only, and the language is {code}: use a "
                "multilingual model (--model large-v3-turbo) or --language en",
                model=choice.model,
                code=choice.language,
            )
        )


def _record_run(store: SessionStore, state: SessionState, result: RunResult) -> None:
    from facilitator.services.exporting import record_admin
    from facilitator.store.journal import StorageError

    try:
        record_admin(
            store,
            state,
            ev.TRANSCRIBED,
            {
                "model": result.model,
                "language": result.language,
                "complete": result.complete,
                "words": result.words,
                "stretches": result.stretches,
                "elapsed_s": round(result.elapsed_s, 3),
            },
        )
    except StorageError:
        pass  # the transcript itself is stored; the note of the run is not essential
