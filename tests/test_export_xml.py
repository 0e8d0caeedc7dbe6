"""The XML exports: ELAN 3.0 (eaf) and the REFI-QDA project (qdpx).

A scripted session on a fake clock is rendered in both formats; the results are validated
against the formats' own schemas (``tests/schemas/``, see the README there) and compared
with the files in ``tests/golden/``. After a deliberate change, rewrite those with
``UPDATE_GOLDEN=1 pytest tests/test_export_xml.py`` and read the diff by eye.
"""

from __future__ import annotations

import io
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from facilitator.core.clock import FakeClock
from facilitator.core.summary import build_summary
from facilitator.exports import FORMATS, renderer
from facilitator.exports.eaf import render_eaf
from facilitator.exports.qdpx import render_qdpx
from facilitator.services.live import ASSISTANT, LiveSession
from tests.conftest import venv_bin
from tests.test_export_text import check_golden, summary_of, to

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
SCHEMAS = HERE / "schemas"
QDA = "{urn:QDA-XML:project:1.0}"
REAL_NAME = "Kari Nordmann"
QUOTE = "Vi møter familiene på kontoret – ÆØÅ æøå"
NOTES = {
    QUOTE,
    "nikker og smiler",
    "Spør om depositum & «bostøtte» <neste gang>",
    "kaffe i pausen",
    "Takk for praten",
}


# The session takes place in the past: the command builds its summary at the real time, and
# a session that ended after that (as one on conftest's future clock would) has no length
# yet by that clock.
PAST = 1_767_254_400.0  # 2026-01-01 08:00 UTC
FIXED_ID = "2026-01-01-stage-1-test"  # for the golden files: a new session's id is random


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(PAST)


def run_session(live: LiveSession, clock: FakeClock) -> None:
    """Turns of the moderator and three informants, notes of every kind, a break."""
    live.speak("moderator")
    to(live, clock, 12.345)  # not a whole second: milliseconds count
    live.speak("P1")
    to(live, clock, 30)
    live.add_note(f"{QUOTE} #q")
    to(live, clock, 30.4)  # less than a second later: a second notes tier
    live.add_note("@2 nikker og smiler #o")
    to(live, clock, 47.5)
    live.speak("P2")
    to(live, clock, 60)
    live.next_question()
    to(live, clock, 75)
    assistant = LiveSession(live.store, writer=ASSISTANT, clock=clock)
    try:
        assistant.add_note("Spør om depositum & «bostøtte» <neste gang> #f #t")
    finally:
        assistant.close()
    live.poll()
    to(live, clock, 80)
    live.speak(None)  # a silence
    to(live, clock, 85)
    live.speak("P3")
    to(live, clock, 90)
    live.toggle_pause()  # the session clock stands still for a minute
    clock.advance(30)
    live.add_note("kaffe i pausen")  # untagged, in the break
    clock.advance(30)
    live.toggle_pause()
    to(live, clock, 100)
    live.speak("moderator")
    to(live, clock, 110)
    live.add_note("@m Takk for praten #s")
    live.edit_participant("P1", real_name=REAL_NAME)  # in the data; exports only on request
    to(live, clock, 120)
    live.end()


@pytest.fixture
def session(live: LiveSession, clock: FakeClock) -> LiveSession:
    run_session(live, clock)
    return live


def golden_summary(live: LiveSession, clock: FakeClock, with_names: bool) -> dict[str, Any]:
    summary = summary_of(live, clock, with_names)
    summary["session"]["id"] = FIXED_ID
    return summary


@pytest.fixture(scope="module")
def eaf_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "EAFv3.0.xsd"))


@pytest.fixture(scope="module")
def qde_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "Project.xsd"))


# --- ELAN ------------------------------------------------------------------------------------


def slots(root: ET.Element) -> dict[str, int]:
    return {s.get("TIME_SLOT_ID", ""): int(s.get("TIME_VALUE", "")) for s in root.iter("TIME_SLOT")}


def spans(root: ET.Element, tier: ET.Element) -> list[tuple[int, int, str]]:
    times = slots(root)
    return [
        (
            times[a.get("TIME_SLOT_REF1", "")],
            times[a.get("TIME_SLOT_REF2", "")],
            a.findtext("ANNOTATION_VALUE") or "",
        )
        for a in tier.iter("ALIGNABLE_ANNOTATION")
    ]


