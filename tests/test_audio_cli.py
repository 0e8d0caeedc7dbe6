"""The audio commands on real files: export (real ffmpeg), clips, purge, and the summary.

The recording's segments here are WAV files written by the test (tones at known session
times) and announced with the same events the live view writes; the real capture is in
tests/test_recorder.py and tests/test_audio_real.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import wave
import zipfile
from pathlib import Path

import numpy as np
import pytest
from pydub import AudioSegment

from facilitator.core.clock import FakeClock
from facilitator.services.live import LiveSession
from tests.conftest import venv_bin

RATE = 48000
AUDIO_MAGIC = (b"RIFF", b"fLaC", b"OggS", b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")


def tone(path: Path, seconds: float, hz: float) -> None:
    t = np.arange(int(seconds * RATE)) / RATE
    samples = (0.3 * 32767 * np.sin(2 * np.pi * hz * t)).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())


def run(sessions: Path, *args: str, tmpdir: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(sessions), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FACILITATOR_LANG": "en", **({"TMPDIR": str(tmpdir)} if tmpdir else {})},
    )


@pytest.fixture
def recorded(live: LiveSession, clock: FakeClock) -> LiveSession:
    """A session with two recorded parts (10-16 s at 440 Hz, 30-34 s at 880 Hz), two quotes
    and a note that is not a quote; ended at 40 s."""
    for person in live.state.roster:
        live.set_consent(person.id, True)
    clock.advance(10)
    tone(live.store.path / "audio" / "rec-001.wav", 6.0, 440)
    live.recording_started("audio/rec-001.wav", 10.0, "Test microphone")
    clock.advance(2)
    live.speak("P3")
    live.add_note("#quote we meet the families where they are")
    clock.advance(4)
    live.recording_stopped("audio/rec-001.wav", 16.0, "stop")
    clock.advance(14)
    tone(live.store.path / "audio" / "rec-002.wav", 4.0, 880)
    live.recording_started("audio/rec-002.wav", 30.0, "Test microphone")
    clock.advance(3)
    live.add_note("#q the second quote")
    live.add_note("not a quote")
    clock.advance(1)
    live.recording_stopped("audio/rec-002.wav", 34.0, "stop")
    clock.advance(6)
    live.end()
    live.journal.close()
    live.journal = None
    return live


def sessions_of(live: LiveSession) -> Path:
    return live.store.path.parent


def test_export_flac_lines_up_with_the_session_clock(recorded: LiveSession) -> None:
    result = run(sessions_of(recorded), "export", recorded.info.id, "--format", "flac")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == recorded.store.path / "audio" / "exports" / f"{recorded.info.id}.flac"
    assert path.stat().st_mode & 0o777 == 0o600
    audio = AudioSegment.from_file(path).set_sample_width(2)
    assert abs(len(audio) - 40_000) <= 5  # the whole session: 40 s
    samples = np.array(audio.get_array_of_samples(), dtype=np.float64)

    def rms(a: float, b: float) -> float:
        part = samples[int(a * RATE) : int(b * RATE)]
        return float(np.sqrt(np.mean(part**2)))

    assert rms(0, 9.9) == 0.0 and rms(16.1, 29.9) == 0.0 and rms(34.1, 40) == 0.0
    assert rms(10.1, 15.9) > 5000 and rms(30.1, 33.9) > 5000


def test_elan_and_refi_qda_make_the_wav_they_link_and_say_when_they_cannot(
    recorded: LiveSession, tmp_path: Path
) -> None:
    sessions = sessions_of(recorded)
    wav = recorded.store.path / "audio" / "exports" / f"{recorded.info.id}.wav"
    # without ffmpeg the recording cannot be made: one line that says so, no file
    no_ffmpeg = subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(sessions), "export", recorded.info.id,
         "--format", "eaf", "-o", str(tmp_path / "x.eaf")],
        capture_output=True, text=True, timeout=60,
        env={"PATH": str(tmp_path / "nothing"), "FACILITATOR_LANG": "en", "LANG": "C.UTF-8"},
    )  # fmt: skip
    assert no_ffmpeg.returncode == 1
    assert no_ffmpeg.stderr.count("\n") == 1 and "ffmpeg is not installed" in no_ffmpeg.stderr
    assert "Traceback" not in no_ffmpeg.stderr and not (tmp_path / "x.eaf").exists()
    assert not wav.exists()
    # with it: the session-clock WAV, made once and linked by both
    result = run(
        sessions, "export", recorded.info.id, "--format", "eaf", "-o", str(tmp_path / "a.eaf")
    )
    assert result.returncode == 0, result.stderr
    assert wav.stat().st_mode & 0o777 == 0o600
    with wave.open(str(wav)) as audio:
        assert audio.getnframes() == 40 * RATE  # the whole session on its clock
    made = wav.stat().st_mtime_ns
    result = run(sessions, "export", recorded.info.id, "--format", "qdpx")
    assert result.returncode == 0, result.stderr
    assert wav.stat().st_mtime_ns == made  # an ended session's WAV is not made again
    summary = json.loads(run(sessions, "summary", recorded.info.id, "--format", "json").stdout)
    assert summary["session"]["recording"] == f"audio/exports/{recorded.info.id}.wav"
    assert str(wav) in summary["audio"]["exports"]  # and purge --audio deletes it


def test_clips_of_quotes_are_named_for_the_transcriber(recorded: LiveSession) -> None:
    result = run(sessions_of(recorded), "export", recorded.info.id, "--format", "clips",
                 "--before", "3", "--after", "1")  # fmt: skip
    assert result.returncode == 0, result.stderr
    folder = recorded.store.path / "audio" / "clips"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["001_00h00m12s_P3_q1.1.flac", "002_00h00m33s_P3_q1.1.flac", "clips.csv"]
    first = AudioSegment.from_file(folder / names[0])
    assert abs(len(first) - 3000) <= 5  # 12 s - 3 .. 12 s + 1, cut where the part starts (10 s)
    second = AudioSegment.from_file(folder / names[1])
    assert abs(len(second) - 4000) <= 5  # 33 s - 3 .. 33 s + 1: within the part 30-34 s
    csv = (folder / "clips.csv").read_text(encoding="utf-8-sig")
    assert "we meet the families where they are" in csv and "not a quote" not in csv


def test_purge_deletes_every_audio_file_and_says_so(recorded: LiveSession, tmp_path: Path) -> None:
    sessions = sessions_of(recorded)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    outside = elsewhere / "session.mp3"
    own_tmp = tmp_path / "tmp"  # the commands' temporary folder (TMPDIR), searched below
    own_tmp.mkdir()

    def cli(*args: str) -> subprocess.CompletedProcess:
        return run(sessions, *args, tmpdir=own_tmp)

    assert cli("export", recorded.info.id, "--format", "mp3", "-o", str(outside)).returncode == 0
    assert cli("export", recorded.info.id, "--format", "opus").returncode == 0
    clips = elsewhere / "clips"
    assert cli("export", recorded.info.id, "--format", "clips", "-o", str(clips)).returncode == 0
    (elsewhere / ".session.mp3.part").write_bytes(b"ID3 left by a killed export")
    (elsewhere / "unrelated.txt").write_text("not audio, not ours")
    # the REFI-QDA project holds the recording (and makes the session-clock WAV first)
    project = elsewhere / "project.qdpx"
    assert cli("export", recorded.info.id, "--format", "qdpx", "-o", str(project)).returncode == 0
    with zipfile.ZipFile(project) as archive:
        assert any(name.endswith(".wav") for name in archive.namelist())
    (elsewhere / ".project.qdpx.k1ll3d.tmp").write_bytes(b"PK a write cut short")
    before = json.loads(cli("summary", recorded.info.id, "--format", "json").stdout)
    assert before["audio"]["exists"] and len(before["audio"]["exports"]) == 5

    result = cli("purge", recorded.info.id, "--audio", "--yes")
    assert result.returncode == 0, result.stderr
    assert "deleted" in result.stdout

    # search the disk: everything under the test's folder (sessions, the folder written to
    # with -o, the commands' temporary folder), by content and by name
    found = []
    for dirpath, _dirs, files in os.walk(tmp_path):
        for name in files:
            path = Path(dirpath) / name
            head = path.open("rb").read(4)
            if head.startswith(AUDIO_MAGIC) or path.suffix in (".wav", ".flac", ".opus", ".mp3"):
                found.append(path)
    assert found == []
    assert not project.exists() and not (elsewhere / ".project.qdpx.k1ll3d.tmp").exists()
    assert (elsewhere / "unrelated.txt").exists()  # only audio is deleted
    # made again, the project holds no recording, and the ELAN file links none
    assert cli("export", recorded.info.id, "--format", "qdpx", "-o", str(project)).returncode == 0
    with zipfile.ZipFile(project) as archive:
        assert not any(name.endswith(".wav") for name in archive.namelist())
    assert "MEDIA_DESCRIPTOR" not in cli("export", recorded.info.id, "--format", "eaf").stdout
    after = json.loads(run(sessions, "summary", recorded.info.id, "--format", "json").stdout)
    assert after["audio"]["recorded"] and not after["audio"]["exists"]
    assert after["audio"]["purged"]["files"] >= 7
    assert len(after["notes"]) == 3  # everything else is kept
    md = run(sessions, "summary", recorded.info.id).stdout
    assert "every recording, clip and export was deleted" in md
    refused = run(sessions, "export", recorded.info.id, "--format", "flac")
    assert refused.returncode == 1 and "deleted" in refused.stderr


def test_purge_is_refused_while_the_live_view_has_the_session(live: LiveSession) -> None:
    result = run(sessions_of(live), "purge", live.info.id, "--audio")
    assert result.returncode == 1 and "open in the live view" in result.stderr


def test_new_takes_written_consent_and_refuses_an_unknown_id(tmp_path: Path) -> None:
    sessions = tmp_path / "s"
    guide = str(Path(__file__).parent.parent / "guides" / "seed-en.toml")
    bad = run(sessions, "new", guide, "--title", "T", "--participant", "P1:A", "--consent", "P9")
    assert (
        bad.returncode == 1
        and "P9" in bad.stderr
        and not sessions.exists()
        or not any(sessions.iterdir())
    )
    ok = run(sessions, "new", guide, "--title", "T", "--participant", "P1:A",
             "--participant", "P2:B", "--consent", "all")  # fmt: skip
    assert ok.returncode == 0
    summary = json.loads(run(sessions, "summary", ok.stdout.strip(), "--format", "json").stdout)
    assert summary["audio"]["consent"] == ["P1", "P2"]


async def test_the_summary_screen_writes_the_audio_and_the_clips(recorded: LiveSession) -> None:
    import asyncio

    from facilitator.ui.app import make_app

    live = LiveSession(recorded.store, clock=recorded.clock)  # ended: opens on the summary
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        folder = recorded.store.path / "audio"
        for _ in range(100):
            await asyncio.sleep(0.1)
            if (folder / "clips" / "clips.csv").exists():
                break
        await pilot.pause()
        flac = folder / "exports" / f"{recorded.info.id}.flac"
        assert flac.exists() and (folder / "clips" / "clips.csv").exists()
        assert abs(len(AudioSegment.from_file(flac)) - 40_000) <= 5
        assert any("clip(s) in" in n.message for n in app._notifications)
