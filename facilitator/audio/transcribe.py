"""Speech to words, offline: faster-whisper (CTranslate2) on the recording, stretch by stretch.

A recording part (one WAV file, on the session clock from its start) is read a stretch at a
time, never whole: about ``STRETCH_S`` of audio, cut at the longest silence near its end so
that no word is cut in two. Each stretch is resampled to 16 kHz by faster-whisper's own
decoder, its silences are found with WebRTC's voice-activity detector (the same one the
recorder's assist uses), and the model gives its words with time stamps. A stretch the
detector finds silent is not given to the model at all (Whisper makes words up in silence).

``transcribe_parts`` yields one ``core.transcript.Stretch`` at a time, so the caller can
store it before asking for the next; it checks ``should_stop`` between stretches.

faster-whisper is an optional dependency (``facilitator[transcribe]``): importing this module
does not import it; ``TranscriberUnavailable`` says what to install.
"""

from __future__ import annotations

import io
import os
import time
import wave
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facilitator.core.transcript import Stretch, Word, word_id
from facilitator.i18n import _

INSTALL_HINT = "pip install 'facilitator[transcribe]'"
SAMPLE_RATE = 16_000  # what Whisper hears
STRETCH_S = 60.0  # audio recognised in one go (and at most lost to a kill)
CUT_SEARCH_S = 8.0  # a stretch ends at the longest silence in its last seconds
FRAME_S = 0.03  # the voice-activity detector's frame
PAUSE_MIN_S = 0.15  # silences shorter than this are not kept as pauses
SILENT_BELOW_S = 0.3  # a stretch with less speech than this is not recognised
VAD_MODE = 2
# Hugging Face repositories of the Whisper sizes, as faster-whisper names them
_FALLBACK_SIZES = (
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
    "large-v1", "large-v2", "large-v3", "large", "large-v3-turbo", "turbo",
)  # fmt: skip


class TranscriberUnavailable(Exception):
    """faster-whisper is not installed."""


class ModelMissing(Exception):
    """The model asked for is not on this computer and cannot be fetched (or is no model)."""


class TranscribeError(Exception):
    """A part could not be read or recognised; the message says which and why."""


def _faster_whisper() -> Any:
    try:
        import faster_whisper
    except ImportError as error:
        raise TranscriberUnavailable(
            _(
                "transcribing needs faster-whisper, which is not installed: {hint}",
                hint=INSTALL_HINT,
            )
        ) from error
    return faster_whisper


def available() -> str | None:
    """None if transcribing can work here, else why not (one line)."""
    try:
        _faster_whisper()
    except TranscriberUnavailable as error:
        return str(error)
    return None


def whisper_languages() -> tuple[str, ...]:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return tuple(_LANGUAGE_CODES)


def model_sizes() -> tuple[str, ...]:
    try:
        from faster_whisper.utils import available_models

        return tuple(available_models())
    except ImportError:
        return _FALLBACK_SIZES


def _looks_like_folder(name: str) -> bool:
    return name.startswith((".", "~", "/")) or os.sep in name and not _is_hub_id(name)


def _is_hub_id(name: str) -> bool:
    parts = name.split("/")
    return len(parts) == 2 and all(parts) and not Path(name).exists()


def model_folder(
    name: str,
    download: bool = True,
    quiet: bool = False,
    on_download: Callable[[str], None] | None = None,
) -> str:
    """The local folder of the model ``name`` (a Whisper size, a Hugging Face id of a
    CTranslate2 model, or a folder), downloaded once with a progress bar on the terminal if
    it is not here (``quiet``: no bar, for the app, which draws the terminal itself;
    ``on_download`` is told the repository before the download starts).

    Raises ``ModelMissing`` with what is missing and how to give a folder instead."""
    fw = _faster_whisper()
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "model.bin").is_file():
            raise ModelMissing(
                _(
                    "{folder} holds no CTranslate2 model (no model.bin): give the folder of a "
                    "faster-whisper model",
                    folder=str(folder),
                )
            )
        return str(folder)
    if _looks_like_folder(name):
        raise ModelMissing(_("there is no model folder {folder}", folder=str(folder)))
    if "/" not in name and name not in model_sizes():
        raise ModelMissing(
            _(
                "{name} is not a Whisper model size; use one of {sizes}, a Hugging Face id "
                "of a CTranslate2 model, or a folder holding one",
                name=name,
                sizes=", ".join(model_sizes()),
            )
        )
    try:
        return str(fw.utils.download_model(name, local_files_only=True))
    except Exception:  # not in the cache: fetch it once
        pass
    if not download:
        raise ModelMissing(_missing(name, _("it has not been downloaded")))
    try:
        import huggingface_hub

        repo = name if "/" in name else getattr(fw.utils, "_MODELS", {}).get(name, name)
        if on_download is not None:
            on_download(repo)
        if quiet:
            huggingface_hub.utils.disable_progress_bars()
        return str(
            huggingface_hub.snapshot_download(
                repo,
                allow_patterns=[
                    "config.json",
                    "preprocessor_config.json",
                    "model.bin",
                    "tokenizer.json",
                    "vocabulary.*",
                ],
            )
        )
    except Exception as error:  # offline, unknown id, refused: all say the same to the user
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelMissing(_missing(name, reason[:200])) from None


