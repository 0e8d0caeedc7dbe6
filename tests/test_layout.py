"""The layout: every module in a layer package, no import cycles, every package shipped, and
labels in the language chosen when they are shown (not the one at import)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import grimp
from conftest import ROOT

PACKAGE = ROOT / "facilitator"


def test_only_init_and_main_are_loose_modules() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py"]


def test_no_import_cycle_between_any_two_modules() -> None:
    """Function-level imports count (grimp reads every import statement); imports made only
    for type checking do not."""
    graph = grimp.build_graph("facilitator", exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in modules}
    # Tarjan's strongly connected components, iteratively
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                # a package's __init__ importing its own submodule is not a cycle of two
                # modules unless the submodule imports the package back
                if len(component) > 1:
                    cycles.append(sorted(component))
    assert not cycles, f"import cycles: {cycles}"


def test_the_cycle_check_can_fail(tmp_path: Path) -> None:
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from cyclic import b\n")
    (package / "b.py").write_text("from cyclic import a\n")
    sys.path.insert(0, str(tmp_path))
    try:
        graph = grimp.build_graph("cyclic", cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    assert graph.find_shortest_chain("cyclic.a", "cyclic.b")
    assert graph.find_shortest_chain("cyclic.b", "cyclic.a")


def test_every_package_is_in_the_wheel_list() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in PACKAGE.rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found | {"facilitator.guides"} == listed


PROBE = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    # imported while LANG says Norwegian, before any language is chosen
    from facilitator.ui.app import make_app
    from facilitator.ui.screens.help import HelpScreen
    from facilitator.ui.screens.live import LiveScreen
    from facilitator.core.clock import FakeClock
    from facilitator.core.guide import load_guide
    from facilitator.i18n import set_language
    from facilitator.services.live import LiveSession
    from facilitator.store.session_store import SessionStore, parse_participant

    set_language(sys.argv[1])  # what --lang does, after the imports
    clock = FakeClock(1_800_000_000.0)
    store = SessionStore.create(
        Path(sys.argv[2]), load_guide(sys.argv[3]), title="T",
        participants=[parse_participant("P1:A")], now=clock.now(),
    )
    live = LiveSession(store, clock=clock)

    async def main():
        app = make_app(live)
        async with app.run_test(size=(160, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, LiveScreen)
            keys = screen.active_bindings.values()
            print("FOOTER", " | ".join(b.binding.description for b in keys))
            await pilot.press("question_mark")
            await pilot.pause()
            help_screen = app.screen
            assert isinstance(help_screen, HelpScreen)
            cells = [str(c) for col in help_screen.table.columns for c in col._cells]
            print("HELP", " | ".join(cells))
        live.close()

    asyncio.run(main())
    """
)


def _probe(tmp_path: Path, lang: str, environ_lang: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("FACILITATOR_LANG", "LC_ALL")}
    env["LANG"] = environ_lang
    env["LC_MESSAGES"] = environ_lang
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            lang,
            str(tmp_path / lang),
            str(ROOT / "guides" / "seed-en.toml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_lang_en_after_a_norwegian_import_shows_english_keys(tmp_path: Path) -> None:
    out = _probe(tmp_path, "en", "nb_NO.UTF-8")
    footer = next(line for line in out.splitlines() if line.startswith("FOOTER"))
    help_text = next(line for line in out.splitlines() if line.startswith("HELP"))
    for english in ("Speaker", "Nobody", "Undo", "Note", "Next question", "End", "Quit"):
        assert english in footer
    for norwegian in ("Taler", "Ingen", "Angre", "Notat", "Avslutt"):
        assert norwegian not in footer, norwegian
    assert "Show every key" in help_text and "Quit" in help_text
    assert "Lukk" not in help_text


def test_lang_nb_after_an_english_import_shows_norwegian_keys(tmp_path: Path) -> None:
    out = _probe(tmp_path, "nb", "C.UTF-8")
    footer = next(line for line in out.splitlines() if line.startswith("FOOTER"))
    assert "Next question" not in footer and "Undo" not in footer
    assert "Angre" in footer


IMPORT_PROBE = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import facilitator, facilitator.i18n as i18n

    calls = []
    original = i18n._

    def recording(message, /, **values):
        calls.append(message)
        return original(message, **values)

    i18n._ = recording  # every module imported from here on binds this one
    for module in pkgutil.walk_packages(facilitator.__path__, "facilitator."):
        if module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)
    print(len(calls))
    for message in calls:
        print(repr(message))
    """
)


def test_no_module_translates_a_string_when_it_is_imported() -> None:
    """A label translated at import keeps the language of that moment: declare it with N_()
    and translate it where it is shown."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FACILITATOR_LANG": "nb"},
    )
    assert result.returncode == 0, result.stderr
    count, *messages = result.stdout.splitlines()
    assert count == "0", messages
