"""The audio device layer on real parts: PortAudio recording a PulseAudio null sink's monitor
while espeak-ng speech plays into it (tests/helpers/pulse.py).

- a recording is as long as the recorder ran, silent before the speech, loud during it, with
  no overflow, and voice activity where the speech was;
- a recorder killed with SIGKILL leaves a file that ``repair`` makes whole, which Python's
  ``wave`` and ffmpeg read, holding the speech played before the kill;
- the sound card unplugged (the sink unloaded), or silent without an error (the sink
  suspended: the watchdog), stops the segment cleanly with an error, and
  a new segment starts once it is back;
- a full disk (a file size limit) stops the segment with an error and a true header;
- a device name that matches nothing, or PortAudio missing, says what there is or what to do.

And the WAV files themselves: 0600, exclusive, flushed headers, repair (idempotent, never
losing audio), write failures that leave the header true.
"""

from __future__ import annotations

import errno
import json
import math
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from facilitator.audio import devices
from facilitator.audio.devices import AudioUnavailable, portaudio_problem, resolve_device
from facilitator.audio.recorder import SILENT_DB, Recorder
from facilitator.audio.wav import (
    HEADER_BYTES,
    AudioWriteError,
    SegmentWriter,
    WavFormatError,
    repair,
    wav_info,
)
from tests.helpers.pulse import SINK, PulseServer, serve_pulse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pulse_server() -> Iterator[PulseServer]:
    yield from serve_pulse()


ROOT = Path(__file__).resolve().parent.parent
RECORD_PROC = Path(__file__).parent / "helpers" / "record_proc.py"
RATE = 48000
SPEECH = "We meet the families where they are. Housing comes first, then the rest."
SHORT_SPEECH = "We meet the families where they are."


# --- reading what was recorded ------------------------------------------------------------


def read_samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as handle:
        assert handle.getframerate() == RATE
        assert handle.getnchannels() == 1
        assert handle.getsampwidth() == 2
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)


def rms_db(samples: np.ndarray) -> float:
    if samples.size == 0:
        return SILENT_DB
    wide = samples.astype(np.float64)
    rms = math.sqrt(float(np.mean(wide * wide)))
    return 20 * math.log10(rms / 32768) if rms > 0 else -math.inf


def window(samples: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return samples[max(0, int(start_s * RATE)) : max(0, int(end_s * RATE))]


def sound_span(samples: np.ndarray, floor_db: float = -50.0) -> tuple[float, float]:
    """Where there is sound: the first and the end of the last 30 ms frame above ``floor_db``."""
    size = int(0.03 * RATE)
    count = samples.size // size
    frames = samples[: count * size].astype(np.float64).reshape(count, size)
    loud = np.sqrt(np.mean(frames * frames, axis=1)) >= 32768 * 10 ** (floor_db / 20)
    where = np.flatnonzero(loud)
    assert where.size, "no sound at all in the recording"
    return where[0] * 0.03, (where[-1] + 1) * 0.03


def assert_header_true(path: Path) -> int:
    """The header states exactly the whole frames on disk (nothing for repair to do)."""
    size = path.stat().st_size
    info = wav_info(path)
    assert info.frames * 2 + HEADER_BYTES == size
    with wave.open(str(path), "rb") as handle:
        assert handle.getnframes() == info.frames
    assert repair(path).repaired is False
    return info.frames


def ffmpeg_decodes(path: Path) -> None:
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


# --- WAV segments -------------------------------------------------------------------------


def tone(seconds: float, level: int = 8000) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * 440 * t) * level).astype("<i2").tobytes()


