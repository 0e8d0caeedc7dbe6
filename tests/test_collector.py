"""Full garbage collections off the key path: Python's own put off while the app runs, one
run when the app is idle (ui/collector.py)."""

from __future__ import annotations

import gc

from facilitator.services.live import LiveSession
from facilitator.ui.app import make_app
from facilitator.ui.collector import EVERY_S, FULL_OFF, IDLE_S, LONGEST_S, QuietCollector


class Ticks:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_full_collection_waits_for_a_pause_in_the_keys() -> None:
    now = Ticks()
    collector = QuietCollector(now)
    now.t += EVERY_S + 1
    collector.input()
    now.t += IDLE_S / 2
    assert not collector.maybe_collect()  # a key just now: not while the moderator types
    now.t += IDLE_S
    assert collector.maybe_collect()  # a pause: it runs
    now.t += EVERY_S / 2
    assert not collector.maybe_collect()  # not again so soon
    assert collector.full_runs == 1


def test_keys_without_a_pause_still_get_a_full_collection_in_the_end() -> None:
    now = Ticks()
    collector = QuietCollector(now)
    ran = False
    while now.t < 1000.0 + LONGEST_S + 1 and not ran:
        now.t += 0.2
        collector.input()
        ran = collector.maybe_collect()
    assert ran and now.t >= 1000.0 + LONGEST_S


def test_python_s_own_full_collections_are_put_off_only_while_it_runs() -> None:
    before = gc.get_threshold()
    collector = QuietCollector()
    collector.start()
    try:
        assert gc.get_threshold() == (before[0], before[1], FULL_OFF)
    finally:
        collector.stop()
    assert gc.get_threshold() == before


async def test_no_full_collection_while_keys_are_drawn(live: LiveSession) -> None:
    """Speaker keys and moves in the live view, pressed without a pause: no full (generation
    2) collection runs during them (it took ~50 ms, and came at key presses), and the
    thresholds are Python's own again once the app has ended."""
    before = gc.get_threshold()
    full: list[int] = []

    def watch(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        gc.callbacks.append(watch)
        try:
            for n in range(150):
                await pilot.press(("1", "2", "3", "0")[n % 4])
        finally:
            gc.callbacks.remove(watch)
        assert live.state.talk.current_speaker is not None
    assert full == []
    assert gc.get_threshold() == before
