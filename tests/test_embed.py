"""The one embedding module: the shipped model, offline, loaded once, vectors cached on disk."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_shipped_model_embeds_offline_and_once(no_network):
    from jtbd.embed import get_embedder

    emb = get_embedder()
    assert get_embedder() is emb
    vecs = emb.encode(["The app crashed", "I missed my rent payment", "The app crashed"])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-4)
    np.testing.assert_array_equal(vecs[0], vecs[2])
    assert emb.model is emb.model  # loaded once per process


def test_texts_are_never_embedded_twice():
    from jtbd.embed import get_embedder

    emb = get_embedder()
    before = emb.stats.embedded
    texts = ["A sentence nobody embedded before, number 71", "And another one, number 72"]
    first = emb.encode(texts)
    assert emb.stats.embedded - before == 2
    second = emb.encode(texts[::-1])
    assert emb.stats.embedded - before == 2
    np.testing.assert_array_equal(first[::-1], second)


def test_the_cache_survives_the_process(tmp_path):
    code = (
        "from jtbd.embed import get_embedder; e = get_embedder(); e.encode(['cached across processes, 12345']);"
        "print(e.stats.embedded, e.stats.cache_hits)"
    )
    env = {**__import__("os").environ, "JTBD_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.split()
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.split()
    assert first == ["1", "0"] and second == ["0", "1"]
    assert list((tmp_path / "embeddings").glob("*.sqlite3"))


def test_missing_model_folder_is_a_clear_error(tmp_path):
    import jtbd
    from jtbd.embed import get_embedder

    with pytest.raises(jtbd.ResourceError) as err:
        get_embedder(tmp_path / "nope")
    assert err.value.code == "E303"
