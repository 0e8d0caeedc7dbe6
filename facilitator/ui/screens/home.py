"""The start screen of a bare ``facilitator``: resume a session, or start one from a guide."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from facilitator.core.clock import SystemClock
from facilitator.core.guide import Guide, GuideError, load_guide
from facilitator.core.session import Participant, SessionInfo, SessionState, state_of
from facilitator.core.timefmt import clock
from facilitator.i18n import N_, _, sentence
from facilitator.services.live import LiveSession
from facilitator.services.stages import consent_ids, create_next_stage
from facilitator.store.guides import list_guides, source_label
from facilitator.store.journal import JournalLocked, StorageError
from facilitator.store.session_store import (
    SessionDamaged,
    SessionStore,
    list_session_dirs,
    parse_participant,
    slugify,
)
from facilitator.ui.translated import Translated
from facilitator.ui.widgets.lists import StopList


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


class Dialog(VerticalScroll, can_focus=False):
    """A dialog's fields, scrolling on a small terminal; the keys go to its first field."""


def journals_seen(path: Path) -> tuple:
    """What a session's journals look like (name, size, time): a change means new events."""
    seen = []
    for journal in sorted(path.glob("journal-*.jsonl")):
        try:
            stat = journal.stat()
        except OSError:
            continue
        seen.append((journal.name, stat.st_size, stat.st_mtime_ns))
    return tuple(seen)


def session_label(path: Path, info: SessionInfo, state: SessionState, now: float) -> Text:
    """A session in the start screen's list: title, id, status, its clock while it runs,
    its study and stage."""
    status = _("ended") if state.ended else (_("running") if state.started else _("not started"))
    label = Text()
    label.append(info.title, style="bold")
    label.append(f"  {path.name}  {status}", style="dim")
    if state.started:
        label.append(f"  {clock(state.session_s(now))}", style="" if not state.ended else "dim")
    if info.study:
        label.append(
            "  " + _("study {study}, stage {stage}", study=info.study, stage=info.stage),
            style="dim",
        )
    return label


@dataclass(frozen=True)
class NewSession:
    """What the new-session dialog asks for."""

    title: str
    stage: int
    participants: list[Participant]
    study: str = ""
    consent: list[str] = field(default_factory=list)  # given in writing beforehand


class NewSessionScreen(Translated, ModalScreen[NewSession | None]):
    CSS_PATH = "../styles/home.tcss"
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="new.cancel", tooltip=N_("Back to the list"))
    ]

    def __init__(self, guide: Guide) -> None:
        super().__init__()
        self.guide = guide

    def compose(self) -> ComposeResult:
        with Dialog(id="new-dialog"):
            yield Static(_("New session: {title}", title=self.guide.title), id="new-title")
            yield Static(markup=False, classes="field-label", content=_("Title"))
            yield Input(value=_("Stage 1"), id="title")
            yield Static(
                markup=False,
                classes="field-label",
                content=_("Study (a short name; leave empty for a session on its own)"),
            )
            yield Input(value="", id="study")
            if self.guide.stages > 1:
                yield Static(
                    markup=False,
                    classes="field-label",
                    content=_("Stage (1 to {count})", count=self.guide.stages),
                )
                yield Input(value="1", id="stage", restrict=r"[0-9]*")
            yield Static(
                markup=False,
                classes="field-label",
                content=_(
                    "Participants: a number (pseudonyms Informant 1..N) or P1:Label:Role; P2:..."
                ),
            )
            yield Input(value="5", id="participants")
            yield Static(
                markup=False,
                classes="field-label",
                content=_("Recording consent given in writing: P1,P2 or all (else empty)"),
            )
            yield Input(value="", id="consent")
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
            consent = consent_ids(
                self.query_one("#consent", Input).value, [p.id for p in participants]
            )
        except ValueError as problem:
            error.update(sentence(str(problem)))
            return
        study = (
            slugify(self.query_one("#study", Input).value)
            if self.query_one("#study", Input).value.strip()
            else ""
        )
        self.dismiss(NewSession(title, stage, participants, study, consent))

    def action_cancel(self) -> None:
        self.dismiss(None)


