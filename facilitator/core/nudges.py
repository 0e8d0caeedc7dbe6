"""A calm reminder for the moderator: from the talk figures or the voice-activity assist."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Nudge:
    key: str  # stable, so a dismissal can name it
    text_id: str  # "silent", "share" or "moderator"
    who: str = ""
    label: str = ""
    minutes: float = 0.0
    share: float = 0.0
