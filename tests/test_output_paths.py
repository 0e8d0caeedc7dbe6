"""``-o`` (issue 14, point 7): what the path is decides how it is written.

A regular file or a new path: written whole (temporary file, rename). A device, a FIFO or
``-``: written straight into. A symlink: followed to its regular file. A folder or a missing
parent: one line, nothing written. A temporary file left by a killed write is cleaned the
next time. Never /dev/null itself: a FIFO, a pty (a character device of our own) and links in
a temporary folder.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from facilitator.services.live import LiveSession
from tests.conftest import venv_bin


@pytest.fixture
def ended(live: LiveSession) -> LiveSession:
    live.speak("P1")
    live.add_note("we meet the families where they are #quote")
    live.journal.close()
    live.journal = None
    return live


def cli(live: LiveSession, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(live.store.path.parent), *args],
        capture_output=True, text=True, timeout=120, cwd=live.store.path.parent,
        env={**os.environ, "FACILITATOR_LANG": "en"},
    )  # fmt: skip


def hidden_temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and "tmp" in p.name)


def test_a_fifo_is_written_into_not_replaced(ended: LiveSession, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = cli(ended, "summary", ended.info.id, "--format", "md", "-o", str(fifo))
    reader.join(30)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still a FIFO
    assert b"we meet the families" in received[0]


def test_a_character_device_is_written_into_not_replaced(
    ended: LiveSession, tmp_path: Path
) -> None:
    master, slave = os.openpty()
    device = os.ttyname(slave)
    try:
        result = cli(ended, "export", ended.info.id, "--format", "csv", "-o", device)
        assert result.returncode == 0, result.stderr
        assert stat.S_ISCHR(os.stat(device).st_mode)  # still a character device
        got = b""
        deadline = time.monotonic() + 10
        while b"families" not in got and time.monotonic() < deadline:
            got += os.read(master, 65536)
        assert b"we meet the families" in got
    finally:
        os.close(slave)
        os.close(master)


def test_a_dash_is_the_screen(ended: LiveSession) -> None:
    result = cli(ended, "export", ended.info.id, "--format", "vtt", "-o", "-")
    assert result.returncode == 0 and result.stdout.startswith("WEBVTT")
    assert not (ended.store.path.parent / "-").exists()


def test_a_symlink_is_followed_to_its_file(ended: LiveSession, tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    result = cli(ended, "summary", ended.info.id, "-o", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and "we meet the families" in real.read_text()
    dangling = tmp_path / "dangling.md"
    dangling.symlink_to(tmp_path / "nowhere" / "x.md")
    refused = cli(ended, "summary", ended.info.id, "-o", str(dangling))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and dangling.is_symlink()


@pytest.mark.parametrize("where", ["folder", "missing/x.md", "file/x.md"])
def test_a_folder_or_a_missing_parent_gets_one_line(ended, tmp_path: Path, where: str) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("a file, not a folder")
    for command in (["summary", ended.info.id], ["export", ended.info.id, "--format", "csv"],
                    ["recap", ended.info.id]):  # fmt: skip
        result = cli(ended, *command, "-o", str(tmp_path / where))
        assert result.returncode == 1, (command, result.stdout)
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / "file").read_text() == "a file, not a folder"


KILLED_WRITER = """
import os, sys, time
from pathlib import Path
from facilitator.store.output import write_output
real_fsync = os.fsync
def slow_fsync(fd):
    print("writing", flush=True)
    time.sleep(60)  # killed here: the temporary file is on disk, not yet renamed
os.fsync = slow_fsync
write_output(Path(sys.argv[1]), b"half" * 1000)
"""


def test_a_killed_write_leaves_no_hidden_file_after_the_next(ended, tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert hidden_temps(tmp_path)  # the kill left one behind
    result = cli(ended, "summary", ended.info.id, "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert hidden_temps(tmp_path) == []
    assert "we meet the families" in target.read_text()


def test_an_audio_export_never_replaces_a_device(ended: LiveSession, tmp_path: Path) -> None:
    audio = ended.store.path / "audio"
    audio.mkdir()
    (audio / "rec-001.wav").write_bytes(b"RIFF" + b"\0" * 100)
    writer = LiveSession(ended.store)
    writer.recording_started("audio/rec-001.wav", 0.0, "Test microphone")
    writer.recording_stopped("audio/rec-001.wav", 1.0, "stop")
    writer.journal.close()
    writer.journal = None
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = cli(ended, "export", ended.info.id, "--format", "flac", "-o", str(fifo))
    assert result.returncode == 1 and "not a regular file" in result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
