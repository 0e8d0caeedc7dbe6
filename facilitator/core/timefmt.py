"""How durations are written on screen and in summaries."""

from __future__ import annotations

from functools import lru_cache


def clock(seconds: float | None) -> str:
    """``mm:ss`` below an hour, ``h:mm:ss`` above; negative values get a minus sign."""
    if seconds is None:
        return "–"
    return _clock(int(seconds) if seconds >= 0 else -int(-seconds))


@lru_cache(maxsize=65536)  # exports write the same few thousand times many times over
def _clock(whole: int) -> str:
    sign = "-" if whole < 0 else ""
    hours, rest = divmod(abs(whole), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes:02d}:{secs:02d}"


def minutes(seconds: float) -> str:
    """A rounded number of minutes, for plans: ``10 min``."""
    value = seconds / 60.0
    text = f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"
    return f"{text} min"
