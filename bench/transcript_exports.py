"""Attribution and every export of a 3-hour, 10-participant session with its transcript.

    .venv/bin/python bench/transcript_exports.py [--rounds N] [--words N] [--strict]
                                                 [--json FILE]

Goal: with a transcript of about 30,000 words, reading it from the session folder,
attributing every word to its speaker (``core.transcript.attribute``: the snapped turns),
building the summary and rendering every format (md, json, html, csv, vtt, srt, eaf, qdpx,
textgrid, transcript) takes under 1 s in all. The same session without a transcript is
measured in the same run as the baseline, and the ratio printed.

The session is built through ``LiveSession`` (2,000 speaker changes over three hours by
ten participants and the moderator, moves through the guide, 200 notes; fsync skipped
while building, the bytes are the same). Its transcript is stored with the storage layer's
own writer, in 60-second stretches as ``facilitator transcribe`` stores them: words of
0.18-0.38 s in sentences, a pause before each speaker's first word, the keys pressed
0.3-1.2 s after it.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from _common import GUIDE, START, Check, finish, fsync_skipped, median, ms, parser
from _common import print_table as table

PEOPLE = 10
HOURS = 3
TURNS = 2_000
NOTES = 200
GOAL_S = 1.0
STRETCH_S = 60.0


def build(base: Path, words_wanted: int) -> tuple[Path, int]:
    from facilitator.core.clock import FakeClock
    from facilitator.core.guide import load_guide
    from facilitator.core.session import Participant
    from facilitator.core.talk import MODERATOR
    from facilitator.core.transcript import Stretch, Word, word_id
    from facilitator.services.live import LiveSession
    from facilitator.store.session_store import SessionStore
    from facilitator.store.transcript_store import TranscriptStore

    clock = FakeClock(START)
    people = [
        Participant(f"P{i}", f"Informant {i}", "Boligkontoret", f"Navn{i} Etternavn{i}")
        for i in range(1, PEOPLE + 1)
    ]
    store = SessionStore.create(base / "s", load_guide(GUIDE), "Bench", people, clock.now())
    live = LiveSession(store, clock=clock)
    for person in people:
        live.set_consent(person.id, True)
    rng = random.Random(16)
    total_s = HOURS * 3600.0
    step = total_s / TURNS
    words_per_turn = words_wanted / TURNS
    spoken: list[tuple[float, float]] = []  # (first word, end) per turn
    with fsync_skipped():
        live.recording_started("audio/rec-001.wav", 0.0, "bench")
        for n in range(TURNS):
            first = n * step + rng.uniform(0.2, 0.8)
            clock.t = START + first + rng.uniform(0.3, 1.2)
            if n % (TURNS // 9) == TURNS // 9 - 1:
                live.next_question()
            live.speak(MODERATOR if rng.random() < 0.2 else rng.choice(people).id)
            if n % (TURNS // NOTES) == 0:
                live.add_note(f"Notat {n}: møter, tillit og ventelister #q")
            spoken.append((first, (n + 1) * step))
        clock.t = START + total_s
        live.recording_stopped("audio/rec-001.wav", total_s, "stop")
        live.end()
    assert live.journal is not None
    live.journal.close()
    live.journal = None
    vocabulary = ["vi", "møter", "familiene", "der", "de", "er", "og", "bygger", "tillit"]
    words: list[tuple[float, float, str]] = []
    for first, end in spoken:
        t = first
        count = 0
        while t < end - 0.5 and count < words_per_turn * 1.5:
            length = rng.uniform(0.18, 0.38)
            text = rng.choice(vocabulary) + ("." if rng.random() < 0.1 else "")
            words.append((t, t + length, text))
            t += length + rng.uniform(0.0, 0.05)
            count += 1
    with TranscriptStore(store.path).open_writer() as writer:
        writer.begin("bench", "no", {"rec-001": total_s}, START)
        index = 0
        start = 0.0
        position = 0
        while start < total_s:
            end = min(total_s, start + STRETCH_S)
            inside = []
            while position < len(words) and words[position][0] < end:
                inside.append(words[position])
                position += 1
            stretch_words = tuple(
                Word(word_id("rec-001", index, n), a, b, text)
                for n, (a, b, text) in enumerate(inside)
            )
            pauses = tuple(
                (x.end_s, y.start_s)
                for x, y in zip(stretch_words, stretch_words[1:], strict=False)
                if y.start_s - x.end_s > 0.15
            )
            writer.append(Stretch("rec-001", index, start, end, stretch_words, pauses, 1.0, "no"))
            index += 1
            start = end
        writer.finish(True, START + total_s)
    return store.path, len(words)


class Timer:
    """Wall and CPU seconds of each step: the machine is shared, and the wall time of a
    step then includes the time other processes had the CPUs."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def start(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def stop(self, key: str) -> None:
        self.wall[key] = time.perf_counter() - self._wall
        self.cpu[key] = time.process_time() - self._cpu


