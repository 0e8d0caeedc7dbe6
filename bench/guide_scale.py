"""``check`` and ``new`` on guides of 500 to 8,000 questions: time per question must not grow.

    .venv/bin/python bench/guide_scale.py [--rounds N] [--strict] [--json FILE]

Goal: linear in the number of questions. The time per question at 8,000 questions is at
most 1.5x the time per question at 500, for both commands' work:

- ``check``: ``load_guide`` (read, validate, find the line of every value that a problem
  could name), as ``facilitator check GUIDE`` runs it;
- ``new``: ``load_guide`` and ``SessionStore.create`` (the stage's copy of the guide, the
  whole guide and the roster written atomically), as ``facilitator new`` runs them.

The baseline is the smallest guide, measured in the same run; the sizes are interleaved
round by round, so drift in the machine's speed hits them alike. Each figure is the
median over the rounds, in this process (the interpreter's start is left out: it is the
same at every size). The guides are three phases of plain questions, written by
``write_guide``. For context, the whole ``facilitator check`` command at the largest size
(one process, start included). Before the fix the line lookups searched the file's headers
once per value, which made ``check`` quadratic: 2.1 s at 2,500 questions, 32 s at 10,000.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from _common import PYTHON, ROOT, Check, finish, median, ms, parser
from _common import print_table as table

SIZES = (500, 2_000, 8_000)
GOAL = 1.5


def write_guide(path: Path, questions: int) -> None:
    per_phase = questions // 3
    lines = ['title = "Scale"', "minutes = 60", ""]
    for p in range(3):
        lines += ["[[phases]]", f'id = "p{p}"', f'title = "Phase {p}"', "minutes = 20", ""]
        for q in range(per_phase + (1 if p < questions % 3 else 0)):
            lines += ["[[phases.questions]]", f'id = "q{p}_{q}"', f'text = "Question {q}?"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def time_check(path: Path) -> float:
    from facilitator.core.guide import load_guide

    start = time.perf_counter()
    load_guide(path)
    return time.perf_counter() - start


def time_new(path: Path, sessions: Path) -> float:
    from facilitator.core.guide import load_guide
    from facilitator.core.session import Participant
    from facilitator.store.session_store import SessionStore

    start = time.perf_counter()
    guide = load_guide(path)
    SessionStore.create(
        sessions, guide, title="Scale", participants=[Participant("P1", "Informant 1")],
        now=time.time(), guide_path=str(path),
    )  # fmt: skip
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    timings: dict[str, dict[int, list[float]]] = {"check": {}, "new": {}}
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-") as tmp:
        base = Path(tmp)
        guides = {n: base / f"guide-{n}.toml" for n in SIZES}
        for n, path in guides.items():
            write_guide(path, n)
        time_check(guides[SIZES[0]])  # imports and caches warm, not timed
        for round_number in range(args.rounds):
            order = SIZES if round_number % 2 == 0 else tuple(reversed(SIZES))
            for n in order:
                timings["check"].setdefault(n, []).append(time_check(guides[n]))
                sessions = base / f"sessions-{n}-{round_number}"
                timings["new"].setdefault(n, []).append(time_new(guides[n], sessions))
        start = time.perf_counter()
        done = subprocess.run(
            [PYTHON, "-m", "facilitator", "check", str(guides[SIZES[-1]])],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        command_s = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(done.stderr)

    small, large = SIZES[0], SIZES[-1]
    rows = [("", *(f"{n:,} questions" for n in SIZES), "per question, ratio")]
    ratios: dict[str, float] = {}
    for what in ("check", "new"):
        medians = {n: median(timings[what][n]) for n in SIZES}
        ratios[what] = (medians[large] / large) / (medians[small] / small)
        rows.append((what, *(ms(medians[n]) for n in SIZES), f"{ratios[what]:.2f}x"))
    table(
        f"guide scale: median of {args.rounds} rounds, in this process",
        rows,
        [f"context: facilitator check at {large:,} questions, the whole command: {ms(command_s)}"],
    )
    checks = [
        Check(
            "guide_scale",
            f"{what}: time per question at {large:,} against {small:,} questions",
            f"{ratios[what]:.2f}x",
            f"<= {GOAL}x",
            ratios[what] <= GOAL,
        )
        for what in ("check", "new")
    ]
    return finish(args, checks)


if __name__ == "__main__":
    raise SystemExit(main())
