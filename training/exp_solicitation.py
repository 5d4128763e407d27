"""Solicitation experiments: grouped CV on the training pool; dev figures with out-of-fold scoring.

Run: .venv/bin/python training/exp_solicitation.py [--backend torch]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
import data  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--backend", default="torch")
args = ap.parse_args()
os.environ["JTBD_EMBEDDER"] = args.backend

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from jtbd.embed import get_embedder  # noqa: E402
from jtbd.style import style_features  # noqa: E402

t0 = time.time()
pool = pd.concat([data.corpus_records(), data.nhs_answers(), data.cfpb_narratives(), data.ewt_documents()], ignore_index=True)
dev = data.solicitation_dev()
dev["solicited"] = dev["solicited"].astype(int)
emb = get_embedder()
texts = sorted(set(pool.text) | set(dev.text))
print(f"{len(texts)} distinct texts", flush=True)
V = emb.encode(texts, progress=True)
idx = {t: i for i, t in enumerate(texts)}
S = style_features(texts)
print(f"features in {time.time()-t0:.0f}s", flush=True)


def feats(tx, mean, scale, w):
    ii = [idx[t] for t in tx]
    s = (S[ii] - mean) / scale * w
    return np.hstack([V[ii], s])


def fit(df, C=0.5, w=0.5, weights=None):
    ii = [idx[t] for t in df.text]
    mean, scale = S[ii].mean(0), S[ii].std(0) + 1e-6
    clf = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    clf.fit(feats(df.text, mean, scale, w), df.solicited.values, sample_weight=weights)
    return lambda tx: clf.predict_proba(feats(tx, mean, scale, w))[:, 1]


def dev_eval(make, pool):
    """Dev rows whose text is in the pool are scored by a model that never saw them (5 folds)."""
    p = np.full(len(dev), np.nan)
    in_pool = dev.text.isin(set(pool.text)).values
    full = make(pool)
    p[~in_pool] = full(dev.text[~in_pool])
    real = pool[pool.source != "corpus"].copy()
    folds = {t: hash(t) % 5 for t in real.text}
    for k in range(5):
        held = {t for t, f in folds.items() if f == k}
        m = make(pool[~pool.text.isin(held)])
        sel = dev.text.isin(held).values
        if sel.any():
            p[sel] = m(dev.text[sel])
    assert not np.isnan(p).any()
    return p


def report(name, p, thr=0.5):
    y = dev.solicited.values
    yp = (p >= thr).astype(int)
    health = dev.domain.values == "health"
    out = {"all": f1_score(y, yp, average="macro"), "health": f1_score(y[health], yp[health], average="macro")}
    per = {s: float((yp[dev.source.values == s] == y[dev.source.values == s]).mean()) for s in sorted(dev.source.unique())}
    print(f"{name:40s} all {out['all']:.4f} health {out['health']:.4f} | " + " ".join(f"{k[:10]} {v:.3f}" for k, v in per.items()), flush=True)
    return out


def cv_pool(make, pool):
    g = pool.group.values
    p = np.zeros(len(pool))
    for tr, te in GroupKFold(n_splits=min(6, len(set(g)))).split(pool, groups=g):
        p[te] = make(pool.iloc[tr])(pool.text.iloc[te])
    y = pool.solicited.values
    print(f"   grouped-CV on pool: macro-F1 {f1_score(y, (p >= .5).astype(int), average='macro'):.4f}", flush=True)


import os as _os
if _os.environ.get("BASELINE", "1") == "1":
    from jtbd.solicitation import SolicitationModel
    m = SolicitationModel.load()
    report("shipped", m.predict_proba(dev.text.tolist()))
for C in (0.25, 0.5, 1.0, 2.0):
    for w in (0.5, 1.0):
        make = lambda df, C=C, w=w: fit(df, C=C, w=w)
        report(f"pool C={C} w={w}", dev_eval(make, pool))
corpus_only = pool[pool.source == "corpus"]
report("corpus only C=0.5", dev_eval(lambda df: fit(df[df.source == 'corpus']), pool))
