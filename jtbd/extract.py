"""Records -> labelled units -> outcome statements, in chunks.

:func:`extract` is the library face of ``jtbd extract``: it segments records into units
(:mod:`jtbd.segment`), labels every unit (:mod:`jtbd.outcomes`), gives enabler units a
category and a polarity (:mod:`jtbd.enablers`) and outcome units their statements
(:mod:`jtbd.statements`). Records are processed ``batch_size`` at a time, so memory
stays bounded; :meth:`OutcomeExtractor.iter_chunks` yields the tables chunk by chunk.

Example:
    >>> import pandas as pd
    >>> from jtbd.extract import extract
    >>> records = pd.DataFrame({"record_id": ["r1"], "text": ["The app crashed, so I missed my rent payment."]})
    >>> result = extract(records)  # doctest: +SKIP
    >>> result.units[["text", "label"]]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

__all__ = ["OutcomeExtractor", "ExtractResult", "extract", "UNIT_COLUMNS", "OUTCOME_COLUMNS"]

UNIT_COLUMNS = ["record_id", "unit_id", "sentence", "kind", "start", "end", "text", "label", "confidence",
                "p_outcome", "p_enabler", "p_both", "p_other", "enabler_category", "enabler_category_score", "polarity"]
OUTCOME_COLUMNS = ["record_id", "unit_id", "start", "end", "text", "label", "confidence", "statement", "metric", "direction",
                   "job_statement", "job_verb", "job_step", "met", "statement_status"]
UNSURE = "unsure"  # label of a unit below --min-confidence
_CARRY = ("solicitation", "source_file")  # record columns copied onto units when present


@dataclass
class ExtractResult:
    units: "object"  # pandas.DataFrame
    outcomes: "object"
    info: dict = field(default_factory=dict)


class OutcomeExtractor:
    """Segment, classify, categorise and state, chunk by chunk.

    Args:
        model: An :class:`~jtbd.outcomes.OutcomeModel`, a model folder, or ``None`` for the shipped one.
        taxonomy: Enabler taxonomy (TOML path or :class:`~jtbd.enablers.Taxonomy`); ``None``: the shipped one.
        spacy: Pipeline for segmentation: ``"auto"``, ``"shipped"``, ``"blank"`` or a pipeline name.
        clauses: Cut sentences into clauses at turning points.
        batch_size: Records per chunk.
        min_similarity: Below this cosine an enabler stays ``uncategorised``.
        min_confidence: Units whose calibrated confidence is below this are labelled
            ``unsure`` (their probabilities stay): no statement, no theme, not counted in
            the measures. ``0`` keeps every unit's best label.
    """

    def __init__(self, *, model=None, taxonomy=None, spacy: str = "auto", clauses: bool = True, batch_size: int = 1000,
                 min_similarity: float = 0.2, use_cache: bool = True, min_confidence: float = 0.0) -> None:
        from .enablers import EnablerTagger
        from .errors import UsageError
        from .outcomes import OutcomeModel

        if not 0.0 <= float(min_confidence) < 1.0:
            raise UsageError("E240", f"min_confidence must be at least 0 and below 1; got {min_confidence!r}",
                             fix="pass a probability such as --min-confidence 0.6 (0 keeps every unit)")
        self.min_confidence = float(min_confidence)
        self.model = model if isinstance(model, OutcomeModel) else OutcomeModel.load(model)
        self.tagger = EnablerTagger(taxonomy, min_similarity=min_similarity)
        self.spacy = spacy
        self.clauses = clauses
        self.batch_size = batch_size
        self.use_cache = use_cache
        self.chunks_reused = 0

    def _label_chunk(self, units, records_chunk):
        import numpy as np
        import pandas as pd

        from .enablers import polarity_label, polarity_scores
        from .nlp import get_nlp
        from .statements import statement_for_doc

        if units.empty:
            return pd.DataFrame(columns=UNIT_COLUMNS), pd.DataFrame(columns=OUTCOME_COLUMNS)
        texts = units["text"].tolist()
        nlp, _ = get_nlp(self.model.spacy_pipeline)
        docs = list(nlp.pipe(texts, batch_size=256))
        proba = self.model.predict_proba(texts, docs=docs)
        classes = list(self.model.classes_)
        best = proba.argmax(axis=1)
        units = units.copy()
        units["label"] = np.asarray(classes, dtype=object)[best]
        units["confidence"] = proba[np.arange(len(best)), best].round(4)
        if self.min_confidence > 0:
            units.loc[units["confidence"].to_numpy() < self.min_confidence, "label"] = UNSURE
        for c in ("outcome", "enabler", "both", "other"):
            units[f"p_{c}"] = proba[:, classes.index(c)].round(4) if c in classes else 0.0
        compounds = polarity_scores(texts)
        is_enabler = units["label"].isin(["enabler", "both"]).to_numpy()
        cat = np.full(len(units), None, dtype=object)
        score = np.full(len(units), np.nan)
        if is_enabler.any():
            ids, sims = self.tagger.categorise([t for t, e in zip(texts, is_enabler) if e])
            cat[is_enabler], score[is_enabler] = ids, sims
        units["enabler_category"] = cat
        units["enabler_category_score"] = score
        units["polarity"] = [polarity_label(s) if e else None
                             for s, e in zip(compounds, is_enabler)]
        carry = [c for c in _CARRY if c in records_chunk.columns]
        if carry:
            units = units.merge(records_chunk[["record_id", *carry]].drop_duplicates("record_id"), on="record_id", how="left")
        is_outcome = units["label"].isin(["outcome", "both"]).to_numpy()
        rows = []
        for i in np.flatnonzero(is_outcome):
            st = statement_for_doc(docs[i], compound=compounds[i], taxonomy=self.tagger.taxonomy)
            u = units.iloc[i]
            rows.append({"record_id": u["record_id"], "unit_id": u["unit_id"], "start": u["start"], "end": u["end"], "text": u["text"],
                         "label": u["label"], "confidence": u["confidence"], **st})
        outcomes = pd.DataFrame(rows, columns=OUTCOME_COLUMNS)
        if carry:
            outcomes = outcomes.merge(records_chunk[["record_id", *carry]].drop_duplicates("record_id"), on="record_id", how="left")
        return units[UNIT_COLUMNS + carry], outcomes

    def iter_chunks(self, records, *, text_col: str = "text", id_col: str = "record_id", progress: bool = False) -> Iterator[tuple]:
        """Yield ``(units, outcomes)`` DataFrames for each chunk of ``batch_size`` records."""
        from .errors import UsageError
        from .segment import segment_records

        for col in (text_col, id_col):
            if col not in records.columns:
                raise UsageError("E215", f"records have no '{col}' column (columns: {', '.join(map(str, records.columns[:20]))})",
                                 fix="load them with jtbd.load_feedback, or name the columns with text_col=/id_col=")
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(records), unit="rec", desc="extract", file=__import__("sys").stderr)
        cache = _ChunkCache(self) if self.use_cache else None
        for start in range(0, len(records), self.batch_size):
            chunk = records.iloc[start:start + self.batch_size]
            if id_col != "record_id" or text_col != "text":
                chunk = chunk.rename(columns={id_col: "record_id", text_col: "text"})
            key = cache.key(chunk) if cache else None
            hit = cache.get(key) if key else None
            if hit is not None:
                self.chunks_reused += 1
                yield hit
            else:
                units = next(iter(segment_records(chunk, clauses=self.clauses, prefer=self.spacy, batch_size=len(chunk) or 1)), None)
                if units is not None:
                    out = self._label_chunk(units, chunk)
                    if key:
                        cache.put(key, out)
                    yield out
            if bar is not None:
                bar.update(len(chunk))
        if bar is not None:
            bar.close()

    def transform(self, records, *, text_col: str = "text", id_col: str = "record_id", progress: bool = False) -> ExtractResult:
        import pandas as pd

        parts_u, parts_o = [], []
        for u, o in self.iter_chunks(records, text_col=text_col, id_col=id_col, progress=progress):
            parts_u.append(u)
            parts_o.append(o)
        units = pd.concat(parts_u, ignore_index=True) if parts_u else pd.DataFrame(columns=UNIT_COLUMNS)
        outcomes = pd.concat(parts_o, ignore_index=True) if parts_o else pd.DataFrame(columns=OUTCOME_COLUMNS)
        return ExtractResult(units, outcomes, self.describe())

    def describe(self) -> dict:
        from .nlp import pipeline_info

        return {"outcome_model": self.model.describe(), "enablers": self.tagger.describe(),
                "segmentation": pipeline_info(self.spacy), "cues_pipeline": pipeline_info(self.model.spacy_pipeline),
                "clauses": self.clauses, "batch_size": self.batch_size, "min_confidence": self.min_confidence}


def extract(records, *, model=None, taxonomy=None, spacy: str = "auto", clauses: bool = True, batch_size: int = 1000,
            text_col: str = "text", id_col: str = "record_id", progress: bool = False, min_confidence: float = 0.0) -> ExtractResult:
    """Labelled units and outcome statements of ``records`` (a DataFrame with ``record_id`` and ``text``)."""
    ex = OutcomeExtractor(model=model, taxonomy=taxonomy, spacy=spacy, clauses=clauses, batch_size=batch_size,
                          min_confidence=min_confidence)
    return ex.transform(records, text_col=text_col, id_col=id_col, progress=progress)


CHUNK_CACHE_VERSION = 1


class _ChunkCache:
    """Finished chunks of extraction on disk, keyed by the chunk's content and everything that shapes the result.

    A re-run of the same records with the same models and options (or a run started again
    after it was killed) reads these instead of parsing and classifying again. Keys cover
    every column of the chunk, the extractor's description (models, taxonomy, pipelines,
    options), the embedding model id and backend, and a version number bumped when the
    extraction logic changes.
    """

    def __init__(self, extractor: "OutcomeExtractor") -> None:
        import hashlib
        import json

        from .embed import cache_dir, get_embedder

        self.folder = cache_dir() / "chunks" / "extract"
        desc = json.dumps({"x": extractor.describe(), "emb": get_embedder().model_id, "v": CHUNK_CACHE_VERSION},
                          sort_keys=True, default=str)
        self.salt = hashlib.blake2b(desc.encode(), digest_size=16).digest()

    def key(self, chunk) -> str | None:
        import hashlib

        import pandas as pd

        try:
            rows = pd.util.hash_pandas_object(chunk, index=False).to_numpy()
        except TypeError:  # unhashable cells (lists, dicts): this chunk is not cached
            return None
        h = hashlib.blake2b(self.salt, digest_size=20)
        h.update("\x1f".join(map(str, chunk.columns)).encode())
        h.update("\x1f".join(map(str, chunk.dtypes)).encode())
        h.update(rows.tobytes())
        return h.hexdigest()

    def get(self, key: str):
        import pandas as pd

        u, o = self.folder / f"{key}.units.parquet", self.folder / f"{key}.outcomes.parquet"
        if not (u.exists() and o.exists()):
            return None
        return pd.read_parquet(u), pd.read_parquet(o)

    def put(self, key: str, out) -> None:
        import os

        from .runs import _arrow_safe

        self.folder.mkdir(parents=True, exist_ok=True)
        for name, df in zip(("units", "outcomes"), out):
            target = self.folder / f"{key}.{name}.parquet"
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            try:
                _arrow_safe(df).to_parquet(tmp, index=False)
            except (ValueError, TypeError, ImportError):  # a chunk Arrow cannot store is simply not cached
                tmp.unlink(missing_ok=True)
                return
            tmp.replace(target)
