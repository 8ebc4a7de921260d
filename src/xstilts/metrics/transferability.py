"""Cheap transferability estimators and ranking-quality measures: pure numpy, no models.

They answer "which intermediate task (or source language) is likely to help this target?" from features and
token counts, without fine-tuning on the target (``experiments.ranking`` computes the inputs, ``analysis.ranking``
compares the rankings with the deltas a run realised).

* :func:`logme`: LogME (You, Liu, Wang and Long, 2021, "LogME: Practical Assessment of Pre-trained Models for
  Transfer Learning", ICML), the log of the maximum evidence of a Bayesian linear model from features to each
  one-hot label column, per example, averaged over the columns. The evidence is maximised over the prior
  precision α and the noise precision β by the paper's fixed-point iteration (its Algorithm 1, MacKay's updates),
  computed once from an SVD of the features.
* :func:`knn_probe_accuracy`: k-nearest-neighbour accuracy (cosine), cross-validated over seeded folds.
* :func:`cosine`: the cosine of two dataset embeddings (mean-pooled sentence embeddings, Vu et al. 2020's TextEmb).
* :func:`subword_overlap`: LangRank's (Lin et al. 2019) overlap of two token-type sets, |A ∩ B| / (|A| + |B|).

How well their rankings agree with realised deltas is ``analysis.ranking_quality``'s business.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

LOGME_MAX_ITERATIONS = 100
LOGME_TOLERANCE = 1e-6  # relative change of α and β that ends the fixed-point iteration


@dataclass(frozen=True)
class Evidence:
    """One label column's maximised evidence: the log evidence per example, and the α, β that reach it."""

    log_evidence: float  # log p(y | F, α, β) / n
    alpha: float
    beta: float
    iterations: int