class NextStageScreen(Translated, ModalScreen[SessionStore | None]):
    """The next stage of a study, from a session of the stage before: what ``facilitator
    next`` does, with the same questions (newcomers, who is away, consent)."""

    CSS_PATH = "../styles/home.tcss"

    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="next.cancel", tooltip=N_("Back to the list"))
    ]

    def __init__(self, store: SessionStore, sessions_dir: Path) -> None:
        super().__init__()
        self.store = store
        self.sessions_dir = sessions_dir
        self.info = store.info()

    def compose(self) -> ComposeResult:
        stage = self.info.stage + 1
        with Dialog(id="next-dialog"):
            yield Static(
                _("Stage {n} after {title}", n=stage, title=self.info.title), id="next-title"
            )
            yield Static(markup=False, classes="field-label", content=_("Title"))
            yield Input(value=_("Stage {n}", n=stage), id="next-title-input")
            yield Static(
                markup=False,
                classes="field-label",
                content=_("Newcomers: P6:Label:Role; P7:... (else empty)"),
            )
            yield Input(value="", id="newcomers")
            yield Static(
                markup=False,
                classes="field-label",
                content=_("Away this time: P3, P4 (else empty)"),
            )
            yield Input(value="", id="absent")
            yield Static(
                markup=False,
                classes="field-label",
                content=_("Recording consent given in writing: P1,P2 or all (else empty)"),
            )
            yield Input(value="", id="next-consent")
            yield Static("", id="next-error")
            with Horizontal(id="next-buttons"):
                yield Button(_("Create and open"), id="next-create", variant="primary")
                yield Button(_("Cancel"), id="next-cancel")

    def on_input_submitted(self) -> None:
        self._create()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "next-create":
            self._create()
        else:
            self.dismiss(None)

    def _create(self) -> None:
        def value(selector: str) -> str:
            return self.query_one(selector, Input).value.strip()

        error = self.query_one("#next-error", Static)
        newcomers = [spec for spec in value("#newcomers").split(";") if spec.strip()]
        absent = [pid for pid in value("#absent").replace(";", ",").split(",") if pid.strip()]
        try:
            created = create_next_stage(
                self.store,
                self.sessions_dir,
                SystemClock().now(),
                newcomers=[spec.strip() for spec in newcomers],
                absent=[pid.strip() for pid in absent],
                title=value("#next-title-input") or None,
                consent=value("#next-consent") or None,
            )
        except ValueError as problem:
            error.update(sentence(str(problem)))
            return
        except (OSError, StorageError) as problem:
            error.update(_("Cannot create the session: {reason}", reason=problem))
            return
        self.dismiss(created)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HomeScreen(Translated, Screen[None]):
    CSS_PATH = "../styles/home.tcss"
    BINDINGS = [
        Binding(
            "tab",
            "app.focus_next",
            N_("Switch list"),
            id="home.switch",
            tooltip=N_("Between sessions and guides"),
        ),
        Binding(
            "s",
            "next_stage",
            N_("Next stage"),
            id="home.next",
            tooltip=N_("The next stage of the highlighted session's study (facilitator next)"),
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
        # sessions whose clock runs: (store, info, state, what their journals looked like)
        self.running: dict[str, tuple[SessionStore, SessionInfo, SessionState, tuple]] = {}

    def compose(self) -> ComposeResult:
        yield Static(_("facilitator: focus groups, phase by phase"), id="home-title")
        with Horizontal(id="home-lists"):
            with Vertical():
                yield Static(
                    _("Sessions in {folder}", folder=str(self.sessions_dir)), classes="home-heading"
                )
                yield StopList(id="sessions")
            with Vertical():
                yield Static(_("Start a new session from a guide"), classes="home-heading")
                yield StopList(id="guides")
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
        self.set_interval(1.0, self.tick)  # a running session's clock, live

    def tick(self) -> None:
        """Each running session's clock moves; its journals are read again only when one of
        them changed (a break, the end, written by the app that runs it)."""
        if not self.running:
            return
        sessions = self.query_one("#sessions", OptionList)
        now = SystemClock().now()
        for key, (store, info, state, seen) in list(self.running.items()):
            looked = journals_seen(store.path)
            if looked != seen:
                try:
                    state = state_of(info, store.read_events().events)
                except (SessionDamaged, KeyError, ValueError, OSError):
                    continue
                self.running[key] = (store, info, state, looked)
            try:
                sessions.replace_option_prompt(key, session_label(store.path, info, state, now))
            except Exception:  # the option went (the list was loaded again): nothing to move
                self.running.pop(key, None)

    def load_lists(self) -> None:
        sessions = self.query_one("#sessions", OptionList)
        sessions.clear_options()
        self.running.clear()
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
            sessions.add_option(Option(session_label(path, info, state, now), id=str(path)))
            if state.started and not state.ended:
                self.running[str(path)] = (store, info, state, journals_seen(path))
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

        def create(answer: NewSession | None) -> None:
            if answer is None:
                return
            try:
                store = SessionStore.create(
                    self.sessions_dir,
                    guide,
                    answer.title,
                    answer.participants,
                    SystemClock().now(),
                    study=answer.study,
                    stage=answer.stage,
                    guide_path=str(path),
                    consent=answer.consent,
                )
            except (ValueError, OSError, StorageError) as error:
                self.notify(str(error), severity="error")
                return
            self._open(store)

        self.app.push_screen(NewSessionScreen(guide), create)

    def action_next_stage(self) -> None:
        sessions = self.query_one("#sessions", OptionList)
        option = (
            None
            if sessions.highlighted is None
            else sessions.get_option_at_index(sessions.highlighted)
        )
        if option is None or option.id is None or option.disabled:
            self.notify(_("Pick a session of the stage before in the list first."), timeout=4)
            return
        store = SessionStore(Path(option.id))

        def opened(created: SessionStore | None) -> None:
            if created is not None:
                self._open(created)

        try:
            self.app.push_screen(NextStageScreen(store, self.sessions_dir), opened)
        except (SessionDamaged, KeyError, ValueError) as error:
            self.notify(str(error), severity="error")

    def action_help(self) -> None:
        from facilitator.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))
