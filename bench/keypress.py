"""Key press to repaint in the live view at 10,000 events, against 100 events.

    .venv/bin/python bench/keypress.py [--rounds N] [--presses N] [--strict] [--json FILE]

Goal: at 10,000 events, the median time from a key press to the repainted frame is under
16 ms (one frame at 60 Hz), for the keys pressed all through a session: → / ← (move
through the guide) and 1 / 2 (a participant takes the floor). The same at 100 events is
the baseline; the ratio is printed for context.

Method. Two sessions are built through ``LiveSession``'s own actions (mostly speaker
changes, with undos, moves through the guide, checklist ticks, breaks; fsync skipped while
building, the bytes are the same), holding 100 and 10,000 events spread over the same 40
minutes, so both show the same clocks and reminders and differ only in their history.
Each round runs in a fresh process (so no round inherits another's heap): it takes a
fresh copy of one session, opens it as ``facilitator run`` does (``LiveSession``: the
state is folded from every event on disk), builds the app with ``make_app`` and runs it
with ``App.run_test`` at 120x40, notifications and tooltips on as in the real app. A fake
clock stands still, so the clocks shown do not change (the screen's half-second tick still
runs, as in the app; a frame it causes is never taken for a key's). For each press:

- t0 is taken just before the key event is handed to the driver (``driver.send_message``,
  the call a terminal driver's input thread makes), so the event travels the real path:
  the app's queue, the screen's bindings, the action (the event appended and fsynced,
  the fold, the widgets updated), layout, and the compositor;
- t1 is taken when the compositor hands the app the first frame of the live screen drawn
  after the action's event is in the state (``App._display``, wrapped on this app
  instance only), once that frame is turned into terminal escape sequences
  (``render_segments``, which the headless driver skips and a terminal driver does; it is
  done for every frame, not only the timed ones, so nothing is left out).

Pilot's own ``press`` is not used for timing: it waits for the whole process to look idle,
which measures its polling, not the app. Between presses the benchmark waits until the
app is idle (``pilot.pause``) and then 20 ms more, longer than one frame at 60 Hz, so each
press starts from a quiet screen, as a moderator's keys do. Keys go → 1 ← 2 → 1 ..., so
each one changes something and records an event: → moves from the first phase's one
question to the main phase's first (a phase change: question, coverage, checklist and
guidance all change), ← moves back, 1 and 2 give the floor to P1 and P2. Rounds alternate
between the sizes (ABBA ...). Python's garbage collector runs as usual: its pauses are part
of the app.

For context: opening the session (read and fold), and → / ← pressed 2 ms after the live
view's periodic checkpoint (``SessionStore.checkpoint`` in a worker thread) has started.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    PYTHON,
    ROOT,
    SIZE,
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

GOAL_S = 0.016
SIZES = (100, 10_000)
GAP_S = 0.020
TIMEOUT_S = 5.0
KEYS = ("right", "1", "left", "2")  # a move, a speaker, back, another speaker
KINDS = {"right": "move", "left": "move", "1": "speaker", "2": "speaker"}


class FrameProbe:
    """Wraps one app's ``_display``: encodes every frame, stamps the one a press waits for."""

    def __init__(self, app, live) -> None:
        self.app = app
        self.live = live
        self.after_count: int | None = None
        self.frame: asyncio.Future[float] | None = None
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is None or screen is not app.screen:
                return
            renderable.render_segments(app.console)  # what a terminal driver does next
            if (
                self.frame is not None
                and not self.frame.done()
                and type(screen).__name__ == "LiveScreen"
                and self.after_count is not None
                and live.state.event_count > self.after_count
            ):
                self.frame.set_result(time.perf_counter())

        app._display = display

    async def press(self, key: str) -> float:
        from textual import events

        self.after_count = self.live.state.event_count
        self.frame = asyncio.get_running_loop().create_future()
        t0 = time.perf_counter()
        self.app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
        t1 = await asyncio.wait_for(self.frame, TIMEOUT_S)
        return t1 - t0


async def one_round(live, presses: int, checkpoints: int) -> dict[str, list[float]]:
    from facilitator.ui.app import make_app

    app = make_app(live)
    times: dict[str, list[float]] = {"move": [], "speaker": [], "checkpoint": []}
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "LiveScreen", app.screen
        roster = [p.id for p in live.state.roster]
        probe = FrameProbe(app, live)
        start = (live.state.phase_id, live.state.question_id)
        moved = None
        for n in range(presses + 2 * checkpoints):
            await pilot.pause()
            await asyncio.sleep(GAP_S)
            key = KEYS[n % len(KEYS)]
            if n >= presses and KINDS[key] == "move":
                app.screen.checkpoint()  # the periodic checkpoint, as the live view starts it
                await asyncio.sleep(0.002)
                times["checkpoint"].append(await probe.press(key))
            elif n < presses:
                times[KINDS[key]].append(await probe.press(key))
            else:
                await probe.press(key)
            here = (live.state.phase_id, live.state.question_id)
            if key == "right":
                moved = moved or here
                assert here == moved and here != start, (key, here)
            elif key == "left":
                assert here == start, (key, here)
            else:
                assert live.state.talk.current_speaker == roster[int(key) - 1], key
        await app.workers.wait_for_complete()
    return times


