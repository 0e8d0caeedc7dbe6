"""Every export opened by an independent reader, never our own parser.

Two sessions, made once for the module through the same session code and storage as the
live view, and exported with the real command line (``facilitator export``):

- a Norwegian one whose title, pseudonyms, roles and notes hold æ, ø, å, ``&``, ``<`` and
  quotes, with a recording in two parts (a break between) on the session clock;
- a 60-minute session played from the generator's script (five participants, a break, a
  late arrival, about forty notes).

Readers (installed by ``make test``: the Python ones in the dev extra, ``webvtt-parser``
by ``scripts/ensure-node.sh`` into ``.node/``, the Debian ones by
``scripts/ensure-system.sh``):

- REFI-QDA: the elements and attributes QualCoder's importer (``RefiImport`` in
  ``src/qualcoder/refi.py``) reads, each in the form it reads it, read here with
  ElementTree from the zip as that importer does;
- ELAN: ``pympi-ling`` (``pympi.Elan.Eaf``), and the linked media resolved;
- WebVTT and SubRip: ``webvtt-py``; ffmpeg, both directions; the npm ``webvtt-parser``
  (the W3C validator's parser) under node, with the full entity table, as the validator
  uses it;
- CSV: LibreOffice headless into xlsx, read back with ``openpyxl``;
- Praat TextGrid: ``praatio`` and ``textgrid``;
- JSON: ``jsonschema`` against ``docs/summary.schema.json``.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import wave
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.core.session import Participant
from facilitator.i18n import set_language
from facilitator.services import simulate as sim
from facilitator.services.live import ASSISTANT, LiveSession
from facilitator.store.session_store import SessionStore
from tests.conftest import GUIDES, ROOT, venv_bin

pytestmark = pytest.mark.slow

QDA = "{urn:QDA-XML:project:1.0}"
RATE = 48_000
NODE_PARSER = ROOT / ".node" / "node_modules" / "webvtt-parser"

NB_PEOPLE = [
    Participant("P1", "Kåre & <Tønnesen>", 'Bolig & "kontor" <1>'),
    Participant("P2", "Åse «Ødegård»", "NAV"),
    Participant("P3", 'Bjørn "Bamse" Æsop', ""),
]
NB_TITLE = 'Samling 1: «tillit» & <tid> "nå"'
NB_NOTES = {
    "quote": 'Vi møter familiene "der de er" & <ikke> på kontoret',
    "summary": "Tillit tar tid å bygge – særlig når økonomien er trang",
    "plain": "Usikker på om alle hørte spørsmålet",
    "follow-up": "Spør om depositum & «bostøtte» <neste gang>",
}


def _tone(path: Path, seconds: float, hz: float) -> None:
    t = np.arange(int(seconds * RATE)) / RATE
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((0.3 * 32767 * np.sin(2 * np.pi * hz * t)).astype("<i2").tobytes())


@dataclass
class Made:
    sessions: Path
    id: str
    path: Path
    recorded: bool


def _norwegian(sessions: Path) -> Made:
    """The Norwegian session (see the module): ended at 3:00 on the session clock."""
    clock = FakeClock(1_800_000_000.0)
    store = SessionStore.create(
        sessions,
        load_guide(GUIDES / "seed-nb.toml"),
        title=NB_TITLE,
        participants=NB_PEOPLE,
        now=clock.now(),
        study="u-sving",
        stage=1,
        guide_path="guides/seed-nb.toml",
    )
    live = LiveSession(store, clock=clock)
    for person in NB_PEOPLE:
        live.set_consent(person.id, True)
    live.speak("moderator")
    clock.advance(10)
    _tone(store.path / "audio" / "rec-001.wav", 50.0, 440)
    live.recording_started("audio/rec-001.wav", 10.0, "Testmikrofon")
    live.speak("P1")
    clock.advance(20)
    live.add_note(f"{NB_NOTES['quote']} #q #t")
    clock.advance(10)
    live.speak("P2")
    clock.advance(15)
    live.add_note(f"{NB_NOTES['summary']} #s")
    live.add_note(NB_NOTES["plain"])
    clock.advance(5)
    live.recording_stopped("audio/rec-001.wav", 60.0, "pause")
    live.toggle_pause()  # a minute's break: the session clock stands still
    clock.advance(60)
    live.toggle_pause()
    _tone(store.path / "audio" / "rec-002.wav", 90.0, 880)
    live.recording_started("audio/rec-002.wav", 60.0, "Testmikrofon")
    live.next_phase()
    live.speak("P3")
    clock.advance(40)
    assistant = LiveSession(store, clock=clock, writer=ASSISTANT)
    assistant.add_note(f"@1 {NB_NOTES['follow-up']} #f")
    assistant.close()
    live.speak("moderator")
    clock.advance(30)
    live.speak("P1")
    clock.advance(20)
    live.recording_stopped("audio/rec-002.wav", 150.0, "stop")
    live.speak("moderator")
    clock.advance(30)
    live.end()
    live.close()
    return Made(sessions, store.info().id, store.path, True)


def _generated(sessions: Path) -> Made:
    """A 60-minute session played from the generator's script (see the module)."""
    guide_file = GUIDES / "seed-en.toml"
    guide = load_guide(guide_file)
    script = sim.parse_script(
        sim.generate_script(guide, str(guide_file), sim.GeneratorPlan(60, 5, 7)), "long.sim"
    )
    started = 1_800_000_000.0
    store = sim.create_session(sessions, script, guide, str(guide_file), started)
    clock = FakeClock(started)
    live = LiveSession(store, clock=clock)
    sim.play_headless(live, clock, sim.new_playback(script, started))
    live.close()
    return Made(sessions, store.info().id, store.path, False)