def test_segment_is_private_exclusive_and_its_header_follows_each_flush(tmp_path: Path) -> None:
    path = tmp_path / "s1.wav"
    old_umask = os.umask(0)  # even with a permissive umask, the file is the owner's only
    try:
        writer = SegmentWriter(path, RATE)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_size == HEADER_BYTES
    assert wav_info(path) == (RATE, 1, 2, 0)
    with pytest.raises(FileExistsError):
        SegmentWriter(path, RATE)

    audio = tone(1.5)
    writer.write(audio)
    assert writer.frames == int(1.5 * RATE) and writer.seconds == pytest.approx(1.5)
    with wave.open(str(path), "rb") as handle:  # not flushed yet: the header says nothing
        assert handle.getnframes() == 0
    writer.flush()
    with wave.open(str(path), "rb") as handle:
        assert handle.getnframes() == int(1.5 * RATE)
        assert handle.readframes(handle.getnframes()) == audio
    writer.write(audio)
    writer.close()
    writer.close()  # idempotent
    assert assert_header_true(path) == 3 * RATE
    ffmpeg_decodes(path)


def test_repair_counts_every_whole_frame_on_disk_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "killed.wav"
    writer = SegmentWriter(path, RATE)
    first, second = tone(1.0), tone(0.7, level=3000)
    writer.write(first)
    writer.flush()
    writer.write(second)
    # As a kill leaves it: audio after the last flush, and half a frame at the end.
    os.close(writer._fd)  # type: ignore[arg-type]
    writer._fd = None
    with path.open("ab") as handle:
        handle.write(b"\x01")
    assert wav_info(path).frames == RATE  # the header still says one second

    fixed = repair(path)
    assert fixed.repaired is True
    assert fixed.frames == int(1.7 * RATE)
    assert fixed.seconds == pytest.approx(1.7)
    assert read_samples(path).tobytes() == first + second
    assert path.stat().st_size == HEADER_BYTES + len(first + second)
    again = repair(path)
    assert again == type(fixed)(fixed.frames, fixed.seconds, False)
    assert read_samples(path).tobytes() == first + second
    ffmpeg_decodes(path)


