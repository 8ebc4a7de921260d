"""Metrics of ranked retrieval sets as the dual-encoder kind decodes them (``kinds.dual_encoder``: per set guid,
per query id, the top-20 ``ranking`` and the ``gold_rank`` of its best gold item in the whole pool).

* ``code_search_mrr``: the mean over queries of 1 / the gold's rank among *every* candidate, in percent. CodeXGLUE's
  AdvTest evaluator (``Text-Code/NL-code-search-Adv/evaluator/evaluator.py``, ``calculate_scores``) takes the
  reciprocal of the 1-based position of the query's one gold ``idx`` in the submitted ranking of the whole test
  pool (0 when absent, never the case for a full ranking), and CoSQA's retrieval scorer (Jun-jie-Huang/CoCLR,
  ``code_search/run_siamese_test.py``, ``evaluate``) likewise ranks all 6,267 functions: ``1 / (rank.index(gold) +
  1)``. Both report the mean as a fraction (AdvTest rounded to 4 places); here it is percent, unrounded.
* ``map@20`` and ``mewslix_map20``: LAReQA's mAP@20 and Mewsli-X's MRR@20 (reported as mAP@20), from the rankings
  with ``metrics.retrieval``'s official definitions.

A query without a gold item is a ``ValueError`` (the official scorers fail on it too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from xstilts.data.examples import RetrievalExample
from xstilts.metrics.retrieval import TOP_K, mean_average_precision, mean_reciprocal_rank


def _queries(examples: Sequence[RetrievalExample], predictions: Mapping[str, Any]) -> list[tuple[str, dict, set]]:
    """(query id, its decoded ranking record, its gold candidate ids) for every query of every set."""
    rows = []
    for example in examples:
        golds: dict[str, set[str]] = {}
        for query_id, candidate_id in example.gold:
            golds.setdefault(query_id, set()).add(candidate_id)
        decoded = predictions[example.guid]
        for query in example.queries:
            if not golds.get(query.id):
                raise ValueError(f"set {example.guid}: query {query.id!r} has no gold candidate")
            rows.append((query.id, decoded[query.id], golds[query.id]))
    return rows


def code_search_mrr(examples: Sequence[RetrievalExample], predictions: Mapping[str, Any]) -> dict[str, float]:
    rows = _queries(examples, predictions)
    if not rows:
        return {"mrr": 0.0}
    return {"mrr": sum(1.0 / record["gold_rank"] for _, record, _ in rows) / len(rows) * 100}


def ranked_map20(examples: Sequence[RetrievalExample], predictions: Mapping[str, Any]) -> dict[str, float]:
    rows = _queries(examples, predictions)
    return mean_average_precision([r["ranking"] for _, r, _ in rows], [g for _, _, g in rows], TOP_K)


def ranked_mewslix_map20(examples: Sequence[RetrievalExample], predictions: Mapping[str, Any]) -> dict[str, float]:
    rows = _queries(examples, predictions)
    scores = mean_reciprocal_rank([r["ranking"] for _, r, _ in rows], [g for _, _, g in rows], TOP_K)
    return {f"map@{TOP_K}": scores[f"mrr@{TOP_K}"]}


# metric name -> scorer of ranked sets, as tasks name them (``Task.metric``)
RANKING_METRICS = {
    "code_search_mrr": code_search_mrr,
    "ranked_map@20": ranked_map20,
    "ranked_mewslix_map20": ranked_mewslix_map20,
}
