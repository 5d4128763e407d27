"""Metric functions against values computed by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from jtbd import metrics as M


def test_nps_of_a_known_list_and_its_interval():
    # 4 promoters (9, 10, 10, 9), 3 passives (7, 8, 8), 3 detractors (0, 5, 6): NPS = 40% - 30% = 10
    r = M.nps([9, 10, 10, 9, 7, 8, 8, 0, 5, 6])
    assert r["n"] == 10 and r["promoters"] == 0.4 and r["detractors"] == 0.3
    assert r["nps"] == pytest.approx(10.0)
    # var = (p + d - (p - d)^2) / n = (0.7 - 0.01) / 10 = 0.069; half-width = 1.96 * sqrt(0.069) = 0.5148
    half = 1.959963984540054 * math.sqrt(0.069) * 100
    assert r["ci_low"] == pytest.approx(10 - half) and r["ci_high"] == pytest.approx(10 + half)


def test_nps_ignores_blanks_and_clips_its_interval():
    assert M.nps([10, 10, None, "n/a", float("nan")])["n"] == 2
    all_promoters = M.nps([10] * 5)
    assert all_promoters["nps"] == 100 and all_promoters["ci_high"] == 100
    assert math.isnan(M.nps([])["nps"])


def test_top_two_box_in_both_scale_directions():
    csat = M.top_box([1, 2, 3, 4, 5, 5, 4, 2], scale_min=1, scale_max=5, direction="higher_is_better")
    assert csat["top_box"] == pytest.approx(4 / 8)
    fft = M.top_box([1, 2, 3, 4, 5, 5, 4, 2], scale_min=1, scale_max=5, direction="lower_is_better")  # 1 very good, 2 good
    assert fft["top_box"] == pytest.approx(3 / 8)
    lo, hi = M.wilson(4, 8)
    # Wilson for 4/8: centre 0.5, half-width z*sqrt(p(1-p)/n + z^2/4n^2)/(1+z^2/n)
    z = 1.959963984540054
    half = z * math.sqrt(0.25 / 8 + z * z / 256) / (1 + z * z / 8)
    assert (lo, hi) == pytest.approx((0.5 - half, 0.5 + half))
    assert csat["ci_low"] == pytest.approx(lo)
    with pytest.raises(Exception, match="direction"):
        M.top_box([1], scale_min=1, scale_max=5, direction="up")


def test_score_summary_picks_nps_or_top_box_from_the_scale():
    assert M.score_summary([10, 0], {"kind": "nps", "min": 0, "max": 10})["measure"] == "NPS"
    fft = M.score_summary([1, 1, 5, 4], {"kind": "fft", "min": 1, "max": 5, "direction": "lower_is_better"})
    assert fft["measure"] == "top-2-box %" and fft["value"] == pytest.approx(50.0)


@pytest.mark.parametrize("importance, satisfaction, expected", [
    (8, 3, 13),      # underserved: 8 + 5
    (5, 5, 5),       # gap zero
    (4, 9, 4),       # overserved: no negative gap
    (10, 0, 20),     # the maximum
    (0, 10, 0),      # the minimum
])
def test_opportunity_formula_at_its_edges(importance, satisfaction, expected):
    assert M.opportunity(importance, satisfaction) == expected


def test_opportunity_table_flags_underserved_and_overserved_and_labels_the_proxy():
    themes = pd.DataFrame([
        {"theme_id": "J0", "kind": "job", "label": "pay rent", "record_share": 0.4, "unmet_share": 0.8, "n_records": 40},
        {"theme_id": "J1", "kind": "job", "label": "travel", "record_share": 0.1, "unmet_share": 0.1, "n_records": 10},
        {"theme_id": "E0", "kind": "enabler", "label": "staff", "record_share": 0.5, "unmet_share": 0.5, "n_records": 50},
    ])
    t = M.opportunity_table(themes).set_index("theme_id")
    assert list(t.index) == ["J0", "J1"]
    assert t.loc["J0", "importance"] == 10 and t.loc["J0", "satisfaction"] == pytest.approx(2)
    assert t.loc["J0", "opportunity"] == pytest.approx(18) and t.loc["J0", "underserved"]
    assert t.loc["J1", "overserved"] and not t.loc["J1", "underserved"]
    assert set(t["basis"]) == {"text proxy"} and t.loc["J1", "small_sample"]
    rated = M.opportunity_table(themes, ratings=pd.DataFrame({"theme_id": ["J1"], "importance": [9.0], "satisfaction": [4.0]}))
    assert rated["basis"].tolist() == ["ratings"] and rated["opportunity"].tolist() == [14.0]


def test_centricity_shows_the_gap_between_solicited_and_unsolicited():
    rows = []
    for i in range(40):  # solicited: 1 outcome in 4 units; unsolicited: 3 in 4
        for j, lab in enumerate(["outcome", "enabler", "enabler", "enabler"]):
            rows.append({"record_id": f"s{i}", "label": lab, "solicitation": "solicited"})
        for j, lab in enumerate(["outcome", "outcome", "outcome", "enabler", "other"]):
            rows.append({"record_id": f"u{i}", "label": lab, "solicitation": "unsolicited"})
    c = M.centricity(pd.DataFrame(rows), n_boot=200).set_index("group")
    assert c.loc["solicited", "outcome_share"] == pytest.approx(0.25)
    assert c.loc["unsolicited", "outcome_share"] == pytest.approx(0.75)
    gap = c.loc["gap (unsolicited - solicited)"]
    assert gap["outcome_share"] == pytest.approx(0.5) and gap["ci_low"] <= 0.5 <= gap["ci_high"]
    assert not c.loc["solicited", "small_sample"]


def test_theme_impact_compares_with_and_without_the_theme():
    records = pd.DataFrame({"record_id": [f"r{i}" for i in range(6)], "score": [0, 0, 10, 10, 10, 10]})
    rthemes = pd.DataFrame({"record_id": ["r0", "r1"], "theme_id": ["J0", "J0"], "kind": ["job", "job"]})
    themes = pd.DataFrame([{"theme_id": "J0", "kind": "job", "label": "x"}])
    t = M.theme_impact(records, rthemes, themes, {"kind": "nps"}, min_n=5).iloc[0]
    assert t["score_with"] == -100 and t["score_without"] == 100
    # overall NPS = 4/6 - 2/6 = 33.3; without the theme 100: the theme pulls the score down by 66.7
    assert t["impact"] == pytest.approx(100 / 3 - 100) and t["small_sample"]


def test_value_tables_weight_themes_by_customer_value_and_find_up_and_comers():
    records = pd.DataFrame({
        "record_id": ["a", "b", "c", "d", "e"], "customer_id": ["c1", "c2", "c3", "c4", "c5"],
        "customer_value": [1000, 10, 10, 10, 10], "customer_value_prev": [1000, 5, 10, 10, 10],
    })
    rthemes = pd.DataFrame({"record_id": ["a", "b", "c"], "theme_id": ["J0", "J1", "J1"], "kind": ["job"] * 3})
    themes = pd.DataFrame([{"theme_id": "J0", "label": "big"}, {"theme_id": "J1", "label": "many"}])
    pri, tiers, up = M.value_tables(records, rthemes, themes)
    pri = pri.set_index("theme_id")
    assert pri.loc["J0", "value_share"] == pytest.approx(1000 / 1040)  # one customer, most of the value
    assert pri.index[0] == "J0" and pri.loc["J1", "n"] == 2
    assert set(tiers.loc[tiers["theme_id"] == "J0", "tier"]) == {"top 20%"}
    assert up["theme_id"].tolist() == ["J1"]  # c2 doubled in value and raised J1
