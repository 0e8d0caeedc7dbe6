"""How durations are written on screen and in summaries."""

from __future__ import annotations

from datetime import datetime
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


def local_time(stamp: str | float | None, with_seconds: bool = False) -> str:
    """A moment (an ISO 8601 string or a Unix time) on this computer's clock, with its zone:
    ``2027-01-15 09:00 CET``, never a raw UTC string. "–" for none; an unreadable string is
    returned as it is."""
    if stamp is None or stamp == "":
        return "–"
    try:
        if isinstance(stamp, str):
            moment = datetime.fromisoformat(stamp)
            if moment.tzinfo is None:  # a naive time in the summary is UTC
                from datetime import UTC

                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone()
        else:
            moment = datetime.fromtimestamp(stamp).astimezone()
    except (ValueError, OverflowError, OSError):
        return str(stamp)
    zone = moment.strftime("%Z")
    if not zone or zone[0] in "+-":  # a zone without a name: its offset
        zone = moment.strftime("UTC%z")
        zone = zone[:-2] + ":" + zone[-2:] if len(zone) > 6 else zone
    shown = moment.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")
    return f"{shown} {zone}"
