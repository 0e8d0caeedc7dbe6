"""The real ``facilitator run`` in a real terminal: tmux, real keys, real screens, a real kill -9.

One session goes through the whole story a moderator lives: the live view, a checklist tick,
moving through the guide, a crash (SIGKILL) and the resume, a second window refused, a break,
and the end with its summary; the ``summary`` command is checked against what happened.

Every wait polls the screen (``capture-pane``) until the text is there; the only fixed sleeps
are the downtime after the kill and the check that a paused clock stands still.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GUIDES, venv_bin

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("tmux") is None,
        reason="tmux is not installed (make test installs it: scripts/ensure-system.sh test)",
    ),
]

FACILITATOR = venv_bin("facilitator")
GUIDE = GUIDES / "seed-en.toml"
PARTICIPANTS = ["P1:Informant 1:Housing office", "P2:Informant 2:NAV", "P3:Informant 3"]
WAIT_S = 15.0  # generous: the first frame comes in about a second
DOWNTIME_S = 2.5  # how long the app stays dead after the kill: more than the 2 s heartbeat
TMUX_CONF = """\
set -g status off
set -g remain-on-exit on
set -g exit-empty off
set -g escape-time 0
"""


class Tmux:
    """A private tmux server (its own socket and config), driven one command at a time."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.conf = folder / "tmux.conf"
        self.conf.write_text(TMUX_CONF, encoding="utf-8")
        self.socket = folder / "tmux.sock"
        self.pids: list[int] = []

    def cmd(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), "-f", str(self.conf), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=20,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def start(self, name: str, command: str) -> int:
        """A detached 120x40 session running ``command`` (exec'd: the pane pid is the app)."""
        self.cmd("new-session", "-d", "-s", name, "-x", "120", "-y", "40", "exec " + command)
        pid = int(self.pane(name, "#{pane_pid}"))
        self.pids.append(pid)
        return pid

    def pane(self, target: str, fmt: str) -> str:
        return self.cmd("display-message", "-p", "-t", target, fmt).strip()

    def dead(self, target: str) -> bool:
        return self.pane(target, "#{pane_dead}") == "1"

    def screen(self, target: str) -> str:
        return self.cmd("capture-pane", "-p", "-t", target)

    def keys(self, target: str, *keys: str) -> None:
        self.cmd("send-keys", "-t", target, *keys)

    def wait_for(self, target: str, text: str | tuple[str, ...], timeout: float = WAIT_S) -> str:
        """Poll the screen until ``text`` is on it (every one of them, for a tuple: on one
        capture, not a frame caught half written); returns that screen."""
        deadline = time.monotonic() + timeout
        texts = (text,) if isinstance(text, str) else text
        while True:
            screen = self.screen(target)
            if all(part in screen for part in texts):
                return screen
            if self.dead(target):
                pytest.fail(f"the app exited while waiting for {text!r}; last screen:\n{screen}")
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} not on screen after {timeout} s; last screen:\n{screen}")
            time.sleep(0.1)

    def wait_gone(self, target: str, text: str, timeout: float = WAIT_S) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen(target)
            if text not in screen:
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} still on screen after {timeout} s:\n{screen}")
            time.sleep(0.1)

    def wait_dead(self, target: str, timeout: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout
        while not self.dead(target):
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not exit in {timeout} s:\n{self.screen(target)}")
            time.sleep(0.1)

    def exit_status(self, target: str, timeout: float = WAIT_S) -> str:
        """The exit status of a dead pane's command, once the tmux server has reaped it.

        Debian's tmux is built with libutempter, whose own SIGCHLD handler, in place while
        tmux removes the utmp record of a pane whose terminal closed, can swallow the signal
        of an app that exits just after closing its terminal: the app then stays a zombie
        and the status never comes (tmux/tmux#311). The maintainer's workaround: send the
        server a SIGCHLD.
        """
        deadline = time.monotonic() + timeout
        server = int(self.pane(target, "#{pid}"))
        while not (status := self.pane(target, "#{pane_dead_status}")):
            if time.monotonic() > deadline:
                pytest.fail(f"no exit status after {timeout} s:\n{self.screen(target)}")
            time.sleep(0.1)
            os.kill(server, signal.SIGCHLD)
        return status

    def kill_server(self) -> None:
        self.cmd("kill-server", check=False)
        # kill-server hangs up on the panes; make sure none of the apps we started outlives it
        deadline = time.monotonic() + 5
        for pid in self.pids:
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead; it stays until its parent (the tmux server) reaps it
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def sessions(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


@pytest.fixture
def env(sessions: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    environment.update(
        LANG="C.UTF-8",
        FACILITATOR_LANG="en",
        FACILITATOR_SESSIONS=str(sessions),
        TEXTUAL_ANIMATIONS="none",
    )
    environment.pop("LC_ALL", None)
    environment.setdefault("TERM", "xterm-256color")
    return environment


@pytest.fixture
def tmux(tmp_path: Path, env: dict[str, str]) -> Iterator[Tmux]:
    folder = tmp_path
    short = None
    if len(str(tmp_path / "tmux.sock")) > 100:  # a unix socket path holds about 108 bytes
        short = Path(tempfile.mkdtemp(prefix="fct-"))
        folder = short
    server = Tmux(folder, env)
    try:
        yield server
    finally:
        server.kill_server()
        if short is not None:
            shutil.rmtree(short, ignore_errors=True)


def facilitator(
    sessions: Path, env: dict[str, str], *args: str, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FACILITATOR, "--sessions", str(sessions), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def summary_json(sessions: Path, env: dict[str, str], session_id: str) -> dict:
    result = facilitator(sessions, env, "summary", session_id, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def session_clock(screen: str) -> int:
    """The session clock on screen, in seconds (``Session  00:07 / 1:00:00``)."""
    match = re.search(r"Session\s+(?:(\d+):)?(\d+):(\d\d) /", screen)
    assert match, f"no session clock on screen:\n{screen}"
    hours, mins, secs = match.groups()
    return int(hours or 0) * 3600 + int(mins) * 60 + int(secs)


def timed_clock(tmux: Tmux, target: str) -> tuple[int, float, float]:
    """The session clock, with the monotonic times just before and after the screen was read."""
    before = time.monotonic()
    screen = tmux.screen(target)
    after = time.monotonic()
    return session_clock(screen), before, after


def test_a_session_lives_crashes_resumes_and_ends_in_a_real_terminal(
    tmux: Tmux, sessions: Path, env: dict[str, str]
) -> None:
    started = time.monotonic()
    participants = [arg for spec in PARTICIPANTS for arg in ("--participant", spec)]
    created = facilitator(sessions, env, "new", str(GUIDE), "--title", "Stage 1", *participants)
    assert created.returncode == 0, created.stderr
    session_id = created.stdout.strip()
    assert (sessions / session_id).is_dir(), created.stdout
    run = " ".join(
        shlex.quote(part) for part in (FACILITATOR, "--sessions", str(sessions), "run", session_id)
    )

    # 1. The live view: tick the first checklist item, then move through the guide.
    pid = tmux.start("app", run)
    screen = tmux.wait_for("app", "Introduction phase")
    assert "Session" in screen and "Stage 1" in screen
    assert "[ ] Written informed consent" in screen
    tmux.keys("app", "c")
    tmux.wait_for("app", "esc Back")  # the footer shows the checklist's keys: it has the focus
    tmux.keys("app", "Space")
    tmux.wait_for("app", "[x] Written informed consent")
    tmux.keys("app", "Escape")
    tmux.wait_gone("app", "esc Back")
    tmux.keys("app", "PageDown")
    screen = tmux.wait_for("app", "items not ticked: go on anyway?")  # the rest of the list
    tmux.keys("app", "y")
    screen = tmux.wait_for("app", "Question 1 of 2")
    assert "Current situation" in screen and "Phase 2 of 3" in screen
    tmux.keys("app", "Right")
    screen = tmux.wait_for("app", "Question 2 of 2")
    assert "Current situation" in screen
    assert "How would you describe the collaboration" in screen  # the question (it may wrap)

    # 2. Crash: SIGKILL the app itself (the pane command is exec'd, so the pane pid is the app).
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert any(part.endswith(b"facilitator") for part in cmdline), cmdline
    assert session_id.encode() in cmdline, cmdline
    deadline = time.monotonic() + WAIT_S
    while session_clock(tmux.screen("app")) < 1:  # let the session clock show a second or more
        assert time.monotonic() < deadline, tmux.screen("app")
        time.sleep(0.1)
    clock_before, before_a, before_b = timed_clock(tmux, "app")
    os.kill(pid, signal.SIGKILL)
    tmux.wait_dead("app")
    assert not _alive(pid)
    time.sleep(DOWNTIME_S)  # the app stays down: this gap must be counted and marked

    # ... and resume in a new terminal: same place, and the clock counted the downtime.
    tmux.start("resumed", run)
    screen = tmux.wait_for("resumed", ("Resumed. The app was not running for", "Question 2 of 2"))
    clock_after, after_a, after_b = timed_clock(tmux, "resumed")
    assert "Current situation" in screen and "Question 2 of 2" in screen
    assert "[x] Written informed consent" not in screen  # this phase has no checklist
    gap = re.search(r"not running for (\d+):(\d\d)", screen)
    assert gap and int(gap[1]) * 60 + int(gap[2]) >= int(DOWNTIME_S), screen
    # The clocks show whole seconds, refreshed twice a second: allow 1.5 s each way.
    assert clock_after >= clock_before + (after_a - before_b) - 1.5, (clock_before, clock_after)
    assert clock_after <= clock_before + (after_b - before_a) + 1.5, (clock_before, clock_after)

    data = summary_json(sessions, env, session_id)
    assert data["schema"] == "facilitator.summary/1"
    assert data["session"]["status"] == "running"
    assert data["session"]["ended_at"] is None
    phases = {phase["id"]: phase for phase in data["phases"]}
    ticks = {item["id"]: item["done"] for item in phases["introduksjon"]["checklist"]}
    assert ticks == {
        "samtykke": True,
        "databehandling": False,
        "kjoreregler": False,
        "lydopptak": False,
    }
    downs = [entry for entry in data["timeline"] if entry["kind"] == "down"]
    assert len(downs) == 1, data["timeline"]
    assert downs[0]["end_s"] - downs[0]["start_s"] >= DOWNTIME_S, downs
    assert downs[0]["phase"] == "dagens-situasjon"
    assert downs[0]["question"] == "ds-samarbeid"
    assert data["session"]["down_s"] >= DOWNTIME_S
    assert [p["id"] for p in data["participants"]] == ["P1", "P2", "P3"]
    assert [p["role"] for p in data["participants"]] == ["Housing office", "NAV", ""]
    assert data["notes"] == []
    assert data["follow_ups"] == []

    # 5. A second window on the same session is refused, and the first one carries on.
    second = facilitator(sessions, env, "run", session_id)
    assert second.returncode == 1, (second.returncode, second.stdout, second.stderr)
    assert "already open" in second.stderr, second.stderr
    assert session_id in second.stderr, second.stderr
    assert not tmux.dead("resumed")

    # 3. A break shows on screen, and the session clock stands still during it.
    tmux.keys("resumed", "p")
    screen = tmux.wait_for("resumed", "PAUSED")
    assert "Break: the clocks are stopped" in screen
    paused_at = session_clock(screen)
    time.sleep(1.5)
    assert session_clock(tmux.screen("resumed")) == paused_at
    tmux.keys("resumed", "p")
    screen = tmux.wait_gone("resumed", "PAUSED")
    assert "Break:" not in screen

    # 4. End: confirm, see the summary, quit; the process exits cleanly.
    tmux.keys("resumed", "q")
    tmux.wait_for("resumed", "End the session now?")
    tmux.keys("resumed", "y")
    screen = tmux.wait_for("resumed", "Plan and actual time per phase")
    assert "Status: ended" in screen
    tmux.keys("resumed", "q")
    tmux.wait_dead("resumed")
    assert tmux.exit_status("resumed") == "0", tmux.screen("resumed")

    markdown = facilitator(sessions, env, "summary", session_id, "--format", "md")
    assert markdown.returncode == 0, markdown.stderr
    assert "Plan and actual time per phase" in markdown.stdout
    data = summary_json(sessions, env, session_id)
    assert data["session"]["status"] == "ended"
    assert data["session"]["ended_at"] is not None
    assert data["session"]["pauses"] == 1
    assert data["session"]["paused_s"] >= 1.5
    ended_phases = {phase["id"]: phase for phase in data["phases"]}
    assert ended_phases["introduksjon"]["checklist"][0]["done"] is True
    assert [entry["kind"] for entry in data["timeline"]].count("down") == 1
    assert time.monotonic() - started < 60


def test_the_footer_ends_with_the_palette_key_at_every_size(
    tmux: Tmux, sessions: Path, env: dict[str, str]
) -> None:
    """In a real terminal, in Norwegian: '^p Kommandoer' ends the last line, with no letter of
    the keys beneath after it ("Kommandoerv", "Kommandoert"), at every width."""
    created = facilitator(
        sessions,
        env,
        "new",
        str(GUIDE),
        "--title",
        "Footer",
        *sum((["--participant", p] for p in PARTICIPANTS), []),
    )
    assert created.returncode == 0, created.stderr
    session_id = created.stdout.strip()
    command = shlex.join(
        [FACILITATOR, "--sessions", str(sessions), "--lang", "nb", "run", session_id]
    )
    tmux.start("footer", command)
    tmux.wait_for("footer", "Kommandoer")
    for width in (120, 80, 100, 150):
        tmux.cmd("resize-window", "-t", "footer", "-x", str(width), "-y", "30")
        # the frame after a resize comes in parts: wait for the footer to settle at the edge;
        # with the stray letter it never does
        deadline = time.monotonic() + 5
        while True:
            last = tmux.screen("footer").rstrip("\n").splitlines()[-1]
            if len(last.rstrip()) == width and last.rstrip().endswith("^p Kommandoer"):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"the footer at {width} columns ends {last[-30:]!r}")
            time.sleep(0.1)
    tmux.keys("footer", "C-q")
    tmux.wait_dead("footer")
