"""The startup subject: the real ``facilitator`` command, first frame of the live view stamped.

    python bench/_live_first_frame.py --sessions DIR run SESSION_ID

This is what the ``facilitator`` console script runs (``facilitator.cli:main``), with the
same arguments, so the live view starts exactly as with ``facilitator run``: argument
parsing, opening the session (metadata, journals, the fold, the ``opened`` event), the app
and its stylesheets, the live screen. The only differences are those of _frame_probe.py,
shared with the baseline: headless at 120x40, and the frame stamps. The app then exits as
with ^q (the session is closed and checkpointed after the stamps, so that is not timed).
"""

import time

STARTED = time.time()  # the interpreter is up: everything after this is imports and the app

import sys  # noqa: E402

import _frame_probe  # noqa: E402

if __name__ == "__main__":
    _frame_probe.install(lambda screen: type(screen).__name__ == "LiveScreen", STARTED)
    from facilitator.cli import main

    sys.exit(main(sys.argv[1:]))
