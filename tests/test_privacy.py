"""Private by default, checked: owner-only files from the first instant, pseudonyms in every
output that leaves the session folder, and a served view that logs nothing of the session.

- Every folder and file the app makes in a session (creating it, running it with notes,
  checkpoints, signs of life, the copy of its details, damaged files kept aside, exports
  written into it) is 0700 / 0600, with the caller's umask at 0o022 or 0o000 too. And not
  only at the end: every call that creates a file or folder is watched, and the new entry is
  looked at the instant the call returns, before any later ``chmod`` could narrow it.
- Real names given with ``--participant ID:label:role:real name`` appear in no ``summary``
  (md, html, json), no ``export`` (every format), no ``recap`` and no study report, unless
  ``--with-names`` asks for them where it is offered.
- ``facilitator serve`` listens on loopback unless told otherwise; beyond it, a wrong token
  of the right length is refused and the right one let in, over real HTTP; its output holds
  no session content (labels, real names, roles, note text).
"""

from __future__ import annotations

import builtins
import html
import io
import json
import os
import re
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import GUIDES, venv_bin

from facilitator.cli import commands as cli
from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.core.session import state_of
from facilitator.exports import FORMATS
from facilitator.services.exporting import write_export
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore, parse_participant

PEOPLE = [
    "P1:Informant 1:Housing office:Kari Nordmann",
    "P2:Informant 2:Property office:Ola Hansen",
    "P3:Informant 3:NAV:Åse Bjørnstad",
    "P4:Informant 4:Volunteer centre",
]
NEWCOMER = "P5:Informant 5:State housing bank:Per Persen"
# every part of every real name: a surname alone is a name too
NAME_PARTS = ["Kari", "Nordmann", "Ola", "Hansen", "Åse", "Bjørnstad", "Per Persen", "Persen"]
NOTES = [
    "We meet the families where they are #quote",
    "the waiting lists come up again and again #theme",
    "ask the housing bank about the start loans #follow-up",
    "agreement that the meetings are too short #summary",
    "the group nods along, nobody disagrees #observation",
]
START_AT = 1_800_000_000.0


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- files: owner only, from the first instant ---------------------------------------------------


class CreationWatch:
    """Every file and folder created under ``root`` by this process, with its mode the instant
    the creating call returned (before the caller could ``chmod`` it)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.seen: dict[str, int] = {}
        self.wider: list[tuple[str, int]] = []

    def look(self, path: object) -> None:
        if isinstance(path, int):
            return
        where = Path(os.fsdecode(path))  # type: ignore[arg-type]
        where = (where if where.is_absolute() else Path.cwd() / where).resolve()
        if not where.is_relative_to(self.root):
            return
        try:
            current = stat.S_IMODE(where.stat().st_mode)
        except FileNotFoundError:
            return
        name = str(where.relative_to(self.root))
        self.seen.setdefault(name, current)
        if current & 0o077:
            self.wider.append((name, current))


@contextmanager
def watch_creations(root: Path) -> Iterator[CreationWatch]:
    """Wrap the calls that create files and folders: ``os.open`` with ``O_CREAT`` (which
    ``tempfile.mkstemp`` and ``Path.touch`` use too), ``open``/``io.open`` for writing (which
    ``Path.write_*`` use) and ``os.mkdir`` (which ``Path.mkdir`` uses)."""
    watch = CreationWatch(root)
    real_os_open, real_mkdir, real_open = os.open, os.mkdir, io.open

    def os_open(path, flags, *args, **kwargs):
        fd = real_os_open(path, flags, *args, **kwargs)
        if flags & os.O_CREAT:
            watch.look(path)
        return fd

    def mkdir(path, *args, **kwargs):
        real_mkdir(path, *args, **kwargs)
        watch.look(path)

    def open_(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if any(c in mode for c in "wax+"):
            watch.look(file)
        return handle

    patch = pytest.MonkeyPatch()
    patch.setattr(os, "open", os_open)
    patch.setattr(os, "mkdir", mkdir)
    patch.setattr(io, "open", open_)
    patch.setattr(builtins, "open", open_)
    try:
        yield watch
    finally:
        patch.undo()


@contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def every_entry(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): mode(p) for p in [root, *root.rglob("*")]}


def in_process(sessions: Path, *args: str) -> int:
    """``facilitator.cli.main`` in this process. It sets its own umask (077), as the command
    does; the caller's is given back afterwards."""
    old = os.umask(0o077)
    try:
        return cli.main(["--sessions", str(sessions), *args])
    finally:
        os.umask(old)


