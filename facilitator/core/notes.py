"""Notes: what the assistant (or the moderator) writes down, tied to the moment it was said.

A note is typed as plain text. Tags and a speaker can be typed in it without leaving the
home row, and are taken out of the text:

- ``#quote`` (``#q``), ``#theme`` (``#t``), ``#follow-up`` (``#f``, ``#fu``),
  ``#observation`` (``#o``, ``#obs``), ``#summary`` (``#s``): a point for the closing
  member-check summary;
- ``@3`` gives the note to participant 3 in roster order, ``@0`` or ``@m`` to the
  moderator, ``@P4`` to the participant with that id; without it the note goes to
  whoever holds the floor.

Everything else about a note (session-clock time, phase, question, author) is taken
from the session when it is saved, with no typing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from facilitator.core.text import visible

TAGS = ("quote", "theme", "follow-up", "observation", "summary", "between")
TAG_ALIASES = {
    "quote": "quote",
    "q": "quote",
    "sitat": "quote",
    "theme": "theme",
    "t": "theme",
    "tema": "theme",
    "follow-up": "follow-up",
    "followup": "follow-up",
    "f": "follow-up",
    "fu": "follow-up",
    "oppfolging": "follow-up",
    "oppfølging": "follow-up",
    "observation": "observation",
    "obs": "observation",
    "o": "observation",
    "summary": "summary",
    "s": "summary",
    "oppsummering": "summary",
    "between": "between",  # what happened since the last meeting (told at a stage's recap)
    "b": "between",
    "siden": "between",
}
MODERATOR = "moderator"
_TAG = re.compile(r"(?<![\w#])#([A-Za-z][\w-]*)")
_SPEAKER = re.compile(r"(?<![\w@])@(\w+)")


@dataclass(frozen=True)
class ParsedNote:
    text: str
    tags: tuple[str, ...]
    speaker: str | None  # a participant id or "moderator"; None: not given in the text
    unknown_tags: tuple[str, ...] = ()


def parse_note(raw: str, roster_ids: list[str]) -> ParsedNote:
    """Take tags and a speaker out of a typed note; unknown ``#words`` stay in the text."""
    tags: list[str] = []
    unknown: list[str] = []

    def tag(match: re.Match[str]) -> str:
        word = match.group(1).lower()
        name = TAG_ALIASES.get(word)
        if name is None:
            unknown.append(word)
            return match.group(0)
        if name not in tags:
            tags.append(name)
        return ""

    speaker: str | None = None

    def who(match: re.Match[str]) -> str:
        nonlocal speaker
        value = match.group(1)
        if value in ("0", "m", "M", MODERATOR):
            speaker = MODERATOR
            return ""
        if value.isdigit() and 1 <= int(value) <= len(roster_ids):
            speaker = roster_ids[int(value) - 1]
            return ""
        for pid in roster_ids:
            if pid.lower() == value.lower():
                speaker = pid
                return ""
        return match.group(0)  # not a speaker: an e-mail address or a handle, keep it

    text = _TAG.sub(tag, visible(raw))
    text = _SPEAKER.sub(who, text)
    text = re.sub(r"\s+", " ", text).strip()
    ordered = tuple(t for t in TAGS if t in tags)
    return ParsedNote(text=text, tags=ordered, speaker=speaker, unknown_tags=tuple(unknown))


@dataclass
class Note:
    id: str  # the id of the event that created it
    t_s: float
    author: str  # "moderator" or "assistant"
    phase: str
    question: str | None
    speaker: str | None
    tags: tuple[str, ...]
    text: str
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions, kept
    deleted: bool = False
    statement: str | None = None  # the transcript statement it was tagged on (its first word)

    @property
    def edited(self) -> bool:
        return bool(self.history)


@dataclass
class Reflection:
    """The moderator's private reflexivity log: kept apart, out of every export by default."""

    id: str
    t_s: float
    phase: str
    question: str | None
    text: str


@dataclass(frozen=True)
class CarriedFollowUp:
    """A follow-up noted at an earlier stage of the study, brought into this session."""

    id: str  # "<session id>/<note id>": unique across the study
    text: str
    stage: int
    question: str = ""  # the question's text at that stage
    speaker: str = ""  # the pseudonym, for the moderator's screen

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "stage": self.stage,
            "question": self.question,
            "speaker": self.speaker,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CarriedFollowUp:
        return cls(
            id=str(data["id"]),
            text=str(data["text"]),
            stage=int(data.get("stage", 1)),
            question=str(data.get("question", "")),
            speaker=str(data.get("speaker", "")),
        )


def author_of(writer: str) -> str:
    """The role behind a writer name ("assistant-2" is an assistant)."""
    return "assistant" if writer.startswith("assistant") else "moderator"


def question_codes(guide) -> dict[str, str]:
    """A short code per question, phase and question number: "2.1" is phase 2, question 1."""
    codes: dict[str, str] = {}
    for p_number, phase in enumerate(guide.phases, start=1):
        for q_number, question in enumerate(phase.questions, start=1):
            codes[question.id] = f"{p_number}.{q_number}"
    return codes
