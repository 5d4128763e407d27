"""Embedding backends: the one shipped model run four ways, all offline.

:class:`jtbd.embed.Embedder` calls :func:`load_backend` and then ``backend.encode(texts)``.

- ``torch``: the sentence-transformers model as shipped (GPU when CUDA is available).
- ``onnx``: the same transformer exported locally to ONNX on first use
  (``torch.onnx.export``) and run with ``onnxruntime`` + ``tokenizers`` (mean pooling,
  L2 norm, 256-token window as shipped). Cached under ``cache_dir()/backends``.
- ``onnx-int8``: that export quantised with ``onnxruntime.quantization.quantize_dynamic``
  (per-channel QInt8). About 1.7x the torch throughput on 2 cores
  (``benchmarks/bench_embed.py``); cosine to torch vectors 0.99 on average.
- ``static``: a Model2Vec static model distilled locally from the shipped model on first
  use (``model2vec.distill``, 256 dimensions) and cached; a table lookup per token, orders
  of magnitude faster, for very large dumps and first looks. Its vectors live in another
  space: models trained on transformer vectors refuse them.
- ``auto``: ``torch`` on a GPU; on a CPU ``onnx-int8`` when ``onnxruntime`` is installed,
  else ``torch``; the choice is recorded in the manifest. ``static`` is never chosen automatically (see the README's
  backend table for the quality each keeps).

The ONNX and static exports are made from the shipped weights on the user's machine; no
file is downloaded.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from pathlib import Path
from typing import Sequence

from .errors import ResourceError, UsageError

__all__ = ["BACKENDS", "resolve_backend", "load_backend", "vector_space", "compatible", "shipped_model_dir"]

BACKENDS = ("auto", "torch", "onnx", "onnx-int8", "static")
EXPORT_VERSION = 2  # bump when the export recipe changes: exports are cached under names carrying it
STATIC_DIMS = 256
_LOCK = threading.Lock()
_LOADED: dict[tuple, object] = {}


def vector_space(backend: str) -> str:
    """Backends whose vectors are interchangeable share a space: transformer (torch/onnx/int8) or static."""
    return "static" if backend.startswith("static") else "transformer"


def compatible(trained_id: str | None, current_id: str) -> bool:
    """Whether vectors of embedder ``current_id`` fit a model trained on ``trained_id``.

    Ids are ``NAME@FINGERPRINT`` with an optional ``+BACKEND`` suffix (torch ids carry
    none). Same model name and same vector space: compatible.
    """
    if not trained_id:
        return True

    def split(model_id: str):
        base, _, backend = model_id.partition("+")
        return base.split("@")[0], vector_space(backend or "torch")

    return split(trained_id) == split(current_id)


def shipped_model_dir(name: str) -> Path:
    """Folder of a shipped classifier (``outcomes``, ``solicitation``) for the active backend's vector space.

    ``data/NAME`` was trained on transformer vectors (torch, onnx, onnx-int8);
    ``data/NAME-static`` on the locally distilled static model's vectors.
    """
    suffix = "-static" if vector_space(resolve_backend(None)) == "static" else ""
    return Path(__file__).resolve().parent / "data" / f"{name}{suffix}"


STATIC_PROBE_ROWS = 64  # rows of the static embedding table kept to compare two distillations numerically
_PROBES = Path(__file__).resolve().parent / "data" / "static-probes"


def static_probe(weights) -> "object":
    """Every ``len/64``-th row of a static embedding table: enough to tell two distillations apart."""
    import numpy as np

    w = np.asarray(weights, dtype=np.float32)
    step = max(1, len(w) // STATIC_PROBE_ROWS)
    return w[::step][:STATIC_PROBE_ROWS].copy()


def check_static_weights(trained_weights: str | None, what: str) -> None:
    """Warn when a model trained on static vectors meets a numerically different local distillation.

    A distillation's bytes depend on the BLAS thread count (a Dask worker with one thread and
    a 2-thread process give tables that differ by ~1e-3, cosine > 0.99999), so equal ids are
    not required: when the ids differ, the current table is compared with the probe rows
    (:func:`static_probe`) saved for the trained weights (shipped in ``jtbd/data/static-probes``
    or beside a model trained with ``jtbd --embedder static train``), and only a real
    difference (a probe row with cosine < 0.999, or no probe to compare) warns.
    """
    if not trained_weights:
        return
    from .embed import get_embedder

    emb = get_embedder()
    if emb.backend != "static":
        return
    current = emb.describe().get("static_weights_id")
    if not current or current == trained_weights or static_weights_match(trained_weights) is True:
        return
    import warnings

    warnings.warn(f"the {what} was trained on static vectors {trained_weights}, this machine distilled {current}, and their "
                  f"embedding tables differ: results may be off; retrain it with `jtbd --embedder static train ...` "
                  f"or use --embedder onnx-int8", stacklevel=3)


@functools.lru_cache(maxsize=8)
def static_weights_match(trained_weights: str, min_cosine: float = 0.999) -> bool | None:
    """Whether this machine's static table equals (numerically) the one with id ``trained_weights``; ``None``: no probe."""
    import numpy as np

    from .embed import get_embedder

    probe_file = _PROBES / f"{trained_weights}.npy"
    if not probe_file.exists():
        return None
    probe = np.load(probe_file)
    current = static_probe(get_embedder()._backend().model.embedding)
    if current.shape != probe.shape:
        return False
    num = (current * probe).sum(axis=1)
    den = np.linalg.norm(current, axis=1) * np.linalg.norm(probe, axis=1)
    cos = np.where(den > 0, num / np.where(den > 0, den, 1), 1.0)
    return bool(cos.min() >= min_cosine)


