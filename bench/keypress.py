"""Key press to repaint in the live view at 10,000 events, against a bare Textual app.

    .venv/bin/python bench/keypress.py [--rounds N] [--presses N] [--strict] [--json FILE]

Goals, for the keys pressed all through a session, → / ← (move through the guide) and
1 / 2 (a participant takes the floor), at 10,000 events:

- the time from a key press to the repainted frame is at most 1.5x a bare Textual app's
  key press to the repaint of one changed widget at the median, and at most 2x at the
  95th percentile (the baseline: an App with a Static and a Footer whose key binding
  appends a line to a file and fsyncs it, as the live view saves every key press before
  it shows it, then changes the Static's text; measured the same way in the same run; the
  same app without the fsync is shown for context);
- the median is at most 16 ms (one frame at 60 Hz; on a quiet machine);
- → / ← pressed while the periodic checkpoint runs: at most 2x the bare app's p95 at the
  95th percentile (the checkpoint is off the key path).

The same keys at 100 events are shown for context (what the length of the session adds).

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

Pressed during a checkpoint: → / ← pressed 2 ms after the live view's periodic checkpoint
(``LiveScreen.checkpoint``: ``SessionStore.checkpoint_apart`` in a worker thread, the work in
a child process) has started. For context: opening the session (snapshot or read and fold).
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
MEDIAN_GOAL = 1.5  # x the bare app's median
P95_GOAL = 2.0  # x the bare app's p95
SIZES = (100, 10_000)
GAP_S = 0.020
TIMEOUT_S = 5.0
KEYS = ("right", "1", "left", "2")  # a move, a speaker, back, another speaker
KINDS = {"right": "move", "left": "move", "1": "speaker", "2": "speaker"}


class FrameProbe:
    """Wraps one app's ``_display``: encodes every frame, stamps the one a press waits for."""

    def __init__(self, app, live, screen_name: str | None = "LiveScreen") -> None:
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
                and (screen_name is None or type(screen).__name__ == screen_name)
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


async def answer_the_introduction(app, pilot) -> None:
    """Leaving the introduction with its checklist unticked asks first (once for the same
    items): answer it before timing, from the first question, and come back."""
    if app.screen.live.state.phase_index != 0:
        return
    await pilot.press("right")
    await pilot.pause()
    if type(app.screen).__name__ == "ConfirmScreen":
        await pilot.press("y")
        await pilot.pause()
    await pilot.press("left")
    await pilot.pause()


async def one_round(live, presses: int, checkpoints: int) -> dict[str, list[float]]:
    from facilitator.ui.app import make_app

    app = make_app(live)
    times: dict[str, list[float]] = {"move": [], "speaker": [], "checkpoint": []}
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "LiveScreen", app.screen
        roster = [p.id for p in live.state.roster]
        await answer_the_introduction(app, pilot)
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


