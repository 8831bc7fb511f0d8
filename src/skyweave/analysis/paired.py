"""Paired differences between two configurations run on the same seeds.

Modes (``skyweave compare``) and sweep points (``skyweave batch``) share their
seeds and, through them, their random draws (common random numbers): run ``i``
of configuration A and run ``i`` of configuration B see the same sensor noise,
link losses and kill draws wherever their events coincide. The difference
``d_i = B_i - A_i`` then removes the luck the two runs share, and the interval
of its mean is narrower than the one of two independent means.

Three views of the same differences, so that a reader need not trust one:

* **paired t**: ``mean(d) ± t_{0.975, n-1} · sd(d) / √n`` (the textbook interval;
  it leans on the mean being near normal, which a few dozen seeds give for
  counts such as leakers);
* **bootstrap**: the 2.5 and 97.5 percentiles of the mean of ``n`` differences
  resampled with replacement, ``B`` times, from a generator with a fixed seed
  (so the interval is reproducible);
* **tests of no difference**: the exact sign test (binomial on the non-zero
  differences) and the Wilcoxon signed-rank test (SciPy), two-sided.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 20_240_024
"""Seed of the bootstrap's generator: the same differences give the same interval."""


def finite_pairs(a: Sequence[float | None], b: Sequence[float | None]) -> np.ndarray:
    """``(a_i, b_i)`` rows (shape ``(n, 2)``) over the seeds where both are finite."""
    keep = [
        (float(x), float(y))
        for x, y in zip(a, b, strict=True)
        if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
    ]
    return np.asarray(keep, dtype=np.float64).reshape(-1, 2)


def t_half_width(d: np.ndarray, confidence: float = CONFIDENCE) -> float | None:
    """Half-width of the paired-t interval of ``mean(d)``; None below two values."""
    n = int(d.size)
    if n < 2:
        return None
    sd = float(np.std(d, ddof=1))
    return float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * sd / math.sqrt(n)


def bootstrap_ci(
    d: np.ndarray,
    confidence: float = CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> list[float] | None:
    """Percentile bootstrap interval of ``mean(d)`` (fixed-seed generator)."""
    n = int(d.size)
    if n < 2:
        return None
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return [float(low), float(high)]


def sign_test_p(d: np.ndarray) -> float | None:
    """Two-sided exact sign test of a zero median difference (zeros dropped)."""
    positive, negative = int(np.sum(d > 0)), int(np.sum(d < 0))
    if positive + negative == 0:
        return None
    return float(stats.binomtest(positive, positive + negative, 0.5).pvalue)


def wilcoxon_p(d: np.ndarray) -> float | None:
    """Two-sided Wilcoxon signed-rank test (zeros dropped); None when every
    difference is zero."""
    if not np.any(d != 0):
        return None
    with warnings.catch_warnings():  # small samples: SciPy warns about the normal approx.
        warnings.simplefilter("ignore")
        return float(stats.wilcoxon(d, zero_method="wilcox").pvalue)


def paired_difference(
    a: Sequence[float | None],
    b: Sequence[float | None],
    confidence: float = CONFIDENCE,
) -> dict[str, Any]:
    """Statistics of ``b - a`` over the seeds where both have a value.

    Returns
    -------
    dict
        ``n``; ``mean_a``, ``mean_b`` and ``mean`` (of the differences); ``sd``;
        ``t_ci95`` and ``t_half_width`` (paired t); ``bootstrap_ci95``;
        ``sign_p`` and ``wilcoxon_p`` (two-sided); ``excludes_zero`` (the t
        interval lies wholly on one side of 0). Values that need more seeds are None.
    """
    pairs = finite_pairs(a, b)
    d = pairs[:, 1] - pairs[:, 0]
    n = int(d.size)
    out: dict[str, Any] = {
        "n": n,
        "mean_a": float(np.mean(pairs[:, 0])) if n else None,
        "mean_b": float(np.mean(pairs[:, 1])) if n else None,
        "mean": float(np.mean(d)) if n else None,
        "sd": float(np.std(d, ddof=1)) if n > 1 else None,
        "t_ci95": None,
        "t_half_width": t_half_width(d, confidence),
        "bootstrap_ci95": bootstrap_ci(d, confidence),
        "sign_p": sign_test_p(d),
        "wilcoxon_p": wilcoxon_p(d),
        "excludes_zero": False,
    }
    half = out["t_half_width"]
    if half is not None:
        low, high = out["mean"] - half, out["mean"] + half
        out["t_ci95"] = [low, high]
        out["excludes_zero"] = bool(low > 0 or high < 0)
    return out


def seeds_for_half_width(d: np.ndarray, target: float, confidence: float = CONFIDENCE) -> int:
    """Seeds the paired-t interval needs for a half-width below ``target``, from
    the spread of the differences seen so far (at least ``d.size + 1`` when it is
    not yet there; the caller caps it)."""
    n = int(d.size)
    half = t_half_width(d, confidence)
    if half is not None and half < target:
        return n
    sd = float(np.std(d, ddof=1)) if n > 1 else 0.0
    if sd == 0.0:
        return n + 1
    # t quantile at the current n: conservative for the larger n it estimates
    t = float(stats.t.ppf(0.5 + confidence / 2.0, max(n - 1, 1)))
    return max(n + 1, math.ceil((t * sd / target) ** 2))
