"""Themes: what a researcher sees (themes, ids, outliers, hierarchy) and what must hold (determinism, offline)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fakes import use_fake_embedder

GROUPS = {
    "refund": ["still waiting for my refund", "the refund never arrived", "refund took six weeks", "no refund yet after the return",
               "they promised a refund and nothing", "my refund is missing", "refund request ignored", "where is my refund"],
    "delay": ["the train was delayed again", "delayed by forty minutes", "another delayed train this morning", "train delayed, no reason given",
              "the delayed service made me late", "delays every single day", "delayed at the platform for ages", "the train is always delayed"],
    "staff": ["the staff were rude", "rude staff at the desk", "staff member was rude and dismissive", "the staff ignored us",
              "staff could not care less", "unhelpful rude staff", "the staff shouted at me", "staff were rude on the phone"],
}


def make_units(n_per_group: int = 8, *, seed: int = 0) -> pd.DataFrame:
    """Units as `jtbd extract` writes them: three clear enabler topics plus outcome units."""
    rows = []
    for g, texts in GROUPS.items():
        for i in range(n_per_group):
            t = texts[i % len(texts)] + ("" if i < len(texts) else f" (case {i})")
            rid = f"{g}-{i}"
            rows.append({"record_id": rid, "unit_id": f"{rid}-u0", "start": 0, "end": len(t), "text": t, "label": "enabler",
                         "p_outcome": 0.05, "p_enabler": 0.9, "p_both": 0.03, "p_other": 0.02,
                         "enabler_category": {"refund": "billing", "delay": "waiting", "staff": "staff"}[g],
                         "polarity": "negative", "solicitation": "unsolicited" if i % 2 else "solicited"})
            o = {"delay": "I missed my meeting", "refund": "I could not pay my rent", "staff": "I left the shop in tears"}[g]
            rows.append({"record_id": rid, "unit_id": f"{rid}-u1", "start": len(t) + 1, "end": len(t) + 1 + len(o), "text": o,
                         "label": "outcome", "p_outcome": 0.8, "p_enabler": 0.1, "p_both": 0.05, "p_other": 0.05,
                         "enabler_category": None, "polarity": None, "solicitation": "unsolicited" if i % 2 else "solicited"})
    return pd.DataFrame(rows)


def test_theme_text_drops_handles_links_and_hashes():
    from jtbd.themes import theme_text

    assert theme_text("@united my bag is lost #fail https://t.co/x") == "my bag is lost fail"
    assert theme_text("[HANDLE] refund please.") == "refund please"


def test_units_join_a_kind_by_label_or_probability():
    from jtbd.themes import select_units

    u = make_units(2)
    assert set(select_units(u, "enabler")["label"]) == {"enabler"}
    assert set(select_units(u, "job")["label"]) == {"outcome"}
    u.loc[1, ["p_enabler", "p_both"]] = [0.25, 0.1]  # an outcome clause with enabler words in it
    assert "outcome" in set(select_units(u, "enabler", min_probability=0.3)["label"])
    assert "outcome" not in set(select_units(u, "enabler", min_probability=1.0)["label"])


def test_non_answers_take_part_in_no_theme_and_are_counted(monkeypatch):
    # an NHS export had 472 "Did not answer" cells: they made four enabler themes, two named "unnamed theme"
    from jtbd.pipeline import non_answer_counts
    from jtbd.themes import fit_themes, select_units

    use_fake_embedder(monkeypatch)
    u = make_units(8)
    blanks = u[u["label"] == "enabler"].head(6).copy()
    blanks["unit_id"] = blanks["unit_id"] + "-na"
    blanks["record_id"] = [f"na{i}" for i in range(len(blanks))]
    blanks["text"] = ["Did not answer", "did not answer", "Nothing.", "N/A", "No response", "Didn't answer"]
    both = pd.concat([u, blanks], ignore_index=True)
    assert not set(select_units(both, "enabler")["unit_id"]) & set(blanks["unit_id"])
    res = fit_themes(both, kind="enabler", method="agglomerative", distance_threshold=0.5, cache=False)
    assert not set(res.assignments["record_id"]) & set(blanks["record_id"])
    assert non_answer_counts(both) == {"records": 6, "units": 6}
    # a sentence that starts like a non-answer is an answer
    assert non_answer_counts(pd.DataFrame({"record_id": ["a"], "text": ["Nothing was explained to me"]}))["units"] == 0


def test_enabler_themes_recover_clear_topics_with_ids_spans_and_labels(monkeypatch):
    from jtbd.themes import THEME_COLUMNS, fit_themes

    use_fake_embedder(monkeypatch)
    u = make_units(8)
    res = fit_themes(u, kind="enabler", method="agglomerative", distance_threshold=0.5, cache=False)
    assert list(res.themes.columns) == THEME_COLUMNS
    a = res.assignments.merge(u[["unit_id", "record_id"]], on=["unit_id", "record_id"])
    assert len(a) == len(res.assignments) == 24
    group = a["record_id"].str.split("-").str[0]
    # each true topic lands in one theme, and the themes differ
    per_group = a.groupby(group)["theme_id"].agg(lambda s: s.value_counts().index[0])
    purity = np.mean([(a.loc[group == g, "theme_id"] == t).mean() for g, t in per_group.items()])
    assert purity >= 0.75 and per_group.nunique() == 3
    top = res.themes.iloc[0]
    assert top["theme_id"].startswith("E") and top["kind"] == "enabler"
    assert top["n_units"] >= top["n_records"] >= 1 and 0 < top["record_share"] <= 1
    rep = top["representatives"][0]
    src = u.set_index("record_id").loc[rep["record_id"]]
    assert rep["text"] in set(src["text"]) and rep["end"] > rep["start"]
    assert ":" in top["label"] and top["label_source"] == "taxonomy+keywords"
    assert top["unmet_share"] == 1.0  # every enabler unit here is negative
    assert top["solicited_share"] + top["unsolicited_share"] == pytest.approx(1.0)


def test_same_input_and_seed_give_identical_themes_even_with_rows_shuffled(monkeypatch):
    from jtbd.themes import fit_themes

    use_fake_embedder(monkeypatch)
    u = make_units(8)
    a = fit_themes(u, kind="enabler", method="agglomerative", cache=False)
    b = fit_themes(u.sample(frac=1, random_state=7), kind="enabler", method="agglomerative", cache=False)
    pd.testing.assert_frame_equal(a.assignments, b.assignments)
    assert a.themes.to_json() == b.themes.to_json()


@pytest.mark.parametrize("n", [1, 2, 3, 7, 30])
def test_small_data_still_gives_themes(monkeypatch, n):
    from jtbd.themes import fit_themes

    use_fake_embedder(monkeypatch)
    u = make_units(10)
    u = u[u["label"] == "enabler"].head(n)
    res = fit_themes(u, kind="enabler", cache=False)
    assert res.info["method"] in ("single", "agglomerative")
    assert 1 <= res.info["n_themes"] <= n
    assert res.outlier_share == 0.0
    assert (res.assignments["theme"] >= 0).all()


def test_no_units_of_a_kind_gives_empty_tables_not_an_error(monkeypatch):
    from jtbd.themes import fit_themes

    use_fake_embedder(monkeypatch)
    u = make_units(2)
    u = u[u["label"] == "outcome"].assign(p_enabler=0.0, p_both=0.0)
    res = fit_themes(u, kind="enabler", cache=False)
    assert res.themes.empty and res.assignments.empty and res.info["method"] == "none"


def test_hierarchy_has_at_most_max_parents(monkeypatch):
    from jtbd.themes import fit_themes

    use_fake_embedder(monkeypatch)
    u = make_units(8)
    res = fit_themes(u, kind="enabler", method="agglomerative", distance_threshold=0.2, max_parents=2, cache=False)
    assert res.info["n_themes"] > 2
    assert res.themes["parent_id"].nunique() <= 2
    # a parent is named after its largest theme
    for pid, g in res.themes.groupby("parent_id"):
        assert set(g["parent_label"]) == {g.sort_values("n_units", ascending=False)["label"].iloc[0]}


def test_job_themes_are_named_by_a_job_statement(monkeypatch):
    from jtbd.themes import fit_themes

    use_fake_embedder(monkeypatch)
    u = make_units(8)
    out = u[u["label"] == "outcome"][["record_id", "unit_id"]].assign(
        statement="Minimize the likelihood of missing a rent payment", job_statement="pay the rent on time", met="struggled")
    res = fit_themes(u, outcomes=out, kind="job", method="agglomerative", cache=False)
    named = res.themes[res.themes["label_source"] == "shared_job"]
    assert len(named) and set(named["label"]) == {"pay the rent on time"}
    assert named["statements"].iloc[0] == ["Minimize the likelihood of missing a rent payment"]
    assert named["unmet_share"].iloc[0] == 1.0


def test_a_fit_is_cached_and_reused(monkeypatch, tmp_path):
    from jtbd.themes import fit_themes

    monkeypatch.setenv("JTBD_CACHE_DIR", str(tmp_path))
    use_fake_embedder(monkeypatch)
    u = make_units(8)
    first = fit_themes(u, kind="enabler", method="agglomerative")
    again = fit_themes(u.sample(frac=1, random_state=1), kind="enabler", method="agglomerative")
    assert first.info["fit"]["cached"] is False and again.info["fit"]["cached"] is True
    pd.testing.assert_frame_equal(first.assignments, again.assignments)
    other_seed = fit_themes(u, kind="enabler", method="agglomerative", seed=7)
    assert other_seed.info["fit"]["cached"] is False


def test_saved_model_assigns_new_feedback_to_the_same_themes(monkeypatch, tmp_path):
    from jtbd.themes import ThemeModel, assign_themes, fit_themes

    use_fake_embedder(monkeypatch)
    u = make_units(8)
    res = fit_themes(u, kind="enabler", method="agglomerative", distance_threshold=0.5, cache=False)
    path = res.model.save(tmp_path / "m")
    assert sorted(p.name for p in path.iterdir()) == ["themes.json", "themes.safetensors"]
    assert not list(tmp_path.rglob("*.pkl"))
    loaded = ThemeModel.load(path)
    new = pd.DataFrame([{"record_id": "n1", "unit_id": "n1-u0", "start": 0, "end": 20, "text": "where is my refund please",
                         "label": "enabler", "p_outcome": 0, "p_enabler": 1, "p_both": 0, "p_other": 0}])
    got = assign_themes(new, loaded)
    refund_theme = res.assignments.loc[res.assignments["record_id"].str.startswith("refund"), "theme_id"].mode()[0]
    assert got.assignments["theme_id"].tolist() == [refund_theme]
    assert set(got.themes["theme_id"]) == set(res.themes["theme_id"])  # same ids, same labels
    assert got.themes.set_index("theme_id")["label"].to_dict() == res.themes.set_index("theme_id")["label"].to_dict()


def test_a_model_fitted_with_other_embeddings_is_refused(monkeypatch, tmp_path):
    from jtbd.errors import UsageError
    from jtbd.themes import ThemeModel, assign_themes, fit_themes

    fake = use_fake_embedder(monkeypatch)
    res = fit_themes(make_units(4), kind="enabler", method="agglomerative", cache=False)
    res.model.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "themes.json").read_text())
    meta["embedding"]["model_id"] = "another-model@123"
    (tmp_path / "m" / "themes.json").write_text(json.dumps(meta))
    with pytest.raises(UsageError, match="fitted with embeddings 'another-model@123'"):
        assign_themes(make_units(2), ThemeModel.load(tmp_path / "m"), embedder=fake)


def test_a_folder_without_a_model_is_a_clear_error(tmp_path):
    from jtbd.errors import ResourceError
    from jtbd.themes import ThemeModel

    with pytest.raises(ResourceError, match="themes.json missing"):
        ThemeModel.load(tmp_path)


def _write_extract_run(path, units):
    from jtbd.runs import RunFolder

    run = RunFolder.create(path, command="extract")
    run.write_table("units", units)
    run.write_table("outcomes", pd.DataFrame(columns=["record_id", "unit_id", "statement", "job_statement", "met"]))
    run.finish()


def test_cli_themes_on_a_run_folder_then_assigns_with_the_saved_model(invoke, monkeypatch, tmp_path, no_network):
    use_fake_embedder(monkeypatch)
    _write_extract_run(tmp_path / "ex", make_units(8))
    r = invoke("themes", tmp_path / "ex", "--method", "agglomerative", "--out", tmp_path / "th")
    assert r.exit_code == 0, r.output
    themes = pd.read_parquet(tmp_path / "th" / "themes.parquet")
    assert set(themes["kind"]) == {"job", "enabler"}
    assign = pd.read_parquet(tmp_path / "th" / "theme_assignments.parquet")
    assert {"record_id", "unit_id", "start", "end", "theme_id"} <= set(assign.columns)
    manifest = json.loads((tmp_path / "th" / "run.json").read_text())
    assert manifest["models"]["themes"]["enabler"]["method"] == "agglomerative"
    assert "outlier_share" in manifest["models"]["themes"]["job"]
    assert (tmp_path / "th" / "theme_model" / "enabler" / "themes.safetensors").exists()
    r2 = invoke("themes", tmp_path / "ex", "--model", tmp_path / "th" / "theme_model", "--out", tmp_path / "th2")
    assert r2.exit_code == 0, r2.output
    again = pd.read_parquet(tmp_path / "th2" / "themes.parquet")
    assert set(again["theme_id"]) == set(themes["theme_id"])
    assert "assigned to saved themes" in json.dumps(json.loads((tmp_path / "th2" / "run.json").read_text())["models"])


@pytest.mark.slow
def test_umap_kmeans_themes_are_deterministic_offline_and_rerun_from_cache(tmp_path, monkeypatch, no_network):
    """The real model, the default method, sockets blocked: same themes with rows shuffled; a re-run hits the cache."""
    from jtbd.themes import fit_themes

    monkeypatch.setenv("JTBD_CACHE_DIR", str(tmp_path))
    u = make_units(30)
    a = fit_themes(u, kind="enabler")
    assert a.info["method"] == "umap+kmeans" and a.info["fit"]["cached"] is False
    b = fit_themes(u.sample(frac=1, random_state=5), kind="enabler", cache=False)
    pd.testing.assert_frame_equal(a.assignments, b.assignments)
    c = fit_themes(u, kind="enabler")
    assert c.info["fit"]["cached"] is True
    assert a.outlier_share <= 0.15


@pytest.mark.slow
def test_hdbscan_keep_outliers_reports_them_and_default_reassigns(tmp_path, monkeypatch):
    from jtbd.themes import fit_themes

    monkeypatch.setenv("JTBD_CACHE_DIR", str(tmp_path))
    u = make_units(30)
    noise = pd.DataFrame([{"record_id": f"x{i}", "unit_id": f"x{i}-u0", "start": 0, "end": 9, "text": t, "label": "enabler",
                           "p_outcome": 0, "p_enabler": 1, "p_both": 0, "p_other": 0}
                          for i, t in enumerate(["the parking meter ate my coins", "wifi password was on a postit",
                                                 "a pigeon lives in the lobby", "the lift plays jazz"])])
    u = pd.concat([u, noise], ignore_index=True)
    kept = fit_themes(u, kind="enabler", method="hdbscan", keep_outliers=True, min_theme_size=10)
    reduced = fit_themes(u, kind="enabler", method="hdbscan", min_theme_size=10)
    assert kept.outlier_share >= reduced.outlier_share
    assert reduced.outlier_share <= 0.15
    assert kept.info["fit"]["outlier_strategy"].startswith("kept")


@pytest.mark.slow
def test_evaluate_themes_reports_nmi_ari_and_the_bertopic_baseline(tmp_path, invoke):
    rows = []
    for g, texts in GROUPS.items():
        for i in range(12):
            rows.append({"text": f"@shop {texts[i % len(texts)]}. I had to sort it out myself, case {i}", "category": g})
    rows.append({"text": "no label here", "category": ""})
    path = tmp_path / "labels.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    r = invoke("evaluate", "themes", path, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert {"n", "nmi", "ari", "n_themes", "outlier_share", "baseline"} <= set(out)
    assert set(out["baseline"]) >= {"n", "nmi", "ari", "n_themes", "outlier_share"}
    assert out["n"] == 36 and 0 <= out["outlier_share"] <= 1
    assert out["nmi"] > 0.3  # three obvious topics


def test_fit_sample_is_stratified_bounded_and_order_free():
    import numpy as np

    from jtbd.themes import fit_sample

    rows = pd.DataFrame({"channel": ["app"] * 9000 + ["survey"] * 900 + ["email"] * 60,
                         "solicitation": ["unsolicited"] * 9000 + ["solicited"] * 960})
    idx, strata = fit_sample(rows, 2000)
    assert len(idx) == 2000 and len(set(idx)) == 2000 and np.all(np.diff(idx) > 0)
    assert strata["email | solicited"] == 60  # a small stratum keeps all it has
    assert strata["survey | solicited"] >= 100 and strata["app | unsolicited"] > strata["survey | solicited"]
    assert list(idx[:5]) == [0, 1, 2, 3, 4]  # first units of each stratum in the rows' (hash) order
    assert fit_sample(rows, 20000)[1] == {}  # small enough: every unit, no sampling


def test_units_beyond_the_fit_sample_are_assigned(monkeypatch):
    use_fake_embedder(monkeypatch)
    from jtbd.themes import fit_themes

    texts = ["my train was late again", "the refund never arrived", "staff were rude at the desk", "the app crashed at login"]
    units = pd.DataFrame({"record_id": [f"R{i}" for i in range(240)], "unit_id": [f"R{i}-0" for i in range(240)],
                          "start": 0, "text": [f"{texts[i % 4]} ({i})" for i in range(240)],
                          "label": "outcome", "p_outcome": 0.9, "p_enabler": 0.05, "p_both": 0.03, "p_other": 0.02,
                          "channel": ["tweet"] * 200 + ["survey"] * 40})
    units["end"] = units["text"].str.len()
    res = fit_themes(units, kind="job", max_fit_units=120, cache=False)
    fit = res.info["fit"]
    assert fit["units_fitted"] == 120 and fit["sample_strata"]["survey"] >= 40 and fit["units_assigned_after_fit"] == 120
    assert fit["sample_strata"]["survey"] + fit["sample_strata"]["tweet"] == 120
    assert res.assignments["theme_id"].notna().all() and len(res.assignments) == 240
