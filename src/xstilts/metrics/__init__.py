"""Metrics by name: each takes examples and predictions keyed by example guid and returns scores in percent."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Protocol

from xstilts.metrics.accuracy import accuracy
from xstilts.metrics.accuracy_f1 import accuracy_f1
from xstilts.metrics.mlqa import mlqa as mlqa_metric  # the package attribute stays the module
from xstilts.metrics.ranking import RANKING_METRICS, image_text_recall
from xstilts.metrics.seqeval_f1 import seqeval_f1
from xstilts.metrics.squad_v1 import squad_v1
from xstilts.metrics.squad_v2 import squad_v2
from xstilts.metrics.tag_accuracy import tag_accuracy

Metric = Callable[[Sequence[Any], Mapping[str, str]], dict[str, float]]

METRICS: dict[str, Metric] = {
    "accuracy": accuracy,
    "accuracy_f1": accuracy_f1,
    "squad_v1": squad_v1,
    "squad_v2": squad_v2,
    "seqeval_f1": seqeval_f1,
    "tag_accuracy": tag_accuracy,
    **RANKING_METRICS,  # ranked retrieval sets of the dual-encoder kind
    "image_text_recall": image_text_recall,  # IGLUE's image-text retrieval, both directions
}


# Metrics whose official scorer is told the language of the answers (MLQA normalises per language).
class LanguageMetric(Protocol):
    def __call__(self, examples: Sequence[Any], predictions: Mapping[str, str], language: str) -> dict[str, float]: ...


LANGUAGE_METRICS: dict[str, LanguageMetric] = {"mlqa": mlqa_metric}


def metric_for(name: str, language: str) -> Metric:
    """The named metric as a function of (examples, predictions), bound to the evaluation set's language."""
    if name in LANGUAGE_METRICS:
        return partial(LANGUAGE_METRICS[name], language=language)
    return METRICS[name]
