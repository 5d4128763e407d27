"""Dask: the per-record stages on a 2-worker LocalCluster give the single-process result."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import DEMO, FLOAT_NOISE
from jtbd.errors import UsageError


def test_bad_dask_addresses_are_refused_with_the_fix():
    pytest.importorskip("distributed")
    from jtbd.distributed import connect

    with pytest.raises(UsageError, match="local:2"):
        connect("local:two")
    with pytest.raises(UsageError, match="tcp://"):
        connect("my-scheduler")


@pytest.mark.slow
def test_local_cluster_run_equals_the_single_process_run(tmp_path):
    pytest.importorskip("distributed")
    import jtbd

    df = pd.read_csv(DEMO).head(160)
    single = jtbd.analyze(df, seed=7)
    spread = jtbd.analyze(df, seed=7, dask="local:2")
    assert spread.provenance["dask"]["workers"] == 2 and spread.provenance["dask"]["partitions"] >= 4
    for name in ("records", "units", "outcomes", "themes", "theme_assignments", "metrics_centricity", "metrics_headline"):
        a, b = single.tables()[name], spread.tables()[name]
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False, obj=name, **FLOAT_NOISE)
    run = spread.save(tmp_path / "run")
    assert (run.path / "report.html").exists()
