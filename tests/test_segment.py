"""Segmentation: sentences and clauses whose spans reproduce the record's text exactly."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jtbd.segment import pipeline_info, segment_records, segment_text


def texts(units):
    return [u.text for u in units]


def test_clause_seam_between_enabler_and_outcome():
    units = segment_text("The app crashed, so I missed my rent payment.")
    assert texts(units) == ["The app crashed,", "so I missed my rent payment."]
    assert [u.kind for u in units] == ["clause", "clause"]


def test_survey_export_line_joins_and_bullets_are_breaks():
    t = "Sure Start   -Staff extremely helpful   -Developed social skills\nGot ideas for playing"
    assert texts(segment_text(t)) == ["Sure Start", "Staff extremely helpful", "Developed social skills", "Got ideas for playing"]


def test_short_sides_are_not_split():
    assert texts(segment_text("Great but slow")) == ["Great but slow"]


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_text_has_no_units(text):
    assert segment_text(text) == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_spans_always_reproduce_the_text(text):
    for u in segment_text(text):
        assert text[u.start:u.end] == u.text and u.text.strip() == u.text and u.text


def test_records_stream_in_batches_with_ids():
    df = pd.DataFrame({"record_id": ["a", "b", "c"], "text": ["One. Two here.", "", "Train was late again, so I lost my shift"]})
    chunks = list(segment_records(df, batch_size=2))
    assert len(chunks) == 2
    units = pd.concat(chunks)
    assert units["record_id"].tolist() == ["a", "a", "c", "c"]
    assert units["unit_id"].tolist() == ["a#0", "a#1", "c#0", "c#1"]
    for rid, start, end, text in units[["record_id", "start", "end", "text"]].itertuples(index=False):
        assert df.set_index("record_id").loc[rid, "text"][start:end] == text


def test_pipeline_is_reported():
    info = pipeline_info()
    assert info["pipeline"] and "spacy" in info
