"""A yes/no question that cannot be answered by a stray key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from facilitator.i18n import N_, _, language
from facilitator.ui.translated import Translated


class ConfirmScreen(Translated, ModalScreen[bool]):
    """``danger``: the yes does something that cannot be taken back (red); otherwise a plain
    question (a late arrival's consent, moving on with items unticked)."""

    CSS_PATH = "../styles/confirm.tcss"

    BINDINGS = [
        # y, and j for "ja" in Norwegian (shown there as j; in English j answers nothing)
        Binding("j", "ja", show=False, id="confirm.ja"),
        Binding(
            "y",
            "answer(True)",
            N_("Yes"),
            id="confirm.yes",
            tooltip=N_("Yes, do it"),
            key_display=N_("y"),
        ),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm.no", tooltip=N_("No, go back")),
    ]

    def __init__(self, question: str, detail: str = "", danger: bool = True) -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="" if self.danger else "question"):
            # names and notes are shown as typed: never read as markup
            yield Static(self.question, id="question", markup=False)
            if self.detail:
                yield Static(self.detail, id="detail", markup=False)
            with Horizontal(id="buttons"):
                yield Button(_("Yes (y)"), id="yes", variant="error" if self.danger else "success")
                yield Button(_("No (n)"), id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def action_ja(self) -> None:
        if language() == "nb":
            self.dismiss(True)