def test_eaf_is_valid_elan(session: LiveSession, clock: FakeClock, eaf_schema) -> None:
    summary = summary_of(session, clock)
    text = render_eaf(summary)
    assert renderer("eaf")(summary) == text
    assert FORMATS["eaf"][2] == "eaf"
    eaf_schema.validate(text)  # raises with the first difference from EAF 3.0
    root = ET.fromstring(text)
    assert root.tag == "ANNOTATION_DOCUMENT"
    assert (root.get("FORMAT"), root.get("VERSION")) == ("3.0", "3.0")
    assert root.get("DATE") == summary["session"]["started_at"]
    header = root.find("HEADER")
    assert header is not None and header.get("TIME_UNITS") == "milliseconds"
    assert header.find("MEDIA_DESCRIPTOR") is None  # no recording: none to link

    # a tier per speaker, pseudonyms as tier and participant, then the notes
    tiers = {t.get("TIER_ID"): t for t in root.iter("TIER")}
    speakers = ["Moderator"] + [f"Informant {n}" for n in range(1, 6)]
    assert list(tiers) == speakers + ["Notes", "Notes 2"]
    for name in speakers:
        assert tiers[name].get("PARTICIPANT") == name
        assert tiers[name].get("LINGUISTIC_TYPE_REF") == "utterance"

    # time slots: ascending, in milliseconds, the turns' times
    values = [int(s.get("TIME_VALUE", "")) for s in root.iter("TIME_SLOT")]
    assert values == sorted(values)
    ids = [s.get("TIME_SLOT_ID") for s in root.iter("TIME_SLOT")]
    assert ids == [f"ts{n}" for n in range(1, len(ids) + 1)]
    label = {"moderator": "Moderator"} | {p["id"]: p["label"] for p in summary["participants"]}
    expected: dict[str, list[tuple[int, int, str]]] = {name: [] for name in speakers}
    for turn in summary["turns"]:
        expected[label[turn["who"]]].append(
            (round(turn["start_s"] * 1000), round(turn["end_s"] * 1000), "")
        )
    for name in speakers:
        assert spans(root, tiers[name]) == expected[name]
    assert expected["Informant 1"] == [(12345, 47500, "")]
    assert expected["Informant 4"] == []  # a silent participant keeps an empty tier

    # notes: a second at the note's time, on tiers where they do not overlap
    notes = spans(root, tiers["Notes"]) + spans(root, tiers["Notes 2"])
    assert sorted(notes)[0] == (30000, 31000, f"[Informant 1] {QUOTE} #quote")
    assert (30400, 31400, "[Informant 2] nikker og smiler #observation") in notes
    assert {value.split("] ")[-1].split(" #")[0] for *_t, value in notes} == NOTES
    for tier in tiers.values():
        own = sorted(spans(root, tier))
        assert all(a[1] <= b[0] for a, b in zip(own, own[1:], strict=False))
    assert all(0 <= start < end <= 120_000 for start, end, _v in notes)
    assert QUOTE in text  # æ, ø and å as themselves, not as references


def test_eaf_recording_and_offset(session: LiveSession, clock: FakeClock, eaf_schema) -> None:
    summary = summary_of(session, clock)
    summary["session"]["recording"] = "/data/opptak/økt 1.wav"
    summary["session"]["recording_offset_s"] = 20.0
    text = render_eaf(summary)
    eaf_schema.validate(text)
    root = ET.fromstring(text)
    media = root.find("HEADER/MEDIA_DESCRIPTOR")
    assert media is not None
    assert media.get("MEDIA_URL") == "file:///data/opptak/økt 1.wav"  # as ELAN writes it
    assert media.get("RELATIVE_MEDIA_URL") == "./økt 1.wav"
    assert media.get("MIME_TYPE") == "audio/x-wav"
    # the times start 20 s into the audio: ELAN's TIME_ORIGIN says where
    assert media.get("TIME_ORIGIN") == "20000"
    tiers = {t.get("TIER_ID"): t for t in root.iter("TIER")}
    # times are positions in the recording: the moderator's opening (before it) is left out,
    # the turn going on when it started is cut to start at 0
    assert spans(root, tiers["Informant 1"]) == [(0, 27500, "")]
    assert spans(root, tiers["Moderator"]) == [(80000, 100000, "")]


def test_eaf_links_the_session_recording_from_where_it_is_written(
    session: LiveSession, clock: FakeClock, eaf_schema, tmp_path: Path
) -> None:
    summary = summary_of(session, clock)
    summary["session"]["recording"] = "audio/exports/s.wav"
    folder = tmp_path / "økt 1"
    for target, relative in (
        (None, "../audio/exports/s.wav"),  # the session's exports/ folder
        (folder / "exports" / "s.eaf", "../audio/exports/s.wav"),
        (tmp_path / "a" / "b" / "s.eaf", "../../økt 1/audio/exports/s.wav"),
        (folder / "audio" / "exports" / "s.eaf", "./s.wav"),
    ):
        text = render_eaf(summary, folder=folder, target=target)
        eaf_schema.validate(text)
        media = ET.fromstring(text).find("HEADER/MEDIA_DESCRIPTOR")
        assert media is not None
        assert media.get("MEDIA_URL") == f"file://{folder}/audio/exports/s.wav"
        assert media.get("RELATIVE_MEDIA_URL") == relative
        assert media.get("TIME_ORIGIN") is None  # the audio starts with the session clock
    assert (
        ET.fromstring(render_eaf(summary_of(session, clock))).find("HEADER/MEDIA_DESCRIPTOR")
        is None
    )


