"""Keys' labels in the language chosen when they are shown, not when a module was imported.

Bindings are declared in class bodies with ``N_()`` (English, marked for translation);
every screen of the app inherits :class:`Translated`, whose ``active_bindings`` (what the
footer, Textual's key panel and our help screen read) carry the labels translated with
``_()`` in the current language.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from textual.binding import ActiveBinding, Binding

from facilitator.i18n import _, language


@cache
def _translated(binding: Binding, lang: str) -> Binding:
    return replace(
        binding,
        description=_(binding.description) if binding.description else "",
        tooltip=_(binding.tooltip) if binding.tooltip else "",
    )


def translated(binding: Binding) -> Binding:
    """``binding`` with its description and tooltip in the current language."""
    return _translated(binding, language())


class Translated:
    """A mixin for screens (before ``Screen`` in the bases)."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        active: dict[str, ActiveBinding] = super().active_bindings  # type: ignore[misc]
        return {
            key: item._replace(
                binding=translated(item.binding),
                tooltip=_(item.tooltip) if item.tooltip else "",
            )
            for key, item in active.items()
        }
