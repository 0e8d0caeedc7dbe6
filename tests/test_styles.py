"""The stylesheets: each screen reads its own as it is first shown (ui.app.ScreenStyles).

That is enough only if every rule of a screen's stylesheet is scoped by a screen that names
that stylesheet: then the rules read late match no widget already styled.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from conftest import ROOT
from textual.app import App
from textual.css.stylesheet import Stylesheet
from textual.screen import Screen

import facilitator.ui.screens
from facilitator.ui.app import FacilitatorApp

STYLES = ROOT / "facilitator" / "ui" / "styles"


def _screen_classes() -> dict[str, type[Screen]]:
    for info in pkgutil.iter_modules(facilitator.ui.screens.__path__):
        importlib.import_module(f"facilitator.ui.screens.{info.name}")
    found: dict[str, type[Screen]] = {}
    todo: list[type] = [Screen]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("facilitator."):
            found[cls.__name__] = cls
    return found


def _sheets_of(cls: type) -> set[Path]:
    """The stylesheets a screen class reads, resolved as Textual resolves its CSS_PATH."""
    paths = cls.CSS_PATH or []  # type: ignore[attr-defined]
    paths = [paths] if isinstance(paths, (str, Path)) else paths
    base = Path(inspect.getfile(cls)).parent
    return {(base / path).resolve() for path in paths}


def _rules(path: Path):
    sheet = Stylesheet(variables=App().get_css_variables())
    sheet.read(path)
    sheet.parse()
    return sheet.rules


def test_every_rule_of_a_screens_stylesheet_is_scoped_by_a_screen_that_reads_it() -> None:
    screens = _screen_classes()
    app_sheets = {Path(path).resolve() for path in FacilitatorApp.CSS_PATH}
    read_by_screens = set().union(*(_sheets_of(cls) for cls in screens.values()))
    for path in sorted(STYLES.glob("*.tcss")):
        assert path.resolve() in app_sheets | read_by_screens, f"{path.name} is read by nothing"
        if path.resolve() in app_sheets:
            continue  # read at the start: its rules may match anything
        for rule in _rules(path):
            for selectors in rule.selector_set:
                first = selectors.selectors[0].name
                assert first in screens, f"{path.name}: a rule not scoped by a screen ({first})"
                assert path.resolve() in _sheets_of(screens[first]), (
                    f"{path.name}: {first} does not read this stylesheet"
                )


def test_a_start_reads_only_the_stylesheets_not_scoped_by_a_screen() -> None:
    assert [Path(path).name for path in FacilitatorApp.CSS_PATH] == ["footer.tcss"]
