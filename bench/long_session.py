"""A long session in the live view: memory over four simulated hours, and key latency at the end.

    .venv/bin/python bench/long_session.py [--hours 4] [--participants 10] [--changes 10000]
                                           [--notes 2000] [--seed 8] [--json FILE]

Method. A generated script (``facilitator.services.simulate.generate_script``: 4 hours, 10
participants, about 10,000 speaker changes and 2,000 notes, moves through the guide, a
break) is played in the moderator's real live view: the app is built as ``facilitator
simulate --view`` builds it (``make_simulation_app``) and run with ``App.run_test`` at
120x40, notifications on; a stepped clock (``FakeClock``) is set to each line's moment and
the line is played through the live screen's own path (``play_line``: the event appended
and fsynced, the fold, the widgets updated), then the app is let run until idle, so every
change is laid out and drawn. The resident set size (``VmRSS``) is read at the start (the
app mounted, nothing played), at every simulated hour, and at the end, after a full garbage
collection each time.

Memory cannot stay flat in absolute terms: the session's state (every turn, note and event
id) lives in memory by design, so a 4-hour session holds more than a 1-hour one. To tell
that from a leak in the view, the same events are folded without any UI in a fresh process
and its growth is reported beside the app's: the app's growth after warm-up (the first
simulated hour) should be close to the state's own.

Key latency: → and 1 (a participant takes the floor), alternating with ← and 2, measured as
``bench/keypress.py`` does (key event handed to the driver → first frame of the live screen
drawn after the event is in the state, turned into escape sequences), at the start and at
the end (before the script's last line ends the session). Goal: under 16 ms (one frame at
60 Hz) at the end.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import GUIDE, PYTHON, ROOT, SIZE, Check, finish, median, ms, parser, percentile
from _common import print_table as table

GOAL_S = 0.016
PRESSES = 24  # of each kind, at the start and at the end
KEYS_START = ("right", "1", "left", "2")  # from the first question: forward, then back
KEYS_END = ("left", "1", "right", "2")  # from the last question: back, then forward
KINDS = {"right": "move", "left": "move", "1": "speaker", "2": "speaker"}


class FrameWaiter:
    """Waits for the next frame of the live view drawn after a change (and turns every frame
    into escape sequences, the work a terminal driver does and the headless one skips)."""

    def __init__(self, app) -> None:
        self.drawn = asyncio.Event()
        self.missed = 0
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is not None and screen is app.screen:
                renderable.render_segments(app.console)
                self.drawn.set()

        app._display = display

    def clear(self) -> None:
        self.drawn.clear()

    async def wait(self, timeout: float = 1.0) -> None:
        try:
            await asyncio.wait_for(self.drawn.wait(), timeout)
        except TimeoutError:
            self.missed += 1  # a line that changed nothing on screen


def rss_mb() -> float:
    """The resident set size of this process now, in MB (after a full collection)."""
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def press_keys(app, live, pilot, count: int, keys) -> dict[str, list[float]]:
    from keypress import FrameProbe

    from facilitator.core.talk import MODERATOR

    live.speak(MODERATOR)  # so that 1 and 2 always change the speaker
    await pilot.pause()
    saved = app.__dict__.get("_display")
    probe = FrameProbe(app, live)
    times: dict[str, list[float]] = {"move": [], "speaker": []}
    for n in range(count * 2):
        await pilot.pause()
        await asyncio.sleep(0.02)
        key = keys[n % len(keys)]
        times[KINDS[key]].append(await probe.press(key))
    await pilot.pause()
    if saved is None:
        del app._display  # the probe's wrapper: back to the app's own
    else:
        app._display = saved
    return times


async def play(
    script_path: Path,
    work: Path,
    on_hour=None,
    presses: int = PRESSES,
    sample_every_s: float = 3600.0,
) -> dict:
    """Play the script in the live view; returns the figures (and the live session, closed).
    With ``presses`` 0 no keys are pressed: the session is exactly the script's."""
    from facilitator.core.clock import FakeClock
    from facilitator.core.guide import load_guide
    from facilitator.services import simulate as sim
    from facilitator.services.live import LiveSession
    from facilitator.ui.simulation import make_simulation_app

    script = sim.load_script(script_path)
    guide = load_guide(GUIDE)
    started = 1_800_000_000.0
    store = sim.create_session(work / "sessions", script, guide, str(GUIDE), started)
    clock = FakeClock(started)
    live = LiveSession(store, clock=clock)
    playback = sim.new_playback(script, started)
    app = make_simulation_app(live, playback, clock, autoplay=False)
    figures: dict = {"rss": [], "keys_start": {}, "keys_end": {}, "store": str(store.path)}
    lines = playback.lines
    last = lines[-1] if lines and lines[-1].action == "end" else None
    body = lines[:-1] if last else lines
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "LiveScreen", app.screen
        figures["rss"].append((0.0, rss_mb(), live.state.event_count))
        if presses:
            figures["keys_start"] = await press_keys(app, live, pilot, presses, KEYS_START)
        next_sample = sample_every_s
        frames = FrameWaiter(app)
        t0 = time.perf_counter()
        for line in body:
            at = playback.at(line)
            while line.t >= next_sample:
                figures["rss"].append((next_sample / 3600, rss_mb(), live.state.event_count))
                if on_hour:
                    on_hour(next_sample / 3600, figures["rss"][-1])
                next_sample += sample_every_s
            clock.set(max(clock.now(), at))
            frames.clear()
            app.play_line(line)
            await frames.wait()  # laid out and drawn before the next line
        figures["play_s"] = time.perf_counter() - t0
        figures["lines_not_drawn"] = frames.missed
        figures["lines"] = len(body)
        if presses:
            figures["keys_end"] = await press_keys(app, live, pilot, presses, KEYS_END)
        figures["rss"].append(
            (body[-1].t / 3600 if body else 0.0, rss_mb(), live.state.event_count)
        )
        if last is not None:  # the end: the summary screen replaces the live view
            clock.set(playback.at(last))
            t1 = time.perf_counter()
            frames.clear()
            app.play_line(last)
            while type(app.screen).__name__ != "SummaryScreen" or not frames.drawn.is_set():
                if type(app.screen).__name__ != "SummaryScreen":
                    frames.clear()
                await asyncio.sleep(0.005)
                if time.perf_counter() - t1 > 600:
                    raise TimeoutError("no summary screen after 10 minutes")
            figures["summary_s"] = time.perf_counter() - t1
        figures["ended"] = live.state.ended
        figures["events"] = live.state.event_count
        figures["notes"] = len(live.state.live_notes())
        figures["turns"] = len(live.state.talk.turns)
        figures["live"] = live
        await app.workers.wait_for_complete()
    live.close()
    return figures


