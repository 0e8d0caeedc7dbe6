"""The live view's recording: consent first, every fact an event, the device kept at arm's length.

``Recording`` sits between a ``LiveSession`` and the device layer (``facilitator.audio``):
it starts the recorder only when every participant present has consented, writes the
start and the end of each segment and the voice activity as events (so the summary and
the exports know exactly what audio exists and where it sits on the session clock), and
turns what goes wrong with the device into a notice while the session goes on.

Recording stops for a break and starts again, in a new segment, when the break ends; it
stops when consent is withdrawn or someone arrives who has not consented, when the
session ends and when the view closes. A segment left open by a killed process is
repaired (the WAV header set to the audio that reached the disk) and closed on the next
start of the moderator's view.

The device layer is imported only when recording is wanted, so the app runs without
PortAudio: recording is then off, with a message that says what to install.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facilitator.core.audio import AUDIO_DIR, missing_consent, quiet_speaker
from facilitator.core.timefmt import clock
from facilitator.i18n import _
from facilitator.services.live import LiveSession

LEVEL_FLOOR_DB = -60.0  # the meter's left end


@dataclass(frozen=True)
class Meter:
    """What the level meter shows, read about ten times a second."""

    recording: bool
    seconds: float = 0.0
    level_db: float = -math.inf
    peak_db: float = -math.inf
    overflows: int = 0
    speaking: bool = False
    device: str = ""
    remote: bool = False  # recorded by another process (the moderator's): no level here


class Recording:
    def __init__(self, live: LiveSession, device: str | int | None = None, recorder: Any = None):
        self.live = live
        self.device = device
        self._recorder = recorder  # a stand-in for tests of the logic; else made when needed
        self._problem: str | None = None
        self._problem_checked = recorder is not None
        self.resume_after_pause = False
        self.device_name = ""
        self.file = ""
        self.start_s = 0.0
        self.notices: list[str] = []
        self.device_problem: str | None = None  # why the last start failed (no microphone...)

    # --- availability -------------------------------------------------------------------------

    def problem(self) -> str | None:
        """Why recording is not possible on this machine (PortAudio missing), or None."""
        if not self._problem_checked:
            from facilitator.audio.devices import portaudio_problem

            self._problem = portaudio_problem()
            self._problem_checked = True
        return self._problem

    @property
    def recording(self) -> bool:
        return bool(self.file)

    @property
    def folder(self) -> Path:
        return self.live.store.path / AUDIO_DIR

    def _make_recorder(self) -> Any:
        if self._recorder is None:
            from facilitator.audio.recorder import Recorder

            voice = self.live.guide.settings.voice_assist >= 0.5
            self._recorder = Recorder(self.folder, device=self.device, voice=voice)
        return self._recorder

    def set_device(self, device: str | int | None) -> None:
        """Record from another input device, from the next start on."""
        if self.recording:
            raise RuntimeError("stop the recording before changing the device")
        self.device = device
        self._recorder = None

    # --- after a crash ---------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Close a segment a killed process left open: repair its file, record its real end."""
        segment = self.live.state.audio.current
        if segment is None or not self.live.owns_clock or self.live.read_only:
            return []
        path = self.live.store.path / segment.file
        seconds = 0.0
        if path.exists():
            from facilitator.audio.wav import repair

            try:
                seconds = repair(path).seconds
            except (OSError, ValueError):
                seconds = 0.0
        now_s = self.live.state.session_s(self.live.now())
        end_s = min(now_s, segment.start_s + seconds)
        self.live.recording_stopped(segment.file, end_s, "crash")
        message = _(
            "The recording was interrupted when the app stopped; {duration} of audio "
            "was kept in {file}. Press r to record again.",
            duration=clock(seconds),
            file=segment.file,
        )
        self.notices.append(message)
        return [message]

    # --- the r key -----------------------------------------------------------------------------

    def toggle(self) -> str:
        """Start or stop; the message to show the moderator."""
        if self.recording:
            file = self.file
            seconds = self.stop("stop")
            return _("Recording stopped: {duration} in {file}.", duration=clock(seconds), file=file)
        return self.start()

    def refusal(self) -> str | None:
        """Why a recording may not start now, or None."""
        state = self.live.state
        if self.live.read_only or not self.live.owns_clock:
            return _("Only the moderator's view records.")
        if state.ended:
            return _("The session has ended.")
        if state.paused:
            return _("The session is paused: recording starts again when it resumes.")
        missing = missing_consent(state)
        if missing:
            return _(
                "Not recording: no recording consent from {who}. Tick it in the checklist (c).",
                who=", ".join(f"{p.id} {p.label}" for p in missing),
            )
        return self.problem()

    def start(self) -> str:
        refusal = self.refusal()
        if refusal is not None:
            return refusal
        from facilitator.audio.devices import AudioUnavailable

        state = self.live.state
        number = len(state.audio.segments) + 1
        name = f"rec-{number:03d}.wav"
        while (self.folder / name).exists():
            number += 1
            name = f"rec-{number:03d}.wav"
        recorder = self._make_recorder()
        try:
            started = recorder.start(name)
        except AudioUnavailable as error:
            self.device_problem = str(error)
            return self.device_problem
        except OSError as error:  # the folder could not be made: the disk
            return _("Not recording: {error}", error=error)
        self.file = f"{AUDIO_DIR}/{name}"
        self.device_problem = None
        self.device_name = str(getattr(started, "device_name", ""))
        self.start_s = state.session_s(self.live.now())
        try:
            self.live.recording_started(self.file, self.start_s, self.device_name)
        except Exception:
            recorder.stop()  # not recorded as started: do not record at all
            self.file = ""
            raise
        self.resume_after_pause = False
        return _("Recording to {file} from {device}.", file=self.file, device=self.device_name)

    def stop(self, reason: str, message: str = "") -> float:
        """Stop, keep what was recorded, and record the segment's end. Returns its seconds."""
        if not self.recording:
            return 0.0
        recorder = self._make_recorder()
        stopped = recorder.stop()
        self._take_voice(recorder)
        seconds = float(getattr(stopped, "seconds", 0.0))
        overflows = int(getattr(stopped, "overflows", 0))
        file, self.file = self.file, ""
        end_s = self.start_s + seconds
        if self.live.state.audio.speaking():
            self.live.voice(False, end_s)
        self.live.recording_stopped(file, end_s, reason, overflows, message)
        return seconds

    # --- about ten times a second ----------------------------------------------------------------

    def poll(self) -> list[str]:
        """Take in the recorder's news; the notices to show (device lost, consent, a break)."""
        notices, self.notices = self.notices, []
        state = self.live.state
        if not self.recording:
            if self.resume_after_pause and not state.paused and not state.ended:
                self.resume_after_pause = False
                message = self.start()
                notices.append(message)
            return notices
        recorder = self._make_recorder()
        self._take_voice(recorder)
        status = recorder.status()
        if status.error:
            reason = "write" if status.write_error else "lost"
            seconds = self.stop(reason, status.error)
            notices.append(
                _(
                    "{problem} Recording stopped after {duration}; press r to record again.",
                    problem=status.error,
                    duration=clock(seconds),
                )
            )
        elif state.ended:
            self.stop("end")
        elif state.paused:
            self.stop("pause")
            self.resume_after_pause = True
            notices.append(_("Recording paused for the break; it goes on when the break ends."))
        else:
            missing = missing_consent(state)
            if missing:
                self.stop("consent")
                notices.append(
                    _(
                        "Recording stopped: no recording consent from {who}.",
                        who=", ".join(f"{p.id} {p.label}" for p in missing),
                    )
                )
            else:
                self._auto_close()
        return notices

    def _take_voice(self, recorder: Any) -> None:
        if self.live.guide.settings.voice_assist < 0.5:
            recorder.drain_voice()
            return
        for offset_s, on in recorder.drain_voice():
            self.live.voice(bool(on), self.start_s + float(offset_s))

    def _auto_close(self) -> None:
        settings = self.live.guide.settings
        if settings.voice_auto_close < 0.5 or settings.voice_close_after_s <= 0:
            return
        now_s = self.live.state.session_s(self.live.now())
        quiet = quiet_speaker(self.live.state, now_s)
        if quiet is not None and quiet[1] >= settings.voice_close_after_s:
            self.live.speak(None)

    def meter(self) -> Meter:
        if not self.recording:
            return Meter(recording=False, device=self.device_name)
        status = self._make_recorder().status()
        return Meter(
            recording=True,
            seconds=float(status.seconds),
            level_db=float(status.level_db),
            peak_db=float(status.peak_db),
            overflows=int(status.overflows),
            speaking=bool(status.speaking),
            device=self.device_name,
        )

    def close(self) -> None:
        """The view closes: the segment ends with it (a clean stop, not a crash)."""
        if self.recording:
            self.stop("closed")
