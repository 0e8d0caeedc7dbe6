"""Bad guides, generated: 10,000 broken (and some good) guide files, and not one traceback.

The property, for every file: ``load_guide`` returns a ``Guide`` or raises ``GuideError``,
never anything else, and every problem it reports reads ``file:LINE: message`` with a LINE
that exists in the file as an editor counts lines (newline-separated, from 1).

The inputs come from three strategies:

- mutations of the bundled guides (``guides/seed-en.toml``, ``guides/template.toml``):
  lines deleted, duplicated, swapped, moved or replaced; bytes inserted (random, control
  characters, TOML punctuation, bytes that are not UTF-8); the file cut short; values of keys
  replaced by another type, by values nested hundreds deep, by huge or odd numbers; table
  headers renamed; up to four of these stacked;
- structured random TOML documents built from the guide's own keys (right and wrong types,
  unknown keys, headers or inline tables), so that the validator, not only the TOML parser,
  is driven through its branches (some of these documents are valid guides);
- raw bytes: random byte strings, and bundled guides with bytes flipped.

Hypothesis runs derandomized, so every CI run sees the same inputs. A sample of 30 bad files
goes through ``facilitator check`` as a subprocess too: exit 1, no traceback.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.core.guide import (
    CHECKLIST_KEYS,
    GUIDE_KEYS,
    PHASE_KEYS,
    QUESTION_KEYS,
    SETTINGS_KEYS,
    Guide,
    GuideError,
    load_guide,
)
from facilitator.i18n import set_language

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = {
    name: (ROOT / "guides" / name).read_bytes() for name in ("seed-en.toml", "template.toml")
}

# How many inputs each strategy runs: 10,000 in all.
MUTATED_EXAMPLES = 5_000
STRUCTURED_EXAMPLES = 4_000
RAW_EXAMPLES = 1_000

FUZZ_SETTINGS = {
    "deadline": None,
    "derandomize": True,  # the same inputs on every run and every machine
    "database": None,
    "suppress_health_check": list(HealthCheck),
    "print_blob": False,
}

STATS: Counter[str] = Counter()


@pytest.fixture(autouse=True)
def english():
    set_language("en")
    yield
    set_language(None)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest):
    """Print how many inputs ran and how they came out (also without ``-s``)."""
    started = time.perf_counter()
    yield
    elapsed = time.perf_counter() - started
    total = sum(STATS[k] for k in STATS if k.endswith(":run"))
    lines = [f"guide fuzzing: {total} inputs in {elapsed:.1f} s"]
    for strategy in ("mutated", "structured", "raw"):
        run = STATS[f"{strategy}:run"]
        if run:
            lines.append(
                f"  {strategy}: {run} inputs, {STATS[f'{strategy}:valid']} valid guides, "
                f"{STATS[f'{strategy}:error']} GuideError "
                f"({STATS[f'{strategy}:problems']} problems reported)"
            )
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print("\n" + "\n".join(lines))
    else:
        print("\n".join(lines))


# --- the property ------------------------------------------------------------------------------


def file_line_count(raw: bytes) -> int:
    """Lines as an editor and TOML count them: separated by newlines, at least one."""
    if not raw:
        return 1
    count = raw.count(b"\n")
    return count if raw.endswith(b"\n") else count + 1


def check_guide_file(path: Path, raw: bytes, strategy: str) -> Guide | GuideError:
    """Write ``raw`` to ``path``, load it, and check the property. Returns what it gave."""
    path.write_bytes(raw)
    STATS[f"{strategy}:run"] += 1
    try:
        guide = load_guide(path)
    except GuideError as error:
        STATS[f"{strategy}:error"] += 1
        STATS[f"{strategy}:problems"] += len(error.problems)
        assert error.problems, "a GuideError must name at least one problem"
        last_line = file_line_count(raw)
        for problem, text in zip(error.problems, str(error).split("\n"), strict=True):
            assert problem.file == str(path)
            assert 1 <= problem.line <= last_line, (
                f"line {problem.line} does not exist (the file has {last_line}): {problem}"
            )
            assert text.startswith(f"{path}:{problem.line}: "), text
            assert problem.message.strip(), text
        return error
    # Any other exception propagates and fails the test, with the input shrunk.
    assert isinstance(guide, Guide)
    assert guide.phases
    STATS[f"{strategy}:valid"] += 1
    return guide


# --- building blocks: TOML values --------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_string(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else toml_string(key)


def toml_value(value: object) -> str:
    """One TOML value, on one line (arrays and inline tables included)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def _is_table_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def toml_document(data: dict, inline: bool) -> str:
    """A TOML document for ``data``: with ``[table]`` and ``[[array]]`` headers, or inline."""
    lines: list[str] = []

    def emit(table: dict, prefix: str) -> None:
        later: list[tuple[str, object]] = []
        for key, value in table.items():
            if not inline and (isinstance(value, dict) or _is_table_list(value)):
                later.append((key, value))
            else:
                lines.append(f"{toml_key(key)} = {toml_value(value)}")
        for key, value in later:
            name = f"{prefix}{toml_key(key)}"
            if isinstance(value, dict):
                lines.append("")
                lines.append(f"[{name}]")
                emit(value, name + ".")
            else:
                assert isinstance(value, list)
                for element in value:
                    lines.append("")
                    lines.append(f"[[{name}]]")
                    emit(element, name + ".")

    emit(data, "")
    return "\n".join(lines) + "\n"


