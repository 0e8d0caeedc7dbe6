"""The app-wide keys, shared by the app and the help screen of every view."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from facilitator.i18n import N_

APP_BINDINGS: list[BindingType] = [
    Binding(
        "ctrl+p",
        "command_palette",
        N_("Commands"),
        id="app.commands",
        tooltip=N_("Jump to a phase or question, pause, end the session"),
        key_display="^p",
        show=False,  # Textual's footer already shows the palette key
    ),
    Binding(
        "ctrl+q",
        "quit",
        N_("Quit"),
        id="app.quit",
        tooltip=N_("Close the app without ending the session (it can be resumed)"),
        key_display="^q",
    ),
]
