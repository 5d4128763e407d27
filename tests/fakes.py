"""Fakes for fast tests: an embedder that needs no model (hashed character trigrams)."""

from __future__ import annotations

import hashlib

import numpy as np


class FakeEmbedder:
    """Deterministic stand-in for :class:`jtbd.embed.Embedder` (64-d hashed trigrams)."""

    model_id = "fake-trigrams@0"
    model_name = "fake-trigrams"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts, *, progress=False):
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            t = f"  {str(t).lower()}  "
            for j in range(len(t) - 2):
                h = int.from_bytes(hashlib.blake2b(t[j:j + 3].encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0
            n = np.linalg.norm(out[i])
            if n:
                out[i] /= n
        return out

    def describe(self):
        return {"model": self.model_name, "model_id": self.model_id, "backend": "fake"}


def use_fake_embedder(monkeypatch) -> FakeEmbedder:
    import jtbd.embed

    fake = FakeEmbedder()
    monkeypatch.setattr(jtbd.embed, "get_embedder", lambda *a, **k: fake)
    return fake
