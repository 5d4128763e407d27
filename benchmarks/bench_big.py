"""Time and peak memory of one streamed ``jtbd analyze`` run on a big dump.

Usage:
    python benchmarks/make_big.py --records 1000000 --out /tmp/big1m
    python benchmarks/bench_big.py --data /tmp/big1m --embedder static --dask local:2 \
        --out benchmarks/results/big-1m-static.json

Runs ``jtbd --embedder E analyze DATA --stream [--dask ADDRESS] -o RUN`` as a child
process with an empty ``JTBD_CACHE_DIR`` (nothing reused: no vectors, no extraction
chunks, no theme fits; the one-off ONNX export or static distillation happens inside the
run and is part of its time) and samples the resident memory of the whole process tree
(the driver and any Dask workers) every half second. Prints and writes: records, units,
wall seconds, records/s, peak RSS of the tree and of its largest process, and the stage
timings from the run's manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tree_rss(proc) -> tuple[int, int]:
    import psutil

    total = largest = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0, 0
    for p in procs:
        try:
            rss = p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
        total += rss
        largest = max(largest, rss)
    return total, largest


def main() -> int:
    import psutil

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--embedder", default="static")
    parser.add_argument("--dask", default=None)
    parser.add_argument("--run-dir", default=None, help="run folder (default: a temporary one)")
    parser.add_argument("--out", default=None, help="JSON results file")
    parser.add_argument("--cache-dir", default=None, help="JTBD_CACHE_DIR (default: a new empty one)")
    parser.add_argument("--chunk-size", type=int, default=50_000, help="records per chunk (smaller: more chunks for the workers)")
    args = parser.parse_args()

    cache = args.cache_dir or tempfile.mkdtemp(prefix="jtbd-big-cache-")
    run_dir = args.run_dir or tempfile.mkdtemp(prefix="jtbd-big-run-")
    cmd = [str(Path(sys.executable).with_name("jtbd")), "--embedder", args.embedder, "analyze", args.data, "--stream", "-o", run_dir,
           "--chunk-size", str(args.chunk_size)]
    if args.dask:
        cmd += ["--dask", args.dask]
    env = {**os.environ, "JTBD_CACHE_DIR": cache, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    peak = {"total": 0, "largest": 0}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env)
    ps = psutil.Process(proc.pid)

    def watch() -> None:
        while proc.poll() is None:
            total, largest = _tree_rss(ps)
            peak["total"] = max(peak["total"], total)
            peak["largest"] = max(peak["largest"], largest)
            time.sleep(0.5)

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    rc = proc.wait()
    seconds = time.perf_counter() - start
    th.join(timeout=2)
    if rc != 0:
        print(f"jtbd exited with {rc}", file=sys.stderr)
        return rc
    manifest = json.loads((Path(run_dir) / "run.json").read_text())
    counts = manifest.get("counts", {})
    out = {
        "data": args.data, "command": " ".join(cmd[1:]), "embedder": args.embedder, "dask": args.dask,
        "cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
        "records": counts.get("records"), "units": counts.get("units"), "outcome_units": counts.get("outcome_units"),
        "seconds": round(seconds, 1), "records_per_s": round(counts.get("records", 0) / seconds, 1),
        "peak_rss_gb_all_processes": round(peak["total"] / 2**30, 2),
        "peak_rss_gb_largest_process": round(peak["largest"] / 2**30, 2),
        "timings": manifest.get("timings"), "streaming": manifest.get("streaming"),
        "themes": counts.get("themes"), "embedding": manifest.get("models", {}).get("embedding", {}).get("model_id"),
        "run_dir": run_dir,
    }
    text = json.dumps(out, indent=2, default=str)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
