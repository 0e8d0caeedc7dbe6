"""Capture from a microphone into WAV segments, off the UI thread.

The PortAudio callback only copies each block (100 ms) into a queue and counts overflows.
A writer thread of the recorder's own drains the queue into a ``SegmentWriter`` (flushed
about once a second, so a crash loses at most about a second), and per block measures the
level (RMS and peak in dBFS) and, per 30 ms frame, voice activity (WebRTC's VAD, smoothed
by ``VoiceSmoother``). The UI reads ``status()`` (a snapshot, thread-safe) and
``drain_voice()`` as often as it likes; nothing here ever blocks it for long or raises
into it once a segment has started: a lost device or a full disk stop the segment cleanly,
keep what was recorded, and show in ``status().error``.

``latency='high'`` and blocks of a tenth of a second: PortAudio's defaults burn a fifth of
a core and lose frames (shared/TESTING.md), these use well under one percent.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from facilitator.audio.devices import AudioUnavailable, portaudio_problem, resolve_device
from facilitator.audio.wav import AudioWriteError, SegmentWriter
from facilitator.core.voice import VoiceSmoother
from facilitator.i18n import _

SILENT_DB = -90.0  # what the level shows for digital silence (and before any sound)
VAD_FLOOR_DB = -50.0  # frames quieter than this are not speech, whatever the VAD says
VAD_RATES = (8000, 16000, 32000, 48000)  # what WebRTC's VAD accepts
VAD_FRAME_S = 0.03
FLUSH_EVERY_S = 1.0
LOST_AFTER_S = 2.0  # no block for this long while recording: the device is gone
FIRST_BLOCK_WAIT_S = 5.0  # a device may take a while to deliver its first block
JOIN_TIMEOUT_S = 5.0

_STOP = object()  # stop() has stopped the stream: write what is queued, then end
_FINISHED = object()  # PortAudio says the stream ended (by stop() or by itself)


@dataclass(frozen=True)
class Started:
    path: Path
    device_name: str
    samplerate: int


@dataclass(frozen=True)
class Stopped:
    path: Path | None  # None if nothing was ever recorded
    seconds: float
    frames: int
    overflows: int


@dataclass(frozen=True)
class RecorderStatus:
    recording: bool
    path: Path | None
    seconds: float  # audio written to the current (or last) segment
    level_db: float  # RMS of the last block (about 100 ms), dBFS; SILENT_DB at most
    peak_db: float  # peak of the last block, dBFS
    overflows: int  # blocks PortAudio reported as overflowed (frames lost)
    speaking: bool
    error: str | None  # why the last segment stopped by itself, translated


def _db(value: float) -> float:
    return max(SILENT_DB, 20.0 * math.log10(value / 32768.0)) if value > 0 else SILENT_DB


class _Analyser:
    """Level and voice activity of the blocks of one segment (runs in the writer thread)."""

    def __init__(self, samplerate: int, voice: bool) -> None:
        import numpy

        self._np = numpy
        self.samplerate = samplerate
        self.voice = voice and samplerate in VAD_RATES
        self.frame_samples = int(samplerate * VAD_FRAME_S)
        self._frame_bytes = self.frame_samples * 2
        self._pending = b""
        self._floor = 32768.0 * 10 ** (VAD_FLOOR_DB / 20)
        self.smoother = VoiceSmoother(frame_s=VAD_FRAME_S)
        self._vad: Any = None
        if self.voice:
            import webrtcvad

            self._vad = webrtcvad.Vad(2)

    def block(self, data: bytes) -> tuple[float, float, list[tuple[float, bool]]]:
        """The block's RMS and peak (dBFS) and the voice transitions it completes."""
        np = self._np
        samples = np.frombuffer(data, dtype=np.int16)
        if samples.size == 0:
            return SILENT_DB, SILENT_DB, []
        wide = samples.astype(np.float32)
        rms = float(np.sqrt(np.mean(wide * wide)))
        peak = float(np.max(np.abs(wide)))
        return _db(rms), _db(peak), self._voice(data) if self.voice else []

    def _voice(self, data: bytes) -> list[tuple[float, bool]]:
        np = self._np
        buffered = self._pending + data
        whole = len(buffered) - len(buffered) % self._frame_bytes
        self._pending = buffered[whole:]
        if not whole:
            return []
        frames = np.frombuffer(buffered[:whole], dtype=np.int16).astype(np.float32)
        frames = frames.reshape(-1, self.frame_samples)
        loud = np.sqrt(np.mean(frames * frames, axis=1)) >= self._floor
        transitions = []
        for number, is_loud in enumerate(loud.tolist()):
            start = number * self._frame_bytes
            speech = is_loud and self._vad.is_speech(
                buffered[start : start + self._frame_bytes], self.samplerate
            )
            change = self.smoother.push(bool(speech))
            if change is not None:
                assert self.smoother.offset_s is not None
                transitions.append((self.smoother.offset_s, change))
        return transitions

    def end(self) -> list[tuple[float, bool]]:
        if self.smoother.end() is False:
            assert self.smoother.offset_s is not None
            return [(self.smoother.offset_s, False)]
        return []


