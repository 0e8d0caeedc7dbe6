"""A session folder that cannot be written (issue 14, point 10): ``chattr +i`` on it and its
files, then every command that writes: one clear line, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from facilitator.services.live import LiveSession
from tests.conftest import venv_bin


def chattr(flag: str, path: Path) -> bool:
    if shutil.which("chattr") is None:
        return False
    done = subprocess.run(["chattr", "-R", flag, str(path)], capture_output=True, text=True)
    return done.returncode == 0


@pytest.fixture
def immutable(live: LiveSession) -> Iterator[LiveSession]:
    """A started session (one stage of a two-stage guide) whose folder is immutable."""
    live.speak("P1")
    live.add_note("a note before the folder froze")
    live.close()
    if not chattr("+i", live.store.path):
        pytest.skip("chattr +i does not work here (not root, or the filesystem has no flags)")
    try:
        probe = live.store.path / "probe"
        try:
            probe.write_text("x")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("an immutable folder can still be written here (root without flags)")
        yield live
    finally:
        chattr("-i", live.store.path)


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["assist"],
        ["serve", "--port", "0"],
        ["export", "--format", "csv", "-o", "-"],
        ["export", "--format", "qdpx"],
        ["export", "--format", "eaf", "-o", "{session}/x.eaf"],
        ["next"],
        ["summary", "-o", "{session}/s.md"],
    ],
)
def test_an_immutable_session_gets_one_clear_line(immutable: LiveSession, command) -> None:
    session = immutable.store.path
    args = [part.replace("{session}", str(session)) for part in command]
    if args[0] == "next":  # the next stage is made beside it: the sessions folder frozen too
        subprocess.run(["chattr", "+i", str(session.parent)], check=True)
    try:
        done = _run(session, args)
    finally:
        subprocess.run(["chattr", "-i", str(session.parent)], check=True)
    if command == ["export", "--format", "csv", "-o", "-"]:  # reading needs no writing
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode != 0, (command, done.stdout[-500:])
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr, (command, done.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("facilitator: "), (command, lines)
    assert "not permitted" in lines[0] or "cannot" in lines[0], lines


def _run(session: Path, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(session.parent), args[0], session.name,
         *args[1:]],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**os.environ, "FACILITATOR_LANG": "en", "TERM": "dumb"},
    )  # fmt: skip
