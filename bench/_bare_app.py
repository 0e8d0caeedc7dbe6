"""The startup baseline: a bare Textual app (a Static and a Footer), first frame stamped.

    python bench/_bare_app.py

Run by bench/startup.py in a fresh interpreter; see _frame_probe.py for what is stamped.
"""

import time

STARTED = time.time()  # the interpreter is up: everything after this is imports and the app

import _frame_probe  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Footer, Static  # noqa: E402


class BareApp(App[None]):
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static("Hello from a bare Textual app.")
        yield Footer()


if __name__ == "__main__":
    _frame_probe.install(lambda screen: True, STARTED)
    BareApp().run()