def test_eaf_tier_names_stay_unique(session: LiveSession, clock: FakeClock, eaf_schema) -> None:
    summary = summary_of(session, clock)
    summary["participants"][1]["label"] = "Informant 1"  # two participants, one pseudonym
    summary["participants"][2]["label"] = "Notes"
    text = render_eaf(summary)
    eaf_schema.validate(text)  # the schema's key: tier ids are unique
    tiers = [t.get("TIER_ID") for t in ET.fromstring(text).iter("TIER")]
    assert tiers[:4] == ["Moderator", "Informant 1", "Informant 1 (P2)", "Notes (P3)"]


def test_empty_and_odd_sessions(live: LiveSession, eaf_schema, qde_schema) -> None:
    """A session of no length, a note at its very end, characters XML cannot carry."""
    live.add_note("ring \x07 og \x0b vertikal tab #o")
    summary = build_summary(live.info, live.state, live.now())
    assert summary["session"]["duration_s"] == 0
    text = render_eaf(summary)
    eaf_schema.validate(text)
    root = ET.fromstring(text)
    tier = root.find("TIER[@TIER_ID='Notes']")
    assert tier is not None
    # control characters are made visible when the note is typed (core.text.visible)
    assert spans(root, tier) == [(0, 1000, "ring ␇ og ␋ vertikal tab #observation")]
    files = unzip(render_qdpx(summary))
    root = ET.fromstring(files["project.qde"])
    qde_schema.validate(files["project.qde"].decode("utf-8"))
    source, source_text = source_of(files, root)
    (selection,) = [
        s for s in source.findall(f"{QDA}PlainTextSelection") if s.find(f"{QDA}NoteRef") is not None
    ]
    start, end = int(selection.get("startPosition", "")), int(selection.get("endPosition", ""))
    assert "\x07" not in summary["notes"][0]["text"]
    assert source_text[start:end] == "ring ␇ og ␋ vertikal tab"  # no control characters
    assert "\x07" not in source_text


def test_eaf_names(session: LiveSession, clock: FakeClock, eaf_schema) -> None:
    plain = render_eaf(summary_of(session, clock))
    assert REAL_NAME not in plain
    assert "realNames" not in plain
    named = render_eaf(summary_of(session, clock, with_names=True))
    eaf_schema.validate(named)
    root = ET.fromstring(named)
    tier = root.find("TIER[@TIER_ID='Informant 1']")
    assert tier is not None and tier.get("PARTICIPANT") == REAL_NAME
    notice = root.find("HEADER/PROPERTY[@NAME='facilitator.realNames']")
    assert notice is not None and "real names" in (notice.text or "")


@pytest.mark.parametrize("with_names", [False, True], ids=["pseudonyms", "names"])
def test_eaf_golden(session: LiveSession, clock: FakeClock, with_names: bool) -> None:
    text = render_eaf(golden_summary(session, clock, with_names))
    check_golden(f"eaf_{'names' if with_names else 'session'}.eaf", text)


# --- REFI-QDA --------------------------------------------------------------------------------


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def source_of(files: dict[str, bytes], root: ET.Element) -> tuple[ET.Element, str]:
    sources = root.findall(f"{QDA}Sources/{QDA}TextSource")
    assert len(sources) == 1
    path = sources[0].get("plainTextPath", "")
    assert path.startswith("internal://")
    name = "Sources/" + path.removeprefix("internal://")
    assert name in files, f"{path} is not in the archive"
    return sources[0], files[name].decode("utf-8")


