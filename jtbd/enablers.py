"""Enabler categories (a documented, configurable taxonomy) and polarity.

Categories come from a TOML taxonomy (the shipped one is ``jtbd/data/taxonomy.toml``;
copy it, edit it, pass ``--taxonomy FILE``). Each category is described in words and
by a handful of short examples; a unit gets the category whose prototype (the mean of
the normalised vectors of its description and examples) is closest to the unit's
sentence vector, with that cosine as ``enabler_category_score``. Below
``min_similarity`` the category is ``"uncategorised"``: a unit about something the
taxonomy does not name is not forced into the nearest box.

Polarity (``positive``/``negative``/``neutral``) is VADER's compound score (a lexicon-
and rule-based sentiment model with negation and intensifier handling) with the usual
±0.05 cut-offs.

Example:
    >>> from jtbd.enablers import load_taxonomy
    >>> tax = load_taxonomy()
    >>> [c.id for c in tax.categories][:3]
    ['staff', 'product', 'price']
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .errors import DataError, UsageError

__all__ = ["Category", "Taxonomy", "load_taxonomy", "default_taxonomy_path", "EnablerTagger", "polarity"]

JOB_STEPS = ("define", "locate", "prepare", "confirm", "execute", "monitor", "modify", "conclude")
UNCATEGORISED = "uncategorised"


def default_taxonomy_path() -> Path:
    return Path(__file__).resolve().parent / "data" / "taxonomy.toml"


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    description: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    categories: tuple[Category, ...]
    job_map: dict = field(default_factory=dict)  # step -> tuple of verb lemmas
    path: str = ""

    def step_for(self, lemma: str | None) -> str | None:
        if not lemma:
            return None
        lemma = lemma.lower()
        for step in JOB_STEPS:
            if lemma in self.job_map.get(step, ()):
                return step
        return None


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and check a taxonomy file (default: the shipped one)."""
    path = Path(path) if path else default_taxonomy_path()
    if not path.exists():
        raise UsageError("E214", f"taxonomy file '{path}' does not exist", fix="give the path of a TOML file like jtbd/data/taxonomy.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError("E130", f"taxonomy file '{path}' is not valid TOML ({exc})", fix="check the file against jtbd/data/taxonomy.toml") from None
    cats, seen = [], set()
    for i, c in enumerate(data.get("enabler", [])):
        missing = [k for k in ("id", "label", "description", "examples") if not c.get(k)]
        if missing:
            raise DataError("E131", f"enabler category #{i + 1} in '{path}' lacks {', '.join(missing)}",
                            fix="give every [[enabler]] an id, label, description and examples")
        if c["id"] in seen:
            raise DataError("E132", f"enabler category id '{c['id']}' appears twice in '{path}'", fix="make the ids unique")
        if len(c["examples"]) < 3:
            raise DataError("E133", f"enabler category '{c['id']}' has {len(c['examples'])} examples", fix="give at least three short examples")
        seen.add(c["id"])
        cats.append(Category(str(c["id"]), str(c["label"]), str(c["description"]), tuple(map(str, c["examples"]))))
    if len(cats) < 2:
        raise DataError("E134", f"taxonomy '{path}' defines {len(cats)} enabler categories", fix="define at least two [[enabler]] tables")
    job_map = data.get("job_map", {})
    unknown = sorted(set(job_map) - set(JOB_STEPS))
    if unknown:
        raise DataError("E135", f"unknown job-map steps in '{path}': {', '.join(unknown)}", fix=f"use {', '.join(JOB_STEPS)}")
    return Taxonomy(tuple(cats), {k: tuple(v.lower() for v in job_map.get(k, ())) for k in JOB_STEPS}, str(path))


@functools.lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def polarity_scores(texts: Sequence[str]) -> list[float]:
    """VADER compound score in [-1, 1] for each text."""
    v = _vader()
    return [float(v.polarity_scores(t or "")["compound"]) for t in texts]


def polarity_label(score: float, *, threshold: float = 0.05) -> str:
    """``positive``, ``negative`` or ``neutral`` for a VADER compound score."""
    return "positive" if score >= threshold else "negative" if score <= -threshold else "neutral"


def polarity(texts: Sequence[str], *, threshold: float = 0.05) -> list[str]:
    """``positive``, ``negative`` or ``neutral`` for each text."""
    return [polarity_label(s, threshold=threshold) for s in polarity_scores(texts)]


class EnablerTagger:
    """Nearest-prototype enabler categories over the toolkit's sentence vectors.

    Args:
        taxonomy: A :class:`Taxonomy`, a path to a TOML file, or ``None`` for the shipped one.
        min_similarity: Below this cosine to every prototype, the category is ``uncategorised``.
    """

    def __init__(self, taxonomy: Taxonomy | str | Path | None = None, *, min_similarity: float = 0.2) -> None:
        self.taxonomy = taxonomy if isinstance(taxonomy, Taxonomy) else load_taxonomy(taxonomy)
        self.min_similarity = min_similarity
        self._protos = None

    def _prototypes(self):
        import numpy as np

        from .embed import get_embedder

        if self._protos is None:
            emb = get_embedder()
            rows = []
            for c in self.taxonomy.categories:
                v = emb.encode([c.description, *c.examples])
                m = v.mean(axis=0)
                rows.append(m / (np.linalg.norm(m) + 1e-9))
            self._protos = np.vstack(rows).astype(np.float32)
        return self._protos

    def categorise(self, texts: Sequence[str], *, vectors=None) -> tuple[list[str], list[float]]:
        """``(category ids, cosine scores)``; pass ``vectors`` to reuse unit vectors already computed."""
        import numpy as np

        from .embed import get_embedder

        if not len(texts):
            return [], []
        x = vectors if vectors is not None else get_embedder().encode(list(texts))
        sims = np.asarray(x, dtype=np.float32) @ self._prototypes().T
        best = sims.argmax(axis=1)
        score = sims[np.arange(len(best)), best]
        ids = [self.taxonomy.categories[b].id if s >= self.min_similarity else UNCATEGORISED for b, s in zip(best, score)]
        return ids, [round(float(s), 4) for s in score]

    def describe(self) -> dict:
        return {"taxonomy": self.taxonomy.path, "categories": [c.id for c in self.taxonomy.categories],
                "min_similarity": self.min_similarity, "polarity": "vaderSentiment compound, ±0.05"}
