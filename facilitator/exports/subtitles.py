"""Speaker turns as subtitles: WebVTT (``render_vtt``) and SubRip (``render_srt``).

Open the file beside the session's recording (in VLC: Subtitle > Add Subtitle File) to see
who held the floor when, as the talk tracking recorded it; a transcriber then fills each
cue with what was said.

Cues. One cue per speaker turn, the moderator's included (as the voice "Moderator"). When
the session has a transcript (``facilitator transcribe``), one cue per statement instead,
holding its words, with the voice of the speaker whose turn holds them ("Unattributed" for
words spoken while nobody was marked).
Silences (nobody holding the floor) and breaks are gaps between cues; a turn of no
length is left out. Cues are numbered from 1, in time order.

Cue text. Players do not show a WebVTT voice, so the speaker is written out as well, in
the same form as the transcript skeleton: ``<v Informant 1>Informant 1: …`` in WebVTT,
``Informant 1: …`` in SubRip. The ellipsis is the placeholder the transcriber replaces
with the words; the voice span keeps the speaker for software that reads it (ELAN,
QDA tools, ``webvtt`` parsers). Text is escaped per the WebVTT spec (``&amp;``, ``&lt;``,
``&gt;``, which every reader knows, ffmpeg's included). The voice's annotation escapes the
same characters as numeric references (``&#38;``, ``&#60;``, ``&#62;``), which the spec
allows there too: ffmpeg's WebVTT reader cuts a voice tag short at a named one and shows
the rest of the tag as text (``<v Kåre &amp; Tønnesen>`` came out as ``& Tønnesen``).
SubRip text is escaped the same way as WebVTT text (``&amp;``, ``&lt;``, ``&gt;``): SubRip
marks up with HTML-like tags (``<i>``), so a raw ``<`` starts a tag that readers drop
(ffmpeg read ``Kåre & <Tønnesen>`` as ``Kåre & ``), and a converter passes the references
on into WebVTT, where they are what the spec asks for.

Times. Cue times are on the session clock: from the start of the session, with breaks not
counted (the clock stands still in a break). If ``summary["session"]`` has a
``recording_offset_s`` (the session-clock time at which the recording started), it is
subtracted, so that the times are positions in the recording; cues that ended before the
recording started are left out and one that was going on is cut to start at 0. A recording
kept running through a break is ahead of the session clock by the break's length from
there on; the WebVTT file says so at each break.

WebVTT (``HH:MM:SS.mmm``) also carries the context as comments (``NOTE`` blocks, which
players ignore): a header with the session, the voices, where each question of the guide
began, each break, and each note at its time with its speaker, tags and author. Comment
text never contains ``-->`` or a blank line, which would end or break the block.

SubRip (``HH:MM:SS,mmm``) has no comments, so it holds the cues only. It never carries
real names, not even when the summary was built with them (a name heard in the words is
its pseudonym): SubRip cannot say that a file
contains real names except in a cue shown on screen, and a subtitle file is easily
passed on. WebVTT with real names opens with a comment that says so and lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape  # &, < and >: text for a WebVTT cue or voice

from facilitator.core.collect import paused_collection
from facilitator.core.notes import tags_text
from facilitator.core.timefmt import local_time
from facilitator.core.transcript import join_words, pseudonymise
from facilitator.exports.csv_matrix import author_name, note_speaker
from facilitator.exports.markdown import speaker_name, wall_s
from facilitator.i18n import _

PLACEHOLDER = "…"
MODERATOR = "moderator"


def recording_offset(summary: dict[str, Any]) -> float:
    """Where the recording starts on the session clock (0: with the session)."""
    return float(summary["session"].get("recording_offset_s") or 0.0)


speaker_label = speaker_name  # the pseudonym a turn is shown with (see markdown.py)


def one_line(text: str) -> str:
    return " ".join(text.split())


def voices(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(participant id, pseudonym, role) of the moderator and every participant."""
    out = [(MODERATOR, _("Moderator"), "")]
    return out + [
        (p["id"], one_line(p["label"]), one_line(p["role"] or "")) for p in summary["participants"]
    ]


def cues(summary: dict[str, Any]) -> list[tuple[float, float, str]]:
    """(start, end, speaker) of each turn, in seconds from the start of the recording."""
    offset = recording_offset(summary)
    out = []
    speakers: dict[tuple[str | None, str | None], str] = {}  # the few speakers, named once
    for turn in summary["turns"]:
        start = max(0.0, turn["start_s"] - offset)
        end = turn["end_s"] - offset
        if end <= start:
            continue
        key = (turn["who"], turn["label"])
        speaker = speakers.get(key)
        if speaker is None:
            speaker = speakers[key] = speaker_label(*key)
        out.append((start, end, speaker))
    return out


