"""Issue 14 in a real terminal (tmux): control characters in labels and pasted notes, and a
clean close on SIGTERM and SIGHUP."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GUIDES, venv_bin
from test_tmux import Tmux

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("tmux") is None,
        reason="tmux is not installed (make test installs it: scripts/ensure-system.sh test)",
    ),
]

FACILITATOR = venv_bin("facilitator")
HOSTILE_LABEL = "\x1b]2;PWNED\x07\x1b[2J\x1b[31mEvil\x9b1m"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "LANG": "C.UTF-8", "FACILITATOR_LANG": "en", "TERM": "xterm-256color",
            "FACILITATOR_SESSIONS": str(tmp_path / "sessions")}  # fmt: skip


@pytest.fixture
def tmux(tmp_path: Path, env: dict[str, str]) -> Iterator[Tmux]:
    server = Tmux(tmp_path, env)
    yield server
    server.cmd("kill-server", check=False)


def new_session(env: dict[str, str], *participants: str) -> str:
    done = subprocess.run(
        [FACILITATOR, "new", str(GUIDES / "seed-en.toml"), "--title", "Hostile",
         *(a for p in participants for a in ("--participant", p))],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def journal_notes(env: dict[str, str], session_id: str) -> list[str]:
    folder = Path(env["FACILITATOR_SESSIONS"]) / session_id
    return [
        record["data"]["text"]
        for path in folder.glob("journal-*.jsonl")
        for record in map(json.loads, path.read_text().splitlines())
        if record["kind"] == "note"
    ]


def test_a_label_with_escape_sequences_does_not_reach_the_terminal(tmux: Tmux, env) -> None:
    session_id = new_session(env, f"P1:{HOSTILE_LABEL}", "P2:Informant 2")
    tmux.start("app", f"{shlex.quote(FACILITATOR)} run {session_id}")
    screen = tmux.wait_for("app", "Informant 2")
    assert tmux.pane("app", "#{pane_title}") != "PWNED"  # no title set
    assert "␛]2;PWNED␇␛[2" in screen  # shown as text, in order
    assert "Informant 2" in screen  # the view is not cleared by the label


def test_a_pasted_note_with_an_escape_sequence_is_saved_as_visible_text(tmux: Tmux, env) -> None:
    session_id = new_session(env, "P1:Informant 1")
    tmux.start("app", f"{shlex.quote(FACILITATOR)} run {session_id}")
    tmux.wait_for("app", "Informant 1")
    tmux.keys("app", "n")
    time.sleep(0.5)
    tmux.cmd("set-buffer", "alpha \x1b[2J omega")
    tmux.cmd("paste-buffer", "-p", "-t", "app")  # bracketed, as a terminal pastes
    time.sleep(0.5)
    tmux.keys("app", "Enter")
    deadline = time.monotonic() + 15
    while not journal_notes(env, session_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert journal_notes(env, session_id) == ["alpha ␛[2J omega"]


def test_typed_escape_sequence_in_a_note_keeps_its_order(tmux: Tmux, env) -> None:
    session_id = new_session(env, "P1:Informant 1")
    tmux.start("app", f"{shlex.quote(FACILITATOR)} run {session_id}")
    tmux.wait_for("app", "Informant 1")
    tmux.keys("app", "n")
    time.sleep(0.5)
    tmux.keys("app", "-l", "alpha \x1b[2J omega")  # as if typed, byte by byte
    time.sleep(0.5)
    tmux.keys("app", "Enter")
    deadline = time.monotonic() + 15
    while not journal_notes(env, session_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    [note] = journal_notes(env, session_id) or [""]
    assert note.startswith("alpha") and note.endswith("omega"), note


def journal_kinds(env: dict[str, str], session_id: str) -> list[str]:
    folder = Path(env["FACILITATOR_SESSIONS"]) / session_id
    return [
        json.loads(line)["kind"]
        for path in folder.glob("journal-moderator.jsonl")
        for line in path.read_text().splitlines()
    ]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_closes_the_app_and_gives_the_terminal_back(tmux: Tmux, env, sig) -> None:
    session_id = new_session(env, "P1:Informant 1")
    # a shell stays in the pane after the app, so the terminal's modes can be read there
    script = f"{shlex.quote(FACILITATOR)} run {session_id}; echo app-exited; sleep 60"
    shell = tmux.start("app", f"sh -c {shlex.quote(script)}")
    tmux.wait_for("app", "Informant 1")
    assert tmux.pane("app", "#{alternate_on}") == "1"  # the app has the alternate screen
    [app] = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    os.kill(int(app), sig)
    tmux.wait_for("app", "app-exited")
    state = tmux.pane("app", "#{alternate_on} #{mouse_any_flag} #{cursor_flag}")
    assert state == "0 0 1", state  # main screen, no mouse reporting, cursor shown
    assert journal_kinds(env, session_id)[-1] == "closed"  # closed cleanly, said so
