"""The served view against hostile pages and clients (issue 14, points 1 to 4).

A real ``facilitator serve`` on loopback; raw sockets for the handshakes a browser would
never send; a hostile page served from another loopback address in real headless Chromium;
``kill -9`` of the server; a stale app process left by an older server.
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from test_serve import (
    CHROMIUM_ARGS,
    Served,
    assist_processes,
    notes_on_disk,
    playwright_api,
    session,  # noqa: F401 - the fixture
    wait_until,
)

from facilitator.ui.serve import MAX_VIEWS

pytestmark = [pytest.mark.slow]
KEY = "dGhlIHNhbXBsZSBub25jZQ=="


@pytest.fixture
def served(session) -> Served:  # noqa: F811
    server = Served(*session, "127.0.0.1")
    yield server
    server.stop()


def handshake(port: int, path: str, host: str | None = None, origin: str | None = None,
              websocket: bool = True) -> tuple[int, socket.socket]:  # fmt: skip
    """Send one request; return its status and the open socket."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    lines = [f"GET {path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}"]
    if websocket:
        lines += ["Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {KEY}",
                  "Sec-WebSocket-Version: 13"]  # fmt: skip
    if origin:
        lines.append(f"Origin: {origin}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(1024)
        if not chunk:
            break
        head += chunk
    return int(head.split()[1]), sock


def test_foreign_origins_hosts_and_missing_tokens_are_refused(served: Served, session) -> None:  # noqa: F811
    port, token = served.port, served.token
    own = f"http://127.0.0.1:{port}"
    cases = [
        ("/ws", None, "http://evil.example", True),  # no token, a foreign page
        (f"/ws?token={token}", None, "http://evil.example", True),  # a leaked token, too
        (f"/ws?token={token}", None, "http://127.0.0.2:8000", True),  # another loopback page
        ("/ws", None, own, True),  # the own origin, but no token (loopback needs it too)
        ("/", None, None, False),
        (f"/?token={token}", f"rebind.attacker.example:{port}", None, False),  # DNS rebinding
        (f"/ws?token={token}", f"rebind.attacker.example:{port}", None, True),
        (f"/?token={token}", "127.0.0.1:1", None, False),  # another port
    ]
    for path, host, origin, websocket in cases:
        status, sock = handshake(port, path, host, origin, websocket)
        sock.close()
        assert status == 403, (path, host, origin, status)
    assert assist_processes(session[1]) == []  # none of them got an app
    status, sock = handshake(port, f"/ws?token={token}", origin=own)  # the real page
    try:
        assert status == 101
        wait_until(lambda: assist_processes(session[1]), 20, "the real page got no app")
    finally:
        sock.close()
    wait_until(lambda: not assist_processes(session[1]), 30, "the app outlived its socket")


class EvilPage(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_a_hostile_page_in_chromium_gets_nothing(served: Served, session, tmp_path: Path) -> None:  # noqa: F811
    sessions, session_id = session
    port, token = served.port, served.token
    site = tmp_path / "evil"
    site.mkdir()
    (site / "index.html").write_text(f"""<!doctype html><title>start</title><script>
    const seen = [];
    for (const url of ["ws://127.0.0.1:{port}/ws", "ws://127.0.0.1:{port}/ws?token={token}"]) {{
      const ws = new WebSocket(url);
      ws.onopen = () => {{ seen.push("open"); ws.send(JSON.stringify(["stdin", "n"]));
        ws.send(JSON.stringify(["stdin", "from the evil page\\r"])); }};
      ws.onmessage = () => seen.push("message");
      ws.onclose = () => {{ seen.push("closed"); document.title = seen.join(","); }};
    }}
    fetch("http://127.0.0.1:{port}/?token={token}", {{mode: "no-cors"}}).then(
      () => seen.push("fetched"), () => seen.push("fetch refused"));
    </script>""")
    handler = lambda *a, **k: EvilPage(*a, directory=str(site), **k)  # noqa: E731
    evil = http.server.ThreadingHTTPServer(("127.0.0.2", 0), handler)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                # the assistant has the real view open in this browser (its cookie set)
                context = browser.new_context()
                mine = context.new_page()
                mine.goto(served.link)
                mine.wait_for_selector("body.-first-byte", timeout=20_000)
                wait_until(lambda: len(assist_processes(session_id)) == 1, 20, "no real view")
                page = context.new_page()
                page.goto(f"http://127.0.0.2:{evil.server_address[1]}/")
                page.wait_for_function("document.title.split('closed').length > 2", timeout=20_000)
                title = page.title()
                page.wait_for_timeout(1000)
            finally:
                browser.close()
    finally:
        evil.shutdown()
    assert "open" not in title and "message" not in title, title
    assert [n for n in notes_on_disk(sessions, session_id) if "evil" in n["text"]] == []


def test_nine_foreign_connections_leave_the_real_assistant_a_view(served: Served, session) -> None:  # noqa: F811
    port, token = served.port, served.token
    held = []
    for _ in range(9):  # nine tabs of a hostile page, and nine half-sent requests
        status, sock = handshake(port, "/ws", origin="http://evil.example")
        assert status == 403
        held.append(sock)
        half = socket.create_connection(("127.0.0.1", port))
        half.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        held.append(half)
    status, sock = handshake(port, f"/ws?token={token}", origin=f"http://127.0.0.1:{port}")
    held.append(sock)
    try:
        assert status == 101
        wait_until(lambda: len(assist_processes(session[1])) == 1, 20, "the assistant got no app")
    finally:
        for s in held:
            s.close()


def test_views_past_the_limit_are_told_so(served: Served, session) -> None:  # noqa: F811
    port, token = served.port, served.token
    own = f"http://127.0.0.1:{port}"
    views = []
    try:
        for _ in range(MAX_VIEWS):
            status, sock = handshake(port, f"/ws?token={token}", origin=own)
            assert status == 101
            views.append(sock)
        wait_until(lambda: len(assist_processes(session[1])) == MAX_VIEWS, 60, "not all views")
        with pytest.raises(urllib.error.HTTPError) as full:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}", timeout=10)
        assert full.value.code == 503 and "open already" in full.value.read().decode()
    finally:
        for s in views:
            s.close()


def test_a_half_sent_request_is_timed_out(served: Served) -> None:
    half = socket.create_connection(("127.0.0.1", served.port))
    half.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    half.settimeout(60)
    start = time.monotonic()
    try:
        assert half.recv(1024) == b""  # closed by the server, not by our 60 s timeout
    except (ConnectionResetError, TimeoutError) as error:
        assert isinstance(error, ConnectionResetError), "the server never closed it"
    finally:
        half.close()
    assert time.monotonic() - start < 60


def test_kill_9_of_the_server_ends_its_apps(session) -> None:  # noqa: F811
    server = Served(*session, "127.0.0.1")
    try:
        status, sock = handshake(server.port, f"/ws?token={server.token}",
                                 origin=f"http://127.0.0.1:{server.port}")  # fmt: skip
        assert status == 101
        wait_until(lambda: assist_processes(session[1]), 20, "no app started")
        os.kill(server.process.pid, signal.SIGKILL)
        wait_until(lambda: not assist_processes(session[1]), 30, "an app outlived its server")
        sock.close()
    finally:
        server.stop()


def test_a_new_server_ends_apps_left_by_an_old_one(session) -> None:  # noqa: F811
    sessions, session_id = session
    folder = (sessions / session_id).resolve()
    # an app of a server that is gone (pid 1 never serves), not tied to it
    stale = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "-m", "facilitator", "assist",
         str(folder)],
        env={**os.environ, "FACILITATOR_SERVED": str(folder),
             "FACILITATOR_SERVER_PID": "999999999"},
        start_new_session=True,
    )  # fmt: skip
    # and the moderator's own assistant in a terminal: not the server's, left alone
    own = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "assist",
                            str(folder)], start_new_session=True)  # fmt: skip
    server = Served(sessions, session_id, "127.0.0.1")
    try:
        assert stale.wait(20) == -signal.SIGKILL
        assert own.poll() is None
        assert any("earlier server" in line for line in server.lines)
    finally:
        server.stop()
        own.kill()
        own.wait()
