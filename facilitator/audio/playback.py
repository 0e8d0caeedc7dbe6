"""Listening to the recording: a stretch of one part played on the output device.

The transcript editor plays a statement's audio (``space``), steps back or on while it
plays, and can play hard passages slower. Everything here runs off the screen's thread:
``Player.play`` returns at once; a thread reads the window of the part's WAV file (48 kHz
mono 16-bit, as the recorder writes it), slows it down if asked, and starts a PortAudio
output stream whose callback only copies bytes. ``Player.position`` says which moment of
the session clock is being heard, for the screen to highlight the word being spoken.

Slower speech keeps its pitch: ffmpeg's ``atempo`` filter (a time-scale modification by
overlap-add of matching waveform pieces, WSOLA), not a slowed-down playback rate, which
would drop the voices by a fourth at 0.75x. ``atempo`` takes factors from 0.5 to 2 in one
pass; the editor offers 0.75 and 0.5. The window is read whole (a 30-second statement is
2.9 MB), so nothing reads the disk while it plays.
"""

from __future__ import annotations

import subprocess
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facilitator.i18n import _

RATE = 48_000
SAMPLE_WIDTH = 2
SPEEDS = (1.0, 0.75, 0.5)  # what the editor's speed key goes through
BLOCK_FRAMES = RATE // 20  # 50 ms a callback: the highlight follows within a word


class PlaybackError(Exception):
    """The audio cannot be played; ``str()`` is a translated message saying why."""


@dataclass(frozen=True)
class Source:
    """One recording part and where its first frame lies on the session clock."""

    path: Path
    clock_start_s: float


def read_window(source: Source, from_s: float, to_s: float) -> tuple[bytes, float]:
    """The part's audio from ``from_s`` to ``to_s`` (session clock), cut to what the file
    holds, and the session time of its first frame. Raises ``PlaybackError``."""
    try:
        with wave.open(str(source.path), "rb") as reader:
            shape = (reader.getnchannels(), reader.getsampwidth(), reader.getframerate())
            if shape != (1, SAMPLE_WIDTH, RATE):
                raise PlaybackError(
                    _(
                        "The recording file {file} is not 48 kHz mono 16-bit audio.",
                        file=str(source.path),
                    )
                )
            total = reader.getnframes()
            first = min(max(0, round((from_s - source.clock_start_s) * RATE)), total)
            last = min(max(first, round((to_s - source.clock_start_s) * RATE)), total)
            reader.setpos(first)
            data = reader.readframes(last - first)
    except FileNotFoundError:
        raise PlaybackError(
            _("The recording file {file} is not there (deleted?)", file=str(source.path))
        ) from None
    except (OSError, EOFError, wave.Error) as error:
        raise PlaybackError(
            _("Cannot read the recording file {file}: {error}", file=str(source.path), error=error)
        ) from None
    return data, source.clock_start_s + first / RATE


