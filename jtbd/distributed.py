"""Running the per-record stages on Dask: the solicitation split and extraction, partition by partition.

``jtbd analyze PATH --dask local[:N]`` (a :class:`distributed.LocalCluster` of N worker
processes, one thread each) or ``--dask tcp://SCHEDULER:8786`` (an existing cluster)
sends the records to the workers as Dask DataFrame partitions. Each worker splits and
extracts its partitions with the same models and options as a single process would (the
models are loaded once per worker process; the embedding backend is passed along), and
the driver gathers the tables in partition order. Theme fitting (on the bounded sample),
metrics and the report then run on the driver, so the run folder is the same as a
single-process run of the same input and seed.

What runs where: loading and column inference on the driver; solicitation + segmentation +
classification + statements on the workers; themes, metrics and report on the driver.
Every worker needs jtbd installed with the same version and the same models.
"""

from __future__ import annotations

import os
from typing import Any

from .errors import ResourceError, UsageError

__all__ = ["connect", "per_record_stages"]

_WORKER_STAGES: dict[tuple, tuple] = {}  # worker side: splitter and extractor per configuration


def connect(address: str):
    """A ``distributed.Client`` for ``local``, ``local:N`` or a scheduler address (``tcp://host:8786``)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ResourceError("E320", "--dask needs dask.distributed", fix="pip install 'dask[dataframe]' distributed") from None
    if address == "local" or address.startswith("local:"):
        n = address.partition(":")[2]
        if n and not n.isdigit():
            raise UsageError("E321", f"--dask {address}: the worker count must be a number", fix="use --dask local:2")
        workers = int(n) if n else max(1, (os.cpu_count() or 2))
        import logging

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.WARNING)
        return Client(cluster)
    if "://" not in address:
        raise UsageError("E322", f"--dask '{address}' is neither local[:N] nor a scheduler address",
                         fix="use --dask local:2 or --dask tcp://SCHEDULER:8786")
    return Client(address)


def _partition(records, splitter_kwargs: dict, outcome_model: Any, env: dict, extractor_kwargs: dict | None = None):
    """Worker side: split and extract one partition (pandas in, three pandas tables out)."""
    for k, v in env.items():
        if v is not None:
            os.environ[k] = v
    from .extract import OutcomeExtractor
    from .solicitation import SolicitationSplitter

    extractor_kwargs = extractor_kwargs or {}
    key = (repr(sorted(splitter_kwargs.items())), repr(sorted(extractor_kwargs.items())), str(outcome_model), env.get("JTBD_EMBEDDER"))
    stages = _WORKER_STAGES.get(key) if isinstance(outcome_model, (str, type(None))) else None
    if stages is None:  # built once per worker process for a given configuration
        stages = (SolicitationSplitter(**splitter_kwargs), OutcomeExtractor(model=outcome_model, **extractor_kwargs))
        if isinstance(outcome_model, (str, type(None))):
            _WORKER_STAGES[key] = stages
    splitter, ex = stages
    recs = splitter.transform(records)
    res = ex.transform(recs)
    return recs, res.units, res.outcomes, res.info


def per_record_stages(records, *, client, splitter_kwargs: dict, outcome_model: Any = None,
                      partition_size: int = 2000, extractor_kwargs: dict | None = None) -> tuple:
    """Solicitation and extraction of ``records`` on the cluster: ``(records, units, outcomes, extraction_info, info)``."""
    import dask
    import dask.dataframe as dd
    import pandas as pd

    workers = max(1, len(client.scheduler_info().get("workers", {})))
    n = min(max(1, len(records)), max(2 * workers, -(-len(records) // partition_size)))
    with dask.config.set({"dataframe.convert-string": False}):  # keep the records' dtypes exactly as loaded
        ddf = dd.from_pandas(records.reset_index(drop=True), npartitions=n, sort=True)
    env = {k: os.environ.get(k) for k in ("JTBD_EMBEDDER", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TOKENIZERS_PARALLELISM")}
    parts = [dask.delayed(_partition)(p, splitter_kwargs, outcome_model, env, extractor_kwargs) for p in ddf.to_delayed()]
    results = client.compute(parts, sync=True)
    recs = pd.concat([r[0] for r in results], ignore_index=True)
    units = pd.concat([r[1] for r in results], ignore_index=True)
    outcomes = pd.concat([r[2] for r in results], ignore_index=True)
    info = {"scheduler": str(client.scheduler.address), "workers": len(client.scheduler_info().get("workers", {})),
            "partitions": ddf.npartitions, "partition_size": partition_size,
            "on_workers": ["solicitation", "segmentation", "classification", "statements"],
            "on_driver": ["load", "themes", "metrics", "report"]}
    return recs, units, outcomes, results[0][3], info
