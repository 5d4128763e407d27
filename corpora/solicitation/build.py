"""Assemble the solicitation training corpus from its parts (stdlib only, deterministic).

    python3 corpora/solicitation/build.py

Each part folder (part_a .. part_e) holds hand-written source chunks and a
build.py that writes its examples.csv; this script runs them and concatenates their
outputs into corpora/solicitation/examples.csv (id, domain, channel, text, solicited).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = ["part_a", "part_b", "part_c", "part_d", "part_e"]
COLUMNS = ["id", "domain", "channel", "text", "solicited"]


def main() -> int:
    rows = []
    for part in PARTS:
        subprocess.run([sys.executable, str(HERE / part / "build.py")], check=True, cwd=HERE / part, stdout=subprocess.DEVNULL)
        with open(HERE / part / "examples.csv", newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                rows.append({k: row[k] for k in COLUMNS})
    seen = set()
    for row in rows:
        if row["id"] in seen:
            raise SystemExit(f"duplicate id {row['id']}")
        seen.add(row["id"])
        if row["solicited"] not in ("0", "1"):
            raise SystemExit(f"bad label in {row['id']}: {row['solicited']!r}")
    with open(HERE / "examples.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} examples -> {HERE / 'examples.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
