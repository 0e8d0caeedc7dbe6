"""The talk board: who speaks now, everyone's share against a fair share, balance, nudges.

Made to be read at a glance: each participant's bar has a marker at their fair share
(so the marker sits mid-bar and the bar's end says under or over), people who have not
spoken stand out, and the figures are there for whoever wants them.
"""

from __future__ import annotations

from rich.text import Text

from facilitator.core.nudges import Nudge
from facilitator.core.talk import MODERATOR
from facilitator.core.talk_figures import ParticipantFigures, TalkFigures
from facilitator.core.timefmt import clock
from facilitator.i18n import _
from facilitator.ui.widgets.quiet import QuietStatic

OVER_FAIR = 1.5  # a share this many times the fair share shows amber
UNDER_FAIR = 0.5  # under this fraction of the fair share shows as quiet
SETTLE_S = 300.0  # before five minutes of talk, shares say little: no colours yet


def scope_title(scope: str, state) -> str:
    if scope.startswith("phase:"):
        return _("this phase")
    if scope.startswith("question:"):
        return _("this question")
    return _("whole session")


def fair_bar(share: float, fair: float, width: int) -> Text:
    """A bar whose middle marker is the fair share: full width is twice the fair share."""
    width = max(6, width)
    if fair <= 0:
        fair = 1.0
    scale = share / (2 * fair)  # 0.5 = exactly fair
    cells = scale * width
    full = int(min(cells, width))
    marker = width // 2
    text = Text()
    for index in range(width):
        if index == marker:
            text.append("│", style="bold")
        elif index < full:
            text.append("█")
        elif index == full and cells - full >= 0.5:
            text.append("▌")
        else:
            text.append("·", style="dim")
    if scale > 1:
        text.append("▸", style="bold")
    else:
        text.append(" ")
    return text


def short_label(label: str, width: int) -> str:
    """Fit a pseudonym in ``width``, keeping what tells people apart: "Inf… 12"."""
    if len(label) <= width:
        return label
    head, _sep, last = label.rpartition(" ")
    if head and len(last) + 3 <= width:
        return head[: width - len(last) - 2] + "… " + last
    return label[: width - 1] + "…"


def nudge_text(nudge: Nudge) -> str:
    if nudge.text_id == "silent":
        return _(
            "{label} has not spoken for {minutes} minutes",
            label=nudge.label,
            minutes=f"{nudge.minutes:.0f}",
        )
    if nudge.text_id == "quiet":
        return _(
            "{label} has been quiet for {seconds} s: space ends the turn",
            label=nudge.label,
            seconds=f"{nudge.minutes * 60:.0f}",
        )
    if nudge.text_id == "unattributed":
        return _(
            "speech for {seconds} s with nobody marked: press who is speaking",
            seconds=f"{nudge.minutes * 60:.0f}",
        )
    if nudge.text_id == "share":
        return _(
            "{label} has {share} % of the talk", label=nudge.label, share=f"{nudge.share * 100:.0f}"
        )
    return _("the moderator talks {share} % of the time", share=f"{nudge.share * 100:.0f}")