@pytest.mark.parametrize("lax", [0o022, 0o000], ids=["umask 022", "umask 000"])
def test_every_file_and_folder_is_owner_only_from_the_start(
    tmp_path: Path, lax: int, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = tmp_path / "sessions"
    clock = FakeClock(START_AT)
    with umask(lax), watch_creations(tmp_path) as watch:
        store = SessionStore.create(
            sessions,
            load_guide(GUIDES / "seed-en.toml"),
            title="Stage 1",
            participants=[parse_participant(spec) for spec in PEOPLE],
            now=clock.now(),
            study="u-turn",
        )
        live = LiveSession(store, clock=clock)
        live.heartbeat()
        for number, note in enumerate(NOTES):
            clock.advance(30)
            live.speak_position(1 + number % 4)
            live.add_note(note)
        live.add_reflection("I steered towards problems again")
        assert store.checkpoint() > 0
        for fmt in FORMATS:  # as the end screen writes them: into the session's exports/
            write_export(store, live.info, live.state, fmt, clock.now())
        live.close()
        # the commands, in this process and under this umask
        assert in_process(sessions, "export", store.path.name, "--format", "qdpx") == 0
        out = str(store.path / "exports" / "summary.md")
        assert in_process(sessions, "summary", store.path.name, "-o", out) == 0
        # damaged files are kept aside, and the session's details rebuilt
        store.db_path.write_bytes(store.db_path.read_bytes()[:100])
        with store.journal_path("moderator").open("ab") as journal:
            journal.write(b"garbage\n")
        again = LiveSession(SessionStore(store.path), clock=clock)
        again.heartbeat()
        again.close()
        assert os.umask(lax) == lax  # nothing changed the caller's umask behind its back
    capsys.readouterr()

    created = set(watch.seen)
    for expected in (
        "sessions",
        f"sessions/{store.path.name}",
        f"sessions/{store.path.name}/journal-moderator.jsonl",
        f"sessions/{store.path.name}/alive-moderator",
        f"sessions/{store.path.name}/exports",
        f"sessions/{store.path.name}/journal-moderator.jsonl.damaged-",
        f"sessions/{store.path.name}/session.json.damaged-",
    ):
        assert any(name.startswith(expected) for name in created), (
            f"{expected} was not seen being created: {sorted(created)}"
        )
    # the temporary files behind every atomic write (session.json, its copy, each export)
    temporaries = [name for name in created if name.endswith(".tmp")]
    assert len(temporaries) >= len(FORMATS) + 4, sorted(created)
    assert watch.wider == [], f"created wider than owner-only: {watch.wider}"

    entries = every_entry(sessions)
    assert {name for name in entries} >= {
        ".",
        store.path.name,
        f"{store.path.name}/session.json",
        f"{store.path.name}/session.meta.json",
        f"{store.path.name}/exports",
    }
    for name, found in entries.items():
        path = sessions / name
        wanted = 0o700 if path.is_dir() else 0o600
        assert found == wanted, f"{name}: {oct(found)}, not {oct(wanted)}"


def test_the_commands_keep_files_private_under_a_lax_umask(tmp_path: Path) -> None:
    """The real command, started by a shell with umask 000: new, run's files, exports."""
    sessions = tmp_path / "sessions"
    env = {**os.environ, "FACILITATOR_LANG": "en"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [venv_bin("facilitator"), "--sessions", str(sessions), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            preexec_fn=lambda: os.umask(0),
        )

    created = run("new", str(GUIDES / "seed-en.toml"), "--title", "Stage 1", "--participant",
                  PEOPLE[0])  # fmt: skip
    assert created.returncode == 0, created.stderr
    session_id = created.stdout.strip()
    for fmt in ("qdpx", "html"):
        target = [] if fmt == "qdpx" else ["-o", str(sessions / session_id / "exports" / "r.html")]
        done = run("export", session_id, "--format", fmt, *target)
        assert done.returncode == 0, done.stderr
    for name, found in every_entry(sessions).items():
        wanted = 0o700 if (sessions / name).is_dir() else 0o600
        assert found == wanted, f"{name}: {oct(found)}"


# --- pseudonyms in every output ----------------------------------------------------------------


def readable(data: bytes | str) -> str:
    """An output as a person would read it: archives opened, entities and escapes undone."""
    if isinstance(data, bytes) and data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(readable(archive.read(name)) for name in archive.namelist())
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = html.unescape(text)
    try:
        decoded = json.loads(text)
    except ValueError:
        return text
    return text + "\n" + json.dumps(decoded, ensure_ascii=False)


def names_in(text: str) -> list[str]:
    return [part for part in NAME_PARTS if re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text)]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """Stage 1 of a study, run with notes and ended; stage 2 made by ``next`` (with a newcomer)
    and run a little. Participants have real names; the notes name nobody."""
    sessions = tmp_path_factory.mktemp("privacy") / "sessions"
    clock = FakeClock(START_AT)
    args = ["new", str(GUIDES / "seed-en.toml"), "--title", "Stage 1", "--study", "u-turn"]
    args += [f"--participant={spec}" for spec in PEOPLE]
    code = in_process(sessions, *args)
    assert code == 0
    (stage_1,) = [p.name for p in sessions.iterdir()]
    live = LiveSession(SessionStore(sessions / stage_1), clock=clock)
    for number, note in enumerate(NOTES):
        clock.advance(45)
        live.speak_position(1 + number % 4)
        live.add_note(note)
        if number == 2:
            live.next_phase()
    live.add_reflection("I let Informant 1 talk too long")
    point = next(n for n in live.state.notes.values() if "summary" in n.tags)
    live.check_mark(point.id, "confirmed")
    clock.advance(60)
    live.end()
    live.close()
    code = in_process(sessions, "next", stage_1, "--newcomer", NEWCOMER)
    assert code == 0
    (stage_2,) = [p.name for p in sessions.iterdir() if p.name != stage_1]
    live = LiveSession(SessionStore(sessions / stage_2), clock=clock)
    clock.advance(30)
    live.speak_position(5)
    live.add_note("the newcomer asks what the housing bank can do #theme")
    clock.advance(40)
    live.end()
    live.close()
    # the real names are in the session folder, as they should be
    assert "Kari Nordmann" in (sessions / stage_1 / "session.json").read_text(encoding="utf-8")
    assert "Per Persen" in (sessions / stage_2 / "session.json").read_text(encoding="utf-8")
    return sessions, stage_1, stage_2


def output_of(sessions: Path, args: list[str], tmp_path: Path, capsys) -> str:
    """What a command gives the user: its stdout, or the file it wrote."""
    capsys.readouterr()
    target = tmp_path / "out.bin"
    code = in_process(sessions, *args, "-o", str(target))
    err = capsys.readouterr().err
    assert code == 0, err
    return readable(target.read_bytes())


EXPORTS = [name for name in FORMATS if name != "md"]
OUTPUTS = {
    **{f"summary {fmt}": ["summary", "{stage}", "--format", fmt] for fmt in ("md", "html", "json")},
    **{f"export {fmt}": ["export", "{stage}", "--format", fmt] for fmt in EXPORTS},
}
# where --with-names puts the names in; SubRip and Praat TextGrid keep pseudonyms anyway
# (neither has a place to say that the file holds real names)
WITH_NAMES = set(OUTPUTS) - {"export srt", "export textgrid"}


@pytest.mark.parametrize("stage", ["stage 1", "stage 2"])
@pytest.mark.parametrize("output", OUTPUTS)
def test_no_real_name_leaves_the_session_folder(
    study, output: str, stage: str, tmp_path: Path, capsys
) -> None:
    sessions, stage_1, stage_2 = study
    session = stage_1 if stage == "stage 1" else stage_2
    args = [a.replace("{stage}", session) for a in OUTPUTS[output]]
    text = output_of(sessions, args, tmp_path, capsys)
    assert "Informant " in text  # the pseudonyms are there ...
    assert names_in(text) == []  # ... and no part of any real name
    assert "Housing office" in text or output.startswith("export ")


@pytest.mark.parametrize("output", OUTPUTS)
def test_with_names_the_names_are_in_where_offered(
    study, output: str, tmp_path: Path, capsys
) -> None:
    sessions, stage_1, _stage_2 = study
    args = [a.replace("{stage}", stage_1) for a in OUTPUTS[output]]
    text = output_of(sessions, [*args, "--with-names"], tmp_path, capsys)
    if output in WITH_NAMES:
        assert {"Kari", "Nordmann", "Bjørnstad"} <= set(names_in(text))
    else:
        assert names_in(text) == [], f"{output} puts names in, and is not listed as doing so"


def test_stdout_holds_no_real_name_either(study, capsys) -> None:
    """The same, on the screen: every text output without ``-o``."""
    sessions, stage_1, _stage_2 = study
    for args in OUTPUTS.values():
        if "qdpx" in args:
            continue
        capsys.readouterr()
        assert in_process(sessions, *[a.replace("{stage}", stage_1) for a in args]) == 0
        out = readable(capsys.readouterr().out)
        assert "Informant 1" in out
        assert names_in(out) == [], args


@pytest.mark.parametrize("fmt", ["text", "md", "json"])
def test_the_recap_names_nobody(study, fmt: str, tmp_path: Path, capsys) -> None:
    sessions, _stage_1, stage_2 = study
    text = output_of(sessions, ["recap", stage_2, "--format", fmt], tmp_path, capsys)
    assert "We meet the families where they are" in text
    assert names_in(text) == []


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_the_study_report_names_nobody(study, fmt: str, tmp_path: Path, capsys) -> None:
    sessions, _stage_1, _stage_2 = study
    text = output_of(sessions, ["summary", "--study", "u-turn", "--format", fmt], tmp_path, capsys)
    assert "Informant 5" in text
    assert names_in(text) == []


def test_the_reflexivity_log_stays_out_unless_asked(study, tmp_path: Path, capsys) -> None:
    sessions, stage_1, _stage_2 = study
    for fmt in ("md", "html", "json"):
        text = output_of(sessions, ["summary", stage_1, "--format", fmt], tmp_path, capsys)
        assert "talk too long" not in text
    text = output_of(
        sessions, ["summary", stage_1, "--format", "json", "--with-reflections"], tmp_path, capsys
    )
    assert "I let Informant 1 talk too long" in text


def test_the_state_still_knows_the_names(study) -> None:
    """A check on the check: the names exist, so their absence above means something."""
    sessions, stage_1, _stage_2 = study
    store = SessionStore(sessions / stage_1)
    info = store.info()
    state = state_of(info, store.read_events().events)
    assert {p.real_name for p in state.roster} >= {"Kari Nordmann", "Ola Hansen", "Åse Bjørnstad"}


# --- the served view ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """``facilitator serve`` in its own process group; its whole output kept."""

    def __init__(self, sessions: Path, session_id: str, *host: str) -> None:
        self.port = free_port()
        self.output = tmp_output = sessions.parent / f"serve-{self.port}.log"
        self.handle = tmp_output.open("wb")
        self.process = subprocess.Popen(
            [venv_bin("facilitator"), "--sessions", str(sessions), "serve", session_id,
             *host, "--port", str(self.port)],
            stdout=self.handle, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "FACILITATOR_LANG": "en"},
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not listen: " + self.log())

    def log(self) -> str:
        self.handle.flush()
        return self.output.read_text(encoding="utf-8", errors="replace")

    @property
    def token(self) -> str:
        match = re.search(r"token=([\w-]+)", self.log())
        assert match, self.log()
        return match.group(1)

    def stop(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 2)  # ctrl+c
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(5)
        self.handle.close()
        return self.output.read_text(encoding="utf-8", errors="replace")


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, _remote, state = line.split()[1:4]
            address, hex_port = local.split(":")
            if int(hex_port, 16) != port or state != "0A":  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            if len(raw) == 4:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def type_a_note_through_the_websocket(port: int, text: str, query: str = "") -> None:
    """What a browser tab does: open the websocket, let the assistant's view start, type."""
    import asyncio

    import aiohttp

    async def drive() -> None:
        async with aiohttp.ClientSession() as client:
            url = f"http://127.0.0.1:{port}/ws?width=100&height=30{query}"
            async with client.ws_connect(url) as websocket:
                await websocket.send_json(["resize", {"width": 100, "height": 30}])

                async def drain() -> None:
                    async for _message in websocket:
                        pass

                reader = asyncio.create_task(drain())
                await asyncio.sleep(4)  # the app process starts and takes the note line
                await websocket.send_json(["stdin", text])
                await asyncio.sleep(0.5)
                await websocket.send_json(["stdin", "\r"])
                await asyncio.sleep(1.5)
                await websocket.close()
                reader.cancel()

    asyncio.run(drive())


SESSION_CONTENT = ["Informant", "Housing office", "Property office", "waiting lists", *NAME_PARTS]


@pytest.fixture
def served_session(tmp_path: Path) -> tuple[Path, str]:
    sessions = tmp_path / "sessions"
    args = ["new", str(GUIDES / "seed-en.toml"), "--title", "Served"]
    args += [f"--participant={spec}" for spec in PEOPLE]
    assert in_process(sessions, *args) == 0
    (session_id,) = [p.name for p in sessions.iterdir()]
    live = LiveSession(SessionStore(sessions / session_id), clock=FakeClock(time.time()))
    live.speak_position(1)
    assert live.journal is not None
    live.journal.close()
    return sessions, session_id


def notes_of(sessions: Path, session_id: str) -> list[str]:
    store = SessionStore(sessions / session_id)
    return [e.data.get("text", "") for e in store.read_events().events if e.kind == "note"]


@pytest.mark.slow
def test_served_on_loopback_by_default_and_its_log_holds_no_session_content(
    served_session: tuple[Path, str],
) -> None:
    sessions, session_id = served_session
    server = Served(sessions, session_id)
    try:
        assert listening_addresses(server.port) == {"127.0.0.1"}
        # the link printed, with its token (required on loopback too: see SECURITY.md)
        link = f"http://127.0.0.1:{server.port}/?token={server.token}"
        with urllib.request.urlopen(link, timeout=10) as page:
            assert page.status == 200
        type_a_note_through_the_websocket(
            server.port, "the waiting lists are long #quote", f"&token={server.token}"
        )
        deadline = time.monotonic() + 30  # a served view starts a process: slow under load
        while "the waiting lists are long" not in notes_of(sessions, session_id):
            assert time.monotonic() < deadline, "the note typed through the websocket was lost"
            time.sleep(0.2)
    finally:
        log = server.stop()
    assert "on this computer only" in log
    leaked = [word for word in SESSION_CONTENT if word in log]
    assert leaked == [], f"the served view's output holds session content {leaked}:\n{log}"


@pytest.mark.slow
def test_beyond_loopback_only_the_right_token_gets_in(served_session: tuple[Path, str]) -> None:
    sessions, session_id = served_session
    server = Served(sessions, session_id, "--host", "0.0.0.0")
    base = f"http://127.0.0.1:{server.port}"
    try:
        token = server.token
        assert len(token) >= 32  # 24 random bytes, url-safe base64
        wrong = ("A" if token[0] != "A" else "B") + token[1:]  # same length, one character off

        def status(path: str, cookie: str | None = None) -> int:
            request = urllib.request.Request(base + path)
            if cookie is not None:
                request.add_header("Cookie", f"facilitator_token={cookie}")
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        assert status("/") == 403
        assert status(f"/?token={wrong}") == 403
        assert status("/", cookie=wrong) == 403
        assert status(f"/ws?token={wrong}") == 403
        assert status(f"/static/js/textual.js?token={wrong}") == 403
        assert status(f"/?token={token[:-1]}") == 403  # a prefix is not the token
        with urllib.request.urlopen(f"{base}/?token={token}", timeout=10) as page:
            assert page.status == 200
            cookie = page.headers.get("Set-Cookie", "")
        assert f"facilitator_token={token}" in cookie
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert status("/", cookie=token) == 200  # the page's own requests carry the cookie
        type_a_note_through_the_websocket(
            server.port, "a note through the guarded view #theme", f"&token={token}"
        )
        deadline = time.monotonic() + 30  # a served view starts a process: slow under load
        while "a note through the guarded view" not in notes_of(sessions, session_id):
            assert time.monotonic() < deadline, "the note through the guarded view was lost"
            time.sleep(0.2)
    finally:
        log = server.stop()
    assert "refused a request without a valid token" in log
    assert wrong not in log  # what a client sent is not echoed into the log
    leaked = [word for word in SESSION_CONTENT if word in log]
    assert leaked == [], f"the served view's output holds session content {leaked}:\n{log}"


CRASH_ON_NOTE = """
# Loaded by every Python process of the test's served view (PYTHONPATH): the assistant's
# view crashes when it saves a note, with the note's text in a local variable, as a bug would.
import facilitator.services.live as _live


def _add_note(self, raw):
    note_being_saved = raw  # noqa: F841 - the crash report shows it
    raise RuntimeError("a bug while saving a note")


_live.LiveSession.add_note = _add_note
"""


@pytest.mark.slow
def test_a_crash_of_the_served_view_does_not_spill_the_session_into_the_log(
    served_session: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual reports a crash with the local variables of each frame; the served app's
    stderr must not end up in the server's output (it goes to a file in the session folder,
    owner only)."""
    sessions, session_id = served_session
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(CRASH_ON_NOTE, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(hooks))
    server = Served(sessions, session_id)
    try:
        type_a_note_through_the_websocket(
            server.port, "the waiting lists are long #quote", f"&token={server.token}"
        )
        # wait for the crash to be reported, however loaded the machine (a fixed sleep of
        # 2 s failed once in a CI run): its report in the file, its mention in the output
        errors = sessions / session_id / "serve-errors.log"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            errors.exists()
            and "a bug while saving a note" in errors.read_text(encoding="utf-8")
            and "error" in server.log()
        ):
            time.sleep(0.2)
    finally:
        log = server.stop()
    leaked = [word for word in SESSION_CONTENT if word in log]
    assert leaked == [], f"the served view's output holds session content {leaked}:\n{log}"
    assert "error" in log  # the crash is reported, without its content
    assert "a bug while saving a note" in errors.read_text(encoding="utf-8")
    assert mode(errors) == 0o600


def test_no_token_only_on_loopback() -> None:
    from facilitator.ui.serve import is_loopback

    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "", "192.168.1.10", "example.org", "10.0.0.1"):
        assert not is_loopback(host), host
