"""Shared fixtures: real session folders in tmp_path, driven by a fake clock."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.core.session import Participant
from facilitator.i18n import set_language
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore

ROOT = Path(__file__).resolve().parent.parent
GUIDES = ROOT / "guides"
START = 1_800_000_000.0  # 2027-01-15 08:00 UTC: a fixed moment for snapshots

PARTICIPANTS = [
    Participant("P1", "Informant 1", "Housing office"),
    Participant("P2", "Informant 2", "Property office"),
    Participant("P3", "Informant 3", "NAV"),
    Participant("P4", "Informant 4", "Volunteer centre"),
    Participant("P5", "Informant 5", "State housing bank"),
]


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests read English screens unless they ask for another language."""
    monkeypatch.setenv("FACILITATOR_LANG", "en")
    set_language(None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def new_store(tmp_path: Path, clock: FakeClock) -> Callable[..., SessionStore]:
    def create(guide: str = "seed-en.toml", stage: int = 1, title: str = "Stage 1") -> SessionStore:
        return SessionStore.create(
            tmp_path / "sessions",
            load_guide(GUIDES / guide),
            title=title,
            participants=PARTICIPANTS,
            now=clock.now(),
            study="u-turn",
            stage=stage,
            guide_path=f"guides/{guide}",
        )

    return create


@pytest.fixture
def live(new_store: Callable[..., SessionStore], clock: FakeClock) -> LiveSession:
    session = LiveSession(new_store(), clock=clock)
    yield session
    if session.journal is not None:
        session.journal.close()


def venv_bin(name: str) -> str:
    """A console script of the environment running the tests."""
    import sys

    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
