"""Corrections of the transcript: each key's events, undo, and the editor's incremental view
always equal to a full attribution (the one every export reads)."""

from __future__ import annotations

import random

import pytest

from facilitator.core import events as ev
from facilitator.core.clock import FakeClock
from facilitator.core.session import state_of
from facilitator.core.transcript_edits import (
    EditableTranscript,
    corrected_transcript,
    join,
    matches,
    notes_beside,
    reassign,
    retext,
    split,
    talk_from_statements,
    toggle_tag,
)
from facilitator.services.transcript_review import NoTranscript, TranscriptReview
from facilitator.store.transcript_store import TranscriptStore
from tests.helpers.transcript_session import SCRIPT, make_transcript_session


@pytest.fixture
def review(new_store, clock: FakeClock):
    made = make_transcript_session(new_store(), clock)
    session = TranscriptReview(made.store, clock=clock)
    yield session
    session.close()


def fresh(review: TranscriptReview):
    """The corrected transcript as a new process (or an export) reads it from disk."""
    store = review.store
    state = state_of(store.info(), store.read_events().events)
    loaded = TranscriptStore(store.path).load()
    assert loaded is not None
    return state, corrected_transcript(state, loaded.machine)


def shape(statements):
    return [(s.id, s.who, s.text, s.tags, s.phase, s.question) for s in statements]


def test_the_keyed_turns_give_each_statement_its_speaker(review: TranscriptReview) -> None:
    assert [(s.who, s.text) for s in review.statements] == [(w, t) for w, t, _n in SCRIPT]
    # the guide moved on before the fourth statement: it is under the next question
    assert review.statements[2].question != review.statements[3].question
    assert review.edits.transcript.unattributed_words == len(SCRIPT[3][1].split())
    # the overlap mark: Informant 1 talked over the end of Informant 3's statement
    assert review.statements[4].overlaps == ("P1",)
    assert review.statements[4].words[-1].overlap == "P1"
    assert not review.statements[3].overlaps


def test_reassign_then_undo_goes_back_to_the_keyed_speaker(review: TranscriptReview) -> None:
    target = review.statements[2]
    review.apply(reassign(target, "P4", review.state.transcript_edits))
    assert review.statements[2].who == "P4"
    state, from_disk = fresh(review)
    assert from_disk.statements[2].who == "P4"
    assert review.undo() is None
    assert review.statements[2].who == "P2"
    assert not review.statements[2].words[0].corrected  # keyed again, not "corrected to P2"
    state, from_disk = fresh(review)
    assert shape(from_disk.statements) == shape(review.statements)
    assert review.undo() == "nothing to undo"


def test_edit_words_keeps_the_machine_words_and_times(review: TranscriptReview) -> None:
    target = review.statements[1]  # "We meet the families where they are."
    plan = retext(target, "We meet families right where they live.", review.state.transcript_edits)
    review.apply(plan)
    edited = review.statements[1]
    assert edited.text == "We meet families right where they live."
    assert [w.word.start_s for w in edited.words if w.text] == [
        w.word.start_s for w in edited.words
    ]
    loaded = TranscriptStore(review.store.path).load()
    assert loaded is not None
    assert "the" in [w.text for w in loaded.machine.words]  # the machine words are untouched
    review.undo()
    assert review.statements[1].text == SCRIPT[1][1]


def test_emptying_a_statement_hides_it_and_undo_brings_it_back(review: TranscriptReview) -> None:
    count = len(review.statements)
    review.apply(retext(review.statements[3], "", review.state.transcript_edits))
    assert len(review.statements) == count - 1
    review.undo()
    assert [s.text for s in review.statements] == [t for _w, t, _n in SCRIPT]


def test_split_and_join(review: TranscriptReview) -> None:
    first = review.statements[4]  # P3: "Sometimes we visit them at home, when they ask."
    review.apply(split(first, 5, review.state.transcript_edits))
    texts = [s.text for s in review.statements]
    assert texts[4:6] == ["Sometimes we visit them at", "home, when they ask."]
    assert review.statements[5].who == "P3"
    # join the P1 statement after to the one before: it becomes P3's words too
    review.apply(join(review.statements[5], review.statements[6], review.state.transcript_edits))
    assert review.statements[5].text == "home, when they ask. I agree with that completely."
    assert review.statements[5].who == "P3"
    _state, from_disk = fresh(review)
    assert shape(from_disk.statements) == shape(review.statements)
    review.undo()
    review.undo()
    assert [(s.who, s.text) for s in review.statements] == [(w, t) for w, t, _n in SCRIPT]


def test_split_at_the_first_word_does_nothing(review: TranscriptReview) -> None:
    plan = split(review.statements[1], 0, review.state.transcript_edits)
    assert not plan and plan.problem == "split-edge"


