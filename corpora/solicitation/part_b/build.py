#!/usr/bin/env python3
"""Build part_b/examples.csv from the hand-written chunks in part_b/src/.

Each chunk is a JSONL file (one JSON object per line) with the keys
``domain``, ``channel``, ``solicited`` and ``text``. Chunks are read in
sorted filename order; ids ``b0001``... are assigned in that order.

Standard library only. Run from anywhere:

    python3 corpora/solicitation/part_b/build.py

Exits non-zero (and writes nothing) if a row fails validation.
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

DOMAINS = {"travel", "hospitality", "software", "retail"}
SOLICITED_CHANNELS = {"survey", "nps", "csat"}
UNSOLICITED_CHANNELS = {
    "review", "app_review", "tweet", "social", "complaint",
    "support_ticket", "email", "chat", "forum",
}


def norm(text):
    key = re.sub(r"\W+", " ", text.lower()).strip()
    return key or text.strip()


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


def main():
    rows, errors = load()
    seen = {}
    for r in rows:
        key = norm(r["text"])
        if key in seen:
            errors.append(f"{r['where']}: duplicate of {seen[key]}")
        else:
            seen[key] = r["where"]
    if errors:
        print("\n".join(errors), file=sys.stderr)
        print(f"{len(errors)} error(s); {OUT.name} not written", file=sys.stderr)
        return 1

    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(["id", "domain", "channel", "text", "solicited"])
        for i, r in enumerate(rows, 1):
            w.writerow([f"b{i:04d}", r["domain"], r["channel"], r["text"],
                        r["solicited"]])

    print(f"wrote {len(rows)} rows to {OUT}")
    by_dom = collections.Counter((r["domain"], r["solicited"]) for r in rows)
    for dom in sorted(DOMAINS):
        print(f"  {dom:12s} solicited={by_dom[(dom, 1)]:4d} "
              f"unsolicited={by_dom[(dom, 0)]:4d}")
    by_ch = collections.Counter((r["domain"], r["channel"]) for r in rows)
    for (dom, ch), n in sorted(by_ch.items()):
        print(f"    {dom:12s} {ch:15s} {n:4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