@pytest.fixture(scope="module", params=["norwegian", "generated"])
def made(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Made:
    set_language("en")
    sessions = tmp_path_factory.mktemp(request.param) / "sessions"
    return _norwegian(sessions) if request.param == "norwegian" else _generated(sessions)


def cli(made: Made, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(made.sessions), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "FACILITATOR_LANG": "en"},
    )
    assert done.returncode == 0, done.stderr
    return done


def export(made: Made, fmt: str, out: Path | None = None) -> Path:
    args = ["export", made.id, "--format", fmt] + (["-o", str(out)] if out else [])
    return Path(cli(made, *args).stdout.strip().splitlines()[-1])


def summary_of(made: Made) -> dict[str, Any]:
    return json.loads(cli(made, "summary", made.id, "--format", "json").stdout)


def label(summary: dict[str, Any], who: str) -> str:
    if who == "moderator":
        return "Moderator"
    return next(p["label"] for p in summary["participants"] if p["id"] == who)


def turns_of_length(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in summary["turns"] if t["end_s"] > t["start_s"]]


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


# --- REFI-QDA: what QualCoder's importer reads ------------------------------------------------


def _one(element: ET.Element, tag: str) -> ET.Element:
    found = element.findall(f"{QDA}{tag}")
    assert len(found) == 1, (tag, element.attrib)
    return found[0]


def _date(element: ET.Element) -> str:
    """The creation time QualCoder reads (``creationDateTime``, else ``modifiedDateTime``,
    then ``.replace('T', ' ').replace('Z', '')``): it stops on an element with neither."""
    value = element.get("creationDateTime") or element.get("modifiedDateTime")
    assert value, f"{element.tag} {element.attrib} has no creation time"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value), value
    return value.replace("T", " ").replace("Z", "")


def _internal(archive: zipfile.ZipFile, path: str | None) -> bytes:
    """A file named ``internal://<name>`` is ``Sources/<name>`` in the zip."""
    assert path and path.startswith("internal://"), path
    return archive.read("Sources/" + path[len("internal://") :])


