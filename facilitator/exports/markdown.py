"""The summary as a readable Markdown document: plan against what happened."""

from __future__ import annotations

from typing import Any

from facilitator.core.timefmt import clock
from facilitator.i18n import _


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def render_markdown(summary: dict[str, Any]) -> str:
    s = summary["session"]
    out: list[str] = [f"# {s['title']}", ""]
    facts = [
        (_("Guide"), s["guide"]),
        (_("Study"), s["study"] or "–"),
        (_("Stage"), str(s["stage"])),
        (_("Status"), _(s["status"])),
        (_("Started"), s["started_at"] or "–"),
        (_("Ended"), s["ended_at"] or "–"),
        (
            _("Session time"),
            f"{clock(s['duration_s'])} " + _("of {planned} planned", planned=clock(s["planned_s"])),
        ),
    ]
    if s["pauses"]:
        facts.append(
            (
                _("Breaks"),
                _("{count} ({duration} in all)", count=s["pauses"], duration=clock(s["paused_s"])),
            )
        )
    if s["down_s"]:
        facts.append(
            (
                _("App not running"),
                _("{duration} (counted as session time)", duration=clock(s["down_s"])),
            )
        )
    out += [f"- **{name}:** {value}" for name, value in facts]
    cov = summary["coverage"]
    out += [
        "",
        f"- **{_('Coverage')}:** "
        + _("{asked} of {total} questions asked", asked=cov["asked"], total=cov["questions"]),
    ]

    out += ["", f"## {_('Plan and actual time per phase')}", ""]
    rows = []
    for phase in summary["phases"]:
        over = phase["actual_s"] - phase["planned_s"]
        rows.append(
            [
                phase["title"],
                clock(phase["planned_s"]),
                clock(phase["actual_s"]),
                ("+" if over > 0 else "") + clock(over),
            ]
        )
    out += _table([_("Phase"), _("Planned"), _("Actual"), _("Difference")], rows)

    for phase in summary["phases"]:
        if not phase["questions"] and not phase["checklist"]:
            continue
        out += ["", f"### {phase['title']}", ""]
        for question in phase["questions"]:
            mark = "x" if question["asked"] else " "
            out.append(f"- [{mark}] {question['text']} ({clock(question['time_s'])})")
        for item in phase["checklist"]:
            mark = "x" if item["done"] else " "
            out.append(f"- [{mark}] {_('Checklist')}: {item['text']}")

    if summary["participants"]:
        out += ["", f"## {_('Participants')}", ""]
        rows = [[p["id"], p["label"], p["role"] or "–"] for p in summary["participants"]]
        out += _table([_("Id"), _("Pseudonym"), _("Role")], rows)

    gaps = [t for t in summary["timeline"] if t["kind"] in ("pause", "down")]
    if gaps:
        out += ["", f"## {_('Breaks and gaps')}", ""]
        for gap in gaps:
            wall = (gap["wall_end"] or gap["wall_start"]) - gap["wall_start"]
            what = (
                _("Break")
                if gap["kind"] == "pause"
                else _("App not running (session time went on)")
            )
            out.append(f"- {clock(gap['start_s'])}: {what}, {clock(wall)}")
    return "\n".join(out) + "\n"
