"""Outcome/enabler experiments on frozen features: grouped CV on the training pool, dev for the final choice.

Run: .venv/bin/python training/exp_outcomes.py
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
import data  # noqa: E402

os.environ.setdefault("JTBD_EMBEDDER", "torch")
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from jtbd.cues import unit_cues  # noqa: E402
from jtbd.embed import get_embedder  # noqa: E402
from jtbd.nlp import get_nlp  # noqa: E402
from jtbd.outcomes import outcome_scores  # noqa: E402
from jtbd.style import style_features  # noqa: E402

CACHE = "/tmp/exp_outcomes_feats.npz"
corpus, real, dev = data.corpus_units(), data.real_units(), data.dev_sentences()
pool = pd.concat([corpus, real], ignore_index=True)
texts = sorted(set(pool.text) | set(dev.sentence))
t0 = time.time()
if os.path.exists(CACHE) and list(np.load(CACHE, allow_pickle=True)["texts"]) == texts:
    z = np.load(CACHE, allow_pickle=True)
    V, S, Cu = z["V"], z["S"], z["C"]
else:
    V = get_embedder().encode(texts, progress=False)
    S = style_features(texts)
    nlp, _ = get_nlp("shipped")
    Cu = unit_cues(texts, nlp=nlp)
    np.savez(CACHE, texts=np.asarray(texts, dtype=object), V=V, S=S, C=Cu)
print(f"features for {len(texts)} texts in {time.time()-t0:.0f}s", flush=True)
idx = {t: i for i, t in enumerate(texts)}


class LR:
    def __init__(self, C=4.0, sw=0.3, cw=0.5, real_w=1.0, balanced=True):
        self.C, self.sw, self.cw, self.real_w, self.balanced = C, sw, cw, real_w, balanced

    def _x(self, tx):
        ii = [idx[t] for t in tx]
        return np.hstack([V[ii], (S[ii] - self.sm) / self.ss * self.sw, (Cu[ii] - self.cm) / self.cs * self.cw])

    def fit(self, df):
        ii = [idx[t] for t in df.text]
        self.sm, self.ss = S[ii].mean(0), S[ii].std(0) + 1e-6
        self.cm, self.cs = Cu[ii].mean(0), Cu[ii].std(0) + 1e-6
        w = np.where(df.source.values == "corpus", 1.0, self.real_w)
        self.clf = LogisticRegression(C=self.C, max_iter=5000, class_weight="balanced" if self.balanced else None)
        self.clf.fit(self._x(df.text), df.label.values, sample_weight=w)
        return self

    def proba(self, tx):
        return self.clf.predict_proba(self._x(tx))


def show(name, y, yp, extra=""):
    r = outcome_scores(y, yp)
    print(f"{name:44s} macro {r['macro_f1']:.4f} out {r['outcome_f1']:.4f} en {r['enabler_f1']:.4f} {extra}", flush=True)
    return r


def grouped_cv(make, df):
    """Leave-one-real-source-out on the real rows (corpus always in training)."""
    preds = np.empty(len(df), dtype=object)
    realmask = df.source.values != "corpus"
    for g in sorted(df.group[realmask].unique()):
        te = (df.group.values == g)
        m = make().fit(df[~te])
        preds[te] = m.clf.classes_[m.proba(df.text[te]).argmax(1)]
    return outcome_scores(df.label[realmask].values, preds[realmask])


if __name__ == "__main__":
    from jtbd.outcomes import OutcomeModel
    shipped = OutcomeModel.load()
    show("shipped (dev)", dev.label.values, shipped.predict(dev.sentence.tolist()))
    configs = [dict(C=C, real_w=rw, sw=sw, cw=cw) for C in (1.0, 4.0) for rw in (1.0, 3.0) for sw, cw in ((0.3, 0.5), (0.5, 1.0))]
    for cfg in configs:
        cv = grouped_cv(lambda: LR(**cfg), pool)
        m = LR(**cfg).fit(pool)
        r = show(f"pool {cfg}", dev.label.values, m.clf.classes_[m.proba(dev.sentence).argmax(1)],
                 extra=f"| CV macro {cv['macro_f1']:.4f} out {cv['outcome_f1']:.4f} en {cv['enabler_f1']:.4f}")
    cv = grouped_cv(lambda: LR(), real)
    m = LR().fit(real)
    show("real only", dev.label.values, m.clf.classes_[m.proba(dev.sentence).argmax(1)], extra=f"| CV macro {cv['macro_f1']:.4f}")
