"""The recording's logic: consent first, every fact an event, the session clock lined up.

The device is a stand-in here (``FakeRecorder``: the logic, not PortAudio). The real
capture through PulseAudio is in tests/test_recorder.py and tests/test_audio_real.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from facilitator.core.audio import (
    CONSENT_ITEM_ID,
    audio_summary,
    consent_item,
    exact_unattributed_s,
    missing_consent,
    voice_nudges,
    with_consent_item,
)
from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.core.session import state_of
from facilitator.core.summary import build_summary
from facilitator.exports.markdown import render_markdown
from facilitator.services.live import LiveSession
from facilitator.services.recording import Recording
from tests.conftest import GUIDES, PARTICIPANTS


@dataclass
class Status:
    recording: bool = False
    path: Path | None = None
    seconds: float = 0.0
    level_db: float = -90.0
    peak_db: float = -90.0
    overflows: int = 0
    speaking: bool = False
    error: str | None = None
    write_error: bool = False


@dataclass
class Started:
    path: Path
    device_name: str
    samplerate: int = 48000


@dataclass
class Stopped:
    path: Path
    seconds: float
    frames: int
    overflows: int


@dataclass
class FakeRecorder:
    """Audio advances with the test's clock; voice transitions and errors are scripted."""

    clock: FakeClock
    folder: Path
    started_at: float | None = None
    name: str = ""
    voice: list[tuple[float, bool]] = field(default_factory=list)
    error: str | None = None
    write_error: bool = False
    overflows: int = 0
    starts: int = 0

    def start(self, name: str) -> Started:
        self.folder.mkdir(exist_ok=True)
        (self.folder / name).write_bytes(b"RIFF")
        self.started_at = self.clock.now()
        self.name = name
        self.starts += 1
        return Started(self.folder / name, "Test microphone")

    def _seconds(self) -> float:
        return 0.0 if self.started_at is None else self.clock.now() - self.started_at

    def status(self) -> Status:
        return Status(
            self.started_at is not None,
            self.folder / self.name,
            self._seconds(),
            level_db=-20.0,
            overflows=self.overflows,
            error=self.error,
            write_error=self.write_error,
        )

    def drain_voice(self) -> list[tuple[float, bool]]:
        due = [v for v in self.voice if v[0] <= self._seconds()]
        self.voice = [v for v in self.voice if v[0] > self._seconds()]
        return due

    def stop(self) -> Stopped:
        seconds = self._seconds()
        self.started_at = None
        self.error = None
        self.write_error = False
        return Stopped(self.folder / self.name, seconds, int(seconds * 48000), self.overflows)


@pytest.fixture
def recorder(live: LiveSession, clock: FakeClock) -> FakeRecorder:
    return FakeRecorder(clock, live.store.path / "audio")


@pytest.fixture
def recording(live: LiveSession, recorder: FakeRecorder) -> Recording:
    return Recording(live, recorder=recorder)


def consent_all(live: LiveSession) -> None:
    for person in live.state.roster:
        live.set_consent(person.id, True)


def test_the_seed_guide_marks_its_consent_items() -> None:
    guide = load_guide(GUIDES / "seed-en.toml")
    assert consent_item(guide.for_stage(1)).id == "lydopptak"
    assert consent_item(guide.for_stage(2, newcomers=True, returning=True)).id == "lydopptak-2"


def test_a_guide_without_a_consent_item_gets_one(tmp_path: Path) -> None:
    path = tmp_path / "g.toml"
    path.write_text('title = "G"\n[[phases]]\nid = "a"\ntitle = "A"\nminutes = 5\n')
    guide = with_consent_item(load_guide(path))
    item = consent_item(guide)
    assert item is not None and item.id == CONSENT_ITEM_ID
    assert guide.phases[0].checklist[-1] is item


def test_a_consent_value_that_is_not_true_or_false_names_its_line(tmp_path: Path) -> None:
    from facilitator.core.guide import GuideError

    path = tmp_path / "g.toml"
    path.write_text(
        'title = "G"\n[[phases]]\nid = "a"\ntitle = "A"\nminutes = 5\n'
        '[[phases.checklist]]\ntext = "Consent"\nconsent = "yes"\n'
    )
    with pytest.raises(GuideError) as raised:
        load_guide(path)
    assert ":8:" in str(raised.value) and "consent" in str(raised.value)