def has_words(summary: dict[str, Any]) -> bool:
    """The summary carries a transcript with words (``facilitator transcribe``)."""
    section = summary.get("transcript")
    return bool(section and section.get("statements"))


def pseudonymous_words(summary: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    """A statement's words with every real name heard as its pseudonym, also in a summary
    built with real names: for the formats that never carry them (SubRip, TextGrid)."""
    names = summary.get("names", {}) if summary.get("with_names") else {}
    pairs = [(names[pid], label) for pid, label, _role in voices(summary) if names.get(pid)]
    if not pairs:
        return lambda statement: statement["text"]
    return lambda statement: join_words(pseudonymise([w[2] for w in statement["words"]], pairs))


def spoken_cues(
    summary: dict[str, Any], pseudonyms_only: bool = False
) -> list[tuple[float, float, str, str]]:
    """(start, end, speaker, words) per cue, in seconds from the start of the recording: a
    statement each when the summary has a transcript, else a turn each with the
    placeholder for the words. ``pseudonyms_only``: the words without real names even in
    a summary built with them."""
    if not has_words(summary):
        return [(start, end, who, PLACEHOLDER) for start, end, who in cues(summary)]
    words_of = (
        pseudonymous_words(summary) if pseudonyms_only else lambda statement: statement["text"]
    )
    offset = recording_offset(summary)
    out = []
    speakers: dict[tuple[str | None, str | None], str] = {}  # the few speakers, named once
    for statement in summary["transcript"]["statements"]:
        start = max(0.0, statement["start_s"] - offset)
        end = max(start + 0.001, statement["end_s"] - offset)
        if statement["end_s"] - offset <= 0 or not statement["text"]:
            continue
        key = (statement["who"], statement["label"])
        who = speakers.get(key)
        if who is None:
            who = speakers[key] = speaker_label(*key) or _("Unattributed")
        out.append((start, end, who, one_line(words_of(statement))))
    return out


def cue_words(text: str) -> str:
    """Words for a cue: escaped, and never ``-->`` (which would end the cue's timing line)."""
    text = escape(text)
    while "--&gt;" in text:
        text = text.replace("--&gt;", "-&gt;")
    return text


def timestamp(seconds: float, separator: str = ".") -> str:
    """``HH:MM:SS.mmm`` (WebVTT) or, with ``separator=","``, ``HH:MM:SS,mmm`` (SubRip)."""
    millis = round(seconds * 1000)
    if millis < 0:
        millis = 0
    secs, ms = divmod(millis, 1000)
    return f"{_hms(secs)}{separator}{ms:03d}"


@lru_cache(maxsize=1 << 16)  # a long session's cues start and end within the same few hours
def _hms(secs: int) -> str:
    return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"


def _comment_text(text: str) -> str:
    """Text that cannot end or break a NOTE block: one line, no ``-->``."""
    text = one_line(text)
    while "-->" in text:
        text = text.replace("-->", "->")
    return text


def _comment(lines: list[str]) -> str:
    return "NOTE\n" + "\n".join(_comment_text(line) for line in lines if line.strip())


def _short_time(seconds: float) -> str:
    return timestamp(seconds)[:8]


def session_line(summary: dict[str, Any]) -> str:
    s = summary["session"]
    stamp = s["started_at"] or s["created_at"]
    date = local_time(stamp)[:10] if stamp else ""  # the day on this computer's calendar
    if s["study"]:
        place = _("study {study}, stage {stage}", study=s["study"], stage=s["stage"])
    else:
        place = _("stage {stage}", stage=s["stage"])
    return ", ".join(part for part in (s["title"], place, date) if part)


def clock_line(summary: dict[str, Any]) -> str:
    """How the times are counted, as every file with times in it says it."""
    offset = recording_offset(summary)
    if offset:
        return _(
            "Times are positions in the recording, which started {offset} s into the "
            "session (breaks not counted).",
            offset=f"{offset:g}",
        )
    return _("Times are on the session clock, from the start of the session (breaks not counted).")


def speaker_legend(summary: dict[str, Any], names: dict[str, str]) -> list[str]:
    """``Informant 1 = <real name> (role)`` per voice; the name only where ``names`` has it."""
    out = []
    for pid, label, role in voices(summary):
        entry = label
        if names.get(pid):
            entry += f" = {one_line(names[pid])}"
        if role:
            entry += f" ({role})"
        out.append(entry)
    return out


def _header(summary: dict[str, Any]) -> list[str]:
    blocks = [
        _comment(
            [
                session_line(summary),
                summary["session"]["guide"],
                _(
                    "One cue per statement, with the words {model} heard; each speaker's by "
                    "the turns keyed.",
                    model=summary["transcript"]["model"],
                )
                if has_words(summary)
                else _(
                    "One cue per speaker turn; a transcriber replaces {placeholder} with the "
                    "words.",
                    placeholder=PLACEHOLDER,
                ),
                clock_line(summary),
            ]
        )
    ]
    if summary.get("with_names"):
        names = summary.get("names", {})
        legend = [
            f"{label} = {one_line(names[pid])}"
            for pid, label, _role in voices(summary)
            if names.get(pid)
        ]
        blocks.append(
            _comment([_("This file contains real names. Keep it safe; do not share it.")] + legend)
        )
    legend = [label + (f" ({role})" if role else "") for _pid, label, role in voices(summary)]
    blocks.append(_comment([_("Voices")] + legend))
    return blocks


def _context(summary: dict[str, Any]) -> list[tuple[float, int, str]]:
    """Comments placed among the cues: (time, order at the same time, block)."""
    offset = recording_offset(summary)
    phases = {p["id"]: p for p in summary["phases"]}
    questions = {q["id"]: q["text"] for p in summary["phases"] for q in p["questions"]}
    out: list[tuple[float, int, str]] = []
    for entry in summary["timeline"]:
        start = max(0.0, entry["start_s"] - offset)
        if entry["kind"] == "question":
            if entry["end_s"] is not None and entry["end_s"] <= entry["start_s"]:
                continue  # passed through on the way to another question
            phase = phases.get(entry["phase"], {}).get("title", entry["phase"])
            if entry["question"]:
                what = _(
                    "Question: {phase} – {question}",
                    phase=phase,
                    question=questions.get(entry["question"], entry["question"]),
                )
            else:
                what = _("Phase: {phase}", phase=phase)
            out.append((start, 1, f"NOTE {_short_time(start)} " + _comment_text(what)))
        elif entry["kind"] == "pause":
            wall = wall_s(entry)
            what = _(
                "Break of {duration}. The session clock stood still; a recording that kept "
                "running is that much ahead from here.",
                duration=_short_time(wall),
            )
            out.append((start, 0, f"NOTE {_short_time(start)} " + _comment_text(what)))
    for note in summary["notes"]:
        start = max(0.0, note["t_s"] - offset)
        about = [_("Note by {author}", author=author_name(note["author"]))]
        speaker = note_speaker(note)
        if speaker:
            about.append(_("about {speaker}", speaker=speaker))
        if note["tags"]:
            about.append(tags_text(note["tags"]))
        head = _comment_text(", ".join(about))
        out.append((start, 2, f"NOTE {_short_time(start)} {head}\n{_comment_text(note['text'])}"))
    return out


_ANNOTATION = {"&": "&#38;", "<": "&#60;", ">": "&#62;"}


def voice_annotation(speaker: str) -> str:
    """``speaker`` for the annotation of a ``<v ...>`` tag: ``&``, ``<`` and ``>`` as
    numeric character references (see the module)."""
    return "".join(_ANNOTATION.get(c, c) for c in speaker)


@paused_collection
def render_vtt(summary: dict[str, Any]) -> str:
    """The turns as WebVTT cues with voice spans, the context as comments (see the module)."""
    blocks = ["WEBVTT"] + _header(summary)
    items = list(_context(summary))
    voiced: dict[str, str] = {}  # each speaker's "<v ...>name: ", escaped once
    placeholder = cue_words(PLACEHOLDER)
    for number, (start, end, speaker, words) in enumerate(spoken_cues(summary), start=1):
        voice = voiced.get(speaker)
        if voice is None:
            voice = voiced[speaker] = f"<v {voice_annotation(speaker)}>{escape(speaker)}: "
        text = placeholder if words == PLACEHOLDER else cue_words(words)
        items.append(
            (start, 3, f"{number}\n{timestamp(start)} --> {timestamp(end)}\n{voice}{text}")
        )
    blocks += [block for _t, _order, block in sorted(items, key=lambda i: (i[0], i[1]))]
    return "\n\n".join(blocks) + "\n"


@paused_collection
def render_srt(summary: dict[str, Any]) -> str:
    """The turns as SubRip cues: pseudonyms only, no comments (see the module)."""
    blocks = []
    cues = spoken_cues(summary, pseudonyms_only=True)
    names: dict[str, str] = {}  # each speaker escaped once
    placeholder = cue_words(PLACEHOLDER)
    for number, (start, end, speaker, words) in enumerate(cues, start=1):
        name = names.get(speaker)
        if name is None:
            name = names[speaker] = escape(speaker)
        text = placeholder if words == PLACEHOLDER else cue_words(words)
        blocks.append(
            f"{number}\n{timestamp(start, ',')} --> {timestamp(end, ',')}\n{name}: {text}"
        )
    return "\n\n".join(blocks) + "\n" if blocks else ""
