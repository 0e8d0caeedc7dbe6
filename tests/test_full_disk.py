"""A full disk, for real: the sessions folder on a 512 KiB tmpfs that fills up.

Where a test may mount (root, and ``mount -t tmpfs`` allowed) the sessions folder lives on a
tiny tmpfs, a filler file takes the rest of it, and the app is driven until its writes fail:
``LiveSession`` directly and the live view through Pilot's key presses. Then it must

- show NOT SAVED and change nothing on screen for the key that was not saved, and not crash;
- leave no corrupted file: every journal line parses, ``session.json`` loads;
- show nothing that is not on disk: the state in memory is the state folded from disk;
- go on recording once the filler is deleted, and keep what comes after.

A checkpoint on the full disk keeps ``session.json`` whole and the app running;
``facilitator new`` and ``next`` on it say so in one line and leave no half-made session folder.

Where mounting is not allowed, those tests are skipped and the same live session runs in a
subprocess past an ``RLIMIT_FSIZE`` file size limit instead (``test_a_file_size_limit_...``).
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GUIDES, START

from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.services.live import LiveSession
from facilitator.store.journal import StorageError, read_journal
from facilitator.store.session_store import (
    SessionStore,
    list_session_dirs,
    parse_participant,
    read_json_object,
)
from facilitator.ui.app import make_app, make_home_app
from facilitator.ui.screens.home import HomeScreen
from facilitator.ui.screens.live import LiveScreen

HELPERS = Path(__file__).parent / "helpers"
PEOPLE = ["P1:Informant 1:Housing office", "P2:Informant 2:NAV", "P3:Informant 3"]


class SmallDisk:
    """A mounted tmpfs of ``size`` bytes, and a filler file to take its free space."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sessions = root / "sessions"
        self.filler = root / "filler"

    def fill(self) -> int:
        """Take every free byte (tmpfs allocates whole pages: then smaller and smaller)."""
        written = 0
        with open(self.filler, "ab", buffering=0) as handle:
            for chunk in (65536, 4096, 512, 1):
                while True:
                    try:
                        written += handle.write(b"\0" * chunk) or 0
                    except OSError as error:
                        assert error.errno == errno.ENOSPC, error
                        break
        return written

    def free(self) -> None:
        self.filler.unlink()

    def files(self) -> dict[str, bytes]:
        return {
            str(p.relative_to(self.root)): p.read_bytes()
            for p in self.root.rglob("*")
            if p.is_file()
        }


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the RLIMIT_FSIZE test covers this machine)")
    root = tmp_path / "disk"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", str(root)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(root)
    finally:
        if subprocess.run(["umount", str(root)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(root)], check=True)


def create(sessions: Path, clock: FakeClock) -> SessionStore:
    return SessionStore.create(
        sessions,
        load_guide(GUIDES / "seed-en.toml"),
        title="Stage 1",
        participants=[parse_participant(spec) for spec in PEOPLE],
        now=clock.now(),
        study="u-turn",
    )


def assert_nothing_corrupted(store: SessionStore) -> None:
    for path in store.journal_paths():
        read = read_journal(path)
        assert not read.torn_tail and read.damaged_lines == [], path
        assert read.valid_bytes == path.stat().st_size
    fresh = SessionStore(store.path)
    fresh.info()
    assert fresh.damage is None
    assert not [p.name for p in store.path.iterdir() if p.name.endswith(".tmp")]


def assert_shown_is_on_disk(live: LiveSession) -> None:
    """Every event the state in memory holds is on disk, and nothing else."""
    on_disk = SessionStore(live.store.path).read_events().events
    assert live.state.seen == {e.id for e in on_disk}
    fresh = LiveSession(SessionStore(live.store.path), clock=live.clock, read_only=True)
    assert fresh.state.talk.current_speaker == live.state.talk.current_speaker
    assert (fresh.state.phase_id, fresh.state.question_id) == (
        live.state.phase_id,
        live.state.question_id,
    )
    assert fresh.state.notes.keys() == live.state.notes.keys()


