"""How well a ranking of candidates agrees with the deltas a run realised, and a combined ranker fitted on them.

* :func:`spearman_rho`: Spearman's ρ between an estimator's scores and the realised mean deltas of the candidates;
* :func:`ndcg_at_k`: NDCG@k of the estimator's order, with the realised deltas as graded gains;
* :func:`agreement`: both, with percentile bootstrap intervals over the evaluation languages (resampling which
  languages the realised mean delta, and a per-language estimator, average over), so the interval says how much
  the realised ranking itself depends on the languages at hand. The candidates are not resampled: there are few.
* :func:`leave_one_target_out`: a ridge regression from standardised estimator scores to the standardised realised
  delta, fitted on every target but one and scored on the one left out, so its quality is measured on a target it
  never saw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

import numpy as np

from xstilts.analysis.statistics import average_ranks, bootstrap_statistic

# An estimator's score of a candidate: one number, or one per evaluation language (subword overlap, URIEL).
Score = float | Mapping[str, float]

NDCG_K = 3
RIDGE_ALPHA = 1.0
MIN_TARGETS_TO_FIT = 3  # the combined ranker is fitted on all targets but one: at least two to learn from


def spearman_rho(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float | None:
    """Spearman's ρ (the Pearson correlation of tie-averaged ranks); None for fewer than two pairs or a constant
    input, where it is undefined. With two candidates it can only be +1 or −1."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xs.shape != ys.shape or xs.ndim != 1:
        raise ValueError("spearman_rho needs two flat sequences of equal length")
    if len(xs) < 2:
        return None
    rx, ry = average_ranks(xs) - (len(xs) + 1) / 2, average_ranks(ys) - (len(ys) + 1) / 2
    denominator = math.sqrt(float(rx @ rx) * float(ry @ ry))
    if denominator == 0.0:
        return None
    return float(np.clip(float(rx @ ry) / denominator, -1.0, 1.0))


def _dcg(gains_in_order: Sequence[float], k: int) -> float:
    top = np.asarray(gains_in_order[:k], dtype=np.float64)
    return float(np.sum(top / np.log2(np.arange(2, len(top) + 2))))


def ndcg_at_k(
    scores: Sequence[float] | np.ndarray, realised: Sequence[float] | np.ndarray, k: int = NDCG_K
) -> float | None:
    """NDCG@k of the candidates ordered by ``scores`` (higher first), with gains ``realised − min(realised)`` (the
    realised delta above the worst candidate's, so the worst gains nothing) and discounts 1 / log2(position + 1).

    Tied scores have no order: a group of tied candidates gets, at each of its positions, the mean gain of the
    group, which is the expected DCG over every order of the tie. None with fewer than two candidates or when
    every candidate realised the same delta (then every order is ideal)."""
    s, r = np.asarray(scores, dtype=np.float64), np.asarray(realised, dtype=np.float64)
    if s.shape != r.shape or s.ndim != 1:
        raise ValueError("ndcg_at_k needs two flat sequences of equal length")
    if len(s) < 2 or k < 1:
        return None
    gains = r - r.min()
    ideal = _dcg(sorted(gains.tolist(), reverse=True), k)
    if ideal == 0.0:
        return None
    ordered: list[float] = []
    for value in sorted(set(s.tolist()), reverse=True):
        group = gains[s == value]
        ordered += [float(group.mean())] * len(group)
    return _dcg(ordered, k) / ideal


@dataclass(frozen=True)
class Agreement:
    candidates: int
    languages: int
    rho: float | None
    rho_ci: tuple[float, float] | None
    ndcg: float | None
    ndcg_ci: tuple[float, float] | None


def _value(score: Score, languages: Sequence[str]) -> float | None:
    if not isinstance(score, Mapping):
        return float(score)
    known = [score[lang] for lang in languages if lang in score]
    return fmean(known) if known else None