def state_only_growth(store: str) -> tuple[float, float]:
    """RSS before and after folding the session's events, with no UI, in a fresh process."""
    code = (
        "import gc, json\n"
        "from pathlib import Path\n"
        "def rss():\n"
        "    gc.collect()\n"
        "    for l in Path('/proc/self/status').read_text().splitlines():\n"
        "        if l.startswith('VmRSS:'): return int(l.split()[1]) / 1024\n"
        "from facilitator.core.session import state_of\n"
        "from facilitator.core.summary import build_summary\n"
        "from facilitator.store.session_store import SessionStore\n"
        f"store = SessionStore(Path({store!r}))\n"
        "info = store.info()\n"
        "before = rss()\n"
        "state = state_of(info, store.read_events().events)\n"
        "after = rss()\n"
        "print(json.dumps([before, after]))\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    before, after = json.loads(done.stdout)
    return before, after


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--hours", type=float, default=4.0)
    p.add_argument("--participants", type=int, default=10)
    p.add_argument("--changes", type=int, default=10_000)
    p.add_argument("--notes", type=int, default=2_000)
    p.add_argument("--seed", type=int, default=8)
    args = p.parse_args(argv)

    from facilitator.core.guide import load_guide
    from facilitator.services import simulate as sim

    with tempfile.TemporaryDirectory(prefix="facilitator-long-") as tmp:
        work = Path(tmp)
        plan = sim.GeneratorPlan(
            args.hours * 60, args.participants, args.seed, args.changes, args.notes
        )
        script = work / "long.sim"
        script.write_text(
            sim.generate_script(load_guide(GUIDE), str(GUIDE), plan), encoding="utf-8"
        )

        def hourly(hours: float, sample) -> None:
            print(f"  hour {hours:g}: {sample[1]:.1f} MB, {sample[2]:,} events", flush=True)

        figures = asyncio.run(play(script, work, hourly))
        state_before, state_after = state_only_growth(figures["store"])

    rss = figures["rss"]
    start_mb, end_mb = rss[0][1], rss[-1][1]
    warm = rss[1] if len(rss) > 2 else rss[0]  # after the first simulated hour
    rows = [("moment", "RSS", "events")]
    for hours, mb, events in rss:
        rows.append((f"{hours:.2f} h", f"{mb:.1f} MB", f"{events:,}"))
    state_mb = state_after - state_before
    app_growth = end_mb - warm[1]
    state_share = state_mb * (rss[-1][2] - warm[2]) / max(1, rss[-1][2])
    keys = []
    for label, kind in (("→ / ← (move)", "move"), ("1 / 2 (speaker)", "speaker")):
        a, b = figures["keys_start"][kind], figures["keys_end"][kind]
        keys.append((label, ms(median(a)), ms(median(b)), ms(percentile(b, 95)), ms(max(b))))
    table(
        f"long session: {args.hours:g} h simulated, {args.participants} participants, "
        f"{figures['turns']:,} turns, {figures['notes']:,} notes, {figures['events']:,} events, "
        f"played in the live view in {figures['play_s']:.0f} s (run_test {SIZE[0]}x{SIZE[1]})",
        rows,
        [
            f"{figures['lines_not_drawn']} lines of {figures['lines']:,} changed nothing on screen",
            "context: the end (the script's last line) to the summary screen drawn: "
            + (f"{figures['summary_s']:.1f} s" if "summary_s" in figures else "-"),
            f"growth: {end_mb - start_mb:.1f} MB in all; after the first hour "
            f"{app_growth:.1f} MB for {rss[-1][2] - warm[2]:,} events",
            f"the same events folded with no UI take {state_mb:.1f} MB "
            f"({state_mb * 1024 / max(1, rss[-1][2]):.2f} KB an event); the part of it "
            f"after the first hour: {state_share:.1f} MB",
        ],
    )
    table(
        "key press to repainted frame",
        [("key", "start, median", "end, median", "end, p95", "end, max"), *keys],
    )
    checks = [
        Check(
            "long_session",
            f"median key press to repaint after {args.hours:g} h, {label}",
            f"{end} (start {start})",
            f"< {GOAL_S * 1000:.0f} ms",
            median(figures["keys_end"][kind]) < GOAL_S,
        )
        for (label, start, end, *_rest), kind in zip(keys, ("move", "speaker"), strict=True)
    ]
    overhead = app_growth - state_share
    checks.append(
        Check(
            "long_session",
            "RSS growth after the first hour beyond the session's own state",
            f"{overhead:.1f} MB ({app_growth:.1f} MB in all, state {state_share:.1f} MB)",
            "< 20 MB",
            overhead < 20,
        )
    )
    figures.pop("live", None)
    return finish(args, checks, {"figures": figures})


if __name__ == "__main__":
    sys.exit(main())
