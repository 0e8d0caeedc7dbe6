"""Every export carries the words when a session has a transcript, read back by independent
readers: webvtt-py and the W3C validator's parser (WebVTT), webvtt-py (SubRip), pympi-ling
(ELAN), ElementTree and the REFI-QDA schema (xmlschema) for the qdpx with its SyncPoints,
Python's csv module for the coding matrix, and the text itself for the MAXQDA/NVivo
transcript, the Markdown and the HTML.

The session is made with the live view's own code; its transcript is stored with the
storage layer's own writer (words chosen by the test, so that every check knows what each
speaker said); the exports are made by the real command line. A participant's real name
is among the words: it must appear in no export but as its pseudonym, unless
``--with-names``.
"""

from __future__ import annotations

import csv
import html
import io
import os
import subprocess
import wave
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest

from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.core.session import Participant
from facilitator.core.transcript import Stretch, Word, word_id
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from facilitator.store.transcript_store import TranscriptStore
from tests.conftest import GUIDES, ROOT, START, venv_bin

pytestmark = pytest.mark.slow  # the real command line, ffmpeg for the linked recording

QDA = "{urn:QDA-XML:project:1.0}"
RATE = 48_000
PEOPLE = [
    Participant("P1", "Informant 1", "Housing office", "Kari Nordmann"),
    Participant("P2", "Informant 2", "NAV"),
]
# (speaker, words, start on the session clock); the keys are pressed 0.7 s late
SAID = [
    ("moderator", "How do you meet the families today?", 12.0),
    ("P1", "We meet them where they are, mostly at home.", 16.0),
    ("P2", "I agree with Kari, home visits build trust.", 21.0),
    ("P1", "Trust takes time & patience <always>.", 26.0),
]


