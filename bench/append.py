"""Durable append of one event at 10,000 events in the journal, against 100 events.

    .venv/bin/python bench/append.py [--rounds N] [--strict] [--json FILE]

Goal: an append at 10,000 events costs at most 2x what it costs at 100 (the journal's
promise: "appending costs the same at 10,000 events as at 100").

Method. Two sessions are built through ``LiveSession``'s own actions (mostly speaker
changes, with undos, moves through the guide, checklist ticks, breaks; fsync skipped while
building, the bytes are the same), one holding 100 events and one 10,000. Each round
copies one of them afresh, opens it as the live view does (``LiveSession``: the fold, the
``opened`` event), then times, one call at a time with ``time.perf_counter``:

- ``JournalWriter.append`` of a ``checked`` event: the write and the fsync;
- ``LiveSession.speak``, P1 and P2 in turn: what the most frequent key press costs before
  the repaint (the durable append, then the event folded into the state: the talk
  ledger's turns and tallies).

Rounds alternate between the two sizes (ABBA ...), so drift in the disk's speed hits both
alike; the figures are medians over every call (``--rounds`` x 20 of each kind and size).

For context, TinyDB's default ``JSONStorage`` (which rewrites the whole file on every
insert, without fsync) at 100 and 10,000 documents, and the session's ``checkpoint`` (the
TinyDB copy of the events, rewritten every five minutes by the live view and on closing).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from _common import (
    START,
    Check,
    build_session,
    copy_session,
    finish,
    median,
    ms,
    parser,
    percentile,
)
from _common import print_table as table

GOAL = 2.0
SIZES = (100, 10_000)
PER_ROUND = 20


def one_round(template: Path, last_at: float, work: Path) -> tuple[list[float], list[float]]:
    from facilitator.core.clock import FakeClock
    from facilitator.services.live import LiveSession
    from facilitator.store.session_store import SessionStore

    copy_session(template, work)
    clock = FakeClock(last_at + 1.0)
    live = LiveSession(SessionStore(work), clock=clock)
    journal = live.journal
    assert journal is not None
    item = live.guide.phases[0].checklist[0].id
    speakers = [p.id for p in live.state.roster[:2]]
    appends: list[float] = []
    actions: list[float] = []
    try:
        for n in range(PER_ROUND):
            clock.advance(0.25)
            data = {"item": item, "done": bool(n % 2)}
            t = time.perf_counter()
            journal.append(clock.now(), "checked", data)
            appends.append(time.perf_counter() - t)
        for n in range(PER_ROUND):
            clock.advance(0.25)
            t = time.perf_counter()
            event = live.speak(speakers[n % 2])
            actions.append(time.perf_counter() - t)
            assert event is not None
    finally:
        journal.close()
        live.journal = None
    return appends, actions


def tinydb_inserts(base: Path, count: int, inserts: int = 8) -> list[float]:
    from tinydb import TinyDB

    path = base / f"tinydb-{count}.json"
    doc = {"w": "moderator", "at": START, "kind": "checked", "data": {"item": "x", "done": True}}
    db = TinyDB(path)  # the default JSONStorage
    db.insert_multiple({**doc, "n": n} for n in range(count))
    times = []
    for n in range(inserts):
        t = time.perf_counter()
        db.insert({**doc, "n": count + n})
        times.append(time.perf_counter() - t)
    db.close()
    return times


def checkpoint_time(template: Path, work: Path, repeat: int = 3) -> list[float]:
    from facilitator.store.session_store import SessionStore

    copy_session(template, work)
    store = SessionStore(work)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        store.checkpoint()
        times.append(time.perf_counter() - t)
    return times


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=16, help="rounds per size (default 16)")
    args = p.parse_args(argv)

    appends: dict[int, list[float]] = {n: [] for n in SIZES}
    actions: dict[int, list[float]] = {n: [] for n in SIZES}
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-") as tmp:
        base = Path(tmp)
        templates = {n: build_session(base, n) for n in SIZES}
        one_round(*templates[SIZES[0]], base / "warm-up")  # not counted
        for r in range(args.rounds):
            order = list(SIZES) if r % 2 == 0 else list(reversed(SIZES))
            for n in order:
                a, b = one_round(*templates[n], base / f"work-{n}")
                appends[n] += a
                actions[n] += b
        tiny = {}
        checkpoints = {}
        for n in SIZES:
            tiny[n] = tinydb_inserts(base, n)
            checkpoints[n] = checkpoint_time(templates[n][0], base / f"checkpoint-{n}")

    small, large = SIZES
    rows = [("per call", f"at {small:,}", f"at {large:,}", "ratio", "p95 at 10,000")]

    def row(label: str, figures: dict[int, list[float]], p95: bool = True) -> float:
        ratio = median(figures[large]) / median(figures[small])
        rows.append(
            (
                label,
                ms(median(figures[small])),
                ms(median(figures[large])),
                f"{ratio:.2f}x",
                ms(percentile(figures[large], 95)) if p95 else "",
            )
        )
        return ratio

    append_ratio = row("JournalWriter.append (write + fsync)", appends)
    action_ratio = row("LiveSession.speak (append + fold)", actions)
    tiny_ratio = row("context: TinyDB JSONStorage insert, no fsync", tiny, p95=False)
    row("context: SessionStore.checkpoint (TinyDB copy)", checkpoints, p95=False)
    table(
        f"append: one durable event, medians of {args.rounds * PER_ROUND} calls per size "
        "(rounds interleaved)",
        rows,
        [
            f"TinyDB: {len(tiny[small])} inserts per size; checkpoint: {len(checkpoints[small])} "
            "runs per size (it rewrites session.json whole: O(n), every 5 minutes and on closing).",
        ],
    )
    checks = [
        Check(
            "append",
            "JournalWriter.append at 10,000 vs 100 events",
            f"{append_ratio:.2f}x ({ms(median(appends[large]))} vs {ms(median(appends[small]))})",
            f"<= {GOAL:g}x",
            append_ratio <= GOAL,
        ),
        Check(
            "append",
            "LiveSession.speak (append + fold) at 10,000 vs 100 events",
            f"{action_ratio:.2f}x ({ms(median(actions[large]))} vs {ms(median(actions[small]))})",
            f"<= {GOAL:g}x",
            action_ratio <= GOAL,
        ),
    ]
    extra = {
        "appends": appends,
        "actions": actions,
        "tinydb": tiny,
        "tinydb_ratio": tiny_ratio,
        "checkpoint": checkpoints,
    }
    return finish(args, checks, extra)


if __name__ == "__main__":
    sys.exit(main())
