"""The coding matrix: one spreadsheet row per note (and per statement of the transcript),
ready for empirically close coding.

Tjora's stepwise-deductive induction starts from codes written close to the data and then
groups them. The matrix gives each note (of every tag: quotes, themes, follow-ups,
observations, summary points and untagged notes) a row with where it was said, and leaves
the two analysis columns empty for the researcher:

    Code no. | Time | Phase | Question | Speaker | Tags | Text | Code group | Noted by

When the session has a transcript (``facilitator transcribe``), every statement gets a row
of its own among the notes, in time order: speaker, phase, question and time filled, its
words as *Text*, ``#overlap`` among the tags if someone was marked talking over it, and
"Transcript" as *Noted by*; Tjora's code number and code group are left for the researcher.

- *Time* is ``h:mm:ss`` on the session clock, from the start of the session (breaks not
  counted), so it sorts as text and a spreadsheet reads it as a duration.
- *Phase* and *Question* are the guide's titles and question texts, not their ids.
- *Speaker* is the participant's pseudonym (or the moderator); *Noted by* is who wrote the
  note (the moderator or an assistant).
- *Tags* are written as typed, ``#quote #theme``, so a filter on ``#quote`` finds the quotes.
- *Text* is the note as written, without the tags.

Encoding: UTF-8 with a byte order mark (``U+FEFF`` first). Excel opens a double-clicked
``.csv`` in the system's code page unless the file starts with the BOM; with it, æ, ø and
å come through intact. LibreOffice, Numbers and Python's ``csv`` module (with
``encoding="utf-8-sig"``) read it too.

Delimiter: the semicolon. Excel splits a double-clicked ``.csv`` on the locale's list
separator, which is ``;`` wherever the comma is the decimal mark: Norwegian and most other
European locales. A comma-separated file would open as one column there. (A ``sep=;`` first
line would tell every Excel, but Excel then ignores the BOM and breaks æ, ø and å.)
LibreOffice asks for the separator when it opens the file; choose semicolon. Semicolons are
also rarer than commas in prose, so fewer cells need quotes. Quoting is the ``csv``
module's: a cell with a ``;``, a ``"`` or a line break is put in double quotes, and a
double quote inside is doubled. Rows end in CRLF, as RFC 4180 and Excel expect. A cell that
a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) starts with a ``'`` instead (``core.spreadsheet.safe_cell``).

Names: only pseudonyms, unless the summary was built with real names asked for
(``with_names``). Then the first line is a notice that the file contains real names, and
a *Name* column follows *Speaker*; the header is the second line.
"""

from __future__ import annotations

from typing import Any

from facilitator.core.collect import paused_collection
from facilitator.core.notes import tags_text
from facilitator.core.spreadsheet import csv_text
from facilitator.exports.markdown import note_speaker, speaker_name
from facilitator.i18n import _


def hms(seconds: float) -> str:
    """``h:mm:ss`` for any duration, whole seconds (rounded down)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def author_name(author: str) -> str:
    """Who wrote a note, from its journal's name: ``moderator``, ``assistant``,
    ``assistant-2``..."""
    if author == "moderator":
        return _("Moderator")
    if author == "assistant":
        return _("Assistant")
    if author.startswith("assistant-") and author[len("assistant-") :].isdigit():
        return _("Assistant {number}", number=author[len("assistant-") :])
    return author


def _rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The notes and, with a transcript, its statements, in time order (a note after the
    statement it was written during)."""
    rows = [dict(n) for n in summary["notes"]]
    section = summary.get("transcript") or {}
    rows += [{"t_s": s["start_s"], "statement": s} for s in section.get("statements") or []]
    return sorted(rows, key=lambda row: (row["t_s"], "statement" not in row))


def _statement_row(
    statement: dict[str, Any],
    questions: dict[str, str],
    phases: dict[str, str],
    names: dict[str, str],
    with_names: bool,
) -> list[str]:
    """A statement's row: code number and code group left for the researcher.
    ``questions``: each question's text by its id."""
    tags = list(statement["tags"]) + (["overlap"] if statement["overlaps"] else [])
    row = [
        "",
        hms(statement["start_s"]),
        phases.get(statement["phase"] or "", statement["phase"] or ""),
        questions.get(statement["question"] or "", ""),
        speaker_name(statement["who"], statement["label"]) or _("Unattributed"),
    ]
    if with_names:
        row.append(names.get(statement["who"] or "", ""))
    return row + [
        tags_text(tags),
        statement["text"],
        "",
        _("Transcript"),
    ]


@paused_collection
def render_csv(summary: dict[str, Any]) -> str:
    """The coding matrix as text: a BOM, then semicolon-separated rows (see the module)."""
    with_names = bool(summary.get("with_names"))
    names: dict[str, str] = summary.get("names", {}) if with_names else {}
    phases = {p["id"]: p["title"] for p in summary["phases"]}
    questions = {q["id"]: q["text"] for p in summary["phases"] for q in p["questions"]}
    rows: list[list[str]] = []
    if with_names:
        rows.append([_("This file contains real names. Keep it safe; do not share it.")])
    header = [_("Code no."), _("Time"), _("Phase"), _("Question"), _("Speaker")]
    if with_names:
        header.append(_("Name"))
    header += [_("Tags"), _("Text"), _("Code group"), _("Noted by")]
    rows.append(header)
    for note in _rows(summary):
        if "statement" in note:
            rows.append(_statement_row(note["statement"], questions, phases, names, with_names))
            continue
        row = [
            "",
            hms(note["t_s"]),
            phases.get(note["phase"], note["phase"] or ""),
            note["question_text"] or "",
            note_speaker(note),
        ]
        if with_names:
            row.append(names.get(note["speaker_id"] or "", ""))
        row += [
            tags_text(note["tags"]),
            note["text"],
            "",
            author_name(note["author"]),
        ]
        rows.append(row)
    return csv_text(rows)
