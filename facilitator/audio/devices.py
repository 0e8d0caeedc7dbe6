"""Microphones: whether PortAudio is there, which input devices exist, which one is meant.

``sounddevice`` is imported inside the functions: it raises ``OSError`` on import when the
PortAudio library is missing, and the app must start without it and say what to install.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from facilitator.i18n import _


class AudioUnavailable(Exception):
    """Recording cannot start; ``str()`` is a translated message saying why and what to do."""


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    hostapi: str
    channels: int  # input channels
    default_samplerate: float
    is_default: bool


def _missing_portaudio() -> str:
    return _(
        "Recording is off: PortAudio is not installed. "
        "On Debian or Ubuntu: sudo apt-get install libportaudio2"
    )


def portaudio_problem() -> str | None:
    """None if PortAudio can be used, else a message for the user saying what to install."""
    try:
        import sounddevice  # noqa: F401
    except OSError:
        return _missing_portaudio()
    return None


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError:
        raise AudioUnavailable(_missing_portaudio()) from None
    return sounddevice


def rescan() -> None:
    """Read the list of devices afresh (PortAudio reads it once, when it starts).

    For a microphone plugged in (or back in) while the app runs. Only while no stream of
    this process is open: restarting PortAudio closes them.
    """
    sd = _sounddevice()
    try:
        if getattr(sd, "_initialized", 1) > 0:  # not after an _initialize that failed
            sd._terminate()
        sd._initialize()
    except sd.PortAudioError as error:
        raise AudioUnavailable(
            _("Recording is off: PortAudio cannot start: {reason}", reason=error)
        ) from None


def input_devices(rescan_first: bool = False) -> list[InputDevice]:
    """The devices with at least one input channel, in PortAudio's order.

    PortAudio lists the devices as they were when it started; ``rescan_first`` reads them
    afresh (only while nothing records: see ``rescan``).
    """
    if rescan_first:
        rescan()
    sd = _sounddevice()
    hostapis = sd.query_hostapis()
    try:
        default = int(sd.default.device[0])
    except (TypeError, ValueError, IndexError):
        default = -1
    if default < 0:
        try:
            default = int(sd.query_devices(kind="input")["index"])
        except sd.PortAudioError:
            default = -1
    found = []
    for info in sd.query_devices():
        channels = int(info["max_input_channels"])
        if channels < 1:
            continue
        found.append(
            InputDevice(
                index=int(info["index"]),
                name=str(info["name"]),
                hostapi=str(hostapis[info["hostapi"]]["name"]),
                channels=channels,
                default_samplerate=float(info["default_samplerate"]),
                is_default=int(info["index"]) == default,
            )
        )
    return found


def _names(devices: list[InputDevice]) -> str:
    return ", ".join(f"{d.index}: {d.name}" for d in devices)


def resolve_device(spec: str | int | None, rescan_first: bool = False) -> InputDevice:
    """The input device a setting names.

    None (or an empty string): the default input. An int or a string of digits: the device
    with that index. Anything else: the device whose name contains it (ignoring case; an
    exact name wins over a part of one). ``AudioUnavailable`` says which names exist when
    nothing (or more than one device) matches, or when there is no input device at all.
    """
    devices = input_devices(rescan_first)
    if not devices:
        raise AudioUnavailable(_("Recording is off: no microphone was found."))
    if isinstance(spec, str):
        spec = spec.strip()
    if spec is None or spec == "":
        for device in devices:
            if device.is_default:
                return device
        return devices[0]
    if isinstance(spec, int) or spec.isdigit():
        index = int(spec)
        for device in devices:
            if device.index == index:
                return device
        raise AudioUnavailable(
            _(
                "There is no microphone number {spec}. Microphones available: {names}",
                spec=index,
                names=_names(devices),
            )
        )
    wanted = spec.casefold()
    exact = [d for d in devices if d.name.casefold() == wanted]
    if exact:
        return exact[0]
    matches = [d for d in devices if wanted in d.name.casefold()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AudioUnavailable(
            _(
                "{spec} matches several microphones: {names}. "
                "Give more of the name, or the number.",
                spec=spec,
                names=_names(matches),
            )
        )
    raise AudioUnavailable(
        _(
            "No microphone matches {spec}. Microphones available: {names}",
            spec=spec,
            names=_names(devices),
        )
    )
