#!/usr/bin/env python3
"""Build part_e/examples.csv from the hand-written chunks in part_e/src/.

Each chunk is a JSONL file (one JSON object per line) with the keys
``domain``, ``channel``, ``solicited`` and ``text`` (the same layout as
part_b). Chunks are read in sorted filename order; ids ``e0001``... are
assigned in that order.

Standard library only. Run from anywhere:

    python3 corpora/solicitation/part_e/build.py            # build + checks
    python3 corpora/solicitation/part_e/build.py --strict   # warnings fail too

Errors (nothing is written): bad JSON, unknown domain or channel, a channel
that disagrees with its label, empty text, a duplicate text inside part_e
(after normalisation), or a text that already appears in a sibling part's
examples.csv (so the same string can never carry two labels in the
assembled corpus).

Warnings: near-duplicates inside part_e (word-trigram Jaccard >= 0.5) and
rows of 8+ words that share their first five words.
"""
import collections
import csv
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
SRC = HERE / "src"
OUT = HERE / "examples.csv"
PREFIX = "e"

DOMAINS = {"software", "retail", "education"}
SOLICITED_CHANNELS = {"survey", "nps", "csat", "course_eval"}
UNSOLICITED_CHANNELS = {
    "review", "app_review", "tweet", "social", "complaint",
    "support_ticket", "email", "chat", "forum",
}


def norm(text):
    key = re.sub(r"\W+", " ", text.lower()).strip()
    return key or text.strip()


def words(text):
    return re.findall(r"[a-z0-9']+", text.lower())


def trigrams(ws):
    return {tuple(ws[i:i + 3]) for i in range(len(ws) - 2)}


def load():
    rows, errors = [], []
    files = sorted(SRC.glob("*.jsonl"))
    if not files:
        errors.append(f"no chunks found under {SRC}")
    for path in files:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path.name}:{lineno}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    errors.append(f"{where}: bad JSON ({exc})")
                    continue
                missing = {"domain", "channel", "solicited", "text"} - obj.keys()
                if missing:
                    errors.append(f"{where}: missing {sorted(missing)}")
                    continue
                dom, ch, lab, text = (obj["domain"], obj["channel"],
                                      obj["solicited"], obj["text"])
                if dom not in DOMAINS:
                    errors.append(f"{where}: unknown domain {dom!r}")
                if lab not in (0, 1):
                    errors.append(f"{where}: solicited must be 0 or 1")
                if ch in SOLICITED_CHANNELS:
                    if lab != 1:
                        errors.append(f"{where}: channel {ch} needs solicited=1")
                elif ch in UNSOLICITED_CHANNELS:
                    if lab != 0:
                        errors.append(f"{where}: channel {ch} needs solicited=0")
                else:
                    errors.append(f"{where}: unknown channel {ch!r}")
                if not isinstance(text, str) or not text.strip():
                    errors.append(f"{where}: empty text")
                    continue
                rows.append({"where": where, "domain": dom, "channel": ch,
                             "text": text.strip(), "solicited": lab})
    return rows, errors


def sibling_texts():
    """Normalised text -> 'part_x id (label)' for the other parts' outputs."""
    found = {}
    for csv_path in sorted(HERE.parent.glob("part_*/examples.csv")):
        if csv_path.parent == HERE:
            continue
        with csv_path.open(encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                found.setdefault(norm(rec["text"]),
                                 f"{csv_path.parent.name} {rec['id']} "
                                 f"(label {rec['solicited']})")
    return found


def near_duplicates(rows):
    warns = []
    grams = [(r, trigrams(words(r["text"]))) for r in rows]
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
    for key, where in starts.items():
        if len(where) > 1:
            warns.append(f"same opening '{' '.join(key)}': {', '.join(where)}")
    return warns


def main():
    strict = "--strict" in sys.argv[1:]
    rows, errors = load()
    seen = {}
    for r in rows:
        key = norm(r["text"])
        if key in seen:
            errors.append(f"{r['where']}: duplicate of {seen[key]}")
        else:
            seen[key] = r["where"]
    others = sibling_texts()
    for r in rows:
        hit = others.get(norm(r["text"]))
        if hit:
            errors.append(f"{r['where']}: same text as {hit}")
    warnings = near_duplicates(rows)
    for w in warnings:
        print("WARNING", w, file=sys.stderr)
    if strict and warnings:
        errors.append(f"{len(warnings)} warning(s) with --strict")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        print(f"{len(errors)} error(s); {OUT.name} not written", file=sys.stderr)
        return 1

    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(["id", "domain", "channel", "text", "solicited"])
        for i, r in enumerate(rows, 1):
            w.writerow([f"{PREFIX}{i:04d}", r["domain"], r["channel"], r["text"],
                        r["solicited"]])

    print(f"wrote {len(rows)} rows to {OUT}")
    by_dom = collections.Counter((r["domain"], r["solicited"]) for r in rows)
    for dom in sorted(DOMAINS):
        print(f"  {dom:12s} solicited={by_dom[(dom, 1)]:4d} "
              f"unsolicited={by_dom[(dom, 0)]:4d}")
    by_ch = collections.Counter((r["domain"], r["channel"]) for r in rows)
    for (dom, ch), n in sorted(by_ch.items()):
        print(f"    {dom:12s} {ch:15s} {n:4d}")
    bins = [(1, 5), (6, 15), (16, 40), (41, 79), (80, 150), (151, 10**6)]
    print("  words      " + " ".join(f"{a}-{b if b < 10**6 else '':<4}".rjust(8)
                                     for a, b in bins))
    for lab in (1, 0):
        counts = [sum(1 for r in rows if r["solicited"] == lab
                      and a <= len(r["text"].split()) <= b) for a, b in bins]
        print(f"  label {lab}    " + " ".join(f"{c:8d}" for c in counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
