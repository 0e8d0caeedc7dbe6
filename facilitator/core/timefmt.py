"""How durations are written on screen and in summaries."""

from __future__ import annotations


def clock(seconds: float | None) -> str:
    """``mm:ss`` below an hour, ``h:mm:ss`` above; negative values get a minus sign."""
    if seconds is None:
        return "–"
    sign = "-" if seconds < 0 else ""
    total = int(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes:02d}:{secs:02d}"


def minutes(seconds: float) -> str:
    """A rounded number of minutes, for plans: ``10 min``."""
    value = seconds / 60.0
    text = f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"
    return f"{text} min"
