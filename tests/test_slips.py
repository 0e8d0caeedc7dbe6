"""Slips of the hand (issue 14): an empty or ambiguous session id, purge's question.

Real commands in real processes on real session folders.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from facilitator.services.live import LiveSession
from tests.conftest import venv_bin


def run(sessions: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(sessions), *args],
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
        env={**os.environ, "FACILITATOR_LANG": "en"},
    )


@pytest.fixture
def recorded(live: LiveSession) -> LiveSession:
    """The only session in its folder, with a recording on disk; no live view open."""
    audio = live.store.path / "audio"
    audio.mkdir()
    (audio / "rec-001.wav").write_bytes(b"RIFF" + b"\0" * 4000)
    live.recording_started("audio/rec-001.wav", 0.0, "Test microphone")
    live.recording_stopped("audio/rec-001.wav", 5.0, "stop")
    live.journal.close()
    live.journal = None
    return live


def test_an_empty_id_is_refused_by_every_command(recorded: LiveSession) -> None:
    sessions = recorded.store.path.parent
    wav = recorded.store.path / "audio" / "rec-001.wav"
    for command in (
        ["purge", "", "--audio", "--yes"],
        ["purge", "  ", "--audio", "--yes"],
        ["summary", "", "--format", "json"],
        ["export", "", "--format", "csv"],
        ["recap", ""],
        ["next", ""],
        ["run", ""],
        ["assist", ""],
        ["serve", "", "--port", "1"],
    ):
        result = run(sessions, *command)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "empty" in result.stderr and "Traceback" not in result.stderr, command
        assert wav.exists(), command
    assert [p.name for p in sessions.iterdir()] == [recorded.info.id]  # no stage 2 either


def test_a_short_or_ambiguous_prefix_is_refused(recorded: LiveSession) -> None:
    sessions = recorded.store.path.parent
    wav = recorded.store.path / "audio" / "rec-001.wav"
    short = run(sessions, "purge", recorded.info.id[:2], "--audio", "--yes")
    assert short.returncode == 1 and "at least 4" in short.stderr and wav.exists()
    # a second session with the same start: a prefix naming both names neither
    (sessions / (recorded.info.id[:-4] + "zzzz")).mkdir()
    (sessions / (recorded.info.id[:-4] + "zzzz") / "session.json").write_text("{}")
    both = run(sessions, "purge", recorded.info.id[:-4], "--audio", "--yes")
    assert both.returncode == 1 and "several sessions" in both.stderr and wav.exists()
    unique = run(sessions, "summary", recorded.info.id[:-2], "--format", "json")
    assert unique.returncode == 0, unique.stderr


def test_purge_without_a_terminal_asks_for_yes(recorded: LiveSession) -> None:
    sessions = recorded.store.path.parent
    wav = recorded.store.path / "audio" / "rec-001.wav"
    refused = run(sessions, "purge", recorded.info.id, "--audio", stdin="y\n")
    assert refused.returncode == 1 and "--yes" in refused.stderr and wav.exists()
    done = run(sessions, "purge", recorded.info.id, "--audio", "--yes")
    assert done.returncode == 0, done.stderr
    assert not wav.exists()


def _in_a_terminal(argv: list[str], answer: bytes) -> tuple[int, str]:
    """Run ``argv`` on a pseudo-terminal, answer its question, return exit code and output."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command on the terminal
        os.environ["FACILITATOR_LANG"] = "en"
        os.execv(argv[0], argv)
    output = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        ready, _w, _x = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"[y/N]" in output:
            os.write(fd, answer)
            answered = True
    _pid, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


@pytest.mark.parametrize(("answer", "deleted"), [(b"n\r", False), (b"\r", False), (b"j\r", True)])
def test_purge_shows_what_it_deletes_and_asks(
    recorded: LiveSession, answer: bytes, deleted: bool
) -> None:
    sessions = recorded.store.path.parent
    wav = recorded.store.path / "audio" / "rec-001.wav"
    argv = [venv_bin("facilitator"), "--sessions", str(sessions), "purge",
            recorded.info.id, "--audio"]  # fmt: skip
    code, output = _in_a_terminal(argv, answer)
    assert recorded.info.title in output and "stage 1" in output
    assert "rec-001.wav" in output and "4.0 kB" in output  # the file and its size
    assert wav.exists() is not deleted
    assert code == (0 if deleted else 1), output
