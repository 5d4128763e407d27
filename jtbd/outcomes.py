"""Label units as ``outcome``, ``enabler``, ``both`` or ``other`` (see docs/outcomes-vs-enablers.md).

The model is a multinomial logistic regression over three blocks of features:

- the unit's sentence embedding (the toolkit's one embedding module, cached on disk);
- style cues (:mod:`jtbd.style`: handles, non-answers, first person, length, ...);
- linguistic cues (:mod:`jtbd.cues`: who is the grammatical subject, requests,
  needing/trying, durations, money, result connectives), read off a spaCy parse.

The shipped model is trained on the project's own corpus (``corpora/outcomes``);
``jtbd train outcomes LABELS.csv`` trains one on a user's labels. Weights are saved as
safetensors plus a JSON config (no pickle), with the training data's hash, the
embedding model and the spaCy pipeline used for the cues.

Example:
    >>> from jtbd.outcomes import OutcomeModel
    >>> model = OutcomeModel.load()  # doctest: +SKIP
    >>> model.predict(["The app crashed so I missed my rent payment."])  # doctest: +SKIP
    array(['both'], dtype=object)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from pathlib import Path
from typing import Sequence

from .backends import compatible, portable_embedder_info
from .errors import DataError, NotFittedError, ResourceError, UsageError

__all__ = ["LABELS", "OutcomeModel", "default_model_dir", "evaluate_outcomes", "outcome_scores"]

LABELS = ("outcome", "enabler", "both", "other")
_ALIASES = {"o": "outcome", "e": "enabler", "b": "both", "x": "other", "none": "other", "neither": "other"}


def default_model_dir() -> Path:
    """Folder of the shipped outcome model for the active embedding backend (see :func:`jtbd.backends.shipped_model_dir`)."""
    from .backends import shipped_model_dir

    return shipped_model_dir("outcomes")


def normalise_labels(values) -> list[str]:
    """Lower-case labels, accept one-letter codes; a clear error for anything else."""
    out = []
    for v in values:
        s = str(v).strip().lower()
        s = _ALIASES.get(s, s)
        if s not in LABELS:
            raise DataError("E123", f"unknown outcome label {v!r}", fix=f"use one of {', '.join(LABELS)}")
        out.append(s)
    return out


class OutcomeModel:
    """Four-way unit classifier: embeddings + style cues + linguistic cues -> logistic regression.

    Args:
        C: Inverse regularisation strength.
        style_weight: Scale of the standardised style cues beside the unit vectors.
        cue_weight: Scale of the standardised linguistic cues.
        spacy_pipeline: Pipeline that parses units for the cues (``"shipped"`` by default,
            so the cues match the ones the model was trained with).
        seed: Recorded for provenance (the solver is deterministic).
    """

    def __init__(self, *, C: float = 4.0, style_weight: float = 0.3, cue_weight: float = 0.5,
                 spacy_pipeline: str = "shipped", seed: int = 42) -> None:
        self.C = C
        self.style_weight = style_weight
        self.cue_weight = cue_weight
        self.spacy_pipeline = spacy_pipeline
        self.seed = seed

    # ------------------------------------------------------------------ features
    def _features(self, texts: Sequence[str], *, docs=None, fit: bool = False, progress: bool = False):
        import numpy as np

        from .cues import unit_cues
        from .embed import get_embedder
        from .nlp import get_nlp
        from .style import style_features

        emb = get_embedder()
        if not fit and getattr(self, "embedder_id_", None) and not compatible(self.embedder_id_, emb.model_id):
            raise ResourceError("E305", f"the outcome model was trained on {self.embedder_id_} vectors, not {emb.model_id}",
                                fix="use a compatible --embedder (torch, onnx, onnx-int8 share one vector space; static is another), or retrain it with `jtbd train outcomes` under this one")
        if not fit:
            from .backends import check_static_weights

            check_static_weights(getattr(self, "static_weights_id_", None), "outcome model")
        x = emb.encode(list(texts), progress=progress)
        s = style_features(list(texts))
        if docs is None:
            nlp, _ = get_nlp(self.spacy_pipeline)
            c = unit_cues(list(texts), nlp=nlp)
        else:
            c = unit_cues(list(texts), docs=docs)
        if fit:
            self.style_mean_, self.style_scale_ = s.mean(axis=0), s.std(axis=0) + 1e-6
            self.cue_mean_, self.cue_scale_ = c.mean(axis=0), c.std(axis=0) + 1e-6
        s = (s - self.style_mean_) / self.style_scale_ * self.style_weight
        c = (c - self.cue_mean_) / self.cue_scale_ * self.cue_weight
        return np.hstack([x, s, c]).astype(np.float32), emb

    # ------------------------------------------------------------------ fit / predict
    def fit(self, texts: Sequence[str], labels: Sequence[str], *, source: str | None = None) -> "OutcomeModel":
        """Train on unit texts and their labels (outcome/enabler/both/other)."""
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        from .nlp import get_nlp

        texts = [str(t) for t in texts]
        y = normalise_labels(labels)
        present = sorted(set(y))
        if len(present) < 2:
            raise DataError("E124", "training labels hold only one class", fix="give examples of at least two labels")
        x, emb = self._features(texts, fit=True)
        clf = LogisticRegression(C=self.C, max_iter=5000, class_weight="balanced", random_state=self.seed)
        clf.fit(x, np.asarray(y))
        self.classes_ = [str(c) for c in clf.classes_]
        coef = clf.coef_.astype(np.float32)
        intercept = clf.intercept_.astype(np.float32)
        if len(self.classes_) == 2:  # binary LR has one row: expand to two for a uniform softmax
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.asarray([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
        self.coef_, self.intercept_ = coef, intercept
        self.embedder_id_ = emb.model_id
        self.static_weights_id_ = emb.describe().get("static_weights_id") if getattr(emb, "backend", None) == "static" else None
        _, pipe_name = get_nlp(self.spacy_pipeline)
        from .seen import text_hashes

        self.training_hashes_ = text_hashes(texts)
        self.temperature_, self.calibration_method_ = 1.0, "none"
        counts = {c: y.count(c) for c in LABELS}
        self.meta_ = {
            "trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "n_examples": len(y),
            "label_counts": counts,
            "training_data": source,
            "training_data_sha256": hashlib.sha256("\n".join(f"{t}\t{l}" for t, l in zip(texts, y)).encode()).hexdigest(),
            "embedder": portable_embedder_info(emb.describe()),
            "spacy_pipeline": pipe_name,
        }
        return self

    def _check(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("E125", "this OutcomeModel is not fitted yet", fix="call fit() or OutcomeModel.load(path)")

    def predict_proba(self, texts: Sequence[str], *, docs=None, progress: bool = False):
        """Class probabilities, columns in :attr:`classes_` order."""
        import numpy as np

        self._check()
        texts = ["" if t is None else str(t) for t in texts]
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype=np.float32)
        from .calibration import softmax

        z = self.decision_function(texts, docs=docs, progress=progress) / getattr(self, "temperature_", 1.0)
        bias = getattr(self, "class_bias_", None)
        return softmax(z if bias is None else z + np.asarray(bias)).astype(np.float32)

    def decision_function(self, texts: Sequence[str], *, docs=None, progress: bool = False):
        """Logits before calibration, columns in :attr:`classes_` order."""
        self._check()
        x, _ = self._features(["" if t is None else str(t) for t in texts], docs=docs, progress=progress)
        return x @ self.coef_.T + self.intercept_

    def calibrate(self, texts: Sequence[str], labels: Sequence[str], *, method: str = "temperature scaling") -> "OutcomeModel":
        """Fit the temperature on held-out units (ones this model did not train on)."""
        import numpy as np

        from .calibration import fit_temperature

        y = normalise_labels(labels)
        z = self.decision_function(list(texts))
        self.temperature_ = fit_temperature(z, np.asarray([self.classes_.index(l) for l in y]))
        self.calibration_method_ = method
        return self

    def predict(self, texts: Sequence[str], *, docs=None):
        import numpy as np

        p = self.predict_proba(texts, docs=docs)
        return np.asarray(self.classes_, dtype=object)[p.argmax(axis=1)]

    # ------------------------------------------------------------------ persistence (no pickle)
    def save(self, path: str | Path) -> Path:
        """Write ``model.safetensors`` and ``config.json`` to the folder ``path``."""
        import numpy as np
        from safetensors.numpy import save_file

        from .cues import CUE_NAMES
        from .style import STYLE_FEATURES

        self._check()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = {"coef": self.coef_, "intercept": self.intercept_, "style_mean": self.style_mean_,
                   "style_scale": self.style_scale_, "cue_mean": self.cue_mean_, "cue_scale": self.cue_scale_}
        tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
        if getattr(self, "training_hashes_", None) is not None:
            tensors["training_hashes"] = np.asarray(self.training_hashes_, dtype=np.int64)
        save_file(tensors, str(path / "model.safetensors"))
        config = {
            "kind": "jtbd.outcomes",
            "version": 1,
            "params": {"C": self.C, "style_weight": self.style_weight, "cue_weight": self.cue_weight,
                       "spacy_pipeline": self.spacy_pipeline, "seed": self.seed},
            "classes": self.classes_,
            "embedder_id": self.embedder_id_,
            "static_weights_id": getattr(self, "static_weights_id_", None),
            "style_features": list(STYLE_FEATURES),
            "cue_features": list(CUE_NAMES),
            "calibration": {"temperature": float(getattr(self, "temperature_", 1.0)),
                            "class_bias": None if getattr(self, "class_bias_", None) is None else [float(b) for b in self.class_bias_],
                            "method": getattr(self, "calibration_method_", "none")},
            "meta": self.meta_,
        }
        (path / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> "OutcomeModel":
        """Load a saved model (default: the shipped one)."""
        from safetensors.numpy import load_file

        from .cues import CUE_NAMES
        from .style import STYLE_FEATURES

        path = Path(path) if path else default_model_dir()
        cfg_path, weights = path / "config.json", path / "model.safetensors"
        if not cfg_path.exists() or not weights.exists():
            raise ResourceError("E311", f"no outcome model in '{path}' (config.json and model.safetensors expected)",
                                fix="train one with `jtbd train outcomes LABELS.csv --out DIR`, or omit --model for the shipped one")
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        if cfg.get("kind") != "jtbd.outcomes":
            raise ResourceError("E312", f"'{path}' holds a {cfg.get('kind')!r} model, not an outcome model",
                                fix="point --model at a folder written by `jtbd train outcomes`")
        if cfg["style_features"] != list(STYLE_FEATURES) or cfg["cue_features"] != list(CUE_NAMES):
            raise ResourceError("E313", f"the model in '{path}' was trained with other features", fix="retrain it with this version of jtbd")
        model = cls(**cfg["params"])
        t = load_file(str(weights))
        for k in ("coef", "intercept", "style_mean", "style_scale", "cue_mean", "cue_scale"):
            setattr(model, k + "_", t[k])
        model.classes_ = list(cfg["classes"])
        model.embedder_id_ = cfg["embedder_id"]
        model.static_weights_id_ = cfg.get("static_weights_id")
        model.meta_ = cfg.get("meta", {})
        model.training_hashes_ = t.get("training_hashes")
        calibration = cfg.get("calibration") or {}
        model.temperature_ = float(calibration.get("temperature", 1.0))
        model.class_bias_ = calibration.get("class_bias") or None
        model.calibration_method_ = calibration.get("method", "none")
        model.path_ = str(path)
        return model

    def describe(self) -> dict:
        return {"path": getattr(self, "path_", None), "classes": getattr(self, "classes_", None),
                "params": {"C": self.C, "style_weight": self.style_weight, "cue_weight": self.cue_weight,
                           "spacy_pipeline": self.spacy_pipeline},
                "temperature": float(getattr(self, "temperature_", 1.0)),
                "training_data": getattr(self, "meta_", {}).get("training_data"),
                "training_data_sha256": getattr(self, "meta_", {}).get("training_data_sha256")}


def _resolve(model) -> OutcomeModel:
    if isinstance(model, OutcomeModel):
        return model
    return OutcomeModel.load(model)


# --------------------------------------------------------------------------- evaluation


def outcome_scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict:
    """n, accuracy, macro-F1, outcome_f1, enabler_f1, per-class figures and the confusion matrix."""
    import numpy as np
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    yt, yp = np.asarray(list(y_true), dtype=object), np.asarray(list(y_pred), dtype=object)
    labels = list(LABELS)
    p, r, f, s = precision_recall_fscore_support(yt, yp, labels=labels, zero_division=0)
    present = [l for l in labels if (yt == l).any() or (yp == l).any()]
    out_t, out_p = np.isin(yt, ["outcome", "both"]), np.isin(yp, ["outcome", "both"])
    en_t, en_p = np.isin(yt, ["enabler", "both"]), np.isin(yp, ["enabler", "both"])
    return {
        "n": int(len(yt)),
        "accuracy": round(float((yt == yp).mean()) if len(yt) else 0.0, 4),
        "macro_f1": round(float(f1_score(yt, yp, labels=present, average="macro", zero_division=0)), 4),
        "outcome_f1": round(float(f1_score(out_t, out_p, zero_division=0)), 4),
        "enabler_f1": round(float(f1_score(en_t, en_p, zero_division=0)), 4),
        "per_class": {l: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4), "f1": round(float(f[i]), 4),
                          "support": int(s[i])} for i, l in enumerate(labels)},
        "confusion": {"labels": labels, "matrix": confusion_matrix(yt, yp, labels=labels).tolist()},
    }


def evaluate_outcomes(df, *, text_col: str = "sentence", label_col: str = "label", model=None,
                      group_col: str | None = None, skip_seen: bool = True) -> dict:
    """Classify each row as one unit (no further splitting) and score it against ``label_col``.

    Besides the scores: the confusion matrix, the calibration of the ``confidence``
    (expected calibration error and a reliability table), and with ``group_col`` the same
    per group. Rows whose text the model was trained on are left out (``seen_in_training``)
    unless ``skip_seen=False``.
    """
    import numpy as np

    from .calibration import calibration_report
    from .seen import seen_mask

    for col in (text_col, label_col) + ((group_col,) if group_col else ()):
        if col not in df.columns:
            raise UsageError("E210", f"column '{col}' is not in the file (columns: {', '.join(map(str, df.columns))})",
                             fix="name the right one with --text-col / --label-col / --group-col")
    m = _resolve(model)
    texts = df[text_col].fillna("").astype(str).tolist()
    seen = seen_mask(texts, getattr(m, "training_hashes_", None)) if skip_seen else np.zeros(len(texts), dtype=bool)
    if seen.all():
        raise DataError("E128", f"every one of the {len(texts):,} labelled units was in the model's training data",
                        fix="evaluate on units the model was not trained on, or pass --include-trained to score them anyway")
    df = df[~seen]
    texts = [t for t, s in zip(texts, seen) if not s]
    y = np.asarray(normalise_labels(df[label_col].tolist()), dtype=object)
    proba = np.asarray(m.predict_proba(texts), dtype=float)
    pred = np.asarray(m.classes_, dtype=object)[proba.argmax(axis=1)]
    conf = proba.max(axis=1)
    result = outcome_scores(y, pred)
    result["seen_in_training"] = int(seen.sum())
    result["calibration"] = calibration_report(conf, pred == y)
    result["model"] = m.describe()
    if group_col:
        g = df[group_col].astype(str).to_numpy()
        result["groups"] = {}
        for k in sorted(set(g)):
            sel = g == k
            result["groups"][k] = {**outcome_scores(y[sel], pred[sel]),
                                   "ece": calibration_report(conf[sel], pred[sel] == y[sel])["ece"]}
    return result