def read_as_qualcoder(qdpx: Path) -> dict[str, Any]:
    """What a QualCoder import of ``qdpx`` brings in: sources, codes, coded segments with
    their text, annotations, cases with attributes, journals (memos), the project memo."""
    with zipfile.ZipFile(qdpx) as archive:
        names = set(archive.namelist())
        assert "project.qde" in names
        assert {n.split("/")[0] for n in names} == {"project.qde", "Sources"}
        root = ET.fromstring(archive.read("project.qde"))
        assert root.tag == f"{QDA}Project"
        assert root.get("origin")  # QualCoder looks for "ATLAS" in it: it must be there
        assert root.get("basePath") is None  # nothing outside the archive
        children = [c.tag for c in root]

        users = {u.get("guid"): u.get("name") for u in _one(root, "Users")}
        assert all(users) and all(users.values())

        # CodeBook > Codes > Code (isCodable="false": a category), Description as memo
        codes: dict[str, dict[str, Any]] = {}
        categories: dict[str, str] = {}

        def walk(element: ET.Element, category: str | None) -> None:
            name = element.get("name")
            assert name and element.get("guid")
            description = element.findtext(f"{QDA}Description") or ""
            if element.get("isCodable") == "false":
                categories[element.get("guid", "")] = name
                category = name
            else:
                colour = element.get("color")
                assert colour is None or re.fullmatch(r"#[0-9A-Fa-f]{6}", colour)
                codes[element.get("guid", "")] = {
                    "name": name,
                    "category": category,
                    "memo": description,
                }
            for child in element.findall(f"{QDA}Code"):
                walk(child, category)

        code_book = _one(root, "CodeBook")
        for code in list(code_book)[0]:  # QualCoder: "<Codes> tag is only element"
            walk(code, None)
        assert len({c["name"] for c in codes.values()}) == len(codes)  # names are unique

        variables = {
            v.get("guid"): (v.get("name"), v.get("typeOfVariable")) for v in _one(root, "Variables")
        }
        assert all(kind in ("Text", "Integer") for _n, kind in variables.values())

        # Sources: TextSource (plainTextPath), AudioSource (path); selections with codings
        sources: list[dict[str, Any]] = []
        segments: list[dict[str, Any]] = []
        annotations: list[dict[str, Any]] = []
        audio_segments: list[dict[str, Any]] = []
        source_names = []
        for source in _one(root, "Sources"):
            name = source.get("name")
            assert name and not re.search(r'[<>:"/\\|?*]', name), name  # a file name too
            source_names.append(name)
            _date(source)
            assert source.get("creatingUser") in users
            memo = source.findtext(f"{QDA}Description") or ""
            if source.tag == f"{QDA}TextSource":
                assert source.get("path") is None
                text = _internal(archive, source.get("plainTextPath")).decode("utf-8")
                assert not text.startswith("\ufeff") and "\r" not in text
                sources.append({"kind": "text", "name": name, "memo": memo, "text": text})
                for selection in source.findall(f"{QDA}PlainTextSelection"):
                    start = int(selection.get("startPosition", ""))
                    end = int(selection.get("endPosition", ""))
                    assert 0 <= start < end <= len(text)
                    when = _date(selection)
                    assert selection.get("creatingUser") in users
                    description = selection.findtext(f"{QDA}Description") or ""
                    coded = selection.findall(f"{QDA}Coding")
                    for coding in coded:
                        _date(coding)
                        code_ref = list(coding)[0]  # QualCoder reads the first child
                        assert code_ref.tag == f"{QDA}CodeRef"
                        assert code_ref.get("targetGUID") in codes
                        segments.append(
                            {
                                "code": codes[code_ref.get("targetGUID", "")]["name"],
                                "text": text[start:end],
                                "memo": description,
                                "owner": users[selection.get("creatingUser")],
                                "date": when,
                                "guid": selection.get("guid"),
                            }
                        )
                    if not coded:
                        annotations.append({"text": text[start:end], "memo": description})
                    memo_of = [r.get("targetGUID") for r in selection.findall(f"{QDA}NoteRef")]
                    for item in segments[len(segments) - len(coded) :] if coded else []:
                        item["note"] = memo_of[0] if memo_of else None
                    if not coded:
                        annotations[-1]["note"] = memo_of[0] if memo_of else None
            else:
                assert source.tag == f"{QDA}AudioSource", source.tag
                assert name.endswith(".wav")  # QualCoder keeps it under this name
                data = _internal(archive, source.get("path"))
                assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
                wav = qdpx.parent / ("check-" + name)
                wav.write_bytes(data)
                sources.append({"kind": "audio", "name": name, "memo": memo, "file": wav})
                for selection in source.findall(f"{QDA}AudioSelection"):
                    _date(selection)
                    assert selection.get("creatingUser") in users
                    for coding in selection.findall(f"{QDA}Coding"):
                        code_ref = list(coding)[0]
                        assert code_ref.get("targetGUID") in codes
                        audio_segments.append(
                            {
                                "code": codes[code_ref.get("targetGUID", "")]["name"],
                                "begin_ms": int(selection.get("begin", "")),
                                "end_ms": int(selection.get("end", "")),
                            }
                        )
        assert len(set(source_names)) == len(source_names)

        # Notes: journals when they have a name and a plainTextPath (and are no annotation)
        journals = []
        for note in root.findall(f"{QDA}Notes/{QDA}Note"):
            date = _date(note)
            assert note.get("name")
            assert note.get("creatingUser") in users
            assert note.find(f"{QDA}PlainTextContent") is None  # one of the two, not both
            entry = _internal(archive, note.get("plainTextPath")).decode("utf-8")
            journals.append(
                {"name": note.get("name"), "entry": entry, "date": date, "guid": note.get("guid")}
            )
        assert len({j["name"] for j in journals}) == len(journals)  # QualCoder: unique names

        # Cases: a name (QualCoder skips one without), Description as memo, VariableValues
        cases = {}
        for case in root.findall(f"{QDA}Cases/{QDA}Case"):
            assert case.get("name") and case.get("guid")
            attributes = {}
            for value in case.findall(f"{QDA}VariableValue"):
                ref = _one(value, "VariableRef").get("targetGUID")
                assert ref in variables
                (content,) = [v for v in value if v.tag != f"{QDA}VariableRef"]
                attributes[variables[ref][0]] = content.text
            refs = {
                "codes": [
                    codes[r.get("targetGUID", "")]["name"] for r in case.iter(f"{QDA}CodeRef")
                ],
                "sources": [r.get("targetGUID") for r in case.findall(f"{QDA}SourceRef")],
                "selections": [r.get("targetGUID") for r in case.findall(f"{QDA}SelectionRef")],
            }
            cases[case.get("name")] = {
                "memo": case.findtext(f"{QDA}Description") or "",
                "attributes": attributes,
                **refs,
            }

        project_memo = _one(root, "Description").text or ""
    return {
        "order": children,
        "users": users,
        "codes": codes,
        "categories": set(categories.values()),
        "sources": sources,
        "segments": segments,
        "annotations": annotations,
        "audio_segments": audio_segments,
        "journals": journals,
        "cases": cases,
        "project_memo": project_memo,
    }


