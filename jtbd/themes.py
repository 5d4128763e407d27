"""Job themes and enabler themes: BERTopic over the extracted units.

:func:`fit_themes` groups the outcome units of an extraction (``kind="job"``) or its
enabler units (``kind="enabler"``) into themes a researcher can act on, and the themes
into at most ``max_parents`` top-level groups. It fixes by default what BERTopic users
meet most often:

* **Reproducible.** Units are put in a canonical order (a hash of their text, record id
  and span) before fitting, UMAP and k-means get the seed, and theme ids are numbered by
  size; the same input, options and seed give the same themes and assignments, whatever
  the order of the rows.
* **Few outliers.** The default clusterer is BERTopic's k-means variant: UMAP (5-d,
  cosine) then k-means with k growing with the square root of the units (2 to 40), which
  leaves no unit out. ``method="hdbscan"`` runs BERTopic's default UMAP + HDBSCAN; its
  outliers are reassigned to the nearest theme (cosine of the unit's vector to the theme
  centroid, as BERTopic's ``reduce_outliers(strategy="embeddings")``) when at least
  ``outlier_similarity``, unless ``keep_outliers=True``. On the demo corpus HDBSCAN's
  excess-of-mass selection put 9 of 10 enabler units in one theme; k-means does not.
* **Small data.** Below ``small_data`` units (default 50) UMAP is unreliable, so
  agglomerative clustering on the vectors (cosine, average linkage, a distance threshold)
  is used instead; 1 unit gives 1 theme. The method used is recorded.
* **Embeddings once.** Vectors come from :mod:`jtbd.embed` (disk cache by model and text
  hash); a fit is cached too (labels and keywords, keyed by the units, the embedding model,
  the options and the seed), so a re-run on the same input skips UMAP and clustering.
* **Offline.** Clustering gets the vectors, never an embedding model, so nothing loads
  one; nothing here opens a socket. Keywords are BERTopic's c-TF-IDF
  (``ClassTfidfTransformer``) over unigrams and bigrams.
* **Large data.** At most ``max_fit_units`` units are clustered; every other unit goes to
  its nearest theme centroid. The sample is stratified by source (``source_file``,
  ``channel``) and solicitation: each stratum gets its proportional share (at least 100
  units, or all it has), taken in hash order within the stratum, so the sample does not
  depend on row order and a small channel is not drowned by a large one.

What is themed. A unit joins the themes of a kind when the classifier labelled it that
kind (``outcome``/``both`` for jobs, ``enabler``/``both`` for enablers) or gives that kind
at least ``min_probability`` (default 0.3) of its probability: a complaint's only
company-side words often sit in a clause labelled outcome. Each unit is embedded without
@handles and links, and its vector is blended with the mean vector of its neighbouring
units in the record (``context_weight``, ``context_window``): "they lost it" is themed with
the bag it refers to.

Example:
    >>> from jtbd.extract import extract
    >>> from jtbd.themes import fit_themes
    >>> ex = extract(records)  # doctest: +SKIP
    >>> jobs = fit_themes(ex.units, outcomes=ex.outcomes, kind="job")  # doctest: +SKIP
    >>> jobs.themes[["theme_id", "label", "n_records"]]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import DataError, ResourceError, UsageError

__all__ = ["ThemeOptions", "ThemeModel", "ThemeResult", "fit_themes", "assign_themes", "assign_rows", "theme_text", "select_units",
           "evaluate_themes", "THEME_COLUMNS", "ASSIGNMENT_COLUMNS", "KINDS"]

KINDS = {"job": ("outcome", "both"), "enabler": ("enabler", "both")}
_PROBS = {"job": ("p_outcome", "p_both"), "enabler": ("p_enabler", "p_both")}
_PREFIX = {"job": "J", "enabler": "E"}
THEME_COLUMNS = ["theme_id", "kind", "theme", "label", "label_source", "keywords", "n_units", "n_records", "record_share",
                 "parent_id", "parent_label", "representatives", "statements", "unmet_share", "solicited_share",
                 "unsolicited_share", "taxonomy_category", "outcomes"]
ASSIGNMENT_COLUMNS = ["record_id", "unit_id", "start", "end", "text", "kind", "theme", "theme_id", "similarity"]
FORMAT_VERSION = 1
FIT_VERSION = 4  # bump when clustering defaults change: cached fits are keyed by it

_HANDLE = re.compile(r"(?<![\w.])@\w+|\[HANDLE\]")
_URL = re.compile(r"https?://\S+|www\.\S+")
_SPACE = re.compile(r"\s+")


def theme_text(text: str) -> str:
    """The text that is embedded for theming: @handles, links and '#' removed, spaces collapsed."""
    t = _URL.sub(" ", str(text))
    t = _HANDLE.sub(" ", t).replace("#", " ")
    return _SPACE.sub(" ", t).strip(" \t.,;:-")


@dataclass(frozen=True)
class ThemeOptions:
    """Options of :func:`fit_themes` (all recorded in the manifest and the saved model).

    Attributes:
        kind: ``"job"`` (outcome units) or ``"enabler"`` (enabler units).
        seed: Seed for UMAP and k-means.
        min_probability: A unit also joins the kind when its probability mass for it is at least this.
        context_weight: Weight of the neighbouring units' mean vector in a unit's theming vector (0: none).
        context_window: Neighbours on each side that make up a unit's context.
        method: ``"auto"``, ``"hdbscan"`` (UMAP + HDBSCAN), ``"kmeans"`` (UMAP + k-means) or ``"agglomerative"``.
        n_themes: Number of themes for ``kmeans`` (default: grows with the square root of the units).
        min_theme_size: HDBSCAN's ``min_cluster_size`` (default: grows with the square root of the units).
        small_data: Below this many units ``auto`` uses agglomerative clustering.
        distance_threshold: Cosine distance at which agglomerative clustering stops merging.
        keep_outliers: Leave HDBSCAN's outliers unassigned.
        outlier_similarity: Reassign an outlier only when its cosine to the nearest theme is at least this.
        max_parents: Top-level groups in the hierarchy.
        max_fit_units: Fit on at most this many units (a sample stratified by source and solicitation,
            see :func:`fit_sample`); the rest are assigned to the nearest theme.
        n_keywords: Keywords kept per theme.
        n_representatives: Verbatims kept per theme.
    """

    kind: str = "job"
    seed: int = 42
    min_probability: float = 0.3
    context_weight: float = 2.0
    context_window: int = 2
    method: str = "auto"
    n_themes: int | None = None
    min_theme_size: int | None = None
    small_data: int = 50
    distance_threshold: float = 0.6
    keep_outliers: bool = False
    outlier_similarity: float = 0.2
    max_parents: int = 8
    max_fit_units: int = 20_000
    n_keywords: int = 12
    n_representatives: int = 3

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UsageError("E601", f"unknown theme kind '{self.kind}'", fix="use kind='job' or kind='enabler'")
        if self.method not in ("auto", "hdbscan", "kmeans", "agglomerative"):
            raise UsageError("E602", f"unknown theme method '{self.method}'", fix="use auto, hdbscan, kmeans or agglomerative")
        if self.max_parents < 1:
            raise UsageError("E603", "max_parents must be at least 1", fix="pass max_parents=8 (the default) or another positive number")


@dataclass
class ThemeResult:
    """What :func:`fit_themes` and :func:`assign_themes` return."""

    themes: Any  # pandas.DataFrame, THEME_COLUMNS
    assignments: Any  # pandas.DataFrame, ASSIGNMENT_COLUMNS
    model: "ThemeModel"
    info: dict = field(default_factory=dict)

    @property
    def outlier_share(self) -> float:
        """Share of the themed units left without a theme."""
        a = self.assignments
        return float((a["theme"] < 0).mean()) if len(a) else 0.0


# ---------------------------------------------------------------- unit selection and vectors

#: Languages whose units are themed: the text models are English models. ``und`` (too short to tell) stays in.
ANALYSIS_LANGUAGES = ("en", "und")


def not_in_language(units):
    """Boolean mask of the units whose record's ``language`` is set and not an analysis language (they get no theme)."""
    import numpy as np

    if "language" not in units.columns:
        return np.zeros(len(units), dtype=bool)
    lang = units["language"]
    return (lang.notna() & ~lang.astype(str).isin(ANALYSIS_LANGUAGES)).to_numpy()


