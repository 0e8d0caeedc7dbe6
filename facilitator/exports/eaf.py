"""ELAN 3.0 (``.eaf``): a tier per speaker and tiers for the notes, in milliseconds.

Open the file in ELAN (File > Open) to see who held the floor when, as the talk tracking
recorded it, and transcribe each turn in its annotation. The document follows the EAF 3.0
schema (``http://www.mpi.nl/tools/elan/EAFv3.0.xsd``, vendored in
``tests/schemas/EAFv3.0.xsd`` and checked by the tests).

Document. ``ANNOTATION_DOCUMENT`` with ``FORMAT="3.0"`` and ``VERSION="3.0"``; ``AUTHOR``
is ``facilitator`` (the summary has no person to name) and ``DATE`` the moment the
session started (else was created), so the same session always gives the same file.

Header. ``TIME_UNITS="milliseconds"``. When the session has a recording
(``summary["session"]["recording"]``: the session-clock audio export, a WAV file, relative
to the session folder) a ``MEDIA_DESCRIPTOR`` links it, so that ELAN opens the file and the
audio together: ``MEDIA_URL`` is the file's absolute ``file://`` URL (the session folder is
passed to ``render_eaf``), ``RELATIVE_MEDIA_URL`` its path relative to the folder the EAF is
written to (``../audio/exports/<id>.wav`` from the session's ``exports/``), which ELAN tries
when the absolute one is not found (the session folder moved or copied whole), and
``MIME_TYPE`` ``audio/x-wav``. The audio starts with the session clock (silence where
nothing was recorded), so no ``TIME_ORIGIN`` is needed; only when the times are shifted by
a ``recording_offset_s`` (below) does ``TIME_ORIGIN`` say where in the audio time 0 is.
Without a recording the header holds only properties, which the schema allows; ELAN opens
such a file and lets one link the media later (Edit > Linked Files). Properties: the
``URN`` and ``lastUsedAnnotationId`` ELAN keeps, and ``facilitator.*`` ones naming the
session, study, stage and guide.

Times. Time slots are on the session clock in whole milliseconds (seconds × 1000,
rounded): from the start of the session, breaks not counted. If ``summary["session"]``
has a ``recording_offset_s`` (the session-clock time at which the recording started), it
is subtracted, as in the subtitles, so that times are positions in the recording; what
ended before the recording started is left out, and what was going on is cut to start
at 0. Every annotation has its own two time slots; the slots are numbered ``ts1``,
``ts2``... in time order.

Tiers. One per speaker: the moderator first (``Moderator``), then every participant in
roster order, each with ``TIER_ID`` and ``PARTICIPANT`` set to the pseudonym; a speaker
with no turns keeps an empty tier for the transcriber. Each turn is an alignable
annotation with an empty value, for the transcription; a turn of no length is left out.
When the session has a transcript (``facilitator transcribe``), each speaker's tier holds
their statements instead, each an annotation with its words, and words spoken while nobody
was marked are on a tier of their own, ``Unattributed`` (no ``PARTICIPANT``).
The notes are annotations on the ``Notes`` tier, each starting at the note's time and
lasting a second (cut short at the end of the session); the value is the note with its
speaker and tags, ``[Informant 1] Vi møter familiene på kontoret #quote``. ELAN does not
allow annotations on one tier to overlap, so notes less than a second apart go on further
tiers, ``Notes 2``, ``Notes 3``..., as many as needed.

Types. ``utterance`` (the speakers' tiers) and ``note`` (the notes' tiers), both time
alignable; a ``LANGUAGE`` for the guide's language (ISO 639-3 where known), referred to
by the speakers' tiers; and the four ``CONSTRAINT`` stereotypes ELAN itself writes.

Names: pseudonyms only. With real names asked for (``with_names``), the ``PARTICIPANT``
attribute of a speaker's tier holds the real name (the tier keeps the pseudonym) and a
header property ``facilitator.realNames`` says that the file contains real names.
"""

from __future__ import annotations

import os
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from xml.sax.saxutils import escape  # &, < and >: character data as ElementTree writes it

from facilitator.core.collect import paused_collection
from facilitator.core.notes import tags_text
from facilitator.exports.csv_matrix import note_speaker
from facilitator.exports.subtitles import one_line, recording_offset, voices
from facilitator.i18n import _

SCHEMA_LOCATION = "http://www.mpi.nl/tools/elan/EAFv3.0.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
AUTHOR = "facilitator"
NOTE_MS = 1000  # how long a note's annotation lasts
UTTERANCE = "utterance"
NOTE = "note"

