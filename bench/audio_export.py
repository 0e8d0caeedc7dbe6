"""Exporting a session's recording (WAV segments to one file on the session clock), against
plain ffmpeg on one WAV of the same audio.

    .venv/bin/python bench/audio_export.py [--minutes N] [--rounds N] [--strict] [--json FILE]

Goals: ``export_recording`` of a 60-minute recording in 6 segments to FLAC takes at most
1.5x as long as the floor, ``ffmpeg -i one.wav -c:a flac`` on a single WAV holding the
same session-clock audio (the segments with their silences), timed in the same run; the
same for Opus against ``ffmpeg -i one.wav`` with the same Opus settings. And the export
streams: the Python process's peak RSS grows by less than 50 MB while exporting (an
hour of 48 kHz int16 is 345 MB; read whole, it would show).

The audio is speech-like rather than a tone, so the encoders work as they would on a
session: noise shaped to about 4 syllables a second, a different pattern every second,
with a 5 s lead before the first segment and 2 s gaps between segments (pauses are not
on the session clock, so gaps are short). Rounds alternate the order of the export and
its floor; the figures are medians. Peak RSS is the kernel's high-water mark (VmHWM),
reset before each export by writing 5 to ``/proc/self/clear_refs``; ffmpeg's own peak is
the largest waited child's ``ru_maxrss``.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

from _common import Check, finish, median, parser
from _common import print_table as table

RATE = 48_000
SEGMENTS = 6
LEAD_S = 5
GAP_S = 2
RATIO_GOAL = 1.5
RSS_GOAL_MB = 50.0
FORMATS = ("flac", "opus")


def speech_like_second(index: int):
    """One second of noise shaped like speech: syllable envelope, low-passed, -20 dBFS RMS."""
    import numpy as np

    rng = np.random.default_rng(index)
    noise = rng.standard_normal(RATE)
    smooth = np.convolve(noise, np.ones(6) / 6, mode="same")  # mostly below 8 kHz
    t = np.arange(RATE) / RATE
    syllables = np.clip(np.sin(2 * np.pi * (3.5 + rng.random()) * t + rng.random() * 6), 0, 1)
    signal = smooth * syllables
    signal *= 0.1 / max(float(np.sqrt(np.mean(signal**2))), 1e-9)
    return (np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes()


def layout(minutes: int) -> list[tuple[int, int]]:
    """(start, length) in whole seconds of each segment on the session clock."""
    total = minutes * 60
    length = (total - LEAD_S - GAP_S * (SEGMENTS - 1)) // SEGMENTS
    return [(LEAD_S + k * (length + GAP_S), length) for k in range(SEGMENTS)]


def open_wav(path: Path) -> wave.Wave_write:
    writer = wave.open(str(path), "wb")  # noqa: SIM115 (the caller closes it)
    writer.setnchannels(1)
    writer.setsampwidth(2)
    writer.setframerate(RATE)
    return writer


def build(base: Path, minutes: int) -> tuple[list, Path, float]:
    """The segments, and one WAV of the whole session clock holding the same audio."""
    from facilitator.audio.convert import Segment

    spans = layout(minutes)
    total_s = minutes * 60
    silence = bytes(RATE * 2)
    one = open_wav(base / "one.wav")
    segments = []
    position = 0
    for number, (start, length) in enumerate(spans, start=1):
        one.writeframes(silence * (start - position))
        path = base / f"segment-{number}.wav"
        with open_wav(path) as writer:
            for second in range(start, start + length):
                chunk = speech_like_second(second)
                writer.writeframes(chunk)
                one.writeframes(chunk)
        segments.append(Segment(path, float(start)))
        position = start + length
    one.writeframes(silence * (total_s - position))
    one.close()
    return segments, base / "one.wav", float(total_s)


def floor_command(fmt: str, source: Path, target: Path) -> list[str]:
    from facilitator.audio import convert

    encoder = convert._encoder("ffmpeg", fmt)
    return [
        "ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(source),
        *encoder.ffmpeg_args(), "-f", fmt, "-y", str(target),
    ]  # fmt: skip


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--minutes", type=int, default=60, help="length of the recording")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)

    from facilitator.audio.convert import export_recording, ffmpeg_problem

    problem = ffmpeg_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    times: dict[str, list[float]] = {f"{fmt} {what}": [] for fmt in FORMATS for what in "ef"}
    growth: list[float] = []
    peaks: list[float] = []
    with tempfile.TemporaryDirectory(prefix="facilitator-bench-audio-") as tmp:
        base = Path(tmp)
        t = time.perf_counter()
        segments, one, total_s = build(base, args.minutes)
        built_s = time.perf_counter() - t
        export_recording(segments[:1], base / "warm.flac", "flac")  # imports, encoder list
        sizes: dict[str, tuple[int, int]] = {}
        for r in range(args.rounds):
            for fmt in FORMATS:
                ours, floor = base / f"export.{fmt}", base / f"floor.{fmt}"
                for what in "ef" if r % 2 == 0 else "fe":
                    if what == "e":
                        before = current_rss_mb()
                        measured = reset_peak_rss()
                        t = time.perf_counter()
                        export_recording(segments, ours, fmt, total_s=total_s)
                        times[f"{fmt} e"].append(time.perf_counter() - t)
                        if measured:
                            growth.append(peak_rss_mb() - before)
                        peaks.append(peak_rss_mb())
                    else:
                        t = time.perf_counter()
                        subprocess.run(floor_command(fmt, one, floor), check=True)
                        times[f"{fmt} f"].append(time.perf_counter() - t)
                sizes[fmt] = (ours.stat().st_size, floor.stat().st_size)
    ffmpeg_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    rows = [("", "export_recording", "plain ffmpeg on one WAV", "ratio", "file sizes (MB)")]
    checks = []
    for fmt in FORMATS:
        ours, floor = median(times[f"{fmt} e"]), median(times[f"{fmt} f"])
        ratio = ours / floor
        rows.append(
            (
                fmt,
                f"{ours:.2f} s",
                f"{floor:.2f} s",
                f"{ratio:.2f}x",
                f"{sizes[fmt][0] / 1e6:.1f} / {sizes[fmt][1] / 1e6:.1f}",
            )
        )
        checks.append(
            Check(
                "audio_export",
                f"{fmt} export of {args.minutes} min in {SEGMENTS} segments against plain ffmpeg",
                f"{ratio:.2f}x ({ours:.2f} s against {floor:.2f} s)",
                f"<= {RATIO_GOAL}x",
                ratio <= RATIO_GOAL,
            )
        )
    most = max(growth) if growth else float("nan")
    table(
        f"audio export: {args.minutes} min at 48 kHz mono 16-bit "
        f"({args.minutes * 60 * RATE * 2 / 1e6:.0f} MB of PCM), {SEGMENTS} segments; "
        f"medians of {args.rounds} rounds",
        rows,
        [
            f"peak RSS of this process: {max(peaks):.0f} MB; growth while exporting: "
            f"{most:.1f} MB at most (before an export: {current_rss_mb():.0f} MB)",
            f"peak RSS of the largest ffmpeg: {ffmpeg_peak:.0f} MB",
            f"building the WAV files took {built_s:.1f} s (not timed)",
        ],
    )
    checks.append(
        Check(
            "audio_export",
            "the export streams: the process's peak RSS grows little while exporting",
            f"{most:.1f} MB",
            f"< {RSS_GOAL_MB:.0f} MB",
            most < RSS_GOAL_MB,
        )
    )
    return finish(
        args,
        checks,
        {"times": times, "rss_growth_mb": growth, "peak_rss_mb": max(peaks)},
    )


if __name__ == "__main__":
    raise SystemExit(main())
