#!/usr/bin/env python3
"""Build part_b/units.csv from the hand-written chunks in part_b/src/.

Chunk format (src/*.psv, UTF-8): one unit per line, ``style|label|rule|text``.
  style: s = solicited, u = unsolicited
  label: o = outcome, e = enabler, b = both, x = other
  rule:  empty or 1-6 (hard-case rule of docs/outcomes-vs-enablers.md)
  text:  everything after the third "|" (may itself contain "|")
Lines starting with "#" are comments; "# industry: NAME" sets the industry
for the following lines.  Files are read in sorted name order and ids are
assigned sequentially (ob0001, ob0002, ...).

Usage: python3 build.py [--check]   (--check: validate and print counts only)
Without --check it also rewrites the counts block of NOTES.md (between the
"<!-- counts:start -->" and "<!-- counts:end -->" markers), so the notes
always match units.csv.  Stdlib only.
"""
import collections
import csv
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
SRC = HERE / "src"
OUT = HERE / "units.csv"
NOTES = HERE / "NOTES.md"
START, END = "<!-- counts:start -->", "<!-- counts:end -->"
STYLES = {"s": "solicited", "u": "unsolicited"}
LABELS = {"o": "outcome", "e": "enabler", "b": "both", "x": "other"}
INDUSTRIES = ("finance", "software", "retail", "telecom", "utilities", "insurance")
LABEL_ORDER = ("outcome", "enabler", "both", "other")


def read_units():
    units, errors, seen = [], [], {}
    for path in sorted(SRC.glob("*.psv")):
        industry = None
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.name}:{n}"
            if not raw.strip():
                continue
            if raw.startswith("#"):
                if raw.lower().startswith("# industry:"):
                    industry = raw.split(":", 1)[1].strip()
                    if industry not in INDUSTRIES:
                        errors.append(f"{where}: unknown industry {industry!r}")
                continue
            parts = raw.split("|", 3)
            if len(parts) != 4:
                errors.append(f"{where}: expected style|label|rule|text")
                continue
            style, label, rule, text = (p.strip() if i < 3 else p for i, p in enumerate(parts))
            text = text.strip()
            if industry is None:
                errors.append(f"{where}: no '# industry:' line before first unit")
            if style not in STYLES:
                errors.append(f"{where}: bad style {style!r}")
            if label not in LABELS:
                errors.append(f"{where}: bad label {label!r}")
            if rule not in ("", "1", "2", "3", "4", "5", "6"):
                errors.append(f"{where}: bad rule {rule!r}")
            if not text:
                errors.append(f"{where}: empty text")
            key = " ".join(text.lower().split())
            if key in seen:
                errors.append(f"{where}: duplicate of {seen[key]}: {text!r}")
            seen[key] = where
            units.append({
                "industry": industry,
                "style": STYLES.get(style, style),
                "text": text,
                "label": LABELS.get(label, label),
                "rule": rule,
            })
    return units, errors


def counts_markdown(units):
    lines = []
    total = len(units)
    lab = collections.Counter(u["label"] for u in units)
    lines.append(f"Total units: {total}\n")
    lines.append("| label | n | share |")
    lines.append("|---|---:|---:|")
    for l in LABEL_ORDER:
        lines.append(f"| {l} | {lab[l]} | {100 * lab[l] / total:.1f}% |")
    lines.append("")
    lines.append("| industry | style | outcome | enabler | both | other | total |")
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    c = collections.Counter((u["industry"], u["style"], u["label"]) for u in units)
    for ind in INDUSTRIES:
        for st in ("solicited", "unsolicited"):
            row = [c[(ind, st, l)] for l in LABEL_ORDER]
            lines.append(f"| {ind} | {st} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
        row = [c[(ind, "solicited", l)] + c[(ind, "unsolicited", l)] for l in LABEL_ORDER]
        lines.append(f"| **{ind}** | all | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    lines.append("")
    lines.append("| rule | outcome | enabler | both | other | total |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    r = collections.Counter((u["rule"], u["label"]) for u in units)
    for rule in ("1", "2", "3", "4", "5", "6", ""):
        row = [r[(rule, l)] for l in LABEL_ORDER]
        lines.append(f"| {rule or '(none)'} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    return "\n".join(lines)


def main():
    units, errors = read_units()
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    print(counts_markdown(units))
    if "--check" in sys.argv:
        return
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(["id", "industry", "style", "text", "label", "rule"])
        for i, u in enumerate(units, 1):
            w.writerow([f"ob{i:04d}", u["industry"], u["style"], u["text"], u["label"], u["rule"]])
    print(f"\nwrote {len(units)} units to {OUT}")
    if NOTES.exists():
        notes = NOTES.read_text(encoding="utf-8")
        if START in notes and END in notes:
            head, rest = notes.split(START, 1)
            _, tail = rest.split(END, 1)
            NOTES.write_text(head + START + "\n" + counts_markdown(units) + "\n" + END + tail,
                             encoding="utf-8")
            print(f"updated counts in {NOTES}")


if __name__ == "__main__":
    main()
