"""The text exports: coding matrix (csv), subtitles (vtt, srt) and transcript skeleton.

A scripted session on a fake clock is rendered in every format and compared with the
files in ``tests/golden/``. After a deliberate change, rewrite them with
``UPDATE_GOLDEN=1 pytest tests/test_export_text.py`` and read the diff by eye.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from facilitator.core.clock import FakeClock
from facilitator.core.summary import build_summary
from facilitator.exports import renderer
from facilitator.exports.csv_matrix import render_csv
from facilitator.exports.subtitles import render_srt, render_vtt
from facilitator.exports.textgrid import render_textgrid
from facilitator.exports.transcript import render_transcript
from facilitator.services.live import ASSISTANT, LiveSession
from tests.conftest import venv_bin

GOLDEN = Path(__file__).parent / "golden"
QUOTE = 'Hun sa "det er trygt", og; vi møter familiene på kontoret – ÆØÅ æøå'
LABELS = {"Moderator", "Informant 1", "Informant 2", "Informant 3", "Informant 4", "Informant 5"}


def to(live: LiveSession, clock: FakeClock, session_s: float) -> None:
    """Move the fake clock on until the session clock reads ``session_s``."""
    now_s = live.state.session_s(clock.now())
    assert session_s >= now_s
    clock.advance(session_s - now_s)


def run_session(live: LiveSession, clock: FakeClock) -> None:
    """A session with every kind of moment the exports meet, ended at 1:02:10."""
    live.speak("moderator")  # 0:00 the moderator opens
    to(live, clock, 20.5)
    live.speak("P1")
    to(live, clock, 45.25)
    live.add_note(f"{QUOTE} #q")
    to(live, clock, 50)
    live.speak(None)  # a silence
    to(live, clock, 58)
    live.goto("dagens-situasjon")
    live.speak("P2")
    to(live, clock, 80)
    live.add_note("@3 Tillit til NAV, og til «systemet» #t")
    to(live, clock, 90)
    live.toggle_pause()  # a two-minute break: the session clock stands still
    clock.advance(60)
    live.add_note("Pause: kaffe & kaker <3")  # untagged, in the break
    clock.advance(60)
    live.toggle_pause()
    live.speak("P3")
    to(live, clock, 100)
    assistant = LiveSession(live.store, writer=ASSISTANT, clock=clock)
    try:
        assistant.add_note("Spør om depositum neste gang; husk søknaden #f")
    finally:
        assistant.close()
    live.poll()
    to(live, clock, 110)
    live.speak("moderator")
    live.add_note("Ventelistene er for lange --> alle venter #s")
    to(live, clock, 125)
    live.speak("P1")
    to(live, clock, 3700)  # a long turn: past the hour
    live.speak("moderator")
    to(live, clock, 3710)
    live.add_note("@m Takk for i dag #s #o")
    live.edit_participant("P1", real_name="Kari Nordmann")  # in the data, not in exports
    to(live, clock, 3730)
    live.end()


@pytest.fixture
def session(live: LiveSession, clock: FakeClock) -> LiveSession:
    run_session(live, clock)
    return live


def summary_of(live: LiveSession, clock: FakeClock, with_names: bool = False) -> dict[str, Any]:
    return build_summary(live.info, live.state, clock.now(), with_names=with_names)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to write it"
    assert text == path.read_bytes().decode("utf-8")


RENDER = {
    "csv": render_csv,
    "vtt": render_vtt,
    "srt": render_srt,
    "transcript": render_transcript,
    "textgrid": render_textgrid,
}
SUFFIX = {"csv": "csv", "vtt": "vtt", "srt": "srt", "transcript": "txt", "textgrid": "TextGrid"}
PREFIX = {
    "csv": "csv",
    "vtt": "vtt",
    "srt": "srt",
    "transcript": "transcript",
    "textgrid": "textgrid",
}


@pytest.mark.parametrize("fmt", list(RENDER))
@pytest.mark.parametrize("with_names", [False, True], ids=["pseudonyms", "names"])
def test_golden(session: LiveSession, clock: FakeClock, fmt: str, with_names: bool) -> None:
    summary = summary_of(session, clock, with_names)
    text = RENDER[fmt](summary)
    assert renderer(fmt)(summary) == text  # the registry finds the same function
    variant = "names" if with_names else "session"
    check_golden(f"{PREFIX[fmt]}_{variant}.{SUFFIX[fmt]}", text)


# --- WebVTT: a strict parser ------------------------------------------------------------------

TIME = r"(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})"
TIMING = re.compile(rf"^{TIME} --> {TIME}$")


@dataclass
class Cue:
    ident: str
    start: float
    end: float
    voice: str
    text: str


def seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


REFERENCES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&#38;": "&", "&#60;": "<", "&#62;": ">"}


def unescape(text: str) -> str:
    assert "<" not in text and ">" not in text, text
    for match in re.finditer(r"&[^;]*;?", text):
        assert match.group(0) in REFERENCES, text
    return re.sub(r"&[^;]*;", lambda m: REFERENCES[m.group(0)], text)


def parse_vtt(text: str) -> tuple[list[Cue], list[str]]:
    """Cues and comments of a WebVTT file, failing on anything the spec does not allow."""
    assert "\r" not in text and "\0" not in text
    assert text.endswith("\n")
    blocks = text.rstrip("\n").split("\n\n")
    assert blocks[0] == "WEBVTT" or blocks[0].startswith(("WEBVTT ", "WEBVTT\t"))
    assert "-->" not in blocks[0]
    cues: list[Cue] = []
    comments: list[str] = []
    ids: set[str] = set()
    for block in blocks[1:]:
        assert block and not block.startswith("\n"), "more than one blank line between blocks"
        lines = block.split("\n")
        assert all(lines), block
        if block.startswith(("NOTE ", "NOTE\n")):
            assert "-->" not in block, block
            comments.append(block)
            continue
        assert not block.startswith(("STYLE", "REGION")), "style and region blocks before cues"
        ident = ""
        if "-->" not in lines[0]:
            ident = lines.pop(0)
            assert ident not in ids, f"cue id {ident} twice"
            ids.add(ident)
        match = TIMING.match(lines[0])
        assert match, lines[0]
        start, end = seconds(*match.groups()[:4]), seconds(*match.groups()[4:])
        assert end > start, lines[0]
        if cues:
            assert start >= cues[-1].start, "cues out of order"
        payload = "\n".join(lines[1:])
        assert payload, block
        assert "-->" not in payload
        voice = re.fullmatch(r"<v ([^<>\n]+)>(.*)", payload, re.S)
        assert voice, payload
        cues.append(Cue(ident, start, end, unescape(voice.group(1)), unescape(voice.group(2))))
    return cues, comments


def test_vtt_round_trips(session: LiveSession, clock: FakeClock) -> None:
    summary = summary_of(session, clock)
    cues, comments = parse_vtt(render_vtt(summary))
    turns = [t for t in summary["turns"] if t["end_s"] > t["start_s"]]
    assert [(c.start, c.end) for c in cues] == [(t["start_s"], t["end_s"]) for t in turns]
    assert [c.ident for c in cues] == [str(n) for n in range(1, len(cues) + 1)]
    assert {c.voice for c in cues} <= LABELS
    assert [c.voice for c in cues] == [
        "Moderator", "Informant 1", "Informant 2", "Informant 3", "Moderator", "Informant 1",
        "Moderator",
    ]  # fmt: skip
    assert all(c.text == f"{c.voice}: …" for c in cues)
    # cues do not overlap; the silence (50 to 58) and the break (at 90) are gaps
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:], strict=False))
    assert (cues[1].end, cues[2].start) == (50.0, 58.0)
    assert cues[-2].end == 3700.0 and cues[-1].end == 3730.0
    # every note is a comment, with its text (a "-->" made harmless)
    notes = [c for c in comments if "Note by" in c]
    assert len(notes) == len(summary["notes"]) == 6
    assert any(QUOTE in c for c in notes)
    assert any("Ventelistene er for lange -> alle venter" in c for c in notes)
    assert any("Break of 00:02:00" in c for c in comments)
    assert not any("Kari" in c for c in comments)


def test_vtt_escapes_voices_and_shifts_to_the_recording(
    session: LiveSession, clock: FakeClock
) -> None:
    summary = summary_of(session, clock)
    summary["turns"][1]["label"] = "R&D <1>"
    summary["session"]["recording_offset_s"] = 30.0
    text = render_vtt(summary)
    # numeric references in the voice annotation: ffmpeg cuts a voice tag short at a named one
    assert "<v R&#38;D &#60;1&#62;>R&amp;D &lt;1&gt;: …" in text
    cues, _comments = parse_vtt(text)
    # the moderator's opening (0 to 20.5) was before the recording; P1's turn is cut at 0
    assert [c.voice for c in cues][:2] == ["R&D <1>", "Informant 2"]
    assert (cues[0].start, cues[0].end, cues[1].start) == (0.0, 20.0, 28.0)
    assert "recording, which started 30 s into the session" in text
    srt = render_srt(summary)
    # SubRip marks up with HTML-like tags: a raw < would start one, which readers drop
    assert srt.startswith("1\n00:00:00,000 --> 00:00:20,000\nR&amp;D &lt;1&gt;: …\n\n2\n")


def test_srt_cues(session: LiveSession, clock: FakeClock) -> None:
    summary = summary_of(session, clock)
    blocks = render_srt(summary).rstrip("\n").split("\n\n")
    timing = re.compile(r"^(\d{2}:[0-5]\d:[0-5]\d,\d{3}) --> (\d{2}:[0-5]\d:[0-5]\d,\d{3})$")
    for number, block in enumerate(blocks, start=1):
        ident, times, text = block.split("\n")
        assert ident == str(number)
        assert timing.match(times), times
        assert text.split(": ")[0] in LABELS
    assert len(blocks) == 7


# --- the coding matrix -----------------------------------------------------------------------


def read_matrix(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8")  # strict: fails on anything that is not UTF-8
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def test_csv_rows_are_the_notes(session: LiveSession, clock: FakeClock) -> None:
    summary = summary_of(session, clock)
    data = render_csv(summary).encode("utf-8")
    rows = read_matrix(data)
    header, body = rows[0], rows[1:]
    assert header == [
        "Code no.", "Time", "Phase", "Question", "Speaker", "Tags", "Text", "Code group",
        "Noted by",
    ]  # fmt: skip
    assert len(body) == len(summary["notes"]) == 6
    assert all(len(row) == len(header) for row in body)
    assert [row[6] for row in body] == [n["text"] for n in summary["notes"]]
    first = dict(zip(header, body[0], strict=True))
    assert first["Text"] == QUOTE  # æøå, the comma, the semicolon and the quotes intact
    assert first["Time"] == "0:00:45"
    assert first["Phase"] == "Introduction phase"
    assert first["Question"].startswith("Introduction of the theme")
    assert (first["Speaker"], first["Tags"], first["Noted by"]) == (
        "Informant 1",
        "#quote",
        "Moderator",
    )
    assert first["Code no."] == first["Code group"] == ""
    by_text = {row[6]: dict(zip(header, row, strict=True)) for row in body}
    assert by_text["Tillit til NAV, og til «systemet»"]["Speaker"] == "Informant 3"
    assert by_text["Spør om depositum neste gang; husk søknaden"]["Noted by"] == "Assistant"
    assert by_text["Takk for i dag"]["Time"] == "1:01:50"
    assert by_text["Takk for i dag"]["Tags"] == "#observation #summary"
    assert by_text["Takk for i dag"]["Speaker"] == "Moderator"
    assert by_text["Pause: kaffe & kaker <3"]["Tags"] == ""
    assert b";" in data.split(b"\r\n")[0]


def test_real_names_only_when_asked_for(session: LiveSession, clock: FakeClock) -> None:
    summary = summary_of(session, clock)
    for fmt, render in RENDER.items():
        text = render(summary)
        assert "real names" not in text.lower(), fmt
    named = summary_of(session, clock, with_names=True)
    assert named["names"] == {"P1": "Kari Nordmann"}
    assert "Kari Nordmann" not in "".join(render(summary) for render in RENDER.values())
    csv_rows = read_matrix(render_csv(named).encode("utf-8"))
    assert csv_rows[0] == ["This file contains real names. Keep it safe; do not share it."]
    assert csv_rows[1][5] == "Name"
    assert any(row[4:6] == ["Informant 1", "Kari Nordmann"] for row in csv_rows[2:])
    vtt = render_vtt(named)
    first_note = vtt.split("\n\n")[2]
    assert "This file contains real names" in first_note and "Kari Nordmann" in first_note
    parse_vtt(vtt)
    transcript = render_transcript(named)
    assert transcript.startswith("\ufeffTHIS FILE CONTAINS REAL NAMES")
    assert "Informant 1 = Kari Nordmann (Housing office)" in transcript
    assert "Kari" not in render_srt(named)  # SubRip never carries names


# --- the transcript --------------------------------------------------------------------------


def test_transcript_paragraphs(session: LiveSession, clock: FakeClock) -> None:
    summary = summary_of(session, clock)
    text = render_transcript(summary)
    assert text.startswith("\ufeff")
    header, _sep, body = text[1:].partition("\n\n" + "Moderator: ")
    # MAXQDA takes a line with a colon in its first 63 characters for a speaker
    assert all(":" not in line[:63] for line in header.split("\n")), header
    paragraphs = ("Moderator: " + body).rstrip("\n").split("\n\n")
    stamp = re.compile(r"^([^:]+): #(\d{2}):([0-5]\d):([0-5]\d)-(\d)#$")
    starts = []
    for paragraph in paragraphs:
        match = stamp.match(paragraph)
        assert match, paragraph
        assert match.group(1) in LABELS
        h, m, s, d = (int(g) for g in match.groups()[1:])
        starts.append(h * 3600 + m * 60 + s + d / 10)
    assert starts == [0.0, 20.5, 58.0, 90.0, 110.0, 125.0, 3700.0]


# --- the command line ------------------------------------------------------------------------


def test_cli_exports(session: LiveSession, clock: FakeClock, tmp_path: Path) -> None:
    session.close()
    summary = summary_of(session, clock)
    sessions = str(session.store.path.parent)
    command = [venv_bin("facilitator"), "--sessions", sessions, "export", session.info.id]
    env = {**os.environ, "FACILITATOR_LANG": "en"}
    target = tmp_path / "matrix.csv"
    done = subprocess.run(
        [*command, "--format", "csv", "-o", str(target)],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert target.read_bytes() == render_csv(summary).encode("utf-8")
    assert len(read_matrix(target.read_bytes())) == 1 + len(summary["notes"])
    done = subprocess.run([*command, "--format", "vtt"], capture_output=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode("utf-8") == render_vtt(summary)
    parse_vtt(done.stdout.decode("utf-8"))


def test_textgrid_of_an_empty_session_and_notes_at_one_moment(
    live: LiveSession, tmp_path: Path
) -> None:
    """A session of no length still has a span Praat accepts; notes in the same
    millisecond become points a millisecond apart (Praat allows one point per moment);
    control characters, line breaks and quotes stay readable."""
    from praatio import textgrid as praat

    live.add_note('først \x07 "sitat"\nny linje #q')
    live.add_note("samme øyeblikk")
    text = render_textgrid(build_summary(live.info, live.state, live.now()))
    assert "\x07" not in text and text.count("\n\n") == 1  # only after the header
    path = tmp_path / "empty.TextGrid"
    path.write_text(text, encoding="utf-8")
    grid = praat.openTextgrid(str(path), includeEmptyIntervals=True)
    assert grid.minTimestamp == 0 and grid.maxTimestamp == 1.0
    assert [e.label for e in grid.getTier("Moderator").entries] == [""]
    notes = grid.getTier("Notes").entries
    assert [p.time for p in notes] == [0.0, 0.001]
    # Praat's doubled quotes; the bell made visible when typed (core.text.visible)
    assert notes[0].label == 'først ␇ ""sitat"" ny linje #quote'