# --- strategy 1: structured random guides ------------------------------------------------------

# Cheap primitives: generating the documents, not loading them, is where the time goes
# (recursive strategies, regexes and datetimes cost Hypothesis several times more per draw).
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
ODD_SCALARS = [
    dt.date(2026, 11, 26),
    dt.datetime(2026, 11, 26, 9, 30),
    dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC),
    dt.time(9, 30),
    float("nan"),
    float("inf"),
    -0.0,
    10**30,
    -(2**63),
    "",
]
scalar = st.one_of(TEXT, st.integers(), st.floats(), st.booleans(), st.sampled_from(ODD_SCALARS))
any_value = st.one_of(
    scalar,
    st.lists(scalar, max_size=3),
    st.dictionaries(st.sampled_from(["a", "id", "text", "x y"]), scalar, max_size=2),
    st.lists(st.dictionaries(st.sampled_from(["id", "text"]), scalar, max_size=2), max_size=2),
)
GOOD_IDS = st.text(alphabet="abcxyz019", min_size=1, max_size=5)
id_text = st.one_of(
    GOOD_IDS,
    st.sampled_from(["intro", "main", "close", "q1", "c1", "-x", ".x", "a b", "ø"]),
    TEXT,
)
GOOD_WORDS = st.text(alphabet="abc xyzæøå?", min_size=1, max_size=12).filter(str.strip)
words = st.one_of(GOOD_WORDS, st.sampled_from(["", "  ", "\t", "a\nb"]), TEXT)
GOOD_MINUTES = st.one_of(st.integers(0, 60), st.floats(0, 60))
minutes = st.one_of(
    GOOD_MINUTES,
    st.integers(-5, -1),
    st.sampled_from([10**400, -(10**400), float("inf"), float("nan"), 1e308, True]),
)
stage_numbers = st.one_of(
    st.lists(st.integers(-1, 4), max_size=3), st.integers(-1, 4), st.just([True])
)


def table_of(fields: dict, required: tuple[str, ...], clean: bool) -> st.SearchStrategy:
    """Tables with some of ``fields`` (and the ``required`` ones, mostly), in a drawn order.

    ``fields`` maps each key to (good values, wrong values): a clean table draws the good
    ones only; a messy one sometimes a wrong value or one of any type, sometimes an unknown
    key. Every strategy is built here, once: one built inside a draw costs Hypothesis more
    than the draw itself.
    """
    names = sorted(fields)
    keys = st.lists(st.sampled_from(names), unique=True, max_size=len(names))
    good = {key: fields[key][0] for key in names}
    wrong = {key: st.one_of(fields[key][1], any_value) for key in names}
    unknown = st.sampled_from(["colour", "Title", "question", "x y", "\n"])

    @st.composite
    def build(draw) -> dict:
        chosen = draw(keys)
        if clean or draw(st.integers(0, 4)):
            chosen += [key for key in required if key not in chosen]
        table = {}
        for key in chosen:
            table[key] = draw(good[key] if clean or draw(st.integers(0, 3)) else wrong[key])
        if not clean and draw(st.integers(0, 9)) == 0:
            table[draw(unknown)] = draw(scalar)
        return table

    return build()