SCHEMAS = ROOT / "tests" / "schemas"


def test_qdpx_imports_whole(made: Made, tmp_path: Path) -> None:
    import xmlschema

    summary = summary_of(made)
    qdpx = export(made, "qdpx", tmp_path / "project.qdpx")
    with zipfile.ZipFile(qdpx) as archive:  # what the importer reads is valid REFI-QDA too
        xmlschema.XMLSchema(str(SCHEMAS / "Project.xsd")).validate(
            archive.read("project.qde").decode("utf-8")
        )
    got = read_as_qualcoder(qdpx)

    # the project's parts in the schema's order
    assert [tag.removeprefix(QDA) for tag in got["order"]] == [
        "Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Description"
    ]  # fmt: skip
    assert set(got["users"].values()) == {"Moderator"} | (
        {"Assistant"} if any(n["author"] == "assistant" for n in summary["notes"]) else set()
    )

    # codes: one per tag, one per speaker, in two categories
    assert got["categories"] == {"Tags", "Speakers"}
    tags = {c["name"] for c in got["codes"].values() if c["category"] == "Tags"}
    assert tags >= {"quote", "theme", "follow-up", "observation", "summary", "between"}
    speakers = {c["name"] for c in got["codes"].values() if c["category"] == "Speakers"}
    assert speakers == {"Moderator"} | {p["label"] for p in summary["participants"]}

    # the session's text, with one coded segment per tag of each note, with its text
    (text,) = [s for s in got["sources"] if s["kind"] == "text"]
    assert summary["session"]["id"] in text["name"]
    if made.recorded:  # the title, with look-alikes for what a file name cannot hold
        assert text["name"].startswith("Samling 1 «tillit» & ‹tid› 'nå' (")
    assert len(got["journals"]) == len(summary["notes"])
    for note, journal in zip(summary["notes"], got["journals"], strict=True):
        coded = [s for s in got["segments"] if s.get("note") == journal["guid"]]
        if note["tags"]:
            assert {s["memo"] for s in coded} == {journal["entry"]}
            assert sorted(s["code"] for s in coded) == sorted(note["tags"])
            assert {s["text"] for s in coded} == {note["text"]}
            owner = "Assistant" if note["author"] == "assistant" else "Moderator"
            assert {s["owner"] for s in coded} == {owner}
        else:
            assert not coded
            (annotation,) = [a for a in got["annotations"] if a["note"] == journal["guid"]]
            assert annotation["text"] == note["text"]
            assert annotation["memo"] == journal["entry"]
    # every speaker turn coded by its speaker, its segment the turn's line
    turns = turns_of_length(summary)
    speaker_segments = [s for s in got["segments"] if s["code"] in speakers]
    assert len(speaker_segments) == len(turns)
    for segment, turn in zip(
        speaker_segments, sorted(turns, key=lambda t: t["start_s"]), strict=True
    ):
        assert segment["code"] == label(summary, turn["who"])
        assert segment["text"].endswith(f"{label(summary, turn['who'])}:")
        assert segment["text"].startswith("[")

    # the notes as memos (journals), each with its text
    assert len(got["journals"]) == len(summary["notes"])
    for journal, note in zip(got["journals"], summary["notes"], strict=True):
        assert journal["entry"].startswith(note["text"])
        assert note["text"][:20] in journal["name"]

    # the participants as cases, with role, stage and study
    assert set(got["cases"]) == {p["label"] for p in summary["participants"]}
    for p in summary["participants"]:
        case = got["cases"][p["label"]]
        expected = {"Stage": str(summary["session"]["stage"])}
        if p["role"]:
            expected["Role"] = p["role"]
        if summary["session"]["study"]:
            expected["Study"] = summary["session"]["study"]
        assert case["attributes"] == expected
        assert case["memo"] == (p["role"] or "")
        assert case["codes"] == [p["label"]]
        own = {s["guid"] for s in speaker_segments if s["code"] == p["label"]}
        assert own <= set(case["selections"])

    # the recording as an audio source, its turns coded by speaker, on the session clock
    audio = [s for s in got["sources"] if s["kind"] == "audio"]
    if made.recorded:
        (source,) = audio
        assert wav_seconds(source["file"]) == pytest.approx(
            summary["session"]["duration_s"], abs=0.05
        )
        assert len(got["audio_segments"]) == len(turns)
        for segment, turn in zip(
            got["audio_segments"], sorted(turns, key=lambda t: t["start_s"]), strict=True
        ):
            assert segment["code"] == label(summary, turn["who"])
            assert segment["begin_ms"] == round(turn["start_s"] * 1000)
            assert segment["end_ms"] == round(turn["end_s"] * 1000)
        assert all(len(case["sources"]) == 2 for case in got["cases"].values())
    else:
        assert audio == [] and got["audio_segments"] == []

    # the moderator's summary as the project memo
    assert got["project_memo"].startswith(f"# {summary['session']['title']}")
    for point in summary["member_check"]:
        assert point["text"] in got["project_memo"]


