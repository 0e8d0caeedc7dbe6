"""The command palettes: only what the view in front of the user may do.

The moderator's view (``SessionCommands``) jumps to a phase or question, pauses, ends,
ticks, records; the assistant's (``AssistCommands``) only has what its process may do:
who speaks, overlaps, the notes and the board's figures. Textual's own commands (keys
panel, maximize, quit, screenshot) are replaced by ``app_commands``: the theme, in the
interface's language."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider

from facilitator.i18n import _

if TYPE_CHECKING:
    from collections.abc import Iterator

    from textual.app import App

    from facilitator.ui.screens.live import LiveScreen
    from facilitator.ui.screens.session_view import SessionView


def app_commands(app: App) -> Iterator[SystemCommand]:
    """The app-wide commands of every palette: only the theme, translated. Textual's others
    are left out: its keys panel and its notices are in English, maximize and quit have our
    own keys, and its screenshot wrote the screen, session data and all, into the working
    folder."""
    yield SystemCommand(
        _("Colour theme"), _("Change the colours of the app"), app.action_change_theme
    )


def view_commands(screen: SessionView) -> list[tuple[str, str, object]]:
    """What both views may do: who speaks, overlaps, the board's figures, the notes."""
    commands: list[tuple[str, str, object]] = []
    for position, person in enumerate(screen.live.state.roster, start=1):
        commands.append(
            (
                _("Now speaking: {label}", label=person.label),
                _("Participant {number} ({id})", number=position, id=person.id),
                partial(screen.speak, person.id),
            )
        )
        commands.append(
            (
                _("Overlap by {label}", label=person.label),
                _("{label} talked over the current speaker", label=person.label),
                partial(screen.mark_overlap, person.id),
            )
        )
    commands.append(
        (
            _("View: whole session, this phase, this question"),
            _("Which talk figures the board shows"),
            screen.action_scope,
        )
    )
    commands.append((_("All notes"), _("Filter, edit, delete"), screen.action_notes))
    return commands


class _Commands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)  # type: ignore[arg-type]


class AssistCommands(_Commands):
    """The assistant's palette: its process does not move the guide, pause, end or record."""

    def _commands(self) -> list[tuple[str, str, object]]:
        return view_commands(self.screen)  # type: ignore[arg-type]


class SessionCommands(_Commands):
    def _commands(self) -> list[tuple[str, str, object]]:
        screen: LiveScreen = self.screen  # type: ignore[assignment]
        state = screen.live.state
        commands: list[tuple[str, str, object]] = [
            (
                _("Resume (end the break)") if state.paused else _("Pause (a break: clocks stop)"),
                _("The session clock stops while paused"),
                screen.action_pause,
            ),
            (_("End session"), _("Asks to confirm, then shows the summary"), screen.action_end),
        ]
        for number, phase in enumerate(state.guide.phases, start=1):
            commands.append(
                (
                    _("Jump to phase {number}: {title}", number=number, title=phase.title),
                    _("{count} questions", count=len(phase.questions)),
                    partial(screen.goto, phase.id, None),
                )
            )
        for phase in state.guide.phases:
            for number, question in enumerate(phase.questions, start=1):
                commands.append(
                    (
                        _("Jump to question: {text}", text=question.text),
                        f"{phase.title}, {number}",
                        partial(screen.goto, phase.id, question.id),
                    )
                )
        commands += view_commands(screen)
        commands.append(
            (_("Roster"), _("Add, rename, reorder, here or away"), screen.action_roster)
        )
        if screen.recording is not None:
            commands.append(
                (
                    _("Stop recording") if screen.recording.recording else _("Start recording"),
                    _("Only with every present participant's consent (r)"),
                    screen.action_record,
                )
            )
            commands.append(
                (
                    _("Choose the microphone"),
                    _("The input device to record from"),
                    screen.action_choose_device,
                )
            )
        for item in state.phase.checklist:
            if item.consent:
                commands.append(
                    (
                        _("Everyone present consents to recording"),
                        _("Ticks the recording consent for each participant present"),
                        screen.tick_all_consent,
                    )
                )
                continue
            done = state.checklist.get(item.id, False)
            commands.append(
                (
                    (_("Untick: {text}") if done else _("Tick: {text}")).format(text=item.text),
                    _("Checklist of this phase"),
                    partial(screen.toggle_item, item.id),
                )
            )
        return commands