def save_static_probe() -> Path:
    """Write the probe of this machine's static table to ``jtbd/data/static-probes`` (run after retraining shipped models)."""
    import numpy as np

    from .embed import get_embedder

    emb = get_embedder(backend="static")
    _PROBES.mkdir(parents=True, exist_ok=True)
    target = _PROBES / f"{emb._backend().weights_id}.npy"
    np.save(target, static_probe(emb._backend().model.embedding))
    return target


def resolve_backend(name: str | None, *, device: str = "cpu") -> str:
    """The concrete backend for ``name``: ``auto`` is torch on a GPU, else ``onnx-int8`` when onnxruntime is installed, else torch."""
    name = (name or os.environ.get("JTBD_EMBEDDER") or "auto").lower()
    if name not in BACKENDS:
        raise UsageError("E310", f"unknown embedding backend '{name}'", fix=f"use one of: {', '.join(BACKENDS)}")
    if name != "auto":
        return name
    if device != "cpu":
        return "torch"
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return "torch"
    return "onnx-int8"


def load_backend(backend: str, model_path: Path, *, device: str = "cpu", fingerprint: str, batch_size: int = 64):
    """A loaded backend (cached per process) with ``encode(texts) -> float32 array`` (L2-normalised)."""
    key = (backend, str(model_path), device, fingerprint)
    with _LOCK:
        be = _LOADED.get(key)
        if be is None:
            if backend == "torch":
                be = _TorchBackend(model_path, device, batch_size)
            elif backend in ("onnx", "onnx-int8"):
                be = _OnnxBackend(model_path, fingerprint, quantized=backend == "onnx-int8", batch_size=batch_size)
            elif backend == "static":
                be = _StaticBackend(model_path, fingerprint)
            else:  # pragma: no cover - resolve_backend guards this
                raise UsageError("E310", f"unknown embedding backend '{backend}'", fix=f"use one of: {', '.join(BACKENDS)}")
            _LOADED[key] = be
        return be


def _export_dir(fingerprint: str) -> Path:
    from .embed import cache_dir

    d = cache_dir() / "backends" / fingerprint
    d.mkdir(parents=True, exist_ok=True)
    return d


class _TorchBackend:
    def __init__(self, model_path: Path, device: str, batch_size: int) -> None:
        from .embed import _load_model

        self.model = _load_model(model_path, device)
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str], progress: bool = False):
        import numpy as np
        import torch

        with torch.inference_mode():
            v = self.model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
                                  show_progress_bar=progress)
        return v.astype(np.float32, copy=False)


def _no_telemetry(ort) -> None:
    """Switch onnxruntime's telemetry events off (jtbd promises no network and writes nothing it does not report)."""
    disable = getattr(ort, "disable_telemetry_events", None)
    if disable is not None:
        disable()


