"""The shipped solicitation model: real embeddings, on hand-written and real records."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_shipped_model_loads_offline_and_reads_obvious_cases(no_network):
    from jtbd.solicitation import SolicitationModel

    model = SolicitationModel.load()
    texts = ["Nothing.", "More staff on the ward at night", "@KestrelRail stuck outside Leeds again, 40 mins and no announcement #fail",
             "I am writing to make a formal complaint about the way my account was closed. Reference 44821."]
    assert model.predict(texts).tolist() == [1, 1, 0, 0]


def test_split_on_the_demo_corpus_uses_metadata(invoke, tmp_path):
    from conftest import DEMO

    result = invoke("split", DEMO, "-o", tmp_path / "run")
    assert result.exit_code == 0, result.output
    import pandas as pd

    records = pd.read_parquet(tmp_path / "run" / "records.parquet")
    assert records["solicitation_evidence"].str.startswith("channel").all()
    survey = records["channel"].str.contains("survey")
    assert (records.loc[survey, "solicitation"] == "solicited").all()
    assert (records.loc[~survey, "solicitation"] == "unsolicited").all()
    assert records["language"].ne("en").sum() >= 3  # the Welsh, Polish, Spanish and French records


@pytest.mark.shared
def test_dev_figures_do_not_regress(shared_datasets):
    import pandas as pd

    from jtbd.solicitation import evaluate_solicitation

    df = pd.read_csv(shared_datasets / "solicitation_dev.csv")
    sample = pd.concat([g.sample(min(len(g), 150), random_state=0) for _, g in df.groupby("source")])
    result = evaluate_solicitation(sample, group_col="source")
    assert result["macro_f1"] >= 0.75  # guard against a broken model; the real figures are in the closing notes
    assert result["groups"]["airline_tweets"]["accuracy"] >= 0.95