def non_answers(units):
    """Boolean mask of the units that are non-answers ("Did not answer", "Nothing.", "N/A"; see
    :func:`jtbd.style.is_non_answer`): they get no theme."""
    import numpy as np

    from .style import is_non_answer

    if "text" not in units.columns or not len(units):
        return np.zeros(len(units), dtype=bool)
    return np.fromiter((is_non_answer(t) for t in units["text"]), dtype=bool, count=len(units))


def select_units(units, kind: str, *, min_probability: float = 0.3):
    """Rows of ``units`` that take part in the themes of ``kind`` (see the module docs).

    Units whose record is not in an analysis language (the ``language`` column of the
    solicitation split, when the units carry it) and non-answers ("Did not answer",
    "Nothing.") take part in no theme.
    """
    if kind not in KINDS:
        raise UsageError("E601", f"unknown theme kind '{kind}'", fix="use kind='job' or kind='enabler'")
    missing = [c for c in ("record_id", "unit_id", "text", "label") if c not in units.columns]
    if missing:
        raise DataError("E604", f"units table lacks {', '.join(missing)}", fix="pass the units table of jtbd.extract (or `jtbd extract`)")
    mask = units["label"].isin(KINDS[kind])
    a, b = _PROBS[kind]
    if min_probability is not None and min_probability < 1 and a in units.columns and b in units.columns:
        mask |= (units[a].fillna(0) + units[b].fillna(0)) >= min_probability
    return units[mask.to_numpy() & ~not_in_language(units) & ~non_answers(units)]


_PRONOUNS = {"me", "it", "us", "them", "him", "her", "this", "that", "you", "one", "there", "here", "up", "out", "in", "on",
             "off", "back", "down", "my", "the", "a", "an", "to", "all", "so", "done", "through", "over"}


def _has_object(statement: str) -> bool:
    """A job statement worth naming a theme after: a verb plus something more than a pronoun or particle."""
    words = str(statement).lower().split()
    return len(words) >= 2 and any(w not in _PRONOUNS for w in words[1:])


