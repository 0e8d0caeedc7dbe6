"""The one translation function every user-facing string goes through.

Messages are written in English in the code. A catalogue per language
(``facilitator/i18n/locale/<lang>.toml``) maps the English text to its translation;
a message missing from a catalogue falls back to English, so a partial
translation never breaks the interface.

The language comes from ``FACILITATOR_LANG``, else from ``LC_ALL``,
``LC_MESSAGES`` or ``LANG`` (``nb``, ``no`` and ``nn`` select Norwegian bokmål),
else English. The guide's own language is never translated: questions are
shown as the researcher wrote them.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

SUPPORTED = ("en", "nb")
_LOCALE_DIR = Path(__file__).parent / "locale"
_language: str | None = None


def detect_language(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    explicit = env.get("FACILITATOR_LANG", "").strip().lower()
    if explicit:
        return explicit if explicit in SUPPORTED else "en"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip().lower()
        if not value:
            continue
        code = value.split(".")[0].split("_")[0]
        if code in ("nb", "no", "nn"):
            return "nb"
        return "en"
    return "en"


_detected: str | None = None  # the environment's language, read once (exports call _() a lot)


def set_language(language: str | None) -> None:
    """Choose the interface language (None: detect it from the environment, again)."""
    global _language, _detected
    _language = language if language in SUPPORTED else None
    _detected = None


def language() -> str:
    global _detected
    if _language:
        return _language
    if _detected is None:
        _detected = detect_language()
    return _detected


@cache
def _catalogue(lang: str) -> dict[str, str]:
    path = _LOCALE_DIR / f"{lang}.toml"
    if lang == "en" or not path.exists():
        return {}
    import tomllib  # only when a catalogue is read: English starts without it

    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return {str(k): str(v) for k, v in data.get("messages", {}).items()}


def _(message: str, /, **values: object) -> str:
    """Translate ``message`` and fill its ``{placeholders}`` from ``values``."""
    text = _catalogue(language()).get(message, message)
    return text.format(**values) if values else text


def N_(message: str, /) -> str:
    """Mark ``message`` for translation where it is *declared* (a key's label in a class
    body, say) and return it untranslated: it is translated by ``_()`` where it is shown,
    so the language chosen at run time counts, not the one at import."""
    return message
