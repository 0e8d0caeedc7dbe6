"""The end-of-session summary, the same document ``facilitator summary --format md`` prints."""

from __future__ import annotations

import threading

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from facilitator.exports.markdown import render_markdown
from facilitator.i18n import N_, _
from facilitator.services.live import LiveSession
from facilitator.ui.translated import Translated


class SummaryText(Static):
    """Markdown drawn by Rich as one text; ``source`` is the Markdown itself."""

    def __init__(self, source: str, id: str | None = None) -> None:
        super().__init__(Markdown(source, hyperlinks=False), id=id)
        self.source = source

    def show(self, source: str) -> None:
        self.source = source
        self.update(Markdown(source, hyperlinks=False))


class SummaryScreen(Translated, Screen[None]):
    CSS_PATH = "../styles/summary.tcss"
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
            tooltip=N_(
                "Write the transcript for MAXQDA or NVivo: a paragraph per speaker turn, "
                "or per statement with its words once transcribed"
            ),
        ),
        Binding("a", "export_all", N_("All"), id="summary.all", tooltip=N_("Write every export")),
        Binding(
            "r",
            "transcript",
            N_("Review transcript"),
            id="summary.review_transcript",
            tooltip=N_("Listen to the transcript and correct it: words, speakers, splits, tags"),
        ),
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
        Binding(
            "w",
            "transcribe",
            N_("Words"),
            id="summary.transcribe",
            tooltip=N_(
                "Transcribe the recording on this computer, every word with the speaker "
                "keyed; w again stops, and the next start goes on where it stopped"
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
        self.transcribing: Worker | None = None
        # set when the worker's thread has really finished: a cancelled thread worker is
        # marked cancelled at once, but its thread ends only after the part in progress
        self.transcribe_idle = threading.Event()
        self.transcribe_idle.set()

    def _summary_text(self) -> str:
        from facilitator.services.exporting import session_summary

        # an ended session's figures do not change: the exports are made from this one too
        # (made again only when a transcript is added)
        self.summary = summary = session_summary(
            self.live.store, self.live.info, self.live.state, self.live.now()
        )
        text = render_markdown(summary)
        text += "\n---\n\n" + _(
            "The same summary from the command line: `facilitator summary {id} --format md` "
            "(or `--format json`).",
            id=self.live.info.id,
        )
        return text

    def compose(self) -> ComposeResult:
        text = self._summary_text()
        with Horizontal(id="transcribe-line"):
            yield Static("", id="transcribe-label")
            yield ProgressBar(total=1.0, show_eta=False, id="transcribe-bar")
        # Rich's Markdown, drawn as one text: Textual's Markdown widget makes a widget of each
        # block, and took 36 s to show a 4-hour session's 2,000 notes
        with VerticalScroll(id="summary-scroll"):
            yield SummaryText(text, id="summary")
        yield Footer(compact=True)

    # --- the transcript: a worker off the screen's thread, low priority, cancellable ------------

    def action_transcribe(self) -> None:
        if not self.transcribe_idle.is_set():
            if self.transcribing is not None and self.transcribing.state == WorkerState.RUNNING:
                self.transcribing.cancel()
            self._show_line(_("Stopping after the part being recognised ..."))
            return
        from facilitator.audio.transcribe import available

        problem = available()
        if problem is not None:
            self.notify(problem, severity="error", timeout=12)
            return
        self._show_line(_("Preparing the speech model ..."), 0.0)
        self.transcribe_idle.clear()
        self.transcribing = self.run_worker(
            self._transcribe_in_thread, thread=True, group="transcribe", exclusive=True
        )

    def _show_line(self, text: str, fraction: float | None = None) -> None:
        line = self.query_one("#transcribe-line")
        line.display = True
        self.query_one("#transcribe-label", Static).update(text)
        bar = self.query_one("#transcribe-bar", ProgressBar)
        if fraction is not None:
            bar.update(total=1.0, progress=fraction)
        bar.display = fraction is not None or bar.percentage is not None

    def _transcribe_in_thread(self) -> None:
        try:
            self._transcribe()
        finally:
            self.transcribe_idle.set()

    def _transcribe(self) -> None:
        import os

        from facilitator.audio.transcribe import ModelMissing, TranscribeError
        from facilitator.audio.transcribe import TranscriberUnavailable as Unavailable
        from facilitator.core.transcript import model_label
        from facilitator.services.transcribing import (
            NothingToTranscribe,
            choose,
            transcribe_session,
        )
        from facilitator.store.journal import StorageError
        from facilitator.store.transcript_store import TranscriptMismatch

        worker = get_current_worker()
        try:  # the model's threads, started from this one, inherit its lower priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except (OSError, AttributeError):
            pass
        live = self.live
        choice = choose(live.state, None, None)

        def progress(done) -> None:
            if worker.is_cancelled:
                return
            left = done.left_s
            text = _(
                "Transcribing ({model}): {done:.1f} of {total:.1f} min",
                model=model_label(choice.model),
                done=done.shown_s / 60,
                total=done.total_s / 60,
            )
            if left is not None:
                text += " · " + _("about {minutes} min left", minutes=max(1, round(left / 60)))
            fraction = done.shown_s / done.total_s if done.total_s else 1.0
            self.app.call_from_thread(self._show_line, text, fraction)

        try:
            result = transcribe_session(
                live.store,
                live.state,
                choice,
                progress=progress,
                should_stop=lambda: worker.is_cancelled,
                quiet=True,  # no download bar on the terminal the app draws
                on_download=lambda repo: self.app.call_from_thread(
                    self._show_line,
                    _("Downloading the speech model {repo} (once) ...", repo=repo),
                ),
            )
        except TranscriptMismatch as error:
            message = _(
                "This session's transcript was made with {model}; to make another, run "
                "facilitator transcribe {id} --again",
                model=error.model,
                id=live.info.id,
            )
            self.app.call_from_thread(self._transcribe_failed, message)
            return
        except (
            Unavailable,
            ModelMissing,
            NothingToTranscribe,
            TranscribeError,
            StorageError,
        ) as error:
            self.app.call_from_thread(self._transcribe_failed, str(error))
            return
        self.app.call_from_thread(self._transcribed, result.complete)

    def _transcribe_failed(self, message: str) -> None:
        self._show_line(message)
        self.query_one("#transcribe-bar", ProgressBar).display = False
        self.notify(message, severity="error", timeout=15)

    def _transcribed(self, complete: bool) -> None:
        self.query_one("#summary", SummaryText).show(self._summary_text())
        if complete:
            self._show_line(_("Transcribed: the summary and every export now carry the words"), 1.0)
        else:
            self._show_line(_("Stopped; w goes on where it stopped"))

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

    def action_transcript(self) -> None:
        from facilitator.services.transcript_review import NoTranscript, TranscriptReview
        from facilitator.store.journal import JournalLocked, StorageError
        from facilitator.ui.screens.transcript import TranscriptScreen

        try:
            review = TranscriptReview(self.live.store, clock=self.live.clock, opening=True)
        except NoTranscript as error:
            self.notify(str(error), severity="warning", timeout=10)
            return
        except (JournalLocked, StorageError) as error:
            self.notify(_("cannot write to the session: {reason}", reason=error), severity="error")
            return
        self.app.push_screen(TranscriptScreen(review))

    def action_quit(self) -> None:
        self.app.exit()

    def action_help(self) -> None:
        from facilitator.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))