def _unit_key(text: str, record_id: Any, start: Any) -> str:
    return hashlib.blake2b(f"{text}\x1f{record_id}\x1f{start}".encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _context_vectors(units, embedder, *, weight: float, window: int):
    """Theming vectors of every row of ``units``: own vector + weight x mean of the neighbours'."""
    import numpy as np

    texts = [theme_text(t) or str(t) for t in units["text"].tolist()]
    V = embedder.encode(texts)
    if weight <= 0 or len(units) == 0:
        return V, texts
    order = units.assign(_i=np.arange(len(units)), _s=units["start"] if "start" in units.columns else 0)
    out = V.copy()
    for _, g in order.sort_values(["record_id", "_s"], kind="stable").groupby("record_id", sort=False):
        idx = g["_i"].to_numpy()
        if len(idx) == 1:
            continue
        for j, i in enumerate(idx):
            lo, hi = max(0, j - window), min(len(idx), j + window + 1)
            out[i] = V[i] + weight * V[idx[lo:hi]].mean(axis=0)
    out /= np.linalg.norm(out, axis=1, keepdims=True) + 1e-12
    return out.astype(np.float32), texts


# ---------------------------------------------------------------- clustering

def _auto_method(n: int, opts: ThemeOptions) -> str:
    if opts.method != "auto":
        return opts.method
    return "agglomerative" if n < opts.small_data else "kmeans"


def _cluster(X, opts: ThemeOptions, method: str):
    """Labels (-1 = outlier) and a short description of what ran."""
    import numpy as np

    n = len(X)
    if n == 1:
        return np.zeros(1, dtype=int), {"method": "single"}
    if method == "agglomerative":
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                         distance_threshold=opts.distance_threshold).fit_predict(X)
        return labels, {"method": "agglomerative", "distance_threshold": opts.distance_threshold}
    from umap import UMAP

    n_neighbors = int(min(15, max(2, n - 1)))
    if n < 4096:
        # UMAP finds exact neighbours below 4,096 points by calling its cosine metric from Python
        # once per pair (~40 s at 3,500 units); the same cosine distances as one matrix product:
        Xn = X / np.clip(np.linalg.norm(X, axis=1, keepdims=True), 1e-12, None)
        D = np.clip(1.0 - Xn @ Xn.T, 0.0, 2.0)
        np.fill_diagonal(D, 0.0)
        umap = UMAP(n_neighbors=n_neighbors, n_components=min(5, max(2, n - 2)), min_dist=0.0, metric="precomputed",
                    random_state=opts.seed, low_memory=True, n_jobs=1)
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="using precomputed metric")  # we never inverse_transform
            U = umap.fit_transform(D)
    else:
        umap = UMAP(n_neighbors=n_neighbors, n_components=min(5, max(2, n - 2)), min_dist=0.0, metric="cosine",
                    random_state=opts.seed, low_memory=True, n_jobs=1)
        U = umap.fit_transform(X)
    if method == "kmeans":
        from sklearn.cluster import KMeans

        k = opts.n_themes or int(np.clip(round((n / 4) ** 0.5), 2, 40))
        k = min(k, n)
        labels = KMeans(n_clusters=k, random_state=opts.seed, n_init=10).fit_predict(U)
        return labels, {"method": "umap+kmeans", "n_themes": k, "umap_neighbors": n_neighbors}
    from hdbscan import HDBSCAN

    mcs = opts.min_theme_size or int(np.clip(round(n ** 0.5 / 3), 5, 100))
    labels = HDBSCAN(min_cluster_size=mcs, metric="euclidean", cluster_selection_method="eom").fit_predict(U)
    if labels.max() < 0:  # HDBSCAN called everything noise: agglomerative clustering instead
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                         distance_threshold=opts.distance_threshold).fit_predict(X)
        return labels, {"method": "agglomerative", "reason": "HDBSCAN found no cluster", "min_cluster_size": mcs}
    return labels, {"method": "umap+hdbscan", "min_cluster_size": mcs, "umap_neighbors": n_neighbors}


def _centroids(X, labels, k: int):
    import numpy as np

    C = np.zeros((k, X.shape[1]), dtype=np.float32)
    for t in range(k):
        m = labels == t
        if m.any():
            C[t] = X[m].mean(axis=0)
    C /= np.linalg.norm(C, axis=1, keepdims=True) + 1e-12
    return C


def _renumber(labels):
    """Themes numbered 0.. by size (largest first, ties by first appearance); -1 stays."""
    import numpy as np

    ids, first, counts = np.unique(labels[labels >= 0], return_index=True, return_counts=True)
    order = sorted(range(len(ids)), key=lambda i: (-counts[i], first[i]))
    mapping = {int(ids[i]): r for r, i in enumerate(order)}
    return np.array([mapping.get(int(v), -1) for v in labels], dtype=int)


