"""The end-of-session summary, the same document ``facilitator summary --format md`` prints."""

from __future__ import annotations

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from facilitator.core.summary import build_summary
from facilitator.exports.markdown import render_markdown
from facilitator.i18n import N_, _
from facilitator.services.live import LiveSession
from facilitator.ui.translated import Translated


class SummaryText(Static):
    """Markdown drawn by Rich as one text; ``source`` is the Markdown itself."""

    def __init__(self, source: str, id: str | None = None) -> None:
        super().__init__(Markdown(source, hyperlinks=False), id=id)
        self.source = source


class SummaryScreen(Translated, Screen[None]):
    BINDINGS = [
        Binding(
            "h",
            "export('html')",
            N_("HTML"),
            id="summary.html",
            tooltip=N_("Write the report as one printable HTML page"),
        ),
        Binding(
            "c",
            "export('csv')",
            N_("CSV"),
            id="summary.csv",
            tooltip=N_("Write the coding matrix for a spreadsheet"),
        ),
        Binding(
            "v",
            "export('vtt')",
            N_("VTT"),
            id="summary.vtt",
            tooltip=N_("Write the speaker turns as WebVTT (and SRT)"),
        ),
        Binding(
            "e", "export('eaf')", N_("ELAN"), id="summary.eaf", tooltip=N_("Write an ELAN 3.0 file")
        ),
        Binding(
            "d",
            "export('qdpx')",
            N_("REFI-QDA"),
            id="summary.qdpx",
            tooltip=N_("Write a REFI-QDA project for QDA software"),
        ),
        Binding(
            "t",
            "export('transcript')",
            N_("Transcript"),
            id="summary.transcript",
            tooltip=N_("Write a speaker-prefixed transcript skeleton"),
        ),
        Binding("a", "export_all", N_("All"), id="summary.all", tooltip=N_("Write every export")),
        Binding(
            "f",
            "export_audio",
            N_("Audio"),
            id="summary.audio",
            tooltip=N_(
                "Write the recording as one flac file on the session clock, and a clip around "
                "each #quote note"
            ),
        ),
        Binding("q", "quit", N_("Quit"), id="summary.quit", tooltip=N_("Close the app")),
        Binding(
            "question_mark,f1",
            "help",
            N_("Help"),
            id="summary.help",
            tooltip=N_("Show every key"),
            key_display="?",
        ),
    ]

    def __init__(self, live: LiveSession) -> None:
        super().__init__()
        self.live = live

    def compose(self) -> ComposeResult:
        # an ended session's figures do not change: the exports are made from this one too
        self.summary = summary = build_summary(self.live.info, self.live.state, self.live.now())
        text = render_markdown(summary)
        text += "\n---\n\n" + _(
            "The same summary from the command line: `facilitator summary {id} --format md` "
            "(or `--format json`).",
            id=self.live.info.id,
        )
        # Rich's Markdown, drawn as one text: Textual's Markdown widget makes a widget of each
        # block, and took 36 s to show a 4-hour session's 2,000 notes
        with VerticalScroll(id="summary-scroll"):
            yield SummaryText(text, id="summary")
        yield Footer(compact=True)

    def action_export(self, fmt: str) -> None:
        self._write([fmt, "srt"] if fmt == "vtt" else [fmt])

    def action_export_all(self) -> None:
        from facilitator.exports import FORMATS

        self._write([name for name in FORMATS if name != "md"] + ["md"])

    def _write(self, formats: list[str]) -> None:
        """Exports run in a worker thread: a large session never holds the screen."""
        self.notify(_("Writing {formats} ...", formats=", ".join(formats)), timeout=3)
        self.run_worker(lambda: self._write_in_thread(formats), thread=True, group="export")

    def _write_in_thread(self, formats: list[str]) -> None:
        import time

        from facilitator.services.exporting import write_export

        started = time.perf_counter()
        written = []
        try:
            for number, fmt in enumerate(formats, start=1):
                if len(formats) > 1:  # progress, file by file
                    self.app.call_from_thread(
                        self.notify,
                        _(
                            "Writing {fmt} ({number} of {count})",
                            fmt=fmt,
                            number=number,
                            count=len(formats),
                        ),
                        timeout=2,
                    )
                written.append(
                    write_export(
                        self.live.store,
                        self.live.info,
                        self.live.state,
                        fmt,
                        self.live.now(),
                        summary=self.summary,
                    )
                )
        except Exception as error:  # shown, never a crash: the session itself is safe
            self.app.call_from_thread(
                self.notify, _("Export failed: {reason}", reason=error), severity="error"
            )
            return
        folder = written[0].parent if written else ""
        self.app.call_from_thread(
            self.notify,
            _(
                "Saved {count} file(s) in {folder} ({seconds} s)",
                count=len(written),
                folder=folder,
                seconds=f"{time.perf_counter() - started:.1f}",
            ),
            timeout=10,
        )

    def action_export_audio(self) -> None:
        self.notify(_("Writing the audio ..."), timeout=3)
        self.run_worker(self._audio_in_thread, thread=True, group="export")

    def _audio_in_thread(self) -> None:
        from facilitator.audio.convert import AudioExportError
        from facilitator.services.exporting import write_audio, write_clips

        live = self.live
        shown = [0.0]

        def progress(done_s: float, total_s: float) -> None:
            if total_s and done_s - shown[0] >= total_s / 4:  # a calm word now and then
                shown[0] = done_s
                self.app.call_from_thread(
                    self.notify, _("Audio: {percent} %", percent=round(100 * done_s / total_s))
                )

        try:
            path = write_audio(live.store, live.info, live.state, "flac", progress=progress)
            message = _("Saved the recording: {path}", path=path)
            if any("quote" in note.tags for note in live.state.live_notes()):
                clips = write_clips(live.store, live.info, live.state)
                message += "\n" + _(
                    "{count} clip(s) in {folder}", count=len(clips.clips), folder=clips.folder
                )
        except AudioExportError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", timeout=10)
            return
        self.app.call_from_thread(self.notify, message, timeout=12)

    def action_quit(self) -> None:
        self.app.exit()

    def action_help(self) -> None:
        from facilitator.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))
