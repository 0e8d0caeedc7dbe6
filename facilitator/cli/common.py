"""What every subcommand shares: exit codes, the one-line failure, opening a session."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from facilitator.i18n import _, sentence

EXIT_OK = 0
EXIT_ERROR = 1


def sessions_dir(args: argparse.Namespace) -> Path:
    from facilitator.store.session_store import default_sessions_dir

    return Path(args.sessions) if args.sessions else default_sessions_dir()


def fail(message: str) -> int:
    print(_("facilitator: {message}", message=sentence(message)), file=sys.stderr)
    return EXIT_ERROR


def open_store(args: argparse.Namespace):
    from facilitator.store.session_store import SessionNotFound, SessionStore

    try:
        return SessionStore.open(sessions_dir(args), args.session)
    except SessionNotFound as error:
        raise CliError(str(error)) from None


class CliError(Exception):
    pass


def load_session(store):
    """A session's info and state (the same fold the live view uses); warnings to stderr."""
    from facilitator.core.session import state_of
    from facilitator.store.session_store import SessionDamaged

    try:
        info = store.info()
        loaded = store.read_events()
        # --- damaged files: copied aside, rebuilt from what can be read, and said so ---
        repairs = store.repair(loaded)
    except SessionDamaged as error:
        raise CliError(_("the session cannot be read: {reason}", reason=error)) from None
    for problem in loaded.problems + repairs:
        print(_("warning: {problem}", problem=problem), file=sys.stderr)
    return info, state_of(info, loaded.events)


def guide_shelf(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """The folders guides come from for this command (``--guides DIR`` first)."""
    from facilitator.store.guides import guide_folders

    return guide_folders(getattr(args, "guides_dir", None))


def find_guide(args: argparse.Namespace, spec: str) -> Path:
    """The guide file a user named (a file, or a guide's name such as ``seed-nb``)."""
    from facilitator.store.guides import GuideNotFound, resolve_guide

    try:
        return resolve_guide(spec, guide_shelf(args))
    except GuideNotFound as error:
        raise CliError(str(error)) from None


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("facilitator")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


def open_writer(store, make, locked: str | None = None):
    """``make(store)``: open a writing view of the session (a live session, a transcript
    review); a damaged session, a journal locked by another window or a folder that cannot be
    written is one line (``locked``: what to say for the lock, if not the storage line)."""
    from facilitator.store.journal import JournalLocked, StorageError
    from facilitator.store.session_store import SessionDamaged

    try:
        return make(store)
    except SessionDamaged as error:
        raise CliError(_("the session cannot be read: {reason}", reason=error)) from None
    except JournalLocked as error:
        raise CliError(locked or _("cannot write to the session: {reason}", reason=error)) from None
    except StorageError as error:
        raise CliError(_("cannot write to the session: {reason}", reason=error)) from None
