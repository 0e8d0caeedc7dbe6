"""Real speech for tests: espeak-ng statements in several voices, as 48 kHz mono int16.

``script_audio`` lays statements one after the other with pauses between, and returns the
audio and where each statement starts and ends (the truth a test checks against).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 48_000
# Voices tiny.en reads well (checked on these machines)
VOICES = ("en-us", "en-gb", "en-us+m3", "en-gb-scotland", "en-us+f2")

STATEMENTS = (
    "Can you tell us how meetings with the users take place today?",
    "We meet the families where they are, mostly at the office.",
    "I think we could visit them at home much more often.",
    "The housing office has very long waiting lists this year.",
    "Most families want a safe place to live close to the school.",
    "We should talk with the children as well as the parents.",
    "The volunteer centre helps many families with the forms.",
    "What would you like to have more of in this collaboration?",
)


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None and shutil.which("ffmpeg") is not None


def speak(text: str, voice: str, speed: int = 160) -> np.ndarray:
    """``text`` spoken by espeak-ng's ``voice``, resampled to 48 kHz, trimmed of silence."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        out = Path(tmp) / "out.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-i", str(raw), "-ar", str(RATE), "-ac", "1",
             str(out)],
            check=True,
            capture_output=True,
        )  # fmt: skip
        with wave.open(str(out), "rb") as reader:
            samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > 300)
    return samples[loud[0] : loud[-1] + 1] if len(loud) else samples


@dataclass(frozen=True)
class Spoken:
    who: str
    text: str
    start_s: float  # from the start of the audio
    end_s: float


def script_audio(
    script: list[tuple[str, str, str]], pause_s: float = 1.0, lead_s: float = 0.5
) -> tuple[np.ndarray, list[Spoken]]:
    """[(who, voice, text)] spoken in turn with ``pause_s`` of silence between."""
    pieces = [np.zeros(int(lead_s * RATE), dtype="<i2")]
    truth = []
    t = lead_s
    for who, voice, text in script:
        samples = speak(text, voice)
        truth.append(Spoken(who, text, t, t + len(samples) / RATE))
        pieces.append(samples)
        pieces.append(np.zeros(int(pause_s * RATE), dtype="<i2"))
        t += len(samples) / RATE + pause_s
    return np.concatenate(pieces), truth


def write_wav(path: Path, samples: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.astype("<i2").tobytes())
