"""argparse's own words (usage, options, its error messages) in the interface's language.

argparse looks its messages up through ``gettext`` at the moment it prints them; the
command's catalogue has no gettext files, so they are looked up in ours instead. The
messages below are argparse's, word for word (Python 3.11 to 3.13), marked with ``N_`` so
that ``scripts/extract_messages.py --check`` asks for their translation.
"""

from __future__ import annotations

import argparse

from facilitator.i18n import N_, _

MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("one of the arguments %s is required"),
    N_("unexpected option string: %s"),
    N_("can't open '%(filename)s': %(error)s"),
    N_("expected %s argument"),
    N_("expected %s arguments"),
)


def _gettext(message: str) -> str:
    return _(message) if message else message


def _ngettext(singular: str, plural: str, count: int) -> str:
    return _(singular if count == 1 else plural)


def use_our_catalogue() -> None:
    """Route argparse's messages through ``_`` (the language is read when each is shown)."""
    argparse._ = _gettext  # type: ignore[attr-defined]
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]
