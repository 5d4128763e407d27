"""Split solicited feedback (answers to a question the company asked) from unsolicited.

Metadata decides first, without reading the text: a channel/source column mapped to
solicited or unsolicited, a question column, a wide survey export, a per-record score
on a survey scale (NPS, CSAT, FFT, Likert). The text model decides the rest, and
everything when ``text_only=True``. The evidence column says which rule fired.

The text model is a logistic regression over the toolkit's sentence embeddings
(:mod:`jtbd.embed`) and style cues (:mod:`jtbd.style`), trained on the project's own
corpus (``corpora/solicitation``); its weights ship as safetensors plus JSON and load
without pickle or network.

Example:
    >>> import pandas as pd, jtbd
    >>> df = pd.DataFrame({"text": ["Nothing.", "@SkyLarkAir where is my bag??"], "channel": ["nps", "twitter"]})
    >>> jtbd.split_solicitation(df)[["solicitation", "solicitation_evidence"]]  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

from .columns import is_question_like
from .backends import compatible, portable_embedder_info
from .errors import DataError, NotFittedError, ResourceError, UsageError

__all__ = [
    "DEFAULT_CHANNEL_MAP", "SolicitationModel", "SolicitationSplitter", "split_solicitation",
    "evaluate_solicitation", "parse_solicited_labels", "default_model_dir", "channel_decision", "evidence_rule",
]

LABELS = ("unsolicited", "solicited")

#: Channel words -> side. A channel value is split into words and matched against these.
DEFAULT_CHANNEL_MAP: dict[str, tuple[str, ...]] = {
    "solicited": (
        "survey", "surveys", "nps", "csat", "ces", "fft", "questionnaire", "poll", "pulse", "evaluation", "evaluations",
        "eval", "evals", "course_eval", "module_evaluation", "engagement", "interview", "focus group", "comment card",
        "post-call", "post call", "post-visit", "relationship survey", "transactional survey", "feedback form", "exit survey",
    ),
    "unsolicited": (
        "review", "reviews", "app_review", "app review", "app store", "play store", "tweet", "tweets", "twitter", "x.com",
        "social", "facebook", "instagram", "tiktok", "linkedin", "reddit", "forum", "community", "complaint", "complaints",
        "ticket", "tickets", "support", "chat", "live chat", "email", "e-mail", "mail", "letter", "phone", "call",
        "story", "stories", "story site", "blog", "trustpilot", "tripadvisor", "yelp", "google reviews", "web form",
        "contact form", "helpdesk", "help desk", "ombudsman", "regulator", "postal mail",
    ),
}
SURVEY_SCALES = {"nps", "fft", "csat", "likert"}


def _channel_words(value: str) -> list[str]:
    v = value.lower().strip()
    tokens = re.split(r"[^a-z0-9.\-]+", v.replace("_", " "))
    words = [t for t in tokens if t]
    return [v, v.replace("_", " ")] + words + [" ".join(words[i:i + 2]) for i in range(len(words) - 1)]


def channel_decision(value: Any, mapping: Mapping[str, Sequence[str]] | None = None) -> str | None:
    """``"solicited"``, ``"unsolicited"`` or ``None`` (not in the mapping) for a channel value.

    Solicited words win over unsolicited ones ("survey email" is a survey).
    """
    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return None
    mapping = mapping or DEFAULT_CHANNEL_MAP
    words = set(_channel_words(str(value)))
    sol = {w.lower() for w in mapping.get("solicited", ())}
    uns = {w.lower() for w in mapping.get("unsolicited", ())}
    if words & sol:
        return "solicited"
    if words & uns:
        return "unsolicited"
    return None


def parse_solicited_labels(values) -> list[int]:
    """Labels as 1 (solicited) / 0 (unsolicited) from 1/0, true/false, yes/no or the words.

    Raises:
        DataError: a value that is none of those (the message lists a few).
    """
    out, bad = [], []
    for v in values:
        s = str(v).strip().lower()
        if s in ("1", "1.0", "true", "yes", "y", "solicited", "s"):
            out.append(1)
        elif s in ("0", "0.0", "false", "no", "n", "unsolicited", "u"):
            out.append(0)
        else:
            bad.append(str(v))
    if bad:
        raise DataError("E120", f"{len(bad)} labels are not solicited/unsolicited (e.g. {', '.join(repr(b) for b in bad[:3])})",
                        fix="use 1/0, true/false or solicited/unsolicited in the label column")
    return out


def default_model_dir() -> Path:
    """Folder of the shipped solicitation model for the active embedding backend (see :func:`jtbd.backends.shipped_model_dir`)."""
    from .backends import shipped_model_dir

    return shipped_model_dir("solicitation")


class SolicitationModel:
    """Text-only classifier: P(solicited) from sentence embeddings and style cues.

    Args:
        C: Inverse regularisation strength of the logistic regression.
        use_style: Add the style cues of :mod:`jtbd.style` to the embeddings.
        style_weight: Scale applied to the standardised style cues.
        seed: Random seed (the solver is deterministic; recorded for provenance).

    Fitted attributes end in ``_``: ``coef_``, ``intercept_``, ``style_mean_``,
    ``style_scale_``, ``embedder_id_``, ``meta_``.
    """

    def __init__(self, *, C: float = 0.5, use_style: bool = True, style_weight: float = 0.5, seed: int = 42) -> None:
        self.C = C
        self.use_style = use_style
        self.style_weight = style_weight
        self.seed = seed

    # features
    def _features(self, texts: Sequence[str], *, fit: bool = False, progress: bool = False):
        import numpy as np

        from .embed import get_embedder

        emb = get_embedder()
        if not fit and getattr(self, "embedder_id_", None) and not compatible(self.embedder_id_, emb.model_id):
            raise ResourceError("E305", f"the solicitation model was trained on {self.embedder_id_} vectors, not {emb.model_id}",
                                fix="use a compatible --embedder (torch, onnx, onnx-int8 share one vector space; static is another), or retrain it with `jtbd train solicitation` under this one")
        if not fit:
            from .backends import check_static_weights

            check_static_weights(getattr(self, "static_weights_id_", None), "solicitation model")
        x = emb.encode(list(texts), progress=progress)
        if not self.use_style:
            return x, emb
        from .style import style_features

        s = style_features(list(texts))
        if fit:
            self.style_mean_ = s.mean(axis=0)
            self.style_scale_ = s.std(axis=0) + 1e-6
        s = (s - self.style_mean_) / self.style_scale_ * self.style_weight
        return np.hstack([x, s.astype(np.float32)]), emb

    def fit(self, texts: Sequence[str], labels: Sequence[int], *, source: str | None = None) -> "SolicitationModel":
        """Train on texts and 1/0 labels (1 = solicited)."""
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        texts = [str(t) for t in texts]
        y = np.asarray(labels, dtype=int)
        if len(set(y.tolist())) < 2:
            raise DataError("E121", "training labels hold only one class", fix="give examples of both solicited and unsolicited feedback")
        x, emb = self._features(texts, fit=True)
        clf = LogisticRegression(C=self.C, max_iter=5000, class_weight="balanced", random_state=self.seed)
        clf.fit(x, y)
        self.coef_ = clf.coef_[0].astype(np.float32)
        self.intercept_ = float(clf.intercept_[0])
        self.embedder_id_ = emb.model_id
        self.static_weights_id_ = emb.describe().get("static_weights_id") if getattr(emb, "backend", None) == "static" else None
        from .seen import text_hashes

        self.training_hashes_ = text_hashes(texts)
        self.temperature_, self.calibration_method_ = 1.0, "none"
        self.meta_ = {
            "trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "n_examples": int(len(y)),
            "n_solicited": int(y.sum()),
            "training_data": source,
            "training_data_sha256": hashlib.sha256("\n".join(f"{t}\t{l}" for t, l in zip(texts, y)).encode()).hexdigest(),
            "embedder": portable_embedder_info(emb.describe()),
        }
        return self

    def _check(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("E122", "this SolicitationModel is not fitted yet", fix="call fit() or SolicitationModel.load(path)")

    def decision_function(self, texts: Sequence[str], *, progress: bool = False):
        self._check()
        x, _ = self._features([str(t) for t in texts], progress=progress)
        return x @ self.coef_ + self.intercept_

    def predict_proba(self, texts: Sequence[str], *, progress: bool = False):
        """P(solicited) for each text (``progress`` shows a bar on stderr while embedding)."""
        import numpy as np

        z = self.decision_function(texts, progress=progress) / getattr(self, "temperature_", 1.0)
        return 1.0 / (1.0 + np.exp(-z))

    def predict(self, texts: Sequence[str]):
        """1 (solicited) or 0 (unsolicited) for each text."""
        return (self.predict_proba(texts) >= 0.5).astype(int)

    # persistence: safetensors + JSON, no pickle
    def save(self, path: str | Path) -> Path:
        """Write ``model.safetensors`` and ``config.json`` to the folder ``path``."""
        import numpy as np
        from safetensors.numpy import save_file

        self._check()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = {"coef": np.asarray(self.coef_, dtype=np.float32), "intercept": np.asarray([self.intercept_], dtype=np.float32)}
        if self.use_style:
            tensors["style_mean"] = np.asarray(self.style_mean_, dtype=np.float32)
            tensors["style_scale"] = np.asarray(self.style_scale_, dtype=np.float32)
        if getattr(self, "training_hashes_", None) is not None:
            tensors["training_hashes"] = np.asarray(self.training_hashes_, dtype=np.int64)
        save_file(tensors, str(path / "model.safetensors"))
        from .style import STYLE_FEATURES

        config = {
            "kind": "jtbd.solicitation",
            "version": 1,
            "params": {"C": self.C, "use_style": self.use_style, "style_weight": self.style_weight, "seed": self.seed},
            "labels": {"0": "unsolicited", "1": "solicited"},
            "embedder_id": self.embedder_id_,
            "static_weights_id": getattr(self, "static_weights_id_", None),
            "style_features": list(STYLE_FEATURES) if self.use_style else [],
            "calibration": {"temperature": float(getattr(self, "temperature_", 1.0)),
                            "method": getattr(self, "calibration_method_", "none")},
            "meta": self.meta_,
        }
        (path / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> "SolicitationModel":
        """Load a saved model (default: the shipped one)."""
        from safetensors.numpy import load_file

        path = Path(path) if path else default_model_dir()
        cfg_path, weights = path / "config.json", path / "model.safetensors"
        if not cfg_path.exists() or not weights.exists():
            raise ResourceError("E306", f"no solicitation model in '{path}' (config.json and model.safetensors expected)",
                                fix="train one with `jtbd train solicitation LABELS.csv --out DIR`, or omit --model for the shipped one")
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        if cfg.get("kind") != "jtbd.solicitation":
            raise ResourceError("E307", f"'{path}' holds a {cfg.get('kind')!r} model, not a solicitation model", fix="point --model at a solicitation model folder")
        from .style import STYLE_FEATURES

        if cfg["params"]["use_style"] and cfg["style_features"] != list(STYLE_FEATURES):
            raise ResourceError("E308", f"the model in '{path}' was trained with other style features", fix="retrain it with this version of jtbd")
        model = cls(**cfg["params"])
        t = load_file(str(weights))
        model.coef_ = t["coef"]
        model.intercept_ = float(t["intercept"][0])
        model.training_hashes_ = t.get("training_hashes")
        if model.use_style:
            model.style_mean_, model.style_scale_ = t["style_mean"], t["style_scale"]
        model.embedder_id_ = cfg["embedder_id"]
        model.static_weights_id_ = cfg.get("static_weights_id")
        model.meta_ = cfg.get("meta", {})
        calibration = cfg.get("calibration") or {}
        model.temperature_ = float(calibration.get("temperature", 1.0))
        model.calibration_method_ = calibration.get("method", "none")
        model.path_ = str(path)
        return model

    def describe(self) -> dict:
        """Path, parameters, calibration and training data of this model (for manifests and evaluations)."""
        meta = getattr(self, "meta_", {})
        return {"path": getattr(self, "path_", None), "params": {"C": self.C, "use_style": self.use_style, "style_weight": self.style_weight},
                "temperature": float(getattr(self, "temperature_", 1.0)),
                "training_data": meta.get("training_data"), "training_data_sha256": meta.get("training_data_sha256")}

    def calibrate(self, texts: Sequence[str], labels: Sequence[int], *, method: str = "temperature scaling") -> "SolicitationModel":
        """Fit the temperature on held-out texts (predictions this model did not train on)."""
        import numpy as np

        from .calibration import fit_temperature

        self._check()
        self.temperature_ = 1.0
        z = np.asarray(self.decision_function(list(texts)), dtype=float)
        self.temperature_ = fit_temperature(np.stack([np.zeros_like(z), z], axis=1), np.asarray(labels, dtype=int))
        self.calibration_method_ = method
        return self


# --------------------------------------------------------------------------- the component


class SolicitationSplitter:
    """Adds ``solicitation``, ``solicitation_confidence``, ``solicitation_evidence`` and ``language``.

    Args:
        model: A :class:`SolicitationModel`, a folder holding one, or ``None`` for the shipped one.
        channel_map: ``{"solicited": [...], "unsolicited": [...]}`` channel words; default :data:`DEFAULT_CHANNEL_MAP`.
        text_only: Ignore metadata; the text model decides every record.
        text_col: Column holding the text.
        score_scale: The score column's scale as found by the loader (its ``kind`` decides whether a score means a survey).
        layout: ``"wide"`` when the records were melted from a wide survey export.
    """

    def __init__(self, *, model: SolicitationModel | str | Path | None = None, channel_map: Mapping[str, Sequence[str]] | None = None,
                 text_only: bool = False, text_col: str = "text", score_scale: dict | None = None, layout: str | None = None) -> None:
        self.model = model
        self.channel_map = channel_map
        self.text_only = text_only
        self.text_col = text_col
        self.score_scale = score_scale
        self.layout = layout

    def _model(self) -> SolicitationModel:
        if isinstance(self.model, SolicitationModel):
            return self.model
        self.model = SolicitationModel.load(self.model)
        return self.model

    def fit(self, df, y=None, *, label_col: str = "solicited") -> "SolicitationSplitter":
        """Train the text model on ``df[text_col]`` and labels (``y`` or ``df[label_col]``)."""
        labels = parse_solicited_labels(y if y is not None else df[label_col])
        self.model = SolicitationModel().fit(df[self.text_col].astype(str).tolist(), labels)
        return self

    def _metadata(self, df) -> tuple[list[str | None], list[str]]:
        n = len(df)
        decision: list[str | None] = [None] * n
        evidence = [""] * n
        if self.text_only:
            return decision, ["text_only requested"] * n
        has_channel = "channel" in df.columns
        channels = df["channel"].tolist() if has_channel else [None] * n
        questions = df["question"].tolist() if "question" in df.columns else [None] * n
        scores = df["score"].tolist() if "score" in df.columns else [None] * n
        scale_kind = (self.score_scale or {}).get("kind")
        for i in range(n):
            ch = channels[i]
            side = channel_decision(ch, self.channel_map)
            if side:
                decision[i], evidence[i] = side, f"channel '{ch}' -> {side}"
                continue
            q = questions[i]
            if isinstance(q, str) and q.strip():
                q = " ".join(q.split())
                if is_question_like(q) or self.layout == "wide":
                    decision[i], evidence[i] = "solicited", f"answers a question: '{q.strip()[:80]}'"
                    continue
                # a code such as "Trust A - Q1" names a source, not the question asked
                evidence[i] = f"question column holds '{q.strip()[:40]}', not a question"
            if self.layout == "wide":
                decision[i], evidence[i] = "solicited", "answer in a wide survey export"
                continue
            sc = scores[i]
            if scale_kind in SURVEY_SCALES and isinstance(sc, (int, float)) and sc == sc:  # not None, NaN or pd.NA
                decision[i], evidence[i] = "solicited", f"per-record {scale_kind} score"
                continue
            if has_channel and isinstance(ch, str) and ch.strip():  # an empty cell is pd.NA
                evidence[i] = "; ".join(e for e in (f"channel '{ch}' not in the mapping", evidence[i]) if e)
        return decision, evidence

    def transform(self, df, *, progress: bool = False):
        """A copy of ``df`` with the solicitation and language columns added."""
        import numpy as np

        from .language import detect_languages

        out = df.copy()
        if self.text_col not in out.columns:
            raise UsageError("E212", f"no '{self.text_col}' column in the records", fix="load the dump with jtbd.load_feedback first, or pass text_col=")
        texts = out[self.text_col].fillna("").astype(str).tolist()
        langs = detect_languages(texts)
        decision, evidence = self._metadata(out)
        conf = [1.0 if d else np.nan for d in decision]
        todo = [i for i, d in enumerate(decision) if d is None]
        empty = [i for i in todo if not texts[i].strip()]
        for i in empty:
            decision[i], conf[i] = None, np.nan
            evidence[i] = "empty text: no decision"
        todo = [i for i in todo if texts[i].strip()]
        if todo:
            model = self._model()
            proba = model.predict_proba([texts[i] for i in todo], progress=progress)
            for i, p in zip(todo, proba):
                side = "solicited" if p >= 0.5 else "unsolicited"
                decision[i] = side
                conf[i] = float(max(p, 1 - p))
                why = "text model" + (f" ({evidence[i]})" if evidence[i] else "")
                lang = langs[i][0]
                if lang not in ("en", "und"):
                    why += f"; language '{lang}' is not English: low reliability"
                evidence[i] = why
        out["solicitation"] = decision
        out["solicitation_confidence"] = conf
        out["solicitation_evidence"] = evidence
        out["language"] = [lang for lang, _ in langs]
        out["language_flag"] = [lang not in ("en", "und") for lang, _ in langs]
        return out

    def predict(self, df):
        """The ``solicitation`` column alone."""
        return self.transform(df)["solicitation"]

    def describe(self) -> dict:
        """What the manifest records."""
        model = self._model() if not self.text_only or self.model is not None else None
        return {
            "text_only": self.text_only,
            "model": getattr(model, "path_", "in-memory") if model else None,
            "model_meta": getattr(model, "meta_", {}) if model else {},
            "channel_map": {k: list(v) for k, v in (self.channel_map or DEFAULT_CHANNEL_MAP).items()},
        }


def evidence_rule(evidence: str) -> str:
    """The kind of rule behind an evidence string (for summaries)."""
    if not isinstance(evidence, str) or not evidence:
        return "none"
    for prefix, kind in (("channel", "channel mapping"), ("answers a question", "question column"),
                         ("answer in a wide", "wide survey export"), ("per-record", "survey score"),
                         ("text_only", "text model"), ("text model", "text model"), ("empty text", "empty text")):
        if evidence.startswith(prefix):
            return kind
    return "other"


def split_solicitation(records, *, model=None, text_only: bool = False, channel_map=None, text_col: str = "text",
                       score_scale: dict | None = None, layout: str | None = None):
    """Add ``solicitation``, ``solicitation_confidence``, ``solicitation_evidence``, ``language`` columns.

    Args:
        records: Records as returned by :func:`jtbd.load_feedback` (``.records``), or any
            DataFrame with a text column.
        model: A :class:`SolicitationModel` or a folder holding one; default the shipped model.
        text_only: Let the text model decide every record, ignoring metadata.
        channel_map: Channel words for each side (see :data:`DEFAULT_CHANNEL_MAP`).
        text_col: Column holding the text.
        score_scale, layout: From the loader's info, so a survey score or a wide export counts as evidence.

    Returns:
        A new DataFrame; the input is not modified.
    """
    return SolicitationSplitter(model=model, channel_map=channel_map, text_only=text_only, text_col=text_col,
                                score_scale=score_scale, layout=layout).transform(records)


# --------------------------------------------------------------------------- evaluation


def _scores(y_true: list[int], y_pred: list[int]) -> dict:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=[1, 0], zero_division=0)
    return {
        "n": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=[1, 0], average="macro", zero_division=0)), 4),
        "per_class": {
            name: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4), "f1": round(float(f[i]), 4), "support": int(s[i])}
            for i, name in enumerate(("solicited", "unsolicited"))
        },
        "confusion": {"labels": ["solicited", "unsolicited"], "matrix": confusion_matrix(y_true, y_pred, labels=[1, 0]).tolist(),
                      "rows": "true", "columns": "predicted"},
    }


def evaluate_solicitation(df, *, text_col: str = "text", label_col: str = "solicited", group_col: str | None = None,
                          model=None, versus_opposite: bool = False, skip_seen: bool = True) -> dict:
    """Text-only predictions against labels: n, accuracy, macro-F1, per-class figures, confusion, calibration.

    Rows whose text the model was trained on are left out (``seen_in_training`` counts
    them) unless ``skip_seen=False``: a record must never score itself.

    Args:
        df: Labelled records.
        text_col, label_col: Columns of text and labels (1/0 or solicited/unsolicited).
        group_col: Also report the figures per value of this column under ``groups``.
        model: A :class:`SolicitationModel` or folder; default the shipped one.
        versus_opposite: With ``group_col``, also report each group taken together with
            every record of the opposite class (``groups_vs_opposite``).
    """
    for col in (text_col, label_col) + ((group_col,) if group_col else ()):
        if col not in df.columns:
            raise UsageError("E213", f"column '{col}' not found (columns: {', '.join(map(str, df.columns[:20]))})", fix="pass the right --text-col/--label-col/--group-col")
    import numpy as np

    from .calibration import calibration_report
    from .seen import seen_mask

    mdl = model if isinstance(model, SolicitationModel) else SolicitationModel.load(model)
    texts = df[text_col].fillna("").astype(str).tolist()
    seen = seen_mask(texts, getattr(mdl, "training_hashes_", None)) if skip_seen else np.zeros(len(texts), dtype=bool)
    if seen.all():
        raise DataError("E127", f"every one of the {len(texts):,} labelled records was in the model's training data",
                        fix="evaluate on records the model was not trained on, or pass --include-trained to score them anyway")
    df = df[~seen]
    y = parse_solicited_labels(df[label_col])
    texts = [t for t, s in zip(texts, seen) if not s]
    proba = np.asarray(mdl.predict_proba(texts), dtype=float)
    pred = (proba >= 0.5).astype(int).tolist()
    result = _scores(y, pred)
    result["seen_in_training"] = int(seen.sum())
    result["calibration"] = calibration_report(np.maximum(proba, 1 - proba), np.asarray(pred) == np.asarray(y))
    result["model"] = mdl.describe()
    if group_col:
        groups = df[group_col].astype(str).tolist()
        result["groups"] = {}
        for g in sorted(set(groups)):
            idx = [i for i, v in enumerate(groups) if v == g]
            result["groups"][g] = _scores([y[i] for i in idx], [pred[i] for i in idx])
        if versus_opposite:
            result["groups_vs_opposite"] = {}
            for g in sorted(set(groups)):
                idx = [i for i, v in enumerate(groups) if v == g]
                classes = {y[i] for i in idx}
                if len(classes) != 1:
                    continue
                c = classes.pop()
                other = [i for i in range(len(y)) if y[i] != c]
                sel = idx + other
                result["groups_vs_opposite"][g] = _scores([y[i] for i in sel], [pred[i] for i in sel])
    return result