def act(live: LiveSession, clock: FakeClock, number: int) -> None:
    """Action ``number`` of a session's mix: speakers, notes, moves through the guide."""
    clock.advance(5)
    if number % 2:
        live.speak_position(1 + number % 3)
    elif number % 10:
        live.add_note(f"note {number}: the families talk about the waiting lists #theme")
    else:
        (live.next_question if number % 20 else live.previous_question)()


# --- LiveSession --------------------------------------------------------------------------------


def test_a_live_session_on_a_disk_that_fills_up(disk: SmallDisk, clock: FakeClock) -> None:
    store = create(disk.sessions, clock)
    live = LiveSession(store, clock=clock)
    disk.fill()
    failures: list[str] = []
    number = 0
    while len(failures) < 3:
        number += 1
        before = set(live.state.seen)
        try:
            act(live, clock, number)
        except StorageError as error:
            failures.append(str(error))
            assert live.state.seen == before  # a write that failed changed nothing
        assert number < 1000, "the disk never filled up"
    assert all(failures)
    assert_nothing_corrupted(store)
    assert_shown_is_on_disk(live)

    # a checkpoint now cannot be written: session.json stays as it was, whole
    before = store.db_path.read_bytes()
    assert store.checkpoint() == -1
    assert "No space left" in (store.checkpoint_problem or "")
    assert store.db_path.read_bytes() == before
    assert_nothing_corrupted(store)

    disk.free()
    saved = set(live.state.seen)
    note = live.add_note("after the disk was freed #summary")
    assert note is not None
    live.speak(None)
    assert store.checkpoint() == len(live.state.seen)
    live.close()
    again = LiveSession(SessionStore(store.path), clock=clock)
    try:
        assert saved <= again.state.seen
        assert again.state.notes[note.id].text == "after the disk was freed"
        assert again.problems == []
    finally:
        assert again.journal is not None
        again.journal.close()
    assert_nothing_corrupted(store)


# --- the live view, through Pilot ---------------------------------------------------------------


async def test_the_live_view_on_a_full_disk_says_not_saved_and_goes_on(
    disk: SmallDisk, clock: FakeClock
) -> None:
    store = create(disk.sessions, clock)
    live = LiveSession(store, clock=clock)
    app = make_app(live)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        disk.fill()
        banner = screen.query_one("#banner")
        keys = ["1", "2", "3", "0", "space"]
        pressed = 0
        while "NOT SAVED" not in str(banner.render()):
            before = (set(live.state.seen), live.state.talk.current_speaker)
            clock.advance(5)
            await pilot.press(keys[pressed % len(keys)])
            pressed += 1
            assert pressed < 500, "the disk never filled up"
        # the key that was not saved changed nothing, and the screen says so
        assert (set(live.state.seen), live.state.talk.current_speaker) == before
        assert "NOT SAVED" in str(banner.render())
        assert any("NOT SAVED" in str(n.message) for n in app._notifications), [
            str(n.message) for n in app._notifications
        ]
        assert_nothing_corrupted(store)
        assert_shown_is_on_disk(live)

        # the periodic checkpoint, in its worker, on the full disk: no crash, no damage
        db_before = store.db_path.read_bytes()
        screen.checkpoint()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert store.db_path.read_bytes() == db_before
        assert store.checkpoint_problem and "No space left" in store.checkpoint_problem
        assert_nothing_corrupted(store)

        # a note typed now is not saved either, and is not shown
        notes_before = dict(live.state.notes)
        await pilot.press("n", *"not saved yet", "enter")
        await pilot.pause()
        assert live.state.notes == notes_before
        await pilot.press("escape")

        disk.free()
        clock.advance(5)
        await pilot.press("2")
        await pilot.pause()
        assert live.state.talk.current_speaker == "P2"
        assert "NOT SAVED" not in str(banner.render())
        assert any("Saving works again" in str(n.message) for n in app._notifications)
        # the unsaved draft is still in the note line (kept, cursor at its end): clear it
        # and write the note again
        await pilot.press("n", "ctrl+u", *"the disk has room again #quote", "enter")
        await pilot.press("escape")
        screen.checkpoint()
        await app.workers.wait_for_complete()
        assert store.checkpoint_problem is None
        await pilot.press("ctrl+q")
    live.close()
    again = SessionStore(store.path)
    events = again.read_events().events
    assert any(e.data.get("text") == "the disk has room again" for e in events)
    assert not any("not saved yet" in str(e.data) for e in events)
    assert_nothing_corrupted(store)


