"""Attribution of words to the speakers the moderator keyed (core.transcript), on synthetic
words and turns: key presses that lag or come early, forgotten keys, overlaps, pauses, a
break, a part boundary, and the corrections layered on top as journal events."""

from __future__ import annotations

import json

import pytest

from facilitator.core import events as ev
from facilitator.core.events import Event
from facilitator.core.session import SessionState
from facilitator.core.transcript import (
    Corrections,
    KeyedTurn,
    MachineTranscript,
    Mark,
    Stretch,
    Word,
    attribute,
    keyed_turns,
    overlap_marks,
    word_id,
)

WORD_S = 0.35  # one word
GAP_S = 0.05  # between two words of a sentence


def speech(script, part="rec-001", start_s=0.0, pause_s=0.8):
    """Words from [(who, "sentence ...")], one statement after the other with a pause
    between; returns (stretch, truth: [(who, start_s, end_s)], word speakers)."""
    words, truth, speakers = [], [], []
    t = start_s
    for who, sentence in script:
        begin = t
        for text in sentence.split():
            words.append(Word(word_id(part, 0, len(words)), t, t + WORD_S, text))
            speakers.append(who)
            t += WORD_S + GAP_S
        truth.append((who, begin, t - GAP_S))
        t += pause_s - GAP_S
    return Stretch(part, 0, start_s, t, tuple(words)), truth, speakers


def machine(*stretches):
    return MachineTranscript(model="test", language="en", stretches=list(stretches))


def presses(truth, lags, end_s):
    """Turns keyed at each statement's start plus its lag (negative: early)."""
    turns = []
    for (who, start, _end), lag in zip(truth, lags, strict=True):
        at = start + lag
        if turns:
            previous = turns[-1]
            turns[-1] = KeyedTurn(previous.who, previous.start_s, at)
        turns.append(KeyedTurn(who, at, end_s))
    return turns


def speakers_of(transcript):
    return [w.who for s in transcript.statements for w in s.words]


SCRIPT = [
    ("P1", "We meet the families where they are."),
    ("P2", "Most of our meetings happen at the office."),
    ("P3", "I think we could visit them at home more often."),
    ("moderator", "What would that take?"),
    ("P1", "Time, mostly, and a car."),
]


@pytest.mark.parametrize("lag", [0.3, 0.6, 0.9, 1.2])
def test_a_lagging_press_is_moved_back_to_the_pause(lag):
    stretch, truth, truth_speakers = speech(SCRIPT)
    turns = presses(truth, [0.0] + [lag] * (len(truth) - 1), stretch.end_s)
    raw = attribute(machine(stretch), turns, snap=False)
    snapped = attribute(machine(stretch), turns)
    assert speakers_of(snapped) == truth_speakers
    assert speakers_of(raw) != truth_speakers  # the raw turns give words to the one before
    assert [s.who for s in snapped.statements] == [who for who, _text in SCRIPT]
    assert [s.text for s in snapped.statements] == [text for _who, text in SCRIPT]


@pytest.mark.parametrize("early", [0.1, 0.3, 0.45])
def test_an_early_press_is_moved_forward_to_the_pause(early):
    stretch, truth, truth_speakers = speech(SCRIPT, pause_s=1.0)
    # pressed while the one before says their last word
    turns = presses(truth, [0.0] + [-early] * (len(truth) - 1), stretch.end_s)
    assert speakers_of(attribute(machine(stretch), turns)) == truth_speakers


def test_a_press_far_later_than_a_key_press_can_lag_is_left_where_it_is():
    stretch, truth, _speakers = speech(SCRIPT[:2])
    turns = presses(truth, [0.0, 3.5], stretch.end_s)
    snapped = attribute(machine(stretch), turns)
    # the first words of P2 stay with P1: no pause within 2 s before the press
    assert snapped.statements[0].who == "P1"
    assert snapped.statements[0].text.startswith("We meet the families where they are. Most")