def items_of(fields: dict, clean: bool) -> st.SearchStrategy:
    """Questions or checklist items: mostly tables, sometimes plain text."""
    text = GOOD_WORDS if clean else words
    table = table_of(fields, ("text",), clean)
    return st.one_of(table, table, table, table, text)


QUESTION_FIELDS = {
    "id": (GOOD_IDS, id_text),
    "text": (GOOD_WORDS, words),
    "probes": (st.lists(GOOD_WORDS, max_size=3), st.lists(words, max_size=3)),
    "minutes": (GOOD_MINUTES, minutes),
    "stages": (st.just([1]), stage_numbers),
}
CHECKLIST_FIELDS = {
    "id": (GOOD_IDS, id_text),
    "text": (GOOD_WORDS, words),
    "audience": (
        st.sampled_from(["all", "newcomers", "returning"]),
        st.sampled_from(["everyone", "", "ALL"]),
    ),
    "stages": (st.just([1]), stage_numbers),
    "consent": (st.booleans(), st.sampled_from(["yes", 1])),
}
questions = {clean: st.lists(items_of(QUESTION_FIELDS, clean), max_size=4) for clean in (1, 0)}
checklists = {clean: st.lists(items_of(CHECKLIST_FIELDS, clean), max_size=3) for clean in (1, 0)}


def phase_fields(clean: bool) -> dict:
    return {
        "id": (GOOD_IDS, id_text),
        "title": (GOOD_WORDS, words),
        "kind": (
            st.sampled_from(["introduction", "main", "closing"]),
            st.sampled_from(["other", "", "Main"]),
        ),
        "minutes": (GOOD_MINUTES, minutes),
        "stages": (st.just([1]), stage_numbers),
        "guidance": (GOOD_WORDS, words),
        "checklist": (checklists[clean], checklists[False]),
        "questions": (questions[clean], questions[False]),
    }


phases_of = {
    clean: table_of(phase_fields(clean), ("id", "title", "minutes"), clean) for clean in (1, 0)
}
SETTINGS_FIELDS = {
    name: (st.floats(0.05, 1.0), st.one_of(st.integers(-10, 5000), st.floats()))
    for name in sorted(SETTINGS_KEYS)
}


def guide_fields(clean: bool) -> dict:
    return {
        "title": (GOOD_WORDS, words),
        "language": (st.sampled_from(["en", "nb"]), st.sampled_from(["", "english"])),
        "description": (GOOD_WORDS, words),
        "minutes": (GOOD_MINUTES, minutes),
        "stages": (st.just(1), st.one_of(st.integers(-1, 25), st.just(True))),
        "settings": (st.just({}), table_of(SETTINGS_FIELDS, (), False)),
        "phases": (
            st.lists(phases_of[clean], min_size=1, max_size=3),
            st.lists(phases_of[False], max_size=4),
        ),
    }


documents = {clean: table_of(guide_fields(clean), ("title", "phases"), clean) for clean in (1, 0)}


@st.composite
def guide_document(draw) -> dict:
    clean = draw(st.integers(0, 2)) == 0  # a third of the documents use right types only
    document = draw(documents[clean])
    if clean and "phases" in document:
        # unique ids, as a careful author writes them
        for number, raw in enumerate(document["phases"]):
            raw["id"] = f"p{number}"
            for kind in ("questions", "checklist"):
                for index, item in enumerate(raw.get(kind, [])):
                    if isinstance(item, dict) and "id" in item:
                        item["id"] = f"p{number}-{kind[0]}{index}"
    return document


# --- strategy 2: mutations of the bundled guides -----------------------------------------------

