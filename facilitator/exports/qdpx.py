"""A REFI-QDA project (``.qdpx``) for QDA software: QualCoder, NVivo, ATLAS.ti, MAXQDA.

The file is a zip archive in the REFI-QDA Project exchange format 1.0 (QDA-XML,
``urn:QDA-XML:project:1.0``; the schema, ``Project.xsd``, is vendored in
``tests/schemas/`` and checked by the tests), made to import whole: every element that the
open reference importer (QualCoder's ``RefiImport``) reads is written, in the form it reads
it, and nothing that the schema or the NVivo, ATLAS.ti and MAXQDA import documentation
would refuse:

- ``project.qde``: the project as XML;
- ``Sources/<guid>.txt``: the session as plain text (UTF-8, no byte order mark, ``\\n``
  line ends), which the project's ``TextSource`` names as
  ``plainTextPath="internal://<guid>.txt"``;
- ``Sources/<guid>.txt`` again for each note's memo, named by its ``Note``;
- ``Sources/<guid>.wav``: the recording, when the session has one
  (``summary["session"]["recording"]``, the session-clock audio export: WAV, which every
  one of those programs plays), stored as it is (not compressed) so that it streams.

The source text is a transcript skeleton with the notes in it: a header (session, study,
stage, date, guide, speakers), then in time order each question of the guide as it was
reached, each break, each speaker turn as a line ``[hh:mm:ss] Informant 1:`` for the
words to be typed after, and each note as a line
``[hh:mm:ss] Note (Assistant, about Informant 1, #quote): <text>``. Times follow the
subtitles' rule: the session clock from the start of the session (breaks not counted),
minus ``summary["session"]["recording_offset_s"]`` if the recording started later;
QualCoder links ``[hh:mm:ss]`` stamps to a recording.

In the project:

- ``Users``: the moderator and each assistant who wrote a note.
- ``CodeBook``: two groups that are not codes themselves (``isCodable="false"``; QualCoder
  makes them categories): ``Tags``, one code per note tag (``quote``, ``theme``,
  ``follow-up``, ``observation``, ``summary``, ``between``) with a description and a
  colour, and ``Speakers``, one code per speaker (the moderator and every participant;
  MAXQDA's convention for focus groups), named with the pseudonym.
- ``Variables``: ``Role``, ``Stage`` and (in a study) ``Study``, for the cases.
- ``Cases``: one per participant, named with the pseudonym, with the role as its
  description, the variables' values, a ``CodeRef`` to the speaker's code, a
  ``SourceRef`` to the sources and a ``SelectionRef`` to each of the speaker's turns.
- ``Sources``: the ``TextSource``. Each note's text in it is a ``PlainTextSelection``
  (``startPosition`` and ``endPosition`` count characters, Unicode code points, from 0,
  the end exclusive: ``text[start:end]`` is the note, on one line and without control
  characters) with the note's memo as its ``Description`` (which QualCoder takes as the
  coded segment's memo, ATLAS.ti as the quotation's comment), coded with the note's
  tags and referring to the note's ``Note``; an untagged note is a selection with its
  description and no coding (an annotation, in QualCoder). Each speaker turn's line is a
  selection coded with the speaker's code. With a recording, an ``AudioSource`` for it,
  with an ``AudioSelection`` per turn (``begin`` and ``end`` in milliseconds) coded with
  the speaker's code.
- ``Notes``: a memo per note (``plainTextPath`` to its text: its words, then its time,
  author, speaker, tags, phase and question), named ``[hh:mm:ss] <its first words>``
  (unique: QualCoder makes journals of them, whose names must differ).
- ``Description``: the moderator's summary of the session (the Markdown summary), the
  project memo.

Every element that can carry a creation time does: the session's start (else its
creation), in UTC; QualCoder stops on a ``Note`` without one.

Identifiers are name-based UUIDs (version 5) of the session's id and each item's, and
the zip's entries carry a fixed time (the session's start), so the same session always
gives the same bytes. A tag's code, a speaker's code and case, and the variables depend on
the tag, the study and the pseudonym id alone, so that they are the same in every session's
project of a study.

With a transcript (``facilitator transcribe``), each speaker line holds a statement and its
words, ``[hh:mm:ss] Informant 1: We meet the families where they are.``, coded with its
speaker (words spoken while nobody was marked with the code ``Unattributed``), and the
``AudioSource`` carries the same text as a ``Transcript`` (``Sources/<guid>.txt``) with a
``SyncPoint`` at the start of each statement's line (``position``, in characters) at the
moment its first word begins (``timeStamp``, in milliseconds), so that the text plays in
step with the recording; the audio's selections are then the statements.

Names: pseudonyms only. With real names asked for (``with_names``), the project's
description and the source's first line say that the file contains real names, the
header's speaker list gives each pseudonym's name, and so does each case's description.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from facilitator.core.collect import paused_collection
from facilitator.core.notes import TAGS, tag_word, tags_text
from facilitator.exports.csv_matrix import author_name, note_speaker
from facilitator.exports.eaf import document_date, ms, xml_text
from facilitator.exports.markdown import render_markdown, wall_s
from facilitator.exports.subtitles import (
    MODERATOR,
    clock_line,
    one_line,
    recording_offset,
    session_line,
    speaker_label,
    speaker_legend,
    voices,
)
from facilitator.i18n import _

NAMESPACE = "urn:QDA-XML:project:1.0"
ORIGIN = "facilitator"
GUID_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, "facilitator:qdpx")
COPY_CHUNK = 1 << 20  # the recording is copied into the archive a megabyte at a time

CODE_COLOURS = {
    "quote": "#4C72B0",
    "theme": "#55A868",
    "follow-up": "#C44E52",
    "observation": "#8172B2",
    "summary": "#CCB974",
    "between": "#64B5CD",
}
# the speakers' codes, in roster order (the moderator first)
SPEAKER_COLOURS = [
    "#7F7F7F", "#E377C2", "#17BECF", "#BCBD22", "#FF7F0E", "#2CA02C", "#D62728",
    "#9467BD", "#8C564B", "#1F77B4", "#AEC7E8", "#FFBB78", "#98DF8A",
]  # fmt: skip


def code_description(tag: str) -> str:
    descriptions = {
        "quote": _("A participant's words, worth quoting"),
        "theme": _("A theme that came up"),
        "follow-up": _("Something to follow up, in this session or the next"),
        "observation": _("What the note-taker observed in the room"),
        "summary": _("A point for the closing member-check summary"),
        "between": _("What happened since the last meeting"),
    }
    return descriptions.get(tag, "")


_ROOT_BYTES = GUID_ROOT.bytes
# the third hex digit of a UUID's fourth group with the RFC 4122 variant set (10xx)
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _uuid5_text(digest: str) -> str:
    """A SHA-1 hex digest as a version-5 UUID's text (as ``uuid.uuid5`` makes it)."""
    return (
        f"{digest[:8]}-{digest[8:12]}-5{digest[13:16]}-"
        f"{_VARIANT[digest[16]]}{digest[17:20]}-{digest[20:32]}"
    )


