"""Where the words attribution gets wrong come from, by cause (a companion to
``transcript_attribution.py``, on the same seeded sessions; not part of ``make bench``).

    .venv/bin/python bench/transcript_attribution_errors.py [--sessions N] [--seed S]

For each keyed press (after the first) whose snapped edge lands off the true change: how
many words it gives to the wrong speaker, its lag (early: before the voice), which way it
went (``back``: into the speaker before's words; ``late``: not far enough back), the kind
of place it was put at and the kind of place the change really was (``VAD``: a silence the
audio showed; ``gap``: a gap of 0.15 s or more between the recogniser's words, no silence;
``bound``: words touching; ``nopause``: a change without a pause; ``VADmissed``: a pause
the silence detector missed; a full stop after the word before marked ``.``). Words of a
statement whose key was forgotten are counted apart.
"""

from __future__ import annotations

import random
import sys
from bisect import bisect_right
from collections import Counter

from _common import parser
from transcript_attribution import simulate

from facilitator.core import transcript as T


def place_kind(at: float, silences, words) -> str:
    in_silence = any(a - 1e-9 <= at <= b + 1e-9 for a, b in silences)
    index = bisect_right([w.mid_s for w in words], at) - 1
    stop = index >= 0 and T.SENTENCE_END.search(words[index].text) is not None
    gap = words[index + 1].start_s - words[index].end_s if 0 <= index < len(words) - 1 else 9
    kind = "VAD" if in_silence else ("gap" if gap >= T.MIN_PAUSE_S else "bound")
    return kind + ("." if stop else "")


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=200)
    p.add_argument("--seed", type=int, default=16)
    args = p.parse_args(argv)
    presses: Counter[tuple[str, ...]] = Counter()
    wrong: Counter[tuple[str, ...]] = Counter()
    forgotten = total = 0
    for session in range(args.sessions):
        machine, turns, truth, true_words = simulate(random.Random(args.seed * 100_003 + session))
        heard = machine.words
        total += len(heard)
        forgotten += sum(1 for k in truth.statement_of if truth.lag[k] is None)
        used = T.attribution_turns(machine, turns)
        merged = T.pauses_between((), machine.pauses)
        ends = [b for _a, b in merged]
        mids = [T.voiced_mid(w, merged, ends) for w in heard]
        first: dict[int, int] = {}
        for index, statement in enumerate(truth.statement_of):
            first.setdefault(statement, index)
        turn = -1
        for statement, lag in enumerate(truth.lag):
            if lag is None:
                continue
            turn += 1
            if not statement:
                continue
            begins = first[statement]
            given = bisect_right(mids, used[turn].start_s - 1e-12)  # first word of the turn
            off = given - begins
            if not off:
                continue
            gap = true_words[begins].start_s - true_words[begins - 1].end_s
            found = any(
                a < true_words[begins].start_s and b > true_words[begins - 1].end_s
                for a, b in machine.pauses
            )
            really = "VAD" if found else ("nopause" if gap < 0.15 else "VADmissed")
            really += "." if T.SENTENCE_END.search(heard[begins - 1].text) else ""
            key = (
                "early" if lag < 0 else f"lag {int(lag / 0.3) * 0.3:.1f}",
                "late" if off > 0 else "back",
                place_kind(used[turn].start_s, machine.pauses, heard),
                really,
            )
            presses[key] += 1
            wrong[key] += abs(off)
    edges = sum(wrong.values())
    print(
        f"seed {args.seed}, {args.sessions} sessions, {total} words: {edges} wrong at keyed "
        f"edges ({edges / total:.2%}), {forgotten} of forgotten keys ({forgotten / total:.2%})"
    )
    print("  words  presses  lag  way  put at  really")
    for key, words in wrong.most_common(30):
        print(f"  {words:5}  {presses[key]:7}  {'  '.join(key)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
