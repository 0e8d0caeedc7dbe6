"""Recording through the app's ``Recorder`` against ``parecord`` on the same source.

    .venv/bin/python bench/record.py [--seconds N] [--strict] [--json FILE]

A private PulseAudio daemon with a null sink (tests/helpers/pulse.py) stands in for the
sound card, and espeak-ng speech loops into it (a sentence, a pause, the next sentence).
Two processes record its monitor for the same ``--seconds`` (default 600) in the same run:

- the app: ``tests/helpers/record_proc.py``, a ``Recorder`` at 48 kHz mono with level and
  voice activity, its status and voice transitions read five times a second as the live
  view reads them;
- the floor: ``parecord --device=vsink.monitor --rate=48000 --channels=1 --format=s16le``;
- for context, PortAudio alone: the same ``RawInputStream`` settings as the Recorder, its
  callback putting the blocks into a queue that a loop empties, nothing else. What the app
  uses beyond it is the Recorder's own work (writing, flushing, level, voice activity).

Measured for each, from ``/proc/<pid>``: CPU time (user + system) from the moment it
records to the end (start-up, imports and PortAudio's set-up not counted; shown apart),
and again leaving out the first 10 s (the first blocks' one-off work: the first numpy and
VAD calls, page faults), which is what hours of recording cost; and RSS every 10 s.

Goals: after the first 10 s the app uses at most 1.5x the CPU of the bare PortAudio stream
with the same settings, measured at the same time, and at most 0.5 % of one core;
no overflow and no audio lost (its WAV as long as it ran, within 0.3 s); its RSS stays
flat: it grows by less than 2 MB from the first sample to the last, and after the first
10 s by less than 0.5 MB more than the bare PortAudio stream's (every PulseAudio client's
RSS creeps up slowly as the pages of its shared memory pool are touched one by one,
parecord's too). The floor's CPU is often too small to measure, so the ratio app/parecord
is shown but is not a goal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

from _common import PYTHON, ROOT, Check, finish, parser
from _common import print_table as table

sys.path.insert(0, str(ROOT))

from tests.helpers.pulse import SOURCE, PulseServer  # noqa: E402

RECORD_PROC = ROOT / "tests" / "helpers" / "record_proc.py"
PORTAUDIO_ALONE = """
import queue, signal, sys, sounddevice as sd
blocks = queue.SimpleQueue()
stream = sd.RawInputStream(device=None, channels=1, dtype="int16", samplerate=48000,
    blocksize=4800, latency="high", callback=lambda data, n, t, s: blocks.put(bytes(data)))
running = [True]
signal.signal(signal.SIGTERM, lambda *a: running.__setitem__(0, False))
stream.start()
print("recording", flush=True)
received = 0
while running[0]:
    try:
        received += len(blocks.get(timeout=0.25))
    except queue.Empty:
        pass
print(received / 96000, flush=True)
"""
SAMPLE_EVERY_S = 10.0
CPU_GOAL = 0.5  # % of one core
CPU_RATIO_GOAL = 1.5  # x the bare PortAudio stream's
RSS_GROWTH_GOAL_MB = 2.0  # from the first sample to the last
RSS_STEADY_GOAL_MB = 0.5  # from the 10 s sample (buffers and the VAD warmed up) to the last
LENGTH_TOLERANCE_S = 0.3
TICKS = os.sysconf("SC_CLK_TCK")
SENTENCES = (
    "We meet the families where they are.",
    "Housing comes first, and then the rest follows.",
    "The caseworker calls back within a week, most of the time.",
    "Nobody told us which office was responsible.",
)


def cpu_s(pid: int) -> float:
    """User + system CPU time of a process so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def rss_mb(pid: int) -> tuple[float, float]:
    """The resident set (all of it, and its anonymous part: the heap, not libraries or
    PulseAudio's shared memory pool, whose pages are touched one by one as it turns over)."""
    found = {"VmRSS": 0.0, "RssAnon": 0.0}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name = line.split(":")[0]
        if name in found:
            found[name] = int(line.split()[1]) / 1024
    return found["VmRSS"], found["RssAnon"]


