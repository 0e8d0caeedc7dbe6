"""Cold start to the first frame of the live view, against a bare Textual app.

    .venv/bin/python bench/startup.py [--runs N] [--env-as-is] [--strict] [--json FILE]

Goals: the live view's first frame comes at most 1.3x as late as a bare Textual app's; and
reopening a session of 10,000 events, its first frame comes at most 1.5x as late as a new
session's.

Method. Each run spawns a fresh interpreter (no module imported yet: a cold start; the OS
file cache is warm, after one discarded run of each). The kinds of run alternate, in the
order ABC CBA ABC ..., so that drift in the machine's speed hits them alike:

- baseline: bench/_bare_app.py, an App with a Static and a Footer;
- subject: bench/_live_first_frame.py, which runs ``facilitator.cli.main`` with
  ``--sessions DIR run ID`` (what the ``facilitator`` command runs) on a new session of
  guides/seed-en.toml with five participants, a fresh copy for each run, so that each
  start is a first start (``started`` and ``opened`` recorded) on the same data;
- reopening: the same on a session of 10,000 events (40 minutes of them) that stopped a
  minute ago, killed just before its next periodic checkpoint: its last checkpoint (five
  minutes of events, 1,250, before the end) left the snapshot of the folded state, so the
  start takes the state from the snapshot, checks it against the journal and folds the
  1,250 events since (the worst case between two checkpoints);
- context, no goal: the same session without any checkpoint (no snapshot: every event
  read and folded before the first frame, as for a session made by an older version).

All run headless at 120x40 and stamp frames the same way (see _frame_probe.py), with
compiled bytecode cached as in an installed copy (see ``child_env``; ``--env-as-is``
measures this environment as it is instead). The parent reads ``time.time()`` just
before spawning; the child reports the wall-clock time at which its script began (the
interpreter is up), at the first frame of its screen (for the subject: the live screen,
not Textual's blank default screen) and when the footer's keys are painted too
("settled"). The figures are medians over the runs.
"""

from __future__ import annotations

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
    SPAN_S,
    Check,
    build_session,
    copy_session,
    create_session,
    finish,
    median,
    ms,
    parser,
)
from _common import print_table as table

GOAL = 1.3
REOPEN_GOAL = 1.5
TIMEOUT_S = 60


def child_env(pycache: Path | None) -> dict[str, str]:
    """The children's environment: English, and (unless ``pycache`` is None) bytecode cached.

    A user's installed copy runs from compiled bytecode; a development shell may set
    PYTHONDONTWRITEBYTECODE, which makes every start compile facilitator's sources again
    (Textual's came compiled with pip). So by default the children cache bytecode in a
    temporary PYTHONPYCACHEPREFIX (nothing is written into the source tree), filled by the
    discarded first runs, for both apps alike.
    """
    env = {**os.environ, "FACILITATOR_LANG": "en"}
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def spawn(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    before = time.time()
    done = subprocess.run(
        [PYTHON, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    after = time.time()
    lines = [line for line in done.stdout.splitlines() if line.startswith("frame ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"{' '.join(argv)} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    started, first, settled = (float(x) for x in lines[0].split()[1:])
    return {
        "interpreter": started - before,
        "first_frame": first - before,
        "settled": settled - before,
        "exit": after - before,
    }


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10, help="runs of each app (default 10)")
    p.add_argument(
        "--env-as-is",
        action="store_true",
        help="run the children in this environment as it is (no bytecode cache set up)",
    )
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="facilitator-bench-") as tmp:
        base = Path(tmp)
        fresh = create_session(base / "template", now=time.time()).path
        began = time.time() - SPAN_S - 60
        big, _ = build_session(base, 10_000, start=began, checkpointed=True)
        unsnapped, _ = build_session(base, 10_000, start=began)
        env = child_env(None if args.env_as_is else base / "pycache")
        count = 0

        def bare() -> dict[str, float]:
            return spawn([str(BENCH / "_bare_app.py")], env)

        def live(template: Path) -> dict[str, float]:
            nonlocal count
            count += 1
            sessions = base / f"run-{count}"
            copy_session(template, sessions / template.name)
            script = str(BENCH / "_live_first_frame.py")
            return spawn([script, "--sessions", str(sessions), "run", template.name], env)

        runs = {
            "bare": bare,
            "live": lambda: live(fresh),
            "big": lambda: live(big),
            "fold": lambda: live(unsnapped),
        }
        for run in runs.values():  # warm the file and bytecode caches; not counted
            run()
        results: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
        for i in range(args.runs):
            order = list(runs) if i % 2 == 0 else list(reversed(runs))
            for name in order:
                results[name].append(runs[name]())

    def med(name: str, key: str) -> float:
        return median([r[key] for r in results[name]])

    keys = ("interpreter", "first_frame", "settled", "exit")
    rows = [("from spawn to", "interpreter up", "first frame", "settled", "process exit")]
    labels = {
        "bare": "bare Textual app (baseline)",
        "live": "facilitator run, new session",
        "big": "reopened at 10,000 events (snapshot)",
        "fold": "context: 10,000 events, no snapshot",
    }
    for name in ("bare", "live"):
        rows.append((labels[name], *(ms(med(name, k)) for k in keys)))
    rows.append(
        ("ratio to bare", "", *(f"{med('live', k) / med('bare', k):.2f}x" for k in keys[1:]))
    )
    for name in ("big", "fold"):
        rows.append((labels[name], *(ms(med(name, k)) for k in keys)))
        rows.append(
            (
                "ratio to new session",
                "",
                *(f"{med(name, k) / med('live', k):.2f}x" for k in keys[1:]),
            )
        )

    def spread(name: str) -> str:
        values = [r["first_frame"] for r in results[name]]
        return f"{ms(min(values))}..{ms(max(values))}"

    bytecode = "environment as is" if args.env_as_is else "bytecode cached"
    table(
        f"startup: cold start to first frame, medians of {args.runs} runs each "
        f"(interleaved, headless {SIZE[0]}x{SIZE[1]}, {bytecode})",
        rows,
        [
            f"first frame, min..max: baseline {spread('bare')}, new session {spread('live')}, "
            f"10,000 events {spread('big')} (no snapshot {spread('fold')})",
            "settled: the footer's keys are painted too. process exit: after the app quits "
            "(the live view also closes the session and checkpoints it).",
        ],
    )
    ratio = med("live", "first_frame") / med("bare", "first_frame")
    reopen = med("big", "first_frame") / med("live", "first_frame")
    checks = [
        Check(
            "startup",
            "first frame of the live view vs a bare Textual app",
            f"{ratio:.2f}x ({ms(med('live', 'first_frame'))} vs {ms(med('bare', 'first_frame'))})",
            f"<= {GOAL}x",
            ratio <= GOAL,
        ),
        Check(
            "startup",
            "first frame reopening a session of 10,000 events vs a new session",
            f"{reopen:.2f}x ({ms(med('big', 'first_frame'))} vs {ms(med('live', 'first_frame'))}; "
            f"without a snapshot {ms(med('fold', 'first_frame'))})",
            f"<= {REOPEN_GOAL}x",
            reopen <= REOPEN_GOAL,
        ),
    ]
    return finish(args, checks, {"results": results})


if __name__ == "__main__":
    sys.exit(main())
