"""Linguistic cues of one unit (sentence or clause): whose world it is about.

The outcome/enabler distinction is mostly grammatical: outcomes put the customer in
the subject seat doing, needing, waiting, paying or managing something ("I had to
re-book my own connection"), enablers put the company's people and things in the
subject seat and judge them ("The nurses were lovely", "Your app keeps crashing"),
or ask the company for something ("Add dark mode"). These cues read that off a spaCy
parse (the shipped tagger/parser, or an installed ``en_core_web_*``) and sit beside
the sentence embedding in the outcome model. With a pipeline that has no tagger or
parser (blank English) the parse cues are zero and only the surface cues remain, so
a model must be used with the kind of pipeline it was trained with; the model's
config records which.

Example:
    >>> from jtbd.cues import CUE_NAMES
    >>> "subject_first_person" in CUE_NAMES
    True
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Sequence

__all__ = ["CUE_NAMES", "unit_cues", "doc_cues"]

_FIRST = {"i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "ourselves", "im", "i'm", "ive", "i've", "id", "i'd"}
_SECOND = {"you", "your", "yours", "u", "ur", "yourself", "yourselves"}
_THIRD_PERSONAL = {"he", "she", "him", "her", "his", "they", "them", "their", "it", "its", "this", "that"}
_NEED = re.compile(r"\b(had to|have to|has to|having to|needed to|need to|needs to|want(ed)? to|trying to|tried to|try to|"
                   r"wanted|was able to|were able to|able to|unable to|managed to|got to|ended up|forced to|left me|made me)\b", re.I)
_ABILITY = re.compile(r"\b(i|we)\s+(can|could|can't|cannot|couldn't|could not|can not|still can't|now can|was able|were able)\b", re.I)
_DURATION = re.compile(r"\b(\d+|an?|one|two|three|four|five|six|several|few|many)\s+(more\s+)?(seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\b", re.I)
_MONEY = re.compile(r"[$£€]\s?\d|\b\d+\s?(dollars|pounds|euros|quid|bucks)\b|\{\$[\d,.]+\}", re.I)
_RESULT = re.compile(r"\b(so|which meant|which means|meaning|as a result|resulting in|which made|made me|helped me|allowed me|"
                     r"so that|so i|so we|left me|leaving me|because of (this|that|which)|now i|now we)\b", re.I)
_REQUEST = re.compile(r"^\s*(please\s+)?(add|make|bring|give|provide|have|get|fix|improve|allow|let|put|stop|keep|change|"
                      r"offer|include|consider|update|remove|introduce|reduce|increase|hire|train|open|extend)\b|"
                      r"\b(should|could|would)\s+(be|have|add|make|offer|provide|include|consider|like|improve|allow)\b|"
                      r"\b(more|less|fewer|better|cheaper|faster|quicker)\s+\w+", re.I)
_FEEL = re.compile(r"\b(i|we)\s+(feel|felt|was|were|am|are|'m|'re)\s+(so\s+|very\s+|really\s+|much\s+)?(more\s+|less\s+)?"
                   r"(confident|relieved|reassured|safe|scared|anxious|worried|stressed|calm|better|worse|able|stuck|stranded|"
                   r"late|lost|confused|frustrated|exhausted|happy|sad|glad)\b", re.I)
_HANDLE_URL = re.compile(r"(?<![\w.])@\w+|https?://\S+|www\.\S+")

CUE_NAMES = (
    # surface cues (any pipeline)
    "log_words", "first_person", "second_person", "third_person", "need_or_try", "ability", "duration", "money",
    "result_connective", "request", "feeling_in_life", "question", "exclaim", "handle_or_url_only", "digits",
    # parse cues (tagger/parser needed)
    "has_parse", "subject_first_person", "subject_second_person", "subject_other", "no_subject",
    "root_verb", "root_adjective_or_copula", "root_noun", "imperative", "past_tense_verbs", "modal",
    "adj_ratio", "noun_ratio", "verb_ratio", "pron_ratio", "propn_ratio", "negation", "purpose_clause",
    "first_person_object", "finite_verbs",
)


def _surface(text: str) -> list[float]:
    words = re.findall(r"[A-Za-z][A-Za-z']*", text)
    low = [w.lower() for w in words]
    n = max(1, len(low))
    rest = _HANDLE_URL.sub("", text).strip(" .!?,:;-")
    return [
        math.log1p(len(low)),
        sum(w in _FIRST for w in low) / n,
        sum(w in _SECOND for w in low) / n,
        sum(w in _THIRD_PERSONAL for w in low) / n,
        float(bool(_NEED.search(text))),
        float(bool(_ABILITY.search(text))),
        float(bool(_DURATION.search(text))),
        float(bool(_MONEY.search(text))),
        float(bool(_RESULT.search(text))),
        float(bool(_REQUEST.search(text))),
        float(bool(_FEEL.search(text))),
        float("?" in text),
        float("!" in text),
        float(len(re.findall(r"[A-Za-z]{2,}", rest)) == 0),
        float(bool(re.search(r"\d", text))),
    ]


def _parse(doc) -> list[float]:
    n_parse = 20
    if doc is None or not doc.has_annotation("DEP") or not doc.has_annotation("TAG"):
        return [0.0] * n_parse
    toks = [t for t in doc if not t.is_space and not t.is_punct]
    n = max(1, len(toks))
    subjects = [t for t in doc if t.dep_ in ("nsubj", "nsubjpass", "nsubj:pass", "csubj")]
    roots = [t for t in doc if t.dep_ == "ROOT"]
    root = roots[0] if roots else None
    s_first = any(t.lower_ in _FIRST for t in subjects)
    s_second = any(t.lower_ in _SECOND for t in subjects)
    s_other = any(t.lower_ not in _FIRST and t.lower_ not in _SECOND for t in subjects)
    root_verb = root is not None and root.pos_ == "VERB"
    copula = root is not None and (root.pos_ == "ADJ" or any(c.dep_ in ("cop", "acomp") for c in root.children))
    imperative = bool(root is not None and root.pos_ == "VERB" and root.tag_ == "VB"
                      and not any(c.dep_.startswith("nsubj") for c in root.children)
                      and not any(c.dep_ in ("aux", "mark") for c in root.children))
    past = sum(t.tag_ in ("VBD", "VBN") for t in toks) / n
    modal = float(any(t.tag_ == "MD" for t in toks))
    pos = [t.pos_ for t in toks]
    negation = float(any(t.dep_ == "neg" or t.lower_ in ("not", "n't", "never", "no") for t in toks))
    purpose = float(any(t.tag_ == "TO" and t.head.pos_ == "VERB" and t.head.dep_ in ("xcomp", "advcl") for t in toks))
    first_obj = float(any(t.lower_ in _FIRST and t.dep_ in ("obj", "dobj", "iobj", "pobj", "obl", "nmod:poss", "poss") for t in toks))
    finite = sum(t.tag_ in ("VBD", "VBZ", "VBP", "MD") for t in toks)
    return [
        1.0,
        float(s_first),
        float(s_second),
        float(s_other),
        float(not subjects),
        float(root_verb),
        float(copula),
        float(root is not None and root.pos_ in ("NOUN", "PROPN")),
        float(imperative),
        past,
        modal,
        pos.count("ADJ") / n,
        pos.count("NOUN") / n,
        (pos.count("VERB")) / n,
        pos.count("PRON") / n,
        pos.count("PROPN") / n,
        negation,
        purpose,
        first_obj,
        math.log1p(finite),
    ]


def doc_cues(text: str, doc=None) -> list[float]:
    """Cues of one unit; ``doc`` is its spaCy Doc (parse cues are zero without one)."""
    t = text if isinstance(text, str) else ""
    return _surface(t) + _parse(doc)


def unit_cues(texts: Sequence[str], *, nlp=None, docs: Iterable | None = None, batch_size: int = 256):
    """A ``(len(texts), len(CUE_NAMES))`` float32 array.

    Args:
        texts: Unit texts.
        nlp: A spaCy pipeline to parse them with (ignored when ``docs`` is given).
        docs: Docs already parsed, one per text.
    """
    import numpy as np

    texts = ["" if not isinstance(t, str) else t for t in texts]
    if docs is None:
        docs = nlp.pipe(texts, batch_size=batch_size) if nlp is not None else [None] * len(texts)
    rows = [doc_cues(t, d) for t, d in zip(texts, docs)]
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), len(CUE_NAMES))
