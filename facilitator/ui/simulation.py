"""A simulated session in the moderator's real live view: the script's lines played on a timer.

``SimulationApp`` is the live app (``FacilitatorApp``) with a driver: each script line is
played at its moment on the simulated clock (``simulate.ScaledClock``) through the live
screen's own ``_act``, the path a key press takes (record durably, then show), so a new
moderator sees exactly what the keys would have shown. The keys still work: the moderator
can take over at any moment, and after the last line the session goes on in real time.

The acknowledgement log (``FACILITATOR_ACK_LOG``, for the crash harness in
``bench/crash_harness.py``): after each frame the app hands to the terminal, the id of the
newest event in the state that frame was drawn from is appended to the log, if it changed.
The id is taken from the state the screen shows, not from the journal, so a program that
showed an event before it was durable would leave an id in the log that a kill can lose.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path

from facilitator.i18n import _
from facilitator.services.live import LiveSession
from facilitator.services.simulate import Playback, ScaledClock, ScriptLine, action_for
from facilitator.store.journal import StorageError
from facilitator.ui.app import FacilitatorApp
from facilitator.ui.screens.live import LiveScreen


class SimulationApp(FacilitatorApp):
    def __init__(
        self,
        live: LiveSession,
        playback: Playback,
        clock: ScaledClock,
        ack_log: Path | None = None,
        autoplay: bool = True,
    ) -> None:
        super().__init__(live=live)
        self.autoplay = autoplay  # False: the caller plays each line (``play_line``)
        self.playback = playback
        self.sim_clock = clock
        self.pending: deque[ScriptLine] = deque(playback.lines)
        if autoplay:
            clock.hold = playback.first_at  # the clock waits there for the first line
        self.played = 0
        self._ack_fd: int | None = None
        self._acked = ""
        if ack_log is not None:
            self._ack_fd = os.open(ack_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    # FacilitatorApp.on_mount (which pushes the live screen) runs too: Textual calls the
    # handler of every class in the MRO, this one first.
    def on_mount(self) -> None:
        if not self.autoplay:
            return
        name = Path(self.playback.script.file).name
        if self.pending and not self.live_state_ended():
            self.notify(
                _(
                    "Simulation of {script} at {speed:g}x: the script plays the keys; "
                    "yours work too.",
                    script=name,
                    speed=self.sim_clock.speed,
                ),
                timeout=6,
            )
        self._schedule()

    def live_state_ended(self) -> bool:
        assert self.live is not None
        return self.live.state.ended

    def _schedule(self) -> None:
        """Hold the clock at the next line's moment and wake up when it comes."""
        assert self.live is not None
        if not self.pending or self.live.read_only:
            self._finished()
            return
        at = self.playback.at(self.pending[0])
        self.sim_clock.hold = at
        # (a Textual timer of 0 s divides by zero: the next line is due at once, or soon)
        self.set_timer(max(0.001, self.sim_clock.seconds_until(at)), self._advance)

    def _advance(self) -> None:
        assert self.live is not None
        now = self.sim_clock.running_now()
        while self.pending and self.playback.at(self.pending[0]) <= now:
            line = self.pending.popleft()
            self.sim_clock.hold = self.playback.at(line)  # recorded at exactly its moment
            self.play_line(line)
            if self.live.read_only:  # ended, by the script or by the moderator
                self.pending.clear()
        self._schedule()

    def _live_screen(self) -> LiveScreen | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, LiveScreen) and screen.is_mounted:
                return screen
        return None

    def play_line(self, line: ScriptLine) -> None:
        """Play one line through the live screen, as its key would (the caller has set the
        clock to the line's moment)."""
        assert self.live is not None
        self.played += 1
        action = action_for(self.live, line)
        screen = self._live_screen()
        if screen is None:  # not on screen yet: it shows the state once it is mounted
            try:
                action()
            except StorageError as error:
                self.notify(str(error), severity="error")
            return
        screen._act(action)
        if line.action == "end" and self.live.state.ended:
            self.call_later(screen._show_summary)

    def _finished(self) -> None:
        self.sim_clock.hold = None
        if self.sim_clock.speed != 1.0:
            self.sim_clock.set_speed(1.0)
        if self.played and self.live is not None and not self.live.state.ended:
            self.notify(
                _("The script is over: the session goes on in real time, with your keys."),
                timeout=8,
            )

    # --- the acknowledgement log ---------------------------------------------------------------

    def _display(self, screen, renderable) -> None:
        super()._display(screen, renderable)
        if self._ack_fd is None or renderable is None or self._batch_count or self.live is None:
            return
        last = self.live.state.last_order  # (at, lc, writer, seq) of the newest event shown
        if not last:
            return
        shown = f"{last[2]}:{last[3]}"
        if shown != self._acked:
            os.write(self._ack_fd, (shown + "\n").encode())
            self._acked = shown


def make_simulation_app(
    live: LiveSession,
    playback: Playback,
    clock,
    ack_log: Path | None = None,
    autoplay: bool = True,
) -> SimulationApp:
    """The live app playing ``playback`` on ``clock`` (a ``ScaledClock``); with ``autoplay``
    False, on any clock: the caller steps the clock and calls ``play_line`` (benchmarks)."""
    return SimulationApp(live, playback, clock, ack_log, autoplay)
