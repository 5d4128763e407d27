"""Embedding throughput of each backend on the same texts, measured in one run.

Usage:
    python benchmarks/bench_embed.py [--data ../shared/datasets/airline_tweets_dev.csv] [--n 3000]

One fresh process, an empty ``JTBD_CACHE_DIR`` (so the ONNX export, the int8
quantisation and the static distillation happen first, timed apart as ``setup_seconds``),
and no vector cache while timing: each backend embeds the same ``--n`` tweets (best of 2
passes). Prints and writes ``benchmarks/results/embed.json`` with texts/s, the ratio to
torch and the cosine of each backend's vectors to torch's (transformer backends).
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
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "airline_tweets_dev.csv"

CHILD = r"""
import json, sys, time
import numpy as np, pandas as pd
from jtbd.embed import get_embedder
texts = pd.read_csv(sys.argv[1])["text"].astype(str).tolist()[: int(sys.argv[2])]
out, ref = {}, None
for backend in ("torch", "onnx", "onnx-int8", "static"):
    t = time.perf_counter()
    emb = get_embedder(backend=backend, use_cache=False)
    emb.encode(texts[:8])
    setup = time.perf_counter() - t
    best, vecs = float("inf"), None
    for _ in range(2):
        t = time.perf_counter()
        vecs = emb.encode(texts)
        best = min(best, time.perf_counter() - t)
    row = {"texts_per_s": round(len(texts) / best, 1), "seconds": round(best, 2), "setup_seconds": round(setup, 1), "dim": int(vecs.shape[1])}
    if backend == "torch":
        ref = vecs
    elif vecs.shape == ref.shape:
        cos = (vecs * ref).sum(axis=1)
        row.update(cos_to_torch_mean=round(float(cos.mean()), 4), cos_to_torch_min=round(float(cos.min()), 4))
    out[backend] = row
for backend, row in out.items():
    row["ratio_to_torch"] = round(row["texts_per_s"] / out["torch"]["texts_per_s"], 2)
print(json.dumps({"texts": len(texts), "backends": out}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "embed.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "JTBD_CACHE_DIR": work, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        proc = subprocess.run([sys.executable, "-c", CHILD, args.data, str(args.n)], env=env, capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr, file=sys.stderr)
        return proc.returncode
    result = {"data": Path(args.data).name, "cpus": os.cpu_count(), **json.loads(proc.stdout.strip().splitlines()[-1])}
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
