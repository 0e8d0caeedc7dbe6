"""The Norwegian bokmål catalogue: complete, current, and actually used.

The snapshot tests run the app in a fresh interpreter. Binding descriptions are
translated when the screen modules are imported (class bodies call ``_()``), and
this test process has already imported them in English (``conftest`` sets
``FACILITATOR_LANG=en``). Reloading the UI modules here would create second copies
of every screen class and break ``isinstance`` checks in other tests, so a
subprocess with ``FACILITATOR_LANG=nb`` is the honest way to see Norwegian screens.

Update the Norwegian SVGs with ``FACILITATOR_UPDATE_NB_SNAPSHOTS=1 pytest tests/test_i18n.py``
and look at them before committing.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from facilitator import i18n
from facilitator.i18n import _, detect_language, set_language

ROOT = Path(__file__).resolve().parent.parent
# not under __snapshots__: syrupy counts any file there that its own tests do not use as a failure
SNAPSHOTS = Path(__file__).parent / "golden" / "nb"


def _extractor():
    spec = importlib.util.spec_from_file_location(
        "extract_messages", ROOT / "scripts" / "extract_messages.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


extract_messages = _extractor()


@pytest.fixture(scope="module")
def messages() -> dict[str, list[str]]:
    return extract_messages.extract()


@pytest.fixture(scope="module")
def catalogue() -> dict[str, str]:
    return extract_messages.load_catalogue()


# -- the catalogue ---------------------------------------------------------------


def test_the_extractor_finds_calls_and_concatenated_strings() -> None:
    source = 'x = _("One {a}", a=1)\ny = _("Two " "parts")\nz = f(_)\nw = other("No")\n'
    assert [m for m, _line in extract_messages.messages_in_source(source)] == [
        "One {a}",
        "Two parts",
    ]
    assert extract_messages.placeholders("{a} of {b:g}") == {"a", "b"}


def test_there_are_messages(messages: dict[str, list[str]]) -> None:
    assert len(messages) > 400


def test_every_message_has_a_translation(
    messages: dict[str, list[str]], catalogue: dict[str, str]
) -> None:
    missing, _mismatched = extract_messages.problems(messages, catalogue)
    assert not missing, "no bokmål translation in nb.toml for:\n" + "\n".join(
        f"  {m!r} ({', '.join(messages[m])})" for m in missing
    )


def test_translations_keep_the_placeholders(
    messages: dict[str, list[str]], catalogue: dict[str, str]
) -> None:
    _missing, mismatched = extract_messages.problems(messages, catalogue)
    assert not mismatched, "\n".join(f"{m!r}: {catalogue[m]!r}" for m in mismatched)


def test_the_catalogue_has_no_stale_entries(
    messages: dict[str, list[str]], catalogue: dict[str, str]
) -> None:
    stale = extract_messages.stale(messages, catalogue)
    assert not stale, "entries in nb.toml that no code uses any more:\n" + "\n".join(
        f"  {k!r}" for k in stale
    )


def test_translations_are_not_empty_and_keep_key_hints(catalogue: dict[str, str]) -> None:
    assert all(text.strip() for text in catalogue.values())
    for msgid, text in catalogue.items():
        for hint in ("#q", "#t", "#f", "#o", "#s", "@3", "escape", "enter", "1-9", "press p"):
            if hint in msgid and hint != "press p":
                assert hint in text, (msgid, text)
        if "press p" in msgid:
            assert "trykk p" in text, (msgid, text)


def test_the_check_command_passes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "extract_messages.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- choosing and using the language ----------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "nb_NO.UTF-8"}, "nb"),
        ({"LANG": "no_NO"}, "nb"),
        ({"LANG": "nn_NO.UTF-8"}, "nb"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({}, "en"),
        ({"LC_ALL": "nb_NO.UTF-8", "LANG": "en_US.UTF-8"}, "nb"),
        ({"LC_MESSAGES": "en_GB", "LANG": "nb_NO"}, "en"),
        ({"FACILITATOR_LANG": "nb", "LANG": "en_US.UTF-8"}, "nb"),
        ({"FACILITATOR_LANG": "en", "LANG": "nb_NO.UTF-8"}, "en"),
        ({"FACILITATOR_LANG": "de"}, "en"),
    ],
)
def test_detect_language(environ: dict[str, str], expected: str) -> None:
    assert detect_language(environ) == expected


def test_set_language_translates_and_fills_placeholders() -> None:
    try:
        set_language("nb")
        assert i18n.language() == "nb"
        assert _("Next question") == "Neste spørsmål"
        assert _("Question {number} of {count}", number=2, count=7) == "Spørsmål 2 av 7"
        assert _("A message nobody translated") == "A message nobody translated"
        set_language("en")
        assert _("Next question") == "Next question"
    finally:
        set_language(None)


def test_the_environment_chooses_norwegian(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACILITATOR_LANG", "")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "nb_NO.UTF-8")
    set_language(None)
    try:
        assert _("{time} left", time="03:00") == "03:00 igjen"
    finally:
        set_language(None)


def _env(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")}
    env.update(changes)
    return env


def _facilitator() -> list[str]:
    script = Path(sys.executable).parent / "facilitator"
    return [str(script)] if script.exists() else [sys.executable, "-m", "facilitator"]


def test_the_command_line_help_is_norwegian_with_lang() -> None:
    result = subprocess.run(
        [*_facilitator(), "--lang", "nb", "--help"],
        capture_output=True,
        text=True,
        env=_env(FACILITATOR_LANG="en", LANG="en_US.UTF-8"),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "fokusgrupper" in result.stdout
    assert "grensesnittspråk" in result.stdout
    english = subprocess.run(
        [*_facilitator(), "--lang=en", "--help"],
        capture_output=True,
        text=True,
        env=_env(FACILITATOR_LANG="nb"),
        check=False,
    )
    assert "interface language" in english.stdout


def test_lang_is_applied_before_the_user_interface_is_imported() -> None:
    # Binding descriptions are translated at import time: cli must not import the UI early.
    code = "import sys, facilitator.cli; print(sorted(m for m in sys.modules if '.ui' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# -- Norwegian screens, in a fresh interpreter --------------------------------------

_SCREENSHOT = r"""
import asyncio, sys
from pathlib import Path

