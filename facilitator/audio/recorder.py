"""Capture from a microphone into WAV segments, off the UI thread.

The PortAudio callback only copies each block (100 ms), counts overflows, and hands the
blocks over a second at a time to a writer thread of the recorder's own, which sleeps until
then: it writes them into a ``SegmentWriter`` and flushes it (so a crash loses at most
about a second), measures their level (the RMS of the loudest 100 ms block and the peak, in
dBFS), and decides voice activity per 30 ms frame (WebRTC's VAD, smoothed by
``VoiceSmoother``, dated by frame in the segment). Each wake-up of a Python thread costs
more than the arithmetic on the blocks (see ``_Analyser``), and twice a second doubled the
recorder's own CPU, so the level meter follows at that pace, once a second. The UI reads
``status()`` (a snapshot, thread-safe) and ``drain_voice()`` as often as it likes; nothing
here blocks it for long or raises into it once a segment has started: a lost device or a
full disk stop the segment cleanly, keep what was recorded, and show in ``status().error``.

``latency='high'`` and blocks of a tenth of a second: PortAudio's defaults burn a fifth of
a core and lose frames; these use well under one percent.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from facilitator.audio.devices import (
    AudioUnavailable,
    InputDevice,
    portaudio_problem,
    resolve_device,
)
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
BATCH_S = 1.0  # the callback hands the blocks over this often (and the level meter follows)

_STOP = object()  # write what is queued, then end
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
    level_db: float  # RMS of the loudest 100 ms block of the last second, dBFS (SILENT_DB at least)
    peak_db: float  # peak of the last block, dBFS
    overflows: int  # blocks PortAudio reported as overflowed (frames lost)
    speaking: bool
    error: str | None  # why the last segment stopped by itself, translated
    write_error: bool = False  # it stopped because the file could not be written (the disk)


def _db(value: float) -> float:
    return max(SILENT_DB, 20.0 * math.log10(value / 32768.0)) if value > 0 else SILENT_DB


class _Analyser:
    """Level and voice activity of one segment's audio (runs in the writer thread).

    Measured here, a wake-up of the writer thread costs far more than the arithmetic: a
    numpy call on a thread that has slept takes 30-40 µs, against 1-5 µs when warm. So each
    second's audio goes through one pass of a few numpy calls, whatever its length, into
    buffers allocated (and touched) once when the segment starts: nothing is allocated per
    second but the small arrays of results, and the heap stays flat.

    The level is the RMS of the loudest 100 ms block and the peak, in dBFS. Voice activity
    is decided per 30 ms frame, dated by frame in the segment (a partial frame waits for
    the next audio). Frames quieter than ``VAD_FLOOR_DB`` are not speech, whatever the VAD
    would say; the others go to WebRTC's VAD at 16 kHz (the mean of each 3 samples, when
    recording at 48 kHz): it works on 8 kHz features whatever it is given, and its own
    48 kHz resampler costs about nine times as much as its 16 kHz path (21 against 2.4 µs a
    frame); on speech, plain and in noise, the two agree on 97-98 % of the frames.
    """

    def __init__(self, samplerate: int, voice: bool) -> None:
        import numpy

        self._np = numpy
        self.samplerate = samplerate
        self.voice = voice and samplerate in VAD_RATES
        self.frame_samples = size = int(samplerate * VAD_FRAME_S)
        self._block = max(1, samplerate // 10)
        # 48 kHz is decimated by 3 for the VAD; the other rates it takes as they are
        self._step = step = 3 if samplerate == 48000 else 1
        self._vad_rate = samplerate // step
        self._floor_energy = (32768.0 * 10 ** (VAD_FLOOR_DB / 20)) ** 2
        self.smoother = VoiceSmoother(frame_s=VAD_FRAME_S)
        self._vad: Any = None
        if not self.voice:
            return
        import webrtcvad

        self._vad = webrtcvad.Vad(2)
        # A batch of audio (in whole blocks) and the partial frame before it; more audio
        # comes in pieces of this.
        self._chunk = self._block * max(1, round(BATCH_S * 10))
        capacity = self._chunk + size
        frames = capacity // size
        self._loudest = 0.0  # the mean energy of the loudest block of the last piece
        self._block_energy = numpy.ones(capacity // self._block + 1, dtype=numpy.float32)
        self._pending = 0  # samples of a partial frame at the start of _work, carried over
        # ones, not zeros: calloc's pages would be touched (and counted) only while recording
        self._work = numpy.ones(capacity, dtype=numpy.float32)  # the audio as float32
        self._energy = numpy.ones(frames, dtype=numpy.float32)  # mean energy per frame
        self._loud = numpy.ones(frames, dtype=bool)
        self._sums = numpy.ones(capacity // step, dtype=numpy.float32)  # for decimating
        self._pcm = numpy.ones(capacity // step, dtype=numpy.int16)  # what the VAD gets
        self._pcm_bytes = self._pcm.data.cast("B")

    def analyse(self, audio: bytes) -> tuple[float, float, list[tuple[float, bool]]]:
        """The level and peak of ``audio`` (dBFS), and the voice transitions it completes."""
        np = self._np
        samples = np.frombuffer(audio, dtype=np.int16)
        if samples.size == 0:
            return SILENT_DB, SILENT_DB, []
        peak = float(max(-int(samples.min()), int(samples.max())))
        if not self.voice:
            block = self._block
            whole = samples.size - samples.size % block
            rows = samples[:whole].reshape(-1, block) if whole else samples.reshape(1, -1)
            energy = float(np.einsum("ij,ij->i", rows, rows, dtype=np.float64).max())
            return _db(math.sqrt(energy / rows.shape[1])), _db(peak), []
        loudest = 0.0
        transitions: list[tuple[float, bool]] = []
        for begin in range(0, samples.size, self._chunk):
            transitions += self._vad_chunk(samples[begin : begin + self._chunk])
            loudest = max(loudest, self._loudest)
        return _db(math.sqrt(loudest)), _db(peak), transitions

    def feed(self, audio: bytes) -> list[tuple[float, bool]]:
        """Voice activity only: the transitions that ``audio`` completes."""
        if not self.voice or not audio:
            return []
        samples = self._np.frombuffer(audio, dtype=self._np.int16)
        transitions: list[tuple[float, bool]] = []
        for begin in range(0, samples.size, self._chunk):
            transitions += self._vad_chunk(samples[begin : begin + self._chunk])
        return transitions

    def end(self) -> list[tuple[float, bool]]:
        """The audio has ended: end speech still going on (a last partial frame is not one)."""
        transitions: list[tuple[float, bool]] = []
        if self.smoother.end() is False:
            assert self.smoother.offset_s is not None
            transitions.append((self.smoother.offset_s, False))
        return transitions

    def _vad_chunk(self, samples: Any) -> list[tuple[float, bool]]:
        """Voice activity of the whole frames of what is pending and ``samples`` (at most
        ``_chunk`` of them): the transitions they complete."""
        np = self._np
        size, step = self.frame_samples, self._step
        work, pending = self._work, self._pending
        total = pending + samples.size
        work[pending:total] = samples
        # the level: the loudest block (float32 sums: within 1e-6 dB of exact ones)
        blocks = samples.size // self._block
        if blocks:
            rows = work[pending : pending + blocks * self._block].reshape(blocks, self._block)
            block_energy = self._block_energy[:blocks]
            np.einsum("ij,ij->i", rows, rows, out=block_energy)
            self._loudest = float(block_energy.max()) / self._block
        else:  # less than a block: all of it
            part = work[pending:total]
            self._loudest = float(np.einsum("i,i->", part, part)) / samples.size
        count = total // size
        whole = count * size
        if count:
            frames = work[:whole].reshape(count, size)
            energy, loud = self._energy[:count], self._loud[:count]
            np.einsum("ij,ij->i", frames, frames, out=energy)
            np.divide(energy, size, out=energy)
            np.greater_equal(energy, self._floor_energy, out=loud)
            decisions = loud.tolist()
        else:
            decisions = []
        if any(decisions):
            # every frame decimated in one pass (cheaper than picking the loud ones first);
            # the mean of 3 truncated to int16, as the VAD gets it
            sums = self._sums[: whole // step]
            if step > 1:
                # strided adds: numpy's reductions over an axis of 3 cost five times as much
                np.add(work[0:whole:3], work[1:whole:3], out=sums)
                np.add(sums, work[2:whole:3], out=sums)
                np.divide(sums, step, out=sums)
                self._pcm[: whole // step] = sums
            else:
                self._pcm[:whole] = work[:whole]
        self._pending = total - whole
        if self._pending:
            work[: self._pending] = work[whole:total]
        smoother = self.smoother
        if not any(decisions):  # all quiet (or no whole frame): one step
            if smoother.push_quiet(len(decisions)) is None:
                return []
            assert smoother.offset_s is not None
            return [(smoother.offset_s, False)]
        pcm, frame_bytes = self._pcm_bytes, size // step * 2
        is_speech, push, rate = self._vad.is_speech, smoother.push, self._vad_rate
        transitions = []
        for index, is_loud in enumerate(decisions):
            speech = is_loud and is_speech(
                pcm[index * frame_bytes : (index + 1) * frame_bytes], rate
            )
            change = push(bool(speech))
            if change is not None:
                assert smoother.offset_s is not None
                transitions.append((smoother.offset_s, change))
        return transitions


class _Capture:
    """What one segment's PortAudio callback and writer thread share, and nothing else: a
    thread of an earlier segment that is still finishing never sees the next one's.

    The callback gathers the blocks and hands them over a second at a time (``BATCH_S``):
    putting them into the queue one by one would wake the writer thread ten times a
    second, and a wake-up costs more than the work on a block. So the writer thread sleeps
    until a second of audio has come, woken by the callback (not by a timer, which costs
    twice as much here), or by ``stop()`` or the stream ending.
    """

    def __init__(self, batch_blocks: int) -> None:
        self.queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.batch_blocks = max(1, batch_blocks)
        self.blocks: list[bytes] = []  # the callback's, until it hands them over
        self.rest_lock = threading.Lock()  # one thread at a time hands over the rest
        self.stopping = False  # stop() was called: the stream ending is no loss
        self.overflows = 0  # written by the PortAudio callback only
        self.last_block: float | None = None  # when the last block came (monotonic)
        self.stream: Any = None
        self.stream_lock = threading.Lock()  # one thread at a time stops and closes it

    # PortAudio's thread: copy, count, and a second at a time hand over; nothing else.
    def callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        blocks = self.blocks
        blocks.append(bytes(indata))
        self.last_block = time.monotonic()
        if status and status.input_overflow:
            self.overflows += 1
        if len(blocks) >= self.batch_blocks:
            self.blocks = []
            self.queue.put(blocks)

    def hand_over_rest(self) -> None:
        """The blocks not handed over yet, into the queue: once the stream is stopped (the
        callback runs no more), or from PortAudio's thread when the stream has ended."""
        with self.rest_lock:
            blocks, self.blocks = self.blocks, []
            if blocks:
                self.queue.put(blocks)

    def finished(self) -> None:
        self.hand_over_rest()
        self.queue.put(_FINISHED)

    def close_stream(self, abort: bool) -> None:
        with self.stream_lock:
            stream, self.stream = self.stream, None
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

    def end(self) -> None:
        """Ask the writer thread to write what is queued and finish (the stream is closed)."""
        self.hand_over_rest()
        self.queue.put(_STOP)


