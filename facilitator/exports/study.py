"""The recap of a stage and the report of a study, as Markdown."""

from __future__ import annotations

import re
from typing import Any

from facilitator.core.notes import noted_by, quoted
from facilitator.core.study import point_text, shared_points
from facilitator.core.talk_figures import balance_text
from facilitator.core.timefmt import clock
from facilitator.exports.markdown import _table, outcome_text, text_bar
from facilitator.i18n import _


def render_recap_markdown(recap: dict[str, Any], for_moderator: bool) -> str:
    """The recap of a stage. For the moderator it ends with that stage's talk balance; the
    handout (``for_moderator=False``) leaves it out."""
    out = [
        "# "
        + _(
            "Recap of stage {stage}: {title}",
            stage=recap["stage"],
            title=recap["title"],
        ),
        "",
    ]
    if recap["date"]:
        out += [_("Met on {date}.", date=recap["date"]), ""]
    out += [f"## {_('What we summed up together')}", ""]
    # the moderator sees every point with the group's verdict (a refuted one struck out);
    # the group's handout only what it agreed to, with its nuances
    points = recap["summary_points"] if for_moderator else shared_points(recap)
    if points:
        for point in points:
            if not for_moderator:
                out.append(f"- {point_text(point)}")
            elif point.get("outcome") == "refuted":
                out.append(f"- ~~{point['text']}~~ *({outcome_text('refuted')})*")
            else:
                out.append(f"- {point_text(point)} *({outcome_text(point.get('outcome'))})*")
    else:
        out.append(_("No summary points were noted."))
    if recap["themes"]:
        out += ["", f"## {_('Themes')}", ""] + [f"- {t['text']}" for t in recap["themes"]]
    if recap["quotes"]:
        out += ["", f"## {_('In your own words')}", ""]
        out += [f"- {quoted(q['text'])}" for q in recap["quotes"]]
    if recap["follow_ups"]:
        out += ["", f"## {_('What we said we would come back to')}", ""]
        for item in recap["follow_ups"]:
            credit = noted_by(item.get("author", "")) if for_moderator else ""
            out.append(f"- {item['text']}" + (f" *({credit})*" if credit else ""))
    if for_moderator:
        balance = recap["balance"]
        out += ["", f"## {_('Talk balance at that stage (for the moderator only)')}", ""]
        gini = balance_text(balance["gini"])
        out.append(
            _(
                "Balance (Gini) {gini}; the moderator had {share} % of all talk.",
                gini=gini,
                share=f"{balance['moderator_share_of_all_talk'] * 100:.0f}",
            )
        )
        out.append("")
        out += _table(
            [_("Participant"), _("Share"), _("Talk")],
            [
                [
                    p["label"],
                    f"`{text_bar(p['share'])}` {p['share'] * 100:.0f} %",
                    clock(p["talk_s"]),
                ]
                for p in balance["participants"]
            ],
        )
    return "\n".join(out) + "\n"


def render_recap_text(recap: dict[str, Any]) -> str:
    """The moderator's recap as plain text for a terminal: the same content as the Markdown,
    without its markup (headings underlined, tables in aligned columns)."""
    return markdown_to_text(render_recap_markdown(recap, for_moderator=True))


def markdown_to_text(markdown: str) -> str:
    """The little Markdown the reports use, as plain text."""
    out: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if not table:
            return
        widths = [max(len(row[i]) for row in table if i < len(row)) for i in range(len(table[0]))]
        for row in table:
            out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)))
        table.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in line.strip("|").split(" | ")]
            if not all(set(c) <= {"-", "|"} for c in cells):
                table.append([_plain(c) for c in cells])
            continue
        flush()
        if line.startswith("#"):
            title = _plain(line.lstrip("#").strip())
            out += [title, ("=" if line.startswith("# ") else "-") * len(title)]
        else:
            out.append(_plain(line))
    flush()
    return "\n".join(out) + "\n"


def _plain(text: str) -> str:
    text = re.sub(r"~~(.+?)~~", r"\1", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"(?<!\w)\*(.+?)\*(?!\w)", r"\1", text)
    return text.replace("`", "")


def render_study_markdown(study: dict[str, Any]) -> str:
    stages = [str(s["stage"]) for s in study["stages"]]
    out = [f"# {_('Study {study}', study=study['study'])}", ""]
    out += _table(
        [_("Stage"), _("Session"), _("Date"), _("Duration"), _("Participants")],
        [
            [str(s["stage"]), s["title"], s["date"], clock(s["duration_s"]), str(s["participants"])]
            for s in study["stages"]
        ],
    )
    out += ["", f"## {_('Talk time per participant and stage')}", ""]
    rows = []
    for person in study["talk_by_stage"]:
        cells = [person["label"]]
        for stage in stages:
            figures = person["stages"].get(stage)
            cells.append(
                "–"
                if figures is None
                else f"{clock(figures['talk_s'])} ({figures['share'] * 100:.0f} %)"
            )
        rows.append(cells)
    out += _table([_("Participant")] + [_("Stage {n}", n=s) for s in stages], rows)
    out += ["", f"## {_('Coverage of the guide across stages')}", ""]
    rows = []
    for question in study["coverage_by_stage"]:
        cells = [question["text"]]
        for stage in stages:
            seen = question["stages"].get(stage)
            cells.append(
                "" if seen is None else ("✓ " + clock(seen["time_s"]) if seen["asked"] else "·")
            )
        rows.append(cells)
    out += _table([_("Question")] + [_("Stage {n}", n=s) for s in stages], rows)
    if study["follow_ups"]:
        out += ["", f"## {_('Follow-ups carried between stages')}", ""]
        for item in study["follow_ups"]:
            state = _("taken up") if item["taken_up"] else _("not taken up")
            out.append(
                f"- {item['text']} "
                + _(
                    "(from stage {a}, to stage {b}: {state})",
                    a=item["stage"],
                    b=item["carried_to_stage"],
                    state=state,
                )
            )
    return "\n".join(out) + "\n"
