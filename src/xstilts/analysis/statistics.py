"""Small-sample statistics for the report: seeds (2–5 per cell) and languages (10–50 per task).

Everything here is deterministic: resampling uses ``numpy.random.default_rng(seed)`` and a fixed default seed,
so the same inputs always give the same report. Inputs must be finite numbers; NaN or infinity raises
``ValueError`` rather than silently propagating into a table.

What the functions can and cannot say at these sizes:

* ``paired_test`` is an exact sign-flip permutation test. With n pairs its smallest attainable two-sided
  p-value is ``2 / 2**n``: 0.5 for 2 seeds, 0.25 for 3, 0.125 for 4, 0.0625 for 5. So no comparison over
  five or fewer seeds can reach p < 0.05, whatever the effect size. That is the honest answer for n ≤ 5,
  not a defect of the test; over languages (n ≥ 10) it has power.
* ``bootstrap_ci`` is a percentile bootstrap of the mean. For n ≤ 5 it is known to be too narrow
  (it cannot reach beyond the observed range, and its coverage is below nominal); read it as a
  description of the spread of the seeds, not as a calibrated interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

K = TypeVar("K")

# Exact enumeration of all 2**n sign vectors up to this n (65,536 rows × 16); Monte Carlo above.
EXACT_MAX_N = 16
# Element budget for one chunk of broadcast work (keeps memory flat for long inputs).
_CHUNK_ELEMENTS = 2_000_000


def _as_array(values: Iterable[float], name: str = "values") -> np.ndarray:
    array = np.asarray(list(values), dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence of numbers")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite numbers (got NaN or infinity)")
    return array


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")


def _check_resamples(n_resamples: int) -> None:
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")


def _percentile_interval(estimates: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    low, high = np.quantile(estimates, [alpha / 2, 1.0 - alpha / 2])
    return float(low), float(high)


def mean_std(values: Iterable[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1); the std of a single value is 0.0. Empty input raises."""
    array = _as_array(values)
    if array.size == 0:
        raise ValueError("mean_std needs at least one value")
    mean = math.fsum(array.tolist()) / array.size
    if array.size == 1:
        return mean, 0.0
    return mean, float(np.std(array, ddof=1))