def test_the_strongest_pause_wins_over_a_short_one_nearer_the_press():
    stretch, truth, truth_speakers = speech(SCRIPT[:2], pause_s=0.9)
    words = list(stretch.words)
    # a short hesitation inside P2's sentence, 0.2 s, just before the press
    second = [i for i, w in enumerate(words) if w.text == "our"][0]
    words = words[:second] + [
        Word(w.id, w.start_s + 0.2, w.end_s + 0.2, w.text) for w in words[second:]
    ]
    stretch = Stretch(stretch.part, 0, stretch.start_s, stretch.end_s + 0.2, tuple(words))
    press = [w for w in words if w.text == "our"][0].start_s - 0.1
    turns = [KeyedTurn("P1", 0.0, press), KeyedTurn("P2", press, stretch.end_s)]
    assert speakers_of(attribute(machine(stretch), turns)) == truth_speakers


def test_silence_found_in_the_audio_counts_as_a_pause_when_the_words_touch():
    # the recogniser stretched each word to the next one; the audio shows the silence
    # (no full stop either: the recogniser's punctuation would show the change)
    unpunctuated = [(who, text.rstrip(".")) for who, text in SCRIPT[:2]]
    spoken, truth, truth_speakers = speech(unpunctuated, pause_s=0.6)
    words = spoken.words
    touching = tuple(
        Word(w.id, w.start_s, after.start_s, w.text)
        for w, after in zip(words, words[1:], strict=False)
    ) + (words[-1],)
    stretch = Stretch(spoken.part, 0, spoken.start_s, spoken.end_s, touching)
    silent = Stretch(
        stretch.part, 0, stretch.start_s, stretch.end_s, touching, ((truth[0][2], truth[1][1]),)
    )
    turns = presses(truth, [0.0, 1.2], stretch.end_s)
    assert speakers_of(attribute(machine(stretch), turns)) != truth_speakers
    assert speakers_of(attribute(machine(silent), turns)) == truth_speakers


def test_a_forgotten_key_leaves_the_words_with_the_speaker_before():
    stretch, truth, truth_speakers = speech(SCRIPT[:3])
    turns = [KeyedTurn("P1", 0.0, truth[2][1] + 0.7), KeyedTurn("P3", truth[2][1] + 0.7, 99.0)]
    result = attribute(machine(stretch), turns)
    assert [s.who for s in result.statements] == ["P1", "P3"]
    assert result.statements[0].text == SCRIPT[0][1] + " " + SCRIPT[1][1]
    assert result.unattributed_words == 0


def test_words_with_nobody_marked_are_kept_and_counted():
    stretch, truth, _speakers = speech(SCRIPT[:3])
    # the first statement before any key; space pressed after the second
    turns = [
        KeyedTurn("P2", truth[1][1] + 0.5, truth[1][2] + 0.4),
        KeyedTurn(None, truth[1][2] + 0.4, 99.0),
    ]
    result = attribute(machine(stretch), turns)
    assert [s.who for s in result.statements] == [None, "P2", None]
    assert result.unattributed_words == len(SCRIPT[0][1].split()) + len(SCRIPT[2][1].split())
    assert result.words == sum(len(text.split()) for _who, text in SCRIPT[:3])
    assert [s.text for s in result.unattributed] == [SCRIPT[0][1], SCRIPT[2][1]]


def test_an_overlap_mark_marks_the_words_spoken_over():
    long = ("P2", " ".join(text for _who, text in SCRIPT))
    stretch, truth, _speakers = speech([SCRIPT[0], long])
    turns = presses(truth, [0.0, 0.5], stretch.end_s)
    at = truth[1][1] + 4.0
    result = attribute(machine(stretch), turns, [Mark("P3", at)])
    second = result.statements[1]
    assert second.who == "P2" and second.overlaps == ("P3",)
    marked = [w.word.id for w in second.words if w.overlap == "P3"]
    near = [w.word.id for w in second.words if w.word.end_s >= at - 1 and w.word.start_s <= at + 3]
    assert marked == near and 0 < len(marked) < len(second.words)
    assert result.statements[0].overlaps == ()
    # a mark of the speaker over themselves marks nothing
    alone = attribute(machine(stretch), turns, [Mark("P2", at)])
    assert alone.statements[1].overlaps == ()