# --- ELAN: pympi ---------------------------------------------------------------------------------


def test_eaf_opens_with_its_recording_in_pympi(made: Made, tmp_path: Path) -> None:
    import pympi
    import xmlschema

    eaf_schema = xmlschema.XMLSchema(str(SCHEMAS / "EAFv3.0.xsd"))
    summary = summary_of(made)
    # where the summary screen writes it (the session's exports/), and somewhere else
    for where in (made.path / "exports" / f"{made.id}.eaf", tmp_path / "elsewhere" / "s.eaf"):
        where.parent.mkdir(exist_ok=True)
        path = export(made, "eaf", where)
        eaf_schema.validate(path.read_text(encoding="utf-8"))
        eaf = pympi.Elan.Eaf(str(path))
        tiers = eaf.get_tier_names()
        assert "Moderator" in tiers and "Notes" in tiers
        for p in summary["participants"]:
            assert p["label"] in tiers
        spoken = sum(len(eaf.get_annotation_data_for_tier(t)) for t in tiers if "Notes" not in t)
        assert spoken == len(turns_of_length(summary))
        notes = [
            a[2]
            for t in tiers
            if t.startswith("Notes")
            for a in eaf.get_annotation_data_for_tier(t)
        ]
        assert len(notes) == len(summary["notes"])
        if not made.recorded:
            assert eaf.media_descriptors == []
            continue
        (media,) = eaf.media_descriptors
        assert media["MIME_TYPE"] == "audio/x-wav"
        assert media["MEDIA_URL"].startswith("file:///")
        absolute = Path(media["MEDIA_URL"][len("file://") :])
        relative = (path.parent / media["RELATIVE_MEDIA_URL"]).resolve()
        assert absolute.is_file() and relative == absolute.resolve()
        assert "TIME_ORIGIN" not in media  # the audio starts with the session clock
        assert wav_seconds(absolute) == pytest.approx(summary["session"]["duration_s"], abs=0.05)
        assert summary["session"]["recording"] == str(absolute.relative_to(made.path))


