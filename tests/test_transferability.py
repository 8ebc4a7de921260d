"""LogME, the k-NN probe, overlap, and the ranking-quality measures, against values worked out independently:
by hand, from the evidence's Gaussian form through scipy, and by direct numeric maximisation."""

from __future__ import annotations

import math
from statistics import fmean

import numpy as np
import pytest
from scipy import optimize, stats

from xstilts.analysis.ranking_quality import (
    RankerRow,
    agreement,
    leave_one_target_out,
    ndcg_at_k,
    ridge_fit,
    spearman_rho,
    standardise,
)
from xstilts.analysis.statistics import bootstrap_ci, bootstrap_statistic
from xstilts.metrics.transferability import (
    cosine,
    knn_probe_accuracy,
    log_evidence,
    logme,
    maximise_evidence,
    subword_overlap,
)


def _gaussian_log_evidence(f: np.ndarray, y: np.ndarray, alpha: float, beta: float) -> float:
    """y ~ N(0, β⁻¹ I + α⁻¹ F Fᵀ): the marginal of Bayesian linear regression, a different route to the evidence."""
    covariance = np.eye(len(y)) / beta + f @ f.T / alpha
    return float(stats.multivariate_normal(mean=np.zeros(len(y)), cov=covariance).logpdf(y))


@pytest.mark.parametrize("shape", [(12, 3), (4, 7)])
def test_log_evidence_is_the_gaussian_marginal(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(0)
    f, y = rng.normal(size=shape), rng.normal(size=shape[0])
    for alpha, beta in [(1.0, 1.0), (0.3, 4.0), (7.0, 0.2)]:
        assert log_evidence(f, y, alpha, beta) == pytest.approx(_gaussian_log_evidence(f, y, alpha, beta), rel=1e-9)


def test_fixed_point_by_hand() -> None:
    # F = [[1], [1]], y = [3, 1]: y has 4/√2 along the feature direction (1, 1)/√2 and 2/√2 across it. The
    # marginal covariance has variance 2/α + 1/β along and 1/β across, so the evidence is largest where
    # 1/β = (2/√2)² = 2 and 2/α + 1/β = (4/√2)² = 8: β = 1/2, α = 1/3, and
    # log p = -log 2π - ½ log 8 - ½ log 2 - ½ - ½ = -log 2π - 2 log 2 - 1, per example half of it.
    found = maximise_evidence(np.array([[1.0], [1.0]]), [3.0, 1.0])
    assert found.alpha == pytest.approx(1 / 3, rel=1e-5)
    assert found.beta == pytest.approx(1 / 2, rel=1e-5)
    assert found.log_evidence == pytest.approx((-math.log(2 * math.pi) - 2 * math.log(2) - 1) / 2, rel=1e-8)


@pytest.mark.parametrize("shape", [(30, 4), (6, 10)])
def test_fixed_point_reaches_the_numeric_maximum(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    f = rng.normal(size=shape)
    y = f @ rng.normal(size=shape[1]) * 0.5 + rng.normal(size=shape[0])

    def negative(log_ab: np.ndarray) -> float:
        return -_gaussian_log_evidence(f, y, math.exp(log_ab[0]), math.exp(log_ab[1]))

    best = optimize.minimize(negative, x0=np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12})
    found = maximise_evidence(f, y)
    assert found.log_evidence * shape[0] == pytest.approx(-best.fun, abs=1e-6)
    assert math.log(found.alpha) == pytest.approx(best.x[0], abs=1e-3)
    assert math.log(found.beta) == pytest.approx(best.x[1], abs=1e-3)


def test_logme_averages_the_one_hot_columns_and_prefers_informative_features() -> None:
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, size=60)
    informative = np.eye(3)[labels] * 2.0 + rng.normal(scale=0.3, size=(60, 3))
    noise = rng.normal(size=(60, 3))
    columns = [maximise_evidence(informative, (labels == c).astype(float)).log_evidence for c in range(3)]
    assert logme(informative, labels) == pytest.approx(np.mean(columns), rel=1e-12)
    assert logme(informative, labels) > logme(noise, labels)
    with pytest.raises(ValueError):
        logme(informative, -labels - 1)


def test_knn_probe_by_hand() -> None:
    separable = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    assert knn_probe_accuracy(separable, [0, 0, 1, 1], k=1, folds=4) == 1.0
    # each point's nearest neighbour has the other label: leave-one-out 1-NN gets every point wrong
    crossed = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    assert knn_probe_accuracy(crossed, [0, 1, 1, 0], k=1, folds=4) == 0.0
    # a 1-1 vote goes to the label of the more similar neighbour: point 0's neighbours are 1 (label 1, close) and
    # 2 (label 0, far)
    tie = np.array([[1.0, 0.0], [0.99, 0.14], [0.6, 0.8]])
    assert knn_probe_accuracy(tie, [1, 1, 0], k=2, folds=3) == pytest.approx(2 / 3)


