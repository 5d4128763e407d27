"""Wide survey exports (Qualtrics, SurveyMonkey, generic) load without flags and melt to answers."""

from __future__ import annotations

import pytest

import jtbd
from builders import (QUALTRICS_ANSWERS, qualtrics_rows, surveymonkey_rows, write_csv, write_xlsx)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_qualtrics_export_melts_to_one_record_per_answer(tmp_path, kind):
    path = tmp_path / f"qualtrics.{kind}"
    (write_csv if kind == "csv" else write_xlsx)(path, qualtrics_rows())
    loaded = jtbd.load_feedback(path)
    info = loaded.info
    assert info["platform"] == "qualtrics" and info["header_rows"] == 3
    assert info["layout"] == "wide"
    assert info["questions"] == [
        "What is the main reason for your score?",
        "What one thing could we do to make sending a parcel easier for you?",
    ]
    recs = loaded.records
    # 4 respondents: 3 with answers (5 answers), 1 with none
    assert len(recs) == 5
    assert info["rows_read"] == 4 and info["skipped"] == {"empty_text": 1}
    first = recs[recs["respondent_id"] == QUALTRICS_ANSWERS[0][0]]
    assert first["text"].tolist() == ["Parcel arrived the next day, no fuss", "Cheaper labels for small items"]
    assert first["question_id"].tolist() == ["Q2", "Q4"]
    assert first["record_id"].tolist() == [f"{QUALTRICS_ANSWERS[0][0]}:Q2", f"{QUALTRICS_ANSWERS[0][0]}:Q4"]
    # the respondent's scores travel with each answer
    assert first["score"].tolist() == [9, 9]
    assert info["roles"]["score"] == "How likely are you to recommend Parcelly to a friend or colleague?"
    assert info["score_scale"]["kind"] == "nps"
    assert "How satisfied were you with each of the following? - Delivery driver" in recs.columns
    assert recs["date"].notna().all()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_surveymonkey_export_melts_to_one_record_per_answer(tmp_path, kind):
    path = tmp_path / f"surveymonkey.{kind}"
    (write_csv if kind == "csv" else write_xlsx)(path, surveymonkey_rows())
    loaded = jtbd.load_feedback(path)
    info = loaded.info
    assert info["platform"] == "surveymonkey" and info["header_rows"] == 2
    assert info["layout"] == "wide"
    assert info["questions"] == [
        "What is the primary reason for your score?",
        "How could we improve your experience at the gym?",
    ]
    recs = loaded.records
    assert len(recs) == 4
    assert info["skipped"] == {"empty_text": 1}
    assert set(recs["respondent_id"]) == {"11422712345", "11422712399"}
    assert recs.loc[recs["text"] == "More early morning sessions", "score"].item() == 2
    # multi-column choice questions are named question - choice
    assert "Which of these facilities did you use this month? - Classes" in recs.columns


def test_generic_wide_export_with_likert_items(tmp_path):
    header = ["The tutor was well prepared", "The tutor explained clearly", "What did you like most about the module?", "What could be improved?", "Any other comments"]
    rows = [header,
            ["5", "4", "Seminars were lively", "More worked examples please", ""],
            ["3", "2", "", "", ""],
            ["4", "4", "The readings", "", "Thanks!"]]
    path = write_csv(tmp_path / "evals.csv", rows)
    loaded = jtbd.load_feedback(path)
    assert loaded.info["layout"] == "wide"
    assert loaded.info["questions"] == header[2:]
    recs = loaded.records
    assert recs["question"].tolist() == [header[2], header[3], header[2], header[4]]
    assert recs["The tutor was well prepared"].tolist() == ["5", "5", "4", "4"]
    assert loaded.info["rows_read"] == 3 and loaded.info["records"] == 4 and loaded.info["skipped"] == {"empty_text": 1}


def test_long_table_with_a_text_column_is_not_mistaken_for_wide(tmp_path):
    rows = [["id", "title", "review"], ["1", "Great", "Love the app, use it every day"], ["2", "Bad", "It crashes when I upload photos"]]
    loaded = jtbd.load_feedback(write_csv(tmp_path / "long.csv", rows))
    assert loaded.info["layout"] == "long"


def test_layout_can_be_forced(tmp_path):
    header = ["What did you like?", "What could be better?"]
    rows = [header, ["The staff were kind", "Shorter waits"], ["Quick service today", "Nothing at all really"]]
    path = write_csv(tmp_path / "w.csv", rows)
    assert jtbd.load_feedback(path).info["layout"] == "wide"
    long = jtbd.load_feedback(path, layout="long", text_col="What did you like?")
    assert long.info["layout"] == "long" and long.info["records"] == 2
