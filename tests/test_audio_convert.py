"""The recording after the session: one file on the session clock, and clips around quotes.

Real ffmpeg, real files: WAV segments of sine tones at distinct frequencies are written
with numpy and ``wave``, exported, decoded again with pydub (ffmpeg) and looked at with an
FFT, so a segment that is swapped, shifted, mixed or lost shows as the wrong tone, level or
onset at a known session time.

Length tolerance, measured with this Debian ffmpeg 5.1: every format decodes to exactly
the samples fed in. The lossy encoders' delay is written into the file and trimmed by the
decoder: Opus's 312-sample pre-skip (6.5 ms) and end trim are in the Ogg header and the
last granule position; LAME's delay (1105 samples, 23 ms) and padding up to a whole
1152-sample frame are in its Xing/LAME tag. So FLAC is held to the exact sample and MP3
and Opus to 5 ms: a file that lost that information would be 6.5 to 47 ms off and fail,
as it should, because then a position would no longer be the session time. Lossy codecs
also spread a tone's edges (measured up to 17 ms for Opus at 32 kb/s), so silence is
checked 50 ms away from an edge for them, and up to the edge for FLAC.
"""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest
from pydub import AudioSegment

from facilitator.audio import convert
from facilitator.audio.convert import (
    AUDIO_FORMATS,
    SUFFIXES,
    AudioExportError,
    Quote,
    Segment,
    clip_name,
    export_clips,
    export_recording,
    ffmpeg_problem,
)

RATE = 48_000
AMPLITUDE = 0.5  # of full scale: -6 dBFS peak, about -9 dBFS RMS
LENGTH_TOLERANCE_S = {"flac": 0.0, "mp3": 0.005, "opus": 0.005, "wav": 0.0}
EDGE_S = {"flac": 0.0, "mp3": 0.05, "opus": 0.05, "wav": 0.0}  # lossy ringing around a tone's edges

# No skipping: make test installs ffmpeg, and test_ffmpeg_is_found_here fails without it.


# --- helpers -----------------------------------------------------------------------------------


