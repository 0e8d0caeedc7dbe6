"""Renderings of the summary for analysis and transcription. Each is a pure function of the
summary object (``core.summary.build_summary``), so every export agrees with the live view.

``FORMATS`` maps a format name to (module, function, file extension, description, to be
translated with ``_()`` where it is shown); the module is imported only when that format
is asked for.

The formats in ``LINKS_MEDIA`` (ELAN, REFI-QDA) link the session's recording when
``summary["session"]["recording"]`` names one (a path relative to the session folder):
``render`` passes them the session folder, to find it, and the file's own location, for
the link relative to it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from facilitator.i18n import N_

FORMATS: dict[str, tuple[str, str, str, str]] = {
    "md": ("markdown", "render_markdown", "md", N_("the summary as Markdown")),
    "html": (
        "html",
        "render_html",
        "html",
        N_("the report: one self-contained, printable page"),
    ),
    "csv": ("csv_matrix", "render_csv", "csv", N_("the coding matrix, one row per note")),
    "vtt": (
        "subtitles",
        "render_vtt",
        "vtt",
        N_("speaker turns as WebVTT cues, notes as comments"),
    ),
    "srt": ("subtitles", "render_srt", "srt", N_("speaker turns as SubRip cues")),
    "eaf": (
        "eaf",
        "render_eaf",
        "eaf",
        N_("ELAN 3.0: a tier per speaker and one for notes, linked to the recording"),
    ),
    "qdpx": (
        "qdpx",
        "render_qdpx",
        "qdpx",
        N_("a REFI-QDA project for QDA software, with the recording"),
    ),
    "textgrid": (
        "textgrid",
        "render_textgrid",
        "TextGrid",
        N_("Praat TextGrid: an interval tier per speaker and a point tier for notes"),
    ),
    "transcript": (
        "transcript",
        "render_transcript",
        "txt",
        N_("a speaker-prefixed skeleton per turn, for a transcriber"),
    ),
}


LINKS_MEDIA = frozenset({"eaf", "qdpx"})


def renderer(name: str) -> Callable[..., str | bytes]:
    module, function, _ext, _about = FORMATS[name]
    return getattr(importlib.import_module(f"facilitator.exports.{module}"), function)


def render(
    name: str,
    summary: dict[str, Any],
    folder: Path | None = None,
    target: Path | None = None,
) -> str | bytes:
    """``summary`` in the format ``name``. ``folder``: the session folder, where the
    recording a format links is; ``target``: where the file will be written (None: the
    session's ``exports/`` folder)."""
    if name in LINKS_MEDIA:
        return renderer(name)(summary, folder=folder, target=target)
    return renderer(name)(summary)
