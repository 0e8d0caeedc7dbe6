"""One of two processes writing to one session at once, as ``run`` and ``assist`` do.

Used by ``tests/test_two_writers.py``, which starts a moderator and an assistant on the
same session, releases them at the same moment, and may kill one with SIGKILL and start it
again.

    python two_writer.py SESSION_DIR ROLE COUNT CONTROL_DIR NOW

ROLE is ``moderator`` or ``assistant``; the process acts through a ``LiveSession`` with that
writer and the real system clock, as the live and assist views do, and polls the other
process's journal every few events. COUNT is how many events it records after opening.

It prints (each line flushed at once):

- ``ready WRITER SEQ``: the session is open; events ``WRITER:1`` .. ``WRITER:SEQ`` are on disk
  (the ones ``LiveSession`` records on opening, and any from an earlier run);
- then waits for ``CONTROL_DIR/go``, so that both processes start at the same moment;
- ``ack ID`` for each event, once ``record`` has returned, that is once it is fsynced;
- ``done``, after creating ``CONTROL_DIR/done-ROLE``; then it waits for the other role's
  ``done`` file, polls a last time and writes the fingerprint of its state (see
  ``fingerprint``, computed at the fixed wall time NOW) to ``CONTROL_DIR/fp-ROLE.json``;
- ``fingerprint SHA256`` of that file's content.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

DEADLINE_S = 60.0  # never outlive a test that forgot to kill us
POLL_EVERY = 3
ROLES = ("moderator", "assistant")


def fingerprint(info: Any, state: Any, now: float) -> dict[str, Any]:
    """Everything a view shows and exports, at wall time ``now``: the same state gives the same
    dictionary, whatever order of polls and refolds built it."""
    from facilitator.core.summary import build_summary

    return {
        "summary": build_summary(info, state, now, with_reflections=True),
        "seen": sorted(state.seen),
        "event_count": state.event_count,
        "position": [state.phase_id, state.question_id],
        "paused": state.paused,
        "speaker": state.talk.current_speaker,
        "notes": [
            {
                "id": n.id,
                "t_s": n.t_s,
                "author": n.author,
                "phase": n.phase,
                "question": n.question,
                "speaker": n.speaker,
                "tags": list(n.tags),
                "text": n.text,
                "history": n.history,
                "deleted": n.deleted,
            }
            for n in state.notes.values()
        ],
        "turns": [
            [t.key, t.who, [[p.phase, p.question, p.start_s, p.end_s] for p in t.pieces]]
            for t in state.talk.turns
        ],
        "overlaps": [[o.key, o.who, o.over, o.at_s] for o in state.talk.overlaps],
    }


def digest(data: dict[str, Any]) -> tuple[str, str]:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1)
    return text, hashlib.sha256(text.encode()).hexdigest()


def _wait_for(path: Path, stop_at: float) -> None:
    while not path.exists():
        if time.monotonic() > stop_at:
            raise SystemExit(f"gave up waiting for {path.name}")
        time.sleep(0.001)


def _note_text(rng: random.Random, role: str, n: int, roster: int) -> str:
    words = ["rent", "waiting list", "NAV", "forms", "trust", "housing bank", "calls"]
    text = f"{role} note {n}: {rng.choice(words)}"
    tags = rng.sample(["#q", "#t", "#f", "#o", "#s", "#sitat", "#oppfølging"], rng.randint(0, 2))
    if rng.random() < 0.3:
        tags.append(f"@{rng.randint(0, roster)}")
    return " ".join([text, *tags])


def _moderator_step(live: Any, rng: random.Random, n: int) -> Any:
    state = live.state
    roll = rng.random()
    if state.paused:
        return live.toggle_pause() if roll < 0.5 else live.add_note(f"in the break {n}")
    if roll < 0.30:
        return live.speak(rng.choice([*(p.id for p in state.roster), "moderator", None]))
    if roll < 0.45:
        return live.next_question() or live.previous_question()
    if roll < 0.55:
        return live.previous_question() or live.next_question()
    if roll < 0.58:
        return live.toggle_pause()
    if roll < 0.88:
        return live.add_note(_note_text(rng, "moderator", n, len(state.roster)))
    notes = state.live_notes()
    if notes and roll < 0.95:
        return live.edit_note(rng.choice(notes).id, f"moderator edit {n} #t")
    if notes:
        return live.delete_note(rng.choice(notes).id)
    return None


def _assistant_step(live: Any, rng: random.Random, n: int) -> Any:
    state = live.state
    roll = rng.random()
    if roll < 0.45:
        return live.add_note(_note_text(rng, "assistant", n, len(state.roster)))
    if roll < 0.70:
        return live.speak(rng.choice([*(p.id for p in state.roster), "moderator", None]))
    if roll < 0.80:
        return live.overlap(rng.choice([p.id for p in state.roster]))
    if roll < 0.84:
        return live.undo()
    notes = state.live_notes()
    if notes and roll < 0.95:
        return live.edit_note(rng.choice(notes).id, f"assistant edit {n} #f @1")
    if notes:
        return live.delete_note(rng.choice(notes).id)
    return None


def main() -> int:
    folder, role, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    control, now = Path(sys.argv[4]), float(sys.argv[5])
    if role not in ROLES:
        raise SystemExit(f"unknown role {role!r}")
    stop_at = time.monotonic() + DEADLINE_S

    from facilitator.services.live import LiveSession
    from facilitator.store.session_store import SessionStore

    live = LiveSession(SessionStore(folder), writer=role)
    assert live.journal is not None
    out = sys.stdout
    out.write(f"ready {live.writer_name} {live.journal.seq}\n")
    out.flush()
    rng = random.Random(f"{role}-{live.journal.seq}")
    step = _moderator_step if role == "moderator" else _assistant_step
    _wait_for(control / "go", stop_at)

    made = 0
    n = 0
    while made < count:
        n += 1
        if time.monotonic() > stop_at:
            raise SystemExit("ran out of time")
        event = step(live, rng, n)
        if event is None:  # the move was not possible just now: a note always is
            event = live.add_note(f"{role} fallback {n}")
        out.write(f"ack {event.id}\n")
        out.flush()
        made += 1
        if n % POLL_EVERY == 0:
            live.poll()

    (control / f"done-{role}").touch()
    out.write("done\n")
    out.flush()
    other = ROLES[1 - ROLES.index(role)]
    _wait_for(control / f"done-{other}", stop_at)
    live.poll()
    text, sha = digest(fingerprint(live.info, live.state, now))
    (control / f"fp-{role}.json").write_text(text, encoding="utf-8")
    out.write(f"fingerprint {sha}\n")
    out.flush()
    live.journal.close()  # no "closed" event: the fingerprint is the last word
    return 0


if __name__ == "__main__":
    sys.exit(main())
