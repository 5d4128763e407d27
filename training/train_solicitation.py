"""Train the shipped solicitation model on the corpus plus the permissive real sources, calibrate it, write its card.

    .venv/bin/python training/train_solicitation.py                      # -> jtbd/data/solicitation (torch vectors)
    .venv/bin/python training/train_solicitation.py --backend static    # -> jtbd/data/solicitation-static

Training data (all read at run time; no text is copied into the repository):
corpora/solicitation/examples.csv (written for the project), NHS FFT answers from
nhs_fft_phase1_dev.csv and nhs_fft_v6_dev.csv (solicited; MIT), CFPB complaint narratives
from cfpb_complaints_dev.csv (unsolicited; US public domain), and the review and answer
documents of UD English EWT, all splits (unsolicited; CC BY-SA 4.0).

Figures written into MODEL_CARD.md and training.json beside the weights:
- grouped cross-validation on the training pool (folds = sources / corpus domains);
- solicitation_dev.csv, where rows whose text is in the training pool (the NHS and CFPB
  records) are scored by a model trained without them (5 folds), so no record scores itself;
- calibration: the temperature is fitted on the grouped-CV out-of-fold logits; the
  expected calibration error is then measured on the dev file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
import data  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--backend", default="torch", choices=["torch", "static"])
ap.add_argument("--C", type=float, default=0.5)
ap.add_argument("--style-weight", type=float, default=0.5)
ap.add_argument("--out", default=None)
args = ap.parse_args()
os.environ["JTBD_EMBEDDER"] = args.backend

from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from jtbd.calibration import calibration_report, fit_temperature  # noqa: E402
from jtbd.solicitation import SolicitationModel  # noqa: E402

out = Path(args.out or data.ROOT / "jtbd" / "data" / ("solicitation" + ("-static" if args.backend == "static" else "")))
t0 = time.time()
parts = {"corpus": data.corpus_records(), "nhs": data.nhs_answers(), "cfpb": data.cfpb_narratives(), "ewt": data.ewt_documents()}
pool = pd.concat(parts.values(), ignore_index=True).drop_duplicates("text").reset_index(drop=True)
dev = data.solicitation_dev()
dev["solicited"] = dev["solicited"].astype(int)


def make(df):
    return SolicitationModel(C=args.C, style_weight=args.style_weight).fit(df.text.tolist(), df.solicited.tolist())


def scores(y, p):
    y, yp = np.asarray(y), (np.asarray(p) >= 0.5).astype(int)
    return {"n": int(len(y)), "macro_f1": round(float(f1_score(y, yp, average="macro", labels=[0, 1], zero_division=0)), 4),
            "accuracy": round(float((y == yp).mean()), 4)}


# 1. grouped CV on the pool -> out-of-fold logits -> temperature
groups = pool.group.values
oof = np.zeros(len(pool))
for tr, te in GroupKFold(n_splits=6).split(pool, groups=groups):
    m = make(pool.iloc[tr])
    oof[te] = m.decision_function(pool.text.iloc[te].tolist())
temperature = fit_temperature(np.stack([np.zeros_like(oof), oof], 1), pool.solicited.values)
cv = {"all": scores(pool.solicited, 1 / (1 + np.exp(-oof))),
      "by_group": {g: scores(pool.solicited[groups == g], 1 / (1 + np.exp(-oof[groups == g]))) for g in sorted(set(groups))}}
print(f"grouped CV macro-F1 {cv['all']['macro_f1']:.4f}; temperature {temperature:.3f} ({time.time() - t0:.0f}s)", flush=True)

# 2. the shipped model
model = make(pool)
model.temperature_, model.calibration_method_ = temperature, "temperature scaling on grouped-CV out-of-fold logits"
sources = ("corpora/solicitation/examples.csv + ../shared/datasets: nhs_fft_phase1_dev.csv, nhs_fft_v6_dev.csv (answers), "
           "cfpb_complaints_dev.csv (narratives), ud_english_ewt/*.conllu (reviews and answers documents)")
model.meta_["training_data"] = sources
model.meta_["training_sources"] = {g: int(n) for g, n in pool.group.map(lambda g: g if not g.startswith("corpus_") else "corpus").value_counts().items()}


# 3. dev figures, out of fold for rows the pool holds
def norm(t):
    return " ".join(str(t).split()).lower()


pool_norm, dev_norm = pool.text.map(norm), dev.text.map(norm)
in_pool = dev_norm.isin(set(pool_norm)).values
fold_pool = pool_norm.map(lambda t: zlib.crc32(t.encode()) % 5).values
fold_dev = dev_norm.map(lambda t: zlib.crc32(t.encode()) % 5).values
p = np.full(len(dev), np.nan)
p[~in_pool] = model.predict_proba(dev.text[~in_pool].tolist())
for k in range(5):
    sel = in_pool & (fold_dev == k)
    if sel.any():
        mk = make(pool[fold_pool != k])
        mk.temperature_ = temperature
        p[sel] = mk.predict_proba(dev.text[sel].tolist())
y = dev.solicited.values
pred = (p >= 0.5).astype(int)
health = dev.domain.values == "health"
dev_fig = {"all": scores(y, p), "health": scores(y[health], p[health]),
           "by_source": {s: scores(y[dev.source.values == s], p[dev.source.values == s]) for s in sorted(dev.source.unique())},
           "scored_out_of_fold": int(in_pool.sum()),
           "calibration": calibration_report(np.maximum(p, 1 - p), pred == y)}
print(json.dumps({k: v for k, v in dev_fig.items() if k != "calibration"}, indent=1), flush=True)
print(f"dev ECE {dev_fig['calibration']['ece']:.4f}", flush=True)

model.save(out)
(out / "training.json").write_text(json.dumps({"command": " ".join(["python", "training/train_solicitation.py", *sys.argv[1:]]),
                                               "params": {"C": args.C, "style_weight": args.style_weight, "backend": args.backend},
                                               "pool": model.meta_["training_sources"], "temperature": temperature,
                                               "grouped_cv": cv, "dev": dev_fig}, indent=1) + "\n", encoding="utf-8")


def row(name, s, one_class=False):
    return f"| {name} | {s['n']:,} | {'–' if one_class else format(s['macro_f1'], '.3f')} | {s['accuracy']:.3f} |"


card = f"""# Model card: solicitation text model ({'static vectors' if args.backend == 'static' else 'MiniLM vectors'})

