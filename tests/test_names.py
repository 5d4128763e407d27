"""Theme names, theme-level outcomes and the names check (fast: hand-built inputs, a fake embedder)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fakes import FakeEmbedder
from jtbd.naming import choose_names, clean_keywords, job_name_candidates, merge_outcomes, name_problems, names_check


@pytest.mark.parametrize("name, problem", [
    ("buy a new ticket for 96", "digits"), ("pay £ back", "amount"), ("get a refund on Monday", "date"),
    ("reply to @united", "handle or link"), ("send money to my brother", "pronoun"),
])
def test_names_name_problems_flags_what_a_name_must_not_hold(name, problem):
    assert problem in name_problems(name)


@pytest.mark.parametrize("name, problem", [
    ("get given", "light verb without an object"), ("get taken", "light verb without an object"),
    ("get hung up", "light verb without an object"), ("have a bag", "state verb"),
    ("jfk, phx, delays", "code: jfk, phx"), ("fly out of PHX", "code: phx"), ("weeks ago", "relative time"),
    ("wait a couple of hours", "relative time"), ("rebook a flight the other day", "relative time"),
    ("children children", "repeated word: children"), ("care, children, children", "repeated word: children"),
    ("get early \N{THUMBS UP SIGN}", "symbol"), ("notokay #fail", "symbol"),
])
def test_names_a_researcher_would_not_sign_objectless_verbs_codes_relative_times_or_doubled_words(name, problem):
    assert any(p.startswith(problem) for p in name_problems(name)), name_problems(name)


@pytest.mark.parametrize("name", ["get a refund", "get to work", "get home", "get seen by a doctor", "get through security",
                                  "change a flight", "travel with a child", "book a table", "use gps", "waiting times, parking"])
def test_names_jobs_with_an_object_and_familiar_words_pass(name):
    assert name_problems(name) == []


def test_names_codes_members_write_in_capitals_break_the_rules_even_when_most_members_use_them():
    members = ["Stuck at DEN for hours.", "DEN was a mess again", "Flight out of DEN delayed"]
    assert name_problems("delays, den", members) == ["code: den"]
    assert name_problems("delays, den") == []  # without members "den" is an ordinary word
    assert name_problems("see a GP") == []  # familiar initialisms stay


def test_names_keywords_drop_codes_relative_times_and_doubled_words():
    kws = clean_keywords(["children children", "jfk", "weeks ago", "lost luggage", "den", "childcare"],
                         ["Flew into DEN from JFK weeks ago.", "Lost luggage at DEN, children children everywhere."])
    assert kws == ["lost luggage", "childcare"]


def test_names_job_themes_are_not_named_by_an_objectless_light_verb():
    emb = FakeEmbedder()
    themes = [_theme(0, [("get given", 6), ("get a blanket", 4)], ["blanket", "cold"], 8),
              _theme(1, [("have a bag", 5)], ["bag", "carry"], 6)]
    choose_names(themes, emb.encode(["get a blanket blanket cold", "bag carry"]), emb, kind="job")
    assert themes[0]["label"] == "get a blanket" and themes[0]["label_source"] == "shared_job"
    assert themes[1]["label_source"] == "keywords" and not name_problems(themes[1]["label"])


def test_names_person_names_break_the_rules_unless_most_members_share_them():
    members = ["We want to thank Tracey for her help.", "The ward was calm and I felt safe.", "I got home quickly."]
    assert any(p.startswith("proper name") for p in name_problems("thank Tracey for help", members))
    shared = ["Flew with Jetblue again.", "Jetblue lost my bag.", "I love Jetblue crews."]
    assert name_problems("fly with Jetblue", shared) == []
    assert name_problems("get a refund for a failed payment", members) == []


def test_names_keywords_drop_stopwords_digits_and_names():
    kws = clean_keywords(["the", "2019", "tracey", "waiting times", "parking", "@united", "waiting"],
                         ["Tracey was lovely.", "Spoke to Tracey about parking."])
    assert kws == ["waiting times", "parking"]


def test_names_merge_outcomes_counts_the_same_job_and_metric_once_best_supported_first():
    rows = [
        {"statement": "Minimize the time it takes to get a refund", "job_statement": "get a refund", "metric": "time",
         "direction": "Minimize", "record_id": 1},
        {"statement": "Minimize the time it takes to get a refund", "job_statement": "get a refund", "metric": "time",
         "direction": "Minimize", "record_id": 2},
        {"statement": "Minimize the time it takes to get the refund back", "job_statement": "get the refund back",
         "metric": "time", "direction": "Minimize", "record_id": 2},
        {"statement": "Minimize the cost of getting a refund", "job_statement": "get a refund", "metric": "cost",
         "direction": "Minimize", "record_id": 3},
        {"statement": "", "job_statement": "", "metric": None, "direction": None, "record_id": 4},
    ]
    merged = merge_outcomes(rows)
    assert [m["metric"] for m in merged] == ["time", "cost"]
    assert merged[0] == {"statement": "Minimize the time it takes to get a refund", "job": "get a refund", "metric": "time",
                         "direction": "Minimize", "n_units": 3, "n_records": 2}


def test_names_job_candidates_are_ranked_by_records_sharing_them():
    jobs = [("get a refund", 1), ("get the refund", 2), ("get a refund for a failed payment", 3), ("book a table", 4), ("", 5)]
    cands = job_name_candidates(jobs)
    assert cands[0][0] == "get a refund" and cands[0][1] == 3


def _theme(i, candidates, keywords, n):
    return {"theme_id": f"J{i}", "theme": i, "n_units": n, "n_records": n, "keywords": keywords, "_candidates": candidates,
            "_texts": [c for c, _ in candidates]}


def test_names_are_unique_shared_jobs_and_never_one_members_sentence():
    emb = FakeEmbedder()
    themes = [_theme(0, [("get a refund", 5)], ["refund", "money"], 10),
              _theme(1, [("get a refund", 3), ("change a flight", 3)], ["flight", "change"], 8),
              _theme(2, [("buy a ticket for Manila", 1)], ["ticket", "price"], 6)]
    C = emb.encode(["get a refund money refund", "change a flight flight", "ticket price"])
    choose_names(themes, C, emb, kind="job")
    names = [t["label"] for t in themes]
    assert len(set(n.lower() for n in names)) == 3
    assert names[0] == "get a refund" and themes[0]["label_source"] == "shared_job"
    assert names[1] == "change a flight"
    # one member's job (support 1 of 6 records) does not name a theme: keywords instead
    assert themes[2]["label_source"] == "keywords" and "manila" not in names[2].lower()
    assert all("_candidates" not in t for t in themes)


def test_names_enabler_themes_are_category_and_keywords():
    emb = FakeEmbedder()
    themes = [{"theme_id": "E0", "theme": 0, "n_units": 5, "keywords": ["the", "staff", "rude", "2pm"], "_texts": ["Staff were rude"],
               "_category": "Staff & manner"}]
    choose_names(themes, emb.encode(["staff rude"]), emb, kind="enabler")
    assert themes[0]["label"] == "Staff & manner: staff, rude" and themes[0]["label_source"] == "taxonomy+keywords"


def test_names_check_measures_retrieval_and_rule_breaks():
    emb = FakeEmbedder()
    t = pd.DataFrame({"theme_id": ["J0", "J1"], "theme": [0, 1], "label": ["get a refund", "book a table for 4"],
                      "label_source": ["shared_job", "shared_job"]})
    C = emb.encode(["get a refund refund", "book a table table"])
    res = names_check(t, C, emb)
    assert res["retrieval"] == 1.0 and res["rule_breaks"] == {"J1": ["digits"]} and res["duplicates"] == []
    swapped = names_check(t.assign(theme=[1, 0]), C, emb)
    assert swapped["retrieval"] == 0.0


def test_names_units_not_in_the_analysis_language_get_no_theme():
    from jtbd.themes import select_units

    units = pd.DataFrame({"record_id": [1, 2, 3], "unit_id": ["a", "b", "c"], "text": ["I lost my bag", "el bardzo", "ok"],
                          "label": ["outcome", "outcome", "outcome"], "language": ["en", "pl", "und"]})
    assert select_units(units, "job")["unit_id"].tolist() == ["a", "c"]


def test_names_question_audit_makes_no_rewording_from_a_bad_name():
    from jtbd.pipeline import question_audit

    records = pd.DataFrame({"record_id": [1, 2], "question": ["How was the staff?", "How was the staff?"]})
    units = pd.DataFrame({"record_id": [1, 2], "label": ["enabler", "outcome"]})
    rthemes = pd.DataFrame({"record_id": [1, 2], "kind": ["job", "job"], "theme_id": ["J0", "J0"]})
    for label, source, expect in [("get a refund", "shared_job", True), ("lose the whole savings for 3 years", "shared_job", False),
                                  ("refund, money", "keywords", False)]:
        themes = pd.DataFrame({"theme_id": ["J0"], "kind": ["job"], "label": [label], "label_source": [source]})
        out = question_audit(records, units, rthemes, themes, {"How was the staff?": ("enabler-focused", 0.1, 0.9)})
        row = out.iloc[0]
        assert (row["suggested_rewording"] is not None) == expect == row["rewording_is_suggestion"]
        if expect:
            assert row["suggested_rewording"] == f"When you were trying to {label}, what made it slow, hard or uncertain?"
            assert row["rewording_status"] == "suggested from job theme J0"
        else:  # no rewording, and the row says why
            assert "J0" in row["rewording_status"] and ("digits" in row["rewording_status"] or "keywords" in row["rewording_status"])
    outcome_q = question_audit(records, units, rthemes, themes, {"How was the staff?": ("outcome-focused", 0.9, 0.1)})
    assert outcome_q["suggested_rewording"].iloc[0] is None and "outcome-focused" in outcome_q["rewording_status"].iloc[0]
    untouched = question_audit(records, units, rthemes.iloc[0:0], themes, {"How was the staff?": ("enabler-focused", 0.1, 0.9)})
    assert untouched["rewording_status"].iloc[0] == "its answers touch no job theme"
