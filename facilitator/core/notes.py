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
from facilitator.i18n import N_, _

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
    "observasjon": "observation",
    "summary": "summary",
    "s": "summary",
    "oppsummering": "summary",
    "between": "between",  # what happened since the last meeting (told at a stage's recap)
    "b": "between",
    "siden": "between",
}
# How a tag is written on screen and in exports, in the interface's language (the English
# words, and every alias above, stay accepted as input in any language).
TAG_WORDS = {
    "quote": N_("#quote"),
    "theme": N_("#theme"),
    "follow-up": N_("#follow-up"),
    "observation": N_("#observation"),
    "summary": N_("#summary"),
    "between": N_("#between"),
}
MODERATOR = "moderator"
# a tag word, with a colon that labels what follows ("#theme: trust")
_TAG = re.compile(r"(?<![\w#])#([A-Za-z][\w-]*):?")
_JOINED_TAGS = re.compile(r"(?<![\w#])(#[A-Za-z][\w-]*)(?=#[A-Za-z])")  # "#s#t"
_SPEAKER = re.compile(r"(?<![\w@])@(\w+)")
# quote marks a typist may put around a quote themselves: (opening, closing)
_QUOTE_MARKS = (("«", "»"), ("“", "”"), ("”", "”"), ("„", "“"), ('"', '"'), ("‘", "’"), ("'", "'"))


def tag_word(tag: str) -> str:
    """A tag as it is shown: ``#sitat`` for "quote" in Norwegian, ``#quote`` in English."""
    word = TAG_WORDS.get(tag)
    return _(word) if word is not None else f"#{tag}"


def tags_text(tags) -> str:
    """Tags as they are shown, separated by spaces."""
    return " ".join(tag_word(t) for t in tags)


def quote_body(text: str) -> str:
    """A quote's words without the quote marks the typist put around them."""
    stripped = text.strip()
    for opening, closing in _QUOTE_MARKS:
        if len(stripped) > len(opening) + len(closing) - 1 and (
            stripped.startswith(opening) and stripped.endswith(closing)
        ):
            inner = stripped[len(opening) : len(stripped) - len(closing)].strip()
            if inner and opening not in inner and closing not in inner:
                return inner
    return stripped


def quoted(text: str) -> str:
    """A quote in the language's quote marks (“…” in English, «…» in Norwegian), once: a
    quote typed with its own marks is not wrapped twice."""
    return _("“{text}”", text=quote_body(text))


def _tidy(text: str) -> str:
    """The text around removed tag words: no doubled spaces, no space before punctuation,
    no empty brackets, no punctuation left at the start."""
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"[(\[]\s*[)\]]", "", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    text = re.sub(r"^[\s,;:]+|[\s,;:]+$", "", text)
    text = re.sub(r"^\.(\s|$)", "", text)
    return re.sub(r"\s+", " ", text).strip()


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

    raw = visible(raw)
    while True:  # "#s#t": two tag words typed together are two tags
        spaced = _JOINED_TAGS.sub(r"\1 ", raw)
        if spaced == raw:
            break
        raw = spaced
    text = _TAG.sub(tag, raw)
    text = _SPEAKER.sub(who, text)
    text = _tidy(text)
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
    speaker: str = ""  # the pseudonym of whoever held the floor when it was noted
    author: str = ""  # who noted it: "moderator" or "assistant" ("" in older sessions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "stage": self.stage,
            "question": self.question,
            "speaker": self.speaker,
            "author": self.author,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CarriedFollowUp:
        return cls(
            id=str(data["id"]),
            text=str(data["text"]),
            stage=int(data.get("stage", 1)),
            question=str(data.get("question", "")),
            speaker=str(data.get("speaker", "")),
            author=str(data.get("author", "")),
        )


def noted_by(author: str) -> str:
    """Who wrote a note, as the screens and reports credit it ("noted by the assistant")."""
    if author == "moderator":
        return _("noted by the moderator")
    if author == "assistant":
        return _("noted by the assistant")
    return ""


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
