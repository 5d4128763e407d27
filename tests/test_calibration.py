"""Confidence that means something: calibration measures, temperature scaling, never scoring a trained-on row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jtbd.calibration import calibration_report, expected_calibration_error, fit_temperature, reliability_table, softmax
from jtbd.seen import seen_mask, text_hashes


def test_a_calibrated_classifier_has_an_ece_near_zero_and_an_overconfident_one_does_not():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.5, 1.0, 20_000)
    right = rng.uniform(size=conf.size) < conf  # right exactly as often as it says
    assert expected_calibration_error(conf, right) < 0.02
    overconfident = np.minimum(conf + 0.2, 1.0)
    assert expected_calibration_error(overconfident, right) > 0.12


def test_reliability_table_bins_confidence_and_counts_every_prediction():
    rows = reliability_table([0.05, 0.55, 0.58, 0.95, 1.0], [False, True, False, True, True])
    assert [(r["lower"], r["n"]) for r in rows] == [(0.0, 1), (0.5, 2), (0.9, 2)]
    assert rows[1]["accuracy"] == 0.5 and rows[1]["confidence"] == pytest.approx(0.565)
    report = calibration_report([0.9, 0.9, 0.6, 0.6], [1, 1, 1, 0])
    assert report["ece"] == pytest.approx(0.1) and sum(r["n"] for r in report["reliability"]) == 4


def test_temperature_scaling_recovers_the_temperature_that_made_the_labels():
    rng = np.random.default_rng(1)
    true_logits = rng.normal(0, 2, size=(8000, 4))
    y = np.array([rng.choice(4, p=p) for p in softmax(true_logits)])
    t = fit_temperature(true_logits * 3.0, y)  # a model three times too sure of itself
    assert t == pytest.approx(3.0, rel=0.1)
    before = softmax(true_logits * 3.0)
    after = softmax(true_logits * 3.0, t)
    assert (before.argmax(1) == after.argmax(1)).all()  # calibration changes no prediction
    ok = before.argmax(1) == y
    assert expected_calibration_error(after.max(1), ok) < expected_calibration_error(before.max(1), ok) / 3


def test_seen_texts_are_recognised_after_case_and_whitespace_changes_only():
    h = text_hashes(["The app crashed.", "Staff were lovely"])
    assert seen_mask(["  the APP crashed. ", "Staff were lovely!", "other"], h).tolist() == [True, False, False]
    assert seen_mask(["anything"], None).tolist() == [False]
    assert h.dtype == np.int64 and len(text_hashes(["a", "A", " a "])) == 1


@pytest.mark.slow
def test_evaluate_outcomes_reports_calibration_per_source_and_leaves_out_trained_rows(tmp_path):
    from jtbd.outcomes import OutcomeModel, evaluate_outcomes

    train = pd.DataFrame({
        "text": ["I waited two hours to change my flight.", "The staff were lovely.", "Thanks.", "The app keeps crashing so I missed my bill.",
                 "I could finally get to work on time.", "Your website is slow.", "Hello.", "The nurse explained everything so I felt calm."] * 3,
        "label": ["outcome", "enabler", "other", "both", "outcome", "enabler", "other", "both"] * 3,
    })
    model = OutcomeModel(C=1.0).fit(train["text"], train["label"])
    model.save(tmp_path / "m")
    loaded = OutcomeModel.load(tmp_path / "m")
    assert len(loaded.training_hashes_) == 8 and loaded.temperature_ == 1.0
    labelled = pd.DataFrame({"sentence": ["I had to call them five times to get a refund.", "The receptionist was rude.",
                                          "The staff were lovely."],
                             "label": ["outcome", "enabler", "enabler"], "source": ["a", "b", "b"]})
    result = evaluate_outcomes(labelled, model=loaded, group_col="source")
    assert result["seen_in_training"] == 1 and result["n"] == 2  # the trained-on sentence never scores itself
    assert 0 <= result["calibration"]["ece"] <= 1 and sum(r["n"] for r in result["calibration"]["reliability"]) == 2
    assert set(result["groups"]) == {"a", "b"} and "ece" in result["groups"]["a"]
    everything = evaluate_outcomes(labelled, model=loaded, skip_seen=False)
    assert everything["n"] == 3 and everything["seen_in_training"] == 0
    loaded.temperature_ = 5.0  # a hotter softmax: same predictions, lower confidence
    hot = loaded.predict_proba(labelled["sentence"].tolist())
    loaded.temperature_ = 1.0
    cold = loaded.predict_proba(labelled["sentence"].tolist())
    assert (hot.argmax(1) == cold.argmax(1)).all() and (hot.max(1) < cold.max(1)).all()


@pytest.mark.slow
def test_min_confidence_labels_unsure_units_and_keeps_them_out_of_statements():
    from jtbd.errors import UsageError
    from jtbd.extract import OutcomeExtractor

    records = pd.DataFrame({"record_id": ["r1", "r2"], "text": ["I waited two hours on the phone to change one flight.",
                                                                "Hmm, well, the thing about it."]})
    everything = OutcomeExtractor(use_cache=False).transform(records).units
    floor = float(everything["confidence"].max()) - 1e-4  # every unit but the surest falls below it
    sure = OutcomeExtractor(use_cache=False, min_confidence=floor).transform(records)
    unsure = sure.units["label"].eq("unsure")
    assert unsure.sum() == len(everything) - 1
    assert (sure.units.loc[unsure, "confidence"] < floor).all()
    assert set(sure.outcomes["unit_id"]) <= set(sure.units.loc[~unsure, "unit_id"])
    with pytest.raises(UsageError, match="E240"):
        OutcomeExtractor(min_confidence=1.5)


def test_temperature_and_offsets_absorb_a_shifted_class_mix():
    from jtbd.calibration import fit_temperature_and_bias

    rng = np.random.default_rng(2)
    logits = rng.normal(0, 2, size=(6000, 3))
    shift = np.array([0.0, 1.5, -1.0])  # the world's class mix differs from the one the model learnt
    y = np.array([rng.choice(3, p=p) for p in softmax(logits + shift)])
    t, b = fit_temperature_and_bias(logits, y)
    assert t == pytest.approx(1.0, rel=0.15)
    assert b[0] == 0 and b[1] - b[0] == pytest.approx(1.5, abs=0.25) and b[2] - b[0] == pytest.approx(-1.0, abs=0.25)