def test_a_break_and_a_part_boundary():
    first, truth_a, speakers_a = speech(SCRIPT[:2])
    # recording stopped for a break (p): the turn ended; the next part starts later
    second, truth_b, speakers_b = speech(SCRIPT[2:4], part="rec-002", start_s=600.0)
    turns = presses(truth_a, [0.0, 0.8], first.end_s + 0.3)
    # after the break P3 speaks first and is keyed 0.7 s late: no turn before to take the
    # words, and the part's start is the pause the press is moved back to
    turns += presses(truth_b, [0.7, 0.6], 700.0)
    raw = attribute(machine(first, second), turns, snap=False)
    result = attribute(machine(first, second), turns)
    assert speakers_of(result) == speakers_a + speakers_b
    assert raw.unattributed_words == 2  # "I think" said before the key, with nobody marked
    assert [s.part for s in result.statements] == ["rec-001"] * 2 + ["rec-002"] * 2


def test_a_statement_never_spans_two_parts_even_for_one_speaker():
    first, _t, _s = speech([("P1", "We meet them at home.")])
    second, _t2, _s2 = speech([("P1", "And then at the office.")], part="rec-002", start_s=10.0)
    result = attribute(machine(first, second), [KeyedTurn("P1", 0.0, 99.0)])
    assert [(s.who, s.part) for s in result.statements] == [("P1", "rec-001"), ("P1", "rec-002")]


def test_a_long_statement_is_split_at_a_sentence_end():
    sentence = "This is one sentence of eight words here."
    stretch, _truth, _speakers = speech([("P1", " ".join([sentence] * 12))])
    result = attribute(machine(stretch), [KeyedTurn("P1", 0.0, 999.0)])
    assert len(result.statements) > 1
    for statement in result.statements:
        assert statement.text.endswith(".")
        assert statement.end_s - statement.start_s < 30.0 + 8 * (WORD_S + GAP_S)
    assert " ".join(s.text for s in result.statements) == " ".join([sentence] * 12)


def test_statements_carry_the_question_the_guide_was_at():
    stretch, truth, _speakers = speech(SCRIPT[:2])
    moved = truth[1][1] + 0.2
    turns = [
        KeyedTurn("P1", 0.0, truth[1][1] + 0.6, "intro", "q1"),
        KeyedTurn("P2", truth[1][1] + 0.6, 99.0, "main", "q2"),
    ]
    result = attribute(machine(stretch), turns)
    assert [(s.phase, s.question) for s in result.statements] == [
        ("intro", "q1"),
        ("main", "q2"),
    ]
    within = KeyedTurn("P2", 0.0, 99.0, "intro", "q1", ((moved, "main", "q3"),))
    assert within.position_at(moved - 0.01) == ("intro", "q1")
    assert within.position_at(moved + 0.01) == ("main", "q3")


def test_corrections_reassign_edit_split_and_tag_by_word_id():
    stretch, truth, _speakers = speech(SCRIPT[:2])
    turns = presses(truth, [0.0, 0.6], stretch.end_s)
    first_of_p2 = stretch.words[len(SCRIPT[0][1].split())]
    third = stretch.words[2]
    corrections = Corrections()
    corrections.set_speaker({"words": [first_of_p2.id], "who": "P4"})
    corrections.set_text({"word": third.id, "text": "familiez"})
    corrections.set_text({"word": stretch.words[0].id, "text": ""})
    corrections.set_split({"word": stretch.words[4].id, "split": True})
    corrections.set_tags({"word": stretch.words[4].id, "tags": ["quote", 3]})
    result = attribute(machine(stretch), turns, corrections=corrections)
    assert [s.who for s in result.statements] == ["P1", "P1", "P4", "P2"]
    assert result.statements[0].text == "meet familiez families"
    assert result.statements[1].tags == ("quote",)
    assert result.statements[2].words[0].corrected
    assert result.words == sum(len(t.split()) for _w, t in SCRIPT[:2]) - 1


