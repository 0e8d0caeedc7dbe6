"""Interview guides: the TOML format, its validation, and the stage view of a guide.

A guide is a semi-structured interview guide in phases (introduction, main,
closing), each with a time budget in minutes, questions with probes, and an
optional checklist. Phases, questions and checklist items may be limited to
some stages of a multi-stage study. ``guides/README.md`` documents the format.

Every problem found in a guide names the file and the line, so a researcher
editing a guide by hand can find it; loading never raises anything but
``GuideError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facilitator.core.text import visible_tree
from facilitator.i18n import _

PHASE_KINDS = ("introduction", "main", "closing")
AUDIENCES = ("all", "newcomers", "returning")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

GUIDE_KEYS = {"title", "language", "minutes", "stages", "description", "phases", "settings"}
# [settings]: name -> (default, lowest, highest). Nudges are calm reminders on the talk board.
SETTINGS_RANGES: dict[str, tuple[float, float, float]] = {
    "asked_after_s": (10.0, 0.0, 3600.0),  # seconds on screen before a question counts as asked
    "nudge_silent_min": (10.0, 1.0, 180.0),  # "X has not spoken for N minutes"
    "nudge_share": (0.40, 0.05, 1.0),  # "X has 45 % of the talk" (participants' talk)
    "nudge_moderator_share": (0.30, 0.05, 1.0),  # "the moderator talks 30 %" (of all talk)
    "nudge_after_min": (5.0, 0.0, 120.0),  # no nudges in the first minutes of a session
    "nudge_snooze_min": (10.0, 1.0, 180.0),  # a dismissed nudge stays away this long
    # While recording: the marked speaker quiet this long -> offer to end the turn (0: never)
    "voice_close_after_s": (20.0, 0.0, 600.0),
    "voice_auto_close": (0.0, 0.0, 1.0),  # 1: end the turn instead of offering to
    "voice_assist": (1.0, 0.0, 1.0),  # 0: no voice-activity assist while recording
    "clip_before_s": (20.0, 0.0, 600.0),  # a quote's audio clip starts this long before the note
    "clip_after_s": (5.0, 0.0, 600.0),  # ... and ends this long after it
}
# [settings] that are text: the transcript's model and language (see core.transcript)
SETTINGS_TEXT = ("transcribe_model", "transcribe_language")
SETTINGS_KEYS = set(SETTINGS_RANGES) | set(SETTINGS_TEXT)
PHASE_KEYS = {"id", "title", "kind", "minutes", "stages", "guidance", "checklist", "questions"}
QUESTION_KEYS = {"id", "text", "probes", "minutes", "stages"}
CHECKLIST_KEYS = {"id", "text", "audience", "stages", "consent"}

DEFAULT_ASKED_AFTER_S = 10.0


@dataclass(frozen=True)
class Settings:
    asked_after_s: float = 10.0
    nudge_silent_min: float = 10.0
    nudge_share: float = 0.40
    nudge_moderator_share: float = 0.30
    nudge_after_min: float = 5.0
    nudge_snooze_min: float = 10.0
    voice_close_after_s: float = 20.0
    voice_auto_close: float = 0.0
    voice_assist: float = 1.0
    clip_before_s: float = 20.0
    clip_after_s: float = 5.0
    transcribe_model: str = ""  # "": chosen from the guide's language
    transcribe_language: str = ""  # "": the guide's language

    def to_dict(self) -> dict[str, float | str]:
        found: dict[str, float | str] = {name: getattr(self, name) for name in SETTINGS_RANGES}
        found.update({name: getattr(self, name) for name in SETTINGS_TEXT if getattr(self, name)})
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        values: dict[str, Any] = {k: float(v) for k, v in data.items() if k in SETTINGS_RANGES}
        values.update({k: v for k, v in data.items() if k in SETTINGS_TEXT and isinstance(v, str)})
        return cls(**values)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    probes: tuple[str, ...] = ()
    minutes: float | None = None
    stages: tuple[int, ...] = ()


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    audience: str = "all"
    stages: tuple[int, ...] = ()
    consent: bool = False  # the recording consent: ticked for each participant present


@dataclass(frozen=True)
class Phase:
    id: str
    title: str
    kind: str
    minutes: float
    questions: tuple[Question, ...] = ()
    checklist: tuple[ChecklistItem, ...] = ()
    guidance: str = ""
    stages: tuple[int, ...] = ()

    @property
    def planned_s(self) -> float:
        return self.minutes * 60.0


@dataclass(frozen=True)
class Guide:
    title: str
    phases: tuple[Phase, ...]
    language: str = ""
    description: str = ""
    minutes: float | None = None
    stages: int = 1
    settings: Settings = Settings()
    source: str = ""

    @property
    def asked_after_s(self) -> float:
        return self.settings.asked_after_s

    @property
    def planned_s(self) -> float:
        """The planned length of one meeting, in seconds."""
        if self.minutes is not None:
            return self.minutes * 60.0
        return sum(phase.planned_s for phase in self.phases)

    def phase(self, phase_id: str) -> Phase:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)

    def phase_index(self, phase_id: str) -> int:
        for index, phase in enumerate(self.phases):
            if phase.id == phase_id:
                return index
        raise KeyError(phase_id)

    def for_stage(self, stage: int, newcomers: bool = True, returning: bool = False) -> Guide:
        """The guide as run at ``stage``: only what is marked for that stage (or for all).

        Checklist items for newcomers are kept when someone in the group is new (everyone is,
        at a first meeting); items for returning participants when someone comes back.
        """

        def keep(stages: tuple[int, ...]) -> bool:
            return not stages or stage in stages

        def for_group(item: ChecklistItem) -> bool:
            if item.audience == "newcomers":
                return newcomers
            if item.audience == "returning":
                return returning
            return True

        phases = []
        for phase in self.phases:
            if not keep(phase.stages):
                continue
            phases.append(
                Phase(
                    id=phase.id,
                    title=phase.title,
                    kind=phase.kind,
                    minutes=phase.minutes,
                    questions=tuple(q for q in phase.questions if keep(q.stages)),
                    checklist=tuple(c for c in phase.checklist if keep(c.stages) and for_group(c)),
                    guidance=phase.guidance,
                    stages=phase.stages,
                )
            )
        minutes = self.minutes
        return Guide(
            title=self.title,
            phases=tuple(phases),
            language=self.language,
            description=self.description,
            minutes=minutes,
            stages=self.stages,
            settings=self.settings,
            source=self.source,
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain-data copy, kept in each session so a later edit of the file changes nothing."""
        return {
            "title": self.title,
            "language": self.language,
            "description": self.description,
            "minutes": self.minutes,
            "stages": self.stages,
            "settings": self.settings.to_dict(),
            "source": self.source,
            "phases": [
                {
                    "id": p.id,
                    "title": p.title,
                    "kind": p.kind,
                    "minutes": p.minutes,
                    "guidance": p.guidance,
                    "stages": list(p.stages),
                    "questions": [
                        {
                            "id": q.id,
                            "text": q.text,
                            "probes": list(q.probes),
                            "minutes": q.minutes,
                            "stages": list(q.stages),
                        }
                        for q in p.questions
                    ],
                    "checklist": [
                        {
                            "id": c.id,
                            "text": c.text,
                            "audience": c.audience,
                            "stages": list(c.stages),
                            "consent": c.consent,
                        }
                        for c in p.checklist
                    ],
                }
                for p in self.phases
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Guide:
        data = visible_tree(data)  # a copy stored before control characters were shown
        return cls(
            title=data["title"],
            language=data.get("language", ""),
            description=data.get("description", ""),
            minutes=data.get("minutes"),
            stages=data.get("stages", 1),
            settings=Settings.from_dict(
                data.get("settings") or {"asked_after_s": data.get("asked_after_s", 10.0)}
            ),
            source=data.get("source", ""),
            phases=tuple(
                Phase(
                    id=p["id"],
                    title=p["title"],
                    kind=p["kind"],
                    minutes=p["minutes"],
                    guidance=p.get("guidance", ""),
                    stages=tuple(p.get("stages", ())),
                    questions=tuple(
                        Question(
                            id=q["id"],
                            text=q["text"],
                            probes=tuple(q.get("probes", ())),
                            minutes=q.get("minutes"),
                            stages=tuple(q.get("stages", ())),
                        )
                        for q in p.get("questions", ())
                    ),
                    checklist=tuple(
                        ChecklistItem(
                            id=c["id"],
                            text=c["text"],
                            audience=c.get("audience", "all"),
                            stages=tuple(c.get("stages", ())),
                            consent=bool(c.get("consent", False)),
                        )
                        for c in p.get("checklist", ())
                    ),
                )
                for p in data["phases"]
            ),
        )


# Characters that would break a problem's one line, or hide or reorder what it says in a
# terminal: line breaks and other controls, and bidirectional overrides.
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)


@dataclass(frozen=True)
class GuideProblem:
    file: str
    line: int
    message: str

    def __post_init__(self) -> None:
        # A message may quote the guide (an unknown key, a wrong value): one problem, one line.
        object.__setattr__(self, "message", _printable(self.message))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class GuideError(Exception):
    """A guide that cannot be used; ``problems`` lists each with its file and line."""

    def __init__(self, problems: list[GuideProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --- finding lines -------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\-\s\"']+?)\s*\]\]\s*(#.*)?$")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\s\"']+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')\s*=")


def source_lines(text: str) -> list[str]:
    """A file's lines as TOML and an editor number them: split at newlines only.

    ``str.splitlines`` also splits at characters such as U+2028, U+0085 or a form feed,
    which may stand inside a TOML string or comment (or a simulation script's note);
    counting them would put every problem after one on the wrong line, or past the end of
    the file.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _key_name(token: str) -> str:
    """A key as written on its line (bare, "quoted" or 'literal') to the key TOML reads."""
    if token.startswith('"') and "\\" in token:  # escapes, as in "a\\u00e5": TOML decodes them
        import tomllib

        try:
            return str(tomllib.loads(f"k = {token}")["k"])
        except tomllib.TOMLDecodeError:
            pass
    return token.strip("\"'")


class _LineFinder:
    """Finds the source line of a value in a guide, from the file's text.

    ``tomllib`` keeps no positions, so the finder reads the headers
    (``[[phases]]``, ``[[phases.questions]]``, ``[[phases.checklist]]``) and key
    lines itself. Where a guide uses inline tables it falls back to the nearest
    enclosing line it can name, never to nothing.
    """

    def __init__(self, text: str) -> None:
        self.lines = source_lines(text)
        # (line number, header name) for every [[...]] or [...] header
        self.headers: list[tuple[int, str]] = []
        for number, line in enumerate(self.lines, start=1):
            match = _HEADER.match(line) or _TABLE.match(line)
            if match:
                name = re.sub(r"\s+", "", match.group(1)).replace('"', "").replace("'", "")
                self.headers.append((number, name))
        # Indexes built once, so that each lookup costs the same in a guide of 10,000
        # questions as in one of 10 (a search per lookup made ``check`` quadratic).
        self._header_lines = [number for number, _name in self.headers]
        self._phase_headers = [n for n, name in self.headers if name == "phases"]
        self._children: dict[tuple[int, str], list[int]] = {}
        phase_index = -1
        for number, name in self.headers:
            if name == "phases":
                phase_index += 1
            elif name.startswith("phases.") and phase_index >= 0:
                self._children.setdefault((phase_index, name[len("phases.") :]), []).append(number)
        # every key line by section start: {section start: {key: first line}}
        self._keys: dict[int, dict[str, int]] = {}
        section = 0
        keys: dict[str, int] = {}
        self._keys[0] = keys
        header_at = set(self._header_lines)
        for number, line in enumerate(self.lines, start=1):
            if number in header_at:
                section = number
                keys = self._keys.setdefault(section, {})
                continue
            match = _KEY.match(line)
            if match:
                keys.setdefault(_key_name(match.group(1)), number)

    def _key_line(self, start: int, key: str) -> int | None:
        return self._keys.get(start, {}).get(key)

    def top(self, key: str | None = None) -> int:
        if key is None:
            return 1
        found = self._key_line(0, key)
        if found is not None:
            return found
        for number, name in self.headers:
            if name == key:
                return number
        return 1

    def phase(self, index: int, key: str | None = None) -> int:
        if index >= len(self._phase_headers):
            return self.top("phases")
        start = self._phase_headers[index]
        if key is None:
            return start
        return self._key_line(start, key) or start

    def child(self, phase_index: int, table: str, index: int, key: str | None = None) -> int:
        if phase_index >= len(self._phase_headers):
            return self.top("phases")
        start = self._phase_headers[phase_index]
        children = self._children.get((phase_index, table), [])
        if index >= len(children):
            # an inline array (questions = [...]) or a plain list of strings
            return self._key_line(start, table) or start
        child_start = children[index]
        if key is None:
            return child_start
        return self._key_line(child_start, key) or child_start


# --- validation --------------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Validator:
    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.lines = _LineFinder(text)
        self.problems: list[GuideProblem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(GuideProblem(self.file, line, message))

    def unknown_keys(self, table: dict[str, Any], known: set[str], where: str, line_of) -> None:
        for key in table:
            if key not in known:
                self.problem(
                    line_of(key),
                    _(
                        'unknown key "{key}" in {where} (known keys: {known})',
                        key=key,
                        where=where,
                        known=", ".join(sorted(known)),
                    ),
                )

    def text(self, value: object, line: int, what: str, required: bool = True) -> str:
        if value is None:
            if required:
                self.problem(line, _("{what} is missing", what=what))
            return ""
        if not isinstance(value, str):
            self.problem(line, _("{what} must be text in quotes", what=what))
            return ""
        if required and not value.strip():
            self.problem(line, _("{what} is empty", what=what))
        return value.strip()

    def minutes(self, value: object, line: int, what: str, required: bool) -> float | None:
        if value is None:
            if required:
                self.problem(line, _("{what}: minutes is missing", what=what))
            return None
        if not _is_number(value):
            self.problem(line, _("{what}: minutes must be a number", what=what))
            return None
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:  # an integer too large for a float
            number = float("inf")
        if number != number or number in (float("inf"), float("-inf")):
            self.problem(line, _("{what}: minutes must be a finite number", what=what))
            return None
        if number < 0:
            self.problem(line, _("{what}: minutes is negative ({value})", what=what, value=value))
            return None
        return number

    def stage_list(self, value: object, line: int, what: str, stage_count: int) -> tuple[int, ...]:
        if value is None:
            return ()
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            self.problem(line, _("{what}: stages must be a list of stage numbers", what=what))
            return ()
        bad = [v for v in value if v < 1 or v > stage_count]
        if bad:
            self.problem(
                line,
                _(
                    "{what}: stage {stage} does not exist (the guide has {count} stage(s))",
                    what=what,
                    stage=bad[0],
                    count=stage_count,
                ),
            )
            return ()
        return tuple(value)

    def ident(self, value: object, line: int, what: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.problem(
                line,
                _(
                    "{what}: id must be letters, digits, '-', '_' or '.', starting with a "
                    "letter or digit",
                    what=what,
                ),
            )
            return None
        return value


def parse_guide(text: str, file: str = "<guide>") -> Guide:
    """Parse and validate a guide's TOML text; raise ``GuideError`` naming every problem."""
    import tomllib  # here, not at the top: a session's guide is a stored copy, not TOML

    try:
        data = tomllib.loads(text)
    except RecursionError:  # arrays or inline tables nested hundreds deep
        raise GuideError(
            [GuideProblem(file, 1, _("not valid TOML: {detail}", detail=_("nested too deeply")))]
        ) from None
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        line = int(match.group(1)) if match else 1
        detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        if "end of document" in str(error) and not match:
            line = max(1, len(source_lines(text)))
        raise GuideError(
            [GuideProblem(file, line, _("not valid TOML: {detail}", detail=detail))]
        ) from None
    data = visible_tree(data)  # control characters in a guide's text are shown, not obeyed
    try:
        return _validate(data, file, text)
    except GuideError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as error:  # a shape we did not foresee
        raise GuideError(
            [GuideProblem(file, 1, _("cannot be read as a guide: {detail}", detail=error))]
        ) from None


def _validate(data: dict[str, Any], file: str, text: str) -> Guide:
    v = _Validator(file, text)
    lines = v.lines
    v.unknown_keys(data, GUIDE_KEYS, _("the guide"), lines.top)

    title = v.text(data.get("title"), lines.top("title"), _("the guide's title"))
    language = v.text(data.get("language"), lines.top("language"), "language", required=False)
    description = v.text(
        data.get("description"), lines.top("description"), "description", required=False
    )
    total = v.minutes(data.get("minutes"), lines.top("minutes"), _("the guide"), required=False)

    stage_count = 1
    raw_stages = data.get("stages")
    if raw_stages is not None:
        if (
            isinstance(raw_stages, int)
            and not isinstance(raw_stages, bool)
            and 1 <= raw_stages <= 20
        ):
            stage_count = raw_stages
        else:
            v.problem(lines.top("stages"), _("stages must be a whole number from 1 to 20"))

    values: dict[str, Any] = {}
    settings = data.get("settings")
    if settings is not None:
        if not isinstance(settings, dict):
            v.problem(lines.top("settings"), _("settings must be a table"))
        else:
            start = lines.top("settings")
            v.unknown_keys(
                settings, SETTINGS_KEYS, "[settings]", lambda k: lines._key_line(start, k) or start
            )
            for name, (_default, lowest, highest) in SETTINGS_RANGES.items():
                raw = settings.get(name)
                if raw is None:
                    continue
                if _is_number(raw) and lowest <= raw <= highest:
                    values[name] = float(raw)
                else:
                    v.problem(
                        lines._key_line(start, name) or start,
                        _(
                            "{name} must be a number from {lowest:g} to {highest:g}",
                            name=name,
                            lowest=lowest,
                            highest=highest,
                        ),
                    )
            for name in SETTINGS_TEXT:
                raw = settings.get(name)
                if raw is None:
                    continue
                line = lines._key_line(start, name) or start
                text = v.text(raw, line, name, required=False)
                # a name or a folder, never shown text: a control character (made visible
                # as its picture, U+2400..U+2421, when the guide was read) is refused
                if len(text) > 200 or any(
                    not c.isprintable() or 0x2400 <= ord(c) <= 0x2421 for c in text
                ):
                    v.problem(
                        line, _("{what} must be one line of at most 200 characters", what=name)
                    )
                elif text:
                    values[name] = text

    raw_phases = data.get("phases")
    phases: list[Phase] = []
    if raw_phases is None:
        v.problem(lines.top(), _("the guide has no phases: add at least one [[phases]] table"))
    elif not isinstance(raw_phases, list) or not all(isinstance(p, dict) for p in raw_phases):
        v.problem(lines.top("phases"), _("phases must be [[phases]] tables"))
    elif not raw_phases:
        v.problem(
            lines.top("phases"), _("the guide has no phases: add at least one [[phases]] table")
        )
    else:
        seen_phase_ids: dict[str, int] = {}
        seen_question_ids: dict[str, int] = {}
        seen_items: set[str] = set()  # checklist ids: one tick per id in the whole guide
        for index, raw in enumerate(raw_phases):
            phase = _validate_phase(
                v, raw, index, stage_count, seen_phase_ids, seen_question_ids, seen_items
            )
            if phase is not None:
                phases.append(phase)

    if v.problems:
        raise GuideError(sorted(v.problems, key=lambda p: p.line))
    guide = Guide(
        title=title,
        phases=tuple(phases),
        language=language,
        description=description,
        minutes=total,
        stages=stage_count,
        settings=Settings(**values),
        source=file,
    )
    for stage in range(1, stage_count + 1):
        if not guide.for_stage(stage).phases:
            raise GuideError(
                [
                    GuideProblem(
                        file, lines.top("stages"), _("stage {stage} has no phases", stage=stage)
                    )
                ]
            )
    return guide


def _validate_phase(
    v: _Validator,
    raw: dict[str, Any],
    index: int,
    stage_count: int,
    seen_phase_ids: dict[str, int],
    seen_question_ids: dict[str, int],
    seen_items: set[str],
) -> Phase | None:
    lines = v.lines
    header = lines.phase(index)
    label = _("phase {number}", number=index + 1)
    v.unknown_keys(raw, PHASE_KEYS, label, lambda k: lines.phase(index, k))

    phase_id = v.ident(raw.get("id"), lines.phase(index, "id"), label)
    if raw.get("id") is None:
        v.problem(header, _("{what}: id is missing", what=label))
    if phase_id is not None:
        if phase_id in seen_phase_ids:
            v.problem(
                lines.phase(index, "id"),
                _(
                    'duplicate phase id "{id}" (first used on line {line})',
                    id=phase_id,
                    line=seen_phase_ids[phase_id],
                ),
            )
        else:
            seen_phase_ids[phase_id] = lines.phase(index, "id")
        label = _('phase "{id}"', id=phase_id)

    title = v.text(
        raw.get("title"),
        lines.phase(index, "title") if "title" in raw else header,
        _("{what}: title", what=label),
    )
    kind = raw.get("kind", "main")
    if kind not in PHASE_KINDS:
        v.problem(
            lines.phase(index, "kind"),
            _(
                '{what}: kind must be one of {kinds}, not "{kind}"',
                what=label,
                kinds=", ".join(PHASE_KINDS),
                kind=kind,
            ),
        )
        kind = "main"
    minutes = v.minutes(
        raw.get("minutes"),
        lines.phase(index, "minutes") if "minutes" in raw else header,
        label,
        required=True,
    )
    guidance = v.text(
        raw.get("guidance"), lines.phase(index, "guidance"), "guidance", required=False
    )
    stages = v.stage_list(raw.get("stages"), lines.phase(index, "stages"), label, stage_count)

    questions: list[Question] = []
    raw_questions = raw.get("questions", [])
    if not isinstance(raw_questions, list):
        v.problem(
            lines.phase(index, "questions"), _("{what}: questions must be a list", what=label)
        )
        raw_questions = []
    for q_index, raw_q in enumerate(raw_questions):
        q_line = lines.child(index, "questions", q_index)
        q_label = _("{what}, question {number}", what=label, number=q_index + 1)
        if isinstance(raw_q, str):
            raw_q = {"text": raw_q}
        if not isinstance(raw_q, dict):
            v.problem(q_line, _("{what} must be a table or text", what=q_label))
            continue
        v.unknown_keys(
            raw_q,
            QUESTION_KEYS,
            q_label,
            lambda k, i=q_index: lines.child(index, "questions", i, k),
        )
        text_line = lines.child(index, "questions", q_index, "text") if "text" in raw_q else q_line
        text = v.text(raw_q.get("text"), text_line, _("{what}: text", what=q_label))
        q_id = v.ident(raw_q.get("id"), lines.child(index, "questions", q_index, "id"), q_label)
        if q_id is None:
            q_id = f"{phase_id or index + 1}.q{q_index + 1}"
        if q_id in seen_question_ids:
            v.problem(
                lines.child(index, "questions", q_index, "id"),
                _('duplicate question id "{id}"', id=q_id),
            )
        seen_question_ids[q_id] = q_line
        probes_raw = raw_q.get("probes", [])
        probes: tuple[str, ...] = ()
        if isinstance(probes_raw, list) and all(isinstance(p, str) for p in probes_raw):
            probes = tuple(p.strip() for p in probes_raw if p.strip())
        else:
            v.problem(
                lines.child(index, "questions", q_index, "probes"),
                _("{what}: probes must be a list of texts", what=q_label),
            )
        q_minutes = v.minutes(
            raw_q.get("minutes"),
            lines.child(index, "questions", q_index, "minutes"),
            q_label,
            required=False,
        )
        q_stages = v.stage_list(
            raw_q.get("stages"),
            lines.child(index, "questions", q_index, "stages"),
            q_label,
            stage_count,
        )
        questions.append(Question(q_id, text, probes, q_minutes, q_stages))

    checklist: list[ChecklistItem] = []
    raw_items = raw.get("checklist", [])
    if not isinstance(raw_items, list):
        v.problem(
            lines.phase(index, "checklist"), _("{what}: checklist must be a list", what=label)
        )
        raw_items = []
    for c_index, raw_c in enumerate(raw_items):
        c_line = lines.child(index, "checklist", c_index)
        c_label = _("{what}, checklist item {number}", what=label, number=c_index + 1)
        if isinstance(raw_c, str):
            raw_c = {"text": raw_c}
        if not isinstance(raw_c, dict):
            v.problem(c_line, _("{what} must be a table or text", what=c_label))
            continue
        v.unknown_keys(
            raw_c,
            CHECKLIST_KEYS,
            c_label,
            lambda k, i=c_index: lines.child(index, "checklist", i, k),
        )
        text = v.text(
            raw_c.get("text"),
            lines.child(index, "checklist", c_index, "text") if "text" in raw_c else c_line,
            _("{what}: text", what=c_label),
        )
        c_id = v.ident(raw_c.get("id"), lines.child(index, "checklist", c_index, "id"), c_label)
        if c_id is None:
            c_id = f"{phase_id or index + 1}.c{c_index + 1}"
        if c_id in seen_items:
            v.problem(c_line, _('duplicate checklist id "{id}"', id=c_id))
        seen_items.add(c_id)
        audience = raw_c.get("audience", "all")
        if audience not in AUDIENCES:
            v.problem(
                lines.child(index, "checklist", c_index, "audience"),
                _(
                    '{what}: audience must be one of {values}, not "{value}"',
                    what=c_label,
                    values=", ".join(AUDIENCES),
                    value=audience,
                ),
            )
            audience = "all"
        c_stages = v.stage_list(
            raw_c.get("stages"),
            lines.child(index, "checklist", c_index, "stages"),
            c_label,
            stage_count,
        )
        consent = raw_c.get("consent", False)
        if not isinstance(consent, bool):
            v.problem(
                lines.child(index, "checklist", c_index, "consent"),
                _("{what}: consent must be true or false", what=c_label),
            )
            consent = False
        checklist.append(ChecklistItem(c_id, text, audience, c_stages, consent))

    if minutes is None or phase_id is None:
        return None
    return Phase(
        id=phase_id,
        title=title,
        kind=kind,
        minutes=minutes,
        questions=tuple(questions),
        checklist=tuple(checklist),
        guidance=guidance,
        stages=stages,
    )


def read_source(path: str | Path, error: type[GuideError] = GuideError) -> str:
    """The text of a guide (or of another file read the same way, such as a simulation
    script); raise ``error`` when the file cannot be read or is not UTF-8 text."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as failure:
        reason = failure.strerror or failure
        problem = GuideProblem(name, 0, _("cannot read the file: {reason}", reason=reason))
        raise error([problem]) from None
    try:
        return raw.decode("utf-8-sig")  # a BOM, as some editors save, is fine
    except UnicodeDecodeError as failure:
        line = raw[: failure.start].count(b"\n") + 1
        message = _("the file is not UTF-8 text (byte {offset})", offset=failure.start)
        raise error([GuideProblem(name, line, message)]) from None


def load_guide(path: str | Path) -> Guide:
    """Read and validate a guide file; raise ``GuideError`` (never anything else)."""
    return parse_guide(read_source(path), str(path))


__all__ = [
    "ChecklistItem",
    "Guide",
    "GuideError",
    "GuideProblem",
    "Phase",
    "Question",
    "load_guide",
    "parse_guide",
    "read_source",
    "source_lines",
]
