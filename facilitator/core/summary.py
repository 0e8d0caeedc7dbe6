"""The end-of-session summary: one plain object (docs/summary.md) every export reads.

``build_summary`` is the single place where figures are computed for outputs;
the Markdown and JSON renderings, the end screen and later exports all take
this object, so they cannot disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from facilitator.core.audio import audio_summary, missing_consent, session_recording
from facilitator.core.collect import paused_collection
from facilitator.core.guide import Guide
from facilitator.core.session import SessionInfo, SessionState
from facilitator.core.talk import ALL, MODERATOR, phase_scope
from facilitator.core.talk_figures import TalkFigures, talk_figures
from facilitator.core.text import visible_tree
from facilitator.core.transcript import Transcript, transcript_summary

SCHEMA = "facilitator.summary/1"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _r(value: float) -> float:
    return round(float(value), 3)


def _scope_talk(figures: TalkFigures) -> dict[str, Any]:
    return {
        "participants": [
            {"id": p.id, "talk_s": _r(p.talk_s), "turns": p.turns, "share": _r(p.share)}
            for p in figures.participants
        ],
        "moderator_talk_s": _r(figures.moderator_talk_s),
        "moderator_turns": figures.moderator_turns,
        "silence_s": _r(figures.silence_s),
        "gini": None if figures.gini is None else _r(figures.gini),
    }


def _note_dict(note, labels: dict[str, str], questions: dict[str, str]) -> dict[str, Any]:
    return {
        "id": note.id,
        "t_s": _r(note.t_s),
        "author": note.author,
        "phase": note.phase,
        "question": note.question,
        "question_text": questions.get(note.question or ""),
        "speaker": None if note.speaker is None else labels.get(note.speaker, note.speaker),
        "speaker_id": note.speaker,
        "tags": list(note.tags),
        "text": note.text,
        "edited": note.edited,
    }


def question_texts(guide: Guide) -> dict[str, str]:
    """Each question's text by its id, across the guide's phases."""
    return {q.id: q.text for p in guide.phases for q in p.questions}


def check_verdict(state: SessionState, note_id: str) -> dict[str, Any]:
    """The group's verdict on a member-check point: ``outcome`` (None while unmarked) and
    ``nuance`` (None without one)."""
    outcome, nuance = state.check.marks.get(note_id, (None, ""))
    return {"outcome": outcome, "nuance": nuance or None}


def _consented(state: SessionState) -> bool:
    return bool(state.roster) and not missing_consent(state)


@paused_collection
def build_summary(
    info: SessionInfo,
    state: SessionState,
    now: float,
    with_reflections: bool = False,
    with_names: bool = False,
    transcript: Transcript | None = None,
) -> dict[str, Any]:
    """The summary of a session at ``now``: the one object every output is made from.

    The moderator's private reflexivity log is left out unless ``with_reflections`` asks
    for it; real names are left out (pseudonyms only) unless ``with_names`` asks for them.
    """
    guide = state.guide
    duration = state.session_s(now)
    talk = talk_figures(state.talk, state.roster, duration, ALL, with_details=True)
    labels = {p.id: p.label for p in state.roster}
    labels[MODERATOR] = "moderator"
    questions = question_texts(guide)
    notes = [_note_dict(n, labels, questions) for n in state.live_notes()]
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
                    {
                        "id": item.id,
                        "text": item.text,
                        # the recording consent is ticked per participant: done when all were
                        "done": _consented(state)
                        if item.consent
                        else state.checklist.get(item.id, False),
                    }
                    for item in phase.checklist
                ],
                "talk": _scope_talk(
                    talk_figures(state.talk, state.roster, duration, phase_scope(phase.id))
                ),
            }
        )
    asked = sum(1 for p in guide.phases for q in p.questions if state.asked(now, q.id))
    total_questions = sum(len(p.questions) for p in guide.phases)
    summary = {
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
            # the computer's clock jumped (never counted as session or talk time)
            "clock_steps": [
                {"t_s": _r(e.start_s), "step_s": _r(e.step_s), "wall": iso(e.wall_start)}
                for e in state.clock_steps()
            ],
            # the session-clock audio (relative to the session folder) the exports link
            "recording": session_recording(info.id, state),
        },
        "participants": [
            {
                "id": p.id,
                "label": p.label,
                "role": p.role,
                "talk_s": _r(p.talk_s),
                "turns": p.turns,
                "share": _r(p.share),
                "fair_share": _r(p.fair_share),
                "longest_turn_s": _r(p.longest_turn_s),
                "last_spoke_s": None if p.last_spoke_s is None else _r(p.last_spoke_s),
                "present_s": _r(p.present_s),
                "overlaps_made": sum(n for (who, _o), n in talk.overlaps.items() if who == p.id),
            }
            for p in talk.participants
        ],
        "moderator": {
            "talk_s": _r(talk.moderator_talk_s),
            "turns": talk.moderator_turns,
            "share_of_all_talk": _r(talk.moderator_share_of_all),
        },
        "balance": {
            "gini": None if talk.gini is None else _r(talk.gini),
            "silent": [p.id for p in talk.participants if p.silent and p.present_s > 0],
            "max_share": _r(max((p.share for p in talk.participants), default=0.0)),
            "silence_s": _r(talk.silence_s),
            "participant_talk_s": _r(talk.participant_talk_s),
        },
        "turn_taking": {
            "follows": [
                {"from": a, "to": b, "count": n} for (a, b), n in sorted(talk.follows.items())
            ],
            "overlaps": [
                {"who": who, "over": over or None, "count": n}
                for (who, over), n in sorted(talk.overlaps.items())
            ],
            "labels": labels,
        },
        "coverage": {"asked": asked, "questions": total_questions},
        "phases": phases,
        "timeline": [entry.to_dict() for entry in state.timeline],
        "notes": notes,
        "follow_ups": [n for n in notes if "follow-up" in n["tags"]],
        "member_check": [
            {
                "note": n.id,
                "text": n.text,
                "tags": list(n.tags),
                "question": n.question,
                "question_text": questions.get(n.question or ""),
                "skipped": n.id in state.check.skipped,
                **check_verdict(state, n.id),
            }
            for n in state.check_points()
        ],
        "turns": [
            {
                "start_s": _r(turn.start_s),
                "end_s": _r(turn.end_s if turn.end_s is not None else duration),
                "who": turn.who,
                "label": labels.get(turn.who or "", turn.who),
                "phase": turn.pieces[0].phase,
                "question": turn.pieces[0].question,
            }
            for turn in state.talk.turns
            if turn.who is not None
        ],
        "audio": audio_summary(state, duration),
        "transcript": None
        if transcript is None
        else transcript_summary(
            transcript,
            labels,
            ()
            if with_names
            else [(p.real_name, p.label) for p in state.roster if p.real_name.strip()],
        ),
        **(
            {
                "names": {p.id: p.real_name for p in state.roster if p.real_name},
                "with_names": True,
            }
            if with_names
            else {}
        ),
        **(
            {
                "reflections": [
                    {"t_s": _r(r.t_s), "phase": r.phase, "question": r.question, "text": r.text}
                    for r in state.reflections
                ]
            }
            if with_reflections
            else {}
        ),
    }
    return visible_tree(summary)  # controls made visible: the boundary of every output
