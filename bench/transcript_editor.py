"""The transcript editor on a three-hour session: first frame, moving, each edit.

    .venv/bin/python bench/transcript_editor.py [--runs N] [--keys N] [--strict] [--json FILE]

Goals (issue 17): the first frame of ``facilitator transcript`` on a 3-hour session (about
30,000 words in 10,000 statements) at most 1.5x as late as the first frame of a new
session's live view (``facilitator run``), measured in the same run; moving the selection
and each edit under one 16 ms frame at the median.

The session is real: 10,000 keyed turns through ``LiveSession`` (six speakers, the guide
moving on every 20 minutes, a note a minute), a machine transcript of 30,000 words in
30-second stretches written by ``TranscriptStore``, as ``facilitator transcribe`` writes
it. First frames: fresh interpreters, interleaved (ABAB...), headless at 120x40, stamped by
_frame_probe.py like bench/startup.py (the baseline is its "new session" subject).

The editor's first frame shows the first statements (the first 400 words attributed
alone, exactly how the whole begins); every word is attributed right after that frame (the
"attribute every word" step below), before the first key is handled.

Keys: the editor runs in this process under Textual's Pilot at 120x40; each key's work is
timed from the action to the visible lines drawn again (the handler, the journal's append
and fsync for an edit, the statements made again around it, the lines on screen drawn).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    BENCH,
    PYTHON,
    ROOT,
    SIZE,
    Check,
    copy_session,
    create_session,
    finish,
    fsync_skipped,
    median,
    ms,
    parser,
    percentile,
)
from _common import print_table as table

FIRST_FRAME_GOAL = 1.5
FRAME_S = 0.016
STATEMENTS = 10_000
WORDS_PER_STATEMENT = 3
HOURS = 3.0
TIMEOUT_S = 120
VOCABULARY = (
    "we",
    "meet",
    "the",
    "families",
    "where",
    "they",
    "are",
    "and",
    "most",
    "meetings",
    "happen",
    "at",
    "office",
    "sometimes",
    "visit",
    "them",
    "home",
    "when",
    "ask",
    "I",
    "agree",
    "with",
    "that",
    "completely",
    "housing",
    "users",
    "collaboration",
    "could",
    "look",
    "like",
    "think",
    "anew",
    "dream",
    "little",
    "more",
    "less",
    "quality",
    "assure",
    "systematic",
    "points",
)


def build_three_hours(base: Path) -> Path:
    """The session folder: 10,000 keyed turns and their 30,000 words."""
    from facilitator.core.clock import FakeClock
    from facilitator.core.talk import MODERATOR
    from facilitator.core.transcript import Stretch, Word, word_id
    from facilitator.services.live import LiveSession
    from facilitator.store.transcript_store import TranscriptStore

    clock = FakeClock(1_800_000_000.0)
    store = create_session(base / "three-hours", now=clock.now())
    live = LiveSession(store, clock=clock)
    start = clock.now()
    speakers = [p.id for p in live.state.roster] + [MODERATOR]
    step = HOURS * 3600 / STATEMENTS
    words: list[tuple[float, float, str]] = []
    with fsync_skipped():
        live.recording_started("audio/rec-001.wav", 0.0, "bench")
        for n in range(STATEMENTS):
            t = 1.0 + n * step
            clock.set(start + t + 0.3)
            live.speak(speakers[(n * 7 + n // 5) % len(speakers)])
            if n and n % 1100 == 0:
                live.next_question()
            if n % 55 == 0:
                live.add_note(f"note {n} #theme")
            for k in range(WORDS_PER_STATEMENT):
                a = t + k * 0.3
                text = VOCABULARY[(n * 3 + k) % len(VOCABULARY)]
                words.append((a, a + 0.25, text + ("." if k == WORDS_PER_STATEMENT - 1 else "")))
        end_s = HOURS * 3600 + 2
        clock.set(start + end_s)
        live.speak(None)
        live.recording_stopped("audio/rec-001.wav", end_s, "stop")
        live.end()
        live.close()
        transcript = TranscriptStore(store.path)
        with transcript.open_writer() as writer:
            writer.begin("bench", "en", {"rec-001": end_s}, now=0.0)
            per = 100  # words a stretch: about 30 s
            for index in range(0, len(words), per):
                chunk = words[index : index + per]
                made = tuple(
                    Word(word_id("rec-001", index // per, i), a, b, w)
                    for i, (a, b, w) in enumerate(chunk)
                )
                writer.append(
                    Stretch("rec-001", index // per, made[0].start_s, made[-1].end_s, made)
                )
            writer.finish(True, now=1.0)
    os.sync()
    return store.path


def spawn(argv: list[str], env: dict[str, str]) -> float:
    before = time.time()
    done = subprocess.run(
        [PYTHON, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("frame ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{argv} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return float(lines[0].split()[2]) - before


def opening_parts(session: Path, runs: int = 3) -> dict[str, float]:
    """Where the opening goes, in this (warm) process: medians of each step."""
    from facilitator.core.session import state_of
    from facilitator.core.transcript_edits import EditableTranscript
    from facilitator.store.session_store import SessionStore
    from facilitator.store.transcript_store import TranscriptStore

    parts: dict[str, list[float]] = {}

    def timed(name: str, action):
        started = time.perf_counter()
        result = action()
        parts.setdefault(name, []).append(time.perf_counter() - started)
        return result

    for _ in range(runs):
        store = SessionStore(session)
        loaded = timed("read the journals", store.read_events)
        info = store.info()
        events = loaded.events
        state = timed("fold the events (10,000 turns)", lambda i=info, e=events: state_of(i, e))
        machine = timed(
            "read the machine transcript", lambda: TranscriptStore(session).load().machine
        )
        timed(
            "attribute every word",
            lambda m=machine, s=state: EditableTranscript(m, s),
        )
    return {name: median(values) for name, values in parts.items()}


async def time_keys(session: Path, keys: int) -> dict[str, list[float]]:
    from facilitator.services.transcript_review import TranscriptReview
    from facilitator.store.session_store import SessionStore
    from facilitator.ui.app import make_transcript_app

    store = SessionStore(session)
    review = TranscriptReview(store)
    app = make_transcript_app(review)
    figures: dict[str, list[float]] = {}
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        view = screen.list
        await pilot.pause()

        def timed(name: str, action) -> None:
            started = time.perf_counter()
            action()
            for y in range(view.size.height):
                view.render_line(y)
            figures.setdefault(name, []).append(time.perf_counter() - started)

        # the floor of every edit: one line appended and fsynced in the session's folder
        probe = os.open(session / "fsync-probe", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for _ in range(keys):
                started = time.perf_counter()
                os.write(probe, b'{"w":"review","n":1,"kind":"transcript_text"}\n')
                os.fsync(probe)
                figures.setdefault("_fsync", []).append(time.perf_counter() - started)
        finally:
            os.close(probe)
            (session / "fsync-probe").unlink()
        view.select(len(review.statements) // 2)
        for _ in range(keys):
            timed("move down", lambda: screen.action_move(1))
        for _ in range(keys):
            timed("move up", lambda: screen.action_move(-1))
        for n in range(keys):
            timed("reassign (1-9)", lambda n=n: screen.action_give(1 + n % 5))
            screen.action_move(3)
        for _ in range(keys):
            timed("tag (q)", lambda: screen.action_tag("quote"))
            screen.action_move(3)
        for _ in range(keys):
            screen.list.cursor = 1
            timed("split (s)", screen.action_split)
            screen.action_move(3)
        for _ in range(keys):
            timed("join (m)", screen.action_join)
            screen.action_move(3)

        def edit() -> None:
            statement = screen.selected
            assert statement is not None
            from facilitator.core.transcript_edits import retext

            screen._apply(
                retext(statement, statement.text + " indeed", review.state.transcript_edits),
                keep=statement.id,
            )

        for _ in range(keys):
            timed("edit words (e)", edit)
            screen.action_move(3)
        for _ in range(keys):
            timed("undo (u)", screen.action_undo)
        figures["_statements"] = [float(len(review.statements))]
        figures["_words"] = [float(review.edits.transcript.words)]
        await pilot.press("escape")
    return figures


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=6, help="first frames of each (default 6)")
    p.add_argument("--keys", type=int, default=40, help="presses of each key (default 40)")
    args = p.parse_args(argv)
    env = {**os.environ, "FACILITATOR_LANG": "en"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-") as tmp:
        base = Path(tmp)
        env["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
        built = time.perf_counter()
        big = build_three_hours(base)
        built = time.perf_counter() - built
        fresh = create_session(base / "template", now=time.time()).path
        count = 0

        def live() -> float:
            nonlocal count
            count += 1
            sessions = base / f"run-{count}"
            copy_session(fresh, sessions / fresh.name)
            script = str(BENCH / "_live_first_frame.py")
            return spawn([script, "--sessions", str(sessions), "run", fresh.name], env)

        def editor() -> float:
            script = str(BENCH / "_transcript_first_frame.py")
            return spawn([script, "--sessions", str(big.parent), "transcript", big.name], env)

        runs = {"live": live, "editor": editor}
        for run in runs.values():  # warm the caches, not counted
            run()
        results: dict[str, list[float]] = {name: [] for name in runs}
        for i in range(args.runs):
            for name in list(runs) if i % 2 == 0 else list(reversed(runs)):
                results[name].append(runs[name]())
        keys = asyncio.run(time_keys(big, args.keys))
        parts = opening_parts(big)

    live_s, editor_s = median(results["live"]), median(results["editor"])
    ratio = editor_s / live_s
    table(
        f"transcript editor: first frame, medians of {args.runs} cold starts each "
        f"(interleaved, headless {SIZE[0]}x{SIZE[1]})",
        [
            ("subject", "first frame", "min..max"),
            (
                "facilitator run, new session (baseline)",
                ms(live_s),
                f"{ms(min(results['live']))}..{ms(max(results['live']))}",
            ),
            (
                f"facilitator transcript, {HOURS:g} h, {int(keys['_statements'][0]):,} statements, "
                f"{int(keys['_words'][0]):,} words",
                ms(editor_s),
                f"{ms(min(results['editor']))}..{ms(max(results['editor']))}",
            ),
            ("ratio", f"{ratio:.2f}x", ""),
        ],
        [f"session built in {built:.1f} s (not timed)"],
    )
    table(
        "context: the opening's steps in a warm process (medians of 3)",
        [("step", "time"), *((name, ms(value)) for name, value in parts.items())],
    )
    fsync_s = median(keys["_fsync"])
    rows = [("key", "median", "90th percentile", "max")]
    checks = [
        Check(
            "transcript_editor",
            "first frame of the 3-hour transcript vs a new session's live view",
            f"{ratio:.2f}x ({ms(editor_s)} vs {ms(live_s)})",
            f"<= {FIRST_FRAME_GOAL}x",
            ratio <= FIRST_FRAME_GOAL,
        )
    ]
    for name, values in keys.items():
        if name.startswith("_"):
            continue
        rows.append((name, ms(median(values)), ms(percentile(values, 90)), ms(max(values))))
        checks.append(
            Check(
                "transcript_editor",
                f"{name}: action to visible lines drawn, median",
                ms(median(values)),
                f"< {ms(FRAME_S)}",
                median(values) < FRAME_S,
            )
        )
    table(
        f"transcript editor: each key's work, {args.keys} presses each (in process, "
        f"{SIZE[0]}x{SIZE[1]}; an edit includes its journal append and fsync)",
        [*rows, ("context: one line appended and fsynced here", ms(fsync_s), "", "")],
        ["an edit's events are written with one write and one fsync before it is shown"],
    )
    return finish(args, checks, {"first_frames": results, "keys": keys, "opening": parts})


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
