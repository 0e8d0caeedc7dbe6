"""The transcript for MAXQDA and NVivo: a paragraph per speaker turn for a transcriber to
fill in, or per statement with its words once the session is transcribed.

The layout is the one MAXQDA's focus-group import expects, and ATLAS.ti's speaker
recognition reads the same way:

- every contribution is a paragraph of its own that starts with the speaker's name and a
  colon, ``Informant 1: `` (the moderator is ``Moderator: ``);
- right after it, the time the turn began as an f4/f5 time stamp, ``#hh:mm:ss-d#`` (tenths
  of a second after the dash), which MAXQDA and ATLAS.ti link to the recording;
- the transcriber writes the words after the time stamp; when the session has a transcript
  (``facilitator transcribe``), each paragraph is a statement and holds its words already,
  ``Informant 1: #00:01:12-4# We meet the families where they are.``

Paragraphs are separated by a blank line. Times follow the subtitles' rule
(``exports.subtitles``): the session clock from the start of the session, breaks not
counted, minus ``summary["session"]["recording_offset_s"]`` when the recording started
later.

The header says which session this is (title, study, stage, date and guide), how times
are counted, and who the speakers are. MAXQDA leaves text at the start uncoded as long
as no colon comes within a line's first 63 characters (otherwise it would take the line
for a speaker), so the header has no colons at all: one in a title or a role is written
as a dash. Speaker names get the same treatment.

Names: pseudonyms only. With real names asked for (``with_names``) the first line says
that the file contains real names and the legend gives each pseudonym's name. The names
never appear in the paragraphs.

The text starts with a UTF-8 byte order mark, so that Word and Notepad on Windows open it
as UTF-8 with æ, ø and å intact; MAXQDA and ATLAS.ti read it either way.
"""

from __future__ import annotations

from typing import Any

from facilitator.core.collect import paused_collection
from facilitator.core.spreadsheet import BOM
from facilitator.exports.subtitles import (
    PLACEHOLDER,
    clock_line,
    has_words,
    one_line,
    session_line,
    speaker_legend,
    spoken_cues,
)
from facilitator.i18n import _


def f4_time(seconds: float) -> str:
    """An f4/f5 time stamp as MAXQDA reads it: ``#hh:mm:ss-d#`` (d: tenths of a second)."""
    tenths = max(0, round(seconds * 10))
    secs, tenth = divmod(tenths, 10)
    minutes, s = divmod(secs, 60)
    hours, m = divmod(minutes, 60)
    return f"#{hours:02d}:{m:02d}:{s:02d}-{tenth}#"


def no_colon(text: str) -> str:
    """A line MAXQDA will not take for a speaker: ``: `` becomes a dash, ``:`` a point."""
    return " ".join(text.replace(": ", " – ").replace(":", ".").split())


@paused_collection
def render_transcript(summary: dict[str, Any]) -> str:
    """The transcript as text (see the module)."""
    with_names = bool(summary.get("with_names"))
    names: dict[str, str] = summary.get("names", {}) if with_names else {}
    lines: list[str] = []
    if with_names:
        lines += [_("THIS FILE CONTAINS REAL NAMES. Keep it safe; do not share it."), ""]
    lines += [
        session_line(summary),
        _("Guide – {guide}", guide=summary["session"]["guide"]),
        _(
            "Transcript by {model}, one paragraph per statement, each with the time it began.",
            model=summary["transcript"]["model"],
        )
        if has_words(summary)
        else _("Transcript, one paragraph per speaker turn, each with the time it began."),
        clock_line(summary),
        "",
        _("Speakers"),
    ]
    lines += speaker_legend(summary, names)
    out = [no_colon(line) for line in lines]
    for start, _end, speaker, words in spoken_cues(summary):
        said = "" if words == PLACEHOLDER else " " + one_line(words)
        out += ["", f"{no_colon(speaker)}: {f4_time(start)}{said}"]
    return BOM + "\n".join(out) + "\n"
