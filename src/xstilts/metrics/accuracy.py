"""Accuracy in percent (XTREME's classification metric for XNLI and PAWS-X, and XTREME-R's for XCOPA)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xstilts.data.examples import ClassificationExample, MultipleChoiceExample


def accuracy(
    examples: Sequence[ClassificationExample | MultipleChoiceExample], predictions: Mapping[str, str]
) -> dict[str, float]:
    if not examples:
        return {"accuracy": 0.0}
    correct = sum(predictions.get(e.guid) == e.label for e in examples)
    return {"accuracy": 100.0 * correct / len(examples)}
