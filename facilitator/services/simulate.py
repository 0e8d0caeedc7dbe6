"""Simulated sessions: a script of timed events played through the live session's own actions.

A script (``docs/simulation.md`` documents the format) names a guide, a title and the
participants, then lists what happens and when::

    guide: ../seed-en.toml
    title: Training session
    participant: P1 Informant 1 | Housing office
    00:00:05 speak P1
    00:01:10 note #quote We meet the families where they are
    00:02:00 next

Each line is turned into the call a moderator's key makes on ``LiveSession`` (``speak``,
``add_note``, ``next_question`` ...), so a simulated session goes through the same journal,
fold and storage as a live one and leaves a normal session folder. Script times are the
time since the session started as a wall clock shows it, breaks included (the session
clock, which stops in a break, is what the summary reports).

This module holds the parser, the generator of random but plausible scripts, the clocks,
and the headless player. The live view's driver is ``facilitator.ui.simulation``; nothing
here imports Textual.
"""

from __future__ import annotations

import math
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from facilitator.core.clock import FakeClock
from facilitator.core.events import Event
from facilitator.core.guide import (
    Guide,
    GuideError,
    GuideProblem,
    Question,
    load_guide,
    read_source,
    source_lines,
)
from facilitator.core.session import MAX_PARTICIPANTS, Participant, state_of
from facilitator.core.talk import MODERATOR
from facilitator.i18n import _
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore

NOBODY = "nobody"
HEADER_KEYS = ("guide", "title", "study", "stage", "participant")
# action -> what follows it: "" nothing, "who" a participant id / moderator / nobody,
# "participant" a participant id, "text" the rest of the line, "goto" a phase id and an
# optional question id, "item" a checklist item id
ACTIONS: dict[str, str] = {
    "speak": "who",
    "nobody": "",
    "undo": "",
    "overlap": "who",
    "note": "text",
    "next": "",
    "previous": "",
    "next-phase": "",
    "previous-phase": "",
    "goto": "goto",
    "pause": "",
    "resume": "",
    "away": "participant",
    "here": "participant",
    "check": "item",
    "uncheck": "item",
    "end": "",
}
ALIASES = {"back": "previous", "prev": "previous", "break": "pause", "silence": "nobody"}
TALK_ACTIONS = ("speak", "nobody", "undo", "overlap")  # not possible in a break

_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d\d(?:\.\d+)?)$")
_SECONDS = re.compile(r"^\d+(?:\.\d+)?$")
_HEADER = re.compile(r"^([A-Za-z]+)\s*:\s*(.*)$")
_TIMED = re.compile(r"^(\S+)\s+(\S+)\s*(.*)$")


# --- the script ----------------------------------------------------------------------------------


# A script's problems are a guide's: each names its file and line, on one printable line.
ScriptProblem = GuideProblem


class ScriptError(GuideError):
    """A script that cannot be played; ``problems`` lists each with its file and line."""


@dataclass(frozen=True)
class ScriptLine:
    number: int  # the line in the file
    t: float  # seconds since the session started, breaks included
    action: str  # a key of ACTIONS
    args: tuple[str, ...] = ()  # speak/overlap: "moderator", a participant id, or "nobody"

    @property
    def who(self) -> str | None:
        """The speaker of ``speak`` (None: nobody)."""
        value = self.args[0] if self.args else NOBODY
        return None if value == NOBODY else value


@dataclass
class Script:
    file: str
    lines: list[ScriptLine] = field(default_factory=list)
    guide: str = ""
    guide_line: int = 0
    title: str = ""
    study: str = ""
    stage: int = 1
    participants: list[Participant] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.lines[-1].t if self.lines else 0.0


def parse_time(token: str, previous: float) -> float | None:
    """``H:MM:SS``, ``MM:SS`` (fractions of a second allowed), or ``+`` that much, or ``+S``
    seconds, after ``previous``. None if ``token`` is none of these."""
    relative = token.startswith("+")
    body = token[1:] if relative else token
    match = _CLOCK.match(body)
    if match:
        hours, mins, secs = match.groups()
        if float(secs) >= 60 or (hours is not None and int(mins) >= 60):
            return None
        value = int(hours or 0) * 3600 + int(mins) * 60 + float(secs)
    elif relative and _SECONDS.match(body):
        value = float(body)
    else:
        return None
    return previous + value if relative else value


