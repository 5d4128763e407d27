"""`jtbd analyze`: the whole pipeline on the demo corpus, into one run folder."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from conftest import DEMO


@pytest.mark.slow
def test_analyze_demo_writes_every_table_the_data_allows(invoke, tmp_path):
    r = invoke("analyze", DEMO, "--out", tmp_path / "run")
    assert r.exit_code == 0, r.output
    assert "NPS" in r.output and "outcome share, solicited" in r.output
    run = tmp_path / "run"
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["not_made"] == {}  # the demo has scores, dates, channels, customer values and questions
    for name in ("records", "units", "outcomes", "themes", "theme_assignments", "metrics_headline", "metrics_scores_by_group",
                 "metrics_theme_impact", "metrics_centricity", "metrics_opportunity", "metrics_value_priority",
                 "metrics_value_tiers", "metrics_up_and_comers", "metrics_question_audit", "metrics_theme_trends",
                 "metrics_theme_channels"):
        assert (run / f"{name}.parquet").exists(), name
    assert set(manifest["timings"]) >= {"load", "solicitation", "extract", "themes_job", "themes_enabler", "metrics"}
    # every theme traces back to record ids and spans of the customers' words
    themes = pd.read_parquet(run / "themes.parquet")
    assign = pd.read_parquet(run / "theme_assignments.parquet")
    records = pd.read_parquet(run / "records.parquet").set_index("record_id")
    a = assign.iloc[0]
    assert records.loc[a["record_id"], "text"][a["start"]:a["end"]] == a["text"]
    assert set(assign["theme_id"]) - {"outlier"} <= set(themes["theme_id"])
    assert themes.groupby("kind")["parent_id"].nunique().max() <= 8
    head = pd.read_parquet(run / "metrics_headline.parquet").iloc[0]
    assert head["measure"] == "NPS" and head["score_ci_low"] <= head["score"] <= head["score_ci_high"]
    c = pd.read_parquet(run / "metrics_centricity.parquet").set_index("group")
    assert {"solicited", "unsolicited", "gap (unsolicited - solicited)"} <= set(c.index)
    audit = pd.read_parquet(run / "metrics_question_audit.parquet")
    assert set(audit["focus"]) <= {"enabler-focused", "outcome-focused", "open"}
    # a rewording only from a job theme named by a shared job whose name passes the naming rules; else none, and why
    from jtbd.naming import name_problems

    assert (audit["rewording_is_suggestion"] == audit["suggested_rewording"].notna()).all()
    assert audit["rewording_status"].notna().all()
    enabler_q = audit[audit["focus"] == "enabler-focused"]
    assert enabler_q["rewording_is_suggestion"].any()  # the demo's enabler questions get rewordings
    jobs = themes[themes["kind"] == "job"].set_index("theme_id")
    for _, row in enabler_q.iterrows():
        tid = re.search(r"\b(J\d+)\b", row["rewording_status"])
        if row["rewording_is_suggestion"]:
            name = jobs.loc[tid.group(1), "label"].split(" (")[0]
            assert row["suggested_rewording"] == f"When you were trying to {name}, what made it slow, hard or uncertain?"
            assert name_problems(name) == [] and jobs.loc[tid.group(1), "label_source"].startswith("shared_job")
        elif tid:  # its top job theme's name could not make one: the status says which rule, and it holds
            t = jobs.loc[tid.group(1)]
            assert name_problems(t["label"].split(" (")[0]) or not t["label_source"].startswith("shared_job"), row["rewording_status"]
        else:
            assert row["rewording_status"] in ("its answers touch no job theme", "no job themes in this run")
    impact = pd.read_parquet(run / "metrics_theme_impact.parquet")
    assert impact["small_sample"].any()  # few of a theme's records carry a score, and the table says so
    trends = pd.read_parquet(run / "metrics_theme_trends.parquet")
    assert trends["small_sample"].dtype == bool and trends["emerging"].any()
    assert (run / "theme_model" / "job" / "themes.safetensors").exists()
    # the report: written by analyze, holds the result's key figures, renders in a browser
    from html import unescape

    page = unescape((run / "report.html").read_text())
    top_job = themes[themes["kind"] == "job"].sort_values("n_records", ascending=False).iloc[0]["label"]
    figures = [f"{head['score']:.1f}", f"{100 * c.loc['solicited', 'outcome_share']:.1f}%",
               f"{100 * c.loc['unsolicited', 'outcome_share']:.1f}%", top_job]
    for f in figures:
        assert f in page, f
    from test_report import browser_or_skip, check_in_browser

    browser_or_skip()
    check_in_browser(run / "report.html", run / "report.png", figures)


@pytest.mark.slow
def test_analyze_library_returns_the_tables_and_lists_what_it_could_not_make():
    import jtbd
    import jtbd.pipeline  # importing the module must not shadow the function

    assert callable(jtbd.analyze)
    df = pd.DataFrame({"text": ["The app crashed twice, so I missed my rent payment.", "Staff were lovely and the room was clean.",
                                "I waited two hours on the phone to change one flight.", "Great value for money."] * 5})
    res = jtbd.analyze(df, text_col="text")
    assert {"records", "units", "outcomes", "themes", "theme_assignments", "metrics_centricity"} <= set(res.tables())
    assert "scores_by_group" in res.not_made and "score" in res.not_made["scores_by_group"]
    assert "value_priority" in res.not_made and "question_audit" in res.not_made
    assert res.provenance["seeds"] == {"seed": 42}


@pytest.mark.slow
def test_configured_channel_words_reach_analyze_in_memory_and_streamed(tmp_path):
    # [solicitation] solicited_channels reached `jtbd split` only: analyze ignored it on both paths
    import jtbd
    from jtbd.config import Config
    from jtbd.stream import analyze_stream

    texts = ["The app crashed twice, so I missed my rent payment.", "Staff were lovely and the room was clean.",
             "I waited two hours on the phone to change one flight.", "Great value for money."] * 5
    df = pd.DataFrame({"record_id": [f"r{i}" for i in range(20)], "text": texts, "channel": ["kiosk", "twitter"] * 10})
    df.to_csv(tmp_path / "d.csv", index=False)
    cfg = Config().override({"solicitation": {"solicited_channels": ("kiosk",)}})
    plain = jtbd.analyze(df).records.set_index("record_id")
    assert not plain.loc["r0", "solicitation_evidence"].startswith("channel 'kiosk'")
    memory = jtbd.analyze(df, config=cfg).records.set_index("record_id")
    streamed = pd.read_parquet(analyze_stream(tmp_path / "d.csv", out=tmp_path / "run", config=cfg, report=False).path
                               / "records.parquet").set_index("record_id")
    for recs in (memory, streamed):
        kiosk = recs[recs["channel"] == "kiosk"]
        assert (kiosk["solicitation"] == "solicited").all()
        assert kiosk["solicitation_evidence"].str.startswith("channel 'kiosk' -> solicited").all()
        assert (recs.loc[recs["channel"] == "twitter", "solicitation"] == "unsolicited").all()