class Recorder:
    """Records one segment at a time from one input device into ``folder``."""

    def __init__(
        self,
        folder: Path,
        device: str | int | None = None,
        samplerate: int = 48000,
        voice: bool = True,
    ) -> None:
        self.folder = Path(folder)
        self.device = device
        self.samplerate = samplerate
        self.voice = voice
        self._lock = threading.Lock()  # guards the fields below and the status
        self._stream_lock = threading.Lock()  # one thread at a time stops/closes the stream
        self._stream: Any = None
        self._thread: threading.Thread | None = None
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._stopping = False
        self._overflows = 0  # written by the PortAudio callback only
        self._transitions: list[tuple[float, bool]] = []
        self._status = RecorderStatus(False, None, 0.0, SILENT_DB, SILENT_DB, 0, False, None)
        self._result: Stopped | None = None

    # --- the UI's side ------------------------------------------------------------------

    def start(self, segment_name: str) -> Started:
        """Start recording a new segment ``folder / segment_name``.

        Raises ``AudioUnavailable`` (with a message for the user) when PortAudio is missing,
        there is no such device, or the stream cannot be opened; then nothing is left
        running and no file is left behind.
        """
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise RuntimeError("already recording: stop() first")
        self.stop()  # a segment that ended by itself: join its thread
        problem = portaudio_problem()
        if problem is not None:
            raise AudioUnavailable(problem)
        import sounddevice as sd

        try:
            device = resolve_device(self.device, rescan_first=True)
        except sd.PortAudioError as error:
            raise AudioUnavailable(_cannot_open(str(self.device or ""), error)) from None
        path = self.folder / segment_name
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            writer = SegmentWriter(path, self.samplerate)
        except (OSError, AudioWriteError) as error:
            reason = error.strerror if isinstance(error, OSError) else str(error)
            raise AudioUnavailable(
                _(
                    "The recording file {path} cannot be created: {reason}",
                    path=path,
                    reason=reason or error,
                )
            ) from None
        self._queue = queue.SimpleQueue()
        self._overflows = 0
        self._stopping = False
        analyser = _Analyser(self.samplerate, self.voice)
        try:
            stream = sd.RawInputStream(
                device=device.index,
                channels=1,
                dtype="int16",
                samplerate=self.samplerate,
                blocksize=self.samplerate // 10,
                latency="high",
                callback=self._callback,
                finished_callback=self._finished,
            )
        except (sd.PortAudioError, ValueError) as error:
            _discard(writer)
            raise AudioUnavailable(_cannot_open(device.name, error)) from None
        thread = threading.Thread(
            target=self._write_loop,
            args=(stream, writer, analyser),
            name=f"recorder {segment_name}",
            daemon=True,
        )
        with self._lock:
            self._stream = stream
            self._thread = thread
            self._result = None
            self._transitions = []
            self._status = RecorderStatus(True, path, 0.0, SILENT_DB, SILENT_DB, 0, False, None)
        thread.start()
        try:
            stream.start()
        except Exception as error:
            # Nothing half-started: the thread ends on _STOP, the empty file goes.
            self._stopping = True
            self._close_stream(abort=True)
            self._queue.put(_STOP)
            thread.join(JOIN_TIMEOUT_S)
            with self._lock:
                self._thread = None
                self._status = replace(self._status, recording=False, path=None)
            _discard(writer)
            raise AudioUnavailable(_cannot_open(device.name, error)) from None
        return Started(path, device.name, self.samplerate)

    def status(self) -> RecorderStatus:
        with self._lock:
            return replace(self._status, overflows=self._overflows)

    def drain_voice(self) -> list[tuple[float, bool]]:
        """The voice transitions since the last call: (seconds into the segment, speaking)."""
        with self._lock:
            transitions, self._transitions = self._transitions, []
        return transitions

    def stop(self) -> Stopped:
        """Stop the segment (idempotent): the audio queued is written, the file closed."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return self._result or Stopped(self._status.path, self._status.seconds, 0, 0)
            self._stopping = True
        self._close_stream(abort=False)
        self._queue.put(_STOP)
        thread.join(JOIN_TIMEOUT_S)
        with self._lock:
            if thread.is_alive():  # the disk hangs: give up waiting, the thread finishes later
                self._status = replace(
                    self._status,
                    recording=False,
                    error=_("The recording did not finish writing in time."),
                )
            self._thread = None
            status = self._status
            return self._result or Stopped(status.path, status.seconds, 0, self._overflows)

    # --- PortAudio's thread: copy and count, nothing else ---------------------------------

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        self._queue.put(bytes(indata))
        if status.input_overflow:
            self._overflows += 1

    def _finished(self) -> None:
        self._queue.put(_FINISHED)

    # --- the writer thread --------------------------------------------------------------

    def _write_loop(self, stream: Any, writer: SegmentWriter, analyser: _Analyser) -> None:
        error: str | None = None
        started = time.monotonic()
        last_block: float | None = None
        last_flush = started
        try:
            while True:
                try:
                    item = self._queue.get(timeout=0.25)
                except queue.Empty:
                    item = None
                now = time.monotonic()
                if item is _STOP:
                    break
                if item is _FINISHED:
                    if self._stopping:
                        continue  # stop() stopped it: _STOP follows
                    error = _lost_message()
                    break
                if isinstance(item, bytes):
                    writer.write(item)
                    last_block = now
                    level_db, peak_db, transitions = analyser.block(item)
                    with self._lock:
                        self._status = replace(
                            self._status,
                            seconds=writer.seconds,
                            level_db=level_db,
                            peak_db=peak_db,
                            speaking=analyser.smoother.speaking,
                        )
                        self._transitions.extend(transitions)
                if now - last_flush >= FLUSH_EVERY_S:
                    writer.flush()
                    last_flush = now
                if not self._stopping and (
                    (last_block is None and now - started > FIRST_BLOCK_WAIT_S)
                    or (last_block is not None and now - last_block > LOST_AFTER_S)
                ):
                    error = _lost_message()
                    break
        except AudioWriteError as failure:
            error = _(
                "Recording stopped: {reason}. Audio recorded until then is kept.",
                reason=failure,
            )
        except Exception as failure:  # a bug must not leave the file open and the UI blind
            error = _(
                "Recording stopped: {reason}. Audio recorded until then is kept.",
                reason=failure,
            )
        if error is not None:
            self._close_stream(abort=True)
            # What PortAudio delivered before it stopped is audio too.
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, bytes) and not writer.closed:
                    try:
                        writer.write(item)
                    except AudioWriteError:
                        break
                    late = analyser.block(item)[2]
                    with self._lock:
                        self._transitions.extend(late)
        try:
            writer.close()
        except AudioWriteError as failure:
            error = error or _(
                "Recording stopped: {reason}. Audio recorded until then is kept.",
                reason=failure,
            )
        transitions = analyser.end()
        with self._lock:
            self._transitions.extend(transitions)
            self._result = Stopped(writer.path, writer.seconds, writer.frames, self._overflows)
            self._status = replace(
                self._status,
                recording=False,
                seconds=writer.seconds,
                level_db=SILENT_DB,
                peak_db=SILENT_DB,
                speaking=False,
                error=error,
            )

    def _close_stream(self, abort: bool) -> None:
        with self._stream_lock:
            stream, self._stream = self._stream, None
            if stream is None:
                return
            try:
                if abort:
                    stream.abort()
                else:
                    stream.stop()
            except Exception:
                pass  # a stream whose device is gone may refuse: closing is what matters
            try:
                stream.close()
            except Exception:
                pass


def _lost_message() -> str:
    return _(
        "The microphone stopped delivering sound (unplugged?). Audio recorded until then is kept."
    )


def _cannot_open(name: str, error: object) -> str:
    return _("The microphone {name} cannot be opened: {reason}", name=name, reason=error)


def _discard(writer: SegmentWriter) -> None:
    """Remove a segment file that never got any audio (recording did not start)."""
    try:
        writer.close()
    except AudioWriteError:
        pass
    if writer.frames == 0:
        try:
            writer.path.unlink()
        except OSError:
            pass