Tells a record that **answers a question the organisation asked** (solicited: survey open-ends,
NPS/CSAT/FFT verbatims) from one the customer **volunteered** (unsolicited: reviews, tweets,
complaints, patient stories). jtbd uses it only where metadata (channel, question, score,
survey layout) does not decide. A logistic regression over the record's
{'static (Model2Vec, distilled locally from MiniLM)' if args.backend == 'static' else 'all-MiniLM-L6-v2'} sentence vector and
{len(model.style_mean_)} style cues (`jtbd/style.py`), temperature-scaled (T = {temperature:.3f}).

Rebuild: `python training/train_solicitation.py{' --backend static' if args.backend == 'static' else ''}` (reads `../shared/datasets`).

## Training data ({len(pool):,} records)

| source | records | label | licence |
|---|---:|---|---|
| `corpora/solicitation` (written for jtbd) | {int((pool.source == 'corpus').sum()):,} | both | CC0 / MIT |
| NHS Friends and Family Test answers (`nhs_fft_phase1_dev.csv`, `nhs_fft_v6_dev.csv`) | {int(pool.group.isin(['nhs_fft_phase1', 'nhs_fft_v6']).sum()):,} | solicited | MIT (pxtextmining) |
| CFPB complaint narratives (`cfpb_complaints_dev.csv`) | {int((pool.group == 'cfpb').sum()):,} | unsolicited | US public domain |
| UD English EWT review and answer documents (all splits) | {int(pool.group.str.startswith('ewt').sum()):,} | unsolicited | CC BY-SA 4.0 |

**Licence of these weights:** because they were trained on UD English EWT text, they are a
derived work under CC BY-SA 4.0 (attribution: Universal Dependencies English Web Treebank,
Silveira et al. 2014, and the UD contributors). Never trained on Care Opinion, airline tweets,
app reviews, course evaluations or hotel reviews.

## Figures

Grouped cross-validation on the training pool (6 folds by source / corpus domain): macro-F1 **{cv['all']['macro_f1']:.3f}**.

`solicitation_dev.csv`, text only ({dev_fig['scored_out_of_fold']:,} rows whose text is in the
training pool scored by models trained without them):

| slice | n | macro-F1 | accuracy |
|---|---:|---:|---:|
{row('all', dev_fig['all'])}
{row('health (NHS answers vs patient stories)', dev_fig['health'])}
""" + "\n".join(row(s, v, one_class=True) for s, v in dev_fig["by_source"].items()) + f"""

(Each source holds one class, so per source only accuracy means something.)

Calibration on the dev file: expected calibration error **{dev_fig['calibration']['ece']:.3f}** (10 bins).

| confidence | n | mean confidence | accuracy |
|---|---:|---:|---:|
""" + "\n".join(f"| {r['lower']:.1f}–{r['upper']:.1f} | {r['n']:,} | {r['confidence']:.3f} | {r['accuracy']:.3f} |"
                for r in dev_fig["calibration"]["reliability"]) + """

## Known weaknesses
- Patient stories posted on a feedback site (Care Opinion) are the hard case: the only real
  health text it trained on is solicited (NHS FFT answers), so long, warm, narrative health
  stories are often taken for survey answers; the corpus's hand-written stories carry the
  unsolicited side of health alone. Give such dumps a channel column and metadata decides.
- App-store reviews written like short survey answers ("Great app, easy to use") are the
  other common miss.
- English only: records in other languages are flagged by the language check.
"""
(out / "MODEL_CARD.md").write_text(card, encoding="utf-8")
print(f"wrote {out} ({time.time() - t0:.0f}s)")
