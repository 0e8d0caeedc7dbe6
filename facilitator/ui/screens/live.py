"""The moderator's live view: guide position, clocks, coverage and checklist on one screen.

The panels, speaker keys and notes it shares with the assistant's view are in
:mod:`.session_view`; this view adds what only the moderator does: move through the guide,
tick the checklist and the carried follow-ups, record, pause, run the member check and the
recap, and end the session.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Static

from facilitator.core.audio import missing_consent, present_ids, unticked_items
from facilitator.core.notes import noted_by
from facilitator.core.session import next_phase_target, next_question_target
from facilitator.core.timefmt import clock, minutes
from facilitator.i18n import N_, _
from facilitator.services.live import LiveSession
from facilitator.ui.commands import SessionCommands
from facilitator.ui.screens.session_view import (
    SessionView,
    cancel_binding,
    help_binding,
    notes_binding,
    scope_binding,
    talk_bindings,
)
from facilitator.ui.typeahead import line_key
from facilitator.ui.widgets.guide_panels import TickList
from facilitator.ui.widgets.record_line import RecordLine
from facilitator.ui.widgets.reflection import ReflectionPanel

AUDIO_TICK_S = 0.1  # the level meter and the voice activity, while recording
AUDIO_CHECK_AFTER_S = 1.0  # can this machine record? asked once the screen is up
CONSENT_ROW = "consent:"  # a checklist row for one participant's recording consent
CHECKPOINT_S = 300.0  # how often the TinyDB copy of the events is refreshed (the journals
# are the record; the copy is for other tools, and a checkpoint costs ~0.1 s at 10,000 events)


class LiveScreen(SessionView):
    COMMANDS = {SessionCommands}

    BINDINGS = [
        *talk_bindings("live"),
        Binding(
            "t",
            "turns",
            N_("Turns"),
            id="live.turns",
            tooltip=N_("The last turns: give one to the right person"),
        ),
        scope_binding("live"),
        Binding(
            "e",
            "roster",
            N_("Roster"),
            id="live.roster",
            tooltip=N_("Add, rename, reorder participants; mark who is here or away"),
        ),
        Binding(
            "x",
            "dismiss_nudges",
            N_("Dismiss"),
            id="live.dismiss",
            tooltip=N_("Dismiss the reminders shown on the talk board"),
            show=False,
        ),
        line_key(
            "n",
            "note",
            N_("Note"),
            id="live.note",
            tooltip=N_("Write a note: enter saves it, escape gives the keys back"),
        ),
        notes_binding("live"),
        line_key(
            "w",
            "reflection",
            N_("Reflexivity"),
            id="live.reflection",
            tooltip=N_(
                "Your private reflexivity log, kept out of exports; over the guide, the board "
                "stays in sight (escape gives the keys back, escape again closes it)"
            ),
        ),
        cancel_binding("live"),
        Binding(
            "right",
            "next_question",
            N_("Next question"),
            id="live.next_question",
            tooltip=N_("Move to the next question of the guide"),
            key_display="→",
        ),
        Binding(
            "left",
            "previous_question",
            N_("Previous"),
            id="live.previous_question",
            tooltip=N_("Move back to the previous question"),
            key_display="←",
        ),
        Binding(
            "pagedown",
            "next_phase",
            N_("Next phase"),
            id="live.next_phase",
            tooltip=N_("Move on to the next phase"),
            key_display="PgDn",
        ),
        Binding(
            "pageup",
            "previous_phase",
            N_("Prev phase"),
            id="live.previous_phase",
            tooltip=N_("Go back to the previous phase"),
            key_display="PgUp",
        ),
        Binding(
            "p",
            "pause",
            N_("Pause"),
            id="live.pause",
            tooltip=N_("Start or end a break: the clocks stop while paused"),
        ),
        Binding(
            "r",
            "record",
            N_("Record"),
            id="live.record",
            tooltip=N_(
                "Start or stop the audio recording (only with every present participant's consent)"
            ),
        ),
        Binding(
            "c",
            "checklist",
            N_("Checklist"),
            id="live.checklist",
            tooltip=N_("Tick the phase's checklist (space ticks, escape returns)"),
        ),
        Binding(
            "f",
            "follow_ups",
            N_("Follow-ups"),
            id="live.follow_ups",
            tooltip=N_("Tick follow-ups carried from an earlier stage as taken up"),
        ),
        Binding(
            "m",
            "member_check",
            N_("Member check"),
            id="live.member_check",
            tooltip=N_("The closing read-back: points from the notes, marked as the group answers"),
        ),
        Binding(
            "R",
            "recap",
            N_("Recap"),
            id="live.recap",
            tooltip=N_("The recap of the stage before (it opens a follow-up stage)"),
            key_display="R",
        ),
        Binding(
            "q",
            "end",
            N_("End"),
            id="live.end",
            tooltip=N_("End the session (asks to confirm), then show the summary"),
        ),
        help_binding("live"),
    ]

    def __init__(self, live: LiveSession, recording=None) -> None:
        super().__init__(live)
        self.recording = recording  # the moderator's Recording (None: this view cannot record)
        self.audio_problem: str | None = None
        # (phase, unticked items) the moderator chose to leave as they were: not asked again
        self._moved_on_anyway: set[tuple[str, frozenset[str]]] = set()

    # --- layout ----------------------------------------------------------------------------------

    def compose_guide_extras(self) -> Iterator[Widget]:
        yield ReflectionPanel(self.actions, id="reflection")  # docked over the guide's foot
        yield Static(_("Checklist") + "  [dim](c)[/]", id="checklist-title")
        yield TickList(id="checklist")
        yield Static(_("Follow-ups from earlier stages") + "  [dim](f)[/]", id="follow-ups-title")
        yield TickList(id="follow-ups")

    def mount_extras(self) -> None:
        self.set_interval(CHECKPOINT_S, self.checkpoint)
        if self.recording is not None:
            self.set_interval(AUDIO_TICK_S, self.audio_tick)
            # after the first frames: PortAudio's start (tens of ms, holding the GIL at
            # times) would otherwise delay the first frame the moderator sees
            self.set_timer(
                AUDIO_CHECK_AFTER_S,
                lambda: self.run_worker(self._check_audio, thread=True, group="audio-check"),
            )
            recovered = self._act(self.recording.recover)
            for message in recovered or ():
                self.notify(message, severity="warning", timeout=12)
        if self.live.started_now and self.live.info.stage > 1 and self.live.owns_clock:
            self.call_after_refresh(self.action_recap)  # a follow-up stage opens with the recap

    def _check_audio(self) -> None:
        """In a thread, after the first frame: can this machine record? (PortAudio)"""
        assert self.recording is not None
        problem = self.recording.problem()
        self.app.call_from_thread(self._audio_checked, problem)

    def _audio_checked(self, problem: str | None) -> None:
        self.audio_problem = problem
        self._show_record_line()

    def audio_tick(self) -> None:
        """Ten times a second while recording: the meter, voice activity, device news."""
        recording = self.recording
        if recording is None or not (recording.recording or recording.waiting):
            return
        # ``_act`` shows the whole view again for a result that is not None: only on news
        notices = self._act(lambda: recording.poll() or None)
        for notice in notices or ():
            self.notify(notice, severity="warning", timeout=12)
        if not notices:
            self._show_record_line()

    def _show_record_line(self) -> None:
        if self.recording is None:
            super()._show_record_line()
            return
        state = self.live.state
        now_s = state.session_s(self.live.now())
        unattributed = state.audio.live_unattributed_s(state.talk, now_s)
        problem = self.audio_problem or self.recording.device_problem
        self.part(RecordLine).show(self.recording.meter(), problem, unattributed)

    def action_record(self) -> None:
        if self.recording is None:
            self.notify(_("Only the moderator's view records."), timeout=3)
            return
        message = self._act(self.recording.toggle)  # shows the view again once saved
        if message:
            recording = self.recording.recording
            self.notify(message, severity="information" if recording else "warning", timeout=6)

    def action_choose_device(self) -> None:
        from facilitator.ui.screens.devices import DevicesScreen

        recording = self.recording
        if recording is None:
            return

        def chosen(index: int | None) -> None:
            if index is None:
                return
            recording.set_device(index)
            self.notify(_("Recording will use device {number}.", number=index), timeout=4)

        if recording.recording:
            self.notify(_("Stop the recording (r) to change the microphone."), timeout=4)
            return
        self.app.push_screen(DevicesScreen(recording.device), chosen)

    def checkpoint(self) -> None:
        self.run_worker(self._checkpoint, thread=True, exclusive=True, group="checkpoint")

    def _checkpoint(self) -> None:
        """The TinyDB copy of the events and the snapshot of the state, in a child process
        that this thread waits for (off the key path). Its failing loses nothing (the
        journals hold every event) but is said, so that a filling disk is noticed."""
        store = self.live.store
        if store.checkpoint_apart() < 0 and store.checkpoint_problem:
            self.app.call_from_thread(
                self.notify,
                _(
                    "The session's copy in session.json could not be updated ({reason}); "
                    "nothing is lost, the journals hold every event. Free disk space.",
                    reason=store.checkpoint_problem,
                ),
                severity="warning",
                timeout=15,
            )

    # --- showing state ---------------------------------------------------------------------------

    def _show_follow_ups(self) -> None:
        state = self.live.state
        carried = self.live.info.carried
        self.part("#follow-ups", TickList).show_items(
            [(c.id, c.text, state.taken_up.get(c.id, False)) for c in carried],
            {
                # credited to who noted it, not to whoever held the floor at the time
                c.id: _("stage {n}", n=c.stage) + (f", {noted_by(c.author)}" if c.author else "")
                for c in carried
            },
        )
        self.part("#follow-ups-title").display = bool(carried)

    def show_guide_extras(self) -> None:
        self._show_checklist()
        self._show_follow_ups()

    def banner(self, now: float) -> tuple[str, str] | None:
        state = self.live.state
        if state.paused:
            return (
                _(
                    "Break: the clocks are stopped ({duration}). Press p to resume.",
                    duration=clock(state.current_pause_s(now)),
                ),
                "bold black on #90caf9",
            )
        squeeze = state.closing_squeeze_s(now)
        if squeeze > 0:
            return (
                _(
                    "The rest of the guide ({later}) no longer fits: {over} over the planned "
                    "session. Move on to keep time for the closing summary.",
                    later=minutes(state.later_phases_planned_s()),
                    over=clock(squeeze),
                ),
                "bold black on #e0a526",
            )
        return None

    # --- acting ----------------------------------------------------------------------------------

    def action_reflection(self) -> None:
        """The reflexivity log opens over the foot of the guide, never over the talk board;
        escape in it gives the keys back (the speaker keys work while it is open)."""
        self.part("#reflection", ReflectionPanel).open()

    def on_reflection_panel_leave(self, message: ReflectionPanel.Leave) -> None:
        self.set_focus(None)

    def action_cancel(self) -> None:
        panel = self.part("#reflection", ReflectionPanel)
        if not self.overlap_pending and panel.display:
            panel.close()
            return
        super().action_cancel()

    def action_dismiss_nudges(self) -> None:
        keys = list(self.shown_nudges)
        for key in keys:
            self._act(lambda key=key: self.live.dismiss_nudge(key))
        self.redraw()

    def action_turns(self) -> None:
        from facilitator.ui.screens.turns import TurnsScreen

        self._catch_up()
        if not self.live.state.talk.recent_turns(1):
            self.notify(_("No turns yet."), timeout=3)
            return
        self.app.push_screen(TurnsScreen(self.actions))

    def action_roster(self) -> None:
        from facilitator.ui.screens.roster import RosterScreen

        self.app.push_screen(RosterScreen(self.actions))

    def action_next_question(self) -> None:
        self._moving_on(next_question_target(self.live.state), self.live.next_question)

    def action_previous_question(self) -> None:
        self._act(self.live.previous_question)

    def action_next_phase(self) -> None:
        self._moving_on(next_phase_target(self.live.state), self.live.next_phase)

    def _moving_on(self, target: tuple[str, str | None] | None, move) -> None:
        """Leaving a phase for a later one with checklist items (or consent) not ticked asks
        first, once for the same items; other moves go at once."""
        state = self.live.state
        leaving = (
            target is not None
            and self.live.owns_clock
            and not state.ended
            and state.guide.phase_index(target[0]) > state.phase_index
        )
        unticked = unticked_items(state) if leaving else []
        asked = (state.phase_id, frozenset(item.id for item in unticked))
        if not unticked or asked in self._moved_on_anyway:
            self._act(move)
            return
        from facilitator.ui.screens.confirm import ConfirmScreen

        def answer(yes: bool | None) -> None:
            if yes:
                self._moved_on_anyway.add(asked)
                self._act(move)

        count = len(unticked)
        self.app.push_screen(
            ConfirmScreen(
                _("1 item not ticked: go on anyway?")
                if count == 1
                else _("{count} items not ticked: go on anyway?", count=count),
                "\n".join(f"[ ] {item.text}" for item in unticked)
                + "\n\n"
                + _("n stays here; c ticks them in the checklist."),
                danger=False,
            ),
            answer,
        )

    def action_previous_phase(self) -> None:
        self._act(self.live.previous_phase)

    def action_pause(self) -> None:
        self._act(self.live.toggle_pause)

    def goto(self, phase_id: str, question_id: str | None) -> None:
        self._moving_on((phase_id, question_id), lambda: self.live.goto(phase_id, question_id))

    def toggle_item(self, item_id: str) -> None:
        self._act(lambda: self.live.toggle_checked(item_id))

    def _show_checklist(self) -> None:
        state = self.live.state
        info = self.live.info
        items = state.phase.checklist
        labels = {p.id: p.label for p in state.roster}
        newcomers = [labels.get(i, i) for i in info.newcomers if i not in info.absent]
        returning = [
            p.label for p in state.roster if p.id not in info.newcomers and p.id not in info.absent
        ]
        remark = {}
        if info.stage > 1:  # at a first meeting everyone is new: no need to say so
            for item in items:
                if item.audience == "newcomers" and newcomers:
                    remark[item.id] = _("for {names}", names=", ".join(newcomers))
                elif item.audience == "returning" and returning:
                    remark[item.id] = _("returning participants")
        rows: list[tuple[str, str, bool]] = []
        for item in items:
            if not item.consent:
                rows.append((item.id, item.text, state.checklist.get(item.id, False)))
                continue
            # the recording consent: one line that says how many have consented, and one
            # for each participant present, listed while the checklist has the keys (c)
            present = present_ids(state)
            missing = missing_consent(state)
            rows.append((item.id, item.text, not missing))
            remark[item.id] = _(
                "{given} of {present} present have consented",
                given=len(present) - len(missing),
                present=len(present),
            )
            for person in state.roster:
                if person.id in present:
                    rows.append(
                        (
                            CONSENT_ROW + person.id,
                            f"  {person.id} {person.label}",
                            state.audio.has_consent(person.id),
                        )
                    )
        per_person = {row[0] for row in rows if row[0].startswith(CONSENT_ROW)}
        self.part("#checklist", TickList).show_items(rows, remark, while_focused=per_person)
        title = self.part("#checklist-title")
        if title.display != bool(items):  # setting it, even unchanged, asks for a layout pass
            title.display = bool(items)

    def on_tick_list_toggled(self, message: TickList.Toggled) -> None:
        if message.list_id == "follow-ups":
            taken = self.live.state.taken_up.get(message.item_id, False)
            self._act(lambda: self.live.set_taken_up(message.item_id, not taken))
        elif message.item_id.startswith(CONSENT_ROW):
            pid = message.item_id.removeprefix(CONSENT_ROW)
            given = self.live.state.audio.has_consent(pid)
            self._act(lambda: self.live.set_consent(pid, not given))
        elif any(i.id == message.item_id and i.consent for i in self.live.state.phase.checklist):
            self.tick_all_consent()
        else:
            self.toggle_item(message.item_id)

    def tick_all_consent(self) -> None:
        """On the consent item itself: everyone present consents (or, if all had, none)."""
        from facilitator.ui.screens.confirm import ConfirmScreen

        state = self.live.state
        missing = missing_consent(state)
        present = present_ids(state)
        people = [p for p in (missing or state.roster) if p.id in present]
        if not people:
            return

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            for person in people:
                pid = person.id
                if self._act(lambda pid=pid: self.live.set_consent(pid, bool(missing))) is None:
                    break

        names = "\n".join(f"  {p.id} {p.label}" for p in people)
        one_by_one = _("Or tick each person on their own line with space.")
        if missing:
            question = _(
                "Recording consent from all {count} who have not consented?", count=len(people)
            )
        else:
            question = _(
                "Withdraw the recording consent of all {count} present?", count=len(people)
            )
        self.app.push_screen(
            ConfirmScreen(question, names + "\n\n" + one_by_one, danger=not missing),
            answer,
        )

    def _focus_list(self, selector: str, empty: str) -> None:
        """Give a tick list the keys (escape gives them back), or say why there is none."""
        items = self.part(selector, TickList)
        if not items.display:
            self.notify(empty, timeout=3)
            return
        items.focus()
        if items.highlighted is None and items.option_count:
            items.highlighted = 0

    def action_follow_ups(self) -> None:
        self._focus_list("#follow-ups", _("No follow-ups were carried from an earlier stage."))

    def action_member_check(self) -> None:
        from facilitator.ui.screens.member_check import MemberCheckScreen

        self._catch_up()
        self.app.push_screen(MemberCheckScreen(self.actions), lambda _: self.refresh_view())

    def action_recap(self) -> None:
        from facilitator.core.study import build_recap
        from facilitator.ui.screens.recap import RecapScreen

        before = self.live.previous_stage()
        if before is None:
            self.notify(_("There is no earlier stage to recap."), timeout=3)
            return
        self.app.push_screen(RecapScreen(self.actions, build_recap(*before, self.live.now())))

    def action_checklist(self) -> None:
        self._focus_list("#checklist", _("This phase has no checklist."))

    def _show_summary(self) -> None:
        from facilitator.ui.screens.summary import SummaryScreen

        self.app.switch_screen(SummaryScreen(self.live))

    def action_end(self) -> None:
        from facilitator.ui.screens.confirm import ConfirmScreen

        def ended(confirmed: bool | None) -> None:
            if confirmed:
                recording = self.recording
                if recording is not None and recording.recording:
                    self._act(lambda: recording.stop("end"))  # no recording past the end
                self._act(self.live.end)
                if self.live.state.ended:
                    # switch only once the dialog is gone from the screen stack
                    self.app.call_later(self._show_summary)

        state = self.live.state
        detail = [_("The clocks stop for good and the summary is shown.")]
        never = state.never_shown(self.live.now())
        if never:
            detail.append(
                (
                    _("1 question was never shown:")
                    if len(never) == 1
                    else _("{count} questions were never shown:", count=len(never))
                )
                + "".join(f"\n  · {q.text}" for q in never[:5])
                + ("\n  …" if len(never) > 5 else "")
            )
        unmarked = state.unmarked_check_points()
        if unmarked:
            detail.append(
                _(
                    "Member-check points not marked yet: {count} (m: confirmed, nuanced or "
                    "refuted).",
                    count=len(unmarked),
                )
            )
        self.app.push_screen(
            ConfirmScreen(_("End the session now?"), "\n\n".join(detail)),
            ended,
        )
