"""A deliberately broken program, for the crash harness's negative control.

Put this folder on ``PYTHONPATH`` and every ``facilitator`` process started with it holds
its journal appends in memory and writes them only 25 at a time: the screen shows events
that are not yet on disk, as a program that displays before it saves would. The harness
must report them lost when the process is killed (``tests/test_crash_sim.py``).
"""

from __future__ import annotations

import json
import os

from facilitator.core.events import Event
from facilitator.store import journal

BATCH = 25


def _held_append(self, at, kind, data=None, lc=0):
    event = Event(writer=self.writer, seq=self.seq + 1, at=at, kind=kind, data=data or {}, lc=lc)
    record = json.dumps(event.to_record(), ensure_ascii=False, separators=(",", ":"))
    held = self.__dict__.setdefault("_held", [])
    held.append((record + "\n").encode())
    if len(held) >= BATCH:
        os.write(self._fd, b"".join(held))
        os.fsync(self._fd)
        held.clear()
    self.seq = event.seq
    return event


journal.JournalWriter.append = _held_append
