"""The JSON summary contract: docs/summary.schema.json against real summaries.

Every summary here is printed by the real command, ``python -m facilitator summary SESSION
--format json``, from a real session folder: a session just created, a four-hour simulated
session with eleven participants, a stage 2 with its study figures (a newcomer, an absentee,
carried follow-ups, one taken up), a session still running, and a session with a recording
(consent, three parts, voice activity, an audio export, then a purge) and a member check
with every kind of verdict. What the simulator has no line for (recording, voice, consent,
member-check marks, a follow-up taken up) is written into the session's journal with the
same event kinds and data the live view writes (``Hand``).

The schema must also be able to fail: every field of a real summary is removed, given the
wrong type, or joined by an unknown neighbour, one at a time, and each must be refused.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from facilitator.core import events as ev
from facilitator.core.session import SessionState, state_of
from facilitator.store.session_store import SessionStore
from tests.conftest import GUIDES, ROOT

pytestmark = pytest.mark.slow  # real processes: the CLI, the simulator, ffmpeg

SCHEMA_FILE = ROOT / "docs" / "summary.schema.json"
GUIDE = GUIDES / "seed-en.toml"
RATE = 48000


# --- the schema --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    data = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(data)  # the schema itself is valid draft 2020-12
    return data


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def problems(validator: Draft202012Validator, data: object) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]


def assert_valid(validator: Draft202012Validator, data: object) -> None:
    found = problems(validator, data)
    assert not found, "the summary does not follow docs/summary.schema.json:\n" + "\n".join(
        found[:20]
    )


# --- the command line ----------------------------------------------------------------------------


def cli(sessions: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "--sessions", str(sessions), *args],
        env={**os.environ, "FACILITATOR_LANG": "en"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"facilitator {' '.join(args)}:\n{result.stderr}"
    return result


def summary(sessions: Path, ref: str, *options: str) -> dict[str, Any]:
    return json.loads(cli(sessions, "summary", ref, "--format", "json", *options).stdout)


def session_id(result: subprocess.CompletedProcess[str]) -> str:
    """The id a command prints on its first line (``new``, ``next``, ``simulate``)."""
    return result.stdout.splitlines()[0].strip()


class Hand:
    """Writes events into a session's moderator journal as the live view would: the same
    kinds, the same data, stamped after every event the session holds."""

    def __init__(self, sessions: Path, ref: str, writer: str = "moderator") -> None:
        self.store = SessionStore.open(sessions, ref)
        self.info = self.store.info()
        self.state: SessionState = state_of(self.info, self.store.read_events().events)
        self.at = max(self.state.last_at, self.info.created_at)
        self.journal = self.store.open_writer(writer)

    def __enter__(self) -> Hand:
        return self

    def __exit__(self, *exc: object) -> None:
        self.journal.close()

    @property
    def t_s(self) -> float:
        return round(self.state.session_s(self.at), 3)

    def wait(self, seconds: float) -> None:
        self.at += seconds

    def record(self, kind: str, data: dict[str, Any] | None = None) -> str:
        self.at += 0.001
        event = self.journal.append(self.at, kind, data, lc=self.state.max_lc + 1)
        self.state.apply(event)
        return event.id

    def start(self) -> None:
        if self.state.started:
            down_since = self.state.last_at
            self.record(ev.OPENED, {"down_since": down_since})
        else:
            self.record(ev.STARTED)
            self.record(ev.OPENED)

    def note(self, text: str, tags: list[str], speaker: str | None = None) -> str:
        return self.record(
            ev.NOTE,
            {
                "t_s": self.t_s,
                "phase": self.state.phase_id,
                "question": self.state.question_id,
                "speaker": speaker or self.state.talk.current_speaker,
                "tags": tags,
                "text": text,
            },
        )

    def recording_started(self, file: str) -> None:
        data = {"action": "start", "file": file, "start_s": self.t_s, "device": "Test microphone"}
        self.record(ev.RECORDING, data)

    def recording_stopped(
        self, file: str, reason: str, overflows: int = 0, message: str = ""
    ) -> None:
        data = {"action": "stop", "file": file, "end_s": self.t_s, "reason": reason}
        self.record(ev.RECORDING, {**data, "overflows": overflows, "message": message})

    def reflection(self, text: str) -> None:
        where = {"t_s": self.t_s, "phase": self.state.phase_id, "question": self.state.question_id}
        self.record(ev.REFLECTION, {**where, "text": text})


def tone(path: Path, seconds: float, hz: float = 440.0) -> None:
    t = np.arange(int(seconds * RATE)) / RATE
    samples = (0.3 * 32767 * np.sin(2 * np.pi * hz * t)).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())


# --- the sessions --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("schema") / "sessions"


@pytest.fixture(scope="module")
def fresh(sessions: Path) -> str:
    people = ["--participant=P1:Informant 1", "--participant=P2:Informant 2:NAV"]
    return session_id(cli(sessions, "new", str(GUIDE), "--title", "Fresh", *people))


@pytest.fixture(scope="module")
def long_stage_1(sessions: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Four hours, eleven participants, thousands of turns, a break, late arrivals, notes of
    every tag; stage 1 of study ``u-long``."""
    folder = tmp_path_factory.mktemp("scripts")
    script = folder / "long.sim"
    plan = ["--minutes", "240", "--participants", "11", "--seed", "5", "--changes", "3000"]
    plan += ["--notes", "400", "--guide", str(GUIDE)]
    cli(sessions, "simulate", "--generate", str(script), *plan)
    text = script.read_text(encoding="utf-8")
    # a study and overlaps, which the generator does not write
    text = text.replace("\ntitle:", "\nstudy: u-long\nstage: 1\ntitle:", 1)
    text = text.replace(" speak P3\n", " speak P3\n+0 overlap P5\n", 20)
    script.write_text(text, encoding="utf-8")
    return session_id(cli(sessions, "simulate", str(script)))


