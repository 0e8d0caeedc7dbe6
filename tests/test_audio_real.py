"""The whole recording path for real: the app in tmux records real speech through PortAudio.

A private PulseAudio daemon with a null sink (tests/helpers/pulse.py) stands in for the
sound card: espeak-ng's speech is played into the sink and the app records its monitor,
the system's default input. The moderator presses ``r`` in a real terminal; the test then
reads the recording back through the summary and the flac export: loud where the speech
was played, silent elsewhere, its length the time the recording ran, voice activity where
the speech was. A second recording is killed with SIGKILL mid-way; the next ``run``
repairs the file and closes the segment, and the audio up to the kill plays.
"""

from __future__ import annotations

import json
import os
import signal
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from pydub import AudioSegment
from test_tmux import (  # noqa: F401  (fixtures)
    FACILITATOR,
    GUIDE,
    Tmux,
    env,
    facilitator,
    sessions,
    summary_json,
)

from tests.helpers.pulse import PulseServer, pulse  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

RATE = 48000
TOLERANCE_S = 0.5


@pytest.fixture
def audio_env(env: dict[str, str], pulse: PulseServer) -> dict[str, str]:  # noqa: F811
    return {
        **env,
        "XDG_RUNTIME_DIR": pulse.env["XDG_RUNTIME_DIR"],
        "PULSE_SERVER": pulse.env["PULSE_SERVER"],
    }


@pytest.fixture
def audio_tmux(tmp_path: Path, audio_env: dict[str, str]):
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="fca-"))  # a short path for tmux's socket
    server = Tmux(folder, audio_env)
    try:
        yield server
    finally:
        server.kill_server()
        shutil.rmtree(folder, ignore_errors=True)


def rms_db(samples: np.ndarray, start_s: float, end_s: float) -> float:
    part = samples[int(max(0.0, start_s) * RATE) : int(end_s * RATE)].astype(np.float64)
    if not len(part):
        return -120.0
    value = float(np.sqrt(np.mean(part**2))) / 32768.0
    return 20 * np.log10(value) if value > 0 else -120.0


