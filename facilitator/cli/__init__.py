"""The ``facilitator`` command line (``facilitator.cli:main``)."""

from facilitator.cli.commands import main

__all__ = ["main"]
