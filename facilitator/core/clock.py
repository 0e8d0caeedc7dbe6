"""Clocks, injected everywhere time matters, so a test can run an hour in milliseconds.

``SteadyClock`` is the clock of a running session. Its time is the wall clock read once, at
start, moved on by a clock that never steps: so an NTP correction, a time-zone change or a
clock set by hand while the session runs never turns into talk time or a frozen clock.
It counts a suspend (the lid closed) as time passing, as the group goes on talking, and
reports both, so that the live session can mark them (``LiveSession.check_clock``):

- a *step*: the wall clock moved against the steady one by more than ``STEP_S``;
- a *sleep*: the machine was suspended for more than ``STEP_S``.
"""

from __future__ import annotations

import time
from typing import Protocol

STEP_S = 5.0  # wall and steady clocks disagreeing by more than this is a step, not drift


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock time in seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


def _boottime() -> float:
    """Seconds since boot, suspend included (CLOCK_BOOTTIME); monotonic where there is none."""
    try:
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    except (AttributeError, OSError):
        return time.monotonic()


class SteadyClock:
    """Wall time that never steps (see the module)."""

    def __init__(self, wall=time.time, steady=_boottime, awake=time.monotonic) -> None:
        self._wall = wall
        self._steady = steady
        self._awake = awake
        self._origin = wall()
        self._origin_steady = steady()
        self._origin_awake = awake()

    def now(self) -> float:
        return self._origin + (self._steady() - self._origin_steady)

    def wall(self) -> float:
        """The wall clock as it is now (stepped or not)."""
        return self._wall()

    def shift(self, seconds: float) -> None:
        """Move this clock's time by ``seconds`` (to follow a session's own time line)."""
        self._origin += seconds

    def offset_s(self) -> float:
        """How far the wall clock is ahead of this clock now (0 until a step)."""
        return self.wall() - self.now()

    def slept_s(self) -> float:
        """Seconds the machine was suspended since this clock started."""
        return (self._steady() - self._origin_steady) - (self._awake() - self._origin_awake)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.t = float(start)

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t

    def set(self, t: float) -> None:
        self.t = float(t)


class SteppingClock(SteadyClock):
    """A ``SteadyClock`` on a fake wall and fake steady clocks, for tests of steps and sleeps:
    ``advance`` moves all three, ``step`` the wall alone, ``sleep`` wall and steady (a
    suspend, in which the awake clock stands still)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.wall_t = float(start)
        self.steady_t = 1000.0
        self.awake_t = 1000.0
        super().__init__(lambda: self.wall_t, lambda: self.steady_t, lambda: self.awake_t)

    def advance(self, seconds: float) -> float:
        self.wall_t += seconds
        self.steady_t += seconds
        self.awake_t += seconds
        return self.now()

    def step(self, seconds: float) -> None:
        self.wall_t += seconds

    def sleep(self, seconds: float) -> None:
        self.wall_t += seconds
        self.steady_t += seconds
