"""One line about the recording: off, or on with its time, a level meter and dropped blocks.

A dead microphone shows as a meter that never moves, in the first seconds.
"""

from __future__ import annotations

import math

from rich.text import Text

from facilitator.core.timefmt import clock
from facilitator.i18n import _
from facilitator.services.recording import LEVEL_FLOOR_DB, Meter
from facilitator.ui.widgets.quiet import QuietStatic

METER_CELLS = 12
BLOCKS = " ▏▎▍▌▋▊▉█"


def level_bar(level_db: float, cells: int = METER_CELLS) -> str:
    """A bar from the floor (-60 dBFS) to full scale, in eighths of a cell."""
    if math.isnan(level_db) or level_db <= LEVEL_FLOOR_DB:
        return " " * cells
    fraction = min(1.0, (level_db - LEVEL_FLOOR_DB) / -LEVEL_FLOOR_DB)
    eighths = round(fraction * cells * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (BLOCKS[part] if part and full < cells else "")
    return bar.ljust(cells)


def record_text(
    meter: Meter | None, problem: str | None, unattributed_s: float, width: int = 80
) -> Text:
    text = Text()
    if meter is None or not meter.recording:
        text.append("○ ", style="dim")
        if problem:
            text.append(problem, style="#ffaf00")
        else:
            text.append(_("Not recording"), style="dim")
            text.append("  " + _("r records (with everyone's consent)"), style="dim")
        if unattributed_s >= 1:
            text.append(
                "  " + _("unattributed speech {time}", time=clock(unattributed_s)), style="dim"
            )
        return text
    text.append("● " + _("REC") + " ", style="bold red")
    text.append(clock(meter.seconds), style="bold")
    if meter.remote:  # the assistant's view: the recorder is the moderator's
        text.append("  " + _("in the moderator's view"), style="dim")
        if unattributed_s >= 1:
            text.append("  " + _("unattributed speech {time}", time=clock(unattributed_s)))
        return text
    level = meter.level_db
    style = "green" if level < -6 else ("#e0a526" if level < -1 else "bold red")
    text.append("  ")
    text.append(level_bar(level), style=f"{style} on #303030")
    shown = "–" if math.isinf(level) or level <= LEVEL_FLOOR_DB else f"{level:.0f}"
    text.append(f" {shown:>3} dB", style="dim")
    if meter.speaking:
        text.append("  " + _("speech"), style="green")
    text.append("  ")
    if meter.overflows:
        text.append(_("{count} dropped", count=meter.overflows), style="bold #ffaf00")
    else:
        text.append(_("0 dropped"), style="dim")
    if unattributed_s >= 1:
        text.append("  " + _("unattributed speech {time}", time=clock(unattributed_s)))
    if meter.device and width >= 100:
        text.append(f"  {meter.device}", style="dim")
    return text


class RecordLine(QuietStatic):
    def show(self, meter: Meter | None, problem: str | None, unattributed_s: float) -> None:
        self.show_text(record_text(meter, problem, unattributed_s, self.size.width or 80))
