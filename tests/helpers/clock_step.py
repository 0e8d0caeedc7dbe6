"""A moderator's process that lives through a wall-clock step, for tests/test_clock_steps.py.

Run under libfaketime with FAKETIME_TIMESTAMP_FILE=FILE, FAKETIME_NO_CACHE=1 and
FAKETIME_DONT_FAKE_MONOTONIC=1: the real ``LiveSession`` on its real clock. P1 talks for
4 s, and 2 s into the turn this process writes STEP (``+2h`` or ``-1h``) into FILE, which
steps its wall clock at once; then P2 talks for 2 s and the session ends.

    python clock_step.py SESSION_FOLDER FAKETIME_FILE STEP
"""

from __future__ import annotations

import select
import sys
import time
from pathlib import Path

from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore


def pause(seconds: float) -> None:
    # time.sleep fails (EINVAL) under libfaketime once the offset changes; select does not
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        select.select([], [], [], min(left, 0.2))


def main() -> None:
    folder, fake_file, step = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    live = LiveSession(SessionStore(folder))
    live.speak("P1")
    pause(2.0)
    fake_file.write_text(step + "\n")
    pause(0.3)
    live.heartbeat()  # as the live view does every 2 s: the step is noticed and recorded
    pause(1.7)
    live.speak("P2")
    pause(2.0)
    live.speak(None)
    live.end()
    live.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
