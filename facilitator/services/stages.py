"""Creating sessions as the command line and the start screen both do: the next stage of a
study (carry-over of the roster and the open follow-ups), and the consent given in writing
beforehand. One implementation, so ``facilitator next`` and the start screen cannot differ."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from facilitator.core.guide import GuideError, load_guide
from facilitator.core.session import Participant, SessionInfo, state_of
from facilitator.core.study import plan_next_stage
from facilitator.i18n import _
from facilitator.store.session_store import (
    SessionDamaged,
    SessionStore,
    list_session_dirs,
    parse_participant,
    slugify,
)

MAX_PARTICIPANTS = 12


class StageExists(ValueError):
    """The next stage of a session was made already (``made``: those sessions' ids)."""

    def __init__(self, stage: int, session: str, made: list[str]) -> None:
        super().__init__(
            _(
                "stage {stage} of {id} exists already ({made})",
                stage=stage,
                id=session,
                made=", ".join(made),
            )
        )
        self.stage = stage
        self.session = session
        self.made = made


@contextlib.contextmanager
def held(path: Path) -> Iterator[None]:
    """An exclusive lock on the folder ``path`` while the block runs: two `next` at once, the
    second waits, then sees the first's stage."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def next_stages(store: SessionStore, info: SessionInfo, study: str, stage: int) -> list[str]:
    """The sessions already made as the next stage of ``info``."""
    found = []
    for path in list_session_dirs(store.path.parent):
        if path == store.path:
            continue
        try:
            other = SessionStore(path).info()
        except SessionDamaged:
            continue
        if other.previous == info.id or (
            info.study and other.study == study and other.stage == stage
        ):
            found.append(other.id)
    return found


def consent_ids(spec: str | None, roster_ids: list[str]) -> list[str]:
    """``P1,P2`` or ``all`` (``alle``) as ids; ValueError names an unknown id."""
    if not spec:
        return []
    if spec.strip().lower() in ("all", "alle"):
        return list(roster_ids)
    ids = [part.strip() for part in spec.replace(";", ",").split(",") if part.strip()]
    unknown = [i for i in ids if i not in roster_ids]
    if unknown:
        raise ValueError(
            _(
                "the recording consent names someone not in the roster: {ids}",
                ids=", ".join(unknown),
            )
        )
    return ids


def create_next_stage(
    store: SessionStore,
    sessions_dir: Path,
    now: float,
    newcomers: Sequence[str | Participant] = (),
    absent: Sequence[str] = (),
    title: str | None = None,
    study: str | None = None,
    consent: str | None = None,
    again: bool = False,
) -> SessionStore:
    """The next stage of ``store``'s study, created beside it: the same guide's next stage,
    the roster as it stood at the end with ``newcomers`` (``ID:LABEL[:ROLE]`` or
    participants) added, ``absent`` ids not counted present, the open follow-ups carried.

    A next stage made already is refused (``StageExists``) unless ``again``.

    Raises ValueError (a clear message: no next stage, a bad id, too many participants),
    or the store's StorageError / OSError (nothing is left half made)."""
    info = store.info()
    state = state_of(info, store.read_events().events)
    guide = info.full_guide
    if guide is None:
        try:
            guide = load_guide(info.guide_path)
        except GuideError as error:
            raise ValueError(
                _(
                    "the guide of {id} cannot be read: {problem}",
                    id=info.id,
                    problem=error.problems[0],
                )
            ) from None
    plan = plan_next_stage(info, state, guide)
    added = [p if isinstance(p, Participant) else parse_participant(p) for p in newcomers]
    roster = plan.roster + added
    if len(roster) > MAX_PARTICIPANTS:
        raise ValueError(_("at most 12 participants"))
    slug = info.study or slugify(study or info.title)
    ids = consent_ids(consent, [p.id for p in roster])

    def tag_the_stage_before() -> None:
        # just before the next stage appears, so that a refused or killed one changes
        # nothing that a study report would show
        if not info.study:
            store.set_study(slug)

    with held(store.path):
        made = next_stages(store, info, slug, plan.stage)
        if made and not again:
            raise StageExists(plan.stage, info.id, made)
        return SessionStore.create(
            sessions_dir,
            plan.guide,
            title=title or _("Stage {n}", n=plan.stage),
            participants=roster,
            now=now,
            study=slug,
            stage=plan.stage,
            guide_path=info.guide_path,
            newcomers=[p.id for p in added],
            absent=list(absent),
            previous=info.id,
            carried=plan.carried,
            consent=ids,
            before_publish=tag_the_stage_before,
        )