@pytest.fixture(scope="module")
def stage_2(sessions: Path, long_stage_1: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The next stage of ``long_stage_1``: a newcomer, an absentee, the follow-ups carried;
    played by the simulator, closed without ending (running), then one carried follow-up
    taken up, an assistant's note and the end."""
    made = cli(sessions, "next", long_stage_1, "--newcomer", "P12:Informant 12:Library",
               "--absent", "P3", "--title", "Stage two")  # fmt: skip
    ref = session_id(made)
    script = tmp_path_factory.mktemp("stage2") / "stage2.sim"
    script.write_text(
        "title: Stage two\nparticipant: P1\nparticipant: P12\nparticipant: P4\n"
        "00:00:00 speak moderator\n"
        "00:00:20 check paminnelse\n"
        "00:00:30 speak P12\n"
        "00:01:00 overlap P1\n"
        "00:01:30 note #summary the library sees the families first @P12\n"
        "00:02:00 next-phase\n"
        "00:02:05 speak P1\n"
        "00:03:00 overlap moderator\n"
        "00:04:00 note #follow-up ask about deposits #theme\n"
        "00:04:30 speak P4\n"
        "00:05:00 nobody\n",
        encoding="utf-8",
    )
    cli(sessions, "simulate", str(script), "--resume", ref)
    running = summary(sessions, ref)
    with Hand(sessions, ref) as hand:
        hand.start()
        carried = hand.info.carried
        assert carried, "the stage before left follow-ups open"
        hand.record(ev.FOLLOW_UP_TAKEN, {"id": carried[0].id, "taken": True})
        hand.wait(30)
        hand.record(ev.ENDED)
    with Hand(sessions, ref, writer="assistant") as assistant:
        assistant.note("written by the assistant after the end", ["observation"], "P4")
    return {"id": ref, "running": running, "carried": carried[0].id}


@pytest.fixture(scope="module")
def recorded(sessions: Path) -> dict:
    """A session with a recording in three parts (stopped, cut by a break, the microphone
    lost), voice activity with and without a speaker marked, consent written and ticked, a
    member check with every verdict, an edited and a deleted note, a reflection, a real
    name; summarised, exported as flac, summarised, purged, summarised."""
    people = ["P1:Informant 1:NAV:Kari Nordmann", "P2:Informant 2", "P3:Informant 3"]
    made = cli(
        sessions, "new", str(GUIDE), "--title", "Recorded", "--study", "u-rec",
        *(f"--participant={p}" for p in people), "--consent", "P1,P2",
    )  # fmt: skip
    ref = session_id(made)
    parts = {"audio/rec-001.wav": 6.0, "audio/rec-002.wav": 2.0, "audio/rec-003.wav": 5.0}
    first, second, third = parts
    with Hand(sessions, ref) as hand:
        hand.start()
        hand.record(ev.CONSENT, {"id": "P3", "given": True})
        hand.record(ev.CHECKED, {"item": "samtykke", "done": True})
        hand.record(ev.SPEAKER, {"who": "moderator"})
        hand.wait(10)
        hand.recording_started(first)
        hand.record(ev.SPEAKER, {"who": "P1"})
        hand.record(ev.VOICE, {"on": True, "t_s": hand.t_s})
        hand.wait(2)
        confirmed = hand.note("waiting lists are too long", ["summary"])
        hand.record(ev.VOICE, {"on": False, "t_s": hand.t_s})
        hand.record(ev.SPEAKER, {"who": None})
        hand.record(ev.VOICE, {"on": True, "t_s": hand.t_s})  # speech, nobody marked
        hand.wait(3)
        hand.record(ev.VOICE, {"on": False, "t_s": hand.t_s})
        hand.wait(1)
        hand.recording_stopped(first, "stop")
        hand.record(ev.GOTO, {"phase": "dagens-situasjon", "question": "ds-moter"})
        hand.record(ev.SPEAKER, {"who": "P2"})
        hand.record(ev.OVERLAP, {"who": "P3"})
        hand.recording_started(second)
        nuanced = hand.note("we meet the families where they are", ["quote", "summary"])
        unmarked = hand.note("trust in the office #draft", ["theme", "summary"])
        hand.wait(2)
        hand.recording_stopped(second, "pause")
        hand.record(ev.PAUSED)
        hand.wait(60)
        hand.record(ev.RESUMED)
        hand.recording_started(third)
        hand.record(ev.SPEAKER, {"who": "P3"})
        skipped = hand.note("a point the moderator leaves out", ["summary"])
        refuted = hand.note("everyone agrees on the forms", ["summary", "observation"])
        gone = hand.note("a note written by mistake", [])
        edit = {"note": unmarked, "text": "trust in the office", "tags": ["theme", "summary"]}
        hand.record(ev.NOTE_EDIT, edit)
        hand.record(ev.NOTE_DELETE, {"note": gone})
        hand.reflection("I steered")
        hand.wait(5)
        hand.recording_stopped(third, "lost", 3, "the microphone was unplugged")
        closing = hand.state.guide.phase("avrunding")
        hand.record(ev.GOTO, {"phase": closing.id, "question": closing.questions[0].id})
        hand.record(ev.CHECK_INCLUDE, {"kinds": ["theme", "quote"]})
        hand.record(ev.CHECK_ORDER, {"ids": [nuanced, confirmed, unmarked, skipped, refuted]})
        hand.record(ev.CHECK_SKIP, {"note": skipped, "skipped": True})
        hand.record(ev.CHECK_MARK, {"note": confirmed, "outcome": "confirmed", "nuance": ""})
        nuance = "only at the housing office"
        hand.record(ev.CHECK_MARK, {"note": nuanced, "outcome": "nuanced", "nuance": nuance})
        hand.record(ev.CHECK_MARK, {"note": refuted, "outcome": "refuted", "nuance": ""})
        hand.record(ev.CONSENT, {"id": "P2", "given": False})
        hand.wait(10)
        hand.record(ev.ENDED)
    for file, seconds in parts.items():
        tone(sessions / ref / file, seconds)
    before_export = summary(sessions, ref)
    cli(sessions, "export", ref, "--format", "flac")
    exported = summary(sessions, ref, "--with-names", "--with-reflections")
    cli(sessions, "purge", ref, "--audio", "--yes")
    purged = summary(sessions, ref)
    points = {"confirmed": confirmed, "nuanced": nuanced, "refuted": refuted}
    points |= {"skipped": skipped, "unmarked": unmarked}
    return {
        "id": ref,
        "before_export": before_export,
        "exported": exported,
        "purged": purged,
        "points": points,
    }


# --- real summaries follow the schema -----------------------------------------------------------


def test_a_fresh_session(sessions: Path, fresh: str, validator) -> None:
    data = summary(sessions, fresh)
    assert_valid(validator, data)
    assert data["session"]["status"] == "not started"
    assert data["session"]["started_at"] is None and data["session"]["study"] is None
    assert data["balance"]["gini"] is None and data["turns"] == [] and "study" not in data


def test_a_long_simulated_session(sessions: Path, long_stage_1: str, validator) -> None:
    data = summary(sessions, long_stage_1)
    assert_valid(validator, data)
    assert data["session"]["status"] == "ended"
    assert data["session"]["duration_s"] == pytest.approx(240 * 60 - 600, abs=1)  # a 10 min break
    assert len(data["participants"]) == 11 and len(data["turns"]) > 2000
    assert len(data["notes"]) == 400
    assert data["turn_taking"]["overlaps"] and data["follow_ups"]
    assert any(entry["kind"] == "pause" for entry in data["timeline"])
    assert "study" not in data  # stage 1 has no figures across stages


def test_a_stage_2_with_its_study(sessions: Path, stage_2: dict, validator) -> None:
    data = summary(sessions, stage_2["id"])
    assert_valid(validator, data)
    assert data["session"]["stage"] == 2 and data["session"]["study"] == "u-long"
    study = data["study"]
    assert [s["stage"] for s in study["stages"]] == [1, 2]
    by_id = {row["id"]: row for row in study["talk_by_stage"]}
    assert by_id["P3"]["stages"]["2"] is None  # absent at stage 2
    assert set(by_id["P12"]["stages"]) == {"2"}  # the newcomer
    taken = [f for f in study["follow_ups"] if f["taken_up"]]
    assert [f["id"] for f in taken] == [stage_2["carried"]]
    assert {n["author"] for n in data["notes"]} == {"moderator", "assistant"}


def test_a_running_session(stage_2: dict, validator) -> None:
    data = stage_2["running"]
    assert_valid(validator, data)
    assert data["session"]["status"] == "running" and data["session"]["ended_at"] is None


def test_a_study_report_follows_the_study_part(sessions: Path, stage_2: dict, schema) -> None:
    report = json.loads(cli(sessions, "summary", "--study", "u-long", "--format", "json").stdout)
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    study = Draft202012Validator({"$ref": schema["$id"] + "#/$defs/study"}, registry=registry)
    assert_valid(study, report)
    assert [s["stage"] for s in report["stages"]] == [1, 2]


def test_a_session_with_a_recording_and_a_member_check(recorded: dict, validator) -> None:
    for data in (recorded["before_export"], recorded["exported"], recorded["purged"]):
        assert_valid(validator, data)
    audio = recorded["exported"]["audio"]
    assert [s["ended_by"] for s in audio["segments"]] == ["stop", "pause", "lost"]
    assert audio["seconds"] == pytest.approx(13, abs=0.05) and audio["overflows"] == 3
    assert audio["voice_s"] == pytest.approx(5, abs=0.05)
    assert audio["unattributed_speech_s"] == pytest.approx(3, abs=0.05)
    assert audio["consent"] == ["P1", "P3"]  # P2 withdrew at the end
    assert audio["exists"] and audio["folder"] == "audio/" and len(audio["exports"]) == 1
    assert recorded["before_export"]["audio"]["exports"] == []
    purged = recorded["purged"]["audio"]
    assert purged["purged"]["files"] >= 4 and not purged["exists"] and purged["folder"] is None

    points = recorded["points"]
    marks = {p["note"]: p for p in recorded["exported"]["member_check"]}
    assert marks[points["confirmed"]]["outcome"] == "confirmed"
    assert marks[points["nuanced"]]["nuance"] == "only at the housing office"
    assert marks[points["refuted"]]["outcome"] == "refuted"
    assert marks[points["skipped"]]["skipped"] is True
    assert marks[points["unmarked"]]["outcome"] is None
    assert [p["note"] for p in recorded["exported"]["member_check"]][0] == points["nuanced"]

    exported = recorded["exported"]
    assert exported["with_names"] is True and exported["names"] == {"P1": "Kari Nordmann"}
    assert [r["text"] for r in exported["reflections"]] == ["I steered"]
    assert "names" not in recorded["purged"] and "reflections" not in recorded["purged"]
    assert any(n["edited"] for n in exported["notes"])


# --- and the schema can fail ---------------------------------------------------------------------

# Objects whose keys are data (ids, stage numbers), not fields: any key may be missing.
MAPS = ("/turn_taking/labels", "/names", "/study/talk_by_stage/*/stages",
        "/study/coverage_by_stage/*/stages")  # fmt: skip
# Fields that a summary may leave out (asked for with --with-names, --with-reflections).
OPTIONAL = {"/reflections"}


def fields(value: object, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every (path, key) of every object in ``value``, list positions as they are."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield path, key
            yield from fields(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from fields(inner, (*path, index))


def pattern(path: tuple) -> str:
    return "/" + "/".join("*" if isinstance(p, int) else str(p) for p in path)


def at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def distinct_fields(*summaries: dict) -> list[tuple[dict, tuple, str]]:
    """Each field once (by its path with list positions as *), from the first summary that
    has it; the keys of map objects left out."""
    seen: set[str] = set()
    found = []
    for data in summaries:
        for path, key in fields(data):
            if pattern(path) in MAPS:
                continue
            name = f"{pattern(path)}/{key}".replace("//", "/")
            if name not in seen:
                seen.add(name)
                found.append((data, path, key))
    return found


@pytest.fixture(scope="module")
def samples(stage_2: dict, recorded: dict, sessions: Path) -> list[dict]:
    return [summary(sessions, stage_2["id"]), recorded["exported"], recorded["purged"]]


def test_every_field_is_required(samples: list[dict], validator) -> None:
    kept = []
    for data, path, key in distinct_fields(*samples):
        broken = copy.deepcopy(data)
        del at(broken, path)[key]
        if not problems(validator, broken):
            kept.append(f"{pattern(path)}/{key}".replace("//", "/"))
    assert sorted(kept) == sorted(OPTIONAL), "removed, and still valid: " + ", ".join(kept)


def wrong_type(value: object) -> object:
    """A value of another JSON type than ``value``, and not null."""
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return 7
    if isinstance(value, list):
        return {"0": value}
    if isinstance(value, dict):
        return [value]
    return True  # null


def test_every_field_has_its_type(samples: list[dict], validator) -> None:
    passed = []
    for data, path, key in distinct_fields(*samples):
        broken = copy.deepcopy(data)
        target = at(broken, path)
        target[key] = wrong_type(target[key])
        if not problems(validator, broken):
            passed.append(f"{pattern(path)}/{key}".replace("//", "/"))
    assert passed == [], "a value of the wrong type was accepted at " + ", ".join(passed)


def test_an_unknown_field_is_refused(samples: list[dict], validator) -> None:
    objects = {pattern(path): (data, path) for data in samples for path, _key in fields(data)}
    accepted = []
    for name, (data, path) in objects.items():
        if name in MAPS:
            continue
        broken = copy.deepcopy(data)
        at(broken, path)["unknown_field"] = 1
        if not problems(validator, broken):
            accepted.append(name)
    assert accepted == [], "an unknown field was accepted in " + ", ".join(accepted)


def test_the_study_is_there_exactly_from_stage_2(samples: list[dict], validator) -> None:
    stage_2 = samples[0]
    without = {k: v for k, v in stage_2.items() if k != "study"}
    assert problems(validator, without)
    stage_1 = copy.deepcopy(without)
    stage_1["session"]["stage"] = 1
    assert_valid(validator, stage_1)
    stage_1["study"] = stage_2["study"]
    assert problems(validator, stage_1)  # a stage 1 summary never carries study figures


def test_names_come_with_the_notice(samples: list[dict], validator) -> None:
    exported = samples[1]
    for key in ("names", "with_names"):
        assert problems(validator, {k: v for k, v in exported.items() if k != key})


def property_names(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, inner in node.items():
            if key == "properties" and isinstance(inner, dict):
                yield from inner
            yield from property_names(inner)
    elif isinstance(node, list):
        for inner in node:
            yield from property_names(inner)


def test_every_field_of_the_schema_is_explained_in_the_prose(schema: dict) -> None:
    prose = (ROOT / "docs" / "summary.md").read_text(encoding="utf-8")
    missing = sorted({name for name in property_names(schema) if f"`{name}`" not in prose})
    assert missing == [], "docs/summary.md does not explain " + ", ".join(missing)
