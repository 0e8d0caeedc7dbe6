"""The moderator's private reflexivity log, as a panel in the live view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from facilitator.i18n import N_, _

if TYPE_CHECKING:
    from facilitator.ui.screens.session_view import SessionActions


class ReflectionPanel(Vertical):
    """The moderator's private reflexivity log: own stance, how they steered, what surprised.

    A panel over the lower part of the guide, never over the talk board, and never a screen
    of its own: ``escape`` leaves its line and gives the keys back to the live view (the
    speaker keys work, the board stays in sight), ``w`` writes again, and ``escape`` with
    the line left closes it.
    """

    class Leave(Message):
        """Escape in the line: the keys go back to the live view, the panel stays open."""

    class LogInput(Input):
        BINDINGS = [
            Binding(
                "escape",
                "leave",
                N_("Leave the line"),
                id="reflection.leave",
                tooltip=N_("The keys back to the session; the log stays open (w writes)"),
                priority=True,  # the keys back at once (see ui.typeahead)
            )
        ]

        def __init__(self, *args, **kwargs) -> None:
            # a draft left with escape is kept whole when the line is taken up again: selecting
            # it all on focus would let the next key replace it
            kwargs.setdefault("select_on_focus", False)
            super().__init__(*args, **kwargs)

        def action_leave(self) -> None:
            self.screen.set_focus(None)
            self.post_message(ReflectionPanel.Leave())

    def __init__(self, actions: SessionActions, **kwargs) -> None:
        super().__init__(**kwargs)
        self.actions = actions

    def compose(self) -> ComposeResult:
        yield Static(
            _(
                "Reflexivity log (private): your own stance, how you steered, what surprised "
                "you. Kept apart from the group's notes and out of every export unless asked "
                "for (summary --with-reflections)."
            ),
            id="reflection-title",
        )
        yield Static("", id="reflection-earlier")
        yield ReflectionPanel.LogInput(
            placeholder=_(
                "write, enter saves · escape: the keys (1-9 0 space) · then w writes, escape closes"
            ),
            id="reflection-input",
        )

    def open(self) -> None:
        self.display = True
        self.show_earlier()
        self.screen.set_focus(self.query_one(Input))  # at once: the letters typed next go in

    def close(self) -> None:
        self.display = False
        if self.screen.focused is self.query_one(Input):
            self.screen.set_focus(None)

    def show_earlier(self) -> None:
        from facilitator.core.timefmt import clock

        text = Text()
        for entry in self.actions.live.state.reflections[-6:]:
            text.append(clock(entry.t_s) + " ", style="dim")
            text.append(entry.text + "\n")
        self.query_one("#reflection-earlier", Static).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # not a group note: the live view's note handler must not see it
        value = event.value
        if self.actions.act(lambda: self.actions.live.add_reflection(value)) is not None:
            event.input.value = ""
        self.show_earlier()
