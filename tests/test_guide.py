"""Guide loading: every problem names its file and exact line; nothing but GuideError escapes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from facilitator.core.guide import (
    DEFAULT_ASKED_AFTER_S,
    Guide,
    GuideError,
    load_guide,
    parse_guide,
)
from facilitator.i18n import set_language

MARK = "# <-- here"


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English whatever the machine's locale."""
    set_language("en")
    yield
    set_language(None)


def marked_line(text: str, mark: str = MARK) -> int:
    """The 1-based line carrying ``mark``: where the problem must be reported."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if mark in line]
    assert len(hits) == 1, f"test guide must mark exactly one line with {mark!r}"
    return hits[0]


def write(tmp_path: Path, text: str, name: str = "guide.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load_error(path: Path) -> GuideError:
    with pytest.raises(GuideError) as caught:
        load_guide(path)
    return caught.value


# --- every error case, with its line ----------------------------------------------------------

ERROR_CASES = {
    "unknown key at top level": (
        """
        title = "Families"
        colour = "red"  # <-- here

        [[phases]]
        id = "intro"
        title = "Intro"
        minutes = 5
        """,
        'unknown key "colour" in the guide',
    ),
    "unknown top-level table": (
        """
        title = "Families"

        [extras]  # <-- here
        a = 1

        [[phases]]
        id = "intro"
        title = "Intro"
        minutes = 5
        """,
        'unknown key "extras" in the guide',
    ),
    "unknown key in a phase": (
        """
        title = "Families"

        [[phases]]
        id = "intro"
        title = "Intro"
        minutes = 5

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30
        colour = "red"  # <-- here
        """,
        'unknown key "colour" in phase 2',
    ),
    "unknown key in a question": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30

        [[phases.questions]]
        text = "What works?"
        colour = "blue"

        [[phases.questions]]
        text = "What does not?"
        hint = "none"  # <-- here
        """,
        # question 1 has an unknown key too: the check below picks the problem on our line
        'unknown key "hint" in phase "main", question 2',
    ),
    "unknown key in a checklist item": (
        """
        title = "Families"

        [[phases]]
        id = "intro"
        title = "Intro"
        minutes = 5

        [[phases.checklist]]
        text = "Consent forms signed"

        [[phases.checklist]]
        text = "Recorder on"
        priority = 1  # <-- here
        """,
        'unknown key "priority" in phase "intro", checklist item 2',
    ),
    "unknown key in an inline question": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30
        questions = [{ text = "What works?", colour = 1 }]  # <-- here
        """,
        'unknown key "colour" in phase "main", question 1',
    ),
    "unknown key in [settings]": (
        """
        title = "Families"

        [settings]
        asked_after_s = 5
        speed = 2  # <-- here

        [[phases]]
        id = "intro"
        title = "Intro"
        minutes = 5
        """,
        'unknown key "speed" in [settings]',
    ),
    "missing question text": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30

        [[phases.questions]]
        text = "First"

        [[phases.questions]]  # <-- here
        id = "second"
        probes = ["why?"]
        """,
        'phase "main", question 2: text is missing',
    ),
    "empty question text": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30

        [[phases.questions]]
        id = "q"
        text = "   "  # <-- here
        """,
        'phase "main", question 1: text is empty',
    ),
    "empty guide title": (
        """
        title = ""  # <-- here

        [[phases]]
        id = "intro"
        title = "Intro"
        minutes = 5
        """,
        "the guide's title is empty",
    ),
    "negative phase minutes": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = -5  # <-- here
        """,
        'phase "main": minutes is negative (-5)',
    ),
    "negative question minutes": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30

        [[phases.questions]]
        text = "What works?"
        minutes = -1.5  # <-- here
        """,
        'phase "main", question 1: minutes is negative (-1.5)',
    ),
    "minutes as text": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = "ten"  # <-- here
        """,
        'phase "main": minutes must be a number',
    ),
    "minutes as a boolean": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = true  # <-- here
        """,
        'phase "main": minutes must be a number',
    ),
    "question minutes as a list": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30

        [[phases.questions]]
        text = "What works?"
        minutes = [5]  # <-- here
        """,
        'phase "main", question 1: minutes must be a number',
    ),
    "minutes not finite": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = inf  # <-- here
        """,
        'phase "main": minutes must be a finite number',
    ),
    "minutes too large for a float": (
        f"""
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = {"9" * 400}  # <-- here
        """,
        'phase "main": minutes must be a finite number',
    ),
    "missing phase minutes": (
        """
        title = "Families"

        [[phases]]  # <-- here
        id = "main"
        title = "Main"
        """,
        'phase "main": minutes is missing',
    ),
    "missing phase id": (
        """
        title = "Families"

        [[phases]]
        id = "intro"
        title = "Intro"
        minutes = 5

        [[phases]]  # <-- here
        title = "Main"
        minutes = 30
        """,
        "phase 2: id is missing",
    ),
    "bad phase id": (
        """
        title = "Families"

        [[phases]]
        id = "main phase"  # <-- here
        title = "Main"
        minutes = 30
        """,
        "phase 1: id must be letters, digits",
    ),
    "duplicate question id": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30

        [[phases.questions]]
        id = "works"
        text = "What works?"

        [[phases.questions]]
        id = "works"  # <-- here
        text = "What works best?"
        """,
        'duplicate question id "works"',
    ),
    "explicit question id equal to a later automatic one": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30

        [[phases.questions]]
        id = "main.q2"
        text = "What works?"

        [[phases.questions]]  # <-- here
        text = "What does not?"
        """,
        'duplicate question id "main.q2"',
    ),
    "duplicate checklist id": (
        """
        title = "Families"

        [[phases]]
        id = "intro"
        title = "Intro"
        minutes = 5

        [[phases.checklist]]
        id = "consent"
        text = "Consent forms signed"

        [[phases.checklist]]  # <-- here
        id = "consent"
        text = "Consent again"
        """,
        'duplicate checklist id "consent"',
    ),
    "bad checklist audience": (
        """
        title = "Families"

        [[phases]]
        id = "intro"
        title = "Intro"
        minutes = 5

        [[phases.checklist]]
        text = "Explain the recorder"
        audience = "everyone"  # <-- here
        """,
        'checklist item 1: audience must be one of all, newcomers, returning, not "everyone"',
    ),
    "probes not texts": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30

        [[phases.questions]]
        text = "What works?"
        probes = ["why?", 2]  # <-- here
        """,
        'phase "main", question 1: probes must be a list of texts',
    ),
    "missing phases": (
        """
        title = "Families"  # <-- here
        minutes = 60
        """,
        "the guide has no phases",
    ),
    "empty phases": (
        """
        title = "Families"
        phases = []  # <-- here
        """,
        "the guide has no phases",
    ),
    "bad kind": (
        """
        title = "Families"

        [[phases]]
        id = "warm"
        title = "Warm-up"
        kind = "warmup"  # <-- here
        minutes = 5
        """,
        'phase "warm": kind must be one of introduction, main, closing, not "warmup"',
    ),
    "phase stage beyond stages": (
        """
        title = "Families"
        stages = 2

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30
        stages = [1, 3]  # <-- here
        """,
        'phase "main": stage 3 does not exist (the guide has 2 stage(s))',
    ),
    "question stage beyond stages": (
        """
        title = "Families"
        stages = 2

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30

        [[phases.questions]]
        text = "What changed since last time?"
        stages = [4]  # <-- here
        """,
        'phase "main", question 1: stage 4 does not exist (the guide has 2 stage(s))',
    ),
    "checklist stage 0": (
        """
        title = "Families"
        stages = 2

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30

        [[phases.checklist]]
        text = "Name cards"
        stages = [0]  # <-- here
        """,
        'phase "main", checklist item 1: stage 0 does not exist',
    ),
    "stages not a list of numbers": (
        """
        title = "Families"
        stages = 2

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30
        stages = ["one"]  # <-- here
        """,
        'phase "main": stages must be a list of stage numbers',
    ),
    "stage count out of range": (
        """
        title = "Families"
        stages = 21  # <-- here

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30
        """,
        "stages must be a whole number from 1 to 20",
    ),
    "a stage with no phases": (
        """
        title = "Families"
        stages = 3  # <-- here

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30
        stages = [1, 3]
        """,
        "stage 2 has no phases",
    ),
    "asked_after_s out of range": (
        """
        title = "Families"

        [settings]
        asked_after_s = 7200  # <-- here

        [[phases]]
        id = "main"
        title = "Main"
        minutes = 30
        """,
        "asked_after_s must be a number from 0 to 3600",
    ),
    "syntax error: unterminated string": (
        """
        title = "Families"

        [[phases]]
        id = "main  # <-- here
        title = "Main"
        minutes = 30
        """,
        "not valid TOML",
    ),
    "syntax error: bad array header": (
        """
        title = "Families"

        [[phases]  # <-- here
        id = "main"
        """,
        "not valid TOML: Expected ']]'",
    ),
    "syntax error: value missing": (
        """
        title = "Families"
        minutes =  # <-- here

        [[phases]]
        id = "main"
        """,
        "not valid TOML: Invalid value",
    ),
    "syntax error: key defined twice": (
        """
        title = "Families"

        [[phases]]
        id = "main"
        title = "Main"
        title = "Main again"  # <-- here
        minutes = 30
        """,
        "not valid TOML",
    ),
}


