"""Real audio without a sound card: a private PulseAudio daemon with a null sink.

``PulseServer`` (plain Python, used by the tests and by ``bench/record.py``) starts its own
``pulseaudio`` in a private ``XDG_RUNTIME_DIR`` with a null sink ``vsink``, whose monitor
``vsink.monitor`` is the default source: PortAudio's ``default`` (and ``pulse``) device then
records whatever is played into the sink. ``speech_wav`` makes speech
with espeak-ng; ``play`` plays a file into the sink. The daemon is stopped by its pid.

A keeper plays digital silence into the sink all the time. Without it the null sink works
in blocks of 2 s when nothing else asks for less, and a stream opened at a random moment
got its first audio only up to 2 s later (measured here: 0.01 to 2.0 s, that audio lost).
A real microphone does not do that; with the keeper (200 ms requested, about 50 ms blocks)
the first block arrives after 100 ms, as from a card.

The ``pulse`` fixture (module scope) points this process at the daemon (``PULSE_SERVER``,
``XDG_RUNTIME_DIR``) and restarts PortAudio, which reads its devices once.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SINK = "vsink"
SOURCE = "vsink.monitor"
TOOLS = ("pulseaudio", "pactl", "paplay", "pacat", "espeak-ng")
MAKE_TEST = (
    "Run `make test` once (scripts/ensure-system.sh test installs them), or: "
    "sudo apt-get install -y --no-install-recommends libportaudio2 pulseaudio "
    "pulseaudio-utils espeak-ng ffmpeg"
)


class PulseUnavailable(RuntimeError):
    pass


def missing_tools(tools: tuple[str, ...] = TOOLS) -> list[str]:
    return [tool for tool in tools if shutil.which(tool) is None]


def _die_with_parent() -> None:
    """In the child: SIGTERM when the process that started it dies (Linux), so a test run
    killed half-way does not leave a daemon behind."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class PulseServer:
    """One private PulseAudio daemon with the null sink ``vsink`` (default source: its monitor)."""

    def __init__(self, base: Path | None = None) -> None:
        self._own_base = base is None
        self.base = Path(tempfile.mkdtemp(prefix="pulse-")) if base is None else base
        self.runtime = self.base / "runtime"
        self.process: subprocess.Popen[bytes] | None = None
        self.keeper: subprocess.Popen[bytes] | None = None
        self.sink_module: str | None = None
        self.env = {
            **os.environ,
            "XDG_RUNTIME_DIR": str(self.runtime),
            "PULSE_SERVER": f"unix:{self.runtime}/pulse/native",
            "HOME": os.environ.get("HOME") or str(self.base),
        }
        self.log = self.runtime / "pulse.log"

    # --- the daemon ---------------------------------------------------------------------

    def start(self, timeout_s: float = 10.0) -> PulseServer:
        missing = missing_tools()
        if missing:
            raise PulseUnavailable(f"Missing for the real-audio tests: {', '.join(missing)}. ")
        self.runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.runtime, 0o700)
        self.process = subprocess.Popen(
            [
                "pulseaudio",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "-n",
                "--load=module-native-protocol-unix",
                f"--log-target=file:{self.log}",
            ],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise PulseUnavailable(f"pulseaudio exited: {self._log_tail()}")
            if self.pactl("info", check=False).returncode == 0:
                break
            if time.monotonic() > deadline:
                self.stop()
                raise PulseUnavailable(f"pulseaudio did not answer: {self._log_tail()}")
            time.sleep(0.05)
        self.load_sink()
        return self

    def stop(self) -> None:
        self._stop_keeper()
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PulseServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pactl", *args], env=self.env, capture_output=True, text=True, check=check, timeout=10
        )

    def _log_tail(self) -> str:
        try:
            return self.log.read_text()[-2000:]
        except OSError:
            return "(no log)"

    # --- the sink -----------------------------------------------------------------------

    def load_sink(self) -> None:
        """Load the null sink (again), make its monitor the default source, start the keeper."""
        done = self.pactl("load-module", "module-null-sink", f"sink_name={SINK}", "rate=48000")
        self.sink_module = done.stdout.strip()
        self.pactl("set-default-source", SOURCE)
        self.pactl("set-default-sink", SINK)
        self._start_keeper()

    def unload_sink(self) -> None:
        """Remove the null sink, as if the sound card were unplugged."""
        assert self.sink_module is not None
        self.pactl("unload-module", self.sink_module)
        self.sink_module = None
        self._stop_keeper()

    def _start_keeper(self) -> None:
        self._stop_keeper()
        self.keeper = subprocess.Popen(
            ["pacat", "--playback", f"--device={SINK}", "--latency-msec=200", "--raw"]
            + ["--rate=48000", "--channels=1", "--format=s16le", "/dev/zero"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        # The sink's 2 s block under way when the keeper connects ends within 2 s; after it,
        # the sink runs in small blocks.
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            listing = self.pactl("list", "sinks", check=False).stdout
            latencies = re.findall(r"Latency: (\d+) usec, configured (\d+) usec", listing)
            if latencies and all(
                int(now) <= 200_000 and int(configured) <= 100_000 for now, configured in latencies
            ):
                return
            time.sleep(0.1)

    def _stop_keeper(self) -> None:
        keeper, self.keeper = self.keeper, None
        if keeper is not None:
            if keeper.poll() is None:
                keeper.terminate()
            try:
                keeper.wait(5)
            except subprocess.TimeoutExpired:
                keeper.kill()
                keeper.wait(5)

    # --- sound --------------------------------------------------------------------------

    def speech_wav(self, text: str, path: Path | None = None) -> Path:
        target = path or self.base / f"speech-{abs(hash(text))}.wav"
        subprocess.run(["espeak-ng", "-w", str(target), text], check=True, timeout=30)
        return target

    def play(self, wav: Path, block: bool = True) -> subprocess.Popen[bytes]:
        """Play a file into the sink; with ``block`` wait until it has been played."""
        player = subprocess.Popen(
            ["paplay", f"--device={SINK}", str(wav)],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if block:
            _, err = player.communicate(timeout=60)
            if player.returncode != 0:
                raise RuntimeError(f"paplay failed: {err.decode(errors='replace')}")
        return player

    # --- this process as a client -------------------------------------------------------

    def use_in_this_process(self) -> dict[str, str | None]:
        """Point this process (and PortAudio in it) at the daemon; returns what to restore."""
        saved = {name: os.environ.get(name) for name in ("XDG_RUNTIME_DIR", "PULSE_SERVER")}
        os.environ["XDG_RUNTIME_DIR"] = self.env["XDG_RUNTIME_DIR"]
        os.environ["PULSE_SERVER"] = self.env["PULSE_SERVER"]
        restart_portaudio()
        return saved


def restart_portaudio() -> None:
    """PortAudio reads its devices (and the ALSA/Pulse set-up) when it starts: start it again."""
    import sounddevice as sd

    sd._terminate()
    sd._initialize()


def _restore(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def serve_pulse() -> Iterator[PulseServer]:
    """The body of the ``pulse`` fixture, for a module that wants the fixture by another name
    (``yield from serve_pulse()``): a private PulseAudio with a null sink, this process
    pointed at it. Fails (never skips) when the system packages are missing."""
    missing = missing_tools()
    if missing:
        pytest.fail(f"Missing for the real-audio tests: {', '.join(missing)}. {MAKE_TEST}")
    try:
        import sounddevice  # noqa: F401
    except OSError:
        pytest.fail(f"PortAudio (libportaudio2) is missing. {MAKE_TEST}")
    server = PulseServer()
    try:
        server.start()
    except PulseUnavailable as error:
        server.stop()
        pytest.fail(f"{error} {MAKE_TEST}")
    saved = server.use_in_this_process()
    try:
        yield server
    finally:
        server.stop()
        _restore(saved)
        restart_portaudio()


pulse = pytest.fixture(scope="module", name="pulse")(serve_pulse)
