"""VoiceSmoother: per-frame speech decisions in, speech starts and ends out, dated exactly."""

from __future__ import annotations

import random

import pytest

from facilitator.core.voice import VoiceSmoother

FRAME = 0.03


def run(pattern: str, **options: float) -> list[tuple[float, bool]]:
    """Feed a pattern of frames ('#' speech, '.' silence); the transitions with their offsets."""
    smoother = VoiceSmoother(frame_s=FRAME, **options)  # type: ignore[arg-type]
    found = []
    for mark in pattern:
        change = smoother.push(mark == "#")
        if change is not None:
            assert smoother.offset_s is not None
            found.append((round(smoother.offset_s, 6), change))
    return found


def at(frame: int) -> float:
    """The offset of a frame, rounded as ``run`` rounds."""
    return round(frame * FRAME, 6)


def frames(seconds: float) -> int:
    return round(seconds / FRAME)


def test_silence_gives_nothing() -> None:
    assert run("." * 200) == []


@pytest.mark.parametrize(
    "click",
    ["#", "##", "###", "#.#.#", "#...#...#", "##......##", "#......#......#"],
)
def test_short_clicks_are_not_speech(click: str) -> None:
    assert run("." * 10 + click + "." * 60) == []


def test_speech_start_and_end_are_dated_where_the_sound_was() -> None:
    # 10 frames of silence, 1 s of speech (33 frames), then silence
    pattern = "." * 10 + "#" * 33 + "." * 60
    hangover = frames(0.8)  # 27 frames
    smoother = VoiceSmoother(frame_s=FRAME)
    events = []
    for index, mark in enumerate(pattern):
        change = smoother.push(mark == "#")
        if change is not None:
            events.append((index, smoother.offset_s, change))
    # Decided at the 4th speech frame, dated at the first.
    assert events[0][0] == 13
    assert events[0][1] == pytest.approx(10 * FRAME)
    assert events[0][2] is True
    # Decided after the hangover of silence, dated at the end of the last speech frame.
    assert events[1][0] == 43 - 1 + hangover
    assert events[1][1] == pytest.approx(43 * FRAME)
    assert events[1][2] is False
    assert len(events) == 2


def test_start_needs_four_of_eight() -> None:
    # speech frames at 0, 2, 4 and 6 of a window: starts at the 4th, dated at the 1st
    assert run("." * 5 + "#.#.#.#" + "." * 40) == [(at(5), True), (at(12), False)]
    # three of eight never start it
    assert run(("#.." * 3 + ".....") * 5) == []


def test_pauses_between_words_shorter_than_the_hangover_do_not_split() -> None:
    words = ("#" * 12 + "." * 20) * 5  # 0.36 s words with 0.6 s pauses
    found = run("." * 5 + words + "." * 40)
    assert found == [(at(5), True), (at(5 + 4 * 32 + 12), False)]


def test_a_pause_longer_than_the_hangover_splits() -> None:
    pattern = "." * 3 + "#" * 10 + "." * 30 + "#" * 10 + "." * 30
    assert run(pattern) == [
        (at(3), True),
        (at(13), False),
        (at(43), True),
        (at(53), False),
    ]


def test_the_hangover_is_configurable() -> None:
    pattern = "#" * 10 + "." * 12 + "#" * 10 + "." * 40
    assert len(run(pattern, hangover_s=0.8)) == 2  # a 0.36 s pause does not split
    assert run(pattern, hangover_s=0.3) == [
        (0.0, True),
        (at(10), False),
        (at(22), True),
        (at(32), False),
    ]


def test_speaking_follows_the_transitions() -> None:
    smoother = VoiceSmoother()
    assert not smoother.speaking
    for _ in range(4):
        smoother.push(True)
    assert smoother.speaking
    for _ in range(smoother.hangover_frames):
        smoother.push(False)
    assert not smoother.speaking
    assert smoother.frames == 4 + smoother.hangover_frames


def test_end_closes_speech_still_going_on() -> None:
    smoother = VoiceSmoother()
    assert smoother.end() is None
    for _ in range(10):
        smoother.push(True)
    smoother.push(False)
    assert smoother.end() is False
    assert smoother.offset_s == pytest.approx(10 * 0.03)
    assert not smoother.speaking
    assert smoother.end() is None


def test_after_an_end_it_starts_again_only_on_new_speech() -> None:
    # a hangover shorter than the window: the speech before the end must not restart it
    pattern = "#" * 8 + "." * 3 + "#" + "." * 20
    assert run(pattern, hangover_s=0.09) == [(0.0, True), (at(8), False)]


@pytest.mark.parametrize(
    "options",
    [{"frame_s": 0.0}, {"start_frames": 0}, {"start_frames": 9}, {"hangover_s": -1.0}],
)
def test_nonsense_options_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        VoiceSmoother(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(20))
def test_push_quiet_is_push_false_that_many_times(seed: int) -> None:
    """Runs of silence pushed at once give the same transitions, offsets and state."""
    rng = random.Random(seed)
    hangover_s = rng.choice((0.09, 0.3, 0.8))
    one, bulk = VoiceSmoother(hangover_s=hangover_s), VoiceSmoother(hangover_s=hangover_s)
    for _ in range(60):
        speech, length = rng.random() < 0.5, rng.choice((1, 2, 3, 5, 8, 20, 40))
        if speech:
            for _ in range(length):
                assert one.push(True) == bulk.push(True)
                assert one.offset_s == bulk.offset_s
            continue
        changes = [c for c in (one.push(False) for _ in range(length)) if c is not None]
        assert changes == ([c] if (c := bulk.push_quiet(length)) is not None else [])
        assert one.offset_s == bulk.offset_s
        assert (one.speaking, one.frames) == (bulk.speaking, bulk.frames)
    assert one.end() == bulk.end() and one.offset_s == bulk.offset_s