@pytest.mark.parametrize("text, fragment", ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_each_problem_names_file_line_and_cause(tmp_path, text, fragment):
    text = textwrap.dedent(text).lstrip("\n")
    path = write(tmp_path, text)
    error = load_error(path)
    expected_line = marked_line(text)
    hits = [p for p in error.problems if fragment in p.message]
    assert hits, f"no problem mentions {fragment!r}: {error.problems}"
    problem = hits[0]
    assert problem.file == str(path)
    assert problem.line == expected_line, (problem, text)
    # the exception's text is what the user sees: file:line: message
    assert f"{path}:{expected_line}: " in str(error)


def test_syntax_error_line_is_tomllibs(tmp_path):
    text = 'title = "Families"\n\n[[phases]]\nid = 5 5\n'
    error = load_error(write(tmp_path, text))
    (problem,) = error.problems
    assert problem.line == 4
    assert problem.message.startswith("not valid TOML: ")
    assert "(at line" not in problem.message  # the position is in .line, not repeated


def test_syntax_error_at_end_of_document_points_at_last_line(tmp_path):
    text = 'title = "Families"\n\n[[phases]]\nid = "main'  # no newline, unterminated
    error = load_error(write(tmp_path, text))
    (problem,) = error.problems
    assert problem.line == 4
    assert "not valid TOML" in problem.message


def test_duplicate_phase_id_names_both_lines(tmp_path):
    text = textwrap.dedent(
        """
        title = "Families"

        [[phases]]
        id = "main"  # <-- first
        title = "Main"
        minutes = 30

        [[phases]]
        id = "main"  # <-- here
        title = "Main again"
        minutes = 10
        """
    ).lstrip("\n")
    path = write(tmp_path, text)
    error = load_error(path)
    (problem,) = error.problems
    assert problem.file == str(path)
    assert problem.line == marked_line(text)
    assert f'duplicate phase id "main" (first used on line {marked_line(text, "# <-- first")})' in (
        problem.message
    )


def test_several_problems_are_all_reported_sorted_by_line(tmp_path):
    text = textwrap.dedent(
        """
        title = "Families"
        colour = "red"

        [[phases]]
        id = "main"
        title = "Main"
        minutes = -1

        [[phases.questions]]
        text = ""
        """
    ).lstrip("\n")
    error = load_error(write(tmp_path, text))
    assert [p.line for p in error.problems] == [2, 7, 10]


def test_non_utf8_file_names_the_line_of_the_bad_byte(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(
        b'title = "Families"\n\n[[phases]]\nid = "intro"\ntitle = "Velkommen til v\xe5r gruppe"\n'
        b"minutes = 5\n"
    )
    error = load_error(path)
    (problem,) = error.problems
    assert problem.file == str(path)
    assert problem.line == 5
    assert "not UTF-8" in problem.message


def test_missing_file(tmp_path):
    path = tmp_path / "nope.toml"
    error = load_error(path)
    (problem,) = error.problems
    assert problem.file == str(path)
    assert problem.line == 0
    assert "cannot read the file" in problem.message
    assert "No such file" in problem.message


def test_directory_instead_of_file(tmp_path):
    error = load_error(tmp_path)
    (problem,) = error.problems
    assert problem.line == 0
    assert "cannot read the file" in problem.message


def test_parse_guide_names_the_given_file():
    with pytest.raises(GuideError) as caught:
        parse_guide('title = "x"\nbogus = 1\n', "where/g.toml")
    assert any(p.file == "where/g.toml" and p.line == 2 for p in caught.value.problems)


# --- odd shapes: never anything but GuideError ------------------------------------------------

PHASE = '\n[[phases]]\nid = "main"\ntitle = "Main"\nminutes = 30\n'

ODD_INPUTS = {
    "phases = 3": 'title = "T"\nphases = 3\n',
    "phases = [1, 2]": 'title = "T"\nphases = [1, 2]\n',
    "phases = 'x'": 'title = "T"\nphases = "x"\n',
    "[phases] table": 'title = "T"\n[phases]\nid = "main"\n',
    "questions = 'x'": 'title = "T"' + PHASE + 'questions = "x"\n',
    "questions = [1]": 'title = "T"' + PHASE + "questions = [1, 2.5]\n",
    "questions = {}": 'title = "T"' + PHASE + "questions = {}\n",
    "probes = [1]": 'title = "T"' + PHASE + '[[phases.questions]]\ntext = "q"\nprobes = [1]\n',
    "probes = 'x'": 'title = "T"' + PHASE + '[[phases.questions]]\ntext = "q"\nprobes = "x"\n',
    "title = 5": "title = 5" + PHASE,
    "title missing": PHASE,
    "[settings] unknown key": 'title = "T"\n[settings]\nfoo = 1\n' + PHASE,
    "settings = 5": 'title = "T"\nsettings = 5\n' + PHASE,
    "asked_after_s = 'x'": 'title = "T"\n[settings]\nasked_after_s = "x"\n' + PHASE,
    "asked_after_s = nan": 'title = "T"\n[settings]\nasked_after_s = nan\n' + PHASE,
    "stages = true": 'title = "T"\nstages = true\n' + PHASE,
    "stages = 1.5": 'title = "T"\nstages = 1.5\n' + PHASE,
    "stages = 0": 'title = "T"\nstages = 0\n' + PHASE,
    "phase stages = 'x'": 'title = "T"\nstages = 2' + PHASE + 'stages = "1"\n',
    "phase stages = [true]": 'title = "T"\nstages = 2' + PHASE + "stages = [true]\n",
    "id = 5": 'title = "T"\n[[phases]]\nid = 5\ntitle = "M"\nminutes = 1\n',
    "id = []": 'title = "T"\n[[phases]]\nid = []\ntitle = "M"\nminutes = 1\n',
    "kind = {}": 'title = "T"' + PHASE + "kind = { a = 1 }\n",
    "kind = [1]": 'title = "T"' + PHASE + "kind = [1]\n",
    "checklist = 'x'": 'title = "T"' + PHASE + 'checklist = "x"\n',
    "checklist = [1]": 'title = "T"' + PHASE + "checklist = [1]\n",
    "audience = [1]": 'title = "T"' + PHASE + '[[phases.checklist]]\ntext = "c"\naudience = [1]\n',
    "guidance = 3": 'title = "T"' + PHASE + "guidance = 3\n",
    "language = []": 'title = "T"\nlanguage = []\n' + PHASE,
    "minutes = date": 'title = "T"\n[[phases]]\nid = "m"\ntitle = "M"\nminutes = 1979-05-27\n',
    "guide minutes huge": 'title = "T"\nminutes = ' + "9" * 400 + "\n" + PHASE,
    "question minutes huge": 'title = "T"'
    + PHASE
    + '[[phases.questions]]\ntext = "q"\nminutes = -'
    + "9" * 400
    + "\n",
    "deeply nested array": "a = " + "[" * 2000 + "]" * 2000 + "\n",
    "deeply nested inline table": "a = " + "{b=" * 1000 + "1" + "}" * 1000 + "\n",
    "empty file": "",
    "NUL byte": 'title = "T\x00"\n',
    "only a comment": "# nothing here\n",
}


@pytest.mark.parametrize("text", ODD_INPUTS.values(), ids=ODD_INPUTS.keys())
def test_odd_inputs_raise_only_guide_error(tmp_path, text):
    """Each of these is wrong in its own way and must be reported, never raised raw."""
    path = tmp_path / "odd.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GuideError) as caught:
        load_guide(path)
    assert caught.value.problems
    for problem in caught.value.problems:
        assert problem.file == str(path)
        assert isinstance(problem.line, int) and 1 <= problem.line <= max(1, len(text.splitlines()))
        assert problem.message


@pytest.mark.parametrize("text", ODD_INPUTS.values(), ids=ODD_INPUTS.keys())
def test_odd_inputs_as_bytes_never_escape(tmp_path, text):
    """The same inputs, cut short at every few bytes: still only GuideError (or a guide)."""
    raw = text.encode("utf-8")
    path = tmp_path / "cut.toml"
    for cut in range(0, len(raw), max(1, len(raw) // 15)):
        path.write_bytes(raw[:cut])
        try:
            load_guide(path)
        except GuideError:
            pass


# --- a good guide ------------------------------------------------------------------------------

STAGED_GUIDE = """
title = "Families and schools"
language = "en"
description = "Two meetings with the same families."
stages = 2

[settings]
asked_after_s = 15

[[phases]]
id = "intro"
title = "Welcome"
kind = "introduction"
minutes = 10
guidance = "Names and consent."

[[phases.checklist]]
text = "Consent forms signed"

[[phases.checklist]]
id = "recap"
text = "Recap of the first meeting"
audience = "returning"
stages = [2]

[[phases.checklist]]
text = "Explain the recorder"
audience = "newcomers"
stages = 1

[[phases.questions]]
text = "Who are you, and who is in your family?"
stages = [1]

[[phases.questions]]
text = "What happened since we last met?"
stages = [2]

[[phases]]
id = "main"
title = "School days"
minutes = 40

[[phases.questions]]
id = "morning"
text = "Tell me about a typical morning."
probes = ["Who helps?", "  ", "What goes wrong?"]
minutes = 12.5

[[phases.questions]]
text = "What do teachers ask of you?"

[[phases.questions]]
text = "What would you change?"
stages = [2]

[[phases]]
id = "followup"
title = "Follow-up"
minutes = 15
stages = [2]
questions = ["Did anything change?", "What should we ask next time?"]

[[phases]]
id = "close"
title = "Closing"
kind = "closing"
minutes = 10
"""


@pytest.fixture()
def staged(tmp_path) -> Guide:
    return load_guide(write(tmp_path, STAGED_GUIDE))


def test_full_guide_loads(staged, tmp_path):
    assert staged.title == "Families and schools"
    assert staged.language == "en"
    assert staged.stages == 2
    assert staged.asked_after_s == 15.0
    assert staged.source == str(tmp_path / "guide.toml")
    assert [p.id for p in staged.phases] == ["intro", "main", "followup", "close"]
    assert [p.kind for p in staged.phases] == ["introduction", "main", "main", "closing"]
    intro = staged.phase("intro")
    assert intro.guidance == "Names and consent."
    # automatic ids: "<phase>.q<n>" and "<phase>.c<n>", numbered in the file's order
    assert [q.id for q in intro.questions] == ["intro.q1", "intro.q2"]
    assert [c.id for c in intro.checklist] == ["intro.c1", "recap", "intro.c3"]
    assert [c.audience for c in intro.checklist] == ["all", "returning", "newcomers"]
    assert intro.checklist[2].stages == (1,)  # a single number is one stage
    main = staged.phase("main")
    assert [q.id for q in main.questions] == ["morning", "main.q2", "main.q3"]
    assert main.questions[0].probes == ("Who helps?", "What goes wrong?")  # blanks dropped
    assert main.questions[0].minutes == 12.5
    assert main.questions[1].minutes is None
    followup = staged.phase("followup")
    assert [q.text for q in followup.questions] == [
        "Did anything change?",
        "What should we ask next time?",
    ]
    assert [q.id for q in followup.questions] == ["followup.q1", "followup.q2"]
    assert staged.phase_index("close") == 3
    with pytest.raises(KeyError):
        staged.phase("nope")


def test_for_stage_keeps_only_what_is_marked_for_that_stage(staged):
    first = staged.for_stage(1)
    assert [p.id for p in first.phases] == ["intro", "main", "close"]
    assert [q.id for q in first.phase("intro").questions] == ["intro.q1"]
    assert [c.id for c in first.phase("intro").checklist] == ["intro.c1", "intro.c3"]
    assert [q.id for q in first.phase("main").questions] == ["morning", "main.q2"]

    second = staged.for_stage(2, newcomers=True, returning=True)
    assert [p.id for p in second.phases] == ["intro", "main", "followup", "close"]
    assert [q.id for q in second.phase("intro").questions] == ["intro.q2"]
    assert [c.id for c in second.phase("intro").checklist] == ["intro.c1", "recap"]
    assert [q.id for q in second.phase("main").questions] == ["morning", "main.q2", "main.q3"]

    # ids are those of the whole guide, not renumbered per stage
    assert second.phase("intro").questions[0].id == "intro.q2"
    # everything else is carried over
    assert second.title == staged.title and second.asked_after_s == staged.asked_after_s
    assert second.stages == 2 and second.source == staged.source


def test_planned_time_is_the_sum_of_phases_unless_given(staged, tmp_path):
    assert staged.minutes is None
    assert staged.planned_s == (10 + 40 + 15 + 10) * 60
    assert staged.for_stage(1).planned_s == (10 + 40 + 10) * 60
    assert staged.for_stage(2).planned_s == (10 + 40 + 15 + 10) * 60
    assert staged.phase("main").planned_s == 40 * 60

    explicit = load_guide(
        write(tmp_path, 'title = "T"\nminutes = 90\n' + PHASE, name="explicit.toml")
    )
    assert explicit.minutes == 90
    assert explicit.planned_s == 90 * 60  # not the phases' 30 minutes
    assert explicit.for_stage(1).planned_s == 90 * 60


def test_zero_minutes_is_allowed(tmp_path):
    guide = load_guide(
        write(tmp_path, 'title = "T"\n[[phases]]\nid = "a"\ntitle = "A"\nminutes = 0\n')
    )
    assert guide.phases[0].minutes == 0.0
    assert guide.planned_s == 0.0


def test_defaults(tmp_path):
    guide = load_guide(write(tmp_path, 'title = "  T  "' + PHASE))
    assert guide.title == "T"
    assert guide.stages == 1
    assert guide.asked_after_s == DEFAULT_ASKED_AFTER_S
    assert guide.phases[0].kind == "main"
    assert guide.phases[0].questions == () and guide.phases[0].checklist == ()


def test_to_dict_from_dict_round_trip(staged):
    assert Guide.from_dict(staged.to_dict()) == staged
    # the snapshot is stored as JSON in the session: it must survive that too
    assert Guide.from_dict(json.loads(json.dumps(staged.to_dict()))) == staged
    for stage in (1, 2):
        staged_view = staged.for_stage(stage)
        assert Guide.from_dict(json.loads(json.dumps(staged_view.to_dict()))) == staged_view
    data = staged.to_dict()
    assert data["phases"][1]["questions"][0] == {
        "id": "morning",
        "text": "Tell me about a typical morning.",
        "probes": ["Who helps?", "What goes wrong?"],
        "minutes": 12.5,
        "stages": [],
    }


def test_round_trip_is_a_copy(staged):
    """The snapshot is independent of the guide object: changing it changes nothing."""
    data = staged.to_dict()
    data["phases"][0]["title"] = "Changed"
    assert staged.phase("intro").title == "Welcome"
    assert Guide.from_dict(data) != staged


def test_a_byte_order_mark_as_some_editors_save_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_text('\ufefftitle = "T"\n' + PHASE, encoding="utf-8")
    assert load_guide(path).title == "T"