def test_repair_of_a_header_claiming_more_than_the_disk_holds(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    with SegmentWriter(path, RATE) as writer:
        writer.write(tone(2.0))
    os.truncate(path, HEADER_BYTES + RATE * 2)  # as a power cut can leave it
    fixed = repair(path)
    assert fixed.repaired and fixed.frames == RATE
    assert assert_header_true(path) == RATE


def test_repair_refuses_what_is_not_a_wav(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_bytes(b"this is not audio" * 10)
    with pytest.raises(WavFormatError, match="is not a WAV recording"):
        repair(path)
    assert path.read_bytes() == b"this is not audio" * 10


def test_disk_full_keeps_whole_frames_and_a_true_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "full.wav"
    writer = SegmentWriter(path, RATE)
    budget = [int(0.5 * RATE * 2) + 1]  # half a second and one odd byte fit on the "disk"
    real_write = os.write

    def full_disk(fd: int, data: bytes) -> int:
        if fd != writer._fd:
            return real_write(fd, data)
        if budget[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = real_write(fd, bytes(data)[: budget[0]])
        budget[0] -= written
        return written

    monkeypatch.setattr(os, "write", full_disk)
    writer.write(tone(0.3))
    with pytest.raises(AudioWriteError, match="the disk is full") as failure:
        writer.write(tone(0.3))
    assert failure.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert writer.frames == int(0.5 * RATE)
    writer.close()
    assert assert_header_true(path) == int(0.5 * RATE)


def test_file_size_limit_gives_a_write_error_and_a_true_header(tmp_path: Path) -> None:
    path = tmp_path / "limited.wav"
    limit = 100_001  # an odd size: the last frame is cut in half by the limit
    script = f"""
import resource, sys, json
sys.path.insert(0, {str(ROOT)!r})
from facilitator.audio.wav import SegmentWriter, AudioWriteError
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
writer = SegmentWriter({str(path)!r}, 48000)
try:
    while True:
        writer.write(b"\\x10\\x00" * 4800)
except AudioWriteError as error:
    print(json.dumps({{"errno": error.errno, "frames": writer.frames, "message": str(error)}}))
writer.close()
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["errno"] == errno.EFBIG
    assert "largest size" in report["message"]
    assert report["frames"] == (limit - HEADER_BYTES) // 2
    assert assert_header_true(path) == report["frames"]


# --- real audio ---------------------------------------------------------------------------


def test_recording_is_true_to_time_level_and_speech(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    speech = pulse_server.speech_wav(SPEECH)
    recorder = Recorder(tmp_path / "audio")
    started = recorder.start("segment-1.wav")
    began = time.monotonic()
    assert started.samplerate == RATE and started.device_name == "default"
    assert stat.S_IMODE((tmp_path / "audio").stat().st_mode) == 0o700
    played: dict[str, float] = {}

    def play() -> None:
        time.sleep(2.0)
        played["start"] = time.monotonic() - began
        pulse_server.play(speech)
        played["end"] = time.monotonic() - began

    player = threading.Thread(target=play)
    player.start()
    levels: list[tuple[float, float]] = []
    transitions: list[tuple[float, bool]] = []
    while time.monotonic() - began < 8.0:
        time.sleep(0.1)
        status = recorder.status()
        assert status.recording and status.error is None
        levels.append((time.monotonic() - began, status.level_db))
        transitions += recorder.drain_voice()
    ran_s = time.monotonic() - began
    stopped = recorder.stop()
    player.join()
    transitions += recorder.drain_voice()
    assert recorder.stop() == stopped  # idempotent

    path = started.path
    assert stopped.path == path and stopped.overflows == 0
    assert recorder.status().overflows == 0 and not recorder.status().recording
    samples = read_samples(path)
    assert samples.size == stopped.frames
    assert abs(samples.size / RATE - ran_s) < 0.3, (samples.size / RATE, ran_s)
    assert_header_true(path)

    start_s, end_s = played["start"], played["end"]
    before = window(samples, 0.0, start_s - 0.1)
    assert np.max(np.abs(before)) == 0 or rms_db(before) < -70
    assert rms_db(window(samples, start_s, end_s)) > -40
    sound_start, sound_end = sound_span(samples)
    assert start_s - 0.1 <= sound_start <= start_s + 0.5, (sound_start, played)
    assert sound_end <= end_s + 0.1, (sound_end, played)

    ons = [offset for offset, on in transitions if on]
    offs = [offset for offset, on in transitions if not on]
    assert ons and offs, transitions
    assert abs(ons[0] - sound_start) < 0.5 and abs(ons[0] - start_s) < 0.5, (transitions, played)
    assert sound_end - 0.3 <= offs[-1] <= sound_end + 1.2, (transitions, sound_end)
    assert transitions[-1][1] is False

    quiet = [db for t, db in levels if t < start_s - 0.2]
    loud = [db for t, db in levels if start_s + 0.2 < t < end_s]
    assert max(quiet) < -70
    assert max(loud) > -40


def test_a_killed_recorder_leaves_a_file_that_repair_makes_whole(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    speech = pulse_server.speech_wav(SHORT_SPEECH)
    folder = tmp_path / "audio"
    process = subprocess.Popen(
        [sys.executable, str(RECORD_PROC), str(folder), "killed.wav"],
        env=pulse_server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        began = time.monotonic()
        assert line.startswith("recording "), line + process.stderr.read()  # type: ignore[union-attr]
        player = pulse_server.play(speech, block=False)
        time.sleep(3.0)
        process.send_signal(signal.SIGKILL)
        killed_s = time.monotonic() - began
        process.wait(10)
        player.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    path = folder / "killed.wav"
    fixed = repair(path)
    assert fixed.frames >= (killed_s - 1.5) * RATE, (fixed, killed_s)
    assert fixed.seconds <= killed_s + 0.2
    ffmpeg_decodes(path)
    samples = read_samples(path)
    assert samples.size == fixed.frames
    sound_start, _sound_end = sound_span(samples)
    assert sound_start < 0.7
    assert rms_db(window(samples, sound_start, sound_start + 1.5)) > -40
    assert repair(path).repaired is False


def wait_for_error(recorder: Recorder, limit_s: float) -> float:
    """Until the recorder reports an error, or ``limit_s``; how long that took."""
    began = time.monotonic()
    while recorder.status().error is None and time.monotonic() - began < limit_s:
        time.sleep(0.05)
    return time.monotonic() - began


def test_an_unplugged_device_ends_the_segment_cleanly_and_a_new_one_starts(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    recorder = Recorder(tmp_path / "audio")
    first = recorder.start("before.wav")
    time.sleep(1.5)
    try:
        pulse_server.unload_sink()
        wait_for_error(recorder, 3.0)
        status = recorder.status()
        assert status.error is not None, "no error 3 s after the device went away"
        assert "stopped delivering sound" in status.error
        assert not status.recording and not status.write_error
        assert recorder._thread is not None
        recorder._thread.join(2.0)
        assert not recorder._thread.is_alive()
    finally:
        if pulse_server.sink_module is None:
            pulse_server.load_sink()
    frames = assert_header_true(first.path)
    assert frames >= 1.2 * RATE
    stopped = recorder.stop()
    assert stopped.path == first.path and stopped.frames == frames
    assert recorder.status().error is not None  # still shown until the next start

    second = recorder.start("after.wav")
    assert recorder.status().error is None and recorder.status().recording
    time.sleep(1.5)
    again = recorder.stop()
    assert again.path == second.path and again.frames >= 1.2 * RATE
    assert recorder.status().error is None
    assert_header_true(second.path)


def test_a_device_that_stops_delivering_is_noticed_by_the_watchdog(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    """The stream stays open but no block comes (the sink suspended): after 2 s, an error."""
    recorder = Recorder(tmp_path / "audio")
    started = recorder.start("stalled.wav")
    time.sleep(1.0)
    try:
        pulse_server.pactl("suspend-sink", SINK, "1")
        waited = wait_for_error(recorder, 4.0)
    finally:
        pulse_server.pactl("suspend-sink", SINK, "0")
    status = recorder.status()
    assert status.error is not None and "stopped delivering sound" in status.error
    assert 1.5 < waited < 3.5, waited
    stopped = recorder.stop()
    assert stopped.path == started.path
    assert assert_header_true(started.path) == stopped.frames >= 0.8 * RATE


def test_a_full_disk_stops_the_recording_with_a_true_header(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    folder = tmp_path / "audio"
    limit = HEADER_BYTES + 2 * RATE * 2  # two seconds fit

    def limit_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, str(RECORD_PROC), str(folder), "full.wav", "--seconds", "6"],
        env=pulse_server.env,
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=limit_size,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("recording ")
    report = json.loads(lines[-1])
    assert report["error"] and "largest size" in report["error"], report
    assert report["write_error"] is True
    assert report["ran_s"] < 4.0  # stopped by itself, not at 6 s
    frames = assert_header_true(folder / "full.wav")
    assert frames == report["frames"] == (limit - HEADER_BYTES) // 2


def test_a_device_name_that_matches_nothing_lists_the_names(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    assert portaudio_problem() is None
    names = {device.name for device in devices.input_devices()}
    assert {"pulse", "default"} <= names
    assert resolve_device(None).is_default
    assert resolve_device("DEFAULT").name == "default"
    index = resolve_device("puls").index
    assert resolve_device(index).name == "pulse"
    assert resolve_device(str(index)).name == "pulse"

    recorder = Recorder(tmp_path / "audio", device="Blue Yeti")
    with pytest.raises(AudioUnavailable) as failure:
        recorder.start("never.wav")
    message = str(failure.value)
    assert "No microphone matches Blue Yeti" in message
    assert "pulse" in message and "default" in message
    assert not (tmp_path / "audio" / "never.wav").exists()
    assert not recorder.status().recording
    with pytest.raises(AudioUnavailable, match="no microphone number 99"):
        resolve_device(99)


class _NoPortAudio:
    """An import finder that fails like sounddevice does when libportaudio2 is missing."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return None


def test_missing_portaudio_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPortAudio(), *sys.meta_path])
    problem = portaudio_problem()
    assert problem is not None and "sudo apt-get install libportaudio2" in problem
    with pytest.raises(AudioUnavailable, match="PortAudio is not installed"):
        Recorder(tmp_path / "audio").start("never.wav")
    with pytest.raises(AudioUnavailable, match="PortAudio is not installed"):
        devices.input_devices()
    assert not (tmp_path / "audio").exists()
