#!/usr/bin/env python3
"""Concatenate the hand-written chunks in src/ into units.csv.

Each chunk is src/<industry>_<n>.csv with header ``style,label,rule,text``.
``style`` may be written ``s``/``u`` (solicited/unsolicited).  The industry
comes from the file name.  Rows are numbered oa0001... in file order.
Standard library only.
"""
import csv
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
OUT = HERE / "units.csv"

INDUSTRIES = ("health", "education", "travel", "hospitality", "public_services")
ORDER = {name: i for i, name in enumerate(INDUSTRIES)}
STYLES = {"s": "solicited", "u": "unsolicited",
          "solicited": "solicited", "unsolicited": "unsolicited"}
LABELS = {"outcome", "enabler", "both", "other"}
RULES = {"", "1", "2", "3", "4", "5", "6"}


def chunk_key(path):
    industry, _, num = path.stem.rpartition("_")
    return (ORDER[industry], int(num))


def main():
    rows, errors, seen = [], [], {}
    for path in sorted(SRC.glob("*.csv"), key=chunk_key):
        industry = path.stem.rpartition("_")[0]
        with path.open(encoding="utf-8", newline="") as fh:
            for lineno, rec in enumerate(csv.DictReader(fh), start=2):
                where = f"{path.name}:{lineno}"
                style = STYLES.get((rec.get("style") or "").strip())
                label = (rec.get("label") or "").strip()
                rule = (rec.get("rule") or "").strip()
                text = (rec.get("text") or "").strip()
                if style is None:
                    errors.append(f"{where}: bad style {rec.get('style')!r}")
                if label not in LABELS:
                    errors.append(f"{where}: bad label {label!r}")
                if rule not in RULES:
                    errors.append(f"{where}: bad rule {rule!r}")
                if not text:
                    errors.append(f"{where}: empty text")
                key = text.lower()
                if key in seen:
                    errors.append(f"{where}: duplicate of {seen[key]}: {text!r}")
                seen[key] = where
                rows.append((industry, style, text, label, rule))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(["id", "industry", "style", "text", "label", "rule"])
        for i, (industry, style, text, label, rule) in enumerate(rows, start=1):
            w.writerow([f"oa{i:04d}", industry, style, text, label, rule])
    print(f"wrote {len(rows)} units to {OUT.name}")
    if "--stats" in sys.argv:
        by_ind = Counter((r[0], r[1], r[3]) for r in rows)
        labels = Counter(r[3] for r in rows)
        for ind in INDUSTRIES:
            n = sum(v for k, v in by_ind.items() if k[0] == ind)
            parts = []
            for st in ("solicited", "unsolicited"):
                parts.append(st[0] + ":" + " ".join(
                    f"{lab[:2]}={by_ind[(ind, st, lab)]}"
                    for lab in ("enabler", "outcome", "both", "other")))
            print(f"{ind:16} {n:4}  " + " | ".join(parts))
        total = len(rows)
        print("labels:", {k: f"{v} ({100*v/total:.0f}%)" for k, v in labels.items()})
        print("rules:", sorted(Counter(r[4] for r in rows if r[4]).items()))


if __name__ == "__main__":
    main()
