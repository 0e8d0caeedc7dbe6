"""A yes/no question that cannot be answered by a stray key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from facilitator.i18n import N_, _
from facilitator.ui.translated import Translated


class ConfirmScreen(Translated, ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", N_("Yes"), id="confirm.yes", tooltip=N_("Yes, do it")),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm.no", tooltip=N_("No, go back")),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="question")
            if self.detail:
                yield Static(self.detail, id="detail")
            with Horizontal(id="buttons"):
                yield Button(_("Yes (y)"), id="yes", variant="error")
                yield Button(_("No (n)"), id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