def rss_text(sample: tuple[float, float, float]) -> str:
    return f"{sample[1]:.1f} ({sample[2]:.1f}) MB"


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as handle:
        return handle.getnframes() / handle.getframerate()


class SpeechLoop:
    """Speech into the sink until stopped: each sentence, then a second of silence."""

    def __init__(self, server: PulseServer, base: Path) -> None:
        self.server = server
        self.wavs = [
            server.speech_wav(text, base / f"s{n}.wav") for n, text in enumerate(SENTENCES)
        ]
        self.stopping = threading.Event()
        self.played = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopping.is_set():
            player = self.server.play(self.wavs[self.played % len(self.wavs)], block=False)
            while player.poll() is None:
                if self.stopping.wait(0.1):
                    player.terminate()
                    break
            player.wait()
            self.played += 1
            self.stopping.wait(1.0)

    def __enter__(self) -> SpeechLoop:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(10)


class Watched:
    """One recording process: its CPU when it started recording, and RSS samples."""

    def __init__(self, name: str, process: subprocess.Popen[str]) -> None:
        self.name = name
        self.process = process
        self.pid = process.pid
        self.began = 0.0  # monotonic time recording began
        self.cpu_at_start = 0.0  # CPU used before recording (start-up)
        self.cpu_at_end = 0.0
        self.ended = 0.0
        # (seconds since recording began, RSS MB, anonymous RSS MB)
        self.rss: list[tuple[float, float, float]] = []
        self.cpu: list[tuple[float, float]] = []  # (seconds since recording began, CPU s)

    def mark_start(self) -> None:
        self.began = time.monotonic()
        self.cpu_at_start = cpu_s(self.pid)
        self.rss.append((0.0, *rss_mb(self.pid)))
        self.cpu.append((0.0, self.cpu_at_start))

    def sample(self) -> None:
        now = time.monotonic() - self.began
        self.rss.append((now, *rss_mb(self.pid)))
        self.cpu.append((now, cpu_s(self.pid)))

    def growth(self, after: int = 0) -> float:
        """How much RSS grew from sample ``after`` to the last."""
        return self.rss[-1][1] - self.rss[min(after, len(self.rss) - 1)][1]

    def mark_end(self) -> None:
        self.ended = time.monotonic()
        self.cpu_at_end = cpu_s(self.pid)
        self.sample()

    @property
    def recording_s(self) -> float:
        return self.ended - self.began

    @property
    def cpu_percent(self) -> float:
        return 100 * (self.cpu_at_end - self.cpu_at_start) / self.recording_s

    @property
    def steady_cpu_percent(self) -> float:
        """CPU after the first sample (10 s): what a long session costs, without the
        first blocks' one-off work (the first VAD and numpy calls, page faults)."""
        if len(self.cpu) < 3:
            return self.cpu_percent
        (t0, c0), (t1, c1) = self.cpu[1], self.cpu[-1]
        return 100 * (c1 - c0) / (t1 - t0)


