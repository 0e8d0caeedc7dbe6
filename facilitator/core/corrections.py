"""The researcher's corrections of the transcript, as the fold keeps them.

Layer 2 of :mod:`facilitator.core.transcript` (which describes the events and how the
layers make the attributed transcript). Apart from the rest of that module because every
session's state holds one: opening a session, the live view's start among them, needs
only this, not the machine transcript and the attribution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Corrections:
    """The researcher's changes to the transcript, by word id; the last event wins."""

    speaker: dict[str, str | None] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    split: dict[str, bool] = field(default_factory=dict)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.speaker or self.text or self.split or self.tags)

    def set_speaker(self, data: dict[str, Any]) -> None:
        who = data.get("who")
        if who is not None and not isinstance(who, str):
            return
        keyed = data.get("keyed") is True  # back to the speaker the keyed turns give (undo)
        for wid in data.get("words") or []:
            if isinstance(wid, str) and wid:
                if keyed:
                    self.speaker.pop(wid, None)
                else:
                    self.speaker[wid] = who or None

    def set_text(self, data: dict[str, Any]) -> None:
        wid, text = data.get("word"), data.get("text")
        if isinstance(wid, str) and wid and isinstance(text, str):
            self.text[wid] = text

    def set_split(self, data: dict[str, Any]) -> None:
        wid, split = data.get("word"), data.get("split", True)
        if isinstance(wid, str) and wid and split is None:  # as attribution decides (undo)
            self.split.pop(wid, None)
        elif isinstance(wid, str) and wid and isinstance(split, bool):
            self.split[wid] = split

    def set_tags(self, data: dict[str, Any]) -> None:
        wid, tags = data.get("word"), data.get("tags")
        if isinstance(wid, str) and wid and isinstance(tags, list):
            self.tags[wid] = tuple(t for t in tags if isinstance(t, str) and t)