def words_of(text: str, part: str, stretch: int, start: float, first: int = 0):
    out = []
    for n, token in enumerate(text.split()):
        out.append(
            Word(word_id(part, stretch, first + n), start + 0.4 * n, start + 0.4 * n + 0.35, token)
        )
    return out


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("sessions")
    clock = FakeClock(START)
    store = SessionStore.create(
        root, load_guide(GUIDES / "seed-en.toml"), title="Words", participants=PEOPLE,
        now=clock.now(),
    )  # fmt: skip
    live = LiveSession(store, clock=clock)
    for person in PEOPLE:
        live.set_consent(person.id, True)
    samples = (0.2 * 32767 * np.sin(2 * np.pi * 220 * np.arange(30 * RATE) / RATE)).astype("<i2")
    (store.path / "audio").mkdir(mode=0o700, exist_ok=True)
    with wave.open(str(store.path / "audio" / "rec-001.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    clock.advance(10)
    live.recording_started("audio/rec-001.wav", 10.0, "Test microphone")
    for who, _text, start in SAID:
        clock.t = START + start + 0.7
        live.speak(who)
        if who == "P2":
            live.add_note("#quote home visits build trust")
    clock.t = START + 40.0
    live.recording_stopped("audio/rec-001.wav", 40.0, "stop")
    live.speak(None)
    live.end()
    live.close()
    words = []
    for _who, text, start in SAID:
        words += words_of(text, "rec-001", 0, start, len(words))
    silences = tuple(
        (a[2] + 0.4 * len(a[1].split()), b[2]) for a, b in zip(SAID, SAID[1:], strict=False)
    )
    with TranscriptStore(store.path).open_writer() as writer:
        writer.begin("tiny.en", "en", {"rec-001": 30.0}, START)
        writer.append(
            Stretch("rec-001", 0, 10.0, 40.0, tuple(words), silences, 1.5, "en", 16.0, 15.0)
        )
        writer.finish(True, START + 60)
    return root, store.path.name


def export(root: Path, sid: str, fmt: str, tmp: Path, *extra: str) -> Path:
    target = tmp / f"out.{fmt}"
    command = "summary" if fmt == "md" else "export"  # the Markdown is the summary
    done = subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(root), command, sid, "--format", fmt,
         "-o", str(target), *extra],
        capture_output=True, text=True, timeout=120, env={**os.environ, "FACILITATOR_LANG": "en"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return target


EXPECTED = [
    ("Moderator", "How do you meet the families today?"),
    ("Informant 1", "We meet them where they are, mostly at home."),
    ("Informant 2", "I agree with Informant 1, home visits build trust."),
    ("Informant 1", "Trust takes time & patience <always>."),
]


def test_webvtt_and_srt_hold_a_cue_per_statement_with_its_voice_and_words(session, tmp_path):
    import webvtt

    root, sid = session
    vtt = webvtt.read(str(export(root, sid, "vtt", tmp_path)))
    # webvtt-py leaves the character references as they are: the text as the file has it
    assert [(c.voice, html.unescape(c.text)) for c in vtt] == [
        (who, f"{who}: {text}") for who, text in EXPECTED
    ]
    assert vtt[1].start == "00:00:16.000"
    srt = webvtt.from_srt(str(export(root, sid, "srt", tmp_path)))
    assert [html.unescape(c.text) for c in srt] == [f"{who}: {text}" for who, text in EXPECTED]
    from tests.test_export_readers import strict_parse

    strict = strict_parse(tmp_path / "out.vtt")  # the W3C validator's parser
    assert strict["errors"] == []
    assert [c["voices"] for c in strict["cues"]] == [[who] for who, _text in EXPECTED]
    assert [c["text"] for c in strict["cues"]] == [f"{who}: {text}" for who, text in EXPECTED]
    named = webvtt.read(str(export(root, sid, "vtt", tmp_path, "--with-names")))
    assert named[2].text.endswith("I agree with Kari, home visits build trust.")


def test_elan_has_a_tier_per_speaker_with_the_words(session, tmp_path):
    from pympi.Elan import Eaf

    root, sid = session
    eaf = Eaf(str(export(root, sid, "eaf", tmp_path)))
    said = {
        tier: [value for _start, _end, value in eaf.get_annotation_data_for_tier(tier)]
        for tier in ("Moderator", "Informant 1", "Informant 2")
    }
    assert said == {
        "Moderator": [EXPECTED[0][1]],
        "Informant 1": [EXPECTED[1][1], EXPECTED[3][1]],
        "Informant 2": [EXPECTED[2][1]],
    }
    assert eaf.get_annotation_data_for_tier("Informant 1")[0][:2] == (16000, 19550)
    assert eaf.media_descriptors and eaf.media_descriptors[0]["MIME_TYPE"] == "audio/x-wav"


def test_refi_qda_codes_each_statement_by_speaker_and_syncs_the_text_with_the_audio(
    session, tmp_path
):
    import xmlschema

    root, sid = session
    path = export(root, sid, "qdpx", tmp_path)
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("project.qde").decode()
        xmlschema.XMLSchema(str(ROOT / "tests" / "schemas" / "Project.xsd")).validate(xml)
        project = ET.fromstring(xml)
        codes = {c.get("guid"): c.get("name") for c in project.iter(f"{QDA}Code")}
        source = next(project.iter(f"{QDA}TextSource"))
        text = archive.read("Sources/" + source.get("plainTextPath").split("//")[1]).decode()
        coded = []
        for selection in source.iter(f"{QDA}PlainTextSelection"):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            refs = [r.get("targetGUID") for r in selection.iter(f"{QDA}CodeRef")]
            names = [codes[r] for r in refs]
            if names and names[0] in ("Moderator", "Informant 1", "Informant 2"):
                coded.append((names[0], text[start:end].split(": ", 1)[1]))
        assert coded == EXPECTED
        audio = next(project.iter(f"{QDA}AudioSource"))
        transcript = audio.find(f"{QDA}Transcript")
        assert transcript is not None
        synced = archive.read("Sources/" + transcript.get("plainTextPath").split("//")[1])
        assert synced.decode() == text
        points = [(int(p.get("timeStamp")), int(p.get("position"))) for p in transcript]
        assert [stamp for stamp, _pos in points] == [12000, 16000, 21000, 26000]
        for (stamp, position), (who, words) in zip(points, EXPECTED, strict=True):
            assert text[position:].startswith(f"[00:00:{stamp // 1000:02d}] {who}: {words}")
    assert b"Kari" not in path.read_bytes()


def test_the_coding_matrix_has_a_row_per_statement(session, tmp_path):
    root, sid = session
    raw = export(root, sid, "csv", tmp_path).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw), delimiter=";"))
    header, body = rows[0], rows[1:]
    spoken = [r for r in body if r[header.index("Noted by")] == "Transcript"]
    assert [(r[header.index("Speaker")], r[header.index("Text")]) for r in spoken] == EXPECTED
    assert all(
        r[header.index("Code no.")] == "" and r[header.index("Code group")] == "" for r in spoken
    )
    assert [r[header.index("Time")] for r in spoken] == ["0:00:12", "0:00:16", "0:00:21", "0:00:26"]
    assert all(r[header.index("Question")] for r in spoken)  # filled from the guide
    notes = [r for r in body if r[header.index("Noted by")] != "Transcript"]
    assert [r[header.index("Text")] for r in notes] == ["home visits build trust"]
    assert body.index(notes[0]) == body.index(spoken[2]) + 1  # after the words it was about


def test_the_transcript_for_maxqda_and_nvivo_has_name_paragraphs_with_time_stamps(
    session, tmp_path
):
    root, sid = session
    text = export(root, sid, "transcript", tmp_path).read_text(encoding="utf-8-sig")
    paragraphs = [
        p.strip() for p in text.split("\n\n") if p.startswith(("Moderator:", "Informant"))
    ]
    assert paragraphs == [
        "Moderator: #00:00:12-0# How do you meet the families today?",
        "Informant 1: #00:00:16-0# We meet them where they are, mostly at home.",
        "Informant 2: #00:00:21-0# I agree with Informant 1, home visits build trust.",
        "Informant 1: #00:00:26-0# Trust takes time & patience <always>.",
    ]


def test_markdown_and_html_show_each_quote_beside_the_words_at_its_time(session, tmp_path):
    root, sid = session
    markdown = export(root, sid, "md", tmp_path).read_text(encoding="utf-8")
    quote = markdown.split("## Quotes", 1)[1]
    assert "“home visits build trust”" in quote
    assert "> 00:21 Informant 2: I agree with Informant 1, home visits build trust." in quote
    assert "**Transcript:** tiny.en (en): 30 words in 4 statements, 0 unattributed" in markdown
    assert "100 % of the recording transcribed, words for 94 % of the speech heard" in markdown
    page = export(root, sid, "html", tmp_path).read_text(encoding="utf-8")
    assert html.escape("00:21 Informant 2: I agree with Informant 1, home visits") in page
    for fmt in ("md", "html", "csv", "transcript", "srt"):
        assert "Kari" not in export(root, sid, fmt, tmp_path).read_text(encoding="utf-8-sig")
