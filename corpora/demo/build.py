#!/usr/bin/env python3
"""Build corpora/demo/feedback.csv from the hand-written texts in corpora/demo/src/*.jsonl.

Stdlib only and fully seeded (random.Random(7)): running it again rewrites a
byte-identical feedback.csv. The texts themselves are never generated or
altered here; this script only adds the metadata a real feedback export would
carry: record ids, dates, customer ids and customer values.

Source fields (one JSON object per line):
  business, channel, question, text, score (NPS 0-10 or null), stars (1-5 or null),
  sentiment (positive / mixed / neutral / negative, the writer's own tag)
Optional source hints:
  when   date window for time-bound themes: early, spring, summer, late, autumn
  cust   thread tag: records sharing it belong to one customer ...
  step   ... and are dated in this order (e.g. a complaint, then a survey)
  seg    'business' (bank) or 'season' (rail): goes to a high-value customer
  sig    true when the text is signed with a first name: at most one such
         record per randomly assigned customer, so names never clash
"""
import csv
import datetime as dt
import glob
import json
import math
import os

import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "feedback.csv")
COLUMNS = ["record_id", "customer_id", "date", "business", "channel", "question", "text",
           "likelihood_to_recommend", "star_rating", "customer_value", "customer_value_prev"]

D = dt.date
START, END = D(2025, 3, 1), D(2025, 11, 30)
# "late": the new Harbour Bank app (v5) shipped on 2025-09-08; login problems follow it.
# "summer": Kestrel Rail coast-line engineering works, replacement buses.
# "autumn": leaf-fall delays on the Harrogate line.
WINDOWS = {
    None: (START, END),
    "early": (D(2025, 3, 1), D(2025, 4, 30)),
    "spring": (D(2025, 3, 1), D(2025, 6, 10)),
    "summer": (D(2025, 6, 14), D(2025, 8, 31)),
    "late": (D(2025, 9, 8), END),
    "autumn": (D(2025, 10, 1), END),
}
# Share of records of each channel that carry a customer id (threads always do).
ID_SHARE = {"nps_survey": 1.0, "csat_survey": 1.0, "support_ticket": 1.0, "complaint": 1.0,
            "email": 1.0, "app_review": 0.85, "twitter": 0.2, "review_site": 0.3}
# Records per randomly assigned customer.
K_VALUES, K_WEIGHTS = [1, 2, 3, 4, 5], [0.42, 0.32, 0.16, 0.07, 0.03]
# Median annual revenue (GBP) and log-spread by (business, segment).
VALUE = {
    ("Harbour Bank", None): (220, 0.75, 20, 1800),
    ("Harbour Bank", "business"): (4800, 0.8, 2000, 20000),
    ("Kestrel Rail", None): (150, 0.85, 10, 1500),
    ("Kestrel Rail", "season"): (3300, 0.3, 2000, 9000),
}
SENT = {"positive": 1, "mixed": 0, "neutral": 0, "negative": -1}


def load():
    records = []
    for path in sorted(glob.glob(os.path.join(HERE, "src", "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    r = json.loads(line)
                    r["_src"] = "%s:%d" % (os.path.basename(path), n)
                    records.append(r)
    return records


def rand_date(rng, window, after=None):
    lo, hi = WINDOWS[window]
    if after is not None:  # a follow-up: 4 to 45 days after the previous record
        lo = max(lo, after + dt.timedelta(days=4))
        hi = max(lo, min(hi, after + dt.timedelta(days=45)))
        hi = min(hi, END)
        lo = min(lo, hi)
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


def draw_value(rng, business, seg):
    median, sigma, lo, hi = VALUE[(business, seg)]
    v = rng.lognormvariate(math.log(median), sigma)
    return int(round(min(max(v, lo), hi)))


def group_customers(rng, recs):
    """Split a shuffled list of records into customers of 1-5 records each,
    with at most one signed record per customer."""
    sig = [r for r in recs if r.get("sig")]
    plain = [r for r in recs if not r.get("sig")]
    groups = []
    while sig or plain:
        k = rng.choices(K_VALUES, K_WEIGHTS)[0]
        g = []
        if sig and (not plain or rng.random() < len(sig) / (len(sig) + len(plain)) * k):
            g.append(sig.pop())
        while len(g) < k and plain:
            g.append(plain.pop())
        groups.append(g)
    return groups


def main():
    rng = random.Random(7)
    records = load()

    # 1. dates (threads are dated in step order after the first record)
    threads = {}
    for r in records:
        if r.get("cust"):
            threads.setdefault(r["cust"], []).append(r)
    for r in records:
        if not r.get("cust"):
            r["_date"] = rand_date(rng, r.get("when"))
    for tag in sorted(threads):
        prev = None
        for r in sorted(threads[tag], key=lambda x: x["step"]):
            if prev is None:
                lo, hi = WINDOWS[r.get("when")]
                hi = max(lo, hi - dt.timedelta(days=45))
                r["_date"] = lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))
            else:
                r["_date"] = rand_date(rng, r.get("when"), after=prev)
            prev = r["_date"]

    # 2. customers
    customers = []  # list of (business, seg, [records])
    for tag in sorted(threads):
        recs = threads[tag]
        seg = next((r["seg"] for r in recs if r.get("seg")), None)
        customers.append((recs[0]["business"], seg, recs))
    for business in sorted({r["business"] for r in records}):
        for seg in (None, "business", "season"):
            pool = [r for r in records if r["business"] == business and not r.get("cust")
                    and r.get("seg") == seg and rng.random() < ID_SHARE[r["channel"]]]
            rng.shuffle(pool)
            for g in group_customers(rng, pool):
                customers.append((business, seg, g))
    rng.shuffle(customers)
    ids = rng.sample(range(10000, 100000), len(customers))
    for cid, (business, seg, recs) in zip(ids, customers):
        value = draw_value(rng, business, seg)
        mood = sum(SENT[r["sentiment"]] for r in recs) / len(recs)
        if rng.random() < 0.08:
            prev = 0  # joined this year
        else:
            growth = rng.lognormvariate(0.05 + 0.18 * mood, 0.3)
            prev = int(round(value / growth))
        for r in recs:
            r["_cid"] = "C%05d" % cid
            r["_value"] = value
            r["_prev"] = prev

    # 3. order like an export (by date), then number
    order = list(range(len(records)))
    rng.shuffle(order)
    rank = {i: n for n, i in enumerate(order)}
    rows = sorted(enumerate(records), key=lambda t: (t[1]["_date"], t[1]["business"], rank[t[0]]))
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(COLUMNS)
        for n, (_, r) in enumerate(rows, 1):
            w.writerow([
                "R%04d" % n,
                r.get("_cid", ""),
                r["_date"].isoformat(),
                r["business"],
                r["channel"],
                r["question"] or "",
                r["text"],
                "" if r.get("score") is None else r["score"],
                "" if r.get("stars") is None else r["stars"],
                r.get("_value", ""),
                r.get("_prev", ""),
            ])
    print("wrote %d records to %s" % (len(rows), os.path.relpath(OUT)))


if __name__ == "__main__":
    main()
