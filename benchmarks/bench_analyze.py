"""Whole-pipeline throughput of ``jtbd analyze`` beside embedding-only throughput, in one run.

Usage:
    python benchmarks/bench_analyze.py [--data ../shared/datasets/airline_tweets_dev.csv]
                                       [--out benchmarks/results/analyze.json]

One fresh process with an empty ``JTBD_CACHE_DIR``:

1. loads the embedding model (timed on its own);
2. runs :func:`jtbd.analyze` on the file and writes the run folder (load, solicitation
   split, segmentation, outcome/enabler classification, statements, themes, metrics),
   recording every distinct text the pipeline sent to the model;
3. embeds exactly those texts again, with the same model, batch size and length
   ordering as :class:`jtbd.embed.Embedder`, without the cache: the embedding floor.

Throughput is records per second over the file's records. ``ratio`` is pipeline
throughput / embedding-only throughput (1.0 would mean everything but embedding is
free). Stage timings come from the run's manifest. Then the same analysis again in a
second fresh process with the cache now warm (vectors, extraction chunks, theme fits):
``rerun_speedup`` = first / re-run pipeline seconds. ``--embedder`` picks the backend
(default torch, so the figures compare with earlier ones); the embedding-only pass uses
the same backend. The backend's one-off export or distillation is part of model load. Writes the JSON to
``--out`` and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "airline_tweets_dev.csv"

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from jtbd.embed import get_embedder
emb = get_embedder()
backend = emb._backend()  # loads the model (or the export / distillation) once
load_s = time.perf_counter() - t0
seen = {}
orig = backend.encode
def recording(texts, *a, **k):
    for t in texts:
        seen.setdefault(t, None)
    return orig(texts, *a, **k)
backend.encode = recording

import jtbd
t1 = time.perf_counter()
res = jtbd.analyze(sys.argv[1], seed=42)
res.save(sys.argv[2])
pipeline_s = time.perf_counter() - t1
backend.encode = orig

n = len(res.records)
if sys.argv[3] == "rerun":
    print(json.dumps({"records": n, "pipeline_seconds": round(pipeline_s, 2), "model_load_seconds": round(load_s, 2),
                      "texts_embedded": len(seen), "stage_seconds": res.provenance.get("timings", {})}))
    raise SystemExit(0)
texts = sorted(seen, key=len, reverse=True)
t2 = time.perf_counter()
backend.encode(texts)
embed_s = time.perf_counter() - t2
print(json.dumps({
    "records": n, "units": len(res.units), "texts_embedded": len(texts),
    "model_load_seconds": round(load_s, 2), "pipeline_seconds": round(pipeline_s, 2),
    "pipeline_seconds_with_load": round(pipeline_s + load_s, 2),
    "embedding_only_seconds": round(embed_s, 2),
    "embedding_seconds_inside_pipeline": round(emb.stats.seconds_embedding, 2),
    "pipeline_records_per_s": round(n / pipeline_s, 1),
    "embedding_only_records_per_s": round(n / embed_s, 1),
    "embedding_only_texts_per_s": round(len(texts) / embed_s, 1),
    "ratio_pipeline_to_embedding": round(embed_s / pipeline_s, 3),
    "stage_seconds": res.provenance.get("timings", {}),
    "backend": emb.describe()["backend"], "device": emb.device,
}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--out", default=None, help="default: benchmarks/results/analyze.json (analyze-BACKEND.json for others)")
    parser.add_argument("--embedder", default="torch", choices=["torch", "onnx", "onnx-int8", "static"])
    args = parser.parse_args()
    if not Path(args.data).exists():
        print(f"error: {args.data} not found (the airline tweets live in ../shared/datasets)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "JTBD_CACHE_DIR": str(Path(work) / "cache"), "HF_HUB_OFFLINE": "1",
               "TOKENIZERS_PARALLELISM": "false", "JTBD_EMBEDDER": args.embedder}
        runs = {}
        for mode in ("first", "rerun"):
            proc = subprocess.run([sys.executable, "-c", CHILD, args.data, str(Path(work) / f"run-{mode}"), mode], env=env,
                                  capture_output=True, text=True)
            if proc.returncode:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            runs[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    figures = runs["first"]
    figures["rerun_warm_cache"] = runs["rerun"]
    figures["rerun_speedup"] = round(figures["pipeline_seconds"] / max(runs["rerun"]["pipeline_seconds"], 1e-9), 1)
    result = {"data": Path(args.data).name, "cpus": os.cpu_count(), "machine": platform.machine(),
              "python": platform.python_version(), **figures}
    if args.out is None:
        name = "analyze.json" if args.embedder == "torch" else f"analyze-{args.embedder}.json"
        args.out = str(ROOT / "benchmarks" / "results" / name)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
