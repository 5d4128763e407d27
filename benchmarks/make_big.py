"""Build a large synthetic dump from the demo corpus, with variation, in bounded memory.

Usage:
    python benchmarks/make_big.py --records 1000000 --out /tmp/big   # Parquet parts of 100,000 rows

Each output record starts from a demo record (cycled in a seeded random order) and is
varied so that texts are not exact repeats (exact repeats would be de-duplicated by the
loader and served from the vector cache, flattering every timing): numbers are redrawn,
one of a few sentence openers or closers may be added, sentences may be dropped or
reordered when there are several, some words get a typo, and dates, ids, customers and
values are redrawn. Written part by part, so memory stays flat whatever ``--records``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpora" / "demo" / "feedback.csv"
OPENERS = ["", "", "", "Honestly, ", "Update: ", "So, ", "Not happy. ", "Quick one. ", "Again. "]
CLOSERS = ["", "", "", " Thanks.", " Sort it out.", " Cheers", " Not good enough.", " Really disappointed.", " 🙄"]
_NUM = re.compile(r"\d+")
_SENT = re.compile(r"(?<=[.!?])\s+")


def vary(text: str, rng) -> str:
    text = _NUM.sub(lambda m: str(max(1, int(int(m.group()) * rng.uniform(0.5, 1.8)))) if len(m.group()) < 6 else m.group(), text)
    parts = _SENT.split(text)
    if len(parts) > 2 and rng.random() < 0.3:
        parts.pop(int(rng.integers(len(parts))))
    if len(parts) > 1 and rng.random() < 0.2:
        i = int(rng.integers(len(parts) - 1))
        parts[i], parts[i + 1] = parts[i + 1], parts[i]
    text = " ".join(parts)
    if rng.random() < 0.3:
        words = text.split(" ")
        j = int(rng.integers(len(words)))
        w = words[j]
        if len(w) > 4:
            k = int(rng.integers(1, len(w) - 2))
            words[j] = w[:k] + w[k + 1] + w[k] + w[k + 2:]
        text = " ".join(words)
    return OPENERS[int(rng.integers(len(OPENERS)))] + text + CLOSERS[int(rng.integers(len(CLOSERS)))]


def main() -> int:
    import numpy as np
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--part-size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    demo = pd.read_csv(DEMO)
    rng = np.random.default_rng(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dates = pd.to_datetime(demo["date"], errors="coerce")
    start = dates.min()
    span = max(1, (dates.max() - start).days)
    done = 0
    part = 0
    while done < args.records:
        n = min(args.part_size, args.records - done)
        src = demo.iloc[rng.integers(0, len(demo), n)].reset_index(drop=True)
        chunk = src.copy()
        chunk["record_id"] = [f"B{done + i:08d}" for i in range(n)]
        chunk["text"] = [vary(str(t), rng) for t in src["text"]]
        chunk["date"] = (start + pd.to_timedelta(rng.integers(0, span * 3, n), unit="D")).strftime("%Y-%m-%d")
        if "customer_id" in chunk:
            chunk["customer_id"] = [f"C{int(c):07d}" for c in rng.integers(0, max(1, args.records // 4), n)]
        if "customer_value" in chunk:
            chunk["customer_value"] = np.round(rng.lognormal(6, 1, n), 2)
        chunk.to_parquet(out / f"part-{part:04d}.parquet", index=False)
        done += n
        part += 1
        print(f"{done:,} records -> {out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
