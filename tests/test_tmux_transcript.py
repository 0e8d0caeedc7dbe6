"""The transcript editor in a real terminal, playing into a real sound server.

``facilitator transcript`` runs under tmux with PulseAudio's null sink as its sound output
(tests/helpers/pulse.py); ``parecord`` records the sink's monitor while a statement plays.
Each statement of the session's recording is a tone of its own (tests/helpers/
transcript_session.py), so the recording tells which statement was heard: the selected
one's tone, for its length, and none of the others'. Played slower (``x``), the same tone
(the pitch is kept) for 1/0.75 of the time. Then a kill -9 while editing, and the reopened
editor shows every correction that was on screen.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from test_tmux import FACILITATOR, Tmux, env, sessions, tmux  # noqa: F401  (fixtures)

from facilitator.core.session import state_of
from facilitator.core.transcript_edits import corrected_transcript
from facilitator.store.transcript_store import TranscriptStore
from tests.helpers.pulse import SOURCE, pulse  # noqa: F401  (fixture)
from tests.helpers.transcript_session import SCRIPT, make_transcript_session, tone_hz

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("parecord") is None, reason="parecord is missing"),
]

RATE = 48_000


class Monitor:
    """``parecord`` of the null sink's monitor into a raw file."""

    def __init__(self, pulse, path: Path) -> None:  # noqa: F811
        self.path = path
        self.process = subprocess.Popen(
            ["parecord", f"--device={SOURCE}", "--raw", "--rate=48000", "--channels=1"]
            + ["--format=s16le", "--latency-msec=50", str(path)],
            env=pulse.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)

    def stop(self) -> np.ndarray:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        data = self.path.read_bytes()
        return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float64)


