"""Praat TextGrid (``.TextGrid``): an interval tier per speaker and a point tier for notes.

For conversation analysts who work in Praat: open the file with the session's recording
(Praat: Open > Read from file, both; select the Sound and the TextGrid, View & Edit) to see
who held the floor when, as the talk tracking recorded it, and transcribe each turn in its
interval.

Format. Praat's long text format (``File type = "ooTextFile"``, ``Object class =
"TextGrid"``), UTF-8 without a byte order mark (Praat reads UTF-8), ``\\n`` line ends. A
text is in double quotes, a double quote in it doubled (``""``); every text is one line.

Times. Seconds on the session clock, to the millisecond: from the start of the session,
breaks not counted, so the file lines up with the session-clock audio export
(``facilitator export SESSION --format wav``). If ``summary["session"]`` has a
``recording_offset_s``, it is subtracted, as in the subtitles. The grid runs from 0 to the
end of the session (at least a second, for a session of no length: Praat needs a span).

Tiers. One ``IntervalTier`` per speaker, the moderator first (``Moderator``), then every
participant in roster order, named with the pseudonym (made unique: Praat finds tiers by
name); a speaker no longer on the roster who had turns gets a tier after them. An interval
tier covers the whole grid without gaps: each turn is an interval whose text is ``…``
(the placeholder the transcriber replaces with the words), and the time between turns is
an interval with empty text. When the session has a transcript (``facilitator
transcribe``), each speaker's tier holds their statements instead, each an interval with
its words, and words spoken while nobody was marked are on a tier ``Unattributed``.
Then a ``TextTier`` named ``Notes`` with a point per note at its time, marked
``[speaker] text #tag``; Praat allows one point per moment, so a note taken in the same
millisecond as the one before is put a millisecond later.

Names: pseudonyms only, even when the summary was built with real names (a real name heard
in the words is its pseudonym too): a TextGrid has no place to say that it contains them.
"""

from __future__ import annotations

from typing import Any

from facilitator.core.collect import paused_collection
from facilitator.exports.eaf import note_value, unique_tier_name, xml_text
from facilitator.exports.subtitles import (
    PLACEHOLDER,
    has_words,
    one_line,
    pseudonymous_words,
    recording_offset,
    speaker_label,
    voices,
)
from facilitator.i18n import _

MIN_SPAN_S = 1.0  # the grid of a session of no length
POINT_STEP_S = 0.001  # between two notes at the same moment


def _seconds(value: float) -> str:
    """A time as Praat writes it: seconds, to the millisecond, without trailing zeros."""
    text = f"{max(0.0, value):.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _text(value: str) -> str:
    """A TextGrid string: one line, in double quotes, with ``"`` doubled."""
    return '"' + one_line(xml_text(value)).replace('"', '""') + '"'


def speaker_tiers(
    summary: dict[str, Any], end: float
) -> list[tuple[str, list[tuple[float, float, str]]]]:
    """(tier name, [(start, end, text)]) per speaker, on the recording's clock: the turns
    with the placeholder, or the statements with their words (pseudonyms only) when the
    session has a transcript."""
    offset = recording_offset(summary)
    taken = {_("Notes")}
    tiers: dict[str | None, tuple[str, list[tuple[float, float, str]]]] = {}
    for pid, label, _role in voices(summary):
        tiers[pid] = (unique_tier_name(label, pid, taken), [])
    if has_words(summary):
        words_of = pseudonymous_words(summary)
        spans = [
            (s["start_s"], s["end_s"], s["who"], s["label"], one_line(words_of(s)))
            for s in summary["transcript"]["statements"]
            if s["text"]
        ]
    else:
        spans = [
            (t["start_s"], t["end_s"], t["who"], t["label"], PLACEHOLDER) for t in summary["turns"]
        ]
    for start_s, end_s, who, label, text in spans:
        start = max(0.0, round(start_s - offset, 3))
        stop = min(end, round(end_s - offset, 3))
        if stop <= start:
            continue
        if who not in tiers:  # a speaker no longer on the roster, or nobody marked
            name = one_line(speaker_label(who, label) or _("Unattributed"))
            tiers[who] = (unique_tier_name(name, who or "", taken), [])
        on_tier = tiers[who][1]
        if on_tier and start < on_tier[-1][1]:  # never overlapping on one tier
            start = on_tier[-1][1]
            if stop <= start:
                continue
        on_tier.append((start, stop, text))
    return list(tiers.values())


def note_points(summary: dict[str, Any], end: float) -> list[tuple[float, str]]:
    """(time, mark) per note, in time order, each moment once (see the module)."""
    offset = recording_offset(summary)
    points: list[tuple[float, str]] = []
    for note in sorted(summary["notes"], key=lambda n: n["t_s"]):
        at = min(end, max(0.0, round(note["t_s"] - offset, 3)))
        if points and at <= points[-1][0]:
            at = round(points[-1][0] + POINT_STEP_S, 3)
        points.append((at, note_value(note)))
    return points


def _interval_tier(name: str, spans: list[tuple[float, float, str]], end: float) -> list[str]:
    """An interval tier's lines: the turns or statements, with empty intervals between."""
    intervals: list[tuple[float, float, str]] = []
    at = 0.0
    for start, stop, text in spans:
        if start > at:
            intervals.append((at, start, ""))
        intervals.append((start, stop, text))
        at = stop
    if at < end or not intervals:
        intervals.append((at, end, ""))
    lines = [
        '        class = "IntervalTier"',
        f"        name = {_text(name)}",
        "        xmin = 0",
        f"        xmax = {_seconds(end)}",
        f"        intervals: size = {len(intervals)}",
    ]
    # an interval's end is the next one's start, and most texts are the same few ("", …):
    # each written once
    seconds: dict[float, str] = {}
    texts: dict[str, str] = {}
    for number, (start, stop, text) in enumerate(intervals, start=1):
        xmin = seconds.get(start)
        if xmin is None:
            xmin = seconds[start] = _seconds(start)
        xmax = seconds.get(stop)
        if xmax is None:
            xmax = seconds[stop] = _seconds(stop)
        quoted = texts.get(text)
        if quoted is None:
            quoted = texts[text] = _text(text)
        lines.append(
            f"        intervals [{number}]:\n"
            f"            xmin = {xmin}\n"
            f"            xmax = {xmax}\n"
            f"            text = {quoted}"
        )
    return lines


@paused_collection
def render_textgrid(summary: dict[str, Any]) -> str:
    """The session as a Praat TextGrid (see the module)."""
    offset = recording_offset(summary)
    end = round(max(summary["session"]["duration_s"] - offset, 0.0), 3) or MIN_SPAN_S
    points = note_points(summary, end)
    end = max(end, points[-1][0] if points else 0.0)  # notes moved past the end
    tiers = speaker_tiers(summary, end)
    lines = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        "xmin = 0",
        f"xmax = {_seconds(end)}",
        "tiers? <exists>",
        f"size = {len(tiers) + 1}",
        "item []:",
    ]
    for number, (name, spans) in enumerate(tiers, start=1):
        lines.append(f"    item [{number}]:")
        lines += _interval_tier(name, spans, end)
    lines += [
        f"    item [{len(tiers) + 1}]:",
        '        class = "TextTier"',
        f"        name = {_text(_('Notes'))}",
        "        xmin = 0",
        f"        xmax = {_seconds(end)}",
        f"        points: size = {len(points)}",
    ]
    for number, (at, mark) in enumerate(points, start=1):
        lines += [
            f"        points [{number}]:",
            f"            number = {_seconds(at)}",
            f"            mark = {_text(mark)}",
        ]
    return "\n".join(lines) + "\n"
