"""Train the shipped outcome/enabler unit classifier, calibrate it, write its card.

    .venv/bin/python training/train_outcomes.py                      # -> jtbd/data/outcomes (MiniLM vectors)
    .venv/bin/python training/train_outcomes.py --backend static    # -> jtbd/data/outcomes-static

Training data, read at run time (no text is copied into the repository): the project's
units (corpora/outcomes/part_*/units.csv) and the 1,400 real labelled sentences of
../shared/datasets/sentences_train.csv (EWT reviews and answers: CC BY-SA 4.0; NHS FFT: MIT;
CFPB: public domain).

Figures written to MODEL_CARD.md and training.json beside the weights:
- leave-one-source-out cross-validation over the real sources (the corpus always trains);
- the calibration (a temperature, and per-class offsets for the class mix), fitted on those out-of-fold logits;
- sentences_dev.csv (never trained on), with per-source figures and calibration.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
import data  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--backend", default="torch", choices=["torch", "static"])
ap.add_argument("--C", type=float, default=1.0)
ap.add_argument("--style-weight", type=float, default=0.3)
ap.add_argument("--cue-weight", type=float, default=0.5)
ap.add_argument("--corpus-only", action="store_true", help="train on the project corpus alone (the real rows only score)")
ap.add_argument("--calibration", choices=["temperature", "temperature+bias", "temperature+macro-f1"], default="temperature+macro-f1",
                help="on the real sources' out-of-fold logits: a temperature; or a temperature and per-class offsets fitted for "
                     "log-loss (prior shift); or a temperature and per-class offsets chosen for macro-F1")
ap.add_argument("--out", default=None)
args = ap.parse_args()
os.environ["JTBD_EMBEDDER"] = args.backend

from jtbd.calibration import calibration_report, fit_temperature, fit_temperature_and_bias  # noqa: E402
from jtbd.outcomes import OutcomeModel, outcome_scores  # noqa: E402

out = Path(args.out or data.ROOT / "jtbd" / "data" / ("outcomes" + ("-static" if args.backend == "static" else "")))
t0 = time.time()
corpus, real, dev = data.corpus_units(), data.real_units(), data.dev_sentences()
pool = pd.concat([corpus, real], ignore_index=True)


def make(df):
    return OutcomeModel(C=args.C, style_weight=args.style_weight, cue_weight=args.cue_weight).fit(df.text.tolist(), df.label.tolist())


def slim(r):
    return {k: r[k] for k in ("n", "accuracy", "macro_f1", "outcome_f1", "enabler_f1")}


# 1. leave one real source out (the corpus always trains) -> out-of-fold logits -> temperature
logits, labels, groups = [], [], []
for g in sorted(real.group.unique()):
    train = corpus if args.corpus_only else pd.concat([corpus, real[real.group != g]], ignore_index=True)
    m = make(train)
    held = real[real.group == g]
    logits.append(m.decision_function(held.text.tolist()))
    labels += held.label.tolist()
    groups += [g] * len(held)
    classes = m.classes_
z = np.vstack(logits)
y_idx = np.asarray([classes.index(l) for l in labels])
pred_cv = np.asarray(classes, dtype=object)[z.argmax(1)]
groups = np.asarray(groups)
# calibrated on the real sources' out-of-fold logits: real feedback is what the model meets (the corpus's class mix
# and style are not); with "temperature+bias" a per-class offset also corrects the corpus's class mix (prior shift)
if args.calibration == "temperature":
    temperature, class_bias = fit_temperature(z, y_idx), None
elif args.calibration == "temperature+bias":
    temperature, class_bias = fit_temperature_and_bias(z, y_idx)
else:
    # offsets chosen for macro-F1 by coordinate search on the held-out-source logits (the corpus's class mix is not
    # real feedback's, and macro-F1 weighs the rare classes as much as enablers); the temperature is then fitted
    # for log-loss with those offsets in place
    t0_ = fit_temperature(z, y_idx)
    zs = z / t0_
    class_bias, best = np.zeros(len(classes), dtype=np.float32), outcome_scores(labels, np.asarray(classes, dtype=object)[zs.argmax(1)])["macro_f1"]
    for _ in range(3):
        for j in range(1, len(classes)):
            for d in np.linspace(-2, 2, 41):
                b = class_bias.copy()
                b[j] = d
                f = outcome_scores(labels, np.asarray(classes, dtype=object)[(zs + b).argmax(1)])["macro_f1"]
                if f > best + 1e-9:
                    best, class_bias = f, b
    # decisions fixed: softmax(z / T + b * T0 / T) has the argmax of z / T0 + b for every T
    temperature = fit_temperature(z + class_bias * t0_, y_idx)
    class_bias = (class_bias * t0_ / temperature).astype(np.float32)

cv = {"all": slim(outcome_scores(labels, pred_cv)),
      "by_source": {g: slim(outcome_scores(np.asarray(labels)[groups == g], pred_cv[groups == g])) for g in sorted(set(groups))}}
cal_pred = np.asarray(classes, dtype=object)[(z / temperature + (0 if class_bias is None else class_bias)).argmax(1)]
cv["all_calibrated"] = slim(outcome_scores(labels, cal_pred))
print(f"after calibration (in sample on these logits): macro-F1 {cv['all_calibrated']['macro_f1']:.4f}", flush=True)
print(f"leave-one-source-out: macro-F1 {cv['all']['macro_f1']:.4f}, outcome F1 {cv['all']['outcome_f1']:.4f}, "
      f"enabler F1 {cv['all']['enabler_f1']:.4f}; temperature {temperature:.3f} ({time.time() - t0:.0f}s)", flush=True)

# 2. the shipped model
model = make(corpus if args.corpus_only else pool)
model.temperature_, model.class_bias_ = temperature, class_bias
model.calibration_method_ = ("temperature scaling" if class_bias is None else "temperature and per-class offsets") + \
    " fitted on leave-one-real-source-out logits"
model.meta_["training_data"] = "corpora/outcomes/part_*/units.csv" + ("" if args.corpus_only else " + ../shared/datasets/sentences_train.csv")
model.meta_["training_sources"] = {"corpus": len(corpus), **({} if args.corpus_only else real.group.value_counts().to_dict())}

# 3. dev
proba = model.predict_proba(dev.sentence.tolist())
pred = np.asarray(model.classes_, dtype=object)[proba.argmax(1)]
conf = proba.max(1)
yd = dev.label.values
src = dev.source.values
dev_fig = {"all": outcome_scores(yd, pred),
           "by_source": {s: {**slim(outcome_scores(yd[src == s], pred[src == s])),
                             "ece": calibration_report(conf[src == s], pred[src == s] == yd[src == s])["ece"]}
                         for s in sorted(set(src))},
           "calibration": calibration_report(conf, pred == yd)}
a = dev_fig["all"]
print(f"dev: macro-F1 {a['macro_f1']:.4f}, outcome F1 {a['outcome_f1']:.4f}, enabler F1 {a['enabler_f1']:.4f}, "
      f"ECE {dev_fig['calibration']['ece']:.4f}", flush=True)

model.save(out)
(out / "training.json").write_text(json.dumps({"command": " ".join(["python", "training/train_outcomes.py", *sys.argv[1:]]),
                                               "params": {"C": args.C, "style_weight": args.style_weight, "cue_weight": args.cue_weight,
                                                          "backend": args.backend, "corpus_only": args.corpus_only},
                                               "pool": model.meta_["training_sources"], "temperature": temperature,
                                               "class_bias": None if class_bias is None else [float(b) for b in class_bias],
                                               "leave_one_source_out": cv, "dev": dev_fig}, indent=1, default=str) + "\n", encoding="utf-8")


def row(name, s):
    return (f"| {name} | {s['n']:,} | {s['macro_f1']:.3f} | {s['outcome_f1']:.3f} | {s['enabler_f1']:.3f} |"
            + (f" {s['ece']:.3f} |" if "ece" in s else " |"))


counts = a["per_class"]
card = f"""# Model card: outcome / enabler unit classifier ({'static vectors' if args.backend == 'static' else 'MiniLM vectors'})

