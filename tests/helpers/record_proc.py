"""Record one segment with the app's ``Recorder`` in a process of its own.

    python tests/helpers/record_proc.py FOLDER NAME [--seconds S] [--device D] [--no-voice]

Prints ``recording <path>`` once the stream runs, then records until ``--seconds`` have
passed, SIGTERM or SIGINT (or SIGKILL, for the crash test), reading the status and the
voice transitions five times a second as the live view would. At the end it prints one
line of JSON: what ``stop()`` returned, the last status's error, the voice transitions and
the highest level seen. Used by tests/test_recorder.py and bench/record.py.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from facilitator.audio.devices import AudioUnavailable  # noqa: E402
from facilitator.audio.recorder import Recorder  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("folder", type=Path)
    p.add_argument("name")
    p.add_argument("--seconds", type=float, default=0.0, help="0: until a signal")
    p.add_argument("--device", default=None)
    p.add_argument("--no-voice", action="store_true")
    args = p.parse_args(argv)

    stop_requested = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    recorder = Recorder(args.folder, device=args.device, voice=not args.no_voice)
    try:
        started = recorder.start(args.name)
    except AudioUnavailable as error:
        print(json.dumps({"unavailable": str(error)}), flush=True)
        return 2
    began = time.monotonic()
    print(f"recording {started.path}", flush=True)
    transitions: list[tuple[float, bool]] = []
    loudest = -math.inf
    status = recorder.status()
    while not stop_requested:
        elapsed = time.monotonic() - began
        if args.seconds and elapsed >= args.seconds:
            break
        time.sleep(0.2)
        status = recorder.status()
        transitions += recorder.drain_voice()
        loudest = max(loudest, status.level_db)
        if not status.recording:
            break  # stopped by itself: device lost, disk full
    ran_s = time.monotonic() - began  # from start() returned to stop() called
    stopped = recorder.stop()
    status = recorder.status()
    transitions += recorder.drain_voice()
    print(
        json.dumps(
            {
                "path": str(stopped.path),
                "seconds": stopped.seconds,
                "frames": stopped.frames,
                "overflows": stopped.overflows,
                "ran_s": ran_s,
                "error": status.error,
                "write_error": status.write_error,
                "transitions": transitions,
                "loudest_db": loudest,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
