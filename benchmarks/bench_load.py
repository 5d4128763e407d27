"""Loader speed: the 5,834-row airline tweets file, best and median of several runs.

Usage:
    python benchmarks/bench_load.py [PATH] [--repeat N]

Prints the loader's own time (``info["seconds"]``: reading, decoding, role
inference, records) and the time to import jtbd plus pandas, and writes them to
``benchmarks/results/load.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "datasets" / "airline_tweets_dev.csv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    path = Path(args.path)
    if not path.exists():
        print(f"skipped: {path} not found (../shared/datasets is absent)")
        return 0
    t0 = time.perf_counter()
    import jtbd
    import pandas  # noqa: F401  (imported by the loader on first use)

    import_s = time.perf_counter() - t0
    loader, wall = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        loaded = jtbd.load_feedback(path)
        wall.append(time.perf_counter() - t)
        loader.append(loaded.info["seconds"])
    result = {
        "file": path.name,
        "rows_read": loaded.info["rows_read"],
        "records": loaded.info["records"],
        "loader_seconds_best": round(min(loader), 4),
        "loader_seconds_median": round(statistics.median(loader), 4),
        "rows_per_second_median": round(loaded.info["rows_read"] / statistics.median(loader)),
        "import_seconds": round(import_s, 3),
        "repeat": args.repeat,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cpus",
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key:>24}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
