"""Append events to a session as fast as possible, reporting each one acknowledged.

Used by ``tests/test_crash.py``, which kills this process with SIGKILL at a random moment.

    python crash_writer.py SESSION_DIR [journal|live] [WRITER]

``journal`` appends through a ``JournalWriter`` directly; ``live`` acts through a
``LiveSession`` (toggling a checklist item and the pause), as the live view does.
The first line printed is ``ready <last seq acknowledged so far> <torn>``, where ``torn`` is 1
if a torn tail was cut on opening, else 0; then one line per event, with its seq, printed
only once ``append`` has returned, that is once the event is fsynced. Every line is flushed
at once.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from facilitator.store.session_store import SessionStore

DEADLINE_S = 20.0  # never outlive a test that forgot to kill us


def main() -> int:
    folder = Path(sys.argv[1])
    mode = sys.argv[2] if len(sys.argv) > 2 else "journal"
    writer_name = sys.argv[3] if len(sys.argv) > 3 else "moderator"
    store = SessionStore(folder)
    out = sys.stdout
    stop_at = time.monotonic() + DEADLINE_S

    if mode == "journal":
        writer = store.open_writer(writer_name)
        out.write(f"ready {writer.seq} {int(writer.recovered_torn_tail)}\n")
        out.flush()
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            event = writer.append(time.time(), "note", {"n": n, "text": "x" * (n % 97)})
            out.write(f"{event.seq}\n")
            out.flush()
        return 0

    if mode == "live":
        from facilitator.services.live import LiveSession

        live = LiveSession(store, writer=writer_name)
        assert live.journal is not None
        torn = int(live.journal.recovered_torn_tail)
        # the events LiveSession itself recorded on opening (started, opened) are acknowledged
        out.write(f"ready {live.journal.seq} {torn}\n")
        out.flush()
        item = live.guide.phases[0].checklist[0].id
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            event = live.toggle_checked(item) if n % 2 else live.toggle_pause()
            assert event is not None
            out.write(f"{event.seq}\n")
            out.flush()
        return 0

    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    sys.exit(main())
