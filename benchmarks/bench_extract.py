"""Extraction throughput on 2 cores: segmentation + classification + enablers + statements, embeddings included.

Usage:
    python benchmarks/bench_extract.py [PATH] [--limit N]

Runs :func:`jtbd.extract.extract` with the shipped models over the records of PATH
(default: the shipped demo corpus) in a fresh process with a new, empty embedding
cache, so every unit is embedded (cold). Models are loaded before the clock starts.
Prints units per second and writes benchmarks/results/extract.json.
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
DEFAULT = ROOT / "corpora" / "demo" / "feedback.csv"

CHILD = """
import json, sys, time
from jtbd.io import load_feedback
from jtbd.extract import OutcomeExtractor
from jtbd.embed import get_embedder
from jtbd.nlp import get_nlp
records = load_feedback(sys.argv[1]).records
limit = int(sys.argv[2])
if limit:
    records = records.head(limit)
ex = OutcomeExtractor()
get_embedder().model; get_nlp("auto"); get_nlp("shipped"); ex.tagger._prototypes()  # load outside the clock
t = time.perf_counter()
res = ex.transform(records)
sec = time.perf_counter() - t
print(json.dumps({"records": len(records), "units": len(res.units), "outcome_units": len(res.outcomes), "seconds": sec}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--limit", type=int, default=0, help="only the first N records (0: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "JTBD_CACHE_DIR": cache, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        out = subprocess.run([sys.executable, "-c", CHILD, args.path, str(args.limit)], env=env, capture_output=True, text=True)
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return out.returncode
        r = json.loads(out.stdout.strip().splitlines()[-1])
    result = {"file": Path(args.path).name, **r, "seconds": round(r["seconds"], 2),
              "units_per_second": round(r["units"] / r["seconds"], 1), "records_per_second": round(r["records"] / r["seconds"], 1),
              "cache": "cold", "cpus": os.cpu_count()}
    print(json.dumps(result, indent=2))
    dest = ROOT / "benchmarks" / "results"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "extract.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
