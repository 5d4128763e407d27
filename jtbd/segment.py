"""Split records into units (sentences, then clauses) with exact character spans.

Every unit keeps ``record_id``, ``unit_id``, ``start`` and ``end`` (character offsets
into the record's text) and ``text``, which always equals ``record_text[start:end]``.

Sentences come from spaCy (see :mod:`jtbd.nlp`): an installed trained English
pipeline (``en_core_web_sm``/``md``/``lg``) when there is one, otherwise the small
parser the project ships (trained on UD English EWT), otherwise a blank English
pipeline with the rule-based sentencizer. Feedback is badly punctuated, so the
sentences are also cut at line breaks, at runs of two or more spaces (how survey
exports join lines) and at bullet marks. Clauses are then cut at the seams where a
sentence turns from one thing to another: ", so I ...", "which meant ...",
"because ...", "; ...", "and now ...", "but ...", when both sides carry a few words
of their own. Which pipeline was used is reported for the manifest.

Example:
    >>> from jtbd.segment import segment_text
    >>> [u.text for u in segment_text("The app crashed, so I missed my rent payment. Staff were lovely")]  # doctest: +SKIP
    ['The app crashed,', 'so I missed my rent payment.', 'Staff were lovely']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

__all__ = ["Unit", "segment_text", "segment_records", "pipeline_info", "TRAINED_PIPELINES"]

from .nlp import TRAINED_PIPELINES  # noqa: E402  (re-exported)

# hard breaks inside a spaCy sentence: line breaks, 2+ spaces, bullets
_HARD_BREAK = re.compile(r"\n+\s*|(?<=\S) {2,}(?=\S)|\s+(?=(?:[-•*]|\d+\s*[.)-])\s+\w)")
# clause seams: the connective starts the new clause
_SEAM = re.compile(
    r"(?:,|;|\s-|\s–)?\s+(?=(?:so|which meant|which means|meaning|resulting in|as a result|because|cos|since|"
    r"and now|and so|but|however|although|though|whereas|which made|which left|so that|that meant|leaving me|forcing me)\b)",
    re.I,
)
_MIN_WORDS = 3
_MAX_CHARS = 1000  # longer stretches without punctuation are cut at the nearest space


@dataclass(frozen=True)
class Unit:
    """One sentence or clause of a record."""

    start: int
    end: int
    text: str
    sentence: int  # index of the sentence in the record
    kind: str  # "sentence" or "clause"


def _nlp(prefer: str = "auto"):
    from .nlp import get_nlp

    return get_nlp(prefer)


def pipeline_info(prefer: str = "auto") -> dict:
    """Which spaCy pipeline segments text (for the run manifest)."""
    from .nlp import pipeline_info as info

    return info(prefer)


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9']+", text))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or (text[start] in "-•*" and end - start > 1 and not text[start + 1].isdigit())):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _hard_pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    pos = start
    for m in _HARD_BREAK.finditer(text, start, end):
        if m.start() > pos:
            yield pos, m.start()
        pos = m.end()
    if pos < end:
        yield pos, end


def _cut_long(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while end - start > _MAX_CHARS:
        cut = text.rfind(" ", start, start + _MAX_CHARS)
        if cut <= start:
            cut = start + _MAX_CHARS
        yield start, cut
        start = cut
    yield start, end


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [start]
    for m in _SEAM.finditer(text, start, end):
        # keep the comma/semicolon with the left clause; the connective opens the right one
        left_end = m.start() + (1 if text[m.start()] in ",;" else 0)
        right_start = m.end()
        if _words(text[cuts[-1]:left_end]) >= _MIN_WORDS and _words(text[right_start:end]) >= _MIN_WORDS:
            cuts.append(right_start)
    spans = []
    for a, b in zip(cuts, cuts[1:] + [end]):
        spans.append(_trim(text, a, b))
    return [s for s in spans if s[1] > s[0]]


PIECE_CHARS = 100_000  # a longer text is parsed in pieces (spaCy refuses texts over nlp.max_length, and memory grows with length)


def _pieces(text: str, size: int = PIECE_CHARS) -> list[tuple[int, int]]:
    """Spans of at most ``size`` characters covering ``text``, cut at a line break, else a sentence end, else a space."""
    spans, start = [], 0
    while len(text) - start > size:
        window = text[start:start + size]
        cut = max(window.rfind("\n"), window.rfind(". "), window.rfind("! "), window.rfind("? "))
        if cut < size // 2:
            cut = window.rfind(" ")
        cut = start + (cut + 1 if cut >= size // 2 else size)
        spans.append((start, cut))
        start = cut
    spans.append((start, len(text)))
    return spans


def _segment_in_pieces(text: str, *, clauses: bool, nlp, disable) -> list[Unit]:
    """Units of a text too long to parse at once: each piece parsed on its own, spans in the whole text."""
    units: list[Unit] = []
    for a, b in _pieces(text):
        piece = text[a:b]
        if not piece.strip():
            continue
        doc = next(iter(nlp.pipe([piece], disable=disable)))
        base = len({u.sentence for u in units})
        for u in segment_text(piece, clauses=clauses, doc=doc):
            units.append(Unit(u.start + a, u.end + a, u.text, u.sentence + base, u.kind))
    return units


def segment_text(text: str, *, clauses: bool = True, prefer: str = "auto", doc=None) -> list[Unit]:
    """Units of one text, in order, with exact spans.

    Args:
        text: The record's text.
        clauses: Also cut sentences into clauses at turning points.
        prefer: ``"auto"`` (installed trained pipeline, else the shipped one), ``"shipped"``, ``"blank"``, or a pipeline name.
        doc: A spaCy Doc of ``text`` already parsed (used by :func:`segment_records`).
    """
    if not isinstance(text, str) or not text.strip():
        return []
    if doc is None:
        from .nlp import sentence_only

        nlp, _ = _nlp(prefer)
        if len(text) > PIECE_CHARS:
            return _segment_in_pieces(text, clauses=clauses, nlp=nlp, disable=sentence_only(nlp))
        doc = next(iter(nlp.pipe([text], disable=sentence_only(nlp))))
    units: list[Unit] = []
    for sent in doc.sents:
        for a, b in _hard_pieces(text, sent.start_char, sent.end_char):
            for a2, b2 in _cut_long(text, a, b):
                a2, b2 = _trim(text, a2, b2)
                if b2 <= a2:
                    continue
                index = len({u.sentence for u in units})
                parts = _clauses(text, a2, b2) if clauses else [(a2, b2)]
                kind = "clause" if len(parts) > 1 else "sentence"
                for s, e in parts:
                    units.append(Unit(s, e, text[s:e], index, kind))
    return units


def segment_records(records, *, text_col: str = "text", id_col: str = "record_id", clauses: bool = True,
                    prefer: str = "auto", batch_size: int = 256) -> Iterable:
    """Yield one DataFrame of units per batch of records (streams; never the whole file at once).

    Columns: ``record_id, unit_id, sentence, kind, start, end, text``.
    """
    import pandas as pd

    from .nlp import sentence_only

    nlp, _ = _nlp(prefer)
    skip = sentence_only(nlp)  # sentences only: no tagger/parser when they cannot change them
    ids = records[id_col].tolist()
    texts = records[text_col].fillna("").astype(str).tolist()
    for i in range(0, len(texts), batch_size):
        rows = []
        chunk = texts[i:i + batch_size]
        parsed = ["" if len(t) > PIECE_CHARS else t for t in chunk]  # long texts are parsed in pieces below
        for rid, text, doc in zip(ids[i:i + batch_size], chunk, nlp.pipe(parsed, batch_size=batch_size, disable=skip)):
            units = (_segment_in_pieces(text, clauses=clauses, nlp=nlp, disable=skip) if len(text) > PIECE_CHARS
                     else segment_text(text, clauses=clauses, doc=doc))
            for n, u in enumerate(units):
                rows.append({"record_id": rid, "unit_id": f"{rid}#{n}", "sentence": u.sentence, "kind": u.kind,
                             "start": u.start, "end": u.end, "text": u.text})
        yield pd.DataFrame(rows, columns=["record_id", "unit_id", "sentence", "kind", "start", "end", "text"])
