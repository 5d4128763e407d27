"""Streaming: chunked reading as the whole-file loader reads, a bounded order-free theme sample,
Parquet tables appended chunk by chunk, and a streamed run equal to the in-memory one."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import DEMO, FLOAT_NOISE
from jtbd.errors import UsageError


def _messy_csv(path, n=230):
    rows = []
    for i in range(n):
        text = f'Order {i} was late, so I missed the "party".\nSecond line {i}' if i % 7 == 0 else f"Delivery {i} arrived broken"
        rows.append({"comment": text if i % 11 else "", "score": i % 11, "when": f"2025-0{1 + i % 9}-1{i % 10}",
                     "channel": ["email", "app", "web"][i % 3]})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_streamed_csv_chunks_read_exactly_as_the_whole_file(tmp_path):
    from jtbd.io import load_feedback
    from jtbd.stream import iter_feedback

    path = _messy_csv(tmp_path / "export.csv")  # no id column: ids come from line numbers, some rows span two lines
    whole = load_feedback(path)
    parts = list(iter_feedback(path, chunk_size=40))
    assert len(parts) == 6
    streamed = pd.concat([p.records for p, _ in parts], ignore_index=True)
    pd.testing.assert_frame_equal(whole.records, streamed, check_dtype=False)
    skipped = pd.concat([p.skipped for p, _ in parts], ignore_index=True)
    assert skipped["source_row"].tolist() == whole.skipped["source_row"].tolist()
    assert sum(p.info["rows_read"] for p, _ in parts) == whole.info["rows_read"]


def test_streamed_parquet_folder_and_glob(tmp_path):
    from jtbd.io import load_feedback
    from jtbd.stream import input_files, iter_feedback

    df = pd.read_csv(DEMO).head(120)
    (tmp_path / "dump").mkdir()
    df.iloc[:70].to_parquet(tmp_path / "dump" / "a.parquet", index=False)
    df.iloc[70:].to_parquet(tmp_path / "dump" / "b.parquet", index=False)
    whole = load_feedback(tmp_path / "dump")
    streamed = pd.concat([p.records for p, _ in iter_feedback(tmp_path / "dump", chunk_size=25)], ignore_index=True)
    pd.testing.assert_frame_equal(whole.records, streamed, check_dtype=False)
    assert [p.name for p in input_files(str(tmp_path / "dump" / "*.parquet"))] == ["a.parquet", "b.parquet"]
    with pytest.raises(UsageError, match="matches no files"):
        input_files(str(tmp_path / "dump" / "*.xlsx"))


def test_sampler_is_bounded_stratified_and_independent_of_order_and_chunking():
    from jtbd.stream import MIN_PER_STRATUM, RecordSampler

    recs = pd.DataFrame({"record_id": [f"r{i}" for i in range(5000)],
                         "solicitation": ["solicited" if i % 10 == 0 else "unsolicited" for i in range(5000)],
                         "channel": ["email" if i % 50 == 0 else "app" for i in range(5000)]})
    a = RecordSampler(600)
    for start in range(0, len(recs), 700):
        a.add(recs.iloc[start:start + 700])
    b = RecordSampler(600)
    shuffled = recs.sample(frac=1, random_state=3)
    for start in range(0, len(recs), 1300):
        b.add(shuffled.iloc[start:start + 1300])
    assert a.sample() == b.sample()
    assert len(a.sample()) == 600
    assert all(len(k) <= 600 for k in a.kept.values())  # memory: at most `size` ids per stratum
    q = a.quotas()
    assert q["app | unsolicited"] > q["app | solicited"] > 0
    assert q["email | solicited"] == min(MIN_PER_STRATUM, a.counts["email | solicited"])  # a small stratum is kept whole


def test_table_writer_conforms_later_chunks_to_the_first_schema(tmp_path):
    from jtbd.stream import TableWriter

    w = TableWriter(tmp_path / "t.parquet")
    w.write(pd.DataFrame({"record_id": ["a", "b"], "note": [None, None], "n": [1.5, 2.0]}))
    w.write(pd.DataFrame({"record_id": ["c"], "note": ["now text"], "extra": [1]}))  # 'n' missing, 'extra' new
    w.close()
    out = pd.read_parquet(tmp_path / "t.parquet")
    assert out["record_id"].tolist() == ["a", "b", "c"]
    assert out["note"].tolist()[2] == "now text" and pd.isna(out["n"].iloc[2])
    assert w.dropped == {"extra"} and w.rows == 3


def test_a_glob_without_streaming_is_refused_with_the_fix(invoke, tmp_path):
    from jtbd.cli import cli  # noqa: F401

    pd.read_csv(DEMO).head(5).to_parquet(tmp_path / "a.parquet", index=False)
    res = invoke("analyze", str(tmp_path / "*.parquet"), "--no-stream")
    assert res.exit_code != 0 and "--no-stream" in res.output


@pytest.mark.slow
def test_streamed_run_equals_the_in_memory_run(tmp_path):
    import jtbd
    from jtbd.stream import analyze_stream

    df = pd.read_csv(DEMO).head(240)
    df.to_csv(tmp_path / "demo.csv", index=False)
    memory = jtbd.analyze(tmp_path / "demo.csv", seed=5)
    saved = memory.save(tmp_path / "memory", report=False)
    run = analyze_stream(tmp_path / "demo.csv", out=tmp_path / "run", seed=5, chunk_size=70)
    assert run.manifest["streaming"]["records_in_sample"] == len(memory.records)  # all of them: below the sample size
    # units of records not in English get no theme on either path, and both count them
    excluded = memory.provenance["counts"]["not_in_analysis_language"]
    assert run.manifest["counts"]["not_in_analysis_language"] == excluded
    assert run.manifest["counts"]["non_answers"] == memory.provenance["counts"]["non_answers"]
    for name in ("records", "units", "outcomes", "themes", "theme_assignments", "metrics_headline", "metrics_centricity",
                 "metrics_opportunity", "metrics_scores_by_group", "metrics_value_priority", "metrics_question_audit"):
        streamed = pd.read_parquet(run.path / f"{name}.parquet")
        mem = pd.read_parquet(saved.path / f"{name}.parquet")
        pd.testing.assert_frame_equal(streamed[list(mem.columns)], mem, check_dtype=False, obj=name, **FLOAT_NOISE)
    assert (run.path / "report.html").exists() and (run.path / "theme_model" / "job").is_dir()


@pytest.mark.slow
def test_streamed_run_samples_and_assigns_beyond_the_sample(tmp_path):
    from jtbd.stream import analyze_stream

    pd.read_csv(DEMO).to_parquet(tmp_path / "demo.parquet", index=False)
    run = analyze_stream(tmp_path / "demo.parquet", out=tmp_path / "run", chunk_size=200, sample_records=150, report=False)
    info = run.manifest["streaming"]
    assert info["records_in_sample"] == 150 and sum(info["sample_strata"].values()) == 150
    a = pd.read_parquet(run.path / "theme_assignments.parquet")
    assert a["record_id"].nunique() > 300  # units of records outside the sample got themes too
    themes = pd.read_parquet(run.path / "themes.parquet")
    counted = a[a["theme"] >= 0].groupby("theme_id")["record_id"].nunique()
    assert (themes.set_index("theme_id")["n_records"] == counted.reindex(themes["theme_id"]).fillna(0).to_numpy()).all()


@pytest.mark.slow
def test_streamed_run_on_a_local_cluster_equals_the_single_process_stream(tmp_path):
    pytest.importorskip("distributed")
    from jtbd.stream import analyze_stream

    df = pd.read_csv(DEMO).head(160)
    df.to_csv(tmp_path / "demo.csv", index=False)
    one = analyze_stream(tmp_path / "demo.csv", out=tmp_path / "one", chunk_size=40, report=False)
    two = analyze_stream(tmp_path / "demo.csv", out=tmp_path / "two", chunk_size=40, report=False, dask="local:2")
    assert two.manifest["dask"]["workers"] == 2 and two.manifest["dask"]["chunks"] == 4
    assert "theme assignment" in two.manifest["dask"]["on_workers"]
    for name in ("records", "units", "outcomes", "themes", "theme_assignments", "metrics_centricity"):
        pd.testing.assert_frame_equal(pd.read_parquet(one.path / f"{name}.parquet"), pd.read_parquet(two.path / f"{name}.parquet"),
                                      obj=name, **FLOAT_NOISE)


@pytest.mark.slow
def test_a_streamed_run_killed_mid_way_resumes_from_its_finished_chunks(tmp_path, monkeypatch):
    from jtbd.extract import OutcomeExtractor
    from jtbd.stream import analyze_stream

    pd.read_csv(DEMO).head(90).to_csv(tmp_path / "demo.csv", index=False)
    real = OutcomeExtractor._label_chunk
    calls = {"n": 0}

    def dies_on_the_third_chunk(self, units, records_chunk):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")
        return real(self, units, records_chunk)

    monkeypatch.setattr(OutcomeExtractor, "_label_chunk", dies_on_the_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        analyze_stream(tmp_path / "demo.csv", out=tmp_path / "run", chunk_size=30, report=False)
    monkeypatch.setattr(OutcomeExtractor, "_label_chunk", real)
    resumed = analyze_stream(tmp_path / "demo.csv", out=tmp_path / "run", chunk_size=30, report=False)
    assert resumed.manifest["streaming"]["extraction_chunks_reused"] == 2  # the two finished before the kill
    fresh = analyze_stream(tmp_path / "demo.csv", out=tmp_path / "again", chunk_size=30, report=False)
    assert fresh.manifest["streaming"]["extraction_chunks_reused"] == 3
    for name in ("units", "outcomes", "theme_assignments", "metrics_centricity"):
        pd.testing.assert_frame_equal(pd.read_parquet(resumed.path / f"{name}.parquet"), pd.read_parquet(fresh.path / f"{name}.parquet"),
                                      obj=name, **FLOAT_NOISE)


def test_roles_found_in_the_first_chunk_hold_for_every_chunk(tmp_path):
    from jtbd.io import load_feedback
    from jtbd.stream import iter_feedback

    # 'id' repeats in the first 50 rows (not an id there), is unique after: later chunks must not start using it
    ids = [i // 2 for i in range(50)] + list(range(1000, 1100))
    pd.DataFrame({"id": ids, "comment": [f"The parcel {i} came late" for i in range(150)]}).to_csv(tmp_path / "x.csv", index=False)
    whole = load_feedback(tmp_path / "x.csv")
    streamed = pd.concat([p.records for p, _ in iter_feedback(tmp_path / "x.csv", chunk_size=50)], ignore_index=True)
    assert whole.info["roles"]["id"] is None
    assert streamed["record_id"].tolist() == whole.records["record_id"].tolist()
    assert streamed["record_id"].str.startswith("row").all()
