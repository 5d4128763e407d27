"""Timing of the themes stage for 10k and 100k units, and the re-run from cache.

Usage:
    python benchmarks/bench_themes.py [--sizes 10000 100000]

Extracts the shipped demo corpus once, then builds synthetic dumps of N units by
repeating its units under new record ids (each copy keeps its text, so embedding is
done once and the figures time the themes stage itself: unit selection, context
vectors, UMAP + k-means on at most ``max_fit_units`` units, assignment of the rest,
keywords, hierarchy, tables). Each size runs in a fresh process (numba compiles
UMAP's kernels once per process, and that is part of a first run), with a new empty
theme cache; then the same size again in a new process with the cache warm.
Writes benchmarks/results/themes.json.
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
DEMO = ROOT / "corpora" / "demo" / "feedback.csv"

PREP = """
import sys
from jtbd.io import load_feedback
from jtbd.extract import extract
res = extract(load_feedback(sys.argv[1]).records)
res.units.to_parquet(sys.argv[2] + "/units.parquet"); res.outcomes.to_parquet(sys.argv[2] + "/outcomes.parquet")
"""

CHILD = """
import json, sys, time
import pandas as pd
from jtbd.themes import fit_themes
base = pd.read_parquet(sys.argv[1] + "/units.parquet"); outs = pd.read_parquet(sys.argv[1] + "/outcomes.parquet")
n = int(sys.argv[2]); reps = -(-n // len(base))
parts, oparts = [], []
for r in range(reps):
    parts.append(base.assign(record_id=base["record_id"] + f"-{r}", unit_id=base["unit_id"] + f"-{r}"))
    oparts.append(outs.assign(record_id=outs["record_id"] + f"-{r}", unit_id=outs["unit_id"] + f"-{r}"))
units = pd.concat(parts, ignore_index=True).head(n); outcomes = pd.concat(oparts, ignore_index=True)
out = {"units": len(units)}
for kind in ("job", "enabler"):
    t = time.perf_counter()
    res = fit_themes(units, outcomes=outcomes, kind=kind)
    out[kind] = {"seconds": round(time.perf_counter() - t, 2), "units_themed": res.info["units_themed"], "n_themes": res.info["n_themes"],
                 "method": res.info["method"], "cached": res.info["fit"]["cached"], "outlier_share": round(res.outlier_share, 4),
                 "units_fitted": res.info["fit"].get("units_fitted")}
out["seconds"] = round(out["job"]["seconds"] + out["enabler"]["seconds"], 2)
print(json.dumps(out))
"""


def _run(code: str, *args: str, env: dict) -> str:
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        raise SystemExit(out.returncode)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    results = {"cpus": os.cpu_count(), "corpus": DEMO.name, "runs": []}
    with tempfile.TemporaryDirectory() as work:
        emb_cache = Path(work) / "cache"
        env = {**os.environ, "JTBD_CACHE_DIR": str(emb_cache), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        _run(PREP, str(DEMO), work, env=env)
        for n in args.sizes:
            theme_cache = emb_cache / "themes"
            if theme_cache.exists():
                import shutil

                shutil.rmtree(theme_cache)
            first = json.loads(_run(CHILD, work, str(n), env=env))
            again = json.loads(_run(CHILD, work, str(n), env=env))
            row = {"units": n, "first_run": first, "rerun": again,
                   "rerun_speedup": round(first["seconds"] / max(again["seconds"], 1e-9), 1)}
            results["runs"].append(row)
            print(json.dumps(row), flush=True)
    dest = ROOT / "benchmarks" / "results"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "themes.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
