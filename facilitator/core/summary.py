"""The end-of-session summary: one plain object (PRODUCT.md section 4) every export reads.

``build_summary`` is the single place where figures are computed for outputs;
the Markdown and JSON renderings, the end screen and later exports all take
this object, so they cannot disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from facilitator.core.session import SessionInfo, SessionState

SCHEMA = "facilitator.summary/1"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _r(value: float) -> float:
    return round(float(value), 3)


def build_summary(info: SessionInfo, state: SessionState, now: float) -> dict[str, Any]:
    guide = state.guide
    duration = state.session_s(now)
    if state.ended:
        status = "ended"
    elif state.started:
        status = "running"
    else:
        status = "not started"
    phases = []
    for phase in guide.phases:
        phases.append(
            {
                "id": phase.id,
                "title": phase.title,
                "kind": phase.kind,
                "planned_s": _r(phase.planned_s),
                "actual_s": _r(state.phase_elapsed_s(now, phase.id)),
                "questions": [
                    {
                        "id": question.id,
                        "text": question.text,
                        "asked": state.asked(now, question.id),
                        "time_s": _r(state.question_elapsed_s(now, question.id)),
                        "planned_s": None
                        if question.minutes is None
                        else _r(question.minutes * 60),
                    }
                    for question in phase.questions
                ],
                "checklist": [
                    {"id": item.id, "text": item.text, "done": state.checklist.get(item.id, False)}
                    for item in phase.checklist
                ],
            }
        )
    asked = sum(1 for p in guide.phases for q in p.questions if state.asked(now, q.id))
    total_questions = sum(len(p.questions) for p in guide.phases)
    return {
        "schema": SCHEMA,
        "session": {
            "id": info.id,
            "title": info.title,
            "study": info.study or None,
            "stage": info.stage,
            "guide": guide.title,
            "guide_file": info.guide_path or None,
            "language": guide.language or None,
            "status": status,
            "created_at": iso(info.created_at),
            "started_at": iso(state.started_at),
            "ended_at": iso(state.ended_at),
            "duration_s": _r(duration),
            "planned_s": _r(guide.planned_s),
            "paused_s": _r(state.paused_s(now)),
            "pauses": state.pause_count,
            "down_s": _r(sum((d.end_s or d.start_s) - d.start_s for d in state.downtimes())),
        },
        "participants": [
            {
                "id": p.id,
                "label": p.label,
                "role": p.role,
                "talk_s": 0.0,
                "turns": 0,
                "share": 0.0,
                "longest_turn_s": 0.0,
                "last_spoke_s": None,
            }
            for p in info.participants
        ],
        "moderator": {"talk_s": 0.0, "turns": 0, "share_of_all_talk": 0.0},
        "balance": {"gini": None},
        "coverage": {"asked": asked, "questions": total_questions},
        "phases": phases,
        "timeline": [entry.to_dict() for entry in state.timeline],
        "notes": [],
        "follow_ups": [],
    }