def guid(*parts: str) -> str:
    """A name-based UUID (version 5) for the item named by ``parts``: ``uuid.uuid5`` of
    ``GUID_ROOT`` and ``"/".join(parts)``, made without building UUID objects (a long
    session has tens of thousands)."""
    return _uuid5_text(hashlib.sha1(_ROOT_BYTES + "/".join(parts).encode()).hexdigest())


def guids(*parts: str) -> Callable[[str], str]:
    """``guid(*parts, name)`` as a function of ``name``: the hash of the common start is
    taken once (a long session has a selection, a coding and a reference per turn)."""
    start = hashlib.sha1(_ROOT_BYTES + "/".join((*parts, "")).encode())

    def of(name: str) -> str:
        digest = start.copy()
        digest.update(name.encode())
        return _uuid5_text(digest.hexdigest())

    return of


def stamp(seconds: float) -> str:
    """``[hh:mm:ss]``, whole seconds (rounded down)."""
    return _stamp(max(0, int(seconds)))


@lru_cache(maxsize=1 << 16)
def _stamp(total: int) -> str:
    minutes, secs = divmod(total, 60)
    hours, mins = divmod(minutes, 60)
    return f"[{hours:02d}:{mins:02d}:{secs:02d}]"


def utc_time(summary: dict[str, Any]) -> str:
    """The session's start (else creation) as an ``xsd:dateTime`` in UTC: ``...T...Z``."""
    try:
        moment = datetime.fromisoformat(document_date(summary))
    except ValueError:
        return "1970-01-01T00:00:00Z"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Text:
    """The source text as it is written, with the position (in characters) it has reached."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.position = 0

    def write(self, text: str) -> int:
        """Append ``text``; return the position where it starts."""
        text = xml_text(text)  # no control characters, which QDA tools may drop on import
        start = self.position
        self.parts.append(text)
        self.position += len(text)
        return start

    def line(self, text: str = "") -> None:
        self.write(text + "\n")

    def value(self) -> str:
        return "".join(self.parts)


@dataclass
class SourceText:
    """The source's plain text and where things are in it, as (start, end) in characters."""

    text: str
    notes: dict[str, tuple[int, int]] = field(default_factory=dict)  # note id -> its text
    turns: dict[int, tuple[int, int]] = field(default_factory=dict)  # turn index -> its line