def test_no_recording_without_everyones_consent(
    live: LiveSession, recording: Recording, recorder: FakeRecorder
) -> None:
    message = recording.toggle()
    assert not recording.recording and recorder.starts == 0
    assert "P1 Informant 1" in message and "P5 Informant 5" in message
    for person in live.state.roster[:4]:
        live.set_consent(person.id, True)
    message = recording.toggle()
    assert recorder.starts == 0
    assert "P5 Informant 5" in message and "P1" not in message
    live.set_consent("P5", True)
    assert recording.toggle().startswith("Recording to audio/rec-001.wav")
    assert recording.recording and live.state.audio.recording


def test_written_consent_counts_and_an_absent_participant_is_not_asked(
    new_store, clock: FakeClock
) -> None:
    from facilitator.store.session_store import SessionStore

    store = SessionStore.create(
        new_store().path.parent,
        load_guide(GUIDES / "seed-en.toml"),
        title="Written",
        participants=PARTICIPANTS,
        now=clock.now(),
        consent=["P1", "P2", "P3", "P4"],
        absent=["P5"],
        newcomers=[p.id for p in PARTICIPANTS],
    )
    live = LiveSession(store, clock=clock)
    try:
        assert missing_consent(live.state) == []  # P5 is not here
        live.set_present("P5", True)  # P5 arrives after all
        assert [p.id for p in missing_consent(live.state)] == ["P5"]
        live.set_consent("P2", False)  # withdrawn in the session
        assert [p.id for p in missing_consent(live.state)] == ["P2", "P5"]
    finally:
        live.journal.close()


def test_segments_sit_on_the_session_clock_and_stop_for_a_break(
    live: LiveSession, recording: Recording, recorder: FakeRecorder, clock: FakeClock
) -> None:
    consent_all(live)
    clock.advance(60)
    recording.toggle()
    clock.advance(30)
    live.toggle_pause()
    notices = recording.poll()
    assert "break" in notices[0]
    assert not recording.recording and recording.resume_after_pause
    clock.advance(600)  # the break: not recorded, not session time
    live.toggle_pause()
    notices = recording.poll()
    assert recording.recording and notices[0].startswith("Recording to audio/rec-002.wav")
    clock.advance(45)
    recording.toggle()
    first, second = live.state.audio.segments
    assert (first.start_s, first.end_s, first.ended_by) == (60.0, 90.0, "pause")
    assert (second.start_s, second.end_s, second.ended_by) == (90.0, 135.0, "stop")
    assert second.device == "Test microphone"
    # a fresh fold from disk says the same
    again = state_of(live.info, live.store.read_events().events)
    assert [s.to_dict() for s in again.audio.segments] == [
        s.to_dict() for s in live.state.audio.segments
    ]


def test_withdrawn_consent_and_a_late_arrival_stop_the_recording(
    live: LiveSession, recording: Recording, clock: FakeClock
) -> None:
    consent_all(live)
    recording.toggle()
    clock.advance(10)
    assert recording.poll() == []
    live.set_consent("P3", False)
    notices = recording.poll()
    assert not recording.recording
    assert notices == ["Recording stopped: no recording consent from P3 Informant 3."]
    assert live.state.audio.segments[-1].ended_by == "consent"


def test_a_lost_device_stops_with_a_notice_and_recording_can_start_again(
    live: LiveSession, recording: Recording, recorder: FakeRecorder, clock: FakeClock
) -> None:
    consent_all(live)
    recording.toggle()
    clock.advance(20)
    recorder.error = "The microphone stopped delivering sound (unplugged?)."
    notices = recording.poll()
    assert not recording.recording
    assert "unplugged" in notices[0] and "00:20" in notices[0]
    segment = live.state.audio.segments[-1]
    assert segment.ended_by == "lost" and "unplugged" in segment.message
    assert recording.toggle().startswith("Recording to audio/rec-002.wav")


def test_a_full_disk_stops_the_segment_as_a_write_failure(
    live: LiveSession, recording: Recording, recorder: FakeRecorder, clock: FakeClock
) -> None:
    consent_all(live)
    recording.toggle()
    clock.advance(20)
    recorder.error = "No space left on device. Recording stopped."
    recorder.write_error = True
    notices = recording.poll()
    assert not recording.recording and "No space left" in notices[0]
    segment = live.state.audio.segments[-1]
    assert segment.ended_by == "write" and "No space left" in segment.message


