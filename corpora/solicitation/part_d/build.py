#!/usr/bin/env python3
"""Build part_d/examples.csv from the hand-written JSONL chunks in part_d/src/.

Standard library only.  Part D is a targeted health-domain supplement (see
NOTES.md).  Each chunk is named ``health_<sol|uns>_<nn>[_<tag>].jsonl`` and
holds one JSON object per line: ``{"channel": ..., "text": ...}``.  The
domain comes from the file name (always ``health`` here); the label comes
from the channel (solicited channels -> 1, unsolicited channels -> 0) and
must agree with the ``sol``/``uns`` part of the file name.  The optional
``<tag>`` names the block the chunk belongs to (``multipoint``, ``story``,
``short``) and is only used for the per-block counts.

    python3 build.py               # build examples.csv and print counts + checks
    python3 build.py --strict      # exit non-zero if any check warns
    python3 build.py --dev-check   # also run the copy check against the dev data

Checks (warnings):
  * exact / near duplicates inside part D (word-trigram Jaccard >= 0.5,
    the same first five words, or a shared run of seven words - a cheap
    test for two texts built on one sentence frame);
  * the same checks (exact, near duplicate, same opening) against the rows
    already in ../part_a, ../part_b and ../part_c (their examples.csv),
    so part D adds new text rather than echoes of earlier parts;
  * only with --dev-check: any 8-word run shared with
    ../../../../shared/datasets/solicitation_dev.csv (the real evaluation
    data).  It is off by default so that building part D never opens that
    file; the corpus was written without reading it.
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
PREFIX = "d"
OTHER_PARTS = ["part_a", "part_b", "part_c"]
DEV = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared",
                                    "datasets", "solicitation_dev.csv"))

SOLICITED = {"survey", "nps", "csat", "fft", "course_eval", "employee_survey"}
UNSOLICITED = {"review", "tweet", "social", "complaint", "support_ticket",
               "email", "chat", "forum", "story_site"}
DOMAINS = {"health"}
NAME_RE = re.compile(r"^(health)_(sol|uns)_(\d+)(?:_([a-z]+))?\.jsonl$")
FRAME_RUN = 7


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
            problems.append(f"{name}: file name does not match health_<sol|uns>_<nn>[_<tag>].jsonl")
            continue
        domain, kind, block = m.group(1), m.group(2), m.group(4) or "-"
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
                             "solicited": label, "block": f"{kind}_{block}",
                             "where": f"{name}:{lineno}"})
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
    runs = collections.defaultdict(set)
    for r in rows:
        for g in ngrams(words(r["text"]), FRAME_RUN):
            runs[g].add(r["where"])
    for g, where in sorted(runs.items()):
        if len(where) > 1:
            warns.append(f"shared {FRAME_RUN}-word run '{' '.join(g)}': {', '.join(sorted(where))}")
    return warns


def load_other_parts():
    other = []
    for part in OTHER_PARTS:
        path = os.path.join(HERE, "..", part, "examples.csv")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                other.append((rec["id"], rec["text"]))
    return other


def check_against_other_parts(rows):
    other = load_other_parts()
    if not other:
        return [], "skipped cross-part check: no other part's examples.csv found"
    warns = []
    keys = {" ".join(words(t)): i for i, t in other}
    starts = collections.defaultdict(list)
    inv = collections.defaultdict(set)
    ograms = {}
    for i, t in other:
        ws = words(t)
        if len(ws) >= 8:
            starts[tuple(ws[:5])].append(i)
        g = ngrams(ws, 3)
        if len(g) >= 4:
            ograms[i] = g
            for x in g:
                inv[x].add(i)
    for r in rows:
        ws = words(r["text"])
        key = " ".join(ws)
        if key in keys and len(ws) > 2:
            warns.append(f"duplicate of {keys[key]}: {r['where']}")
        if len(ws) >= 8 and tuple(ws[:5]) in starts:
            warns.append(f"same opening as {', '.join(starts[tuple(ws[:5])])}: {r['where']}")
        g = ngrams(ws, 3)
        if len(g) < 4:
            continue
        cands = set()
        for x in g:
            cands |= inv.get(x, set())
        for i in cands:
            jac = len(g & ograms[i]) / len(g | ograms[i])
            if jac >= 0.5:
                warns.append(f"near-duplicate of {i} ({jac:.2f}): {r['where']}")
    return warns, f"cross-part check against {len(other)} rows of {', '.join(OTHER_PARTS)}"


def check_against_dev(rows):
    if not os.path.exists(DEV):
        return [], f"skipped copy check: {DEV} not found"
    dev8 = set()
    with open(DEV, encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            dev8 |= ngrams(words(rec["text"]), 8)
    warns = []
    for r in rows:
        if ngrams(words(r["text"]), 8) & dev8:
            warns.append(f"shares an 8-word run with dev data: {r['where']}")
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
            w.writerow([f"{PREFIX}{i:04d}", r["domain"], r["channel"], r["text"], r["solicited"]])
    print(f"wrote {len(rows)} rows to {OUT}")

    by_label = collections.Counter(r["solicited"] for r in rows)
    print(f"health solicited={by_label[1]} unsolicited={by_label[0]}")
    counts = collections.Counter((r["block"], r["channel"], r["solicited"]) for r in rows)
    for (b, c, s), n in sorted(counts.items()):
        print(f"    block {b:16s} {c:12s} {s} {n:4d}")
    for b in sorted({r["block"] for r in rows}):
        lens = sorted(len(words(r["text"])) for r in rows if r["block"] == b)
        print(f"length {b:16s}: n={len(lens)} min {lens[0]} median {lens[len(lens)//2]} "
              f"max {lens[-1]} words, >=60 words {sum(n >= 60 for n in lens)}")

    warns = check_internal(rows)
    cross_warns, cross_note = check_against_other_parts(rows)
    print(cross_note)
    dev_warns = []
    if "--dev-check" in sys.argv:
        dev_warns, note = check_against_dev(rows)
        print(note)
    else:
        print("dev-data copy check not run (pass --dev-check to run it)")
    allw = warns + cross_warns + dev_warns
    for wmsg in allw:
        print("WARN", wmsg)
    print(f"{len(allw)} warnings")
    if strict and allw:
        sys.exit(2)


if __name__ == "__main__":
    main()
