"""Multi-stage studies: the same group meets again, the next stage opens with a recap.

Everything here reads sessions through ``SessionState`` (the same fold the live view uses):
the carry-over into the next stage, the recap of the stage before, and the figures across
the stages of a study.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from facilitator.core.guide import Guide
from facilitator.core.notes import CarriedFollowUp
from facilitator.core.session import Participant, SessionInfo, SessionState
from facilitator.core.summary import check_verdict, question_texts
from facilitator.core.talk import ALL
from facilitator.core.talk_figures import talk_figures
from facilitator.core.text import visible_tree


@dataclass(frozen=True)
class NextStage:
    guide: Guide  # the whole guide
    stage: int
    roster: list[Participant]
    carried: list[CarriedFollowUp]


def open_follow_ups(info: SessionInfo, state: SessionState) -> list[CarriedFollowUp]:
    """What a session hands on: its own follow-ups, and those it was handed and left open."""
    questions = question_texts(state.guide)
    labels = {p.id: p.label for p in state.roster}
    handed = [c for c in info.carried if not state.taken_up.get(c.id, False)]
    own = [
        CarriedFollowUp(
            id=f"{info.id}/{note.id}",
            text=note.text,
            stage=info.stage,
            question=questions.get(note.question or "", ""),
            speaker=labels.get(note.speaker or "", ""),
        )
        for note in state.live_notes()
        if "follow-up" in note.tags
    ]
    return handed + own


def plan_next_stage(info: SessionInfo, state: SessionState, guide: Guide) -> NextStage:
    """The next stage of ``info``'s study: the same guide's next stage, the same roster (as
    it stood at the end, with its pseudonyms and roles), the follow-ups still open."""
    stage = info.stage + 1
    if stage > guide.stages:
        raise ValueError(f"the guide has {guide.stages} stage(s): there is no stage {stage}")
    return NextStage(guide, stage, list(state.roster), open_follow_ups(info, state))


def _date(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def build_recap(info: SessionInfo, state: SessionState, now: float) -> dict[str, Any]:
    """The recap of a stage, to open the next: built from the assistant's notes.

    ``summary_points`` (with their member-check outcome where one was recorded), ``themes``,
    ``quotes`` without a speaker (read aloud, no statement may point to a person), the
    ``follow_ups`` left open, and the stage's talk ``balance``, for the moderator only.
    """
    questions = question_texts(state.guide)
    notes = state.live_notes()

    def item(note) -> dict[str, Any]:
        return {
            "id": note.id,
            "text": note.text,
            "question": questions.get(note.question or "", ""),
        }

    figures = talk_figures(state.talk, state.roster, state.session_s(now), ALL)
    recap = {
        "session": info.id,
        "title": info.title,
        "study": info.study,
        "stage": info.stage,
        "date": _date(state.started_at or info.created_at),
        "summary_points": [
            # the member check's verdict on the point where the group gave one
            {**item(n), **check_verdict(state, n.id)}
            for n in notes
            if "summary" in n.tags
        ],
        "themes": [item(n) for n in notes if "theme" in n.tags],
        "quotes": [item(n) for n in notes if "quote" in n.tags],
        "follow_ups": [c.to_dict() for c in open_follow_ups(info, state)],
        "balance": {
            "gini": None if figures.gini is None else round(figures.gini, 3),
            "participants": [
                {
                    "id": p.id,
                    "label": p.label,
                    "share": round(p.share, 3),
                    "talk_s": round(p.talk_s, 1),
                }
                for p in figures.participants
            ],
            "moderator_share_of_all_talk": round(figures.moderator_share_of_all, 3),
        },
    }
    return visible_tree(recap)  # controls made visible: the boundary of every output


def build_study(sessions: list[tuple[SessionInfo, SessionState]], now: float) -> dict[str, Any]:
    """Figures across the stages of one study: talk per participant per stage, coverage of
    the guide's questions per stage, and what became of the follow-ups."""
    sessions = sorted(sessions, key=lambda s: (s[0].stage, s[0].created_at))
    stages = [
        {
            "stage": info.stage,
            "session": info.id,
            "title": info.title,
            "date": _date(state.started_at or info.created_at),
            "duration_s": round(state.session_s(now), 3),
            # who was there at some point (planned absentees who came after all count)
            "participants": len(
                [p for p in state.roster if p.id in state.talk.presence_log]
                if state.started
                else [p for p in state.roster if p.id not in info.absent]
            ),
        }
        for info, state in sessions
    ]
    people: dict[str, dict[str, Any]] = {}
    for info, state in sessions:
        figures = talk_figures(state.talk, state.roster, state.session_s(now), ALL)
        for person in figures.participants:
            row = people.setdefault(
                person.id, {"id": person.id, "label": person.label, "stages": {}}
            )
            row["label"] = person.label  # the latest pseudonym
            present = person.id not in info.absent or person.present_s > 0
            row["stages"][str(info.stage)] = (
                {
                    "talk_s": round(person.talk_s, 3),
                    "turns": person.turns,
                    "share": round(person.share, 3),
                }
                if present
                else None
            )
    questions: dict[str, dict[str, Any]] = {}
    for info, state in sessions:
        for phase in state.guide.phases:
            for question in phase.questions:
                row = questions.setdefault(
                    question.id, {"id": question.id, "text": question.text, "stages": {}}
                )
                row["stages"][str(info.stage)] = {
                    "asked": state.asked(now, question.id),
                    "time_s": round(state.question_elapsed_s(now, question.id), 3),
                }
    follow_ups = []
    for info, state in sessions:
        for carried in info.carried:
            follow_ups.append(
                {
                    **carried.to_dict(),
                    "carried_to_stage": info.stage,
                    "taken_up": state.taken_up.get(carried.id, False),
                }
            )
    study = {
        "study": sessions[0][0].study if sessions else "",
        "stages": stages,
        "talk_by_stage": list(people.values()),
        "coverage_by_stage": list(questions.values()),
        "follow_ups": follow_ups,
    }
    return visible_tree(study)  # controls made visible: the boundary of every output