def tone(frequency: float, seconds: float, *, offset_s: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE + offset_s
    return (AMPLITUDE * 32767 * np.sin(2 * np.pi * frequency * t)).astype("<i2")


def write_wav(path: Path, samples: np.ndarray, *, rate: int = RATE, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples.astype("<i2").tobytes())
    return path


def decode(path: Path) -> np.ndarray:
    """The file as ffmpeg decodes it: float samples in -1..1 at 48 kHz, mono."""
    audio = AudioSegment.from_file(str(path)).set_sample_width(2)  # Opus decodes as 32-bit
    assert (audio.frame_rate, audio.channels) == (RATE, 1)
    return np.array(audio.get_array_of_samples(), dtype=np.float64) / 32768


def window(x: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return x[round(start_s * RATE) : round(end_s * RATE)]


def peak_dbfs(x: np.ndarray) -> float:
    return 20 * np.log10(max(float(np.abs(x).max()) if len(x) else 0.0, 1e-10))


def rms_dbfs(x: np.ndarray) -> float:
    return 20 * np.log10(max(float(np.sqrt(np.mean(x**2))), 1e-10))


def dominant_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * RATE / len(x))


def onset_s(x: np.ndarray, after_s: float) -> float:
    """The first moment after ``after_s`` where the signal passes a fifth of the tone's peak."""
    start = round(after_s * RATE)
    loud = np.nonzero(np.abs(x[start:]) > AMPLITUDE / 5)[0]
    return (start + int(loud[0])) / RATE


def assert_tone(x: np.ndarray, start_s: float, end_s: float, hz: float, edge: float) -> None:
    part = window(x, start_s + max(edge, 0.01), end_s - max(edge, 0.01))
    assert rms_dbfs(part) > -12, (start_s, end_s, rms_dbfs(part))
    assert abs(dominant_hz(part) - hz) < 3, (start_s, end_s, dominant_hz(part), hz)


def assert_silent(x: np.ndarray, start_s: float, end_s: float, edge: float) -> None:
    part = window(x, start_s + edge, end_s - edge)
    assert len(part) > 0
    assert peak_dbfs(part) < -60, (start_s, end_s, peak_dbfs(part))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


@pytest.fixture
def two_tones(tmp_path: Path) -> list[Segment]:
    """440 Hz for 3 s at session 2.0 s, 880 Hz for 4 s at 10.0 s (given out of order)."""
    rec = tmp_path / "rec"
    rec.mkdir()
    return [
        Segment(write_wav(rec / "seg-2.wav", tone(880, 4.0)), 10.0),
        Segment(write_wav(rec / "seg-1.wav", tone(440, 3.0)), 2.0),
    ]


@pytest.fixture
def umask_022():
    """The usual umask, so that the modes checked are the code's, not the test runner's."""
    old = os.umask(0o022)
    yield
    os.umask(old)


# --- ffmpeg present or not -----------------------------------------------------------------------


def test_ffmpeg_is_found_here() -> None:
    assert ffmpeg_problem() is None


def test_without_ffmpeg_the_export_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, two_tones: list[Segment]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    problem = ffmpeg_problem()
    assert problem == (
        "Audio export is off: ffmpeg is not installed. "
        "On Debian or Ubuntu: sudo apt-get install ffmpeg"
    )
    with pytest.raises(AudioExportError, match="sudo apt-get install ffmpeg"):
        export_recording(two_tones, tmp_path / "out.flac", "flac")
    with pytest.raises(AudioExportError, match="ffmpeg is not installed"):
        export_clips(two_tones, [Quote(1, 3.0, "P1", "q1", "x")], tmp_path / "clips")
    assert not (tmp_path / "out.flac").exists()
    assert not (tmp_path / "clips").exists()


# --- the whole recording -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_the_recording_is_on_the_session_clock(
    tmp_path: Path, two_tones: list[Segment], fmt: str, umask_022: None
) -> None:
    out = tmp_path / f"session{SUFFIXES[fmt]}"
    calls: list[tuple[float, float]] = []
    result = export_recording(
        two_tones, out, fmt, progress=lambda done, total: calls.append((done, total))
    )
    assert result.path == out
    assert result.seconds == 14.0
    assert result.segments == 2
    assert mode(out) == 0o600
    assert leftovers(tmp_path) == []

    x = decode(out)
    assert abs(len(x) / RATE - 14.0) <= LENGTH_TOLERANCE_S[fmt], len(x) - 14 * RATE
    edge = EDGE_S[fmt]
    assert_silent(x, 0.0, 2.0, edge)  # the lead
    assert_tone(x, 2.0, 5.0, 440, edge)
    assert_silent(x, 5.0, 10.0, edge)  # the gap
    assert_tone(x, 10.0, 14.0, 880, edge)
    # neither shifted nor swapped: each tone starts where its segment does (the brief asks
    # 30 ms for FLAC; every format is within a fraction of a millisecond here)
    assert abs(onset_s(x, 1.0) - 2.0) < 0.002
    assert abs(onset_s(x, 6.0) - 10.0) < 0.002

    assert calls[0] == (0.0, 14.0)
    assert calls[-1] == (14.0, 14.0)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


@pytest.mark.parametrize(
    ("fmt", "codec", "container", "bit_rate"),
    [
        ("flac", "flac", "flac", None),
        ("mp3", "mp3", "mp3", 128_000),
        ("opus", "opus", "ogg", None),
    ],
)
def test_the_files_are_what_their_names_say(
    tmp_path: Path, two_tones: list[Segment], fmt: str, codec: str, container: str, bit_rate
) -> None:
    out = tmp_path / f"session{SUFFIXES[fmt]}"
    export_recording(two_tones, out, fmt)
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,sample_rate,channels,bit_rate:format=format_name",
            "-of",
            "default=nw=1",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fields = dict(line.split("=", 1) for line in probe.splitlines())
    assert fields["codec_name"] == codec
    assert fields["format_name"] == container
    assert fields["sample_rate"] == "48000"
    assert fields["channels"] == "1"
    if bit_rate:
        assert fields["bit_rate"] == str(bit_rate)