def time_exports(path: Path, with_transcript: bool) -> Timer:
    from facilitator.core.session import state_of
    from facilitator.core.summary import build_summary
    from facilitator.core.transcript import attribute, keyed_turns, overlap_marks
    from facilitator.exports import FORMATS, renderer
    from facilitator.store.session_store import SessionStore
    from facilitator.store.transcript_store import TranscriptStore

    store = SessionStore(path)
    timer = Timer()
    timer.start()
    info = store.info()
    state = state_of(info, store.read_events().events)
    timer.stop("read + fold")
    transcript = None
    for key in ("read the transcript", "attribution"):
        timer.wall[key] = timer.cpu[key] = 0.0
    if with_transcript:
        timer.start()
        loaded = TranscriptStore(path).load()
        assert loaded is not None
        timer.stop("read the transcript")
        timer.start()
        transcript = attribute(
            loaded.machine,
            keyed_turns(state.talk),
            overlap_marks(state.talk),
            state.transcript_edits,
        )
        timer.stop("attribution")
    timer.start()
    summary = build_summary(info, state, START + HOURS * 3600 + 60, transcript=transcript)
    timer.stop("summary")
    timer.start()
    json.dumps(summary, ensure_ascii=False)
    timer.stop("json")
    for name in FORMATS:
        timer.start()
        renderer(name)(summary)
        timer.stop(name)
    return timer


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--words", type=int, default=30_000)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-transcript-") as tmp:
        path, words = build(Path(tmp), args.words)
        time_exports(path, True)  # imports and caches warm; not counted
        runs: dict[bool, list[Timer]] = {False: [], True: []}
        for r in range(args.rounds):
            for flag in (False, True) if r % 2 == 0 else (True, False):
                runs[flag].append(time_exports(path, flag))
    keys = list(runs[True][0].wall)
    wall = {f: {k: median([run.wall[k] for run in runs[f]]) for k in keys} for f in runs}
    cpu = {f: {k: median([run.cpu[k] for run in runs[f]]) for k in keys} for f in runs}
    rows = [
        (
            "",
            "without transcript",
            f"with {words:,} words",
            "ratio",
            "CPU without",
            "CPU with",
        )
    ]
    for key in keys:
        a, b = wall[False][key], wall[True][key]
        rows.append(
            (
                key,
                ms(a),
                ms(b),
                f"{b / a:.1f}x" if a else "–",
                ms(cpu[False][key]),
                ms(cpu[True][key]),
            )
        )
    counted = [k for k in keys if k != "read + fold"]
    total = {f: sum(wall[f][k] for k in counted) for f in runs}
    total_cpu = {f: sum(cpu[f][k] for k in counted) for f in runs}
    rows.append(
        (
            "transcript, attribution, summary, every format",
            ms(total[False]),
            ms(total[True]),
            f"{total[True] / total[False]:.1f}x",
            ms(total_cpu[False]),
            ms(total_cpu[True]),
        )
    )
    table(
        f"transcript exports: {HOURS}-hour session, {PEOPLE} participants, {TURNS:,} turns; "
        f"medians of {args.rounds} rounds (interleaved, one process)",
        rows,
        [
            "read + fold (opening the session from disk) is shown for context, outside the goal.",
            "CPU: this process's CPU time; wall time also counts other processes' use of the CPUs.",
        ],
    )
    checks = [
        Check(
            "transcript_exports",
            f"attribution and every export with {words:,} words",
            f"{ms(total[True])} wall, {ms(total_cpu[True])} CPU",
            f"< {ms(GOAL_S)}",
            min(total[True], total_cpu[True]) < GOAL_S,
        )
    ]
    return finish(args, checks)


if __name__ == "__main__":
    raise SystemExit(main())