JUNK_BYTES = [
    b"\x00",
    b"\xff",
    b"\xc3",  # a lead byte with nothing after it
    b"\xc0\xaf",  # an overlong encoding
    b"\xed\xa0\x80",  # a surrogate, encoded
    b"\xef\xbb\xbf",  # a byte order mark in the middle
    b"\r",
    b"\x0c",
    b"\x7f",
    b"\xe2\x80\xa8",  # U+2028 LINE SEPARATOR: not a line break in TOML
    b"\xc2\x85",  # U+0085 NEXT LINE: nor this
    b"[",
    b"]",
    b"[[",
    b"]]",
    b"=",
    b'"',
    b'"""',
    b"'",
    b"#",
    b"\\",
    b"\n",
    b"{",
    b"}",
    b",",
    b".",
    b" = ",
]
ODD_VALUES = [
    "9" * 400,
    "-" + "9" * 400,
    "1e400",
    "-1e400",
    "inf",
    "-inf",
    "nan",
    "+nan",
    "0",
    "-0",
    "-0.0",
    "1_000",
    "0x7fffffffffffffff",
    "0o777",
    "0b1011",
    "1e-400",
    "9223372036854775808",
    "true",
    "false",
    "1979-05-27",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    '""',
    '"  "',
    "''",
    "[]",
    "{}",
    '["a", 1]',
    "[[]]",
    "{ a = 1 }",
    '"""\nmany\nlines\n"""',
    '"\\u0000"',
    '"\\uD800"',
]


