"""SVG snapshots of the transcript editor at 80x24 and 120x40 (review with --snapshot-update
and look at the SVGs before committing)."""

from __future__ import annotations

import pytest

from facilitator.core.clock import FakeClock
from facilitator.services.transcript_review import TranscriptReview
from facilitator.ui.app import make_transcript_app
from tests.helpers.transcript_session import make_transcript_session


@pytest.fixture
def review(new_store, clock: FakeClock):
    made = make_transcript_session(new_store(), clock)
    session = TranscriptReview(made.store, clock=clock)
    yield session
    session.close()


async def _corrected(pilot) -> None:
    """A few corrections: a statement given to Informant 4, a quote, edited words."""
    await pilot.press("down", "down", "4", "q")
    await pilot.press("down", "e")
    pilot.app.screen.query_one("#transcript-input").value = "and then there is the waiting list"
    await pilot.press("enter")
    await pilot.press("down", "right", "right")
    await pilot.pause()


def test_transcript_editor_80x24(snap_compare, review: TranscriptReview) -> None:
    assert snap_compare(make_transcript_app(review), terminal_size=(80, 24), run_before=_corrected)


def test_transcript_editor_notes_beside_120x40(snap_compare, review: TranscriptReview) -> None:
    assert snap_compare(make_transcript_app(review), terminal_size=(120, 40), run_before=_corrected)


def test_transcript_editor_editing_80x24(snap_compare, review: TranscriptReview) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("down", "e")
        await pilot.pause()

    assert snap_compare(make_transcript_app(review), terminal_size=(80, 24), run_before=run_before)