def test_corrections_are_folded_from_journal_events(new_store):
    store = new_store()
    info = store.info()
    events = [
        Event("editor", 1, 10.0, ev.TRANSCRIPT_SPEAKER, {"words": ["rec-001:0:1"], "who": "P2"}),
        Event("editor", 2, 11.0, ev.TRANSCRIPT_SPEAKER, {"words": ["rec-001:0:1"], "who": "P3"}),
        Event("editor", 3, 12.0, ev.TRANSCRIPT_TEXT, {"word": "rec-001:0:2", "text": "x"}),
        Event("editor", 4, 13.0, ev.TRANSCRIPT_SPLIT, {"word": "rec-001:0:2", "split": False}),
        Event("editor", 5, 14.0, ev.TRANSCRIPT_TAG, {"word": "rec-001:0:2", "tags": ["theme"]}),
        Event("editor", 6, 15.0, ev.TRANSCRIPT_TEXT, {"word": 7, "text": "bad"}),  # ignored
    ]
    state = SessionState.from_events(info.guide, events, info.participants)
    edits = state.transcript_edits
    assert edits.speaker == {"rec-001:0:1": "P3"}
    assert edits.text == {"rec-001:0:2": "x"}
    assert edits.split == {"rec-001:0:2": False}
    assert edits.tags == {"rec-001:0:2": ("theme",)}


def test_turns_come_from_the_talk_ledger_after_undo_and_reassign(live, clock):
    clock.advance(1)
    live.speak("P1")
    clock.advance(5)
    live.speak("P3")  # wrong person
    clock.advance(0.5)
    live.undo()
    clock.advance(0.5)
    live.speak("P2")
    clock.advance(4)
    live.next_question()
    clock.advance(3)
    live.overlap("P4")
    clock.advance(2)
    live.speak(None)
    turns = keyed_turns(live.state.talk)
    assert [t.who for t in turns] == ["P1", "P2", None]
    assert turns[0].start_s == pytest.approx(1.0)
    assert turns[1].start_s == pytest.approx(7.0)
    assert turns[1].end_s == pytest.approx(16.0)
    assert len(turns[1].moves) == 1 and turns[1].moves[0][0] == pytest.approx(11.0)
    assert overlap_marks(live.state.talk) == [Mark("P4", pytest.approx(14.0))]


def test_a_first_word_the_recogniser_starts_in_the_silence_goes_to_the_first_speaker():
    # Whisper often starts a stretch's first word at the stretch's start, in silence
    words = (
        Word("rec-001:0:0", 5.0, 5.7, "Can"),
        Word("rec-001:0:1", 5.7, 6.0, "you"),
        Word("rec-001:0:2", 6.0, 6.4, "hear?"),
    )
    stretch = Stretch("rec-001", 0, 5.0, 7.0, words, ((5.0, 5.5),))
    result = attribute(machine(stretch), [KeyedTurn("moderator", 6.2, 99.0)])
    assert [s.who for s in result.statements] == ["moderator"]
    assert result.unattributed_words == 0


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("I agree with Kari Nordmann, she said", "I agree with Informant 1, she said"),
        ("Kari's point was good", "Informant 1's point was good"),
        ("(kari nordmann) too", "(Informant 1) too"),
        ("Thank you, Per.", "Thank you, Informant 2."),
        ("one per person", "one per person"),  # not a name here
        ("Olsen said so", "Olsen said so"),  # a surname alone is left (a common word too)
        ("Per Olsen and Kari", "Informant 2 and Informant 1"),
    ],
)
def test_real_names_heard_become_pseudonyms(heard, expected):
    from facilitator.core.transcript import join_words, pseudonymise

    names = [("Kari Nordmann", "Informant 1"), ("Per Olsen", "Informant 2"), ("  ", "x")]
    assert join_words(pseudonymise(heard.split(), names)) == expected


def test_the_summary_carries_the_transcript_with_pseudonyms_unless_names_are_asked_for(live):
    from facilitator.core.summary import build_summary

    live.edit_participant("P1", real_name="Kari Nordmann")
    stretch, truth, _speakers = speech(
        [("P1", "I am Kari Nordmann from the housing office."), ("P2", "Thank you Kari.")]
    )
    turns = presses(truth, [0.0, 0.6], stretch.end_s)
    transcript = attribute(machine(stretch), turns)
    summary = build_summary(live.info, live.state, live.now(), transcript=transcript)
    section = summary["transcript"]
    assert section["words"] == 11 and section["unattributed_words"] == 0
    texts = [s["text"] for s in section["statements"]]
    assert texts == ["I am Informant 1 from the housing office.", "Thank you Informant 1."]
    assert "Kari" not in json.dumps(summary)
    assert [s["label"] for s in section["statements"]] == ["Informant 1", "Informant 2"]
    assert [s["n"] for s in section["statements"]] == [1, 2]
    assert section["statements"][0]["words"][2][2] == "Informant 1"
    named = build_summary(live.info, live.state, live.now(), with_names=True, transcript=transcript)
    assert named["transcript"]["statements"][1]["text"] == "Thank you Kari."
    assert build_summary(live.info, live.state, live.now())["transcript"] is None