sys.path.insert(0, {tests!r})
from conftest import GUIDES, PARTICIPANTS, START
from facilitator.core.clock import FakeClock
from facilitator.core.guide import load_guide
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from facilitator.ui.app import make_app
from facilitator.ui.screens.live import LiveScreen

clock = FakeClock(START)
store = SessionStore.create(
    Path({folder!r}), load_guide(GUIDES / "seed-nb.toml"), title="Trinn 1",
    participants=PARTICIPANTS, now=clock.now(), study="u-sving", stage=1,
    guide_path="guides/seed-nb.toml",
)
live = LiveSession(store, clock=clock)
app = make_app(live)


async def tick(pilot):
    if isinstance(pilot.app.screen, LiveScreen):
        pilot.app.screen.refresh_view()
    await pilot.pause()


async def main():
    async with app.run_test(size=({width}, {height})) as pilot:
        await pilot.pause()
        scenario = {scenario!r}
        if scenario == "live":
            first = live.guide.phases[0]
            if first.checklist:
                live.toggle_checked(first.checklist[0].id)
            clock.advance(8 * 60)
            await pilot.press("pagedown")
            clock.advance(19 * 60)
            await pilot.press("right")
            clock.advance(4 * 60 + 10)
            await tick(pilot)
        elif scenario == "help":
            await pilot.press("f1")
            await pilot.pause()
        await pilot.pause()
        sys.stdout.write(app.export_screenshot())


asyncio.run(main())
live.journal.close() if live.journal is not None else None
"""


def _norwegian_screenshot(tmp_path: Path, scenario: str, size: tuple[int, int]) -> str:
    code = _SCREENSHOT.format(
        tests=str(Path(__file__).parent),
        folder=str(tmp_path / "sessions"),
        width=size[0],
        height=size[1],
        scenario=scenario,
    )
    env = _env(FACILITATOR_LANG="nb", TEXTUAL_ANIMATIONS="none")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _text_of(svg: str) -> str:
    """The visible characters of a Textual SVG screenshot, one string."""
    return html.unescape(" ".join(re.findall(r">([^<>]*)</text>", svg))).replace("\xa0", " ")


def _compare(svg: str, name: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("FACILITATOR_UPDATE_NB_SNAPSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no snapshot {path}: make it with FACILITATOR_UPDATE_NB_SNAPSHOTS=1")
    assert _text_of(svg) == _text_of(path.read_text(encoding="utf-8")), (
        f"the Norwegian screen differs from {path}; look at it and update it with "
        "FACILITATOR_UPDATE_NB_SNAPSHOTS=1"
    )


def test_live_view_in_norwegian_120x40(tmp_path: Path) -> None:
    svg = _norwegian_screenshot(tmp_path, "live", (120, 40))
    text = _text_of(svg)
    for word in ("Fase 2 av 3", "Spørsmål 2 av 2", "Utdypingsspørsmål", "Dekning", "Ingen snakker"):
        assert word in text, word
    for english in ("Question 2 of", "Coverage", "Nobody speaking", "Probes"):
        assert english not in text, english
    _compare(svg, "test_live_view_in_norwegian_120x40.svg")


def test_help_screen_in_norwegian_80x24(tmp_path: Path) -> None:
    svg = _norwegian_screenshot(tmp_path, "help", (80, 24))
    text = _text_of(svg)
    for word in ("Taster", "Handling", "Hva den gjør", "Moderator begynner å snakke"):
        assert word in text, word
    assert "What it does" not in text and "Close help" not in text
    _compare(svg, "test_help_screen_in_norwegian_80x24.svg")