def test_an_overlapping_segment_is_trimmed_not_mixed(tmp_path: Path) -> None:
    # the second segment starts 1 s before the first ends: its first second (660 Hz) is
    # dropped, the rest (880 Hz) follows the first without a gap; a third segment lies
    # wholly inside the first and is left out
    second = np.concatenate([tone(660, 1.0), tone(880, 2.0, offset_s=1.0)])
    segments = [
        Segment(write_wav(tmp_path / "a.wav", tone(440, 3.0)), 2.0),
        Segment(write_wav(tmp_path / "b.wav", second), 4.0),
        Segment(write_wav(tmp_path / "c.wav", tone(1320, 0.5)), 3.0),
    ]
    result = export_recording(segments, tmp_path / "out.flac", "flac")
    assert result.seconds == 7.0
    assert result.segments == 2
    x = decode(tmp_path / "out.flac")
    assert len(x) == 7 * RATE
    assert_tone(x, 2.0, 5.0, 440, 0.0)
    assert_tone(x, 5.0, 7.0, 880, 0.0)
    assert peak_dbfs(window(x, 2.0, 5.0)) < -5.9  # one tone's level: nothing was added to it
    # the 440 Hz tone runs on unbroken to 5.0 s, then 880 Hz: the exact samples of each
    expected = np.concatenate([tone(440, 3.0), tone(880, 2.0, offset_s=1.0)]) / 32768
    assert np.array_equal(window(x, 2.0, 7.0), expected)


def test_total_s_pads_with_silence_and_cuts_what_comes_after(
    tmp_path: Path, two_tones: list[Segment]
) -> None:
    padded = export_recording(two_tones, tmp_path / "long.flac", "flac", total_s=20.0)
    assert (padded.seconds, padded.segments) == (20.0, 2)
    x = decode(tmp_path / "long.flac")
    assert len(x) == 20 * RATE
    assert_tone(x, 10.0, 14.0, 880, 0.0)
    assert_silent(x, 14.0, 20.0, 0.0)

    cut = export_recording(two_tones, tmp_path / "short.flac", "flac", total_s=12.0)
    assert (cut.seconds, cut.segments) == (12.0, 2)
    x = decode(tmp_path / "short.flac")
    assert len(x) == 12 * RATE
    assert_tone(x, 10.0, 12.0, 880, 0.0)

    before = export_recording(two_tones, tmp_path / "before.flac", "flac", total_s=6.0)
    assert (before.seconds, before.segments) == (6.0, 1)


def test_a_segment_shorter_than_its_header_says_ends_in_silence(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "cut.wav", tone(440, 2.0))
    with path.open("r+b") as handle:  # the last half second never reached the disk
        handle.truncate(44 + round(1.5 * RATE) * 2)
    after = write_wav(tmp_path / "after.wav", tone(880, 1.0))
    export_recording([Segment(path, 1.0), Segment(after, 3.0)], tmp_path / "o.flac", "flac")
    x = decode(tmp_path / "o.flac")
    assert len(x) == 4 * RATE
    assert_tone(x, 1.0, 2.5, 440, 0.0)
    assert_silent(x, 2.5, 3.0, 0.0)
    assert abs(onset_s(x, 2.6) - 3.0) < 0.001  # what follows keeps its place


# --- failures leave nothing behind ---------------------------------------------------------------


def test_a_missing_folder_fails_cleanly(tmp_path: Path, two_tones: list[Segment]) -> None:
    with pytest.raises(AudioExportError, match="Cannot write .*No such file or directory"):
        export_recording(two_tones, tmp_path / "missing" / "out.flac", "flac")
    assert not (tmp_path / "missing").exists()


def test_an_unwritable_folder_fails_cleanly(tmp_path: Path, two_tones: list[Segment]) -> None:
    # root writes to a read-only folder, so the folder here is a file
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(AudioExportError, match="Cannot write"):
        export_recording(two_tones, blocker / "out.opus", "opus")
    with pytest.raises(AudioExportError, match="Cannot write"):
        export_clips(two_tones, [Quote(1, 3.0, "P1", "q1", "x")], blocker / "clips")


def test_a_bogus_segment_fails_cleanly(tmp_path: Path, two_tones: list[Segment]) -> None:
    bogus = tmp_path / "bogus.wav"
    bogus.write_bytes(b"this is not a wave file at all")
    out = tmp_path / "out.flac"
    with pytest.raises(AudioExportError, match=r"Cannot read the recording file .*bogus\.wav"):
        export_recording([*two_tones, Segment(bogus, 20.0)], out, "flac")
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_a_segment_of_another_shape_is_refused(tmp_path: Path) -> None:
    stereo = write_wav(tmp_path / "s.wav", np.zeros(2 * 44_100, "<i2"), rate=44_100, channels=2)
    with pytest.raises(AudioExportError, match=r"not 48 kHz mono 16-bit .*44100 Hz, 2 channels"):
        export_recording([Segment(stereo, 0.0)], tmp_path / "out.flac", "flac")
    assert leftovers(tmp_path) == []


def test_nothing_to_export(tmp_path: Path) -> None:
    with pytest.raises(AudioExportError, match="no recorded audio"):
        export_recording([], tmp_path / "out.flac", "flac")


