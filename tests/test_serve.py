"""The served assistant's view in a real headless Chromium (Playwright), and its guards.

- on loopback (with the token the server prints): the page loads, a note typed in the
  browser lands in the session;
- closing the tab, or killing the browser outright, leaves no app process running;
- bound beyond loopback: requests without the token are refused (page and websocket).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GUIDES, venv_bin

from facilitator.core.clock import FakeClock
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="chromium is not installed (make test installs it: scripts/ensure-system.sh test)",
    ),
]
playwright_api = pytest.importorskip("playwright.sync_api")

FACILITATOR = venv_bin("facilitator")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def session(tmp_path: Path) -> tuple[Path, str]:
    sessions = tmp_path / "sessions"
    env = {**os.environ, "FACILITATOR_LANG": "en"}
    created = subprocess.run(
        [FACILITATOR, "--sessions", str(sessions), "new", str(GUIDES / "seed-en.toml"),
         "--title", "Served", "--participant", "P1:Informant 1", "--participant", "P2:Informant 2"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    session_id = created.stdout.strip()
    # the moderator's process opens the session (starts the clock) and gives P2 the floor
    moderator = LiveSession(SessionStore(sessions / session_id), clock=FakeClock(time.time()))
    moderator.speak("P2")
    assert moderator.journal is not None
    moderator.journal.close()
    return sessions, session_id


class Served:
    def __init__(self, sessions: Path, session_id: str, host: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [FACILITATOR, "--sessions", str(sessions), "serve", session_id,
             "--host", host, "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "FACILITATOR_LANG": "en"}, start_new_session=True,
        )  # fmt: skip
        self.lines: list[str] = []
        assert self.process.stdout is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if "ctrl+c" in line:
                break
        self._wait_listening()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not listen:\n" + "".join(self.lines))

    @property
    def token(self) -> str | None:
        for line in self.lines:
            if match := re.search(r"token=([\w-]+)", line):
                return match.group(1)
        return None

    @property
    def link(self) -> str:
        """The link the server printed for this computer (loopback), token included."""
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def served(session) -> Iterator[Served]:
    server = Served(*session, "127.0.0.1")
    yield server
    server.stop()


def assist_processes(session_id: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            continue
        words = [w.decode(errors="replace") for w in cmdline]
        if "assist" in words and any(session_id in w for w in words):
            found.append(int(entry.name))
    return found


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} (after {timeout} s)")
        time.sleep(0.2)


def open_view(browser, url: str):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(url)
    page.wait_for_selector("body.-first-byte", timeout=20_000)
    page.wait_for_timeout(1500)
    page.locator("textarea").first.focus()
    return page


def notes_on_disk(sessions: Path, session_id: str) -> list[dict]:
    notes = []
    for journal in (sessions / session_id).glob("journal-*.jsonl"):
        for line in journal.read_text().splitlines():
            record = json.loads(line)
            if record["kind"] == "note":
                notes.append({"writer": record["w"], **record["data"]})
    return notes


def test_a_note_typed_in_the_browser_lands_in_the_session(served: Served, session) -> None:
    sessions, session_id = session
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = open_view(browser, served.link)
            wait_until(lambda: assist_processes(session_id), 15, "no assist process started")
            page.keyboard.type("Served from the browser #q")
            page.keyboard.press("Enter")
            wait_until(
                lambda: notes_on_disk(sessions, session_id), 15, "the note did not reach the disk"
            )
            page.screenshot(path=str(sessions.parent / "served.png"))
            page.close()  # closing the tab ends its app process
            wait_until(
                lambda: not assist_processes(session_id), 20, "an app process outlived its tab"
            )
        finally:
            browser.close()
    [note] = notes_on_disk(sessions, session_id)
    assert note["text"] == "Served from the browser"
    assert note["tags"] == ["quote"]
    assert note["speaker"] == "P2"  # whoever held the floor, as the moderator's process set it
    assert note["writer"] == "assistant"


def test_a_killed_browser_leaves_no_app_running(served: Served, session) -> None:
    _sessions, session_id = session
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        open_view(browser, served.link)
        wait_until(lambda: assist_processes(session_id), 15, "no assist process started")
        # kill every chromium process of this browser outright, as a crash would
        for pid in chromium_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_until(
            lambda: not assist_processes(session_id), 40, "an app process outlived its browser"
        )
        try:
            browser.close()
        except Exception:  # noqa: BLE001 - the browser is already gone
            pass
    assert served.process.poll() is None  # the server itself goes on


def chromium_pids() -> list[int]:
    mine = os.getpid()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid_match = re.search(r"PPid:\s+(\d+)", status)
        if b"chromium" in cmdline and b"--headless" in cmdline and ppid_match:
            pids.append(int(entry.name))
    return [pid for pid in pids if pid != mine]


def test_beyond_loopback_a_token_is_required(session) -> None:
    server = Served(*session, "0.0.0.0")
    try:
        token = server.token
        assert token and len(token) >= 24
        assert any("refused" in line for line in server.lines)
        base = f"http://127.0.0.1:{server.port}"
        for path in ("/", "/ws", "/static/js/textual.js", f"/?token={token}x"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=5)
            assert refused.value.code == 403, path
        with urllib.request.urlopen(f"{base}/?token={token}", timeout=5) as page:
            assert page.status == 200
            assert "facilitator_token" in page.headers.get("Set-Cookie", "")
        # the browser, with the token in the link, gets the app (cookie carries it on)
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                page = open_view(browser, f"{base}/?token={token}")
                wait_until(lambda: assist_processes(session[1]), 15, "no app with the token")
                page.close()
            finally:
                browser.close()
    finally:
        server.stop()