def _note_about(note: dict[str, Any]) -> str:
    about = [author_name(note["author"])]
    speaker = note_speaker(note)
    if speaker:
        about.append(_("about {speaker}", speaker=one_line(speaker)))
    about += [tag_word(tag) for tag in note["tags"]]
    return ", ".join(about)


UNATTRIBUTED = "unattributed"  # the speaker code of words spoken while nobody was marked


def spoken_turns(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """What the source's speaker lines are: the transcript's statements with their words
    (``text``) when the summary has a transcript, else the keyed turns (no words yet)."""
    section = summary.get("transcript")
    if not (section and section.get("statements")):
        return summary["turns"]
    return [
        {
            "start_s": s["start_s"],
            "end_s": s["end_s"],
            "who": s["who"] or UNATTRIBUTED,
            "label": s["label"] if s["who"] else _("Unattributed"),
            "text": s["text"],
        }
        for s in section["statements"]
        if s["text"]
    ]


def _turn_line(turn: dict[str, Any], start: float) -> str:
    """A speaker turn's line: ``[hh:mm:ss] Informant 1:``, for the words said after it (or
    with the words, from the transcript)."""
    line = f"{stamp(start)} {one_line(speaker_label(turn['who'], turn['label']))}:"
    return line + (f" {one_line(turn['text'])}" if turn.get("text") else "")


def source_text(summary: dict[str, Any]) -> SourceText:
    """The source's plain text, with where each note's text and each turn's line are."""
    session = summary["session"]
    with_names = bool(summary.get("with_names"))
    names: dict[str, str] = summary.get("names", {}) if with_names else {}
    offset = recording_offset(summary)
    out = _Text()
    if with_names:
        out.line(_("THIS FILE CONTAINS REAL NAMES. Keep it safe; do not share it."))
        out.line()
    out.line(session_line(summary))
    out.line(_("Guide: {guide}", guide=one_line(session["guide"])))
    out.line(clock_line(summary))
    turns = spoken_turns(summary)
    out.line(
        _(
            "One line per statement, with the words {model} heard, under the speaker keyed; "
            "the notes taken during the session are lines of their own.",
            model=one_line(summary["transcript"]["model"]),
        )
        if turns is not summary["turns"]
        else _(
            "One line per speaker turn, for the words said; the notes taken during the "
            "session are lines of their own."
        )
    )
    out.line()
    out.line(_("Speakers:"))
    for entry in speaker_legend(summary, names):
        out.line(f"- {entry}")

    phases = {p["id"]: p for p in summary["phases"]}
    questions = {q["id"]: q["text"] for p in summary["phases"] for q in p["questions"]}
    # (time, order at the same time, kind, item)
    items: list[tuple[float, int, str, Any]] = []
    for entry in summary["timeline"]:
        if entry["kind"] == "pause":
            items.append((max(0.0, entry["start_s"] - offset), 0, "pause", entry))
            continue
        if entry["kind"] != "question":
            continue
        if entry["end_s"] is not None and entry["end_s"] <= entry["start_s"]:
            continue  # passed through on the way to another question
        if entry["end_s"] is not None and entry["end_s"] <= offset:
            continue
        items.append((max(0.0, entry["start_s"] - offset), 0, "question", entry))
    turn_starts: dict[float, set[str]] = {}
    for index, turn in enumerate(turns):
        start = max(0.0, turn["start_s"] - offset)
        if turn["end_s"] - offset <= start:
            continue
        items.append((start, 2, "turn", index))
        turn_starts.setdefault(start, set()).add(turn["who"])
    for note in summary["notes"]:
        start = max(0.0, note["t_s"] - offset)
        # a note taken as a turn began goes with that turn if it is about its speaker
        order = 3 if note["speaker_id"] in turn_starts.get(start, set()) else 1
        items.append((start, order, "note", note))
    items.sort(key=lambda item: (item[0], item[1]))

    result = SourceText("")
    phase_now = None
    for start, _order, kind, item in items:
        if kind == "question":
            out.line()
            if item["phase"] != phase_now or not item["question"]:
                phase = phases.get(item["phase"], {}).get("title", item["phase"])
                out.line(f"{stamp(start)} {_('Phase')}: {one_line(phase)}")
                phase_now = item["phase"]
            if item["question"]:
                text = questions.get(item["question"], item["question"])
                out.line(f"{stamp(start)} {_('Question')}: {one_line(text)}")
            out.line()
        elif kind == "pause":
            wall = wall_s(item)
            what = _(
                "Break of {duration}. The session clock stood still; a recording that kept "
                "running is that much ahead from here.",
                duration=stamp(wall)[1:-1],
            )
            out.line(f"{stamp(start)} {what}")
        elif kind == "turn":
            line = xml_text(_turn_line(turns[item], start))
            begin = out.write(line)
            result.turns[item] = (begin, begin + len(line))
            out.line()
        else:
            out.write(f"{stamp(start)} {_('Note')} ({_note_about(item)}): ")
            text = one_line(xml_text(item["text"]))
            begin = out.write(text)
            result.notes[item["id"]] = (begin, begin + len(text))
            out.line()
    result.text = out.value()
    return result


def _memo_text(note: dict[str, Any], phases: dict[str, str], offset: float) -> str:
    """A note's memo: its text, then its time, author, speaker, tags, phase and question."""
    lines = [
        one_line(xml_text(note["text"])),
        "",
        f"{_('Time')}: {stamp(note['t_s'] - offset)[1:-1]}",
        f"{_('Noted by')}: {author_name(note['author'])}",
    ]
    speaker = note_speaker(note)
    if speaker:
        lines.append(f"{_('Speaker')}: {one_line(speaker)}")
    if note["tags"]:
        lines.append(f"{_('Tags')}: " + tags_text(note["tags"]))
    if note["phase"]:
        lines.append(f"{_('Phase')}: {one_line(phases.get(note['phase'], note['phase']))}")
    if note["question_text"]:
        lines.append(f"{_('Question')}: {one_line(note['question_text'])}")
    return "\n".join(lines)


def _short(text: str, length: int = 60) -> str:
    text = one_line(xml_text(text))
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# what a file name cannot hold on Windows, macOS or Linux, and what stands in for it
_NOT_IN_FILE_NAMES = str.maketrans(
    {":": " ", '"': "'", "<": "‹", ">": "›", "/": "-", "\\": "-", "|": "-", "?": "", "*": ""}
)


def file_name(name: str) -> str:
    """``name`` as a source's name: QDA programs save a source as a file of that name, so
    without the characters a file name cannot hold (``<>:"/\\|?*``, each replaced by a
    look-alike or left out), nor leading or trailing dots and spaces."""
    return " ".join(name.translate(_NOT_IN_FILE_NAMES).split()).strip(". ") or "session"


def _element(parent: ET.Element, tag: str, attributes: dict[str, str]) -> ET.Element:
    return ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)