class _OnnxBackend:
    """The shipped transformer as ONNX (fp32 or dynamic int8), run with onnxruntime + tokenizers."""

    def __init__(self, model_path: Path, fingerprint: str, *, quantized: bool, batch_size: int) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise ResourceError("E311", "the onnx backends need onnxruntime", fix="pip install onnxruntime onnx (or use --embedder torch)") from None
        _no_telemetry(ort)
        from tokenizers import Tokenizer

        folder = _export_dir(fingerprint)
        fp32 = folder / f"model-v{EXPORT_VERSION}.onnx"
        path = folder / (f"model-v{EXPORT_VERSION}-int8.onnx" if quantized else fp32.name)
        with _file_lock(folder / ".export.lock"):
            if not fp32.exists():
                _export_onnx(model_path, fp32)
            if quantized and not path.exists():
                import logging

                from onnxruntime.quantization import QuantType, quantize_dynamic

                tmp = path.with_suffix(".tmp.onnx")
                root = logging.getLogger()
                level = root.level
                root.setLevel(logging.ERROR)  # "consider pre-processing" advice on the root logger
                try:
                    quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
                finally:
                    root.setLevel(level)
                tmp.replace(path)
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        max_len = 256
        cfg = model_path / "sentence_bert_config.json"
        if cfg.exists():
            max_len = int(json.loads(cfg.read_text()).get("max_seq_length", 256))
        self.tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_len)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str], progress: bool = False):
        import numpy as np

        out = []
        texts = list(texts)
        for i in range(0, len(texts), self.batch_size):
            enc = self.tokenizer.encode_batch(texts[i:i + self.batch_size])
            ids = np.asarray([e.ids for e in enc], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feed)[0]
            m = mask[..., None].astype(np.float32)
            v = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            v /= np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)
            out.append(v.astype(np.float32))
        return np.vstack(out) if out else np.zeros((0, 0), dtype=np.float32)


def _export_onnx(model_path: Path, target: Path) -> None:
    """Export the shipped transformer (token embeddings out) with torch.onnx (TorchScript exporter)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_path), local_files_only=True, attn_implementation="eager")
    model.eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    import warnings

    ids = torch.ones((2, 8), dtype=torch.long)
    tmp = target.with_suffix(".tmp.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Wrapper(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(tmp),
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")},
                          opset_version=17, dynamo=False)
    tmp.replace(target)


class _StaticBackend:
    """A Model2Vec static model distilled from the shipped transformer (cached after the first use)."""

    def __init__(self, model_path: Path, fingerprint: str) -> None:
        try:
            from model2vec import StaticModel
        except ImportError:
            raise ResourceError("E312", "the static backend needs model2vec", fix="pip install model2vec skeletoken (or use --embedder onnx-int8)") from None
        folder = _export_dir(fingerprint) / f"static-{STATIC_DIMS}"
        with _file_lock(folder.parent / ".static.lock"):
            if not (folder / "model.safetensors").exists():
                _distill(model_path, folder)
        self.model = StaticModel.from_pretrained(str(folder))
        import hashlib

        self.weights_id = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()[:12]

    def encode(self, texts: Sequence[str], progress: bool = False):
        import numpy as np

        v = np.asarray(self.model.encode(list(texts), show_progress_bar=progress), dtype=np.float32)
        v /= np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)
        return v


def _distill(model_path: Path, folder: Path) -> None:
    import logging

    try:
        from model2vec.distill import distill
    except ImportError:
        raise ResourceError("E313", "distilling the static model needs model2vec's distill dependencies",
                            fix="pip install model2vec skeletoken") from None
    logging.getLogger("model2vec").setLevel(logging.WARNING)
    import contextlib
    import io

    with contextlib.redirect_stderr(io.StringIO()):  # no per-token bar for the one-off distillation
        model = distill(model_name=str(model_path), pca_dims=STATIC_DIMS)
    tmp = folder.with_name(folder.name + ".tmp")
    model.save_pretrained(str(tmp))
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    tmp.replace(folder)


class _file_lock:
    """Exclusive lock on a file so two processes do not export the same model at once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self):
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "w")
        fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        import fcntl

        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def portable_embedder_info(info: dict) -> dict:
    """An embedder's description without machine-specific paths (for configs that ship)."""
    return {k: v for k, v in info.items() if k not in ("path", "cache", "device")}
