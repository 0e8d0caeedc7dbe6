"""Turning per-frame speech decisions into speech that starts and ends.

A voice-activity detector decides every 30 ms frame on its own: a door click is "speech"
for a frame or two, and a breath between two words is "silence" for a few. The smoother
says that speech *starts* once most of a short window is speech (about 120 ms of the last
240 ms), and that it *ends* only after a pause longer than the hangover (0.8 s by default),
so the pauses between words and sentences of one speaker do not split the speech.

Times are dated back to where the sound was, not where the decision was reached: a start at
the first speech frame of the window that triggered it, an end at the end of the last speech
frame. Offsets are counted in frames from the first frame pushed, so they are exact in the
recording's own time.

Plain Python: no device, no numpy; ``facilitator.audio.recorder`` feeds it.
"""

from __future__ import annotations

from collections import deque


class VoiceSmoother:
    """Per-frame speech decisions in, speech starts and ends out.

    ``push`` returns True when speech starts, False when it ends, None otherwise;
    ``offset_s`` is then the moment of that transition in seconds from the first frame.
    """

    def __init__(
        self,
        frame_s: float = 0.03,
        start_frames: int = 4,
        window_frames: int = 8,
        hangover_s: float = 0.8,
    ) -> None:
        if frame_s <= 0:
            raise ValueError("frame_s must be positive")
        if not 1 <= start_frames <= window_frames:
            raise ValueError("start_frames must be between 1 and window_frames")
        if hangover_s < 0:
            raise ValueError("hangover_s must not be negative")
        self.frame_s = frame_s
        self.start_frames = start_frames
        self.window_frames = window_frames
        # Speech ends after this many frames in a row without speech (at least one).
        self.hangover_frames = max(1, round(hangover_s / frame_s))
        self._window: deque[int] = deque(maxlen=window_frames)  # indexes of speech frames
        self._index = 0  # the index the next pushed frame gets
        self._speaking = False
        self._last_speech = -1  # index of the last speech frame while speaking
        self._offset_s: float | None = None

    @property
    def speaking(self) -> bool:
        return self._speaking

    @property
    def offset_s(self) -> float | None:
        """When the last transition happened (seconds from the first frame), or None."""
        return self._offset_s

    @property
    def frames(self) -> int:
        """How many frames have been pushed."""
        return self._index

    def push(self, is_speech: bool) -> bool | None:
        index = self._index
        self._index += 1
        if self._speaking:
            if is_speech:
                self._last_speech = index
                return None
            if index - self._last_speech >= self.hangover_frames:
                return self._end()
            return None
        if is_speech:
            self._window.append(index)
        # Only the speech frames among the last ``window_frames`` frames count.
        oldest = index - self.window_frames + 1
        while self._window and self._window[0] < oldest:
            self._window.popleft()
        if len(self._window) >= self.start_frames:
            self._speaking = True
            self._offset_s = self._window[0] * self.frame_s
            self._last_speech = self._window[-1]
            self._window.clear()
            return True
        return None

    def push_quiet(self, count: int) -> bool | None:
        """``count`` frames without speech: the same as ``push(False)`` that many times, in
        one step. Silence can only end speech (at the frame where the hangover runs out)."""
        if count <= 0:
            return None
        self._index += count
        last = self._index - 1
        if self._speaking:
            if last - self._last_speech >= self.hangover_frames:
                return self._end()
            return None
        oldest = last - self.window_frames + 1
        while self._window and self._window[0] < oldest:
            self._window.popleft()
        return None

    def end(self) -> bool | None:
        """The input ends (the recording stopped): end speech that is still going on.

        Returns False (with ``offset_s`` set) if speech was going on, else None.
        """
        return self._end() if self._speaking else None

    def _end(self) -> bool:
        self._speaking = False
        self._offset_s = (self._last_speech + 1) * self.frame_s
        self._window.clear()
        return False