def _check_features(features: np.ndarray, n: int) -> np.ndarray:
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != n:
        raise ValueError(f"features must be (n, dim) with n = {n} rows, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("features must be finite numbers")
    return array


def log_evidence(features: np.ndarray, y: np.ndarray, alpha: float, beta: float) -> float:
    """log p(y | F, α, β) of Bayesian linear regression y = F w + ε, w ~ N(0, α⁻¹ I), ε ~ N(0, β⁻¹ I)
    (Bishop 2006, eq. 3.86), not divided by n. Written out directly, without the SVD, so that it checks
    :func:`maximise_evidence`."""
    y = np.asarray(y, dtype=np.float64)
    f = _check_features(features, len(y))
    n, dim = f.shape
    a = alpha * np.eye(dim) + beta * f.T @ f
    m = beta * np.linalg.solve(a, f.T @ y)
    residual = float(np.sum((f @ m - y) ** 2))
    _, logdet = np.linalg.slogdet(a)
    return float(
        n / 2 * math.log(beta)
        + dim / 2 * math.log(alpha)
        - n / 2 * math.log(2 * math.pi)
        - beta / 2 * residual
        - alpha / 2 * float(m @ m)
        - logdet / 2
    )


class _Spectrum:
    """The SVD of the features, from which every quantity of the fixed point is a sum over singular values."""

    def __init__(self, features: np.ndarray) -> None:
        self.n, self.dim = features.shape
        u, sigma, _ = np.linalg.svd(features, full_matrices=False)
        self.u = u
        self.s = sigma**2  # eigenvalues of FᵀF (the nonzero ones and, for n < dim, no more)

    def maximise(self, y: np.ndarray) -> Evidence:
        z = self.u.T @ y  # y in the left singular basis
        outside = max(0.0, float(y @ y) - float(z @ z))  # the part of y no feature direction reaches
        s, n, dim = self.s, self.n, self.dim
        alpha, beta = 1.0, 1.0
        iterations = 0
        while iterations < LOGME_MAX_ITERATIONS:
            iterations += 1
            shrink = alpha + beta * s
            gamma = float(np.sum(beta * s / shrink))
            m2 = float(np.sum(beta**2 * s * z**2 / shrink**2))  # mᵀm
            residual = float(np.sum(alpha**2 * z**2 / shrink**2)) + outside  # ‖F m − y‖²
            new_alpha = gamma / max(m2, 1e-300)
            new_beta = (n - gamma) / max(residual, 1e-300)
            done = abs(new_alpha - alpha) <= LOGME_TOLERANCE * alpha and abs(new_beta - beta) <= LOGME_TOLERANCE * beta
            alpha, beta = new_alpha, new_beta
            if done:
                break
        shrink = alpha + beta * s
        m2 = float(np.sum(beta**2 * s * z**2 / shrink**2))
        residual = float(np.sum(alpha**2 * z**2 / shrink**2)) + outside
        logdet = float(np.sum(np.log(shrink))) + (dim - len(s)) * math.log(alpha)
        evidence = (
            n / 2 * math.log(beta)
            + dim / 2 * math.log(alpha)
            - n / 2 * math.log(2 * math.pi)
            - beta / 2 * residual
            - alpha / 2 * m2
            - logdet / 2
        )
        return Evidence(evidence / n, alpha, beta, iterations)


def maximise_evidence(features: np.ndarray, y: Sequence[float] | np.ndarray) -> Evidence:
    """The evidence of one real-valued target column, maximised over α and β by LogME's fixed point."""
    target = np.asarray(y, dtype=np.float64)
    return _Spectrum(_check_features(features, len(target))).maximise(target)


def logme(features: np.ndarray, labels: Sequence[int] | np.ndarray, num_classes: int | None = None) -> float:
    """LogME of class labels given features (n × dim): the mean over the classes of the maximised log evidence
    per example of the class's one-hot column. Higher means the features explain the labels better with a
    linear model; values are comparable between encoders on the same examples and labels."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.ndim != 1 or len(labels) < 2:
        raise ValueError("logme needs at least two labels")
    if labels.min() < 0:
        raise ValueError("labels must be class indices (0 .. classes - 1)")
    classes = int(num_classes if num_classes is not None else labels.max() + 1)
    spectrum = _Spectrum(_check_features(features, len(labels)))
    present = sorted(set(labels.tolist()))
    # A class absent from the sample gives an all-zero column, whose evidence only grows with α → ∞: leave it out.
    columns = [c for c in range(classes) if c in present]
    return float(np.mean([spectrum.maximise((labels == c).astype(np.float64)).log_evidence for c in columns]))


def _normalise(features: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def knn_probe_accuracy(
    features: np.ndarray, labels: Sequence[int] | np.ndarray, k: int = 5, folds: int = 5, seed: int = 0
) -> float:
    """Accuracy of a k-nearest-neighbour classifier (cosine similarity), cross-validated: the examples are shuffled
    with ``default_rng(seed)`` and cut into ``folds`` folds; each fold is classified by the majority label of its
    examples' ``k`` most similar examples in the other folds. A tied vote goes to the label whose tied
    neighbours are the more similar in sum, then to the lower label index."""
    labels = np.asarray(labels, dtype=np.int64)
    f = _normalise(_check_features(features, len(labels)))
    n = len(labels)
    folds = min(folds, n)
    if folds < 2:
        raise ValueError("knn_probe_accuracy needs at least two examples")
    order = np.random.default_rng(seed).permutation(n)
    fold_of = np.empty(n, dtype=np.int64)
    fold_of[order] = np.arange(n) % folds
    classes = int(labels.max()) + 1
    correct = 0
    for fold in range(folds):
        test, train = np.flatnonzero(fold_of == fold), np.flatnonzero(fold_of != fold)
        similarity = f[test] @ f[train].T
        kk = min(k, len(train))
        nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :kk]
        for row, neighbours in enumerate(nearest):
            votes = np.bincount(labels[train][neighbours], minlength=classes).astype(np.float64)
            weight = np.bincount(labels[train][neighbours], weights=similarity[row, neighbours], minlength=classes)
            best = np.flatnonzero(votes == votes.max())
            choice = best[np.argmax(weight[best])]  # argmax keeps the first (lowest label) of equal sums
            correct += int(choice == labels[test[row]])
    return correct / n


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The cosine of two vectors (dataset embeddings)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0.0:
        raise ValueError("the cosine of a zero vector is undefined")
    return float(a @ b) / norms


def subword_overlap(a: Collection[int], b: Collection[int]) -> float:
    """LangRank's overlap of two sets of token types: |A ∩ B| / (|A| + |B|), in [0, 0.5]."""
    a, b = set(a), set(b)
    if not a and not b:
        return 0.0
    return len(a & b) / (len(a) + len(b))
