"""A live session past a file size limit (``RLIMIT_FSIZE``): the full-disk test where no tmpfs
can be mounted. Used by ``tests/test_full_disk.py``.

    python fsize_live.py SESSION_DIR START

Records through a ``LiveSession`` (on a fake clock from START) with the soft limit just above
the journal's size, until three writes have failed; checks after each failure that the state
in memory holds exactly the events on disk, and that a checkpoint cannot write session.json
and leaves it as it was; then raises the limit and records a note. Prints one JSON line with
what happened.
"""

from __future__ import annotations

import json
import resource
import signal
import sys
from pathlib import Path

from facilitator.core.clock import FakeClock
from facilitator.services.live import LiveSession
from facilitator.store.journal import StorageError
from facilitator.store.session_store import SessionStore


def main() -> int:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG or a short write, not a kill
    store = SessionStore(Path(sys.argv[1]))
    clock = FakeClock(float(sys.argv[2]))
    live = LiveSession(store, clock=clock)
    journal = store.journal_path("moderator")
    db_before = store.db_path.read_bytes()
    _soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    # room for a few events; session.json (larger already) cannot be written at all
    limit = journal.stat().st_size + 1500
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    errors: list[str] = []
    unchanged = True
    number = 0
    while len(errors) < 3 and number < 1000:
        number += 1
        clock.advance(5)
        try:
            live.speak_position(1 + number % 3)
            live.add_note(f"note {number} #theme")
        except StorageError as error:
            errors.append(str(error))
            # what the state holds (what a screen would show) is exactly what is on disk
            on_disk = {event.id for event in store.read_events().events}
            unchanged = unchanged and live.state.seen == on_disk
    saved = sorted(live.state.seen)
    checkpoint = store.checkpoint()
    db_unchanged = store.db_path.read_bytes() == db_before
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    note = live.add_note("after the limit was raised")
    live.close()
    print(
        json.dumps(
            {
                "failures": len(errors),
                "errors": errors,
                "unchanged_on_failure": unchanged,
                "saved": saved,
                "checkpoint": checkpoint,
                "db_unchanged": db_unchanged,
                "after": note.seq if note else 0,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
