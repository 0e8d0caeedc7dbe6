"""Where interview guides come from, and a guide named by the user found among them.

A guide is looked for, in this order (the first one of a name wins):

1. the folder given with ``--guides DIR``;
2. ``./guides`` in the folder the command runs in, when there is one;
3. the user's own guides folder, in the platform's config folder
   (``~/.config/facilitator/guides`` on Linux; see :func:`user_guides_dir`);
4. the guides bundled with facilitator (``seed-en``, ``seed-nb``, ``template``): the
   top-level ``guides/`` of a checkout, shipped inside the installed package as
   ``facilitator.guides``.

``facilitator new seed-nb ...`` (a name) and ``facilitator new path/to/guide.toml`` (a file)
both work: a name is the file's stem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from facilitator.i18n import _

FOLDER = "folder"  # --guides DIR
HERE = "here"  # ./guides
USER = "user"  # the user's config folder
BUNDLED = "bundled"  # shipped with facilitator
SOURCES = (FOLDER, HERE, USER, BUNDLED)


class GuideNotFound(Exception):
    """A guide named by the user is neither a file nor a guide in any guides folder."""


@dataclass(frozen=True)
class GuideEntry:
    name: str  # the file's stem: what `facilitator new NAME` takes
    path: Path
    source: str  # one of SOURCES


def source_label(source: str) -> str:
    """The words for where a guide comes from, in the interface language."""
    return {
        FOLDER: _("--guides folder"),
        HERE: _("./guides"),
        USER: _("your guides"),
        BUNDLED: _("bundled"),
    }.get(source, source)


def bundled_guides_dir() -> Path | None:
    """The bundled guides: package data when installed (``facilitator/guides/`` in
    site-packages), the checkout's top-level ``guides/`` when run from a checkout."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "guides", package.parent / "guides"):
        if (folder / "template.toml").is_file():
            return folder
    return None


def user_guides_dir() -> Path:
    """The user's own guides: ``$FACILITATOR_GUIDES_HOME``, else the platform's config
    folder for facilitator (``~/.config/facilitator/guides`` on Linux)."""
    explicit = os.environ.get("FACILITATOR_GUIDES_HOME", "").strip()
    if explicit:
        return Path(explicit)
    from platformdirs import user_config_path

    return user_config_path("facilitator") / "guides"


def guide_folders(
    explicit: str | Path | None = None, cwd: Path | None = None
) -> list[tuple[str, Path]]:
    """The folders guides come from, first first, each with its source (see the module)."""
    folders: list[tuple[str, Path]] = []
    if explicit:
        folders.append((FOLDER, Path(explicit)))
    here = (cwd or Path.cwd()) / "guides"
    if here.is_dir():
        folders.append((HERE, here))
    folders.append((USER, user_guides_dir()))
    bundled = bundled_guides_dir()
    if bundled is not None:
        folders.append((BUNDLED, bundled))
    return folders


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def list_guides(folders: list[tuple[str, Path]]) -> list[GuideEntry]:
    """Every guide file in ``folders``, one per name (the first folder's wins), in folder
    order and by name within a folder. In a checkout ``./guides`` is the bundled folder
    itself: its guides count as bundled."""
    bundled = next((path for source, path in folders if source == BUNDLED), None)
    seen: set[str] = set()
    found: list[GuideEntry] = []
    for source, folder in folders:
        if source != BUNDLED and bundled is not None and _same(folder, bundled):
            continue  # listed once, as bundled
        try:
            files = sorted(p for p in folder.glob("*.toml") if p.is_file())
        except OSError:
            continue
        for path in files:
            if path.stem in seen:
                continue
            seen.add(path.stem)
            found.append(GuideEntry(path.stem, path, source))
    return found


def resolve_guide(spec: str, folders: list[tuple[str, Path]]) -> Path:
    """The guide file ``spec`` names: a path to a file, else a guide's name (with or without
    ``.toml``) in ``folders``. Raises :class:`GuideNotFound` saying where it looked."""
    if not spec.strip():
        raise GuideNotFound(_("no guide named: give a guide's name or file"))
    path = Path(spec)
    if path.is_file():
        return path
    if path.parent == Path("."):  # a bare name (seed-nb, template.toml): look it up
        name = path.name.removesuffix(".toml")
        for entry in list_guides(folders):
            if entry.name == name:
                return entry.path
    places = ", ".join(str(folder) for _source, folder in folders)
    names = ", ".join(entry.name for entry in list_guides(folders))
    raise GuideNotFound(
        _(
            "no guide '{spec}': not a file, and not a guide in {places} (guides: {names}; "
            "see 'facilitator guides')",
            spec=spec,
            places=places,
            names=names or _("none"),
        )
    )