def bootstrap_ci(
    values: Iterable[float], confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean.

    ``n_resamples`` resamples of size n are drawn with replacement (``default_rng(seed)``, so the result is
    reproducible); the interval is the (α/2, 1 − α/2) quantiles (numpy's default linear interpolation) of their
    means, α = 1 − confidence. A single value, or identical values, give (v, v). Empty input raises.
    """
    _check_confidence(confidence)
    _check_resamples(n_resamples)
    array = _as_array(values)
    if array.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    if array.size == 1 or np.all(array == array[0]):
        return float(array[0]), float(array[0])
    rng = np.random.default_rng(seed)
    n = array.size
    rows = max(1, _CHUNK_ELEMENTS // n)
    means = np.empty(n_resamples)
    for start in range(0, n_resamples, rows):
        stop = min(start + rows, n_resamples)
        means[start:stop] = array[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    return _percentile_interval(means, confidence)


def paired_test(
    variant: Sequence[float], baseline: Sequence[float], *, n_resamples: int = 10_000, seed: int = 0
) -> dict[str, Any]:
    """Two-sided paired sign-flip permutation test on the differences ``variant[i] − baseline[i]``.

    Pairs are seeds (variant and baseline trained with the same seed) or languages (same language). Under the
    null hypothesis that the variant does not change the outcome, the two members of each pair are
    exchangeable, so each difference is as likely to have either sign. The statistic is |Σ dᵢ| (equivalently
    |mean difference|), and the p-value is the share of the 2ⁿ sign assignments whose |Σ ±dᵢ| is at least the
    observed one (a relative tolerance of 1e-9 absorbs floating-point noise in the sums).

    Why this test: with 2–5 seeds neither the normality a paired t-test needs nor anything else about the
    distribution of the differences can be checked, while the permutation test needs none of it; its p-value
    is exact (not asymptotic) for every n and uses the magnitudes of the differences (the Wilcoxon signed-rank
    test keeps only their ranks and has the same 2 / 2ⁿ floor). Zero differences are kept: they contribute the
    same to every assignment.

    For n ≤ 16 all 2ⁿ assignments are enumerated (``"exact": True``); above, ``n_resamples`` random
    assignments are drawn with ``default_rng(seed)`` and p = (1 + #{as extreme}) / (1 + n_resamples), which
    never returns 0 (Phipson & Smyth, 2010).

    Returns ``{"test", "p_value", "n", "mean_difference", "exact", "min_p_value"}``; with n < 2 the p-value
    (and the floor) is None. ``min_p_value`` is the smallest p this n can give (2 / 2ⁿ when exact).
    Sequences of different lengths raise ``ValueError``.
    """
    _check_resamples(n_resamples)
    v = _as_array(variant, "variant")
    b = _as_array(baseline, "baseline")
    if v.size != b.size:
        raise ValueError(f"paired_test needs pairs: {v.size} variant values vs {b.size} baseline values")
    d = v - b
    n = int(d.size)
    result: dict[str, Any] = {
        "test": "paired sign-flip permutation test (two-sided, statistic |mean difference|)",
        "p_value": None,
        "n": n,
        "mean_difference": float(d.mean()) if n else None,
        "exact": n <= EXACT_MAX_N,
        "min_p_value": None,
    }
    if n < 2:
        return result
    observed = abs(float(d.sum()))
    threshold = observed - 1e-9 * max(1.0, float(np.abs(d).sum()))
    if n <= EXACT_MAX_N:
        codes = np.arange(2**n, dtype=np.int64)[:, None]
        signs = 1 - 2 * ((codes >> np.arange(n, dtype=np.int64)) & 1)
        sums = signs @ d
        result["p_value"] = float(np.count_nonzero(np.abs(sums) >= threshold)) / 2**n
        result["min_p_value"] = 2.0 / 2**n
    else:
        rng = np.random.default_rng(seed)
        rows = max(1, _CHUNK_ELEMENTS // n)
        extreme = 0
        for start in range(0, n_resamples, rows):
            stop = min(start + rows, n_resamples)
            signs = rng.choice(np.array([-1.0, 1.0]), size=(stop - start, n))
            extreme += int(np.count_nonzero(np.abs(signs @ d) >= threshold))
        result["p_value"] = (1 + extreme) / (1 + n_resamples)
        result["min_p_value"] = 1 / (1 + n_resamples)
        result["test"] += f", Monte Carlo with {n_resamples} sign assignments, seed {seed}"
    return result


def holm(p_values: Mapping[K, float | None]) -> dict[K, float | None]:
    """Holm–Bonferroni adjusted p-values (Holm, 1979), in the input's key order.

    With the m non-None p-values sorted ascending, p₍ᵢ₎ becomes min(1, max over j ≤ i of (m − j + 1)·p₍ⱼ₎)
    (1-based): monotone in the raw p-values and capped at 1. Reject at level α exactly where the adjusted p ≤ α.
    None (a test that could not be run) passes through and does not count towards m. Values outside [0, 1]
    or NaN raise ``ValueError``.
    """
    present = [(key, p) for key, p in p_values.items() if p is not None]
    for key, p in present:
        if not 0.0 <= p <= 1.0:  # also rejects NaN
            raise ValueError(f"p-value for {key!r} must be in [0, 1], got {p}")
    m = len(present)
    adjusted: dict[K, float | None] = {}
    running = 0.0
    for rank, (key, p) in enumerate(sorted(present, key=lambda item: item[1])):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[key] = running
    return {key: (adjusted[key] if p is not None else None) for key, p in p_values.items()}


def robustness(deltas: Mapping[str, float]) -> dict[str, Any]:
    """How a variant's delta against the baseline spreads over languages.

    Returns ``n``, ``mean`` and ``std`` (sample, ddof=1; 0.0 for one language), ``worst`` (the smallest delta)
    and ``worst_language`` (ties broken by language code), ``improved`` / ``worsened`` (counts of deltas > 0 and
    < 0) and ``improved_share`` (improved / n; a delta of exactly 0 is not an improvement). With no languages
    every statistic is None and n is 0.
    """
    values = _as_array(deltas.values(), "deltas")
    n = int(values.size)
    if n == 0:
        return {
            "n": 0,
            "mean": None,
            "std": None,
            "worst": None,
            "worst_language": None,
            "improved": 0,
            "worsened": 0,
            "improved_share": None,
        }
    mean, std = mean_std(values)
    worst_language, worst = min(deltas.items(), key=lambda item: (item[1], item[0]))
    improved = int(np.count_nonzero(values > 0))
    return {
        "n": n,
        "mean": mean,
        "std": std,
        "worst": float(worst),
        "worst_language": worst_language,
        "improved": improved,
        "worsened": int(np.count_nonzero(values < 0)),
        "improved_share": improved / n,
    }


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks along the last axis, ties given the average of the ranks they span.

    rank(a) = #{b < a} + (#{b == a} + 1) / 2, which is the tie-averaged rank (scipy's ``rankdata``'s
    default ``method="average"``).
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        return average_ranks(values[None, :])[0]
    rows, n = values.shape
    out = np.empty((rows, n))
    chunk = max(1, _CHUNK_ELEMENTS // max(1, n * n))
    for start in range(0, rows, chunk):
        block = values[start : start + chunk]
        less = (block[:, None, :] < block[:, :, None]).sum(axis=2)
        equal = (block[:, None, :] == block[:, :, None]).sum(axis=2)
        out[start : start + chunk] = less + (equal + 1) / 2
    return out


def _row_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of x with the same row of y; NaN where a row is constant."""
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    denominator = np.sqrt((xc * xc).sum(axis=1) * (yc * yc).sum(axis=1))
    numerator = (xc * yc).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)
    return np.clip(r, -1.0, 1.0)


def spearman_ci(
    x: Sequence[float], y: Sequence[float], confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0
) -> dict[str, Any]:
    """Spearman's rank correlation with a percentile bootstrap confidence interval over pairs.

    rho is the Pearson correlation of the average ranks of x and of y (ties get the mean of their ranks).
    The interval resamples the n (x, y) pairs with replacement (``default_rng(seed)``), recomputes rho on each
    resample, and takes the (α/2, 1 − α/2) quantiles; resamples in which x or y is constant have no rho and are
    left out (``resamples_used`` says how many remained; ``ci`` is None if none did).

    Returns ``{"rho", "ci", "n", "confidence", "resamples_used"}``; rho and ci are None when n < 3 or either
    input is constant. Sequences of different lengths raise ``ValueError``.
    """
    _check_confidence(confidence)
    _check_resamples(n_resamples)
    xs = _as_array(x, "x")
    ys = _as_array(y, "y")
    if xs.size != ys.size:
        raise ValueError(f"spearman_ci needs pairs: {xs.size} x values vs {ys.size} y values")
    n = int(xs.size)
    result: dict[str, Any] = {"rho": None, "ci": None, "n": n, "confidence": confidence, "resamples_used": 0}
    if n < 3 or np.all(xs == xs[0]) or np.all(ys == ys[0]):
        return result
    rho = _row_pearson(average_ranks(xs)[None, :], average_ranks(ys)[None, :])[0]
    result["rho"] = float(rho)
    rng = np.random.default_rng(seed)
    rhos = np.empty(n_resamples)
    rows = max(1, _CHUNK_ELEMENTS // (n * n))
    for start in range(0, n_resamples, rows):
        stop = min(start + rows, n_resamples)
        index = rng.integers(0, n, size=(stop - start, n))
        rhos[start:stop] = _row_pearson(average_ranks(xs[index]), average_ranks(ys[index]))
    defined = rhos[~np.isnan(rhos)]
    result["resamples_used"] = int(defined.size)
    if defined.size:
        result["ci"] = _percentile_interval(defined, confidence)
    return result


def bootstrap_statistic(
    n: int,
    statistic: Callable[[np.ndarray], float | None],
    confidence: float = 0.95,
    n_resamples: int = 2_000,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of any statistic of ``n`` items: ``statistic(indices)`` is computed on
    ``n_resamples`` resamples of the indices 0..n-1 drawn with replacement (``default_rng(seed)``); resamples on
    which it is undefined (None or NaN) are left out, and the interval is None if none remain or n is 0. Used where
    the statistic is not a mean (a rank correlation of candidates' deltas resampled over languages)."""
    _check_confidence(confidence)
    _check_resamples(n_resamples)
    if n < 1:
        return None
    rng = np.random.default_rng(seed)
    values = [statistic(indices) for indices in rng.integers(0, n, size=(n_resamples, n))]
    defined = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    return _percentile_interval(defined, confidence) if defined.size else None
