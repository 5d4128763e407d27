#!/usr/bin/env python3
"""Concatenate part_c/src/*.jsonl batches into examples.csv.

Each source line is a JSON object with keys domain, channel, solicited, text.
Ids c0001... are assigned in file order (files sorted by name). Stdlib only.
Validates channel/label consistency and reports counts and exact duplicates.
"""
import csv
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
OUT = HERE / "examples.csv"

DOMAINS = {"finance", "insurance", "telecom", "utilities", "automotive"}
SOLICITED = {"survey", "nps", "csat"}
UNSOLICITED = {"review", "app_review", "tweet", "social", "complaint",
               "support_ticket", "email", "chat", "forum"}


def main() -> int:
    rows, errors, seen = [], [], {}
    for path in sorted(SRC.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: bad JSON ({exc})")
                continue
            dom, ch, lab = rec.get("domain"), rec.get("channel"), rec.get("solicited")
            text = (rec.get("text") or "").strip()
            if dom not in DOMAINS:
                errors.append(f"{where}: unknown domain {dom!r}")
            if lab not in (0, 1):
                errors.append(f"{where}: solicited must be 0 or 1")
            if lab == 1 and ch not in SOLICITED or lab == 0 and ch not in UNSOLICITED:
                errors.append(f"{where}: channel {ch!r} inconsistent with label {lab}")
            if not text:
                errors.append(f"{where}: empty text")
            key = " ".join(text.lower().split())
            if key in seen:
                errors.append(f"{where}: duplicate of {seen[key]}")
            seen[key] = where
            rows.append((dom, ch, text, lab))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(["id", "domain", "channel", "text", "solicited"])
        for i, (dom, ch, text, lab) in enumerate(rows, 1):
            w.writerow([f"c{i:04d}", dom, ch, text, lab])
    print(f"wrote {len(rows)} rows to {OUT.relative_to(HERE.parent)}")
    by = Counter((d, l) for d, _, _, l in rows)
    for d in sorted(DOMAINS):
        print(f"  {d:11s} solicited={by[(d, 1)]:4d} unsolicited={by[(d, 0)]:4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
