"""The summary and every export of a large session, against a small one.

    .venv/bin/python bench/exports.py [--rounds N] [--strict] [--json FILE]

Goal: for a 3-hour session with 10 participants, 10,000 turns and 2,000 notes, building the
summary and rendering every format (md, json and every one of ``exports.FORMATS``) takes at
most 0.5 s in all on a quiet machine; with a machine transcript of 30,000 words, at most
1 s (measured where the tree has transcripts: see ``write_transcript``, the hook for them).
The same for a session of 100 turns and 20 notes is measured in
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
import shutil
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


TRANSCRIPT_WORDS = 30_000
TRANSCRIPT_GOAL_S = 1.0


def write_transcript(path: Path, words: int = TRANSCRIPT_WORDS) -> str | None:
    """The hook for transcripts (built on the branch ``transcript``): give the session a
    machine transcript of ``words`` words over its three hours, stored as the app stores one
    (``store.transcript_store``), so that ``time_exports`` measures the summary and every
    export with it. Returns why not, when this tree has no transcripts (or another API)."""
    try:
        from facilitator.core.transcript import Stretch, Word, word_id
        from facilitator.store.transcript_store import TranscriptStore
    except ImportError:
        return "this tree has no transcripts yet (they are being built on the branch transcript)"
    stretch_s = 30.0
    count = int(HOURS * 3600 / stretch_s)
    per = words // count
    try:
        with fsync_skipped(), TranscriptStore(path).open_writer() as writer:
            writer.begin("bench", "nb", {"rec-001": HOURS * 3600.0}, START)
            for n in range(count):
                start = n * stretch_s
                step = stretch_s / per
                spoken = tuple(
                    Word(word_id("rec-001", n, i), start + i * step, start + (i + 0.8) * step,
                         ("ventelister", "tillit", "kontoret", "og", "møter")[i % 5])
                    for i in range(per)
                )  # fmt: skip
                writer.append(Stretch("rec-001", n, start, start + stretch_s, spoken))
            writer.finish(True, START)
    except (TypeError, AttributeError, ValueError) as error:
        return f"the transcript API is not the one this hook was written for ({error})"
    return None


def attributed(path: Path, state):
    """The session's transcript with its speakers, as the exports read it (or None)."""
    from facilitator.store.transcript_store import attributed_transcript

    return attributed_transcript(path, state)


def time_exports(path: Path, transcript: bool = False) -> dict[str, float]:
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
    if transcript:
        summary = build_summary(
            info, state, START + HOURS * 3600 + 60, transcript=attributed(path, state)
        )
    else:
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
        # the same large session with a transcript of 30,000 words, where the tree has them
        with_words = Path(tmp) / "with-transcript"
        shutil.copytree(paths[SIZES[1]], with_words)
        no_transcript = write_transcript(with_words)
        worded: list[dict[str, float]] = []
        if no_transcript is None:
            for _r in range(args.rounds):
                worded.append(time_exports(with_words, transcript=True))
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
    notes = ["read + fold (opening the session from disk) is shown for context, outside the goal."]
    worded_total = 0.0
    if worded:
        worded_total = sum(median([run[k] for run in worded]) for k in exported)
        rows.append(
            (f"the same with a {TRANSCRIPT_WORDS:,}-word transcript", "", ms(worded_total), "")
        )
    else:
        notes.append(f"with a {TRANSCRIPT_WORDS:,}-word transcript: not measured, {no_transcript}.")
    table(
        f"exports: {HOURS}-hour session, {PEOPLE} participants; medians of {args.rounds} rounds "
        "(interleaved, one process)",
        rows,
        notes,
    )
    checks = [
        Check(
            "exports",
            f"summary and every export at {large[0]:,} turns and {large[1]:,} notes",
            ms(total[large]),
            f"<= {ms(GOAL_S)} (on a quiet machine)",
            total[large] <= GOAL_S,
        )
    ]
    if worded:
        checks.append(
            Check(
                "exports",
                f"the same with a transcript of {TRANSCRIPT_WORDS:,} words",
                ms(worded_total),
                f"<= {ms(TRANSCRIPT_GOAL_S)}",
                worded_total <= TRANSCRIPT_GOAL_S,
            )
        )
    return finish(args, checks)


if __name__ == "__main__":
    raise SystemExit(main())
