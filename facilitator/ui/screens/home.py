"""The start screen of a bare ``facilitator``: resume a session, or start one from a guide."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from facilitator.core.clock import SystemClock
from facilitator.core.guide import Guide, GuideError, load_guide
from facilitator.core.session import Participant, state_of
from facilitator.i18n import N_, _
from facilitator.services.live import LiveSession
from facilitator.store.guides import list_guides, source_label
from facilitator.store.journal import JournalLocked, StorageError
from facilitator.store.session_store import (
    SessionDamaged,
    SessionStore,
    list_session_dirs,
    parse_participant,
)
from facilitator.ui.translated import Translated


def participants_from_text(text: str) -> list[Participant]:
    """A number (that many pseudonyms, Informant 1..N) or ``ID:label[:role]`` specs split by ';'."""
    text = text.strip()
    if not text:
        return []
    if text.isdigit():
        count = int(text)
        if not 0 <= count <= 12:
            raise ValueError(_("from 0 to 12 participants"))
        return [
            Participant(f"P{i}", _("Informant {number}", number=i)) for i in range(1, count + 1)
        ]
    return [parse_participant(spec) for spec in text.split(";") if spec.strip()]


class NewSessionScreen(Translated, ModalScreen[tuple[str, int, list[Participant]] | None]):
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="new.cancel", tooltip=N_("Back to the list"))
    ]

    def __init__(self, guide: Guide) -> None:
        super().__init__()
        self.guide = guide

    def compose(self) -> ComposeResult:
        with Vertical(id="new-dialog"):
            yield Static(_("New session: {title}", title=self.guide.title), id="new-title")
            yield Label(_("Title"))
            yield Input(value=_("Stage 1"), id="title")
            if self.guide.stages > 1:
                yield Label(_("Stage (1 to {count})", count=self.guide.stages))
                yield Input(value="1", id="stage", restrict=r"[0-9]*")
            yield Label(
                _("Participants: a number (pseudonyms Informant 1..N) or P1:Label:Role; P2:...")
            )
            yield Input(value="5", id="participants")
            yield Static("", id="new-error")
            with Horizontal(id="new-buttons"):
                yield Button(_("Create and open"), id="create", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_input_submitted(self) -> None:
        self._create()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self._create()
        else:
            self.dismiss(None)

    def _create(self) -> None:
        error = self.query_one("#new-error", Static)
        title = self.query_one("#title", Input).value.strip()
        if not title:
            error.update(_("The session needs a title."))
            return
        stage = 1
        if self.guide.stages > 1:
            raw = self.query_one("#stage", Input).value.strip() or "1"
            stage = int(raw)
            if not 1 <= stage <= self.guide.stages:
                error.update(_("The guide has stages 1 to {count}.", count=self.guide.stages))
                return
        try:
            participants = participants_from_text(self.query_one("#participants", Input).value)
        except ValueError as problem:
            error.update(str(problem))
            return
        self.dismiss((title, stage, participants))

    def action_cancel(self) -> None:
        self.dismiss(None)


class HomeScreen(Translated, Screen[None]):
    BINDINGS = [
        Binding(
            "tab",
            "app.focus_next",
            N_("Switch list"),
            id="home.switch",
            tooltip=N_("Between sessions and guides"),
        ),
        Binding(
            "question_mark,f1",
            "help",
            N_("Help"),
            id="home.help",
            tooltip=N_("Show every key"),
            key_display="?",
        ),
    ]

    def __init__(self, sessions_dir: Path, guide_shelf: list[tuple[str, Path]]) -> None:
        super().__init__()
        self.sessions_dir = sessions_dir
        self.guide_shelf = guide_shelf  # the folders guides come from, first first
        self.guides: dict[str, Path] = {}

    def compose(self) -> ComposeResult:
        yield Static(_("facilitator: focus groups, phase by phase"), id="home-title")
        with Horizontal(id="home-lists"):
            with Vertical():
                yield Static(
                    _("Sessions in {folder}", folder=str(self.sessions_dir)), classes="home-heading"
                )
                yield OptionList(id="sessions")
            with Vertical():
                yield Static(_("Start a new session from a guide"), classes="home-heading")
                yield OptionList(id="guides")
        yield Static("", id="home-problems")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load_lists()
        sessions = self.query_one("#sessions", OptionList)
        guides = self.query_one("#guides", OptionList)
        for options in (sessions, guides):
            if options.highlighted is None:
                options.action_first()  # the first option that is not disabled, if any
        # with no session yet, start where the moderator will act: the guides
        (sessions if sessions.highlighted is not None else guides).focus()

    def load_lists(self) -> None:
        sessions = self.query_one("#sessions", OptionList)
        sessions.clear_options()
        now = SystemClock().now()
        for path in reversed(list_session_dirs(self.sessions_dir)):
            store = SessionStore(path)
            try:
                info = store.info()
                state = state_of(info, store.read_events().events)
            except (SessionDamaged, KeyError, ValueError):
                sessions.add_option(
                    Option(
                        Text(f"{path.name}  " + _("(cannot be read)"), style="red"),
                        id=str(path),
                        disabled=True,
                    )
                )
                continue
            status = (
                _("ended") if state.ended else (_("running") if state.started else _("not started"))
            )
            label = Text()
            label.append(info.title, style="bold")
            label.append(f"  {path.name}  {status}", style="dim")
            if state.started:
                from facilitator.core.timefmt import clock

                label.append(f"  {clock(state.session_s(now))}", style="dim")
            sessions.add_option(Option(label, id=str(path)))
        if not sessions.option_count:
            sessions.add_option(Option(Text(_("no sessions yet"), style="dim"), disabled=True))
        guides = self.query_one("#guides", OptionList)
        guides.clear_options()
        problems = []
        for entry in list_guides(self.guide_shelf):
            path = entry.path
            try:
                guide = load_guide(path)
            except GuideError as error:
                problems.append(str(error.problems[0]))
                continue
            self.guides[str(path)] = path
            label = Text()
            label.append(guide.title, style="bold")
            label.append(f"  {entry.name} · {source_label(entry.source)}", style="dim")
            guides.add_option(Option(label, id=str(path)))
        self.query_one("#home-problems", Static).update("\n".join(problems))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id
        if option_id is None:
            return
        if event.option_list.id == "sessions":
            self._open(SessionStore(Path(option_id)))
        else:
            self._new(Path(option_id))

    def _open(self, store: SessionStore) -> None:
        try:
            live = LiveSession(store)
        except JournalLocked:
            self.notify(_("This session is open in another window."), severity="error")
            return
        except (SessionDamaged, StorageError) as error:
            self.notify(str(error), severity="error")
            return
        self.app.open_session(live)  # type: ignore[attr-defined]

    def _new(self, path: Path) -> None:
        try:
            guide = load_guide(path)
        except GuideError as error:
            self.notify(str(error), severity="error")
            return

        def create(answer: tuple[str, int, list[Participant]] | None) -> None:
            if answer is None:
                return
            title, stage, participants = answer
            try:
                store = SessionStore.create(
                    self.sessions_dir,
                    guide,
                    title,
                    participants,
                    SystemClock().now(),
                    stage=stage,
                    guide_path=str(path),
                )
            except (ValueError, OSError, StorageError) as error:
                self.notify(str(error), severity="error")
                return
            self._open(store)

        self.app.push_screen(NewSessionScreen(guide), create)

    def action_help(self) -> None:
        from facilitator.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))
