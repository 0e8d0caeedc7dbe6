"""The summary and every export of a large session, against a small one.

    .venv/bin/python bench/exports.py [--rounds N] [--strict] [--json FILE]

Goal: for a 3-hour session with 10 participants, 10,000 turns and 2,000 notes, building the
summary and rendering every format (md, json, html, csv, vtt, srt, eaf, qdpx, transcript)
takes under 0.5 s in all. The same for a session of 100 turns and 20 notes is measured in
the same run as the baseline, and the ratio printed.

Both sessions are built through ``LiveSession`` (speaker changes, moves through the guide,
notes with every tag; fsync skipped while building, the bytes are the same), then read back
from disk as ``facilitator export`` does; the timing covers ``build_summary`` once and each
renderer on it (the CLI builds the summary once per command; the app's "all" button once per
format, so its cost is the first row plus each format's).
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from _common import (
    GUIDE,
    START,
    Check,
    finish,
    fsync_skipped,
    median,
    ms,
    parser,
)
from _common import print_table as table

SIZES = ((100, 20), (10_000, 2_000))  # (turns, notes)
PEOPLE = 10
HOURS = 3
GOAL_S = 0.5
TAGS = ["#q", "#t", "#f", "#o", "#s", ""]


def build(base: Path, turns: int, notes: int) -> Path:
    from facilitator.core.clock import FakeClock
    from facilitator.core.guide import load_guide
    from facilitator.core.session import Participant
    from facilitator.core.talk import MODERATOR
    from facilitator.services.live import LiveSession
    from facilitator.store.session_store import SessionStore

    clock = FakeClock(START)
    people = [Participant(f"P{i}", f"Informant {i}", "Boligkontoret") for i in range(1, PEOPLE + 1)]
    store = SessionStore.create(
        base / f"s-{turns}", load_guide(GUIDE), "Bench", people, clock.now()
    )
    live = LiveSession(store, clock=clock)
    rng = random.Random(turns)
    step = HOURS * 3600.0 / turns
    note_every = max(1, turns // notes)
    moves_every = max(1, turns // 9)
    with fsync_skipped():
        for n in range(turns):
            clock.advance(step)
            if n % moves_every == moves_every - 1:
                live.next_question()
            who = MODERATOR if rng.random() < 0.2 else rng.choice(people).id
            live.speak(who)
            if n % note_every == 0:
                tag = TAGS[n % len(TAGS)]
                live.add_note(f"Notat {n}: møter, tillit og ventelister på kontoret {tag}")
        live.end()
    assert live.journal is not None
    live.journal.close()
    live.journal = None
    return store.path


def time_exports(path: Path) -> dict[str, float]:
    from facilitator.core.session import state_of
    from facilitator.core.summary import build_summary
    from facilitator.exports import FORMATS, renderer
    from facilitator.store.session_store import SessionStore

    store = SessionStore(path)
    times: dict[str, float] = {}
    t = time.perf_counter()
    info = store.info()
    state = state_of(info, store.read_events().events)
    times["read + fold"] = time.perf_counter() - t
    t = time.perf_counter()
    summary = build_summary(info, state, START + HOURS * 3600 + 60)
    times["summary"] = time.perf_counter() - t
    t = time.perf_counter()
    json.dumps(summary, ensure_ascii=False)  # as summary --format json writes a file or pipe
    times["json"] = time.perf_counter() - t
    for name in FORMATS:
        t = time.perf_counter()
        renderer(name)(summary)
        times[name] = time.perf_counter() - t
    return times


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-exports-") as tmp:
        paths = {size: build(Path(tmp), *size) for size in SIZES}
        runs: dict[tuple[int, int], list[dict[str, float]]] = {size: [] for size in SIZES}
        time_exports(paths[SIZES[0]])  # imports and caches warm; not counted
        for r in range(args.rounds):
            for size in SIZES if r % 2 == 0 else reversed(SIZES):
                runs[size].append(time_exports(paths[size]))
    small, large = SIZES
    keys = list(runs[small][0])
    rows = [
        (
            "",
            f"{small[0]:,} turns, {small[1]:,} notes",
            f"{large[0]:,} turns, {large[1]:,} notes",
            "ratio",
        )
    ]
    medians = {size: {k: median([run[k] for run in runs[size]]) for k in keys} for size in SIZES}
    for key in keys:
        a, b = medians[small][key], medians[large][key]
        rows.append((key, ms(a), ms(b), f"{b / a:.1f}x" if a else "–"))
    exported = [k for k in keys if k != "read + fold"]
    total = {size: sum(medians[size][k] for k in exported) for size in SIZES}
    rows.append(
        (
            "summary + every format",
            ms(total[small]),
            ms(total[large]),
            f"{total[large] / total[small]:.1f}x",
        )
    )
    table(
        f"exports: {HOURS}-hour session, {PEOPLE} participants; medians of {args.rounds} rounds "
        "(interleaved, one process)",
        rows,
        ["read + fold (opening the session from disk) is shown for context, outside the goal."],
    )
    checks = [
        Check(
            "exports",
            f"summary and every export at {large[0]:,} turns and {large[1]:,} notes",
            ms(total[large]),
            f"< {ms(GOAL_S)}",
            total[large] < GOAL_S,
        )
    ]
    return finish(args, checks)


if __name__ == "__main__":
    raise SystemExit(main())