def test_cosine_and_subword_overlap() -> None:
    assert cosine(np.array([1.0, 0.0]), np.array([1.0, 1.0])) == pytest.approx(1 / math.sqrt(2))
    assert subword_overlap({1, 2, 3}, {2, 3, 4, 5}) == pytest.approx(2 / 7)
    assert subword_overlap(set(), set()) == 0.0


def test_spearman_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        x, y = rng.integers(0, 4, size=7).astype(float), rng.normal(size=7)
        expected = stats.spearmanr(x, y).statistic
        found = spearman_rho(x, y)
        assert (found is None) == bool(np.isnan(expected))
        if found is not None:
            assert found == pytest.approx(expected, abs=1e-12)
    assert spearman_rho([1.0, 2.0], [5.0, 3.0]) == -1.0
    assert spearman_rho([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None


def test_ndcg_by_hand() -> None:
    # gains = realised - min = [0, 2, 1]; the scores order them 0, 2, 1
    dcg = 0 + 2 / math.log2(3) + 1 / 2
    ideal = 2 + 1 / math.log2(3) + 0
    assert ndcg_at_k([3.0, 2.0, 1.0], [0.0, 2.0, 1.0], k=3) == pytest.approx(dcg / ideal)
    assert ndcg_at_k([1.0, 2.0, 3.0], [0.0, 2.0, 1.0], k=1) == pytest.approx(1 / 2)
    # a tie between the first two: each of positions 1 and 2 gets their mean gain, (2 + 0) / 2
    tied = 1 + 1 / math.log2(3) + 1 / 2
    assert ndcg_at_k([1.0, 1.0, 0.0], [2.0, 0.0, 1.0], k=3) == pytest.approx(tied / ideal)
    assert ndcg_at_k([1.0, 2.0], [0.5, 0.5]) is None


def test_agreement_resamples_languages() -> None:
    deltas = {"a": {"x": 2.0, "y": 1.0, "z": 3.0}, "b": {"x": 1.0, "y": 0.0, "z": -1.0}, "c": {"x": 0.0, "y": -2.0}}
    found = agreement({"a": 3.0, "b": 2.0, "c": 1.0}, deltas, ["x", "y"])
    assert (found.candidates, found.languages, found.rho, found.ndcg) == (3, 2, 1.0, 1.0)
    assert found.rho_ci == (1.0, 1.0)
    # a per-language estimator is averaged over the same languages as the deltas
    per_language = {"a": {"x": 0.0, "z": 5.0}, "b": {"x": 1.0, "z": 0.0}}
    mixed = agreement(per_language, deltas, ["x", "z"])
    assert mixed.candidates == 2 and mixed.rho == 1.0
    # equal realised means, up to float rounding: a tie, which no ranking can be scored against
    # (accuracy differences of one example in 24, as a demo run stored them)
    up, down = 50.0 - 45.833333333333336, 41.66666666666667 - 45.83333333333333
    noisy = {"a": {"x": down, "y": up, "z": up}, "b": {"x": 0.0, "y": up, "z": 0.0}}
    assert fmean(noisy["a"].values()) != fmean(noisy["b"].values())
    tie = agreement({"a": 1.0, "b": 0.0}, noisy, ["x", "y", "z"])
    assert tie.rho is None and tie.ndcg is None


def test_bootstrap_statistic_of_the_mean_is_bootstrap_ci() -> None:
    values = np.array([0.3, 1.2, -0.4, 2.2, 0.9])
    found = bootstrap_statistic(len(values), lambda i: float(values[i].mean()), n_resamples=500, seed=4)
    assert found == pytest.approx(bootstrap_ci(values, n_resamples=500, seed=4))
    assert bootstrap_statistic(3, lambda i: None) is None


def test_ridge_and_leave_one_target_out() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(20, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3
    weights, intercept = ridge_fit(x, y, alpha=1e-10)
    assert weights == pytest.approx([1.0, -2.0, 0.5], abs=1e-6) and intercept == pytest.approx(0.3, abs=1e-6)
    # with a penalty: the closed form of the centred problem
    weights, _ = ridge_fit(x, y, alpha=2.0)
    xc, yc = x - x.mean(axis=0), y - y.mean()
    assert weights == pytest.approx(np.linalg.solve(xc.T @ xc + 2.0 * np.eye(3), xc.T @ yc))
    assert standardise([1.0, None, 3.0]) == [-1.0, 0.0, 1.0]
    # the realised delta follows estimator "good" in every target and ignores "noise"
    rows = []
    for t in range(4):
        for c in range(4):
            good = float(rng.normal())
            rows.append(RankerRow(f"t{t}", f"c{c}", {"good": good, "noise": float(rng.normal())}, 3 * good + t))
    predictions = leave_one_target_out(rows, ["good", "noise"])
    assert predictions is not None and set(predictions) == {"t0", "t1", "t2", "t3"}
    for target, predicted in predictions.items():
        mine = [r for r in rows if r.target == target]
        assert spearman_rho([predicted[r.candidate] for r in mine], [r.realised for r in mine]) == 1.0
    assert leave_one_target_out([r for r in rows if r.target in {"t0", "t1"}], ["good"]) is None
