"""Talk figures in a 3-hour session with 10 participants and 10,000 turns, against 100 turns.

    .venv/bin/python bench/talk.py [--rounds N] [--presses N] [--strict] [--json FILE]

Goals, at 10,000 turns:

- recomputing every figure a key press shows (the talk board for the chosen scope, the
  whole-session figures behind the reminders, the reminders themselves) takes well inside
  one 16 ms frame: median under 4 ms (a quarter of a frame);
- a speaker key (1..9, 0) goes from key to repainted frame in a median under 16 ms.

Both sessions are three hours long (session clock), with 10 participants and the
moderator, built through ``LiveSession.speak`` (fsync skipped while building, the bytes are
the same): turns of random length by a skewed mix of speakers, now and then silence or an
undo, moves through the guide every 20 minutes. They differ only in the number of turns.

Recompute: ``talk_figures`` and ``nudges`` called as ``LiveScreen._show_board`` calls them,
timed in this process over many calls, after one opening fold (not timed). For context, the
summary's full pass (``with_details``: longest turns, who-follows-whom) and one speaker
change folded into the state (``SessionState.apply``).

Key to frame: as ``keypress.py`` (the same ``FrameProbe``: from the key event handed to the
driver to the first frame drawn after the event is in the state), pressing 1, 2 ... 9, 0
in turn, in a fresh process per round, rounds interleaved between the sizes.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

from _common import (
    GUIDE,
    PYTHON,
    ROOT,
    SIZE,
    START,
    Check,
    copy_session,
    finish,
    fsync_skipped,
    median,
    ms,
    parser,
    percentile,
)
from _common import print_table as table

TURNS = (100, 10_000)
HOURS = 3
PEOPLE = 10
RECOMPUTE_GOAL_S = 0.004
FRAME_GOAL_S = 0.016
GAP_S = 0.020


def build(base: Path, turns: int) -> tuple[Path, float]:
    """A 3-hour session with ``turns`` speaker turns; returns its folder and last time."""
    from facilitator.core.clock import FakeClock
    from facilitator.core.guide import load_guide
    from facilitator.core.session import Participant
    from facilitator.core.talk import MODERATOR
    from facilitator.services.live import LiveSession
    from facilitator.store.session_store import SessionStore

    clock = FakeClock(START)
    people = [Participant(f"P{i}", f"Informant {i}", "") for i in range(1, PEOPLE + 1)]
    store = SessionStore.create(
        base / f"talk-{turns}", load_guide(GUIDE), "Bench", people, clock.now(), stage=1
    )
    live = LiveSession(store, clock=clock)
    rng = random.Random(turns)
    weights = [8, 6, 5, 4, 3, 3, 2, 1, 1, 0.2]  # a skewed group: some talk much, one hardly
    span = HOURS * 3600.0
    step = span / turns
    moves_every = max(1, turns // 9)
    with fsync_skipped():
        for n in range(turns):
            clock.advance(step * rng.uniform(0.5, 1.5))
            if n % moves_every == moves_every - 1:
                live.next_question() or live.goto(live.guide.phases[1].id)
            roll = rng.random()
            if roll < 0.03:
                live.undo()
            elif roll < 0.10:
                live.speak(None)
            elif roll < 0.25:
                live.speak(MODERATOR)
            else:
                live.speak(rng.choices([p.id for p in people], weights)[0])
        live.speak("P1")
    assert live.journal is not None
    os.fsync(live.journal._fd)
    live.journal.close()
    live.journal = None
    return store.path, clock.now()


def recompute_times(folder: Path, last_at: float, calls: int) -> dict[str, list[float]]:
    from facilitator.core import events as ev
    from facilitator.core.clock import FakeClock
    from facilitator.core.events import Event
    from facilitator.core.talk import ALL, phase_scope
    from facilitator.core.talk_figures import nudges, talk_figures
    from facilitator.services.live import LiveSession
    from facilitator.store.session_store import SessionStore

    live = LiveSession(
        SessionStore(folder), writer="bench", clock=FakeClock(last_at), read_only=True
    )
    state = live.state
    now_s = state.session_s(last_at)
    scope = phase_scope(state.phase_id)
    board, summary, fold = [], [], []
    for _ in range(calls):
        t = time.perf_counter()
        talk_figures(state.talk, state.roster, now_s, scope)
        whole = talk_figures(state.talk, state.roster, now_s, ALL)
        nudges(whole, state.guide.settings, now_s, state.dismissed)
        board.append(time.perf_counter() - t)
    for _ in range(max(3, calls // 50)):
        t = time.perf_counter()
        talk_figures(state.talk, state.roster, now_s, ALL, with_details=True)
        summary.append(time.perf_counter() - t)
    turns_before = len(state.talk.turns)
    ids = [p.id for p in state.roster]
    for n in range(calls):
        event = Event("bench", n + 1, last_at + n * 0.01, ev.SPEAKER, {"who": ids[n % len(ids)]})
        t = time.perf_counter()
        state.apply(event)
        fold.append(time.perf_counter() - t)
    return {"board": board, "summary": summary, "fold": fold, "turns": [turns_before]}


async def frame_round(live, presses: int) -> list[float]:
    from keypress import FrameProbe

    from facilitator.ui.app import make_app

    app = make_app(live)
    times: list[float] = []
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await pilot.pause()
        probe = FrameProbe(app, live)
        keys = [str(n) for n in range(2, 10)] + ["0", "1"]  # P1 holds the floor at the start
        for n in range(presses):
            await pilot.pause()
            await asyncio.sleep(GAP_S)
            times.append(await probe.press(keys[n % len(keys)]))
    return times


def child(template: str, last_at: float, work: str, presses: int) -> None:
    from facilitator.core.clock import FakeClock
    from facilitator.services.live import LiveSession
    from facilitator.store.session_store import SessionStore

    copy_session(Path(template), Path(work))
    live = LiveSession(SessionStore(Path(work)), clock=FakeClock(last_at))
    try:
        times = asyncio.run(frame_round(live, presses))
    finally:
        assert live.journal is not None
        live.journal.close()
    print(json.dumps(times))


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=4, help="key-to-frame rounds per size")
    p.add_argument("--presses", type=int, default=40, help="timed key presses per round")
    p.add_argument("--calls", type=int, default=2000, help="recompute calls per size")
    p.add_argument("--child", nargs=3, metavar=("TEMPLATE", "LAST_AT", "WORK"), help="internal")
    args = p.parse_args(argv)
    if args.child:
        child(args.child[0], float(args.child[1]), args.child[2], args.presses)
        return 0
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-talk-") as tmp:
        base = Path(tmp)
        templates = {n: build(base, n) for n in TURNS}
        recompute = {n: recompute_times(*templates[n], args.calls) for n in TURNS}
        frames: dict[int, list[float]] = {n: [] for n in TURNS}
        for r in range(args.rounds):
            for n in TURNS if r % 2 == 0 else reversed(TURNS):
                template, last_at = templates[n]
                done = subprocess.run(
                    [
                        PYTHON,
                        str(Path(__file__).resolve()),
                        "--child",
                        str(template),
                        repr(last_at),
                        str(base / f"work-{n}"),
                        "--presses",
                        str(args.presses),
                    ],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=180,
                    env={**os.environ, "FACILITATOR_LANG": "en", "TEXTUAL_ANIMATIONS": "none"},
                )
                if done.returncode != 0:
                    raise RuntimeError(f"round failed:\n{done.stdout}\n{done.stderr}")
                frames[n] += json.loads(done.stdout.strip().splitlines()[-1])

    small, large = TURNS
    rows = [("", f"at {small:,} turns", f"at {large:,} turns", "ratio")]

    def row(label: str, a: float, b: float) -> None:
        rows.append((label, ms(a), ms(b), f"{b / a:.2f}x"))

    board = {n: median(recompute[n]["board"]) for n in TURNS}
    row("every figure of a key press (board + reminders), median", board[small], board[large])
    row(
        "  p95",
        percentile(recompute[small]["board"], 95),
        percentile(recompute[large]["board"], 95),
    )
    row(
        "context: the summary's full pass, median",
        median(recompute[small]["summary"]),
        median(recompute[large]["summary"]),
    )
    row(
        "context: one speaker change folded, median",
        median(recompute[small]["fold"]),
        median(recompute[large]["fold"]),
    )
    frame = {n: median(frames[n]) for n in TURNS}
    row("speaker key to repainted frame, median", frame[small], frame[large])
    row("  p95", percentile(frames[small], 95), percentile(frames[large], 95))
    table(
        f"talk: {HOURS}-hour session, {PEOPLE} participants; {args.calls} recomputes per size, "
        f"{len(frames[large])} key presses per size ({args.rounds} rounds, one process each, "
        f"run_test {SIZE[0]}x{SIZE[1]})",
        rows,
        [
            "turns in the ledger (speakers and silences): "
            f"{recompute[small]['turns'][0]:,} and {recompute[large]['turns'][0]:,}"
        ],
    )
    checks = [
        Check(
            "talk",
            f"every talk figure on a key press at {large:,} turns, median",
            ms(board[large]),
            f"< {ms(RECOMPUTE_GOAL_S)}",
            board[large] < RECOMPUTE_GOAL_S,
        ),
        Check(
            "talk",
            f"speaker key to frame at {large:,} turns, median",
            ms(frame[large]),
            f"< {ms(FRAME_GOAL_S)}",
            frame[large] < FRAME_GOAL_S,
        ),
    ]
    return finish(args, checks)


if __name__ == "__main__":
    raise SystemExit(main())
