"""The playback's audio: the window of a part on the session clock, and slower speech that
keeps its pitch (ffmpeg's atempo), read back and measured."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from facilitator.audio.playback import RATE, PlaybackError, Source, read_window, slower


def tone(path: Path, hz: float, seconds: float) -> Path:
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * n / RATE)))
        for n in range(int(seconds * RATE))
    )
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(frames)
    return path


def strongest_hz(audio: bytes) -> float:
    samples = np.frombuffer(audio, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / RATE)[spectrum.argmax()])


def test_the_window_is_on_the_session_clock_and_cut_to_the_file(tmp_path: Path) -> None:
    source = Source(tone(tmp_path / "rec-001.wav", 440, 2.0), clock_start_s=10.0)
    audio, start = read_window(source, 10.5, 11.0)
    assert start == pytest.approx(10.5) and len(audio) == RATE  # half a second, 2 bytes each
    audio, start = read_window(source, 5.0, 11.0)  # before the part: from its start
    assert start == 10.0 and len(audio) == 2 * RATE
    audio, start = read_window(source, 11.5, 30.0)  # past its end: to its end
    assert len(audio) == RATE


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(PlaybackError, match="not there"):
        read_window(Source(tmp_path / "gone.wav", 0.0), 0.0, 1.0)


@pytest.mark.parametrize("speed", [0.75, 0.5])
def test_slower_keeps_the_pitch(tmp_path: Path, speed: float) -> None:
    source = Source(tone(tmp_path / "rec-001.wav", 523.0, 2.0), clock_start_s=0.0)
    audio, _start = read_window(source, 0.0, 2.0)
    slow = slower(audio, speed)
    assert len(slow) / len(audio) == pytest.approx(1 / speed, rel=0.03)
    assert strongest_hz(slow) == pytest.approx(523.0, abs=3)  # not 523 * speed