def nested(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return "{a=" * depth + "1" + "}" * depth


@st.composite
def mutation(draw, line_count: int) -> tuple:
    """One edit of a guide's text, as plain data (so a failure prints what it was)."""
    index = st.integers(0, max(0, line_count - 1))
    kind = draw(
        st.sampled_from(
            [
                "delete",
                "duplicate",
                "swap",
                "move",
                "replace",
                "insert_bytes",
                "truncate",
                "value",
                "nest",
                "header",
                "blank_key",
            ]
        )
    )
    if kind == "delete":
        return ("delete", draw(index), draw(st.integers(1, 12)))
    if kind in ("duplicate", "blank_key"):
        return (kind, draw(index))
    if kind in ("swap", "move"):
        return (kind, draw(index), draw(index))
    if kind == "replace":
        return ("replace", draw(index), draw(st.text(max_size=30)))
    if kind == "insert_bytes":
        junk = draw(
            st.lists(st.one_of(st.sampled_from(JUNK_BYTES), st.binary(max_size=4)), max_size=4)
        )
        return ("insert_bytes", draw(st.floats(0, 1)), b"".join(junk))
    if kind == "truncate":
        return ("truncate", draw(st.floats(0, 1)))
    if kind == "value":
        new = draw(st.one_of(st.sampled_from(ODD_VALUES), any_value.map(toml_value)))
        return ("value", draw(index), new)
    if kind == "nest":
        depth = draw(st.sampled_from([1, 2, 50, 200, 999, 1000, 1500, 3000]))
        return ("nest", draw(index), depth, draw(st.sampled_from(["array", "table"])))
    header = draw(
        st.sampled_from(
            [
                "[phases]",
                "[[phase]]",
                "[[phases.questions]]",
                "[[phases.checklist]]",
                "[[phases.probes]]",
                "[[settings]]",
                "[settings]",
                "[[questions]]",
                "[phases.questions]",
                "[[phases]]",
            ]
        )
    )
    return ("header", draw(index), header)


_VALUE_LINE = re.compile(rb"^(\s*[A-Za-z0-9_\-\"']+\s*=\s*)(.*)$")


def apply_mutation(raw: bytes, edit: tuple) -> bytes:
    lines = raw.split(b"\n")
    kind = edit[0]
    if kind == "truncate":
        return raw[: int(edit[1] * len(raw))]
    if kind == "insert_bytes":
        at = int(edit[1] * len(raw))
        return raw[:at] + edit[2] + raw[at:]
    if not lines:
        return raw
    i = min(edit[1], len(lines) - 1)
    if kind == "delete":
        del lines[i : i + edit[2]]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap":
        j = min(edit[2], len(lines) - 1)
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "move":
        line = lines.pop(i)
        lines.insert(min(edit[2], len(lines)), line)
    elif kind == "replace":
        lines[i] = edit[2].encode("utf-8", "surrogatepass")
    elif kind in ("value", "nest", "blank_key"):
        # the nearest key line at or after i
        for j in list(range(i, len(lines))) + list(range(0, i)):
            match = _VALUE_LINE.match(lines[j])
            if match and not lines[j].lstrip().startswith(b"#"):
                if kind == "value":
                    new = edit[2]
                elif kind == "nest":
                    new = nested(edit[2], edit[3])
                else:
                    new = ""
                lines[j] = match.group(1) + new.encode("utf-8", "surrogatepass")
                break
    elif kind == "header":
        for j in list(range(i, len(lines))) + list(range(0, i)):
            if lines[j].lstrip().startswith(b"["):
                lines[j] = edit[2].encode()
                break
    return b"\n".join(lines)


@st.composite
def mutated_guide(draw) -> tuple[str, list[tuple]]:
    name = draw(st.sampled_from(sorted(BUNDLED)))
    count = BUNDLED[name].count(b"\n") + 1
    edits = draw(st.lists(mutation(count), min_size=1, max_size=4))
    return name, edits


# --- strategy 3: raw bytes ---------------------------------------------------------------------


@st.composite
def raw_guide(draw) -> bytes:
    kind = draw(st.sampled_from(["random", "flipped", "prefix"]))
    if kind == "random":
        return draw(st.binary(max_size=400))
    raw = BUNDLED[draw(st.sampled_from(sorted(BUNDLED)))]
    if kind == "prefix":  # a valid start, then anything
        return raw[: draw(st.integers(0, len(raw)))] + draw(st.binary(max_size=40))
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    return bytes(data)


# --- the tests ---------------------------------------------------------------------------------


def test_the_bundled_guides_are_valid(fuzz_dir: Path) -> None:
    """The mutations start from good guides: each loads as it is."""
    for name, raw in BUNDLED.items():
        assert isinstance(check_guide_file(fuzz_dir / name, raw, "bundled"), Guide)


@settings(max_examples=MUTATED_EXAMPLES, **FUZZ_SETTINGS)
@given(case=mutated_guide())
def test_mutated_bundled_guides(fuzz_dir: Path, case: tuple[str, list[tuple]]) -> None:
    name, edits = case
    raw = BUNDLED[name]
    for edit in edits:
        raw = apply_mutation(raw, edit)
    check_guide_file(fuzz_dir / "mutated.toml", raw, "mutated")


@settings(max_examples=STRUCTURED_EXAMPLES, **FUZZ_SETTINGS)
@given(document=guide_document(), inline=st.booleans())
def test_structured_random_guides(fuzz_dir: Path, document: dict, inline: bool) -> None:
    text = toml_document(document, inline)
    raw = text.encode("utf-8")
    check_guide_file(fuzz_dir / "structured.toml", raw, "structured")


@settings(max_examples=RAW_EXAMPLES, **FUZZ_SETTINGS)
@given(raw=raw_guide())
def test_raw_bytes(fuzz_dir: Path, raw: bytes) -> None:
    check_guide_file(fuzz_dir / "raw.toml", raw, "raw")


def test_the_structured_strategy_knows_every_key_of_the_format() -> None:
    """A key added to the guide format must be added to the strategy too, or it goes unfuzzed."""
    assert set(guide_fields(True)) == GUIDE_KEYS
    assert set(SETTINGS_FIELDS) == SETTINGS_KEYS
    assert set(phase_fields(True)) == PHASE_KEYS
    assert set(QUESTION_FIELDS) == QUESTION_KEYS
    assert set(CHECKLIST_FIELDS) == CHECKLIST_KEYS


def test_structured_documents_are_real_toml() -> None:
    """The emitter writes TOML that tomllib reads back as the same data (else the structured
    strategy would only test the TOML parser)."""
    import tomllib

    rng = random.Random(8)
    document = {
        "title": 'a "b" \\ \x7f\x00',
        "minutes": float("inf"),
        "settings": {"asked_after_s": 3},
        "phases": [
            {
                "id": "x",
                "questions": [{"text": "q", "probes": ["p"]}, {"text": "r"}],
                "checklist": [],
                "weird key": {"a": [1, 2.5, dt.date(2020, 1, 2)]},
            },
            {"id": "y", "minutes": rng.random()},
        ],
    }
    for inline in (False, True):
        assert tomllib.loads(toml_document(document, inline)) == document


# --- what the fuzzing found, kept as plain tests -----------------------------------------------


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_line_separator_inside_a_string_does_not_shift_the_lines(
    tmp_path: Path, separator: str
) -> None:
    """Found by the structured strategy: ``str.splitlines`` counted U+2028 (and U+2029,
    U+0085) as line breaks, so every problem after one was reported too far down, even past
    the end of the file. TOML and editors break lines at newlines only."""
    text = (
        'title = "T"\n'
        f'description = "a{separator}b"\n'
        f"# a comment with {separator} in it\n"
        '\n[[phases]]\nid = "main"\ntitle = "Main"\nminutes = 10\n'
        'colour = "red"\n'  # line 9
    )
    path = tmp_path / "guide.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GuideError) as caught:
        load_guide(path)
    (problem,) = caught.value.problems
    assert problem.line == 9, problem
    assert 'unknown key "colour"' in problem.message


def test_a_quoted_key_with_a_newline_is_reported_on_one_line(tmp_path: Path) -> None:
    """Found by the structured strategy: an unknown key ``"a\\nb"`` was quoted as it is, so
    its problem took two lines and the second did not start with ``file:line:``."""
    path = tmp_path / "guide.toml"
    path.write_text(
        'title = "T"\n"a\\nb\\u202e" = 1\n\n[[phases]]\nid = "m"\ntitle = "M"\nminutes = 1\n',
        encoding="utf-8",
    )
    with pytest.raises(GuideError) as caught:
        load_guide(path)
    (problem,) = caught.value.problems
    assert str(caught.value) == f"{path}:2: {problem.message}"
    assert "\n" not in problem.message and "\u202e" not in problem.message
    assert 'unknown key "a\\nb\\u202e"' in problem.message


# --- facilitator check, as a process -----------------------------------------------------------


def bad_samples(count: int) -> list[bytes]:
    """``count`` distinct bad guides, drawn with a fixed seed from the same mutations."""
    rng = random.Random(20_260_808)
    found: list[bytes] = []
    makers: list[Callable[[], bytes]] = []

    def mutated() -> bytes:
        name = rng.choice(sorted(BUNDLED))
        raw = BUNDLED[name]
        count_lines = raw.count(b"\n") + 1
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(["delete", "duplicate", "swap", "value", "nest", "header", "bytes"])
            i = rng.randrange(count_lines)
            if kind == "delete":
                edit: tuple = ("delete", i, rng.randint(1, 6))
            elif kind in ("duplicate",):
                edit = (kind, i)
            elif kind == "swap":
                edit = ("swap", i, rng.randrange(count_lines))
            elif kind == "value":
                edit = ("value", i, rng.choice(ODD_VALUES))
            elif kind == "nest":
                edit = ("nest", i, rng.choice([3, 1000, 3000]), rng.choice(["array", "table"]))
            elif kind == "header":
                edit = ("header", i, rng.choice(["[phases]", "[[phase]]", "[[settings]]"]))
            else:
                edit = ("insert_bytes", rng.random(), rng.choice(JUNK_BYTES))
            raw = apply_mutation(raw, edit)
        return raw

    def truncated() -> bytes:
        raw = BUNDLED[rng.choice(sorted(BUNDLED))]
        return raw[: rng.randrange(len(raw))]

    makers = [mutated, mutated, mutated, truncated]
    attempts = 0
    while len(found) < count and attempts < 5_000:
        attempts += 1
        raw = rng.choice(makers)()
        try:
            from facilitator.core.guide import parse_guide

            parse_guide(raw.decode("utf-8-sig"), "sample")
        except UnicodeDecodeError:
            pass
        except GuideError:
            pass
        else:
            continue
        if raw not in found:
            found.append(raw)
    return found


@pytest.mark.slow
def test_facilitator_check_reports_bad_files_without_a_traceback(tmp_path: Path) -> None:
    samples = bad_samples(30)
    assert len(samples) == 30
    paths = []
    for number, raw in enumerate(samples):
        path = tmp_path / f"bad-{number:02d}.toml"
        path.write_bytes(raw)
        paths.append(path)
    command = [sys.executable, "-m", "facilitator", "--lang", "en", "check"]
    running = [
        (
            path,
            subprocess.Popen([*command, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE),
        )
        for path in paths
    ]
    for path, process in running:
        out, err = process.communicate(timeout=60)
        stderr = err.decode("utf-8", "replace")
        assert process.returncode == 1, (path, out, stderr)
        assert "Traceback" not in stderr, stderr
        assert stderr.strip(), path
        last_line = file_line_count(path.read_bytes())
        for line in stderr.splitlines():
            match = re.match(rf"^{re.escape(str(path))}:(\d+): \S", line)
            assert match, line
            assert 1 <= int(match.group(1)) <= last_line, line