def test_a_tag_makes_a_linked_note_and_undo_deletes_it(review: TranscriptReview) -> None:
    target = review.statements[2]
    review.apply(toggle_tag(target, "quote", review.state.transcript_edits))
    assert review.statements[2].tags == ("quote",)
    linked = [n for n in review.state.live_notes() if n.statement == target.id]
    assert len(linked) == 1
    note = linked[0]
    assert note.tags == ("quote",) and note.text == target.text and note.speaker == "P2"
    assert note.t_s == pytest.approx(target.start_s, abs=0.001)
    assert note.author == "moderator"
    # pressing it again takes the tag off and deletes the note
    notes = [n for n in review.state.live_notes() if n.statement == target.id]
    review.apply(toggle_tag(review.statements[2], "quote", review.state.transcript_edits, notes))
    assert review.statements[2].tags == ()
    assert not [n for n in review.state.live_notes() if n.statement == target.id]
    review.undo()  # the note is back, and the tag
    assert review.statements[2].tags == ("quote",)
    assert [n.text for n in review.state.live_notes() if n.statement == target.id] == [target.text]
    review.undo()
    assert review.statements[2].tags == ()
    assert not [n for n in review.state.live_notes() if n.statement == target.id]


def test_an_assistant_reviewer_writes_its_own_journal(new_store, clock: FakeClock) -> None:
    made = make_transcript_session(new_store(), clock)
    first = TranscriptReview(made.store, clock=clock)
    second = TranscriptReview(made.store, role="assistant", clock=clock)
    try:
        assert (first.writer_name, second.writer_name) == ("review", "assistant-review")
        second.apply(toggle_tag(second.statements[1], "theme", second.state.transcript_edits))
        note = [n for n in second.state.live_notes() if n.statement][0]
        assert note.author == "assistant"
        # the other view sees it at its next poll, without being told
        assert first.poll_transcript()
        assert first.statements[1].tags == ("theme",)
        first.apply(reassign(first.statements[1], "P5", first.state.transcript_edits))
        second.poll_transcript()
        assert second.statements[1].who == "P5"
        # second's undo of the tag is still its own to take back
        assert second.undo() is None
        first.poll_transcript()
        assert first.statements[1].tags == ()
    finally:
        first.close()
        second.close()


def test_undo_refuses_what_another_view_changed_since(new_store, clock: FakeClock) -> None:
    made = make_transcript_session(new_store(), clock)
    first = TranscriptReview(made.store, clock=clock)
    second = TranscriptReview(made.store, clock=clock)
    try:
        first.apply(reassign(first.statements[2], "P4", first.state.transcript_edits))
        second.poll_transcript()
        second.apply(reassign(second.statements[2], "P5", second.state.transcript_edits))
        assert "another view" in (first.undo() or "")
        assert first.statements[2].who == "P5"
    finally:
        first.close()
        second.close()


def test_no_transcript_says_how_to_make_one(new_store, clock: FakeClock) -> None:
    store = new_store()
    with pytest.raises(NoTranscript, match="facilitator transcribe"):
        TranscriptReview(store, clock=clock)


def test_notes_beside_the_statement_they_were_written_during(review: TranscriptReview) -> None:
    beside = notes_beside(review.statements, review.state.live_notes())
    assert [n.text for n in beside[1]] == ["families first"]
    assert set(beside) == {1}


def test_search_words_speakers_and_tags(review: TranscriptReview) -> None:
    labels = {p.id: p.label for p in review.state.roster}
    found = [n for n, s in enumerate(review.statements) if matches(s, "meetings", labels)]
    assert found == [0, 2]
    found = [n for n, s in enumerate(review.statements) if matches(s, "informant 1", labels)]
    assert found == [1, 5]
    review.apply(toggle_tag(review.statements[4], "follow-up", review.state.transcript_edits))
    found = [n for n, s in enumerate(review.statements) if matches(s, "#follow-up", labels)]
    assert found == [4]


def test_talk_from_the_corrected_statements(review: TranscriptReview) -> None:
    roster = [p.id for p in review.state.roster]
    before = talk_from_statements(review.statements, roster)
    p2 = next(p for p in before["participants"] if p["id"] == "P2")
    assert p2["statements"] == 1 and p2["talk_s"] > 0
    assert before["unattributed_statements"] == 1
    review.apply(
        reassign(review.statements[3], "P2", review.state.transcript_edits, review.statements[4])
    )
    after = talk_from_statements(review.statements, roster)
    p2_after = next(p for p in after["participants"] if p["id"] == "P2")
    assert p2_after["statements"] == 2 and p2_after["talk_s"] > p2["talk_s"]
    assert after["unattributed_statements"] == 0


