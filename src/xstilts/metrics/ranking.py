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
* ``image_text_recall``: IGLUE's retrieval scores (xFlickr&CO, WIT) from the image-text kind's two rankings
  (``kinds.image_text``): Recall@1/5/10 of image retrieval (``ir_r@k``: a caption ranks every image of the set) and
  of text retrieval (``tr_r@k``: an image ranks every caption; its rank is its best caption's), in percent. VOLTA's
  ``eval_retrieval.py`` (e-bug/volta) computes them this way: 0-based rank ``r`` of the gold in
  ``np.argsort(-scores)``, ``R@k = 100 * mean(r < k)``, the text-retrieval rank the minimum over the image's gold
  captions; it prints the two directions separately ("Image Retrieval", then "Text Retrieval"). IGLUE's result
  scripts (e-bug/iglue ``results/get_xflickrco_zero.py``, ``get_wit_zero.py``) read the R@1 of those two lines and
  keep them as two tables, IR and TR, each averaged over the target languages without English; their mean
  ``(ir1 + tr1) / 2`` is there but commented out. So the task's scores are ``ir_r@1`` and ``tr_r@1``; ``mean_r@1``
  (their mean) is what xstilts selects models on (English dev: one number for both directions), not an IGLUE score.
  Ties between equal scores are broken by the lower pool index (a stable sort), where numpy's default sort
  leaves their order unspecified.

A query without a gold item is a ``ValueError`` (the official scorers fail on it too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from xstilts.data.examples import ImageTextSet, RetrievalExample
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


RECALL_AT = (1, 5, 10)
DIRECTIONS = {"image_retrieval": "ir", "text_retrieval": "tr"}  # the image-text kind's rankings -> score prefix


def image_text_recall(examples: Sequence[ImageTextSet], predictions: Mapping[str, Any]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for direction, prefix in DIRECTIONS.items():
        ranks = []
        for example in examples:
            for query, record in predictions[example.guid][direction].items():
                if record["gold_rank"] is None:
                    raise ValueError(f"set {example.guid}: {query!r} has no gold item in the {direction} pool")
                ranks.append(record["gold_rank"])
        for k in RECALL_AT:
            scores[f"{prefix}_r@{k}"] = 100.0 * sum(rank <= k for rank in ranks) / len(ranks) if ranks else 0.0
    scores["mean_r@1"] = (scores["ir_r@1"] + scores["tr_r@1"]) / 2
    return scores


# metric name -> scorer of ranked sets, as tasks name them (``Task.metric``)
RANKING_METRICS = {
    "code_search_mrr": code_search_mrr,
    "ranked_map@20": ranked_map20,
    "ranked_mewslix_map20": ranked_mewslix_map20,
}