# ISO 639-1 (the guide's ``language``) to the ISO 639-3 codes ELAN's language list uses.
ISO_639_3 = {
    "nb": ("nob", "Norwegian Bokmål"),
    "nn": ("nno", "Norwegian Nynorsk"),
    "no": ("nor", "Norwegian"),
    "en": ("eng", "English"),
    "sv": ("swe", "Swedish"),
    "da": ("dan", "Danish"),
    "de": ("deu", "German"),
    "fr": ("fra", "French"),
    "es": ("spa", "Spanish"),
    "fi": ("fin", "Finnish"),
    "is": ("isl", "Icelandic"),
    "se": ("sme", "Northern Sami"),
}

# The stereotypes ELAN writes into every document, with its own descriptions.
CONSTRAINTS = [
    (
        "Time_Subdivision",
        "Time subdivision of parent annotation's time interval, no time gaps allowed within "
        "this interval",
    ),
    (
        "Symbolic_Subdivision",
        "Symbolic subdivision of a parent annotation. Annotations refering to the same parent "
        "are ordered",
    ),
    ("Symbolic_Association", "1-1 association with a parent annotation"),
    (
        "Included_In",
        "Time alignable annotations within the parent annotation's time interval, gaps are allowed",
    ),
]

MIME_TYPES = {
    ".wav": "audio/x-wav",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".mpg": "video/mpeg",
    ".mpeg": "video/mpeg",
    ".webm": "video/webm",
}

# Characters XML 1.0 cannot carry at all, not even as references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    """``text`` without the characters an XML 1.0 document cannot hold."""
    return _NOT_XML.sub("", text)


def ms(seconds: float) -> int:
    """Whole milliseconds, never negative."""
    return max(0, round(seconds * 1000))


def document_date(summary: dict[str, Any]) -> str:
    """The session's start (else its creation) as an ISO date-time with a zone."""
    s = summary["session"]
    return s.get("started_at") or s.get("created_at") or "1970-01-01T00:00:00+00:00"


def media_descriptor(recording: str, relative: str | None = None) -> dict[str, str]:
    """The ``MEDIA_DESCRIPTOR`` attributes for a recording at the path ``recording``;
    ``relative``: its path relative to the EAF's folder (default: beside it).

    The URL is written as ELAN writes it: ``file://`` and the path as it is, spaces and
    letters such as ø included (ELAN does not read percent-encoded paths back)."""
    windows = PureWindowsPath(recording)
    if windows.drive:  # C:\\... : an absolute Windows path
        url = "file:///" + windows.as_posix()
        name = windows.name
    else:
        path = PurePosixPath(recording)
        url = "file://" + str(path) if path.is_absolute() else str(path)
        name = path.name
    if relative is None:
        relative = "./" + name
    elif not relative.startswith(("./", "../")):
        relative = "./" + relative
    return {
        "MEDIA_URL": url,
        "MIME_TYPE": MIME_TYPES.get(PurePosixPath(name).suffix.lower(), "unknown"),
        "RELATIVE_MEDIA_URL": relative,
    }


def media_paths(
    summary: dict[str, Any], folder: Path | None, target: Path | None
) -> tuple[str, str | None] | None:
    """The recording's path (absolute when ``folder``, the session folder, is known) and its
    path relative to the folder of ``target`` (default: the session's ``exports/``)."""
    recording = summary["session"].get("recording")
    if not recording:
        return None
    if folder is None:
        return str(recording), None
    media = (Path(folder) / str(recording)).absolute()
    where = Path(target).absolute().parent if target else Path(folder).absolute() / "exports"
    relative = Path(os.path.relpath(media, where)).as_posix()
    return media.as_posix(), relative


def unique_tier_name(name: str, pid: str, taken: set[str]) -> str:
    """``name``, or ``name (pid)`` (then numbered) if another tier has it already (ELAN and
    TextGrid tiers are named alike)."""
    candidate = name or pid
    if candidate in taken:
        candidate = f"{name} ({pid})"
    number = 2
    while candidate in taken:
        candidate = f"{name} ({pid}) {number}"
        number += 1
    taken.add(candidate)
    return candidate


def note_value(note: dict[str, Any]) -> str:
    """A note as one line: ``[speaker] text #tag #tag``."""
    speaker = note_speaker(note)
    value = (f"[{one_line(speaker)}] " if speaker else "") + one_line(xml_text(note["text"]))
    if note["tags"]:
        value += " " + tags_text(note["tags"])
    return value


