"""Accuracy and F1 of the positive class, and their mean: GLUE's QQP (and MRPC) metric, which the paper reports.

The positive class is the label ``"1"`` (duplicate / paraphrase), as in GLUE's files and ``sklearn``'s default
``pos_label=1`` used by GLUE's reference scorer. F1 is 0 when nothing is predicted positive or nothing is
positive. All in percent; ``accuracy_f1_mean`` is the average the paper's tables use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xstilts.data.examples import ClassificationExample
from xstilts.metrics.accuracy import accuracy

POSITIVE = "1"


def positive_f1(examples: Sequence[ClassificationExample], predictions: Mapping[str, str]) -> float:
    true_positive = sum(e.label == POSITIVE and predictions.get(e.guid) == POSITIVE for e in examples)
    predicted = sum(predictions.get(e.guid) == POSITIVE for e in examples)
    actual = sum(e.label == POSITIVE for e in examples)
    if true_positive == 0:
        return 0.0
    return 100.0 * 2 * true_positive / (predicted + actual)


def accuracy_f1(examples: Sequence[ClassificationExample], predictions: Mapping[str, str]) -> dict[str, float]:
    acc = accuracy(examples, predictions)["accuracy"]
    f1 = positive_f1(examples, predictions)
    return {"accuracy": acc, "f1": f1, "accuracy_f1_mean": (acc + f1) / 2}