def test_voice_activity_gives_unattributed_speech_and_the_quiet_speaker(
    live: LiveSession, recording: Recording, recorder: FakeRecorder, clock: FakeClock
) -> None:
    consent_all(live)
    recording.toggle()
    start_s = live.state.session_s(clock.now())
    # speech 2-12 s with nobody marked; P1 is marked at 6 s; speech again 20-22 s
    recorder.voice = [(2.0, True), (12.0, False), (20.0, True), (22.0, False)]
    clock.advance(4)
    recording.poll()
    assert live.state.audio.speaking()
    clock.advance(2)  # 6 s
    live.speak("P1")
    clock.advance(6)  # 12 s
    recording.poll()
    assert live.state.audio.unattributed_s == pytest.approx(4.0)
    clock.advance(19)  # 31 s: P1 quiet since 22 s, 9 s: under the guide's 20 s
    recording.poll()
    assert voice_nudges(live.state, live.state.session_s(clock.now())) == []
    clock.advance(11)  # 42 s: quiet for 20 s
    recording.poll()
    now_s = live.state.session_s(clock.now())
    reminders = voice_nudges(live.state, now_s)
    assert [n.text_id for n in reminders] == ["quiet"]
    assert reminders[0].minutes * 60 == pytest.approx(20.0)
    assert exact_unattributed_s(live.state.audio, live.state.talk, now_s) == pytest.approx(4.0)
    assert live.state.guide.settings.voice_auto_close == 0  # the default: offer, not close
    assert live.state.talk.current_speaker == "P1"
    assert start_s == pytest.approx(0.0)


def test_auto_close_ends_a_quiet_turn_when_the_guide_says_so(
    new_store, clock: FakeClock, tmp_path: Path
) -> None:
    text = (GUIDES / "seed-en.toml").read_text()
    text = text.replace("[settings]", "[settings]\nvoice_auto_close = 1\nvoice_close_after_s = 5")
    guide_path = tmp_path / "auto.toml"
    guide_path.write_text(text)
    from facilitator.store.session_store import SessionStore

    store = SessionStore.create(
        tmp_path / "s",
        load_guide(guide_path),
        title="Auto",
        participants=PARTICIPANTS,
        now=clock.now(),
        consent=[p.id for p in PARTICIPANTS],
    )
    live = LiveSession(store, clock=clock)
    recorder = FakeRecorder(clock, store.path / "audio")
    recording = Recording(live, recorder=recorder)
    try:
        recording.toggle()
        live.speak("P2")
        recorder.voice = [(0.5, True), (3.0, False)]
        clock.advance(4)
        recording.poll()
        assert live.state.talk.current_speaker == "P2"
        clock.advance(5)  # quiet 3 -> 9 s: past 5 s
        recording.poll()
        assert live.state.talk.current_speaker is None
    finally:
        live.journal.close()


def test_the_summary_says_whether_audio_exists_and_where(
    live: LiveSession, recording: Recording, clock: FakeClock
) -> None:
    summary = build_summary(live.info, live.state, clock.now())
    assert summary["audio"]["recorded"] is False
    assert "**Audio:** not recorded" in render_markdown(summary)
    consent_all(live)
    recording.toggle()
    clock.advance(125)
    recording.toggle()
    summary = build_summary(live.info, live.state, clock.now())
    audio = summary["audio"]
    assert audio["recorded"] and audio["exists"] and audio["folder"] == "audio/"
    assert audio["seconds"] == 125.0 and audio["segments"][0]["file"] == "audio/rec-001.wav"
    assert audio["consent"] == ["P1", "P2", "P3", "P4", "P5"]
    assert "02:05 recorded in 1 part(s), in the folder audio/" in render_markdown(summary)


def test_the_meter_reads_the_recorder(
    live: LiveSession, recording: Recording, clock: FakeClock
) -> None:
    assert not recording.meter().recording
    consent_all(live)
    recording.toggle()
    clock.advance(3)
    meter = recording.meter()
    assert meter.recording and meter.seconds == 3.0 and meter.level_db == -20.0
    assert meter.device == "Test microphone"
    assert not math.isnan(meter.level_db)


def test_closing_the_view_ends_the_segment_cleanly(
    live: LiveSession, recording: Recording, clock: FakeClock
) -> None:
    consent_all(live)
    recording.toggle()
    clock.advance(7)
    recording.close()
    segment = live.state.audio.segments[-1]
    assert (segment.end_s, segment.ended_by) == (7.0, "closed")
    assert audio_summary(live.state, 7.0)["seconds"] == 7.0


# --- the live view ---------------------------------------------------------------------------


def app_with(live: LiveSession, recording: Recording):
    from facilitator.ui.app import make_app

    app = make_app(live)
    app.recording = recording  # the app's recording for this session: the stand-in device
    return app


def screen_text(app) -> str:
    from facilitator.ui.widgets.record_line import RecordLine

    return str(app.screen.query_one(RecordLine).render())


