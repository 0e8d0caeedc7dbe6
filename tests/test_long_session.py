"""One simulated hour in the live view (``bench/long_session.py`` in short): memory and state.

A generated hour (10 participants, 1,500 speaker changes, 300 notes, a break, moves through
the guide) is played line by line through the live screen's own path, each change drawn
before the next, on a stepped clock. Then:

- memory: the resident set size may grow after warm-up (the first 10 simulated minutes)
  by what the session's own state takes (measured by folding the same events with no UI,
  in a fresh process) plus at most ``SLACK_MB``. The bound: ``bench/long_session.py``
  measured the view's own growth (beyond the state) at a few MB over four hours and 12,000
  events, mostly in the first hour (caches of styles and rendered lines filling up); 15 MB
  is room for the allocator's noise and a slower machine, and far below what a leak per key
  press or per frame would cost (a kilobyte a change is 2 MB here, per frame many more).
- state: the view's state is the state folded afresh from disk, and the summary is, to the
  hundredth of a second, that of the same script played headless.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from pathlib import Path

import pytest

from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.core.session import state_of
from facilitator.core.summary import build_summary
from facilitator.services import simulate as sim
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
GUIDE = ROOT / "guides" / "seed-en.toml"
SLACK_MB = 15.0
WARM_UP_S = 600.0


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))  # long_session imports the benchmarks' _common
long_session = _module("long_session", BENCH / "long_session.py")
two_writer = _module("two_writer", Path(__file__).parent / "helpers" / "two_writer.py")


def test_an_hour_in_the_live_view_keeps_memory_flat_and_the_state_whole(tmp_path: Path) -> None:
    started = time.monotonic()
    guide = load_guide(GUIDE)
    plan = sim.GeneratorPlan(60, 10, 21, changes=1_500, notes=300)
    script_path = tmp_path / "hour.sim"
    script_path.write_text(sim.generate_script(guide, str(GUIDE), plan), encoding="utf-8")

    figures = asyncio.run(
        long_session.play(script_path, tmp_path / "view", presses=0, sample_every_s=WARM_UP_S)
    )
    store = SessionStore(Path(figures["store"]))
    assert figures["ended"]
    assert figures["lines_not_drawn"] <= 5  # every change reached the screen

    # memory: growth after warm-up, against what the state takes for the events since
    rss = figures["rss"]  # (hours, MB, events): the start, every 10 minutes, the end
    assert len(rss) >= 7
    (_h, warm_mb, warm_events), (_h2, end_mb, end_events) = rss[1], rss[-1]
    before, after = long_session.state_only_growth(str(store.path))
    state_mb = (after - before) * (end_events - warm_events) / end_events
    growth = end_mb - warm_mb
    print(
        "RSS " + ", ".join(f"{mb:.1f}" for _t, mb, _n in rss) + f" MB; after warm-up "
        f"{growth:+.1f} MB for {end_events - warm_events:,} events, the state's share "
        f"{state_mb:.1f} MB; played in {figures['play_s']:.0f} s"
    )
    assert growth < state_mb + SLACK_MB, (growth, state_mb)

    # state: the view's is the disk's, and the script's exactly
    live = figures["live"]
    info = store.info()
    fresh = state_of(info, store.read_events().events)
    now = live.state.ended_at
    assert two_writer.fingerprint(info, live.state, now) == two_writer.fingerprint(info, fresh, now)
    assert len(fresh.talk.turns) > 1_400 and len(fresh.live_notes()) == 300

    script = sim.load_script(script_path)
    begin = 1_800_000_000.0
    other = sim.create_session(tmp_path / "headless", script, guide, str(GUIDE), begin)
    clock = FakeClock(begin)
    headless = LiveSession(other, clock=clock)
    sim.play_headless(headless, clock, sim.new_playback(script, begin))
    headless.close()
    view_summary = build_summary(info, fresh, now)
    headless_summary = build_summary(headless.info, headless.state, now)
    for key in ("participants", "moderator", "balance", "phases", "notes", "follow_ups"):
        assert view_summary[key] == headless_summary[key], key
    assert view_summary["session"]["duration_s"] == headless_summary["session"]["duration_s"]
    assert time.monotonic() - started < 60