def format_time(t: float) -> str:
    """``H:MM:SS`` with tenths when needed, the way the generator writes script times."""
    tenths = round(t * 10)
    whole, tenth = divmod(tenths, 10)
    hours, rest = divmod(whole, 3600)
    mins, secs = divmod(rest, 60)
    text = f"{hours:02d}:{mins:02d}:{secs:02d}"
    return f"{text}.{tenth}" if tenth else text


def parse_script(text: str, file: str = "<script>") -> Script:
    """Read a script; raise ``ScriptError`` naming every problem with its line."""
    script = Script(file=file, title=Path(file).stem if file != "<script>" else "")
    problems: list[ScriptProblem] = []

    def problem(number: int, message: str) -> None:
        problems.append(ScriptProblem(file, number, message))

    ids: set[str] = set()
    seen_headers: set[str] = set()
    previous_t = 0.0
    paused_at: int | None = None
    ended_at: int | None = None
    for number, raw in enumerate(source_lines(text), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not (line[0].isdigit() or line[0] == "+"):
            header = _HEADER.match(line)
            if header is None:
                problem(
                    number,
                    _(
                        "expected 'key: value' or 'TIME ACTION', e.g. '00:01:30 speak P1', "
                        "not {text!r}",
                        text=line[:40],
                    ),
                )
                continue
            key = header.group(1).lower()
            if script.lines:
                problem(number, _("the settings (key: value) come before the first timed line"))
                continue
            if key in seen_headers and key != "participant":
                problem(number, _("{key!r} is given twice", key=key))
                continue
            seen_headers.add(key)
            _header(script, key, header.group(2).strip(), number, ids, problem)
            continue

        timed = _TIMED.match(line)
        if timed is None:
            problem(number, _("a time needs an action after it, e.g. '00:01:30 speak P1'"))
            continue
        token, word, rest = timed.group(1), timed.group(2), timed.group(3).strip()
        t = parse_time(token, previous_t)
        if t is None:
            problem(
                number,
                _(
                    "{token!r} is not a time: use H:MM:SS or MM:SS (since the start), "
                    "or +SS / +MM:SS (after the line before)",
                    token=token,
                ),
            )
            continue
        if t < previous_t:
            problem(
                number,
                _(
                    "{time} is before the line above ({before}): times never go back",
                    time=format_time(t),
                    before=format_time(previous_t),
                ),
            )
            continue
        action = ALIASES.get(word.lower(), word.lower())
        if action not in ACTIONS:
            problem(
                number,
                _(
                    "unknown action {word!r}; known: {known}",
                    word=word,
                    known=", ".join(ACTIONS),
                ),
            )
            continue
        args = _arguments(action, rest, ids, number, problem)
        if args is None:
            continue
        if ended_at is not None:
            problem(number, _("nothing may follow 'end' (line {line})", line=ended_at))
            continue
        if action == "pause":
            if paused_at is not None:
                problem(number, _("already paused since line {line}", line=paused_at))
                continue
            paused_at = number
        elif action == "resume":
            if paused_at is None:
                problem(number, _("'resume' without a 'pause' before it"))
                continue
            paused_at = None
        elif action in TALK_ACTIONS and paused_at is not None:
            problem(
                number,
                _(
                    "in a break (pause at line {line}) nobody's talk is tracked: 'resume' first",
                    line=paused_at,
                ),
            )
            continue
        elif action == "end":
            ended_at = number
        previous_t = t
        script.lines.append(ScriptLine(number, t, action, args))

    if not script.participants:
        problem(0, _("no participants: add lines like 'participant: P1 Informant 1 | NAV'"))
    if len(script.participants) > MAX_PARTICIPANTS:
        problem(0, _("at most 12 participants"))  # MAX_PARTICIPANTS
    if problems:
        raise ScriptError(problems)
    return script


def _header(script: Script, key: str, value: str, number: int, ids: set[str], problem) -> None:
    if key not in HEADER_KEYS:
        problem(
            number,
            _("unknown setting {key!r}; known: {known}", key=key, known=", ".join(HEADER_KEYS)),
        )
    elif key == "guide":
        script.guide, script.guide_line = value, number
    elif key == "title":
        script.title = value
    elif key == "study":
        script.study = value
    elif key == "stage":
        if not value.isdigit() or int(value) < 1:
            problem(number, _("the stage is a whole number from 1, not {value!r}", value=value))
        else:
            script.stage = int(value)
    elif key == "participant":
        person = _participant(value)
        if person is None:
            problem(
                number,
                _(
                    "a participant is 'ID [pseudonym] [| role]', the id up to 16 letters, "
                    "digits, '-' or '_' (not 'moderator' or 'nobody'): {value!r}",
                    value=value,
                ),
            )
        elif person.id in ids:
            problem(number, _("participant {id} is listed twice", id=person.id))
        else:
            ids.add(person.id)
            script.participants.append(person)


def _participant(value: str) -> Participant | None:
    head, _bar, role = value.partition("|")
    words = head.split()
    if not words or not _ID.match(words[0]) or words[0].lower() in (MODERATOR, NOBODY):
        return None
    return Participant(id=words[0], label=" ".join(words[1:]) or words[0], role=role.strip())


def _arguments(action: str, rest: str, ids: set[str], number: int, problem):
    kind = ACTIONS[action]
    words = rest.split()
    if kind == "":
        if words:
            problem(number, _("'{action}' takes nothing after it", action=action))
            return None
        return ()
    if kind == "text":
        if not rest:
            problem(number, _("'note' needs the note's text"))
            return None
        return (rest,)
    if len(words) == 0:
        problem(number, _("'{action}' needs {what}", action=action, what=_what(kind)))
        return None
    if kind == "goto":
        if len(words) > 2:
            problem(number, _("'goto' takes a phase id and, if you like, a question id"))
            return None
        return tuple(words)
    if len(words) > 1:
        problem(number, _("'{action}' takes one argument: {what}", action=action, what=_what(kind)))
        return None
    word = words[0]
    if kind == "item":
        return (word,)
    if kind == "who" and word.lower() in (MODERATOR, NOBODY):
        if action == "overlap" and word.lower() == NOBODY:
            problem(number, _("nobody cannot talk over anyone"))
            return None
        return (word.lower(),)
    if word not in ids:
        known = ", ".join(sorted(ids)) or "-"
        problem(number, _("no participant {id} (participants: {known})", id=word, known=known))
        return None
    return (word,)


def _what(kind: str) -> str:
    return {
        "who": _("a participant id, 'moderator' or 'nobody'"),
        "participant": _("a participant id"),
        "goto": _("a phase id"),
        "item": _("a checklist item id"),
    }[kind]


def load_script(path: str | Path) -> Script:
    """Read and check a script file; raise ``ScriptError`` (never anything else)."""
    return parse_script(read_source(path, ScriptError), str(path))


def resolve_guide(script: Script, override: str | None = None) -> tuple[Guide, str]:
    """The guide named by ``--guide`` or the script's ``guide:`` (relative to the script's
    folder, else to the current folder), loaded; raise ``ScriptError`` or ``GuideError``."""
    if override:
        return load_guide(override), override
    if not script.guide:
        raise ScriptError(
            [ScriptProblem(script.file, 0, _("no guide: add 'guide: FILE' or give --guide"))]
        )
    candidates = [Path(script.file).parent / script.guide, Path(script.guide)]
    for candidate in candidates:
        if candidate.is_file():
            return load_guide(candidate), str(candidate)
    raise ScriptError(
        [
            ScriptProblem(
                script.file,
                script.guide_line,
                _(
                    "no guide file {path} (looked beside the script and in the current folder)",
                    path=script.guide,
                ),
            )
        ]
    )


def check_against_guide(script: Script, guide: Guide) -> None:
    """Phase, question and checklist ids the script names must be the guide's (at its stage);
    raise ``ScriptError``."""
    staged = guide.for_stage(script.stage)
    phases = {phase.id: phase for phase in staged.phases}
    items = {item.id for phase in staged.phases for item in phase.checklist}
    problems: list[ScriptProblem] = []
    if script.stage > guide.stages:
        problems.append(
            ScriptProblem(
                script.file,
                0,
                _(
                    "the guide has {n} stage(s), not stage {stage}",
                    n=guide.stages,
                    stage=script.stage,
                ),
            )
        )
    for line in script.lines:
        if line.action == "goto":
            phase = phases.get(line.args[0])
            if phase is None:
                problems.append(
                    ScriptProblem(
                        script.file,
                        line.number,
                        _(
                            "the guide has no phase {id} (phases: {known})",
                            id=line.args[0],
                            known=", ".join(phases),
                        ),
                    )
                )
            elif len(line.args) > 1 and line.args[1] not in {q.id for q in phase.questions}:
                problems.append(
                    ScriptProblem(
                        script.file,
                        line.number,
                        _(
                            "phase {phase} has no question {id} (questions: {known})",
                            phase=phase.id,
                            id=line.args[1],
                            known=", ".join(q.id for q in phase.questions) or "-",
                        ),
                    )
                )
        elif line.action in ("check", "uncheck") and line.args[0] not in items:
            problems.append(
                ScriptProblem(
                    script.file,
                    line.number,
                    _(
                        "the guide has no checklist item {id} (items: {known})",
                        id=line.args[0],
                        known=", ".join(sorted(items)) or "-",
                    ),
                )
            )
    if problems:
        raise ScriptError(problems)


# --- clocks --------------------------------------------------------------------------------------


class ScaledClock:
    """Simulated wall time for the live view: ``start + real elapsed x speed``.

    ``hold`` is the moment of the next script line not yet played: the clock never shows a
    time past it, so the line is recorded at exactly its scripted moment however late the
    timer that plays it fires (the clocks on screen stand still for those few milliseconds).
    Never runs backwards: a new hold is always later than the one before, and after the
    script (``hold`` None) the clock runs on from where it was.
    """

    def __init__(
        self,
        start: float,
        speed: float = 1.0,
        hold: float | None = None,
        real: Callable[[], float] = time.monotonic,
    ):
        if speed <= 0:
            raise ValueError("the speed must be more than 0")
        self._real = real
        self._anchor_real = real()
        self._anchor = float(start)
        self.speed = float(speed)
        self.hold: float | None = hold
        self._shown = float(start)  # the latest time handed out: never go below it

    def running_now(self) -> float:
        return self._anchor + (self._real() - self._anchor_real) * self.speed

    def now(self) -> float:
        running = self.running_now()
        value = running if self.hold is None else min(running, self.hold)
        self._shown = max(self._shown, value)
        return self._shown

    def seconds_until(self, at: float) -> float:
        """Real seconds until the simulated moment ``at`` (0 if it has passed)."""
        return max(0.0, (at - self.running_now()) / self.speed)

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on, without a jump."""
        self._anchor = self.now()
        self._anchor_real = self._real()
        self.speed = float(speed)


def start_time(duration_s: float, speed: float | None, real_now: float) -> float:
    """When a new simulated session starts (wall time), so that, played at ``speed`` (None: as
    fast as possible), it ends at about the real present, never in the future."""
    if speed is None:
        return real_now - duration_s
    return real_now - duration_s * max(0.0, 1.0 - 1.0 / speed)


# --- playing ---------------------------------------------------------------------------------


@dataclass
class Playback:
    """What is left to play of a script in one session."""

    script: Script
    started_at: float  # the wall time of the script's 00:00:00 (the session's start)
    lines: list[ScriptLine]
    resumed_from: float | None = None  # the wall time a resumed simulation goes on from

    def at(self, line: ScriptLine) -> float:
        return self.started_at + line.t

    @property
    def first_at(self) -> float | None:
        """The moment of the next line to play (None: nothing left)."""
        return self.at(self.lines[0]) if self.lines else None


def create_session(
    sessions_dir: Path, script: Script, guide: Guide, guide_path: str, started_at: float
) -> SessionStore:
    """A new session for ``script``, created at ``started_at``, as ``facilitator new`` does."""
    return SessionStore.create(
        sessions_dir,
        guide,
        title=script.title or _("Simulated session"),
        participants=list(script.participants),
        now=started_at,
        study=script.study,
        stage=script.stage,
        guide_path=guide_path,
    )


def new_playback(script: Script, started_at: float) -> Playback:
    return Playback(script, started_at, list(script.lines))


def resume_playback(script: Script, store: SessionStore) -> Playback:
    """Where a simulation in ``store`` goes on: after the last moment it recorded (its last
    event, or its last sign of life), with the lines after that. The session's own roster
    is used; the script's participants must be in it."""
    info = store.info()
    state = state_of(info, store.read_events().events)
    if state.started_at is None:
        return Playback(script, info.created_at, list(script.lines))
    roster = {p.id for p in state.roster}
    missing = [p.id for p in script.participants if p.id not in roster]
    if missing:
        raise ScriptError(
            [
                ScriptProblem(
                    script.file,
                    0,
                    _("session {id} has no participant {ids}", id=info.id, ids=", ".join(missing)),
                )
            ]
        )
    alive = store.last_alive("moderator") or 0.0
    resume_at = max(state.last_at, alive)
    started_at = state.started_at
    # a line at exactly the last recorded moment was played (or was a no-op): go on after it
    lines = [line for line in script.lines if started_at + line.t > resume_at]
    return Playback(script, started_at, lines, resumed_from=resume_at)


def action_for(live: LiveSession, line: ScriptLine) -> Callable[[], Event | None]:
    """The ``LiveSession`` call a line stands for: what the moderator's key would do."""
    action = line.action
    arg = line.args[0] if line.args else ""
    if action == "speak":
        who = line.who
        return lambda: live.speak(who)
    if action == "nobody":
        return lambda: live.speak(None)
    if action == "undo":
        return live.undo
    if action == "overlap":
        return lambda: live.overlap(arg)
    if action == "note":
        return lambda: live.add_note(arg)
    if action == "next":
        return live.next_question
    if action == "previous":
        return live.previous_question
    if action == "next-phase":
        return live.next_phase
    if action == "previous-phase":
        return live.previous_phase
    if action == "goto":
        question = line.args[1] if len(line.args) > 1 else None
        return lambda: live.goto(arg, question)
    if action == "pause":
        return lambda: None if live.state.paused else live.toggle_pause()
    if action == "resume":
        return lambda: live.toggle_pause() if live.state.paused else None
    if action in ("away", "here"):
        present = action == "here"
        return lambda: live.set_present(arg, present)
    if action in ("check", "uncheck"):
        done = action == "check"
        return lambda: live.set_checked(arg, done)
    if action == "end":
        return live.end
    raise ValueError(action)


@dataclass
class PlayResult:
    played: int = 0  # lines played
    recorded: int = 0  # events they recorded
    no_effect: list[int] = field(default_factory=list)  # line numbers that changed nothing


def play_headless(
    live: LiveSession,
    clock: FakeClock,
    playback: Playback,
    speed: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PlayResult:
    """Play the lines through ``live``, the clock stepped to each line's exact moment (paced
    at ``speed`` x real time if given). The caller closes ``live``."""
    result = PlayResult()
    for line in playback.lines:
        at = playback.at(line)
        if speed is not None and at > clock.now():
            sleep((at - clock.now()) / speed)
        clock.set(max(at, clock.now()))
        event = action_for(live, line)()
        live.heartbeat()
        result.played += 1
        if event is None:
            result.no_effect.append(line.number)
        else:
            result.recorded += 1
        if live.state.ended:
            break
    return result


def prepare(
    script_path: str,
    sessions_dir: Path,
    guide_override: str | None,
    resume: str | None,
    speed: float | None,
    real_now: float,
) -> tuple[SessionStore, Playback]:
    """The session to play ``script_path`` in (a new one, or ``resume``, a session id or
    folder, to go on with) and what is left to play. Raises ``ScriptError``, ``GuideError``,
    ``SessionNotFound``, ``SessionDamaged`` or ``ValueError``, each with a message for the
    user."""
    script = load_script(script_path)
    if resume:
        store = SessionStore.open(sessions_dir, resume)
        return store, resume_playback(script, store)
    guide, guide_path = resolve_guide(script, guide_override)
    check_against_guide(script, guide)
    started_at = start_time(script.duration_s, speed, real_now)
    store = create_session(sessions_dir, script, guide, guide_path, started_at)
    return store, new_playback(script, started_at)


def write_generated(out: Path, guide_file: str, plan: GeneratorPlan) -> None:
    """Generate a script for ``guide_file`` and write it to ``out`` (the guide named relative
    to the script's folder, so the script works from anywhere)."""
    guide = load_guide(guide_file)
    ref = os.path.relpath(Path(guide_file).resolve(), out.resolve().parent)
    out.write_text(generate_script(guide, ref, plan), encoding="utf-8")


# --- generating ----------------------------------------------------------------------------------

ROLES = (
    "Housing office",
    "Property office",
    "NAV",
    "Volunteer centre",
    "State housing bank",
    "Child welfare",
    "Health centre",
    "School",
    "Refugee service",
    "Social services",
    "Debt counselling",
    "Municipal planning",
)
# Sample note content (data, like a guide's text: not interface messages).
QUOTES = (
    "We meet the families where they are",
    "The forms are the first wall they hit",
    "Nobody owns the whole case",
    "They tell their story five times to five offices",
    "When we visit at home, we see things we never see at the counter",
    "The waiting list is longer than the lease",
    "Trust takes a year and is gone in a day",
    "We are good at giving advice and poor at listening",
)
THEMES = (
    "coordination between offices",
    "trust and continuity",
    "digital forms as a barrier",
    "housing market pressure",
    "the families' own voice",
    "home visits",
    "waiting time",
    "rules that pull in different directions",
)
OBSERVATIONS = (
    "several nod; apparent agreement, but P{quiet} looks away",
    "the group builds on each other's examples",
    "P{dominant} answers before others get in",
    "pressure toward consensus: the first view is repeated",
    "laughter, relaxed tone",
    "long pause before anyone answers",
    "disagreement voiced openly, taken well",
)
FOLLOW_UPS = (
    "ask how the housing bank's grants reach the families",
    "come back to home visits: who does them?",
    "what does NAV need from the housing office?",
    "examples of families who took part in planning",
    "the quiet ones: ask directly next time",
)
SUMMARIES = (
    "meetings happen mostly at the offices, on the services' terms",
    "collaboration depends on individuals more than on systems",
    "the families meet many offices that do not talk to each other",
    "home visits are valued but rare",
    "digital forms exclude some families",
)
OTHER_NOTES = (
    "example of a family moved three times in a year",
    "the volunteer centre has a drop-in every Tuesday",
    "mentions a joint meeting that worked well",
    "rent support rules changed last year",
    "talks about language barriers at the counter",
)


@dataclass(frozen=True)
class GeneratorPlan:
    minutes: float
    participants: int
    seed: int
    changes: int | None = None  # speaker changes wanted (default: from plausible turn lengths)
    notes: int | None = None  # notes wanted (default: about one every 90 seconds)
    title: str = ""
    stage: int = 1


def generate_script(guide: Guide, guide_ref: str, plan: GeneratorPlan) -> str:
    """A random but plausible script: uneven talk (one dominant and one quiet participant),
    the moderator asking each question, probes and silences, notes with tags at the rates an
    assistant writes them, a late arrival, one break, moves through the guide roughly to its
    plan, and the end. The same seed gives the same script."""
    if not 1 <= plan.participants <= MAX_PARTICIPANTS:
        raise ValueError(f"1 to {MAX_PARTICIPANTS} participants, not {plan.participants}")
    if plan.minutes < 1:
        raise ValueError("at least 1 minute")
    rng = random.Random(plan.seed)
    staged = guide.for_stage(plan.stage)
    total_s = plan.minutes * 60.0
    ids = [f"P{i}" for i in range(1, plan.participants + 1)]
    weights = {pid: math.exp(rng.gauss(0.0, 0.3)) for pid in ids}
    dominant = quiet = ids[0]
    if len(ids) >= 2:
        dominant, quiet = rng.sample(ids, 2)
        weights[dominant] *= 3.0
        weights[quiet] *= 0.2
    late = None
    if len(ids) >= 4 and plan.minutes >= 20 and rng.random() < 0.7:
        late = rng.choice([p for p in ids if p not in (dominant, quiet)])

    break_s = 0.0
    if plan.minutes >= 20:
        break_s = min(600.0, max(60.0, round(total_s * 0.06 / 60) * 60.0))
    talk_s = total_s - break_s
    segments = _segments(staged, talk_s, rng)
    break_at = talk_s * 0.5 if break_s else None

    # turn lengths: the moderator's are shorter; participants' long enough for the changes wanted
    changes = plan.changes or max(10, int(talk_s / 22.0))
    mean_turn = talk_s / changes
    note_count = plan.notes if plan.notes is not None else max(3, int(total_s / 90.0))
    note_gap = talk_s / max(1, note_count)

    lines: list[tuple[float, str]] = []
    present = set(ids) - ({late} if late else set())
    if late:
        lines.append((0.0, f"away {late}"))
    late_at = min(8 * 60.0, talk_s * 0.12) if late else None
    next_note = rng.uniform(0.3, 1.0) * note_gap
    notes_written = 0
    current: str | None = None
    offset = 0.0  # the break shifts everything after it
    in_break_done = False
    for index, (phase, question, start, end) in enumerate(segments):
        if index > 0:
            previous_phase = segments[index - 1][0]
            move = "next-phase" if phase.id != previous_phase.id else "next"
            lines.append((start + offset, move))
        if question is not None and (index == 0 or segments[index - 1][1] != question):
            lines.append((start + offset, f"# {phase.title}: {question.text[:70]}"))
        t = start
        if phase.checklist and (index == 0 or segments[index - 1][0].id != phase.id):
            step = min(60.0, (end - start) / (len(phase.checklist) + 2))
            for n, item in enumerate(phase.checklist, start=1):
                lines.append((start + offset + n * step, f"check {item.id}"))
        # the moderator asks the question
        if current != MODERATOR:
            lines.append((t + offset, "speak moderator"))
            current = MODERATOR
        t += max(2.0, min(40.0, mean_turn * rng.uniform(0.6, 1.6)))
        while t < end:
            if late is not None and late_at is not None and t >= late_at and late not in present:
                lines.append((t + offset, f"here {late}"))
                present.add(late)
            if break_at is not None and not in_break_done and t >= break_at:
                lines.append((t + offset, "pause"))
                if notes_written < note_count:
                    lines.append((t + offset + 1.0, "note #observation break: coffee"))
                    notes_written += 1
                offset += break_s
                lines.append((t + offset, "resume"))
                in_break_done = True
                current = None
            while next_note <= t and notes_written < note_count:
                text = _note(rng, phase.kind, dominant, quiet, current)
                lines.append((max(next_note, t - mean_turn) + offset, f"note {text}"))
                notes_written += 1
                next_note += note_gap * rng.uniform(0.4, 1.6)
            roll = rng.random()
            if roll < 0.04 and current is not None:
                who = NOBODY
            elif roll < 0.20 and current != MODERATOR:
                who = MODERATOR  # a probe or a follow-up question
            else:
                choices = [p for p in sorted(present) if p != current]
                if not choices:
                    who = MODERATOR
                else:
                    who = rng.choices(choices, [weights[p] for p in choices])[0]
            others = [p for p in sorted(present) if p not in (who, current)]
            if rng.random() < 0.015 and who not in (NOBODY, MODERATOR) and others:
                # a wrong key, undone at once
                wrong = rng.choice(others)
                lines.append((t + offset, f"speak {wrong}"))
                lines.append((t + offset + 0.5, "undo"))
                t += 1.0
            lines.append((t + offset, "speak nobody" if who == NOBODY else f"speak {who}"))
            current = None if who == NOBODY else who
            length = mean_turn * rng.lognormvariate(0.0, 0.5) / math.exp(0.125)
            if who == MODERATOR:
                length *= 0.5
            elif who == NOBODY:
                length = min(length, 6.0) * 0.5
            elif who in weights:
                length *= math.sqrt(weights[who] / (sum(weights.values()) / len(weights)))
            t += max(0.2, length)
    while notes_written < note_count:  # the rest, in the closing read-back
        text = _note(rng, "closing", dominant, quiet, current)
        lines.append((talk_s - (note_count - notes_written) * 0.5 + offset, f"note {text}"))
        notes_written += 1
    lines.append((talk_s + offset, "speak nobody"))
    lines.append((talk_s + offset, "end"))

    header = [
        _generated_header(plan),
        f"guide: {guide_ref}",
        f"title: {plan.title or 'Generated session'}",
    ]
    if plan.stage != 1:
        header.append(f"stage: {plan.stage}")
    for n, pid in enumerate(ids):
        header.append(f"participant: {pid} Informant {pid[1:]} | {ROLES[n % len(ROLES)]}")
    header.append(
        f"# dominant: {dominant}, quiet: {quiet}" + (f", arrives late: {late}" if late else "")
    )
    body = _order_lines(lines)
    return "\n".join(header) + "\n\n" + "\n".join(body) + "\n"


def _generated_header(plan: GeneratorPlan) -> str:
    options = f"--minutes {plan.minutes:g} --participants {plan.participants} --seed {plan.seed}"
    if plan.changes:
        options += f" --changes {plan.changes}"
    if plan.notes is not None:
        options += f" --notes {plan.notes}"
    return f"# generated by: facilitator simulate --generate OUT {options}"


def _order_lines(lines: list[tuple[float, str]]) -> list[str]:
    """Sorted by time (stable: lines at one moment keep their order), comments on their own,
    times never going back once rounded to a tenth, and no talk in the break."""
    ordered = sorted(enumerate(lines), key=lambda item: (round(item[1][0], 1), item[0]))
    out: list[str] = []
    paused = False
    for _index, (t, text) in ordered:
        if text.startswith("#"):
            out.append(text)
            continue
        word = text.split()[0]
        if word == "pause":
            paused = True
        elif word == "resume":
            paused = False
        elif paused and word in TALK_ACTIONS:
            continue
        out.append(f"{format_time(t)} {text}")
    return out


def _segments(guide: Guide, talk_s: float, rng: random.Random):
    """(phase, question, start, end) for every question, in order: each phase gets its share
    of the plan, split between its questions by their minutes (even where none are given),
    each a little longer or shorter than planned, as in a real session."""
    planned: list[tuple] = []
    for phase in guide.phases:
        questions: list[Question | None] = [*phase.questions] or [None]
        given = [q.minutes for q in questions if q is not None and q.minutes]
        default = sum(given) / len(given) if given else 1.0
        weights = [q.minutes if q is not None and q.minutes else default for q in questions]
        for question, weight in zip(questions, weights, strict=True):
            share = phase.minutes * weight / sum(weights)
            planned.append((phase, question, share * rng.uniform(0.8, 1.2)))
    scale = talk_s / sum(p[2] for p in planned)
    segments = []
    t = 0.0
    for phase, question, minutes in planned:
        length = minutes * scale
        segments.append((phase, question, t, t + length))
        t += length
    return segments


def _note(rng: random.Random, kind: str, dominant: str, quiet: str, speaker: str | None) -> str:
    """One note as an assistant types it: a quote of whoever speaks, a theme, an observation,
    a follow-up, a point for the closing summary (most notes in the closing), or plain text."""
    if kind == "closing" and rng.random() < 0.6:
        return "#summary " + rng.choice(SUMMARIES)
    roll = rng.random()
    if roll < 0.25 and speaker not in (None, MODERATOR):
        return "#quote " + rng.choice(QUOTES)
    if roll < 0.43:
        return "#theme " + rng.choice(THEMES)
    if roll < 0.55:
        text = rng.choice(OBSERVATIONS).format(dominant=dominant[1:], quiet=quiet[1:])
        return "#observation " + text
    if roll < 0.65:
        return "#follow-up " + rng.choice(FOLLOW_UPS)
    if roll < 0.80:
        return "#summary " + rng.choice(SUMMARIES)
    return rng.choice(OTHER_NOTES)


__all__ = [
    "ACTIONS",
    "GeneratorPlan",
    "Playback",
    "ScaledClock",
    "Script",
    "ScriptError",
    "ScriptLine",
    "ScriptProblem",
    "action_for",
    "check_against_guide",
    "create_session",
    "generate_script",
    "load_script",
    "new_playback",
    "parse_script",
    "parse_time",
    "play_headless",
    "prepare",
    "resume_playback",
    "resolve_guide",
    "start_time",
    "write_generated",
]
