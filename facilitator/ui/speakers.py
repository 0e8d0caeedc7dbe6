"""How a notice names whoever a key was about: a pseudonym, the moderator, nobody."""

from __future__ import annotations

from facilitator.core.session import SessionState
from facilitator.core.talk import MODERATOR
from facilitator.i18n import _


def speaker_name(state: SessionState, who: str | None) -> str:
    """Who holds the floor, in a sentence: "Informant 3", "the moderator", "nobody"."""
    if who is None:
        return _("nobody")
    if who == MODERATOR:
        return _("the moderator")
    person = state.participant(who)
    return person.label if person is not None else who
