"""What the benchmarks share: real sessions, quick filling, statistics and the result table.

Speed is measured, not asserted: each benchmark times the app against a baseline measured
in the same run (machines are noisy), prints the figures, the ratio and the goal, and says
PASS or MISS. It exits 0 either way unless ``--strict`` is given, then a MISS exits 1.
``--json FILE`` also writes the results for ``run_all.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
GUIDE = ROOT / "guides" / "seed-en.toml"
PYTHON = sys.executable
START = 1_800_000_000.0  # the fixed moment the tests use
SIZE = (120, 40)

# The demo session's roster (as in the Makefile and tests/conftest.py).
PARTICIPANTS = [
    ("P1", "Informant 1", "Housing office"),
    ("P2", "Informant 2", "Property office"),
    ("P3", "Informant 3", "NAV"),
    ("P4", "Informant 4", "Volunteer centre"),
    ("P5", "Informant 5", "State housing bank"),
]


def create_session(sessions_dir: Path, now: float = START, title: str = "Bench"):
    """A new session on the bundled English guide, stage 1, as ``facilitator new`` makes it."""
    from facilitator.core.guide import load_guide
    from facilitator.core.session import Participant
    from facilitator.store.session_store import SessionStore

    return SessionStore.create(
        sessions_dir,
        load_guide(GUIDE),
        title=title,
        participants=[Participant(*p) for p in PARTICIPANTS],
        now=now,
        study="bench",
        stage=1,
        guide_path=str(GUIDE.relative_to(ROOT)),
    )


@contextlib.contextmanager
def fsync_skipped() -> Iterator[None]:
    """Build large journals quickly: the same bytes, without one fsync per event.

    Only for setting a session up; nothing measured runs inside this block.
    """
    real = os.fsync
    os.fsync = lambda fd: None
    try:
        yield
    finally:
        os.fsync = real


SPAN_S = 40 * 60.0  # every benchmark session is 40 minutes old, whatever its event count


CHECKPOINT_S = 300.0  # the live view's periodic checkpoint (ui/screens/live.py: CHECKPOINT_S)


def fill_to(
    live, total: int, clock, span_s: float = SPAN_S, checkpoint_at: int | None = None
) -> None:
    """Record events through the live session's own actions until the session holds ``total``
    events (those recorded on opening included), then sync once.

    A moderator's mix, mostly speaker changes as in a focus group: in every 12 steps, 7
    speaker changes (the five participants, the moderator, now and then nobody), an undo,
    a move to the next or previous question, a checklist tick, a break and its end. It
    ends unpaused, with the moderator speaking, on the first phase, where the benchmarks
    start. The events are spread evenly over ``span_s`` of session time, so that sessions of
    100 and of 10,000 events are equally old and show the same clocks, coverage and
    reminders: they differ only in how many events made them.

    ``checkpoint_at``: when the session holds that many events, checkpoint it as the live
    view's periodic checkpoint does (the TinyDB copy and the snapshot of the folded state).
    """
    from facilitator.core.talk import MODERATOR

    items = [item.id for phase in live.guide.phases for item in phase.checklist]
    speakers = [p.id for p in live.state.roster] + [MODERATOR, None]
    first_phase = live.guide.phases[0].id
    step_s = span_s / total
    n = 0

    def speak() -> object:
        nonlocal n
        for _ in range(len(speakers)):
            n += 1
            event = live.speak(speakers[n % len(speakers)])
            if event is not None:
                return event
        return None

    def step(choice: int) -> object:
        if choice == 3:
            return live.next_question() or live.previous_question()
        if choice == 6:
            return live.undo()
        if choice == 8:
            return live.toggle_checked(items[n % len(items)])
        if choice in (10, 11):
            return live.toggle_pause()
        return speak()

    with fsync_skipped():
        while live.state.event_count < total - 3:
            if checkpoint_at is not None and live.state.event_count >= checkpoint_at:
                live.store.checkpoint(live.state)  # what the periodic one writes
                checkpoint_at = None
            clock.advance(step_s)
            before = live.state.event_count
            step(live.state.event_count % 12)
            if live.state.event_count == before:  # nothing to undo, say: tick instead
                live.toggle_checked(items[0])
        for action in (
            lambda: live.toggle_pause() if live.state.paused else None,
            lambda: live.goto(first_phase) if live.state.phase_id != first_phase else None,
            lambda: live.speak(MODERATOR),
        ):
            clock.advance(step_s)
            action()
        while live.state.event_count < total:
            clock.advance(step_s)
            live.toggle_checked(items[0])
    assert live.journal is not None
    assert live.state.event_count == total, (live.state.event_count, total)
    os.fsync(live.journal._fd)


def copy_session(source: Path, target: Path) -> None:
    """A fresh copy of a session folder, on disk before anything is timed.

    Without the sync, the first fsync timed on the copy would also write out the copy's
    dirty pages (a megabyte at 10,000 events) and be charged to the append.
    """
    import shutil

    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    for path in [target, *target.iterdir()]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def build_session(
    base: Path, total: int, start: float = START, checkpointed: bool = False
) -> tuple[Path, float]:
    """A session folder holding ``total`` events from ``start`` on, and its last event's time.

    ``checkpointed``: as the live view leaves a session killed just before its next periodic
    checkpoint (the worst case for a start): the last checkpoint (``CHECKPOINT_S``) ago, its
    snapshot of the folded state and the events since in the journal. Otherwise the session
    never had a checkpoint.
    """
    from facilitator.core.clock import FakeClock
    from facilitator.services.live import LiveSession

    clock = FakeClock(start)
    name = f"template-{total}" + ("-checkpointed" if checkpointed else "")
    store = create_session(base / name, now=clock.now())
    live = LiveSession(store, clock=clock)
    at = total - round(total * CHECKPOINT_S / SPAN_S) if checkpointed else None
    fill_to(live, total, clock, checkpoint_at=at)
    assert live.journal is not None
    live.journal.close()  # not live.close(): that would add a ``closed`` event
    live.journal = None
    return store.path, clock.now()


# --- figures ----------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    value = seconds * 1000
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


@dataclass
class Check:
    """One goal: the figure measured, the goal, and whether it was met."""

    bench: str
    what: str
    figure: str
    goal: str
    ok: bool


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_table(
    title: str, rows: list[tuple[str, ...]], notes: tuple[str, ...] | list[str] = ()
) -> None:
    """A plain table: the first row is the header."""
    print(title)
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ]
        print("  " + "  ".join(cells).rstrip())
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))
    for note in [*notes, load_note()]:
        print("  " + note)


def load_note() -> str:
    """Other work on the machine shows in absolute figures (less in ratios): say how much."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return f"{os.cpu_count()} CPUs"
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def print_checks(checks: list[Check]) -> None:
    for check in checks:
        print(f"  {verdict(check.ok)}  {check.what}: {check.figure} (goal {check.goal})")


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--strict", action="store_true", help="exit 1 if a goal is missed")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    return p


def finish(args: argparse.Namespace, checks: list[Check], extra: dict | None = None) -> int:
    print_checks(checks)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"checks": [asdict(c) for c in checks], **(extra or {})}, indent=1)
        )
    missed = [c for c in checks if not c.ok]
    return 1 if (args.strict and missed) else 0
