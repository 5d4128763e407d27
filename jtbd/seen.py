"""Which texts a shipped model was trained on, so an evaluation never lets a record score itself.

A model keeps a 64-bit hash of each training text (normalised: stripped, whitespace
collapsed, lower-cased), about 8 bytes a text. ``jtbd evaluate`` leaves out the rows
whose text the model saw in training and says how many; the hashes cannot be turned
back into text.

Example:
    >>> from jtbd.seen import text_hashes, seen_mask
    >>> h = text_hashes(["The app crashed."])
    >>> seen_mask(["the app  crashed.", "Something else"], h).tolist()
    [True, False]
"""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

__all__ = ["text_hashes", "seen_mask"]

_SPACE = re.compile(r"\s+")


def _norm(text) -> str:
    return _SPACE.sub(" ", str(text)).strip().lower()


def text_hashes(texts: Sequence[str]):
    """Sorted unique int64 hashes of the normalised texts."""
    import numpy as np

    return np.unique(text_hashes_each(texts))


def seen_mask(texts: Sequence[str], hashes) -> "object":
    """Boolean array: whether each text's hash is among ``hashes`` (all False when ``hashes`` is None)."""
    import numpy as np

    if hashes is None or len(hashes) == 0:
        return np.zeros(len(texts), dtype=bool)
    return np.isin(text_hashes_each(texts), np.asarray(hashes, dtype=np.int64))


def text_hashes_each(texts: Sequence[str]):
    """One int64 hash per text, in order."""
    import numpy as np

    return np.asarray([int.from_bytes(hashlib.blake2b(_norm(t).encode("utf-8"), digest_size=8).digest(), "little", signed=True)
                       for t in texts], dtype=np.int64)
