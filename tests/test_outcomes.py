"""Outcome/enabler unit classifier: training, persistence without pickle, scores, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jtbd.errors import DataError, ResourceError
from jtbd.outcomes import LABELS, OutcomeModel, evaluate_outcomes, normalise_labels, outcome_scores

from fakes import use_fake_embedder

TOY = pd.DataFrame({
    "text": ["The nurses were lovely.", "Staff were rude at reception.", "Your app keeps crashing.", "Fees are too high.",
             "I had to re-book my own connection.", "It took me three hours to get through to anyone.",
             "I needed to get my dad to dialysis on time.", "Now I can walk to the shops without pain.",
             "The app crashed so I missed my rent payment.", "Staff explained everything, which put my mind at rest before surgery.",
             "The driver was late so I missed my appointment.", "Thank you all.", "Nothing to improve.", "Very good.", "@united"],
    "label": ["enabler"] * 4 + ["outcome"] * 4 + ["both"] * 3 + ["other"] * 4,
})


@pytest.fixture
def fake(monkeypatch):
    return use_fake_embedder(monkeypatch)


def test_saved_model_predicts_exactly_like_the_fitted_one(fake, tmp_path):
    model = OutcomeModel(spacy_pipeline="blank").fit(TOY.text, TOY.label, source="toy")
    before = model.predict_proba(TOY.text.tolist())
    path = model.save(tmp_path / "m")
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors"]  # no pickle anywhere
    after = OutcomeModel.load(path).predict_proba(TOY.text.tolist())
    np.testing.assert_allclose(before, after, atol=1e-5)
    assert np.allclose(after.sum(axis=1), 1.0)
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["kind"] == "jtbd.outcomes" and cfg["meta"]["label_counts"]["both"] == 3 and cfg["meta"]["training_data_sha256"]


def test_model_fits_its_own_training_data(fake):
    model = OutcomeModel(spacy_pipeline="blank").fit(TOY.text, TOY.label)
    assert (model.predict(TOY.text.tolist()) == TOY.label.to_numpy()).mean() >= 0.9


def test_labels_accept_codes_and_reject_unknown_ones():
    assert normalise_labels(["O", "e", " Both ", "x"]) == ["outcome", "enabler", "both", "other"]
    with pytest.raises(DataError, match="E123.*Fix: use one of outcome, enabler, both, other"):
        normalise_labels(["outcome", "feature"])


def test_one_class_cannot_be_trained(fake):
    with pytest.raises(DataError, match="only one class"):
        OutcomeModel(spacy_pipeline="blank").fit(["a", "b"], ["other", "other"])


def test_loading_a_folder_without_a_model_says_how_to_make_one(tmp_path):
    with pytest.raises(ResourceError, match="jtbd train outcomes"):
        OutcomeModel.load(tmp_path)


def test_scores_count_both_on_either_side():
    s = outcome_scores(["outcome", "both", "enabler", "other"], ["both", "both", "enabler", "other"])
    assert s["n"] == 4 and s["accuracy"] == 0.75
    assert s["outcome_f1"] == 1.0 and s["enabler_f1"] == 0.8
    assert s["confusion"]["labels"] == list(LABELS) and s["confusion"]["matrix"][0] == [0, 0, 1, 0]
    assert set(s["per_class"]) == set(LABELS)


def test_evaluate_names_a_missing_column(fake):
    with pytest.raises(Exception, match="--text-col"):
        evaluate_outcomes(pd.DataFrame({"text": ["x"], "label": ["other"]}), text_col="sentence")


@pytest.mark.slow
def test_shipped_model_reads_clear_cases():
    model = OutcomeModel.load()
    pred = model.predict(["The nurses on the ward were lovely and kind.", "Thank you all.",
                          "I waited two hours on the phone to change one flight.", "Your app keeps crashing every time I open it."])
    assert pred[0] == "enabler" and pred[1] == "other" and pred[2] in ("outcome", "both") and pred[3] == "enabler"


@pytest.mark.slow
def test_cli_evaluate_outcomes_json(invoke, tmp_path):
    path = tmp_path / "labels.csv"
    TOY.rename(columns={"text": "sentence"}).to_csv(path, index=False)
    result = invoke("evaluate", "outcomes", str(path), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {"n", "accuracy", "macro_f1", "outcome_f1", "enabler_f1", "per_class", "confusion"} <= set(out)
    assert out["n"] == len(TOY) and out["accuracy"] >= 0.6


@pytest.mark.slow
def test_cli_train_then_use_with_model(invoke, tmp_path):
    labels = tmp_path / "mine.csv"
    TOY.to_csv(labels, index=False)
    result = invoke("train", "outcomes", str(labels), "-o", str(tmp_path / "model"))
    assert result.exit_code == 0, result.output
    assert "trained on 15 units" in result.output
    data = tmp_path / "feedback.csv"
    pd.DataFrame({"id": ["r1", "r2"], "comment": ["The nurses were lovely.", "The app crashed, so I missed my rent payment."]}).to_csv(data, index=False)
    result = invoke("extract", str(data), "--model", str(tmp_path / "model"), "-o", str(tmp_path / "run"), "--csv")
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["models"]["outcome_model"]["path"] == str(tmp_path / "model")