def test_an_ffmpeg_failure_keeps_its_words_and_the_earlier_file(
    tmp_path: Path, two_tones: list[Segment], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "session.opus"
    out.write_bytes(b"an earlier export")
    wrong = convert._Encoder("libopus", "32k", ("-application", "nonsense"))
    monkeypatch.setattr(convert, "_encoder", lambda binary, fmt: wrong)
    with pytest.raises(AudioExportError) as caught:
        export_recording(two_tones, out, "opus")
    message = str(caught.value)
    assert message.startswith(f"ffmpeg could not write the OPUS file {out}: ")
    # ffmpeg's last line, after the encoder's own complaint (the last line alone is generic)
    assert "libopus: Error setting option application to value nonsense." in message
    assert message.endswith("maybe incorrect parameters such as bit_rate, rate, width or height")
    assert out.read_bytes() == b"an earlier export"
    assert leftovers(tmp_path) == []


def test_an_exception_from_progress_cancels(tmp_path: Path, two_tones: list[Segment]) -> None:
    class Cancelled(Exception):
        pass

    def cancel(done: float, total: float) -> None:
        if done > 0:
            raise Cancelled

    with pytest.raises(Cancelled):
        export_recording(two_tones, tmp_path / "out.flac", "flac", progress=cancel)
    assert not (tmp_path / "out.flac").exists()
    assert leftovers(tmp_path) == []


def test_the_partial_file_goes_in_tmp_dir(tmp_path: Path, two_tones: list[Segment]) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    seen: list[list[str]] = []
    out = tmp_path / "out.flac"
    export_recording(
        two_tones,
        out,
        "flac",
        tmp_dir=scratch,
        progress=lambda done, total: seen.append(sorted(p.name for p in scratch.iterdir())),
    )
    assert [".out.flac.part"] in seen
    assert list(scratch.iterdir()) == []
    assert len(decode(out)) == 14 * RATE


# --- a long session in little memory -------------------------------------------------------------


def test_twenty_minutes_stream_in_little_memory(tmp_path: Path) -> None:
    """20 minutes is 115 MB of PCM; the export holds about one second of it (96 kB) at a time.

    tracemalloc sees every Python allocation, so reading a segment whole, or building the
    timeline in memory, would show as tens of megabytes.
    """
    second = tone(440, 1.0).tobytes()

    def long_wav(path: Path, seconds: int) -> Path:
        with wave.open(str(path), "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(RATE)
            for _ in range(seconds):
                writer.writeframes(second)
        return path

    segments = [Segment(long_wav(tmp_path / f"s{i}.wav", 190), 10.0 + i * 200.0) for i in range(6)]
    tracemalloc.start()
    try:
        result = export_recording(segments, tmp_path / "long.flac", "flac", total_s=1200.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.seconds == 1200.0
    assert peak < 2_000_000, peak
    audio = AudioSegment.from_file(str(tmp_path / "long.flac"))
    assert audio.frame_count() == 1200 * RATE


# --- clips around quotes -------------------------------------------------------------------------


def test_clip_names_sort_by_time_and_are_safe() -> None:
    assert clip_name(Quote(7, 3723.9, "P3", "q2.1", "x"), "flac") == "007_01h02m03s_P3_q2.1.flac"
    assert clip_name(Quote(12, 5.0, "", "q1", "x"), "opus") == "012_00h00m05s_nobody_q1.opus"
    assert clip_name(Quote(3, 65.0, "moderator", "", "x"), "mp3") == "003_00h01m05s_moderator.mp3"
    assert clip_name(Quote(4, 0.0, "Kari Nordmann/ø", "../q 1", "x"), "flac") == (
        "004_00h00m00s_Kari-Nordmann_q-1.flac"
    )


def test_clips_cover_the_window_cut_to_the_audio(
    tmp_path: Path, two_tones: list[Segment], umask_022: None
) -> None:
    # session: 440 Hz over [2, 5), silence, 880 Hz over [10, 14)
    quotes = [
        Quote(1, 4.0, "P3", "q2.1", "Vi møter familiene der de er."),  # [1, 6] -> [2, 5]
        Quote(2, 12.0, "moderator", "q2.2", 'Say; "more"'),  # [10.5, 12.5], inside
        Quote(3, 8.0, "", "", "across the break"),  # [3.5, 9.0] -> [3.5, 5.0]
        Quote(4, 11.0, "P1", "q3", "spans the gap"),  # [4.0, 11.5], 440, silence, 880
        Quote(5, 40.0, "P2", "q4", "after the recording"),  # [35, 40.5]: nothing
    ]
    windows = {1: (3.0, 2.0), 2: (1.5, 0.5), 3: (4.5, 1.0), 4: (7.0, 0.5), 5: (5.0, 0.5)}
    out_dir = tmp_path / "clips"
    results = [
        export_clips(
            two_tones, [q], out_dir, before_s=windows[q.number][0], after_s=windows[q.number][1]
        )
        for q in quotes
    ]
    clips = {c.quote.number: c for r in results for c in r.clips}
    skipped = [s for r in results for s in r.skipped]
    assert {n: (c.start_s, c.end_s) for n, c in clips.items()} == {
        1: (2.0, 5.0),
        2: (10.5, 12.5),
        3: (3.5, 5.0),
        4: (4.0, 11.5),
    }
    assert [s.quote.number for s in skipped] == [5]
    assert skipped[0].reason == "No audio was recorded between 00:00:35 and 00:00:40."
    assert clips[1].path.name == "001_00h00m04s_P3_q2.1.flac"

    assert mode(out_dir) == 0o700
    for clip in clips.values():
        assert mode(clip.path) == 0o600
        x = decode(clip.path)
        assert len(x) == round((clip.end_s - clip.start_s) * RATE), clip
    assert np.array_equal(decode(clips[1].path), tone(440, 3.0) / 32768)
    assert_tone(decode(clips[2].path), 0.0, 2.0, 880, 0.0)
    spanning = decode(clips[4].path)  # [4.0, 11.5]: 440 to 1.0, silence to 6.0, 880 after
    assert_tone(spanning, 0.0, 1.0, 440, 0.0)
    assert_silent(spanning, 1.0, 6.0, 0.0)
    assert_tone(spanning, 6.0, 7.5, 880, 0.0)
    assert abs(onset_s(spanning, 3.0) - 6.0) < 0.001
    assert leftovers(out_dir) == []


def test_clips_in_every_format_and_the_csv(tmp_path: Path, two_tones: list[Segment]) -> None:
    quotes = [
        Quote(2, 12.0, "moderator", "q2.2", 'Say; "more"\nplease'),
        Quote(1, 4.0, "P3", "q2.1", "Vi møter familiene der de er."),
        Quote(3, 40.0, "P2", "q4", "after the recording"),
    ]
    for fmt in AUDIO_FORMATS:
        out_dir = tmp_path / fmt
        result = export_clips(two_tones, quotes, out_dir, fmt=fmt)  # 20 s before, 5 s after
        assert [c.path.name for c in result.clips] == [
            f"001_00h00m04s_P3_q2.1{SUFFIXES[fmt]}",
            f"002_00h00m12s_moderator_q2.2{SUFFIXES[fmt]}",
        ]
        assert [(c.start_s, c.end_s) for c in result.clips] == [(2.0, 5.0), (2.0, 14.0)]
        assert [s.quote.number for s in result.skipped] == [3]
        for clip in result.clips:
            x = decode(clip.path)
            expected = clip.end_s - clip.start_s
            assert abs(len(x) / RATE - expected) <= LENGTH_TOLERANCE_S[fmt]
        x = decode(result.clips[1].path)  # [2, 14]: 440, silence, 880
        edge = EDGE_S[fmt]
        assert_tone(x, 0.0, 3.0, 440, edge)
        assert_silent(x, 3.0, 8.0, edge)
        assert_tone(x, 8.0, 12.0, 880, edge)

    raw = (tmp_path / "flac" / "clips.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    assert mode(tmp_path / "flac" / "clips.csv") == 0o600
    assert b"\r\n" in raw
    with (tmp_path / "flac" / "clips.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows == [
        [
            "File",
            "Time",
            "Session seconds",
            "Clip from (s)",
            "Clip to (s)",
            "Speaker",
            "Question",
            "Note",
        ],
        [
            "001_00h00m04s_P3_q2.1.flac",
            "00:00:04",
            "4.00",
            "2.00",
            "5.00",
            "P3",
            "q2.1",
            "Vi møter familiene der de er.",
        ],
        [
            "002_00h00m12s_moderator_q2.2.flac",
            "00:00:12",
            "12.00",
            "2.00",
            "14.00",
            "Moderator",
            "q2.2",
            'Say; "more"\nplease',
        ],
    ]
