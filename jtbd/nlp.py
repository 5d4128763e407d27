"""The spaCy pipeline the toolkit parses with, chosen once per process.

Order of preference for ``prefer="auto"``:

1. an installed trained English pipeline (``en_core_web_sm``/``md``/``lg``);
2. the small tagger + parser this project trains from UD English EWT and ships in
   ``jtbd/data/spacy/en_jtbd_ewt`` (CC BY-SA 4.0, see the ``LICENSE`` beside it);
3. a blank English pipeline with the rule-based sentencizer (no parse).

``prefer`` can also be ``"shipped"``, ``"blank"`` or a pipeline name/path. Which one
was used goes into the run manifest (:func:`pipeline_info`).

Example:
    >>> from jtbd.nlp import get_nlp
    >>> nlp, name = get_nlp("blank")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["TRAINED_PIPELINES", "SHIPPED", "get_nlp", "pipeline_info", "shipped_pipeline_path", "sentence_only"]

TRAINED_PIPELINES = ("en_core_web_sm", "en_core_web_md", "en_core_web_lg")
SHIPPED = "jtbd:en_jtbd_ewt"
_EXCLUDE = ["ner", "lemmatizer", "textcat", "textcat_multilabel"]


def shipped_pipeline_path() -> Path:
    return Path(__file__).resolve().parent / "data" / "spacy" / "en_jtbd_ewt"


def _keep_hyphenated_words(nlp):
    """Do not split "re-book", "follow-up", "check-in" at the hyphen (spaCy's documented infix override)."""
    from spacy.lang.char_classes import ALPHA, ALPHA_LOWER, ALPHA_UPPER, CONCAT_QUOTES, LIST_ELLIPSES, LIST_ICONS
    from spacy.util import compile_infix_regex

    infixes = LIST_ELLIPSES + LIST_ICONS + [
        r"(?<=[0-9])[+\-\*^](?=[0-9-])",
        r"(?<=[{al}{q}])\.(?=[{au}{q}])".format(al=ALPHA_LOWER, au=ALPHA_UPPER, q=CONCAT_QUOTES),
        r"(?<=[{a}]),(?=[{a}])".format(a=ALPHA),
        r"(?<=[{a}0-9])[:<>=/](?=[{a}])".format(a=ALPHA),
    ]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp


@functools.lru_cache(maxsize=4)
def get_nlp(prefer: str = "auto"):
    """``(nlp, name)`` for ``prefer`` (see the module docstring)."""
    nlp, name = _get_nlp(prefer)
    return _keep_hyphenated_words(nlp), name


def _get_nlp(prefer: str):
    import spacy

    from .errors import ResourceError

    if prefer == "auto":
        for name in TRAINED_PIPELINES:
            if spacy.util.is_package(name):
                return spacy.load(name, exclude=_EXCLUDE), name
        if shipped_pipeline_path().is_dir():
            return _get_nlp("shipped")
        prefer = "blank"
    if prefer == "blank":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        return nlp, "blank:en+sentencizer"
    if prefer in ("shipped", SHIPPED):
        path = shipped_pipeline_path()
        if not path.is_dir():
            raise ResourceError("E310", f"the shipped spaCy pipeline is missing from {path}",
                                fix="reinstall jtbd (pip install --force-reinstall jtbd), or use --spacy blank")
        nlp = spacy.load(path, exclude=_EXCLUDE)
        # the small parser over-splits sentences at commas: punctuation decides them, the parser works within
        nlp.add_pipe("sentencizer", before="parser")
        return nlp, SHIPPED
    try:
        return spacy.load(prefer, exclude=_EXCLUDE), prefer
    except OSError:
        raise ResourceError("E309", f"spaCy pipeline '{prefer}' is not installed",
                            fix="install it, or use the default (auto), 'shipped' or 'blank'") from None


def sentence_only(nlp) -> list[str]:
    """Components to disable when only sentence boundaries are needed.

    When the rule-based sentencizer runs before the parser (the shipped pipeline, blank
    English) it fixes every token's ``is_sent_start`` and the parser cannot move a
    boundary, so sentences need the tokenizer and the sentencizer only: segmentation
    skips the tagger and parser (about 50 times faster, identical sentences). With an
    ``en_core_web_*`` pipeline the parser decides sentences, so nothing is disabled.
    """
    names = list(nlp.pipe_names)
    if "sentencizer" not in names:
        return []
    at = names.index("sentencizer")
    if any(n in ("parser", "senter") for n in names[:at]):
        return []
    return [n for n in names if n != "sentencizer"]


def pipeline_info(prefer: str = "auto") -> dict:
    """Which spaCy pipeline parses text (for the run manifest)."""
    import spacy

    nlp, name = get_nlp(prefer)
    meta = nlp.meta or {}
    return {"pipeline": name, "version": meta.get("version"), "spacy": spacy.__version__,
            "components": list(nlp.pipe_names), "licence": meta.get("license") or None}
