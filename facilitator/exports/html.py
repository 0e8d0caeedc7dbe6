"""The report: the summary as one self-contained, printable HTML5 page.

Everything is in the one file: the style sheet is inline and the charts are inline SVG drawn
here, so the page opens offline, sends nothing anywhere and prints on A4. It carries what the
Markdown summary carries (``exports.markdown``), with two charts: talk time per participant
against the fair share, and the turns across the session's phases.

Pseudonyms only: real names appear only when the summary was built with ``with_names``, and
then under a banner that says so.
"""

from __future__ import annotations

from html import escape
from typing import Any

from facilitator.core.collect import paused_collection
from facilitator.core.notes import quoted, tag_word, tags_text
from facilitator.core.talk_figures import balance_text
from facilitator.core.timefmt import clock, local_time
from facilitator.core.transcript import StatementsNear
from facilitator.exports.markdown import (
    note_speaker,
    notes_by_question,
    outcome_text,
    session_facts,
    spoken_line,
    wall_s,
)
from facilitator.i18n import _, language

MODERATOR = "moderator"
# Tableau 10: distinct hues that stay apart in print and for most colour-blind readers.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
MODERATOR_COLOUR = "#3d4451"
BREAK_COLOUR = "#c2410c"

CSS = """
:root {
  --ink: #1d2430; --muted: #5b6576; --line: #d9dee7; --soft: #f4f6fa;
  --accent: #2b5c8a; --ok: #2e7d4f; --warn: #a15c00; --bad: #b3261e;
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  margin: 0; background: #eceff4; color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", "DejaVu Sans", sans-serif;
}
main {
  max-width: 1000px; margin: 24px auto; background: #fff; padding: 36px 48px 28px;
  border-radius: 6px; box-shadow: 0 1px 4px rgba(20, 30, 50, .12);
}
header.report { border-bottom: 3px solid var(--accent); padding-bottom: 14px; }
.kicker {
  text-transform: uppercase; letter-spacing: .08em; font-size: 12px; font-weight: 600;
  color: var(--accent);
}
h1 { font-size: 28px; line-height: 1.2; margin: 4px 0 2px; }
.subtitle { color: var(--muted); margin: 0; }
.chips { margin: 8px 0 0; padding: 0; list-style: none; }
.chips li {
  display: inline-block; border: 1px solid var(--line); border-radius: 999px;
  padding: 0 10px; font-size: 13px; margin: 4px 6px 0 0; background: var(--soft);
}
.banner {
  border: 2px solid var(--bad); background: #fdecea; color: #6b1410; padding: 10px 16px;
  border-radius: 6px; margin: 0 0 18px; font-weight: 600;
}
.banner span { display: block; font-weight: 400; }
.banner.private { border-color: var(--warn); background: #fff4e0; color: #4d3000; }
.kpis {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 10px;
  margin: 18px 0 8px;
}
.kpi {
  border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: var(--soft);
}
.kpi .label {
  display: block; font-size: 11px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .05em;
}
.kpi .value { display: block; font-size: 22px; font-weight: 650; line-height: 1.3; }
.kpi .sub { display: block; font-size: 12px; color: var(--muted); }
dl.facts {
  display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 12px 0 0;
  font-size: 14px;
}
dl.facts.two { grid-template-columns: max-content 1fr max-content 1fr; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.pct { display: inline-block; min-width: 3.2em; text-align: right; }
h2 {
  font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; color: var(--accent);
  border-bottom: 1px solid var(--line);
}
h3 { font-size: 16px; margin: 20px 0 6px; }
h4 { font-size: 14px; margin: 14px 0 4px; font-weight: 600; }
p.lead { margin: 4px 0 10px; color: var(--muted); font-size: 14px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 8px 0 14px; }
thead { display: table-header-group; }
th, td {
  text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top;
}
th { background: var(--soft); font-weight: 600; font-size: 13px; color: #394150; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.over { color: var(--bad); font-weight: 600; }
tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
table.matrix { font-size: 13px; }
table.matrix th, table.matrix td { padding: 4px 5px; }
table.matrix th { font-size: 12px; }
table.matrix td.num, table.matrix th.num { text-align: center; }
.scroll { overflow-x: auto; }
figure { margin: 10px 0 16px; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
svg text { font-family: inherit; }
.legend { margin: 6px 0 0; padding: 0; list-style: none; font-size: 13px; color: var(--muted); }
.legend li { display: inline-block; margin: 0 16px 2px 0; }
.swatch {
  display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px;
  vertical-align: -1px;
}
.swatch.line { width: 3px; }
.swatch.hatch { background: repeating-linear-gradient(45deg, #8a94a6 0 2px, #fff 2px 5px); }
.phases { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; }
.phase-block { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px 10px; }
.phase-block h3 { margin: 2px 0 2px; }
.phase-block p { margin: 0 0 6px; font-size: 13px; color: var(--muted); }
ul.plain { margin: 0; padding-left: 18px; font-size: 14px; }
.nowrap { white-space: nowrap; }
ul.checks { list-style: none; padding: 0; margin: 0; font-size: 14px; }
ul.checks li { padding: 3px 0 3px 24px; position: relative; }
ul.checks .mark { position: absolute; left: 0; width: 18px; text-align: center; font-weight: 700; }
ul.checks .yes { color: var(--ok); }
ul.checks .no { color: #9aa3b2; }
ul.checks .time { color: var(--muted); font-size: 12px; white-space: nowrap; }
.kind { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
ul.notes { list-style: none; padding: 0; margin: 0 0 8px; }
ul.notes li {
  display: grid; grid-template-columns: 3.6em 1fr; gap: 0 10px; padding: 5px 0;
  border-bottom: 1px dashed var(--line); font-size: 14px;
}
.time { font-variant-numeric: tabular-nums; color: var(--muted); }
.who { font-weight: 600; margin-right: 4px; }
.edited { color: var(--muted); font-size: 12px; }
.tag {
  display: inline-block; font-size: 11px; border-radius: 4px; padding: 0 6px; margin-left: 4px;
  background: #e8edf5; color: #2b3b55; white-space: nowrap;
}
.tag-quote { background: #e3eefb; color: #1d4f86; }
.tag-theme { background: #e7f4ea; color: #23653b; }
.tag-follow-up { background: #fff0dc; color: #7a4300; }
.tag-summary { background: #efe8f7; color: #553a7a; }
.tag-observation { background: #eef0f3; color: #3f4756; }
.tag-between { background: #e4f4f3; color: #1f5f5b; }
blockquote {
  margin: 8px 0; padding: 8px 14px; border-left: 4px solid var(--accent);
  background: var(--soft); font-size: 15px;
}
blockquote p { margin: 0; font-style: italic; }
blockquote p.spoken { font-style: normal; color: var(--muted); margin-top: 2px; }
blockquote footer { font-size: 12px; color: var(--muted); margin-top: 2px; }
.verdict {
  display: inline-block; font-size: 12px; font-weight: 600; border-radius: 999px;
  padding: 0 9px; white-space: nowrap; border: 1px solid currentColor;
}
.v-confirmed { color: var(--ok); background: #eaf6ee; }
.v-nuanced { color: var(--warn); background: #fff4e0; }
.v-refuted { color: var(--bad); background: #fdecea; }
.v-skipped, .v-none { color: var(--muted); background: var(--soft); }
.minibar {
  display: inline-block; width: 60px; height: 8px; background: #e6e9ef; border-radius: 2px;
  margin-right: 6px; vertical-align: 0; overflow: hidden;
}
.minibar span { display: block; height: 100%; background: var(--accent); }
.muted { color: var(--muted); }
.yes { color: var(--ok); font-weight: 700; }
.no { color: #9aa3b2; }
section.private { border-left: 4px solid var(--warn); padding-left: 14px; }
details { margin: 4px 0 12px; font-size: 14px; }
details summary { cursor: pointer; color: var(--accent); }
footer.report {
  margin-top: 34px; padding-top: 8px; border-top: 1px solid var(--line); font-size: 12px;
  color: var(--muted);
}
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { background: #fff; color: #000; font-size: 10pt; }
  main { max-width: none; margin: 0; padding: 0; box-shadow: none; border-radius: 0; }
  .kpi { background: #fff; padding: 6px 8px; }
  .kpis { grid-template-columns: repeat(6, 1fr); gap: 6px; }
  .kpi .value { font-size: 15pt; }
  table { font-size: 9pt; }
  th, td { padding: 3px 5px; }
  th { font-size: 8.5pt; }
  .minibar { width: 36px; }
  h2 { font-size: 15pt; margin-top: 22px; }
  table, figure, .kpis, .phase-block, blockquote, .banner, ul.notes li, dl.facts {
    break-inside: avoid; page-break-inside: avoid;
  }
  tr { break-inside: avoid; page-break-inside: avoid; }
  /* a heading keeps with what it heads: its lead paragraph too, so neither is left at the
     foot of a page with the table or list on the next */
  h2, h3, h4, p.lead { break-after: avoid; page-break-after: avoid; }
  p.lead { break-before: avoid; page-break-before: avoid; orphans: 3; widows: 3; }
  details { display: none; }
  .scroll { overflow: visible; }
}
"""