@pytest.mark.parametrize("seed", range(6))
def test_the_incremental_view_is_always_a_full_attribution(
    review: TranscriptReview, seed: int
) -> None:
    """Random corrections: after each, the editor's statements are exactly what attributing
    every word again (as the exports do) gives."""
    rng = random.Random(seed)
    who = ["P1", "P2", "P3", "moderator", None]
    for _step in range(40):
        statements = review.statements
        if not statements:  # every word emptied: take the last emptying back
            assert review.undo() is None
            continue
        index = rng.randrange(len(statements))
        statement = statements[index]
        corrections = review.state.transcript_edits
        action = rng.choice(["who", "text", "split", "join", "tag", "undo", "empty"])
        if action == "who":
            following = statements[index + 1] if index + 1 < len(statements) else None
            plan = reassign(statement, rng.choice(who), corrections, following)
        elif action == "text":
            tokens = statement.text.split()
            rng.shuffle(tokens)
            plan = retext(
                statement, " ".join(tokens[: rng.randint(1, len(tokens))] + ["x."]), corrections
            )
        elif action == "empty":
            plan = retext(statement, "", corrections)
        elif action == "split":
            plan = split(statement, rng.randrange(len(statement.words)), corrections)
        elif action == "join" and index > 0:
            plan = join(statements[index - 1], statement, corrections)
        elif action == "tag":
            plan = toggle_tag(statement, rng.choice(["quote", "theme"]), corrections)
        else:
            review.undo()
            plan = None
        if plan:
            review.apply(plan)
        full = corrected_transcript(review.state, review.machine)
        assert shape(review.statements) == shape(full.statements)
        assert review.edits.transcript.unattributed_words == full.unattributed_words
    _state, from_disk = fresh(review)
    assert shape(from_disk.statements) == shape(review.statements)


def test_editable_transcript_matches_on_open(review: TranscriptReview) -> None:
    again = EditableTranscript(review.machine, review.state)
    assert shape(again.statements) == shape(
        corrected_transcript(review.state, review.machine).statements
    )
    assert ev.TRANSCRIPT_SPEAKER in ev.KINDS


