"""Every file of ../shared/datasets loads without flags: right text column, rows accounted for."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.shared

EXPECTED_TEXT = {
    "airline_tweets_dev.csv": "text",
    "app_reviews_dev.csv": "reviewText",
    "care_opinion_dev.csv": "feedback",
    "cfpb_complaints_dev.csv": "Consumer complaint narrative",
    "nhs_fft_phase1_dev.csv": "feedback",
    "nhs_fft_v6_dev.csv": "FFT answer",
    "sentences_dev.csv": "sentence",
    "solicitation_dev.csv": "text",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_TEXT))
def test_inspect_json_reads_each_shared_file(shared_datasets, invoke, name):
    result = invoke("inspect", "--json", shared_datasets / name)
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    for key in ("format", "encoding", "rows_read", "records", "skipped", "roles", "layout", "questions"):
        assert key in info
    assert info["roles"]["text"] == EXPECTED_TEXT[name]
    assert info["layout"] == "long"
    assert info["rows_kept"] + sum(info["skipped"].values()) == info["rows_read"]
    assert info["records"] == info["rows_kept"]
    assert set(info["skipped"]) <= {"empty_text", "duplicate_row", "unreadable_row"}


def test_latin1_app_reviews_decode_without_replacement_characters(shared_datasets):
    import jtbd

    loaded = jtbd.load_feedback(shared_datasets / "app_reviews_dev.csv")
    assert loaded.info["encoding"] == "cp1252"
    assert not loaded.records["text"].str.contains("\ufffd").any()
    assert loaded.info["score_scale"]["kind"] == "stars" and loaded.info["score_scale"]["max"] == 5


def test_nhs_fft_scores_read_lower_is_better(shared_datasets):
    import jtbd

    loaded = jtbd.load_feedback(shared_datasets / "nhs_fft_v6_dev.csv")
    scale = loaded.info["score_scale"]
    assert (scale["kind"], scale["min"], scale["max"], scale["direction"]) == ("fft", 1, 5, "lower_is_better")
    assert loaded.records["score"].dropna().between(1, 5).all()
    assert loaded.info["roles"]["question"] == "FFT question"


def test_course_evals_folder_is_melted_from_wide(shared_datasets, invoke):
    result = invoke("inspect", "--json", shared_datasets / "course_evals")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["layout"] == "wide" and info["files"] == 6
    assert len(info["questions"]) == 3
    assert any(q.startswith("What have been the positive features") for q in info["questions"])
    assert info["rows_kept"] + sum(info["skipped"].values()) == info["rows_read"]
    assert info["records"] >= info["rows_kept"]


@pytest.mark.parametrize("name", ["intro-logic-2023-23.csv", "methodology-2025-21.csv"])
def test_each_course_eval_file_is_wide(shared_datasets, name):
    import jtbd

    loaded = jtbd.load_feedback(shared_datasets / "course_evals" / name)
    assert loaded.info["layout"] == "wide"
    recs = loaded.records
    assert recs["question"].nunique() <= 3
    assert "The seminar leader was well prepared" in recs.columns  # the respondent's Likert answers travel along