def _note_lanes(
    summary: dict[str, Any], offset: float, end_ms: int
) -> list[list[tuple[int, int, str]]]:
    """The notes as (start, end, value), spread over as few tiers as keep them apart."""
    lanes: list[list[tuple[int, int, str]]] = []
    for note in sorted(summary["notes"], key=lambda n: n["t_s"]):
        start = ms(note["t_s"] - offset)
        end = min(start + NOTE_MS, end_ms)
        if end <= start:  # at (or after) the very end: the last second instead
            start, end = max(0, end_ms - NOTE_MS), end_ms
        if end <= start:  # a session of no length: the note keeps its second
            end = start + NOTE_MS
        for lane in lanes:
            if lane[-1][1] <= start:
                lane.append((start, end, note_value(note)))
                break
        else:
            lanes.append([(start, end, note_value(note))])
    return lanes


def _spans(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """What the speakers' tiers hold: the statements with their words when the summary has
    a transcript, else the turns (empty, for the transcriber)."""
    section = summary.get("transcript")
    if section and section.get("statements"):
        return [s for s in section["statements"] if s["text"]]
    return summary["turns"]


@paused_collection
def render_eaf(
    summary: dict[str, Any], folder: Path | None = None, target: Path | None = None
) -> str:
    """The session as an ELAN 3.0 document (see the module). ``folder``: the session folder
    (where the recording is); ``target``: where the document is written."""
    session = summary["session"]
    with_names = bool(summary.get("with_names"))
    names: dict[str, str] = summary.get("names", {}) if with_names else {}
    offset = recording_offset(summary)
    end_ms = ms(session["duration_s"] - offset)

    # Tiers: (tier id, participant, linguistic type, [(start ms, end ms, value)])
    taken: set[str] = set()
    notes_name = _("Notes")
    taken.add(notes_name)
    speaker_tiers: dict[str | None, tuple[str, str, list[tuple[int, int, str]]]] = {}
    for pid, label, _role in voices(summary):
        tier_id = unique_tier_name(label, pid, taken)
        participant = one_line(names[pid]) if names.get(pid) else tier_id
        speaker_tiers[pid] = (tier_id, participant, [])
    for turn in _spans(summary):
        start = ms(turn["start_s"] - offset)
        end = ms(turn["end_s"] - offset)
        spans_of = speaker_tiers.get(turn["who"])
        if spans_of is not None and spans_of[2]:
            start = max(start, spans_of[2][-1][1])  # ELAN: no overlap within a tier
        if end <= start:
            continue
        who = turn["who"]
        if who not in speaker_tiers:  # a speaker no longer on the roster, or nobody marked
            label = one_line(turn["label"] or who or _("Unattributed"))
            tier_id = unique_tier_name(label, who or "", taken)
            speaker_tiers[who] = (tier_id, "" if who is None else tier_id, [])
        speaker_tiers[who][2].append((start, end, turn.get("text", "")))
    tiers = [(tid, part, UTTERANCE, spans) for tid, part, spans in speaker_tiers.values()]
    for number, lane in enumerate(_note_lanes(summary, offset, end_ms), start=1):
        name = notes_name if number == 1 else unique_tier_name(f"{notes_name} {number}", "", taken)
        tiers.append((name, "", NOTE, lane))

    # Time slots: two per annotation, numbered in time order (ties: by tier, annotation,
    # start before end). Sorted as one whole number each, (time, tier, annotation, side)
    # in its digits, rather than as tuples: a long session has tens of thousands.
    per_tier = max((len(spans) for *_x, spans in tiers), default=0) * 2
    sides = len(tiers) * per_tier
    keys = [
        (value * len(tiers) + t) * per_tier + 2 * a + side
        for t, (_tid, _part, _type, spans) in enumerate(tiers)
        for a, span in enumerate(spans)
        for side, value in enumerate(span[:2])
    ]
    keys.sort()
    # slots[t][2 * a + side]: the time slot of annotation a's start (side 0) or end (1)
    slots: list[list[str]] = [[""] * (2 * len(spans)) for *_x, spans in tiers]
    stamps: list[int] = []
    for n, key in enumerate(keys, start=1):
        time_value, where = divmod(key, sides) if sides else (key, 0)
        t, place = divmod(where, per_tier)
        slots[t][place] = f"ts{n}"
        stamps.append(time_value)

    root = ET.Element(
        "ANNOTATION_DOCUMENT",
        {
            "AUTHOR": AUTHOR,
            "DATE": document_date(summary),
            "FORMAT": "3.0",
            "VERSION": "3.0",
            f"{{{XSI}}}noNamespaceSchemaLocation": SCHEMA_LOCATION,
        },
    )
    header = ET.SubElement(root, "HEADER", {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"})
    media = media_paths(summary, folder, target)
    if media:
        descriptor = media_descriptor(*media)
        if offset:
            descriptor["TIME_ORIGIN"] = str(ms(offset))
        ET.SubElement(header, "MEDIA_DESCRIPTOR", descriptor)
    annotations = sum(len(spans) for *_x, spans in tiers)
    urn = uuid.uuid5(uuid.NAMESPACE_URL, f"facilitator:eaf:{session['id']}")
    properties = [
        ("URN", f"urn:nl-mpi-tools-elan-eaf:{urn}"),
        ("lastUsedAnnotationId", str(annotations)),
        ("facilitator.session", session["id"]),
        ("facilitator.title", session["title"]),
    ]
    if session.get("study"):
        properties.append(("facilitator.study", str(session["study"])))
    properties += [
        ("facilitator.stage", str(session["stage"])),
        ("facilitator.guide", session["guide"]),
    ]
    if offset:
        properties.append(("facilitator.recordingOffsetMs", str(ms(offset))))
    if with_names:
        properties.append(
            (
                "facilitator.realNames",
                _("This file contains real names. Keep it safe; do not share it."),
            )
        )
    for name, value in properties:
        prop = ET.SubElement(header, "PROPERTY", {"NAME": name})
        prop.text = xml_text(one_line(value))

    # The bulk (time slots and annotations: tens of thousands in a long session) is written
    # as text in exactly the form ElementTree gives it, and put in place after serializing
    # the rest: ElementTree's per-element serialization is most of an export's time.
    time_order = ET.SubElement(root, "TIME_ORDER")
    if stamps:  # an empty TIME_ORDER stays <TIME_ORDER />
        time_order.text = _BULK.format(0)
    bulk = [
        "\n".join(
            f'        <TIME_SLOT TIME_SLOT_ID="ts{n}" TIME_VALUE="{time_value}" />'
            for n, time_value in enumerate(stamps, start=1)
        )
    ]

    language = session.get("language")
    lang_id = ISO_639_3.get(language, (language, ""))[0] if language else None
    if lang_id and not re.fullmatch(r"[A-Za-z_][\w.-]*", lang_id):
        lang_id = None  # not usable as an XML id
    number = 0
    for t, (tier_id, participant, ling_type, spans) in enumerate(tiers):
        attributes = {"TIER_ID": xml_text(tier_id)}
        if participant:
            attributes["PARTICIPANT"] = xml_text(participant)
        attributes["LINGUISTIC_TYPE_REF"] = ling_type
        if lang_id and ling_type == UTTERANCE:
            attributes["LANG_REF"] = lang_id
        tier = ET.SubElement(root, "TIER", attributes)
        if not spans:
            continue
        tier.text = _BULK.format(len(bulk))
        lines = []
        tier_slots = slots[t]
        for a, (_start, _end, value) in enumerate(spans):
            number += 1
            text = xml_text(value) if value else value
            lines.append(
                "        <ANNOTATION>\n"
                f'            <ALIGNABLE_ANNOTATION ANNOTATION_ID="a{number}" '
                f'TIME_SLOT_REF1="{tier_slots[2 * a]}" TIME_SLOT_REF2="{tier_slots[2 * a + 1]}">\n'
                + (
                    f"                <ANNOTATION_VALUE>{escape(text)}</ANNOTATION_VALUE>\n"
                    if text
                    else "                <ANNOTATION_VALUE />\n"
                )
                + "            </ALIGNABLE_ANNOTATION>\n"
                "        </ANNOTATION>"
            )
        bulk.append("\n".join(lines))

    for type_id in (UTTERANCE, NOTE):
        ET.SubElement(
            root,
            "LINGUISTIC_TYPE",
            {
                "GRAPHIC_REFERENCES": "false",
                "LINGUISTIC_TYPE_ID": type_id,
                "TIME_ALIGNABLE": "true",
            },
        )
    if lang_id:
        label = ISO_639_3.get(language or "", ("", ""))[1]
        ET.SubElement(
            root,
            "LANGUAGE",
            {"LANG_ID": lang_id, "LANG_LABEL": f"{label} ({lang_id})" if label else lang_id},
        )
    for stereotype, description in CONSTRAINTS:
        ET.SubElement(root, "CONSTRAINT", {"DESCRIPTION": description, "STEREOTYPE": stereotype})

    ET.indent(root, space="    ")
    document = ET.tostring(root, "unicode")
    # each place holder replaced by its block, the document put together once
    places = []
    for index, block in enumerate(bulk):
        closing = "</TIME_ORDER>" if index == 0 else "</TIER>"
        marker = _BULK.format(index) + closing
        text = "\n" + block + "\n    " + closing if block else closing
        places.append((document.index(marker), len(marker), text))
    pieces = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    done = 0
    for at, length, text in sorted(places):
        pieces += (document[done:at], text)
        done = at + length
    pieces += (document[done:], "\n")
    return "".join(pieces)


_BULK = "@@facilitator-bulk-{}@@"  # a place holder no XML text here can contain (@@ ... @@)
