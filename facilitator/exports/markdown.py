"""The summary as a readable Markdown document: plan against what happened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from facilitator.core.collect import paused_collection
from facilitator.core.notes import quoted, tags_text
from facilitator.core.talk_figures import balance_text
from facilitator.core.timefmt import clock, local_time
from facilitator.core.transcript import StatementsNear, transcript_figures
from facilitator.i18n import _


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def text_bar(share: float, width: int = 20) -> str:
    """A bar of ``width`` characters for a share from 0 to 1, in eighths of a character."""
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, rest = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[rest] if rest else ""
    return ("█" * full + partial).ljust(width, "·")


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def _talk_section(summary: dict[str, Any]) -> list[str]:
    out = ["", f"## {_('Talk time')}", ""]
    names = summary.get("names") or {} if summary.get("with_names") else {}
    if summary.get("with_names"):
        out += [f"*{_('This report contains real names.')}*", ""]
    rows = []
    for p in summary["participants"]:
        real = f" — {names[p['id']]}" if p["id"] in names else ""
        rows.append(
            [
                f"{p['label']} ({p['id']})" + real + (f", {p['role']}" if p["role"] else ""),
                clock(p["talk_s"]),
                f"`{text_bar(p['share'])}` {_percent(p['share'])}",
                _percent(p["fair_share"]),
                str(p["turns"]),
                clock(p["longest_turn_s"]),
            ]
        )
    out += _table(
        [_("Participant"), _("Talk"), _("Share"), _("Fair share"), _("Turns"), _("Longest")], rows
    )
    m = summary["moderator"]
    b = summary["balance"]
    out += [
        "",
        f"- **{_('Moderator')}:** "
        + _(
            "{talk} in {turns} turns, {share} of all talk",
            talk=clock(m["talk_s"]),
            turns=m["turns"],
            share=_percent(m["share_of_all_talk"]),
        ),
        f"- **{_('Balance (Gini, 0 = even)')}:** " + balance_text(b["gini"]),
    ]
    if b["silent"]:
        labels = summary["turn_taking"]["labels"]
        out.append(
            f"- **{_('Did not speak')}:** " + ", ".join(labels.get(i, i) for i in b["silent"])
        )
    out += _talk_from_transcript_section(summary)
    follows = summary["turn_taking"]["follows"]
    if follows:
        labels = summary["turn_taking"]["labels"]
        ids = [p["id"] for p in summary["participants"]] + ["moderator"]
        counts = {(f["from"], f["to"]): f["count"] for f in follows}
        out += ["", f"### {_('Who spoke after whom')}", ""]
        out += _table(
            [_("after ↓ / then →")] + [labels.get(i, i) for i in ids],
            [[labels.get(a, a)] + [str(counts.get((a, b), "")) for b in ids] for a in ids],
        )
    overlaps = summary["turn_taking"]["overlaps"]
    if overlaps:
        labels = summary["turn_taking"]["labels"]
        out += ["", f"### {_('Overlaps')}", ""]
        for o in overlaps:
            out.append(
                "- "
                + _(
                    "{who} talked over {over}: {count}",
                    who=labels.get(o["who"], o["who"]),
                    over=labels.get(o["over"], o["over"] or _("nobody")),
                    count=o["count"],
                )
            )
    return out


def _talk_from_transcript_section(summary: dict[str, Any]) -> list[str]:
    """The talk time from the corrected transcript's statements beside the keyed turns'
    (``summary --talk-from transcript``): a researcher can report both."""
    figures = summary.get("talk_from_transcript")
    if not figures:
        return []
    keyed = {p["id"]: p for p in summary["participants"]}
    out = ["", f"### {_('Talk time: keyed turns and the corrected transcript')}", ""]
    rows = []
    for p in figures["participants"]:
        k = keyed.get(p["id"], {})
        rows.append(
            [
                f"{k.get('label', p['id'])} ({p['id']})",
                clock(k.get("talk_s", 0.0)),
                _percent(k.get("share", 0.0)),
                clock(p["talk_s"]),
                _percent(p["share"]),
                str(p["statements"]),
                str(p["words"]),
            ]
        )
    out += _table(
        [
            _("Participant"),
            _("Keyed"),
            _("Keyed share"),
            _("Transcript"),
            _("Transcript share"),
            _("Statements"),
            _("Words"),
        ],
        rows,
    )
    out += [
        "",
        f"- **{_('Moderator')}:** "
        + _(
            "{talk} in {count} statements, {share} of all talk (keyed: {keyed})",
            talk=clock(figures["moderator_talk_s"]),
            count=figures["moderator_statements"],
            share=_percent(figures["moderator_share_of_all"]),
            keyed=_percent(summary["moderator"]["share_of_all_talk"]),
        ),
        f"- **{_('Unattributed')}:** "
        + _(
            "{talk} in {count} statements ({words} words)",
            talk=clock(figures["unattributed_s"]),
            count=figures["unattributed_statements"],
            words=figures["unattributed_words"],
        ),
    ]
    return out


def wall_s(gap: dict[str, Any]) -> float:
    """How long a break or a gap in the timeline lasted on the wall clock (0 while open)."""
    return (gap["wall_end"] or gap["wall_start"]) - gap["wall_start"]


def speaker_name(who: str | None, label: str | None) -> str:
    """How every report shows a speaker: the pseudonym on one line, the moderator as
    "Moderator" (in the interface's language), nobody as ""."""
    if who is None:
        return ""
    if who == "moderator":
        return _("Moderator")
    return " ".join(str(label or who).split())


def note_speaker(note: dict[str, Any]) -> str:
    return speaker_name(note["speaker_id"], note["speaker"])


def note_line(note: dict[str, Any]) -> str:
    tags = tags_text(note["tags"])
    speaker = note_speaker(note)
    who = f" ({speaker})" if speaker else ""
    text = quoted(note["text"]) if "quote" in note["tags"] else note["text"]
    return f"- {clock(note['t_s'])}{who}: {text}" + (f" `{tags}`" if tags else "")


NoteGroups = list[tuple[str | None, list[tuple[str | None, list[dict[str, Any]]]]]]


def notes_by_question(summary: dict[str, Any]) -> NoteGroups:
    """The notes as every report lists them: [(phase title, [(question text, notes)])].

    Phases and questions come in the guide's order, notes in time order. Notes not tied to
    one of their phase's questions come last in the phase, under the question None; notes
    of a phase the guide does not have come at the very end, under the phase None.
    """
    known = {p["id"] for p in summary["phases"]}
    by_phase: dict[str | None, list[dict[str, Any]]] = {}
    for note in summary["notes"]:
        by_phase.setdefault(note["phase"] if note["phase"] in known else None, []).append(note)
    out: NoteGroups = []
    for phase in summary["phases"]:
        if phase["id"] not in by_phase:
            continue
        texts: dict[str | None, str] = {q["id"]: q["text"] for q in phase["questions"]}
        groups: dict[str | None, list[dict[str, Any]]] = {key: [] for key in texts}
        groups[None] = []
        for note in by_phase[phase["id"]]:
            groups[note["question"] if note["question"] in texts else None].append(note)
        out.append(
            (phase["title"], [(texts.get(key), notes) for key, notes in groups.items() if notes])
        )
    if None in by_phase:
        out.append((None, [(None, by_phase[None])]))
    return out


def _notes_section(summary: dict[str, Any]) -> list[str]:
    notes = summary["notes"]
    if not notes:
        return []
    out = ["", f"## {_('Notes')}"]
    for title, groups in notes_by_question(summary):
        out += ["", f"### {title}" if title is not None else f"### *{_('Not tied to a phase')}*"]
        for question, group in groups:
            out += ["", f"**{question}**" if question else f"*{_('Not tied to a question')}*", ""]
            out += [note_line(n) for n in group]
    quotes = [n for n in notes if "quote" in n["tags"]]
    if quotes:
        out += ["", f"## {_('Quotes')}", ""]
        near = StatementsNear(summary.get("transcript"))
        for note in quotes:
            out.append(note_line(note))
            for statement in near(note["t_s"], note["speaker_id"]):
                out.append(f"  > {spoken_line(statement)}")
    follow = summary["follow_ups"]
    if follow:
        out += ["", f"## {_('Follow-ups')}", ""] + [note_line(n) for n in follow]
    return out


def outcome_text(outcome: str | None, unmarked: str | None = None) -> str:
    """The group's verdict on a member-check point in words; without one, ``unmarked``
    (by default "not checked")."""
    names = {"confirmed": _("confirmed"), "nuanced": _("nuanced"), "refuted": _("refuted")}
    return names.get(outcome or "") or unmarked or _("not checked")


def _member_check_section(summary: dict[str, Any]) -> list[str]:
    points = summary.get("member_check") or []
    if not points:
        return []
    out = ["", f"## {_('Member check')}", ""]
    for point in points:
        verdict = _("skipped") if point["skipped"] else outcome_text(point["outcome"])
        nuance = f": {point['nuance']}" if point.get("nuance") else ""
        out.append(f"- {point['text']} — **{verdict}**{nuance}")
    return out


def _reflections_section(summary: dict[str, Any]) -> list[str]:
    """The private reflexivity log: in the summary only when asked for (--with-reflections)."""
    entries = summary.get("reflections")
    if not entries:
        return []
    out = ["", f"## {_('Reflexivity log (private)')}", ""]
    return out + [f"- {clock(r['t_s'])}: {r['text']}" for r in entries]


def session_facts(
    summary: dict[str, Any], when: Callable[[str | None], str]
) -> list[tuple[str, str]]:
    """The session's facts, as every report lists them: (name, value), times through ``when``."""
    s = summary["session"]
    facts = [
        (_("Guide"), s["guide"]),
        (_("Study"), s["study"] or "–"),
        (_("Stage"), str(s["stage"])),
        (_("Status"), _(s["status"])),
        (_("Started"), when(s["started_at"])),
        (_("Ended"), when(s["ended_at"])),
        (
            _("Session time"),
            f"{clock(s['duration_s'])} " + _("of {planned} planned", planned=clock(s["planned_s"])),
        ),
    ]
    if s["pauses"]:
        facts.append(
            (
                _("Breaks"),
                _("{count} ({duration} in all)", count=s["pauses"], duration=clock(s["paused_s"])),
            )
        )
    if s["down_s"]:
        facts.append(
            (
                _("App not running"),
                _("{duration} (counted as session time)", duration=clock(s["down_s"])),
            )
        )
    facts.append((_("Audio"), audio_fact(summary.get("audio"))))
    if summary.get("transcript"):
        facts.append((_("Transcript"), transcript_fact(summary["transcript"])))
    audio = summary.get("audio") or {}
    if audio.get("no_consent"):
        labels = {p["id"]: p["label"] for p in summary["participants"]}
        facts.append(
            (
                _("No recording consent"),
                ", ".join(f"{pid} {labels.get(pid, '')}".strip() for pid in audio["no_consent"]),
            )
        )
    if audio.get("voice_s"):
        facts.append(
            (
                _("Unattributed speech"),
                _(
                    "{duration} of speech while nobody was marked speaking",
                    duration=clock(audio["unattributed_speech_s"]),
                ),
            )
        )
    return facts


def transcript_fact(section: dict[str, Any]) -> str:
    """The transcript in one line: model and language, how much is done, the words, the time
    it took against the audio's length."""
    f = transcript_figures(section)
    text = _(
        "{model} ({language}): {words} words in {statements} statements, {unattributed} "
        "unattributed ({unattributed_share}); {done} of the recording transcribed",
        model=f["model"],
        language=f["language"] or "?",
        words=f["words"],
        statements=f["statements"],
        unattributed=f["unattributed"],
        unattributed_share=_percent(f["unattributed_share"]),
        done=_percent(f["transcribed_share"]),
    )
    if f["speech_share"] is not None:
        text += _(", words for {share} of the speech heard", share=_percent(f["speech_share"]))
    if f["elapsed_s"]:
        text += _(
            "; it took {took} for {audio} of audio",
            took=clock(f["elapsed_s"]),
            audio=clock(f["audio_s"]),
        )
    if not f["complete"]:
        text += " " + _("(not finished: facilitator transcribe goes on where it stopped)")
    return text


def spoken_line(statement: dict[str, Any]) -> str:
    """A statement as the reports quote it: ``12:34 Informant 1: the words``."""
    who = speaker_name(statement["who"], statement["label"]) or _("unattributed")
    return f"{clock(statement['start_s'])} {who}: {statement['text']}"


def audio_fact(audio: dict[str, Any] | None) -> str:
    """Whether audio exists and where: one line for every report."""
    if not audio or not audio["recorded"]:
        return _("not recorded")
    parts = len(audio["segments"])
    if audio["purged"] and not audio["exists"]:
        return _(
            "{duration} was recorded; every recording, clip and export was deleted "
            "(facilitator purge --audio)",
            duration=clock(audio["seconds"]),
        )
    text = _(
        "{duration} recorded in {parts} part(s), in the folder audio/ of the session folder",
        duration=clock(audio["seconds"]),
        parts=parts,
    )
    if audio["overflows"]:
        text += " " + _("({count} dropped blocks)", count=audio["overflows"])
    lost = [seg for seg in audio["segments"] if seg["ended_by"] in ("lost", "write")]
    if lost:
        text += " " + _("({count} stopped by a device or disk problem)", count=len(lost))
    return text


@paused_collection
def render_markdown(summary: dict[str, Any]) -> str:
    s = summary["session"]
    out: list[str] = [f"# {s['title']}", ""]
    facts = session_facts(summary, local_time)
    out += [f"- **{name}:** {value}" for name, value in facts]
    cov = summary["coverage"]
    out += [
        "",
        f"- **{_('Coverage')}:** "
        + _("{asked} of {total} questions asked", asked=cov["asked"], total=cov["questions"]),
    ]

    out += ["", f"## {_('Plan and actual time per phase')}", ""]
    rows = []
    for phase in summary["phases"]:
        over = phase["actual_s"] - phase["planned_s"]
        rows.append(
            [
                phase["title"],
                clock(phase["planned_s"]),
                clock(phase["actual_s"]),
                ("+" if over > 0 else "") + clock(over),
            ]
        )
    out += _table([_("Phase"), _("Planned"), _("Actual"), _("Difference")], rows)

    for phase in summary["phases"]:
        if not phase["questions"] and not phase["checklist"]:
            continue
        out += ["", f"### {phase['title']}", ""]
        for question in phase["questions"]:
            mark = "x" if question["asked"] else " "
            out.append(f"- [{mark}] {question['text']} ({clock(question['time_s'])})")
        for item in phase["checklist"]:
            mark = "x" if item["done"] else " "
            out.append(f"- [{mark}] {_('Checklist')}: {item['text']}")

    if summary["participants"]:
        out += _talk_section(summary)

    out += _notes_section(summary)
    out += _member_check_section(summary)
    out += _reflections_section(summary)

    out += _arrivals_section(summary)

    gaps = [t for t in summary["timeline"] if t["kind"] in ("pause", "down", "clock_step")]
    if gaps:
        out += ["", f"## {_('Breaks and gaps')}", ""]
        for gap in gaps:
            if gap["kind"] == "clock_step":
                step = _("forward") if gap["step_s"] > 0 else _("back")
                out.append(
                    "- "
                    + _(
                        "{at}: the computer's clock was set {direction} by {step} (not "
                        "counted as session or talk time)",
                        at=clock(gap["start_s"]),
                        direction=step,
                        step=clock(abs(gap["step_s"])),
                    )
                )
                continue
            wall = wall_s(gap)
            what = (
                _("Break")
                if gap["kind"] == "pause"
                else _("App not running (session time went on)")
            )
            out.append(f"- {clock(gap['start_s'])}: {what}, {clock(wall)}")
    return "\n".join(out) + "\n"


def _arrivals_section(summary: dict[str, Any]) -> list[str]:
    """Who arrived or left while the session ran (fair shares count only time present)."""
    moments = [t for t in summary["timeline"] if t["kind"] in ("arrived", "left")]
    if not moments:
        return []
    labels = {p["id"]: p["label"] for p in summary["participants"]}
    out = ["", f"## {_('Arrivals and departures')}", ""]
    for moment in moments:
        who = labels.get(moment.get("who") or "", moment.get("who") or "?")
        if moment["kind"] == "arrived":
            what = _("{who} arrived", who=who)
        else:
            what = _("{who} left", who=who)
        out.append(f"- {clock(moment['start_s'])}: {what}")
    return out
