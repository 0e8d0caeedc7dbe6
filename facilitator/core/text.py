"""Text from people and files, made safe to show and to write.

A participant's label, a guide's question or a pasted note can hold control characters:
an ESC sequence that retitles the terminal, clears it or writes the clipboard (OSC 52), a
carriage return that hides what came before, a C1 control that some terminals obey. Every
C0 and C1 control character but newline and tab is made visible: C0 as its Unicode control
picture (ESC as ``␛``, CR as ``␍``), DEL as ``␡``, C1 as ``\\x9b`` written out. Text is
never dropped or reordered: ``alpha <ESC>[2J omega`` becomes ``alpha ␛[2J omega``.

Applied where text comes in (typed notes, labels, guide files) and again where it goes out
(the summary object every export and the terminal output are made from, and the fold that
the live views read), so that a session written before this rule is shown safely too.
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"\\x{code:02x}"


def visible(text: str) -> str:
    """``text`` with every control character but newline and tab made visible."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(_picture, text)


_ATOMS = frozenset({int, float, bool, type(None)})  # hold no text: nothing to look into


def _strings(value: Any, out: list[str]) -> None:
    """Every string in ``value`` (nested dicts, lists and tuples, keys too) onto ``out``:
    what ``_walk`` would look at, gathered without building anything new."""
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is str:
                out.append(key)
            else:
                _strings(key, out)
            kind = type(item)
            if kind is str:
                out.append(item)
            elif kind not in _ATOMS:
                _strings(item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            kind = type(item)
            if kind is str:
                out.append(item)
            elif kind not in _ATOMS:
                _strings(item, out)
    elif isinstance(value, str):
        out.append(value)


def visible_tree(value: Any) -> Any:
    """``visible`` applied to every string in nested dicts, lists and tuples (keys too).

    A summary of a long session holds tens of thousands of strings and numbers, nearly
    never a control character: its strings are gathered and searched in one piece, and the
    tree is made again only when there is one (then it is a copy; else ``value`` itself)."""
    strings: list[str] = []
    try:
        _strings(value, strings)
    except RecursionError:
        return _walk(value)
    if _CONTROL.search("".join(strings)) is None:
        return value
    return _walk(value)


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {_walk(k): _walk(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_walk(v) for v in value)
    return value
