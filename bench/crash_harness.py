"""Crash harness: the real live view on a simulated session, killed with SIGKILL again and again.

    .venv/bin/python bench/crash_harness.py [--kills 200] [--speed 60] [--seed S] [--json FILE]

Each round starts the real ``facilitator`` process in a real terminal (tmux), playing a
dense generated script (``facilitator simulate SCRIPT --view --speed 60``: about 30 events a
real second), or going on with the same session after the last kill (``--resume ID``), waits
a random moment (from before the first frame to a few seconds in), reads the screen, and
kills the process with SIGKILL. Then, before the next round resumes the session, it checks:

- **Nothing shown is lost.** Two side channels say what the screen had shown:
  1. the acknowledgement log (``FACILITATOR_ACK_LOG``): after each frame the app hands to
     the terminal, the simulator's app appends the id of the newest event in the state that
     frame was drawn from (``facilitator/ui/simulation.py``). The id comes from the state
     the screen shows, not from the journal, so a program that showed an event before it was
     durable (drawn from memory while the write sat in a buffer or a thread) leaves an id
     in the log that the kill loses. (A kill cannot catch a missing ``fsync``: the kernel
     keeps written pages when a process dies. The journal's tests cover that separately.)
  2. the screen itself, read with ``tmux capture-pane`` just before the kill: the speaker
     shown (``▶ Informant 4``) must have a speaker event on disk, the question shown
     (``Phase 2 of 3``, ``Question 1 of 2``) a move there, the notes count (``Notes (17)``)
     at least that many notes, a summary screen an ``ended`` event.
  Every acknowledged id must be on disk, the journal numbered 1..N without a gap.
- **Every file loads.** ``session.json`` through TinyDB (``SessionStore.info``); every
  journal line parses, apart from a torn last line (a write cut short), which the next
  start must cut off: once a resumed process has drawn its first frame, no torn tail may be
  left. Now and then the harness tears a last line by hand (as a power cut inside
  ``write()`` could; a kill alone almost never does), so that the cut is exercised.
- At the end, ``facilitator summary --format json`` reads every session made.

Figures: kills (and how many landed before the first frame), events acknowledged as shown,
lost events (goal 0), unreadable files (goal 0), torn tails made and cut.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from facilitator.core import events as ev  # noqa: E402
from facilitator.core.guide import load_guide  # noqa: E402
from facilitator.core.session import state_of  # noqa: E402
from facilitator.services.simulate import GeneratorPlan, generate_script  # noqa: E402
from facilitator.store.journal import read_journal  # noqa: E402
from facilitator.store.session_store import SessionDamaged, SessionStore  # noqa: E402

GUIDE = ROOT / "guides" / "seed-en.toml"
FACILITATOR = str(Path(sys.executable).parent / "facilitator")
TMUX_CONF = "set -g status off\nset -g remain-on-exit on\nset -g exit-empty off\n"
TEAR_EVERY = 7  # every 7th round starts with a torn last line made by hand
WAIT_S = 20.0


@dataclass
class Figures:
    kills: int = 0
    kills_before_first_frame: int = 0
    sessions: int = 0
    events_on_disk: int = 0
    acked: int = 0  # events acknowledged as shown (each once)
    lost: int = 0  # acknowledged (or shown on screen) but not on disk
    screen_checks: int = 0  # screens read before a kill that showed the live view
    unreadable: int = 0  # files that did not load (or a torn tail left after a resume)
    torn_by_hand: int = 0
    torn_by_kill: int = 0
    torn_cut: int = 0
    seconds: float = 0.0
    seed: int = 0
    problems: list[str] = field(default_factory=list)


class Terminal:
    """A private tmux server: one short-lived session per round."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.env = env
        self.conf = folder / "tmux.conf"
        self.conf.write_text(TMUX_CONF, encoding="utf-8")
        self.socket = folder / "tmux.sock"

    def cmd(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), "-f", str(self.conf), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=20,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {args[0]}: {done.stderr.strip()}")
        return done.stdout

    def start(self, name: str, command: str) -> int:
        self.cmd("new-session", "-d", "-s", name, "-x", "120", "-y", "40", "exec " + command)
        return int(self.cmd("display-message", "-p", "-t", name, "#{pane_pid}").strip())

    def screen(self, name: str) -> str:
        return self.cmd("capture-pane", "-p", "-t", name, check=False)

    def dead(self, name: str) -> bool:
        return self.cmd("display-message", "-p", "-t", name, "#{pane_dead}").strip() == "1"

    def close(self, name: str) -> None:
        self.cmd("kill-session", "-t", name, check=False)

    def kill_server(self) -> None:
        self.cmd("kill-server", check=False)


def make_script(folder: Path, seed: int) -> Path:
    """A dense hour: 1,500 speaker changes and 300 notes (about 30 events a real second at
    speed 60), so that kills land among writes, not between them."""
    script = folder / "crash.sim"
    plan = GeneratorPlan(60, 6, seed, changes=1500, notes=300, title="Crash harness")
    script.write_text(generate_script(load_guide(GUIDE), str(GUIDE), plan), encoding="utf-8")
    return script