def test_r_records_real_speech_on_the_session_clock_and_survives_a_kill(
    audio_tmux: Tmux,
    sessions: Path,  # noqa: F811
    audio_env: dict[str, str],
    pulse: PulseServer,  # noqa: F811
) -> None:
    speech = pulse.speech_wav("We meet the families where they are, and we follow them over time.")
    with wave.open(str(speech)) as handle:
        speech_s = handle.getnframes() / handle.getframerate()
    created = facilitator(sessions, audio_env, "new", str(GUIDE), "--title", "Audio",
                          "--participant", "P1:Informant 1", "--participant", "P2:Informant 2",
                          "--consent", "all")  # fmt: skip
    assert created.returncode == 0, created.stderr
    session_id = created.stdout.strip()
    command = f"{FACILITATOR} run {session_id}"
    audio_tmux.start("app", command)
    audio_tmux.wait_for("app", "Not recording")

    # --- a recording with speech in the middle ------------------------------------------
    audio_tmux.keys("app", "r")
    pressed = time.monotonic()
    audio_tmux.wait_for("app", "REC")
    time.sleep(1.5)
    player = pulse.play(speech, block=False)
    played = time.monotonic() - pressed
    heard_speech = False
    while player.poll() is None:
        heard_speech = heard_speech or "speech" in audio_tmux.screen("app").split("REC", 1)[-1]
        time.sleep(0.1)
    played_end = time.monotonic() - pressed
    time.sleep(2.0)
    audio_tmux.keys("app", "r")
    ran = time.monotonic() - pressed
    audio_tmux.wait_for("app", "Not recording")
    assert heard_speech, "the record line never showed speech while it was played"

    # --- a second one, killed mid-way ----------------------------------------------------
    audio_tmux.keys("app", "r")
    second_pressed = time.monotonic()
    audio_tmux.wait_for("app", "REC")
    pulse.play(speech)  # blocking: the whole speech is in before the kill
    second_played_end = time.monotonic() - second_pressed
    time.sleep(1.5)  # more than the second the file's header may lag behind
    pid = int(audio_tmux.pane("app", "#{pane_pid}"))
    os.kill(pid, signal.SIGKILL)
    killed_after = time.monotonic() - second_pressed
    audio_tmux.wait_for("app", "", timeout=5)
    audio_tmux.cmd("respawn-pane", "-k", "-t", "app", "exec " + command)
    screen = audio_tmux.wait_for("app", "Not recording")
    audio_tmux.wait_for("app", "interrupted")
    audio_tmux.keys("app", "q")
    audio_tmux.wait_for("app", "End the session now?")
    audio_tmux.keys("app", "y")
    audio_tmux.wait_for("app", "Plan and actual time")
    audio_tmux.keys("app", "C-q")
    del screen

    summary = summary_json(sessions, audio_env, session_id)
    audio = summary["audio"]
    first, second = audio["segments"]
    assert first["ended_by"] == "stop" and second["ended_by"] == "crash"
    assert first["overflows"] == 0
    # each part as long as it ran (the first from r to r; the second up to the kill)
    assert abs((first["end_s"] - first["start_s"]) - ran) < TOLERANCE_S
    second_s = second["end_s"] - second["start_s"]
    assert killed_after - 1.5 <= second_s <= killed_after + TOLERANCE_S
    assert audio["voice_s"] > 0.5 * speech_s

    # the export: one file on the session clock
    exported = facilitator(sessions, audio_env, "export", session_id, "--format", "flac")
    assert exported.returncode == 0, exported.stderr
    decoded = AudioSegment.from_file(exported.stdout.strip()).set_sample_width(2)
    assert decoded.frame_rate == RATE
    samples = np.array(decoded.get_array_of_samples())
    start = first["start_s"]
    assert rms_db(samples, start + played + 0.3, start + played_end - 0.3) > -40
    assert rms_db(samples, start + 0.2, start + played - TOLERANCE_S) < -70  # before: silence
    assert rms_db(samples, start + played_end + TOLERANCE_S, first["end_s"] - 0.1) < -70
    assert rms_db(samples, 0, start - 0.1) < -90  # before the recording: the silence we add
    second_start = second["start_s"]
    assert rms_db(samples, second_start + 0.5, second_start + second_played_end - 0.5) > -40

    # the voice activity: speech on where it was played, off after it ended
    events = [
        e
        for line in (sessions / session_id).glob("journal-moderator.jsonl")
        for e in map(json.loads, line.read_text().splitlines())
        if e["kind"] == "voice"
    ]
    ons = [e["data"]["t_s"] - start for e in events if e["data"]["on"]]
    offs = [e["data"]["t_s"] - start for e in events if not e["data"]["on"]]
    assert ons and abs(ons[0] - played) < TOLERANCE_S + 0.2
    first_offs = [t for t in offs if t < first["end_s"] - start + 0.01]
    # off after the last word: the file ends with some silence, and paplay returns only once
    # the sink has played it out, so the end is dated by the speech's length, not paplay's exit
    assert first_offs, offs
    assert played + speech_s - 1.0 < first_offs[-1] < played_end + 1.5, (played, speech_s, offs)

    # every audio file is the owner's only
    for path in (sessions / session_id / "audio").rglob("*"):
        assert path.stat().st_mode & 0o077 == 0, path


async def test_the_microphone_is_chosen_from_the_devices_portaudio_sees(
    live,
    pulse: PulseServer,  # noqa: F811
) -> None:
    import asyncio

    from textual.widgets import OptionList

    from facilitator.audio.devices import input_devices
    from facilitator.ui.app import make_app
    from facilitator.ui.screens.devices import DevicesScreen

    devices = input_devices()
    default = next(d for d in devices if d.is_default)
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.action_choose_device()
        await pilot.pause()
        assert isinstance(app.screen, DevicesScreen)
        options = app.screen.query_one("#devices", OptionList)
        for _ in range(50):
            if options.option_count:
                break
            await asyncio.sleep(0.1)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(shown) == len(devices) and any(default.name in s for s in shown)
        assert shown[options.highlighted].startswith("*")  # the default, marked and chosen
        await pilot.press("enter")
        await pilot.pause()
        assert app.recording is not None and app.recording.device == default.index


def test_devices_lists_the_microphones_with_the_default_marked(
    sessions: Path,  # noqa: F811
    audio_env: dict[str, str],
) -> None:
    result = facilitator(sessions, audio_env, "devices")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    marked = [line for line in lines if line.startswith("*")]
    assert len(marked) == 2  # the default device, and the line that explains the mark
    assert "facilitator run SESSION --device NUMBER" in lines[-1]
