"""The ``facilitator`` command. Every subcommand goes through core and store; only
``run`` (and the bare command) load the user interface."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from facilitator.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    CliError,
    fail,
    find_guide,
    guide_shelf,
    load_session,
    open_store,
    open_writer,
    package_version,
    sessions_dir,
)
from facilitator.core.clock import SystemClock
from facilitator.core.guide import GuideError, load_guide
from facilitator.i18n import _, set_language
from facilitator.store.guides import user_guides_dir


def cmd_check(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for spec in args.guides:
        try:
            path = find_guide(args, spec)
            guide = load_guide(path)
        except CliError as error:
            fail(str(error))
            status = EXIT_ERROR
            continue
        except GuideError as error:
            for problem in error.problems:
                print(str(problem), file=sys.stderr)
            status = EXIT_ERROR
            continue
        stages = "" if guide.stages == 1 else _(", {count} stages", count=guide.stages)
        print(
            _(
                "{file}: ok ({title}: {phases} phases, {questions} questions{stages})",
                file=path,
                title=guide.title,
                phases=len(guide.phases),
                questions=sum(len(p.questions) for p in guide.phases),
                stages=stages,
            )
        )
    return status


def cmd_guides(args: argparse.Namespace) -> int:
    """List every guide with where it comes from; or copy one to a new file to edit."""
    from facilitator.store.guides import list_guides, source_label
    from facilitator.store.session_store import atomic_write

    if args.copy:
        spec, target = args.copy
        source = find_guide(args, spec)
        destination = Path(target)
        if destination.suffix != ".toml":
            return fail(_("the copy must be a .toml file: {file}", file=target))
        if destination.exists():
            return fail(_("{file} exists already: choose another name", file=target))
        if not destination.parent.is_dir():
            return fail(_("no such folder: {folder}", folder=str(destination.parent)))
        try:
            data = source.read_bytes()
            atomic_write(destination, data)
        except OSError as error:
            return fail(_("cannot write {file}: {reason}", file=target, reason=error.strerror))
        print(
            _(
                "{file}: a copy of {guide}. Edit it, check it with 'facilitator check {file}', "
                "then start a session with 'facilitator new {file} --title ...'.",
                file=target,
                guide=source.name,
            )
        )
        return EXIT_OK
    shelf = guide_shelf(args)
    entries = list_guides(shelf)
    if not entries:
        print(_("No guides found."))
    for entry in entries:
        try:
            guide = load_guide(entry.path)
        except GuideError as error:
            title = _("cannot be read: {problem}", problem=error.problems[0])
        else:
            title = guide.title
        print(f"{entry.name:<20} {source_label(entry.source):<16} {title}\n{'':<20} {entry.path}")
    print()
    print(_("Looked in, in this order:"))
    for where, folder in shelf:
        exists = "" if folder.is_dir() else "  " + _("(does not exist yet)")
        print(f"  {source_label(where):<16} {folder}{exists}")
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from facilitator.store.journal import StorageError
    from facilitator.store.session_store import SessionStore, parse_participant

    guide_file = find_guide(args, args.guide)
    try:
        guide = load_guide(guide_file)
    except GuideError as error:
        for problem in error.problems:
            print(str(problem), file=sys.stderr)
        return EXIT_ERROR
    try:
        participants = [parse_participant(spec) for spec in args.participant]
    except ValueError as error:
        return fail(str(error))
    if len(participants) > 12:
        return fail(_("at most 12 participants"))
    from facilitator.services.stages import consent_ids

    try:
        consent = consent_ids(args.consent, [p.id for p in participants])
    except ValueError as error:
        return fail(str(error))
    try:
        store = SessionStore.create(
            sessions_dir(args),
            guide,
            title=args.title,
            participants=participants,
            now=SystemClock().now(),
            study=args.study or "",
            stage=args.stage,
            guide_path=str(guide_file.resolve()),
            consent=consent,
        )
    except ValueError as error:
        return fail(str(error))
    except OSError as error:
        return fail(_("cannot create the session: {reason}", reason=error.strerror or error))
    except StorageError as error:  # a full disk: nothing is left half made
        return fail(_("cannot create the session: {reason}", reason=error))
    print(store.path.name)
    return EXIT_OK


def _emit(text: str, output: str | None) -> None:
    if output:
        from facilitator.store.output import OutputError, write_output

        try:  # a file whole and owner-only; a device, a FIFO or '-' written into
            write_output(Path(output), text.encode("utf-8"))
        except OutputError as error:
            raise CliError(str(error)) from None
    else:
        sys.stdout.write(text)


def _json(data: object, output: str | None) -> str:
    """Indented for a person at a terminal; compact for files and pipes (several times faster
    to write for a long session, and what tools read)."""
    indent = 2 if output is None and sys.stdout.isatty() else None
    return json.dumps(data, ensure_ascii=False, indent=indent) + "\n"


def _study(args: argparse.Namespace, study: str, up_to_stage: int | None = None):
    from facilitator.store.session_store import study_sessions

    loaded = [load_session(store) for store in study_sessions(sessions_dir(args), study)]
    return [s for s in loaded if up_to_stage is None or s[0].stage <= up_to_stage]


def _talk_from_transcript(store, state) -> dict:
    """Talk time from the corrected transcript (``summary --talk-from transcript``)."""
    from facilitator.core.transcript_edits import talk_from_statements
    from facilitator.store.transcript_store import attributed_transcript

    transcript = attributed_transcript(store.path, state)
    if transcript is None:
        raise CliError(
            _(
                "this session has no transcript yet: make one with 'facilitator transcribe {id}'",
                id=store.path.name,
            )
        )
    return talk_from_statements(transcript.statements, [p.id for p in state.roster])


def cmd_summary(args: argparse.Namespace) -> int:
    from facilitator.core.study import build_study
    from facilitator.exports.markdown import render_markdown
    from facilitator.exports.study import render_study_markdown

    now = SystemClock().now()
    if args.study:
        sessions = _study(args, args.study)
        if not sessions:
            return fail(
                _(
                    "no sessions of study {study} in {folder}",
                    study=args.study,
                    folder=sessions_dir(args),
                )
            )
        study = build_study(sessions, now)
        if args.format == "json":
            _emit(_json(study, args.output), args.output)
        elif args.format == "html":
            from facilitator.exports.html import render_study_html

            _emit(render_study_html(study), args.output)
        else:
            _emit(render_study_markdown(study), args.output)
        return EXIT_OK
    if args.session is None:
        return fail(_("name a session, or a study with --study"))
    from facilitator.services.exporting import session_summary

    store = open_store(args)
    info, state = load_session(store)
    now = state.timeline_now(now)  # the session's own time line (see core.clock)
    summary = session_summary(
        store,
        info,
        state,
        now,
        with_names=args.with_names,
        with_reflections=args.with_reflections,
    )
    if args.talk_from == "transcript":
        summary["talk_from_transcript"] = _talk_from_transcript(store, state)
    if info.study and info.stage > 1:
        summary["study"] = build_study(_study(args, info.study, info.stage), now)
    if args.format == "json":
        text = _json(summary, args.output)
    elif args.format == "html":
        from facilitator.exports import renderer

        text = str(renderer("html")(summary))
    else:
        text = render_markdown(summary)
        if "study" in summary:
            # the study report as a section of this summary: every heading one level down
            study_md = render_study_markdown(summary["study"])
            text += (
                "\n"
                + "\n".join(
                    "#" + line if line.startswith("#") else line for line in study_md.splitlines()
                )
                + "\n"
            )
    _emit(text, args.output)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from facilitator.services.exporting import render_export, write_export

    store = open_store(args)
    info, state = load_session(store)
    from facilitator.cli.audio import EXPORT_FORMATS, cmd_export_audio

    if args.format in EXPORT_FORMATS:
        return cmd_export_audio(args, store, info, state)
    from facilitator.audio.convert import AudioExportError
    from facilitator.store.output import STDOUT, OutputError

    now = state.timeline_now(SystemClock().now())
    try:
        if args.output in (None, "-") and args.format != "qdpx":  # text to the screen
            text = render_export(store, info, state, args.format, now, args.with_names)
            sys.stdout.write(str(text))
            return EXIT_OK
        output = Path(args.output) if args.output else None
        target = write_export(store, info, state, args.format, now, output, args.with_names)
    except AudioExportError as error:  # the recording the file links could not be made
        return fail(
            _(
                "{format}: the recording cannot be linked: {problem}",
                format=args.format,
                problem=error,
            )
        )
    except OutputError as error:
        return fail(str(error))
    if str(target) != STDOUT:
        print(str(target))
    return EXIT_OK


def cmd_next(args: argparse.Namespace) -> int:
    from facilitator.services.stages import StageExists, create_next_stage
    from facilitator.store.journal import StorageError

    store = open_store(args)
    load_session(store)  # a damaged session: said clearly, before anything is made
    try:
        created = create_next_stage(
            store,
            sessions_dir(args),
            SystemClock().now(),
            newcomers=args.newcomer,
            absent=args.absent,
            title=args.title,
            study=args.study,
            consent=args.consent,
            again=args.again,
        )
    except StageExists as exists:
        return fail(
            _(
                "stage {stage} of {id} exists already ({made}); add --again to make another",
                stage=exists.stage,
                id=exists.session,
                made=", ".join(exists.made),
            )
        )
    except ValueError as error:
        return fail(str(error))
    except (OSError, StorageError) as error:  # a full disk: nothing is left half made
        return fail(_("cannot create the session: {reason}", reason=error))
    print(created.path.name)
    return EXIT_OK


def cmd_recap(args: argparse.Namespace) -> int:
    from facilitator.core.study import build_recap
    from facilitator.exports.study import render_recap_markdown, render_recap_text

    store = open_store(args)
    info, _state = load_session(store)
    before = _previous_stage(store, info)
    if before is None:
        return fail(
            _(
                "{id} has no earlier stage to recap (it is stage {stage})",
                id=info.id,
                stage=info.stage,
            )
        )
    before_info, before_state = before
    recap = build_recap(before_info, before_state, before_state.timeline_now(SystemClock().now()))
    if args.present:
        from facilitator.ui.app import make_present_app

        make_present_app(recap).run()
        return EXIT_OK
    if args.format == "json":
        _emit(json.dumps(recap, ensure_ascii=False, indent=2) + "\n", args.output)
    elif args.format == "text":
        _emit(render_recap_text(recap), args.output)
    else:
        _emit(render_recap_markdown(recap, for_moderator=False), args.output)
    return EXIT_OK


def _previous_stage(store, info):
    """The session of the stage before ``info`` (beside it, in its sessions folder), with its
    state."""
    from facilitator.store.session_store import previous_stage_store

    before = previous_stage_store(store.path.parent, info)
    return None if before is None else load_session(before)


def cmd_run(args: argparse.Namespace) -> int:
    from facilitator.services.live import LiveSession

    store = open_store(args)
    live = open_writer(
        store,
        LiveSession,
        locked=_(
            "session {id} is already open in another facilitator window; close that one first",
            id=store.path.name,
        ),
    )
    from facilitator.ui.app import make_app  # (the UI loads once the session is open)

    return _run_app(make_app(live, device=args.device))


def _run_app(app) -> int:
    """Run the app; however it ends, stop its recording and close the session it has open."""
    from facilitator.store.journal import StorageError

    try:
        app.run()
    finally:
        app.close_recording()
        if app.live is not None:  # None: the start screen was left without opening one
            try:
                app.live.close()
            except StorageError as error:  # a full disk at the close: said, not raised
                print(_("warning: {problem}", problem=error), file=sys.stderr)
    return app.return_code or EXIT_OK


def cmd_assist(args: argparse.Namespace) -> int:
    from facilitator.services.live import ASSISTANT, LiveSession

    live = open_writer(open_store(args), lambda store: LiveSession(store, writer=ASSISTANT))
    from facilitator.ui.app import make_assist_app

    return _run_app(make_assist_app(live))


def cmd_transcript(args: argparse.Namespace) -> int:
    from facilitator.services.transcript_review import NoTranscript, TranscriptReview

    try:
        review = open_writer(
            open_store(args), lambda store: TranscriptReview(store, role=args.by, opening=True)
        )
    except NoTranscript as error:
        return fail(str(error))
    from facilitator.ui.app import make_transcript_app

    return _run_app(make_transcript_app(review))


def cmd_serve(args: argparse.Namespace) -> int:
    from facilitator.ui.serve import ERRORS_NAME, serve

    store = open_store(args)
    try:  # each tab's view writes to the session: a folder that cannot be written is said now
        os.close(os.open(store.path / ERRORS_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    except OSError as error:
        return fail(_("cannot write to the session: {reason}", reason=error.strerror or error))
    try:
        return serve(store.path, store.path.name, args.host, args.port)
    except OSError as error:
        return fail(
            _(
                "cannot serve on {host}:{port}: {reason}",
                host=args.host,
                port=args.port,
                reason=error.strerror or error,
            )
        )


def cmd_home(args: argparse.Namespace) -> int:
    from facilitator.ui.app import make_home_app

    return _run_app(make_home_app(sessions_dir(args), guide_shelf(args)))


# --- simulate (issue 8): a scripted session played through the live session ------------------


def cmd_simulate(args: argparse.Namespace) -> int:
    from facilitator.core.clock import FakeClock
    from facilitator.services import simulate as sim
    from facilitator.services.live import LiveSession
    from facilitator.store.journal import JournalLocked, StorageError
    from facilitator.store.session_store import SessionDamaged, SessionNotFound

    if args.speed is not None and not args.speed > 0:
        return fail(_("--speed must be more than 0"))
    try:
        if args.generate:
            plan = sim.GeneratorPlan(
                args.minutes, args.participants, args.seed, args.changes, args.notes, args.title
            )
            guide_file = str(find_guide(args, args.guide or "seed-en"))
            sim.write_generated(Path(args.generate), guide_file, plan)
            print(args.generate)
            return EXIT_OK
        if not args.script:
            return fail(_("name a script to play, or --generate OUT to write one"))
        speed = args.speed if args.speed or not args.view else 1.0  # headless: None, at once
        store, playback = sim.prepare(
            args.script, sessions_dir(args), args.guide, args.resume, speed, SystemClock().now()
        )
        print(store.path.name, flush=True)
        start = playback.resumed_from or playback.started_at
        clock = (
            sim.ScaledClock(start, speed or 1.0, hold=start)  # opened at `start` exactly
            if args.view
            else FakeClock(start)
        )
        live = LiveSession(store, clock=clock)
    except (sim.ScriptError, GuideError) as error:
        for problem in error.problems:
            print(str(problem), file=sys.stderr)
        return EXIT_ERROR
    except (SessionNotFound, SessionDamaged, ValueError) as error:
        return fail(str(error))
    except JournalLocked:
        return fail(
            _(
                "session {id} is already open in another facilitator window; close that one first",
                id=args.resume,
            )
        )
    except (StorageError, OSError) as error:
        return fail(_("cannot write to the session: {reason}", reason=error))
    if args.view:
        from facilitator.ui.simulation import make_simulation_app

        ack_log = os.environ.get("FACILITATOR_ACK_LOG")  # for the crash harness, see the docs
        app = make_simulation_app(live, playback, clock, Path(ack_log) if ack_log else None)
        return _run_app(app)
    if live.read_only:
        return fail(_("session {id} has ended: nothing more can be played", id=store.path.name))
    try:
        assert isinstance(clock, FakeClock)
        result = sim.play_headless(live, clock, playback, args.speed)
    finally:
        live.close()
    if result.no_effect:
        lines = ", ".join(str(n) for n in result.no_effect[:20])
        print(
            _(
                "warning: {n} line(s) changed nothing: {lines}",
                n=len(result.no_effect),
                lines=lines,
            ),
            file=sys.stderr,
        )
    return EXIT_OK


# --- end of simulate ---------------------------------------------------------------------------


class VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked for (reading the
    package metadata costs every other start some 15 ms: importlib.metadata and email)."""

    def __init__(
        self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None
    ):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"facilitator {package_version()}")  # on stdout, as argparse's own
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facilitator",
        description=_(
            "A terminal companion for moderating live focus groups. Without a command, "
            "opens the app on the bundled guides and the sessions folder."
        ),
    )
    parser.add_argument(
        "--sessions",
        metavar="DIR",
        help=_("where sessions live (default: $FACILITATOR_SESSIONS or ./sessions)"),
    )
    parser.add_argument(
        "--lang", choices=["en", "nb"], help=_("interface language (default: from LANG)")
    )
    parser.add_argument(
        "--guides",
        dest="guides_dir",
        metavar="DIR",
        help=_(
            "a folder of your own guides, looked in first; then ./guides, your guides folder "
            "({folder}) and the bundled guides",
            folder=str(user_guides_dir()),
        ),
    )
    parser.add_argument(
        "--version",
        action=VersionAction,
        help=_("show the version and exit"),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    guides = sub.add_parser(
        "guides",
        help=_("list the guides and where each comes from, or copy one to start your own"),
    )
    guides.add_argument(
        "--copy",
        nargs=2,
        metavar=("GUIDE", "FILE"),
        help=_("copy a guide (a name such as 'template', or a file) to FILE, to edit"),
    )
    guides.set_defaults(func=cmd_guides)

    check = sub.add_parser("check", help=_("validate guide files: 'ok' or file:line: problem"))
    check.add_argument("guides", nargs="+", metavar="GUIDE")
    check.set_defaults(func=cmd_check)

    new = sub.add_parser("new", help=_("create a session from a guide and print its id"))
    new.add_argument("guide", metavar="GUIDE")
    new.add_argument("--title", required=True, help=_("the session's title, e.g. 'Stage 1'"))
    new.add_argument(
        "--participant",
        action="append",
        default=[],
        metavar="ID:LABEL[:ROLE[:REAL NAME]]",
        help=_(
            "a participant: short id, pseudonym, optional role and real name (the real name "
            "never leaves the session folder); repeat for each, up to 12"
        ),
    )
    new.add_argument("--study", help=_("the study this session belongs to (a short name)"))
    new.add_argument(
        "--stage", type=int, default=1, help=_("the stage of a multi-stage study (default 1)")
    )
    new.set_defaults(func=cmd_new)

    run = sub.add_parser(
        "run", help=_("the moderator's live view (resumes an interrupted session)")
    )
    run.add_argument(
        "session", metavar="SESSION", help=_("session id, unique id prefix, or folder")
    )
    run.set_defaults(func=cmd_run)

    assist = sub.add_parser(
        "assist", help=_("the note-taking assistant's view, a second process on the same session")
    )
    assist.add_argument(
        "session", metavar="SESSION", help=_("session id, unique id prefix, or folder")
    )
    assist.set_defaults(func=cmd_assist)

    transcript = sub.add_parser(
        "transcript",
        help=_("listen to the transcript and correct it: words, speakers, splits, tags"),
    )
    transcript.add_argument(
        "session", metavar="SESSION", help=_("session id, unique id prefix, or folder")
    )
    transcript.add_argument(
        "--by",
        choices=["moderator", "assistant"],
        default="moderator",
        help=_("who reviews: the notes made by tagging are theirs (default moderator)"),
    )
    transcript.set_defaults(func=cmd_transcript)

    serve = sub.add_parser(
        "serve", help=_("the assistant's view in a web browser (loopback unless --host)")
    )
    serve.add_argument(
        "session", metavar="SESSION", help=_("session id, unique id prefix, or folder")
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help=_("address to listen on (default 127.0.0.1; 0.0.0.0 for other devices, with a token)"),
    )
    serve.add_argument("--port", type=int, default=8000, help=_("port (default 8000)"))
    serve.set_defaults(func=cmd_serve)

    next_ = sub.add_parser(
        "next", help=_("create the next stage of a study: same guide, roster and follow-ups")
    )
    next_.add_argument("session", metavar="SESSION", help=_("the session of the stage before"))
    next_.add_argument("--title", help=_("the new session's title (default: Stage N)"))
    next_.add_argument(
        "--newcomer",
        action="append",
        default=[],
        metavar="ID:LABEL[:ROLE[:REAL NAME]]",
        help=_("a participant new to the group (gets the full introduction); repeat for each"),
    )
    next_.add_argument(
        "--absent",
        action="append",
        default=[],
        metavar="ID",
        help=_("a participant who will not come this time; repeat for each"),
    )
    next_.add_argument("--study", help=_("the study's name, if the session has none yet"))
    next_.add_argument(
        "--again",
        action="store_true",
        help=_("make another next stage although one was made from this session already"),
    )
    next_.set_defaults(func=cmd_next)

    from facilitator.cli.audio import EXPORT_FORMATS
    from facilitator.exports import FORMATS

    export = sub.add_parser("export", help=_("exports for analysis and transcription"))
    export.add_argument("session", metavar="SESSION")
    export.add_argument(
        "--format",
        required=True,
        choices=[name for name in FORMATS if name != "md"] + list(EXPORT_FORMATS),
        help=", ".join(
            f"{name}: {_(about)}" for name, (*_x, about) in FORMATS.items() if name != "md"
        )
        + ", "
        + _(
            "flac, mp3, opus, wav: the recording as one file on the session clock; clips: an audio "
            "clip around each #quote note"
        ),
    )
    export.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help=_(
            "write to FILE (default: the screen; qdpx: the session's exports folder; audio: "
            "the session's audio folder; clips: a folder)"
        ),
    )
    export.add_argument(
        "--with-names",
        action="store_true",
        help=_("include real names (only pseudonyms by default); the file then says so"),
    )
    export.set_defaults(func=cmd_export)

    recap = sub.add_parser("recap", help=_("the opening recap of the stage before SESSION"))
    recap.add_argument("session", metavar="SESSION")
    recap.add_argument(
        "--format",
        choices=["text", "md", "json"],
        default="text",
        help=_(
            "text: plain text for the moderator, with the talk balance; md: the group's "
            "handout in Markdown, without it; json: for tools"
        ),
    )
    recap.add_argument(
        "-o", "--output", metavar="FILE", help=_("write to FILE instead of the screen")
    )
    recap.add_argument(
        "--present",
        action="store_true",
        help=_("show it in large text, one point at a time (for a second screen facing the group)"),
    )
    recap.set_defaults(func=cmd_recap)

    summary = sub.add_parser("summary", help=_("the end-of-session summary, or a study's report"))
    summary.add_argument("session", metavar="SESSION", nargs="?")
    summary.add_argument("--study", metavar="SLUG", help=_("report every stage of a study"))
    summary.add_argument(
        "--format",
        choices=["md", "html", "json"],
        default="md",
        help=_("md: Markdown (the default); html: a printable page; json: for tools"),
    )
    summary.add_argument(
        "--with-names",
        action="store_true",
        help=_("include real names (only pseudonyms by default)"),
    )
    summary.add_argument(
        "-o", "--output", metavar="FILE", help=_("write to FILE instead of the screen")
    )
    summary.add_argument(
        "--with-reflections",
        action="store_true",
        help=_("include the moderator's private reflexivity log (left out by default)"),
    )
    summary.add_argument(
        "--talk-from",
        choices=["keyed", "transcript"],
        default="keyed",
        help=_(
            "transcript: the talk time also from the corrected transcript's statements, "
            "beside the keyed turns' figures"
        ),
    )
    summary.set_defaults(func=cmd_summary)

    # --- simulate (issue 8) ---
    simulate = sub.add_parser(
        "simulate",
        help=_("play a scripted session (docs/simulation.md), headless or in the live view"),
    )
    simulate.add_argument("script", metavar="SCRIPT", nargs="?", help=_("the script to play"))
    simulate.add_argument(
        "--guide", help=_("the guide to use instead of the script's (and for --generate)")
    )
    simulate.add_argument(
        "--view",
        action="store_true",
        help=_("play it in the moderator's live view (the keys work as usual)"),
    )
    simulate.add_argument(
        "--speed",
        type=float,
        metavar="X",
        help=_("X times real time (default: at once headless, 1 in the live view)"),
    )
    simulate.add_argument(
        "--resume",
        metavar="SESSION",
        help=_("go on with the script in this session, after the last moment it recorded"),
    )
    simulate.add_argument(
        "--generate", metavar="OUT", help=_("write a random, plausible script to OUT")
    )
    simulate.add_argument(
        "--minutes",
        type=float,
        default=60.0,
        metavar="M",
        help=_("--generate: session length (default 60)"),
    )
    simulate.add_argument(
        "--participants",
        type=int,
        default=5,
        metavar="N",
        help=_("--generate: how many (default 5)"),
    )
    simulate.add_argument(
        "--seed", type=int, default=1, metavar="S", help=_("--generate: random seed")
    )
    simulate.add_argument(
        "--changes",
        type=int,
        metavar="N",
        help=_("--generate: about how many speaker changes (default: about one per 20 s)"),
    )
    simulate.add_argument(
        "--notes",
        type=int,
        metavar="N",
        help=_("--generate: how many notes (default: one per 90 s)"),
    )
    simulate.add_argument(
        "--title", default="", metavar="T", help=_("--generate: the session's title")
    )
    simulate.set_defaults(func=cmd_simulate)
    # --- end of simulate ---

    from facilitator.cli.audio import add_arguments as add_audio_arguments

    add_audio_arguments(sub, export, new, run, next_)
    from facilitator.cli.transcribe import add_arguments as add_transcribe_arguments

    add_transcribe_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # A write past a file-size limit must fail with an error we can report, not kill us.
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    os.umask(0o077)
    argv = sys.argv[1:] if argv is None else argv
    from facilitator.cli.argparse_nb import use_our_catalogue

    use_our_catalogue()  # argparse's own words (usage, options, errors) in our language too
    for index, arg in enumerate(argv):  # so that --help is already in the chosen language
        if arg == "--lang" and index + 1 < len(argv):
            set_language(argv[index + 1])
        elif arg.startswith("--lang="):
            set_language(arg.split("=", 1)[1])
    parser = build_parser()
    args = parser.parse_args(argv)
    set_language(args.lang)
    if args.command is None:
        return cmd_home(args)
    from facilitator.store.journal import StorageError

    try:
        return args.func(args)
    except CliError as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return 130
    except StorageError as error:  # the last guard: a storage error is one line, never a trace
        return fail(_("cannot write to the session: {reason}", reason=error))
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        return fail(where + (error.strerror or str(error)))


if __name__ == "__main__":
    sys.exit(main())
