"""Run every benchmark, each in its own process, then print one summary of the goals.

    .venv/bin/python bench/run_all.py [--strict]   (make bench)

Each benchmark prints its own table as it goes; the summary at the end lists every goal
with PASS or MISS. Exit 0 either way, unless ``--strict``: then 1 if a goal was missed
(or a benchmark failed).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import BENCH, PYTHON, ROOT, verdict

BENCHMARKS = (
    "startup.py",
    "append.py",
    "keypress.py",
    "talk.py",
    "exports.py",
    "record.py",
    "audio_export.py",
    "guide_scale.py",
    "transcript_attribution.py",
    "transcript_exports.py",
    "transcribe.py",
    "transcript_editor.py",
)
# Shorter here than alone: two minutes of recording (600 s alone; long enough for the 10 ms
# CPU clock tick to measure the ratio to a bare PortAudio stream within a few per cent), 10
# minutes of audio to convert (60 alone), a shorter transcription (see below). The 200-kill
# crash harness (bench/crash_harness.py, about 5 minutes) and the 4-hour session
# (bench/long_session.py, about 4 minutes) run on their own.
ARGUMENTS = {
    "record.py": ["--seconds", "120"],
    "audio_export.py": ["--minutes", "10"],
    # 3 minutes of dense speech and a 1-hour recording here; 5 minutes and 3 hours alone
    "transcribe.py": ["--minutes", "3", "--hours", "1", "--rounds", "2"],
}


def describe_machine() -> str:
    try:
        from importlib.metadata import version

        textual = version("textual")
    except Exception:
        textual = "?"
    try:
        head = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head = "?"
    return (
        f"Python {platform.python_version()}, Textual {textual}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}, tree {head or '?'}"
    )


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--strict", action="store_true", help="exit 1 if a goal is missed")
    args = p.parse_args(argv)

    print(describe_machine())
    print()
    checks: list[dict] = []
    failed: list[str] = []
    timings: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-") as tmp:
        for name in BENCHMARKS:
            out = Path(tmp) / f"{name}.json"
            start = time.monotonic()
            command = [PYTHON, str(BENCH / name), *ARGUMENTS.get(name, []), "--json", str(out)]
            done = subprocess.run(command, cwd=ROOT)
            timings.append((name, time.monotonic() - start))
            print()
            if done.returncode != 0 or not out.exists():
                failed.append(name)
                continue
            checks += json.loads(out.read_text())["checks"]

    print("summary")
    for check in checks:
        print(f"  {verdict(check['ok'])}  {check['bench']}: {check['what']}")
        print(f"        {check['figure']} (goal {check['goal']})")
    for name in failed:
        print(f"  FAIL  {name} did not finish")
    missed = sum(not c["ok"] for c in checks)
    total = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings)
    print(f"  {len(checks) - missed} of {len(checks)} goals met ({total})")
    return 1 if args.strict and (missed or failed) else 0


if __name__ == "__main__":
    sys.exit(main())