class TalkBoard(QuietStatic):
    def show(
        self,
        figures: TalkFigures,
        nudges: list[Nudge],
        scope_label: str,
        overlap_pending: bool = False,
        paused: bool = False,
    ) -> None:
        if not self.content_size.width:
            return  # not laid out yet: rows sized for a guessed width would wrap and stick
        width = max(24, self.content_size.width)
        text = Text()
        # who holds the floor
        speaker = figures.speaker
        if paused:
            text.append(_("Break: nobody is tracked"), style="dim")
        elif speaker is None:
            text.append(_("Nobody speaking"), style="dim")
        else:
            name = _("Moderator") if speaker == MODERATOR else self._label(figures, speaker)
            text.append("▶ ", style="bold green")
            text.append(name, style="bold green")
            text.append(f"  {clock(figures.turn_s)}", style="bold")
        text.append("\n")
        if overlap_pending:
            text.append(
                _("Who talked over? Press 1-9 or 0 (escape: cancel)") + "\n", style="bold reverse"
            )
        # a row: "1 " label " " bar+marker " 40%" " 06:01"|" silent" [" 12:03  14t" when wide]
        wide = width >= 44
        extra = 11 if wide else 0
        label_width = max(5, min(14, width // 3, width - 17 - 6 - extra))
        bar_width = max(6, width - label_width - 17 - extra)
        settled = figures.participant_talk_s >= SETTLE_S
        for person in figures.participants:
            text.append_text(self._row(person, label_width, bar_width, wide, settled))
            text.append("\n")
        moderator_line = _(
            "0 Moderator {share} %", share=f"{figures.moderator_share_of_all * 100:.0f}"
        )
        if width >= 30:
            moderator_line += " " + _("of all talk")
        text.append(moderator_line, style="bold green" if speaker == MODERATOR else "")
        if wide:
            text.append(f"  {clock(figures.moderator_talk_s)}", style="dim")
        text.append("\n")
        balance = "–" if figures.gini is None else f"{figures.gini:.2f}"
        trend = ""
        if figures.gini_trend is not None:
            if figures.gini_trend > 0.02:
                trend = " ↑ " + _("less even")
            elif figures.gini_trend < -0.02:
                trend = " ↓ " + _("more even")
            else:
                trend = " → " + _("steady")
        text.append(_("Balance {value}", value=balance), style="bold")
        text.append(trend, style="dim")
        text.append("\n" + _("Figures for: {scope} (v)", scope=scope_label), style="dim")
        silent = [n for n in nudges if n.text_id == "silent"]
        others = [n for n in nudges if n.text_id != "silent"]
        if len(silent) > 2:  # one calm line, not a wall of them
            names = ", ".join(n.label for n in silent[:4]) + (" …" if len(silent) > 4 else "")
            shortest = min(n.minutes for n in silent)
            text.append("\n")
            text.append(
                "• "
                + _(
                    "{count} have not spoken for {minutes}+ minutes: {names}",
                    count=len(silent),
                    minutes=f"{shortest:.0f}",
                    names=names,
                ),
                style="italic #d7af5f",
            )
            silent = []
        for nudge in [*silent, *others]:
            text.append("\n")
            text.append("• " + nudge_text(nudge), style="italic #d7af5f")
        if nudges:
            text.append("\n" + _("x: dismiss these reminders"), style="dim")
        self.show_text(text)  # a new text is laid out again: the notes below follow its height

    @staticmethod
    def _label(figures: TalkFigures, pid: str) -> str:
        for person in figures.participants:
            if person.id == pid:
                return person.label
        return pid

    @staticmethod
    def _row(
        person: ParticipantFigures, label_width: int, bar_width: int, wide: bool, settled: bool
    ) -> Text:
        row = Text()
        key = str(person.key) if person.key is not None else " "
        label = short_label(person.label, label_width)
        if not person.present:
            row.append(f"{key} {label:<{label_width}} ", style="dim strike")
            row.append(_("away"), style="dim")
            return row
        if person.speaking:
            label_style = "bold reverse green"
        elif person.silent:
            label_style = "bold #ffaf00"  # has not spoken at all: stands out
        else:
            label_style = ""
        row.append(f"{key} ", style="bold")
        row.append(f"{label:<{label_width}}", style=label_style)
        row.append(" ")
        bar = fair_bar(person.share, person.fair_share, bar_width)
        if settled and person.fair_share > 0:
            ratio = person.share / person.fair_share
            if ratio >= OVER_FAIR:
                bar.stylize("#e0a526")
            elif ratio <= UNDER_FAIR:
                bar.stylize("#5f87d7")
        row.append_text(bar)
        row.append(f"{person.share * 100:3.0f}%")
        if wide:
            row.append(f" {clock(person.talk_s)} {person.turns:>3}", style="dim")
        if person.speaking:
            row.append(" " + _("now"), style="bold green")
        elif person.silent:
            row.append(" " + _("silent"), style="#ffaf00")
        else:
            row.append(f" {clock(person.since_last_s)}", style="dim")
        return row
