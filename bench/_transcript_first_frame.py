"""The transcript editor's startup subject: ``facilitator transcript``, first frame stamped.

    python bench/_transcript_first_frame.py --sessions DIR transcript SESSION_ID

What the ``facilitator`` console script runs, with the same arguments (opening the session,
reading the machine transcript, attributing every word, the app, the editor's screen), with
the stamps of _frame_probe.py (headless at 120x40), as _live_first_frame.py does for ``run``.
"""

import time

STARTED = time.time()

import sys  # noqa: E402

import _frame_probe  # noqa: E402

if __name__ == "__main__":
    _frame_probe.install(lambda screen: type(screen).__name__ == "TranscriptScreen", STARTED)
    from facilitator.cli import main

    sys.exit(main(sys.argv[1:]))