def test_summary_talk_from_the_corrected_transcript_on_the_command_line(
    review: TranscriptReview,
) -> None:
    """``summary --talk-from transcript``: the corrected statements' talk beside the keyed."""
    import json
    import subprocess
    import sys

    review.apply(
        reassign(review.statements[3], "P2", review.state.transcript_edits, review.statements[4])
    )
    sessions = str(review.store.path.parent)
    command = [sys.executable, "-m", "facilitator", "--sessions", sessions, "summary"]
    session = review.store.path.name
    done = subprocess.run(
        [*command, session, "--format", "json", "--talk-from", "transcript"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    figures = {p["id"]: p for p in summary["talk_from_transcript"]["participants"]}
    assert figures["P2"]["statements"] == 2  # the unattributed statement is P2's now
    assert summary["talk_from_transcript"]["unattributed_statements"] == 0
    keyed = {p["id"]: p for p in summary["participants"]}
    assert keyed["P2"]["turns"] == 1  # the keyed figures are as keyed
    markdown = subprocess.run(
        [*command, session, "--talk-from", "transcript"], capture_output=True, text=True, timeout=60
    ).stdout
    assert "Talk time: keyed turns and the corrected transcript" in markdown
    plain = subprocess.run(
        [*command, session, "--format", "json"], capture_output=True, text=True, timeout=60
    ).stdout
    assert "talk_from_transcript" not in json.loads(plain)


def test_every_export_reads_the_corrected_transcript(review: TranscriptReview) -> None:
    """What the editor shows is what the summary, the JSON and the Markdown export say."""
    import json

    from facilitator.services.exporting import render_export, session_summary

    corrections = review.state.transcript_edits
    review.apply(reassign(review.statements[2], "P4", corrections, review.statements[3]))
    review.apply(retext(review.statements[3], "and then the waiting list grew", corrections))
    review.apply(toggle_tag(review.statements[3], "quote", corrections))
    store = review.store
    state = state_of(store.info(), store.read_events().events)
    summary = session_summary(store, store.info(), state, review.now())
    statements = summary["transcript"]["statements"]
    assert [(s["who"], s["text"]) for s in statements] == [
        (s.who, s.text) for s in review.statements
    ]
    assert statements[2]["who"] == "P4" and statements[3]["tags"] == ["quote"]
    assert json.loads(json.dumps(summary))["transcript"]["statements"][3]["text"] == (
        "and then the waiting list grew"
    )
    # the Markdown puts the words spoken beside each #quote note: the corrected words
    markdown = str(render_export(store, store.info(), state, "md", review.now()))
    assert "and then the waiting list grew" in markdown
    assert SCRIPT[3][1] not in markdown  # the machine's words are not what is reported


def _random_machine(rng: random.Random):
    """Words with gaps, some recognised as starting early in a silence the audio showed,
    sentence ends here and there, and keyed turns pressed with a lag."""
    from types import SimpleNamespace

    from facilitator.core.transcript import MachineTranscript, Stretch, Word, word_id

    words, silences, turns = [], [], []
    t = 0.5
    who = ["P1", "P2", "P3", "moderator", None]
    for _n in range(120):
        if rng.random() < 0.15:  # a pause, heard as silence, the next word starting in it
            gap = rng.uniform(0.2, 1.5)
            silences.append((t, t + gap))
            t += gap - rng.uniform(0.0, 0.3)
        if rng.random() < 0.12:  # someone else starts: the key a little later
            press = t + rng.uniform(-0.3, 1.2)
            turns.append((rng.choice(who), press))
        length = rng.uniform(0.15, 0.6)
        text = rng.choice(["we", "meet", "them", "there", "often", "yes", "so"])
        words.append((t, t + length, text + ("." if rng.random() < 0.2 else "")))
        t += length + rng.uniform(0.0, 0.25)
    made = tuple(Word(word_id("rec-001", 0, n), a, b, w) for n, (a, b, w) in enumerate(words))
    machine = MachineTranscript(
        stretches=[Stretch("rec-001", 0, 0.0, t + 1, made, tuple(silences))]
    )
    turns.sort(key=lambda x: x[1])
    ledger = []
    for index, (speaker, start) in enumerate(turns):
        end = turns[index + 1][1] if index + 1 < len(turns) else None
        piece = SimpleNamespace(start_s=start, phase="p", question=None)
        ledger.append(SimpleNamespace(who=speaker, start_s=start, end_s=end, pieces=[piece]))
    talk = SimpleNamespace(turns=ledger, overlaps=[])
    return machine, talk


@pytest.mark.parametrize("seed", range(8))
def test_incremental_equals_full_with_silences_and_sentence_ends(seed: int) -> None:
    """Where the audio's silences move a word's middle and sentence ends pull a turn's edge,
    the statements made again around each correction are still a full attribution's."""
    from types import SimpleNamespace

    from facilitator.core.transcript import Corrections
    from facilitator.core.transcript_edits import Change

    rng = random.Random(seed)
    machine, talk = _random_machine(rng)
    corrections = Corrections()
    state = SimpleNamespace(talk=talk, transcript_edits=corrections)
    edits = EditableTranscript(machine, state)  # type: ignore[arg-type]
    assert shape(edits.statements) == shape(corrected_transcript(state, machine).statements)  # type: ignore[arg-type]
    fold = {
        ev.TRANSCRIPT_SPEAKER: corrections.set_speaker,
        ev.TRANSCRIPT_TEXT: corrections.set_text,
        ev.TRANSCRIPT_SPLIT: corrections.set_split,
        ev.TRANSCRIPT_TAG: corrections.set_tags,
    }
    for _step in range(30):
        if not edits.statements:
            break
        index = rng.randrange(len(edits.statements))
        statement = edits.statements[index]
        action = rng.choice(["who", "split", "join", "text"])
        if action == "who":
            after = edits.statements[index + 1] if index + 1 < len(edits.statements) else None
            plan = reassign(statement, rng.choice(["P1", "P4", None]), corrections, after)
        elif action == "split":
            plan = split(statement, rng.randrange(len(statement.words)), corrections)
        elif action == "join" and index:
            plan = join(edits.statements[index - 1], statement, corrections)
        else:
            plan = retext(statement, statement.text + " indeed.", corrections)
        change: Change
        for change in plan.changes:
            fold[change.kind](change.data)
        edits.refresh(plan.words, corrections)
        full = corrected_transcript(state, machine)  # type: ignore[arg-type]
        assert shape(edits.statements) == shape(full.statements)


@pytest.mark.parametrize("seed", range(8))
def test_the_opening_is_the_first_statements_of_the_whole(seed: int) -> None:
    """What the screen shows first (the first words attributed alone) is exactly how the
    whole transcript begins."""
    from types import SimpleNamespace

    from facilitator.core.transcript import Corrections

    machine, talk = _random_machine(random.Random(seed))
    state = SimpleNamespace(talk=talk, transcript_edits=Corrections())
    whole = corrected_transcript(state, machine).statements  # type: ignore[arg-type]
    for count in (30, 60, 90):
        opening = EditableTranscript.opening(machine, state, count=count)  # type: ignore[arg-type]
        assert not opening.complete
        assert shape(opening.statements) == shape(whole[: len(opening.statements)])
    assert EditableTranscript.opening(machine, state, count=10_000).complete  # type: ignore[arg-type]
