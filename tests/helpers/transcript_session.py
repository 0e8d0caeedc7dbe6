"""A real session with a transcript, for the transcript editor's tests and benchmark.

``make_transcript_session`` keys the turns through ``LiveSession`` (a fake clock, a human lag
after each statement starts), records a recording part whose audio is a distinct tone per
statement (so a test hearing the sink's monitor knows which statement played), and stores
the machine transcript through ``TranscriptStore``, stretch by stretch, as ``transcribe``
does. Everything is on disk in a real session folder.
"""

from __future__ import annotations

import math
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

from facilitator.core.clock import FakeClock
from facilitator.core.transcript import Stretch, Word, word_id
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from facilitator.store.transcript_store import TranscriptStore

RATE = 48_000
PART = "rec-001"
WORD_S = 0.4  # each word lasts this long ...
WORD_GAP_S = 0.1  # ... with this gap after it
PAUSE_S = 1.0  # between statements
LAG_S = 0.4  # the key is pressed this long after the statement starts
RECORDING_AT_S = 2.0  # the part starts here on the session clock

# (speaker: a participant id, "moderator", or None: nobody keyed), words, a note written then
SCRIPT: list[tuple[str | None, str, str]] = [
    ("moderator", "Can you tell us how meetings with the users take place today?", ""),
    ("P1", "We meet the families where they are.", "families first #theme"),
    ("P2", "Most of the meetings happen at the office.", ""),
    (None, "and then there is the waiting list", ""),
    ("P3", "Sometimes we visit them at home, when they ask.", ""),
    ("P1", "I agree with that completely.", ""),
]
MOVE_AFTER = 3  # the guide moves to the next question before statement 3 (0-based)
OVERLAP_AT, OVERLAP_BY = 4, "P1"  # Informant 1 talks over the end of Informant 3's statement


def tone_hz(index: int) -> float:
    """The tone statement ``index`` is heard as: 400, 700, 1000 ... Hz (far apart)."""
    return 400.0 + 300.0 * index


@dataclass
class Made:
    store: SessionStore
    session_id: str
    # per statement: its words' (start_s, end_s) on the session clock
    spans: list[tuple[float, float]]
    wav: Path


def make_transcript_session(
    store: SessionStore,
    clock: FakeClock,
    script: list[tuple[str | None, str, str]] | None = None,
    end: bool = True,
) -> Made:
    script = script if script is not None else SCRIPT
    live = LiveSession(store, clock=clock)
    start = clock.now()  # the session clock's 0
    t = RECORDING_AT_S + 0.5
    spans: list[tuple[float, float]] = []
    words: list[tuple[float, float, str]] = []
    for index, (who, text, note) in enumerate(script):
        if index == MOVE_AFTER:
            clock.set(start + t - 0.3)
            live.next_question()
        first = t
        for token in text.split():
            words.append((t, t + WORD_S, token))
            t += WORD_S + WORD_GAP_S
        spans.append((first, t - WORD_GAP_S))
        clock.set(start + first + LAG_S)
        if index == 0:
            live.recording_started(f"audio/{PART}.wav", RECORDING_AT_S, "test")
        if who is None:
            live.speak(None)
        else:
            live.speak(who)
        if index == OVERLAP_AT:  # someone talks over the end of this statement
            clock.set(start + t - 0.6)
            live.overlap(OVERLAP_BY)
        if note:
            clock.set(start + t - 0.2)
            live.add_note(note)
        t += PAUSE_S
    clock.set(start + t)
    live.speak(None)
    live.recording_stopped(f"audio/{PART}.wav", t + 0.5, "stop")
    if end:
        live.end()
    live.close()
    wav = store.path / "audio" / f"{PART}.wav"
    _write_tones(wav, spans, t + 0.5)
    _write_transcript(store, words, t + 0.5, spans)
    return Made(store, store.path.name, spans, wav)


def _write_tones(path: Path, spans: list[tuple[float, float]], until_s: float) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    frames = bytearray(round((until_s - RECORDING_AT_S) * RATE) * 2)
    for index, (a, b) in enumerate(spans):
        hz = tone_hz(index)
        first, last = round((a - RECORDING_AT_S) * RATE), round((b - RECORDING_AT_S) * RATE)
        for n in range(first, last):
            value = int(9000 * math.sin(2 * math.pi * hz * n / RATE))
            struct.pack_into("<h", frames, 2 * n, value)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(bytes(frames))
    path.chmod(0o600)


def _write_transcript(
    store: SessionStore,
    words: list[tuple[float, float, str]],
    until_s: float,
    spans: list[tuple[float, float]],
) -> None:
    # the silences the voice-activity detector heard: between the statements, and one that
    # runs into each statement's first word (the recogniser's word began in the silence)
    gaps = zip(spans, spans[1:], strict=False)
    silences = [(b + 0.05, a2 - 0.3) for (_a, b), (a2, _b2) in gaps]
    silences += [(a - 0.3, a + 0.15) for a, _b in spans]
    transcript = TranscriptStore(store.path)
    with transcript.open_writer() as writer:
        writer.begin("test-model", "en", {PART: until_s - RECORDING_AT_S}, now=0.0)
        half = len(words) // 2
        for index, chunk in enumerate((words[:half], words[half:])):
            made = tuple(
                Word(word_id(PART, index, n), a, b, text) for n, (a, b, text) in enumerate(chunk)
            )
            begin, end = made[0].start_s - 0.2, made[-1].end_s + 0.2
            pauses = tuple(sorted(p for p in silences if begin <= p[0] < end))
            writer.append(Stretch(PART, index, begin, end, made, pauses))
        writer.finish(True, now=1.0)
