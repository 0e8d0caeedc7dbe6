"""The roster in the room: add, rename, reorder; who is here, who arrived late or left."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from facilitator.core.session import MAX_PARTICIPANTS
from facilitator.i18n import N_, _
from facilitator.ui.translated import Translated
from facilitator.ui.typeahead import TypeAhead, line_key
from facilitator.ui.widgets.lists import StopList

if TYPE_CHECKING:
    from facilitator.ui.screens.session_view import SessionActions


class RosterScreen(Translated, TypeAhead, ModalScreen[None]):
    CSS_PATH = "../styles/talk.tcss"
    BINDINGS = [
        line_key(
            "a", "add", N_("Add"), id="roster.add", tooltip=N_("Add a participant (arrives now)")
        ),
        line_key(
            "r", "rename", N_("Rename"), id="roster.rename", tooltip=N_("Change the pseudonym")
        ),
        Binding(
            "h",
            "presence",
            N_("Here/away"),
            id="roster.presence",
            tooltip=N_("Mark as arrived or as gone: fair shares count only time present"),
        ),
        Binding(
            "k",
            "move(-1)",
            N_("Move up"),
            id="roster.up",
            tooltip=N_("Move up (changes the number key)"),
        ),
        Binding(
            "j",
            "move(1)",
            N_("Move down"),
            id="roster.down",
            tooltip=N_("Move down (changes the number key)"),
        ),
        Binding(
            "escape", "close", N_("Close"), id="roster.close", tooltip=N_("Back to the live view")
        ),
    ]

    def __init__(self, actions: SessionActions) -> None:
        super().__init__()
        self.actions = actions
        self.editing: str | None = None  # "add" or a participant id being renamed

    @property
    def live(self):
        return self.actions.live

    def compose(self) -> ComposeResult:
        with Vertical(id="roster-dialog"):
            yield Static(
                _("Roster: a add · r rename · n real name · h here/away · k/j move · escape back"),
                id="roster-title",
            )
            yield StopList(id="roster")
            yield Input(id="roster-input")
            yield Static("", id="roster-hint")

    def on_mount(self) -> None:
        self.query_one(Input).display = False
        self._fill()
        self.query_one(OptionList).focus()

    def _fill(self) -> None:
        state = self.live.state
        roster = self.query_one(OptionList)
        highlighted = roster.highlighted or 0
        roster.clear_options()
        for position, person in enumerate(state.roster, start=1):
            here = person.id in state.talk.present
            line = Text()
            line.append(f"{position if position <= 9 else ' '} ", style="bold")
            line.append(f"{person.id:<5} {person.label:<20}", style="" if here else "dim strike")
            line.append(f" {person.role:<20}", style="dim")
            line.append(_("here") if here else _("away"), style="green" if here else "dim")
            roster.add_option(Option(line, id=person.id))
        if roster.option_count:
            roster.highlighted = min(highlighted, roster.option_count - 1)

    def _selected(self) -> str | None:
        roster = self.query_one(OptionList)
        if roster.highlighted is None:
            return None
        return roster.get_option_at_index(roster.highlighted).id

    def action_add(self) -> None:
        if len(self.live.state.roster) >= MAX_PARTICIPANTS:
            self.notify(
                _("At most {count} participants.", count=MAX_PARTICIPANTS), severity="warning"
            )
            return
        self._ask("add", _("New participant: pseudonym[:role] (enter saves, escape cancels)"), "")

    def action_rename(self) -> None:
        pid = self._selected()
        if pid is None:
            return
        person = self.live.state.participant(pid)
        if person is not None:
            self._ask(
                pid, _("New pseudonym for {id} (enter saves, escape cancels)", id=pid), person.label
            )

    def action_real_name(self) -> None:
        pid = self._selected()
        person = self.live.state.participant(pid) if pid else None
        if person is not None:
            self._ask(
                f"name:{person.id}",
                _(
                    "Real name of {label}: stays in the session folder, never in outputs",
                    label=person.label,
                ),
                person.real_name,
            )

    def _ask(self, what: str, hint: str, value: str) -> None:
        self.editing = what
        field = self.query_one(Input)
        field.value = value
        field.display = True
        self.set_focus(field)
        self.query_one("#roster-hint", Static).update(hint)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        what = self.editing
        self._stop_asking()
        if what is not None and what.startswith("name:"):
            pid = what.removeprefix("name:")
            self.actions.act(lambda: self.live.edit_participant(pid, real_name=text))
            self._fill()
            return
        if not text or what is None:
            return
        if what == "add":
            label, _sep, role = text.partition(":")
            pid = self._next_id()
            added = self.actions.act(
                lambda: self.live.add_participant(pid, label.strip(), role.strip())
            )
            if added is not None:
                self._ask_consent(pid)
        else:
            self.actions.act(lambda: self.live.edit_participant(what, label=text))
        self._fill()

    def _next_id(self) -> str:
        used = {p.id for p in self.live.state.roster}
        numbers = [int(m.group(1)) for i in used if (m := re.fullmatch(r"P(\d+)", i))]
        candidate = max(numbers, default=0) + 1
        while f"P{candidate}" in used:
            candidate += 1
        return f"P{candidate}"

    def _stop_asking(self) -> None:
        self.editing = None
        field = self.query_one(Input)
        field.display = False
        self.query_one("#roster-hint", Static).update("")
        self.query_one(OptionList).focus()

    def action_presence(self) -> None:
        pid = self._selected()
        if pid is None:
            return
        here = pid in self.live.state.talk.present
        marked = self.actions.act(lambda: self.live.set_present(pid, not here))
        self._fill()
        if marked is not None and not here:
            self._ask_consent(pid)

    def _ask_consent(self, pid: str) -> None:
        """Someone who arrives while the session runs is asked for recording consent at once:
        until they give it, nothing is recorded (the recording stops by itself)."""
        from facilitator.ui.screens.confirm import ConfirmScreen

        live = self.live
        person = live.state.participant(pid)
        if (
            person is None
            or not live.state.started
            or live.state.ended
            or not live.owns_clock
            or live.state.audio.has_consent(pid)
        ):
            return

        def answer(yes: bool | None) -> None:
            if yes:
                if self.actions.act(lambda: live.set_consent(pid, True)) is not None:
                    self.notify(
                        _("Recording consent from {label} ticked.", label=person.label), timeout=4
                    )
            else:
                self.notify(
                    _(
                        "No recording consent from {label}: nothing is recorded while they are "
                        "here. Tick it later in the checklist (c).",
                        label=person.label,
                    ),
                    severity="warning",
                    timeout=8,
                )
            self._fill()

        self.app.push_screen(
            ConfirmScreen(
                _(
                    "{label} ({id}) is here now. Do they consent to audio recording?",
                    label=person.label,
                    id=person.id,
                ),
                _(
                    "Until they do, nothing is recorded: a recording going on stops now and "
                    "goes on once they consent."
                ),
                danger=False,
            ),
            answer,
        )

    def action_move(self, step: int) -> None:
        pid = self._selected()
        if pid is None:
            return
        ids = [p.id for p in self.live.state.roster]
        index = ids.index(pid)
        target = index + step
        if not 0 <= target < len(ids):
            return
        ids[index], ids[target] = ids[target], ids[index]
        self.actions.act(lambda: self.live.reorder(ids))
        self._fill()
        self.query_one(OptionList).highlighted = target

    def action_close(self) -> None:
        if self.editing is not None:
            self._stop_asking()
            return
        self.dismiss(None)