def child(template: str, last_at: float, work: str, presses: int, checkpoints: int) -> None:
    """One round, in its own process: print the figures as JSON."""
    from facilitator.core.clock import FakeClock
    from facilitator.services.live import LiveSession
    from facilitator.store.session_store import SessionStore

    copy_session(Path(template), Path(work))
    clock = FakeClock(last_at)  # no time passes: no gap is shown, no clock moves
    t = time.perf_counter()
    live = LiveSession(SessionStore(Path(work)), clock=clock)
    opened = time.perf_counter() - t
    try:
        times = asyncio.run(one_round(live, presses, checkpoints))
    finally:
        assert live.journal is not None
        live.journal.close()
    print(json.dumps({**times, "open": [opened]}))


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=4, help="rounds per size (default 4)")
    p.add_argument("--presses", type=int, default=48, help="timed presses per round (default 48)")
    p.add_argument(
        "--checkpoints",
        type=int,
        default=3,
        help="moves per round made during a checkpoint, for context (default 3)",
    )
    p.add_argument("--child", nargs=3, metavar=("TEMPLATE", "LAST_AT", "WORK"), help="internal")
    args = p.parse_args(argv)
    if args.child:
        template, last_at, work = args.child
        child(template, float(last_at), work, args.presses, args.checkpoints)
        return 0

    results = {n: {"move": [], "speaker": [], "checkpoint": [], "open": []} for n in SIZES}
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-") as tmp:
        base = Path(tmp)
        templates = {n: build_session(base, n) for n in SIZES}

        def run_round(n: int, presses: int) -> dict[str, list[float]]:
            template, last_at = templates[n]
            command = [
                PYTHON,
                str(Path(__file__).resolve()),
                "--child",
                str(template),
                repr(last_at),
                str(base / f"work-{n}"),
                "--presses",
                str(presses),
                "--checkpoints",
                str(args.checkpoints),
            ]
            env = {"FACILITATOR_LANG": "en", "TEXTUAL_ANIMATIONS": "none"}
            done = subprocess.run(
                command,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
                env={**os.environ, **env},
            )
            if done.returncode != 0:
                raise RuntimeError(f"round failed:\n{done.stdout}\n{done.stderr}")
            return json.loads(done.stdout.strip().splitlines()[-1])

        run_round(SIZES[0], 8)  # warm the file cache; not counted
        for r in range(args.rounds):
            order = list(SIZES) if r % 2 == 0 else list(reversed(SIZES))
            for n in order:
                for kind, values in run_round(n, args.presses).items():
                    results[n][kind] += values

    small, large = SIZES
    rows = [("", f"at {small:,}", f"at {large:,}", "ratio")]

    def row(label: str, kind: str, pick) -> float:
        a, b = pick(results[small][kind]), pick(results[large][kind])
        rows.append((label, ms(a), ms(b), f"{b / a:.2f}x"))
        return b / a

    p95 = lambda values: percentile(values, 95)  # noqa: E731
    ratios = {}
    for kind, label in (("move", "→ / ← (move)"), ("speaker", "1 / 2 (speaker)")):
        ratios[kind] = row(f"{label}, median", kind, median)
        row(f"{label}, p95", kind, p95)
        row(f"{label}, max", kind, max)
    if args.checkpoints:
        row("context: → / ← during a checkpoint, median", "checkpoint", median)
        row("context: → / ← during a checkpoint, max", "checkpoint", max)
    row("context: opening the session (read + fold)", "open", median)
    count = len(results[large]["move"])
    table(
        f"keypress: key press to repainted frame, {count} presses of each kind per size "
        f"({args.rounds} rounds each, interleaved, one process each; run_test {SIZE[0]}x{SIZE[1]})",
        rows,
        [
            f"during a checkpoint: {len(results[large]['checkpoint'])} presses per size, "
            "each 2 ms after the checkpoint's worker thread started.",
        ],
    )
    checks = []
    for kind, label in (("move", "→ / ←"), ("speaker", "1 / 2 (speaker)")):
        values = results[large][kind]
        checks.append(
            Check(
                "keypress",
                f"median key press to repaint at 10,000 events, {label}",
                f"{ms(median(values))} (p95 {ms(p95(values))}; at 100 events "
                f"{ms(median(results[small][kind]))}, ratio {ratios[kind]:.2f}x)",
                f"< {GOAL_S * 1000:.0f} ms",
                median(values) < GOAL_S,
            )
        )
    return finish(args, checks, {"results": results})


if __name__ == "__main__":
    sys.exit(main())
