#!/usr/bin/env python3
"""Build part_c/units.csv from the hand-written chunks in part_c/src/.

Chunk format (src/*.psv, UTF-8): one unit per line, ``style|label|rule|text``.
  style: s = solicited, u = unsolicited
  label: o = outcome, e = enabler, b = both, x = other
  rule:  empty or 1-6 (hard-case rule of docs/outcomes-vs-enablers.md)
  text:  everything after the third "|" (may itself contain "|")
Lines starting with "#" are comments; "# industry: NAME" sets the industry
for the following lines.  Files are read in sorted name order and ids are
assigned sequentially (oc0001, oc0002, ...).

Every text is also compared with the texts of ../part_a/units.csv and
../part_b/units.csv (same case- and whitespace-insensitive key); an exact
match with an earlier part is an error.  ``--near`` additionally lists
near-duplicates (difflib ratio >= 0.85) within part_c and against the
earlier parts, as warnings.

Usage: python3 build.py [--check] [--near]
  (--check: validate and print counts only; --near: also report near-duplicates)
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
INDUSTRIES = ("mental_health", "hospital_gp", "university", "airline", "hotel",
              "apps_games", "finance_complaints", "patient_transport", "council")
PREFIX = "oc"
OTHER_PARTS = ("part_a", "part_b")
LABEL_ORDER = ("outcome", "enabler", "both", "other")


def norm(text):
    return " ".join(text.lower().split())


def other_part_texts():
    """Texts of the earlier parts, keyed by norm(): {key: "part_x:id"}."""
    found = {}
    for part in OTHER_PARTS:
        path = HERE.parent / part / "units.csv"
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                found.setdefault(norm(rec["text"]), f"{part}:{rec['id']}")
    return found


def read_units():
    units, errors, seen = [], [], {}
    earlier = other_part_texts()
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
            key = norm(text)
            if key in earlier:
                errors.append(f"{where}: duplicate of {earlier[key]}: {text!r}")
            if key in seen:
                errors.append(f"{where}: duplicate of {seen[key]}: {text!r}")
            seen[key] = where
            units.append({
                "where": where,
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


def near_duplicates(units, threshold=0.85):
    """Warn about texts that are nearly the same (within part_c and vs earlier parts)."""
    import difflib
    mine = [(u["where"], norm(u["text"])) for u in units]
    theirs = [(where, key) for key, where in other_part_texts().items()]
    hits = []
    for i, (wa, a) in enumerate(mine):
        sm = difflib.SequenceMatcher(None, autojunk=False)
        sm.set_seq2(a)
        for wb, b in mine[i + 1:] + theirs:
            sm.set_seq1(b)
            if sm.real_quick_ratio() >= threshold and sm.quick_ratio() >= threshold \
                    and sm.ratio() >= threshold:
                hits.append(f"near-duplicate ({sm.ratio():.2f}): {wa} {a!r} ~ {wb} {b!r}")
    return hits


def main():
    units, errors = read_units()
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    if "--near" in sys.argv:
        hits = near_duplicates(units)
        print("\n".join(hits) if hits else "no near-duplicates", file=sys.stderr)
    print(counts_markdown(units))
    if "--check" in sys.argv:
        return
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(["id", "industry", "style", "text", "label", "rule"])
        for i, u in enumerate(units, 1):
            w.writerow([f"{PREFIX}{i:04d}", u["industry"], u["style"], u["text"], u["label"], u["rule"]])
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
