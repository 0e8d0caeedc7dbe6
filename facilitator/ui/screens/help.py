"""Every key of the screen below, generated from its bindings so help and keys never drift."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from facilitator.i18n import N_, _
from facilitator.ui.bindings import APP_BINDINGS
from facilitator.ui.translated import Translated, translated


def bindings_table(screen: Screen, app_bindings: list[BindingType]) -> Table:
    table = Table(
        box=None, show_header=True, header_style="bold", expand=True, padding=(0, 2, 0, 0)
    )
    table.add_column(_("Key"), no_wrap=True)
    table.add_column(_("Action"), no_wrap=True)
    table.add_column(_("What it does"))
    seen: set[tuple[str, str]] = set()
    for declared in [*screen.BINDINGS, *app_bindings]:
        if not isinstance(declared, Binding) or not declared.description:
            continue
        binding = translated(declared)
        if binding.key_display:
            keys = binding.key_display
        else:
            keys = ", ".join(
                screen.app.get_key_display(Binding(k.strip(), "")) for k in binding.key.split(",")
            )
        if (keys, binding.description) in seen:  # 1..9 share one row
            continue
        seen.add((keys, binding.description))
        table.add_row(Text(keys, style="bold"), binding.description, binding.tooltip)
    return table


class HelpScreen(Translated, ModalScreen[None]):
    CSS_PATH = "../styles/help.tcss"
    BINDINGS = [
        Binding(
            "escape,question_mark,f1,q",
            "close",
            N_("Close"),
            id="help.close",
            tooltip=N_("Close help"),
        ),
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(_("Keys"), id="help-title")
            self.table = bindings_table(self.under, APP_BINDINGS)
            yield Static(self.table, id="help-keys")
            yield Static(
                _(
                    "Keys work whenever no text field or list has the cursor; escape gives "
                    "them back. A question counts as asked once it has been on screen for "
                    "{seconds} seconds. Every key press is saved to disk before the screen "
                    "shows it: if the app is closed or killed, 'facilitator run' picks up "
                    "where it was, and the time in between counts as session time.",
                    seconds=f"{self.under.live.guide.asked_after_s:g}"  # type: ignore[attr-defined]
                    if hasattr(self.under, "live")
                    else "10",
                ),
                id="help-text",
            )
            yield Static(_("escape closes this help"), id="help-close")

    def action_close(self) -> None:
        self.dismiss(None)
