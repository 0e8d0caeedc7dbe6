"""The repository stands alone: a user's clone holds everything its files refer to.

No tracked file may point outside the repository (to a folder beside the checkout, or to
notes and sources that only the developers had), and every link in the Markdown documents
leads to a file that is there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()

# Written in pieces so that this file does not match itself.
OUTSIDE = re.compile(
    "|".join(
        [
            re.escape(".." + "/shared"),  # the folder beside the checkout
            "shared" + r"/(?:PRODUCT|STYLE|TESTING|seeds)",
            r"\bseeds" + r"/\d{3}_",  # the source text, by its file name
            r"\b(?:PRODUCT|STYLE|TESTING)" + r"\.md\b",  # the developers' own notes
            "/" + "work/",  # the machine the project was built on
        ]
    )
)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True
    )
    return [name for name in listed.stdout.decode().split("\0") if name]


def text_of(name: str) -> str | None:
    path = ROOT / name
    if not path.is_file():
        return None  # deleted in the work tree, not yet in git
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None  # binary
    return data.decode("utf-8", errors="replace")


def test_no_tracked_file_points_outside_the_repository() -> None:
    found = []
    for name in tracked_files():
        if name == THIS:
            continue
        text = text_of(name)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            match = OUTSIDE.search(line)
            if match:
                found.append(f"{name}:{number}: {match.group(0)!r} in {line.strip()[:80]!r}")
    assert found == [], "paths outside the repository:\n" + "\n".join(found)


def test_the_check_finds_what_it_looks_for() -> None:
    for line in (
        "see `" + ".." + "/shared/PRODUCT.md` section 4",
        "the thesis in " + "shared/seeds",
        "seeds/" + "000_463325a0d4fb092a.txt, line 12",
        "the recipes in TESTING" + ".md",
        "cd /" + "work/main",
    ):
        assert OUTSIDE.search(line), line
    for line in ("docs/summary.md", "shared memory pool", "the seed guides", "guides/seed-nb.toml"):
        assert not OUTSIDE.search(line), line


def markdown_documents() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "SECURITY.md", ROOT / "guides" / "README.md"]
    return files + sorted((ROOT / "docs").glob("*.md"))


def test_every_link_in_the_documents_leads_to_a_file_in_the_repository() -> None:
    broken = []
    for document in markdown_documents():
        text = document.read_text(encoding="utf-8")
        # links, relative to the document; the docs/ folder's files named as code, relative
        # to the top of the repository (`docs/summary.md`)
        targets = [(document.parent, link) for link in LINK.findall(text)]
        targets += [(ROOT, path) for path in re.findall(r"`(docs/[^`\s]+)`", text)]
        for base, target in targets:
            if re.match(r"^[a-z]+:|^#", target):
                continue  # a web address or an anchor in the same page
            resolved = (base / target.split("#")[0]).resolve()
            if not resolved.exists() or ROOT.resolve() not in (resolved, *resolved.parents):
                broken.append(f"{document.relative_to(ROOT)}: {target}")
    assert broken == [], "links to nothing:\n" + "\n".join(broken)


def test_the_readme_links_the_method_and_the_summary_contract() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in ("docs/method.md", "docs/summary.md", "docs/summary.schema.json"):
        assert f"]({target})" in readme, target