class Recorder:
    """Records one segment at a time from one input device into ``folder``.

    ``start``, ``stop``, ``status`` and ``drain_voice`` are for one controlling thread (the
    UI's, or a worker of it); ``status`` and ``drain_voice`` may be called from any thread.
    """

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
        self._lock = threading.Lock()  # guards the fields below
        self._capture: _Capture | None = None
        self._thread: threading.Thread | None = None
        self._transitions: list[tuple[float, bool]] = []
        self._status = RecorderStatus(False, None, 0.0, SILENT_DB, SILENT_DB, 0, False, None)
        self._result: Stopped | None = None
        self._rescan_next = False  # read PortAudio's device list again before the next start

    # --- the UI's side ------------------------------------------------------------------

    def start(self, segment_name: str) -> Started:
        """Start recording a new segment ``folder / segment_name``.

        Raises ``AudioUnavailable`` (with a message for the user) when PortAudio is missing,
        there is no such device, or the stream cannot be opened; then nothing is left
        running and no file is left behind.
        """
        with self._lock:
            if self._thread is not None and self._status.recording:
                raise RuntimeError("already recording: stop() first")
        self.stop()  # a segment that ended by itself: join its thread
        with self._lock:
            if self._thread is not None:  # stop() could not join it: the disk hangs
                raise AudioUnavailable(
                    _("The previous recording is still being written. Try again in a moment.")
                )
        problem = portaudio_problem()
        if problem is not None:
            raise AudioUnavailable(problem)
        analyser = _Analyser(self.samplerate, self.voice)  # numpy and the VAD, imported
        capture = _Capture(round(BATCH_S * 10))  # blocks of a tenth of a second
        capture.stream, device = self._open_stream(capture)
        path = self.folder / segment_name
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            writer = SegmentWriter(path, self.samplerate)
        except (OSError, AudioWriteError) as error:
            capture.close_stream(abort=True)
            reason = error.strerror if isinstance(error, OSError) else str(error)
            raise AudioUnavailable(
                _(
                    "The recording file {path} cannot be created: {reason}",
                    path=path,
                    reason=reason or error,
                )
            ) from None
        thread = threading.Thread(
            target=self._write_loop,
            args=(capture, writer, analyser),
            name=f"recorder {segment_name}",
            daemon=True,
        )
        with self._lock:
            self._capture = capture
            self._thread = thread
            self._result = None
            self._transitions = []
            self._status = RecorderStatus(True, path, 0.0, SILENT_DB, SILENT_DB, 0, False, None)
        thread.start()
        try:
            capture.stream.start()
        except Exception as error:
            # Nothing half-started: the thread ends, the empty file goes.
            capture.stopping = True
            capture.close_stream(abort=True)
            capture.end()
            thread.join(JOIN_TIMEOUT_S)
            _discard(writer)
            with self._lock:
                self._thread = None
                self._result = None
                self._status = RecorderStatus(
                    False, None, 0.0, SILENT_DB, SILENT_DB, 0, False, None
                )
            raise AudioUnavailable(_cannot_open(device.name, error)) from None
        return Started(path, device.name, self.samplerate)

    def microphone_problem(self, rescan: bool = False) -> str | None:
        """Why the device the setting names cannot be found now (no microphone at all, no
        such number or name), or None. ``rescan`` reads PortAudio's list afresh first (for a
        microphone plugged in since; only while nothing records)."""
        with self._lock:
            recording = self._thread is not None and self._status.recording
        try:
            resolve_device(self.device, rescan_first=rescan and not recording)
        except AudioUnavailable as error:
            return str(error)
        return None

    def _open_stream(self, capture: _Capture) -> tuple[Any, InputDevice]:
        """Open the input stream (not started) on the device the setting names.

        PortAudio's list of devices is read again only when it may be stale: the device was
        lost last time, or the setting names nothing in the list, or the device will not
        open. (Restarting PortAudio silences the process's stderr for some 30 ms, which is
        where Textual draws.)
        """
        import sounddevice as sd

        rescanned = self._rescan_next
        while True:
            name = str(self.device if self.device is not None else "")
            try:
                device = resolve_device(self.device, rescan_first=rescanned)
                name = device.name
                stream = sd.RawInputStream(
                    device=device.index,
                    channels=1,
                    dtype="int16",
                    samplerate=self.samplerate,
                    blocksize=self.samplerate // 10,
                    latency="high",
                    callback=capture.callback,
                    finished_callback=capture.finished,
                )
            except (AudioUnavailable, sd.PortAudioError, ValueError) as error:
                if not rescanned:
                    rescanned = True
                    continue
                if isinstance(error, AudioUnavailable):
                    raise
                raise AudioUnavailable(_cannot_open(name, error)) from None
            self._rescan_next = False
            return stream, device

    def status(self) -> RecorderStatus:
        with self._lock:
            capture = self._capture
            status = self._status
            if capture is None or not status.recording or capture.overflows == status.overflows:
                return status
            self._status = status = replace(status, overflows=capture.overflows)
            return status

    def drain_voice(self) -> list[tuple[float, bool]]:
        """The voice transitions since the last call: (seconds into the segment, speaking)."""
        with self._lock:
            transitions, self._transitions = self._transitions, []
        return transitions

    def stop(self) -> Stopped:
        """Stop the segment (idempotent): the audio queued is written, the file closed."""
        with self._lock:
            thread, capture = self._thread, self._capture
            if thread is None or capture is None:
                return self._result or Stopped(self._status.path, self._status.seconds, 0, 0)
        capture.stopping = True
        capture.close_stream(abort=False)
        capture.end()
        thread.join(JOIN_TIMEOUT_S)
        with self._lock:
            if thread.is_alive():  # the disk hangs: the thread finishes later, by itself
                self._status = replace(
                    self._status,
                    recording=False,
                    error=_("The recording did not finish writing in time."),
                )
                status = self._status
                return Stopped(status.path, status.seconds, 0, capture.overflows)
            self._thread = None
            status = self._status
            return self._result or Stopped(status.path, status.seconds, 0, capture.overflows)

    # --- the writer thread --------------------------------------------------------------

    def _write_loop(self, capture: _Capture, writer: SegmentWriter, analyser: _Analyser) -> None:
        error: str | None = None
        write_error = False
        started = time.monotonic()
        last_flush = started
        get, get_nowait, empty = capture.queue.get, capture.queue.get_nowait, capture.queue.empty
        try:
            while error is None:
                # Woken by the callback about once a second (BATCH_S), by stop(), by the
                # stream ending; by the timeout only when the device stops delivering.
                last_block = capture.last_block
                if capture.stopping:
                    wait_s = JOIN_TIMEOUT_S
                elif last_block is None:  # blocks may come, and stop, before a second has
                    wait_s = min(started + FIRST_BLOCK_WAIT_S - time.monotonic(), LOST_AFTER_S)
                else:
                    wait_s = last_block + LOST_AFTER_S - time.monotonic()
                try:
                    items = [get(timeout=max(wait_s, 0.0) + 0.05)]
                except queue.Empty:
                    items = []
                while not empty():
                    items.append(get_nowait())
                now = time.monotonic()
                stop = False
                arrived: list[bytes] = []
                for item in items:
                    if item is _STOP:
                        stop = True
                        break
                    if item is _FINISHED:
                        if not capture.stopping:
                            error = _lost_message()
                            break
                        continue  # stop() stopped it: _STOP follows
                    assert isinstance(item, list)
                    arrived += item
                if arrived:
                    audio = b"".join(arrived) if len(arrived) > 1 else arrived[0]
                    writer.write(audio)
                    level_db, peak_db, transitions = analyser.analyse(audio)
                    status = RecorderStatus(
                        recording=True,
                        path=writer.path,
                        seconds=writer.seconds,
                        level_db=level_db,
                        peak_db=peak_db,
                        overflows=capture.overflows,
                        speaking=analyser.smoother.speaking,
                        error=None,
                    )
                    with self._lock:
                        self._status = status
                        self._transitions.extend(transitions)
                if stop or error is not None:
                    break
                if arrived and now - last_flush >= FLUSH_EVERY_S - BATCH_S / 2:
                    writer.flush()
                    last_flush = now
                last_block = capture.last_block
                if not capture.stopping and (
                    (last_block is None and now - started > FIRST_BLOCK_WAIT_S)
                    or (last_block is not None and now - last_block > LOST_AFTER_S)
                ):
                    error = _lost_message()
                    break
        except AudioWriteError as failure:
            error, write_error = _write_failed(failure), True
        except Exception as failure:  # a bug must not leave the file open and the UI blind
            error = _(
                "Recording stopped by an error: {reason}. The audio recorded until then is kept.",
                reason=failure,
            )
        if error is not None:
            capture.close_stream(abort=True)
            self._write_leftovers(capture, writer, analyser)
        try:
            writer.close()
        except AudioWriteError as failure:
            if error is None:
                error, write_error = _write_failed(failure), True
        transitions = analyser.end()
        with self._lock:
            if error is not None and not capture.stopping:
                self._rescan_next = True  # the device may be gone, or back as another
            self._transitions.extend(transitions)
            self._result = Stopped(writer.path, writer.seconds, writer.frames, capture.overflows)
            self._status = RecorderStatus(
                recording=False,
                path=writer.path,
                seconds=writer.seconds,
                level_db=SILENT_DB,
                peak_db=SILENT_DB,
                overflows=capture.overflows,
                speaking=False,
                error=error,
                write_error=write_error,
            )

    def _write_leftovers(
        self, capture: _Capture, writer: SegmentWriter, analyser: _Analyser
    ) -> None:
        """What PortAudio delivered before the segment failed is audio too."""
        capture.hand_over_rest()  # the stream is closed: the callback runs no more
        while not writer.closed:
            try:
                item = capture.queue.get_nowait()
            except queue.Empty:
                return
            if not isinstance(item, list):
                continue
            for block in item:
                try:
                    writer.write(block)
                except AudioWriteError:
                    return
                late = analyser.feed(block)
                with self._lock:
                    self._transitions.extend(late)


def _write_failed(failure: AudioWriteError) -> str:
    return _("{reason}. Recording stopped; the audio recorded until then is kept.", reason=failure)


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