def agreement(
    scores: Mapping[str, Score],
    deltas: Mapping[str, Mapping[str, float]],
    languages: Sequence[str],
    k: int = NDCG_K,
    n_resamples: int = 1_000,
    seed: int = 0,
) -> Agreement:
    """ρ and NDCG@k between the candidates' ``scores`` (higher = predicted better) and their realised deltas per
    language (``deltas[candidate][language]``), over the candidates that have a score and a delta in every one of
    ``languages``; intervals by resampling the languages."""
    names = [c for c in scores if c in deltas and all(lang in deltas[c] for lang in languages)]
    langs = list(languages)

    memo: dict[tuple[int, ...], tuple[float | None, float | None]] = {}

    def statistics(indices: Sequence[int] | np.ndarray) -> tuple[float | None, float | None]:
        # both statistics depend on which languages were drawn and how often, not on their order
        key = tuple(sorted(int(i) for i in indices))
        if key not in memo:
            memo[key] = _statistics([langs[i] for i in key])
        return memo[key]

    def _statistics(chosen: list[str]) -> tuple[float | None, float | None]:
        # realised means that differ only by float rounding (4.17 + 0 vs 0 + 4.17) are a tie, not an order
        pairs = [(_value(scores[c], chosen), round(fmean(deltas[c][lang] for lang in chosen), 9)) for c in names]
        kept = [(s, d) for s, d in pairs if s is not None]
        if len(kept) < 2:
            return None, None
        xs, ys = [p[0] for p in kept], [p[1] for p in kept]
        return spearman_rho(xs, ys), ndcg_at_k(xs, ys, k)

    if not names or not langs:
        return Agreement(len(names), len(langs), None, None, None, None)
    rho, ndcg = statistics(range(len(langs)))
    rho_ci = bootstrap_statistic(len(langs), lambda i: statistics(i)[0], n_resamples=n_resamples, seed=seed)
    ndcg_ci = bootstrap_statistic(len(langs), lambda i: statistics(i)[1], n_resamples=n_resamples, seed=seed)
    counted = sum(1 for c in names if _value(scores[c], langs) is not None)
    return Agreement(counted, len(langs), rho, rho_ci, ndcg, ndcg_ci)


def standardise(values: Sequence[float | None]) -> list[float]:
    """z-scores of the known values (population std); unknown values and a constant column become 0 (the mean)."""
    known = [v for v in values if v is not None]
    if not known:
        return [0.0] * len(values)
    mean = fmean(known)
    std = math.sqrt(fmean((v - mean) ** 2 for v in known))
    return [0.0 if v is None or std == 0.0 else (v - mean) / std for v in values]


def ridge_fit(x: np.ndarray, y: np.ndarray, alpha: float = RIDGE_ALPHA) -> tuple[np.ndarray, float]:
    """(weights, intercept) minimising ‖y − X w − b‖² + α‖w‖² (the intercept is not penalised)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    x_mean, y_mean = x.mean(axis=0), float(y.mean())
    xc, yc = x - x_mean, y - y_mean
    weights = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ yc)
    return weights, y_mean - float(x_mean @ weights)


@dataclass(frozen=True)
class RankerRow:
    """One (target, candidate): its estimator scores (oriented so that higher = predicted better) and its
    realised mean delta."""

    target: str
    candidate: str
    features: Mapping[str, float | None]
    realised: float


def leave_one_target_out(
    rows: Sequence[RankerRow], estimators: Sequence[str], alpha: float = RIDGE_ALPHA
) -> dict[str, dict[str, float]] | None:
    """For each target, the combined ranker's predicted (standardised) delta of its candidates, from a ridge model
    fitted on the other targets' rows; features and deltas are standardised within each target, so the model
    learns how estimators order candidates rather than how large a target's deltas are. None with fewer than
    :data:`MIN_TARGETS_TO_FIT` targets."""
    targets = sorted({r.target for r in rows})
    if len(targets) < MIN_TARGETS_TO_FIT or not estimators:
        return None
    x_by: dict[str, np.ndarray] = {}
    y_by: dict[str, np.ndarray] = {}
    names: dict[str, list[str]] = {}
    for target in targets:
        mine = [r for r in rows if r.target == target]
        names[target] = [r.candidate for r in mine]
        columns = [standardise([r.features.get(e) for r in mine]) for e in estimators]
        x_by[target] = np.asarray(columns, dtype=np.float64).T
        y_by[target] = np.asarray(standardise([r.realised for r in mine]), dtype=np.float64)
    predictions: dict[str, dict[str, float]] = {}
    for held in targets:
        others = [t for t in targets if t != held]
        weights, intercept = ridge_fit(
            np.concatenate([x_by[t] for t in others]), np.concatenate([y_by[t] for t in others]), alpha
        )
        predicted = x_by[held] @ weights + intercept
        predictions[held] = dict(zip(names[held], predicted.tolist(), strict=True))
    return predictions
