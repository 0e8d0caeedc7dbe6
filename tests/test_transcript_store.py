"""The machine transcript on disk (store.transcript_store): stretch by stretch, fsynced, never
rewritten; a torn last line (a kill in mid-write) is cut off, a damaged line skipped and said;
another model's transcript is kept aside, never mixed in; owner-only files."""

from __future__ import annotations

import json
import os
import stat

import pytest

from facilitator.core.transcript import Stretch, Word, word_id
from facilitator.store.transcript_store import (
    TranscriptBusy,
    TranscriptMismatch,
    TranscriptStore,
    part_name,
)


def stretch(part: str, index: int, start: float, end: float, *texts: str) -> Stretch:
    step = (end - start) / max(1, len(texts))
    words = tuple(
        Word(word_id(part, index, n), start + n * step, start + (n + 0.8) * step, text)
        for n, text in enumerate(texts)
    )
    return Stretch(part, index, start, end, words, ((start, start + 0.2),), 1.5, "en", 9.0, 8.0)


def test_stretches_are_stored_and_read_back_whole(tmp_path):
    store = TranscriptStore(tmp_path)
    assert store.load() is None
    with store.open_writer() as writer:
        machine = writer.begin("tiny.en", "en", {"rec-001": 120.0, "rec-002": 30.0}, 1000.0)
        assert machine.stretches == [] and not machine.complete
        writer.append(stretch("rec-001", 0, 5.0, 65.0, "We", "meet", "them."))
        writer.append(stretch("rec-001", 1, 65.0, 125.0, "At", "home."))
        writer.append(stretch("rec-002", 0, 300.0, 330.0, "Yes."))
        writer.finish(True, 2000.0)
    loaded = store.load()
    assert loaded is not None and loaded.problems == []
    machine = loaded.machine
    assert (machine.model, machine.language, machine.complete) == ("tiny.en", "en", True)
    assert [w.text for w in machine.words] == ["We", "meet", "them.", "At", "home.", "Yes."]
    assert machine.words[3].id == "rec-001:1:0"
    assert machine.done_until("rec-001") == 125.0 and machine.next_index("rec-001") == 2
    assert machine.audio_s == 150.0 and machine.transcribed_s == 150.0
    assert machine.speech_s == 27.0 and machine.worded_s == 24.0
    assert machine.stretches[0] == stretch("rec-001", 0, 5.0, 65.0, "We", "meet", "them.")


def test_a_torn_last_line_is_cut_off_and_the_run_goes_on_from_the_last_whole_stretch(tmp_path):
    store = TranscriptStore(tmp_path)
    with store.open_writer() as writer:
        writer.begin("tiny.en", "en", {"rec-001": 200.0}, 1000.0)
        writer.append(stretch("rec-001", 0, 0.0, 60.0, "One."))
    path = store.folder / "rec-001.jsonl"
    whole = path.read_bytes()
    line = json.dumps(stretch("rec-001", 1, 60.0, 120.0, "Two.").to_record()).encode()
    path.write_bytes(whole + line[: len(line) // 2])  # killed in mid-write
    loaded = store.load()
    assert [s.index for s in loaded.machine.stretches] == [0] and loaded.problems == []
    with store.open_writer() as writer:
        machine = writer.begin("tiny.en", "en", {"rec-001": 200.0}, 3000.0)
        assert machine.done_until("rec-001") == 60.0 and machine.next_index("rec-001") == 1
        assert path.read_bytes() == whole
        writer.append(stretch("rec-001", 1, 60.0, 120.0, "Two."))
    assert [w.text for w in store.load().machine.words] == ["One.", "Two."]
    assert json.loads((store.folder / "run.json").read_text())["started_at"] == 1000.0


def test_a_damaged_line_is_skipped_and_said(tmp_path):
    store = TranscriptStore(tmp_path)
    with store.open_writer() as writer:
        writer.begin("tiny.en", "en", {"rec-001": 200.0}, 1000.0)
        writer.append(stretch("rec-001", 0, 0.0, 60.0, "One."))
    path = store.folder / "rec-001.jsonl"
    with path.open("ab") as handle:
        handle.write(b'{"part": "rec-001", "n": "x"}\n\x00\xff garbage\n')
        handle.write(
            (json.dumps(stretch("rec-001", 1, 60.0, 90.0, "Two.").to_record()) + "\n").encode()
        )
    loaded = store.load()
    assert [w.text for w in loaded.machine.words] == ["One.", "Two."]
    assert len(loaded.problems) == 2 and "line 2" in loaded.problems[0]


def test_another_model_is_refused_until_the_old_transcript_is_set_aside(tmp_path):
    store = TranscriptStore(tmp_path)
    with store.open_writer() as writer:
        writer.begin("tiny.en", "en", {"rec-001": 60.0}, 1000.0)
        writer.append(stretch("rec-001", 0, 0.0, 60.0, "One."))
    with store.open_writer() as writer, pytest.raises(TranscriptMismatch) as refused:
        writer.begin("large-v3-turbo", "no", {"rec-001": 60.0}, 2000.0)
    assert (refused.value.model, refused.value.language) == ("tiny.en", "en")
    aside = store.set_aside()
    assert aside is not None and aside.name.startswith("transcript.old-")
    assert (aside / "rec-001.jsonl").exists() and store.load() is None
    with store.open_writer() as writer:
        assert writer.begin("large-v3-turbo", "no", {"rec-001": 60.0}, 2000.0).stretches == []


def test_one_process_at_a_time(tmp_path):
    store = TranscriptStore(tmp_path)
    with store.open_writer(), pytest.raises(TranscriptBusy):
        store.open_writer()
    with store.open_writer():
        pass  # released


def test_files_are_owner_only_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        store = TranscriptStore(tmp_path)
        with store.open_writer() as writer:
            writer.begin("tiny.en", "en", {"rec-001": 60.0}, 1000.0)
            writer.append(stretch("rec-001", 0, 0.0, 60.0, "One."))
    finally:
        os.umask(old)
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
    for path in store.folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


@pytest.mark.parametrize("bad", ["../x.wav", "audio/.hidden.wav", "audio/" + "a" * 80 + ".wav"])
def test_a_part_name_cannot_leave_the_folder(bad):
    if bad.startswith("../"):
        assert part_name(bad) == "x"  # the stem only: never a path
        return
    with pytest.raises(ValueError):
        part_name(bad)