def wait_for_file(path: Path, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not (path.exists() and path.stat().st_size > 44):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not start")
        time.sleep(0.02)


def run(seconds: float, base: Path) -> tuple[Watched, Watched, Watched, dict, int]:
    with PulseServer(base / "pulse") as server, SpeechLoop(server, base) as speech:
        app = Watched(
            "app",
            subprocess.Popen(
                [PYTHON, str(RECORD_PROC), str(base / "audio"), "app.wav"],
                env=server.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        assert app.process.stdout is not None
        line = app.process.stdout.readline()
        if not line.startswith("recording "):
            raise RuntimeError(f"the recorder did not start: {line} {app.process.stderr.read()}")  # type: ignore[union-attr]
        app.mark_start()
        floor_wav = base / "floor.wav"
        floor = Watched(
            "parecord",
            subprocess.Popen(
                ["parecord", f"--device={SOURCE}", "--rate=48000", "--channels=1"]
                + ["--format=s16le", "--file-format=wav", str(floor_wav)],
                env=server.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        wait_for_file(floor_wav)
        floor.mark_start()
        alone = Watched(
            "portaudio",
            subprocess.Popen(
                [PYTHON, "-c", PORTAUDIO_ALONE],
                env=server.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        assert alone.process.stdout is not None
        if not alone.process.stdout.readline().startswith("recording"):
            raise RuntimeError(f"PortAudio alone did not start: {alone.process.stderr.read()}")  # type: ignore[union-attr]
        alone.mark_start()
        watched = (app, floor, alone)
        deadline = app.began + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(SAMPLE_EVERY_S, left))
            for one in watched:
                if one.process.poll() is not None:
                    raise RuntimeError(f"{one.name} ended early")
            if left > SAMPLE_EVERY_S:
                for one in watched:
                    one.sample()
        for one in watched:
            one.mark_end()
        app.process.send_signal(signal.SIGTERM)
        floor.process.send_signal(signal.SIGINT)
        alone.process.send_signal(signal.SIGTERM)
        out, _err = app.process.communicate(timeout=30)
        floor.process.communicate(timeout=30)
        alone_out, _err = alone.process.communicate(timeout=30)
        report = json.loads(out.splitlines()[-1])
        report["alone_audio_s"] = float(alone_out.split()[-1])
        return app, floor, alone, report, speech.played


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=600.0, help="how long each records")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-record-") as tmp:
        base = Path(tmp)
        app, floor, alone, report, sentences = run(args.seconds, base)
        app_audio_s = report["seconds"]
        floor_audio_s = wav_seconds(base / "floor.wav")

    app_pct, floor_pct, alone_pct = app.cpu_percent, floor.cpu_percent, alone.cpu_percent
    app_steady = app.steady_cpu_percent
    ratio = f"{app_pct / floor_pct:.1f}x" if floor_pct > 0 else "n/a (floor 0)"
    rss_growth = app.growth()
    # After the first 10 s, beyond what a bare PortAudio stream grows (the PulseAudio client
    # library's own pool grows in every client, parecord too)
    rss_steady = app.growth(1) - alone.growth(1)
    voice = report["transitions"]
    ons = sum(1 for _offset, on in voice if on)
    columns = (app, floor, alone)

    def row(label: str, figure) -> tuple[str, ...]:
        return (label, *(figure(one) for one in columns))

    middle_s = app.rss[len(app.rss) // 2][0]
    rows = [
        ("", "app (Recorder)", "parecord (floor)", "PortAudio alone"),
        row("CPU while recording", lambda one: f"{one.cpu_at_end - one.cpu_at_start:.2f} s"),
        row("  % of one core", lambda one: f"{one.cpu_percent:.2f} %"),
        row(
            f"  % of one core after {SAMPLE_EVERY_S:.0f} s",
            lambda one: f"{one.steady_cpu_percent:.2f} %",
        ),
        row("CPU before recording (start-up)", lambda one: f"{one.cpu_at_start:.2f} s"),
        row("RSS start (anonymous)", lambda one: rss_text(one.rss[0])),
        row(
            f"RSS middle ({middle_s:.0f} s)",
            lambda one: (
                f"{one.rss[len(one.rss) // 2][1]:.1f} ({one.rss[len(one.rss) // 2][2]:.1f}) MB"
            ),
        ),
        row("RSS end", lambda one: rss_text(one.rss[-1])),
        row(f"RSS growth after {SAMPLE_EVERY_S:.0f} s", lambda one: f"{one.growth(1):+.2f} MB"),
        (
            "audio recorded",
            f"{app_audio_s:.2f} s",
            f"{floor_audio_s:.2f} s",
            f"{report['alone_audio_s']:.2f} s",
        ),
        ("overflows", str(report["overflows"]), "-", "-"),
    ]
    table(
        f"recording {args.seconds:.0f} s of 48 kHz mono from a PulseAudio null sink's monitor, "
        f"speech looping into it ({sentences} sentences played), all three at once",
        rows,
        [
            f"CPU app/floor: {ratio}; app/PortAudio alone: {app_pct / max(alone_pct, 1e-9):.1f}x "
            f"(the Recorder's own work: {app_pct - alone_pct:+.2f} % of one core)",
            f"the app ran {report['ran_s']:.2f} s by its own clock, {app.recording_s:.2f} s "
            f"between the marks; {ons} stretches of speech detected",
            f"the app's CPU in each {SAMPLE_EVERY_S:.0f} s (% of one core): "
            + ", ".join(
                f"{100 * (c1 - c0) / max(t1 - t0, 1e-9):.2f}"
                for (t0, c0), (t1, c1) in zip(app.cpu, app.cpu[1:], strict=False)
            ),
            f"the app's RSS every {SAMPLE_EVERY_S:.0f} s (MB): "
            + ", ".join(f"{mb:.1f}" for _t, mb, _anon in app.rss),
            f"CPU time clock tick: {1000 / TICKS:.0f} ms "
            f"({100 / TICKS / max(app.recording_s, 1e-9):.3f} % of one core over the run)",
        ],
    )
    alone_steady = alone.steady_cpu_percent
    steady_ratio = app_steady / alone_steady if alone_steady > 0 else float("inf")
    checks = [
        Check(
            "record",
            f"CPU of recording {args.seconds:.0f} s after the first {SAMPLE_EVERY_S:.0f} s vs "
            "a bare PortAudio stream with the same settings",
            f"{steady_ratio:.2f}x ({app_steady:.2f} % vs {alone_steady:.2f} % of one core)",
            f"<= {CPU_RATIO_GOAL}x",
            steady_ratio <= CPU_RATIO_GOAL,
        ),
        Check(
            "record",
            f"CPU of recording {args.seconds:.0f} s with level and voice activity, "
            f"after the first {SAMPLE_EVERY_S:.0f} s",
            f"{app_steady:.2f} % of one core (parecord {floor.steady_cpu_percent:.2f} %, "
            f"PortAudio alone {alone.steady_cpu_percent:.2f} %; over the whole run "
            f"{app_pct:.2f} %, parecord {floor_pct:.2f} %, ratio {ratio})",
            f"<= {CPU_GOAL} %",
            app_steady <= CPU_GOAL,
        ),
        Check(
            "record",
            "no audio lost: overflows, and the WAV as long as the recorder ran",
            f"{report['overflows']} overflows, {app_audio_s:.2f} s of audio in "
            f"{report['ran_s']:.2f} s",
            f"0 overflows, within {LENGTH_TOLERANCE_S} s",
            report["overflows"] == 0
            and abs(app_audio_s - report["ran_s"]) <= LENGTH_TOLERANCE_S
            and not report["error"],
        ),
        Check(
            "record",
            "memory stays flat while recording",
            f"RSS {app.rss[0][1]:.1f} MB at the start, {app.rss[-1][1]:.1f} MB at the end; "
            f"after the first {SAMPLE_EVERY_S:.0f} s {app.growth(1):+.2f} MB, "
            f"PortAudio alone {alone.growth(1):+.2f} MB",
            f"grows < {RSS_GROWTH_GOAL_MB:.0f} MB, and after {SAMPLE_EVERY_S:.0f} s "
            f"< {RSS_STEADY_GOAL_MB} MB more than PortAudio alone",
            rss_growth < RSS_GROWTH_GOAL_MB and rss_steady < RSS_STEADY_GOAL_MB,
        ),
    ]
    return finish(
        args,
        checks,
        {
            "cpu_percent": {"app": app_pct, "floor": floor_pct, "portaudio": alone_pct},
            "rss_mb": {"app": app.rss, "floor": floor.rss, "portaudio": alone.rss},
            "overflows": report["overflows"],
            "audio_s": {"app": app_audio_s, "floor": floor_audio_s, "ran_s": report["ran_s"]},
        },
    )


if __name__ == "__main__":
    raise SystemExit(main())