def acked_ids(path: Path) -> list[int]:
    """Sequence numbers the app acknowledged as shown (whole lines only: a line cut by the
    kill was not written whole)."""
    try:
        data = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    seqs = []
    for line in data.splitlines(keepends=True):
        if line.endswith("\n") and line.startswith("moderator:"):
            seqs.append(int(line.strip().split(":")[1]))
    return seqs


def tear_tail(store: SessionStore, rng: random.Random) -> int | None:
    """A last line cut short, as a power cut inside ``write()`` would leave it; returns where
    it starts (None if the journal has no whole line yet, or a torn tail already)."""
    path = store.journal_path("moderator")
    read = read_journal(path)
    if read.torn_tail or not read.events:
        return None
    n = max(e.seq for e in read.events) + 1
    record = f'{{"w":"moderator","n":{n},"at":1800000000.0,"kind":"note","data":{{"t_s":0}}}}'
    with path.open("ab") as handle:
        handle.write(record[: rng.randrange(1, len(record))].encode())
    return read.valid_bytes


_PHASE = re.compile(r"Phase (\d+) of \d+")
_QUESTION = re.compile(r"Question (\d+) of \d+")
_NOTES = re.compile(r"Notes \((\d+)\)")


def screen_problems(screen: str, store: SessionStore, events: list[ev.Event]) -> list[str] | None:
    """What the screen showed that is not on disk; None if it showed no live view."""
    info = store.info()
    if "Status: ended" in screen:
        return [] if any(e.kind == ev.ENDED for e in events) else ["summary shown, not ended"]
    phase_m, notes_m = _PHASE.search(screen), _NOTES.search(screen)
    if not (phase_m and notes_m):
        return None
    problems = []
    notes_on_disk = sum(1 for e in events if e.kind == ev.NOTE)
    if int(notes_m[1]) > notes_on_disk:
        problems.append(f"screen showed {notes_m[1]} notes, disk has {notes_on_disk}")
    phase = info.guide.phases[int(phase_m[1]) - 1]
    question_m = _QUESTION.search(screen)
    where = (phase.id, phase.questions[int(question_m[1]) - 1].id if question_m else None)
    first = info.guide.phases[0]
    start = (first.id, first.questions[0].id if first.questions else None)
    moves = {(e.data.get("phase"), e.data.get("question")) for e in events if e.kind == ev.GOTO}
    if where != start and where not in moves:
        problems.append(f"screen showed {where}, never moved there on disk")
    labels = {p.label: p.id for p in info.participants} | {"Moderator": "moderator"}
    for label in sorted(labels, key=len, reverse=True):  # "Informant 10" before "Informant 1"
        if re.search(r"▶ " + re.escape(label) + r"(  |$)", screen, re.MULTILINE):
            who = labels[label]
            if not any(e.kind == ev.SPEAKER and e.data.get("who") == who for e in events):
                problems.append(f"screen showed {label} speaking, no such speaker event on disk")
            break
    return problems


def check_files(store: SessionStore, figures: Figures, where: str) -> list[int]:
    """Every file of the session loads; returns the journal's sequence numbers."""
    try:
        store.info()
    except SessionDamaged as error:
        figures.unreadable += 1
        figures.problems.append(f"{where}: session.json: {error}")
    read = read_journal(store.journal_path("moderator"))
    if read.damaged_lines:
        figures.unreadable += 1
        figures.problems.append(f"{where}: damaged journal lines {read.damaged_lines[:5]}")
    seqs = [e.seq for e in read.events]
    if seqs != list(range(1, len(seqs) + 1)):
        figures.unreadable += 1
        figures.problems.append(f"{where}: journal not numbered 1..N")
    for path in store.path.iterdir():
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            figures.problems.append(f"{where}: a temporary file was left: {path.name}")
    return seqs