async def test_r_refuses_without_consent_then_records_after_the_checklist(
    live: LiveSession, recording: Recording, recorder: FakeRecorder, clock: FakeClock
) -> None:
    app = app_with(live, recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "Not recording" in screen_text(app)
        await pilot.press("r")
        await pilot.pause()
        assert recorder.starts == 0
        assert any("no recording consent from P1" in n.message for n in app._notifications)
        # the checklist: the consent item opens into one line per participant present
        from facilitator.ui.widgets.guide_panels import TickList

        ticks = app.screen.query_one("#checklist", TickList)
        ids = [ticks.get_option_at_index(i).id for i in range(ticks.option_count)]
        assert ids[-1] == "lydopptak"  # one line while the checklist does not have the keys
        assert "0 of 5 present have consented" in str(ticks.get_option_at_index(3).prompt)
        await pilot.press("c")
        await pilot.pause()
        ids = [ticks.get_option_at_index(i).id for i in range(ticks.option_count)]
        assert ids[-6:] == ["lydopptak"] + [f"consent:P{n}" for n in range(1, 6)]
        ticks.highlighted = ids.index("consent:P2")
        await pilot.press("space")  # one participant
        await pilot.pause()
        assert live.state.audio.has_consent("P2") and not live.state.audio.has_consent("P1")
        ticks.highlighted = ids.index("lydopptak")
        await pilot.press("space")  # the item itself: everyone present
        await pilot.press("escape")
        await pilot.pause()
        assert missing_consent(live.state) == []
        await pilot.press("r")
        await pilot.pause()
        assert recorder.starts == 1 and recording.recording
        clock.advance(65)
        app.screen.audio_tick()
        await pilot.pause()
        line = screen_text(app)
        assert "REC 01:05" in line and "-20 dB" in line and "0 dropped" in line
        await pilot.press("r")
        await pilot.pause()
        assert not recording.recording
        assert live.state.audio.segments[0].seconds(0) == 65.0


async def test_the_assistants_view_shows_the_moderators_recording(
    live: LiveSession, recording: Recording, clock: FakeClock
) -> None:
    from facilitator.services.live import ASSISTANT
    from facilitator.ui.app import make_assist_app

    consent_all(live)
    recording.toggle()
    clock.advance(30)
    assistant = LiveSession(live.store, writer=ASSISTANT, clock=clock)
    try:
        app = make_assist_app(assistant)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert "REC 00:30  in the moderator's view" in screen_text(app)
            await pilot.press("escape")
            await pilot.press("r")  # not the assistant's to press
            await pilot.pause()
            assert len(live.state.audio.segments) == 1
    finally:
        assistant.journal.close()


async def test_no_microphone_is_said_on_the_record_line_and_the_session_goes_on(
    live: LiveSession, recorder: FakeRecorder
) -> None:
    from facilitator.audio.devices import AudioUnavailable

    def no_device(name: str):
        raise AudioUnavailable("Recording is off: no microphone was found.")

    recorder.start = no_device  # type: ignore[method-assign]
    consent_all(live)
    app = app_with(live, Recording(live, recorder=recorder))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert "no microphone was found" in screen_text(app)
        await pilot.press("1")  # the session goes on
        await pilot.pause()
        assert live.state.talk.current_speaker == "P1"
        assert live.state.audio.segments == []


async def test_ending_the_session_ends_the_recording(
    live: LiveSession, recording: Recording, recorder: FakeRecorder, clock: FakeClock
) -> None:
    consent_all(live)
    app = app_with(live, recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await pilot.pause()
        clock.advance(42)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert live.state.ended and not recording.recording
        assert recorder.started_at is None  # the device is closed, not left running
        segment = live.state.audio.segments[-1]
        assert (segment.ended_by, segment.seconds(0)) == ("end", 42.0)


def test_speech_after_space_is_offered_to_whoever_speaks(
    live: LiveSession, recording: Recording, recorder: FakeRecorder, clock: FakeClock
) -> None:
    consent_all(live)
    recording.toggle()
    live.speak("P1")
    clock.advance(5)
    live.speak(None)  # space: nobody is speaking (an open turn of nobody)
    recorder.voice = [(8.0, True)]
    clock.advance(4)  # 9 s: speech for 1 s
    recording.poll()
    assert voice_nudges(live.state, live.state.session_s(clock.now())) == []
    clock.advance(6)  # 15 s: speech for 7 s with nobody marked
    recording.poll()
    reminders = voice_nudges(live.state, live.state.session_s(clock.now()))
    assert [n.text_id for n in reminders] == ["unattributed"]
    assert reminders[0].minutes * 60 == pytest.approx(7.0)