# what ElementTree escapes in an attribute's value, in its order ("&" first)
_ATTRIBUTE_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\r", "&#13;"),
    ("\n", "&#10;"),
    ("\t", "&#09;"),
)


def _attribute(value: str) -> str:
    """An attribute's value escaped as ElementTree escapes it (``&<>"``, CR, LF and tab as
    references); most values need nothing, and are looked at without being copied."""
    for char, reference in _ATTRIBUTE_ESCAPES:
        if char in value:
            value = value.replace(char, reference)
    return value


def _text(value: str) -> str:
    """An element's text escaped as ElementTree escapes it (``&``, ``<`` and ``>``)."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def _attributes(attributes: dict[str, str]) -> str:
    """Attributes as ElementTree writes them: in order, escaped the same way."""
    return "".join([f' {name}="{_attribute(value)}"' for name, value in attributes.items()])


class _Bulk:
    """The many small elements of a long session (a selection per note and per speaker
    turn, a case's reference to each turn, a memo per note) written as text in exactly the
    form ElementTree gives them, and put in place after the rest is serialized:
    ElementTree's per-element serialization was most of a long session's export time (as
    in eaf.py)."""

    def __init__(self) -> None:
        self.blocks: list[list[str]] = []

    def at_end_of(self, parent: ET.Element) -> list[str]:
        """The lines to come after ``parent``'s children, indented as one of them."""
        ET.SubElement(parent, f"{{{NAMESPACE}}}Bulk{len(self.blocks)}")
        self.blocks.append([])
        return self.blocks[-1]

    def fill(self, document: str) -> str:
        places = sorted(
            (document.index(f"<Bulk{number} />"), number) for number in range(len(self.blocks))
        )
        pieces = []
        done = 0
        for at, number in places:
            indent = document[document.rindex("\n", 0, at) + 1 : at]
            pieces.append(document[done:at])
            pieces.append(("\n" + indent).join(self.blocks[number]))
            done = at + len(f"<Bulk{number} />")
        pieces.append(document[done:])
        return "".join(pieces)


def _unique_names(wanted: list[str]) -> list[str]:
    """``wanted`` with a repeated name numbered: ``name (2)``, ``name (3)``..."""
    taken: set[str] = set()
    out = []
    for name in wanted:
        candidate, number = name, 2
        while candidate in taken:
            candidate = f"{name} ({number})"
            number += 1
        taken.add(candidate)
        out.append(candidate)
    return out


@dataclass
class _Media:
    """The recording as it goes into the archive."""

    path: Path  # where it is on disk
    guid: str
    name: str  # the source's name: the file name QDA programs give it (.wav)


def _media(summary: dict[str, Any], folder: Path | None) -> _Media | None:
    recording = summary["session"].get("recording")
    if not recording or folder is None:
        return None
    path = Path(folder) / str(recording)
    sid = summary["session"]["id"]
    return _Media(path, guid(sid, "source", "recording"), f"{sid}{path.suffix}")


def project_xml(
    summary: dict[str, Any], text_guid: str, text: SourceText, media: _Media | None = None
) -> tuple[str, dict[str, str]]:
    """``project.qde``: the project as REFI-QDA XML; and the memos' texts by their GUID,
    each to be written to ``Sources/<guid>.txt``."""
    session = summary["session"]
    sid = session["id"]
    when = utc_time(summary)
    notes = summary["notes"]
    offset = recording_offset(summary)
    phases = {p["id"]: p["title"] for p in summary["phases"]}
    study = str(session.get("study") or "")
    with_names = bool(summary.get("with_names"))
    names: dict[str, str] = summary.get("names", {}) if with_names else {}
    # each note's memo GUID and short name, used by its selection and by its memo
    memo_guids = {n["id"]: guid(sid, "memo", n["id"]) for n in notes}
    short_names = {n["id"]: _short(n["text"]) for n in notes}
    memo_names = dict(
        zip(
            [n["id"] for n in notes],
            _unique_names([f"{stamp(n['t_s'] - offset)} {short_names[n['id']]}" for n in notes]),
            strict=True,
        )
    )

    authors = [MODERATOR] + sorted({n["author"] for n in notes} - {MODERATOR})
    users = {author: guid(sid, "user", author) for author in authors}
    tags = list(TAGS) + sorted({t for n in notes for t in n["tags"]} - set(TAGS))
    codes = {tag: guid("code", tag) for tag in tags}
    scope = study or sid  # a speaker is the same code and case across a study's sessions
    speakers = [(pid, label, role) for pid, label, role in voices(summary)]
    known = {pid for pid, _l, _r in speakers}
    turns = spoken_turns(summary)
    for turn in turns:  # a speaker no longer on the roster (or nobody marked) keeps a code
        if turn["who"] not in known:
            known.add(turn["who"])
            speakers.append((turn["who"], one_line(turn["label"] or turn["who"]), ""))
    speaker_codes = {pid: guid("speaker", scope, pid) for pid, _l, _r in speakers}
    speaker_names = dict(
        zip(
            [pid for pid, _l, _r in speakers],
            _unique_names([xml_text(label) or pid for pid, label, _r in speakers]),
            strict=True,
        )
    )

    ET.register_namespace("", NAMESPACE)
    root = ET.Element(
        f"{{{NAMESPACE}}}Project",
        {
            "name": xml_text(one_line(session["title"]) or sid),
            "origin": ORIGIN,
            "creatingUserGUID": users[MODERATOR],
            "creationDateTime": when,
        },
    )
    users_element = _element(root, "Users", {})
    for author in authors:
        _element(users_element, "User", {"guid": users[author], "name": author_name(author)})

    # --- the code book: the tags, and the speakers ------------------------------------------
    codes_element = _element(_element(root, "CodeBook", {}), "Codes", {})
    tag_group = _element(
        codes_element,
        "Code",
        {"guid": guid("code-group", "tags"), "name": _("Tags"), "isCodable": "false"},
    )
    _element(tag_group, "Description", {}).text = _("The tags of the notes taken in the session")
    for tag in tags:
        attributes = {"guid": codes[tag], "name": tag_word(tag).lstrip("#"), "isCodable": "true"}
        if tag in CODE_COLOURS:
            attributes["color"] = CODE_COLOURS[tag]
        code = _element(tag_group, "Code", attributes)
        if code_description(tag):
            _element(code, "Description", {}).text = code_description(tag)
    speaker_group = _element(
        codes_element,
        "Code",
        {
            "guid": guid("code-group", "speakers", scope),
            "name": _("Speakers"),
            "isCodable": "false",
        },
    )
    _element(speaker_group, "Description", {}).text = _(
        "Who held the floor: each speaker turn is coded with its speaker"
    )
    for number, (pid, _label, role) in enumerate(speakers):
        code = _element(
            speaker_group,
            "Code",
            {
                "guid": speaker_codes[pid],
                "name": speaker_names[pid],
                "isCodable": "true",
                "color": SPEAKER_COLOURS[number % len(SPEAKER_COLOURS)],
            },
        )
        about = _("The moderator's turns") if pid == MODERATOR else _("Turns of {who}", who=pid)
        if role:
            about += f" ({xml_text(role)})"
        _element(code, "Description", {}).text = about

    # --- variables and cases: the participants ----------------------------------------------
    variables = [("role", _("Role"), "Text"), ("stage", _("Stage"), "Integer")]
    if study:
        variables.append(("study", _("Study"), "Text"))
    variable_guids = {key: guid("variable", key) for key, _n, _t in variables}
    variables_element = _element(root, "Variables", {})
    for key, name, kind in variables:
        variable = _element(
            variables_element,
            "Variable",
            {"guid": variable_guids[key], "name": name, "typeOfVariable": kind},
        )
        _element(variable, "Description", {}).text = {
            "role": _("The participant's role, as on the roster"),
            "stage": _("The stage of the multi-stage focus group"),
            "study": _("The study the session belongs to"),
        }[key]
    turn_guid = guids(sid, "turn")
    text_selections = {
        index: turn_guid(str(index)) for index in text.turns
    }  # the turns' selections in the text
    audio_turns = _audio_turns(turns, offset) if media else []
    audio_turn_guid = guids(sid, "audio-turn")
    audio_selections = {index: audio_turn_guid(str(index)) for index, *_x in audio_turns}
    source_guids = [text_guid] + ([media.guid] if media else [])
    # each speaker's selections, in the text's and then the audio's turn order
    refs_of: dict[str, list[str]] = {}
    for selections in (text_selections, audio_selections):
        for index, selection_guid in selections.items():
            refs_of.setdefault(turns[index]["who"], []).append(selection_guid)
    bulk = _Bulk()
    if summary["participants"]:
        cases = _element(root, "Cases", {})
        for p in summary["participants"]:
            case = _element(
                cases,
                "Case",
                {"guid": guid("case", scope, p["id"]), "name": speaker_names[p["id"]]},
            )
            description = [one_line(p["role"] or "")] if p["role"] else []
            if names.get(p["id"]):
                description.append(_("Real name: {name}", name=one_line(names[p["id"]])))
            if description:
                _element(case, "Description", {}).text = xml_text("\n".join(description))
            _element(case, "CodeRef", {"targetGUID": speaker_codes[p["id"]]})
            values = {"role": one_line(p["role"] or ""), "stage": str(session["stage"])}
            if study:
                values["study"] = study
            for key, _name, kind in variables:
                if not values[key]:
                    continue  # no role: no value, rather than an empty one
                value = _element(case, "VariableValue", {})
                _element(value, "VariableRef", {"targetGUID": variable_guids[key]})
                value_tag = "IntegerValue" if kind == "Integer" else "TextValue"
                _element(value, value_tag, {}).text = xml_text(values[key])
            for source_guid in source_guids:
                _element(case, "SourceRef", {"targetGUID": source_guid})
            refs = refs_of.get(p["id"])
            if refs:
                bulk.at_end_of(case).extend(f'<SelectionRef targetGUID="{g}" />' for g in refs)

    # --- the sources: the session's text, and the recording ---------------------------------
    sources = _element(root, "Sources", {})
    source = _element(
        sources,
        "TextSource",
        {
            "guid": text_guid,
            "name": file_name(xml_text(f"{one_line(session['title'])} ({sid})")),
            "plainTextPath": f"internal://{text_guid}.txt",
            "creatingUser": users[MODERATOR],
            "creationDateTime": when,
        },
    )
    _element(source, "Description", {}).text = xml_text(
        _(
            "The session's transcript: each statement with its words, coded with its "
            "speaker, and the notes taken during the session, coded with their tags."
        )
        if turns is not summary["turns"]
        else _(
            "The session as a transcript skeleton: speaker turns to transcribe, each coded "
            "with its speaker, and the notes taken during the session, coded with their tags."
        )
    )
    # what is the same in every selection, coding and memo: escaped once
    made_by = {
        author: f' creatingUser="{_attribute(user)}" creationDateTime="{_attribute(when)}"'
        for author, user in users.items()
    }
    by_moderator = made_by[MODERATOR]
    code_refs = {tag: f'<CodeRef targetGUID="{_attribute(code)}" />' for tag, code in codes.items()}
    speaker_refs = {
        pid: f'    <CodeRef targetGUID="{_attribute(code)}" />'
        for pid, code in speaker_codes.items()
    }
    turn_names = {pid: _attribute(xml_text(name)) for pid, name in speaker_names.items()}
    memo_texts: dict[str, str] = {}
    note_selection = guids(sid, "selection")
    lines = bulk.at_end_of(source) if notes else []
    for note in notes:
        start, end = text.notes[note["id"]]
        author = made_by[note["author"]]
        lines.append(
            f'<PlainTextSelection guid="{_attribute(note_selection(note["id"]))}" '
            f'name="{_attribute(short_names[note["id"]])}" startPosition="{start}" '
            f'endPosition="{end}"{author}>'
        )
        memo = xml_text(_memo_text(note, phases, offset))
        memo_texts[memo_guids[note["id"]]] = memo
        lines.append(f"  <Description>{_text(memo)}</Description>")
        for tag in note["tags"]:
            coding = guid(sid, "coding", note["id"], tag)
            lines.append(f'  <Coding guid="{_attribute(coding)}"{author}>')
            lines.append(f"    {code_refs[tag]}")
            lines.append("  </Coding>")
        lines.append(f'  <NoteRef targetGUID="{_attribute(memo_guids[note["id"]])}" />')
        lines.append("</PlainTextSelection>")
    # the turns' selections after the notes' (the order of selections means nothing)
    turn_coding = guids(sid, "turn-coding")
    lines = bulk.at_end_of(source) if text.turns else []
    for index, (start, end) in text.turns.items():
        turn = turns[index]
        lines += (
            f'<PlainTextSelection guid="{text_selections[index]}" '
            f'name="{turn_names[turn["who"]]} {stamp(turn["start_s"] - offset)}" '
            f'startPosition="{start}" endPosition="{end}"{by_moderator}>',
            f'  <Coding guid="{turn_coding(str(index))}"{by_moderator}>',
            speaker_refs[turn["who"]],
            "  </Coding>",
            "</PlainTextSelection>",
        )

    if media:
        audio = _element(
            sources,
            "AudioSource",
            {
                "guid": media.guid,
                "name": xml_text(media.name),
                "path": f"internal://{media.guid}{media.path.suffix}",
                "creatingUser": users[MODERATOR],
                "creationDateTime": when,
            },
        )
        _element(audio, "Description", {}).text = xml_text(
            _(
                "The recording on the session clock: a second in it is the same second in the "
                "text's time stamps. Each speaker turn is coded with its speaker."
            )
        )
        if turns is not summary["turns"]:
            # the transcript again, synchronised with the audio: a sync point at the start
            # of each statement's line, at the moment its first word begins
            transcript_guid = guid(sid, "source", "transcript")
            transcript = _element(
                audio,
                "Transcript",
                {
                    "guid": transcript_guid,
                    "name": xml_text(f"{one_line(session['title'])} ({sid})"),
                    "plainTextPath": f"internal://{transcript_guid}.txt",
                    "creatingUser": users[MODERATOR],
                    "creationDateTime": when,
                },
            )
            memo_texts[transcript_guid] = text.text
            for index, (start, _end) in sorted(text.turns.items(), key=lambda i: i[1][0]):
                _element(
                    transcript,
                    "SyncPoint",
                    {
                        "guid": guid(sid, "sync", str(index)),
                        "timeStamp": str(max(0, ms(turns[index]["start_s"] - offset))),
                        "position": str(start),
                    },
                )
        lines = bulk.at_end_of(audio) if audio_turns else []
        audio_coding = guids(sid, "audio-coding")
        for index, begin, end in audio_turns:
            turn = turns[index]
            lines += (
                f'<AudioSelection guid="{audio_selections[index]}" '
                f'name="{turn_names[turn["who"]]} {stamp(turn["start_s"] - offset)}" '
                f'begin="{begin}" end="{end}"{by_moderator}>',
                f'  <Coding guid="{audio_coding(str(index))}"{by_moderator}>',
                speaker_refs[turn["who"]],
                "  </Coding>",
                "</AudioSelection>",
            )

    # --- the notes as memos ------------------------------------------------------------------
    if notes:
        memos = bulk.at_end_of(_element(root, "Notes", {}))
        for note in notes:
            memo_guid = _attribute(memo_guids[note["id"]])
            memos.append(
                f'<Note guid="{memo_guid}" name="{_attribute(memo_names[note["id"]])}" '
                f'plainTextPath="internal://{memo_guid}.txt"{made_by[note["author"]]} />'
            )

    # --- the project memo: the moderator's summary -------------------------------------------
    description = []
    if with_names:
        description.append(_("This file contains real names. Keep it safe; do not share it."))
        description.append("")
    description.append(render_markdown(summary).strip())
    _element(root, "Description", {}).text = xml_text("\n".join(description))

    ET.indent(root, space="  ")
    document = bulk.fill(ET.tostring(root, "unicode"))
    xml = '<?xml version="1.0" encoding="utf-8"?>\n' + document + "\n"
    return xml, memo_texts


def _audio_turns(turns: list[dict[str, Any]], offset: float) -> list[tuple[int, int, int]]:
    """(turn index, begin ms, end ms) of each turn of some length, on the recording's clock."""
    out = []
    for index, turn in enumerate(turns):
        begin, end = ms(turn["start_s"] - offset), ms(turn["end_s"] - offset)
        if end > begin:
            out.append((index, begin, end))
    return out


def zip_time(summary: dict[str, Any]) -> tuple[int, int, int, int, int, int]:
    """The session's start as a zip entry's time (zip times begin in 1980)."""
    try:
        moment = datetime.fromisoformat(document_date(summary))
    except ValueError:
        return (1980, 1, 1, 0, 0, 0)
    if moment.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _entry(summary: dict[str, Any], name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=zip_time(summary))
    info.compress_type = compress
    info.create_system = 3  # Unix, whatever system writes it
    info.external_attr = 0o100644 << 16
    return info


@paused_collection
def write_qdpx(
    summary: dict[str, Any],
    out: IO[bytes],
    folder: Path | None = None,
    target: Path | None = None,
) -> None:
    """Write the session as a REFI-QDA project (see the module) to ``out``: the recording
    (when the session has one; ``folder`` is the session folder it is in) is copied in a
    megabyte at a time, so that a long session's audio never has to fit in memory.
    ``target`` (where the file goes) changes nothing: the project links nothing outside it."""
    del target
    sid = summary["session"]["id"]
    text_guid = guid(sid, "source", "session")
    media = _media(summary, folder)
    if media is not None and not media.path.is_file():
        raise FileNotFoundError(media.path)
    text = source_text(summary)
    xml, memos = project_xml(summary, text_guid, text, media)
    entries = [("project.qde", xml), (f"Sources/{text_guid}.txt", text.text)]
    entries += [(f"Sources/{memo_guid}.txt", memo) for memo_guid, memo in memos.items()]
    with zipfile.ZipFile(out, "w") as archive:
        for number, (name, data) in enumerate(entries):
            # the project and the text deflated (at the fastest level: a long session's
            # project is megabytes of XML, and level 1 makes it a fifth larger than the
            # default in a third of the time); the memos, small and many, stored: a
            # compressor set up per memo was half the time of a long session's export
            compress = zipfile.ZIP_DEFLATED if number < 2 else zipfile.ZIP_STORED
            entry = _entry(summary, name, compress)
            archive.writestr(entry, data.encode("utf-8"), compresslevel=1)
        if media is not None:
            info = _entry(summary, f"Sources/{media.guid}{media.path.suffix}", zipfile.ZIP_STORED)
            with media.path.open("rb") as audio, archive.open(info, "w", force_zip64=True) as dst:
                shutil.copyfileobj(audio, dst, COPY_CHUNK)


def render_qdpx(
    summary: dict[str, Any], folder: Path | None = None, target: Path | None = None
) -> bytes:
    """The session as a REFI-QDA project: the bytes of a ``.qdpx`` zip (see the module)."""
    buffer = io.BytesIO()
    write_qdpx(summary, buffer, folder, target)
    return buffer.getvalue()
