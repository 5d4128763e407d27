"""Solicited vs unsolicited: metadata first, the text model second, evidence always."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import jtbd
from fakes import use_fake_embedder
from jtbd.solicitation import SolicitationModel, SolicitationSplitter, channel_decision, split_solicitation

TRAIN = pd.DataFrame({
    "text": [
        "Nothing.", "N/A", "More staff at weekends", "Friendly nurses, short wait", "Because the app is easy",
        "Parking!!", "Everything was fine thank you", "Quicker discharge", "no improvements needed", "Good communication",
        "@SkyLarkAir where is my bag?? #fail", "I am writing to complain about my bill, reference 12345",
        "Hi team, my card was declined again yesterday. Thanks, Dave",
        "Crashes constantly Since the update I cannot open it at all", "Avoid this hotel, we stayed 3 nights and it was filthy",
        "@BrightNetUK broadband down AGAIN", "Last Tuesday I took my dad to A&E and we waited six hours on a trolley",
        "Dear Sir, I have been a customer for ten years and I am disappointed", "Don't bother with this app",
        "Just wanted to share my story about the maternity ward",
    ],
    "solicited": [1] * 10 + [0] * 10,
})


@pytest.mark.parametrize("value,side", [
    ("nps_survey", "solicited"), ("CSAT", "solicited"), ("Course evaluation", "solicited"), ("fft", "solicited"),
    ("app_review", "unsolicited"), ("Twitter", "unsolicited"), ("support ticket", "unsolicited"), ("Complaint", "unsolicited"),
    ("survey email", "solicited"), ("Web", None), ("", None), (None, None),
])
def test_channel_mapping(value, side):
    assert channel_decision(value) == side


def test_metadata_decides_without_reading_the_text(monkeypatch):
    fake = use_fake_embedder(monkeypatch)
    df = pd.DataFrame({
        "text": ["Great app", "Slow service", "Staff lovely", "ok"],
        "channel": ["nps_survey", "tweet", None, None],
        "question": [None, None, "What did we do well?", None],
        "score": [9, None, None, 4],
    })
    out = split_solicitation(df, score_scale={"kind": "nps"}, model=SolicitationModel().fit(TRAIN.text, TRAIN.solicited))
    calls_after_fit = fake.calls
    assert out["solicitation"].tolist() == ["solicited", "unsolicited", "solicited", "solicited"]
    assert out["solicitation_evidence"].tolist()[:3] == [
        "channel 'nps_survey' -> solicited", "channel 'tweet' -> unsolicited", "answers a question: 'What did we do well?'"]
    assert out["solicitation_evidence"].iloc[3] == "per-record nps score"
    assert out["solicitation_confidence"].tolist() == [1.0] * 4
    assert fake.calls == calls_after_fit  # no text was embedded
    assert "solicitation" not in df.columns  # the caller's frame is untouched


def test_unknown_channel_falls_to_the_text_model_and_says_so(monkeypatch):
    use_fake_embedder(monkeypatch)
    model = SolicitationModel().fit(TRAIN.text, TRAIN.solicited)
    out = split_solicitation(pd.DataFrame({"text": ["@SkyLarkAir lost my bag again #fail"], "channel": ["carrier pigeon"]}), model=model)
    assert out["solicitation_evidence"].iloc[0] == "text model (channel 'carrier pigeon' not in the mapping)"
    assert 0.5 <= out["solicitation_confidence"].iloc[0] <= 1.0


def test_text_only_ignores_metadata(monkeypatch):
    use_fake_embedder(monkeypatch)
    model = SolicitationModel().fit(TRAIN.text, TRAIN.solicited)
    out = split_solicitation(pd.DataFrame({"text": ["Nothing."], "channel": ["tweet"]}), model=model, text_only=True)
    assert out["solicitation_evidence"].iloc[0].startswith("text model")


def test_edge_cases_get_a_clear_answer(monkeypatch):
    use_fake_embedder(monkeypatch)
    model = SolicitationModel().fit(TRAIN.text, TRAIN.solicited)
    texts = ["", "   ", "👍", "x" * 50_000, "Bardzo dobra obsługa, polecam wszystkim serdecznie", "Nothing."]
    out = split_solicitation(pd.DataFrame({"text": texts}), model=model)
    assert pd.isna(out["solicitation"].iloc[0]) and out["solicitation_evidence"].iloc[0] == "empty text: no decision"
    assert pd.isna(out["solicitation"].iloc[1])
    assert out["solicitation"].iloc[2] in ("solicited", "unsolicited")
    assert out["solicitation"].iloc[3] in ("solicited", "unsolicited")
    assert out["language"].iloc[4] == "pl" and bool(out["language_flag"].iloc[4])
    assert "not English" in out["solicitation_evidence"].iloc[4]
    assert out["language"].iloc[5] == "en" and not out["language_flag"].iloc[5]


def test_model_saves_without_pickle_and_reloads_identically(monkeypatch, tmp_path):
    use_fake_embedder(monkeypatch)
    model = SolicitationModel().fit(TRAIN.text, TRAIN.solicited)
    path = model.save(tmp_path / "m")
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors"]
    assert b"pickle" not in (path / "model.safetensors").read_bytes()[:2000]
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["kind"] == "jtbd.solicitation" and cfg["meta"]["n_examples"] == 20
    again = SolicitationModel.load(path)
    np.testing.assert_allclose(again.predict_proba(TRAIN.text), model.predict_proba(TRAIN.text), rtol=1e-5)


def test_model_refuses_vectors_of_another_embedder(monkeypatch, tmp_path):
    use_fake_embedder(monkeypatch)
    model = SolicitationModel().fit(TRAIN.text, TRAIN.solicited)
    model.embedder_id_ = "some-other-model@123"
    with pytest.raises(jtbd.ResourceError) as err:
        model.predict(["Nothing."])
    assert err.value.code == "E305"


def test_unfitted_model_says_how_to_fix():
    with pytest.raises(jtbd.errors.NotFittedError, match="fit"):
        SolicitationModel().predict(["x"])


def test_splitter_fit_predict_is_sklearn_style(monkeypatch):
    use_fake_embedder(monkeypatch)
    splitter = SolicitationSplitter(text_only=True).fit(TRAIN, label_col="solicited")
    assert isinstance(splitter.model, SolicitationModel)
    pred = splitter.predict(TRAIN)
    assert (pred == TRAIN.solicited.map({1: "solicited", 0: "unsolicited"})).mean() >= 0.8


def test_train_and_evaluate_commands(monkeypatch, invoke, tmp_path):
    use_fake_embedder(monkeypatch)
    labels = TRAIN.assign(source=["survey"] * 10 + ["social"] * 10, solicited=TRAIN.solicited.map({1: "solicited", 0: "unsolicited"}))
    labels.to_csv(tmp_path / "labels.csv", index=False)
    result = invoke("train", "solicitation", tmp_path / "labels.csv", "--out", tmp_path / "model")
    assert result.exit_code == 0, result.output
    # every labelled record was in the training data: it must not score itself
    refused = invoke("evaluate", "solicitation", tmp_path / "labels.csv", "--model", tmp_path / "model")
    assert refused.exit_code == 1 and "E127" in refused.stderr and "--include-trained" in refused.stderr
    result = invoke("evaluate", "solicitation", tmp_path / "labels.csv", "--model", tmp_path / "model", "--group-col", "source",
                    "--include-trained", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"n", "accuracy", "macro_f1", "per_class", "confusion", "groups", "calibration", "seen_in_training"} <= set(report)
    assert report["n"] == 20 and set(report["groups"]) == {"survey", "social"}
    assert set(report["groups"]["survey"]) >= {"n", "accuracy", "macro_f1", "per_class", "confusion"}
    assert 0 <= report["calibration"]["ece"] <= 1 and sum(r["n"] for r in report["calibration"]["reliability"]) == 20
    # half of them new: the trained-on half is left out and counted
    fresh = labels.head(10).assign(text=lambda d: d.text + " (new)")
    pd.concat([fresh, labels.tail(10)]).to_csv(tmp_path / "mixed.csv", index=False)
    text = invoke("evaluate", "solicitation", tmp_path / "mixed.csv", "--model", tmp_path / "model")
    assert text.exit_code == 0, text.output
    assert "macro-F1" in text.stdout and "confusion" in text.stdout and "expected calibration error" in text.stdout
    assert "left out   10 rows the model was trained on" in text.stdout


def test_evaluate_rejects_unknown_labels(monkeypatch, invoke, tmp_path):
    use_fake_embedder(monkeypatch)
    TRAIN.assign(solicited=["maybe"] * 20).to_csv(tmp_path / "bad.csv", index=False)
    result = invoke("evaluate", "solicitation", tmp_path / "bad.csv")
    assert result.exit_code == 1 and "E120" in result.stderr


def test_split_command_writes_columns_and_counts(monkeypatch, invoke, tmp_path):
    fake = use_fake_embedder(monkeypatch)
    SolicitationModel().fit(TRAIN.text, TRAIN.solicited).save(tmp_path / "m")
    df = pd.DataFrame({"text": ["Nothing really", "@KestrelRail late again", "Where is my refund?"], "channel": ["nps", "twitter", "pigeon"]})
    df.to_csv(tmp_path / "f.csv", index=False)
    result = invoke("split", tmp_path / "f.csv", "--model", tmp_path / "m", "-o", tmp_path / "run")
    assert result.exit_code == 0, result.output
    records = pd.read_parquet(tmp_path / "run" / "records.parquet")
    assert {"solicitation", "solicitation_confidence", "solicitation_evidence", "language"} <= set(records.columns)
    assert records["solicitation"].tolist()[:2] == ["solicited", "unsolicited"]
    assert "solicited" in result.stdout and "unsolicited" in result.stdout
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["models"]["solicitation"]["text_only"] is False
    assert fake.calls >= 1


def test_a_question_code_is_not_a_question(monkeypatch):
    use_fake_embedder(monkeypatch)
    model = SolicitationModel().fit(TRAIN.text, TRAIN.solicited)
    df = pd.DataFrame({"text": ["My son's speech has come on so much", "Shorter waits"],
                       "question": ["Care Opinion - Q1", "What could we do better?"]})
    out = split_solicitation(df, model=model)
    assert out["solicitation_evidence"].iloc[0] == "text model (question column holds 'Care Opinion - Q1', not a question)"
    assert out["solicitation_evidence"].iloc[1] == "answers a question: 'What could we do better?'"
