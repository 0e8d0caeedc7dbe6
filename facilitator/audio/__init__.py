"""The device layer for audio: microphones, capture off the UI thread, crash-safe WAV files.

- ``devices``: is PortAudio there, which microphones exist, which one a setting names;
- ``recorder``: a ``Recorder`` that captures one segment at a time into a WAV file in a
  thread of its own, with level, voice activity and a clean stop when the device goes away;
- ``wav``: the segment writer that keeps its header true, and ``repair`` after a crash.

Importing this package imports neither sounddevice nor numpy: PortAudio may be missing, and
the app must start (and say so) without it.
"""

from facilitator.audio.devices import AudioUnavailable
from facilitator.audio.wav import AudioWriteError

__all__ = ["AudioUnavailable", "AudioWriteError"]
