"""Creating sessions as the command line and the start screen both do: the next stage of a
study (carry-over of the roster and the open follow-ups), and the consent given in writing
beforehand. One implementation, so ``facilitator next`` and the start screen cannot differ."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from facilitator.core.guide import GuideError, load_guide
from facilitator.core.session import Participant, state_of
from facilitator.core.study import plan_next_stage
from facilitator.i18n import _
from facilitator.store.session_store import SessionStore, parse_participant, slugify

MAX_PARTICIPANTS = 12


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
) -> SessionStore:
    """The next stage of ``store``'s study, created beside it: the same guide's next stage,
    the roster as it stood at the end with ``newcomers`` (``ID:LABEL[:ROLE]`` or
    participants) added, ``absent`` ids not counted present, the open follow-ups carried.

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
    created = SessionStore.create(
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
        consent=consent_ids(consent, [p.id for p in roster]),
    )
    if not info.study:  # only once the next stage exists: a refused one changes nothing
        store.set_study(slug)
    return created
