#!/usr/bin/env python3
"""Build part_a/examples.csv from the hand-written JSONL chunks in part_a/src/.

Standard library only.  Each chunk is named ``<domain>_<sol|uns>_<nn>.jsonl``
and holds one JSON object per line: ``{"channel": ..., "text": ...}``.
The domain comes from the file name; the label comes from the channel
(solicited channels -> 1, unsolicited channels -> 0) and must agree with
the ``sol``/``uns`` part of the file name.

    python3 build.py            # build examples.csv and print counts + checks
    python3 build.py --strict   # exit non-zero if any check warns

Checks (warnings):
  * exact / near duplicates inside the corpus (word-trigram Jaccard >= 0.5,
    or the same first five words);
  * overlap with the real evaluation data in ../../../../shared/datasets
    (any 8-word run shared with solicitation_dev.csv), skipped with a reason
    when that folder is absent.  The corpus must be written, not copied.
"""
import collections
import csv
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "src")
OUT = os.path.join(HERE, "examples.csv")
DEV = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared",
                                    "datasets", "solicitation_dev.csv"))

SOLICITED = {"survey", "nps", "csat", "fft", "course_eval", "employee_survey"}
UNSOLICITED = {"review", "tweet", "social", "complaint", "support_ticket",
               "email", "chat", "forum", "story_site"}
DOMAINS = {"health", "education", "public_services", "employee"}
NAME_RE = re.compile(r"^(health|education|public_services|employee)_(sol|uns)_(\d+)\.jsonl$")


def words(text):
    return re.findall(r"[a-z0-9']+", text.lower())


def ngrams(ws, n):
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def load():
    rows, problems = [], []
    for name in sorted(os.listdir(SRC)):
        if not name.endswith(".jsonl"):
            continue
        m = NAME_RE.match(name)
        if not m:
            problems.append(f"{name}: file name does not match <domain>_<sol|uns>_<nn>.jsonl")
            continue
        domain, kind = m.group(1), m.group(2)
        with open(os.path.join(SRC, name), encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    problems.append(f"{name}:{lineno}: bad JSON ({exc})")
                    continue
                channel, text = obj.get("channel"), (obj.get("text") or "").strip()
                if channel in SOLICITED:
                    label = 1
                elif channel in UNSOLICITED:
                    label = 0
                else:
                    problems.append(f"{name}:{lineno}: unknown channel {channel!r}")
                    continue
                if (label == 1) != (kind == "sol"):
                    problems.append(f"{name}:{lineno}: channel {channel} in a '{kind}' file")
                if not text:
                    problems.append(f"{name}:{lineno}: empty text")
                    continue
                rows.append({"domain": domain, "channel": channel, "text": text,
                             "solicited": label, "where": f"{name}:{lineno}"})
    return rows, problems


def check_internal(rows):
    warns = []
    seen = {}
    for r in rows:
        key = " ".join(words(r["text"]))
        if key in seen and len(key.split()) > 2:
            warns.append(f"duplicate: {r['where']} == {seen[key]}")
        seen.setdefault(key, r["where"])
    grams = [(r, ngrams(words(r["text"]), 3)) for r in rows]
    grams = [(r, g) for r, g in grams if len(g) >= 4]
    for i in range(len(grams)):
        ri, gi = grams[i]
        for j in range(i + 1, len(grams)):
            rj, gj = grams[j]
            jac = len(gi & gj) / len(gi | gj)
            if jac >= 0.5:
                warns.append(f"near-duplicate ({jac:.2f}): {ri['where']} ~ {rj['where']}")
    starts = collections.defaultdict(list)
    for r in rows:
        ws = words(r["text"])
        if len(ws) >= 8:
            starts[tuple(ws[:5])].append(r["where"])
    for k, v in starts.items():
        if len(v) > 1:
            warns.append(f"same opening '{' '.join(k)}': {', '.join(v)}")
    return warns


def check_against_dev(rows):
    if not os.path.exists(DEV):
        return [], f"skipped copy check: {DEV} not found"
    dev8 = set()
    with open(DEV, encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            dev8 |= ngrams(words(rec["text"]), 8)
    warns = []
    for r in rows:
        hit = ngrams(words(r["text"]), 8) & dev8
        if hit:
            warns.append(f"shares 8-word run with dev data: {r['where']}: {' '.join(sorted(hit)[0])}")
    return warns, f"copy check against {DEV}: {len(dev8)} dev 8-grams"


def main():
    strict = "--strict" in sys.argv
    rows, problems = load()
    for p in problems:
        print("ERROR", p)
    if problems:
        sys.exit(1)
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(["id", "domain", "channel", "text", "solicited"])
        for i, r in enumerate(rows, 1):
            w.writerow([f"a{i:04d}", r["domain"], r["channel"], r["text"], r["solicited"]])
    print(f"wrote {len(rows)} rows to {OUT}")

    counts = collections.Counter((r["domain"], r["channel"], r["solicited"]) for r in rows)
    by_dom = collections.Counter((r["domain"], r["solicited"]) for r in rows)
    for d in sorted(DOMAINS):
        print(f"{d:16s} solicited={by_dom[(d, 1)]:4d} unsolicited={by_dom[(d, 0)]:4d}")
        for (dd, c, s), n in sorted(counts.items()):
            if dd == d:
                print(f"    {c:16s} {s} {n:4d}")
    for d in sorted(DOMAINS):
        for s in (1, 0):
            lens = sorted(len(words(r["text"])) for r in rows if r["domain"] == d and r["solicited"] == s)
            if lens:
                short = sum(1 for n in lens if n <= 30) / len(lens)
                longp = sum(1 for n in lens if n >= 50) / len(lens)
                print(f"length {d:16s} label={s}: median {lens[len(lens)//2]} words, "
                      f"<=30 words {short:.0%}, >=50 words {longp:.0%}")

    warns = check_internal(rows)
    dev_warns, note = check_against_dev(rows)
    print(note)
    for wmsg in warns + dev_warns:
        print("WARN", wmsg)
    print(f"{len(warns) + len(dev_warns)} warnings")
    if strict and (warns or dev_warns):
        sys.exit(2)


if __name__ == "__main__":
    main()