Labels each unit (sentence or clause) `outcome` (the customer's job, result, hassle, cost,
delay), `enabler` (the company's staff, features, price, process, facilities), `both` or
`other`, as defined in `docs/outcomes-vs-enablers.md`. A multinomial logistic regression over
the unit's {'static (Model2Vec, distilled locally from MiniLM)' if args.backend == 'static' else 'all-MiniLM-L6-v2'} vector,
{len(model.style_mean_)} style cues (`jtbd/style.py`) and {len(model.cue_mean_)} linguistic cues read off the shipped
spaCy parse (`jtbd/cues.py`), temperature-scaled (T = {temperature:.3f}).

Rebuild: `python training/train_outcomes.py{' --backend static' if args.backend == 'static' else ''}` (reads `../shared/datasets`).

## Training data ({len(corpus) + (0 if args.corpus_only else len(real)):,} units)

| source | units | licence |
|---|---:|---|
| `corpora/outcomes` (written for jtbd, 13 industries) | {len(corpus):,} | CC0 / MIT |
""" + ("" if args.corpus_only else "\n".join(
    f"| `sentences_train.csv`, {g} | {n:,} | {'CC BY-SA 4.0 (UD English EWT)' if g.startswith('ewt') else 'MIT (NHS FFT, pxtextmining)' if g.startswith('nhs') else 'US public domain (CFPB)'} |"
    for g, n in real.group.value_counts().sort_index().items())) + f"""

**Licence of these weights:** {'trained on UD English EWT sentences, so a derived work under CC BY-SA 4.0 (attribution: Universal Dependencies English Web Treebank, Silveira et al. 2014, and the UD contributors); the parse cues come from the shipped spaCy pipeline, itself trained on EWT.' if not args.corpus_only else 'the parse cues come from the shipped spaCy pipeline (trained on UD English EWT, CC BY-SA 4.0).'}
Never trained on Care Opinion, airline tweets, app reviews, course evaluations, hotel reviews or `sentences_dev.csv`.

## Figures

Leave-one-real-source-out (the corpus and the other real sources train; each real source scores in turn):

| held-out source | n | macro-F1 | outcome F1 | enabler F1 |
|---|---:|---:|---:|---:|
{row('all real sentences', cv['all'])}
""" + "\n".join(row(g, s) for g, s in cv["by_source"].items()) + f"""

`sentences_dev.csv` (208 sentences from 8 sources, never trained on):

| slice | n | macro-F1 | outcome F1 | enabler F1 | ECE |
|---|---:|---:|---:|---:|---:|
{row('all', {**a, 'ece': dev_fig['calibration']['ece']})}
""" + "\n".join(row(s, v) for s, v in dev_fig["by_source"].items()) + """

Per class on the dev file:

| class | precision | recall | F1 | support |
|---|---:|---:|---:|---:|
""" + "\n".join(f"| {c} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |" for c, v in counts.items()) + """

Reliability on the dev file (confidence = the calibrated probability of the chosen label):

| confidence | n | mean confidence | accuracy |
|---|---:|---:|---:|
""" + "\n".join(f"| {r['lower']:.1f}–{r['upper']:.1f} | {r['n']:,} | {r['confidence']:.3f} | {r['accuracy']:.3f} |"
                for r in dev_fig["calibration"]["reliability"]) + """

## Known weaknesses
- Far from two annotators (4-class macro-F1 0.91): `both` (an enabler with the consequence
  it had for the customer) and short `outcome` units are the weak classes; enablers are
  mostly right. Per-source figures rest on 15–35 sentences each.
- Frozen sentence vectors are the limit: adding the real sentences moves the held-out
  figures by a point or two; see the closing notes of issue 17 for the approaches measured.
- English only; units of records in other languages are labelled anyway (and left out of themes).
"""
(out / "MODEL_CARD.md").write_text(card, encoding="utf-8")
print(f"wrote {out} ({time.time() - t0:.0f}s)")