async def bare_round(presses: int, journal: Path | None) -> dict[str, list[float]]:
    """The baseline: a bare Textual app (a Static and a Footer); → changes the Static's text.

    With ``journal``, the key first appends one line to that file and fsyncs it, as the live
    view saves every key press before it shows it (nothing on screen that is not on disk):
    the bare app's key press to a repaint of one widget, with the same durable write."""
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Static

    class Counter:  # what FrameProbe reads as the "event count": one up per key handled
        def __init__(self) -> None:
            self.event_count = 0

    class BareApp(App[None]):
        BINDINGS = [("right", "change", "Change"), ("left", "change", "Change")]

        def __init__(self) -> None:
            super().__init__()
            self.state = Counter()

        def compose(self) -> ComposeResult:
            yield Static("Hello from a bare Textual app: 0", id="text")
            yield Footer()

        def action_change(self) -> None:
            if fd is not None:
                os.write(fd, b'{"kind":"bare","n":%d}\n' % self.state.event_count)
                os.fsync(fd)
            self.state.event_count += 1
            self.query_one("#text", Static).update(
                f"Hello from a bare Textual app: {self.state.event_count}"
            )

    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if journal else None
    app = BareApp()
    times: dict[str, list[float]] = {"bare": []}
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await pilot.pause()
        probe = FrameProbe(app, app, screen_name=None)
        for n in range(presses):
            await pilot.pause()
            await asyncio.sleep(GAP_S)
            times["bare"].append(await probe.press("right" if n % 2 == 0 else "left"))
    if fd is not None:
        os.close(fd)
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
    p.add_argument("--child-bare", metavar="JOURNAL", help="internal ('-': no durable write)")
    args = p.parse_args(argv)
    if args.child_bare:
        journal = Path(args.child_bare) if args.child_bare != "-" else None
        print(json.dumps(asyncio.run(bare_round(args.presses, journal))))
        return 0
    if args.child:
        template, last_at, work = args.child
        child(template, float(last_at), work, args.presses, args.checkpoints)
        return 0

    results = {n: {"move": [], "speaker": [], "checkpoint": [], "open": []} for n in SIZES}
    bare: list[float] = []  # the baseline: the bare app, with the durable write
    plain: list[float] = []  # for context: the bare app without it
    env = {**os.environ, "FACILITATOR_LANG": "en", "TEXTUAL_ANIMATIONS": "none"}

    def spawn(command: list[str]) -> dict[str, list[float]]:
        done = subprocess.run(
            [PYTHON, str(Path(__file__).resolve()), *command],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        if done.returncode != 0:
            raise RuntimeError(f"round failed:\n{done.stdout}\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    with tempfile.TemporaryDirectory(prefix="facilitator-bench-") as tmp:
        base = Path(tmp)
        # the long session as the live view leaves it: checkpointed every five minutes, the
        # last one five minutes before the end (so opening it uses the snapshot and a tail)
        templates = {n: build_session(base, n, checkpointed=n > 1000) for n in SIZES}

        def run_round(n: int, presses: int) -> dict[str, list[float]]:
            template, last_at = templates[n]
            work = str(base / f"work-{n}")
            child_args = ["--child", str(template), repr(last_at), work]
            return spawn(
                [*child_args, "--presses", str(presses), "--checkpoints", str(args.checkpoints)]
            )

        def run_bare(presses: int, durable: bool) -> list[float]:
            journal = str(base / "bare-journal.jsonl") if durable else "-"
            return spawn(["--child-bare", journal, "--presses", str(presses)])["bare"]

        run_round(SIZES[0], 8)  # warm the file cache; not counted
        run_bare(8, True)
        for r in range(args.rounds):
            kinds = ["bare", "plain", *SIZES]
            for n in kinds if r % 2 == 0 else reversed(kinds):
                if n == "bare":
                    bare += run_bare(args.presses, True)
                    continue
                if n == "plain":
                    plain += run_bare(args.presses, False)
                    continue
                for kind, values in run_round(n, args.presses).items():
                    results[n][kind] += values

    small, large = SIZES
    p95 = lambda values: percentile(values, 95)  # noqa: E731
    rows = [("", "bare app", f"at {small:,}", f"at {large:,}", "vs bare")]
    picks = (("median", median), ("p95", p95), ("max", max))

    def row(label: str, kind: str, pick, baseline: float | None) -> None:
        a, b = pick(results[small][kind]), pick(results[large][kind])
        vs = f"{b / baseline:.2f}x" if baseline else ""
        rows.append((label, ms(baseline) if baseline else "", ms(a), ms(b), vs))

    for name, pick in picks:
        rows.append(
            (f"bare app, line fsynced, one widget changed, {name}", ms(pick(bare)), "", "", "")
        )
    for name, pick in picks:
        rows.append((f"context: bare app without the fsync, {name}", ms(pick(plain)), "", "", ""))
    for kind, label in (("move", "→ / ← (move)"), ("speaker", "1 / 2 (speaker)")):
        for name, pick in picks:
            row(f"{label}, {name}", kind, pick, pick(bare))
    if args.checkpoints:
        for name, pick in picks:
            row(f"→ / ← during a checkpoint, {name}", "checkpoint", pick, pick(bare))
    row("context: opening the session (snapshot or fold)", "open", median, None)
    count = len(results[large]["move"])
    table(
        f"keypress: key press to repainted frame, {count} presses of each kind per size, "
        f"{len(bare)} in the bare app ({args.rounds} rounds each, interleaved, one process "
        f"each; run_test {SIZE[0]}x{SIZE[1]})",
        rows,
        [
            f"during a checkpoint: {len(results[large]['checkpoint'])} presses per size, "
            "each 2 ms after the checkpoint's worker thread started.",
            f"at {large:,} events the session was checkpointed five minutes before its end "
            "(opened from the snapshot and the journal's tail).",
            "the baseline's key appends a line to a file and fsyncs it before changing its "
            "widget, as every key press of the live view is on disk before it is shown.",
        ],
    )
    checks = []
    base_median, base_p95 = median(bare), p95(bare)
    for kind, label in (("move", "→ / ←"), ("speaker", "1 / 2 (speaker)")):
        values = results[large][kind]
        m, p = median(values), p95(values)
        checks.append(
            Check(
                "keypress",
                f"key press to repaint at 10,000 events, {label}, vs a bare Textual app",
                f"median {ms(m)} = {m / base_median:.2f}x, p95 {ms(p)} = {p / base_p95:.2f}x "
                f"(bare app: median {ms(base_median)}, p95 {ms(base_p95)}; at 100 events "
                f"median {ms(median(results[small][kind]))})",
                f"<= {MEDIAN_GOAL}x median, <= {P95_GOAL}x p95",
                m <= MEDIAN_GOAL * base_median and p <= P95_GOAL * base_p95,
            )
        )
        checks.append(
            Check(
                "keypress",
                f"median key press to repaint at 10,000 events, {label}",
                ms(m),
                f"<= {GOAL_S * 1000:.0f} ms (one frame at 60 Hz, on a quiet machine)",
                m <= GOAL_S,
            )
        )
    if args.checkpoints:
        values = results[large]["checkpoint"]
        checks.append(
            Check(
                "keypress",
                "→ / ← at 10,000 events while the periodic checkpoint runs, p95",
                f"{ms(p95(values))} = {p95(values) / base_p95:.2f}x the bare app's p95 "
                f"(median {ms(median(values))}, max {ms(max(values))})",
                f"<= {P95_GOAL}x the bare app's p95",
                p95(values) <= P95_GOAL * base_p95,
            )
        )
    return finish(args, checks, {"results": results, "bare": bare, "bare_no_fsync": plain})


if __name__ == "__main__":
    sys.exit(main())
