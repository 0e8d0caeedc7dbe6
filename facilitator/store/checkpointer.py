"""The periodic checkpoint, in a process of its own: ``python -m facilitator.store.checkpointer``.

A checkpoint reads every journal, writes the TinyDB copy of every event and saves the folded
state (``SessionStore.checkpoint``): about 0.1 s of Python at 10,000 events, O(n). In a
thread of the live view it would hold the interpreter's lock while a key press waits for it,
so the live view runs it here instead, in a child process at the lowest priority (what a
busy core has left), and only waits for the child (which holds no lock of the live
view's). It prints one JSON line: ``{"events": N,
"problem": null | "why it could not be written"}``.

    python -m facilitator.store.checkpointer SESSION_DIR [--lang en|nb]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def _yield_the_cpu() -> None:
    """The lowest priority (nice 19): on a machine of two busy cores the live view's key
    presses go first, and the checkpoint still goes on (it is never starved)."""
    try:
        os.nice(19)
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m facilitator.store.checkpointer SESSION_DIR [--lang LANG]")
        return 2
    from facilitator.i18n import set_language
    from facilitator.store.session_store import SessionStore

    if "--lang" in args[1:-1]:
        set_language(args[args.index("--lang") + 1])
    store = SessionStore(Path(args[0]))
    count = store.checkpoint()
    print(json.dumps({"events": count, "problem": store.checkpoint_problem}), flush=True)
    return 0


if __name__ == "__main__":
    _yield_the_cpu()
    sys.exit(main())