# --- creating a session on a full disk ----------------------------------------------------------


def facilitator(sessions: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facilitator", "--lang", "en", "--sessions", str(sessions), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("existing", [False, True], ids=["first session", "next to another"])
async def test_new_on_a_full_disk_says_so_and_leaves_nothing_half_made(
    disk: SmallDisk, clock: FakeClock, existing: bool
) -> None:
    before: list[Path] = []
    if existing:
        before = [create(disk.sessions, clock).path]
    disk.fill()
    args = ["new", str(GUIDES / "seed-en.toml"), "--title", "Stage 1"]
    args += [f"--participant={spec}" for spec in PEOPLE]
    result = facilitator(disk.sessions, *args)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("facilitator: Cannot create the session: ")
    assert "No space left on device" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    folders = sorted(disk.sessions.iterdir()) if disk.sessions.exists() else []
    assert folders == before  # no half-made folder
    assert list_session_dirs(disk.sessions) == before

    # the start screen lists only whole sessions
    app = make_home_app(disk.sessions, GUIDES)
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        listed = app.screen.query_one("#sessions")
        labels = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
        assert not any("cannot be read" in label for label in labels), labels
        assert len(labels) == 1
        await pilot.press("ctrl+q")

    disk.free()
    result = facilitator(disk.sessions, *args)
    assert result.returncode == 0, result.stderr
    assert SessionStore.open(disk.sessions, result.stdout.strip()).info().title == "Stage 1"


def test_next_on_a_full_disk_says_so_and_leaves_stage_1_as_it_was(
    disk: SmallDisk, clock: FakeClock
) -> None:
    store = create(disk.sessions, clock)
    live = LiveSession(store, clock=clock)
    live.add_note("ask about the waiting lists #follow-up")
    live.end()
    live.close()
    disk.fill()
    files = disk.files()
    result = facilitator(disk.sessions, "next", store.path.name)
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "Cannot create the session: No space left on device" in result.stderr
    assert [p.name for p in disk.sessions.iterdir()] == [store.path.name]
    assert disk.files() == files  # stage 1 untouched


def test_closing_the_app_on_a_full_disk_warns_and_does_not_crash(
    disk: SmallDisk, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A bare ``facilitator`` (the start screen) whose session cannot be closed cleanly: the
    closing event and the checkpoint fail, the command says so in one line."""
    from facilitator.cli import commands as cli

    store = create(disk.sessions, clock)
    live = LiveSession(store, clock=clock)

    class StartScreen:  # the app as the start screen leaves it: a session open in it
        return_code = 0

        def __init__(self, *args: object) -> None:
            self.live = live

        def run(self) -> None:
            disk.fill()  # the disk fills up while the session runs

        def close_recording(self) -> None:
            pass

    monkeypatch.setattr("facilitator.ui.app.make_home_app", StartScreen)
    live.speak_position(1)
    code = cli.main(["--sessions", str(disk.sessions)])
    err = capsys.readouterr().err
    assert code == 0
    assert err.startswith("warning: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert_nothing_corrupted(store)


# --- where no tmpfs can be mounted: a file size limit -------------------------------------------


def test_a_file_size_limit_stops_a_live_session_cleanly_and_it_goes_on(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The same checks through ``RLIMIT_FSIZE`` (EFBIG and short writes), in a subprocess that
    lowers the limit, records until writes fail, raises it and records on. Runs anywhere."""
    store = create(tmp_path / "sessions", clock)
    done = subprocess.run(
        [sys.executable, str(HELPERS / "fsize_live.py"), str(store.path), str(START)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["failures"] >= 3 and all(result["errors"])
    assert result["unchanged_on_failure"]
    assert result["checkpoint"] == -1 and result["db_unchanged"]
    assert result["after"] > 0
    assert_nothing_corrupted(store)
    events = SessionStore(store.path).read_events().events
    ids = {e.id for e in events}
    assert set(result["saved"]) <= ids
    assert any(e.data.get("text") == "after the limit was raised" for e in events)
    document, reason = read_json_object(store.db_path)
    assert document is not None, reason