def test_a_change_without_any_pause_is_put_at_a_sentence_end_near_the_usual_lag():
    # the next speaker starts the instant the one before stops: no pause in words or audio
    stretch, truth, truth_speakers = speech(SCRIPT[:3], pause_s=GAP_S)
    turns = presses(truth, [0.0, 0.7, 1.1], stretch.end_s)
    assert speakers_of(attribute(machine(stretch), turns, snap=False)) != truth_speakers
    assert speakers_of(attribute(machine(stretch), turns)) == truth_speakers


def test_the_lag_cost_is_continuous_and_grows_away_from_the_usual_lag():
    from facilitator.core.transcript import LAG_HIGH_S, LAG_LOW_S, LAG_TYPICAL_S, lag_cost

    for edge in (LAG_LOW_S, LAG_HIGH_S):
        assert lag_cost(edge - 1e-9) == pytest.approx(lag_cost(edge + 1e-9), abs=1e-6)
    lags = [x / 100 for x in range(-200, 300)]
    below = [lag for lag in lags if lag <= LAG_TYPICAL_S]
    above = [lag for lag in lags if lag >= LAG_TYPICAL_S]
    assert [lag_cost(x) for x in below] == sorted((lag_cost(x) for x in below), reverse=True)
    assert [lag_cost(x) for x in above] == sorted(lag_cost(x) for x in above)
    # a reaction takes time: a press as the voice begins is unlikely, and one a little
    # before it (the moderator saw who was about to speak) hardly less so; a press long
    # after the usual lag is the less likely still
    assert lag_cost(LAG_LOW_S) < lag_cost(0.0) < lag_cost(-0.4) < lag_cost(2.0)
    assert lag_cost(-0.4) - lag_cost(0.0) < lag_cost(0.0) - lag_cost(LAG_LOW_S)


def test_the_guide_names_the_transcript_s_model_and_language():
    from facilitator.core.guide import Guide, GuideError, parse_guide
    from tests.conftest import GUIDES

    text = (GUIDES / "seed-en.toml").read_text(encoding="utf-8")
    guide = parse_guide(
        text.replace(
            "[settings]\n",
            '[settings]\ntranscribe_model = "large-v3-turbo"\ntranscribe_language = "no"\n',
        )
    )
    assert (guide.settings.transcribe_model, guide.settings.transcribe_language) == (
        "large-v3-turbo",
        "no",
    )
    # kept in the session's copy of the guide, and read back from it
    again = Guide.from_dict(guide.to_dict())
    assert again.settings.transcribe_model == "large-v3-turbo"
    for bad in ("transcribe_model = 3", 'transcribe_model = "a\\u0007b"'):
        with pytest.raises(GuideError) as refused:
            parse_guide(text.replace("[settings]\n", f"[settings]\n{bad}\n"))
        assert "transcribe_model" in str(refused.value.problems[0])


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("large-v3-turbo", "large-v3-turbo"),
        ("Systran/faster-whisper-small", "Systran/faster-whisper-small"),
        ("/home/kari/private/models/whisper-nb", "models/whisper-nb"),
        ("~/whisper", "whisper"),
        ("C:\\Users\\kari\\whisper", "kari/whisper"),
    ],
)
def test_a_model_folder_is_named_without_the_path_of_someone_s_computer(given, shown):
    from facilitator.core.transcript import model_label

    assert model_label(given) == shown


def test_a_monologue_without_a_full_stop_is_still_split():
    stretch, _truth, _speakers = speech([("P1", " ".join(["and"] * 400))])
    result = attribute(machine(stretch), [KeyedTurn("P1", 0.0, 999.0)])
    assert len(result.statements) == 3
    assert [len(s.words) for s in result.statements] == [160, 160, 80]