def heard(samples: np.ndarray) -> tuple[float, float, dict[int, float]]:
    """The seconds of sound, its strongest frequency, and each statement's tone's share of
    the sound's energy."""
    block = RATE // 20
    blocks = samples[: len(samples) // block * block].reshape(-1, block)
    loud = np.sqrt((blocks**2).mean(axis=1)) > 500
    sound = blocks[loud].ravel()
    if not sound.size:
        return 0.0, 0.0, {}
    spectrum = np.abs(np.fft.rfft(sound * np.hanning(sound.size))) ** 2
    freqs = np.fft.rfftfreq(sound.size, 1 / RATE)
    total = spectrum.sum()
    shares = {}
    for index in range(len(SCRIPT)):
        band = np.abs(freqs - tone_hz(index)) < 20
        shares[index] = float(spectrum[band].sum() / total)
    return loud.sum() * block / RATE, float(freqs[spectrum.argmax()]), shares


LIT = re.compile(r"\x1b\[[0-9;]*(?:48;5;221|48;2;255;215;95)[0-9;]*m([^\x1b]+)")


def lit_while_playing(tmux: Tmux, target: str) -> list[str]:  # noqa: F811
    """The words lit (the playing word's colour) on the screen while it plays, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        raw = tmux.cmd("capture-pane", "-p", "-e", "-t", target)
        if "playing" not in raw:
            break
        for word in LIT.findall(raw):
            word = word.strip()
            if word and (not seen or seen[-1] != word):
                seen.append(word)
        time.sleep(0.05)
    return seen


@pytest.fixture
def made(new_store, clock):
    return make_transcript_session(new_store(), clock)


def test_space_plays_the_selected_statement_into_the_sound_server(
    tmux: Tmux,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    pulse,  # noqa: F811
    made,
    tmp_path: Path,
) -> None:
    environment = {**env, **{k: pulse.env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_SERVER")}}
    tmux.env = environment
    folder = made.store.path.parent
    tmux.start("ed", f"{FACILITATOR} --sessions {folder} transcript {made.session_id}")
    tmux.wait_for("ed", "Transcript ·")

    # the third statement (Informant 2), at normal speed
    tmux.keys("ed", "Down")
    tmux.keys("ed", "Down")
    monitor = Monitor(pulse, tmp_path / "third.raw")
    tmux.keys("ed", "Space")
    tmux.wait_for("ed", "playing")
    lit = lit_while_playing(tmux, "ed")
    tmux.wait_gone("ed", "playing", timeout=20)
    seconds, strongest, shares = heard(monitor.stop())
    start, end = made.spans[2]
    # the word being spoken was lit, word after word, in the statement's order
    words = SCRIPT[2][1].split()
    assert len(lit) >= 3, lit
    assert [w for w in words if w in lit] == lit
    assert strongest == pytest.approx(tone_hz(2), abs=10)
    assert shares[2] > 0.9
    assert all(shares[i] < 0.01 for i in shares if i != 2)
    assert seconds == pytest.approx(end - start, abs=0.4)

    # the second statement, slower: the same tone (the pitch kept), longer
    tmux.keys("ed", "Up")
    tmux.keys("ed", "x")
    tmux.wait_for("ed", "speed 0.75x")
    monitor = Monitor(pulse, tmp_path / "second.raw")
    tmux.keys("ed", "Space")
    tmux.wait_for("ed", "playing")
    tmux.wait_gone("ed", "playing", timeout=20)
    seconds, strongest, shares = heard(monitor.stop())
    start, end = made.spans[1]
    assert strongest == pytest.approx(tone_hz(1), abs=10)
    assert shares[1] > 0.8
    assert all(shares[i] < 0.01 for i in shares if i != 1)
    assert seconds == pytest.approx((end - start) / 0.75, abs=0.5)

    # space again stops: a long play cut short
    tmux.keys("ed", "x", "x")  # back to 1x
    tmux.keys("ed", "Down", "Down", "Down")
    monitor = Monitor(pulse, tmp_path / "stopped.raw")
    tmux.keys("ed", "Space")
    tmux.wait_for("ed", "playing")
    time.sleep(1.0)
    tmux.keys("ed", "Space")
    tmux.wait_gone("ed", "playing")
    time.sleep(0.5)
    seconds, strongest, _shares = heard(monitor.stop())
    start, end = made.spans[4]
    assert strongest == pytest.approx(tone_hz(4), abs=10)
    assert seconds < (end - start) - 1.5


def test_kill_9_while_editing_loses_nothing_shown(
    tmux: Tmux,  # noqa: F811
    made,
) -> None:
    folder = made.store.path.parent
    command = f"{FACILITATOR} --sessions {folder} transcript {made.session_id}"
    pid = tmux.start("ed", command)
    tmux.wait_for("ed", "Transcript ·")
    tmux.keys("ed", "Down", "Down", "4")  # Informant 2's statement to Informant 4
    tmux.wait_for("ed", "given to Informant 4")
    tmux.keys("ed", "q")
    tmux.wait_for("ed", "#quote")
    tmux.keys("ed", "Down", "e")
    tmux.wait_for("ed", "enter saves")
    tmux.wait_gone("ed", "space Play")  # the footer of the list: the input has the keys now
    tmux.keys("ed", "C-u")
    tmux.keys("ed", "-l", "and then there is the waiting list again")
    tmux.keys("ed", "Enter")
    screen = tmux.wait_for("ed", "waiting list again")
    os.kill(pid, signal.SIGKILL)
    tmux.wait_dead("ed")

    # what a fresh read from disk (every export) gives ...
    store = made.store
    state = state_of(store.info(), store.read_events().events)
    loaded = TranscriptStore(store.path).load()
    assert loaded is not None
    statements = corrected_transcript(state, loaded.machine).statements
    assert statements[2].who == "P4" and statements[2].tags == ("quote",)
    assert statements[3].text == "and then there is the waiting list again"
    assert [n.text for n in state.live_notes() if n.statement == statements[2].id] == [SCRIPT[2][1]]
    # ... and the editor opened again shows all that was on the screen
    tmux.cmd("kill-session", "-t", "ed")
    tmux.start("again", command)
    again = tmux.wait_for("again", "Transcript ·")
    for line in ("Informant 4*", "#quote", "waiting list again"):
        assert line in screen and line in again
