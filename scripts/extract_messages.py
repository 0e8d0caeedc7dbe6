"""Extract every message passed to ``_()`` in the facilitator package.

Usage::

    python scripts/extract_messages.py            # print the sorted msgids
    python scripts/extract_messages.py -o FILE    # write them to FILE
    python scripts/extract_messages.py --check    # exit 1 if nb.toml lacks any
    python scripts/extract_messages.py --sort     # nb.toml in msgid order, stale ones dropped

A message is the first argument of a call to the plain name ``_`` (or ``N_``, which
marks a message declared at import and translated where it is shown) when that
argument is a string constant (implicitly concatenated literals arrive as one
constant). ``--check`` also reports translations whose ``{placeholder}`` fields
differ from the English message's, and stale catalogue entries (keys that are
no longer messages) as a warning.
"""

from __future__ import annotations

import argparse
import ast
import string
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "facilitator"
CATALOGUE = PACKAGE / "i18n" / "locale" / "nb.toml"


def messages_in_source(source: str, filename: str = "<string>") -> list[tuple[str, int]]:
    """The msgids of ``_("...")`` calls in ``source``, with their line numbers."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("_", "N_")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.args[0].value, node.lineno))
    return found


def extract(package: Path = PACKAGE) -> dict[str, list[str]]:
    """Every msgid in ``package``, mapped to the places (``path:line``) it is used."""
    messages: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent)
        for msgid, line in messages_in_source(path.read_text(encoding="utf-8"), str(path)):
            messages.setdefault(msgid, []).append(f"{rel}:{line}")
    return messages


def load_catalogue(path: Path = CATALOGUE) -> dict[str, str]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return {str(k): str(v) for k, v in data.get("messages", {}).items()}


def placeholders(text: str) -> set[str]:
    """The names of the ``{fields}`` in a format string."""
    return {
        field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field is not None
    }


def problems(
    messages: dict[str, list[str]], catalogue: dict[str, str]
) -> tuple[list[str], list[str]]:
    """(missing msgids, msgids whose translation's placeholders differ)."""
    missing = sorted(m for m in messages if m not in catalogue)
    mismatched = sorted(
        m for m in messages if m in catalogue and placeholders(m) != placeholders(catalogue[m])
    )
    return missing, mismatched


def stale(messages: dict[str, list[str]], catalogue: dict[str, str]) -> list[str]:
    return sorted(k for k in catalogue if k not in messages)


def _quote(text: str) -> str:
    """A TOML basic string (what json.dumps writes is one, for these texts)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def write_sorted(path: Path, catalogue: dict[str, str], messages: dict[str, list[str]]) -> None:
    """The catalogue again, its header kept, entries in msgid order, stale ones dropped."""
    header = path.read_text(encoding="utf-8").split("[messages]", 1)[0]
    keep = {k: v for k, v in catalogue.items() if k in messages}
    body = "".join(f"{_quote(k)} = {_quote(v)}\n" for k, v in sorted(keep.items()))
    path.write_text(header + "[messages]\n" + body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check nb.toml covers every message")
    parser.add_argument("-o", "--output", type=Path, help="write the sorted msgids here")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE)
    parser.add_argument(
        "--sort",
        action="store_true",
        help="rewrite the catalogue in msgid order (add new entries anywhere, then sort)",
    )
    args = parser.parse_args(argv)

    messages = extract()
    if args.sort:
        write_sorted(args.catalogue, load_catalogue(args.catalogue), messages)
        return 0
    if args.check:
        catalogue = load_catalogue(args.catalogue)
        missing, mismatched = problems(messages, catalogue)
        for msgid in missing:
            print(f"missing: {msgid!r} ({', '.join(messages[msgid])})")
        for msgid in mismatched:
            print(
                f"placeholders differ: {msgid!r} {sorted(placeholders(msgid))}"
                f" != {sorted(placeholders(catalogue[msgid]))}"
            )
        for key in stale(messages, catalogue):
            print(f"stale (not a message any more): {key!r}", file=sys.stderr)
        print(f"{len(messages)} messages, {len(catalogue)} translations", file=sys.stderr)
        return 1 if missing or mismatched else 0

    text = "".join(f"{msgid!r}\n" for msgid in sorted(messages))
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
