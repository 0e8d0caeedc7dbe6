"""``next`` all or nothing, and once (issue 14, point 8).

A real ``facilitator next`` process is killed (SIGKILL, by itself) at each of its writes,
renames and syncs in turn; after every kill the sessions folder holds stage 1 alone or
stage 1 with one whole stage 2, and running ``next`` again ends with exactly one stage 2
that the study report lists once. A second ``next`` is refused unless ``--again``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from facilitator.services.live import LiveSession
from tests.conftest import venv_bin

KILL_AT = """
import os, signal, sys
count = 0
target = int(os.environ["KILL_AT"])
def counting(real):
    def wrapper(*args, **kwargs):
        global count
        count += 1
        if count == target:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return wrapper
for name in ("replace", "rename", "fsync", "mkdir", "write"):
    setattr(os, name, counting(getattr(os, name)))
from facilitator.cli.commands import main
code = main(sys.argv[1:])
print("calls", count, file=sys.stderr)
sys.exit(code)
"""


def run_next(sessions: Path, session_id: str, kill_at: int = 0, *extra: str):
    return subprocess.run(
        [sys.executable, "-c", KILL_AT, "--sessions", str(sessions), "next", session_id, *extra],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "FACILITATOR_LANG": "en", "KILL_AT": str(kill_at)},
    )  # fmt: skip


def cli(sessions: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(sessions), *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, "FACILITATOR_LANG": "en"},
    )  # fmt: skip


@pytest.fixture
def stage_one(new_store, clock) -> tuple[Path, str]:
    """Stage 1 of a guide with two stages, made without a study (``next`` gives it one)."""
    from facilitator.core.guide import load_guide
    from facilitator.store.session_store import SessionStore
    from tests.conftest import GUIDES, PARTICIPANTS

    store = SessionStore.create(
        Path(new_store().path.parent.parent / "only"), load_guide(GUIDES / "seed-en.toml"),
        title="Samling 1", participants=PARTICIPANTS, now=clock.now(),
        guide_path=str(GUIDES / "seed-en.toml"),
    )  # fmt: skip
    live = LiveSession(store, clock=clock)
    live.add_note("#follow-up ask about the waiting lists")
    live.end()
    live.journal.close()
    live.journal = None
    return store.path.parent, store.path.name


def check_whole(sessions: Path, first: str) -> list[str]:
    """The visible sessions besides stage 1; each readable, and stage 1 tagged if any."""
    others = [p.name for p in sessions.iterdir() if p.name != first and not p.name.startswith(".")]
    for name in others:
        summary = cli(sessions, "summary", name, "--format", "json")
        assert summary.returncode == 0, (name, summary.stderr)
        assert json.loads(summary.stdout)["session"]["stage"] == 2
    if others:
        meta = json.loads((sessions / first / "session.json").read_text())["meta"]["1"]
        assert meta["study"], "stage 2 exists but stage 1 has no study"
    return others


def test_killed_at_every_step_next_leaves_all_or_nothing(stage_one) -> None:
    sessions, first = stage_one
    clean = sessions.parent / "clean"
    import shutil

    shutil.copytree(sessions, clean)
    counted = run_next(clean, first)
    assert counted.returncode == 0, counted.stderr
    calls = int(counted.stderr.split("calls")[-1])
    assert calls > 5
    for step in range(1, calls + 1):
        trial = sessions.parent / f"trial-{step}"
        shutil.copytree(sessions, trial)
        killed = run_next(trial, first, step)
        assert killed.returncode == -9, (step, killed.stderr)
        before = check_whole(trial, first)
        assert len(before) <= 1, (step, before)
        again = run_next(trial, first)
        if before:
            assert again.returncode == 1 and "--again" in again.stderr, (step, again.stderr)
        else:
            assert again.returncode == 0, (step, again.stderr)
        after = check_whole(trial, first)
        assert len(after) == 1, (step, after)
        assert not [p for p in trial.iterdir() if p.name.startswith(".")], step  # cleaned
        study = json.loads(cli(trial, "summary", after[0], "--format", "json").stdout)["study"]
        stage_numbers = [s["stage"] for s in study["stages"]]
        assert stage_numbers == [1, 2], (step, stage_numbers)


def test_a_second_next_is_refused_unless_again(stage_one) -> None:
    sessions, first = stage_one
    assert cli(sessions, "next", first).returncode == 0
    refused = cli(sessions, "next", first)
    assert refused.returncode == 1 and "--again" in refused.stderr
    assert len(list(sessions.iterdir())) == 2
    again = cli(sessions, "next", first, "--again")
    assert again.returncode == 0, again.stderr
    assert len(list(sessions.iterdir())) == 3


def test_two_next_at_once_make_one_stage(stage_one) -> None:
    sessions, first = stage_one
    command = [venv_bin("facilitator"), "--sessions", str(sessions), "next", first]
    env = {**os.environ, "FACILITATOR_LANG": "en"}
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(3)
    ]
    codes = sorted(r.wait(60) for r in runs)
    assert codes == [0, 1, 1]
    assert len([p for p in sessions.iterdir() if not p.name.startswith(".")]) == 2
