"""The HTML report: built from a run folder only, self-contained, and safe with hostile feedback text."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from jtbd import metrics as M
from jtbd.errors import UsageError
from jtbd.report import build_report, export_tables, render_report
from jtbd.runs import RunFolder

EVIL = [
    "<script>window.__pwned = 1</script>",
    "<img src=x onerror=\"window.__pwned = 2\">",
    "javascript:window.__pwned=3",
    "\" onmouseover=\"window.__pwned=4",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "price $5 </svg><script>window.__pwned=5</script>",
]
SCALE = {"min": 0, "max": 10, "kind": "nps", "direction": "higher_is_better", "out_of_scale_values": False}


def _fake_run(path, *, evil: bool = True, scores: bool = True):
    """A small analyze run folder built from the metric functions themselves (no model)."""
    rng = np.random.default_rng(0)
    n = 120
    recs = pd.DataFrame({
        "record_id": [f"R{i:03d}" for i in range(n)],
        "text": [("Our trains were late and I missed my connection. " + (EVIL[i % len(EVIL)] if evil and i % 10 == 0 else "")) for i in range(n)],
        "solicitation": ["solicited" if i % 2 else "unsolicited" for i in range(n)],
        "score": rng.integers(0, 11, n).astype(float),
        "date": pd.date_range("2025-01-01", periods=n, freq="3D").astype(str),
        "channel": ["survey" if i % 2 else ("tweet" if i % 3 else EVIL[1] if evil else "email") for i in range(n)],
    })
    units = pd.DataFrame({"record_id": recs["record_id"].repeat(2).to_numpy(), "label": ["outcome", "enabler"] * n,
                          "solicitation": recs["solicitation"].repeat(2).to_numpy()})
    units.loc[units.index % 5 == 0, "label"] = "both"
    label_j0 = EVIL[0] if evil else "get to work on time"
    themes = pd.DataFrame([
        {"theme_id": "J0", "kind": "job", "label": label_j0, "label_source": "job_statement", "keywords": json.dumps(["late", EVIL[1] if evil else "train"]),
         "n_units": 60, "n_records": 60, "record_share": 0.5, "parent_id": "JP0", "parent_label": label_j0,
         "representatives": json.dumps([{"record_id": "R000", "start": 0, "end": 49, "text": recs["text"][0]}]),
         "statements": json.dumps(["Minimize the time it takes to get to work", EVIL[2] if evil else "Minimize the likelihood of missing a connection"]),
         "unmet_share": 0.8, "solicited_share": 0.5, "unsolicited_share": 0.5, "taxonomy_category": None},
        {"theme_id": "J1", "kind": "job", "label": "get a refund", "label_source": "job_statement", "keywords": json.dumps(["refund"]),
         "n_units": 20, "n_records": 20, "record_share": 0.17, "parent_id": "JP0", "parent_label": label_j0,
         "representatives": json.dumps([]), "statements": json.dumps([]), "unmet_share": 0.2, "solicited_share": 0.4, "unsolicited_share": 0.6,
         "taxonomy_category": None},
        {"theme_id": "E0", "kind": "enabler", "label": "Staff & manner: " + (EVIL[3] if evil else "guard"), "label_source": "taxonomy",
         "keywords": json.dumps(["guard"]), "n_units": 40, "n_records": 40, "record_share": 0.33, "parent_id": "EP0", "parent_label": "staff",
         "representatives": json.dumps([]), "statements": json.dumps([]), "unmet_share": 0.4, "solicited_share": 0.6, "unsolicited_share": 0.4,
         "taxonomy_category": "staff"},
    ])
    assign = pd.DataFrame({"record_id": recs["record_id"], "unit_id": recs["record_id"] + "-u0", "start": 0, "end": 49,
                           "text": recs["text"].str[:49], "kind": ["job" if i < 80 else "enabler" for i in range(n)],
                           "theme": [0 if i < 60 else 1 if i < 80 else 0 for i in range(n)],
                           "theme_id": ["J0" if i < 60 else "J1" if i < 80 else "E0" for i in range(n)], "similarity": 0.9})
    rthemes = M.record_themes(assign)
    s = M.score_summary(recs["score"], SCALE)
    head = pd.DataFrame([{"records": n, "units": len(units), "solicited": 60, "unsolicited": 60, "job_themes": 2, "enabler_themes": 1,
                          "measure": s["measure"], "score": s["value"], "score_ci_low": s["ci_low"], "score_ci_high": s["ci_high"],
                          "score_n": s["n"], "score_method": s["method"], "scale": str(SCALE)}])
    audit = pd.DataFrame([{"question": EVIL[0] if evil else "How was our staff?", "focus": "enabler-focused", "p_outcome": 0.1,
                           "p_enabler": 0.9, "n": 60, "answer_units": 100, "answer_outcome_share": 0.3,
                           "suggested_rewording": "When you were trying to get to work, what made it slow, hard or uncertain?",
                           "rewording_is_suggestion": True, "small_sample": False},
                          {"question": "Was the ward clean?", "focus": "enabler-focused", "p_outcome": 0.1, "p_enabler": 0.9, "n": 40,
                           "answer_units": 50, "answer_outcome_share": 0.1, "suggested_rewording": None,
                           "rewording_is_suggestion": False, "rewording_status": "its answers touch no job theme",
                           "small_sample": False}])
    recs_p = recs.assign(period=pd.to_datetime(recs["date"]).dt.to_period("M").astype(str))
    tables = {
        "records": recs, "units": units, "themes": themes, "theme_assignments": assign,
        "metrics_headline": head,
        "metrics_centricity": M.centricity(units, seed=1, n_boot=200),
        "metrics_opportunity": M.opportunity_table(themes),
        "metrics_theme_impact": M.theme_impact(recs, rthemes, themes, SCALE),
        "metrics_scores_by_group": pd.concat([M.group_scores(recs, "channel", SCALE), M.group_scores(recs_p, "period", SCALE)]),
        "metrics_question_audit": audit,
        "metrics_theme_trends": M.theme_trends(recs, rthemes, themes),
    }
    if not scores:  # like tweets: no score column, no questions, no dates
        for k in ("metrics_theme_impact", "metrics_scores_by_group", "metrics_question_audit", "metrics_theme_trends"):
            tables.pop(k)
        tables["metrics_headline"] = head.drop(columns=[c for c in head.columns if c.startswith("score") or c in ("measure", "scale")])
    run = RunFolder.create(path, command="analyze", argv=["analyze", "fake.csv"])
    for k, v in tables.items():
        run.write_table(k, v)
    run.finish(not_made={"value_priority": "no customer id and customer value columns"}, metrics={"min_n": 30},
               inputs=[{"path": "fake.csv", "bytes": 1, "sha256": "0" * 64}], counts={"records": n, "units": len(units)})
    return path, tables


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_report_escapes_every_piece_of_feedback_text(tmp_path):
    run, _ = _fake_run(tmp_path / "run")
    html = render_report(run)
    p = _Tags()
    p.feed(html)
    scripts = [t for t, _ in p.tags if t == "script"]
    assert len(scripts) == 1  # the report's own, nothing from the data
    for tag, attrs in p.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        for k, v in attrs.items():
            assert not (v or "").strip().lower().startswith("javascript:"), (tag, k, v)
    assert "window.__pwned = 1" in html.replace("&lt;script&gt;", "")  # the text is there, shown as text
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert '<img src=x' not in html
    # and the Content-Security-Policy forbids any fetch and any other script
    csp = next(a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp


def test_report_shows_the_key_figures_and_lists_what_was_not_made(tmp_path):
    run, tables = _fake_run(tmp_path / "run", evil=False)
    html = render_report(run)
    h = tables["metrics_headline"].iloc[0]
    assert f'data-figure="NPS">{h["score"]:.1f}<' in html
    assert f"{h['score_ci_low']:.1f} to {h['score_ci_high']:.1f}" in html
    gap = tables["metrics_centricity"].set_index("group").loc["gap (unsolicited - solicited)", "outcome_share"]
    assert f"{100 * gap:,.1f} points" in html
    assert "get to work on time" in html and "Minimize the time it takes to get to work" in html
    assert "record R000, characters 0–49" in html  # quotes trace to record ids and spans
    assert "no customer id and customer value columns" in html  # not made, and why
    assert "No suggestion: its answers touch no job theme." in html  # a question without a rewording says why
    assert html.count("<svg") >= 4 and "http://" not in html.replace("http://www.w3.org/", "")


def test_report_needs_no_model_and_refuses_folders_without_metrics(tmp_path):
    run, _ = _fake_run(tmp_path / "run", evil=False)
    code = ("import sys; from jtbd.report import build_report; build_report(sys.argv[1]); "
            "heavy = [m for m in ('torch', 'sentence_transformers', 'bertopic', 'spacy', 'umap') if m in sys.modules]; "
            "assert not heavy, heavy")
    out = subprocess.run([sys.executable, "-c", code, str(run)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (run / "report.html").exists()
    with pytest.raises(UsageError, match="run.json"):
        build_report(tmp_path)
    extract_only = RunFolder.create(tmp_path / "extract", command="extract")
    extract_only.finish()
    with pytest.raises(UsageError, match="jtbd analyze"):
        build_report(tmp_path / "extract")


def test_excel_export_neutralises_formulas(tmp_path):
    import openpyxl

    run, _ = _fake_run(tmp_path / "run")
    path = export_tables(run)
    ws = openpyxl.load_workbook(path)["records"]
    texts = [c.value for c in ws["B"][1:]]
    assert not any(isinstance(t, str) and t.startswith(("=", "+", "-", "@")) for t in texts)
    assert ws.parent["records"]["B1"].value == "text"


def test_cli_report_rebuilds_from_the_run_folder(invoke, tmp_path):
    run, _ = _fake_run(tmp_path / "run", evil=False)
    r = invoke("report", run, "--xlsx")
    assert r.exit_code == 0, r.output
    assert (run / "report.html").exists() and (run / "tables.xlsx").exists()


def browser_or_skip():
    """Chromium is required when JTBD_REQUIRE_BROWSER is set (CI sets it after installing it)."""
    pytest.importorskip("selenium")
    if not (shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")) or not shutil.which("chromedriver"):
        if os.environ.get("JTBD_REQUIRE_BROWSER"):
            pytest.fail("Chromium and chromedriver are required here (apt-get install chromium chromium-driver)")
        pytest.skip("Chromium/chromedriver not installed (apt-get install chromium chromium-driver)")


def check_in_browser(html_path, png_path, expected: list[str]):
    """Open the report headless: no console error, no request but the file, hostile text inert, figures shown."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    from jtbd.report import screenshot

    seen = screenshot(html_path, png_path)
    assert [c for c in seen["console"] if c["level"] in ("SEVERE", "WARNING")] == [], seen["console"]
    assert seen["requests"] == [seen["url"]], seen["requests"]
    assert png_path.exists() and png_path.stat().st_size > 10_000
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    try:
        driver.get(html_path.resolve().as_uri())
        body = driver.find_element(By.TAG_NAME, "body").text
        for text in expected:
            assert text in body, text
        assert driver.execute_script("return window.__pwned === undefined")
        # sorting works: click "records" in the opportunity table twice and the order flips
        table = driver.find_element(By.ID, "opportunity-table")
        col = [th.text.strip(" ↕▲▼") for th in table.find_elements(By.CSS_SELECTOR, "thead th")].index("records")
        button = table.find_elements(By.CSS_SELECTOR, "thead th button.sort")[col]

        def column():
            return [int(r.find_elements(By.TAG_NAME, "td")[col].text.replace(",", "")) for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")]

        button.click()
        first = column()
        button.click()
        second = column()
        assert first == sorted(first, reverse=True) and second == sorted(second)
        # quotes expand
        details = driver.find_elements(By.CSS_SELECTOR, "details.theme")[1]
        details.find_element(By.TAG_NAME, "summary").click()
        assert details.get_attribute("open") is not None
    finally:
        driver.quit()


def test_report_renders_in_headless_chromium_with_hostile_text(tmp_path):
    browser_or_skip()
    run, tables = _fake_run(tmp_path / "run")
    path = build_report(run)
    h = tables["metrics_headline"].iloc[0]
    check_in_browser(path, run / "report.png", [f"{h['score']:.1f}", "window.__pwned = 1", "Customer-centricity index"])


def test_report_of_a_dump_without_scores_or_dates_says_what_is_missing(tmp_path):
    run, _ = _fake_run(tmp_path / "run", evil=False, scores=False)
    html = render_report(run)
    assert "Customer-centricity index" in html and "Ranked by opportunity" in html
    assert 'id="impact"' not in html and 'id="audit"' not in html and 'id="trends"' not in html
    assert "NPS" not in html.split("<main>")[1].split('id="centricity"')[0]  # no score card when there is no score