# --- WebVTT and SubRip: webvtt-py, ffmpeg, the W3C validator's parser --------------------------


def strict_parse(path: Path) -> dict[str, Any]:
    """``webvtt-parser`` (strict, the full entity table) on ``path``: errors and cues."""
    program = f"""
const {{WebVTTParser}} = require({json.dumps(str(NODE_PARSER))});
const entities = require({json.dumps(str(NODE_PARSER / "html-entities.json"))});
const text = require("fs").readFileSync({json.dumps(str(path))}, "utf8");
const tree = new WebVTTParser(entities).parse(text, "subtitles");
const flat = (node) => node.type === "text" ? node.value : (node.children || []).map(flat).join("");
console.log(JSON.stringify({{
  errors: tree.errors.map(e => e.message + " line " + e.line),
  cues: tree.cues.map(c => ({{
    text: flat(c.tree),
    voices: c.tree.children.filter(n => n.name === "v").map(n => n.value),
  }})),
}}));
"""
    done = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def ffmpeg(source: Path, target: Path) -> str:
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return target.read_text(encoding="utf-8")


def test_subtitles_in_webvtt_py_ffmpeg_and_a_strict_parser(made: Made, tmp_path: Path) -> None:
    import webvtt

    summary = summary_of(made)
    speakers = [
        label(summary, t["who"])
        for t in sorted(turns_of_length(summary), key=lambda t: t["start_s"])
    ]
    vtt = export(made, "vtt", tmp_path / "turns.vtt")
    srt = export(made, "srt", tmp_path / "turns.srt")

    # webvtt-py leaves character references to the caller
    captions = webvtt.read(str(vtt))
    assert [html.unescape(c.voice or "") for c in captions] == speakers
    assert [html.unescape(c.text) for c in captions] == [f"{s}: …" for s in speakers]
    captions = webvtt.from_srt(str(srt))
    assert [html.unescape(c.text) for c in captions] == [f"{s}: …" for s in speakers]

    # the strict parser: no error, every voice and cue text read back
    parsed = strict_parse(vtt)
    assert parsed["errors"] == []
    assert [html.unescape(v) for c in parsed["cues"] for v in c["voices"]] == speakers
    assert [c["text"] for c in parsed["cues"]] == [f"{s}: …" for s in speakers]

    # ffmpeg, both ways: WebVTT to SubRip keeps the names
    from_vtt = ffmpeg(vtt, tmp_path / "from-vtt.srt")
    assert [line for line in from_vtt.splitlines() if line.endswith(": …")] == [
        f"{s}: …" for s in speakers
    ]
    # SubRip to WebVTT gives a file the strict parser reads without an error, names intact
    back = tmp_path / "from-srt.vtt"
    ffmpeg(srt, back)
    parsed = strict_parse(back)
    assert parsed["errors"] == []
    assert [c["text"] for c in parsed["cues"]] == [f"{s}: …" for s in speakers]


