"""The opening recap of a follow-up stage, and its presentation mode for reading aloud.

The recap is built from the previous stage's notes (``core.study.build_recap``): summary
points, themes, quotes without speakers, open follow-ups; the talk balance of that stage is
for the moderator's screen only and never shown in the presentation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.align import Align
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Markdown, Static

from facilitator.core.notes import quoted
from facilitator.core.study import point_text, shared_points
from facilitator.exports.study import render_recap_markdown
from facilitator.i18n import N_, _
from facilitator.ui.translated import Translated
from facilitator.ui.typeahead import TypeAhead, line_key
from facilitator.ui.widgets.bigtext import BigText

if TYPE_CHECKING:
    from facilitator.ui.screens.session_view import SessionActions


def recap_slides(recap: dict[str, Any]) -> list[tuple[str, str]]:
    """(section, text) pairs, one point at a time, in the order they are read aloud."""
    slides: list[tuple[str, str]] = [
        (
            _("Last time"),
            _("Stage {stage}: {title}", stage=recap["stage"], title=recap["title"])
            + (f"\n{recap['date']}" if recap["date"] else ""),
        )
    ]
    # what the group agreed: a point it refuted is not shown to it again as agreed
    slides += [(_("What we summed up together"), point_text(p)) for p in shared_points(recap)]
    slides += [(_("Themes"), t["text"]) for t in recap["themes"]]
    slides += [(_("In your own words"), quoted(q["text"])) for q in recap["quotes"]]
    slides += [(_("What we said we would come back to"), f["text"]) for f in recap["follow_ups"]]
    slides.append((_("Since last time"), _("What has happened since we last met?")))
    return slides


class PresentationScreen(Translated, Screen[None]):
    """Large, calm, one point at a time: for reading aloud or a second screen."""

    CSS_PATH = "../styles/talk.tcss"

    AUTO_FOCUS = ""
    BINDINGS = [
        Binding(
            "right,down,space,pagedown",
            "step(1)",
            N_("Next"),
            id="present.next",
            tooltip=N_("The next point"),
            key_display="→",
        ),
        Binding(
            "left,up,pageup",
            "step(-1)",
            N_("Back"),
            id="present.back",
            tooltip=N_("The point before"),
            key_display="←",
        ),
        Binding(
            "escape,q", "close", N_("Close"), id="present.close", tooltip=N_("Back to the recap")
        ),
    ]

    def __init__(self, slides: list[tuple[str, str]]) -> None:
        super().__init__()
        self.slides = slides
        self.index = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="slide"):
            yield Static(id="slide-section")
            yield BigText(id="slide-text")
        yield Static(id="slide-count")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        section, text = self.slides[self.index]
        self.query_one("#slide-section", Static).update(
            Align.center(Text(section, style="bold #87afd7"))
        )
        self.query_one("#slide-text", BigText).show(text)
        self.query_one("#slide-count", Static).update(
            Align.right(Text(f"{self.index + 1} / {len(self.slides)}", style="dim"))
        )

    def action_step(self, step: int) -> None:
        self.index = max(0, min(len(self.slides) - 1, self.index + step))
        self.show()

    def action_close(self) -> None:
        self.dismiss(None)


class FieldInput(Input):
    """A line on a screen whose ``escape`` closes the screen: here ``escape`` only leaves the
    line (the field's own key, so it can never reach the screen's)."""

    BINDINGS = [
        Binding(
            "escape",
            "leave",
            N_("Leave the line"),
            id="field.leave",
            tooltip=N_("Keys back"),
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


class RecapScreen(Translated, TypeAhead, Screen[None]):
    """The recap for the moderator, with a line for what happened in between."""

    CSS_PATH = "../styles/talk.tcss"

    AUTO_FOCUS = ""  # keys first: the line for the time in between is opened with n
    BINDINGS = [
        Binding(
            "p",
            "present",
            N_("Present"),
            id="recap.present",
            tooltip=N_("Large text, one point at a time, for reading aloud"),
        ),
        line_key(
            "n",
            "note",
            N_("Since last time"),
            id="recap.note",
            tooltip=N_(
                "Write what participants tell of the time in between (a note tagged #between)"
            ),
        ),
        Binding(
            "escape",
            "close",
            N_("To the guide"),
            id="recap.close",
            tooltip=N_("Back to the live view"),
        ),
    ]

    def __init__(self, actions: SessionActions, recap: dict[str, Any]) -> None:
        super().__init__()
        self.actions = actions
        self.recap = recap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="recap-scroll"):
            yield Markdown(render_recap_markdown(self.recap, for_moderator=True), id="recap-text")
        yield FieldInput(
            placeholder=_("since last time: what a participant tells (enter saves, escape leaves)"),
            id="recap-input",
        )
        yield Footer(compact=True)

    def action_present(self) -> None:
        self.app.push_screen(PresentationScreen(recap_slides(self.recap)))

    def action_note(self) -> None:
        self.set_focus(self.query_one(Input))  # at once: the letters typed next go in it

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        live = self.actions.live
        saved = self.actions.act(lambda: live.add_note(text + " #between"))
        if saved is not None:
            event.input.value = ""
            self.notify(_("Saved as a note tagged #between."), timeout=3)

    def action_close(self) -> None:
        if isinstance(self.focused, Input):
            self.set_focus(None)
            return
        self.dismiss(None)
