"""load_feedback reads every supported format and accounts for every input row."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import jtbd
from jtbd.errors import DataError, UsageError

ROWS = [
    {"id": "r1", "comment": "The nurse explained everything so I was not scared", "score": 9, "submitted": "2024-03-01"},
    {"id": "r2", "comment": "Waited three hours to be seen, missed my shift", "score": 3, "submitted": "2024-03-02"},
    {"id": "r3", "comment": "", "score": 8, "submitted": "2024-03-03"},
    {"id": "r4", "comment": "Parking was impossible, had to leave the car a mile away", "score": 5, "submitted": "2024-03-04"},
]


def _accounting_holds(loaded) -> None:
    info = loaded.info
    assert info["rows_kept"] + sum(info["skipped"].values()) == info["rows_read"]
    assert len(loaded.skipped) == sum(info["skipped"].values())


@pytest.mark.parametrize("ext,writer", [
    ("csv", lambda df, p: df.to_csv(p, index=False)),
    ("tsv", lambda df, p: df.to_csv(p, index=False, sep="\t")),
    ("json", lambda df, p: p.write_text(df.to_json(orient="records"))),
    ("jsonl", lambda df, p: p.write_text(df.to_json(orient="records", lines=True))),
    ("parquet", lambda df, p: df.to_parquet(p)),
    ("xlsx", lambda df, p: df.to_excel(p, index=False)),
])
def test_each_format_gives_the_same_records(tmp_path, ext, writer):
    path = tmp_path / f"feedback.{ext}"
    writer(pd.DataFrame(ROWS), path)
    loaded = jtbd.load_feedback(path)
    assert loaded.info["roles"]["text"] == "comment"
    assert loaded.info["roles"]["id"] == "id"
    assert loaded.info["roles"]["score"] == "score"
    assert list(loaded.records["record_id"]) == ["r1", "r2", "r4"]
    assert list(loaded.records["score"]) == [9, 3, 5]
    assert loaded.records["date"].dt.day.tolist() == [1, 2, 4]
    assert loaded.info["skipped"] == {"empty_text": 1}
    _accounting_holds(loaded)


def test_semicolon_and_tab_delimiters_are_sniffed_whatever_the_extension(tmp_path):
    for sep in (";", "\t", "|"):
        path = tmp_path / "export.csv"
        pd.DataFrame(ROWS).to_csv(path, index=False, sep=sep)
        loaded = jtbd.load_feedback(path)
        assert loaded.info["delimiter"] == sep
        assert loaded.info["records"] == 3


def test_json_object_holding_a_list_and_bad_json_lines(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"meta": {"n": 2}, "data": ROWS[:2]}))
    assert jtbd.load_feedback(tmp_path / "a.json").info["records"] == 2
    lines = [json.dumps(r) for r in ROWS[:2]] + ["{not json", "[1, 2]", json.dumps(ROWS[3])]
    (tmp_path / "b.jsonl").write_text("\n".join(lines) + "\n")
    loaded = jtbd.load_feedback(tmp_path / "b.jsonl")
    assert loaded.info["records"] == 3
    assert loaded.info["skipped"] == {"unreadable_row": 2}
    assert sorted(loaded.skipped["source_row"]) == [3, 4]
    _accounting_holds(loaded)


def test_folder_of_files_adds_source_file(tmp_path):
    pd.DataFrame(ROWS[:2]).to_csv(tmp_path / "jan.csv", index=False)
    pd.DataFrame(ROWS[2:]).to_json(tmp_path / "feb.jsonl", orient="records", lines=True)
    (tmp_path / "notes.md").write_text("not data")
    loaded = jtbd.load_feedback(tmp_path)
    assert loaded.info["files"] == 2
    assert sorted(loaded.records["source_file"].unique()) == ["feb.jsonl", "jan.csv"]
    assert loaded.records["record_id"].is_unique
    assert loaded.info["rows_read"] == 4 and loaded.info["records"] == 3
    _accounting_holds(loaded)


def test_dataframe_input_is_not_mutated():
    df = pd.DataFrame(ROWS)
    before = df.copy()
    loaded = jtbd.load_feedback(df)
    pd.testing.assert_frame_equal(df, before)
    assert loaded.info["records"] == 3


def test_exact_duplicate_rows_are_skipped_but_same_text_from_two_people_is_kept(tmp_path):
    rows = [
        {"respondent": "a1", "answer": "Nothing to improve really"},
        {"respondent": "b2", "answer": "Nothing to improve really"},
        {"respondent": "a1", "answer": "Nothing to improve really"},
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "d.csv", index=False)
    loaded = jtbd.load_feedback(tmp_path / "d.csv")
    assert loaded.info["records"] == 2
    assert loaded.info["skipped"] == {"duplicate_row": 1}
    assert loaded.skipped.iloc[0]["detail"] == "every field equals row 2"
    assert loaded.skipped.iloc[0]["source_row"] == 4


def test_ragged_rows_are_skipped_with_reason_and_short_rows_padded(tmp_path):
    text = (
        "id,comment,score\n"
        "1,Lovely staff and a quick visit,9\n"
        "2,Too many fields here,3,oops,extra\n"
        "3,Short row missing its score\n"
        "4,Trailing empty cells are fine,7,,\n"
    )
    (tmp_path / "r.csv").write_text(text)
    loaded = jtbd.load_feedback(tmp_path / "r.csv")
    assert list(loaded.records["record_id"]) == ["1", "3", "4"]
    assert loaded.info["skipped"] == {"unreadable_row": 1}
    row = loaded.skipped.iloc[0]
    assert row["source_row"] == 3 and "5 fields" in row["detail"]
    _accounting_holds(loaded)


def test_multiline_quoted_fields_keep_their_starting_line(tmp_path):
    text = 'id,comment\n1,"first line\nsecond line"\n2,\n3,plain text here ok\n'
    (tmp_path / "m.csv").write_text(text)
    loaded = jtbd.load_feedback(tmp_path / "m.csv", text_col="comment")
    assert loaded.records["text"].iloc[0] == "first line\nsecond line"
    assert loaded.skipped["source_row"].tolist() == [4]


def test_five_megabyte_single_field_loads(tmp_path):
    big = ("I waited on the phone for an hour. " * 150_000)[:5_000_000]
    (tmp_path / "big.csv").write_text("id,comment\n1," + big + "\n2,short one here\n")
    loaded = jtbd.load_feedback(tmp_path / "big.csv")
    assert loaded.records["text"].str.len().max() >= 4_999_000


@pytest.mark.parametrize("content,code", [
    (b"", "E101"),
    (b"   \n\n", "E101"),
    (b"id,comment,score\n", "E104"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 50, "E103"),
])
def test_bad_files_raise_a_coded_data_error(tmp_path, content, code):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as err:
        jtbd.load_feedback(path)
    assert err.value.code == code


def test_no_text_column_lists_candidates_and_the_flag(tmp_path):
    pd.DataFrame({"id": [1, 2, 3], "score": [1, 2, 3], "code": ["a", "b", "c"]}).to_csv(tmp_path / "n.csv", index=False)
    with pytest.raises(DataError) as err:
        jtbd.load_feedback(tmp_path / "n.csv")
    assert err.value.code == "E102"
    assert "--text-col" in str(err.value) and "'code'" in str(err.value)


def test_override_naming_a_missing_column_suggests_the_close_one(tmp_path):
    pd.DataFrame(ROWS).to_csv(tmp_path / "f.csv", index=False)
    with pytest.raises(UsageError) as err:
        jtbd.load_feedback(tmp_path / "f.csv", text_col="coment")
    assert "did you mean 'comment'" in str(err.value)


def test_overrides_win_over_inference(tmp_path):
    df = pd.DataFrame({"title": ["Great app", "Crashes", "Fine"], "body": ["I use it to pay my rent every month", "Lost my work twice", "does the job for me"]})
    df.to_csv(tmp_path / "o.csv", index=False)
    assert jtbd.load_feedback(tmp_path / "o.csv").info["roles"]["text"] == "body"
    assert jtbd.load_feedback(tmp_path / "o.csv", text_col="title").records["text"].tolist() == ["Great app", "Crashes", "Fine"]


def test_roles_are_inferred_for_a_typical_support_export(tmp_path):
    df = pd.DataFrame({
        "Ticket ID": ["T-1", "T-2", "T-3", "T-4"],
        "Created At": ["01/02/2024 10:00", "15/02/2024 11:30", "20/02/2024 09:15", "28/02/2024 17:45"],
        "Channel": ["email", "chat", "email", "phone"],
        "Customer Number": ["C1", "C2", "C1", "C3"],
        "Annual Revenue": [1200.0, 300.5, 1200.0, 80.0],
        "CSAT": [5, 2, 4, 1],
        "Message": ["My card was declined at the till twice", "Can't log in since the update", "Thanks for sorting my refund", "Still no engineer, no internet for 5 days"],
    })
    df.to_csv(tmp_path / "tickets.csv", index=False)
    loaded = jtbd.load_feedback(tmp_path / "tickets.csv")
    assert loaded.info["roles"] == {
        "text": "Message", "id": "Ticket ID", "date": "Created At", "score": "CSAT", "channel": "Channel",
        "question": None, "customer_id": "Customer Number", "customer_value": "Annual Revenue",
    }
    assert loaded.records["date"].dt.month.tolist() == [2, 2, 2, 2]  # day-first dates read as such
    assert loaded.info["score_scale"]["kind"] == "csat"