# --- CSV: LibreOffice ------------------------------------------------------------------------


def test_csv_in_libreoffice(made: Made, tmp_path: Path) -> None:
    import openpyxl

    summary = summary_of(made)
    csv_path = export(made, "csv", tmp_path / "matrix.csv")
    profile = tmp_path / "lo-profile"
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--infilter=CSV:59,34,76,1",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path),
            str(csv_path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    xlsx = tmp_path / "matrix.xlsx"
    assert xlsx.exists(), done.stdout + done.stderr
    sheet = openpyxl.load_workbook(xlsx).active
    rows = [
        [("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    header, body = rows[0], rows[1:]
    assert len(header) > 5 and all(header)  # one column per field, not one guessed column
    assert len(body) == len(summary["notes"])
    texts = {cell for row in body for cell in row}
    for note in summary["notes"]:
        assert note["text"] in texts  # æ, ø, å, quotes, & and < intact, no formula
    if made.recorded:
        assert NB_NOTES["quote"] in texts


# --- Praat TextGrid: praatio and textgrid --------------------------------------------------------


def test_textgrid_in_praatio_and_textgrid(made: Made, tmp_path: Path) -> None:
    import textgrid
    from praatio import textgrid as praat

    summary = summary_of(made)
    path = export(made, "textgrid", tmp_path / "session.TextGrid")
    assert path.read_bytes()[:3] != b"\xef\xbb\xbf"
    speakers = ["Moderator"] + [p["label"] for p in summary["participants"]]
    turns = turns_of_length(summary)

    grid = praat.openTextgrid(str(path), includeEmptyIntervals=False)
    # praatio leaves Praat's doubled quotes ("") doubled, in names and labels alike
    assert [n.replace('""', '"') for n in grid.tierNames] == [*speakers, "Notes"]
    assert grid.maxTimestamp == pytest.approx(summary["session"]["duration_s"], abs=0.002)
    for name, tier in zip(speakers, grid.tiers, strict=False):
        mine = [t for t in turns if label(summary, t["who"]) == name]
        assert [(e.start, e.end) for e in tier.entries] == [
            (pytest.approx(t["start_s"], abs=0.001), pytest.approx(t["end_s"], abs=0.001))
            for t in mine
        ]
        assert {e.label for e in tier.entries} <= {"…"}
    notes = grid.tiers[-1].entries
    assert len(notes) == len(summary["notes"])
    for point, note in zip(notes, sorted(summary["notes"], key=lambda n: n["t_s"]), strict=True):
        assert point.time == pytest.approx(note["t_s"], abs=0.01)
        assert note["text"] in point.label.replace('""', '"')

    other = textgrid.TextGrid.fromFile(str(path))
    # textgrid undoubles Praat's doubled quotes in marks, not in tier names
    assert [tier.name.replace('""', '"') for tier in other] == [*speakers, "Notes"]
    for tier, name in zip(list(other)[:-1], speakers, strict=True):
        assert sum(1 for i in tier if i.mark == "…") == sum(
            1 for t in turns if label(summary, t["who"]) == name
        )
        assert tier[0].minTime == 0 and tier[-1].maxTime == pytest.approx(other.maxTime)
    marks = [p.mark for p in list(other)[-1]]
    for note in summary["notes"]:
        assert any(note["text"] in mark for mark in marks)  # quotes undoubled


# --- JSON: the summary's schema ------------------------------------------------------------------


def test_summary_json_follows_its_schema(made: Made) -> None:
    import jsonschema

    schema = json.loads((ROOT / "docs" / "summary.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    summary = summary_of(made)
    jsonschema.validate(summary, schema, cls=jsonschema.Draft202012Validator)
    assert (summary["session"]["recording"] is not None) == made.recorded


def test_readers_are_installed() -> None:
    """Nothing here is skipped: each reader is there, as ``make test`` installs it."""
    for program in ("node", "ffmpeg", "soffice"):
        assert shutil.which(program), program
    assert (NODE_PARSER / "parser.js").is_file(), "run scripts/ensure-node.sh"
