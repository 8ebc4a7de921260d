"""Retrieval metrics as XTREME and XTREME-R score them: Tatoeba accuracy, LAReQA mAP@20 and Mewsli-X MRR@20.

* Tatoeba (``third_party/run_retrieval.py``, ``evaluate.py``'s ``accuracy``): for each query sentence the index of
  its nearest neighbour on the other side; correct when it is the gold index, which by default is the query's own
  position (the two sides are parallel line by line). Percent of queries.
* mAP@k (``third_party/utils_lareqa.py``, ``average_precision_at_k``, run with k=20): over the top k predictions,
  the sum of precision@i at each rank i holding a gold item *not already seen higher up* (a repeated item still
  takes a rank), divided by ``min(k, number of golds)``; so a query with more than k golds can still reach 1.
  The mean over queries, in percent.
* MRR@k (``third_party/utils_mewslix.py``, ``mean_reciprocal_rank`` with ``TOP_K = 20``): 1 / the rank of the first
  gold item among the top k predictions, 0 when there is none; the mean over queries, in percent. Mewsli-X has one
  gold entity per mention, where its MRR@20 and mAP@20 coincide (XTREME-R reports it as "MRR/MAP@20").

Rankings and golds are parallel lists; a length mismatch is a ``ValueError``, and so is a query without gold items
(mAP is undefined there: the official code divides by zero). No queries at all scores 0.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

TOP_K = 20


def tatoeba_accuracy(predicted: Sequence[int], gold: Sequence[int] | None = None) -> dict[str, float]:
    if gold is None:
        gold = range(len(predicted))
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predictions but {len(gold)} gold indices")
    if not predicted:
        return {"accuracy": 0.0}
    correct = sum(int(p) == int(g) for p, g in zip(predicted, gold, strict=True))
    return {"accuracy": correct / len(predicted) * 100}


def _check(ranked: Sequence[Sequence[str]], golds: Sequence[Collection[str]], k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if len(ranked) != len(golds):
        raise ValueError(f"{len(ranked)} rankings but {len(golds)} gold sets")
    for index, gold in enumerate(golds):
        if not gold:
            raise ValueError(f"query {index} has no gold item")


def average_precision_at_k(ranked: Sequence[str], gold: Collection[str], k: int = TOP_K) -> float:
    """AP@k as a fraction, normalised by ``min(k, len(gold))``."""
    hits = 0
    total = 0.0
    seen: set[str] = set()
    for rank, item in enumerate(ranked[:k], start=1):
        if item in gold and item not in seen:
            hits += 1
            total += hits / rank
        seen.add(item)
    return total / min(len(gold), k)


def reciprocal_rank_at_k(ranked: Sequence[str], gold: Collection[str], k: int = TOP_K) -> float:
    for rank, item in enumerate(ranked[:k], start=1):
        if item in gold:
            return 1.0 / rank
    return 0.0


def mean_average_precision(
    ranked: Sequence[Sequence[str]], golds: Sequence[Collection[str]], k: int = TOP_K
) -> dict[str, float]:
    _check(ranked, golds, k)
    if not ranked:
        return {f"map@{k}": 0.0}
    scores = [average_precision_at_k(r, g, k) for r, g in zip(ranked, golds, strict=True)]
    return {f"map@{k}": float(np.mean(scores)) * 100}  # np.mean, as LAReQA's scorer averages


def mean_reciprocal_rank(
    ranked: Sequence[Sequence[str]], golds: Sequence[Collection[str]], k: int = TOP_K
) -> dict[str, float]:
    _check(ranked, golds, k)
    if not ranked:
        return {f"mrr@{k}": 0.0}
    scores = [reciprocal_rank_at_k(r, g, k) for r, g in zip(ranked, golds, strict=True)]
    return {f"mrr@{k}": sum(scores) / len(scores) * 100}
