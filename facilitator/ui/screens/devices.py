"""Choose the microphone: the input devices PortAudio sees, the default marked."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from facilitator.i18n import N_, _
from facilitator.ui.translated import Translated
from facilitator.ui.widgets.lists import StopList


class DevicesScreen(Translated, ModalScreen[int | None]):
    """Returns the chosen device's number, or None when left with escape."""

    CSS_PATH = "../styles/confirm.tcss"

    BINDINGS = [
        Binding("escape", "leave", N_("Back"), id="devices.back", tooltip=N_("Keep the device")),
    ]

    def __init__(self, current: str | int | None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(_("Record from which microphone?"), id="question")
            yield Static(_("Looking for input devices…"), id="detail")
            yield StopList(id="devices")

    def on_mount(self) -> None:
        self.run_worker(self._find, thread=True)

    def _find(self) -> None:
        from facilitator.audio.devices import AudioUnavailable, input_devices

        try:
            found, problem = input_devices(), None
        except AudioUnavailable as error:  # PortAudio missing (what to install), or not starting
            found, problem = [], str(error)
        self.app.call_from_thread(self._show, found, problem)

    def _show(self, found, problem: str | None) -> None:
        detail = self.query_one("#detail", Static)
        options = self.query_one("#devices", OptionList)
        if problem or not found:
            detail.update(problem or _("No microphone (input device) found."))
            return
        detail.update(_("enter chooses; escape keeps the current one. * the system's default"))
        for device in found:
            mark = "*" if device.is_default else " "
            options.add_option(
                Option(f"{mark} {device.index:>2}  {device.name}", id=str(device.index))
            )
        options.focus()
        chosen = [i for i, d in enumerate(found) if str(d.index) == str(self.current)]
        defaults = [i for i, d in enumerate(found) if d.is_default]
        options.highlighted = (chosen or defaults or [0])[0]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_leave(self) -> None:
        self.dismiss(None)
