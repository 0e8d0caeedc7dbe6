"""A REFI-QDA project (``.qdpx``) for QDA software: QualCoder, NVivo, ATLAS.ti, MAXQDA.

The file is a zip archive in the REFI-QDA Project exchange format 1.0 (QDA-XML,
``urn:QDA-XML:project:1.0``; the schema, ``Project.xsd``, is vendored in
``tests/schemas/`` and checked by the tests):

- ``project.qde``: the project as XML;
- ``Sources/<guid>.txt``: the session as plain text (UTF-8, no byte order mark, ``\\n``
  line ends), which the project's one ``TextSource`` names as
  ``plainTextPath="internal://<guid>.txt"``.

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
- ``CodeBook``: one code per note tag (``quote``, ``theme``, ``follow-up``,
  ``observation``, ``summary``, ``between``), with a description and a colour.
- ``Sources``: the text source. Each note's text in it is a ``PlainTextSelection``
  (``startPosition`` and ``endPosition`` count characters, Unicode code points, from 0,
  the end exclusive: ``text[start:end]`` is the note, on one line and without control
  characters) coded with the note's tags, written by the note's author, and referring to
  the note's memo. An untagged note is a selection with its memo and no coding.
- ``Notes``: a memo per note with its time, author, speaker, tags, phase and question.

Identifiers are name-based UUIDs (version 5) of the session's id and each item's, and
the zip's entries carry a fixed time (the session's start), so the same session always
gives the same bytes. A code's GUID depends on its tag alone, so that a tag is the same
code in every session's project.

Names: pseudonyms only. With real names asked for (``with_names``), the project's
description and the source's first line say that the file contains real names, and the
header's speaker list gives each pseudonym's name.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from typing import Any

from facilitator.core.notes import TAGS
from facilitator.exports.csv_matrix import author_name, note_speaker
from facilitator.exports.eaf import document_date, xml_text
from facilitator.exports.markdown import wall_s
from facilitator.exports.subtitles import (
    MODERATOR,
    clock_line,
    one_line,
    recording_offset,
    session_line,
    speaker_label,
    speaker_legend,
)
from facilitator.i18n import _

NAMESPACE = "urn:QDA-XML:project:1.0"
ORIGIN = "facilitator"
GUID_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, "facilitator:qdpx")
_GUID_ROOT_BYTES = GUID_ROOT.bytes

CODE_COLOURS = {
    "quote": "#4C72B0",
    "theme": "#55A868",
    "follow-up": "#C44E52",
    "observation": "#8172B2",
    "summary": "#CCB974",
    "between": "#64B5CD",
}


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


def guid(*parts: str) -> str:
    """A name-based UUID (version 5) for the item named by ``parts``: ``uuid.uuid5``'s value,
    made without its ``UUID`` object (a long session's project names thousands of items)."""
    digest = bytearray(hashlib.sha1(_GUID_ROOT_BYTES + "/".join(parts).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def stamp(seconds: float) -> str:
    """``[hh:mm:ss]``, whole seconds (rounded down)."""
    total = max(0, int(seconds))
    minutes, secs = divmod(total, 60)
    hours, mins = divmod(minutes, 60)
    return f"[{hours:02d}:{mins:02d}:{secs:02d}]"


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


def _note_about(note: dict[str, Any]) -> str:
    about = [author_name(note["author"])]
    speaker = note_speaker(note)
    if speaker:
        about.append(_("about {speaker}", speaker=one_line(speaker)))
    about += [f"#{tag}" for tag in note["tags"]]
    return ", ".join(about)


def source_text(summary: dict[str, Any]) -> tuple[str, dict[str, tuple[int, int]]]:
    """The source's plain text, and where each note's text is in it: id -> (start, end)."""
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
    out.line(
        _(
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
    items: list[tuple[float, int, str, dict[str, Any]]] = []
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
    for turn in summary["turns"]:
        start = max(0.0, turn["start_s"] - offset)
        if turn["end_s"] - offset <= start:
            continue
        items.append((start, 2, "turn", turn))
        turn_starts.setdefault(start, set()).add(turn["who"])
    for note in summary["notes"]:
        start = max(0.0, note["t_s"] - offset)
        # a note taken as a turn began goes with that turn if it is about its speaker
        order = 3 if note["speaker_id"] in turn_starts.get(start, set()) else 1
        items.append((start, order, "note", note))
    items.sort(key=lambda item: (item[0], item[1]))

    spans: dict[str, tuple[int, int]] = {}
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
            out.line(f"{stamp(start)} {speaker_label(item['who'], item['label'])}:")
        else:
            out.write(f"{stamp(start)} {_('Note')} ({_note_about(item)}): ")
            text = one_line(xml_text(item["text"]))
            begin = out.write(text)
            spans[item["id"]] = (begin, begin + len(text))
            out.line()
    return out.value(), spans


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
        lines.append(f"{_('Tags')}: " + " ".join(f"#{tag}" for tag in note["tags"]))
    if note["phase"]:
        lines.append(f"{_('Phase')}: {one_line(phases.get(note['phase'], note['phase']))}")
    if note["question_text"]:
        lines.append(f"{_('Question')}: {one_line(note['question_text'])}")
    return "\n".join(lines)


def _short(text: str, length: int = 60) -> str:
    text = one_line(xml_text(text))
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _element(parent: ET.Element, tag: str, attributes: dict[str, str]) -> ET.Element:
    return ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)


def project_xml(summary: dict[str, Any], text_guid: str, spans: dict[str, tuple[int, int]]) -> str:
    """``project.qde``: the project as REFI-QDA XML."""
    session = summary["session"]
    sid = session["id"]
    when = document_date(summary)
    notes = summary["notes"]
    offset = recording_offset(summary)
    phases = {p["id"]: p["title"] for p in summary["phases"]}
    # each note's memo GUID and short name, used by its selection and by its memo
    memo_guids = {n["id"]: guid(sid, "memo", n["id"]) for n in notes}
    short_names = {n["id"]: _short(n["text"]) for n in notes}

    authors = [MODERATOR] + sorted({n["author"] for n in notes} - {MODERATOR})
    users = {author: guid(sid, "user", author) for author in authors}
    tags = list(TAGS) + sorted({t for n in notes for t in n["tags"]} - set(TAGS))
    codes = {tag: guid("code", tag) for tag in tags}

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

    codes_element = _element(_element(root, "CodeBook", {}), "Codes", {})
    for tag in tags:
        attributes = {"guid": codes[tag], "name": tag, "isCodable": "true"}
        if tag in CODE_COLOURS:
            attributes["color"] = CODE_COLOURS[tag]
        code = _element(codes_element, "Code", attributes)
        if code_description(tag):
            _element(code, "Description", {}).text = code_description(tag)

    sources = _element(root, "Sources", {})
    source = _element(
        sources,
        "TextSource",
        {
            "guid": text_guid,
            "name": xml_text(f"{one_line(session['title'])} ({sid})"),
            "plainTextPath": f"internal://{text_guid}.txt",
            "creatingUser": users[MODERATOR],
            "creationDateTime": when,
        },
    )
    _element(source, "Description", {}).text = xml_text(
        _(
            "The session as a transcript skeleton: speaker turns to transcribe, and the notes "
            "taken during the session, coded with their tags."
        )
    )
    for note in notes:
        start, end = spans[note["id"]]
        selection = _element(
            source,
            "PlainTextSelection",
            {
                "guid": guid(sid, "selection", note["id"]),
                "name": short_names[note["id"]],
                "startPosition": str(start),
                "endPosition": str(end),
                "creatingUser": users[note["author"]],
            },
        )
        for tag in note["tags"]:
            coding = _element(
                selection,
                "Coding",
                {
                    "guid": guid(sid, "coding", note["id"], tag),
                    "creatingUser": users[note["author"]],
                },
            )
            _element(coding, "CodeRef", {"targetGUID": codes[tag]})
        _element(selection, "NoteRef", {"targetGUID": memo_guids[note["id"]]})

    if notes:
        memos = _element(root, "Notes", {})
        for note in notes:
            memo = _element(
                memos,
                "Note",
                {
                    "guid": memo_guids[note["id"]],
                    "name": f"{stamp(note['t_s'] - offset)} {short_names[note['id']]}",
                    "creatingUser": users[note["author"]],
                },
            )
            _element(memo, "PlainTextContent", {}).text = xml_text(_memo_text(note, phases, offset))

    description = [session_line(summary), _("Guide: {guide}", guide=one_line(session["guide"]))]
    if summary.get("with_names"):
        description.insert(0, _("This file contains real names. Keep it safe; do not share it."))
    _element(root, "Description", {}).text = xml_text("\n".join(description))

    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def zip_time(summary: dict[str, Any]) -> tuple[int, int, int, int, int, int]:
    """The session's start as a zip entry's time (zip times begin in 1980)."""
    try:
        moment = datetime.fromisoformat(document_date(summary))
    except ValueError:
        return (1980, 1, 1, 0, 0, 0)
    if moment.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def render_qdpx(summary: dict[str, Any]) -> bytes:
    """The session as a REFI-QDA project: the bytes of a ``.qdpx`` zip (see the module)."""
    text_guid = guid(summary["session"]["id"], "source", "session")
    text, spans = source_text(summary)
    entries = [
        ("project.qde", project_xml(summary, text_guid, spans).encode("utf-8")),
        (f"Sources/{text_guid}.txt", text.encode("utf-8")),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=zip_time(summary))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever system writes it
            info.external_attr = 0o100644 << 16
            # the fastest deflate: a long session's project is megabytes of XML, and level 1
            # makes it a fifth larger than the default in a third of the time
            archive.writestr(info, data, compresslevel=1)
    return buffer.getvalue()
