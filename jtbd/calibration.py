"""Confidence that means something: temperature scaling, calibration error, reliability tables.

A classifier's ``confidence`` column is meant to be read as a probability: of the units
given confidence 0.8, about 8 in 10 should be right. The shipped models are calibrated by
**temperature scaling** (Guo et al., 2017): one scalar ``T`` divides the logits before the
softmax, fitted by minimising the log-loss of out-of-fold predictions on the training
data (grouped by source, so the fit sees the model's errors on sources it was not trained
on). It changes no prediction, only how sure the model says it is.

:func:`expected_calibration_error` and :func:`reliability_table` measure it: predictions
are put in equal-width bins of confidence, and each bin's mean confidence is compared with
its accuracy.

Example:
    >>> import numpy as np
    >>> from jtbd.calibration import expected_calibration_error
    >>> round(expected_calibration_error(np.array([0.9, 0.9, 0.6, 0.6]), np.array([1, 1, 1, 0])), 3)
    0.1
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["expected_calibration_error", "reliability_table", "fit_temperature", "fit_temperature_and_bias", "softmax",
           "calibration_report"]

N_BINS = 10


def softmax(z, temperature: float = 1.0):
    """Row-wise softmax of logits ``z / temperature``."""
    import numpy as np

    z = np.asarray(z, dtype=np.float64) / float(temperature)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def _bins(confidence, n_bins: int):
    import numpy as np

    c = np.clip(np.asarray(confidence, dtype=float), 0.0, 1.0)
    return np.minimum((c * n_bins).astype(int), n_bins - 1)


def reliability_table(confidence: Sequence[float], correct: Sequence[bool], *, n_bins: int = N_BINS) -> list[dict]:
    """One row per non-empty confidence bin: ``lower``, ``upper``, ``n``, ``confidence`` (mean), ``accuracy``."""
    import numpy as np

    conf, ok = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    b = _bins(conf, n_bins)
    rows = []
    for i in range(n_bins):
        m = b == i
        if m.any():
            rows.append({"lower": round(i / n_bins, 2), "upper": round((i + 1) / n_bins, 2), "n": int(m.sum()),
                         "confidence": round(float(conf[m].mean()), 4), "accuracy": round(float(ok[m].mean()), 4)})
    return rows


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], *, n_bins: int = N_BINS) -> float:
    """ECE: the bin-size-weighted mean of |accuracy - mean confidence| over equal-width bins."""
    rows = reliability_table(confidence, correct, n_bins=n_bins)
    n = sum(r["n"] for r in rows)
    if not n:
        return 0.0
    return float(sum(r["n"] * abs(r["accuracy"] - r["confidence"]) for r in rows) / n)


def fit_temperature(logits, y, *, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature minimising the log-loss of ``softmax(logits / T)`` against integer labels ``y``."""
    import numpy as np
    from scipy.optimize import minimize_scalar

    z, y = np.asarray(logits, dtype=np.float64), np.asarray(y, dtype=int)

    def nll(log_t):
        p = softmax(z, np.exp(log_t))
        return -np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean()

    res = minimize_scalar(nll, bounds=(np.log(bounds[0]), np.log(bounds[1])), method="bounded")
    return float(np.exp(res.x))


def fit_temperature_and_bias(logits, y, *, l2: float = 1e-3) -> tuple[float, "object"]:
    """A temperature and one offset per class, minimising the log-loss of ``softmax(logits / T + b)``.

    The offsets absorb a difference between the class mix a model was trained on and the
    one it meets (prior shift); the temperature, how sure it is. The first offset is fixed
    at 0 (only differences matter); a small L2 penalty keeps them finite on a tiny set.
    """
    import numpy as np
    from scipy.optimize import minimize

    z, y = np.asarray(logits, dtype=np.float64), np.asarray(y, dtype=int)
    k = z.shape[1]

    def nll(theta):
        t, b = np.exp(theta[0]), np.concatenate([[0.0], theta[1:]])
        p = softmax(z / t + b)
        return -np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean() + l2 * float((theta[1:] ** 2).sum())

    res = minimize(nll, np.zeros(k), method="L-BFGS-B", bounds=[(np.log(0.05), np.log(20.0))] + [(-10, 10)] * (k - 1))
    return float(np.exp(res.x[0])), np.concatenate([[0.0], res.x[1:]]).astype(np.float32)


def calibration_report(confidence: Sequence[float], correct: Sequence[bool], *, n_bins: int = N_BINS) -> dict:
    """``{"ece": ..., "n_bins": ..., "reliability": [...]}`` for ``jtbd evaluate``."""
    return {"ece": round(expected_calibration_error(confidence, correct, n_bins=n_bins), 4), "n_bins": n_bins,
            "reliability": reliability_table(confidence, correct, n_bins=n_bins)}