def _missing(name: str, reason: str) -> str:
    return _(
        "the speech model {name} is not on this computer and could not be downloaded "
        "({reason}). Download it once where there is a network (it is kept in the "
        "Hugging Face cache, ~/.cache/huggingface), or give a folder holding a CTranslate2 "
        "Whisper model: --model /path/to/folder",
        name=name,
        reason=reason,
    )


def load_model(folder: str, device: str = "cpu", threads: int = 0) -> Any:
    fw = _faster_whisper()
    try:
        return fw.WhisperModel(
            folder,
            device=device,
            compute_type="int8" if device == "cpu" else "default",
            cpu_threads=threads,
        )
    except (RuntimeError, ValueError, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelMissing(
            _(
                "the model in {folder} cannot be loaded on {device}: {reason}",
                folder=folder,
                device=device,
                reason=first[:200],
            )
        ) from None


@dataclass(frozen=True)
class Part:
    """A recording part to transcribe: its file, name and start on the session clock."""

    path: Path
    name: str  # core.transcript's part name: the file's stem
    start_s: float
    done_s: float = 0.0  # seconds of the file already transcribed (stored)


@dataclass(frozen=True)
class PartAudio:
    samplerate: int
    channels: int
    sampwidth: int
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.samplerate if self.samplerate else 0.0


def part_audio(path: Path) -> PartAudio:
    try:
        with wave.open(str(path), "rb") as reader:
            return PartAudio(
                reader.getframerate(),
                reader.getnchannels(),
                reader.getsampwidth(),
                reader.getnframes(),
            )
    except (OSError, EOFError, wave.Error) as error:
        raise TranscribeError(
            _("{file} cannot be read: {reason}", file=path.name, reason=str(error))
        ) from None


def _read(path: Path, audio: PartAudio, start_frame: int, count: int) -> bytes:
    with wave.open(str(path), "rb") as reader:
        reader.setpos(min(start_frame, audio.frames))
        return reader.readframes(count)


def _to_16k(raw: bytes, audio: PartAudio) -> Any:
    """The audio of ``raw`` (PCM frames of ``audio``'s format) as 16 kHz mono float32."""
    import numpy as np
    from faster_whisper.audio import decode_audio

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(audio.channels)
        writer.setsampwidth(audio.sampwidth)
        writer.setframerate(audio.samplerate)
        writer.writeframes(raw)
    buffer.seek(0)
    samples = decode_audio(buffer, sampling_rate=SAMPLE_RATE)
    return np.asarray(samples, dtype=np.float32)


def speech_frames(samples: Any) -> list[bool]:
    """WebRTC's speech decision for every 30 ms frame of 16 kHz float audio."""
    import numpy as np
    import webrtcvad

    vad = webrtcvad.Vad(VAD_MODE)
    size = int(SAMPLE_RATE * FRAME_S)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    count = len(pcm) // size
    return [
        vad.is_speech(pcm[i * size : (i + 1) * size].tobytes(), SAMPLE_RATE) for i in range(count)
    ]


def silences(frames: Sequence[bool], min_s: float = PAUSE_MIN_S) -> list[tuple[float, float]]:
    """The runs of silent frames at least ``min_s`` long, in seconds from the first frame."""
    found = []
    start = None
    for index, speech in enumerate([*frames, True]):
        if not speech and start is None:
            start = index
        elif speech and start is not None:
            if (index - start) * FRAME_S >= min_s:
                found.append((start * FRAME_S, index * FRAME_S))
            start = None
    return found


def cut_point(frames: Sequence[bool], length_s: float) -> float:
    """Where to end a stretch of ``length_s``: the middle of the longest silence in its last
    ``CUT_SEARCH_S``, else its end."""
    best, best_length = length_s, 0.0
    for start, end in silences(frames, FRAME_S):
        if end < length_s - CUT_SEARCH_S:
            continue
        start = max(start, length_s - CUT_SEARCH_S)
        if end - start > best_length:
            best, best_length = (start + end) / 2, end - start
    return best


@dataclass(frozen=True)
class Progress:
    """How far a run is: seconds of audio stored of the total (the parts together), and how
    far into the stretch being recognised (not stored yet) it is."""

    done_s: float
    total_s: float
    elapsed_s: float  # time spent in this run
    started_s: float = 0.0  # seconds already stored when this run began
    working_s: float = 0.0  # seconds recognised of the stretch in progress

    @property
    def shown_s(self) -> float:
        return min(self.total_s, self.done_s + self.working_s)

    @property
    def left_s(self) -> float | None:
        """The time left at the pace of this run so far (None before there is a pace)."""
        done_now = self.shown_s - self.started_s
        if done_now <= 0 or self.elapsed_s <= 0:
            return None
        return (self.total_s - self.shown_s) * self.elapsed_s / done_now


def _inside(spans: Sequence[tuple[float, float]], at: float) -> bool:
    from bisect import bisect_right

    index = bisect_right(spans, (at, float("inf"))) - 1
    return index >= 0 and spans[index][0] <= at <= spans[index][1]


def transcribe_parts(
    model: Any,
    parts: Sequence[Part],
    language: str | None,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    stretch_s: float = STRETCH_S,
    beam_size: int = 5,
    next_index: Callable[[str], int] = lambda part: 0,
) -> Iterator[Stretch]:
    """Recognise ``parts`` from where each was left, one stretch at a time."""
    audios = [part_audio(part.path) for part in parts]
    total_s = sum(a.seconds for a in audios)
    done_s = sum(min(part.done_s, a.seconds) for part, a in zip(parts, audios, strict=True))
    started_s = done_s
    clock_start = time.monotonic()

    def report(now_done: float, working_s: float = 0.0) -> None:
        if progress is not None:
            elapsed = time.monotonic() - clock_start
            progress(Progress(now_done, total_s, elapsed, started_s, working_s))

    report(done_s)
    for part, audio in zip(parts, audios, strict=True):
        index = next_index(part.name)
        offset_s = min(part.done_s, audio.seconds)
        while audio.seconds - offset_s > 0.05:
            if should_stop():
                return
            began = time.monotonic()
            start_frame = round(offset_s * audio.samplerate)
            count = round(min(stretch_s, audio.seconds - offset_s) * audio.samplerate)
            samples = _to_16k(_read(part.path, audio, start_frame, count), audio)
            length_s = len(samples) / SAMPLE_RATE
            if length_s <= 0:
                break
            frames = speech_frames(samples)
            last = audio.seconds - offset_s - length_s <= 0.05
            cut_s = length_s if last else cut_point(frames, length_s)
            samples = samples[: round(cut_s * SAMPLE_RATE)]
            used = frames[: int(cut_s / FRAME_S)]
            speech_s = sum(used) * FRAME_S
            base_s = part.start_s + offset_s
            words: list[Word] = []
            detected = ""
            if speech_s >= SILENT_BELOW_S:
                segments, info = model.transcribe(
                    samples,
                    language=language or None,
                    beam_size=beam_size,
                    word_timestamps=True,
                    vad_filter=False,
                )
                detected = str(getattr(info, "language", "") or "")
                for segment in segments:
                    for found in segment.words or ():
                        text = found.word.strip()
                        if not text:
                            continue
                        start = base_s + max(0.0, min(float(found.start), cut_s))
                        end = base_s + max(0.0, min(float(found.end), cut_s))
                        words.append(
                            Word(
                                word_id(part.name, index, len(words)),
                                start,
                                max(start, end),
                                text,
                                float(found.probability),
                            )
                        )
                    report(done_s, working_s=min(float(segment.end), cut_s))
                    if should_stop():
                        return  # the stretch in progress is not stored: done again next run
            pauses = tuple((base_s + a, base_s + b) for a, b in silences(used))
            spans = [(w.start_s - base_s, w.end_s - base_s) for w in words]
            worded = sum(
                1 for n, speech in enumerate(used) if speech and _inside(spans, (n + 0.5) * FRAME_S)
            )
            yield Stretch(
                part.name,
                index,
                base_s,
                base_s + cut_s,
                tuple(words),
                pauses,
                time.monotonic() - began,
                detected or (language or ""),
                speech_s,
                worded * FRAME_S,
            )
            index += 1
            offset_s += cut_s
            done_s += cut_s
            report(done_s)
