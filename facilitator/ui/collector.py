"""Python's full garbage collections kept off the key path.

A full collection (generation 2) walks every object the collector tracks: with Textual's
widgets, styles and caches that is some 60,000 objects and about 50 ms here. Python starts
one when enough objects have lived long, and objects are made fastest while a key press is
drawn, so the pause came at a key press (the slowest twentieth of them at 10,000 events).
Here, while the app runs:

- Python's own full collections are put off (the third threshold is raised); the young
  generations are collected as usual, so most cyclic garbage goes as before;
- when no key has come for ``IDLE_S`` and the last full collection is ``EVERY_S`` old,
  a full one runs (nothing the moderator does waits for it, unless a key comes in those
  few milliseconds); after ``LONGEST_S`` it runs whatever the keys do, so that memory
  held in cycles is given back even while keys come without a pause;
- at the first of them, what is alive then (the app, its screen, its stylesheets: they live
  as long as the app) is frozen after the collection, so later full collections walk only
  what was made since (``gc.freeze``; the session's folded history is frozen when it is
  opened, see ``services.live``).

The thresholds are given back when the app ends (tests run many apps in one process).
"""

from __future__ import annotations

import gc
import time

IDLE_S = 1.0  # no key for this long: a full collection is not felt
EVERY_S = 30.0  # a full collection at most this often
LONGEST_S = 120.0  # and at least this often, idle or not (keys pressed without a pause)
FULL_OFF = 1_000_000  # the third threshold while the app runs: Python's own full ones put off


class QuietCollector:
    def __init__(self, now=time.monotonic) -> None:
        self._now = now
        self._saved: tuple[int, int, int] | None = None
        self.last_input = now()
        self.last_full = now()
        self.full_runs = 0

    def start(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            young, middle, _full = self._saved
            gc.set_threshold(young, middle, FULL_OFF)

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def input(self) -> None:
        """A key (or a click) came: no full collection for the next ``IDLE_S``."""
        self.last_input = self._now()

    def maybe_collect(self) -> bool:
        """Run a full collection if the app is idle and one is due; True if it ran."""
        now = self._now()
        since = now - self.last_full
        if since < EVERY_S or (now - self.last_input < IDLE_S and since < LONGEST_S):
            return False
        gc.collect()
        if self.full_runs == 0:
            gc.freeze()  # what lives now lives as long as the app: out of later passes
        self.full_runs += 1
        self.last_full = self._now()
        return True