# --- small helpers ------------------------------------------------------------------------------


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def _num(value: float) -> str:
    """A number for an SVG attribute, without trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def _fit(text: str, width: float, font_size: float) -> str:
    """``text`` cut to what fits in ``width`` units at ``font_size`` (an estimate), or ''."""
    per_char = font_size * 0.6
    room = int(width // per_char)
    if len(text) <= room:
        return text
    if room < 4:
        return ""
    return text[: room - 1].rstrip() + "…"


def _table(
    header: list[str],
    rows: list[list[str]],
    numeric: set[int] | None = None,
    cls: str = "",
    total: list[str] | None = None,
) -> list[str]:
    """A table; the cells are HTML already (escaped by the caller)."""
    numeric = numeric or set()

    def cell(tag: str, i: int, content: str) -> str:
        return (
            f'<{tag} class="num">{content}</{tag}>' if i in numeric else f"<{tag}>{content}</{tag}>"
        )

    out = [f'<table class="{cls}">' if cls else "<table>", "<thead><tr>"]
    out += [cell("th", i, h) for i, h in enumerate(header)]
    out.append("</tr></thead><tbody>")
    for row in rows:  # tens of thousands of cells in a long session: no call per cell
        out.append(
            "<tr>"
            + "".join(
                [
                    f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                    for i, c in enumerate(row)
                ]
            )
            + "</tr>"
        )
    if total is not None:
        out.append(
            '<tr class="total">' + "".join(cell("td", i, c) for i, c in enumerate(total)) + "</tr>"
        )
    out.append("</tbody></table>")
    return out


class _People:
    """Who is who: pseudonyms, colours, and the real names only when the summary has them."""

    def __init__(self, summary: dict[str, Any]) -> None:
        self.labels: dict[str, str] = dict(summary["turn_taking"].get("labels", {}))
        self.colours: dict[str, str] = {MODERATOR: MODERATOR_COLOUR}
        for i, p in enumerate(summary["participants"]):
            self.labels.setdefault(p["id"], p["label"])
            self.colours[p["id"]] = PALETTE[i % len(PALETTE)]
        self.with_names = bool(summary.get("with_names"))
        self.names: dict[str, str] = dict(summary.get("names") or {}) if self.with_names else {}

    def label(self, pid: str | None) -> str:
        if pid is None:
            return _("nobody")
        if pid == MODERATOR:
            return _("Moderator")
        return self.labels.get(pid, pid)

    def colour(self, pid: str) -> str:
        if pid not in self.colours:
            self.colours[pid] = PALETTE[len(self.colours) % len(PALETTE)]
        return self.colours[pid]

    def real_name(self, pid: str) -> str | None:
        return self.names.get(pid) if self.with_names else None


# --- the header ---------------------------------------------------------------------------------


def _header(summary: dict[str, Any]) -> list[str]:
    s = summary["session"]
    out = []
    if summary.get("with_names"):
        out.append(
            '<div class="banner" role="alert">'
            + _e(_("This report contains real names."))
            + "<span>"
            + _e(
                _(
                    "Participants' real names are shown next to their pseudonyms. "
                    "Keep this copy confidential; make a report without names to share."
                )
            )
            + "</span></div>"
        )
    if summary.get("reflections"):
        out.append(
            '<div class="banner private" role="note">'
            + _e(_("This report contains the moderator's private reflexivity log."))
            + "</div>"
        )
    out += [
        '<header class="report">',
        f'<div class="kicker">{_e(_("Focus group report"))}</div>',
        f"<h1>{_e(s['title'])}</h1>",
        f'<p class="subtitle">{_e(s["guide"])}</p>',
        '<ul class="chips">',
    ]
    chips = []
    if s.get("study"):
        chips.append(_("Study") + ": " + str(s["study"]))
    chips.append(_("Stage") + " " + str(s["stage"]))
    chips.append(_(s["status"]))
    if s.get("started_at"):
        chips.append(local_time(s["started_at"]))
    out += [f"<li>{_e(c)}</li>" for c in chips]
    out += ["</ul>", "</header>"]
    return out


def _kpis(summary: dict[str, Any]) -> list[str]:
    s = summary["session"]
    cov = summary["coverage"]
    people = summary["participants"]
    silent = len(summary["balance"]["silent"])
    notes = summary["notes"]
    quotes = sum(1 for n in notes if "quote" in n["tags"])
    gini = summary["balance"]["gini"]
    cards = [
        (
            _("Session time"),
            clock(s["duration_s"]),
            _("of {planned} planned", planned=clock(s["planned_s"])),
        ),
        (
            _("Coverage"),
            f"{cov['asked']} / {cov['questions']}",
            _("questions asked"),
        ),
        (
            _("Participants"),
            str(len(people)),
            _("{count} did not speak", count=silent) if silent else _("everyone spoke"),
        ),
        (
            _("Balance (Gini)"),
            balance_text(gini),
            _("0 = even; largest share {share}", share=_percent(summary["balance"]["max_share"])),
        ),
        (
            _("Moderator"),
            _percent(summary["moderator"]["share_of_all_talk"]),
            _("of all talk"),
        ),
        (
            _("Notes"),
            str(len(notes)),
            _(
                "quotes: {quotes}, follow-ups: {follow}",
                quotes=quotes,
                follow=len(summary["follow_ups"]),
            ),
        ),
    ]
    out = ['<div class="kpis">']
    for label, value, sub in cards:
        out.append(
            f'<div class="kpi"><span class="label">{_e(label)}</span>'
            f'<span class="value">{_e(value)}</span><span class="sub">{_e(sub)}</span></div>'
        )
    out.append("</div>")
    return out


def _facts(summary: dict[str, Any]) -> list[str]:
    s = summary["session"]
    facts = session_facts(summary, local_time)
    cov = summary["coverage"]
    facts.append(
        (
            _("Coverage"),
            _("{asked} of {total} questions asked", asked=cov["asked"], total=cov["questions"]),
        )
    )
    facts.append((_("Session"), s["id"]))
    out = ['<dl class="facts two">']
    for name, value in facts:
        out.append(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>")
    out.append("</dl>")
    return out


# --- plan and actual ----------------------------------------------------------------------------


def _plan_bar(planned: float, actual: float, scale: float) -> str:
    """A small bar: the plan as an outline, what happened filled in (red past the plan)."""
    width, height = 150.0, 12.0
    plan_w = width * planned / scale if scale else 0.0
    actual_w = width * actual / scale if scale else 0.0
    colour = "#b3261e" if actual > planned else "#2b5c8a"
    title = _("{actual} of {planned} planned", actual=clock(actual), planned=clock(planned))
    return (
        f'<svg class="planbar" width="{_num(width)}" height="{_num(height)}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" role="img" aria-label="{_e(title)}">'
        f"<title>{_e(title)}</title>"
        f'<rect x="0" y="2" width="{_num(actual_w)}" height="8" rx="1" fill="{colour}"/>'
        f'<rect x="0.5" y="0.5" width="{_num(max(plan_w - 1, 0))}" height="11" rx="2" '
        'fill="none" stroke="#5b6576" stroke-width="1" stroke-dasharray="3 2"/>'
        "</svg>"
    )


def _plan_section(summary: dict[str, Any]) -> list[str]:
    phases = summary["phases"]
    out = [f"<h2>{_e(_('Plan and actual time per phase'))}</h2>"]
    scale = max([p["planned_s"] for p in phases] + [p["actual_s"] for p in phases] + [1.0])
    rows = []
    for phase in phases:
        over = phase["actual_s"] - phase["planned_s"]
        diff = ("+" if over > 0 else "") + clock(over)
        rows.append(
            [
                _e(phase["title"]),
                _e(clock(phase["planned_s"])),
                _e(clock(phase["actual_s"])),
                f'<span class="{"over" if over > 0 else ""}">{_e(diff)}</span>',
                _plan_bar(phase["planned_s"], phase["actual_s"], scale),
            ]
        )
    planned = sum(p["planned_s"] for p in phases)
    actual = sum(p["actual_s"] for p in phases)
    over = actual - planned
    out += _table(
        [_e(_("Phase")), _e(_("Planned")), _e(_("Actual")), _e(_("Difference")), _e(_("Plan"))],
        rows,
        numeric={1, 2, 3},
        total=[
            _e(_("All phases")),
            _e(clock(planned)),
            _e(clock(actual)),
            _e(("+" if over > 0 else "") + clock(over)),
            "",
        ],
    )
    out.append(
        '<ul class="legend">'
        f'<li><span class="swatch" style="background:#2b5c8a"></span>{_e(_("actual"))}</li>'
        f'<li><span class="swatch" style="background:#b3261e"></span>{_e(_("past the plan"))}</li>'
        '<li><span class="swatch" style="border:1px dashed #5b6576"></span>'
        f"{_e(_('planned'))}</li></ul>"
    )

    blocks = [p for p in phases if p["questions"] or p["checklist"]]
    if blocks:
        out += [f"<h2>{_e(_('Questions and checklist'))}</h2>", '<div class="phases">']
        for phase in blocks:
            out += [
                '<div class="phase-block">',
                f"<h3>{_e(phase['title'])}</h3>",
                "<p>"
                + _e(
                    _(
                        "{actual} of {planned} planned",
                        actual=clock(phase["actual_s"]),
                        planned=clock(phase["planned_s"]),
                    )
                )
                + "</p>",
                '<ul class="checks">',
            ]
            for question in phase["questions"]:
                asked = question["asked"]
                mark = (
                    f'<span class="mark yes" title="{_e(_("asked"))}">✓</span>'
                    if asked
                    else f'<span class="mark no" title="{_e(_("not asked"))}">○</span>'
                )
                state = _("asked") if asked else _("not asked")
                planned_q = question.get("planned_s")
                timing = clock(question["time_s"])
                if planned_q is not None:
                    timing = _("{actual} of {planned}", actual=timing, planned=clock(planned_q))
                out.append(
                    f"<li>{mark}{_e(question['text'])} "
                    f'<span class="time">({_e(state)}, {_e(timing)})</span></li>'
                )
            for item in phase["checklist"]:
                mark = (
                    '<span class="mark yes">☑</span>'
                    if item["done"]
                    else '<span class="mark no">☐</span>'
                )
                state = _("done") if item["done"] else _("not done")
                out.append(
                    f'<li>{mark}<span class="kind">{_e(_("Checklist"))}</span> '
                    f'{_e(item["text"])} <span class="time">({_e(state)})</span></li>'
                )
            out += ["</ul>", "</div>"]
        out.append("</div>")
    return out


# --- talk time ----------------------------------------------------------------------------------


def _share_scale(peak: float) -> tuple[float, float]:
    """The step of the grid and the end of the scale for shares up to ``peak``."""
    room = min(1.0, max(peak * 1.08, 0.2))
    step = 0.05 if room <= 0.3 else 0.1 if room <= 0.6 else 0.2
    ticks = -(-room // step)  # up to the next step
    return step, min(1.0, ticks * step)


def _talk_chart(summary: dict[str, Any], people: _People) -> list[str]:
    participants = summary["participants"]
    width = 900.0
    left, right = 230.0, 770.0
    row_h, bar_h, top = 40.0, 18.0, 28.0
    height = top + row_h * len(participants) + 30.0
    peak = max([p["share"] for p in participants] + [p["fair_share"] for p in participants])
    step, scale = _share_scale(peak)
    span = right - left

    def x(share: float) -> float:
        return left + span * min(share, scale) / scale

    title = _("Talk time per participant")
    desc = _(
        "Each participant's share of participant talk as a bar; "
        "the dashed mark is their fair share (an even split among those present)."
    )
    out = [
        f'<svg id="talk-chart" viewBox="0 0 {_num(width)} {_num(height)}" role="img" '
        'aria-labelledby="talk-chart-title talk-chart-desc">',
        f'<title id="talk-chart-title">{_e(title)}</title>',
        f'<desc id="talk-chart-desc">{_e(desc)}</desc>',
    ]
    # grid and the scale on top
    steps = round(scale / step)
    for i in range(steps + 1):
        share = step * i
        gx = x(share)
        out.append(
            f'<line x1="{_num(gx)}" y1="{_num(top - 4)}" x2="{_num(gx)}" '
            f'y2="{_num(height - 28)}" stroke="#e3e7ee" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_num(gx)}" y="{_num(top - 10)}" font-size="12" fill="#5b6576" '
            f'text-anchor="middle">{_e(_percent(share))}</text>'
        )
    for i, p in enumerate(participants):
        y = top + i * row_h
        bar_y = y + (row_h - bar_h) / 2
        colour = people.colour(p["id"])
        name = people.real_name(p["id"])
        sub = " · ".join(v for v in (name, p["role"]) if v)
        tip = _(
            "{who}: {talk} in {turns} turns, {share} of participant talk (fair share {fair})",
            who=p["label"],
            talk=clock(p["talk_s"]),
            turns=p["turns"],
            share=_percent(p["share"]),
            fair=_percent(p["fair_share"]),
        )
        out.append(f'<g class="participant" data-participant="{_e(p["id"])}">')
        out.append(f"<title>{_e(tip)}</title>")
        label_y = y + row_h / 2 + (0 if sub else 4)
        out.append(
            f'<text x="{_num(left - 10)}" y="{_num(label_y)}" font-size="14" font-weight="600" '
            f'fill="#1d2430" text-anchor="end">{_e(_fit(p["label"], left - 16, 14))}</text>'
        )
        if sub:
            out.append(
                f'<text x="{_num(left - 10)}" y="{_num(label_y + 14)}" font-size="12" '
                f'fill="#5b6576" text-anchor="end">{_e(_fit(sub, left - 16, 12))}</text>'
            )
        out.append(
            f'<rect x="{_num(left)}" y="{_num(bar_y)}" width="{_num(span)}" '
            f'height="{_num(bar_h)}" fill="#f1f3f7"/>'
        )
        out.append(
            f'<rect class="bar" data-bar="{_e(p["id"])}" x="{_num(left)}" y="{_num(bar_y)}" '
            f'width="{_num(x(p["share"]) - left)}" height="{_num(bar_h)}" rx="2" '
            f'fill="{colour}"/>'
        )
        fx = x(p["fair_share"])
        out.append(
            f'<line class="fair" x1="{_num(fx)}" y1="{_num(bar_y - 5)}" x2="{_num(fx)}" '
            f'y2="{_num(bar_y + bar_h + 5)}" stroke="#1d2430" stroke-width="2" '
            'stroke-dasharray="4 2"/>'
        )
        out.append(
            f'<text x="{_num(right + 12)}" y="{_num(bar_y + bar_h - 4)}" font-size="14" '
            f'fill="#1d2430"><tspan font-weight="600">{_e(_percent(p["share"]))}</tspan>'
            f'<tspan fill="#5b6576"> · {_e(clock(p["talk_s"]))}</tspan></text>'
        )
        out.append("</g>")
    # the moderator's share of all talk, as a split bar under the participants
    m_share = summary["moderator"]["share_of_all_talk"]
    y = height - 20
    out.append(
        f'<text x="{_num(left - 10)}" y="{_num(y + 10)}" font-size="12" fill="#5b6576" '
        f'text-anchor="end">{_e(_("All talk"))}</text>'
    )
    part_w = span * (1 - m_share)
    out.append(
        f'<rect x="{_num(left)}" y="{_num(y)}" width="{_num(part_w)}" height="12" '
        'fill="#b8c7da"><title>'
        + _e(_("Participants: {share} of all talk", share=_percent(1 - m_share)))
        + "</title></rect>"
    )
    out.append(
        f'<rect x="{_num(left + part_w)}" y="{_num(y)}" width="{_num(span - part_w)}" '
        f'height="12" fill="{MODERATOR_COLOUR}"><title>'
        + _e(_("Moderator: {share} of all talk", share=_percent(m_share)))
        + "</title></rect>"
    )
    out.append(
        f'<text x="{_num(right + 12)}" y="{_num(y + 10)}" font-size="12" fill="#5b6576">'
        + _e(_("moderator {share}", share=_percent(m_share)))
        + "</text>"
    )
    out.append("</svg>")
    return out


def _talk_section(summary: dict[str, Any], people: _People) -> list[str]:
    out = [f"<h2>{_e(_('Talk time'))}</h2>", "<figure>"]
    out += _talk_chart(summary, people)
    m = summary["moderator"]
    out.append(
        '<figcaption><ul class="legend">'
        f'<li><span class="swatch" style="background:{PALETTE[0]}"></span>'
        f"{_e(_('share of participant talk'))}</li>"
        '<li><span class="swatch line" style="background:#1d2430"></span>'
        f"{_e(_('fair share'))}</li>"
        f'<li><span class="swatch" style="background:{MODERATOR_COLOUR}"></span>'
        + _e(
            _(
                "Moderator: {talk} in {turns} turns, {share} of all talk",
                talk=clock(m["talk_s"]),
                turns=m["turns"],
                share=_percent(m["share_of_all_talk"]),
            )
        )
        + "</li></ul></figcaption>",
    )
    out.append("</figure>")
    header = [_("Participant"), _("Role")]
    if people.with_names:
        header.append(_("Real name"))
    header += [_("Talk"), _("Share"), _("Fair share"), _("Turns"), _("Longest"), _("Overlaps")]
    rows = []
    for p in summary["participants"]:
        share = max(0.0, min(1.0, p["share"]))
        row = [
            f'<span class="nowrap"><span class="swatch" '
            f'style="background:{people.colour(p["id"])}"></span>'
            f'{_e(p["label"])} <span class="muted">({_e(p["id"])})</span></span>',
            _e(p["role"] or "–"),
        ]
        if people.with_names:
            row.append(_e(people.real_name(p["id"]) or "–"))
        row += [
            _e(clock(p["talk_s"])),
            f'<span class="minibar"><span style="width:{share * 100:.1f}%"></span></span>'
            f'<span class="pct">{_e(_percent(p["share"]))}</span>',
            _e(_percent(p["fair_share"])),
            _e(p["turns"]),
            _e(clock(p["longest_turn_s"])),
            _e(p.get("overlaps_made", 0)),
        ]
        rows.append(row)
    first_num = 3 if people.with_names else 2
    out += _table([_e(h) for h in header], rows, numeric=set(range(first_num, len(header))))
    b = summary["balance"]
    facts = [
        (
            _("Moderator"),
            _(
                "{talk} in {turns} turns, {share} of all talk",
                talk=clock(m["talk_s"]),
                turns=m["turns"],
                share=_percent(m["share_of_all_talk"]),
            ),
        ),
        (_("Balance (Gini, 0 = even)"), balance_text(b["gini"])),
        (_("Silence"), clock(b.get("silence_s", 0.0))),
    ]
    if b["silent"]:
        facts.append((_("Did not speak"), ", ".join(people.label(i) for i in b["silent"])))
    out.append('<dl class="facts">')
    out += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts]
    out.append("</dl>")
    out += _turn_taking(summary, people)
    return out


def _turn_taking(summary: dict[str, Any], people: _People) -> list[str]:
    out: list[str] = []
    follows = summary["turn_taking"]["follows"]
    if follows:
        ids = [p["id"] for p in summary["participants"]] + [MODERATOR]
        counts = {(f["from"], f["to"]): f["count"] for f in follows}
        top = max(counts.values())
        out += [
            f"<h3>{_e(_('Who spoke after whom'))}</h3>",
            '<p class="lead">'
            + _e(_("Rows: who spoke; columns: who spoke next. Darker cells: more often."))
            + "</p>",
        ]
        rows = []
        for a in ids:
            row = [f'<strong class="nowrap">{_e(people.label(a))}</strong>']
            for b in ids:
                n = counts.get((a, b), 0)
                if n:
                    alpha = 0.12 + 0.6 * n / top
                    ink = "#fff" if alpha > 0.5 else "#1d2430"
                    row.append(
                        f'<span style="display:block;background:rgba(43,92,138,{alpha:.2f});'
                        f'color:{ink};border-radius:3px">{n}</span>'
                    )
                else:
                    row.append("")
            rows.append(row)
        out.append('<div class="scroll">')
        out += _table(
            [_e(_("after ↓ / then →"))] + [_e(people.label(i)) for i in ids],
            rows,
            numeric=set(range(1, len(ids) + 1)),
            cls="matrix",
        )
        out.append("</div>")
    overlaps = summary["turn_taking"]["overlaps"]
    if overlaps:
        out += [f"<h3>{_e(_('Overlaps'))}</h3>", '<ul class="plain">']
        for o in overlaps:
            text = _(
                "{who} talked over {over}: {count}",
                who=people.label(o["who"]),
                over=people.label(o["over"]),
                count=o["count"],
            )
            out.append(f"<li>{_e(text)}</li>")
        out.append("</ul>")
    return out


# --- the timeline of turns ----------------------------------------------------------------------


def _phase_bands(summary: dict[str, Any], duration: float) -> list[dict[str, Any]]:
    """Stretches of the session clock per phase, from the timeline (else from phase times)."""
    titles = {p["id"]: p["title"] for p in summary["phases"]}
    bands: list[dict[str, Any]] = []
    entries = sorted(
        (t for t in summary["timeline"] if t["kind"] == "question"), key=lambda t: t["start_s"]
    )
    for entry in entries:
        start = entry["start_s"]
        end = duration if entry["end_s"] is None else entry["end_s"]
        if end <= start:
            continue
        last = bands[-1] if bands else None
        if last is not None and last["phase"] == entry["phase"] and start - last["end"] < 0.5:
            last["end"] = max(last["end"], end)
        else:
            title = titles.get(entry["phase"], entry["phase"])
            bands.append({"phase": entry["phase"], "title": title, "start": start, "end": end})
    if not bands:
        at = 0.0
        for phase in summary["phases"]:
            if phase["actual_s"] > 0:
                end = at + phase["actual_s"]
                bands.append(
                    {"phase": phase["id"], "title": phase["title"], "start": at, "end": end}
                )
                at = end
    return bands


def _tick_step(duration: float) -> float:
    for step in (10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600):
        if duration / step <= 10:
            return float(step)
    return 7200.0


def _timeline_chart(summary: dict[str, Any], people: _People) -> list[str]:
    turns = summary["turns"]
    timeline = summary["timeline"]
    notes = summary["notes"]
    duration = max(
        [summary["session"]["duration_s"], 1.0]
        + [t["end_s"] for t in turns]
        + [t["end_s"] for t in timeline if t["end_s"] is not None]
    )
    speakers = [MODERATOR] + [p["id"] for p in summary["participants"]]
    for turn in turns:
        if turn["who"] not in speakers:
            speakers.append(turn["who"])
            people.labels.setdefault(turn["who"], turn["label"] or turn["who"])

    width = 900.0
    left, right = 130.0, 885.0
    span = right - left
    band_h, lane_h, row_h, block_h = 22.0, 16.0, 24.0, 16.0
    rows_top = band_h + lane_h  # breaks are marked in the lane between phases and rows
    rows_bottom = rows_top + row_h * len(speakers)
    notes_h = 20.0 if notes else 0.0
    plot_bottom = rows_bottom + notes_h
    height = plot_bottom + 28

    def x(t: float) -> float:
        return left + span * max(0.0, min(t, duration)) / duration

    title = _("Timeline of turns")
    desc = _(
        "One row per speaker across the session clock ({duration}), a block per turn; "
        "the phases on top, breaks and time with the app not running marked.",
        duration=clock(duration),
    )
    out = [
        f'<svg id="timeline-chart" viewBox="0 0 {_num(width)} {_num(height)}" role="img" '
        'aria-labelledby="timeline-chart-title timeline-chart-desc">',
        f'<title id="timeline-chart-title">{_e(title)}</title>',
        f'<desc id="timeline-chart-desc">{_e(desc)}</desc>',
        "<defs>"
        '<pattern id="down-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#8a94a6" stroke-width="2.5"/>'
        "</pattern></defs>",
    ]
    # phase bands, with their titles on top
    for i, band in enumerate(_phase_bands(summary, duration)):
        bx, bw = x(band["start"]), x(band["end"]) - x(band["start"])
        tip = f"{band['title']}: {clock(band['start'])}–{clock(band['end'])}"
        fill = "#eef2f8" if i % 2 == 0 else "#f7f9fc"
        head = "#dbe4f0" if i % 2 == 0 else "#e8edf5"
        out += [
            f'<g class="phase" data-phase="{_e(band["phase"])}"><title>{_e(tip)}</title>',
            f'<rect x="{_num(bx)}" y="0" width="{_num(bw)}" height="{_num(plot_bottom)}" '
            f'fill="{fill}"/>',
            f'<rect x="{_num(bx)}" y="0" width="{_num(bw)}" height="{_num(band_h)}" '
            f'fill="{head}"/>',
            f'<line x1="{_num(bx)}" y1="0" x2="{_num(bx)}" y2="{_num(plot_bottom)}" '
            'stroke="#9aa8bd" stroke-width="1"/>',
        ]
        label = _fit(band["title"], bw - 8, 12)
        if label:
            out.append(
                f'<text x="{_num(bx + 4)}" y="{_num(band_h - 7)}" font-size="12" '
                f'font-weight="600" fill="#2b3b55">{_e(label)}</text>'
            )
        out.append("</g>")
    # time with the app not running (session time went on), hatched
    for gap in timeline:
        if gap["kind"] != "down":
            continue
        end = duration if gap["end_s"] is None else gap["end_s"]
        gx, gw = x(gap["start_s"]), max(x(end) - x(gap["start_s"]), 1.0)
        tip = _(
            "App not running {start}–{end} (counted as session time)",
            start=clock(gap["start_s"]),
            end=clock(end),
        )
        out.append(
            f'<rect class="down" x="{_num(gx)}" y="{_num(rows_top)}" width="{_num(gw)}" '
            f'height="{_num(rows_bottom - rows_top)}" fill="url(#down-hatch)" opacity="0.55">'
            f"<title>{_e(tip)}</title></rect>"
        )
    # the rows and their turns
    for r, who in enumerate(speakers):
        y = rows_top + r * row_h
        out.append(
            f'<line x1="{_num(left)}" y1="{_num(y + row_h)}" x2="{_num(right)}" '
            f'y2="{_num(y + row_h)}" stroke="#e1e6ee" stroke-width="1"/>'
        )
        weight = ' font-weight="600"' if who == MODERATOR else ""
        out.append(
            f'<text x="{_num(left - 8)}" y="{_num(y + row_h / 2 + 4)}" font-size="13"{weight} '
            f'fill="#1d2430" text-anchor="end">{_e(_fit(people.label(who), left - 12, 13))}</text>'
        )
    # a block per turn: tens of thousands in a long session, so what is the same for every
    # turn of a speaker is made once, and x() is inlined
    per_speaker = {
        who: (
            _num(rows_top + r * row_h + (row_h - block_h) / 2),
            _e(who),
            people.colour(who),
            _e(people.label(who)),  # a turn's tip escaped is this and clock() text (safe)
        )
        for r, who in enumerate(speakers)
    }
    block = _num(block_h)
    for i, turn in enumerate(turns):
        y_text, who_e, colour, label_e = per_speaker[turn["who"]]
        start, end = turn["start_s"], turn["end_s"]
        tx = left + span * max(0.0, min(start, duration)) / duration
        tw = max(left + span * max(0.0, min(end, duration)) / duration - tx, 1.5)
        tip_e = f"{label_e}: {clock(start)}–{clock(end)} ({clock(end - start)})"
        out.append(
            f'<rect class="turn" data-turn="{i}" data-who="{who_e}" x="{_num(tx)}" '
            f'y="{y_text}" width="{_num(tw)}" height="{block}" rx="1.5" '
            f'fill="{colour}"><title>{tip_e}</title></rect>'
        )
    # notes, as small diamonds on their own row
    if notes:
        y = rows_bottom + notes_h / 2
        out.append(
            f'<text x="{_num(left - 8)}" y="{_num(y + 4)}" font-size="12" fill="#5b6576" '
            f'text-anchor="end">{_e(_("Notes"))}</text>'
        )
        for note in notes:
            nx = x(note["t_s"])
            tags = tags_text(note["tags"])
            tip = f"{clock(note['t_s'])}: {note['text']}" + (f" {tags}" if tags else "")
            out.append(
                f'<path class="note" d="M{_num(nx)} {_num(y - 5)} l4 5 l-4 5 l-4 -5 z" '
                f'fill="#2b5c8a" opacity="0.8"><title>{_e(tip)}</title></path>'
            )
    # breaks: the session clock stood still, so a line where it stopped
    for gap in timeline:
        if gap["kind"] != "pause":
            continue
        px = x(gap["start_s"])
        wall = wall_s(gap)
        tip = _("Break at {at}: {duration}", at=clock(gap["start_s"]), duration=clock(wall))
        out.append(
            f'<g class="break"><title>{_e(tip)}</title>'
            f'<line x1="{_num(px)}" y1="{_num(band_h)}" x2="{_num(px)}" '
            f'y2="{_num(plot_bottom)}" stroke="{BREAK_COLOUR}" stroke-width="2" '
            'stroke-dasharray="5 3"/>'
            f'<rect x="{_num(px - 6)}" y="{_num(band_h + 2)}" width="12" height="12" rx="2" '
            f'fill="{BREAK_COLOUR}"/>'
            f'<rect x="{_num(px - 3)}" y="{_num(band_h + 4.5)}" width="2" height="7" fill="#fff"/>'
            f'<rect x="{_num(px + 1)}" y="{_num(band_h + 4.5)}" width="2" height="7" fill="#fff"/>'
            "</g>"
        )
    # the time axis
    out.append(
        f'<line x1="{_num(left)}" y1="{_num(plot_bottom)}" x2="{_num(right)}" '
        f'y2="{_num(plot_bottom)}" stroke="#5b6576" stroke-width="1"/>'
    )
    step = _tick_step(duration)
    hours = duration >= 3600

    def tick(t: float) -> str:
        whole = int(t)
        return f"{whole // 3600}:{whole % 3600 // 60:02d}" if hours else clock(t)

    t = 0.0
    while t <= duration + 0.001:
        tx = x(t)
        anchor = "end" if tx > right - 20 else "middle"
        out.append(
            f'<line x1="{_num(tx)}" y1="{_num(plot_bottom)}" x2="{_num(tx)}" '
            f'y2="{_num(plot_bottom + 4)}" stroke="#5b6576" stroke-width="1"/>'
            f'<text x="{_num(tx)}" y="{_num(plot_bottom + 16)}" font-size="12" fill="#5b6576" '
            f'text-anchor="{anchor}">{_e(tick(t))}</text>'
        )
        t += step
    out.append("</svg>")
    return out


def _timeline_section(summary: dict[str, Any], people: _People) -> list[str]:
    turns = summary["turns"]
    if not turns and not summary["timeline"]:
        return []
    out = [f"<h2>{_e(_('Timeline'))}</h2>", "<figure>"]
    out += _timeline_chart(summary, people)
    kinds = {t["kind"] for t in summary["timeline"]}
    legend = [f'<li><span class="swatch" style="background:#dbe4f0"></span>{_e(_("phase"))}</li>']
    if "pause" in kinds:
        legend.append(
            f'<li><span class="swatch line" style="background:{BREAK_COLOUR}"></span>'
            f"{_e(_('break (the session clock stopped)'))}</li>"
        )
    if "down" in kinds:
        legend.append(
            '<li><span class="swatch hatch"></span>'
            f"{_e(_('app not running (counted as session time)'))}</li>"
        )
    if summary["notes"]:
        legend.append(
            '<li><span class="swatch" style="background:#2b5c8a;transform:rotate(45deg) '
            f'scale(.7)"></span>{_e(_("note"))}</li>'
        )
    out.append('<figcaption><ul class="legend">' + "".join(legend) + "</ul></figcaption>")
    out.append("</figure>")
    if turns:
        out.append(
            "<details><summary>"
            + _e(_("The turns as a table ({count})", count=len(turns)))
            + "</summary>"
        )
        titles = {p["id"]: _e(p["title"]) for p in summary["phases"]}
        # clock() text never needs escaping; labels and titles are escaped once, not per row
        labels = {t["who"]: _e(people.label(t["who"])) for t in turns}
        rows = [
            [
                clock(t["start_s"]),
                clock(t["end_s"]),
                clock(t["end_s"] - t["start_s"]),
                labels[t["who"]],
                titles.get(t["phase"] or "") or _e(t["phase"] or "–"),
            ]
            for t in turns
        ]
        out += _table(
            [_e(_("From")), _e(_("To")), _e(_("Length")), _e(_("Speaker")), _e(_("Phase"))],
            rows,
            numeric={0, 1, 2},
        )
        out.append("</details>")
    return out


# --- notes, quotes, follow-ups, member check ----------------------------------------------------


def _note_item(note: dict[str, Any], with_question: bool = False) -> str:
    tags = "".join(f'<span class="tag tag-{_e(t)}">{_e(tag_word(t))}</span>' for t in note["tags"])
    speaker = note_speaker(note)
    who = f'<span class="who">{_e(speaker)}:</span>' if speaker else ""
    text = quoted(note["text"]) if "quote" in note["tags"] else note["text"]
    edited = f' <span class="edited">({_e(_("edited"))})</span>' if note.get("edited") else ""
    question = ""
    if with_question and note.get("question_text"):
        question = f'<br><span class="muted">{_e(note["question_text"])}</span>'
    return (
        f'<li><span class="time">{_e(clock(note["t_s"]))}</span>'
        f"<span>{who}{_e(text)}{edited}{tags}{question}</span></li>"
    )


def _notes_section(summary: dict[str, Any]) -> list[str]:
    notes = summary["notes"]
    out: list[str] = []
    if notes:
        out.append(f"<h2>{_e(_('Notes'))}</h2>")
        for title, groups in notes_by_question(summary):
            if title is None:  # one list, each note with its question
                out.append(f"<h3><em>{_e(_('Not tied to a phase'))}</em></h3>")
                out.append('<ul class="notes">')
                out += [_note_item(n, True) for _question, group in groups for n in group]
                out.append("</ul>")
                continue
            out.append(f"<h3>{_e(title)}</h3>")
            for question, group in groups:
                heading = (
                    _e(question) if question else f"<em>{_e(_('Not tied to a question'))}</em>"
                )
                out.append(f"<h4>{heading}</h4>")
                out.append('<ul class="notes">')
                out += [_note_item(n) for n in group]
                out.append("</ul>")
    quotes = [n for n in notes if "quote" in n["tags"]]
    if quotes:
        out.append(f"<h2>{_e(_('Quotes'))}</h2>")
        near = StatementsNear(summary.get("transcript"))
        for n in quotes:
            source = [clock(n["t_s"])]
            if n["speaker_id"] is not None:
                source.insert(0, note_speaker(n))
            if n.get("question_text"):
                source.append(n["question_text"])
            spoken = "".join(
                f'<p class="spoken">{_e(spoken_line(statement))}</p>'
                for statement in near(n["t_s"], n["speaker_id"])
            )
            out.append(
                f"<blockquote><p>{_e(quoted(n['text']))}</p>{spoken}"
                f"<footer>{_e(' · '.join(source))}</footer></blockquote>"
            )
    follow = summary["follow_ups"]
    if follow:
        out.append(f"<h2>{_e(_('Follow-ups'))}</h2>")
        out += ['<ul class="notes">'] + [_note_item(n, True) for n in follow] + ["</ul>"]
    return out


def _member_check_section(summary: dict[str, Any]) -> list[str]:
    points = summary.get("member_check") or []
    if not points:
        return []
    rows = []
    for point in points:
        if point["skipped"]:
            verdict, cls = _("skipped"), "skipped"
        else:
            verdict, cls = outcome_text(point["outcome"]), point["outcome"] or "none"
        question = (
            f'<br><span class="muted">{_e(point["question_text"])}</span>'
            if point.get("question_text")
            else ""
        )
        rows.append(
            [
                _e(point["text"]) + question,
                f'<span class="verdict v-{cls}">{_e(verdict)}</span>',
                _e(point.get("nuance") or ""),
            ]
        )
    out = [
        f"<h2>{_e(_('Member check'))}</h2>",
        '<p class="lead">'
        + _e(_("The points read back to the group at the end, and what the group said."))
        + "</p>",
    ]
    return out + _table([_e(_("Point")), _e(_("Verdict")), _e(_("Nuance"))], rows)


def _reflections_section(summary: dict[str, Any]) -> list[str]:
    entries = summary.get("reflections")
    if not entries:
        return []
    out = [
        '<section class="private">',
        f"<h2>{_e(_('Reflexivity log (private)'))}</h2>",
        '<ul class="notes">',
    ]
    out += [
        f'<li><span class="time">{_e(clock(r["t_s"]))}</span><span>{_e(r["text"])}</span></li>'
        for r in entries
    ]
    return out + ["</ul>", "</section>"]


def _gaps_section(summary: dict[str, Any]) -> list[str]:
    gaps = [t for t in summary["timeline"] if t["kind"] in ("pause", "down")]
    if not gaps:
        return []
    rows = []
    for gap in gaps:
        wall = wall_s(gap)
        what = _("Break") if gap["kind"] == "pause" else _("App not running (session time went on)")
        rows.append([_e(clock(gap["start_s"])), _e(what), _e(clock(wall))])
    out = [f"<h2>{_e(_('Breaks and gaps'))}</h2>"]
    return out + _table([_e(_("At")), _e(_("What")), _e(_("Length"))], rows, numeric={0, 2})


# --- the study across stages --------------------------------------------------------------------


def _study_section(study: dict[str, Any]) -> list[str]:
    stages = [str(s["stage"]) for s in study["stages"]]
    out = [
        f"<h2>{_e(_('Study {study}', study=study['study']))}</h2>",
        '<p class="lead">' + _e(_("The stages of the study so far, side by side.")) + "</p>",
    ]
    out += _table(
        [_e(_("Stage")), _e(_("Session")), _e(_("Date")), _e(_("Duration")), _e(_("Participants"))],
        [
            [
                _e(s["stage"]),
                _e(s["title"]),
                _e(s["date"]),
                _e(clock(s["duration_s"])),
                _e(s["participants"]),
            ]
            for s in study["stages"]
        ],
        numeric={3, 4},
    )
    out.append(f"<h3>{_e(_('Talk time per participant and stage'))}</h3>")
    rows = []
    for person in study["talk_by_stage"]:
        cells = [_e(person["label"])]
        for stage in stages:
            figures = person["stages"].get(stage)
            if figures is None:
                cells.append("–")
                continue
            share = max(0.0, min(1.0, figures["share"]))
            cells.append(
                f'<span class="minibar"><span style="width:{share * 100:.1f}%"></span></span>'
                + _e(f"{clock(figures['talk_s'])} ({_percent(figures['share'])})")
            )
        rows.append(cells)
    out += _table(
        [_e(_("Participant"))] + [_e(_("Stage {n}", n=s)) for s in stages],
        rows,
        numeric=set(range(1, len(stages) + 1)),
    )
    out.append(f"<h3>{_e(_('Coverage of the guide across stages'))}</h3>")
    rows = []
    for question in study["coverage_by_stage"]:
        cells = [_e(question["text"])]
        for stage in stages:
            seen = question["stages"].get(stage)
            if seen is None:
                cells.append("")
            elif seen["asked"]:
                cells.append(f'<span class="yes">✓</span> {_e(clock(seen["time_s"]))}')
            else:
                cells.append(f'<span class="no" title="{_e(_("not asked"))}">○</span>')
        rows.append(cells)
    out += _table(
        [_e(_("Question"))] + [_e(_("Stage {n}", n=s)) for s in stages],
        rows,
        numeric=set(range(1, len(stages) + 1)),
    )
    if study["follow_ups"]:
        out += [f"<h3>{_e(_('Follow-ups carried between stages'))}</h3>", '<ul class="checks">']
        for item in study["follow_ups"]:
            taken = item["taken_up"]
            state = _("taken up") if taken else _("not taken up")
            mark = '<span class="mark yes">✓</span>' if taken else '<span class="mark no">○</span>'
            where = _(
                "(from stage {a}, to stage {b}: {state})",
                a=item["stage"],
                b=item["carried_to_stage"],
                state=state,
            )
            out.append(f'<li>{mark}{_e(item["text"])} <span class="time">{_e(where)}</span></li>')
        out.append("</ul>")
    return out


# --- the page -----------------------------------------------------------------------------------


@paused_collection
def render_html(summary: dict[str, Any]) -> str:
    """The summary as one self-contained HTML5 page: inline style, inline SVG, no links out."""
    s = summary["session"]
    people = _People(summary)
    body: list[str] = []
    body += _header(summary)
    body += _kpis(summary)
    body += _facts(summary)
    body += _plan_section(summary)
    if summary["participants"]:
        body += _talk_section(summary, people)
    body += _timeline_section(summary, people)
    body += _notes_section(summary)
    body += _member_check_section(summary)
    body += _reflections_section(summary)
    body += _gaps_section(summary)
    if summary.get("study"):
        body += _study_section(summary["study"])
    body.append(
        '<footer class="report">'
        + _e(
            _(
                "Made by facilitator from session {session} ({schema}).",
                session=s["id"],
                schema=summary.get("schema", ""),
            )
        )
        + " "
        + _e(
            _("Contains real names.")
            if people.with_names
            else _("Participants are shown by pseudonym.")
        )
        + "</footer>"
    )
    return _page(f"{s['title']} · {_('Focus group report')}", body)


def _page(title: str, body: list[str]) -> str:
    """One self-contained HTML5 page: inline style, no links out."""
    head = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(language())}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{_e(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
    ]
    return "\n".join(head + body + ["</main>", "</body>", "</html>"]) + "\n"


def render_study_html(study: dict[str, Any]) -> str:
    """The report of a whole study (``core.study.build_study``) as one printable page."""
    body = [f"<h1>{_e(_('Study {study}', study=study['study']))}</h1>"]
    body += _study_section(study)[1:]  # the page's own heading stands for the section's
    body.append(
        '<footer class="report">'
        + _e(_("Made by facilitator. Participants are shown by pseudonym."))
        + "</footer>"
    )
    return _page(_("Study {study}", study=study["study"]), body)