def _keywords(docs: list[str], labels, k: int, n: int) -> list[list[str]]:
    """c-TF-IDF keywords per theme (BERTopic's ClassTfidfTransformer over a CountVectorizer)."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    from bertopic.vectorizers import ClassTfidfTransformer

    joined = [" ".join(d for d, l in zip(docs, labels) if l == t) for t in range(k)]
    if not any(j.strip() for j in joined):
        return [[] for _ in range(k)]
    min_df = 2 if len(docs) >= 200 else 1
    M = words = None
    for stop in ("english", None):
        try:
            cv = CountVectorizer(stop_words=stop, ngram_range=(1, 2), min_df=1)
            M = cv.fit_transform(joined)
        except ValueError:  # nothing left but stop words
            continue
        words = np.array(cv.get_feature_names_out())
        if min_df > 1:  # keep terms used by at least min_df units
            df = np.asarray((cv.transform(docs) > 0).sum(axis=0)).ravel()
            keep = df >= min_df
            if keep.any():
                M, words = M[:, keep], words[keep]
        break
    if M is None:
        return [[] for _ in range(k)]
    W = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(M)
    W = W.toarray() if hasattr(W, "toarray") else np.asarray(W)
    out = []
    for t in range(k):
        row = W[t]
        top = [i for i in np.argsort(-row, kind="stable")[: n * 3] if row[i] > 0]
        chosen: list[str] = []
        for i in top:  # skip a unigram already inside a chosen bigram and vice versa
            w = words[i]
            if any(w in c.split() or c in w.split() for c in chosen):
                continue
            chosen.append(str(w))
            if len(chosen) == n:
                break
        out.append(chosen)
    return out


def _parents(C, sizes, max_parents: int):
    """Top-level group of each theme: average-linkage clustering of the centroids."""
    import numpy as np

    k = len(C)
    if k <= max_parents:
        return np.arange(k)
    from scipy.cluster.hierarchy import fcluster, linkage

    raw = fcluster(linkage(C.astype(np.float64), method="average", metric="cosine"), t=max_parents, criterion="maxclust") - 1
    # number parents by total size, largest first
    totals = {p: sizes[raw == p].sum() for p in set(raw.tolist())}
    firsts = {p: int(np.flatnonzero(raw == p)[0]) for p in totals}
    order = sorted(totals, key=lambda p: (-totals[p], firsts[p]))
    mapping = {p: i for i, p in enumerate(order)}
    return np.array([mapping[p] for p in raw], dtype=int)


# ---------------------------------------------------------------- the fitted model

@dataclass
class ThemeModel:
    """Fitted themes of one kind: centroids in embedding space plus their description.

    Save with :meth:`save` (``themes.safetensors`` + ``themes.json``, no pickle) and assign
    new units to the same themes with :func:`assign_themes`, so monthly dumps are comparable.
    """

    kind: str
    centroids: Any  # float32 (n_themes, dim)
    table: list[dict]  # theme descriptions from the fit (ids, labels, keywords, parents)
    options: dict
    embedding: dict
    fit_info: dict = field(default_factory=dict)

    @property
    def n_themes(self) -> int:
        return int(len(self.table))

    def save(self, path: str | Path) -> Path:
        """Write the model to the folder ``path``."""
        import numpy as np
        from safetensors.numpy import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        save_file({"centroids": np.ascontiguousarray(self.centroids, dtype=np.float32)}, str(path / "themes.safetensors"))
        meta = {"format": "jtbd.themes", "format_version": FORMAT_VERSION, "kind": self.kind, "options": self.options,
                "embedding": self.embedding, "fit": self.fit_info, "themes": self.table}
        (path / "themes.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "ThemeModel":
        """Read a model written by :meth:`save`."""
        from safetensors.numpy import load_file

        path = Path(path)
        meta_path = path / "themes.json"
        if not meta_path.exists():
            raise ResourceError("E605", f"'{path}' holds no theme model (themes.json missing)",
                                fix="pass a folder written by `jtbd themes` (its theme_model/job or theme_model/enabler)")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format") != "jtbd.themes":
            raise ResourceError("E606", f"'{meta_path}' is not a jtbd theme model", fix="pass a folder written by `jtbd themes`")
        C = load_file(str(path / "themes.safetensors"))["centroids"]
        return cls(kind=meta["kind"], centroids=C, table=meta["themes"], options=meta["options"], embedding=meta["embedding"],
                   fit_info=meta.get("fit", {}))


def _check_embedding(model: ThemeModel, embedder) -> None:
    from .backends import compatible

    if not compatible(model.embedding.get("model_id"), embedder.model_id):
        raise UsageError("E607", f"the theme model was fitted with embeddings '{model.embedding.get('model_id')}', "
                                 f"but this run uses '{embedder.model_id}'",
                         fix="assign with the embedding model the themes were fitted with, or fit new themes")


# ---------------------------------------------------------------- public functions

def _prepare(units, opts: ThemeOptions, embedder):
    """Themed rows in canonical order, their theming texts and vectors, plus all-units context."""
    import numpy as np

    if "start" not in units.columns:
        units = units.assign(start=0, end=units["text"].astype(str).str.len())
    sel = select_units(units, opts.kind, min_probability=opts.min_probability)
    # context comes from every unit of the records that have a themed unit
    pool = units[units["record_id"].isin(set(sel["record_id"]))]
    pool = pool.assign(_key=[_unit_key(theme_text(t), r, s) for t, r, s in zip(pool["text"], pool["record_id"], pool["start"])])
    pool = pool.sort_values("_key", kind="stable").reset_index(drop=True)
    Xall, texts_all = _context_vectors(pool, embedder, weight=opts.context_weight, window=opts.context_window)
    sel_keys = set(_unit_key(theme_text(t), r, s) for t, r, s in zip(sel["text"], sel["record_id"], sel["start"]))
    m = pool["_key"].isin(sel_keys).to_numpy().copy()
    m &= np.array([bool(t.strip()) for t in texts_all], dtype=bool)
    rows = pool[m].reset_index(drop=True)
    X = Xall[m]
    docs = [t for t, keep in zip(texts_all, m) if keep]
    return rows, X, docs


STRATA_COLUMNS = ("source_file", "channel", "solicitation")
MIN_PER_STRATUM = 100


def fit_sample(rows, max_units: int):
    """Indices of the units to cluster (sorted) and, when sampling, the units drawn per stratum.

    All units when there are at most ``max_units``. Otherwise a sample stratified by
    source and solicitation (:data:`STRATA_COLUMNS` present in ``rows``): proportional
    shares by largest remainder, each stratum at least :data:`MIN_PER_STRATUM` units (or
    all it has; less when there are too many strata for that), excess trimmed from the
    largest shares; within a stratum the first units
    in the rows' canonical hash order, so the sample is independent of input order.
    """
    import numpy as np

    n = len(rows)
    if n <= max_units:
        return np.arange(n), {}
    cols = [c for c in STRATA_COLUMNS if c in rows.columns]
    key = rows[cols].astype(str).agg(" | ".join, axis=1) if cols else np.full(n, "all")
    import pandas as pd

    key = pd.Series(np.asarray(key), index=range(n))
    sizes = key.value_counts().sort_index()
    exact = sizes * max_units / n
    quota = np.floor(exact).astype(int)
    short = max_units - int(quota.sum())
    if short > 0:
        quota[(exact - quota).sort_values(ascending=False, kind="stable").index[:short]] += 1
    floor = np.minimum(sizes, min(MIN_PER_STRATUM, max_units // len(sizes)))  # the floors always fit in max_units
    quota = np.minimum(np.maximum(quota, floor), sizes)
    excess = int(quota.sum()) - max_units
    while excess > 0:  # the floors pushed it over: take back from the largest shares
        room = quota - floor
        big = room.idxmax()
        take = min(excess, int(room[big]))
        quota[big] -= take
        excess -= take
    picked = np.concatenate([np.flatnonzero(key.to_numpy() == s)[:q] for s, q in quota.items()])
    return np.sort(picked), {str(s): int(q) for s, q in quota.items()}


def _fit_cache_key(rows, X, opts: ThemeOptions, embedder) -> str:
    """Key of a cached fit: the options, the model, the units and their theming vectors
    (which carry each unit's neighbours, so an edited neighbour invalidates the fit)."""
    h = hashlib.sha256()
    h.update(json.dumps({"opts": asdict(opts), "emb": embedder.model_id, "v": FIT_VERSION}, sort_keys=True).encode())
    for k in rows["_key"]:
        h.update(k.encode())
    h.update(X.tobytes())
    return h.hexdigest()[:24]


def fit_themes(units, *, outcomes=None, kind: str = "job", taxonomy=None, embedder=None, cache: bool = True,
               **options: Any) -> ThemeResult:
    """Themes of ``kind`` over the units of an extraction.

    Args:
        units: The units table of :func:`jtbd.extract` (``record_id``, ``unit_id``, ``start``, ``end``,
            ``text``, ``label`` and the ``p_*`` probabilities; ``solicitation``, ``polarity`` and
            ``enabler_category`` are used when present).
        outcomes: The outcomes table (statements, ``met``); used for job labels and the unmet share.
        kind: ``"job"`` or ``"enabler"``.
        taxonomy: Only for its category labels (enabler themes are named after the category most of
            their units fall in).
        embedder: A :class:`jtbd.embed.Embedder` (default: the shipped model).
        cache: Reuse a fit cached for the same units, options and seed.
        **options: Fields of :class:`ThemeOptions` (``seed``, ``keep_outliers``, ``max_parents``, ...).

    Returns:
        A :class:`ThemeResult` with the themes table, one assignment row per themed unit, and the model.
    """
    import time

    import numpy as np

    from .embed import cache_dir, get_embedder

    opts = ThemeOptions(kind=kind, **options)
    embedder = embedder or get_embedder()
    t0 = time.perf_counter()
    rows, X, docs = _prepare(units, opts, embedder)
    n = len(rows)
    info: dict[str, Any] = {"kind": kind, "units_themed": n, "options": asdict(opts), "embedding": embedder.describe()}
    if n == 0:
        model = ThemeModel(kind=kind, centroids=np.zeros((0, embedder.dim), np.float32), table=[], options=asdict(opts),
                           embedding={"model_id": embedder.model_id}, fit_info={"method": "none", "units": 0})
        return ThemeResult(_empty_themes(), _empty_assignments(), model, {**info, "method": "none"})

    key = _fit_cache_key(rows, X, opts, embedder)
    cdir = cache_dir() / "themes" / key
    labels = None
    if cache and (cdir / "labels.safetensors").exists():
        from safetensors.numpy import load_file

        labels = load_file(str(cdir / "labels.safetensors"))["labels"].astype(int)
        fit_info = json.loads((cdir / "fit.json").read_text())
        fit_info["cached"] = True
        if len(labels) != n:
            labels = None
    if labels is None:
        fit_idx, strata = fit_sample(rows, opts.max_fit_units)
        fit_n = len(fit_idx)
        method = _auto_method(fit_n, opts)
        fit_labels, fit_info = _cluster(X[fit_idx], opts, method)
        fit_labels = np.asarray(fit_labels, dtype=int)
        fit_info.update({"units_fitted": fit_n, "outliers_before": int((fit_labels < 0).sum())})
        if strata:
            fit_info["sample_strata"] = strata
        k0 = int(fit_labels.max()) + 1
        labels = np.full(n, -1, dtype=int)
        labels[fit_idx] = fit_labels
        if k0 > 0:
            C = _centroids(X[fit_idx], fit_labels, k0)
            sims = X @ C.T
            nearest = sims.argmax(axis=1)
            best = sims[np.arange(n), nearest]
            rest = np.ones(n, dtype=bool)
            rest[fit_idx] = False
            reassign = (labels < 0) & ~rest
            if not opts.keep_outliers:
                labels[reassign & (best >= opts.outlier_similarity)] = nearest[reassign & (best >= opts.outlier_similarity)]
                fit_info["outlier_strategy"] = f"nearest theme centroid, cosine >= {opts.outlier_similarity}"
            else:
                fit_info["outlier_strategy"] = "kept (keep_outliers)"
            take = rest & (best >= opts.outlier_similarity)
            labels[take] = nearest[take]
            fit_info["units_assigned_after_fit"] = int(rest.sum())
        fit_info["seconds"] = round(time.perf_counter() - t0, 3)
        fit_info["cached"] = False
    labels = _renumber(labels)
    k = int(labels.max()) + 1
    if "keywords" not in fit_info or len(fit_info["keywords"]) != k:
        fit_info["keywords"] = _keywords(docs, labels, k, opts.n_keywords) if k else []
        if cache:
            from safetensors.numpy import save_file

            cdir.mkdir(parents=True, exist_ok=True)
            save_file({"labels": labels.astype(np.int64)}, str(cdir / "labels.safetensors"))
            (cdir / "fit.json").write_text(json.dumps({k_: v for k_, v in fit_info.items() if k_ != "cached"}, default=str))
    C = _centroids(X, labels, k)
    sims = (X @ C.T)[np.arange(n), np.maximum(labels, 0)] if k else np.zeros(n)
    sims = np.where(labels >= 0, sims, np.nan)
    table = _describe(rows, docs, X, labels, C, opts, outcomes=outcomes, taxonomy=taxonomy, all_units=units,
                      keywords=fit_info["keywords"], embedder=embedder)
    model = ThemeModel(kind=kind, centroids=C, table=table, options=asdict(opts), embedding={"model_id": embedder.model_id,
                       "model": embedder.model_name}, fit_info={k_: v for k_, v in fit_info.items() if k_ != "keywords"})
    assignments = _assignments(rows, kind, labels, sims)
    themes = _themes_frame(table)
    info.update({"method": fit_info.get("method"), "fit": model.fit_info, "n_themes": k,
                 "n_parents": int(themes["parent_id"].nunique()) if len(themes) else 0,
                 "outlier_share": float((labels < 0).mean()), "seconds": round(time.perf_counter() - t0, 3)})
    return ThemeResult(themes, assignments, model, info)


def _nearest(units, model: ThemeModel, embedder):
    """``(opts, rows, X, docs, sims, labels, best)``: each themed unit's nearest centroid, -1 below outlier_similarity."""
    import numpy as np

    _check_embedding(model, embedder)
    o = dict(model.options)
    o.pop("kind", None)
    opts = ThemeOptions(kind=model.kind, **o)
    rows, X, docs = _prepare(units, opts, embedder)
    if len(rows) == 0 or model.n_themes == 0:
        return opts, rows, X, docs, None, None, None
    sims = X @ np.asarray(model.centroids).T
    labels = sims.argmax(axis=1)
    best = sims[np.arange(len(rows)), labels]
    labels = np.where(best >= opts.outlier_similarity, labels, -1)
    return opts, rows, X, docs, sims, labels, best


def assign_themes(units, model: ThemeModel | str | Path, *, outcomes=None, embedder=None, taxonomy=None) -> ThemeResult:
    """Assign units to the themes of a saved model (nearest centroid, cosine >= the model's outlier_similarity)."""
    import numpy as np

    from .embed import get_embedder

    if not isinstance(model, ThemeModel):
        model = ThemeModel.load(model)
    opts, rows, X, docs, sims, labels, best = _nearest(units, model, embedder or get_embedder())
    n = len(rows)
    k = model.n_themes
    if n == 0 or k == 0:
        return ThemeResult(_empty_themes(), _empty_assignments(), model, {"kind": model.kind, "method": "assigned", "units_themed": n})
    fitted = {t["theme"]: t for t in model.table}
    table = _describe(rows, docs, X, labels, np.asarray(model.centroids), opts, outcomes=outcomes, taxonomy=taxonomy,
                      all_units=units, fixed=fitted)
    themes = _themes_frame(table)
    assignments = _assignments(rows, model.kind, labels, np.where(labels >= 0, best, np.nan))
    info = {"kind": model.kind, "method": "assigned to saved themes", "units_themed": n, "n_themes": k,
            "outlier_share": float((labels < 0).mean()), "model_fit": model.fit_info}
    return ThemeResult(themes, assignments, model, info)


def assign_rows(units, model: ThemeModel, *, keep: dict | None = None, embedder=None):
    """Assignments only (no themes table) of ``units`` to ``model``'s themes: the streaming pipeline's per-chunk step.

    ``units`` must hold whole records (a unit's theming vector uses its neighbours).
    ``keep``: ``{unit_id: theme}`` of units whose theme is already known (the fit sample's
    clustering), kept as they are; every other unit goes to the nearest centroid with
    cosine >= the model's ``outlier_similarity``, as :func:`assign_themes` does.
    """
    import numpy as np

    from .embed import get_embedder

    _, rows, _, _, sims, labels, best = _nearest(units, model, embedder or get_embedder())
    if len(rows) == 0 or model.n_themes == 0:
        return _empty_assignments()
    if keep:
        known = rows["unit_id"].astype(str).map(keep)
        has = known.notna().to_numpy()
        labels[has] = known[has].astype(int).to_numpy()
        best[has] = np.where(labels[has] >= 0, sims[np.flatnonzero(has), np.maximum(labels[has], 0)], np.nan)
    return _assignments(rows, model.kind, labels, np.where(labels >= 0, best, np.nan))


# ---------------------------------------------------------------- tables

def _empty_themes():
    import pandas as pd

    return pd.DataFrame(columns=THEME_COLUMNS)


def _empty_assignments():
    import pandas as pd

    return pd.DataFrame(columns=ASSIGNMENT_COLUMNS)


def _themes_frame(table: list[dict]):
    import pandas as pd

    return pd.DataFrame(table, columns=THEME_COLUMNS) if table else _empty_themes()


def _assignments(rows, kind: str, labels, sims):
    import numpy as np
    import pandas as pd

    prefix = _PREFIX[kind]
    out = pd.DataFrame({
        "record_id": rows["record_id"].to_numpy(), "unit_id": rows["unit_id"].to_numpy(),
        "start": rows["start"].to_numpy(), "end": rows["end"].to_numpy() if "end" in rows.columns else rows["start"].to_numpy(),
        "text": rows["text"].to_numpy(), "kind": kind, "theme": labels.astype(int),
        "theme_id": [f"{prefix}{t}" if t >= 0 else "outlier" for t in labels],
        "similarity": np.round(sims.astype(float), 4),
    })
    for col in ("solicitation", "source_file"):
        if col in rows.columns:
            out[col] = rows[col].to_numpy()
    return out.sort_values(["record_id", "start", "unit_id"], kind="stable").reset_index(drop=True)


def _describe(rows, docs, X, labels, C, opts: ThemeOptions, *, outcomes=None, taxonomy=None, all_units=None, fixed=None,
              keywords=None, embedder=None) -> list[dict]:
    """One dict per theme (THEME_COLUMNS). ``fixed``: labels/keywords/parents of a saved model."""
    import numpy as np
    import pandas as pd

    k = len(C)
    if k == 0:
        return []
    kind = opts.kind
    prefix = _PREFIX[kind]
    n_records_total = int(all_units["record_id"].nunique()) if all_units is not None and len(all_units) else int(rows["record_id"].nunique())
    sizes = np.array([(labels == t).sum() for t in range(k)])
    if fixed is None:
        keywords = keywords if keywords is not None else _keywords(docs, labels, k, opts.n_keywords)
        parents = _parents(C, sizes, opts.max_parents)
    else:
        keywords = [fixed[t]["keywords"] for t in range(k)]
        parents = np.array([int(str(fixed[t]["parent_id"])[2:]) for t in range(k)])
    stmts = None
    if outcomes is not None and len(outcomes) and kind == "job":
        stmts = outcomes.drop_duplicates("unit_id").set_index("unit_id")
    tax_labels = {}
    if taxonomy is not None:
        tax_labels = {c.id: c.label for c in taxonomy.categories}
    elif kind == "enabler":
        from .enablers import load_taxonomy

        tax_labels = {c.id: c.label for c in load_taxonomy().categories}
    table = []
    for t in range(k):
        m = labels == t
        sub = rows[m]
        idx = np.flatnonzero(m)
        sims = X[idx] @ C[t]
        order = idx[np.argsort(-sims, kind="stable")]
        reps = []
        seen_rec = set()
        for i in order:
            r = rows.iloc[i]
            if r["record_id"] in seen_rec:
                continue
            seen_rec.add(r["record_id"])
            reps.append({"record_id": str(r["record_id"]), "start": int(r["start"]), "end": int(r["end"]), "text": str(r["text"])})
            if len(reps) == opts.n_representatives:
                break
        row: dict[str, Any] = {"theme_id": f"{prefix}{t}", "kind": kind, "theme": t, "keywords": keywords[t],
                               "n_units": int(m.sum()), "n_records": int(sub["record_id"].nunique()),
                               "representatives": reps}
        row["record_share"] = round(row["n_records"] / n_records_total, 4) if n_records_total else 0.0
        from .naming import job_name_candidates, merge_outcomes

        statements: list[str] = []
        merged: list[dict] = []
        if stmts is not None:
            st = stmts.reindex(sub["unit_id"])
            if "statement" in st.columns:
                # theme-level outcomes: same job + metric counted once, with the units and records behind it
                recs = sub["record_id"].tolist()
                merged = merge_outcomes([{**{c: st[c].iloc[j] for c in ("statement", "job_statement", "metric", "direction")
                                              if c in st.columns}, "record_id": recs[j]} for j in range(len(st))])
                statements = [o["statement"] for o in merged]
            if "job_statement" in st.columns:
                row["_candidates"] = job_name_candidates(list(zip(st["job_statement"].fillna("").astype(str), sub["record_id"])))
            if "met" in st.columns:  # struggled / (struggled + met); "unclear" left out
                met = st["met"].dropna().astype(str)
                met = met[met.isin(["struggled", "met"])]
                row["unmet_share"] = round(float((met == "struggled").mean()), 4) if len(met) else None
        if kind == "enabler" and "polarity" in sub.columns:
            pol = sub["polarity"].dropna()
            row["unmet_share"] = round(float((pol == "negative").mean()), 4) if len(pol) else None
        row.setdefault("unmet_share", None)
        row["statements"] = statements
        row["outcomes"] = merged
        cat = None
        if "enabler_category" in sub.columns and sub["enabler_category"].notna().any():
            cat = str(sub["enabler_category"].dropna().value_counts().index[0])
        row["taxonomy_category"] = cat
        if fixed is not None:
            row["label"], row["label_source"] = fixed[t]["label"], fixed[t]["label_source"]
        else:
            row["_texts"] = [docs[i] for i in order[:300]]
            row["_category"] = tax_labels.get(cat) if cat else None
        if "solicitation" in sub.columns:
            s = sub["solicitation"].dropna().astype(str)
            row["solicited_share"] = round(float((s == "solicited").mean()), 4) if len(s) else None
            row["unsolicited_share"] = round(float((s == "unsolicited").mean()), 4) if len(s) else None
        else:
            row["solicited_share"] = row["unsolicited_share"] = None
        row["parent_id"] = f"{prefix}P{int(parents[t])}"
        table.append(row)
    if fixed is None:  # names: the shared job (jobs) or category + keywords (enablers), checked, unique, retrieving their theme
        from .naming import choose_names

        choose_names(table, C, embedder, kind=kind)
    for row in table:
        row.pop("_candidates", None)
    # a parent is named after its largest theme
    by_parent: dict[str, dict] = {}
    for row in table:
        p = row["parent_id"]
        if p not in by_parent or row["n_units"] > by_parent[p]["n_units"]:
            by_parent[p] = row
    for row in table:
        if fixed is not None:
            row["parent_label"] = fixed[row["theme"]].get("parent_label")
        else:
            row["parent_label"] = by_parent[row["parent_id"]]["label"]
    return table


# ---------------------------------------------------------------- evaluation

def dominant_themes(assignments, units, kind: str):
    """Each record's dominant theme: the theme holding most of its units' probability mass of ``kind``."""
    import pandas as pd

    a, b = _PROBS[kind]
    a_df = assignments[assignments["theme"] >= 0]
    if not len(a_df):
        return pd.Series(dtype=object)
    w = units.drop_duplicates("unit_id").set_index("unit_id")
    weight = (w[a].fillna(0) + w[b].fillna(0)) if a in w.columns and b in w.columns else pd.Series(1.0, index=w.index)
    d = a_df.assign(w=a_df["unit_id"].map(weight).fillna(1.0).to_numpy())
    g = d.groupby(["record_id", "theme_id"], sort=True)["w"].sum().reset_index()
    g = g.sort_values(["record_id", "w", "theme_id"], ascending=[True, False, True], kind="stable").drop_duplicates("record_id")
    return g.set_index("record_id")["theme_id"]


def baseline_bertopic(texts: list[str], *, seed: int = 42, embedder=None) -> list[int]:
    """Plain BERTopic on raw texts: default settings, the toolkit's embedding model, UMAP seeded."""
    from bertopic import BERTopic
    from umap import UMAP

    from .embed import get_embedder

    embedder = embedder or get_embedder()
    E = embedder.encode(texts)
    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    topics, _ = BERTopic(embedding_model=embedder.model, umap_model=umap).fit_transform(texts, embeddings=E)
    return [int(t) for t in topics]


def _scores(gold, pred, outlier) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    import numpy as np

    pred_l = [str(p) for p in pred]
    themes = {p for p, o in zip(pred_l, outlier) if not o}
    return {"n": int(len(gold)), "nmi": round(float(normalized_mutual_info_score(gold, pred_l)), 4),
            "ari": round(float(adjusted_rand_score(gold, pred_l)), 4), "n_themes": len(themes),
            "outlier_share": round(float(np.mean(outlier)), 4)}


def evaluate_themes(df, *, text_col: str = "text", label_col: str = "category", kind: str = "enabler", seed: int = 42,
                    drop_labels: tuple[str, ...] = (), baseline: bool = True, extractor=None, **options: Any) -> dict:
    """Theme the texts of ``df`` and score each record's dominant theme against its gold category.

    A record with no unit of ``kind`` (or only outlier units) counts as an outlier. Rows whose
    label is empty or in ``drop_labels`` are left out. The baseline is plain BERTopic on the raw
    texts with the same embedding model and seed.

    Returns:
        ``{"n", "nmi", "ari", "n_themes", "outlier_share", "baseline": {...same keys}, "info": {...}}``.
    """
    import pandas as pd

    from .extract import OutcomeExtractor

    for col in (text_col, label_col):
        if col not in df.columns:
            raise UsageError("E608", f"no column '{col}' in the labelled file (columns: {', '.join(map(str, df.columns[:20]))})",
                             fix="name the text and gold columns with --text-col and --label-col")
    d = df[[text_col, label_col]].copy()
    d = d[d[label_col].notna() & d[text_col].notna()]
    d[label_col] = d[label_col].astype(str).str.strip()
    d = d[(d[label_col] != "") & ~d[label_col].isin(drop_labels)]
    if d.empty:
        raise DataError("E609", "no labelled rows left to evaluate", fix="check --label-col and --drop-label")
    records = pd.DataFrame({"record_id": [f"r{i}" for i in range(len(d))], "text": d[text_col].astype(str).to_numpy()})
    gold = d[label_col].to_numpy()
    ex = extractor or OutcomeExtractor()
    extracted = ex.transform(records)
    res = fit_themes(extracted.units, outcomes=extracted.outcomes, kind=kind, seed=seed, **options)
    dom = dominant_themes(res.assignments, extracted.units, kind)
    pred = records["record_id"].map(dom)
    outlier = pred.isna().to_numpy()
    out = _scores(gold, pred.fillna("outlier").tolist(), outlier)
    out["unit_outlier_share"] = round(res.outlier_share, 4)
    out["records_without_kind"] = round(float(1 - records["record_id"].isin(set(res.assignments["record_id"])).mean()), 4)
    if baseline:
        topics = baseline_bertopic(records["text"].tolist(), seed=seed)
        out["baseline"] = _scores(gold, topics, [t < 0 for t in topics])
    out["info"] = {"method": res.info.get("method"), "units_themed": res.info.get("units_themed"), "kind": kind, "seed": seed}
    return out
