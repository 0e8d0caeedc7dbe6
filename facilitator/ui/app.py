"""The one app factory: the CLI, the tests and the benchmarks all build the app here."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.screen import Screen

from facilitator.i18n import _, sentence
from facilitator.services.live import LiveSession
from facilitator.ui.bindings import APP_BINDINGS
from facilitator.ui.collector import QuietCollector

if TYPE_CHECKING:
    from facilitator.services.recording import Recording

STYLES = Path(__file__).parent / "styles"
COLLECT_CHECK_S = 0.5  # how often the idle full garbage collection is considered


def close_on_signals(app: App) -> None:
    """SIGTERM (a logout, ``kill``, a system shutdown) and SIGHUP (the terminal window
    closed) end the app as ``ctrl+q`` would: the terminal gets its main screen, cursor and
    mouse back, and the session is closed cleanly (every event is already on disk)."""
    import asyncio
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            loop.add_signal_handler(sig, app.exit)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (tests), or a platform without them


class ScreenStyles(App[int]):
    """An app whose screens bring their own stylesheets, read as the first of each is shown.

    Each screen names its stylesheet in ``CSS_PATH`` (``styles/*.tcss``, every rule scoped by
    the screen's selector), so a start parses only the rules its first screen uses: the live
    view's first frame does not wait for the rules of the dialogs, the summary and the
    transcript. Textual itself reads a screen's ``CSS_PATH`` when it is pushed, but then parses
    every stylesheet again and restyles every widget of the app; here the new file is read
    and parsed alone just before, which is enough, as its rules match only its own screens.
    """

    CSS_PATH = [STYLES / "footer.tcss"]  # the only rules not scoped by a screen

    def read_screen_styles(self, screen: Screen | str) -> None:
        if not isinstance(screen, Screen):
            return  # an installed screen's name: Textual reads its stylesheet as it is shown
        sheet = self.stylesheet
        unread = [path for path in screen.css_path if not sheet.has_source(str(path))]
        for path in unread:
            sheet.read(path)
        if unread:  # parsed now: ``read`` alone would leave the rules looked up the old ones
            sheet.parse()  # (the files read before come from its parse cache)

    def push_screen(self, screen, *args, **kwargs):  # type: ignore[override]
        self.read_screen_styles(screen)
        return super().push_screen(screen, *args, **kwargs)

    def switch_screen(self, screen: Screen | str) -> AwaitComplete:
        self.read_screen_styles(screen)
        return super().switch_screen(screen)


class FacilitatorApp(ScreenStyles):
    TITLE = "facilitator"
    BINDINGS = APP_BINDINGS
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        live: LiveSession | None = None,
        home: tuple[Path, list[tuple[str, Path]]] | None = None,
        assist: bool = False,
        device: str | int | None = None,
        transcript: bool = False,
    ) -> None:
        super().__init__()
        self.live = live
        self.transcript = transcript  # live is a TranscriptReview: open on its transcript
        self.home = home
        self.assist = assist
        self.device = device  # the input device to record from (None: the default)
        self.recording: Recording | None = None  # the moderator's, once a live view runs
        self.collector = QuietCollector()  # full garbage collections only while idle

    def get_system_commands(self, screen):
        from facilitator.ui.commands import app_commands

        return app_commands(self)

    def notify(self, message: str, *args, **kwargs) -> None:  # type: ignore[override]
        """Every notice begins with a capital letter, whichever part of a message comes
        first (an error's own text often begins in lower case)."""
        super().notify(sentence(message) if isinstance(message, str) else message, *args, **kwargs)

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Textual's screenshot wrote the screen, session data and all, into the working
        folder: not here (it is not offered, and a key or script that asks gets nothing)."""

    def deliver_screenshot(self, filename=None, path=None, time_format=None) -> str | None:
        return None

    def action_help_quit(self) -> None:
        """ctrl+c (Textual's hint on how to quit, in English otherwise)."""
        self.notify(_("ctrl+q closes the app (the session can be resumed)"), timeout=4)

    def get_driver_class(self):
        """Textual's terminal driver, drawing through a copy of stderr's descriptor.

        PortAudio's start (``import sounddevice``, a device list read again) points
        descriptor 2 at /dev/null for some 30 ms to hide ALSA's chatter; a frame Textual
        wrote then was lost, and parts of the screen stayed blank under tmux. Drawing
        through a duplicate of the terminal's descriptor keeps every frame.
        """
        base = super().get_driver_class()
        from textual.drivers.linux_driver import LinuxDriver

        if not issubclass(base, LinuxDriver):
            return base  # the served view, Windows, tests: not a terminal of ours

        class TerminalDriver(base):  # type: ignore[valid-type, misc]
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                stderr = sys.__stderr__
                if stderr is not None:
                    try:
                        self._file = open(  # noqa: SIM115 (lives as long as the app)
                            os.dup(stderr.fileno()),
                            "w",
                            encoding=stderr.encoding,
                            errors=stderr.errors,
                        )
                    except (OSError, ValueError):
                        pass  # no descriptor to copy: draw on stderr itself

            def run_input_thread(self) -> None:
                # pasted text whole and in order (see ui.paste): the driver builds its
                # parser from its module's name, so that name is pointed at ours
                import textual.drivers.linux_driver as linux_driver

                from facilitator.ui.paste import PasteSafeParser

                linux_driver.XTermParser = PasteSafeParser  # type: ignore[misc]
                super().run_input_thread()

        return TerminalDriver

    def recording_for(self, live: LiveSession):
        """The moderator's recording for ``live`` (one per session the app opens)."""
        from facilitator.services.recording import Recording

        if self.recording is None or self.recording.live is not live:
            self.close_recording()
            self.recording = Recording(live, self.device)
        return self.recording

    def close_recording(self) -> None:
        """Stop a recording as the view closes: the segment ends cleanly, audio kept."""
        if self.recording is not None:
            from facilitator.store.journal import StorageError

            try:
                self.recording.close()
            except StorageError:
                pass  # the audio is on disk; the next start repairs and closes the segment

    def on_mount(self) -> None:
        close_on_signals(self)
        self.collector.start()
        self.set_interval(COLLECT_CHECK_S, self.collector.maybe_collect)
        # Pushed (not returned as the default screen) so that switch_screen works from it.
        self.push_screen(self.first_screen())

    def on_unmount(self) -> None:
        self.collector.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.collector.input()
        await super().on_event(event)

    def first_screen(self):
        if self.live is not None and self.transcript:
            from facilitator.services.transcript_review import TranscriptReview
            from facilitator.ui.screens.transcript import TranscriptScreen

            assert isinstance(self.live, TranscriptReview)
            return TranscriptScreen(self.live, exit_on_close=True)
        if self.live is not None:
            if self.live.state.ended:
                from facilitator.ui.screens.summary import SummaryScreen

                return SummaryScreen(self.live)
            if self.assist:
                from facilitator.ui.screens.assist import AssistScreen

                return AssistScreen(self.live)
            from facilitator.ui.screens.live import LiveScreen

            return LiveScreen(self.live, self.recording_for(self.live))
        from facilitator.ui.screens.home import HomeScreen

        assert self.home is not None
        return HomeScreen(*self.home)

    def open_session(self, live: LiveSession) -> None:
        """Switch from the start screen to a session (the start screen's choice)."""
        from facilitator.ui.screens.live import LiveScreen
        from facilitator.ui.screens.summary import SummaryScreen

        previous = self.live
        if previous is not None and previous is not live:
            self.close_recording()
            previous.close()
        self.live = live
        self.switch_screen(
            SummaryScreen(live) if live.state.ended else LiveScreen(live, self.recording_for(live))
        )


def make_app(live: LiveSession, device: str | int | None = None) -> FacilitatorApp:
    return FacilitatorApp(live=live, device=device)


def make_transcript_app(review: LiveSession) -> FacilitatorApp:
    """The transcript editor on its own (``facilitator transcript``): ``review`` is a
    ``services.transcript_review.TranscriptReview``."""
    return FacilitatorApp(live=review, transcript=True)


def make_assist_app(live: LiveSession) -> FacilitatorApp:
    return FacilitatorApp(live=live, assist=True)


class PresentApp(ScreenStyles):
    """Only the presentation of a recap: for a second screen facing the group."""

    TITLE = "facilitator"

    def __init__(self, slides: list[tuple[str, str]]) -> None:
        super().__init__()
        self.slides = slides

    def get_system_commands(self, screen):
        from facilitator.ui.commands import app_commands

        return app_commands(self)

    action_screenshot = FacilitatorApp.action_screenshot
    deliver_screenshot = FacilitatorApp.deliver_screenshot

    def on_mount(self) -> None:
        close_on_signals(self)
        from facilitator.ui.screens.recap import PresentationScreen

        self.push_screen(PresentationScreen(self.slides), lambda _: self.exit())


def make_present_app(recap: dict) -> PresentApp:
    from facilitator.ui.screens.recap import recap_slides

    return PresentApp(recap_slides(recap))


def make_home_app(sessions_dir: Path, guides: Path | list[tuple[str, Path]]) -> FacilitatorApp:
    """The start screen; ``guides`` is the folders guides come from (see
    :func:`facilitator.store.guides.guide_folders`), or one folder."""
    shelf = [("folder", guides)] if isinstance(guides, Path) else guides
    return FacilitatorApp(home=(sessions_dir, shelf))