def run(
    kills: int,
    speed: float,
    seed: int,
    work: Path,
    max_delay: float = 3.0,
    log=print,
    extra_env: dict[str, str] | None = None,
) -> Figures:
    rng = random.Random(seed)
    figures = Figures(seed=seed)
    started = time.monotonic()
    sessions_dir = work / "sessions"
    script = make_script(work, seed)
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE", "LC_ALL")}
    env.update(LANG="C.UTF-8", FACILITATOR_LANG="en", TEXTUAL_ANIMATIONS="none")
    env.setdefault("TERM", "xterm-256color")
    env.update(extra_env or {})
    socket_dir = Path(tempfile.mkdtemp(prefix="fch-"))  # a socket path must be short
    terminal = Terminal(socket_dir, env)
    session: SessionStore | None = None
    torn_at: int | None = None  # where a torn tail starts, which the next start must cut
    newest_acked: dict[Path, int] = {}  # per session: the newest event id acknowledged
    made: list[SessionStore] = []
    try:
        for round_no in range(1, kills + 1):
            if session is None or state_of(session.info(), session.read_events().events).ended:
                before = set(sessions_dir.iterdir()) if sessions_dir.exists() else set()
                session, resume = None, []
            else:
                resume = ["--resume", str(session.path)]
                if round_no % TEAR_EVERY == 0 and torn_at is None:
                    torn_at = tear_tail(session, rng)
                    figures.torn_by_hand += torn_at is not None
            ack = work / f"ack-{round_no}.log"
            command = [
                "env",
                f"FACILITATOR_ACK_LOG={ack}",
                FACILITATOR,
                "--sessions",
                str(sessions_dir),
                "simulate",
                str(script),
                "--view",
                "--speed",
                f"{speed:g}",
                *resume,
            ]
            name = f"r{round_no}"
            pid = terminal.start(name, " ".join(shlex.quote(c) for c in command))
            time.sleep(rng.uniform(0.05, max_delay))
            screen = terminal.screen(name)
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + WAIT_S
            while not terminal.dead(name):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"round {round_no}: the app did not die")
                time.sleep(0.01)
            terminal.close(name)
            figures.kills += 1

            if session is None:
                new = sorted(set(sessions_dir.iterdir()) - before) if sessions_dir.exists() else []
                if not new:  # killed before it made the session
                    figures.kills_before_first_frame += 1
                    continue
                session = SessionStore(new[0])
                made.append(session)
                figures.sessions += 1
            acked = acked_ids(ack)
            if not acked:
                figures.kills_before_first_frame += 1
            seqs = check_files(session, figures, f"round {round_no}")
            read = read_journal(session.journal_path("moderator"))
            if torn_at is not None and acked:
                # it drew a frame, so it had opened the journal: the torn tail must be cut
                # (had it not been, the next line would have been glued to it: a damaged line)
                if read.torn_tail and read.valid_bytes == torn_at:
                    figures.unreadable += 1
                    figures.problems.append(f"round {round_no}: the torn tail was not cut")
                else:
                    figures.torn_cut += 1
                torn_at = None
            if read.torn_tail and torn_at is None:
                figures.torn_by_kill += 1  # cut by the next start, checked like one by hand
                torn_at = read.valid_bytes
            newest = max([*acked, newest_acked.get(session.path, 0)])
            newest_acked[session.path] = newest
            missing = set(range(1, newest + 1)) - set(seqs)
            if missing:
                figures.lost += len(missing)
                figures.problems.append(
                    f"round {round_no}: shown, not on disk: {sorted(missing)[:5]}"
                )
            events = session.read_events().events
            shown = screen_problems(screen, session, events)
            if shown is not None:
                figures.screen_checks += 1
                if shown:
                    figures.lost += len(shown)
                    figures.problems.extend(f"round {round_no}: {p}" for p in shown)
            if round_no % 20 == 0:
                log(
                    f"  {round_no} kills, {figures.lost} lost, {figures.unreadable} unreadable, "
                    f"{len(events)} events in this session, {time.monotonic() - started:.0f} s"
                )
        for store in made:
            done = subprocess.run(
                [FACILITATOR, "summary", str(store.path), "--format", "json"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            try:
                json.loads(done.stdout)
            except ValueError:
                figures.unreadable += 1
                figures.problems.append(f"summary of {store.path.name}: {done.stderr.strip()}")
            figures.events_on_disk += len(store.read_events().events)
        figures.acked = sum(newest_acked.values())
    finally:
        terminal.kill_server()
        shutil.rmtree(socket_dir, ignore_errors=True)
    figures.seconds = time.monotonic() - started
    return figures


def report(figures: Figures) -> str:
    lines = [
        f"crash harness: {figures.kills} kills (SIGKILL) of the live view playing a simulated "
        f"session, seed {figures.seed}, {figures.seconds:.0f} s",
        f"  kills before the first frame      {figures.kills_before_first_frame}",
        f"  sessions                          {figures.sessions}",
        f"  events on disk                    {figures.events_on_disk}",
        f"  events acknowledged as shown      {figures.acked}",
        f"  screens read before a kill        {figures.screen_checks}",
        f"  lost events                       {figures.lost}  (goal 0)",
        f"  unreadable files                  {figures.unreadable}  (goal 0)",
        f"  torn tails: by hand {figures.torn_by_hand}, by a kill {figures.torn_by_kill}, "
        f"cut on resume {figures.torn_cut}",
    ]
    lines += [f"  problem: {p}" for p in figures.problems[:20]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=200)
    p.add_argument("--speed", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(3), "big"))
    p.add_argument("--max-delay", type=float, default=3.0, help="longest wait before a kill (s)")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = p.parse_args(argv)
    if shutil.which("tmux") is None:
        print("crash harness: tmux is not installed", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="facilitator-crash-") as tmp:
        figures = run(args.kills, args.speed, args.seed, Path(tmp), args.max_delay)
    print(report(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(figures), indent=1))
    return 0 if figures.lost == 0 and figures.unreadable == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
