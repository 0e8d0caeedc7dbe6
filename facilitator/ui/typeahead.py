"""Keys typed right after the key that opens a line: into the line, never lost or taken as
keys.

Textual runs an ordinary key binding only once the key has passed through the screen, by
which time the letters typed right after it have passed through too: they were dropped,
or taken as the screen's own keys (an ``escape`` among them closed the recap instead of
leaving its line, a ``p`` then paused the session). So a key that opens a line is a
*priority* binding (run as soon as the app takes the key, so the next letters find the line
ready), and while a line has the keys those bindings stand aside: the key is a letter in
the line. A printable key that still reaches the screen while a line has the keys goes
into that line.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import Input


def line_key(
    key: str,
    action: str,
    description: str = "",
    *,
    id: str | None = None,  # noqa: A002 (Binding's own name for it)
    tooltip: str = "",
    key_display: str | None = None,
    show: bool = True,
) -> Binding:
    """A binding that opens a line (see the module): a priority binding."""
    return Binding(
        key,
        action,
        description,
        show=show,
        key_display=key_display,
        priority=True,
        tooltip=tooltip,
        id=id,
    )


class TypeAhead:
    """Mix into a Screen (after ``Translated``)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if isinstance(getattr(self, "focused", None), Input) and action in _line_actions(
            type(self)
        ):
            return False  # a line has the keys: this key is a letter in it
        return super().check_action(action, parameters)  # type: ignore[misc]

    def on_key(self, event: events.Key) -> None:
        focused = getattr(self, "focused", None)
        if isinstance(focused, Input) and event.is_printable and event.character:
            # it reached the screen, so the line did not see it: it was typed ahead
            event.stop()
            event.prevent_default()
            focused.insert_text_at_cursor(event.character)


def _line_actions(cls: type) -> frozenset[str]:
    found = _CACHE.get(cls)
    if found is None:
        found = frozenset(
            binding.action
            for klass in cls.__mro__
            for binding in getattr(klass, "BINDINGS", ())
            if isinstance(binding, Binding) and binding.priority
        )
        _CACHE[cls] = found
    return found


_CACHE: dict[type, frozenset[str]] = {}
