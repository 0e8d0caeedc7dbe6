"""Control characters (issue 14, point 12): shown as text at input and at every output,
never obeyed by a terminal or left raw in a file."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from textual import events

from facilitator.core.clock import FakeClock
from facilitator.core.guide import parse_guide
from facilitator.core.text import visible, visible_tree
from facilitator.exports import FORMATS
from facilitator.services.exporting import render_export
from facilitator.services.live import LiveSession
from facilitator.store.session_store import parse_participant
from facilitator.ui.paste import PasteSafeParser
from tests.conftest import venv_bin

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("alpha \x1b[2J omega", "alpha ␛[2J omega"),
        ("a\rb", "a␍b"),
        ("bell\x07", "bell␇"),
        ("csi\x9b1m", "csi\\x9b1m"),
        ("del\x7f", "del␡"),
        ("lines\nand\ttabs", "lines\nand\ttabs"),
        ("æøå – “plain”", "æøå – “plain”"),
    ],
)
def test_control_characters_are_made_visible_in_order(raw: str, shown: str) -> None:
    assert visible(raw) == shown


@pytest.mark.parametrize(
    "raw", ["a\rb", "back\bspace", "form\ffeed", "esc\x1b", "del\x7f", "c1\x9b"]
)
def test_visible_tree_finds_every_control_character_anywhere(raw: str) -> None:
    # CR, backspace and form feed too (a JSON encoder writes those as \\r, \\b, \\f), in a
    # key, in a tuple, deep in a list
    shown = visible(raw)
    assert RAW.search(shown) is None
    assert visible_tree({"k": [1.5, None, {"x": (True, raw)}]}) == {
        "k": [1.5, None, {"x": (True, shown)}]
    }
    assert visible_tree({raw: 1}) == {shown: 1}
    assert visible_tree([[[raw]]]) == [[[shown]]]


def test_visible_tree_without_a_control_character_is_the_tree_itself() -> None:
    tree = {"a": ["lines\nand\ttabs", 1, 2.5, None, ("æøå", True)], "b": {"c": "–"}, 3: "d"}
    assert visible_tree(tree) is tree


def test_input_is_made_visible(live: LiveSession) -> None:
    note = live.add_note("alpha \x1b[2J omega #quote")
    assert note is not None and note.data["text"] == "alpha ␛[2J omega"
    person = parse_participant("P9:\x1b]2;PWNED\x07Evil:\x1b[31mrole")
    assert person.label == "␛]2;PWNED␇Evil" and person.role == "␛[31mrole"
    guide = parse_guide(
        'title = "T\\u001b[2J"\nminutes = 10\n[[phases]]\nid = "a"\ntitle = "A\\u009b"\n'
        'minutes = 10\n[[phases.questions]]\nid = "q"\ntext = "Q\\u001b]0;x\\u0007?"\n'
    )
    assert guide.title == "T␛[2J" and guide.phases[0].title == "A\\x9b"
    assert guide.phases[0].questions[0].text == "Q␛]0;x␇?"


def hostile_session(live: LiveSession, clock: FakeClock) -> LiveSession:
    """Control characters written straight into the journal (as an old version, or another
    tool, may have left them): every output must still show them as text."""
    live.record("roster_edit", {"id": "P1", "label": "\x1b]2;PWNED\x07Evil"})
    live.speak("P1")
    clock.advance(5)
    live.record("note", {"t_s": 5.0, "phase": live.state.phase_id, "question":
                         live.state.question_id, "speaker": "P1", "tags": ["quote"],
                         "text": "copy " + OSC52 + " \x9b2J done"})  # fmt: skip
    clock.advance(5)
    live.speak(None)
    return live


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "qdpx"])
def test_no_raw_control_character_reaches_an_export(live, clock, fmt: str) -> None:
    hostile_session(live, clock)
    text = render_export(live.store, live.info, live.state, fmt, clock.now())
    assert isinstance(text, str)
    found = RAW.findall(text.replace("\r\n", "\n"))
    assert found == [], (fmt, found)
    assert "Evil" in text or fmt in ("csv",)  # the text itself is kept


def test_summary_prints_no_escape_sequence_to_the_terminal(live, clock) -> None:
    hostile_session(live, clock)
    live.journal.close()
    live.journal = None
    done = subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(live.store.path.parent), "summary",
         live.info.id],
        capture_output=True, text=True, env={**os.environ, "FACILITATOR_LANG": "en"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x9b" not in done.stdout and "\x07" not in done.stdout
    assert "␛]52;c;" in done.stdout and "␛]2;PWNED␇Evil" in done.stdout


def pasted(chunks: list[str]) -> list[str]:
    parser = PasteSafeParser()
    texts: list[str] = []
    for chunk in [*chunks, ""]:
        for event in parser.feed(chunk):
            if isinstance(event, events.Paste):
                texts.append(event.text)
    return texts


@pytest.mark.parametrize(
    "chunks",
    [
        ["\x1b[200~alpha \x1b[2J omega\x1b[201~"],
        ["\x1b[200~alpha \x1b", "[2J omega\x1b[201~"],
        ["\x1b[200~alpha \x1b[2J omega\x1b[2", "01~"],
        ["\x1b[2", "00~alpha \x1b[2J omega\x1b[201~"],
    ],
)
def test_a_bracketed_paste_arrives_whole_and_in_order(chunks: list[str]) -> None:
    assert pasted(chunks) == ["alpha ␛[2J omega"]


def test_file_written_by_new_has_a_safe_title(tmp_path: Path) -> None:
    done = subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(tmp_path), "new",
         str(Path(__file__).parent.parent / "guides" / "seed-en.toml"), "--title", "T\x1b]2;X\x07"],
        capture_output=True, text=True, env={**os.environ, "FACILITATOR_LANG": "en"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in (tmp_path / done.stdout.strip() / "session.json").read_text()
