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


def domain_of(group: str) -> str:
    if group.startswith("corpus_"):
        return group[len("corpus_"):]
    return {"nhs_fft_phase1": "health", "nhs_fft_v6": "health", "cfpb": "finance"}.get(group, "reviews")


def balanced_weights(df, power=1.0):
    """Within each domain, solicited and unsolicited carry the same total weight: topic alone cannot decide."""
    dom = df.group.map(domain_of)
    cell = dom + ":" + df.solicited.astype(str)
    n_cell = cell.map(cell.value_counts())
    n_dom = dom.map(dom.value_counts())
    labels_in_dom = dom.map(df.groupby(dom).solicited.nunique())
    w = (n_dom / (labels_in_dom * n_cell)) ** power
    return (w / w.mean()).values


def fit(df, C=0.5, w=0.5, weights=None):
    if isinstance(weights, (int, float)):
        weights = balanced_weights(df, power=weights)
    ii = [idx[t] for t in df.text]
    mean, scale = S[ii].mean(0), S[ii].std(0) + 1e-6
    clf = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    clf.fit(feats(df.text, mean, scale, w), df.solicited.values, sample_weight=weights)
    return lambda tx: clf.predict_proba(feats(tx, mean, scale, w))[:, 1]


def _norm(t):
    return " ".join(str(t).split()).lower()


def dev_eval(make, pool):
    """Dev rows whose (normalised) text is in the pool are scored by a model that never saw them (5 folds)."""
    import zlib

    p = np.full(len(dev), np.nan)
    pool_norm = pool.text.map(_norm)
    dev_norm = dev.text.map(_norm)
    in_pool = dev_norm.isin(set(pool_norm)).values
    full = make(pool)
    p[~in_pool] = full(dev.text[~in_pool])
    fold_pool = pool_norm.map(lambda t: zlib.crc32(t.encode()) % 5).values
    fold_dev = dev_norm.map(lambda t: zlib.crc32(t.encode()) % 5).values
    for k in range(5):
        sel = in_pool & (fold_dev == k)
        if sel.any():
            p[sel] = make(pool[fold_pool != k])(dev.text[sel])
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
import os as _o2
if _o2.environ.get("STACK"):
    # a second stage: gradient boosting over the embedding model's out-of-fold logit and the raw style cues
    from sklearn.ensemble import HistGradientBoostingClassifier

    def make_stack(df):
        g = df.group.values
        z = np.zeros(len(df))
        for tr, te in GroupKFold(n_splits=5).split(df, groups=g):
            z[te] = fit(df.iloc[tr])(df.text.iloc[te].values)
        full = fit(df)
        ii = [idx[t] for t in df.text]
        gb = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=15, random_state=0)
        gb.fit(np.column_stack([z, S[ii]]), df.solicited.values)

        def predict(tx):
            jj = [idx[t] for t in tx]
            return gb.predict_proba(np.column_stack([full(tx), S[jj]]))[:, 1]
        return predict
    report("stacked LR + boosted style", dev_eval(make_stack, pool))
if _o2.environ.get("INLP"):
    # iterative nullspace projection: remove the directions that tell health text from the rest, so topic cannot decide
    k = int(_o2.environ["INLP"])
    dom = pool.group.map(domain_of).eq("health").values
    ii = [idx[t] for t in pool.text]
    P = np.eye(V.shape[1], dtype=np.float32)
    for _ in range(k):
        X = V[ii] @ P
        d = LogisticRegression(C=1.0, max_iter=2000).fit(X, dom).coef_[0]
        d = (d / np.linalg.norm(d)).astype(np.float32)
        P = P - np.outer(P @ d, d)
    acc = LogisticRegression(C=1.0, max_iter=2000).fit(V[ii] @ P, dom).score(V[ii] @ P, dom)
    print(f"INLP {k} directions removed; health-vs-rest accuracy left {acc:.3f}", flush=True)
    V = V @ P
GRID = [(float(c), float(w), float(b)) for c, w, b in (x.split(":") for x in _o2.environ.get("GRID", "0.25:0.5:0,0.5:0.5:0,1:0.5:0,2:0.5:0,0.25:1:0").split(","))]
for C, w, bal in GRID:
    make = lambda df, C=C, w=w, bal=bal: fit(df, C=C, w=w, weights=bal if bal else None)
    report(f"pool C={C} w={w} balance={bal}", dev_eval(make, pool))
    if _o2.environ.get("CV"):
        cv_pool(make, pool)
