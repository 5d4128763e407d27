"""Solicitation text model throughput on 2 cores, embeddings included: cold and warm cache.

Usage:
    python benchmarks/bench_solicitation.py [PATH] [--limit N]

Runs the shipped model text-only over the records of PATH (default: the shared
solicitation_dev.csv) twice in fresh processes sharing one new, empty embedding cache:
the first run embeds every text (cold), the second finds them all in the cache (warm).
Prints records per second for each and writes benchmarks/results/solicitation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "datasets" / "solicitation_dev.csv"

CHILD = """
import json, sys, time
import pandas as pd
from jtbd.solicitation import SolicitationModel
from jtbd.embed import get_embedder
df = pd.read_csv(sys.argv[1])
limit = int(sys.argv[2])
texts = df["text"].fillna("").astype(str).tolist()[:limit] if limit else df["text"].fillna("").astype(str).tolist()
model = SolicitationModel.load()
get_embedder().model  # load the model outside the timed part
t = time.perf_counter()
pred = model.predict(texts)
sec = time.perf_counter() - t
print(json.dumps({"n": len(texts), "seconds": sec, "embedded": get_embedder().stats.embedded}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--limit", type=int, default=0, help="only the first N records (0: all)")
    args = parser.parse_args()
    if not Path(args.path).exists():
        print(f"skipped: {args.path} not found (../shared/datasets is absent)")
        return 0
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "JTBD_CACHE_DIR": cache, "HF_HUB_OFFLINE": "1"}
        runs = []
        for label in ("cold", "warm"):
            out = subprocess.run([sys.executable, "-c", CHILD, args.path, str(args.limit)], env=env, capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r["label"] = label
            runs.append(r)
    result = {
        "file": Path(args.path).name,
        "records": runs[0]["n"],
        "cold_records_per_second": round(runs[0]["n"] / runs[0]["seconds"], 1),
        "warm_records_per_second": round(runs[1]["n"] / runs[1]["seconds"], 1),
        "cold_seconds": round(runs[0]["seconds"], 2),
        "warm_seconds": round(runs[1]["seconds"], 2),
        "embedded_cold": runs[0]["embedded"],
        "embedded_warm": runs[1]["embedded"],
        "cpus": os.cpu_count(),
    }
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "solicitation.json").write_text(json.dumps(result, indent=2) + "\n")
    for k, v in result.items():
        print(f"{k:>26}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