def slower(audio: bytes, speed: float) -> bytes:
    """``audio`` (48 kHz mono s16le) played at ``speed`` (0.5 to 1) with its pitch kept."""
    if speed == 1.0 or not audio:
        return audio
    if not 0.5 <= speed <= 2.0:
        raise ValueError("atempo takes a speed from 0.5 to 2")
    command = [
        "ffmpeg",
        "-hide_banner",
        "-nostats",
        "-loglevel",
        "error",
        "-f",
        "s16le",
        "-ar",
        str(RATE),
        "-ac",
        "1",
        "-i",
        "pipe:0",
        "-filter:a",
        f"atempo={speed:g}",
        "-f",
        "s16le",
        "-ar",
        str(RATE),
        "-ac",
        "1",
        "pipe:1",
    ]
    try:
        done = subprocess.run(command, input=audio, capture_output=True, timeout=120, check=False)
    except FileNotFoundError:
        raise PlaybackError(
            _("Slower playback needs ffmpeg. On Debian or Ubuntu: sudo apt-get install ffmpeg")
        ) from None
    except (OSError, subprocess.SubprocessError) as error:
        raise PlaybackError(_("ffmpeg failed: {reason}", reason=error)) from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise PlaybackError(_("ffmpeg failed: {reason}", reason=reason[0]))
    return done.stdout[: len(done.stdout) // SAMPLE_WIDTH * SAMPLE_WIDTH]


class _Stream:
    """One play: the bytes, how far the device has taken them, the PortAudio stream."""

    def __init__(self, audio: bytes, start_s: float, speed: float, stop: type) -> None:
        self.stop = stop  # sounddevice.CallbackStop
        self.audio = audio
        self.start_s = start_s
        self.speed = speed
        self.offset = 0
        self.done = threading.Event()
        self.stream: Any = None
        self.latency_s = 0.0

    def callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        wanted = frames * SAMPLE_WIDTH
        chunk = self.audio[self.offset : self.offset + wanted]
        outdata[: len(chunk)] = chunk
        self.offset += len(chunk)
        if len(chunk) < wanted:
            outdata[len(chunk) :] = bytes(wanted - len(chunk))
            raise self.stop

    def finished(self) -> None:
        self.done.set()

    def heard_s(self) -> float:
        """The session time being heard now (the device's latency taken off)."""
        played = self.offset / SAMPLE_WIDTH / RATE - self.latency_s
        return self.start_s + max(0.0, played) * self.speed


class Player:
    """Plays windows of recording parts on the output device, one at a time."""

    def __init__(
        self,
        device: int | str | None = None,
        on_problem: Callable[[str], object] | None = None,
    ) -> None:
        self.device = device
        self.on_problem = on_problem
        self._lock = threading.Lock()
        self._generation = 0
        self._current: _Stream | None = None
        self._end_s = 0.0
        self._preparing = False
        self.problem: str | None = None

    # --- what the screen asks ------------------------------------------------------------

    @property
    def playing(self) -> bool:
        with self._lock:
            current = self._current
            return self._preparing or (current is not None and not current.done.is_set())

    def position(self) -> float | None:
        """The session time being heard, or None when nothing plays."""
        with self._lock:
            current = self._current
            if current is None or current.done.is_set():
                return None
            return min(current.heard_s(), self._end_s)

    def play(self, source: Source, from_s: float, to_s: float, speed: float = 1.0) -> None:
        """Play ``source`` from ``from_s`` to ``to_s`` (session clock), at ``speed``; what
        played before stops. Returns at once: the audio is read and the device opened in a
        thread; a problem is reported through ``on_problem`` (and kept in ``problem``)."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._preparing = True
            previous, self._current = self._current, None
            self._end_s = to_s
        _close(previous)
        thread = threading.Thread(
            target=self._start,
            args=(generation, source, from_s, to_s, speed),
            name="facilitator-playback",
            daemon=True,
        )
        thread.start()

    def stop(self) -> None:
        with self._lock:
            self._generation += 1
            self._preparing = False
            previous, self._current = self._current, None
        _close(previous)

    def close(self) -> None:
        self.stop()

    # --- the thread -----------------------------------------------------------------------

    def _start(
        self, generation: int, source: Source, from_s: float, to_s: float, speed: float
    ) -> None:
        try:
            audio, start_s = read_window(source, from_s, to_s)
            if not audio:
                raise PlaybackError(_("There is no recorded audio at this moment."))
            audio = slower(audio, speed)
            sd = _sounddevice()
            play = _Stream(audio, start_s, speed, sd.CallbackStop)
            with self._lock:
                if generation != self._generation:
                    return
                try:
                    stream = sd.RawOutputStream(
                        device=self.device,
                        samplerate=RATE,
                        channels=1,
                        dtype="int16",
                        blocksize=BLOCK_FRAMES,
                        latency="high",
                        callback=play.callback,
                        finished_callback=play.finished,
                    )
                    play.latency_s = float(stream.latency or 0.0)
                    play.stream = stream
                    stream.start()
                except (sd.PortAudioError, ValueError) as error:
                    raise PlaybackError(
                        _("Cannot play on the sound output: {reason}", reason=error)
                    ) from None
                self._current = play
                self._preparing = False
                self.problem = None
        except PlaybackError as error:
            with self._lock:
                if generation != self._generation:
                    return
                self._preparing = False
                self.problem = str(error)
            if self.on_problem is not None:
                self.on_problem(str(error))


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError:
        raise PlaybackError(
            _(
                "Playback is off: PortAudio is not installed. "
                "On Debian or Ubuntu: sudo apt-get install libportaudio2"
            )
        ) from None
    return sounddevice


def _close(play: _Stream | None) -> None:
    if play is None or play.stream is None:
        return
    try:
        play.stream.abort()
        play.stream.close()
    except Exception:  # noqa: BLE001 (a device gone away: nothing left to stop)
        pass
    play.done.set()
