"""Which language a record is written in, detected offline with py3langid.

The text models are English models, so records in another language are labelled
and flagged rather than silently scored as English. Detection is deliberately
conservative on short texts: "N/A", "ok" or an emoji carry no language signal and
are labelled ``und`` (undetermined), and a text that English fits reasonably well is
labelled ``en``.

Example:
    >>> from jtbd.language import detect_languages
    >>> detect_languages(["The staff were lovely", "Bardzo dobra obsługa, polecam", "N/A"])  # doctest: +SKIP
    [('en', 0.85), ('pl', 0.94), ('und', 0.0)]
"""

from __future__ import annotations

import functools
from typing import Iterable

__all__ = ["detect_languages", "LANGUAGES"]

#: Languages the detector chooses among (ISO 639-1): those common in feedback dumps.
LANGUAGES = (
    "en", "cy", "ga", "fr", "de", "es", "pt", "it", "nl", "pl", "ro", "cs", "sk", "hu", "sv", "da", "no", "fi",
    "el", "tr", "ru", "uk", "bg", "hr", "sl", "lt", "lv", "et", "ar", "he", "fa", "ur", "hi", "bn", "pa", "ta",
    "zh", "ja", "ko", "vi", "th", "id", "ms", "tl", "sw", "af",
)
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.5
EN_FLOOR = 0.15


@functools.lru_cache(maxsize=1)
def _identifier():
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        from .errors import ResourceError

        raise ResourceError("E304", "language detection needs the package py3langid", fix="pip install py3langid") from None
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(LANGUAGES))
    return ident


def detect_language(text: str) -> tuple[str, float]:
    """``(language, confidence)`` for one text; ``("und", 0.0)`` when it cannot tell."""
    if not isinstance(text, str):
        return "und", 0.0
    letters = sum(ch.isalpha() for ch in text)
    if letters < 4:
        return "und", 0.0
    ranked = _identifier().rank(text[:2000])
    top, prob = ranked[0]
    if top == "en":
        return "en", round(float(prob), 3)
    p_en = next((float(p) for lang, p in ranked if lang == "en"), 0.0)
    if p_en >= EN_FLOOR:
        return "en", round(p_en, 3)
    if letters < MIN_LETTERS or prob < MIN_CONFIDENCE:
        return "und", round(float(prob), 3)
    return top, round(float(prob), 3)


def detect_languages(texts: Iterable[str]) -> list[tuple[str, float]]:
    """:func:`detect_language` for each text."""
    return [detect_language(t) for t in texts]
