"""Messy real dumps (issue 16): nothing crashes, nothing leaks, run folders never lie.

One test (or a small table of cases) per numbered case of the issue; the command that
reproduced each case is in its docstring.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


# --------------------------------------------------------------------------- 1. empty cells


@pytest.mark.parametrize("column, values", [
    ("channel", ["review", pd.NA, "survey"]),
    ("score", [5.0, pd.NA, 10.0]),
])
def test_solicitation_metadata_copes_with_empty_cells(column, values):
    """`jtbd -q analyze ec.csv` on a file with an empty channel cell crashed with E900 (NA is ambiguous)."""
    from jtbd.solicitation import SolicitationSplitter

    df = pd.DataFrame({"text": ["The app crashed", "Delivery took weeks", "Fine"]})
    df[column] = pd.array(values, dtype="string" if column == "channel" else "Float64")
    splitter = SolicitationSplitter(score_scale={"kind": "nps", "min": 0, "max": 10, "direction": "higher_is_better"})
    decision, evidence = splitter._metadata(df)
    assert decision[1] is None  # the empty cell decides nothing; the text model will
    assert decision[0] is not None


def test_load_records_with_empty_and_ragged_cells(tmp_path):
    """A short ragged row and an empty channel cell load as records with no channel."""
    import jtbd

    src = _write(tmp_path / "ec.csv", "record_id,text,channel\ne1,The app crashed when I paid,review\n"
                                      "e2,Delivery took three weeks,\ne3,Parking was a nightmare\n")
    loaded = jtbd.load_feedback(src)
    assert loaded.records["record_id"].tolist() == ["e1", "e2", "e3"]
    assert loaded.records["channel"].isna().tolist() == [False, True, True]


@pytest.mark.slow
def test_split_with_an_empty_channel_cell(invoke, tmp_path):
    """`jtbd -q split ec.csv -o out`: the run goes on, the empty cell is left to the text model."""
    _write(tmp_path / "ec.csv", "record_id,text,channel\ne1,The app crashed when I paid,review\ne2,Delivery took three weeks,\n")
    res = invoke("-q", "split", "ec.csv", "-o", "out")
    assert res.exit_code == 0, res.output
    recs = pd.read_parquet(tmp_path / "out" / "records.parquet")
    assert recs["solicitation_evidence"].str.contains("text model|channel").all()