def test_qdpx_is_a_valid_project(session: LiveSession, clock: FakeClock, qde_schema) -> None:
    summary = summary_of(session, clock)
    data = render_qdpx(summary)
    assert renderer("qdpx")(summary) == data
    assert render_qdpx(summary_of(session, clock)) == data  # the same bytes every time
    files = unzip(data)
    # the project, the session's text and a memo per note; no recording in this session
    assert len(files) == 2 + len(summary["notes"])
    assert all(
        n == "project.qde" or (n.startswith("Sources/") and n.endswith(".txt")) for n in files
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 1, 1, 8, 0, 0)}
    qde = files["project.qde"].decode("utf-8")
    qde_schema.validate(qde)
    root = ET.fromstring(qde)
    assert root.tag == f"{QDA}Project"

    source, text = source_of(files, root)
    assert not text.startswith("\ufeff")
    assert QUOTE in text

    # every GUID names one thing; every reference finds its target
    guids = [e.get("guid") for e in root.iter() if e.get("guid")]
    assert len(guids) == len(set(guids))
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{QDA}Code")}
    memos = {m.get("guid"): m for m in root.iter(f"{QDA}Note")}
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{QDA}User")}
    assert set(users.values()) == {"Moderator", "Assistant"}
    assert root.get("creatingUserGUID") in users
    tags_used = {tag for note in summary["notes"] for tag in note["tags"]}
    assert tags_used <= set(codes.values())
    assert {"quote", "theme", "follow-up", "observation", "summary", "between"} <= set(
        codes.values()
    )

    # each note is a selection of exactly its text, coded with its tags, beside the turns'
    selections = [
        s for s in source.findall(f"{QDA}PlainTextSelection") if s.find(f"{QDA}NoteRef") is not None
    ]
    assert len(selections) == len(summary["notes"]) == len(memos)
    by_text = {}
    for selection in selections:
        start = int(selection.get("startPosition", ""))
        end = int(selection.get("endPosition", ""))
        by_text[text[start:end]] = selection
        assert selection.get("creatingUser") in users
        refs = selection.findall(f"{QDA}NoteRef")
        assert len(refs) == 1 and refs[0].get("targetGUID") in memos
    assert set(by_text) == NOTES
    for note in summary["notes"]:
        selection = by_text[note["text"]]
        coded = [codes[r.get("targetGUID")] for r in selection.iter(f"{QDA}CodeRef")]
        assert coded == note["tags"]
        memo = memos[selection.find(f"{QDA}NoteRef").get("targetGUID")]  # type: ignore[union-attr]
        memo_text = files["Sources/" + memo.get("plainTextPath", "").removeprefix("internal://")]
        assert memo_text.decode("utf-8").startswith(note["text"])
        assert (selection.findtext(f"{QDA}Description") or "").startswith(note["text"])
    assistant = by_text["Spør om depositum & «bostøtte» <neste gang>"]
    assert users[assistant.get("creatingUser")] == "Assistant"
    assert "[00:00:12] Informant 1:" in text.splitlines()


def test_qdpx_names(session: LiveSession, clock: FakeClock, qde_schema) -> None:
    plain = unzip(render_qdpx(summary_of(session, clock)))
    assert all(REAL_NAME.encode() not in data for data in plain.values())
    named = unzip(render_qdpx(summary_of(session, clock, with_names=True)))
    qde = named["project.qde"].decode("utf-8")
    qde_schema.validate(qde)
    root = ET.fromstring(qde)
    assert "real names" in (root.findtext(f"{QDA}Description") or "")
    _source, text = source_of(named, root)
    assert text.startswith("THIS FILE CONTAINS REAL NAMES")
    assert f"Informant 1 = {REAL_NAME}" in text


@pytest.mark.parametrize("with_names", [False, True], ids=["pseudonyms", "names"])
def test_qdpx_golden(session: LiveSession, clock: FakeClock, with_names: bool) -> None:
    files = unzip(render_qdpx(golden_summary(session, clock, with_names)))
    variant = "names" if with_names else "session"
    qde = files.pop("project.qde").decode("utf-8")
    check_golden(f"qdpx_{variant}.qde", qde)
    root = ET.fromstring(qde)
    text_path = root.find(f"{QDA}Sources/{QDA}TextSource").get("plainTextPath")  # type: ignore[union-attr]
    text = files["Sources/" + str(text_path).removeprefix("internal://")]
    check_golden(f"qdpx_{variant}.txt", text.decode("utf-8"))


# --- the command -----------------------------------------------------------------------------


def test_cli_exports(session: LiveSession, clock: FakeClock, tmp_path: Path) -> None:
    folder = session.store.path.parent
    sid = session.info.id
    target = tmp_path / "out" / "session.eaf"
    target.parent.mkdir()
    command = [venv_bin("facilitator"), "--sessions", str(folder), "export", sid]
    done = subprocess.run(
        command + ["--format", "eaf", "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert target.read_text(encoding="utf-8") == render_eaf(summary_of(session, clock))

    done = subprocess.run(
        command + ["--format", "qdpx"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    written = Path(done.stdout.strip())
    assert written == session.store.path / "exports" / f"{sid}.qdpx"
    assert written.read_bytes() == render_qdpx(summary_of(session, clock))
