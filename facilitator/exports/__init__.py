"""Renderings of the summary for analysis and transcription. Each is a pure function of the
summary object (``core.summary.build_summary``), so every export agrees with the live view.

``FORMATS`` maps a format name to (module, function, file extension, description); the
module is imported only when that format is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

FORMATS: dict[str, tuple[str, str, str, str]] = {
    "md": ("markdown", "render_markdown", "md", "the summary as Markdown"),
    "html": ("html", "render_html", "html", "the report: one self-contained, printable page"),
    "csv": ("csv_matrix", "render_csv", "csv", "the coding matrix, one row per note"),
    "vtt": ("subtitles", "render_vtt", "vtt", "speaker turns as WebVTT cues, notes as comments"),
    "srt": ("subtitles", "render_srt", "srt", "speaker turns as SubRip cues"),
    "eaf": ("eaf", "render_eaf", "eaf", "ELAN 3.0: a tier per speaker and one for notes"),
    "qdpx": ("qdpx", "render_qdpx", "qdpx", "a REFI-QDA project for QDA software"),
    "transcript": (
        "transcript",
        "render_transcript",
        "txt",
        "a speaker-prefixed skeleton per turn, for a transcriber",
    ),
}


def renderer(name: str) -> Callable[[dict[str, Any]], str | bytes]:
    module, function, _ext, _about = FORMATS[name]
    return getattr(importlib.import_module(f"facilitator.exports.{module}"), function)
