"""The end-of-session summary, the same document ``facilitator summary --format md`` prints."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Markdown

from facilitator.core.summary import build_summary
from facilitator.exports.markdown import render_markdown
from facilitator.i18n import _
from facilitator.live import LiveSession


class SummaryScreen(Screen[None]):
    BINDINGS = [
        Binding("q", "quit", _("Quit"), id="summary.quit", tooltip=_("Close the app")),
        Binding(
            "question_mark,f1",
            "help",
            _("Help"),
            id="summary.help",
            tooltip=_("Show every key"),
            key_display="?",
        ),
    ]

    def __init__(self, live: LiveSession) -> None:
        super().__init__()
        self.live = live

    def compose(self) -> ComposeResult:
        summary = build_summary(self.live.info, self.live.state, self.live.now())
        text = render_markdown(summary)
        text += "\n---\n\n" + _(
            "The same summary from the command line: `facilitator summary {id} --format md` "
            "(or `--format json`).",
            id=self.live.info.id,
        )
        yield Markdown(text, id="summary")
        yield Footer(compact=True)

    def action_quit(self) -> None:
        self.app.exit()

    def action_help(self) -> None:
        from facilitator.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))
