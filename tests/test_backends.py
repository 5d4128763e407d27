"""Embedding backends: choice, compatibility between vector spaces, and the vectors themselves."""

from __future__ import annotations

import numpy as np
import pytest

from jtbd.backends import compatible, resolve_backend
from jtbd.errors import ResourceError, UsageError

TEXTS = ["I missed my connecting flight and slept at the airport.", "The staff at the desk were lovely.",
         "My refund still has not arrived after six weeks.", "Great app, easy to use."]


def test_unknown_backend_is_refused_with_the_choices():
    with pytest.raises(UsageError, match="onnx-int8"):
        resolve_backend("tensorrt")


def test_auto_is_torch_on_a_gpu_and_a_named_backend_is_kept(monkeypatch):
    monkeypatch.delenv("JTBD_EMBEDDER", raising=False)
    assert resolve_backend("auto", device="cuda") == "torch"
    assert resolve_backend("static") == "static"
    assert resolve_backend(None) in ("onnx-int8", "torch")  # auto on a CPU
    monkeypatch.setenv("JTBD_EMBEDDER", "onnx")
    assert resolve_backend(None) == "onnx"


def test_vector_spaces_decide_compatibility():
    torch_id = "all-MiniLM-L6-v2@6097ba7245eb"
    assert compatible(torch_id, torch_id + "+onnx-int8") and compatible(torch_id + "+onnx", torch_id)
    assert not compatible(torch_id, torch_id + "+static") and not compatible(torch_id + "+static", torch_id + "+onnx")
    assert not compatible("other-model@1", torch_id)
    assert compatible(None, torch_id + "+static")  # nothing recorded: nothing to check


def test_classifier_refuses_static_vectors_with_the_fix(monkeypatch):
    import jtbd.embed
    from jtbd.outcomes import OutcomeModel

    class StaticFake:
        model_id = "all-MiniLM-L6-v2@6097ba7245eb+static"

    monkeypatch.setattr(jtbd.embed, "get_embedder", lambda *a, **k: StaticFake())
    model = OutcomeModel.load()  # the shipped model, trained on torch vectors
    with pytest.raises(ResourceError, match="compatible --embedder"):
        model.predict(["The train was late."])


@pytest.mark.slow
def test_onnx_int8_vectors_stay_close_to_torch_and_are_cached_apart(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("JTBD_CACHE_DIR", str(tmp_path))
    from jtbd.embed import get_embedder

    ref = get_embedder(backend="torch").encode(TEXTS)
    for backend, floor in (("onnx", 0.999), ("onnx-int8", 0.96)):
        emb = get_embedder(backend=backend)
        v = emb.encode(TEXTS)
        assert v.shape == ref.shape and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
        assert (v * ref).sum(axis=1).min() >= floor, backend
        assert emb.describe()["backend"] == backend and emb.model_id.endswith("+" + backend)
    files = sorted(p.name for p in (tmp_path / "embeddings").glob("*.sqlite3"))
    assert len(files) == 3  # one vector cache per backend: vectors of one never stand in for another
    assert (tmp_path / "backends").is_dir()  # the export lives in the cache directory, made locally


@pytest.mark.slow
def test_static_backend_is_distilled_locally_and_is_its_own_space(tmp_path, monkeypatch, no_network):
    pytest.importorskip("model2vec")
    monkeypatch.setenv("JTBD_CACHE_DIR", str(tmp_path))
    from jtbd.embed import get_embedder

    emb = get_embedder(backend="static")
    v = emb.encode(TEXTS)
    assert v.shape == (len(TEXTS), 256) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    sims = v @ v.T
    assert sims[0, 2] > sims[0, 3]  # a missed flight is nearer a late refund than an app compliment
    assert emb.describe()["vector_space"] == "static"
    # end to end: the shipped static-space twins of the classifiers take these vectors
    import pandas as pd

    import jtbd

    df = pd.DataFrame({"text": TEXTS * 6, "channel": ["twitter", "survey"] * 12})
    res = jtbd.analyze(df, embedder="static")
    models = res.provenance["models"]
    assert models["embedding"]["backend"] == "static"
    assert models["extraction"]["outcome_model"]["path"].endswith("outcomes-static")
    assert set(res.records["solicitation"]) <= {"solicited", "unsolicited"} and len(res.units) >= len(res.records) == 4
