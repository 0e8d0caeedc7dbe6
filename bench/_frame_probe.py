"""Instrumentation for the startup benchmark's child processes (bench/startup.py).

Imported by ``_bare_app.py`` and ``_live_first_frame.py`` before they build their app, it
patches two methods of ``textual.app.App``, identically for both:

- ``run`` runs headless at 120x40, so no terminal is needed. Nothing else changes.
- ``_display``, which Textual calls with each frame the compositor produced for a screen
  (and which a real terminal driver turns into escape sequences and writes), also turns the
  frame into escape sequences (``render_segments``: the work the headless driver skips)
  and stamps ``time.time()``. The first frame of the target screen is "first frame"; the
  first frame in which the footer's keys are painted is "settled". On that one, the child
  prints ``frame <started> <first> <settled>`` (wall-clock seconds) and exits the app
  through ``App.exit``, as a quit key would.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from textual.app import App
from textual.screen import Screen

SIZE = (120, 40)  # as _common.SIZE (not imported: the children import nothing extra)
DEADLINE_S = 30.0  # never outlive the benchmark


def _footer_painted(screen: Screen) -> bool:
    return any(type(w).__name__ == "FooterKey" for w in screen._compositor.visible_widgets)


def install(is_target: Callable[[Screen], bool], started: float) -> None:
    """Stamp the first frames of the screen ``is_target`` accepts; exit once settled."""
    original_display = App._display
    original_run = App.run
    first: float | None = None
    done = False

    def _display(self: App, screen: Screen, renderable) -> None:
        nonlocal first, done
        original_display(self, screen, renderable)
        if done or renderable is None or screen is not self.screen or not is_target(screen):
            return
        renderable.render_segments(self.console)  # what a terminal driver would do next
        now = time.time()
        if first is None:
            first = now
        if _footer_painted(screen):
            done = True
            os.write(1, f"frame {started!r} {first!r} {now!r}\n".encode())
            self.exit()

    def run(self: App, **kwargs):
        kwargs.update(headless=True, size=SIZE)
        return original_run(self, **kwargs)

    App._display = _display  # type: ignore[method-assign]
    App.run = run  # type: ignore[method-assign]
    watchdog = threading.Timer(DEADLINE_S, os._exit, (3,))
    watchdog.daemon = True
    watchdog.start()
